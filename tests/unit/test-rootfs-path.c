/* Unit tests: the errors of resolving paths in a container rootfs name the path inside the
 * container, the rootfs on the host, and what was refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/rootfs-path.h"

static char dir[] = "/tmp/rq-test-rootfs-path.XXXXXX";
static char rootfs_path[64];

/* T/rootfs: an image with a few planted symlinks; T/host: the host beside it. */
static int setup(void **state)
{
        if (!mkdtemp(dir))
                return -1;
        snprintf(rootfs_path, sizeof(rootfs_path), "%s/rootfs", dir);
        _cleanup_close_ int d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *dirs[] = { "host", "rootfs", "rootfs/etc", "rootfs/dev", "rootfs/proc" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdirat(d, dirs[i], 0755) < 0)
                        return -1;
        const char *files[] = { "host/passwd", "rootfs/etc/file", "rootfs/proc/status" };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                int fd = openat(d, files[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -1;
                close(fd);
        }
        char host_passwd[96];
        snprintf(host_passwd, sizeof(host_passwd), "%s/host/passwd", dir);
        const char *links[][2] = {
                { "/host/elsewhere", "rootfs/etc/evil" }, { host_passwd, "rootfs/etc/passwd_link" },
                { "missing", "rootfs/etc/dangling" },     { "loop", "rootfs/loop" },
                { "/dev/null", "rootfs/dev/null" },
        };
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i][0], d, links[i][1]) < 0)
                        return -1;
        rq_rootfs *r = malloc(sizeof(*r));
        if (!r)
                return -1;
        *state = r;
        return rq_rootfs_open(rootfs_path, r, NULL);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        return remove(path);
}

static int teardown(void **state)
{
        rq_rootfs *r = *state;
        rq_rootfs_done(r);
        free(r);
        return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* e says exactly "<what> <path> (in rootfs <rootfs>): <tail>" and carries err. */
static void assert_error(rq_error *e, int err, const char *what, const char *path, const char *tail)
{
        assert_non_null(e);
        assert_int_equal(rq_error_errno(e), err);
        _cleanup_free_ char *want = NULL;
        assert_true(asprintf(&want, "%s %s (in rootfs %s): %s", what, path, rootfs_path, tail) > 0);
        _cleanup_free_ char *s = rq_error_format(e);
        assert_string_equal(s, want);
}

static void a_missing_rootfs_is_named(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        rq_rootfs r = RQ_ROOTFS_NULL;
        assert_int_equal(rq_rootfs_open("/nonexistent/rootfs", &r, &e), -ENOENT);
        _cleanup_free_ char *s = rq_error_format(e);
        assert_string_equal(s, "open rootfs /nonexistent/rootfs: No such file or directory");
        assert_int_equal(r.fd, -EBADF);
}

static void a_mount_destination_through_a_symlink_to_the_host_is_refused(void **state)
{
        rq_rootfs *r = *state;
        _cleanup_error_ rq_error *e = NULL;
        int fd = -EBADF;
        assert_int_equal(rq_rootfs_create(r, "mount destination", "/etc/evil/x", CHASE_CREATE_FILE,
                                          0644, &fd, &e),
                         -EXDEV);
        assert_error(e, EXDEV, "mount destination", "/etc/evil/x",
                     "a symlink in the path leads outside the root and was not followed");
        assert_non_null(strstr(rq_error_get_hint(e), "symlink"));
        assert_int_equal(fd, -EBADF);
}

static void a_final_symlink_is_refused_and_named(void **state)
{
        rq_rootfs *r = *state;
        _cleanup_error_ rq_error *e = NULL;
        int fd = -EBADF;
        assert_int_equal(rq_rootfs_create(r, "mount destination", "etc/passwd_link",
                                          CHASE_CREATE_FILE, 0644, &fd, &e),
                         -EEXIST);
        assert_error(e, EEXIST, "mount destination", "/etc/passwd_link", "is a symlink: refused");
        struct stat st;
        char host_passwd[96];
        snprintf(host_passwd, sizeof(host_passwd), "%s/host/passwd", dir);
        assert_int_equal(stat(host_passwd, &st), 0);
        assert_int_equal(st.st_size, 0);
}

static void wrong_kinds_and_dangling_links_are_explained(void **state)
{
        rq_rootfs *r = *state;
        int fd = -EBADF;
        _cleanup_error_ rq_error *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL;
        assert_int_equal(rq_rootfs_create(r, "mount destination", "/etc/file",
                                          CHASE_CREATE_DIRECTORY, 0755, &fd, &e1),
                         -ENOTDIR);
        assert_error(e1, ENOTDIR, "mount destination", "/etc/file", "not a directory");
        assert_int_equal(rq_rootfs_mkdir_p(r, NULL, "/etc/dangling/x", 0755, &fd, &e2), -ENOLINK);
        assert_error(e2, ENOLINK, "path", "/etc/dangling/x",
                     "a symlink in the path points to nothing in the rootfs: nothing was created "
                     "through it");
        assert_int_equal(rq_rootfs_resolve(r, NULL, "loop", 0, 0, &fd, &e3), -ELOOP);
        assert_error(e3, ELOOP, "path", "/loop",
                     "leads through a symlink loop, more than 40 symlinks or a /proc magic link: "
                     "refused");
        assert_int_equal(rq_rootfs_resolve(r, "mount source", "/missing", 0, 0, &fd, &e4), -ENOENT);
        assert_error(e4, ENOENT, "mount source", "/missing", "No such file or directory");
        assert_int_equal(rq_rootfs_create(r, NULL, "etc", CHASE_CREATE_FILE, 0644, &fd, &e5),
                         -EISDIR);
        assert_error(e5, EISDIR, "path", "/etc", "is a directory");
        assert_int_equal(fd, -EBADF);
}

static void a_planted_dev_null_is_not_taken_for_the_device(void **state)
{
        rq_rootfs *r = *state;
        _cleanup_error_ rq_error *e1 = NULL, *e2 = NULL;
        _cleanup_close_ int link_fd = -EBADF;
        assert_int_equal(
                rq_rootfs_resolve(r, "device", "/dev/null", O_PATH | O_NOFOLLOW, 0, &link_fd, NULL),
                0);
        assert_int_equal(rq_rootfs_verify_device(r, link_fd, "device", "/dev/null", S_IFCHR,
                                                 makedev(1, 3), &e1),
                         -ELOOP);
        assert_error(e1, ELOOP, "device", "/dev/null", "is a symlink: refused");

        _cleanup_close_ int file_fd = -EBADF;
        assert_int_equal(rq_rootfs_resolve(r, "device", "/etc/file", 0, 0, &file_fd, NULL), 0);
        assert_int_equal(rq_rootfs_verify_device(r, file_fd, "device", "/dev/null", S_IFCHR,
                                                 makedev(1, 3), &e2),
                         -ENODEV);
        assert_error(e2, ENODEV, "device", "/dev/null", "is not the character device 1:3: refused");

        _cleanup_close_ int null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
        rq_error *none = NULL;
        assert_int_equal(rq_rootfs_verify_device(r, null_fd, "device", "/dev/null", S_IFCHR,
                                                 makedev(1, 3), &none),
                         0);
        assert_null(none);
}

static void a_proc_file_not_on_procfs_is_refused(void **state)
{
        rq_rootfs *r = *state;
        _cleanup_error_ rq_error *e1 = NULL, *e2 = NULL;
        _cleanup_close_ int fd = -EBADF;
        assert_int_equal(rq_rootfs_resolve(r, NULL, "/proc/status", O_WRONLY, 0, &fd, NULL), 0);
        assert_int_equal(rq_rootfs_verify_kind(r, fd, "sysctl file", "/proc/status", S_IFREG,
                                               PROC_SUPER_MAGIC, &e1),
                         -EXDEV);
        assert_error(e1, EXDEV, "sysctl file", "/proc/status", "is not on procfs: refused");
        assert_int_equal(rq_rootfs_verify_kind(r, r->fd, "sysctl file", "/", S_IFREG, 0, &e2),
                         -EISDIR);
        assert_error(e2, EISDIR, "sysctl file", "/", "is not a regular file: refused");

        _cleanup_close_ int proc_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        assert_int_equal(rq_rootfs_verify_kind(r, proc_fd, "sysctl file", "/proc/self/status",
                                               S_IFREG, PROC_SUPER_MAGIC, NULL),
                         0);
}

static void crossing_a_mount_with_no_xdev_is_explained(void **state)
{
        rq_rootfs slash = RQ_ROOTFS_NULL;
        assert_int_equal(rq_rootfs_open("/", &slash, NULL), 0);
        _cleanup_error_ rq_error *e = NULL;
        int fd = -EBADF;
        assert_int_equal(rq_rootfs_resolve(&slash, "mount destination", "/proc/self", 0,
                                           CHASE_NO_XDEV, &fd, &e),
                         -EXDEV);
        _cleanup_free_ char *s = rq_error_format(e);
        assert_string_equal(s, "mount destination /proc/self (in rootfs /): crosses a mount point: "
                               "refused");
        rq_rootfs_done(&slash);
        assert_int_equal(slash.fd, -EBADF);
        assert_null(slash.path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_missing_rootfs_is_named),
                cmocka_unit_test(a_mount_destination_through_a_symlink_to_the_host_is_refused),
                cmocka_unit_test(a_final_symlink_is_refused_and_named),
                cmocka_unit_test(wrong_kinds_and_dangling_links_are_explained),
                cmocka_unit_test(a_planted_dev_null_is_not_taken_for_the_device),
                cmocka_unit_test(a_proc_file_not_on_procfs_is_refused),
                cmocka_unit_test(crossing_a_mount_with_no_xdev_is_explained),
        };
        return cmocka_run_group_tests_name("rootfs-path", tests, setup, teardown);
}
