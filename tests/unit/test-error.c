/* Unit tests: the error chain formats outermost first and keeps errno and hints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

static int inner(rq_error **reterr)
{
        return rq_error_set(reterr, EPERM, "mount proc on %s", "/x/proc");
}

static void wrap_reads_outermost_first_with_strerror_last(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        int r = inner(&e);
        assert_int_equal(r, -EPERM);
        assert_int_equal(rq_error_wrap(&e, "create container %s", "web"), -EPERM);
        char *s = rq_error_format(e);
        assert_string_equal(s,
                            "create container web: mount proc on /x/proc: Operation not permitted");
        free(s);
        assert_int_equal(rq_error_errno(e), EPERM);
}

static void hint_is_found_from_any_frame(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        inner(&e);
        rq_error_hint(&e, "add --mount");
        rq_error_wrap(&e, "outer");
        assert_string_equal(rq_error_get_hint(e), "add --mount");
}

static void positive_and_negative_errno_are_the_same(void **state)
{
        _cleanup_error_ rq_error *a = NULL, *b = NULL;
        assert_int_equal(rq_error_set(&a, ENOENT, "x"), -ENOENT);
        assert_int_equal(rq_error_set(&b, -ENOENT, "x"), -ENOENT);
        assert_int_equal(rq_error_set(NULL, 0, "x"), -EIO);
}

static void an_error_without_errno_formats_without_strerror(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_error_set(&e, 0, "helper failed"), -EIO);
        char *s = rq_error_format(e);
        assert_string_equal(s, "helper failed");
        free(s);
        assert_int_equal(rq_error_errno(e), EIO);
}

static void an_invalid_request_is_einval_without_strerror_even_with_a_hint(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_error_invalid(&e, "%s is not a namespace file", "/etc/passwd"),
                         -EINVAL);
        assert_int_equal(rq_error_hint(&e, "give a namespace file"), -EINVAL);
        assert_int_equal(rq_error_wrap(&e, "--net"), -EINVAL);
        char *s = rq_error_format(e);
        assert_string_equal(s, "--net: /etc/passwd is not a namespace file");
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(wrap_reads_outermost_first_with_strerror_last),
                cmocka_unit_test(hint_is_found_from_any_frame),
                cmocka_unit_test(positive_and_negative_errno_are_the_same),
                cmocka_unit_test(an_error_without_errno_formats_without_strerror),
                cmocka_unit_test(an_invalid_request_is_einval_without_strerror_even_with_a_hint),
        };
        return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
