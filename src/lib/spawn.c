/* Parent's side of container creation. See spawn.h and, for the child, init.c. */
#include "lib/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/idmap.h"
#include "lib/idmount.h"
#include "lib/init.h"
#include "lib/log.h"
#include "lib/netdev.h"
#include "lib/ns.h"
#include "lib/seccomp-notify.h"
#include "lib/sync.h"
#include "lib/terminal.h"

/* The parent's part of a new user namespace: its maps, as root writes them. */
static int write_maps(const rq_spec *s, pid_t pid, rq_error **reterr)
{
        rq_idmap uids, gids;
        int k;
        if ((k = rq_idmap_from_spec(s->linux_->uid_mappings, s->linux_->n_uid_mappings, &uids,
                                    "linux.uidMappings", reterr)) < 0 ||
            (k = rq_idmap_from_spec(s->linux_->gid_mappings, s->linux_->n_gid_mappings, &gids,
                                    "linux.gidMappings", reterr)) < 0)
                return k;
        bool uid_helper = rq_idmap_needs_helper(RQ_IDMAP_UID, &uids);
        bool gid_helper = rq_idmap_needs_helper(RQ_IDMAP_GID, &gids);
        /* An unprivileged writer may map its own gid only once setgroups is denied (else the
         * container could drop supplementary groups that guard files); newgidmap decides that
         * itself from /etc/subgid, and root keeps setgroups allowed. */
        if (geteuid() != 0 && !gid_helper && gids.n > 0 &&
            (k = rq_setgroups_write(pid, "deny", reterr)) < 0)
                return rq_error_wrap(reterr, "linux.gidMappings");
        if ((k = rq_idmap_write(pid, RQ_IDMAP_UID, &uids, uid_helper, reterr)) < 0 ||
            (k = rq_idmap_write(pid, RQ_IDMAP_GID, &gids, gid_helper, reterr)) < 0)
                return rq_error_wrap(reterr, "linux.uidMappings/gidMappings");
        return 0;
}

/* linux.netDevices into the init's network namespace: the one it was cloned with, or the one at
 * the path it will join (it has not yet: it waits for MAPS_DONE). */
static int move_net_devices(const rq_spec *s, pid_t pid, rq_error **reterr)
{
        const rq_spec_namespace *n = rq_spec_namespace_find(s, RQ_NS_NET);
        if (!n)
                return rq_error_invalid(reterr, "linux.netDevices: needs a network namespace");
        _cleanup_close_ int fd = n->path ? rq_ns_open_path(n->path, RQ_NS_NET, reterr)
                                         : rq_ns_open(pid, RQ_NS_NET, false, reterr);
        if (fd < 0)
                return rq_error_wrap(reterr, "linux.netDevices");
        return rq_netdev_move_all(s->linux_, fd, reterr);
}

/* Wait for message m carrying exactly one fd, and return it. */
static int expect_one_fd(int sock, rq_sync_msg m, rq_error **reterr)
{
        int fds[RQ_SYNC_FDS_MAX];
        size_t n = 0;
        int k = rq_sync_expect(sock, m, fds, &n, reterr);
        if (k < 0)
                return k;
        if (n == 1)
                return fds[0];
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        return rq_error_set_plain(reterr, EPROTO, "the container init sent %zu fds with %s, not 1",
                                  n, rq_sync_msg_to_string(m));
}

static char *rootfs_path(const rq_spec *s, const char *bundle)
{
        const char *p = s->root && s->root->path ? s->root->path : "rootfs";
        return p[0] == '/' ? strdup(p) : strprintf("%s/%s", bundle, p);
}

pid_t rq_clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
        /* struct clone_args of linux/sched.h (CLONE_ARGS_SIZE_VER2), spelled out: that header
         * and glibc's sched.h both define the CLONE_ flags. */
        struct {
                uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
                        set_tid, set_tid_size, cgroup;
        } args = {
                .flags = (flags & ~0xffUL) | RQ_CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgroup_fd,
        };
        return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* A raw clone: like fork, but the namespaces are the child's from its first instruction, and
 * with CLONE_NEWPID it is PID 1 there. With cgroup_fd >= 0 (v2), clone3 puts the child in that
 * cgroup as it is born (CLONE_INTO_CGROUP, 5.7+): the container never runs a moment outside
 * it, and nobody has to move it. The child runs the init and never returns. */
static pid_t clone_init(unsigned long flags, int cgroup_fd, const rq_init_ctx *c, int parent_sock)
{
        pid_t pid = cgroup_fd >= 0
                            ? rq_clone_into_cgroup(flags, cgroup_fd)
                            : (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0) {
                close(parent_sock);
                rq_init_run(c);
        }
        return pid;
}

/* Clone into the cgroup at cgroup_fd, or, when clone3 or CLONE_INTO_CGROUP is missing (ENOSYS,
 * E2BIG, EINVAL) or refuses for any other reason, a plain clone whose init waits to be moved
 * there by the parent (the attach names the reason if that fails too). *c is the child's
 * copy of the context: wait_for_parent says whether it waits. Sets *ret_joined. */
static pid_t clone_init_cgroup(unsigned long flags, int cgroup_fd, rq_init_ctx *c,
                               bool parent_steps_without_cgroup, int parent_sock, bool *ret_joined)
{
        *ret_joined = false;
        if (cgroup_fd >= 0) {
                bool wait = c->wait_for_parent;
                c->wait_for_parent = parent_steps_without_cgroup;
                pid_t pid = clone_init(flags, cgroup_fd, c, parent_sock);
                if (pid >= 0) {
                        *ret_joined = true;
                        return pid;
                }
                c->wait_for_parent = wait;
        }
        return clone_init(flags, -EBADF, c, parent_sock);
}

/* The init, cloned from inside the user namespace at userns_fd: namespaces are owned by the user
 * namespace their creator is in, and an unprivileged caller may create them only there. A
 * helper process joins it (setns to a user namespace is refused to a multithreaded caller, and
 * would change the runtime itself) and clones with CLONE_PARENT, so the init is still our
 * child; the helper sends {step, pid or -errno} over a pipe and exits (step 2: the init was
 * cloned into the cgroup at cgroup_fd). */
static pid_t clone_init_in_userns(int userns_fd, const char *path, unsigned long flags,
                                  int cgroup_fd, rq_init_ctx *c, bool parent_steps_without_cgroup,
                                  int parent_sock, bool *ret_joined, rq_error **reterr)
{
        *ret_joined = false;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return rq_error_set(reterr, errno, "create a pipe");
        pid_t helper = fork();
        if (helper < 0) {
                int err = errno;
                close(p[0]);
                close(p[1]);
                return rq_error_set(reterr, err, "fork to join the user namespace");
        }
        if (helper == 0) {
                close(p[0]);
                int v[2] = { 0, 0 };
                if (setns(userns_fd, CLONE_NEWUSER) < 0)
                        v[1] = -errno;
                else {
                        bool joined;
                        pid_t pid = clone_init_cgroup(flags | CLONE_PARENT, cgroup_fd, c,
                                                      parent_steps_without_cgroup, parent_sock,
                                                      &joined);
                        v[0] = joined ? 2 : 1;
                        v[1] = pid < 0 ? -errno : (int)pid;
                }
                (void)!write(p[1], v, sizeof(v));
                _exit(0);
        }
        close(p[1]);
        int v[2] = { 0, -EIO };
        ssize_t n = RETRY_EINTR(read(p[0], v, sizeof(v)));
        close(p[0]);
        (void)RETRY_EINTR(waitpid(helper, NULL, 0));
        if (n != sizeof(v))
                return rq_error_set(reterr, EIO,
                                    "clone the container init in the user namespace "
                                    "at %s: the helper died",
                                    path);
        if (v[1] < 0 && v[0] == 0)
                return rq_error_set(reterr, v[1], "linux.namespaces: join user at %s", path);
        if (v[1] < 0)
                return rq_error_set(reterr, v[1],
                                    "clone the container init in the user namespace at %s", path);
        *ret_joined = v[0] == 2;
        return v[1];
}

int rq_spawn(const rq_spawn_opts *o, pid_t *ret_pid, rq_error **reterr)
{
        const rq_spec *spec = o->spec;
        const char *bundle = o->bundle;
        int exec_fifo_fd = o->exec_fifo_fd;
        int k;
        if (!spec->process)
                return rq_error_invalid(reterr, "process: required to start a container");
        if ((k = rq_terminal_check(spec->process->terminal, o->console_socket,
                                   o->ret_console_fd != NULL, reterr)) < 0)
                return k;
        if (!rq_spec_namespace_find(spec, RQ_NS_MNT))
                return rq_error_invalid(reterr, "linux.namespaces: a mount namespace is required");
        _cleanup_free_ char *rootfs = rootfs_path(spec, bundle);
        if (!rootfs)
                return rq_error_set(reterr, ENOMEM, "rootfs path");

        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *seccomp = NULL;
        if (spec->linux_ && spec->linux_->seccomp &&
            (k = rq_seccomp_compile(spec->linux_->seccomp, &seccomp, reterr)) < 0)
                return k;
        /* Before the clone: an agent that is not there fails with nothing started. */
        _cleanup_close_ int agent = -EBADF;
        if (seccomp && seccomp->notify) {
                if (!o->state)
                        return rq_error_invalid(reterr, "linux.seccomp: SCMP_ACT_NOTIFY needs the "
                                                        "container's state for the agent");
                agent = rq_seccomp_agent_connect(spec->linux_->seccomp->listener_path, reterr);
                if (agent < 0)
                        return agent;
        }

        const rq_spec_namespace *userns = rq_spec_namespace_find(spec, RQ_NS_USER);
        _cleanup_close_ int userns_fd = -EBADF;
        if (userns && userns->path &&
            (userns_fd = rq_ns_open_path(userns->path, RQ_NS_USER, reterr)) < 0)
                return rq_error_wrap(reterr, "linux.namespaces: join user");
        /* Before the clone, in the host's user namespace (idmount.h); the init inherits them. */
        int *idmounts = NULL;
        if ((k = rq_idmount_prepare(spec, &idmounts, reterr)) < 0)
                return k;

        int flags = 0;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                const rq_spec_namespace *n = rq_spec_namespace_find(spec, (rq_ns_type)t);
                if (n && !n->path)
                        flags |= rq_ns_info_get((rq_ns_type)t)->clone_flag;
        }
        /* Not a clone flag: clone(2) reads that bit as part of the exit signal. The init
         * unshares it (timens.h). */
        bool new_timens = flags & CLONE_NEWTIME;
        flags &= ~CLONE_NEWTIME;
        /* A cgroup namespace's root is the cgroup its creator is in: the init unshares it once
         * the parent has put it in the container's cgroup, so that cgroup is its "/". */
        bool late_cgroupns = (flags & CLONE_NEWCGROUP) && o->cgroup;
        /* What the parent does while the init waits, before it runs anything of the config. */
        bool net_devices = spec->linux_ && spec->linux_->n_net_devices > 0;
        bool parent_steps = (flags & CLONE_NEWUSER) || o->cgroup || net_devices;
        if (late_cgroupns)
                flags &= ~CLONE_NEWCGROUP;
        int sv[2];
        if ((k = rq_sync_pair(sv)) < 0) {
                rq_idmount_close(idmounts, spec->n_mounts);
                return rq_error_set(reterr, k, "create the sync socket");
        }
        _cleanup_close_ int sock = sv[0];
        _cleanup_close_ int console = -EBADF;

        rq_init_ctx c = {
                .spec = spec,
                .rootfs = rootfs,
                .sync_fd = sv[1],
                .userns_created = flags & CLONE_NEWUSER,
                .userns_joined = userns_fd >= 0,
                .timens_created = new_timens,
                .cgroupns_late = late_cgroupns,
                .wait_for_parent = parent_steps,
                .idmount_fds = idmounts,
                .seccomp = seccomp,
                .cgroup = o->cgroup,
                .exec_fifo_fd = exec_fifo_fd,
                .preserve_fds = o->preserve_fds,
                .console_rows = o->console_rows,
                .console_cols = o->console_cols,
                .no_pivot = o->no_pivot,
                .session_keyring = o->session_keyring,
        };
        /* v2: the init is born in its cgroup (clone_init); v1 has one cgroup per hierarchy, and a
         * hybrid host's v1 ones matter most: the parent moves it. */
        /* RQ_TEST_NO_CLONE_INTO_CGROUP: the tests' way to take the fallback on a new kernel. */
        /* A systemd scope exists only once systemd has put the init in it (rq_cgroup_attach). */
        bool into = o->cgroup && o->cgroup->mode == RQ_CGROUP_V2 && o->cgroup->n_dirs == 1 &&
                    !o->cgroup->unit && !getenv("RQ_TEST_NO_CLONE_INTO_CGROUP");
        _cleanup_close_ int cgroup_fd =
                into ? open(o->cgroup->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        /* From inside a user namespace joined by path the helper moves the init with that
         * namespace's credentials: a cgroup of host root's is not writable to them, one
         * delegated to the (unprivileged) caller is. Only that case is worth the try. */
        struct stat cst;
        if (cgroup_fd >= 0 && userns_fd >= 0 &&
            (geteuid() == 0 || fstat(cgroup_fd, &cst) < 0 || cst.st_uid != geteuid()))
                cgroup_fd = safe_close(cgroup_fd);
        bool steps_without_cgroup = (flags & CLONE_NEWUSER) || net_devices;
        bool joined = false;
        pid_t pid = userns_fd >= 0 ? clone_init_in_userns(userns_fd, userns->path, (unsigned)flags,
                                                          cgroup_fd, &c, steps_without_cgroup,
                                                          sv[0], &joined, reterr)
                                   : clone_init_cgroup((unsigned)flags, cgroup_fd, &c,
                                                       steps_without_cgroup, sv[0], &joined);
        if (joined)
                parent_steps = steps_without_cgroup;
        if (pid > 0 && o->cgroup)
                rq_debug("container init %d: %s", (int)pid,
                         joined ? "born in its cgroup (clone3 CLONE_INTO_CGROUP)"
                                : "moved into its cgroup by the runtime (cgroup.procs)");
        if (pid < 0) {
                k = userns_fd >= 0 ? pid : rq_error_set(reterr, errno, "clone the container init");
                if (k == -EPERM && userns_fd < 0 && !(flags & CLONE_NEWUSER) && geteuid() != 0)
                        rq_error_hint(reterr, "an unprivileged user can create namespaces only "
                                              "inside a user namespace of their own: add "
                                              "{\"type\": \"user\"} with uid and gid mappings "
                                              "(rongqi-runtime spec --rootless writes such a "
                                              "config)");
                close(sv[1]);
                rq_idmount_close(idmounts, spec->n_mounts);
                return k;
        }
        close(sv[1]);
        rq_idmount_close(idmounts, spec->n_mounts);

        if (parent_steps) {
                if ((k = rq_sync_expect(sock, RQ_SYNC_CHILD_READY, NULL, NULL, reterr)) < 0 ||
                    ((flags & CLONE_NEWUSER) && (k = write_maps(spec, pid, reterr)) < 0) ||
                    (o->cgroup && !joined && (k = rq_cgroup_attach(o->cgroup, pid, reterr)) < 0) ||
                    (net_devices && (k = move_net_devices(spec, pid, reterr)) < 0) ||
                    (k = rq_sync_send(sock, RQ_SYNC_MAPS_DONE, NULL, 0, NULL, 0)) < 0)
                        goto fail;
        }
        if (rq_init_wants_hooks(spec)) {
                _cleanup_free_ char *state = NULL;
                if ((k = rq_sync_expect(sock, RQ_SYNC_HOOKS, NULL, NULL, reterr)) < 0)
                        goto fail;
                if (!o->hooks)
                        state = strdup("{}");
                else if ((k = o->hooks(pid, o->userdata, &state, reterr)) < 0)
                        goto fail;
                if (!state) {
                        k = rq_error_set(reterr, ENOMEM, "hooks state");
                        goto fail;
                }
                if ((k = rq_sync_send(sock, RQ_SYNC_HOOKS_DONE, state, strlen(state), NULL, 0)) <
                    0) {
                        rq_error_set(reterr, k, "send the state to the container init");
                        goto fail;
                }
        }
        if (spec->process->terminal) {
                _cleanup_close_ int master = expect_one_fd(sock, RQ_SYNC_CONSOLE_FD, reterr);
                if ((k = master) < 0)
                        goto fail;
                if (!o->console_socket)
                        console = TAKE_FD(master);
                else if ((k = rq_console_socket_send(o->console_socket, master, reterr)) < 0)
                        goto fail;
        }
        if (agent >= 0) {
                /* The init loaded its filter; the agent gets the listener and our state. */
                _cleanup_close_ int listener = expect_one_fd(sock, RQ_SYNC_SECCOMP_FD, reterr);
                _cleanup_free_ char *state = listener >= 0 ? o->state(pid, o->userdata) : NULL;
                if ((k = listener) < 0 ||
                    (!state && (k = rq_error_set(reterr, ENOMEM, "state for the seccomp agent"))) ||
                    (k = rq_seccomp_notify_forward(sock, &agent, spec->linux_->seccomp, listener,
                                                   state, pid, reterr)) < 0)
                        goto fail;
        }
        if ((k = rq_sync_expect(sock, RQ_SYNC_INIT_READY, NULL, NULL, reterr)) < 0 ||
            (exec_fifo_fd < 0 && (k = rq_sync_wait_exec(sock, reterr)) < 0))
                goto fail;
        if (o->ret_console_fd)
                *o->ret_console_fd = TAKE_FD(console);
        *ret_pid = pid;
        return 0;
fail:
        if (reterr && !*reterr)
                rq_error_set(reterr, k, "start the container");
        kill(pid, SIGKILL);
        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
        return k;
}
