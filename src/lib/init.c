/* The container init: the child's ordered setup, a checklist read top to bottom.
 *
 *   1. wait for the parent to write the id maps (a new user namespace starts unmapped) and to
 *      put us in our cgroup (before we run anything; on v2 we were born there: clone3
 *      CLONE_INTO_CGROUP), then, in a new user namespace, become root in it: files and mounts
 *      made during setup must have mapped owners; unshare the cgroup namespace (its root is
 *      the creator's cgroup, and a namespace made at the clone would get the runtime's)
 *   2. join the namespaces given by path (user first: it decides what the others may do);
 *      a new time namespace is unshared now, owned by the user namespace, and gets its
 *      offsets while nothing is in it yet (the init enters it at its execve)
 *      then a session keyring of the container's own, unless --no-new-keyring
 *   3. hostname and domainname; with hooks: ask the runtime to run prestart and createRuntime
 *      (our namespaces exist now), and get the state JSON for our own hooks
 *   4. the filesystem, still seeing the host: propagation and self bind of the rootfs, the
 *      config's mounts, /dev, sysctls (before /proc/sys turns read-only), masked and read-only
 *      paths, createContainer hooks (still seeing the host), then pivot_root (or, with
 *      --no-pivot, MS_MOVE onto / and chroot), read-only root
 *   5. with process.terminal: a pty from the container's own devpts (opened after pivot_root,
 *      checked by fd to be devpts), the master sent to the runtime for --console-socket
 *   6. the AppArmor profile / SELinux label for the exec (lsm.h); without no_new_privs, the
 *      seccomp filter (the kernel wants CAP_SYS_ADMIN for it then: rq_init_seccomp); then
 *      process attributes: rlimits .. user .. capabilities .. no_new_privs (process-attrs.h)
 *   7. working directory, no fd but the sync socket left open, the pty slave as stdio
 *   8. check that process.args[0] can be found (so `create` reports it); with no_new_privs, a
 *      seccomp filter that notifies is loaded now and its listener handed to the runtime for
 *      the agent (while `create` is still there to do it: seccomp-notify.c); tell the parent
 *      we are ready; with an exec fifo (create), block reading it until `start` writes a byte;
 *      then startContainer hooks, any other seccomp filter (the very last step), exec.
 *      The sync socket is close-on-exec: the parent reads EOF when the exec worked, or the
 *      error when it did not. */
#include "lib/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/dev.h"
#include "lib/hooks.h"
#include "lib/lsm.h"
#include "lib/mount.h"
#include "lib/ns.h"
#include "lib/pivot.h"
#include "lib/process-attrs.h"
#include "lib/rootfs-path.h"
#include "lib/seccomp-notify.h"
#include "lib/sync.h"
#include "lib/sysctl.h"
#include "lib/terminal.h"
#include "lib/timens.h"

static int join_namespaces(const rq_spec *s, bool userns_joined, rq_error **reterr)
{
        /* The table order of ns.h puts the user namespace first. */
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                const rq_spec_namespace *n = rq_spec_namespace_find(s, (rq_ns_type)t);
                if (!n || !n->path || (t == RQ_NS_USER && userns_joined))
                        continue;
                _cleanup_close_ int fd = rq_ns_open_path(n->path, (rq_ns_type)t, reterr);
                if (fd < 0)
                        return rq_error_wrap(reterr, "linux.namespaces: join %s",
                                             rq_ns_info_get((rq_ns_type)t)->name);
                if (setns(fd, rq_ns_info_get((rq_ns_type)t)->clone_flag) < 0)
                        return rq_error_set(reterr, errno, "linux.namespaces: join %s at %s",
                                            rq_ns_info_get((rq_ns_type)t)->name, n->path);
        }
        return 0;
}

#define PRESERVE_FDS_MAX 48

int rq_preserve_fds_check(unsigned preserve, rq_error **reterr)
{
        if (preserve > PRESERVE_FDS_MAX)
                return rq_error_invalid(reterr, "--preserve-fds %u: at most %d", preserve,
                                        PRESERVE_FDS_MAX);
        for (unsigned i = 0; i < preserve; i++)
                if (fcntl(3 + (int)i, F_GETFD) < 0)
                        return rq_error_invalid(reterr, "--preserve-fds %u: fd %u is not open",
                                                preserve, 3 + i);
        return 0;
}

int rq_init_close_fds(unsigned preserve, const int *keep, size_t n_keep, rq_error **reterr)
{
        int all[PRESERVE_FDS_MAX + 8];
        size_t n = 0;
        if (preserve > PRESERVE_FDS_MAX || n_keep > 8)
                return rq_error_invalid(reterr, "too many file descriptors to keep");
        for (unsigned i = 0; i < preserve; i++)
                all[n++] = 3 + (int)i;
        for (size_t i = 0; i < n_keep; i++)
                all[n++] = keep[i];
        int k = close_all_fds_except(3, all, n);
        if (k < 0)
                return rq_error_set(reterr, k, "close the runtime's file descriptors");
        /* The preserved ones must survive the exec. */
        for (unsigned i = 0; i < preserve; i++) {
                int fl = fcntl(3 + (int)i, F_GETFD);
                if (fl < 0 || fcntl(3 + (int)i, F_SETFD, fl & ~FD_CLOEXEC) < 0)
                        return rq_error_set(reterr, errno, "--preserve-fds: fd %u", 3 + i);
        }
        return 0;
}

bool rq_init_wants_hooks(const rq_spec *spec)
{
        return rq_hooks_any(spec, (1u << RQ_HOOK_PRESTART) | (1u << RQ_HOOK_CREATE_RUNTIME) |
                                          (1u << RQ_HOOK_CREATE_CONTAINER) |
                                          (1u << RQ_HOOK_START_CONTAINER));
}

static int setup_filesystem(const rq_init_ctx *c, const char *state, rq_error **reterr)
{
        const rq_spec *s = c->spec;
        _cleanup_close_ int under = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (under < 0)
                return rq_error_set(reterr, errno, "open rootfs %s", c->rootfs);
        int k = rq_pivot_prepare(under, s, reterr);
        if (k < 0)
                return k;
        /* Opened after the self bind: everything is mounted on the new root, not under it. */
        _cleanup_(rq_rootfs_done) rq_rootfs r = RQ_ROOTFS_NULL;
        if ((k = rq_rootfs_open(c->rootfs, &r, reterr)) < 0 ||
            (k = rq_mount_apply_all(&r, s, c->idmount_fds, c->cgroup, reterr)) < 0 ||
            (k = rq_dev_setup(&r, s->linux_,
                              c->userns_created || c->userns_joined ? RQ_DEV_BIND : RQ_DEV_MKNOD,
                              reterr)) < 0)
                return k;
        if (s->linux_ && s->linux_->n_sysctl > 0) {
                _cleanup_close_ int sys = -EBADF;
                if ((k = rq_rootfs_resolve(&r, "linux.sysctl: the container's", "/proc/sys",
                                           O_RDONLY | O_DIRECTORY, 0, &sys, reterr)) < 0 ||
                    (k = rq_sysctl_apply(sys, s, reterr)) < 0)
                        return k;
        }
        if (s->linux_ && ((k = rq_mount_masked_paths(&r, s->linux_->masked_paths,
                                                     s->linux_->n_masked_paths, reterr)) < 0 ||
                          (k = rq_mount_readonly_paths(&r, s->linux_->readonly_paths,
                                                       s->linux_->n_readonly_paths, reterr)) < 0))
                return k;
        if ((k = rq_hooks_run(s, RQ_HOOK_CREATE_CONTAINER, state, reterr)) < 0 ||
            (k = c->no_pivot ? rq_pivot_move_root(c->rootfs, reterr)
                             : rq_pivot_root(c->rootfs, reterr)) < 0)
                return k;
        return rq_pivot_finish(s, reterr);
}

/* The value of NAME in a NAME=VALUE list, or NULL. */
static const char *env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);
        for (; env && *env; env++)
                if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

int rq_exec_program(char *const *args, char *const *env, bool check_only)
{
        static char *const no_env[] = { NULL };
        char *const *envp = env ? env : no_env;
        if (strchr(args[0], '/')) {
                if (check_only)
                        return access(args[0], X_OK) < 0 ? -errno : 0;
                execve(args[0], args, envp);
                return -errno;
        }
        const char *path = env_get(env, "PATH");
        if (!path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        int err = -ENOENT;
        for (const char *p = path; *p;) {
                const char *end = strchrnul(p, ':');
                char full[4096];
                int n = snprintf(full, sizeof(full), "%.*s/%s", (int)(end - p), end == p ? "." : p,
                                 args[0]);
                if (n > 0 && (size_t)n < sizeof(full)) {
                        if (check_only && access(full, X_OK) == 0)
                                return 0;
                        if (!check_only)
                                execve(full, args, envp);
                        if (errno != ENOENT && errno != ENOTDIR)
                                err = -errno;
                }
                p = *end ? end + 1 : end;
        }
        return err;
}

int rq_exec_error(const char *arg0, int err, rq_error **reterr)
{
        if (err == ENOENT)
                return rq_error_set_plain(reterr, ENOENT,
                                          "exec %s: executable file not found in $PATH", arg0);
        if (err == EACCES)
                return rq_error_set_plain(reterr, EACCES, "exec %s: permission denied", arg0);
        return rq_error_set(reterr, err, "exec %s", arg0);
}

int rq_init_seccomp(const rq_seccomp_prog *p, const rq_spec_process *process, bool early,
                    int sync_fd, rq_error **reterr)
{
        if (!p || early == process->no_new_privileges)
                return 0;
        return p->notify ? rq_seccomp_notify_load(p, sync_fd, reterr)
                         : rq_seccomp_load(p, NULL, reterr);
}

/* A pty from the container's devpts: the master goes to the runtime, the slave is returned.
 * The caller's size (its own terminal, when it relays) wins over process.consoleSize. */
static int open_terminal(const rq_init_ctx *c, rq_error **reterr)
{
        const rq_spec_process *p = c->spec->process;
        uint16_t rows = c->console_rows, cols = c->console_cols;
        if (rows == 0 && cols == 0 && p->console_size) {
                rows = (uint16_t)p->console_size->height;
                cols = (uint16_t)p->console_size->width;
        }
        return rq_pty_open_in_container(c->sync_fd, rows, cols, reterr);
}

/* The host's procfs, as the init sees it before pivot_root, checked by fd. */
static int open_host_proc(rq_error **reterr)
{
        int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open /proc");
        if (fd_verify_kind(fd, S_IFDIR, PROC_SUPER_MAGIC) < 0) {
                close(fd);
                return rq_error_set_plain(reterr, EXDEV, "/proc is not a procfs: refused");
        }
        return fd;
}

static int new_time_namespace(const rq_init_ctx *c, rq_error **reterr)
{
        _cleanup_close_ int proc = open_host_proc(reterr);
        if (proc < 0)
                return proc;
        return rq_timens_create(proc, c->spec->linux_, reterr);
}

/* A session keyring of the container's own (as runc): keys the runtime's caller holds in its
 * session keyring are not the container's. Searchable by the container's root: "other" in a
 * user namespace (the keyring's uid is one outside it), "user" otherwise. */
#define KEY_USR_SEARCH 0x00080000u /* keyutils.h's names: the uapi has none */
#define KEY_OTH_SEARCH 0x00000008u

static int join_session_keyring(const char *name, bool userns, rq_error **reterr)
{
        long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
        if (id < 0 && errno == ENOSYS)
                return 0; /* a kernel without keys: nothing to keep from the container */
        if (id < 0)
                return rq_error_set(reterr, errno, "join the session keyring %s", name);
        char desc[512];
        long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc));
        unsigned perm;
        /* "type;uid;gid;perm;description" */
        if (n < 0 || (size_t)n > sizeof(desc) ||
            sscanf(desc, "%*[^;];%*[^;];%*[^;];%x;", &perm) != 1)
                return rq_error_set(reterr, n < 0 ? errno : EBADMSG,
                                    "read the permissions of the session keyring %s", name);
        perm |= userns ? KEY_OTH_SEARCH : KEY_USR_SEARCH;
        if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm) < 0)
                return rq_error_set(reterr, errno, "make the session keyring %s searchable", name);
        return 0;
}

static int setup(const rq_init_ctx *c, rq_error **reterr)
{
        const rq_spec *s = c->spec;
        _cleanup_free_ char *state = NULL;
        int k;
        if (c->wait_for_parent &&
            ((k = rq_sync_send(c->sync_fd, RQ_SYNC_CHILD_READY, NULL, 0, NULL, 0)) < 0 ||
             (k = rq_sync_expect(c->sync_fd, RQ_SYNC_MAPS_DONE, NULL, NULL, reterr)) < 0))
                return k < 0 && reterr && *reterr ? k : rq_error_set(reterr, k, "wait for id maps");
        /* setgroups fails with EPERM only where the runtime denied it for an unprivileged gid
         * map: the groups are the unmapped overflow group then, nothing to clear. */
        bool userns = c->userns_created || c->userns_joined;
        if (userns && ((setgroups(0, NULL) < 0 && errno != EPERM) || setresgid(0, 0, 0) < 0 ||
                       setresuid(0, 0, 0) < 0)) {
                rq_error_set(reterr, errno, "become root in the container's user namespace");
                return rq_error_hint(reterr, "linux.uidMappings and linux.gidMappings must map "
                                             "container id 0");
        }
        if (c->cgroupns_late && unshare(CLONE_NEWCGROUP) < 0)
                return rq_error_set(reterr, errno, "create the cgroup namespace");
        if ((k = join_namespaces(s, c->userns_joined, reterr)) < 0 ||
            (c->timens_created && (k = new_time_namespace(c, reterr)) < 0) ||
            (c->session_keyring &&
             (k = join_session_keyring(c->session_keyring,
                                       rq_spec_namespace_find(s, RQ_NS_USER) != NULL, reterr)) <
                     0) ||
            (k = rq_hostname_apply(s, reterr)) < 0)
                return k;
        if (rq_init_wants_hooks(s) &&
            ((k = rq_sync_send(c->sync_fd, RQ_SYNC_HOOKS, NULL, 0, NULL, 0)) < 0 ||
             (k = rq_sync_expect_payload(c->sync_fd, RQ_SYNC_HOOKS_DONE, &state, reterr)) < 0))
                return k;
        if ((k = setup_filesystem(c, state ? state : "{}", reterr)) < 0)
                return k;
        _cleanup_close_ int slave = -EBADF;
        if (s->process->terminal && (slave = open_terminal(c, reterr)) < 0)
                return slave;
        /* Before no_new_privs, which limits what a profile change at exec may do. */
        if ((k = rq_lsm_apply_exec(s->process, reterr)) < 0 ||
            (k = rq_init_seccomp(c->seccomp, s->process, true, c->sync_fd, reterr)) < 0 ||
            (k = rq_process_attrs_apply(s->process, s->linux_, reterr)) < 0)
                return k;
        if (chdir(s->process->cwd) < 0)
                return rq_error_set(reterr, errno, "process.cwd: chdir %s", s->process->cwd);
        int keep[3] = { c->sync_fd };
        size_t n_keep = 1;
        if (c->exec_fifo_fd >= 0)
                keep[n_keep++] = c->exec_fifo_fd;
        if (slave >= 0)
                keep[n_keep++] = slave;
        if ((k = rq_init_close_fds(c->preserve_fds, keep, n_keep, reterr)) < 0)
                return k;
        if (slave >= 0 && (k = rq_pty_make_stdio(TAKE_FD(slave), reterr)) < 0)
                return k;
        if ((k = rq_exec_program(s->process->args, s->process->env, true)) < 0)
                return rq_exec_error(s->process->args[0], -k, reterr);
        /* From here on, `exec` may send processes in while we are still the runtime binary:
         * not dumpable, so none of them can open our /proc/PID/exe (exe-guard.h). Not sooner:
         * a non-dumpable process's own /proc files belong to the host's root, and the setup
         * above writes some of them. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return rq_error_set(reterr, errno, "make the init non-dumpable");
        bool notify = c->seccomp && c->seccomp->notify;
        if (notify && (k = rq_init_seccomp(c->seccomp, s->process, false, c->sync_fd, reterr)) < 0)
                return k;
        if ((k = rq_sync_send(c->sync_fd, RQ_SYNC_INIT_READY, NULL, 0, NULL, 0)) < 0)
                return k;
        if (c->exec_fifo_fd >= 0) {
                /* Until `start`. The fd is O_RDWR, so we are a writer too: read blocks instead
                 * of seeing EOF while no `start` has the fifo open. */
                char b;
                if (RETRY_EINTR(read(c->exec_fifo_fd, &b, 1)) != 1)
                        return rq_error_set(reterr, errno, "wait on the exec fifo");
        }
        if ((k = rq_hooks_run(s, RQ_HOOK_START_CONTAINER, state ? state : "{}", reterr)) < 0)
                return k;
        /* The very last step: from here on the filter applies. */
        if (!notify && (k = rq_init_seccomp(c->seccomp, s->process, false, c->sync_fd, reterr)) < 0)
                return k;
        return 0;
}

_Noreturn void rq_init_run(const rq_init_ctx *c)
{
        rq_error *e = NULL;
        if (setup(c, &e) < 0) {
                if (!e)
                        rq_error_set(&e, EIO, "container init");
                (void)rq_sync_send_error(c->sync_fd, e);
                _exit(1);
        }
        int err = -rq_exec_program(c->spec->process->args, c->spec->process->env, false);
        rq_exec_error(c->spec->process->args[0], err, &e);
        (void)rq_sync_send_error(c->sync_fd, e);
        _exit(err == ENOENT ? 127 : 126);
}
