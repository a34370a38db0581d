/* The container init's side of creation: the ordered setup that runs in the cloned child, in
 * its new namespaces, ending in execve of process.args. Read init.c top to bottom as the
 * checklist. Every failure is sent to the parent over the sync socket (sync.h) as an rq_error
 * naming the step, and the child exits. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/cgroup.h"
#include "lib/seccomp.h"
#include "lib/spec.h"

typedef struct rq_init_ctx {
        const rq_spec *spec;
        const char *rootfs; /* absolute host path of the rootfs */
        int sync_fd; /* the child's end of the sync socketpair */
        bool userns_created; /* the parent writes the id maps: wait for it */
        bool userns_joined; /* cloned inside linux.namespaces' user path: do not join it again */
        bool timens_created; /* unshare a time namespace and write its offsets */
        bool cgroupns_late; /* unshare the cgroup namespace once in the container's cgroup */
        bool wait_for_parent; /* the parent writes id maps or joins us to a cgroup first */
        const int *idmount_fds; /* per mount: its id-mapped tree (idmount.h), or NULL */
        const rq_seccomp_prog *seccomp; /* compiled by the parent, or NULL */
        const rq_cgroup *cgroup; /* the container's cgroup (for cgroup mounts), or NULL */
        int exec_fifo_fd; /* O_RDWR fd of the exec fifo (create), or -1 (run) */
        unsigned preserve_fds; /* fds 3 .. 3+n-1 stay open, without close-on-exec */
        uint16_t console_rows, console_cols; /* pty size overriding process.consoleSize, or 0 */
        bool no_pivot; /* MS_MOVE + chroot instead of pivot_root */
        const char *session_keyring; /* join (or make) this session keyring, or NULL */
} rq_init_ctx;

/* execve through the container's PATH from env (execvpe would search the runtime's own); with
 * check_only, only look: 0 when an executable file is found. Returns -errno. */
int rq_exec_program(char *const *args, char *const *env, bool check_only);
/* runc's words for a failed exec (podman turns them into exit codes 127 and 126). */
int rq_exec_error(const char *arg0, int err, rq_error **reterr);

/* Load the seccomp filter p (if any) in its phase. Without no_new_privs the kernel wants
 * CAP_SYS_ADMIN for it, which process.capabilities usually drops: then it is loaded early, before
 * the process attributes (runc's order too), and the few setup calls after it (setuid, capset,
 * chdir, close_range, read, execve) run under it. With no_new_privs it is loaded late, so it
 * covers as little of the runtime as possible. A filter that notifies hands its listener to the
 * runtime over sync_fd (seccomp-notify.h). */
int rq_init_seccomp(const rq_seccomp_prog *p, const rq_spec_process *process, bool early,
                    int sync_fd, rq_error **reterr);

/* Does the init stop to let the runtime run hooks (any prestart, createRuntime,
 * createContainer or startContainer hook)? */
bool rq_init_wants_hooks(const rq_spec *spec);

/* Close every fd from 3 up but the preserved ones (3 .. 3+preserve-1, made inheritable) and
 * the ones in keep. */
int rq_init_close_fds(unsigned preserve, const int *keep, size_t n_keep, rq_error **reterr);
/* Check that the fds to preserve are open, before anything of ours can take their numbers. */
int rq_preserve_fds_check(unsigned preserve, rq_error **reterr);

/* Never returns: execs the container program or exits after reporting the error. */
_Noreturn void rq_init_run(const rq_init_ctx *c);
