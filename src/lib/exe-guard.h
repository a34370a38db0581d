/* Keeping the runtime binary out of the container's reach (the CVE-2019-5736 class).
 *
 * Between clone and execve, the container's init (during the whole `created` state) and every
 * process `exec` sends in are this binary: their /proc/PID/exe and /proc/PID/map_files name
 * it, and a process in the container that could open one of those could overwrite the
 * binary on the host once it is no longer busy.
 *
 * Two layers:
 *  - Those processes are made non-dumpable. The kernel then allows /proc/PID/exe, map_files
 *    and ptrace only to a caller with CAP_SYS_PTRACE in the user namespace the binary was
 *    executed in: the host's. A container in its own user namespace never has that, nor does
 *    one without CAP_SYS_PTRACE in its bounding set.
 *  - For the remaining case (the host's user namespace and CAP_SYS_PTRACE possible in the
 *    container), the runtime first re-executes itself from a sealed memfd copy: /proc/PID/exe
 *    then names an anonymous file that refuses writes (F_SEAL_WRITE), and the binary on disk
 *    is never mapped into a process the container can reach. This costs a copy and an execve,
 *    so it is done only when needed. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "lib/spec.h"

/* Whether a container with spec, into which a process with caps is going (NULL: the spec's
 * own process), needs the memfd copy: it shares the host's user namespace and CAP_SYS_PTRACE
 * is in the bounding set of the container's process or of the one going in. */
bool rq_exe_guard_needed(const rq_spec *spec, const rq_spec_capabilities *caps);

/* True when this process runs from a sealed memfd copy of itself. */
bool rq_exe_guard_active(void);

/* Re-execute this process, with the same arguments and environment, from a sealed memfd copy
 * of its binary. Returns only on failure (or 0 at once when already running from one). Call
 * it before any side effect: the command starts again from the top. */
int rq_exe_guard_reexec(rq_error **reterr);
