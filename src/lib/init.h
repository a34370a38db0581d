/* The container init's side of creation: the ordered setup that runs in the cloned child, in
 * its new namespaces, ending in execve of process.args. Read init.c top to bottom as the
 * checklist. Every failure is sent to the parent over the sync socket (sync.h) as an rq_error
 * naming the step, and the child exits. */
#pragma once

#include <stdbool.h>

#include "lib/seccomp.h"
#include "lib/spec.h"

typedef struct rq_init_ctx {
        const rq_spec *spec;
        const char *rootfs; /* absolute host path of the rootfs */
        int sync_fd; /* the child's end of the sync socketpair */
        bool userns_created; /* the parent writes the id maps: wait for it */
        const rq_seccomp_prog *seccomp; /* compiled by the parent, or NULL */
        int exec_fifo_fd; /* O_RDWR fd of the exec fifo (create), or -1 (run) */
} rq_init_ctx;

/* Never returns: execs the container program or exits after reporting the error. */
_Noreturn void rq_init_run(const rq_init_ctx *c);
