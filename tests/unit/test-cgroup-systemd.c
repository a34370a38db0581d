/* Unit tests: the pure side of the systemd cgroup driver — slice names to paths, and
 * linux.cgroupsPath "slice:prefix:name" to the slice and the scope's name, with the errors
 * that name the field, the value and the form. The D-Bus side is tested against a real
 * systemd in tests/integration/runtime-systemd.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"
#include "lib/cgroup-internal.h"

static void expand(const char *slice, const char *want)
{
        char *p = NULL;
        int k = cg_systemd_expand_slice(slice, &p);
        if (!want) {
                assert_int_equal(k, -EINVAL);
                return;
        }
        assert_int_equal(k, 0);
        assert_string_equal(p, want);
        free(p);
}

static void slices_expand_into_their_parents(void **state)
{
        expand("system.slice", "/system.slice");
        expand("machine.slice", "/machine.slice");
        expand("a-b.slice", "/a.slice/a-b.slice");
        expand("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice");
        expand("kubepods-besteffort-pod1.slice",
               "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice");
        expand("-.slice", ""); /* the root slice */
}

static void bad_slice_names_are_refused(void **state)
{
        expand(".slice", NULL);
        expand("machine", NULL);
        expand("machine.scope", NULL);
        expand("a/b.slice", NULL);
        expand("-a.slice", NULL);
        expand("a-.slice", NULL);
        expand("a--b.slice", NULL);
}

static void parse_ok(const char *path, bool user, const char *want_slice, const char *want_unit)
{
        char *slice = NULL, *unit = NULL;
        rq_error *e = NULL;
        assert_int_equal(cg_systemd_parse_path(path, "ID", user, &slice, &unit, &e), 0);
        assert_null(e);
        assert_string_equal(slice, want_slice);
        assert_string_equal(unit, want_unit);
        free(slice);
        free(unit);
}

static void scopes_are_prefix_dash_name(void **state)
{
        parse_ok("machine.slice:rongqi:web", false, "machine.slice", "rongqi-web.scope");
        parse_ok("a-b.slice:libpod:0123abcd", false, "a-b.slice", "libpod-0123abcd.scope");
        parse_ok(":rongqi:web", false, "system.slice", "rongqi-web.scope");
        parse_ok("machine.slice::web", false, "machine.slice", "web.scope");
}

static void an_empty_path_is_rongqi_and_the_id_in_the_default_slice(void **state)
{
        parse_ok(NULL, false, "system.slice", "rongqi-ID.scope");
        parse_ok("", false, "system.slice", "rongqi-ID.scope");
        parse_ok("", true, "user.slice", "rongqi-ID.scope");
        parse_ok(":p:n", true, "user.slice", "p-n.scope");
}

static void parse_fails(const char *path, const char *want_in_message)
{
        char *slice = NULL, *unit = NULL;
        rq_error *e = NULL;
        assert_int_equal(cg_systemd_parse_path(path, "ID", false, &slice, &unit, &e), -EINVAL);
        assert_null(slice);
        assert_null(unit);
        char *m = rq_error_format(e);
        assert_non_null(m);
        assert_non_null(strstr(m, "linux.cgroupsPath"));
        if (!strstr(m, want_in_message))
                fail_msg("\"%s\" lacks \"%s\"", m, want_in_message);
        free(m);
        rq_error_free(e);
}

static void paths_not_of_the_form_name_the_field_value_and_form(void **state)
{
        parse_fails("/rongqi/ID", "\"/rongqi/ID\" is not of the form");
        parse_fails("machine.slice:rongqi", "is not of the form");
        parse_fails("a:b:c:d", "is not of the form");
        char *slice = NULL, *unit = NULL;
        rq_error *e = NULL;
        assert_int_equal(cg_systemd_parse_path("/x", "web", false, &slice, &unit, &e), -EINVAL);
        assert_non_null(strstr(rq_error_get_hint(e), "slice:prefix:name"));
        assert_non_null(strstr(rq_error_get_hint(e), "machine.slice:rongqi:web"));
        rq_error_free(e);
}

static void bad_slices_prefixes_and_names_are_refused(void **state)
{
        parse_fails("machine:rongqi:web", "\"machine\" is not a slice name");
        parse_fails("a--b.slice:rongqi:web", "is not a slice name");
        parse_fails("machine.slice:rongqi:", "the name not empty");
        parse_fails("machine.slice:ron/gqi:web", "letters, digits");
        parse_fails("machine.slice:rongqi:we@b", "letters, digits");
        parse_fails("machine.slice:rongqi:pod.slice", "a name ending in .slice");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(slices_expand_into_their_parents),
                cmocka_unit_test(bad_slice_names_are_refused),
                cmocka_unit_test(scopes_are_prefix_dash_name),
                cmocka_unit_test(an_empty_path_is_rongqi_and_the_id_in_the_default_slice),
                cmocka_unit_test(paths_not_of_the_form_name_the_field_value_and_form),
                cmocka_unit_test(bad_slices_prefixes_and_names_are_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
