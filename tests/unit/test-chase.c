/* Unit tests: resolving, making and checking paths inside a hostile rootfs. Every resolution case
 * runs twice, with openat2 and with the component walk forced, against the same expectations.
 * The trees are built under a temporary directory "T": T/root is the rootfs, T/host stands for
 * the host outside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

typedef struct fixture {
        char dir[64]; /* T */
        int dir_fd;
        int root_fd; /* T/root */
} fixture;

static const char *const mode_name[] = { "openat2", "fallback" };

/* One entry of the tree: 'd' directory, 'f' file with arg as its content, 'l' symlink with
 * text arg, 'h' symlink whose text is the absolute host path of T/arg. */
typedef struct node {
        char kind;
        const char *path;
        const char *arg;
} node;

static const node tree[] = {
        { 'd', "host", NULL },
        { 'f', "host/secret", "host secret" },
        { 'd', "root", NULL },
        { 'd', "root/etc", NULL },
        { 'f', "root/etc/marker", "only in the rootfs" },
        { 'f', "root/etc/passwd", "root:x:0:0::/root:/bin/sh\n" },
        { 'd', "root/dir", NULL },
        { 'd', "root/dir/sub", NULL },
        { 'f', "root/dir/file", "file" },
        { 'd', "root/host", NULL },
        { 'f', "root/host/secret", "the rootfs' own host/secret" },
        { 'd', "root/proc", NULL },
        { 'd', "root/proc/self", NULL },
        { 'd', "root/proc/self/root", NULL },
        { 'd', "root/proc/self/root/etc", NULL },
        { 'f', "root/proc/self/root/etc/marker2", "fake proc in the rootfs" },
        { 'l', "root/abs_etc", "/etc" },
        { 'l', "root/link_to_link", "abs_etc" },
        { 'l', "root/rel_escape", "../../../../../../../host/secret" },
        { 'l', "root/dir/dotdot_escape", "../../../.." },
        { 'l', "root/loop_a", "loop_b" },
        { 'l', "root/loop_b", "loop_a" },
        { 'l', "root/self_loop", "self_loop" },
        { 'l', "root/file_link", "dir/file" },
        { 'l', "root/slash_link", "dir/" },
        { 'l', "root/file_slash_link", "dir/file/" },
        { 'l', "root/dangling", "/nonexistent/deeper" },
        { 'l', "root/dangling_rel", "missing" },
        { 'l', "root/dir/rel_dangle_out", "../../made_outside" },
        { 'l', "root/proc_root", "/proc/self/root" },
        { 'l', "root/devnull_link", "/dev/null" },
        { 'h', "root/abs_host", "host/secret" },
        { 'h', "root/dangling_host", "host/newdir" },
        { 'l', "root/rel_host_link", "../host/secret" },
};

static int make_node(const fixture *f, const node *n)
{
        char text[PATH_MAX];
        switch (n->kind) {
        case 'd':
                return mkdirat(f->dir_fd, n->path, 0755);
        case 'f': {
                _cleanup_close_ int fd =
                        openat(f->dir_fd, n->path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                return fd < 0 ? -1 : write_all(fd, n->arg, strlen(n->arg));
        }
        case 'h':
                snprintf(text, sizeof(text), "%s/%s", f->dir, n->arg);
                return symlinkat(text, f->dir_fd, n->path);
        default:
                return symlinkat(n->arg, f->dir_fd, n->path);
        }
}

static int setup(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        if (!f)
                return -1;
        *state = f;
        umask(022);
        strcpy(f->dir, "/tmp/rq-test-chase.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        f->dir_fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (f->dir_fd < 0)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(tree); i++)
                if (make_node(f, &tree[i]) < 0)
                        return -1;
        /* c1 -> dir/file, cN -> c(N-1): resolving cN follows N symlinks. */
        for (int i = 1; i <= CHASE_SYMLINKS_MAX + 1; i++) {
                char name[32], text[32];
                snprintf(name, sizeof(name), "root/c%d", i);
                snprintf(text, sizeof(text), "c%d", i - 1);
                if (symlinkat(i == 1 ? "dir/file" : text, f->dir_fd, name) < 0)
                        return -1;
        }
        f->root_fd = openat(f->dir_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        return f->root_fd < 0 ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        return remove(path);
}

static int teardown(void **state)
{
        fixture *f = *state;
        chase_force_fallback(false);
        int r = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        safe_close(f->root_fd);
        safe_close(f->dir_fd);
        free(f);
        return r;
}

/* The fd is the object at base_fd/path itself (never followed). */
static bool fd_is(int fd, int base_fd, const char *path)
{
        struct stat a, b;
        if (fstat(fd, &a) < 0 || fstatat(base_fd, path, &b, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool exists_at(int dir_fd, const char *path)
{
        struct stat st;
        return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_file_content(int dir_fd, const char *path, const char *want)
{
        _cleanup_free_ char *s = NULL;
        assert_int_equal(read_full_file_at(dir_fd, path, &s, NULL), 0);
        assert_string_equal(s, want);
}

typedef struct chase_case {
        const char *path;
        int open_flags;
        unsigned flags; /* chase_flag bits */
        int err; /* the -errno expected, 0 for success */
        const char *expect; /* on success, what the fd holds, relative to the base dir */
        mode_t type; /* on success, its file type, or 0 */
} chase_case;

static void run_case(const chase_case *c, int mode, int root_fd, int base_fd)
{
        _cleanup_close_ int fd = -EBADF;
        /* In the table, open_flags 0 stands for a handle (O_PATH), the most common case. */
        int open_flags = c->open_flags ? c->open_flags : O_PATH;
        int r = chase_open_in_root(root_fd, c->path, open_flags, c->flags, &fd);
        if (r != c->err)
                fail_msg("%s: \"%s\" (open 0%o, flags %u): got %d, want %d", mode_name[mode],
                         c->path, (unsigned)c->open_flags, c->flags, r, c->err);
        if (r < 0)
                return;
        if (c->expect && !fd_is(fd, base_fd, c->expect))
                fail_msg("%s: \"%s\" did not resolve to %s", mode_name[mode], c->path, c->expect);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        if (c->type != 0 && (st.st_mode & S_IFMT) != c->type)
                fail_msg("%s: \"%s\" has type 0%o", mode_name[mode], c->path,
                         (unsigned)(st.st_mode & S_IFMT));
        int fl = fcntl(fd, F_GETFL);
        bool want_path = open_flags & O_PATH;
        if (((fl & O_PATH) != 0) != want_path)
                fail_msg("%s: \"%s\": O_PATH is %s", mode_name[mode], c->path,
                         want_path ? "missing" : "set");
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* Run the whole table once with openat2 and once with the walk. */
static void run_table(const chase_case *cases, size_t n, int root_fd, int base_fd)
{
        for (int mode = 0; mode < 2; mode++) {
                chase_force_fallback(mode == 1);
                for (size_t i = 0; i < n; i++)
                        run_case(&cases[i], mode, root_fd, base_fd);
        }
        chase_force_fallback(false);
}

static const chase_case rootfs_cases[] = {
        /* plain paths, empty, slashes */
        { "", 0, 0, 0, "root", S_IFDIR },
        { "/", 0, 0, 0, "root", S_IFDIR },
        { ".", 0, 0, 0, "root", S_IFDIR },
        { "etc/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        { "/etc/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        { "//etc///marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        { "./etc/./marker", O_RDONLY | O_NOCTTY, 0, 0, "root/etc/marker", S_IFREG },
        { "dir/", 0, 0, 0, "root/dir", S_IFDIR },
        { "dir//sub//", 0, 0, 0, "root/dir/sub", S_IFDIR },
        { "dir/file/", 0, 0, -ENOTDIR, NULL, 0 },
        { "dir/file/.", 0, 0, -ENOTDIR, NULL, 0 },
        { "dir/file/..", 0, 0, -ENOTDIR, NULL, 0 },
        { "dir/file/x", 0, 0, -ENOTDIR, NULL, 0 },
        { "missing/x", 0, 0, -ENOENT, NULL, 0 },
        { "dir/file", O_DIRECTORY, 0, -ENOTDIR, NULL, 0 },
        { "dir", O_WRONLY, 0, -EISDIR, NULL, 0 },
        { "dir", O_RDONLY | O_DIRECTORY, 0, 0, "root/dir", S_IFDIR },
        { "dir/file", O_RDWR, 0, 0, "root/dir/file", S_IFREG },
        { "dir/file", O_CREAT | O_RDWR, 0, -EINVAL, NULL, 0 },
        { "dir/file", O_PATH | O_RDWR, 0, 0, "root/dir/file", S_IFREG },
        /* ".." never climbs above the root */
        { "..", 0, 0, 0, "root", S_IFDIR },
        { "../../../etc/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        { "dir/sub/../../../../etc/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        { "dir/sub/..", 0, 0, 0, "root/dir", S_IFDIR },
        /* absolute symlinks start again at the root, never at the host's / */
        { "abs_etc", 0, 0, 0, "root/etc", S_IFDIR },
        { "abs_etc/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        { "abs_etc/passwd", O_RDONLY | O_NOCTTY, 0, 0, "root/etc/passwd", S_IFREG },
        { "abs_host", 0, 0, -ENOENT, NULL, 0 },
        { "devnull_link", 0, 0, -ENOENT, NULL, 0 },
        /* relative symlinks with too many ".." are clamped too */
        { "rel_escape", 0, 0, 0, "root/host/secret", S_IFREG },
        { "rel_host_link", 0, 0, 0, "root/host/secret", S_IFREG },
        { "dir/dotdot_escape/etc/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        /* a symlink to /proc/self/root is only text: clamped into the rootfs */
        { "proc_root/etc/marker2", 0, 0, 0, "root/proc/self/root/etc/marker2", S_IFREG },
        /* loops and budgets */
        { "loop_a", 0, 0, -ELOOP, NULL, 0 },
        { "loop_a/x", 0, 0, -ELOOP, NULL, 0 },
        { "self_loop", 0, 0, -ELOOP, NULL, 0 },
        { "c40", 0, 0, 0, "root/dir/file", S_IFREG },
        { "c41", 0, 0, -ELOOP, NULL, 0 },
        /* symlink to a symlink */
        { "link_to_link", 0, 0, 0, "root/etc", S_IFDIR },
        { "link_to_link/marker", 0, 0, 0, "root/etc/marker", S_IFREG },
        /* the final component, followed or not */
        { "file_link", 0, 0, 0, "root/dir/file", S_IFREG },
        { "file_link", O_RDONLY | O_NOCTTY, 0, 0, "root/dir/file", S_IFREG },
        { "file_link", 0, CHASE_NOFOLLOW_LAST, 0, "root/file_link", S_IFLNK },
        { "file_link", O_PATH | O_NOFOLLOW, 0, 0, "root/file_link", S_IFLNK },
        { "file_link", O_RDONLY | O_NOFOLLOW, 0, -ELOOP, NULL, 0 },
        { "file_link", O_RDONLY | O_NOCTTY, CHASE_NOFOLLOW_LAST, -ELOOP, NULL, 0 },
        { "dangling", 0, 0, -ENOENT, NULL, 0 },
        { "dangling", 0, CHASE_NOFOLLOW_LAST, 0, "root/dangling", S_IFLNK },
        { "link_to_link/", 0, 0, 0, "root/etc", S_IFDIR },
        /* a trailing slash does not make CHASE_NOFOLLOW_LAST follow */
        { "link_to_link/", 0, CHASE_NOFOLLOW_LAST, -ENOTDIR, NULL, 0 },
        { "link_to_link", O_DIRECTORY, CHASE_NOFOLLOW_LAST, -ENOTDIR, NULL, 0 },
        /* a trailing slash inside a symlink's text asks for a directory */
        { "slash_link", 0, 0, 0, "root/dir", S_IFDIR },
        { "file_slash_link", 0, 0, -ENOTDIR, NULL, 0 },
        /* names and flags */
        { "etc/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          0, 0, -ENAMETOOLONG, NULL, 0 },
        { "etc", 0, 1u << 7, -EINVAL, NULL, 0 },
};

static void rootfs_table_gives_the_same_answers_with_openat2_and_the_walk(void **state)
{
        fixture *f = *state;
        run_table(rootfs_cases, ELEMENTSOF(rootfs_cases), f->root_fd, f->dir_fd);
        /* nothing above was written */
        assert_file_content(f->dir_fd, "host/secret", "host secret");
}

/* A real procfs: its magic links are refused, its ordinary symlinks followed. */
static const chase_case proc_cases[] = {
        { "self/status", O_RDONLY | O_NOCTTY, 0, 0, NULL, S_IFREG },
        { "mounts", O_RDONLY | O_NOCTTY, 0, 0, NULL, S_IFREG },
        { "thread-self/status", 0, 0, 0, NULL, S_IFREG },
        { "self/root", 0, 0, -ELOOP, NULL, 0 },
        { "self/root/etc", 0, 0, -ELOOP, NULL, 0 },
        { "self/cwd", 0, 0, -ELOOP, NULL, 0 },
        { "self/exe", O_RDONLY | O_NOCTTY, 0, -ELOOP, NULL, 0 },
        { "self/fd/1", 0, 0, -ELOOP, NULL, 0 },
        { "self/ns/net", 0, 0, -ELOOP, NULL, 0 },
        { "thread-self/root", 0, 0, -ELOOP, NULL, 0 },
        { "self/root", 0, CHASE_NOFOLLOW_LAST, 0, NULL, S_IFLNK },
        { "self/root", O_RDONLY | O_NOCTTY, CHASE_NOFOLLOW_LAST, -ELOOP, NULL, 0 },
        { "self/../..", 0, 0, 0, ".", S_IFDIR },
        { "self/status", 0, CHASE_NO_XDEV, 0, NULL, S_IFREG },
};

static void proc_magic_links_are_refused_and_ordinary_proc_links_followed(void **state)
{
        _cleanup_close_ int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(proc_fd >= 0);
        assert_int_equal(fd_check_fstype(proc_fd, PROC_SUPER_MAGIC), 0);
        run_table(proc_cases, ELEMENTSOF(proc_cases), proc_fd, proc_fd);
}

static const chase_case xdev_cases[] = {
        { "proc/self", 0, CHASE_NO_XDEV, -EXDEV, NULL, 0 },
        { "proc/self/status", 0, CHASE_NO_XDEV, -EXDEV, NULL, 0 },
        { "proc/self/status", 0, 0, 0, NULL, S_IFREG },
        { "proc", 0, 0, 0, "proc", S_IFDIR },
};

static void no_xdev_refuses_to_cross_into_another_mount(void **state)
{
        _cleanup_close_ int slash_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(slash_fd >= 0);
        run_table(xdev_cases, ELEMENTSOF(xdev_cases), slash_fd, slash_fd);
}

/* Build T/root/long/<200 a>/<200 a>/... and return the path of its deepest directory, relative
 * to the root, made exactly PATH_MAX - 1 bytes long with leading slashes. */
static char *make_long_tree(const fixture *f)
{
        char name[201];
        memset(name, 'a', 200);
        name[200] = 0;
        char *path = malloc(PATH_MAX + 1);
        assert_non_null(path);
        strcpy(path, "long");
        assert_int_equal(mkdirat(f->root_fd, "long", 0755), 0);
        _cleanup_close_ int cur = openat(f->root_fd, "long", O_PATH | O_DIRECTORY | O_CLOEXEC);
        while (strlen(path) + 1 + 200 < PATH_MAX - 16) {
                assert_int_equal(mkdirat(cur, name, 0755), 0);
                int next = openat(cur, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                assert_true(next >= 0);
                safe_close(cur);
                cur = next;
                strcat(path, "/");
                strcat(path, name);
        }
        size_t len = strlen(path), pad = PATH_MAX - 1 - len;
        memmove(path + pad, path, len + 1);
        memset(path, '/', pad);
        assert_int_equal(strlen(path), PATH_MAX - 1);
        return path;
}

static void paths_up_to_path_max_resolve_and_longer_ones_do_not(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *path = make_long_tree(f);
        _cleanup_free_ char *longer = malloc(PATH_MAX + 1);
        assert_non_null(longer);
        longer[0] = '/';
        strcpy(longer + 1, path);
        _cleanup_free_ char *expect = strprintf("root/%s", path + strspn(path, "/"));
        assert_non_null(expect);
        const chase_case cases[] = {
                { path, 0, 0, 0, expect, S_IFDIR },
                { longer, 0, 0, -ENAMETOOLONG, NULL, 0 },
        };
        run_table(cases, ELEMENTSOF(cases), f->root_fd, f->dir_fd);

        int fd = -EBADF;
        assert_int_equal(chase_mkdir_p_in_root(f->root_fd, path, 0755, &fd), 0);
        assert_true(fd_is(fd, f->dir_fd, expect));
        safe_close(fd);
        assert_int_equal(chase_mkdir_p_in_root(f->root_fd, longer, 0755, &fd), -ENAMETOOLONG);
}

static void mkdir_p_creates_inside_and_follows_symlinks_inside(void **state)
{
        fixture *f = *state;
        for (int mode = 0; mode < 2; mode++) {
                chase_force_fallback(mode == 1);
                char path[64];
                snprintf(path, sizeof(path), "/new%d//b/./c/", mode);
                int fd = -EBADF;
                assert_int_equal(chase_mkdir_p_in_root(f->root_fd, path, 0750, &fd), 0);
                snprintf(path, sizeof(path), "root/new%d/b/c", mode);
                assert_true(fd_is(fd, f->dir_fd, path));
                struct stat st;
                assert_int_equal(fstat(fd, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0750);
                assert_true(fcntl(fd, F_GETFL) & O_PATH);
                safe_close(fd);

                /* existing directories are taken as they are */
                assert_int_equal(chase_mkdir_p_in_root(f->root_fd, "dir/sub", 0700, &fd), 0);
                assert_true(fd_is(fd, f->dir_fd, "root/dir/sub"));
                safe_close(fd);
                assert_int_equal(chase_mkdir_p_in_root(f->root_fd, "", 0700, &fd), 0);
                assert_true(fd_is(fd, f->dir_fd, "root"));
                safe_close(fd);

                /* an absolute symlink on the way is followed inside the rootfs */
                snprintf(path, sizeof(path), "abs_etc/made%d/x", mode);
                assert_int_equal(chase_mkdir_p_in_root(f->root_fd, path, 0755, &fd), 0);
                snprintf(path, sizeof(path), "root/etc/made%d/x", mode);
                assert_true(fd_is(fd, f->dir_fd, path));
                safe_close(fd);
                snprintf(path, sizeof(path), "/etc/made%d", mode);
                assert_false(exists_at(AT_FDCWD, path));

                /* ".." above the root is clamped */
                snprintf(path, sizeof(path), "../../up%d", mode);
                assert_int_equal(chase_mkdir_p_in_root(f->root_fd, path, 0755, &fd), 0);
                snprintf(path, sizeof(path), "root/up%d", mode);
                assert_true(fd_is(fd, f->dir_fd, path));
                safe_close(fd);
        }
        chase_force_fallback(false);
}

typedef struct refused_case {
        const char *path;
        int err;
        const char *must_not_exist; /* relative to T */
} refused_case;

static const refused_case mkdir_refused[] = {
        /* a dangling absolute symlink naming a host path: not created through, either side */
        { "dangling_host/x", -EXDEV, "host/newdir" },
        { "dangling/x", -EXDEV, "root/nonexistent" },
        /* a dangling relative symlink whose ".." leave the root */
        { "dir/rel_dangle_out/x", -EXDEV, "made_outside" },
        /* a dangling symlink that stays inside */
        { "dangling_rel/x", -ENOLINK, "root/missing" },
        { "dangling_rel", -ENOLINK, "root/missing" },
        { "dir/file/x", -ENOTDIR, "root/dir/file/x" },
        { "loop_a/x", -ELOOP, "root/x" },
};

static void mkdir_p_never_creates_through_a_dangling_symlink(void **state)
{
        fixture *f = *state;
        for (int mode = 0; mode < 2; mode++) {
                chase_force_fallback(mode == 1);
                for (size_t i = 0; i < ELEMENTSOF(mkdir_refused); i++) {
                        const refused_case *c = &mkdir_refused[i];
                        int fd = -EBADF;
                        int r = chase_mkdir_p_in_root(f->root_fd, c->path, 0755, &fd);
                        if (r != c->err)
                                fail_msg("%s: mkdir -p \"%s\": got %d, want %d", mode_name[mode],
                                         c->path, r, c->err);
                        assert_int_equal(fd, -EBADF);
                        assert_false(exists_at(f->dir_fd, c->must_not_exist));
                }
        }
        assert_false(exists_at(AT_FDCWD, "/nonexistent"));
        chase_force_fallback(false);
}

static void create_makes_files_and_directories_and_takes_existing_ones(void **state)
{
        fixture *f = *state;
        for (int mode = 0; mode < 2; mode++) {
                chase_force_fallback(mode == 1);
                char path[64], where[64];
                snprintf(path, sizeof(path), "/m%d/sub/target", mode);
                snprintf(where, sizeof(where), "root/m%d/sub/target", mode);
                int fd = -EBADF, fd2 = -EBADF;
                assert_int_equal(
                        chase_create_in_root(f->root_fd, path, CHASE_CREATE_FILE, 0640, &fd), 0);
                assert_true(fd_is(fd, f->dir_fd, where));
                assert_true(fcntl(fd, F_GETFL) & O_PATH);
                assert_int_equal(fd_verify_kind(fd, S_IFREG, 0), 0);
                struct stat st;
                assert_int_equal(fstat(fd, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0640);
                assert_int_equal(st.st_size, 0);
                /* parents get 0755 whatever the file's mode */
                snprintf(where, sizeof(where), "root/m%d/sub", mode);
                assert_int_equal(fstatat(f->dir_fd, where, &st, 0), 0);
                assert_int_equal(st.st_mode & 07777, 0755);
                /* a second time the same file is returned */
                assert_int_equal(
                        chase_create_in_root(f->root_fd, path, CHASE_CREATE_FILE, 0640, &fd2), 0);
                assert_int_equal(fd_verify_kind(fd2, S_IFREG, 0), 0);
                assert_int_equal(fstat(fd2, &st), 0);
                struct stat st1;
                assert_int_equal(fstat(fd, &st1), 0);
                assert_int_equal(st.st_ino, st1.st_ino);
                safe_close(fd);
                safe_close(fd2);

                snprintf(path, sizeof(path), "abs_etc/d%d/", mode);
                snprintf(where, sizeof(where), "root/etc/d%d", mode);
                for (int i = 0; i < 2; i++) {
                        assert_int_equal(chase_create_in_root(f->root_fd, path,
                                                              CHASE_CREATE_DIRECTORY, 0700, &fd),
                                         0);
                        assert_true(fd_is(fd, f->dir_fd, where));
                        assert_int_equal(fd_verify_kind(fd, S_IFDIR, 0), 0);
                        safe_close(fd);
                }
                /* an existing non-directory will do as a file target */
                assert_int_equal(chase_create_in_root(f->root_fd, "etc/passwd", CHASE_CREATE_FILE,
                                                      0644, &fd),
                                 0);
                assert_true(fd_is(fd, f->dir_fd, "root/etc/passwd"));
                safe_close(fd);
                assert_int_equal(chase_create_in_root(f->root_fd, "dir/..", CHASE_CREATE_DIRECTORY,
                                                      0755, &fd),
                                 0);
                assert_true(fd_is(fd, f->dir_fd, "root"));
                safe_close(fd);
        }
        chase_force_fallback(false);
}

typedef struct create_case {
        const char *path;
        chase_create_kind kind;
        int err;
} create_case;

static const create_case create_refused[] = {
        /* the final component is a symlink: never followed, whatever it points at */
        { "abs_host", CHASE_CREATE_FILE, -EEXIST },
        { "rel_host_link", CHASE_CREATE_FILE, -EEXIST },
        { "devnull_link", CHASE_CREATE_FILE, -EEXIST },
        { "dangling", CHASE_CREATE_FILE, -EEXIST },
        { "dangling_host", CHASE_CREATE_DIRECTORY, -EEXIST },
        { "abs_etc", CHASE_CREATE_DIRECTORY, -EEXIST },
        { "file_link", CHASE_CREATE_FILE, -EEXIST },
        /* the wrong kind */
        { "dir", CHASE_CREATE_FILE, -EISDIR },
        { "dir/file", CHASE_CREATE_DIRECTORY, -ENOTDIR },
        { "", CHASE_CREATE_FILE, -EISDIR },
        { "dir/..", CHASE_CREATE_FILE, -EISDIR },
        { "newfile/", CHASE_CREATE_FILE, -EISDIR },
        /* parents as in mkdir -p */
        { "dangling_host/f", CHASE_CREATE_FILE, -EXDEV },
        { "dangling_rel/f", CHASE_CREATE_DIRECTORY, -ENOLINK },
        { "dir/file/f", CHASE_CREATE_FILE, -ENOTDIR },
        { "x", _CHASE_CREATE_KIND_MAX, -EINVAL },
};

static void create_refuses_a_final_symlink_and_leaves_the_host_untouched(void **state)
{
        fixture *f = *state;
        struct stat before, after;
        assert_int_equal(fstatat(f->dir_fd, "host/secret", &before, 0), 0);
        for (int mode = 0; mode < 2; mode++) {
                chase_force_fallback(mode == 1);
                for (size_t i = 0; i < ELEMENTSOF(create_refused); i++) {
                        const create_case *c = &create_refused[i];
                        int fd = -EBADF;
                        int r = chase_create_in_root(f->root_fd, c->path, c->kind, 0644, &fd);
                        if (r != c->err)
                                fail_msg("%s: create \"%s\" (kind %d): got %d, want %d",
                                         mode_name[mode], c->path, c->kind, r, c->err);
                        assert_int_equal(fd, -EBADF);
                }
        }
        chase_force_fallback(false);
        assert_int_equal(fstatat(f->dir_fd, "host/secret", &after, 0), 0);
        assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
        assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
        assert_file_content(f->dir_fd, "host/secret", "host secret");
        assert_false(exists_at(f->dir_fd, "host/newdir"));
        assert_false(exists_at(f->dir_fd, "root/nonexistent"));
        assert_false(exists_at(f->dir_fd, "root/missing"));
        assert_false(exists_at(f->dir_fd, "root/newfile"));
}

static void verify_kind_tells_the_null_device_from_impostors(void **state)
{
        fixture *f = *state;
        _cleanup_close_ int null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
        assert_true(null_fd >= 0);
        assert_int_equal(fd_verify_kind(null_fd, S_IFCHR, 0), 0);
        assert_int_equal(fd_verify_kind(null_fd, 0, 0), 0);
        assert_int_equal(fd_verify_device(null_fd, S_IFCHR, makedev(1, 3)), 0);
        assert_int_equal(fd_verify_device(null_fd, S_IFCHR, makedev(1, 5)), -ENODEV);
        assert_int_equal(fd_verify_device(null_fd, S_IFBLK, makedev(1, 3)), -ENODEV);
        assert_int_equal(fd_verify_device(null_fd, S_IFREG, makedev(1, 3)), -EINVAL);
        assert_int_equal(fd_verify_kind(null_fd, S_IFREG, 0), -EMEDIUMTYPE);

        /* a regular file where /dev/null should be */
        _cleanup_close_ int file_fd =
                openat(f->root_fd, "dir/file", O_RDONLY | O_NOCTTY | O_CLOEXEC);
        assert_true(file_fd >= 0);
        assert_int_equal(fd_verify_device(file_fd, S_IFCHR, makedev(1, 3)), -ENODEV);
        assert_int_equal(fd_verify_kind(file_fd, S_IFDIR, 0), -ENOTDIR);

        /* a symlink to /dev/null, held without following it */
        _cleanup_close_ int link_fd = -EBADF;
        assert_int_equal(
                chase_open_in_root(f->root_fd, "devnull_link", O_PATH | O_NOFOLLOW, 0, &link_fd),
                0);
        assert_int_equal(fd_verify_device(link_fd, S_IFCHR, makedev(1, 3)), -ELOOP);
        assert_int_equal(fd_verify_kind(link_fd, S_IFCHR, 0), -ELOOP);
        assert_int_equal(fd_verify_kind(link_fd, S_IFLNK, 0), 0);
        _cleanup_close_ int host_link_fd =
                openat(f->dir_fd, "root/devnull_link", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        assert_int_equal(fd_verify_device(host_link_fd, S_IFCHR, makedev(1, 3)), -ELOOP);
}

static void verify_kind_checks_the_filesystem(void **state)
{
        fixture *f = *state;
        _cleanup_close_ int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        assert_true(status_fd >= 0);
        assert_int_equal(fd_verify_kind(status_fd, S_IFREG, PROC_SUPER_MAGIC), 0);
        assert_int_equal(fd_verify_kind(status_fd, 0, PROC_SUPER_MAGIC), 0);
        assert_int_equal(fd_verify_kind(status_fd, S_IFDIR, PROC_SUPER_MAGIC), -ENOTDIR);

        /* the same name in a rootfs that is not procfs */
        _cleanup_close_ int fake_fd = -EBADF;
        assert_int_equal(chase_create_in_root(f->root_fd, "proc/self/status", CHASE_CREATE_FILE,
                                              0644, &fake_fd),
                         0);
        assert_int_equal(fd_verify_kind(fake_fd, S_IFREG, PROC_SUPER_MAGIC), -EXDEV);
        assert_int_equal(fd_verify_kind(f->root_fd, S_IFREG, 0), -EISDIR);
        assert_int_equal(fd_verify_kind(f->root_fd, S_IFDIR, PROC_SUPER_MAGIC), -EXDEV);
        assert_int_equal(fd_verify_kind(-1, 0, 0), -EBADF);
}

static void proc_path_of_an_fd_reaches_the_same_inode(void **state)
{
        fixture *f = *state;
        char buf[32];
        assert_null(fd_reopen_proc_path(-1, buf));
        _cleanup_close_ int fd = -EBADF;
        assert_int_equal(chase_open_in_root(f->root_fd, "abs_etc/marker", 0, 0, &fd), 0);
        const char *p = fd_reopen_proc_path(fd, buf);
        assert_ptr_equal(p, buf);
        char want[32];
        snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
        assert_string_equal(p, want);
        assert_file_content(AT_FDCWD, p, "only in the rootfs");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(rootfs_table_gives_the_same_answers_with_openat2_and_the_walk),
                T(proc_magic_links_are_refused_and_ordinary_proc_links_followed),
                T(no_xdev_refuses_to_cross_into_another_mount),
                T(paths_up_to_path_max_resolve_and_longer_ones_do_not),
                T(mkdir_p_creates_inside_and_follows_symlinks_inside),
                T(mkdir_p_never_creates_through_a_dangling_symlink),
                T(create_makes_files_and_directories_and_takes_existing_ones),
                T(create_refuses_a_final_symlink_and_leaves_the_host_untouched),
                T(verify_kind_tells_the_null_device_from_impostors),
                T(verify_kind_checks_the_filesystem),
                T(proc_path_of_an_fd_reaches_the_same_inode),
        };
        return cmocka_run_group_tests_name("chase", tests, NULL, NULL);
}
