/* Unit tests: the user switch, the five capability sets and no_new_privs, applied in a forked
 * child and read back from /proc/self/status. Switching users needs root; the tests that do are
 * skipped otherwise, the failure cases run for everyone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/prctl.h>

#include "lib/process-attrs.h"
#include "process-child.h"

#define SKIP_UNLESS_ROOT(why)                                                                      \
        do {                                                                                       \
                if (geteuid() != 0) {                                                              \
                        print_message("skipped, needs root: %s\n", why);                           \
                        skip();                                                                    \
                }                                                                                  \
        } while (0)

static void child_apply_and_show_status(FILE *out, const void *arg)
{
        const rq_spec *spec = arg;
        rq_error *e = NULL;
        report_result(out, rq_process_attrs_apply(spec->process, spec->linux_, &e), &e);
        _cleanup_free_ char *status = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/status", &status, NULL) == 0)
                fputs(status, out);
}

/* Each "Key=value" of a NULL-terminated list is a "Key:<blanks>value" line of the report. */
static void assert_fields(const char *report, const char *const *fields)
{
        for (const char *const *f = fields; *f; f++) {
                _cleanup_free_ char *key = strndup(*f, strcspn(*f, "="));
                _cleanup_free_ char *v = report_field(report, key);
                const char *want = *f + strlen(key) + 1;
                if (!streq(v, want))
                        fail_msg("%s: \"%s\", expected \"%s\" in:\n%s", key, v, want, report);
        }
}

/* Parse a config with these process members, apply it in a child, expect success; the child's
 * /proc/self/status (malloc'd). */
static char *apply_in_child(const char *process_members)
{
        _cleanup_spec_ rq_spec *spec = parse_config(process_members, NULL);
        char *report = run_in_child(child_apply_and_show_status, spec);
        if (strncmp(report, "ok\n", 3) != 0)
                fail_msg("%s", report);
        return report;
}

static void a_user_switch_keeps_exactly_the_requested_caps_groups_and_umask(void **state)
{
        SKIP_UNLESS_ROOT("switching to uid 1000 and setting groups");
        _cleanup_free_ char *report =
                apply_in_child("\"user\":{\"uid\":1000,\"gid\":1000,\"umask\":23,"
                               "\"additionalGids\":[2000,3000]},"
                               "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],"
                               "\"effective\":[\"CAP_CHOWN\"],\"permitted\":[\"CAP_CHOWN\"]},"
                               "\"noNewPrivileges\":true");
        assert_fields(report, (const char *const[]){
                                      "Uid=1000\t1000\t1000\t1000", "Gid=1000\t1000\t1000\t1000",
                                      "Groups=2000 3000 ", "Umask=0027", "CapBnd=0000000000000021",
                                      "CapEff=0000000000000001", "CapPrm=0000000000000001",
                                      "CapInh=0000000000000000", "CapAmb=0000000000000000",
                                      "NoNewPrivs=1", NULL });
}

static void an_ambient_cap_with_matching_inheritable_and_permitted_shows_in_cap_amb(void **state)
{
        SKIP_UNLESS_ROOT("switching to uid 1000");
        _cleanup_free_ char *report = apply_in_child(
                "\"user\":{\"uid\":1000,\"gid\":1000},"
                "\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\"],"
                "\"effective\":[\"CAP_NET_BIND_SERVICE\"],"
                "\"inheritable\":[\"CAP_NET_BIND_SERVICE\"],"
                "\"permitted\":[\"CAP_NET_BIND_SERVICE\"],\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}");
        assert_fields(report,
                      (const char *const[]){ "Uid=1000\t1000\t1000\t1000", "Groups=",
                                             "CapBnd=0000000000000400", "CapEff=0000000000000400",
                                             "CapPrm=0000000000000400", "CapInh=0000000000000400",
                                             "CapAmb=0000000000000400", "NoNewPrivs=0", NULL });
}

static void an_ambient_cap_not_inheritable_is_left_out_as_runc_and_crun_do(void **state)
{
        SKIP_UNLESS_ROOT("switching to uid 1000");
        _cleanup_free_ char *report = apply_in_child(
                "\"user\":{\"uid\":1000,\"gid\":1000},"
                "\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\"],"
                "\"permitted\":[\"CAP_NET_BIND_SERVICE\"],\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}");
        assert_fields(report,
                      (const char *const[]){ "CapPrm=0000000000000400", "CapInh=0000000000000000",
                                             "CapAmb=0000000000000000", NULL });
}

/* The capabilities of the current bounding set as a JSON array, so a config can keep it. */
static char *bounding_json(void)
{
        _cleanup_free_ char *list = strdup("");
        for (cap_value_t c = 0; c < cap_max_bits(); c++) {
                if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) <= 0)
                        continue;
                char *name = cap_to_name(c);
                char *upper = strdup(name);
                for (char *i = upper; *i; i++)
                        *i = (char)(*i >= 'a' && *i <= 'z' ? *i - 'a' + 'A' : *i);
                char *next = strprintf("%s%s\"%s\"", list, *list ? "," : "", upper);
                free(upper);
                cap_free(name);
                free(list);
                list = next;
        }
        return strprintf("[%s]", list);
}

static void child_caps_unprivileged(FILE *out, const void *arg)
{
        const rq_spec *spec = arg;
        /* Root becomes an ordinary user without keeping capabilities. */
        if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
                _exit(5);
        rq_error *e = NULL;
        report_result(out, rq_caps_apply(spec->process->capabilities, &e), &e);
}

static void dropping_from_the_bounding_set_without_cap_setpcap_fails_clearly(void **state)
{
        _cleanup_spec_ rq_spec *spec = parse_config(
                "\"user\":{\"uid\":0,\"gid\":0},\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}",
                NULL);
        if (!prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0)) {
                print_message("skipped: CAP_CHOWN is not in the bounding set, nothing to drop\n");
                skip();
        }
        _cleanup_free_ char *report = run_in_child(child_caps_unprivileged, spec);
        assert_string_equal(report,
                            "error: drop CAP_CHOWN from the bounding set "
                            "(process.capabilities.bounding): Operation not permitted\n"
                            "hint: dropping from the bounding set needs CAP_SETPCAP, which is not "
                            "in this process's effective set\n");
}

static void asking_for_a_permitted_cap_not_held_names_it(void **state)
{
        _cleanup_free_ char *bounding = bounding_json();
        _cleanup_free_ char *members =
                strprintf("\"user\":{\"uid\":0,\"gid\":0},\"capabilities\":{\"bounding\":%s,"
                          "\"effective\":[\"CAP_CHOWN\"],\"permitted\":[\"CAP_CHOWN\"]}",
                          bounding);
        _cleanup_spec_ rq_spec *spec = parse_config(members, NULL);
        _cleanup_free_ char *report = run_in_child(child_caps_unprivileged, spec);
        assert_string_equal(report,
                            "error: set the permitted, effective and inheritable sets: Operation "
                            "not permitted\n"
                            "hint: process.capabilities.permitted has CAP_CHOWN, which this "
                            "process does not hold: the permitted set can only shrink\n");
}

static void caps_the_kernel_does_not_know_are_reported(void **state)
{
        _cleanup_spec_ rq_spec *spec = parse_config(
                "\"user\":{\"uid\":0,\"gid\":0},\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"],"
                "\"ambient\":[\"CAP_KILL\"]}",
                NULL);
        rq_spec_capabilities *caps = spec->process->capabilities;
        assert_int_equal(rq_caps_unknown(caps), 0);
        /* No name exists for bit 63 yet, so no config can spell it: set it after parsing. */
        caps->permitted |= UINT64_C(1) << 63;
        assert_int_equal(rq_caps_unknown(caps), UINT64_C(1) << 63);
}

static void child_nnp_only(FILE *out, const void *arg)
{
        rq_error *e = NULL;
        report_result(out, rq_no_new_privs_apply(*(const bool *)arg, &e), &e);
        fprintf(out, "nnp:\t%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void no_new_privs_is_set_only_when_asked(void **state)
{
        bool on = true, off = false;
        _cleanup_free_ char *with = run_in_child(child_nnp_only, &on);
        _cleanup_free_ char *without = run_in_child(child_nnp_only, &off);
        assert_string_equal(with, "ok\nnnp:\t1\n");
        assert_string_equal(without, "ok\nnnp:\t0\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_user_switch_keeps_exactly_the_requested_caps_groups_and_umask),
                cmocka_unit_test(
                        an_ambient_cap_with_matching_inheritable_and_permitted_shows_in_cap_amb),
                cmocka_unit_test(an_ambient_cap_not_inheritable_is_left_out_as_runc_and_crun_do),
                cmocka_unit_test(dropping_from_the_bounding_set_without_cap_setpcap_fails_clearly),
                cmocka_unit_test(asking_for_a_permitted_cap_not_held_names_it),
                cmocka_unit_test(caps_the_kernel_does_not_know_are_reported),
                cmocka_unit_test(no_new_privs_is_set_only_when_asked),
        };
        return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
