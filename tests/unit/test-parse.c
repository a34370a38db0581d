/* Unit tests: strict number, size, pid and signal parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>

#include "basic/parse-util.h"

static void size_takes_runc_units(void **state)
{
        int64_t v;
        assert_int_equal(parse_size("100", &v), 0);
        assert_int_equal(v, 100);
        assert_int_equal(parse_size("64m", &v), 0);
        assert_int_equal(v, 64LL << 20);
        assert_int_equal(parse_size("1.5g", &v), 0);
        assert_int_equal(v, 3LL << 29);
        assert_int_equal(parse_size("512KiB", &v), 0);
        assert_int_equal(v, 512LL << 10);
        assert_int_equal(parse_size("2 MB", &v), 0);
        assert_int_equal(v, 2LL << 20);
        assert_int_equal(parse_size("1T", &v), 0);
        assert_int_equal(v, 1LL << 40);
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("-1", &v), -EINVAL);
        assert_int_equal(parse_size("12x", &v), -EINVAL);
        assert_int_equal(parse_size("m", &v), -EINVAL);
        assert_int_equal(parse_size("64mm", &v), -EINVAL);
        assert_int_equal(parse_size("9999999p", &v), -ERANGE);
}

static void uint32_accepts_plain_decimal(void **state)
{
        uint32_t v;
        assert_int_equal(parse_uint32("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_uint32("4294967295", &v), 0);
        assert_int_equal(v, 4294967295u);
}

static void uint32_rejects_junk_signs_and_overflow(void **state)
{
        uint32_t v;
        assert_int_equal(parse_uint32("", &v), -EINVAL);
        assert_int_equal(parse_uint32("-1", &v), -EINVAL);
        assert_int_equal(parse_uint32("+1", &v), -EINVAL);
        assert_int_equal(parse_uint32(" 1", &v), -EINVAL);
        assert_int_equal(parse_uint32("1x", &v), -EINVAL);
        assert_int_equal(parse_uint32("4294967296", &v), -ERANGE);
}

static void int64_takes_negative_offsets(void **state)
{
        int64_t v;
        assert_int_equal(parse_int64("-86400", &v), 0);
        assert_int_equal(v, -86400);
        assert_int_equal(parse_int64("+5", &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(parse_int64("--5", &v), -EINVAL);
        assert_int_equal(parse_int64("5s", &v), -EINVAL);
}

static void pid_must_be_positive(void **state)
{
        pid_t p;
        assert_int_equal(parse_pid("1", &p), 0);
        assert_int_equal(p, 1);
        assert_int_equal(parse_pid("0", &p), -ERANGE);
        assert_int_equal(parse_pid("2147483648", &p), -ERANGE);
        assert_int_equal(parse_pid("abc", &p), -EINVAL);
}

static void signals_by_number_name_and_sig_name(void **state)
{
        int s;
        assert_int_equal(parse_signal("9", &s), 0);
        assert_int_equal(s, SIGKILL);
        assert_int_equal(parse_signal("TERM", &s), 0);
        assert_int_equal(s, SIGTERM);
        assert_int_equal(parse_signal("sigterm", &s), 0);
        assert_int_equal(s, SIGTERM);
        assert_int_equal(parse_signal("SIGRTMIN+2", &s), 0);
        assert_int_equal(s, SIGRTMIN + 2);
        assert_int_equal(parse_signal("NOPE", &s), -EINVAL);
        assert_int_equal(parse_signal("0", &s), -ERANGE);
        assert_int_equal(parse_signal("999", &s), -ERANGE);
        assert_string_equal(signal_to_name(SIGHUP), "HUP");
        assert_null(signal_to_name(0));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(size_takes_runc_units),
                cmocka_unit_test(uint32_accepts_plain_decimal),
                cmocka_unit_test(uint32_rejects_junk_signs_and_overflow),
                cmocka_unit_test(int64_takes_negative_offsets),
                cmocka_unit_test(pid_must_be_positive),
                cmocka_unit_test(signals_by_number_name_and_sig_name),
        };
        return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
