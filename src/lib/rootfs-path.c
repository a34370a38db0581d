/* Paths inside a container rootfs: the -errno of basic/chase.c turned into rq_error messages
 * that name the path in the container and the rootfs on the host. */
#include "lib/rootfs-path.h"

#include <assert.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static_assert(CHASE_SYMLINKS_MAX == 40, "the ELOOP message below says 40");

int rq_rootfs_open(const char *path, rq_rootfs *ret, rq_error **reterr)
{
        _cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open rootfs %s", path);
        char *p = strdup(path);
        if (!p)
                return rq_error_set(reterr, ENOMEM, "open rootfs %s", path);
        *ret = (rq_rootfs){ .fd = TAKE_FD(fd), .path = p };
        return 0;
}

void rq_rootfs_done(rq_rootfs *r)
{
        r->fd = safe_close(r->fd);
        free(r->path);
        r->path = NULL;
}

/* Record err for path. why (NULL: strerror(err) says it) explains it in place of the strerror
 * tail; the errno stays in the error for callers. */
static int rootfs_error(const rq_rootfs *r, const char *what, const char *path, int err,
                        const char *why, rq_error **reterr)
{
#define ROOTFS_FMT "%s %s%s (in rootfs %s)"
        const char *w = what ? what : "path", *slash = path[0] == '/' ? "" : "/";
        if (why)
                return rq_error_set_plain(reterr, err, ROOTFS_FMT ": %s", w, slash, path, r->path,
                                          why);
        return rq_error_set(reterr, err, ROOTFS_FMT, w, slash, path, r->path);
#undef ROOTFS_FMT
}

/* What an error of chase_*_in_root() means; creating: from chase_mkdir_p_in_root() or
 * chase_create_in_root(). */
static int chase_error(const rq_rootfs *r, const char *what, const char *path, int err,
                       bool creating, unsigned chase_flags, rq_error **reterr)
{
        const char *why = NULL, *hint = NULL;
        switch (err) {
        case -ELOOP:
                why = (chase_flags & CHASE_NOFOLLOW_LAST)
                              ? "is a symlink, which is not followed, or leads through a symlink "
                                "loop, more than 40 symlinks or a /proc magic link: refused"
                              : "leads through a symlink loop, more than 40 symlinks or a /proc "
                                "magic link: refused";
                break;
        case -EXDEV:
                if (creating) {
                        why = "a symlink in the path leads outside the root and was not followed";
                        hint = "the image has a symlink on the way to this path whose target is "
                               "missing in the rootfs; use the path it stands for, or remove it";
                } else
                        why = "crosses a mount point: refused";
                break;
        case -ENOLINK:
                why = "a symlink in the path points to nothing in the rootfs: nothing was created "
                      "through it";
                break;
        case -EEXIST:
                why = creating ? "is a symlink: refused" : NULL;
                break;
        case -ENOTDIR:
                why = "not a directory";
                break;
        case -EISDIR:
                why = "is a directory";
                break;
        }
        rootfs_error(r, what, path, err, why, reterr);
        return hint ? rq_error_hint(reterr, "%s", hint) : err;
}

int rq_rootfs_resolve(const rq_rootfs *r, const char *what, const char *path, int open_flags,
                      unsigned chase_flags, int *ret_fd, rq_error **reterr)
{
        int k = chase_open_in_root(r->fd, path, open_flags, chase_flags, ret_fd);
        return k < 0 ? chase_error(r, what, path, k, false, chase_flags, reterr) : k;
}

int rq_rootfs_mkdir_p(const rq_rootfs *r, const char *what, const char *path, mode_t mode,
                      int *ret_fd, rq_error **reterr)
{
        int k = chase_mkdir_p_in_root(r->fd, path, mode, ret_fd);
        return k < 0 ? chase_error(r, what, path, k, true, 0, reterr) : k;
}

int rq_rootfs_create(const rq_rootfs *r, const char *what, const char *path, chase_create_kind kind,
                     mode_t mode, int *ret_fd, rq_error **reterr)
{
        int k = chase_create_in_root(r->fd, path, kind, mode, ret_fd);
        return k < 0 ? chase_error(r, what, path, k, true, 0, reterr) : k;
}

static const char *type_name(mode_t type)
{
        switch (type) {
        case S_IFREG:
                return "regular file";
        case S_IFDIR:
                return "directory";
        case S_IFCHR:
                return "character device";
        case S_IFBLK:
                return "block device";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "socket";
        case S_IFLNK:
                return "symlink";
        default:
                return "file";
        }
}

static const char *fs_name(unsigned long magic, char buf[static 32])
{
        switch (magic) {
        case PROC_SUPER_MAGIC:
                return "procfs";
        case SYSFS_MAGIC:
                return "sysfs";
        case TMPFS_MAGIC:
                return "tmpfs";
        default:
                snprintf(buf, 32, "filesystem type 0x%lx", magic);
                return buf;
        }
}

/* An error of fd_verify_kind() or fd_verify_device(); wanted says what fd should have been, as
 * in "is not <wanted>". */
static int verify_error(const rq_rootfs *r, const char *what, const char *path, int k,
                        const char *wanted, rq_error **reterr)
{
        char why[128];
        if (k == -ELOOP)
                snprintf(why, sizeof(why), "is a symlink: refused");
        else if (k == -ENOTDIR || k == -EISDIR || k == -ENODEV || k == -EMEDIUMTYPE || k == -EXDEV)
                snprintf(why, sizeof(why), "is not %s: refused", wanted);
        else
                return rootfs_error(r, what, path, k, NULL, reterr);
        return rootfs_error(r, what, path, k, why, reterr);
}

int rq_rootfs_verify_kind(const rq_rootfs *r, int fd, const char *what, const char *path,
                          mode_t type, unsigned long fs_magic, rq_error **reterr)
{
        int k = fd_verify_kind(fd, type, fs_magic);
        if (k >= 0)
                return k;
        char wanted[64], fs[32];
        if (k == -EXDEV)
                snprintf(wanted, sizeof(wanted), "on %s", fs_name(fs_magic, fs));
        else
                snprintf(wanted, sizeof(wanted), "a %s", type_name(type));
        return verify_error(r, what, path, k, wanted, reterr);
}

int rq_rootfs_verify_device(const rq_rootfs *r, int fd, const char *what, const char *path,
                            mode_t type, dev_t devnum, rq_error **reterr)
{
        int k = fd_verify_device(fd, type, devnum);
        if (k >= 0)
                return k;
        char wanted[64];
        snprintf(wanted, sizeof(wanted), "the %s %u:%u", type_name(type), major(devnum),
                 minor(devnum));
        return verify_error(r, what, path, k, wanted, reterr);
}
