/* A directory tree copied by fds. See copy-tree.h. */
#include "lib/copy-tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

/* Deeper trees are refused: each level holds two fds. */
#define COPY_DEPTH_MAX 128

typedef struct copy_ctx {
        const char *what;
        char path[PATH_MAX]; /* the entry being copied, relative to the top, for errors */
} copy_ctx;

static int copy_error(copy_ctx *c, int err, const char *op, rq_error **reterr)
{
        return rq_error_set(reterr, err, "%s: %s %s", c->what, op, *c->path ? c->path : ".");
}

/* Extended attributes of from onto to (both opened, not O_PATH), where the target takes them:
 * a security.* or trusted.* name may be refused without privilege, tmpfs may lack user.*. */
static int copy_xattrs(copy_ctx *c, int from, int to, rq_error **reterr)
{
        char names[8192], value[8192];
        ssize_t n = flistxattr(from, names, sizeof(names));
        if (n < 0)
                return errno == ENOTSUP || errno == ERANGE
                               ? 0
                               : copy_error(c, errno, "list the xattrs of", reterr);
        for (const char *name = names; name < names + n; name += strlen(name) + 1) {
                ssize_t len = fgetxattr(from, name, value, sizeof(value));
                if (len < 0) {
                        if (errno == ENODATA || errno == ERANGE)
                                continue;
                        return copy_error(c, errno, "read an xattr of", reterr);
                }
                if (fsetxattr(to, name, value, (size_t)len, 0) < 0 && errno != ENOTSUP &&
                    errno != EPERM && errno != EOPNOTSUPP)
                        return copy_error(c, errno, "set an xattr on", reterr);
        }
        return 0;
}

/* Owner, mode and timestamps of st onto dir_fd/name (not followed). An owner that is not
 * mapped in the user namespace (EINVAL) cannot be kept: the entry keeps ours. */
static int copy_attrs(copy_ctx *c, int dir_fd, const char *name, const struct stat *st,
                      rq_error **reterr)
{
        if (fchownat(dir_fd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != EINVAL)
                return copy_error(c, errno, "chown", reterr);
        /* After the chown, which clears the setuid and setgid bits. */
        if (!S_ISLNK(st->st_mode) && fchmodat(dir_fd, name, st->st_mode & 07777, 0) < 0)
                return copy_error(c, errno, "chmod", reterr);
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        if (utimensat(dir_fd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return copy_error(c, errno, "set the times of", reterr);
        return 0;
}

static int copy_file(copy_ctx *c, int from_dir, int to_dir, const char *name, const struct stat *st,
                     rq_error **reterr)
{
        _cleanup_close_ int in =
                openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return copy_error(c, errno, "open", reterr);
        _cleanup_close_ int out =
                openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return copy_error(c, errno, "create", reterr);
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0);
                if (n == 0)
                        break;
                if (n > 0)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return copy_error(c, errno, "copy", reterr);
                /* No copy_file_range between these file systems: read and write. */
                char buf[65536];
                ssize_t r;
                while ((r = RETRY_EINTR(read(in, buf, sizeof(buf)))) > 0)
                        if (write_all(out, buf, (size_t)r) < 0)
                                return copy_error(c, errno, "write", reterr);
                if (r < 0)
                        return copy_error(c, errno, "read", reterr);
                break;
        }
        return copy_xattrs(c, in, out, reterr);
}

static int copy_dir(copy_ctx *c, int from, int to, unsigned depth, rq_error **reterr);

static int copy_entry(copy_ctx *c, int from_dir, int to_dir, const char *name, unsigned depth,
                      rq_error **reterr)
{
        struct stat st;
        if (fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return copy_error(c, errno, "stat", reterr);
        int k = 0;
        switch (st.st_mode & S_IFMT) {
        case S_IFDIR: {
                if (mkdirat(to_dir, name, 0700) < 0)
                        return copy_error(c, errno, "mkdir", reterr);
                _cleanup_close_ int in =
                        openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                _cleanup_close_ int out =
                        openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (in < 0 || out < 0)
                        return copy_error(c, errno, "open the directory", reterr);
                if ((k = copy_dir(c, in, out, depth + 1, reterr)) < 0 ||
                    (k = copy_xattrs(c, in, out, reterr)) < 0)
                        return k;
                break;
        }
        case S_IFREG:
                if ((k = copy_file(c, from_dir, to_dir, name, &st, reterr)) < 0)
                        return k;
                break;
        case S_IFLNK: {
                char target[PATH_MAX];
                ssize_t n = readlinkat(from_dir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return copy_error(c, errno, "readlink", reterr);
                target[n] = '\0';
                if (symlinkat(target, to_dir, name) < 0)
                        return copy_error(c, errno, "symlink", reterr);
                break;
        }
        default: /* fifos, sockets, device nodes */
                if (mknodat(to_dir, name, st.st_mode & (S_IFMT | 0600), st.st_rdev) < 0)
                        return copy_error(c, errno, "mknod", reterr);
                break;
        }
        return copy_attrs(c, to_dir, name, &st, reterr);
}

static int copy_dir(copy_ctx *c, int from, int to, unsigned depth, rq_error **reterr)
{
        if (depth > COPY_DEPTH_MAX)
                return copy_error(c, ELOOP, "copy (more than 128 levels deep)", reterr);
        int fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return copy_error(c, errno, "open the directory", reterr);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return copy_error(c, errno, "read the directory", reterr);
        }
        size_t base = strlen(c->path);
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (base + strlen(de->d_name) + 2 >= sizeof(c->path))
                        return copy_error(c, ENAMETOOLONG, "copy an entry of", reterr);
                snprintf(c->path + base, sizeof(c->path) - base, "%s%s", base ? "/" : "",
                         de->d_name);
                int k = copy_entry(c, dirfd(d), to, de->d_name, depth, reterr);
                if (k < 0)
                        return k;
                c->path[base] = '\0';
                errno = 0;
        }
        if (errno != 0)
                return copy_error(c, errno, "read the directory", reterr);
        return 0;
}

int rq_copy_tree(int from_fd, int to_fd, const char *what, rq_error **reterr)
{
        copy_ctx c = { .what = what };
        int k = copy_dir(&c, from_fd, to_fd, 0, reterr);
        if (k < 0)
                return k;
        struct stat st;
        if (fstat(from_fd, &st) < 0)
                return copy_error(&c, errno, "stat", reterr);
        /* "." of the directory fd is the directory itself. */
        return copy_attrs(&c, to_fd, ".", &st, reterr);
}
