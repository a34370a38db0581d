/* File descriptor helpers: whole-file reads and writes by fd, fd type checks. Return -errno. */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Read everything from fd into a NUL-terminated malloc'd buffer. */
int read_full_fd(int fd, char **ret, size_t *ret_size);
/* Read a whole file at dirfd/path (dirfd may be AT_FDCWD). */
int read_full_file_at(int dirfd, const char *path, char **ret, size_t *ret_size);
/* Write all of buf to fd with one write(2) where possible (procfs files want a single write). */
int write_all(int fd, const void *buf, size_t size);
/* Open dirfd/path with O_WRONLY|O_CLOEXEC|O_NOFOLLOW and write s in one call. */
int write_string_file_at(int dirfd, const char *path, const char *s);
/* Close every fd >= from, except the ones listed in keep (sorted or not). */
int close_all_fds_except(int from, const int *keep, size_t n_keep);
/* Check that fd is on a filesystem with the given statfs magic: 0 yes, -EXDEV if not. */
int fd_check_fstype(int fd, unsigned long magic);
/* sendmsg(MSG_NOSIGNAL) of iov with n_fds fds (at most 8) attached as SCM_RIGHTS, retried on
 * EINTR. Returns the bytes sent. */
ssize_t send_with_fds(int sock, const struct iovec *iov, size_t n_iov, const int *fds,
                      size_t n_fds);
