/* Unit tests: rongqi nsenter's option parser (util-linux's options, optional =FILE in both
 * forms, -S/-G, the program's argv) and the pure parts of lib/nsjoin (request checks, -a). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nsjoin.h"
#include "tools/nsenter.h"

/* Parse the words after "nsenter". The argv array is a compound literal, so it lives as long
 * as the block the call is written in: the options point into it. */
#define PARSE(o, e, ...) parse_words((char *[]){ "nsenter", ##__VA_ARGS__, NULL }, (o), (e))

static int parse_words(char **argv, nsenter_options *o, rq_error **e)
{
        int argc = 0;
        while (argv[argc])
                argc++;
        return nsenter_parse_options(argc, argv, o, e);
}

/* The formatted error must contain want and must not end in a strerror() text. */
static void assert_usage_error(const rq_error *e, const char *want)
{
        assert_non_null(e);
        char *s = rq_error_format(e);
        assert_non_null(s);
        if (!strstr(s, want))
                fail_msg("error \"%s\" does not contain \"%s\"", s, want);
        assert_null(strstr(s, "Input/output error"));
        assert_null(strstr(s, "Invalid argument"));
        free(s);
}

static void long_option_takes_file_after_equals_sign(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "--net=/run/netns/a", "--uts=/u", "ip", "a"), 0);
        assert_int_equal(o.join.types, RQ_NS_BIT(RQ_NS_NET) | RQ_NS_BIT(RQ_NS_UTS));
        assert_string_equal(o.join.path[RQ_NS_NET], "/run/netns/a");
        assert_string_equal(o.join.path[RQ_NS_UTS], "/u");
        assert_null(o.join.path[RQ_NS_MNT]);
        assert_int_equal(o.join.target, 0);
        assert_string_equal(o.argv[0], "ip");
        assert_string_equal(o.argv[1], "a");
        assert_null(o.argv[2]);
}

static void long_option_without_equals_leaves_next_word_to_the_program(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t", "42", "--net", "/bin/true"), 0);
        assert_int_equal(o.join.target, 42);
        assert_int_equal(o.join.types, RQ_NS_BIT(RQ_NS_NET));
        assert_null(o.join.path[RQ_NS_NET]);
        assert_string_equal(o.argv[0], "/bin/true");
}

static void short_option_takes_attached_file_with_or_without_equals(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-n/run/netns/a", "-m=/m", "-T/t"), 0);
        assert_string_equal(o.join.path[RQ_NS_NET], "/run/netns/a");
        assert_string_equal(o.join.path[RQ_NS_MNT], "/m");
        assert_string_equal(o.join.path[RQ_NS_TIME], "/t");
        assert_null(o.argv[0]);

        /* Detached, the word is the program, and the namespace comes from the target. */
        assert_int_equal(PARSE(&o, &e, "-t", "7", "-n", "/x"), 0);
        assert_null(o.join.path[RQ_NS_NET]);
        assert_string_equal(o.argv[0], "/x");
}

static void every_namespace_letter_maps_to_its_type(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t1", "-m", "-u", "-i", "-n", "-p", "-U", "-C", "-T"), 0);
        assert_int_equal(o.join.types, RQ_NS_ALL_BITS);
        assert_int_equal(PARSE(&o, &e, "--target=1", "--mount", "--uts", "--ipc", "--net", "--pid",
                               "--user", "--cgroup", "--time"),
                         0);
        assert_int_equal(o.join.types, RQ_NS_ALL_BITS);
        assert_int_equal(o.join.target, 1);
        assert_false(o.join.all);
}

static void empty_file_after_equals_is_refused(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t", "1", "--net="), -EINVAL);
        assert_usage_error(e, "--net= needs a namespace file");
}

static void all_needs_a_target(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-a"), -EINVAL);
        assert_usage_error(e, "no target PID given: -a");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "-a", "-t", "9", "sh"), 0);
        assert_true(o.join.all);
        assert_int_equal(o.join.types, 0);
}

static void all_expands_to_the_target_namespaces_that_differ_from_ours(void **state)
{
        rq_nsjoin_request req = { .target = 9, .all = true };
        uint64_t own[_RQ_NS_TYPE_MAX] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        uint64_t target[_RQ_NS_TYPE_MAX] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        /* Same everywhere: nothing, not even the user namespace (setns would say EINVAL). */
        assert_int_equal(rq_nsjoin_select(&req, target, own), 0);

        target[RQ_NS_USER] = 11;
        target[RQ_NS_PID] = 16;
        target[RQ_NS_MNT] = 17;
        assert_int_equal(rq_nsjoin_select(&req, target, own),
                         RQ_NS_BIT(RQ_NS_USER) | RQ_NS_BIT(RQ_NS_PID) | RQ_NS_BIT(RQ_NS_MNT));

        /* A type this kernel lacks (own inode 0) or not opened (target inode 0) is skipped. */
        own[RQ_NS_TIME] = 0;
        target[RQ_NS_TIME] = 18;
        target[RQ_NS_NET] = 0;
        assert_int_equal(rq_nsjoin_select(&req, target, own),
                         RQ_NS_BIT(RQ_NS_USER) | RQ_NS_BIT(RQ_NS_PID) | RQ_NS_BIT(RQ_NS_MNT));

        /* A namespace named explicitly is entered even when it is ours already. */
        req.types = RQ_NS_BIT(RQ_NS_UTS);
        assert_int_equal(rq_nsjoin_select(&req, target, own),
                         RQ_NS_BIT(RQ_NS_USER) | RQ_NS_BIT(RQ_NS_PID) | RQ_NS_BIT(RQ_NS_MNT) |
                                 RQ_NS_BIT(RQ_NS_UTS));

        /* Without -a only the named ones. */
        req.all = false;
        assert_int_equal(rq_nsjoin_select(&req, target, own), RQ_NS_BIT(RQ_NS_UTS));
}

static void setuid_and_setgid_take_numbers_and_names(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t1", "-U", "-S", "1000", "-G", "100", "id"), 0);
        assert_true(o.join.set_uid);
        assert_true(o.join.set_gid);
        assert_int_equal(o.join.uid, 1000);
        assert_int_equal(o.join.gid, 100);
        assert_int_equal(PARSE(&o, &e, "-t1", "-U", "--setuid=root", "--setgid=root"), 0);
        assert_int_equal(o.join.uid, 0);
        assert_int_equal(o.join.gid, 0);
        assert_int_equal(PARSE(&o, &e, "-t1", "-U"), 0);
        assert_false(o.join.set_uid);
        assert_false(o.join.set_gid);
        assert_false(o.join.preserve_credentials);
        assert_int_equal(PARSE(&o, &e, "-t1", "-U", "--preserve-credentials"), 0);
        assert_true(o.join.preserve_credentials);
}

static void bad_setuid_and_setgid_are_refused(void **state)
{
        nsenter_options o;
        static const char *const bad[] = { "-1", "4294967295", "12x", "", "no-such-user-rq" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_error_ rq_error *e = NULL;
                assert_int_equal(PARSE(&o, &e, "-t1", "-U", "-S", (char *)bad[i]), -EINVAL);
                assert_usage_error(e, "for --setuid");
                rq_error_free(TAKE_PTR(e));
                assert_int_equal(PARSE(&o, &e, "-t1", "-U", "-G", (char *)bad[i]), -EINVAL);
                assert_usage_error(e, "for --setgid");
        }
}

static void namespace_without_file_needs_a_target(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "--uts", "hostname"), -EINVAL);
        assert_usage_error(e, "no target PID given");
        assert_usage_error(e, "use -t PID or give --uts=FILE");
        rq_error_free(TAKE_PTR(e));

        /* With FILE no target is needed, but the others still do. */
        assert_int_equal(PARSE(&o, &e, "--uts=/f", "-n"), -EINVAL);
        assert_usage_error(e, "--net=FILE");
        rq_error_free(TAKE_PTR(e));

        /* -r and -w without DIR take the target's directories. */
        assert_int_equal(PARSE(&o, &e, "--uts=/f", "-r"), -EINVAL);
        assert_usage_error(e, "--root without DIR");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "--uts=/f", "--wd"), -EINVAL);
        assert_usage_error(e, "--wd without DIR");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "--uts=/f", "-r/srv", "--wd=/tmp"), 0);
        assert_string_equal(o.join.root_path, "/srv");
        assert_string_equal(o.join.wd_path, "/tmp");
        assert_int_equal(PARSE(&o, &e, "-t", "3", "-u", "-r", "-w"), 0);
        assert_true(o.join.root);
        assert_null(o.join.root_path);
        assert_true(o.join.wd);
        assert_null(o.join.wd_path);
}

static void nothing_to_enter_is_refused(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t", "1", "sh"), -EINVAL);
        assert_usage_error(e, "no namespace to enter");
        assert_usage_error(e, "-a");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e), -EINVAL);
        assert_usage_error(e, "no namespace to enter");
        rq_error_free(TAKE_PTR(e));

        /* Root, working directory or ids alone are something to do (util-linux 2.38 too). */
        assert_int_equal(PARSE(&o, &e, "-t", "1", "-r", "sh"), 0);
        assert_int_equal(PARSE(&o, &e, "-t", "1", "-w"), 0);
        assert_int_equal(PARSE(&o, &e, "-S", "0"), 0);
        assert_int_equal(PARSE(&o, &e, "-G", "0"), 0);
        assert_null(e);
}

static void target_must_be_a_positive_pid_given_once(void **state)
{
        nsenter_options o;
        static const char *const bad[] = { "0", "-5", "abc", "1x", "99999999999" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_error_ rq_error *e = NULL;
                assert_int_equal(PARSE(&o, &e, "-t", (char *)bad[i], "-u"), -EINVAL);
                assert_usage_error(e, "invalid PID");
        }
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t", "1", "-t", "2", "-u"), -EINVAL);
        assert_usage_error(e, "--target given twice");
}

static void unknown_options_and_missing_arguments_are_named(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t", "1", "-u", "--bogus"), -EINVAL);
        assert_usage_error(e, "unknown option '--bogus'");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "-t", "1", "-x"), -EINVAL);
        assert_usage_error(e, "unknown option '-x'");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "-u", "-t"), -EINVAL);
        assert_usage_error(e, "option '-t' needs an argument");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "-u", "--target"), -EINVAL);
        assert_usage_error(e, "option '--target' needs an argument");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(PARSE(&o, &e, "-t1", "-u", "-S"), -EINVAL);
        assert_usage_error(e, "option '-S' needs an argument");
}

static void double_dash_and_first_word_end_the_options(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t", "5", "-u", "--", "-n", "x"), 0);
        assert_int_equal(o.join.types, RQ_NS_BIT(RQ_NS_UTS));
        assert_string_equal(o.argv[0], "-n");
        assert_string_equal(o.argv[1], "x");
        assert_null(o.argv[2]);

        /* The program's own options are its own: "ls -n" does not add --net. */
        assert_int_equal(PARSE(&o, &e, "-t", "5", "-u", "ls", "-n", "--net"), 0);
        assert_int_equal(o.join.types, RQ_NS_BIT(RQ_NS_UTS));
        assert_string_equal(o.argv[0], "ls");
        assert_string_equal(o.argv[1], "-n");
        assert_string_equal(o.argv[2], "--net");

        assert_int_equal(PARSE(&o, &e, "-t", "5", "-u"), 0);
        assert_null(o.argv[0]);
}

static void flags_without_arguments(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-t5", "-Fqp"), 0);
        assert_true(o.no_fork);
        assert_true(o.quiet);
        assert_int_equal(o.join.types, RQ_NS_BIT(RQ_NS_PID));
        assert_null(o.join.path[RQ_NS_PID]);
        /* As with getopt everywhere, letters after an optional-argument option are its FILE. */
        assert_int_equal(PARSE(&o, &e, "-t5", "-pFq"), 0);
        assert_false(o.no_fork);
        assert_string_equal(o.join.path[RQ_NS_PID], "Fq");
        assert_int_equal(PARSE(&o, &e, "-t5", "-p", "--no-fork", "--quiet", "--all"), 0);
        assert_true(o.no_fork);
        assert_true(o.quiet);
        assert_true(o.join.all);
        assert_int_equal(PARSE(&o, &e, "-t5", "-p"), 0);
        assert_false(o.no_fork);
        assert_false(o.quiet);
}

static void help_and_version_stop_parsing(void **state)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(PARSE(&o, &e, "-h", "--bogus"), 0);
        assert_true(o.help);
        assert_int_equal(PARSE(&o, &e, "--version"), 0);
        assert_true(o.version);
        assert_false(o.help);
        assert_null(e);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(long_option_takes_file_after_equals_sign),
                cmocka_unit_test(long_option_without_equals_leaves_next_word_to_the_program),
                cmocka_unit_test(short_option_takes_attached_file_with_or_without_equals),
                cmocka_unit_test(every_namespace_letter_maps_to_its_type),
                cmocka_unit_test(empty_file_after_equals_is_refused),
                cmocka_unit_test(all_needs_a_target),
                cmocka_unit_test(all_expands_to_the_target_namespaces_that_differ_from_ours),
                cmocka_unit_test(setuid_and_setgid_take_numbers_and_names),
                cmocka_unit_test(bad_setuid_and_setgid_are_refused),
                cmocka_unit_test(namespace_without_file_needs_a_target),
                cmocka_unit_test(nothing_to_enter_is_refused),
                cmocka_unit_test(target_must_be_a_positive_pid_given_once),
                cmocka_unit_test(unknown_options_and_missing_arguments_are_named),
                cmocka_unit_test(double_dash_and_first_word_end_the_options),
                cmocka_unit_test(flags_without_arguments),
                cmocka_unit_test(help_and_version_stop_parsing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
