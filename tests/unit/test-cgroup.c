/* Unit tests: the pure side of the cgroup backends — v1-to-v2 value conversions, mountinfo
 * lines, device rules as v1 lines and decisions, and the hand-written v2 device program, run
 * in a small interpreter against the decisions for every device and access. As root on a host
 * with a cgroup2 mount, the real program is also attached to a scratch cgroup and a child in
 * it is refused a write to /dev/null. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/cgroup-internal.h"

static void shares_become_weights_as_in_runc_and_crun(void **state)
{
        assert_int_equal(cg_shares_to_weight(0), 0);
        assert_int_equal(cg_shares_to_weight(1), 1);
        assert_int_equal(cg_shares_to_weight(2), 1);
        assert_int_equal(cg_shares_to_weight(1024), 39);
        assert_int_equal(cg_shares_to_weight(262144), 10000);
        assert_int_equal(cg_shares_to_weight(1000000), 10000);
}

static void blkio_weights_become_io_weights(void **state)
{
        assert_int_equal(cg_blkio_to_io_weight(0), 0);
        assert_int_equal(cg_blkio_to_io_weight(10), 1);
        assert_int_equal(cg_blkio_to_io_weight(100), 910);
        assert_int_equal(cg_blkio_to_io_weight(500), 4950);
        assert_int_equal(cg_blkio_to_io_weight(1000), 10000);
}

static void swap_is_memory_plus_swap_minus_the_limit(void **state)
{
        int64_t v;
        bool skip;
        const char *why;
        assert_int_equal(cg_swap_to_v2(3000, true, 1000, &v, &skip, &why), 0);
        assert_false(skip);
        assert_int_equal(v, 2000);
        assert_int_equal(cg_swap_to_v2(1000, true, 1000, &v, &skip, &why), 0);
        assert_int_equal(v, 0);
        assert_int_equal(cg_swap_to_v2(-1, true, 1000, &v, &skip, &why), 0);
        assert_int_equal(v, -1);
        /* both unlimited */
        assert_int_equal(cg_swap_to_v2(0, true, -1, &v, &skip, &why), 0);
        assert_false(skip);
        assert_int_equal(v, -1);
        assert_int_equal(cg_swap_to_v2(0, true, 1000, &v, &skip, &why), 0);
        assert_true(skip);
        assert_int_equal(cg_swap_to_v2(500, true, 1000, &v, &skip, &why), -EINVAL);
        assert_non_null(strstr(why, "below"));
        assert_int_equal(cg_swap_to_v2(2000, false, 0, &v, &skip, &why), -EINVAL);
        assert_non_null(strstr(why, "memory limit"));
        assert_int_equal(cg_swap_to_v2(-2, true, 1000, &v, &skip, &why), -EINVAL);
}

static void mountinfo_lines_give_hierarchies_and_controllers(void **state)
{
        cg_mount m;
        assert_int_equal(cg_parse_mountinfo_line("31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct "
                                                 "rw,relatime shared:9 - cgroup cgroup "
                                                 "rw,cpu,cpuacct\n",
                                                 &m),
                         1);
        assert_string_equal(m.mount_point, "/sys/fs/cgroup/cpu,cpuacct");
        assert_string_equal(m.controllers, "cpu,cpuacct");
        assert_false(m.v2);
        cg_mount_done(&m);
        assert_int_equal(cg_parse_mountinfo_line("39 30 0:36 / /sys/fs/cgroup/systemd rw - "
                                                 "cgroup cgroup rw,xattr,name=systemd\n",
                                                 &m),
                         1);
        assert_string_equal(m.controllers, "name=systemd");
        cg_mount_done(&m);
        assert_int_equal(cg_parse_mountinfo_line("40 30 0:37 / /sys/fs/cgroup/unified rw - "
                                                 "cgroup2 cgroup2 rw,nsdelegate\n",
                                                 &m),
                         1);
        assert_true(m.v2);
        assert_string_equal(m.controllers, "");
        cg_mount_done(&m);
        assert_int_equal(cg_parse_mountinfo_line("30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs "
                                                 "rw,mode=755\n",
                                                 &m),
                         0);
        assert_int_equal(cg_parse_mountinfo_line("garbage\n", &m), -EINVAL);
}

static void rules_become_v1_devices_lines(void **state)
{
        char b[64];
        cg_dev_rule_v1(&(cg_dev_rule){ true, 'c', 1, 3, CG_DEV_RWM }, b, sizeof(b));
        assert_string_equal(b, "c 1:3 rwm");
        cg_dev_rule_v1(&(cg_dev_rule){ false, 'a', -1, -1, CG_DEV_READ }, b, sizeof(b));
        assert_string_equal(b, "a");
        cg_dev_rule_v1(&(cg_dev_rule){ true, 'b', -1, 7, CG_DEV_READ | CG_DEV_MKNOD }, b,
                       sizeof(b));
        assert_string_equal(b, "b *:7 rm");
}

/* The default spec's deny-all, with one linux.devices entry. */
static void default_devices_stay_usable_under_deny_all(void **state)
{
        rq_spec_device_cgroup deny_all = { .allow = false, .type = 'a', .access = (char *)"rwm" };
        rq_spec_resources res = { .devices = &deny_all, .n_devices = 1 };
        rq_spec_device fuse = {
                .type = 'c', .path = (char *)"/dev/fuse", .major = 10, .minor = 229
        };
        _cleanup_free_ cg_dev_rule *r = NULL;
        size_t n;
        assert_int_equal(cg_device_rules(&res, &fuse, 1, &r, &n), 0);
        assert_false(r[0].allow);
        assert_int_equal(r[0].type, 'a');
        assert_true(cg_dev_decide(r, n, 'c', 1, 3, CG_DEV_READ | CG_DEV_WRITE));
        assert_true(cg_dev_decide(r, n, 'c', 136, 4, CG_DEV_WRITE));
        assert_true(cg_dev_decide(r, n, 'c', 10, 229, CG_DEV_WRITE));
        assert_true(cg_dev_decide(r, n, 'c', 10, 200, CG_DEV_WRITE)); /* tun, as runc */
        assert_true(cg_dev_decide(r, n, 'b', 8, 0, CG_DEV_MKNOD));
        assert_false(cg_dev_decide(r, n, 'b', 8, 0, CG_DEV_READ));
        assert_false(cg_dev_decide(r, n, 'c', 1, 11, CG_DEV_READ)); /* kmsg */
        assert_false(cg_dev_decide(r, n, 'c', 1, 1, CG_DEV_WRITE)); /* mem */
}

/* Without any rule the list is still an allowlist (as runc). */
static void no_rules_allow_only_the_default_devices(void **state)
{
        _cleanup_free_ cg_dev_rule *r = NULL;
        size_t n;
        assert_int_equal(cg_device_rules(NULL, NULL, 0, &r, &n), 0);
        assert_true(cg_dev_decide(r, n, 'c', 1, 3, CG_DEV_WRITE));
        assert_false(cg_dev_decide(r, n, 'b', 7, 0, CG_DEV_READ));
        char line[64];
        cg_dev_rule_v1(&r[0], line, sizeof(line));
        assert_string_equal(line, "a");
        assert_false(r[0].allow);
}

/* An explicit rule after the deny-all still restricts a default device. */
static void a_later_rule_can_deny_a_default_device(void **state)
{
        rq_spec_device_cgroup rules[] = {
                { .allow = false, .type = 'a', .access = (char *)"rwm" },
                { .allow = false,
                  .type = 'c',
                  .major = { true, 1 },
                  .minor = { true, 3 },
                  .access = (char *)"w" },
        };
        rq_spec_resources res = { .devices = rules, .n_devices = 2 };
        _cleanup_free_ cg_dev_rule *r = NULL;
        size_t n;
        assert_int_equal(cg_device_rules(&res, NULL, 0, &r, &n), 0);
        assert_false(cg_dev_decide(r, n, 'c', 1, 3, CG_DEV_WRITE));
        assert_false(cg_dev_decide(r, n, 'c', 1, 3, CG_DEV_READ | CG_DEV_WRITE));
        assert_true(cg_dev_decide(r, n, 'c', 1, 3, CG_DEV_READ));
        assert_true(cg_dev_decide(r, n, 'c', 1, 5, CG_DEV_WRITE));
}

/* Just the BPF subset the compiler emits. Returns r0, or -1 for anything else. */
static int64_t run_bpf(const struct bpf_insn *p, size_t n, uint32_t access_type, uint32_t major,
                       uint32_t minor)
{
        uint32_t ctx[3] = { access_type, major, minor };
        uint64_t reg[11] = { 0 };
        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint64_t src =
                        BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
                switch (i->code) {
                case BPF_LDX | BPF_W | BPF_MEM:
                        if (i->src_reg != 1 || i->off < 0 || i->off > 8 || i->off % 4)
                                return -1;
                        reg[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        reg[i->dst_reg] = (uint32_t)(reg[i->dst_reg] & src);
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        reg[i->dst_reg] = (uint32_t)reg[i->dst_reg] >> src;
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        reg[i->dst_reg] = (uint32_t)src;
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        reg[i->dst_reg] = src;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                        if (reg[i->dst_reg] != src)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        if (reg[i->dst_reg] == src)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int64_t)reg[0];
                default:
                        return -1;
                }
        }
        return -1; /* ran off the end */
}

static void check_program_matches_decisions(const cg_dev_rule *r, size_t n)
{
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t np;
        assert_int_equal(cg_devices_bpf_compile(r, n, &p, &np), 0);
        static const char types[] = { 'c', 'b' };
        static const uint32_t majors[] = { 1, 5, 8, 10, 136 }, minors[] = { 0, 1, 3, 5, 11, 200 };
        for (size_t t = 0; t < 2; t++)
                for (size_t a = 0; a < ELEMENTSOF(majors); a++)
                        for (size_t b = 0; b < ELEMENTSOF(minors); b++)
                                for (unsigned acc = 1; acc <= CG_DEV_RWM; acc++) {
                                        uint32_t at = (acc << 16) |
                                                      (types[t] == 'b' ? BPF_DEVCG_DEV_BLOCK
                                                                       : BPF_DEVCG_DEV_CHAR);
                                        int64_t got = run_bpf(p, np, at, majors[a], minors[b]);
                                        bool want = cg_dev_decide(r, n, types[t], majors[a],
                                                                  minors[b], acc);
                                        if (got != (want ? 1 : 0))
                                                fail_msg("%c %u:%u access %u: program %lld, "
                                                         "rules %d",
                                                         types[t], majors[a], minors[b], acc,
                                                         (long long)got, want);
                                }
}

static void the_device_program_decides_as_the_rules(void **state)
{
        rq_spec_device_cgroup spec[] = {
                { .allow = false, .type = 'a', .access = (char *)"rwm" },
                { .allow = true,
                  .type = 'c',
                  .major = { true, 1 },
                  .minor = { true, 11 },
                  .access = (char *)"r" },
                { .allow = false,
                  .type = 'c',
                  .major = { true, 1 },
                  .minor = { true, 3 },
                  .access = (char *)"w" },
                { .allow = true, .type = 'b', .major = { true, 8 }, .access = (char *)"rm" },
                { .allow = false, .type = 'c', .minor = { true, 0 }, .access = (char *)"m" },
        };
        rq_spec_resources res = { .devices = spec, .n_devices = ELEMENTSOF(spec) };
        _cleanup_free_ cg_dev_rule *r = NULL;
        size_t n;
        assert_int_equal(cg_device_rules(&res, NULL, 0, &r, &n), 0);
        check_program_matches_decisions(r, n);
        /* no deny-all: the default is allow */
        check_program_matches_decisions(r + 1, 0);
        const cg_dev_rule tail[] = { { false, 'c', 1, 3, CG_DEV_WRITE },
                                     { true, 'a', 5, 5, CG_DEV_READ },
                                     { false, 'b', -1, -1, CG_DEV_READ } };
        check_program_matches_decisions(tail, ELEMENTSOF(tail));
        check_program_matches_decisions(r + 1, n - 1);
}

/* The kernel verifies and runs the program: a child in a cgroup with it may read /dev/null
 * but not write it. */
static void the_kernel_runs_the_device_program(void **state)
{
        struct stat st;
        const char *root = stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0
                                   ? "/sys/fs/cgroup/unified"
                                   : "/sys/fs/cgroup";
        char dir[128], procs[160];
        snprintf(dir, sizeof(dir), "%s/rq-test-cgroup-%d", root, (int)getpid());
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        if (geteuid() != 0 || stat(root, &st) < 0 || mkdir(dir, 0755) < 0)
                skip();
        const cg_dev_rule rules[] = { { true, 'a', -1, -1, CG_DEV_RWM },
                                      { false, 'c', 1, 3, CG_DEV_WRITE } };
        rq_error *e = NULL;
        int k = cg_devices_bpf_attach(dir, rules, ELEMENTSOF(rules), &e);
        if (k < 0) {
                char *msg = rq_error_format(e);
                rmdir(dir);
                fail_msg("%s", msg);
        }
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open(procs, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1)
                        _exit(10);
                close(fd);
                fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        _exit(11);
                close(fd);
                fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                _exit(fd < 0 && errno == EPERM ? 0 : 12);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        rmdir(dir);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* A fake cgroup directory with files. */
static void write_file(const char *dir, const char *name, const char *text)
{
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void oom_counters_come_from_memory_events_and_oom_control(void **state)
{
        char dir[] = "/tmp/rq-test-oom-XXXXXX";
        assert_non_null(mkdtemp(dir));
        uint64_t kills = 99;
        int64_t limit = 0;
        /* v2: "oom" is not "oom_kill" */
        write_file(dir, "memory.events", "low 0\nhigh 0\nmax 7\noom 5\noom_kill 2\n");
        write_file(dir, "memory.max", "16777216\n");
        assert_int_equal(cg_v2_oom(dir, &kills, &limit), 0);
        assert_int_equal(kills, 2);
        assert_int_equal(limit, 16777216);
        write_file(dir, "memory.max", "max\n");
        assert_int_equal(cg_v2_oom(dir, &kills, &limit), 0);
        assert_int_equal(limit, -1);
        /* v1: a cgroup stuck under_oom (killer off) counts as one more */
        write_file(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        write_file(dir, "memory.limit_in_bytes", "9223372036854771712\n");
        assert_int_equal(cg_v1_oom(dir, &kills, &limit), 0);
        assert_int_equal(kills, 3);
        assert_int_equal(limit, -1);
        write_file(dir, "memory.oom_control", "oom_kill_disable 1\nunder_oom 1\n");
        write_file(dir, "memory.limit_in_bytes", "33554432\n");
        assert_int_equal(cg_v1_oom(dir, &kills, &limit), 0);
        assert_int_equal(kills, 1);
        assert_int_equal(limit, 33554432);
        /* no memory controller there */
        char sys[300];
        snprintf(sys, sizeof(sys), "rm -rf %s", dir);
        assert_int_equal(system(sys), 0);
        assert_true(cg_v2_oom(dir, &kills, &limit) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(shares_become_weights_as_in_runc_and_crun),
                cmocka_unit_test(blkio_weights_become_io_weights),
                cmocka_unit_test(swap_is_memory_plus_swap_minus_the_limit),
                cmocka_unit_test(mountinfo_lines_give_hierarchies_and_controllers),
                cmocka_unit_test(rules_become_v1_devices_lines),
                cmocka_unit_test(default_devices_stay_usable_under_deny_all),
                cmocka_unit_test(no_rules_allow_only_the_default_devices),
                cmocka_unit_test(a_later_rule_can_deny_a_default_device),
                cmocka_unit_test(the_device_program_decides_as_the_rules),
                cmocka_unit_test(the_kernel_runs_the_device_program),
                cmocka_unit_test(oom_counters_come_from_memory_events_and_oom_control),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
