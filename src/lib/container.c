/* The container lifecycle. See container.h. */
#include "lib/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup.h"
#include "lib/exe-guard.h"
#include "lib/fdpass.h"
#include "lib/hooks.h"
#include "lib/log.h"
#include "lib/lsm.h"
#include "lib/mempolicy.h"
#include "lib/ns.h"
#include "lib/process-attrs.h"
#include "lib/spawn.h"
#include "lib/spec.h"

#define EXEC_FIFO "exec.fifo"

static int64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int write_pid_file(const char *path, pid_t pid, rq_error **reterr)
{
        char tmp[4096], buf[16];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return rq_error_invalid(reterr, "--pid-file %s: path too long", path);
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, buf, (size_t)n) < 0 || rename(tmp, path) < 0) {
                int err = errno;
                (void)unlink(tmp);
                return rq_error_set(reterr, err, "--pid-file %s", path);
        }
        return 0;
}

/* What this version cannot do yet is refused, never silently dropped; what the host lacks is said
 * before anything exists. */
static int check_supported(const rq_spec *spec, rq_error **reterr)
{
        const rq_spec_linux *l = spec->linux_;
        if (l && l->intel_rdt)
                return rq_error_set_plain(reterr, EOPNOTSUPP,
                                          "linux.intelRdt: set in config.json, but not applied "
                                          "by this version of rongqi-runtime; remove it to run "
                                          "the container without it");
        int k = rq_lsm_check(spec, reterr);
        if (k < 0 || (l && (k = rq_mempolicy_check(l->memory_policy, reterr)) < 0))
                return k;
        return 0;
}

/* The container's cgroup at create; *ret_path stays NULL when there is none. As runc's
 * rootless mode: an unprivileged user usually may not create cgroups (unless one was delegated
 * to them); without limits to apply the container then simply runs in the caller's cgroup. */
static int create_cgroup(const rq_spec *spec, const char *id, bool systemd, rq_cgroup *ret_cg,
                         char **ret_path, rq_error **reterr)
{
        const rq_spec_resources *res = spec->linux_ ? spec->linux_->resources : NULL;
        int k;
        /* The scope is made around the init (spawn's rq_cgroup_attach); no fallback here:
         * asking for systemd and getting none would be a surprise. */
        if (systemd) {
                if ((k = rq_cgroup_create_systemd(spec, id, ret_cg, reterr)) < 0)
                        return k;
                if (!(*ret_path = strdup(ret_cg->path)))
                        return rq_error_set(reterr, ENOMEM, "cgroup path");
                return 0;
        }
        _cleanup_free_ char *path = rq_cgroup_path_for(spec, id);
        if (!path)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        _cleanup_error_ rq_error *e = NULL;
        k = rq_cgroup_create(path, spec->linux_, ret_cg, &e);
        if (k >= 0) {
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        bool denied = k == -EACCES || k == -EPERM || k == -EROFS;
        if (geteuid() != 0 && denied && !rq_cgroup_resources_limit(res)) {
                _cleanup_free_ char *why = rq_error_format(e);
                rq_debug("container %s: no cgroup of its own, it stays in the caller's (uid %u, "
                         "no limits to apply): %s",
                         id, (unsigned)geteuid(), why ? why : "denied");
                return 0;
        }
        if (geteuid() != 0 && denied) {
                rq_error_wrap(&e,
                              "linux.resources: limits are set, but uid %u cannot make the "
                              "container's cgroup",
                              (unsigned)geteuid());
                rq_error_hint(&e, "delegate a cgroup to this user (chown its directory in every "
                                  "hierarchy) and point linux.cgroupsPath into it, or remove the "
                                  "limits from linux.resources");
        }
        if (reterr)
                *reterr = TAKE_PTR(e);
        return k;
}

/* The runtime's hooks at create, once the init's namespaces exist: prestart, createRuntime. */
typedef struct create_hooks {
        const rq_spec *spec;
        rq_state *state;
} create_hooks;

/* The state while the init is set up: for the hooks and the seccomp agent. */
static char *creating_state(pid_t pid, void *userdata)
{
        create_hooks *h = userdata;
        h->state->pid = pid;
        return rq_state_to_json(h->state, RQ_STATUS_CREATING);
}

static int run_create_hooks(pid_t pid, void *userdata, char **ret_state_json, rq_error **reterr)
{
        create_hooks *h = userdata;
        _cleanup_free_ char *json = creating_state(pid, userdata);
        if (!json)
                return rq_error_set(reterr, ENOMEM, "state for hooks");
        int k;
        if ((k = rq_hooks_run(h->spec, RQ_HOOK_PRESTART, json, reterr)) < 0 ||
            (k = rq_hooks_run(h->spec, RQ_HOOK_CREATE_RUNTIME, json, reterr)) < 0)
                return k;
        *ret_state_json = TAKE_PTR(json);
        return 0;
}

/* poststart and poststop: a failure is only a warning (runtime.md). */
static void run_post_hooks(const rq_spec *spec, rq_hook_kind kind, const rq_state *st,
                           rq_status status)
{
        if (!rq_hooks_any(spec, 1u << kind))
                return;
        _cleanup_free_ char *json = rq_state_to_json(st, status);
        _cleanup_error_ rq_error *e = NULL;
        if (json && rq_hooks_run(spec, kind, json, &e) < 0) {
                _cleanup_free_ char *m = rq_error_format(e);
                rq_warn("%s", m ? m : "a hook failed");
        }
}

/* The config of a container's bundle, for its hooks; NULL if it cannot be read any more. */
static rq_spec *load_bundle_spec(const rq_state *st)
{
        _cleanup_close_ int bundle =
                st->bundle ? open(st->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        rq_spec *spec = NULL;
        _cleanup_error_ rq_error *e = NULL;
        if (bundle < 0 || rq_spec_load(bundle, "config.json", &spec, &e) < 0) {
                rq_warn("container %s: cannot read %s/config.json any more: its poststart and "
                        "poststop hooks are not run",
                        st->id, st->bundle ? st->bundle : "?");
                return NULL;
        }
        return spec;
}

int rq_container_create(int root_fd, const rq_create_opts *o, pid_t *ret_pid, rq_error **reterr)
{
        if (o->ret_console_fd)
                *o->ret_console_fd = -EBADF;
        int k;
        _cleanup_(rq_spec_freep) rq_spec *spec = NULL;
        _cleanup_close_ int bundle = open(o->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundle < 0)
                k = rq_error_set(reterr, errno, "open bundle %s", o->bundle);
        else if ((k = rq_spec_load(bundle, "config.json", &spec, reterr)) >= 0 &&
                 (k = check_supported(spec, reterr)) >= 0 && o->exe_guard &&
                 rq_exe_guard_needed(spec, NULL))
                /* Before anything exists: the command starts again from the sealed copy. */
                k = rq_exe_guard_reexec(reterr);
        if (k < 0)
                return rq_error_wrap(reterr, "create container %s", o->id);
        if (spec->process)
                rq_caps_ambient_warn(spec->process->capabilities);
        /* Then a socket that cannot be reached leaves nothing behind. */
        _cleanup_close_ int pidfd_sock =
                o->pidfd_socket ? rq_fdpass_connect("--pidfd-socket", o->pidfd_socket, reterr)
                                : -EBADF;
        if (o->pidfd_socket && pidfd_sock < 0)
                return rq_error_wrap(reterr, "create container %s", o->id);
        _cleanup_close_ int dir = rq_state_dir_create(root_fd, o->id, reterr);
        if (dir < 0)
                return dir;
        _cleanup_close_ int fifo = -EBADF;
        _cleanup_free_ char *rootfs = NULL;
        rq_state st = { 0 };
        pid_t pid = 0;
        _cleanup_free_ char *cgroup_path = NULL;
        _cleanup_(rq_cgroup_done) rq_cgroup cg = { 0 };
        if ((k = rq_state_lock(dir, true, true)) < 0) {
                rq_error_set(reterr, k, "lock the state of %s", o->id);
                goto fail;
        }
        if (!o->start) {
                if (mkfifoat(dir, EXEC_FIFO, 0600) < 0) {
                        k = rq_error_set(reterr, errno, "create the exec fifo");
                        goto fail;
                }
                /* O_RDWR: opening does not wait for a reader, and the init's reads block
                 * instead of seeing EOF. */
                fifo = openat(dir, EXEC_FIFO, O_RDWR | O_CLOEXEC);
                if (fifo < 0) {
                        k = rq_error_set(reterr, errno, "open the exec fifo");
                        goto fail;
                }
        }
        const char *root = spec->root && spec->root->path ? spec->root->path : "rootfs";
        rootfs = root[0] == '/' ? strdup(root) : strprintf("%s/%s", o->bundle, root);
        st = (rq_state){
                .id = (char *)o->id,
                .oci_version = spec->oci_version,
                .bundle = (char *)o->bundle,
                .rootfs = rootfs,
                .status = RQ_STATUS_CREATING,
                .created = now_ns(),
                .owner = geteuid(),
                .annotations = NULL,
        };
        if ((k = create_cgroup(spec, o->id, o->systemd_cgroup, &cg, &cgroup_path, reterr)) < 0)
                goto fail;
        st.cgroup_path = cgroup_path;
        st.systemd_unit = cg.unit;
        st.systemd_user = cg.user_manager;
        /* runc's name: an exec'd process could join it by name. */
        char keyring[320];
        snprintf(keyring, sizeof(keyring), "_ses.%s", o->id);
        if ((k = rq_state_write(dir, &st, reterr)) < 0 ||
            (k = rq_spawn(
                     &(rq_spawn_opts){ .spec = spec,
                                       .bundle = o->bundle,
                                       .exec_fifo_fd = fifo,
                                       .console_socket = o->console_socket,
                                       .ret_console_fd = o->ret_console_fd,
                                       .console_rows = o->console_rows,
                                       .console_cols = o->console_cols,
                                       .preserve_fds = o->preserve_fds,
                                       .no_pivot = o->no_pivot,
                                       .session_keyring = o->no_new_keyring ? NULL : keyring,
                                       .cgroup = cgroup_path ? &cg : NULL,
                                       .hooks = run_create_hooks,
                                       .state = creating_state,
                                       .userdata = &(create_hooks){ .spec = spec, .state = &st } },
                     &pid, reterr)) < 0)
                goto fail;
        st.pid = pid;
        /* Our child, not yet reaped: the pid cannot name another process. */
        if (pidfd_sock >= 0 &&
            (k = rq_pidfd_socket_send(pidfd_sock, o->pidfd_socket, pid, "standard", reterr)) < 0)
                goto fail_kill;
        bool zombie;
        if ((k = rq_proc_start_time(pid, &st.pid_start, &zombie)) < 0) {
                rq_error_set(reterr, k, "read the start time of the container init %d", (int)pid);
                goto fail_kill;
        }
        st.status = o->start ? RQ_STATUS_RUNNING : RQ_STATUS_CREATED;
        if ((k = rq_state_write(dir, &st, reterr)) < 0 ||
            (o->pid_file && (k = write_pid_file(o->pid_file, pid, reterr)) < 0))
                goto fail_kill;
        if (o->start)
                run_post_hooks(spec, RQ_HOOK_POSTSTART, &st, RQ_STATUS_RUNNING);
        *ret_pid = pid;
        return 0;
fail_kill:
        if (o->ret_console_fd && *o->ret_console_fd >= 0) {
                close(*o->ret_console_fd);
                *o->ret_console_fd = -EBADF;
        }
        kill(pid, SIGKILL);
        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
fail:
        if (cg.unit)
                (void)rq_cgroup_systemd_stop(cg.unit, cg.user_manager, NULL);
        if (cgroup_path)
                (void)rq_cgroup_remove(cgroup_path, NULL);
        (void)rq_state_dir_remove(root_fd, o->id, NULL);
        rq_error_wrap(reterr, "create container %s", o->id);
        return k;
}

/* Open the container's state directory, lock it (exclusive for changes), read its state and
 * live status. Returns the directory fd: the lock lasts as long as it is open. */
static int open_locked(int root_fd, const char *id, bool exclusive, rq_state *ret,
                       rq_status *ret_status, rq_error **reterr)
{
        _cleanup_close_ int dir = rq_state_dir_open(root_fd, id, reterr);
        if (dir < 0)
                return dir;
        int k = rq_state_lock(dir, exclusive, true);
        if (k < 0)
                return rq_error_set(reterr, k, "lock the state of %s", id);
        if ((k = rq_state_read(dir, ret, reterr)) < 0)
                return k;
        *ret_status = rq_state_live_status(ret);
        return TAKE_FD(dir);
}

int rq_container_state(int root_fd, const char *id, rq_state *ret, rq_status *ret_status,
                       rq_error **reterr)
{
        int dir = open_locked(root_fd, id, false, ret, ret_status, reterr);
        if (dir < 0)
                return dir;
        close(dir);
        return 0;
}

int rq_container_start(int root_fd, const char *id, rq_error **reterr)
{
        rq_state st;
        rq_status now;
        _cleanup_close_ int dir = open_locked(root_fd, id, true, &st, &now, reterr);
        if (dir < 0)
                return dir;
        int k;
        if (now != RQ_STATUS_CREATED) {
                k = now == RQ_STATUS_STOPPED
                            ? rq_error_set_plain(reterr, EINVAL,
                                                 "cannot start a container that has stopped")
                            : rq_error_set_plain(reterr, EINVAL,
                                                 "cannot start an already running container");
                rq_state_done(&st);
                return k;
        }
        /* O_NONBLOCK: ENXIO instead of waiting when the init (the reader) is gone. */
        _cleanup_close_ int fifo = openat(dir, EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fifo < 0 || write(fifo, "0", 1) != 1) {
                k = rq_error_set(reterr, errno == ENXIO ? ESRCH : errno,
                                 "container not running: signal the exec fifo");
                rq_state_done(&st);
                return k;
        }
        (void)unlinkat(dir, EXEC_FIFO, 0);
        st.status = RQ_STATUS_RUNNING;
        k = rq_state_write(dir, &st, reterr);
        if (k >= 0) {
                _cleanup_(rq_spec_freep) rq_spec *spec = load_bundle_spec(&st);
                if (spec)
                        run_post_hooks(spec, RQ_HOOK_POSTSTART, &st, RQ_STATUS_RUNNING);
        }
        rq_state_done(&st);
        return k;
}

/* Every process in the PID namespace of init (host pids, ascending): by namespace inode. */
static int pid_namespace_members(pid_t init, pid_t **ret, size_t *ret_n, rq_error **reterr)
{
        uint64_t want;
        if (rq_ns_inode(init, RQ_NS_PID, false, &want) < 0)
                return rq_error_set_plain(reterr, ESRCH, "container not running");
        DIR *d = opendir("/proc");
        if (!d)
                return rq_error_set(reterr, errno, "read /proc");
        pid_t *l = NULL;
        size_t n = 0, alloc = 0;
        int k = 0;
        for (struct dirent *de; (de = readdir(d));) {
                char *end;
                long p = strtol(de->d_name, &end, 10);
                uint64_t ino;
                if (*end || p <= 0 || rq_ns_inode((pid_t)p, RQ_NS_PID, false, &ino) < 0 ||
                    ino != want)
                        continue;
                if (n == alloc) {
                        pid_t *nl = realloc(l, (alloc = alloc ? alloc * 2 : 16) * sizeof(pid_t));
                        if (!nl) {
                                k = rq_error_set(reterr, ENOMEM, "list the container's processes");
                                break;
                        }
                        l = nl;
                }
                l[n++] = (pid_t)p;
        }
        closedir(d);
        if (k < 0) {
                free(l);
                return k;
        }
        for (size_t i = 1; i < n; i++) /* /proc lists in pid order already; keep it sure */
                for (size_t j = i; j > 0 && l[j - 1] > l[j]; j--) {
                        pid_t t = l[j];
                        l[j] = l[j - 1];
                        l[j - 1] = t;
                }
        *ret = l;
        *ret_n = n;
        return 0;
}

static int signal_pid_namespace(pid_t init, int sig, rq_error **reterr)
{
        _cleanup_free_ pid_t *l = NULL;
        size_t n;
        int k = pid_namespace_members(init, &l, &n, reterr);
        for (size_t i = 0; k >= 0 && i < n; i++)
                (void)kill(l[i], sig);
        return k;
}

/* Every process of the container: by its cgroup, which holds what forked itself away and what
 * `exec` started; without one (rootless, nothing delegated), by its PID namespace. */
static int signal_all(const rq_state *st, int sig, rq_error **reterr)
{
        _cleanup_error_ rq_error *e = NULL;
        int k = st->cgroup_path ? rq_cgroup_kill(st->cgroup_path, sig, &e) : -ENOENT;
        if (k != -ENOENT) {
                if (k < 0 && reterr)
                        *reterr = TAKE_PTR(e);
                return k;
        }
        /* Without a PID namespace of its own, that would be every process of the host. */
        uint64_t theirs = 0, ours = 0;
        if (rq_ns_inode(st->pid, RQ_NS_PID, false, &theirs) >= 0 &&
            rq_ns_inode(0, RQ_NS_PID, false, &ours) >= 0 && theirs == ours)
                return rq_error_set_plain(reterr, ENOTSUP,
                                          "kill --all: the container has neither a cgroup nor a "
                                          "PID namespace of its own, so its processes cannot be "
                                          "told from the host's; signal its init alone");
        return signal_pid_namespace(st->pid, sig, reterr);
}

/* A pidfd of the recorded init, only if it is still the same process. */
static int init_pidfd(const rq_state *st)
{
        int fd = pidfd_open(st->pid, 0);
        if (fd < 0)
                return -ESRCH;
        if (!rq_state_pid_alive(st)) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

int rq_container_kill(int root_fd, const char *id, int sig, bool all, rq_error **reterr)
{
        rq_state st;
        rq_status now;
        int k = rq_container_state(root_fd, id, &st, &now, reterr);
        if (k < 0)
                return k;
        if (now != RQ_STATUS_CREATED && now != RQ_STATUS_RUNNING && now != RQ_STATUS_PAUSED) {
                rq_state_done(&st);
                return rq_error_set_plain(reterr, ESRCH, "container not running");
        }
        _cleanup_close_ int pfd = init_pidfd(&st);
        if (pfd < 0)
                k = rq_error_set_plain(reterr, ESRCH, "container not running");
        else if (all)
                k = signal_all(&st, sig, reterr);
        else if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
                k = rq_error_set(reterr, errno, "send signal %d to the container init", sig);
        rq_state_done(&st);
        return k;
}

int rq_container_pause(int root_fd, const char *id, bool pause, rq_error **reterr)
{
        rq_state st;
        rq_status now;
        _cleanup_close_ int dir = open_locked(root_fd, id, true, &st, &now, reterr);
        if (dir < 0)
                return dir;
        int k;
        if (now != (pause ? RQ_STATUS_RUNNING : RQ_STATUS_PAUSED))
                k = rq_error_set_plain(reterr, EINVAL,
                                       pause ? "container not running: cannot pause a %s container"
                                             : "container not paused: cannot resume a %s container",
                                       rq_status_to_string(now));
        else if (!st.cgroup_path)
                k = rq_error_set_plain(reterr, ENOTSUP,
                                       "%s needs the container's cgroup, and this container has "
                                       "none (created without root and without a delegated "
                                       "cgroup)",
                                       pause ? "pause" : "resume");
        else if ((k = rq_cgroup_freeze(st.cgroup_path, pause, reterr)) >= 0) {
                st.status = pause ? RQ_STATUS_PAUSED : RQ_STATUS_RUNNING;
                k = rq_state_write(dir, &st, reterr);
        }
        rq_state_done(&st);
        return k;
}

int rq_container_pids(int root_fd, const char *id, pid_t **ret, size_t *ret_n, rq_error **reterr)
{
        rq_state st;
        rq_status now;
        int k = rq_container_state(root_fd, id, &st, &now, reterr);
        if (k < 0)
                return k;
        if (now == RQ_STATUS_STOPPED || now == RQ_STATUS_CREATING) {
                *ret = NULL;
                *ret_n = 0;
                rq_state_done(&st);
                return 0;
        }
        k = pid_namespace_members(st.pid, ret, ret_n, reterr);
        rq_state_done(&st);
        return k;
}

int rq_container_delete(int root_fd, const char *id, bool force, rq_error **reterr)
{
        rq_state st;
        rq_status now;
        /* Held until the directory is gone: no start or exec can slip in between. */
        _cleanup_close_ int dir = open_locked(root_fd, id, true, &st, &now, reterr);
        if (dir < 0)
                return dir;
        int k;
        if (now != RQ_STATUS_STOPPED) {
                if (!force) {
                        k = rq_error_set_plain(reterr, EBUSY,
                                               "cannot delete container %s that is not stopped: "
                                               "%s",
                                               id, rq_status_to_string(now));
                        rq_state_done(&st);
                        return k;
                }
                _cleanup_close_ int pfd = init_pidfd(&st);
                if (pfd >= 0) {
                        (void)signal_all(&st, SIGKILL, NULL);
                        (void)syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
                        /* Frozen processes die only once thawed. */
                        if (now == RQ_STATUS_PAUSED && st.cgroup_path)
                                (void)rq_cgroup_freeze(st.cgroup_path, false, NULL);
                        struct pollfd p = { .fd = pfd, .events = POLLIN };
                        if (poll(&p, 1, 10000) <= 0) {
                                rq_state_done(&st);
                                return rq_error_set_plain(reterr, ETIMEDOUT,
                                                          "container %s did not die within 10 "
                                                          "s of SIGKILL",
                                                          id);
                        }
                }
        }
        /* What is left in the cgroup once the init is gone: `exec -d` processes (without a PID
         * namespace of its own they outlive the init), and ones still exiting. The cgroup can
         * go only once they have. */
        if (st.cgroup_path && rq_cgroup_kill(st.cgroup_path, SIGKILL, NULL) >= 0 &&
            (k = rq_cgroup_wait_empty(st.cgroup_path, 10000, reterr)) < 0) {
                rq_state_done(&st);
                return rq_error_wrap(reterr, "delete container %s", id);
        }
        /* systemd removes the scope's cgroup in the hierarchies it manages; the rest is ours. */
        if (st.systemd_unit &&
            (k = rq_cgroup_systemd_stop(st.systemd_unit, st.systemd_user, reterr)) < 0) {
                rq_state_done(&st);
                return rq_error_wrap(reterr, "delete container %s", id);
        }
        if (st.cgroup_path && (k = rq_cgroup_remove(st.cgroup_path, reterr)) < 0) {
                rq_state_done(&st);
                return rq_error_wrap(reterr, "delete container %s", id);
        }
        _cleanup_(rq_spec_freep) rq_spec *spec = load_bundle_spec(&st);
        k = rq_state_dir_remove(root_fd, id, reterr);
        if (k >= 0 && spec)
                run_post_hooks(spec, RQ_HOOK_POSTSTOP, &st, RQ_STATUS_STOPPED);
        rq_state_done(&st);
        return k;
}
