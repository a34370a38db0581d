/* The clone boundary, parent's side: from a parsed config to a running container init.
 *
 *   compile seccomp (libseccomp stays on this side) -> socketpair -> clone(namespace flags)
 *   -> [child: init.c] -> write id maps when a user namespace was created -> wait for
 *   INIT_READY -> wait for the exec (EOF on the socket) or the child's error.
 *
 * On any failure the child is killed and reaped: nothing is left running. */
#pragma once

#include <sys/types.h>

#include "lib/error.h"
#include "lib/spec.h"

/* Start the container described by spec, whose relative paths (root.path) are relative to
 * bundle. Without an exec fifo (exec_fifo_fd -1) returns the init's pid (host view) once its
 * program runs; with one (an O_RDWR fd of a fifo), once the init is ready and blocks reading
 * it: a byte written to the fifo lets it exec. */
/* Called when the init asks for the runtime's hooks (its namespaces exist, nothing is mounted
 * yet): run prestart and createRuntime for the init pid, and return the state JSON that the
 * init's own hooks (createContainer, startContainer) get. */
typedef int (*rq_spawn_hooks_fn)(pid_t pid, void *userdata, char **ret_state_json,
                                 rq_error **reterr);

int rq_spawn(const rq_spec *spec, const char *bundle, int exec_fifo_fd, rq_spawn_hooks_fn hooks,
             void *userdata, pid_t *ret_pid, rq_error **reterr);
