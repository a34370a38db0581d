/* The clone boundary, parent's side: from a parsed config to a running container init.
 *
 *   compile seccomp (libseccomp stays on this side; connect to the seccomp agent when the
 *   filter notifies) -> socketpair -> clone(namespace flags) -> [child: init.c] -> write id
 *   maps when a user namespace was created -> (hooks, terminal, the seccomp listener to the
 *   agent) -> wait for INIT_READY -> wait for the exec (EOF on the socket) or the child's
 *   error.
 *
 * On any failure the child is killed and reaped: nothing is left running. */
#pragma once

#include <sys/types.h>

#include "lib/error.h"
#include "lib/cgroup.h"
#include "lib/spec.h"

/* Start the container described by o->spec. Without an exec fifo returns the init's pid (host
 * view) once its program runs; with one, once the init is ready and blocks reading it: a byte
 * written to the fifo lets it exec. With process.terminal, the init allocates a pty in the
 * container's devpts and the master goes to o->console_socket (runc's protocol) or back to the
 * caller. */
/* Called when the init asks for the runtime's hooks (its namespaces exist, nothing is mounted
 * yet): run prestart and createRuntime for the init pid, and return the state JSON that the
 * init's own hooks (createContainer, startContainer) get. */
typedef int (*rq_spawn_hooks_fn)(pid_t pid, void *userdata, char **ret_state_json,
                                 rq_error **reterr);

/* The container's OCI state JSON (status "creating") for the init pid, malloc'd, or NULL when
 * out of memory: what the seccomp agent receives (seccomp-notify.h). */
typedef char *(*rq_spawn_state_fn)(pid_t pid, void *userdata);

typedef struct rq_spawn_opts {
        const rq_spec *spec;
        const char *bundle; /* root.path is relative to it */
        int exec_fifo_fd; /* O_RDWR fd of the exec fifo (create), or -1 (run) */
        const char *console_socket; /* process.terminal: send the pty master there */
        int *ret_console_fd; /* process.terminal without console_socket: the pty master comes
                                back here (a foreground run relays it); NULL: refused */
        uint16_t console_rows, console_cols; /* pty size overriding process.consoleSize, or 0 */
        unsigned preserve_fds; /* fds 3 .. 3+n-1 of the caller go into the container */
        const rq_cgroup *cgroup; /* join the init to it before it runs, or NULL */
        bool no_pivot; /* MS_MOVE + chroot instead of pivot_root */
        const char *session_keyring; /* the init joins a session keyring of this name; NULL:
                                      * it keeps the caller's */
        rq_spawn_hooks_fn hooks; /* NULL: no runtime hooks */
        rq_spawn_state_fn state; /* required for a seccomp filter that notifies */
        void *userdata; /* for hooks and state */
} rq_spawn_opts;

int rq_spawn(const rq_spawn_opts *o, pid_t *ret_pid, rq_error **reterr);

#define RQ_CLONE_INTO_CGROUP 0x200000000ULL /* linux/sched.h, 5.7+ */
/* clone3 like fork (SIGCHLD, no new stack) plus the namespace flags, the child born in the
 * cgroup2 directory open at cgroup_fd (O_PATH is enough): 0 in the child, its pid in the
 * parent, -1 with errno (ENOSYS, E2BIG or EINVAL: the kernel has no CLONE_INTO_CGROUP). */
pid_t rq_clone_into_cgroup(unsigned long flags, int cgroup_fd);
