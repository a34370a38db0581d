/* Unit tests: the namespace table and nsfs identification of our own namespaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ns.h"

static void names_and_options_map_to_the_same_type(void **state)
{
        assert_int_equal(rq_ns_type_from_name("mnt"), RQ_NS_MNT);
        assert_int_equal(rq_ns_type_from_name("mount"), RQ_NS_MNT);
        assert_int_equal(rq_ns_type_from_name("time"), RQ_NS_TIME);
        assert_int_equal(rq_ns_type_from_name("bogus"), _RQ_NS_TYPE_INVALID);
        assert_int_equal(rq_ns_type_from_clone_flag(CLONE_NEWNET), RQ_NS_NET);
        assert_int_equal(rq_ns_info_get(RQ_NS_PID)->short_option, 'p');
        assert_string_equal(rq_ns_info_get(RQ_NS_PID)->for_children, "pid_for_children");
}

static void every_type_has_a_distinct_clone_flag(void **state)
{
        int seen = 0;
        for (int i = 0; i < _RQ_NS_TYPE_MAX; i++) {
                int f = rq_ns_info_get((rq_ns_type)i)->clone_flag;
                assert_int_equal(seen & f, 0);
                seen |= f;
        }
        assert_int_equal(seen, rq_ns_all_clone_flags());
}

static void own_namespace_fd_identifies_with_the_inode_of_the_link(void **state)
{
        for (int i = 0; i < _RQ_NS_TYPE_MAX; i++) {
                if (!rq_ns_supported((rq_ns_type)i))
                        continue;
                _cleanup_error_ rq_error *e = NULL;
                int fd = rq_ns_open(0, (rq_ns_type)i, false, &e);
                assert_true(fd >= 0);
                rq_ns_type t;
                uint64_t ino, ino2;
                assert_int_equal(rq_ns_fd_identify(fd, &t, &ino), 0);
                assert_int_equal(t, i);
                assert_int_equal(rq_ns_inode(0, (rq_ns_type)i, false, &ino2), 0);
                assert_int_equal(ino, ino2);
                close(fd);
        }
}

static void a_regular_file_is_not_a_namespace(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_ns_open_path("/proc/self/status", RQ_NS_NET, &e), -EINVAL);
        char *s = rq_error_format(e);
        assert_non_null(strstr(s, "is not a namespace file"));
        free(s);
}

static void a_namespace_of_the_wrong_type_is_named(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_ns_open_path("/proc/self/ns/uts", RQ_NS_NET, &e), -EINVAL);
        char *s = rq_error_format(e);
        assert_non_null(strstr(s, "is a uts namespace, not a net namespace"));
        free(s);
}

static void a_gone_process_is_reported_as_such(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_ns_open(0x3ffffff0, RQ_NS_NET, false, &e), -ESRCH);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(names_and_options_map_to_the_same_type),
                cmocka_unit_test(every_type_has_a_distinct_clone_flag),
                cmocka_unit_test(own_namespace_fd_identifies_with_the_inode_of_the_link),
                cmocka_unit_test(a_regular_file_is_not_a_namespace),
                cmocka_unit_test(a_namespace_of_the_wrong_type_is_named),
                cmocka_unit_test(a_gone_process_is_reported_as_such),
        };
        return cmocka_run_group_tests_name("ns", tests, NULL, NULL);
}
