/* Unit tests: the mountLabel context= option, the time offsets text, and the tree copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/copy-tree.h"
#include "lib/lsm.h"
#include "lib/timens.h"

static void mount_label_is_appended_to_tmpfs_data_only(void **state)
{
        char buf[128];
        const char *d;
        assert_int_equal(rq_lsm_mount_data("tmpfs", "mode=755", "s0", buf, sizeof(buf), &d), 0);
        assert_string_equal(d, "mode=755,context=\"s0\"");
        assert_int_equal(rq_lsm_mount_data("tmpfs", NULL, "s0", buf, sizeof(buf), &d), 0);
        assert_string_equal(d, "context=\"s0\"");
        assert_int_equal(rq_lsm_mount_data("proc", "x", "s0", buf, sizeof(buf), &d), 0);
        assert_string_equal(d, "x");
        assert_int_equal(rq_lsm_mount_data("tmpfs", NULL, NULL, buf, sizeof(buf), &d), 0);
        assert_null(d);
        assert_int_equal(rq_lsm_mount_data("tmpfs", "mode=755", "s0", buf, 8, &d), -ENAMETOOLONG);
}

static void time_offsets_are_one_line_per_clock(void **state)
{
        rq_spec_time_offset o[] = { { "monotonic", -100, 5 }, { "boottime", 86400, 0 } };
        rq_spec_linux l = { .time_offsets = o, .n_time_offsets = 2 };
        char buf[128];
        assert_int_equal(rq_timens_format(&l, buf, sizeof(buf)), 34);
        assert_string_equal(buf, "monotonic -100 5\nboottime 86400 0\n");
        assert_int_equal(rq_timens_format(&l, buf, 10), -ENOSPC);
        assert_int_equal(rq_timens_format(NULL, buf, sizeof(buf)), 0);
}

static void tree_copy_keeps_symlinks_as_links_and_modes(void **state)
{
        char from[] = "/tmp/rq-copy-from.XXXXXX", to[] = "/tmp/rq-copy-to.XXXXXX";
        assert_non_null(mkdtemp(from));
        assert_non_null(mkdtemp(to));
        _cleanup_close_ int f = open(from, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int t = open(to, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(mkdirat(f, "d", 0710), 0);
        int fd = openat(f, "d/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0604);
        assert_true(fd >= 0 && write(fd, "abc", 3) == 3);
        close(fd);
        assert_int_equal(symlinkat("/etc/passwd", f, "link"), 0);
        assert_int_equal(rq_copy_tree(f, t, "test", NULL), 0);
        struct stat st;
        assert_int_equal(fstatat(t, "d", &st, 0), 0);
        assert_int_equal(st.st_mode & 07777, 0710);
        assert_int_equal(fstatat(t, "d/file", &st, 0), 0);
        assert_int_equal(st.st_mode & 07777, 0604);
        assert_int_equal(st.st_size, 3);
        char link[64] = "";
        assert_int_equal(readlinkat(t, "link", link, sizeof(link) - 1), 11);
        assert_string_equal(link, "/etc/passwd");
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s %s", from, to);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(mount_label_is_appended_to_tmpfs_data_only),
                cmocka_unit_test(time_offsets_are_one_line_per_clock),
                cmocka_unit_test(tree_copy_keeps_symlinks_as_links_and_modes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
