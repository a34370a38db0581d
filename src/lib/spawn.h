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
 * bundle. Returns the init's pid (host view) once its program runs; the caller waits for it. */
int rq_spawn(const rq_spec *spec, const char *bundle, pid_t *ret_pid, rq_error **reterr);
