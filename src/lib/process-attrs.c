/* The container init's process attributes: the last things it sets on itself before seccomp and
 * exec. rq_process_attrs_apply() is the checklist; the order is forced by the kernel:
 *
 *  1. rlimits, oomScoreAdj, personality, memoryPolicy, ioPriority, scheduler, execCPUAffinity
 *     come first, while the init still has the runtime's capabilities: raising a hard rlimit and
 * lowering oom_score_adj need CAP_SYS_RESOURCE, the real-time I/O class and scheduler policies need
 *     CAP_SYS_NICE. The scheduler and I/O priority follow the rlimits so RLIMIT_NICE and
 *     RLIMIT_RTPRIO already are the container's.
 *  2. The user switch: setgroups and setgid need CAP_SETGID and setuid CAP_SETUID, so they
 *     precede the capability sets; PR_SET_KEEPCAPS keeps the permitted set across setuid, since
 *     the next step needs it.
 *  3. The capability sets, after the uid change (which would otherwise clear them): bounding
 *     first (dropping needs CAP_SETPCAP, which a smaller effective set may not hold), then
 *     permitted/effective/inheritable, then ambient, which the kernel only accepts for
 *     capabilities already permitted and inheritable.
 *  4. no_new_privs last, right before the seccomp filter that needs it when CAP_SYS_ADMIN is
 *     gone. */
#include "lib/log.h"
#include "lib/process-attrs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/ioprio.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "lib/mempolicy.h"

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "additionalGids are passed to setgroups as is");
_Static_assert(RLIM_INFINITY == UINT64_MAX, "the spec's 2^64-1 is RLIM_INFINITY");

/* struct sched_attr of the first version (SCHED_ATTR_SIZE_VER0): the spec sets no utilization
 * clamps. Its own name, since <linux/sched/types.h> clashes with glibc's <sched.h>. */
struct sched_attr_v0 {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};

#define CAP_BIT(c) (UINT64_C(1) << (c))
#define NUM_BUF 21 /* a uint64_t in decimal and its NUL */

/* ---- small helpers ------------------------------------------------------------------------ */

static const char *const rlimit_names[] = {
        [RLIMIT_CPU] = "RLIMIT_CPU",           [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
        [RLIMIT_DATA] = "RLIMIT_DATA",         [RLIMIT_STACK] = "RLIMIT_STACK",
        [RLIMIT_CORE] = "RLIMIT_CORE",         [RLIMIT_RSS] = "RLIMIT_RSS",
        [RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
        [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
        [RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
        [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
        [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static const char *const sched_policy_names[] = {
        "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
        "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
};

static const char *const ioprio_class_names[] = {
        [IOPRIO_CLASS_RT] = "IOPRIO_CLASS_RT",
        [IOPRIO_CLASS_BE] = "IOPRIO_CLASS_BE",
        [IOPRIO_CLASS_IDLE] = "IOPRIO_CLASS_IDLE",
};

static const char *name_of(const char *const *table, size_t n, int v)
{
        return v >= 0 && (size_t)v < n && table[v] ? table[v] : "?";
}

static const char *rlim_to_string(uint64_t v, char buf[static NUM_BUF])
{
        if (v == RLIM_INFINITY)
                return "unlimited";
        snprintf(buf, NUM_BUF, "%" PRIu64, v);
        return buf;
}

/* "CAP_CHOWN" for 0; libcap spells names in lower case. */
static void cap_name(cap_value_t c, char *buf, size_t size)
{
        char *n = cap_to_name(c);
        snprintf(buf, size, "%s", n ? n : "CAP_?");
        cap_free(n);
        for (char *i = buf; *i; i++)
                *i = (char)toupper((unsigned char)*i);
}

/* The capabilities the running kernel knows: 0 to cap_last_cap. */
static uint64_t caps_known(void)
{
        int n = cap_max_bits();
        return n >= 64 ? UINT64_MAX : n <= 0 ? 0 : CAP_BIT(n) - 1;
}

typedef struct caps_state {
        uint64_t effective;
        uint64_t permitted;
        uint64_t inheritable;
} caps_state;

static int caps_get(caps_state *ret)
{
        struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct d[2];
        if (capget(&h, d) < 0)
                return negative_errno();
        *ret = (caps_state){
                .effective = d[0].effective | (uint64_t)d[1].effective << 32,
                .permitted = d[0].permitted | (uint64_t)d[1].permitted << 32,
                .inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32,
        };
        return 0;
}

static int caps_set(const caps_state *s)
{
        struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct d[2] = {
                { (uint32_t)s->effective, (uint32_t)s->permitted, (uint32_t)s->inheritable },
                { (uint32_t)(s->effective >> 32), (uint32_t)(s->permitted >> 32),
                  (uint32_t)(s->inheritable >> 32) },
        };
        return capset(&h, d) < 0 ? negative_errno() : 0;
}

/* Why this process cannot use capability c ("which is not in this process's bounding set"),
 * or NULL when it holds it in its effective set. */
static const char *cap_missing_why(cap_value_t c)
{
        caps_state cur;
        if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 0)
                return "which is not in this process's bounding set";
        if (caps_get(&cur) < 0 || !(cur.effective & CAP_BIT(c)))
                return "which is not in this process's effective set";
        return NULL;
}

/* ---- resources and scheduling ------------------------------------------------------------ */

int rq_rlimits_apply(const rq_spec_process *p, rq_error **reterr)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const rq_spec_rlimit *l = &p->rlimits[i];
                struct rlimit new = { .rlim_cur = l->soft, .rlim_max = l->hard }, old;
                if (setrlimit(l->type, &new) >= 0)
                        continue;
                int r = -errno;
                char sb[NUM_BUF], hb[NUM_BUF], ob[NUM_BUF];
                const char *name = name_of(rlimit_names, ELEMENTSOF(rlimit_names), l->type);
                rq_error_set(reterr, r, "process.rlimits[%zu] (%s %s/%s)", i, name,
                             rlim_to_string(l->soft, sb), rlim_to_string(l->hard, hb));
                if (r != -EPERM || getrlimit(l->type, &old) < 0 || l->hard <= old.rlim_max)
                        return r;
                const char *why = cap_missing_why(CAP_SYS_RESOURCE);
                const char *cur = rlim_to_string(old.rlim_max, ob);
                if (why)
                        return rq_error_hint(reterr,
                                             "raising the hard limit above the current %s needs "
                                             "CAP_SYS_RESOURCE, %s: lower process.rlimits[%zu]"
                                             ".hard to at most %s",
                                             cur, why, i, cur);
                if (l->type == RLIMIT_NOFILE)
                        return rq_error_hint(reterr, "the hard limit of RLIMIT_NOFILE cannot be "
                                                     "above /proc/sys/fs/nr_open");
                return r;
        }
        return 0;
}

int rq_oom_score_adj_apply(int value, rq_error **reterr)
{
        static const char path[] = "/proc/self/oom_score_adj";
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open %s", path);
        /* A container (or a rootfs made by one) can leave a symlink or a bind mount of another
         * file where procfs belongs; write only to the real thing. */
        int r = fd_check_fstype(fd, PROC_SUPER_MAGIC);
        if (r == -EXDEV) {
                rq_error_set_plain(reterr, EXDEV, "%s is not on procfs", path);
                return rq_error_hint(reterr, "something is mounted over /proc; refusing to write "
                                             "through it");
        }
        if (r < 0)
                return rq_error_set(reterr, r, "fstatfs %s", path);

        char cur[16] = "", buf[16];
        ssize_t n = pread(fd, cur, sizeof(cur) - 1, 0);
        if (n < 0)
                return rq_error_set(reterr, errno, "read %s", path);
        cur[n] = '\0';
        int len = snprintf(buf, sizeof(buf), "%d", value);
        r = write_all(fd, buf, (size_t)len);
        if (r >= 0)
                return 0;
        rq_error_set(reterr, r, "write %d to %s", value, path);
        if (r == -EACCES || r == -EPERM) {
                const char *why = cap_missing_why(CAP_SYS_RESOURCE);
                rq_error_hint(reterr,
                              "lowering oom_score_adj (now %d) below the lowest value set with "
                              "privilege needs CAP_SYS_RESOURCE, %s",
                              atoi(cur), why ? why : "which the kernel did not accept");
        }
        return r;
}

int rq_personality_apply(const rq_spec_personality *pers, rq_error **reterr)
{
        unsigned long persona = (unsigned long)pers->domain | (unsigned long)pers->flags;
        if (personality(persona) < 0)
                return rq_error_set(reterr, errno, "personality(0x%lx)", persona);
        return 0;
}

int rq_ioprio_apply(const rq_spec_io_priority *io, rq_error **reterr)
{
        int prio = IOPRIO_PRIO_VALUE(io->class, io->priority);
        if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) >= 0)
                return 0;
        int r = rq_error_set(reterr, errno, "ioprio_set(%s, %d)",
                             name_of(ioprio_class_names, ELEMENTSOF(ioprio_class_names), io->class),
                             io->priority);
        if (r == -EPERM)
                rq_error_hint(reterr,
                              "the real-time I/O class needs CAP_SYS_ADMIN or CAP_SYS_NICE");
        return r;
}

int rq_scheduler_apply(const rq_spec_scheduler *s, rq_error **reterr)
{
        struct sched_attr_v0 attr = {
                .size = sizeof(attr),
                .sched_policy = (uint32_t)s->policy,
                .sched_flags = s->flags,
                .sched_nice = s->nice,
                .sched_priority = (uint32_t)s->priority,
                .sched_runtime = s->runtime,
                .sched_deadline = s->deadline,
                .sched_period = s->period,
        };
        if (syscall(SYS_sched_setattr, 0, &attr, 0) >= 0)
                return 0;
        int r = rq_error_set(reterr, errno, "sched_setattr(%s, nice %d, priority %d)",
                             name_of(sched_policy_names, ELEMENTSOF(sched_policy_names), s->policy),
                             s->nice, s->priority);
        if (r == -EPERM)
                rq_error_hint(reterr, "real-time and deadline policies, and a nice value below "
                                      "the current one, need CAP_SYS_NICE or a matching "
                                      "RLIMIT_RTPRIO / RLIMIT_NICE");
        return r;
}

int rq_cpu_affinity_apply(const char *cpus, rq_error **reterr)
{
        unsigned long lo, hi, max = 0;
        for (const char *s = cpus; parse_list_next(&s, &lo, &hi) > 0;)
                max = hi > max ? hi : max;
        cpu_set_t *set = CPU_ALLOC(max + 1);
        if (!set)
                return rq_error_set(reterr, ENOMEM, "allocate a CPU set");
        size_t size = CPU_ALLOC_SIZE(max + 1);
        CPU_ZERO_S(size, set);
        for (const char *s = cpus; parse_list_next(&s, &lo, &hi) > 0;)
                for (unsigned long c = lo; c <= hi; c++)
                        CPU_SET_S(c, size, set);
        int r = sched_setaffinity(0, size, set) < 0 ? -errno : 0;
        CPU_FREE(set);
        if (r >= 0)
                return 0;
        rq_error_set(reterr, r, "sched_setaffinity(%s)", cpus);
        if (r == -EINVAL)
                rq_error_hint(reterr, "none of these CPUs is online and allowed by the cpuset "
                                      "cgroup");
        return r;
}

/* ---- user --------------------------------------------------------------------------------- */

/* In a user namespace whose /proc/self/setgroups says "deny", setgroups fails even to clear. */
static bool setgroups_denied(void)
{
        _cleanup_free_ char *s = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/setgroups", &s, NULL) < 0)
                return false;
        return strncmp(s, "deny", 4) == 0;
}

/* setresgid or setresuid (what is "gid" or "uid") to process.user.<what>. */
static int user_id_set(const char *what, uint32_t id, rq_error **reterr)
{
        bool gid = what[0] == 'g';
        if ((gid ? setresgid(id, id, id) : setresuid(id, id, id)) >= 0)
                return 0;
        int r = rq_error_set(reterr, errno, "set%s to process.user.%s %u", what, what, id);
        if (r == -EINVAL)
                rq_error_hint(reterr, "%s %u is not mapped in this user namespace", what, id);
        return r;
}

int rq_user_apply(const rq_spec_process *p, rq_error **reterr)
{
        const rq_spec_user *u = &p->user;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return rq_error_set(reterr, errno, "prctl(PR_SET_KEEPCAPS)");
        if (setgroups(u->n_additional_gids, (const gid_t *)u->additional_gids) < 0) {
                int r = -errno;
                bool denied = r == -EPERM && setgroups_denied();
                /* Nothing to clear where the user namespace denies setgroups: the groups are
                 * the overflow group anyway. */
                if (!(denied && u->n_additional_gids == 0)) {
                        rq_error_set(reterr, r, "set process.user.additionalGids (%zu groups)",
                                     u->n_additional_gids);
                        if (denied)
                                rq_error_hint(reterr, "/proc/self/setgroups is \"deny\" in this "
                                                      "user namespace");
                        return r;
                }
        }
        /* The gid first: after setuid the process may no longer change it. */
        int r = user_id_set("gid", u->gid, reterr);
        if (r < 0)
                return r;
        r = user_id_set("uid", u->uid, reterr);
        if (r < 0)
                return r;
        /* The permitted set is kept now; the flag must not leak into the container process. */
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return rq_error_set(reterr, errno, "prctl(PR_SET_KEEPCAPS, 0)");
        if (u->umask.set)
                umask((mode_t)u->umask.value);
        return 0;
}

/* ---- capabilities -------------------------------------------------------------------------- */

uint64_t rq_caps_unknown(const rq_spec_capabilities *caps)
{
        uint64_t all = caps->bounding | caps->effective | caps->inheritable | caps->permitted |
                       caps->ambient;
        return all & ~caps_known();
}

/* The lowest capability in mask, named into buf. */
static const char *cap_first_name(uint64_t mask, char *buf, size_t size)
{
        cap_name(__builtin_ctzll(mask), buf, size);
        return buf;
}

static int caps_bounding_apply(uint64_t keep, uint64_t known, const caps_state *cur,
                               rq_error **reterr)
{
        uint64_t drop = 0;
        for (cap_value_t c = 0; c < 64 && (known & CAP_BIT(c)); c++)
                if (!(keep & CAP_BIT(c)) && prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) > 0)
                        drop |= CAP_BIT(c);
        if (!drop)
                return 0;
        /* PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, which the uid switch emptied:
         * raise it from the permitted set for the drops; the final sets are set right after. */
        if (!(cur->effective & CAP_BIT(CAP_SETPCAP)) && (cur->permitted & CAP_BIT(CAP_SETPCAP))) {
                caps_state raised = { cur->effective | CAP_BIT(CAP_SETPCAP), cur->permitted,
                                      cur->inheritable };
                int r = caps_set(&raised);
                if (r < 0)
                        return rq_error_set(reterr, r, "raise the permitted capabilities");
        }
        for (cap_value_t c = 0; c < 64; c++) {
                if (!(drop & CAP_BIT(c)) || prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) >= 0)
                        continue;
                char name[32];
                int r = rq_error_set(
                        reterr, errno,
                        "drop %s from the bounding set (process.capabilities.bounding)",
                        cap_first_name(CAP_BIT(c), name, sizeof(name)));
                const char *why = cap_missing_why(CAP_SETPCAP);
                if (r == -EPERM && why)
                        rq_error_hint(reterr,
                                      "dropping from the bounding set needs CAP_SETPCAP, %s", why);
                return r;
        }
        return 0;
}

/* Which requested capability made capset refuse, as a hint. */
static void caps_set_hint(const caps_state *want, const caps_state *cur, rq_error **reterr)
{
        const struct {
                const char *set;
                uint64_t extra;
                const char *why;
        } checks[] = {
                { "permitted", want->permitted & ~cur->permitted,
                  "which this process does not hold: the permitted set can only shrink" },
                { "effective", want->effective & ~want->permitted,
                  "which is not in process.capabilities.permitted" },
                { "inheritable", want->inheritable & ~(cur->inheritable | cur->permitted),
                  "which this process holds neither as inheritable nor as permitted" },
        };
        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                char name[32];
                if (!checks[i].extra)
                        continue;
                rq_error_hint(reterr, "process.capabilities.%s has %s, %s", checks[i].set,
                              cap_first_name(checks[i].extra, name, sizeof(name)), checks[i].why);
                return;
        }
}

void rq_caps_ambient_warn(const rq_spec_capabilities *caps)
{
        uint64_t lost = caps ? caps->ambient & ~(caps->inheritable & caps->permitted) : 0;
        char names[512] = "";
        for (cap_value_t c = 0; c < 64; c++) {
                char name[32];
                if (lost & CAP_BIT(c))
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                                 names[0] ? " " : "",
                                 cap_first_name(CAP_BIT(c), name, sizeof(name)));
        }
        if (lost)
                rq_warn("process.capabilities.ambient: %s not also inheritable and permitted, so "
                        "the kernel cannot raise them; left out, as runc and crun do",
                        names);
}

/* Only what the kernel accepts: ambient capabilities that are inheritable and permitted (the
 * rest was warned about by rq_caps_ambient_warn on the host). */
static int caps_ambient_apply(uint64_t ambient, rq_error **reterr)
{
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
            !(errno == EINVAL && ambient == 0))
                return rq_error_set(reterr, errno, "clear the ambient set");
        for (cap_value_t c = 0; c < 64; c++) {
                if (!(ambient & CAP_BIT(c)) ||
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) >= 0)
                        continue;
                char name[32];
                int r = rq_error_set(reterr, errno,
                                     "raise %s in the ambient set (process.capabilities.ambient)",
                                     cap_first_name(CAP_BIT(c), name, sizeof(name)));
                if (r == -EPERM)
                        rq_error_hint(reterr, "an ambient capability must also be in "
                                              "process.capabilities.permitted and inheritable");
                return r;
        }
        return 0;
}

int rq_caps_apply(const rq_spec_capabilities *caps, rq_error **reterr)
{
        if (!caps)
                return 0;
        uint64_t known = caps_known();
        caps_state cur;
        int r = caps_get(&cur);
        if (r < 0)
                return rq_error_set(reterr, r, "capget");
        r = caps_bounding_apply(caps->bounding, known, &cur, reterr);
        if (r < 0)
                return r;
        caps_state want = { caps->effective & known, caps->permitted & known,
                            caps->inheritable & known };
        r = caps_set(&want);
        if (r < 0) {
                rq_error_set(reterr, r, "set the permitted, effective and inheritable sets");
                if (r == -EPERM)
                        caps_set_hint(&want, &cur, reterr);
                return r;
        }
        return caps_ambient_apply(caps->ambient & caps->inheritable & caps->permitted & known,
                                  reterr);
}

int rq_no_new_privs_apply(bool on, rq_error **reterr)
{
        if (on && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return rq_error_set(reterr, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        return 0;
}

/* ---- the checklist ------------------------------------------------------------------------- */

int rq_process_attrs_apply(const rq_spec_process *p, const rq_spec_linux *linux_, rq_error **reterr)
{
        if (rq_rlimits_apply(p, reterr) < 0)
                return rq_error_wrap(reterr, "apply process.rlimits");
        if (p->oom_score_adj.set && rq_oom_score_adj_apply(p->oom_score_adj.value, reterr) < 0)
                return rq_error_wrap(reterr, "apply process.oomScoreAdj");
        if (linux_ && linux_->personality && rq_personality_apply(linux_->personality, reterr) < 0)
                return rq_error_wrap(reterr, "apply linux.personality");
        if (linux_ && rq_mempolicy_apply(linux_->memory_policy, reterr) < 0)
                return rq_error_wrap(reterr, "apply linux.memoryPolicy");
        if (p->io_priority && rq_ioprio_apply(p->io_priority, reterr) < 0)
                return rq_error_wrap(reterr, "apply process.ioPriority");
        if (p->scheduler && rq_scheduler_apply(p->scheduler, reterr) < 0)
                return rq_error_wrap(reterr, "apply process.scheduler");
        /* "initial" is for the process before it joins the container's cgroup (the spawner's
         * business); the init runs in the cgroup already, so "final" is its affinity. */
        if (p->exec_cpu_affinity && p->exec_cpu_affinity->final &&
            rq_cpu_affinity_apply(p->exec_cpu_affinity->final, reterr) < 0)
                return rq_error_wrap(reterr, "apply process.execCPUAffinity.final");
        if (rq_user_apply(p, reterr) < 0)
                return rq_error_wrap(reterr, "switch to uid %u gid %u", p->user.uid, p->user.gid);
        if (rq_caps_apply(p->capabilities, reterr) < 0)
                return rq_error_wrap(reterr, "set capabilities");
        if (rq_no_new_privs_apply(p->no_new_privileges, reterr) < 0)
                return rq_error_wrap(reterr, "set no_new_privs");
        return 0;
}
