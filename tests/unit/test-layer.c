/* rq_layer_unpack: tars built in memory (plain, gzip, zstd) unpacked into a temporary directory
 * next to a sentinel directory that hostile layers must leave untouched. Parts that need
 * privilege (ownership, devices, trusted.* xattrs) are skipped when not run as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "engine/store/layer.h"

#define TAR_CAP (4 * 1024 * 1024)

typedef struct tarbuf {
        struct archive *a;
        char *data;
        size_t size;
} tarbuf;

enum { PLAIN, GZIP, ZSTD };

static void tar_begin(tarbuf *t, int filter, int format)
{
        t->data = malloc(TAR_CAP);
        assert_non_null(t->data);
        t->a = archive_write_new();
        if (filter == GZIP)
                assert_int_equal(archive_write_add_filter_gzip(t->a), ARCHIVE_OK);
        if (filter == ZSTD)
                assert_int_equal(archive_write_add_filter_zstd(t->a), ARCHIVE_OK);
        assert_int_equal(archive_write_set_format(t->a, format), ARCHIVE_OK);
        archive_write_set_bytes_in_last_block(t->a, 1);
        assert_int_equal(archive_write_open_memory(t->a, t->data, TAR_CAP, &t->size), ARCHIVE_OK);
}

static void tar_end(tarbuf *t)
{
        assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
        archive_write_free(t->a);
}

/* One entry: type AE_IFREG (data = content), AE_IFDIR, AE_IFLNK (data = target), 0 for a hard
 * link (data = target), AE_IFCHR (rdev 1,3), AE_IFIFO. */
static void tar_add(tarbuf *t, const char *name, mode_t type, mode_t perm, const char *data)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type ? type : AE_IFREG);
        archive_entry_set_perm(e, perm);
        archive_entry_set_mtime(e, 1000000000, 0);
        if (type == AE_IFLNK)
                archive_entry_set_symlink(e, data);
        if (type == 0)
                archive_entry_set_hardlink(e, data);
        if (type == AE_IFCHR)
                archive_entry_set_rdev(e, makedev(1, 3));
        size_t n = type == AE_IFREG && data ? strlen(data) : 0;
        archive_entry_set_size(e, (la_int64_t)n);
        assert_true(archive_write_header(t->a, e) >= ARCHIVE_WARN);
        if (n)
                assert_int_equal(archive_write_data(t->a, data, n), (la_ssize_t)n);
        archive_entry_free(e);
}

static int memfd_with(const void *data, size_t size)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, data, size), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

/* A scratch tree: BASE/dest (the layer), BASE/sentinel/keep, BASE/lower0, BASE/lower1. */
static char base[64];
static int dest_fd = -EBADF, base_fd = -EBADF;

static int setup(void **state)
{
        strcpy(base, "/tmp/rq-test-layer-XXXXXX");
        assert_non_null(mkdtemp(base));
        base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(base_fd >= 0);
        assert_int_equal(mkdirat(base_fd, "dest", 0755), 0);
        assert_int_equal(mkdirat(base_fd, "sentinel", 0755), 0);
        assert_int_equal(mkdirat(base_fd, "lower0", 0755), 0);
        assert_int_equal(mkdirat(base_fd, "lower1", 0755), 0);
        int fd = openat(base_fd, "sentinel/keep", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_int_equal(write_all(fd, "keep", 4), 0);
        close(fd);
        dest_fd = openat(base_fd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dest_fd >= 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[256];
        dest_fd = safe_close(dest_fd);
        base_fd = safe_close(base_fd);
        snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s && rm -rf %s", base, base);
        assert_int_equal(system(cmd), 0);
        return 0;
}

/* BASE holds nothing new besides dest and the lowers, and sentinel only "keep", unchanged. */
static void assert_outside_untouched(void)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd),
                 "test \"$(cd %s && find . -path ./dest -prune -o -path './lower*' -prune -o "
                 "-print | sort | tr '\\n' ' ')\" "
                 "= '. ./sentinel ./sentinel/keep ' && "
                 "test \"$(cat %s/sentinel/keep)\" = keep",
                 base, base);
        assert_int_equal(system(cmd), 0);
}

static int unpack_buf(const tarbuf *t, const int *lowers, size_t n_lower, unsigned flags,
                      rq_layer_info *info, char **ret_err)
{
        _cleanup_close_ int in = memfd_with(t->data, t->size);
        rq_error *err = NULL;
        /* Unprivileged, the entries (all 0:0) keep the test's ids. */
        if (geteuid() != 0)
                flags |= RQ_LAYER_IGNORE_CHOWN_ERRORS;
        int r = rq_layer_unpack(in, dest_fd, lowers, n_lower, -EBADF, flags, info, &err);
        if (ret_err)
                *ret_err = err ? rq_error_format(err) : NULL;
        rq_error_free(err);
        return r;
}

static void assert_file(const char *path, const char *content, mode_t mode)
{
        char *data = NULL;
        size_t size;
        struct stat st;
        assert_int_equal(read_full_file_at(dest_fd, path, &data, &size), 0);
        assert_string_equal(data, content);
        free(data);
        assert_int_equal(fstatat(dest_fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(st.st_mode & 07777, mode);
}

static void add_basic_tree(tarbuf *t)
{
        tar_add(t, "./etc/", AE_IFDIR, 0755, NULL);
        tar_add(t, "./etc/hosts", AE_IFREG, 0644, "127.0.0.1 localhost\n");
        tar_add(t, "./etc/link", AE_IFLNK, 0777, "../../../outside");
        tar_add(t, "./etc/hard", 0, 0644, "./etc/hosts");
        tar_add(t, "./ro/", AE_IFDIR, 0555, NULL);
        tar_add(t, "./ro/f", AE_IFREG, 0400, "ro");
        tar_add(t, "usr/bin/tool", AE_IFREG, 0755, "#!/bin/sh\n");
}

static void check_basic_tree(void)
{
        struct stat a, b;
        char target[64] = "";
        assert_file("etc/hosts", "127.0.0.1 localhost\n", 0644);
        assert_file("ro/f", "ro", 0400);
        assert_file("usr/bin/tool", "#!/bin/sh\n", 0755);
        assert_int_equal(readlinkat(dest_fd, "etc/link", target, sizeof(target)), 16);
        assert_string_equal(target, "../../../outside");
        assert_int_equal(fstatat(dest_fd, "etc/hosts", &a, 0), 0);
        assert_int_equal(fstatat(dest_fd, "etc/hard", &b, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(a.st_ino == b.st_ino && a.st_nlink == 2);
        assert_int_equal(a.st_mtim.tv_sec, 1000000000);
        /* Directory modes and mtimes are the tar's, set after their contents. */
        assert_int_equal(fstatat(dest_fd, "ro", &a, 0), 0);
        assert_int_equal(a.st_mode & 07777, 0555);
        assert_int_equal(a.st_mtim.tv_sec, 1000000000);
        /* An implicit parent is a plain 0755 directory. */
        assert_int_equal(fstatat(dest_fd, "usr/bin", &a, 0), 0);
        assert_int_equal(a.st_mode & 07777, 0755);
}

static void test_plain_tar_unpacks_and_digests_match_the_bytes(void **state)
{
        tarbuf t;
        rq_layer_info info;
        char want[RQ_DIGEST_STR_LEN];
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        add_basic_tree(&t);
        tar_end(&t);

        _cleanup_close_ int in = memfd_with(t.data, t.size);
        _cleanup_close_ int tee = memfd_create("tee", MFD_CLOEXEC);
        rq_error *err = NULL;
        assert_int_equal(rq_layer_unpack(in, dest_fd, NULL, 0, tee,
                                         geteuid() ? RQ_LAYER_IGNORE_CHOWN_ERRORS : 0, &info, &err),
                         0);
        check_basic_tree();
        assert_int_equal(rq_sha256_buf(t.data, t.size, want), 0);
        assert_string_equal(info.digest, want);
        assert_string_equal(info.diff_id, want);
        assert_int_equal(info.blob_size, t.size);
        assert_int_equal(info.unpacked_size, t.size);
        assert_int_equal(info.compression, RQ_LAYER_COMPRESSION_NONE);
        assert_int_equal(info.n_entries, 7);
        /* The tee got the blob byte for byte. */
        char *copy = NULL;
        size_t n = 0;
        assert_int_equal(lseek(tee, 0, SEEK_SET), 0);
        assert_int_equal(read_full_fd(tee, &copy, &n), 0);
        assert_true(n == t.size && memcmp(copy, t.data, n) == 0);
        free(copy);
        free(t.data);
        assert_outside_untouched();
}

/* The same entries compressed: the diff id is the digest of the plain tar, the digest that of
 * the compressed bytes. */
static void check_compressed(int filter, rq_layer_compression want_c)
{
        tarbuf plain, z;
        rq_layer_info info;
        char want_diff[RQ_DIGEST_STR_LEN], want_blob[RQ_DIGEST_STR_LEN];
        tar_begin(&plain, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        add_basic_tree(&plain);
        tar_end(&plain);
        tar_begin(&z, filter, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        add_basic_tree(&z);
        tar_end(&z);

        assert_int_equal(unpack_buf(&z, NULL, 0, 0, &info, NULL), 0);
        check_basic_tree();
        assert_int_equal(rq_sha256_buf(plain.data, plain.size, want_diff), 0);
        assert_int_equal(rq_sha256_buf(z.data, z.size, want_blob), 0);
        assert_string_equal(info.diff_id, want_diff);
        assert_string_equal(info.digest, want_blob);
        assert_string_not_equal(info.digest, info.diff_id);
        assert_int_equal(info.blob_size, z.size);
        assert_int_equal(info.unpacked_size, plain.size);
        assert_int_equal(info.compression, want_c);
        free(plain.data);
        free(z.data);
        assert_outside_untouched();
}

static void test_gzip_layer_digest_and_diff_id(void **state)
{
        check_compressed(GZIP, RQ_LAYER_COMPRESSION_GZIP);
}

static void test_zstd_layer_digest_and_diff_id(void **state)
{
        check_compressed(ZSTD, RQ_LAYER_COMPRESSION_ZSTD);
}

/* A tar padded to 10 KiB records (GNU tar's default): the zero blocks after the end marker are
 * part of the diff id. */
static void test_diff_id_covers_trailing_zero_blocks(void **state)
{
        tarbuf t;
        rq_layer_info info;
        char want[RQ_DIGEST_STR_LEN];
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_GNUTAR);
        tar_add(&t, "a", AE_IFREG, 0644, "a");
        tar_end(&t);
        memset(t.data + t.size, 0, 10240 - t.size);
        t.size = 10240;
        assert_int_equal(unpack_buf(&t, NULL, 0, 0, &info, NULL), 0);
        assert_int_equal(rq_sha256_buf(t.data, t.size, want), 0);
        assert_string_equal(info.diff_id, want);
        assert_int_equal(info.unpacked_size, 10240);
        free(t.data);
}

static void test_long_names_pax_and_gnu(void **state)
{
        char name[300];
        memset(name, 'n', sizeof(name));
        memcpy(name, "deep/", 5);
        name[120] = '/';
        name[250] = 0;
        for (int format = 0; format < 2; format++) {
                tarbuf t;
                tar_begin(&t, PLAIN,
                          format ? ARCHIVE_FORMAT_TAR_GNUTAR : ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
                tar_add(&t, name, AE_IFREG, 0600, "long");
                tar_add(&t, "ln", AE_IFLNK, 0777, name);
                tar_end(&t);
                assert_int_equal(unpack_buf(&t, NULL, 0, 0, NULL, NULL), 0);
                assert_file(name, "long", 0600);
                free(t.data);
        }
}

static void test_later_entry_replaces_earlier(void **state)
{
        tarbuf t;
        struct stat st;
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "f", AE_IFREG, 0644, "one");
        tar_add(&t, "f", AE_IFREG, 0600, "two");
        tar_add(&t, "d/x", AE_IFREG, 0644, "x");
        tar_add(&t, "d", AE_IFREG, 0644, "now a file");
        tar_add(&t, "k/", AE_IFDIR, 0700, NULL);
        tar_add(&t, "k/x", AE_IFREG, 0644, "kept");
        tar_add(&t, "k/", AE_IFDIR, 0750, NULL);
        tar_add(&t, "s", AE_IFLNK, 0777, "/");
        tar_add(&t, "s", AE_IFDIR, 0755, NULL);
        tar_end(&t);
        assert_int_equal(unpack_buf(&t, NULL, 0, 0, NULL, NULL), 0);
        assert_file("f", "two", 0600);
        assert_file("d", "now a file", 0644);
        assert_file("k/x", "kept", 0644);
        assert_int_equal(fstatat(dest_fd, "k", &st, 0), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(fstatat(dest_fd, "s", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISDIR(st.st_mode));
        free(t.data);
        assert_outside_untouched();
}

/* A hard link entry's mode and times go to the shared inode, as docker and podman apply them. */
static void test_hard_link_header_metadata_reaches_the_inode(void **state)
{
        tarbuf t;
        struct stat a, b;
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "tool", AE_IFREG, 0644, "bin");
        tar_add(&t, "tool2", 0, 0755, "tool");
        tar_end(&t);
        assert_int_equal(unpack_buf(&t, NULL, 0, 0, NULL, NULL), 0);
        assert_file("tool", "bin", 0755);
        assert_int_equal(fstatat(dest_fd, "tool", &a, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(fstatat(dest_fd, "tool2", &b, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        assert_int_equal(a.st_nlink, 2);
        free(t.data);
        assert_outside_untouched();
}

/* Names are created without a lookup first; a taken name is made room for, never written
 * through: a symlink replaced by a file leaves what it points to alone. */
static void test_later_entry_of_another_type_replaces_earlier(void **state)
{
        tarbuf t;
        struct stat st;
        char target[64];
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "f", AE_IFREG, 0644, "one");
        tar_add(&t, "f", AE_IFLNK, 0777, "../sentinel/keep");
        tar_add(&t, "l", AE_IFLNK, 0777, "../sentinel/keep");
        tar_add(&t, "l", AE_IFREG, 0600, "not through the link");
        tar_add(&t, "d/x", AE_IFREG, 0644, "x");
        tar_add(&t, "d", AE_IFIFO, 0600, NULL);
        tar_add(&t, "p", AE_IFIFO, 0600, NULL);
        tar_add(&t, "p", AE_IFDIR, 0755, NULL);
        tar_add(&t, "p/y", AE_IFREG, 0644, "y");
        tar_end(&t);
        assert_int_equal(unpack_buf(&t, NULL, 0, 0, NULL, NULL), 0);
        assert_int_equal(fstatat(dest_fd, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISLNK(st.st_mode));
        ssize_t n = readlinkat(dest_fd, "f", target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = 0;
        assert_string_equal(target, "../sentinel/keep");
        assert_file("l", "not through the link", 0600);
        assert_int_equal(fstatat(dest_fd, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISFIFO(st.st_mode));
        assert_file("p/y", "y", 0644);
        free(t.data);
        assert_outside_untouched();
}

/* Tar streams go down and back up the tree: each entry lands in its own directory. */
static void test_entries_land_in_their_directory_after_a_deeper_one(void **state)
{
        tarbuf t;
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_GNUTAR);
        tar_add(&t, "a/b/c/f1", AE_IFREG, 0644, "1");
        tar_add(&t, "a/f2", AE_IFREG, 0644, "2");
        tar_add(&t, "a/b/f3", AE_IFREG, 0644, "3");
        tar_add(&t, "a/b/c/d/", AE_IFDIR, 0755, NULL);
        tar_add(&t, "f4", AE_IFREG, 0644, "4");
        tar_add(&t, "a/b/f5", AE_IFREG, 0644, "5");
        tar_end(&t);
        assert_int_equal(unpack_buf(&t, NULL, 0, 0, NULL, NULL), 0);
        assert_file("a/b/c/f1", "1", 0644);
        assert_file("a/f2", "2", 0644);
        assert_file("a/b/f3", "3", 0644);
        assert_file("f4", "4", 0644);
        assert_file("a/b/f5", "5", 0644);
        struct stat st;
        assert_int_equal(fstatat(dest_fd, "a/b/c/d", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISDIR(st.st_mode));
        free(t.data);
}

/* Each hostile layer: entries (type, name, data) in order, and what the error must say. */
typedef struct hostile {
        const char *what;
        struct {
                mode_t type;
                const char *name, *data;
        } e[3];
        const char *err;
} hostile;

static void test_hostile_layers_are_refused_naming_the_entry(void **state)
{
        char abs_sentinel[128];
        snprintf(abs_sentinel, sizeof(abs_sentinel), "%s/sentinel", base);
        const hostile cases[] = {
                { "dotdot", { { AE_IFREG, "../sentinel/keep", "x" } }, "../sentinel/keep" },
                { "inner dotdot", { { AE_IFREG, "a/../../sentinel/new", "x" } }, "a/../../" },
                { "dot prefix dotdot", { { AE_IFDIR, "./../sentinel", NULL } }, "\"..\"" },
                { "relative symlink parent",
                  { { AE_IFLNK, "l", "../sentinel" }, { AE_IFREG, "l/new", "x" } },
                  "layer entry l/new: l is a symlink in this layer" },
                { "absolute symlink parent",
                  { { AE_IFLNK, "d", abs_sentinel }, { AE_IFDIR, "d/sub", NULL } },
                  "layer entry d/sub/: d is a symlink" },
                { "deep symlink parent",
                  { { AE_IFLNK, "a/b", "/" }, { AE_IFREG, "a/b/c/d", "x" } },
                  "a/b is a symlink" },
                { "hardlink out", { { 0, "h", "../sentinel/keep" } }, "layer entry h: hard link" },
                { "hardlink absolute", { { 0, "h", "/etc/passwd" } }, "outside the layer" },
                { "absolute name", { { AE_IFREG, "/abs/file", "x" } }, "absolute name" },
                { "absolute name into sentinel",
                  { { AE_IFREG, abs_sentinel, "x" } },
                  "absolute name" },
                { "hardlink through symlink",
                  { { AE_IFLNK, "l", abs_sentinel }, { 0, "h", "l/keep" } },
                  "passes through a symlink" },
                { "file as parent",
                  { { AE_IFREG, "f", "x" }, { AE_IFREG, "f/x", "y" } },
                  "f is not a directory" },
                { "root as file", { { AE_IFREG, ".", "x" } }, "names the layer root" },
                { "whiteout dotdot", { { AE_IFREG, "d/.wh...", NULL } }, "invalid name" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                tarbuf t;
                char *msg = NULL;
                tar_begin(&t, i % 2 ? GZIP : PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
                for (size_t k = 0; k < 3 && cases[i].e[k].name; k++)
                        tar_add(&t, cases[i].e[k].name, cases[i].e[k].type,
                                cases[i].e[k].type == AE_IFDIR ? 0755 : 0644, cases[i].e[k].data);
                tar_end(&t);
                int r = unpack_buf(&t, NULL, 0, 0, NULL, &msg);
                if (r >= 0 || !msg || !strstr(msg, cases[i].err))
                        fail_msg("%s: got %d \"%s\", want \"%s\"", cases[i].what, r, msg ? msg : "",
                                 cases[i].err);
                free(msg);
                free(t.data);
                assert_outside_untouched();
                assert_int_equal(teardown(state), 0);
                assert_int_equal(setup(state), 0);
        }
}

static int open_lower(int i)
{
        int fd = openat(base_fd, i ? "lower1" : "lower0", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void test_symlink_of_a_lower_layer_is_not_written_through(void **state)
{
        char abs_sentinel[128];
        snprintf(abs_sentinel, sizeof(abs_sentinel), "%s/sentinel", base);
        int lowers[2] = { open_lower(0), open_lower(1) };
        assert_int_equal(mkdirat(lowers[0], "usr", 0755), 0);
        assert_int_equal(symlinkat(abs_sentinel, lowers[1], "usr/lib"), -1);
        assert_int_equal(mkdirat(lowers[1], "usr", 0755), 0);
        assert_int_equal(symlinkat(abs_sentinel, lowers[1], "usr/lib"), 0);

        tarbuf t;
        char *msg = NULL;
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "usr/lib/evil", AE_IFREG, 0644, "x");
        tar_end(&t);
        assert_true(unpack_buf(&t, lowers, 2, 0, NULL, &msg) < 0);
        assert_non_null(strstr(msg, "layer entry usr/lib/evil: usr/lib is a symlink in a lower"));
        free(msg);
        free(t.data);
        assert_outside_untouched();

        /* A directory in this layer hides the lower symlink: the entry is written. */
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "usr/lib/", AE_IFDIR, 0755, NULL);
        tar_add(&t, "usr/lib/ok", AE_IFREG, 0644, "ok");
        tar_end(&t);
        assert_int_equal(unpack_buf(&t, lowers, 2, 0, NULL, NULL), 0);
        assert_file("usr/lib/ok", "ok", 0644);
        free(t.data);

        /* An opaque directory in a layer in between hides what the ones below have in it (the
         * rootless marker, which needs no privilege). */
        assert_int_equal(mkdirat(lowers[0], "o", 0755), 0);
        assert_int_equal(mkdirat(lowers[1], "o", 0755), 0);
        assert_int_equal(symlinkat(abs_sentinel, lowers[1], "o/s"), 0);
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "o/s/x", AE_IFREG, 0644, "x");
        tar_end(&t);
        assert_true(unpack_buf(&t, lowers, 2, RQ_LAYER_ROOTLESS, NULL, NULL) < 0);
        char path[128];
        snprintf(path, sizeof(path), "%s/lower0/o", base);
        assert_int_equal(setxattr(path, "user.overlay.opaque", "y", 1, 0), 0);
        assert_int_equal(unpack_buf(&t, lowers, 2, RQ_LAYER_ROOTLESS, NULL, NULL), 0);
        assert_file("o/s/x", "x", 0644);
        free(t.data);

        /* So does a whiteout in a layer in between (unprivileged since Linux 5.8). */
        if (mknodat(lowers[0], "usr/lib", S_IFCHR, 0) < 0)
                skip();
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "usr/lib/ok2", AE_IFREG, 0644, "ok2");
        tar_end(&t);
        assert_int_equal(unpack_buf(&t, lowers, 2, 0, NULL, NULL), 0);
        assert_file("usr/lib/ok2", "ok2", 0644);
        free(t.data);
        close(lowers[0]);
        close(lowers[1]);
        assert_outside_untouched();
}

static void test_corrupt_blobs_are_refused(void **state)
{
        tarbuf t;
        char *msg = NULL;
        tar_begin(&t, GZIP, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        add_basic_tree(&t);
        tar_end(&t);
        t.size -= 20;
        assert_true(unpack_buf(&t, NULL, 0, 0, NULL, &msg) < 0);
        assert_non_null(msg);
        free(msg);
        strcpy(t.data, "this is not a tar archive, just some text of no particular kind\n");
        t.size = strlen(t.data);
        assert_true(unpack_buf(&t, NULL, 0, 0, NULL, &msg) < 0);
        assert_non_null(msg);
        free(msg);
        t.size = 0;
        assert_true(unpack_buf(&t, NULL, 0, 0, NULL, &msg) < 0);
        free(msg);
        free(t.data);
        assert_outside_untouched();
}

static void test_whiteouts_become_overlay_whiteouts(void **state)
{
        for (int rootless = 0; rootless < 2; rootless++) {
                if (!rootless && geteuid() != 0)
                        continue;
                tarbuf t;
                struct stat st;
                char v[4] = "";
                tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
                tar_add(&t, "d/", AE_IFDIR, 0755, NULL);
                tar_add(&t, "d/.wh.gone", AE_IFREG, 0644, NULL);
                tar_add(&t, "d/.wh..wh..opq", AE_IFREG, 0644, NULL);
                tar_add(&t, ".wh..wh.plnk/123", AE_IFREG, 0644, "aufs");
                tar_add(&t, "d/.wh..wh.aufs", AE_IFREG, 0644, NULL);
                /* Deleted, then a new directory in its place: opaque. */
                tar_add(&t, ".wh.w", AE_IFREG, 0644, NULL);
                tar_add(&t, "w/new", AE_IFREG, 0644, "new");
                tar_end(&t);
                int r = unpack_buf(&t, NULL, 0, rootless ? RQ_LAYER_ROOTLESS : 0, NULL, NULL);
                free(t.data);
                if (r == -EPERM && rootless)
                        skip(); /* kernel before 5.8 */
                assert_int_equal(r, 0);
                assert_int_equal(fstatat(dest_fd, "d/gone", &st, AT_SYMLINK_NOFOLLOW), 0);
                assert_true(S_ISCHR(st.st_mode) && st.st_rdev == 0);
                char path[128];
                snprintf(path, sizeof(path), "%s/dest/d", base);
                assert_int_equal(
                        getxattr(path, rootless ? "user.overlay.opaque" : "trusted.overlay.opaque",
                                 v, sizeof(v)),
                        1);
                assert_string_equal(v, "y");
                snprintf(path, sizeof(path), "%s/dest/w", base);
                assert_int_equal(
                        getxattr(path, rootless ? "user.overlay.opaque" : "trusted.overlay.opaque",
                                 v, sizeof(v)),
                        1);
                assert_file("w/new", "new", 0644);
                assert_int_equal(faccessat(dest_fd, ".wh..wh.plnk", F_OK, AT_SYMLINK_NOFOLLOW), -1);
                assert_int_equal(faccessat(dest_fd, "d/.wh..wh.aufs", F_OK, AT_SYMLINK_NOFOLLOW),
                                 -1);
                assert_int_equal(teardown(state), 0);
                assert_int_equal(setup(state), 0);
        }
}

static void test_ownership_devices_and_xattrs_as_root(void **state)
{
        if (geteuid() != 0)
                skip();
        tarbuf t;
        struct stat st;
        rq_layer_info info;
        char v[16] = "";
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, "suid");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 04755);
        archive_entry_set_uid(e, 1000);
        archive_entry_set_gid(e, 1001);
        archive_entry_set_size(e, 0);
        archive_entry_xattr_add_entry(e, "user.note", "hi", 2);
        archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/x", 2);
        assert_true(archive_write_header(t.a, e) >= ARCHIVE_WARN);
        archive_entry_free(e);
        tar_add(&t, "dev/null", AE_IFCHR, 0666, NULL);
        tar_add(&t, "fifo", AE_IFIFO, 0640, NULL);
        tar_end(&t);

        assert_int_equal(unpack_buf(&t, NULL, 0, 0, &info, NULL), 0);
        assert_int_equal(fstatat(dest_fd, "suid", &st, 0), 0);
        assert_true(st.st_uid == 1000 && st.st_gid == 1001);
        assert_int_equal(st.st_mode & 07777, 04755);
        char path[128];
        snprintf(path, sizeof(path), "%s/dest/suid", base);
        assert_int_equal(getxattr(path, "user.note", v, sizeof(v)), 2);
        assert_int_equal(getxattr(path, "trusted.overlay.redirect", v, sizeof(v)), -1);
        assert_true(info.n_xattrs_skipped >= 1);
        assert_int_equal(fstatat(dest_fd, "dev/null", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
        assert_int_equal(st.st_mode & 07777, 0666);
        assert_int_equal(fstatat(dest_fd, "fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0640);

        /* Rootless: the device is skipped and counted. */
        assert_int_equal(teardown(state), 0);
        assert_int_equal(setup(state), 0);
        assert_int_equal(unpack_buf(&t, NULL, 0, RQ_LAYER_ROOTLESS, &info, NULL), 0);
        assert_int_equal(info.n_devices_skipped, 1);
        assert_int_equal(fstatat(dest_fd, "dev/null", &st, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(fstatat(dest_fd, "fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
        free(t.data);
}

/* Unprivileged (a child that drops to nobody when the test runs as root), chowning the entries
 * to 0:0 fails: an error naming the entry, or a count with RQ_LAYER_IGNORE_CHOWN_ERRORS. */
static void test_chown_refused_is_an_error_unless_ignored(void **state)
{
        tarbuf t;
        tar_begin(&t, PLAIN, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
        tar_add(&t, "etc/owned", AE_IFREG, 0644, "x");
        tar_end(&t);
        if (geteuid() == 0)
                assert_int_equal(fchown(dest_fd, 65534, 65534), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (geteuid() == 0 &&
                    (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
                        _exit(10);
                _cleanup_close_ int in = memfd_with(t.data, t.size);
                rq_error *err = NULL;
                rq_layer_info info;
                if (rq_layer_unpack(in, dest_fd, NULL, 0, -EBADF, RQ_LAYER_ROOTLESS, NULL, &err) >=
                    0)
                        _exit(11);
                char *msg = rq_error_format(err);
                if (!msg || !strstr(msg, "layer entry etc/owned: chown to 0:0"))
                        _exit(12);
                assert_int_equal(lseek(in, 0, SEEK_SET), 0);
                if (rq_layer_unpack(in, dest_fd, NULL, 0, -EBADF,
                                    RQ_LAYER_ROOTLESS | RQ_LAYER_IGNORE_CHOWN_ERRORS, &info,
                                    NULL) < 0)
                        _exit(13);
                _exit(info.n_chown_skipped == 1 ? 0 : 14);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        free(t.data);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plain_tar_unpacks_and_digests_match_the_bytes,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_gzip_layer_digest_and_diff_id, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_zstd_layer_digest_and_diff_id, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_diff_id_covers_trailing_zero_blocks, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_long_names_pax_and_gnu, setup, teardown),
                cmocka_unit_test_setup_teardown(test_later_entry_replaces_earlier, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hard_link_header_metadata_reaches_the_inode,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_later_entry_of_another_type_replaces_earlier,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_entries_land_in_their_directory_after_a_deeper_one, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hostile_layers_are_refused_naming_the_entry,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_symlink_of_a_lower_layer_is_not_written_through, setup, teardown),
                cmocka_unit_test_setup_teardown(test_corrupt_blobs_are_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_whiteouts_become_overlay_whiteouts, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_ownership_devices_and_xattrs_as_root, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_chown_refused_is_an_error_unless_ignored,
                                                setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
