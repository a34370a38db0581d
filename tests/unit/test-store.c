/* The image store without the CLI: single-layer images recorded, found by every kind of name,
 * saved as docker and OCI archives and loaded back into a second store with the same id,
 * removed with their layers and blobs, and the sweep after a command that died midway. Needs
 * root, as unpacking layers does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/rm-rf.h"
#include "engine/store/load.h"
#include "engine/store/record.h"
#include "engine/store/save.h"
#include "engine/store/store.h"

static char base[64];

static int setup(void **state)
{
        /* Unpacking layers needs root (rq_store_check_unpack). */
        if (geteuid() != 0)
                skip();
        strcpy(base, "/tmp/rq-test-store-XXXXXX");
        assert_non_null(mkdtemp(base));
        return 0;
}

static int teardown(void **state)
{
        assert_int_equal(rm_rf_at(AT_FDCWD, base), 0);
        return 0;
}

static char *path(const char *sub)
{
        static char buf[4][512];
        static int k;
        k = (k + 1) % 4;
        snprintf(buf[k], sizeof(buf[k]), "%s/%.300s", base, sub);
        return buf[k];
}

static rq_store *open_store(const char *name)
{
        rq_store *s = NULL;
        _cleanup_error_ rq_error *err = NULL;
        char root[128], run[128];
        snprintf(root, sizeof(root), "%s/%s", base, name);
        snprintf(run, sizeof(run), "%s/%s-run", base, name);
        if (rq_store_open(root, run, RQ_STORE_WRITE, &s, &err) < 0)
                fail_msg("open store: %s", err ? err->msg : "?");
        return s;
}

/* A memfd holding a tar with one file whose content is text. */
static int layer_fd(const char *text)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, "hello");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_uid(e, getuid());
        archive_entry_set_gid(e, getgid());
        archive_entry_set_size(e, (la_int64_t)strlen(text));
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
        archive_entry_free(e);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static json_t *config_for(const char *diff_id, void *userdata)
{
        return json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}}", "architecture", "amd64",
                         "os", "linux", "created", "2026-01-02T03:04:05Z", "config", "Cmd",
                         (const char *)userdata, "rootfs", "type", "layers", "diff_ids", diff_id);
}

static void add_image(rq_store *s, const char *text, const char *name, char id[65])
{
        _cleanup_error_ rq_error *err = NULL;
        _cleanup_close_ int fd = layer_fd(text);
        char *names[] = { (char *)name, NULL };
        if (rq_store_add_layer_image(s, fd, config_for, (void *)text, name ? names : NULL, id,
                                     &err) < 0)
                fail_msg("add image: %s", err ? err->msg : "?");
}

static int count_entries(const char *dir)
{
        _cleanup_(closedirp) DIR *d = opendir(dir);
        int n = 0;
        if (!d)
                return -1;
        struct dirent *de;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        return n;
}

static void test_images_are_found_by_every_kind_of_name(void **state)
{
        _cleanup_(rq_store_closep) rq_store *s = open_store("a");
        char id[65], id2[65];
        add_image(s, "one", "localhost/app:1", id);
        add_image(s, "two", "docker.io/library/web:latest", id2);
        assert_string_not_equal(id, id2);

        const char *ok[] = { "localhost/app:1", "app:1", "web", "docker.io/library/web", id };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_(rq_db_image_done) rq_db_image img = {};
                _cleanup_error_ rq_error *err = NULL;
                if (rq_store_find_image(s, ok[i], &img, NULL, &err) < 0)
                        fail_msg("%s: %s", ok[i], err ? err->msg : "?");
                assert_int_equal(img.n_layers, 1);
        }
        /* An id prefix, "sha256:" + id, name@manifest-digest. */
        char prefix[8], full[80];
        snprintf(prefix, sizeof(prefix), "%.6s", id);
        snprintf(full, sizeof(full), "sha256:%s", id);
        _cleanup_(rq_db_image_done) rq_db_image a = {}, b = {}, c = {};
        assert_int_equal(rq_store_find_image(s, prefix, &a, NULL, NULL), 0);
        assert_string_equal(a.id, id);
        assert_int_equal(rq_store_find_image(s, full, &b, NULL, NULL), 0);
        char bydigest[160];
        snprintf(bydigest, sizeof(bydigest), "localhost/app@%s", b.manifest_digest);
        assert_int_equal(rq_store_find_image(s, bydigest, &c, NULL, NULL), 0);
        assert_string_equal(c.id, id);

        /* Unknown names and ids say so; a bad reference says why. */
        rq_db_image x = {};
        rq_error *err = NULL;
        assert_int_equal(rq_store_find_image(s, "nothere", &x, NULL, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "image not known"));
        rq_error_free(err);
        err = NULL;
        assert_int_equal(rq_store_find_image(s, "Bad", &x, NULL, &err), -EINVAL);
        rq_error_free(err);
}

static void test_save_and_load_keep_the_image_id(void **state)
{
        char id[65];
        {
                _cleanup_(rq_store_closep) rq_store *s = open_store("src");
                add_image(s, "payload", "localhost/app:1", id);
                for (int f = 0; f < 2; f++) {
                        _cleanup_(rq_db_image_done) rq_db_image img = {};
                        assert_int_equal(rq_store_find_image(s, id, &img, NULL, NULL), 0);
                        char **names[] = { img.names };
                        _cleanup_close_ int fd = open(path(f ? "oci.tar" : "docker.tar"),
                                                      O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                        rq_save_opts so = {};
                        _cleanup_error_ rq_error *err = NULL;
                        if (rq_save(s, &img, 1, names,
                                    f ? RQ_SAVE_OCI_ARCHIVE : RQ_SAVE_DOCKER_ARCHIVE, fd, &so,
                                    &err) < 0)
                                fail_msg("save: %s", err->msg);
                }
        }
        for (int f = 0; f < 2; f++) {
                _cleanup_(rq_store_closep) rq_store *d = open_store(f ? "dst-oci" : "dst-docker");
                _cleanup_close_ int fd =
                        open(path(f ? "oci.tar" : "docker.tar"), O_RDONLY | O_CLOEXEC);
                rq_load_opts lo = {};
                _cleanup_error_ rq_error *err = NULL;
                if (rq_load(d, fd, -EBADF, &lo, &err) < 0)
                        fail_msg("load: %s", err->msg);
                _cleanup_(rq_db_image_done) rq_db_image img = {};
                assert_int_equal(rq_store_find_image(d, "localhost/app:1", &img, NULL, NULL), 0);
                assert_string_equal(img.id, id);
                char hello[512];
                snprintf(hello, sizeof(hello), "%s/%s/layers/%s/diff/hello", base,
                         f ? "dst-oci" : "dst-docker", rq_digest_hex(img.layers[0].diff_id));
                _cleanup_free_ char *text = NULL;
                assert_int_equal(read_full_file_at(AT_FDCWD, hello, &text, NULL), 0);
                assert_string_equal(text, "payload");
        }
}

static void test_removal_takes_unused_layers_and_blobs(void **state)
{
        _cleanup_(rq_store_closep) rq_store *s = open_store("rm");
        char a[65], b[65];
        add_image(s, "same", "localhost/a:1", a);
        /* Same layer, another config: the layer is shared. */
        _cleanup_close_ int fd = layer_fd("same");
        char *names[] = { "localhost/b:1", NULL };
        assert_int_equal(rq_store_add_layer_image(s, fd, config_for, "other", names, b, NULL), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(count_entries(path("rm/layers")), 1);

        assert_int_equal(rq_store_image_remove(s, a, NULL), 0);
        assert_int_equal(count_entries(path("rm/layers")), 1);
        assert_int_equal(rq_store_image_remove(s, b, NULL), 0);
        assert_int_equal(count_entries(path("rm/layers")), 0);
        assert_int_equal(count_entries(path("rm/blobs/sha256")), 0);
}

static void test_a_dead_command_leaves_nothing_for_the_next(void **state)
{
        char id[65];
        {
                _cleanup_(rq_store_closep) rq_store *s = open_store("crash");
                add_image(s, "kept", "localhost/kept:1", id);
        }
        /* What a load killed between storing files and committing rows leaves behind. */
        assert_int_equal(mkdir(path("crash/layers/aaaa"), 0755), 0);
        char stray[256];
        snprintf(stray, sizeof(stray), "crash/blobs/sha256/%064d", 0);
        _cleanup_close_ int b = open(path(stray), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(b >= 0);
        assert_int_equal(mkdir(path("crash/tmp/0123"), 0755), 0);
        _cleanup_close_ int m =
                open(path("crash/tmp/.in-progress"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(m >= 0);

        {
                _cleanup_(rq_store_closep) rq_store *s = open_store("crash");
                _cleanup_(rq_db_image_done) rq_db_image img = {};
                assert_int_equal(rq_store_find_image(s, "kept:1", &img, NULL, NULL), 0);
        }
        assert_int_equal(access(path("crash/layers/aaaa"), F_OK), -1);
        assert_int_equal(access(path(stray), F_OK), -1);
        assert_int_equal(count_entries(path("crash/tmp")), 0);
        /* The kept image's layer and blobs are still there. */
        assert_int_equal(count_entries(path("crash/layers")), 1);
        assert_int_equal(count_entries(path("crash/blobs/sha256")), 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_images_are_found_by_every_kind_of_name, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_save_and_load_keep_the_image_id, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_removal_takes_unused_layers_and_blobs, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_a_dead_command_leaves_nothing_for_the_next,
                                                setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
