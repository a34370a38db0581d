/* The container's time namespace (linux.timeOffsets). clone(2) cannot create one: its flag,
 * CLONE_NEWTIME, lies in the exit-signal byte of clone's flags. And the offsets can only be
 * written while no process is in the namespace. So the init unshares it, which puts only its
 * future children (and itself at its next execve) in it, writes the offsets to
 * /proc/self/timens_offsets, and enters it by exec'ing the container's program. */
#pragma once

#include "lib/error.h"
#include "lib/spec.h"

/* unshare(CLONE_NEWTIME), then write l->time_offsets (if any) through proc_fd (an fd of the
 * procfs to use, checked to be procfs). Runs in the init, after the user namespace is set up
 * (it owns the time namespace) and before anything else enters it. */
int rq_timens_create(int proc_fd, const rq_spec_linux *l, rq_error **reterr);

/* The offsets as /proc/PID/timens_offsets takes them, one "CLOCK SECS NANOSECS" line each;
 * -ENOSPC when they do not fit in size bytes. Exposed for tests. */
int rq_timens_format(const rq_spec_linux *l, char *buf, size_t size);
