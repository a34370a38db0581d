/* Entry names and parent directories for layer.c: names are cleaned (and ".." refused) as text,
 * then each parent component is looked up with O_NOFOLLOW, top-down through the layer being
 * written and the lower layers the merged view would show, as overlayfs resolves them. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "engine/store/layer-internal.h"

/* Deeper trees are not removed: each level holds an fd. */
#define RM_DEPTH_MAX 1024

int layer_path_normalize(const char *name, char **ret)
{
        if (name[0] == '/')
                return -EXDEV;
        size_t n = strlen(name);
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return -ENOMEM;
        for (const char *p = name; *p;) {
                size_t len = strcspn(p, "/");
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        free(out);
                        return -EINVAL;
                }
                if (len > 0 && !(len == 1 && p[0] == '.')) {
                        if (o != out)
                                *o++ = '/';
                        memcpy(o, p, len);
                        o += len;
                }
                p += len;
                p += strspn(p, "/");
        }
        *o = 0;
        *ret = out;
        return 0;
}

void layer_proc_path(char buf[static 4096 + 32], int dir_fd, const char *name)
{
        if (name)
                snprintf(buf, 4096 + 32, "/proc/self/fd/%d/%s", dir_fd, name);
        else
                snprintf(buf, 4096 + 32, "/proc/self/fd/%d", dir_fd);
}

static int open_subdir(int dir_fd, const char *name)
{
        int fd = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* Whether the directory fd (or fd/name) carries the opaque marker of this unpack's mode. */
static bool dir_is_opaque(const layer_ctx *c, int fd, const char *name)
{
        char path[4096 + 32], v[2];
        layer_proc_path(path, fd, name);
        /* /proc/self/fd/N is a link to follow; N/name's last component is not. */
        ssize_t n = name ? lgetxattr(path, c->opaque_xattr, v, sizeof(v))
                         : getxattr(path, c->opaque_xattr, v, sizeof(v));
        return n == 1 && v[0] == 'y';
}

static void close_from(int *fds, size_t from, size_t n)
{
        for (size_t i = from; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

static int walk_error(layer_ctx *c, int err, const char *dir, size_t len, const char *what,
                      rq_error **reterr)
{
        return rq_error_set_plain(reterr, err, "layer entry %s: %.*s %s", c->entry, (int)len, dir,
                                  what);
}

/* Step from the directory *cur (this layer) and lows (the lower layers still merged into it,
 * -EBADF where gone) into the component name. */
static int walk_step(layer_ctx *c, int *cur, int *lows, const char *dir, size_t prefix_len,
                     const char *name, rq_error **reterr)
{
        struct stat st;
        bool here = false, was_whiteout = false, hides = false;

        if (fstatat(*cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISLNK(st.st_mode))
                        return walk_error(
                                c, ELOOP, dir, prefix_len,
                                "is a symlink in this layer: refusing to write through it", reterr);
                if (layer_is_whiteout(&st)) {
                        /* Deleted, then recreated as a directory by this entry: the new
                         * directory is opaque so that it does not show what the lower layers
                         * had. */
                        if (unlinkat(*cur, name, 0) < 0)
                                return rq_error_set(reterr, errno,
                                                    "layer entry %s: remove whiteout", c->entry);
                        was_whiteout = hides = true;
                } else if (!S_ISDIR(st.st_mode))
                        return walk_error(c, ENOTDIR, dir, prefix_len,
                                          "is not a directory in this layer", reterr);
                else
                        here = true;
        } else if (errno != ENOENT)
                return rq_error_set(reterr, errno, "layer entry %s: look up %.*s", c->entry,
                                    (int)prefix_len, dir);
        if (here && dir_is_opaque(c, *cur, name))
                hides = true;

        bool above = here;
        for (size_t i = 0; i < c->n_lower; i++) {
                if (lows[i] < 0)
                        continue;
                if (hides) {
                        lows[i] = safe_close(lows[i]);
                        continue;
                }
                if (fstatat(lows[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                return rq_error_set(reterr, errno,
                                                    "layer entry %s: look up %.*s in a lower layer",
                                                    c->entry, (int)prefix_len, dir);
                        lows[i] = safe_close(lows[i]);
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        int fd = open_subdir(lows[i], name);
                        if (fd < 0)
                                return rq_error_set(reterr, -fd,
                                                    "layer entry %s: open %.*s in a lower layer",
                                                    c->entry, (int)prefix_len, dir);
                        safe_close(lows[i]);
                        lows[i] = fd;
                        above = true;
                        hides = dir_is_opaque(c, fd, NULL);
                        continue;
                }
                /* A whiteout ends the lookup; so does any other non-directory, which a directory
                 * above it hides. Without one above, a symlink is what the merged view shows at
                 * this path, and the entry would land wherever it points. */
                if (!above && S_ISLNK(st.st_mode))
                        return walk_error(c, ELOOP, dir, prefix_len,
                                          "is a symlink in a lower layer: refusing to write "
                                          "through it",
                                          reterr);
                lows[i] = safe_close(lows[i]);
                hides = true;
        }

        if (!here) {
                if (mkdirat(*cur, name, 0755) < 0)
                        return rq_error_set(reterr, errno, "layer entry %s: create directory %.*s",
                                            c->entry, (int)prefix_len, dir);
                if (was_whiteout) {
                        char path[4096 + 32];
                        layer_proc_path(path, *cur, name);
                        if (lsetxattr(path, c->opaque_xattr, "y", 1, 0) < 0)
                                return rq_error_set(reterr, errno,
                                                    "layer entry %s: mark %.*s opaque", c->entry,
                                                    (int)prefix_len, dir);
                }
        }
        int fd = open_subdir(*cur, name);
        if (fd < 0)
                return rq_error_set(reterr, -fd, "layer entry %s: open %.*s", c->entry,
                                    (int)prefix_len, dir);
        safe_close(*cur);
        *cur = fd;
        return 0;
}

static void walk_cache_drop(layer_ctx *c)
{
        free(c->cache_path);
        c->cache_path = NULL;
        c->cache_fd = safe_close(c->cache_fd);
}

int layer_walk_parent(layer_ctx *c, const char *dir, int *ret_fd, rq_error **reterr)
{
        if (c->cache_path && streq(c->cache_path, dir)) {
                *ret_fd = c->cache_fd;
                return 0;
        }
        walk_cache_drop(c);

        _cleanup_free_ int *lows = calloc(c->n_lower ? c->n_lower : 1, sizeof(int));
        _cleanup_free_ char *copy = strdup(dir);
        _cleanup_close_ int cur = fcntl(c->dest_fd, F_DUPFD_CLOEXEC, 3);
        int r = 0;
        if (!lows || !copy)
                return rq_error_set(reterr, ENOMEM, "layer entry %s", c->entry);
        if (cur < 0)
                return rq_error_set(reterr, errno, "layer entry %s: dup", c->entry);
        for (size_t i = 0; i < c->n_lower; i++)
                lows[i] = -EBADF;
        for (size_t i = 0; i < c->n_lower; i++) {
                lows[i] = fcntl(c->lower_fds[i], F_DUPFD_CLOEXEC, 3);
                if (lows[i] < 0) {
                        r = rq_error_set(reterr, errno, "layer entry %s: dup", c->entry);
                        goto out;
                }
        }
        if (dir_is_opaque(c, cur, NULL))
                close_from(lows, 0, c->n_lower);

        for (char *p = copy; *p;) {
                size_t len = strcspn(p, "/");
                char save = p[len];
                p[len] = 0;
                r = walk_step(c, &cur, lows, dir, (size_t)(p - copy) + len, p, reterr);
                p[len] = save; /* copy becomes the cache key */
                if (r < 0)
                        goto out;
                p += len + (save ? 1 : 0);
        }
        c->cache_path = TAKE_PTR(copy);
        c->cache_fd = TAKE_FD(cur);
        *ret_fd = c->cache_fd;
out:
        close_from(lows, 0, c->n_lower);
        return r;
}

int layer_open_dir_in_layer(int dest_fd, const char *dir, int *ret_fd)
{
        _cleanup_free_ char *copy = strdup(dir);
        _cleanup_close_ int cur = fcntl(dest_fd, F_DUPFD_CLOEXEC, 3);
        if (!copy)
                return -ENOMEM;
        if (cur < 0)
                return negative_errno();
        for (char *p = copy; *p;) {
                size_t len = strcspn(p, "/");
                bool last = p[len] == 0;
                p[len] = 0;
                struct stat st;
                if (fstatat(cur, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                if (S_ISLNK(st.st_mode))
                        return -ELOOP;
                int fd = open_subdir(cur, p);
                if (fd < 0)
                        return fd;
                safe_close(cur);
                cur = fd;
                p += len + (last ? 0 : 1);
        }
        *ret_fd = TAKE_FD(cur);
        return 0;
}

static int rm_rf_children(int dir_fd, unsigned depth)
{
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return negative_errno();
        }
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                if (S_ISDIR(st.st_mode)) {
                        if (depth >= RM_DEPTH_MAX)
                                return -ELOOP;
                        _cleanup_close_ int sub =
                                openat(dirfd(d), de->d_name,
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                return negative_errno();
                        int r = rm_rf_children(sub, depth + 1);
                        if (r < 0)
                                return r;
                }
                if (unlinkat(dirfd(d), de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                        return negative_errno();
        }
        return errno > 0 ? -errno : 0;
}

int layer_rm_rf_at(int dir_fd, const char *name)
{
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int sub =
                        openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return negative_errno();
                int r = rm_rf_children(sub, 0);
                if (r < 0)
                        return r;
        }
        return unlinkat(dir_fd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 ? negative_errno()
                                                                                  : 0;
}
