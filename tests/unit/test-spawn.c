/* End-to-end tests of rq_spawn(): a busybox rootfs, a config, a real container. Root only
 * (skips otherwise). The "runtime" is a forked child whose stdout goes to a file, so the
 * container's output can be read back; nothing outlives a test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "lib/spawn.h"

static char bundle[] = "/tmp/rq-test-spawn.XXXXXX";

static int setup(void **state)
{
        if (geteuid() != 0 || access("/bin/busybox", X_OK) < 0)
                return 0; /* the tests skip */
        if (!mkdtemp(bundle))
                return -1;
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "set -e; cd '%s'; mkdir -p rootfs/bin rootfs/proc rootfs/dev rootfs/tmp "
                 "rootfs/sys; cp /bin/busybox rootfs/bin/; for a in sh hostname id cat ls grep "
                 "mkdir wc echo sleep; do ln -s busybox rootfs/bin/$a; done; chmod 755 . rootfs",
                 bundle);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bundle);
        return geteuid() != 0 ? 0 : (system(cmd) == 0 ? 0 : -1);
}

typedef struct result {
        int status; /* the container's wait status, or -1 if it did not start */
        char *out; /* its standard output */
        char *error; /* rq_spawn's error, formatted */
} result;

/* Run a container whose process.args are args (a JSON array), with extra JSON members in
 * "linux" (extra_linux, starting inside the namespaces array) and at the top (extra_top). */
static result run_args(const char *args, const char *extra_linux, const char *extra_top)
{
        if (geteuid() != 0 || access("/bin/busybox", X_OK) < 0)
                skip();
        char json[8192];
        snprintf(json, sizeof(json),
                 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                 "\"hostname\":\"rq-spawn\",%s"
                 "\"process\":{\"args\":%s,\"env\":[\"PATH=/bin\"],"
                 "\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
                 "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                 "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                 "\"options\":[\"nosuid\",\"mode=755\"]},"
                 "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
                 "\"options\":[\"newinstance\",\"ptmxmode=0666\"]}],"
                 "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
                 "{\"type\":\"uts\"},{\"type\":\"ipc\"},{\"type\":\"network\"}%s}}",
                 extra_top ? extra_top : "", args, extra_linux ? extra_linux : "]");
        rq_spec *s = NULL;
        _cleanup_error_ rq_error *pe = NULL;
        if (rq_spec_parse(json, strlen(json), &s, &pe) < 0) {
                char *m = rq_error_format(pe);
                fail_msg("spec: %s\n%s", m, json);
        }
        char out_path[96], err_path[96];
        snprintf(out_path, sizeof(out_path), "%s/out", bundle);
        snprintf(err_path, sizeof(err_path), "%s/err", bundle);
        pid_t runtime = fork();
        assert_true(runtime >= 0);
        if (runtime == 0) {
                int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, 1) < 0)
                        _exit(120);
                rq_error *e = NULL;
                pid_t pid;
                if (rq_spawn(&(rq_spawn_opts){ .spec = s, .bundle = bundle, .exec_fifo_fd = -1 },
                             &pid, &e) < 0) {
                        /* A failed spawn leaves no child: the init was killed and reaped. */
                        if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
                                _exit(123);
                        char *m = rq_error_format(e);
                        int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        if (efd >= 0 && m)
                                (void)write_all(efd, m, strlen(m));
                        _exit(121);
                }
                int st;
                if (waitpid(pid, &st, 0) != pid)
                        _exit(122);
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        int st;
        assert_int_equal(waitpid(runtime, &st, 0), runtime);
        rq_spec_free(s);
        result r = { .status = WIFEXITED(st) ? WEXITSTATUS(st) : -1 };
        (void)read_full_file_at(AT_FDCWD, out_path, &r.out, NULL);
        if (r.status == 121) {
                r.status = -1;
                (void)read_full_file_at(AT_FDCWD, err_path, &r.error, NULL);
                unlink(err_path);
        }
        return r;
}

/* The same with ["/bin/sh", "-c", script]. */
static result run(const char *script, const char *extra_linux, const char *extra_top)
{
        char args[2048];
        snprintf(args, sizeof(args), "[\"/bin/sh\",\"-c\",\"%s\"]", script);
        return run_args(args, extra_linux, extra_top);
}

static void result_done(result *r)
{
        free(r->out);
        free(r->error);
}

static void expect_started(const result *r)
{
        if (r->status < 0)
                fail_msg("did not start: %s", r->error ? r->error : "?");
}

static void the_program_is_pid_1_with_its_hostname_mounts_and_dev(void **state)
{
        result r = run("echo pid=$$; hostname; ls /dev/null /dev/zero /dev/pts/ptmx; "
                       "grep -c ' - proc proc ' /proc/self/mountinfo; exit 7",
                       NULL, NULL);
        expect_started(&r);
        assert_int_equal(r.status, 7);
        assert_string_equal(r.out, "pid=1\nrq-spawn\n/dev/null\n/dev/pts/ptmx\n/dev/zero\n1\n");
        result_done(&r);
}

static void no_runtime_fd_reaches_the_container(void **state)
{
        /* ls opens the directory as fd 3 itself; anything else is a leak. */
        result r = run("ls /proc/self/fd", NULL, NULL);
        expect_started(&r);
        assert_string_equal(r.out, "0\n1\n2\n3\n");
        result_done(&r);
}

static void a_user_namespace_gets_its_maps_and_a_root_that_is_not_host_root(void **state)
{
        result r = run("id -u; cat /proc/self/uid_map; ls /dev/null",
                       ",{\"type\":\"user\"}],"
                       "\"uidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":65536}],"
                       "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":65536}]",
                       NULL);
        expect_started(&r);
        assert_int_equal(r.status, 0);
        char *line2 = strchr(r.out, '\n');
        assert_non_null(line2);
        assert_memory_equal(r.out, "0\n", 2);
        /* "         0     200000      65536" */
        assert_non_null(strstr(line2, "200000"));
        assert_non_null(strstr(r.out, "/dev/null"));
        result_done(&r);
}

static void seccomp_masked_and_readonly_paths_apply_inside(void **state)
{
        result r =
                run("mkdir /tmp/x 2>/dev/null && echo mkdir-ok || echo mkdir-denied; "
                    "cat /proc/cpuinfo | wc -c; echo 1 > /proc/sys/kernel/domainname 2>/dev/null "
                    "&& echo sys-writable || echo sys-readonly",
                    "],\"maskedPaths\":[\"/proc/cpuinfo\",\"/proc/"
                    "no-such-file\"],\"readonlyPaths\":[\"/proc/sys\"],"
                    "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
                    "\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                    NULL);
        expect_started(&r);
        assert_string_equal(r.out, "mkdir-denied\n0\nsys-readonly\n");
        result_done(&r);
}

static void a_missing_program_is_reported_in_runc_words(void **state)
{
        result r = run_args("[\"no-such-program-rq\"]", NULL, NULL);
        assert_int_equal(r.status, -1);
        assert_string_equal(r.error, "exec no-such-program-rq: executable file not found in $PATH");
        result_done(&r);
        r = run_args("[\"/bin\"]", NULL, NULL);
        assert_int_equal(r.status, -1);
        assert_string_equal(r.error, "exec /bin: permission denied");
        result_done(&r);
}

/* (run_args() also checks that a failed spawn leaves no child behind.) */
static void a_failing_step_is_named_and_the_init_does_not_keep_running(void **state)
{
        result r = run("true", "],\"sysctl\":{\"net.ipv4.no_such_sysctl_rq\":\"1\"}", NULL);
        assert_int_equal(r.status, -1);
        assert_non_null(strstr(r.error, "linux.sysctl[\"net.ipv4.no_such_sysctl_rq\"]"));
        result_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(the_program_is_pid_1_with_its_hostname_mounts_and_dev),
                cmocka_unit_test(no_runtime_fd_reaches_the_container),
                cmocka_unit_test(a_user_namespace_gets_its_maps_and_a_root_that_is_not_host_root),
                cmocka_unit_test(seccomp_masked_and_readonly_paths_apply_inside),
                cmocka_unit_test(a_missing_program_is_reported_in_runc_words),
                cmocka_unit_test(a_failing_step_is_named_and_the_init_does_not_keep_running),
        };
        return cmocka_run_group_tests_name("spawn", tests, setup, teardown);
}
