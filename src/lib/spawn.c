/* Parent's side of container creation. See spawn.h and, for the child, init.c. */
#include "lib/spawn.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/idmap.h"
#include "lib/init.h"
#include "lib/ns.h"
#include "lib/sync.h"
#include "lib/terminal.h"

static int spec_map(const rq_spec_idmap *m, size_t n, rq_idmap *ret, const char *what,
                    rq_error **reterr)
{
        *ret = (rq_idmap){ 0 };
        for (size_t i = 0; i < n; i++)
                if (rq_idmap_add(ret, m[i].container_id, m[i].host_id, m[i].size) < 0)
                        return rq_error_invalid(reterr, "%s[%zu]: cannot be mapped", what, i);
        return 0;
}

/* The parent's part of a new user namespace: its maps, as root writes them. */
static int write_maps(const rq_spec *s, pid_t pid, rq_error **reterr)
{
        rq_idmap uids, gids;
        int k;
        if ((k = spec_map(s->linux_->uid_mappings, s->linux_->n_uid_mappings, &uids,
                          "linux.uidMappings", reterr)) < 0 ||
            (k = spec_map(s->linux_->gid_mappings, s->linux_->n_gid_mappings, &gids,
                          "linux.gidMappings", reterr)) < 0)
                return k;
        if ((k = rq_idmap_write(pid, RQ_IDMAP_UID, &uids,
                                rq_idmap_needs_helper(RQ_IDMAP_UID, &uids), reterr)) < 0 ||
            (k = rq_idmap_write(pid, RQ_IDMAP_GID, &gids,
                                rq_idmap_needs_helper(RQ_IDMAP_GID, &gids), reterr)) < 0)
                return rq_error_wrap(reterr, "linux.uidMappings/gidMappings");
        return 0;
}

static char *rootfs_path(const rq_spec *s, const char *bundle)
{
        const char *p = s->root && s->root->path ? s->root->path : "rootfs";
        return p[0] == '/' ? strdup(p) : strprintf("%s/%s", bundle, p);
}

int rq_spawn(const rq_spawn_opts *o, pid_t *ret_pid, rq_error **reterr)
{
        const rq_spec *spec = o->spec;
        const char *bundle = o->bundle;
        int exec_fifo_fd = o->exec_fifo_fd;
        if (!spec->process)
                return rq_error_invalid(reterr, "process: required to start a container");
        if (spec->process->terminal && !o->console_socket)
                return rq_error_invalid(reterr, "process.terminal is set: give --console-socket "
                                                "to receive the terminal (this version does not "
                                                "relay one itself)");
        if (!rq_spec_namespace_find(spec, RQ_NS_MNT))
                return rq_error_invalid(reterr, "linux.namespaces: a mount namespace is required");
        _cleanup_free_ char *rootfs = rootfs_path(spec, bundle);
        if (!rootfs)
                return rq_error_set(reterr, ENOMEM, "rootfs path");

        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *seccomp = NULL;
        int k;
        if (spec->linux_ && spec->linux_->seccomp &&
            (k = rq_seccomp_compile(spec->linux_->seccomp, &seccomp, reterr)) < 0)
                return k;
        if (seccomp && seccomp->notify)
                return rq_error_set_plain(reterr, EOPNOTSUPP,
                                          "linux.seccomp: SCMP_ACT_NOTIFY (a listener at "
                                          "listenerPath) is not supported by this version of "
                                          "rongqi-runtime");

        int flags = 0;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                const rq_spec_namespace *n = rq_spec_namespace_find(spec, (rq_ns_type)t);
                if (n && !n->path)
                        flags |= rq_ns_info_get((rq_ns_type)t)->clone_flag;
        }
        int sv[2];
        if ((k = rq_sync_pair(sv)) < 0)
                return rq_error_set(reterr, k, "create the sync socket");
        _cleanup_close_ int sock = sv[0];

        /* A raw clone: like fork, but the namespaces are the child's from its first
         * instruction, and with CLONE_NEWPID it is PID 1 there. */
        pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid < 0) {
                k = -errno;
                close(sv[1]);
                return rq_error_set(reterr, k, "clone the container init");
        }
        if (pid == 0) {
                close(sv[0]);
                rq_init_ctx c = {
                        .spec = spec,
                        .rootfs = rootfs,
                        .sync_fd = sv[1],
                        .userns_created = flags & CLONE_NEWUSER,
                        .wait_for_parent = (flags & CLONE_NEWUSER) || o->cgroup,
                        .seccomp = seccomp,
                        .cgroup = o->cgroup,
                        .exec_fifo_fd = exec_fifo_fd,
                        .preserve_fds = o->preserve_fds,
                };
                rq_init_run(&c);
        }
        close(sv[1]);

        if ((flags & CLONE_NEWUSER) || o->cgroup) {
                if ((k = rq_sync_expect(sock, RQ_SYNC_CHILD_READY, NULL, NULL, reterr)) < 0 ||
                    ((flags & CLONE_NEWUSER) && (k = write_maps(spec, pid, reterr)) < 0) ||
                    (o->cgroup && (k = rq_cgroup_attach(o->cgroup, pid, reterr)) < 0) ||
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
                int fds[RQ_SYNC_FDS_MAX];
                size_t n = 0;
                if ((k = rq_sync_expect(sock, RQ_SYNC_CONSOLE_FD, fds, &n, reterr)) < 0)
                        goto fail;
                if (n != 1) {
                        for (size_t i = 0; i < n; i++)
                                close(fds[i]);
                        k = rq_error_set_plain(reterr, EPROTO,
                                               "the container init sent %zu "
                                               "terminal fds, not 1",
                                               n);
                        goto fail;
                }
                k = rq_console_socket_send(o->console_socket, fds[0], reterr);
                close(fds[0]);
                if (k < 0)
                        goto fail;
        }
        if ((k = rq_sync_expect(sock, RQ_SYNC_INIT_READY, NULL, NULL, reterr)) < 0 ||
            (exec_fifo_fd < 0 && (k = rq_sync_wait_exec(sock, reterr)) < 0))
                goto fail;
        *ret_pid = pid;
        return 0;
fail:
        if (reterr && !*reterr)
                rq_error_set(reterr, k, "start the container");
        kill(pid, SIGKILL);
        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
        return k;
}
