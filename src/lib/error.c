/* The rq_error chain: construction, wrapping, hints and formatting. */
#include "lib/error.h"

#include "basic/macro.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_printf_(1, 0) static char *vformat(const char *fmt, va_list ap)
{
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                return NULL;
        return s;
}

static int as_negative(int err)
{
        if (err == 0)
                return -EIO;
        return err < 0 ? err : -err;
}

/* Push a new outermost frame recording the positive errno err (0: none) and whether the text
 * ends in its strerror. Returns r. */
_printf_(5, 0) static int push_frame(rq_error **reterr, int err, bool show, int r, const char *fmt,
                                     va_list ap)
{
        if (!reterr)
                return r;
        rq_error *e = calloc(1, sizeof(*e));
        if (!e)
                return r;
        e->msg = vformat(fmt, ap);
        if (!e->msg) {
                free(e);
                return r;
        }
        e->err = err;
        e->show_errno = show;
        e->cause = *reterr;
        *reterr = e;
        return r;
}

int rq_error_set(rq_error **reterr, int err, const char *fmt, ...)
{
        int r = as_negative(err);
        va_list ap;
        va_start(ap, fmt);
        push_frame(reterr, -r, err != 0, r, fmt, ap);
        va_end(ap);
        return r;
}

int rq_error_invalid(rq_error **reterr, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        push_frame(reterr, EINVAL, false, -EINVAL, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int rq_error_set_plain(rq_error **reterr, int err, const char *fmt, ...)
{
        int r = as_negative(err);
        va_list ap;
        va_start(ap, fmt);
        push_frame(reterr, -r, false, r, fmt, ap);
        va_end(ap);
        return r;
}

int rq_error_errno(const rq_error *e)
{
        int err = 0;
        for (; e; e = e->cause)
                if (e->err)
                        err = e->err;
        return err ? err : EIO;
}

int rq_error_wrap(rq_error **reterr, const char *fmt, ...)
{
        if (!reterr || !*reterr)
                return -EIO;
        va_list ap;
        va_start(ap, fmt);
        int r = push_frame(reterr, 0, false, -rq_error_errno(*reterr), fmt, ap);
        va_end(ap);
        return r;
}

int rq_error_hint(rq_error **reterr, const char *fmt, ...)
{
        if (!reterr || !*reterr)
                return -EIO;
        va_list ap;
        va_start(ap, fmt);
        char *h = vformat(fmt, ap);
        va_end(ap);
        if (h) {
                free((*reterr)->hint);
                (*reterr)->hint = h;
        }
        return -rq_error_errno(*reterr);
}

const char *rq_error_get_hint(const rq_error *e)
{
        for (; e; e = e->cause)
                if (e->hint)
                        return e->hint;
        return NULL;
}

char *rq_error_format(const rq_error *e)
{
        size_t len = 1;
        const rq_error *last = NULL;
        for (const rq_error *i = e; i; i = i->cause) {
                len += strlen(i->msg) + 2;
                last = i;
        }
        const char *tail = last && last->err && last->show_errno ? strerror(last->err) : NULL;
        if (tail)
                len += strlen(tail) + 2;
        char *s = malloc(len);
        if (!s)
                return NULL;
        s[0] = 0;
        for (const rq_error *i = e; i; i = i->cause) {
                if (s[0])
                        strcat(s, ": ");
                strcat(s, i->msg);
        }
        if (tail) {
                if (s[0])
                        strcat(s, ": ");
                strcat(s, tail);
        }
        return s;
}

void rq_error_free(rq_error *e)
{
        while (e) {
                rq_error *next = e->cause;
                free(e->msg);
                free(e->hint);
                free(e);
                e = next;
        }
}
