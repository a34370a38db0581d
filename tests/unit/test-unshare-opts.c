/* Unit tests: the rongqi unshare option parser (implications, optional =FILE, errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "tools/unshare.h"

#define PARSE(o, e, ...)                                                                           \
        ({                                                                                         \
                static char *_argv[] = { "unshare", __VA_ARGS__, NULL }; /* outlives o.argv */     \
                unshare_parse((int)(sizeof(_argv) / sizeof(_argv[0])) - 1, _argv, (o), (e));       \
        })

static void short_and_long_flags_set_clone_flags(void **state)
{
        unshare_opts o;
        assert_int_equal(PARSE(&o, NULL, "-m", "-u", "-i", "-n", "-p", "-U", "-C", "-T", "true"),
                         0);
        assert_int_equal(o.flags, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                                          CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWCGROUP |
                                          0x80 /* CLONE_NEWTIME */);
        assert_string_equal(o.argv[0], "true");
        assert_int_equal(PARSE(&o, NULL, "--net", "--uts"), 0);
        assert_int_equal(o.flags, CLONE_NEWNET | CLONE_NEWUTS);
        assert_null(o.argv);
}

static void optional_file_in_long_and_short_form(void **state)
{
        unshare_opts o;
        assert_int_equal(PARSE(&o, NULL, "--uts=/run/uts", "-n/run/net", "-p", "sh"), 0);
        assert_string_equal(o.persist[RQ_NS_UTS], "/run/uts");
        assert_string_equal(o.persist[RQ_NS_NET], "/run/net");
        assert_null(o.persist[RQ_NS_PID]);
        assert_string_equal(o.argv[0], "sh");
        /* As with util-linux (getopt): letters after -m are its FILE, not more flags. */
        assert_int_equal(PARSE(&o, NULL, "-mun"), 0);
        assert_int_equal(o.flags, CLONE_NEWNS);
        assert_string_equal(o.persist[RQ_NS_MNT], "un");
}

static void options_stop_at_the_program(void **state)
{
        unshare_opts o;
        assert_int_equal(PARSE(&o, NULL, "-f", "ps", "-m", "--pid"), 0);
        assert_int_equal(o.flags, 0);
        assert_true(o.fork);
        assert_string_equal(o.argv[1], "-m");
        assert_int_equal(PARSE(&o, NULL, "-p", "--", "-weird-name"), 0);
        assert_string_equal(o.argv[0], "-weird-name");
}

static void implications_follow_util_linux(void **state)
{
        unshare_opts o;
        assert_int_equal(PARSE(&o, NULL, "-r"), 0);
        assert_true(o.flags & CLONE_NEWUSER);
        assert_true(o.map_uid.set && o.map_uid.inner == 0);
        assert_true(o.map_gid.set && o.map_gid.inner == 0);
        assert_int_equal(PARSE(&o, NULL, "--mount-proc"), 0);
        assert_true(o.flags & CLONE_NEWNS);
        assert_string_equal(o.mount_proc, "/proc");
        assert_int_equal(PARSE(&o, NULL, "--mount-proc=/mnt/p"), 0);
        assert_string_equal(o.mount_proc, "/mnt/p");
        assert_int_equal(PARSE(&o, NULL, "--kill-child"), 0);
        assert_true(o.fork);
        assert_int_equal(o.kill_child, SIGKILL);
        assert_int_equal(PARSE(&o, NULL, "--kill-child=SIGTERM"), 0);
        assert_int_equal(o.kill_child, SIGTERM);
        assert_int_equal(PARSE(&o, NULL, "--map-auto"), 0);
        assert_true(o.map_users_set && o.map_groups_set);
        assert_int_equal(o.map_users.inner, RQ_ID_AUTO);
        assert_int_equal(PARSE(&o, NULL, "--map-user=7", "--map-group=8"), 0);
        assert_true(o.flags & CLONE_NEWUSER);
        assert_int_equal(o.map_uid.inner, 7);
        assert_int_equal(o.map_gid.inner, 8);
}

static void propagation_values(void **state)
{
        unshare_opts o;
        assert_int_equal(PARSE(&o, NULL, "-m"), 0);
        assert_int_equal(o.propagation, MS_PRIVATE);
        assert_int_equal(PARSE(&o, NULL, "-m", "--propagation", "slave"), 0);
        assert_int_equal(o.propagation, MS_SLAVE);
        assert_int_equal(PARSE(&o, NULL, "-m", "--propagation", "unchanged"), 0);
        assert_int_equal(o.propagation, 0);
}

static void expect_error(const char *want, int argc, char **argv)
{
        unshare_opts o;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(unshare_parse(argc, argv, &o, &e), -EINVAL);
        char *s = rq_error_format(e);
        if (!strstr(s, want))
                fail_msg("error \"%s\" lacks \"%s\"", s, want);
        free(s);
}

#define EXPECT_ERROR(want, ...)                                                                    \
        do {                                                                                       \
                static char *_argv[] = { "unshare", __VA_ARGS__, NULL }; /* outlives o.argv */     \
                expect_error(want, (int)(sizeof(_argv) / sizeof(_argv[0])) - 1, _argv);            \
        } while (0)

static void bad_input_is_named(void **state)
{
        EXPECT_ERROR("unrecognized option '--nope'", "--nope");
        EXPECT_ERROR("invalid option -- 'z'", "-z");
        EXPECT_ERROR("option '--propagation' requires an argument", "--propagation");
        EXPECT_ERROR("expected slave, shared, private or unchanged", "--propagation=x");
        EXPECT_ERROR("expected allow or deny", "--setgroups=x");
        EXPECT_ERROR("require unsharing of a time namespace", "--boottime", "5");
        EXPECT_ERROR("expected a whole number of seconds", "-T", "--monotonic", "5s");
        EXPECT_ERROR("--setgroups allow cannot go with", "-r", "--setgroups", "allow");
        EXPECT_ERROR("expected outer,inner,count", "--map-users=1,2");
        EXPECT_ERROR("unknown signal", "--kill-child=FOO");
        EXPECT_ERROR("empty file name", "--net=");
        EXPECT_ERROR("--map-user=-1: no such user", "--map-user=-1");
}

static void setuid_and_setgid_take_names_and_numbers(void **state)
{
        unshare_opts o;
        assert_int_equal(PARSE(&o, NULL, "-S", "0", "-G", "root"), 0);
        assert_true(o.setuid_set && o.setgid_set);
        assert_int_equal(o.setuid, 0);
        assert_int_equal(o.setgid, 0);
        EXPECT_ERROR("--setuid no-such-user-rq: not a user", "-S", "no-such-user-rq");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(short_and_long_flags_set_clone_flags),
                cmocka_unit_test(optional_file_in_long_and_short_form),
                cmocka_unit_test(options_stop_at_the_program),
                cmocka_unit_test(implications_follow_util_linux),
                cmocka_unit_test(propagation_values),
                cmocka_unit_test(bad_input_is_named),
                cmocka_unit_test(setuid_and_setgid_take_names_and_numbers),
        };
        return cmocka_run_group_tests_name("unshare-opts", tests, NULL, NULL);
}
