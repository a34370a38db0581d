/* Strict number and name parsing: whole string, no sign surprises, range-checked. Return -errno
 * (-EINVAL for bad syntax, -ERANGE for out of range). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

int parse_uint32(const char *s, uint32_t *ret);
int parse_int64(const char *s, int64_t *ret);
/* A size as runc takes memory flags: a number (fractions too) with an optional binary unit
 * k, m, g, t, p (any case), an optional "i" and "b": 64m, 1.5g, 512KiB, 100. */
int parse_size(const char *s, int64_t *ret);
int parse_pid(const char *s, pid_t *ret);
/* A signal by number ("9"), name ("KILL") or full name ("SIGKILL"), case-insensitive. */
int parse_signal(const char *s, int *ret);
/* The canonical name of a signal without the SIG prefix, or NULL if unknown. */
const char *signal_to_name(int sig);
/* The next range of a CPU or node list ("0-3,7") already checked for syntax: 1 and [lo, hi],
 * or 0 at its end. */
int parse_list_next(const char **s, unsigned long *lo, unsigned long *hi);
