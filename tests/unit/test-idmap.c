/* Unit tests: id map building, --map-users parsing, /etc/subuid parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/idmap.h"

static void map_root_user_is_one_line(void **state)
{
        rq_idmap m = { 0 };
        assert_int_equal(rq_idmap_add(&m, 0, 1000, 1), 0);
        char *s = rq_idmap_format(&m);
        assert_string_equal(s, "0 1000 1\n");
        free(s);
}

static void overlapping_ranges_are_refused_on_either_side(void **state)
{
        rq_idmap m = { 0 };
        assert_int_equal(rq_idmap_add(&m, 0, 100000, 65536), 0);
        assert_int_equal(rq_idmap_add(&m, 65535, 1000, 1), -EEXIST); /* inner overlap */
        assert_int_equal(rq_idmap_add(&m, 70000, 165535, 1), -EEXIST); /* outer overlap */
        assert_int_equal(rq_idmap_add(&m, 65536, 165536, 1), 0);
        assert_int_equal(rq_idmap_add(&m, 1, 1, 0), -EINVAL);
        assert_int_equal(rq_idmap_add(&m, 4294967295u, 1, 2), -EINVAL);
}

static void map_auto_after_map_root_shifts_inner_ids_past_root(void **state)
{
        /* unshare --map-root-user --map-auto as uid 1000 with subuid 100000:65536 */
        rq_idmap m = { 0 };
        assert_int_equal(rq_idmap_add(&m, 0, 1000, 1), 0);
        assert_int_equal(rq_idmap_add_skipping(&m, 0, 100000, 65536), 0);
        char *s = rq_idmap_format(&m);
        assert_string_equal(s, "0 1000 1\n1 100000 65535\n");
        free(s);
}

static void skipping_splits_around_an_id_taken_in_the_middle(void **state)
{
        /* --map-user=5 with a range 0..9 -> 10..: inner 5 is taken, the span stays 0..9. */
        rq_idmap m = { 0 };
        assert_int_equal(rq_idmap_add(&m, 5, 1000, 1), 0);
        assert_int_equal(rq_idmap_add_skipping(&m, 0, 10, 10), 0);
        char *s = rq_idmap_format(&m);
        assert_string_equal(s, "5 1000 1\n0 10 5\n6 15 4\n");
        free(s);
        uint32_t out;
        assert_int_equal(rq_idmap_to_outer(&m, 6, &out), 0);
        assert_int_equal(out, 15);
        assert_int_equal(rq_idmap_to_outer(&m, 10, &out), -ENOENT);
}

static void map_users_accepts_both_util_linux_forms(void **state)
{
        rq_idmap_range r;
        assert_int_equal(rq_idmap_parse_range("100000,0,65536", &r), 0); /* outer,inner,count */
        assert_int_equal(r.outer, 100000);
        assert_int_equal(r.inner, 0);
        assert_int_equal(r.count, 65536);
        assert_int_equal(rq_idmap_parse_range("0:100000:65536", &r), 0); /* inner:outer:count */
        assert_int_equal(r.outer, 100000);
        assert_int_equal(r.inner, 0);
        assert_int_equal(rq_idmap_parse_range("auto", &r), 0);
        assert_int_equal(r.inner, RQ_ID_AUTO);
        assert_int_equal(rq_idmap_parse_range("1,2", &r), -EINVAL);
        assert_int_equal(rq_idmap_parse_range("1,2,3,4", &r), -EINVAL);
        assert_int_equal(rq_idmap_parse_range("1,2,0", &r), -ERANGE);
        assert_int_equal(rq_idmap_parse_range("a,2,3", &r), -EINVAL);
}

static void subuid_finds_first_line_by_name_or_id(void **state)
{
        const char *f = "# comment\n"
                        "alice:100000:65536\n"
                        "1001:200000:1000\n"
                        "alice:300000:5\n"
                        "bob:bad:1\n";
        uint32_t start, count;
        assert_int_equal(rq_subid_find(f, "alice", 1000, &start, &count), 0);
        assert_int_equal(start, 100000);
        assert_int_equal(count, 65536);
        assert_int_equal(rq_subid_find(f, "carol", 1001, &start, &count), 0);
        assert_int_equal(start, 200000);
        assert_int_equal(count, 1000);
        assert_int_equal(rq_subid_find(f, "dave", 1002, &start, &count), -ENOENT);
        assert_int_equal(rq_subid_find(f, "bob", 1003, &start, &count), -EINVAL);
        assert_int_equal(rq_subid_find("", "x", 1, &start, &count), -ENOENT);
        assert_int_equal(rq_subid_find("x:1:2", "x", 1, &start, &count), 0); /* no newline */
        assert_int_equal(start, 1);
}

static void subuid_lookup_names_file_and_fix(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        uint32_t start, count;
        assert_int_equal(rq_subid_lookup("/nonexistent/subuid", "alice", 1000, &start, &count, &e),
                         -ENOENT);
        char *s = rq_error_format(e);
        assert_non_null(strstr(s, "/nonexistent/subuid"));
        free(s);
        assert_non_null(strstr(rq_error_get_hint(e), "alice:100000:65536"));
}

static void an_outer_id_already_mapped_is_stepped_over(void **state)
{
        rq_idmap m = { 0 };
        assert_int_equal(rq_idmap_add(&m, 0, 12, 1), 0);
        assert_int_equal(rq_idmap_add_skipping(&m, 1, 10, 4), 0);
        char *s = rq_idmap_format(&m);
        assert_string_equal(s, "0 12 1\n1 10 2\n3 13 2\n");
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(map_root_user_is_one_line),
                cmocka_unit_test(overlapping_ranges_are_refused_on_either_side),
                cmocka_unit_test(map_auto_after_map_root_shifts_inner_ids_past_root),
                cmocka_unit_test(skipping_splits_around_an_id_taken_in_the_middle),
                cmocka_unit_test(an_outer_id_already_mapped_is_stepped_over),
                cmocka_unit_test(map_users_accepts_both_util_linux_forms),
                cmocka_unit_test(subuid_finds_first_line_by_name_or_id),
                cmocka_unit_test(subuid_lookup_names_file_and_fix),
        };
        return cmocka_run_group_tests_name("idmap", tests, NULL, NULL);
}
