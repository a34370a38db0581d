/* Progress of a long copy: on a terminal one line redrawn in place (a bar, bytes, rate); else one
 * line when it starts and one when it ends, so logs stay readable. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rq_progress rq_progress;

/* f NULL: no output at all (the functions below accept a NULL progress). total 0: unknown. */
rq_progress *rq_progress_new(FILE *f, bool tty, const char *what, const char *name, uint64_t total);
void rq_progress_add(rq_progress *p, uint64_t n);
/* Finished successfully: the final line. Freeing without it leaves the line as it was. */
void rq_progress_done(rq_progress *p);
void rq_progress_free(rq_progress *p);
static inline void rq_progress_freep(rq_progress **p)
{
        rq_progress_free(*p);
        *p = NULL;
}

/* "1.5 MB" with SI units as docker and podman print sizes. */
void rq_format_size(uint64_t bytes, char *buf, size_t size);
