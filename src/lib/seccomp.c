/* linux.seccomp: the spec's rules turned into a BPF program on the host (libseccomp, before the
 * container is cloned) and the program installed by the container init with the raw seccomp(2)
 * call. Building on the host keeps libseccomp (and its allocations) out of the child: all the
 * child does is one syscall. Handing a notify listener to the agent: seccomp-notify.c. */
#include "lib/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/spec.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define SECCOMP_PATH "linux.seccomp"

/* The spec's architectures in libseccomp's numbers; 0 where this libseccomp lacks one. */
static const struct {
        const char *name;
        uint32_t scmp;
} arch_table[_RQ_SECCOMP_ARCH_MAX] = {
        [RQ_SECCOMP_ARCH_X86] = { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
        [RQ_SECCOMP_ARCH_X86_64] = { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
        [RQ_SECCOMP_ARCH_X32] = { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
        [RQ_SECCOMP_ARCH_ARM] = { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
        [RQ_SECCOMP_ARCH_AARCH64] = { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
        [RQ_SECCOMP_ARCH_MIPS] = { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
        [RQ_SECCOMP_ARCH_MIPS64] = { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
        [RQ_SECCOMP_ARCH_MIPS64N32] = { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
        [RQ_SECCOMP_ARCH_MIPSEL] = { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
        [RQ_SECCOMP_ARCH_MIPSEL64] = { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
        [RQ_SECCOMP_ARCH_MIPSEL64N32] = { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
        [RQ_SECCOMP_ARCH_PPC] = { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
        [RQ_SECCOMP_ARCH_PPC64] = { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
        [RQ_SECCOMP_ARCH_PPC64LE] = { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
        [RQ_SECCOMP_ARCH_S390] = { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
        [RQ_SECCOMP_ARCH_S390X] = { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
        [RQ_SECCOMP_ARCH_PARISC] = { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
        [RQ_SECCOMP_ARCH_PARISC64] = { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
        [RQ_SECCOMP_ARCH_RISCV64] = { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
        [RQ_SECCOMP_ARCH_LOONGARCH64] = { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#else
        [RQ_SECCOMP_ARCH_LOONGARCH64] = { "SCMP_ARCH_LOONGARCH64", 0 },
#endif
#ifdef SCMP_ARCH_M68K
        [RQ_SECCOMP_ARCH_M68K] = { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#else
        [RQ_SECCOMP_ARCH_M68K] = { "SCMP_ARCH_M68K", 0 },
#endif
#ifdef SCMP_ARCH_SH
        [RQ_SECCOMP_ARCH_SH] = { "SCMP_ARCH_SH", SCMP_ARCH_SH },
        [RQ_SECCOMP_ARCH_SHEB] = { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#else
        [RQ_SECCOMP_ARCH_SH] = { "SCMP_ARCH_SH", 0 },
        [RQ_SECCOMP_ARCH_SHEB] = { "SCMP_ARCH_SHEB", 0 },
#endif
};

static const enum scmp_compare op_table[_RQ_SECCOMP_CMP_MAX] = {
        [RQ_SECCOMP_CMP_NE] = SCMP_CMP_NE,
        [RQ_SECCOMP_CMP_LT] = SCMP_CMP_LT,
        [RQ_SECCOMP_CMP_LE] = SCMP_CMP_LE,
        [RQ_SECCOMP_CMP_EQ] = SCMP_CMP_EQ,
        [RQ_SECCOMP_CMP_GE] = SCMP_CMP_GE,
        [RQ_SECCOMP_CMP_GT] = SCMP_CMP_GT,
        [RQ_SECCOMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static const struct {
        unsigned flag;
        const char *name;
} flag_table[] = {
        { SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC" },
        { SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG" },
        { SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW" },
        { SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" },
};

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

/* The libseccomp action for a spec action; errno_ret is the rule's (or default's) errnoRet, at
 * path. ERRNO and TRACE default to EPERM, as in runc. */
static int action_to_scmp(rq_seccomp_action a, const rq_opt_u32 *errno_ret, const char *path,
                          uint32_t *ret, rq_error **reterr)
{
        uint32_t data = errno_ret->set ? errno_ret->value : EPERM;
        if (data > SECCOMP_RET_DATA)
                return rq_error_invalid(reterr, "%s: errno %u is larger than %u", path, data,
                                        SECCOMP_RET_DATA);
        switch (a) {
        case RQ_SECCOMP_ACT_KILL:
        case RQ_SECCOMP_ACT_KILL_THREAD:
                *ret = SCMP_ACT_KILL_THREAD;
                return 0;
        case RQ_SECCOMP_ACT_KILL_PROCESS:
                *ret = SCMP_ACT_KILL_PROCESS;
                return 0;
        case RQ_SECCOMP_ACT_TRAP:
                *ret = SCMP_ACT_TRAP;
                return 0;
        case RQ_SECCOMP_ACT_ERRNO:
                *ret = SCMP_ACT_ERRNO(data);
                return 0;
        case RQ_SECCOMP_ACT_TRACE:
                *ret = SCMP_ACT_TRACE(data);
                return 0;
        case RQ_SECCOMP_ACT_ALLOW:
                *ret = SCMP_ACT_ALLOW;
                return 0;
        case RQ_SECCOMP_ACT_LOG:
                *ret = SCMP_ACT_LOG;
                return 0;
        case RQ_SECCOMP_ACT_NOTIFY:
                *ret = SCMP_ACT_NOTIFY;
                return 0;
        default:
                return rq_error_invalid(reterr, "%s: unknown seccomp action %d", path, (int)a);
        }
}

/* Probe the kernel for each flag: with a NULL program, a known flag fails with EFAULT (the
 * program is read after the flags are checked), an unknown one with EINVAL. */
static int flags_check(uint64_t flags, rq_error **reterr)
{
        uint64_t rest = flags;
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
                if (!(flags & flag_table[i].flag))
                        continue;
                rest &= ~(uint64_t)flag_table[i].flag;
                /* WAIT_KILLABLE_RECV is refused without a listener whatever the kernel. */
                unsigned probe = flag_table[i].flag;
                if (probe == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                        probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, NULL) == 0 ||
                    errno == EFAULT)
                        continue;
                if (errno == EINVAL)
                        return rq_error_set_plain(reterr, EOPNOTSUPP,
                                                  SECCOMP_PATH ".flags: this kernel does not "
                                                               "support %s",
                                                  flag_table[i].name);
                return rq_error_set(reterr, errno, SECCOMP_PATH ".flags: probe %s",
                                    flag_table[i].name);
        }
        if (rest)
                return rq_error_invalid(reterr, SECCOMP_PATH ".flags: unknown flags 0x%llx",
                                        (unsigned long long)rest);
        return 0;
}

static int arches_add(scmp_filter_ctx ctx, uint64_t arches, rq_error **reterr)
{
        for (int a = 0; a < _RQ_SECCOMP_ARCH_MAX; a++) {
                if (!(arches & (UINT64_C(1) << a)))
                        continue;
                if (arch_table[a].scmp == 0)
                        return rq_error_set_plain(reterr, EOPNOTSUPP,
                                                  SECCOMP_PATH ".architectures: %s is not "
                                                               "supported by libseccomp %u.%u.%u",
                                                  arch_table[a].name, seccomp_version()->major,
                                                  seccomp_version()->minor,
                                                  seccomp_version()->micro);
                /* The native architecture is in every new filter: EEXIST. */
                int r = seccomp_arch_add(ctx, arch_table[a].scmp);
                if (r < 0 && r != -EEXIST)
                        return rq_error_set(reterr, r, SECCOMP_PATH ".architectures: add %s",
                                            arch_table[a].name);
        }
        return 0;
}

/* One spec rule. Conditions on distinct arguments are ANDed in one rule. libseccomp refuses two
 * conditions on the same argument in one rule, so then, as runc does, each condition becomes a
 * rule of its own (ORed). */
static int rule_add(scmp_filter_ctx ctx, const rq_spec_syscall *sc, size_t i, uint32_t action,
                    rq_error **reterr)
{
        struct scmp_arg_cmp cmp[6];
        bool repeated = false;
        unsigned seen = 0;
        if (sc->n_args > ELEMENTSOF(cmp))
                return rq_error_invalid(reterr, SECCOMP_PATH ".syscalls[%zu].args: more than %zu",
                                        i, ELEMENTSOF(cmp));
        for (size_t k = 0; k < sc->n_args; k++) {
                const rq_spec_seccomp_arg *a = &sc->args[k];
                if (a->index >= 6 || a->op < 0 || a->op >= _RQ_SECCOMP_CMP_MAX)
                        return rq_error_invalid(reterr,
                                                SECCOMP_PATH ".syscalls[%zu].args[%zu]: "
                                                             "invalid condition",
                                                i, k);
                if (seen & (1U << a->index))
                        repeated = true;
                seen |= 1U << a->index;
                cmp[k] = (struct scmp_arg_cmp){ .arg = a->index,
                                                .op = op_table[a->op],
                                                .datum_a = a->value,
                                                .datum_b = a->value_two };
        }
        for (size_t j = 0; j < sc->n_names; j++) {
                int nr = seccomp_syscall_resolve_name(sc->names[j]);
                if (nr == __NR_SCMP_ERROR)
                        return rq_error_invalid(reterr,
                                                SECCOMP_PATH ".syscalls[%zu].names[%zu]: unknown "
                                                             "syscall \"%s\"",
                                                i, j, sc->names[j]);
                /* Not the _exact variant: a syscall missing on one of the filter's
                 * architectures is left out there instead of failing. */
                size_t n_rules = repeated ? sc->n_args : 1;
                for (size_t k = 0; k < n_rules; k++) {
                        int r = repeated ? seccomp_rule_add_array(ctx, action, nr, 1, &cmp[k])
                                         : seccomp_rule_add_array(ctx, action, nr,
                                                                  (unsigned)sc->n_args, cmp);
                        if (r < 0)
                                return rq_error_set(reterr, r,
                                                    SECCOMP_PATH ".syscalls[%zu].names[%zu]: add "
                                                                 "rule for \"%s\"",
                                                    i, j, sc->names[j]);
                }
        }
        return 0;
}

/* The container process hands the listener to the runtime with sendmsg once the filter is
 * loaded, before the agent has it: a notified sendmsg would wait for an answer no one can give. */
static int notify_check(const rq_spec_syscall *sc, size_t i, rq_error **reterr)
{
        for (size_t j = 0; j < sc->n_names; j++)
                if (streq(sc->names[j], "sendmsg")) {
                        rq_error_set_plain(reterr, EINVAL,
                                           SECCOMP_PATH ".syscalls[%zu].names[%zu]: "
                                                        "SCMP_ACT_NOTIFY on sendmsg is refused: "
                                                        "the runtime passes the listener to the "
                                                        "agent with it, under the filter",
                                           i, j);
                        return rq_error_hint(reterr, "give sendmsg another action");
                }
        return 0;
}

/* Export through a memfd (libseccomp 2.5 writes the program only to an fd) and read it back. */
static int prog_export(scmp_filter_ctx ctx, rq_seccomp_prog *p, rq_error **reterr)
{
        _cleanup_close_ int fd = memfd_create("rongqi-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "create memfd for the seccomp program");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return rq_error_set(reterr, r, "export the seccomp program");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "stat the seccomp program");
        size_t size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return rq_error_set_plain(reterr, EIO,
                                          "libseccomp exported %zu bytes, not a BPF "
                                          "program",
                                          size);
        if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return rq_error_set_plain(reterr, E2BIG,
                                          "the seccomp program has %zu instructions, the kernel "
                                          "takes at most %d",
                                          size / sizeof(struct sock_filter), BPF_MAXINSNS);
        p->insns = malloc(size);
        if (!p->insns)
                return rq_error_set(reterr, ENOMEM, "read the seccomp program");
        p->n_insns = size / sizeof(struct sock_filter);
        for (size_t off = 0; off < size;) {
                ssize_t n = RETRY_EINTR(pread(fd, (char *)p->insns + off, size - off, (off_t)off));
                if (n <= 0)
                        return rq_error_set(reterr, n < 0 ? errno : EIO,
                                            "read the seccomp program");
                off += (size_t)n;
        }
        return 0;
}

int rq_seccomp_compile(const rq_spec_seccomp *s, rq_seccomp_prog **ret, rq_error **reterr)
{
        uint32_t def;
        int r = action_to_scmp(s->default_action, &s->default_errno_ret,
                               SECCOMP_PATH ".defaultErrnoRet", &def, reterr);
        if (r < 0)
                return r;
        r = flags_check(s->flags, reterr);
        if (r < 0)
                return r;
        _cleanup_(seccomp_ctx_releasep) scmp_filter_ctx ctx = seccomp_init(def);
        if (!ctx)
                return rq_error_set_plain(reterr, EINVAL,
                                          SECCOMP_PATH ".defaultAction: libseccomp refuses it "
                                                       "(not supported by this kernel?)");
        /* The init sets no_new_privs itself (or has CAP_SYS_ADMIN); the program is only
         * exported, so this attribute is never acted on, but keep it out of the way. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return rq_error_set(reterr, r, "configure the seccomp filter");
        r = arches_add(ctx, s->architectures, reterr);
        if (r < 0)
                return r;

        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p = calloc(1, sizeof(*p));
        if (!p)
                return rq_error_set(reterr, ENOMEM, "compile the seccomp filter");
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const rq_spec_syscall *sc = &s->syscalls[i];
                char path[64];
                snprintf(path, sizeof(path), SECCOMP_PATH ".syscalls[%zu].errnoRet", i);
                uint32_t action;
                r = action_to_scmp(sc->action, &sc->errno_ret, path, &action, reterr);
                if (r < 0)
                        return r;
                /* libseccomp refuses a rule that does what the default does (EACCES); such a
                 * rule changes nothing, so leave it out, as runc does. */
                if (action == def)
                        continue;
                if (sc->action == RQ_SECCOMP_ACT_NOTIFY && (r = notify_check(sc, i, reterr)) < 0)
                        return r;
                r = rule_add(ctx, sc, i, action, reterr);
                if (r < 0)
                        return r;
                if (sc->action == RQ_SECCOMP_ACT_NOTIFY)
                        p->notify = true;
        }
        r = prog_export(ctx, p, reterr);
        if (r < 0)
                return r;
        p->flags = (unsigned)s->flags;
        /* It only changes how the listener waits; the kernel refuses it without one. */
        if (!p->notify)
                p->flags &= ~(unsigned)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        *ret = TAKE_PTR(p);
        return 0;
}

void rq_seccomp_prog_free(rq_seccomp_prog *p)
{
        if (!p)
                return;
        free(p->insns);
        free(p);
}

int rq_seccomp_load(const rq_seccomp_prog *p, int *ret_notify_fd, rq_error **reterr)
{
        if (p->notify && !ret_notify_fd)
                return rq_error_invalid(reterr, "the seccomp filter notifies but the listener "
                                                "fd is not taken");
        struct sock_fprog fprog = { .len = (unsigned short)p->n_insns, .filter = p->insns };
        unsigned flags = p->flags;
        if (p->notify) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* The kernel refuses TSYNC with a new listener; the init is single-threaded,
                 * so TSYNC has nothing to synchronise there. */
                flags &= ~(unsigned)SECCOMP_FILTER_FLAG_TSYNC;
        }
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
        if (r < 0) {
                int e = errno;
                rq_error_set(reterr, e, "load the seccomp filter");
                if (e == EACCES)
                        rq_error_hint(reterr, "set no_new_privs first or keep CAP_SYS_ADMIN");
                return -e;
        }
        if (ret_notify_fd)
                *ret_notify_fd = p->notify ? (int)r : -EBADF;
        return 0;
}
