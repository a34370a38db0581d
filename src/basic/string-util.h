/* String helpers. Return -errno or NULL on allocation failure; never log. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "basic/macro.h"

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}
/* Return the rest of s after prefix, or NULL if s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);
        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}
/* malloc'd printf; NULL on failure. */
char *strprintf(const char *fmt, ...) _printf_(1, 2);
/* Strip trailing whitespace in place, return s. */
char *strip_trailing(char *s);
/* Replace non-printable bytes with '?', in place (for showing command lines). */
char *str_sanitize(char *s);
