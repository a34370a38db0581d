/* One error type for the whole core: an errno, a message saying what was being done, an optional
 * hint saying how to fix it, and an optional cause (the inner error it wraps).
 *
 * Functions that can fail in ways a caller must explain take `rq_error **reterr` as their last
 * argument and return the same -errno they record:
 *
 *     return rq_error_set(reterr, errno, "mount proc on %s", path);
 *     ...
 *     if (r < 0)
 *             return rq_error_wrap(reterr, "create container %s", id);
 *
 * Formatted, the chain reads outermost first: "create container web: mount proc on /x/proc:
 * Operation not permitted". Only front ends print errors (through log.h). */
#pragma once

#include <stdbool.h>

#include "basic/macro.h"

typedef struct rq_error {
        int err; /* positive errno; 0 in a frame that only wraps its cause */
        bool show_errno; /* the text ends with strerror(err): a call failed with err */
        char *msg; /* what was being done, never NULL */
        char *hint; /* how to fix it, or NULL */
        struct rq_error *cause;
} rq_error;

/* Record a new error. err may be positive or negative; returns -|err|. err 0 records an error
 * that is no errno (formatted without a strerror tail) and returns -EIO.
 * reterr may be NULL, then only the return value is produced. If *reterr already holds an
 * error, the new one becomes its outer frame. */
int rq_error_set(rq_error **reterr, int err, const char *fmt, ...) _printf_(3, 4);
/* A mistake in what was asked (a usage or validation error), not a failed call: recorded without
 * an errno, so it formats without a strerror tail; returns -EINVAL. */
int rq_error_invalid(rq_error **reterr, const char *fmt, ...) _printf_(2, 3);
/* The same for another errno: the message says it all, no strerror tail; returns -|err|
 * ("container does not exist: web" with -ENOENT). */
int rq_error_set_plain(rq_error **reterr, int err, const char *fmt, ...) _printf_(3, 4);
/* Add an outer frame to an existing error; returns the -errno of the error. */
int rq_error_wrap(rq_error **reterr, const char *fmt, ...) _printf_(2, 3);
/* Attach a hint to the outermost frame (replacing an earlier hint); returns its -errno. */
int rq_error_hint(rq_error **reterr, const char *fmt, ...) _printf_(2, 3);
/* The errno (positive) of the innermost frame that has one. */
int rq_error_errno(const rq_error *e);
/* The first hint found walking from the outermost frame inward, or NULL. */
const char *rq_error_get_hint(const rq_error *e);
/* "outer: inner: strerror" — malloc'd, NULL on allocation failure. */
char *rq_error_format(const rq_error *e);
void rq_error_free(rq_error *e);
static inline void rq_error_freep(rq_error **e)
{
        rq_error_free(*e);
        *e = NULL;
}
#define _cleanup_error_ _cleanup_(rq_error_freep)
