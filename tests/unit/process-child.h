/* Helpers for tests that change process attributes: the change happens in a forked child (so the
 * test process keeps its credentials and limits), which writes a text report to a pipe; the
 * parent asserts on the report. Include after <cmocka.h>; a test uses what it needs (_unused_). */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/error.h"
#include "lib/spec.h"

typedef void (*child_fn)(FILE *out, const void *arg);

/* Run fn(out, arg) in a child; return what it wrote (malloc'd). The child must exit 0. */
static _unused_ char *run_in_child(child_fn fn, const void *arg)
{
        int pp[2];
        assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pp[0]);
                FILE *out = fdopen(pp[1], "w");
                if (!out)
                        _exit(2);
                fn(out, arg);
                _exit(fclose(out) == 0 ? 0 : 3);
        }
        close(pp[1]);
        char *report = NULL;
        assert_int_equal(read_full_fd(pp[0], &report, NULL), 0);
        close(pp[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        return report;
}

/* Child side: "ok\n" or "error: <chain>\nhint: <hint>\n"; frees *e. (A pointer, because the
 * call that fills it is an argument of the same call.) */
static _unused_ void report_result(FILE *out, int r, rq_error **e)
{
        if (r >= 0) {
                fputs("ok\n", out);
                return;
        }
        char *s = rq_error_format(*e);
        const char *hint = rq_error_get_hint(*e);
        fprintf(out, "error: %s\nhint: %s\n", s ? s : "?", hint ? hint : "(none)");
        free(s);
        rq_error_free(*e);
        *e = NULL;
}

/* Child side: remove a capability from the effective set, so a test of what happens without it
 * behaves the same as root and as an ordinary user. */
static _unused_ void drop_effective(cap_value_t c)
{
        cap_t caps = cap_get_proc();
        if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_CLEAR) < 0 ||
            cap_set_proc(caps) < 0)
                _exit(4);
        cap_free(caps);
}

/* Parent side: the value of a "Key:\tvalue" line in a report ("" when absent), malloc'd. */
static _unused_ char *report_field(const char *report, const char *key)
{
        _cleanup_free_ char *k = strprintf("\n%s:", key);
        _cleanup_free_ char *text = strprintf("\n%s", report);
        const char *p = strstr(text, k);
        if (!p)
                return strdup("");
        p += strlen(k);
        p += strspn(p, " \t");
        return strndup(p, strcspn(p, "\n"));
}

/* A config.json with the given members of "process" (which must include "user") and, unless
 * NULL, the given "linux" object; parsed with rq_spec_parse. */
static _unused_ rq_spec *parse_config(const char *process_members, const char *linux_json)
{
        _cleanup_free_ char *json = strprintf(
                "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",%s}%s%s}",
                process_members, linux_json ? ",\"linux\":" : "", linux_json ? linux_json : "");
        assert_non_null(json);
        rq_spec *spec = NULL;
        rq_error *e = NULL;
        int r = rq_spec_parse(json, strlen(json), &spec, &e);
        if (r < 0) {
                char *s = rq_error_format(e);
                fail_msg("%s: %s", json, s);
        }
        return spec;
}
