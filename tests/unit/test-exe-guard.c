/* Unit tests: when the runtime must run from a sealed copy of itself (exe-guard.h), and that
 * the copy really is one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/exe-guard.h"
#include "lib/spec.h"

static rq_spec *parse(const char *process, const char *namespaces)
{
        char text[1024];
        snprintf(text, sizeof(text),
                 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{%s"
                 "\"args\":[\"sh\"],\"cwd\":\"/\"},\"linux\":{\"namespaces\":[%s]}}",
                 process, namespaces);
        rq_spec *s = NULL;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_spec_parse(text, strlen(text), &s, &e), 0);
        return s;
}

#define PTRACE_CAPS "\"capabilities\":{\"bounding\":[\"CAP_SYS_PTRACE\"]},"

static void only_ptrace_in_the_host_user_namespace_needs_the_copy(void **state)
{
        rq_spec *s = parse("", "{\"type\":\"mount\"}");
        assert_false(rq_exe_guard_needed(s, NULL));
        rq_spec_capabilities in = { .bounding = UINT64_C(1) << CAP_SYS_PTRACE };
        assert_true(rq_exe_guard_needed(s, &in));
        rq_spec_free(s);

        s = parse(PTRACE_CAPS, "{\"type\":\"mount\"}");
        assert_true(rq_exe_guard_needed(s, NULL));
        rq_spec_free(s);

        /* A user namespace of its own: CAP_SYS_PTRACE there does not reach host processes. */
        s = parse(PTRACE_CAPS, "{\"type\":\"mount\"},{\"type\":\"user\"}");
        assert_false(rq_exe_guard_needed(s, &in));
        rq_spec_free(s);

        /* Joining our own user namespace by path is the host's. */
        s = parse(PTRACE_CAPS, "{\"type\":\"mount\"},{\"type\":\"user\",\"path\":"
                               "\"/proc/self/ns/user\"}");
        assert_true(rq_exe_guard_needed(s, NULL));
        rq_spec_free(s);
}

/* A child re-executes this test binary from a sealed copy with an argument that makes it
 * report whether it runs from one. */
static const char *self_check_arg = "--exe-guard-self-check";

static void the_reexecuted_process_runs_from_a_sealed_memfd(void **state)
{
        assert_false(rq_exe_guard_active());
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(p[1], 1);
                /* The copy starts main() again with our arguments: give it the marker first. */
                char *argv[] = { (char *)"test-exe-guard", (char *)self_check_arg, NULL };
                execv("/proc/self/exe", argv);
                _exit(99);
        }
        close(p[1]);
        char buf[64] = { 0 };
        ssize_t n = read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(n > 0);
        assert_string_equal(buf, "sealed memfd\n");
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv)
{
        if (argc == 2 && strcmp(argv[1], self_check_arg) == 0) {
                /* First pass: become the sealed copy (same arguments). Second: report. */
                if (!rq_exe_guard_active()) {
                        _cleanup_error_ rq_error *e = NULL;
                        rq_exe_guard_reexec(&e);
                        return 2;
                }
                char target[256] = { 0 };
                if (readlink("/proc/self/exe", target, sizeof(target) - 1) < 0 ||
                    strncmp(target, "/memfd:rongqi-runtime", 21) != 0)
                        return 3;
                printf("sealed memfd\n");
                return 0;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(only_ptrace_in_the_host_user_namespace_needs_the_copy),
                cmocka_unit_test(the_reexecuted_process_runs_from_a_sealed_memfd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
