/* Whole-file I/O by fd and fd hygiene helpers. Nothing here logs. */
#include "basic/fd-util.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "basic/macro.h"

int read_full_fd(int fd, char **ret, size_t *ret_size)
{
        size_t size = 0, alloc = 4096;
        _cleanup_free_ char *buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (size + 1 >= alloc) {
                        if (alloc > (64u << 20))
                                return -EFBIG;
                        char *n = realloc(buf, alloc * 2);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        alloc *= 2;
                }
                ssize_t k = RETRY_EINTR(read(fd, buf + size, alloc - size - 1));
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                size += (size_t)k;
        }
        buf[size] = 0;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_full_file_at(int dirfd, const char *path, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, ret, ret_size);
}

int write_all(int fd, const void *buf, size_t size)
{
        const char *p = buf;
        while (size > 0) {
                ssize_t k = RETRY_EINTR(write(fd, p, size));
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        return -EIO;
                p += k;
                size -= (size_t)k;
        }
        return 0;
}

int write_string_file_at(int dirfd, const char *path, const char *s)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return write_all(fd, s, strlen(s));
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

int close_all_fds_except(int from, const int *keep, size_t n_keep)
{
        int sorted[64];
        if (n_keep > ELEMENTSOF(sorted))
                return -E2BIG;
        memcpy(sorted, keep, n_keep * sizeof(int));
        qsort(sorted, n_keep, sizeof(int), cmp_int);

        unsigned int lo = (unsigned int)from;
        for (size_t i = 0; i < n_keep; i++) {
                if (sorted[i] < from)
                        continue;
                if ((unsigned int)sorted[i] > lo &&
                    syscall(SYS_close_range, lo, (unsigned int)sorted[i] - 1, 0) < 0)
                        return negative_errno();
                lo = (unsigned int)sorted[i] + 1;
        }
        if (syscall(SYS_close_range, lo, ~0u, 0) < 0)
                return negative_errno();
        return 0;
}

int fd_check_fstype(int fd, unsigned long magic)
{
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return negative_errno();
        return (unsigned long)sfs.f_type == magic ? 0 : -EXDEV;
}

ssize_t send_with_fds(int sock, const struct iovec *iov, size_t n_iov, const int *fds, size_t n_fds)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * 8)];
                struct cmsghdr align;
        } control;
        struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n_iov };
        if (n_fds > 8)
                return -EINVAL;
        if (n_fds > 0) {
                memset(&control, 0, sizeof(control));
                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        ssize_t k = RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL));
        return k < 0 ? negative_errno() : k;
}
