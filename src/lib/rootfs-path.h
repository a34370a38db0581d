/* Paths inside a container rootfs, as the runtime's mount and device code meets them: resolved
 * and created with basic/chase.h (so a symlink in the image never leads out of the rootfs), and
 * checked by fd before anything is written or mounted. Each failure becomes an rq_error naming
 * the path inside the container and the rootfs on the host:
 *
 *     mount destination /etc/evil (in rootfs /x/rootfs): a symlink in the path leads outside
 *     the root and was not followed
 *
 * Every function takes `what` (what the path is for: "mount destination", "device"; NULL says
 * "path") for the message; paths are shown with a leading "/" as the container sees them. */
#pragma once

#include <sys/types.h>

#include "basic/chase.h"
#include "lib/error.h"

typedef struct rq_rootfs {
        int fd; /* O_PATH | O_DIRECTORY, owned */
        char *path; /* the host path, for messages */
} rq_rootfs;

#define RQ_ROOTFS_NULL ((rq_rootfs){ .fd = -EBADF, .path = NULL })

/* Open the rootfs directory at the host path path. Symlinks in path itself are followed: it
 * comes from the bundle or the engine, not from the image. */
int rq_rootfs_open(const char *path, rq_rootfs *ret, rq_error **reterr);
void rq_rootfs_done(rq_rootfs *r);

/* chase_open_in_root() in the rootfs. */
int rq_rootfs_resolve(const rq_rootfs *r, const char *what, const char *path, int open_flags,
                      unsigned chase_flags, int *ret_fd, rq_error **reterr);
/* chase_mkdir_p_in_root() in the rootfs. */
int rq_rootfs_mkdir_p(const rq_rootfs *r, const char *what, const char *path, mode_t mode,
                      int *ret_fd, rq_error **reterr);
/* chase_create_in_root() in the rootfs: a mount target that is never a symlink. */
int rq_rootfs_create(const rq_rootfs *r, const char *what, const char *path, chase_create_kind kind,
                     mode_t mode, int *ret_fd, rq_error **reterr);

/* fd_verify_kind() on fd, which was resolved from path: e.g. that a file about to be written is
 * on procfs (S_IFREG, PROC_SUPER_MAGIC) and not something an image swapped in. */
int rq_rootfs_verify_kind(const rq_rootfs *r, int fd, const char *what, const char *path,
                          mode_t type, unsigned long fs_magic, rq_error **reterr);
/* fd_verify_device() on fd, which was resolved from path: e.g. that /dev/null is S_IFCHR
 * makedev(1, 3). */
int rq_rootfs_verify_device(const rq_rootfs *r, int fd, const char *what, const char *path,
                            mode_t type, dev_t devnum, rq_error **reterr);
