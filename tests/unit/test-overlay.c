/* The overlay module's pure logic: path checks, short link names and the classic option string
 * (its page limit, with and without short links). Mounting is tested in overlay.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/storage/overlay.h"

static void test_path_check(void **state)
{
        assert_int_equal(rq_overlay_path_check("layers/abc/diff"), 0);
        assert_int_equal(rq_overlay_path_check("/var/lib/rongqi/c/upper"), 0);
        assert_int_equal(rq_overlay_path_check(""), -EINVAL);
        assert_int_equal(rq_overlay_path_check(NULL), -EINVAL);
        assert_int_equal(rq_overlay_path_check("a:b"), -EINVAL);
        assert_int_equal(rq_overlay_path_check("a,b"), -EINVAL);
        assert_int_equal(rq_overlay_path_check("a\\b"), -EINVAL);
        assert_int_equal(rq_overlay_path_check("a\nb"), -EINVAL);
}

static void test_rel_check(void **state)
{
        assert_int_equal(rq_overlay_rel_check("layers/abc/diff"), 0);
        assert_int_equal(rq_overlay_rel_check("l"), 0);
        assert_int_equal(rq_overlay_rel_check("a/.hidden/..b"), 0);
        static const char *const bad[] = { "/abs",  "../up", "a/../b", "a/..", "./a",
                                           "a/./b", "a//b",  "a/",     ".",    "..",
                                           "",      "a:b/c", "a,b" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (rq_overlay_rel_check(bad[i]) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
}

static void test_link_name(void **state)
{
        char a[RQ_OVERLAY_LINK_LEN + 1], b[RQ_OVERLAY_LINK_LEN + 1], c[RQ_OVERLAY_LINK_LEN + 1];
        rq_overlay_link_name("layers/top/diff", 0, a);
        rq_overlay_link_name("layers/top/diff", 0, b);
        assert_string_equal(a, b); /* deterministic: the same layer finds its link again */
        assert_int_equal(strlen(a), RQ_OVERLAY_LINK_LEN);
        assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"), RQ_OVERLAY_LINK_LEN);
        rq_overlay_link_name("layers/top/diff", 1, c);
        assert_string_not_equal(a, c); /* the next attempt after a collision differs */
        rq_overlay_link_name("layers/bottom/diff", 0, c);
        assert_string_not_equal(a, c);
        /* SHA-256("layers/a/diff") starts 73c6d0fa..., whose first 30 bits in base32 are "opdnb6"
         * (the name the bats test sees). */
        rq_overlay_link_name("layers/a/diff", 0, a);
        assert_string_equal(a, "opdnb6");
}

static void test_classic_options(void **state)
{
        const char *const lowers[] = { "layers/top/diff", "layers/bottom/diff" };
        char *s = NULL;
        assert_int_equal(rq_overlay_classic_options("", lowers, 2, NULL, NULL, NULL, &s), 0);
        assert_string_equal(s, "lowerdir=layers/top/diff:layers/bottom/diff");
        free(s);
        assert_int_equal(rq_overlay_classic_options("", lowers, 2, "../c/upper", "/w",
                                                    "userxattr,volatile", &s),
                         0);
        assert_string_equal(s, "lowerdir=layers/top/diff:layers/bottom/diff,upperdir=../c/"
                               "upper,workdir=/w,userxattr,volatile");
        free(s);
        assert_int_equal(rq_overlay_classic_options("x/", lowers, 1, NULL, NULL, NULL, &s), 0);
        assert_string_equal(s, "lowerdir=x/layers/top/diff");
        free(s);

        const char *const colon[] = { "a:b" };
        assert_int_equal(rq_overlay_classic_options("", colon, 1, NULL, NULL, NULL, &s), -EINVAL);
        assert_int_equal(rq_overlay_classic_options("", lowers, 2, "u,x", "w", NULL, &s), -EINVAL);
        assert_int_equal(rq_overlay_classic_options("", lowers, 0, NULL, NULL, NULL, &s), -EINVAL);
}

/* Exactly RQ_OVERLAY_CLASSIC_MAX characters fit, one more is E2BIG. */
static void test_classic_limit(void **state)
{
        static char name[RQ_OVERLAY_CLASSIC_MAX];
        const char *l[] = { name };
        char *s = NULL;
        size_t n = RQ_OVERLAY_CLASSIC_MAX - strlen("lowerdir=");
        memset(name, 'a', n);
        name[n] = '\0';
        assert_int_equal(rq_overlay_classic_options("", l, 1, NULL, NULL, NULL, &s), 0);
        assert_int_equal(strlen(s), RQ_OVERLAY_CLASSIC_MAX);
        free(s);
        name[n] = 'a';
        name[n + 1] = '\0';
        assert_int_equal(rq_overlay_classic_options("", l, 1, NULL, NULL, NULL, &s), -E2BIG);
}

/* 500 store layers: far too long as paths, they fit as short links with a container's upper and
 * work dirs (the store's layout: containers/<64 hex>/{upper,work}) and userxattr. */
static void test_classic_500_layers(void **state)
{
        static char paths[RQ_OVERLAY_MAX_LOWERS][80], links[RQ_OVERLAY_MAX_LOWERS][8];
        const char *p[RQ_OVERLAY_MAX_LOWERS], *k[RQ_OVERLAY_MAX_LOWERS];
        char *s = NULL;
        for (int i = 0; i < RQ_OVERLAY_MAX_LOWERS; i++) {
                snprintf(paths[i], sizeof(paths[i]), "layers/%064x/diff", i);
                rq_overlay_link_name(paths[i], 0, links[i]);
                p[i] = paths[i];
                k[i] = links[i];
        }
        assert_int_equal(
                rq_overlay_classic_options("", p, RQ_OVERLAY_MAX_LOWERS, NULL, NULL, NULL, &s),
                -E2BIG);
        char up[160], wk[160];
        snprintf(up, sizeof(up), "../containers/%064x/upper", 7);
        snprintf(wk, sizeof(wk), "../containers/%064x/work", 7);
        assert_int_equal(rq_overlay_classic_options("", k, RQ_OVERLAY_MAX_LOWERS, up, wk,
                                                    "userxattr,volatile", &s),
                         0);
        assert_true(strlen(s) <= RQ_OVERLAY_CLASSIC_MAX);
        free(s);
}

static void test_method_names(void **state)
{
        for (int m = 0; m < _RQ_OVERLAY_METHOD_MAX; m++)
                assert_int_equal(rq_overlay_method_from_string(rq_overlay_method_to_string(m)), m);
        assert_int_equal(rq_overlay_method_from_string("fuse"), _RQ_OVERLAY_METHOD_INVALID);
        assert_int_equal(rq_overlay_method_from_string(NULL), _RQ_OVERLAY_METHOD_INVALID);
        assert_null(rq_overlay_method_to_string(_RQ_OVERLAY_METHOD_MAX));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_check),    cmocka_unit_test(test_rel_check),
                cmocka_unit_test(test_link_name),     cmocka_unit_test(test_classic_options),
                cmocka_unit_test(test_classic_limit), cmocka_unit_test(test_classic_500_layers),
                cmocka_unit_test(test_method_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
