/* Unit tests: the container init's resource and scheduling attributes (rlimits, oom_score_adj,
 * personality, I/O priority, scheduler, CPU affinity), each applied in a forked child and read
 * back from the kernel. Everything here works as root and as an ordinary user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "lib/process-attrs.h"
#include "process-child.h"

#define USER_ROOT "\"user\":{\"uid\":0,\"gid\":0}"

static void child_apply_all(FILE *out, const void *arg)
{
        const rq_spec *spec = arg;
        rq_error *e = NULL;
        report_result(out, rq_process_attrs_apply(spec->process, spec->linux_, &e), &e);
}

static void child_lower_nofile(FILE *out, const void *arg)
{
        const rq_spec *spec = arg;
        rq_error *e = NULL;
        report_result(out, rq_rlimits_apply(spec->process, &e), &e);
        struct rlimit l;
        if (getrlimit(RLIMIT_NOFILE, &l) == 0)
                fprintf(out, "NOFILE:\t%ju/%ju\n", (uintmax_t)l.rlim_cur, (uintmax_t)l.rlim_max);
}

static void lowering_nofile_soft_and_hard_is_read_back(void **state)
{
        _cleanup_spec_ rq_spec *spec = parse_config(
                USER_ROOT ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":512,\"soft\":256}]",
                NULL);
        _cleanup_free_ char *report = run_in_child(child_lower_nofile, spec);
        _cleanup_free_ char *v = report_field(report, "NOFILE");
        assert_string_equal(v, "256/512");
        assert_non_null(strstr(report, "ok\n"));
}

static void child_raise_nofile(FILE *out, const void *arg)
{
        drop_effective(CAP_SYS_RESOURCE);
        child_apply_all(out, arg);
}

static void raising_nofile_above_the_hard_limit_names_the_entry_and_cap_sys_resource(void **state)
{
        struct rlimit cur;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &cur), 0);
        if (cur.rlim_max == RLIM_INFINITY) {
                print_message(
                        "skipped: the hard RLIMIT_NOFILE is unlimited, nothing is above it\n");
                skip();
        }
        uintmax_t hard = (uintmax_t)cur.rlim_max + 1;
        _cleanup_free_ char *members = strprintf(
                USER_ROOT ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":%ju,\"soft\":%ju}]",
                hard, hard);
        _cleanup_spec_ rq_spec *spec = parse_config(members, NULL);
        _cleanup_free_ char *report = run_in_child(child_raise_nofile, spec);
        _cleanup_free_ char *want = strprintf(
                "error: apply process.rlimits: process.rlimits[0] (RLIMIT_NOFILE %ju/%ju): "
                "Operation not permitted\n"
                "hint: raising the hard limit above the current %ju needs CAP_SYS_RESOURCE, "
                "which is not in this process's ",
                hard, hard, (uintmax_t)cur.rlim_max);
        assert_memory_equal(report, want, strlen(want));
        assert_non_null(strstr(report, ": lower process.rlimits[0].hard to at most "));
}

static void child_oom_500(FILE *out, const void *arg)
{
        rq_error *e = NULL;
        report_result(out, rq_oom_score_adj_apply(500, &e), &e);
        _cleanup_free_ char *v = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/oom_score_adj", &v, NULL) == 0)
                fprintf(out, "oom_score_adj:\t%s", v);
}

static void oom_score_adj_raised_to_500_is_read_back(void **state)
{
        _cleanup_free_ char *report = run_in_child(child_oom_500, NULL);
        assert_non_null(strstr(report, "ok\n"));
        _cleanup_free_ char *v = report_field(report, "oom_score_adj");
        assert_string_equal(v, "500");
}

static void child_oom_lower(FILE *out, const void *arg)
{
        drop_effective(CAP_SYS_RESOURCE);
        rq_error *e = NULL;
        if (rq_oom_score_adj_apply(500, &e) < 0) {
                report_result(out, -1, &e);
                return;
        }
        child_apply_all(out, arg);
}

static void lowering_oom_score_adj_without_cap_sys_resource_fails_clearly(void **state)
{
        _cleanup_spec_ rq_spec *spec = parse_config(USER_ROOT ",\"oomScoreAdj\":-1000", NULL);
        _cleanup_free_ char *report = run_in_child(child_oom_lower, spec);
        /* A privileged ancestor may have set the floor to -1000 already; then lowering to it
         * needs no privilege and there is nothing to check here. */
        if (streq(report, "ok\n")) {
                print_message("skipped: this process tree may already go down to -1000\n");
                skip();
        }
        static const char want[] = "error: apply process.oomScoreAdj: write -1000 to "
                                   "/proc/self/oom_score_adj: Permission denied\n"
                                   "hint: lowering oom_score_adj (now 500) below the lowest value "
                                   "set with privilege needs CAP_SYS_RESOURCE, which is not in "
                                   "this process's ";
        assert_memory_equal(report, want, strlen(want));
        const char *where = report + strlen(want);
        assert_true(streq(where, "bounding set\n") || streq(where, "effective set\n"));
}

static void child_personality(FILE *out, const void *arg)
{
        const rq_spec *spec = arg;
        rq_error *e = NULL;
        report_result(out, rq_personality_apply(spec->linux_->personality, &e), &e);
        struct utsname u;
        fprintf(out, "persona:\t%d\n", personality(0xffffffff) & PER_MASK);
        if (uname(&u) == 0)
                fprintf(out, "machine:\t%s\n", u.machine);
}

static void personality_linux32_shows_in_the_persona_and_uname(void **state)
{
        _cleanup_spec_ rq_spec *spec =
                parse_config(USER_ROOT, "{\"personality\":{\"domain\":\"LINUX32\"}}");
        _cleanup_free_ char *report = run_in_child(child_personality, spec);
        assert_non_null(strstr(report, "ok\n"));
        _cleanup_free_ char *persona = report_field(report, "persona");
        _cleanup_free_ char *want = strprintf("%d", PER_LINUX32);
        assert_string_equal(persona, want);
#if defined(__x86_64__)
        _cleanup_free_ char *machine = report_field(report, "machine");
        assert_string_equal(machine, "i686");
#endif
}

static void child_sched(FILE *out, const void *arg)
{
        const rq_spec *spec = arg;
        const rq_spec_process *p = spec->process;
        rq_error *e = NULL;
        int r = rq_ioprio_apply(p->io_priority, &e);
        if (r >= 0)
                r = rq_scheduler_apply(p->scheduler, &e);
        if (r >= 0)
                r = rq_cpu_affinity_apply(p->exec_cpu_affinity->final, &e);
        report_result(out, r, &e);
        fprintf(out, "ioprio:\t%ld\n", syscall(SYS_ioprio_get, 1, 0));
        fprintf(out, "policy:\t%d\n", sched_getscheduler(0));
        fprintf(out, "nice:\t%d\n", getpriority(PRIO_PROCESS, 0));
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                fprintf(out, "cpus:\t%d %d\n", CPU_COUNT(&set), CPU_ISSET(0, &set));
}

static void io_priority_scheduler_and_affinity_are_read_back(void **state)
{
        _cleanup_spec_ rq_spec *spec = parse_config(
                USER_ROOT ",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":6},"
                          "\"scheduler\":{\"policy\":\"SCHED_BATCH\",\"nice\":5},"
                          "\"execCPUAffinity\":{\"final\":\"0\"}",
                NULL);
        _cleanup_free_ char *report = run_in_child(child_sched, spec);
        assert_non_null(strstr(report, "ok\n"));
        _cleanup_free_ char *ioprio = report_field(report, "ioprio");
        _cleanup_free_ char *want = strprintf("%d", (2 << 13) | 6);
        assert_string_equal(ioprio, want);
        _cleanup_free_ char *policy = report_field(report, "policy");
        _cleanup_free_ char *want_policy = strprintf("%d", SCHED_BATCH);
        assert_string_equal(policy, want_policy);
        _cleanup_free_ char *nice = report_field(report, "nice");
        assert_string_equal(nice, "5");
        _cleanup_free_ char *cpus = report_field(report, "cpus");
        assert_string_equal(cpus, "1 1");
}

static void child_fifo(FILE *out, const void *arg)
{
        drop_effective(CAP_SYS_NICE);
        struct rlimit none = { 0, 0 };
        if (setrlimit(RLIMIT_RTPRIO, &none) < 0)
                _exit(5);
        child_apply_all(out, arg);
}

static void a_real_time_policy_without_cap_sys_nice_fails_clearly(void **state)
{
        _cleanup_spec_ rq_spec *spec = parse_config(
                USER_ROOT ",\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":10}", NULL);
        _cleanup_free_ char *report = run_in_child(child_fifo, spec);
        assert_string_equal(report,
                            "error: apply process.scheduler: sched_setattr(SCHED_FIFO, nice 0, "
                            "priority 10): Operation not permitted\n"
                            "hint: real-time and deadline policies, and a nice value below the "
                            "current one, need CAP_SYS_NICE or a matching RLIMIT_RTPRIO / "
                            "RLIMIT_NICE\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(lowering_nofile_soft_and_hard_is_read_back),
                cmocka_unit_test(
                        raising_nofile_above_the_hard_limit_names_the_entry_and_cap_sys_resource),
                cmocka_unit_test(oom_score_adj_raised_to_500_is_read_back),
                cmocka_unit_test(lowering_oom_score_adj_without_cap_sys_resource_fails_clearly),
                cmocka_unit_test(personality_linux32_shows_in_the_persona_and_uname),
                cmocka_unit_test(io_priority_scheduler_and_affinity_are_read_back),
                cmocka_unit_test(a_real_time_policy_without_cap_sys_nice_fails_clearly),
        };
        return cmocka_run_group_tests_name("rlimit", tests, NULL, NULL);
}
