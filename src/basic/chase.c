/* Path resolution inside a root directory: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * first, a component-by-component walk with O_PATH | O_NOFOLLOW fds where openat2 is missing;
 * mkdir -p and mount target creation on top of it; checks of what an fd really is. Nothing here
 * logs. */
#include "basic/chase.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

/* How often a resolution is tried again when it returned EAGAIN: openat2 does so when a rename
 * or mount raced a ".." step, the walk when the final reopen met another inode. */
#define CHASE_RETRIES 32
/* The inode of the root directory of every procfs mount. */
#define PROC_ROOT_INO 1

/* The one piece of global state: the test seam of chase_force_fallback(). */
static bool force_fallback;

void chase_force_fallback(bool b)
{
        force_fallback = b;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int open_dir_path(int dir_fd, const char *name)
{
        int fd = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* Read the target of the symlink held by the O_PATH | O_NOFOLLOW fd link_fd. */
static int read_link_fd(int link_fd, char buf[static PATH_MAX])
{
        ssize_t n = readlinkat(link_fd, "", buf, PATH_MAX);
        if (n < 0)
                return negative_errno();
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        buf[n] = 0;
        return n == 0 ? -ENOENT : 0;
}

/* The mount fd is on, for CHASE_NO_XDEV: its mount id where statx knows it (Linux 5.8), else its
 * device, which cannot tell bind mounts of one filesystem apart. */
static int fd_mount_key(int fd, uint64_t *ret)
{
        struct statx sx;
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0) {
                struct stat st;
                if (errno != ENOSYS || fstat(fd, &st) < 0)
                        return negative_errno();
                *ret = st.st_dev;
                return 0;
        }
        *ret = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id
                                            : makedev(sx.stx_dev_major, sx.stx_dev_minor);
        return 0;
}

/* The state of one walk (the fallback resolver). */
typedef struct walk {
        int root_fd; /* borrowed */
        struct stat root_st;
        unsigned flags; /* chase_flag bits */
        unsigned n_links; /* symlinks followed so far */
        char *rest; /* what is left to resolve; replaced when a symlink is expanded */
} walk;

static int walk_check_xdev(const walk *w, int from_fd, int to_fd)
{
        if (!(w->flags & CHASE_NO_XDEV))
                return 0;
        uint64_t a, b;
        int r = fd_mount_key(from_fd, &a);
        if (r < 0)
                return r;
        r = fd_mount_key(to_fd, &b);
        if (r < 0)
                return r;
        return a == b ? 0 : -EXDEV;
}

/* Move *cur to the directory next (taking ownership of next). */
static int walk_enter(const walk *w, int *cur, int next)
{
        _cleanup_close_ int fd = next;
        int r = walk_check_xdev(w, *cur, fd);
        if (r < 0)
                return r;
        safe_close(*cur);
        *cur = TAKE_FD(fd);
        return 0;
}

/* "..": clamped at the root, as RESOLVE_IN_ROOT does. The walk keeps no stack of the directories
 * it went through (a PATH_MAX path may be 2000 levels deep, more than the fd limit); a directory
 * moved away while it is being walked is what openat2 detects and this cannot. */
static int walk_dotdot(const walk *w, int *cur)
{
        struct stat st;
        if (fstat(*cur, &st) < 0)
                return negative_errno();
        if (same_inode(&st, &w->root_st))
                return 0;
        int fd = open_dir_path(*cur, "..");
        if (fd < 0)
                return fd;
        return walk_enter(w, cur, fd);
}

/* Follow the symlink link_fd found in *cur: its text followed by rest becomes what is left to
 * resolve, an absolute text starts again at the root. */
static int walk_follow(walk *w, int *cur, int link_fd, const char *rest)
{
        if (++w->n_links > CHASE_SYMLINKS_MAX)
                return -ELOOP;
        /* A magic link (/proc/PID/root, /proc/PID/fd/N, ...) is refused like RESOLVE_NO_MAGICLINKS
         * does: they sit in procfs directories below its root, while the ordinary procfs
         * symlinks (self, thread-self, mounts, net) all sit in the root. Reading such a link's
         * text and resolving it inside the root would not escape, but would not be what the
         * kernel does either. */
        int r = fd_check_fstype(*cur, PROC_SUPER_MAGIC);
        if (r == 0) {
                struct stat st;
                if (fstat(*cur, &st) < 0)
                        return negative_errno();
                if (st.st_ino != PROC_ROOT_INO)
                        return -ELOOP;
        } else if (r != -EXDEV)
                return r;

        char target[PATH_MAX];
        r = read_link_fd(link_fd, target);
        if (r < 0)
                return r;
        if (target[0] == '/') {
                int fd = open_dir_path(w->root_fd, ".");
                if (fd < 0)
                        return fd;
                r = walk_enter(w, cur, fd);
                if (r < 0)
                        return r;
        }
        char *s = strprintf("%s%s", target, rest);
        if (!s)
                return -ENOMEM;
        free(w->rest);
        w->rest = s;
        return 0;
}

/* Open the final object, final_fd (an O_PATH fd of name in parent_fd, or of a directory with
 * name ""), with the caller's flags. */
static int walk_finish(int parent_fd, int final_fd, const char *name, bool must_dir, int open_flags,
                       int *ret_fd)
{
        _cleanup_close_ int final = final_fd;
        struct stat st;
        if (fstat(final, &st) < 0)
                return negative_errno();
        if ((must_dir || (open_flags & O_DIRECTORY)) && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (open_flags & O_PATH) {
                *ret_fd = TAKE_FD(final);
                return 0;
        }
        if (S_ISLNK(st.st_mode))
                return -ELOOP;

        /* A directory reopens itself through "."; anything else by its name in the parent,
         * without following, and must still be the inode that was resolved. A rename racing
         * this can make the reopen meet another file of the same directory, inside the root all
         * the same; EAGAIN then starts the resolution again. */
        _cleanup_close_ int fd = S_ISDIR(st.st_mode)
                                         ? openat(final, ".", open_flags)
                                         : openat(parent_fd, name, open_flags | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        struct stat st2;
        if (fstat(fd, &st2) < 0)
                return negative_errno();
        if (!same_inode(&st, &st2))
                return -EAGAIN;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int chase_walk(int root_fd, const char *path, int open_flags, unsigned flags, int *ret_fd)
{
        walk w = { .root_fd = root_fd, .flags = flags };
        if (fstat(root_fd, &w.root_st) < 0)
                return negative_errno();
        _cleanup_close_ int cur = open_dir_path(root_fd, ".");
        if (cur < 0)
                return cur;
        w.rest = strdup(path); /* freed after the loop, which every path leaves by break */
        if (!w.rest)
                return -ENOMEM;

        int r = 0;
        _cleanup_close_ int final = -EBADF;
        char name[NAME_MAX + 1];
        bool must_dir = false;
        for (const char *p = w.rest;;) {
                p += strspn(p, "/");
                if (!*p)
                        break;
                size_t n = strcspn(p, "/");
                if (n > NAME_MAX) {
                        r = -ENAMETOOLONG;
                        break;
                }
                memcpy(name, p, n);
                name[n] = 0;
                const char *rest = p + n; /* the slashes after name and what follows */
                p = rest + strspn(rest, "/");
                bool last = !*p;

                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) {
                        r = walk_dotdot(&w, &cur);
                        if (r < 0)
                                break;
                        continue;
                }
                _cleanup_close_ int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = negative_errno();
                        break;
                }
                if (S_ISLNK(st.st_mode) && !(last && (flags & CHASE_NOFOLLOW_LAST))) {
                        r = walk_follow(&w, &cur, fd, rest);
                        if (r < 0)
                                break;
                        p = w.rest;
                        continue;
                }
                if (last) {
                        /* A trailing slash, from a symlink's text: the user's own was
                         * turned into O_DIRECTORY already. */
                        must_dir = *rest != 0;
                        r = walk_check_xdev(&w, cur, fd);
                        final = TAKE_FD(fd);
                        break;
                }
                if (!S_ISDIR(st.st_mode)) {
                        r = -ENOTDIR;
                        break;
                }
                r = walk_enter(&w, &cur, TAKE_FD(fd));
                if (r < 0)
                        break;
        }
        free(w.rest);
        if (r < 0)
                return r;
        if (final < 0)
                return walk_finish(-EBADF, TAKE_FD(cur), "", true, open_flags, ret_fd);
        return walk_finish(cur, TAKE_FD(final), name, must_dir, open_flags, ret_fd);
}

static int chase_openat2(int root_fd, const char *path, int open_flags, unsigned flags, int *ret_fd)
{
        struct open_how how = {
                .flags = (uint64_t)open_flags,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
                           ((flags & CHASE_NO_XDEV) ? RESOLVE_NO_XDEV : 0),
        };
        long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        if (fd < 0)
                return negative_errno();
        *ret_fd = (int)fd;
        return 0;
}

int chase_open_in_root(int root_fd, const char *path, int open_flags, unsigned chase_flags,
                       int *ret_fd)
{
        if (root_fd < 0)
                return -EBADF;
        if (!path || !ret_fd || (chase_flags & ~(unsigned)(CHASE_NOFOLLOW_LAST | CHASE_NO_XDEV)) ||
            (open_flags & O_CREAT) || (open_flags & (O_TMPFILE & ~O_DIRECTORY)))
                return -EINVAL;
        size_t len = strlen(path);
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;

        if (open_flags & O_NOFOLLOW)
                chase_flags |= CHASE_NOFOLLOW_LAST;
        if (chase_flags & CHASE_NOFOLLOW_LAST)
                open_flags |= O_NOFOLLOW;

        /* A trailing slash asks for a directory; stripping it keeps the kernel from following a
         * final symlink that CHASE_NOFOLLOW_LAST says to keep. "" is the root itself. */
        char p[PATH_MAX];
        memcpy(p, path, len + 1);
        if (len > 0 && p[len - 1] == '/') {
                open_flags |= O_DIRECTORY;
                while (len > 0 && p[len - 1] == '/')
                        p[--len] = 0;
        }
        if (len == 0)
                strcpy(p, ".");
        if (open_flags & O_PATH)
                open_flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW;
        open_flags |= O_CLOEXEC;

        for (unsigned attempt = 1;; attempt++) {
                int r = -ENOSYS;
                if (!force_fallback)
                        r = chase_openat2(root_fd, p, open_flags, chase_flags, ret_fd);
                /* No openat2 (before Linux 5.6), a seccomp profile older than it (EPERM), or
                 * resolve flags this kernel does not know: walk. A real EPERM or EINVAL comes
                 * back from the walk's own open. */
                if (r == -ENOSYS || r == -EPERM || r == -E2BIG || r == -EINVAL)
                        r = chase_walk(root_fd, p, open_flags, chase_flags, ret_fd);
                if (r != -EAGAIN || attempt >= CHASE_RETRIES)
                        return r;
        }
}

/* How many ".." lead from dir_fd up to root_fd; EXDEV if dir_fd is not below it. */
static int dir_depth(int root_fd, int dir_fd, unsigned *ret)
{
        struct stat root_st, st;
        if (fstat(root_fd, &root_st) < 0)
                return negative_errno();
        _cleanup_close_ int cur = open_dir_path(dir_fd, ".");
        if (cur < 0)
                return cur;
        for (unsigned depth = 0; depth < PATH_MAX / 2; depth++) {
                if (fstat(cur, &st) < 0)
                        return negative_errno();
                if (same_inode(&st, &root_st)) {
                        *ret = depth;
                        return 0;
                }
                int up = open_dir_path(cur, "..");
                if (up < 0)
                        return up;
                safe_close(cur);
                cur = up;
        }
        return -EXDEV;
}

/* Whether a symlink in dir_fd with this text leads outside the root when read as the host would
 * read it: an absolute text, or more ".." than dir_fd is deep. */
static int symlink_text_escapes(int root_fd, int dir_fd, const char *target)
{
        if (target[0] == '/')
                return 1;
        unsigned depth;
        int r = dir_depth(root_fd, dir_fd, &depth);
        if (r < 0)
                return r;
        for (const char *p = target; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (depth == 0)
                                return 1;
                        depth--;
                } else if (n > 0 && !(n == 1 && p[0] == '.'))
                        depth++;
                p += n;
                p += strspn(p, "/");
        }
        return 0;
}

/* mkdirat() found name in dir_fd existing although the resolution said it was missing: a symlink
 * to nowhere is refused (EXDEV if it points outside the root, ENOLINK inside), anything else
 * appeared in the meantime and 0 says to resolve again. */
static int refuse_dangling(int root_fd, int dir_fd, const char *name)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISLNK(st.st_mode))
                return 0;
        char target[PATH_MAX];
        int r = read_link_fd(fd, target);
        if (r < 0)
                return r;
        r = symlink_text_escapes(root_fd, dir_fd, target);
        if (r < 0)
                return r;
        return r > 0 ? -EXDEV : -ENOLINK;
}

int chase_mkdir_p_in_root(int root_fd, const char *path, mode_t mode, int *ret_fd)
{
        if (!path || !ret_fd)
                return -EINVAL;
        size_t len = strlen(path);
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        _cleanup_close_ int parent = -EBADF;
        int r = chase_open_in_root(root_fd, "", O_PATH | O_DIRECTORY, 0, &parent);
        if (r < 0)
                return r;

        /* Resolve each prefix of path from the root again, so that symlinks, ".." and the
         * clamping at the root act exactly as in chase_open_in_root(); when a prefix is missing,
         * the previous one resolved to parent and its last component is the one to make. */
        char prefix[PATH_MAX];
        unsigned attempts = 0;
        for (const char *p = path + strspn(path, "/"); *p; p += strspn(p, "/")) {
                size_t n = strcspn(p, "/");
                size_t end = (size_t)(p - path) + n;
                memcpy(prefix, path, end);
                prefix[end] = 0;
                int fd = -EBADF;
                r = chase_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, &fd);
                if (r >= 0) {
                        safe_close(parent);
                        parent = fd;
                        p += n;
                        continue;
                }
                const char *name = prefix + (p - path);
                if (r != -ENOENT || streq(name, ".") || streq(name, ".."))
                        return r;
                if (mkdirat(parent, name, mode) < 0) {
                        if (errno != EEXIST)
                                return negative_errno();
                        r = refuse_dangling(root_fd, parent, name);
                        if (r < 0)
                                return r;
                        if (++attempts >= CHASE_RETRIES)
                                return -EAGAIN;
                        continue;
                }
                fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                safe_close(parent);
                parent = fd;
                p += n;
        }
        *ret_fd = TAKE_FD(parent);
        return 0;
}

int chase_create_in_root(int root_fd, const char *path, chase_create_kind kind, mode_t mode,
                         int *ret_fd)
{
        if (!path || !ret_fd || kind < 0 || kind >= _CHASE_CREATE_KIND_MAX)
                return -EINVAL;
        size_t len = strlen(path);
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        char dir[PATH_MAX];
        memcpy(dir, path, len + 1);
        bool slash = false;
        while (len > 0 && dir[len - 1] == '/') {
                dir[--len] = 0;
                slash = true;
        }
        char *base = strrchr(dir, '/');
        if (base)
                *base++ = 0;
        else
                base = dir;
        if (streq(base, "") || streq(base, ".") || streq(base, "..") ||
            (slash && kind == CHASE_CREATE_FILE)) {
                if (kind == CHASE_CREATE_FILE)
                        return -EISDIR;
                return chase_mkdir_p_in_root(root_fd, path, mode, ret_fd);
        }

        /* Parents get 0755 whatever mode is: a file's mode would leave them unsearchable. */
        _cleanup_close_ int parent = -EBADF;
        int r = chase_mkdir_p_in_root(root_fd, base == dir ? "" : dir, 0755, &parent);
        if (r < 0)
                return r;
        if (kind == CHASE_CREATE_DIRECTORY) {
                if (mkdirat(parent, base, mode) < 0 && errno != EEXIST)
                        return negative_errno();
        } else {
                int fd = openat(parent, base,
                                O_CREAT | O_EXCL | O_NOFOLLOW | O_RDONLY | O_NOCTTY | O_CLOEXEC,
                                mode);
                if (fd < 0 && errno != EEXIST)
                        return negative_errno();
                safe_close(fd);
        }

        /* Whatever is there now, created here or before, is checked by the fd returned. */
        _cleanup_close_ int fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISLNK(st.st_mode))
                return -EEXIST;
        if (kind == CHASE_CREATE_DIRECTORY && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (kind == CHASE_CREATE_FILE && S_ISDIR(st.st_mode))
                return -EISDIR;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

const char *fd_reopen_proc_path(int fd, char buf[static 32])
{
        if (fd < 0)
                return NULL;
        snprintf(buf, 32, "/proc/self/fd/%i", fd);
        return buf;
}

static int stat_verify_type(const struct stat *st, mode_t type)
{
        mode_t t = st->st_mode & S_IFMT;
        if (type == 0 || t == type)
                return 0;
        if (t == S_IFLNK)
                return -ELOOP;
        if (type == S_IFDIR)
                return -ENOTDIR;
        if (t == S_IFDIR)
                return -EISDIR;
        if (type == S_IFCHR || type == S_IFBLK)
                return -ENODEV;
        return -EMEDIUMTYPE;
}

int fd_verify_kind(int fd, mode_t type, unsigned long fs_magic)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        int r = stat_verify_type(&st, type);
        if (r < 0 || fs_magic == 0)
                return r;
        return fd_check_fstype(fd, fs_magic);
}

int fd_verify_device(int fd, mode_t type, dev_t devnum)
{
        if (type != S_IFCHR && type != S_IFBLK)
                return -EINVAL;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        int r = stat_verify_type(&st, type);
        if (r < 0)
                return r;
        return st.st_rdev == devnum ? 0 : -ENODEV;
}
