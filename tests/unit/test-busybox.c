/* The built-in busybox layer, written to a memfd and read back with libarchive: its contents,
 * its reproducibility, the refusal of binaries that are not a static busybox, and the image
 * config. The tests that need the host's /bin/busybox are skipped where it is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic/fd-util.h"
#include "basic/string-util.h"
#include "engine/busybox.h"

#define HOST_BUSYBOX "/bin/busybox"

static bool have_host_busybox(void)
{
        return access(HOST_BUSYBOX, X_OK) == 0;
}

/* The whole content of a memfd. */
static char *memfd_read(int fd, size_t *ret_size)
{
        char *buf = NULL;
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(read_full_fd(fd, &buf, ret_size), 0);
        return buf;
}

static char *layer_write(rq_busybox_info *info, size_t *ret_size)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        rq_error *err = NULL;
        int r = rq_busybox_layer_write(fd, NULL, info, &err);
        if (r < 0)
                fail_msg("rq_busybox_layer_write: %s", rq_error_format(err));
        char *buf = memfd_read(fd, ret_size);
        close(fd);
        return buf;
}

static void test_layer_holds_busybox_its_applets_and_etc(void **state)
{
        if (!have_host_busybox())
                skip();
        rq_busybox_info info;
        size_t size;
        char *tar = layer_write(&info, &size);

        char *host = NULL, host_digest[RQ_DIGEST_STR_LEN], digest[RQ_DIGEST_STR_LEN];
        size_t host_size;
        struct stat st;
        assert_int_equal(stat(HOST_BUSYBOX, &st), 0);
        assert_int_equal(read_full_file_at(AT_FDCWD, HOST_BUSYBOX, &host, &host_size), 0);
        assert_int_equal(rq_sha256_buf(host, host_size, host_digest), 0);
        free(host);

        /* The diff id is the digest of the bytes written. */
        assert_int_equal(rq_sha256_buf(tar, size, digest), 0);
        assert_string_equal(info.diff_id, digest);
        assert_int_equal(info.mtime, st.st_mtim.tv_sec);
        assert_true(startswith(info.version, "v1.") != NULL);
        assert_true(info.n_applets > 100);
#if defined(__x86_64__)
        assert_string_equal(info.arch, "amd64");
#elif defined(__aarch64__)
        assert_string_equal(info.arch, "arm64");
        assert_string_equal(info.variant, "v8");
#endif

        struct archive *a = archive_read_new();
        assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
        assert_int_equal(archive_read_open_memory(a, tar, size), ARCHIVE_OK);
        struct archive_entry *e;
        size_t links = 0, seen = 0;
        char *prev = strdup("");
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                seen++;
                /* Every entry 0:0 with the binary's mtime; no pax records (ustar). */
                assert_int_equal(archive_entry_uid(e), 0);
                assert_int_equal(archive_entry_gid(e), 0);
                assert_int_equal(archive_entry_mtime(e), st.st_mtim.tv_sec);
                assert_int_equal(archive_format(a), ARCHIVE_FORMAT_TAR_USTAR);
                /* Sorted, except bin/busybox right after bin/ (links need their target first). */
                if (!streq(name, "bin/busybox") && !streq(prev, "bin/busybox"))
                        assert_true(strcmp(prev, name) < 0);
                free(prev);
                prev = strdup(name);

                const char *hard = archive_entry_hardlink(e);
                if (hard) {
                        assert_string_equal(hard, "bin/busybox");
                        assert_true(startswith(name, "bin/") != NULL);
                        links++;
                }
                if (streq(name, "bin/busybox")) {
                        assert_int_equal(archive_entry_filetype(e), AE_IFREG);
                        assert_int_equal(archive_entry_perm(e), 0755);
                        assert_int_equal(archive_entry_size(e), st.st_size);
                        char *data = malloc(st.st_size);
                        assert_int_equal(archive_read_data(a, data, st.st_size), st.st_size);
                        assert_int_equal(rq_sha256_buf(data, st.st_size, digest), 0);
                        assert_string_equal(digest, host_digest);
                        free(data);
                } else if (streq(name, "bin/sh")) {
                        assert_non_null(hard);
                } else if (streq(name, "etc/passwd")) {
                        char data[4096] = { 0 };
                        assert_true(archive_read_data(a, data, sizeof(data) - 1) > 0);
                        assert_true(startswith(data, "root:x:0:0:root:/root:/bin/sh\n") != NULL);
                        assert_non_null(strstr(data, "\nnobody:x:65534:65534:"));
                } else if (streq(name, "etc/shadow")) {
                        assert_int_equal(archive_entry_perm(e), 0600);
                } else if (streq(name, "tmp/")) {
                        assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
                        assert_int_equal(archive_entry_perm(e), 01777);
                } else if (streq(name, "root/")) {
                        assert_int_equal(archive_entry_perm(e), 0700);
                } else if (streq(name, "usr/bin/env")) {
                        assert_int_equal(archive_entry_filetype(e), AE_IFLNK);
                        assert_string_equal(archive_entry_symlink(e), "../../bin/env");
                } else {
                        continue;
                }
                seen += 1000; /* one of the entries checked above */
        }
        free(prev);
        assert_int_equal(links, info.n_applets);
        /* bin/busybox, bin/sh, etc/passwd, etc/shadow, tmp/, root/, usr/bin/env */
        assert_int_equal(seen / 1000, 7);
        archive_read_free(a);
        free(tar);
}

static void test_two_writes_give_identical_bytes(void **state)
{
        if (!have_host_busybox())
                skip();
        rq_busybox_info i1, i2;
        size_t s1, s2;
        char *t1 = layer_write(&i1, &s1), *t2 = layer_write(&i2, &s2);
        assert_int_equal(s1, s2);
        assert_memory_equal(t1, t2, s1);
        assert_string_equal(i1.diff_id, i2.diff_id);
        free(t1);
        free(t2);
}

static void expect_refused(const char *path, int err, const char *text)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        rq_error *e = NULL;
        assert_int_equal(rq_busybox_layer_write(fd, path, NULL, &e), -err);
        char *msg = rq_error_format(e);
        if (!strstr(msg, text) || !strstr(msg, "busybox-static"))
                fail_msg("%s: unexpected error: %s", path, msg);
        assert_non_null(strstr(rq_error_get_hint(e), "apt-get install busybox-static"));
        /* Nothing was written. */
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 0);
        free(msg);
        rq_error_free(e);
        close(fd);
}

static void test_a_dynamic_or_missing_busybox_is_refused_naming_busybox_static(void **state)
{
        expect_refused("/bin/ls", ENOEXEC,
                       "/bin/ls is dynamically linked (it names an ELF interpreter): the built-in "
                       "busybox image needs a statically linked busybox");
        expect_refused("/nonexistent/busybox", ENOENT, "/nonexistent/busybox does not exist");
        expect_refused("/etc/passwd", ENOEXEC, "/etc/passwd is not an ELF executable");
        expect_refused("/", ENOEXEC, "/ is not a regular file");
}

static void test_config_names_the_layer_the_arch_and_the_version(void **state)
{
        rq_busybox_info info = { .version = "v1.35.0 (Debian 1:1.35.0-4)",
                                 .arch = "arm64",
                                 .variant = "v8",
                                 .mtime = 1700000000 };
        const char *diff_id =
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        json_t *cfg = rq_busybox_config(diff_id, &info);
        assert_non_null(cfg);
        char *s = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        const char *want =
                "{\"architecture\":\"arm64\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/usr/"
                "local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]},\"created\":\"2023-"
                "11-14T22:13:20Z\",\"history\":[{\"created\":\"2023-11-14T22:13:20Z\","
                "\"created_by\":\"rongqi: built-in busybox image from the host's busybox-static "
                "v1.35.0 (Debian 1:1.35.0-4)\"}],\"os\":\"linux\",\"rootfs\":{\"diff_ids\":["
                "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"],"
                "\"type\":\"layers\"},\"variant\":\"v8\"}";
        assert_string_equal(s, want);
        free(s);
        json_decref(cfg);

        /* No variant key where there is none. */
        snprintf(info.arch, sizeof(info.arch), "amd64");
        info.variant[0] = '\0';
        cfg = rq_busybox_config(diff_id, &info);
        assert_string_equal(json_string_value(json_object_get(cfg, "architecture")), "amd64");
        assert_null(json_object_get(cfg, "variant"));
        json_decref(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_layer_holds_busybox_its_applets_and_etc),
                cmocka_unit_test(test_two_writes_give_identical_bytes),
                cmocka_unit_test(
                        test_a_dynamic_or_missing_busybox_is_refused_naming_busybox_static),
                cmocka_unit_test(test_config_names_the_layer_the_arch_and_the_version),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
