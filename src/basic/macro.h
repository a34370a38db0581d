/* Small language helpers shared by every file: cleanup attributes, ownership moves and array
 * sizes. Nothing here logs or allocates. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Take ownership of a pointer or fd out of a cleanup variable. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tp = (p);                                                           \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _tf = (fd);                                                                    \
                (fd) = -EBADF;                                                                     \
                _tf;                                                                               \
        })

/* Close an fd, keeping errno, and return -EBADF so callers can write fd = safe_close(fd). */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd)
{
        safe_close(*fd);
}
static inline void freep(void *p)
{
        free(*(void **)p);
}
static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Free a NULL-terminated array of strings. */
static inline void strv_free(char **l)
{
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}

#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Retry a syscall-style expression on EINTR. */
#define RETRY_EINTR(expr)                                                                          \
        ({                                                                                         \
                __typeof__(expr) _r;                                                               \
                do                                                                                 \
                        _r = (expr);                                                               \
                while (_r < 0 && errno == EINTR);                                                  \
                _r;                                                                                \
        })

/* Return -errno, never 0, even if errno was left 0 by a misbehaving call. */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
