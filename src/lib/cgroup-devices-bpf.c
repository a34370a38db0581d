/* The v2 device filter: cgroup v2 has no devices files; the kernel asks a program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup instead. The rules (cg_device_rules())
 * are compiled by hand into that program, checked last rule first so the last match wins,
 * and loaded and attached with bpf(2) directly (no library).
 *
 * The program's context is struct bpf_cgroup_dev_ctx: access_type (device type in the low 16
 * bits, access bits above), major, minor. Registers: r2 type, r3 access, r4 major, r5 minor;
 * r1 is scratch once they are loaded; r0 is the verdict (1 allow, 0 deny). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "lib/cgroup-internal.h"

#define INSN(c, d, s, o, i)                                                                        \
        ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* Does the rule test major, minor, access? (A value no device number can have never
 * matches: such a rule is left out.) */
static bool rule_possible(const cg_dev_rule *r)
{
        return r->type == 'a' || (r->major <= INT32_MAX && r->minor <= INT32_MAX);
}

static size_t rule_tests(const cg_dev_rule *r)
{
        if (r->type == 'a')
                return 0;
        return 1 + (r->major >= 0) + (r->minor >= 0) + (r->access != CG_DEV_RWM ? 3 : 0);
}

int cg_devices_bpf_compile(const cg_dev_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n)
{
        struct bpf_insn *p = calloc(6 + n * 8 + 2, sizeof(*p));
        if (!p)
                return -ENOMEM;
        size_t k = 0;
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
        p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0);
        p[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
        bool ended = false;
        for (size_t i = n; i-- > 0 && !ended;) {
                const cg_dev_rule *r = &rules[i];
                if (!rule_possible(r))
                        continue;
                /* each test jumps past the rest of the block: tests left + the 2-insn verdict */
                size_t left = rule_tests(r);
                int32_t dev = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
                if (r->type != 'a')
                        p[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, (int16_t)(--left + 2), dev);
                if (r->type != 'a' && r->major >= 0)
                        p[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, (int16_t)(--left + 2),
                                      (int32_t)r->major);
                if (r->type != 'a' && r->minor >= 0)
                        p[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, (int16_t)(--left + 2),
                                      (int32_t)r->minor);
                if (r->type != 'a' && r->access != CG_DEV_RWM) {
                        /* allow: every asked bit granted; deny: any asked bit named */
                        int32_t mask =
                                r->allow ? (int32_t)(~r->access & CG_DEV_RWM) : (int32_t)r->access;
                        p[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0);
                        p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, mask);
                        p[k++] = INSN(BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, 1, 0, 2, 0);
                }
                p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
                p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
                /* type 'a' matches everything: what follows could never run (and the verifier
                 * refuses unreachable instructions) */
                ended = r->type == 'a';
        }
        if (!ended) {
                p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
                p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
        *ret = p;
        *ret_n = k;
        return 0;
}

static int bpf(int cmd, union bpf_attr *attr)
{
        return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cg_devices_bpf_attach(const char *dir, const cg_dev_rule *rules, size_t n, rq_error **reterr)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        size_t n_insns;
        if (cg_devices_bpf_compile(rules, n, &insns, &n_insns) < 0)
                return rq_error_set(reterr, ENOMEM, "device program");
        char log[8192];
        union bpf_attr load = {
                .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                .insns = (uint64_t)(uintptr_t)insns,
                .insn_cnt = (uint32_t)n_insns,
                .license = (uint64_t)(uintptr_t) "Apache-2.0",
        };
        _cleanup_close_ int prog = bpf(BPF_PROG_LOAD, &load);
        if (prog < 0) {
                int err = errno;
                /* again with the verifier's log, for the error */
                load.log_buf = (uint64_t)(uintptr_t)log;
                load.log_size = sizeof(log);
                load.log_level = 1;
                log[0] = 0;
                (void)bpf(BPF_PROG_LOAD, &load);
                return rq_error_set(reterr, err, "load the device program (%zu instructions)%s%s",
                                    n_insns, log[0] ? ": " : "", log);
        }
        _cleanup_close_ int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg < 0)
                return rq_error_set(reterr, errno, "open %s", dir);
        union bpf_attr attach = {
                .target_fd = (uint32_t)cg,
                .attach_bpf_fd = (uint32_t)prog,
                .attach_type = BPF_CGROUP_DEVICE,
                .attach_flags = BPF_F_ALLOW_MULTI,
        };
        /* The cgroup keeps the program attached after both fds are closed, until it is
         * removed. */
        if (bpf(BPF_PROG_ATTACH, &attach) < 0)
                return rq_error_set(reterr, errno, "attach the device program to %s", dir);
        return 0;
}
