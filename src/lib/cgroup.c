/* The container's cgroup: detect, create, limit, attach, remove. See cgroup.h. */
#include "lib/cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/log.h"

#define CGROUP_ROOT RQ_CGROUP_ROOT

static const char *const mode_names[_RQ_CGROUP_MODE_MAX] = { "v1", "hybrid", "v2" };

const char *rq_cgroup_mode_to_string(rq_cgroup_mode mode)
{
        return mode >= 0 && mode < _RQ_CGROUP_MODE_MAX ? mode_names[mode] : "unknown";
}

int rq_cgroup_detect(rq_cgroup_mode *ret, rq_error **reterr)
{
        struct statfs sfs;
        if (statfs(CGROUP_ROOT, &sfs) < 0)
                return rq_error_set(reterr, errno, "statfs %s", CGROUP_ROOT);
        if ((unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = RQ_CGROUP_V2;
                return 0;
        }
        if ((unsigned long)sfs.f_type != TMPFS_MAGIC)
                return rq_error_set_plain(reterr, ENOTSUP,
                                          "%s is neither cgroup2 nor a tmpfs of v1 hierarchies",
                                          CGROUP_ROOT);
        *ret = statfs(CGROUP_ROOT "/unified", &sfs) == 0 &&
                               (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC
                       ? RQ_CGROUP_HYBRID
                       : RQ_CGROUP_V1;
        return 0;
}

char *rq_cgroup_path_for(const rq_spec *spec, const char *id)
{
        const char *p = spec->linux_ ? spec->linux_->cgroups_path : NULL;
        if (p && p[0] == '/')
                return strdup(p);
        if (p && *p)
                return strprintf("/rongqi-runtime/%s", p);
        return strprintf("/rongqi-runtime/%s", id);
}

/* The hierarchies to use: v2: the one mount; v1 and hybrid: every v1 mount point under
 * /sys/fs/cgroup (each directory that is a cgroup mount; co-mounted links are skipped). */
static int hierarchies(rq_cgroup_mode mode, char **ret, size_t *ret_n)
{
        size_t n = 0;
        if (mode == RQ_CGROUP_V2) {
                ret[n++] = strdup(CGROUP_ROOT);
                *ret_n = n;
                return ret[0] ? 0 : -ENOMEM;
        }
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        char line[4096];
        while (fgets(line, sizeof(line), f) && n < RQ_CGROUP_DIRS_MAX) {
                char *sep = strstr(line, " - cgroup ");
                if (!sep)
                        continue;
                /* the 5th field is the mount point */
                char *p = line;
                for (int i = 0; i < 4 && p; i++)
                        p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
                if (!p)
                        continue;
                size_t len = strcspn(p, " ");
                if (strncmp(p, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) != 0)
                        continue;
                ret[n] = strndup(p, len);
                if (!ret[n])
                        return -ENOMEM;
                n++;
        }
        *ret_n = n;
        return 0;
}

/* Write a limit ("max" when negative) to dir/file; the error names the config field. */
static int write_limit(const char *dir, const char *file, int64_t value, bool neg_is_max,
                       const char *field, rq_error **reterr);

static int write_file(const char *dir, const char *file, const char *value, rq_error **reterr)
{
        _cleanup_free_ char *p = strprintf("%s/%s", dir, file);
        if (!p)
                return rq_error_set(reterr, ENOMEM, "cgroup file");
        int k = write_string_file_at(AT_FDCWD, p, value);
        if (k < 0)
                return rq_error_set(reterr, k, "write \"%s\" to %s", value, p);
        return 0;
}

static int write_limit(const char *dir, const char *file, int64_t value, bool neg_is_max,
                       const char *field, rq_error **reterr)
{
        char v[32];
        if (value < 0 && neg_is_max)
                strcpy(v, "max");
        else
                snprintf(v, sizeof(v), "%lld", (long long)value);
        int k = write_file(dir, file, v, reterr);
        return k < 0 ? rq_error_wrap(reterr, "linux.resources.%s", field) : 0;
}

/* mkdir -p below root; a new cpuset cgroup gets its parent's cpus and mems (v1 starts them
 * empty, and an empty cpuset takes no tasks). */
static int make_dirs(const char *root, const char *path, rq_error **reterr)
{
        _cleanup_free_ char *full = strprintf("%s%s", root, path);
        if (!full)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        bool cpuset = strstr(root, "cpuset") != NULL;
        for (char *s = full + strlen(root) + 1;; s++) {
                bool end = *s == 0;
                if (*s != '/' && !end)
                        continue;
                *s = 0;
                int made = mkdir(full, 0755) < 0 ? -errno : 0;
                if (made == 0 && cpuset) {
                        char *parent = strrchr(full, '/');
                        *parent = 0;
                        _cleanup_free_ char *cpus = NULL, *mems = NULL;
                        _cleanup_free_ char *pc = strprintf("%s/cpuset.cpus", full);
                        _cleanup_free_ char *pm = strprintf("%s/cpuset.mems", full);
                        *parent = '/';
                        if (pc && pm && read_full_file_at(AT_FDCWD, pc, &cpus, NULL) == 0 &&
                            read_full_file_at(AT_FDCWD, pm, &mems, NULL) == 0) {
                                int k;
                                if ((k = write_file(full, "cpuset.cpus", cpus, reterr)) < 0 ||
                                    (k = write_file(full, "cpuset.mems", mems, reterr)) < 0)
                                        return k;
                        }
                } else if (made < 0 && made != -EEXIST && access(full, F_OK) < 0) {
                        return rq_error_set(reterr, made, "create cgroup %s", full);
                }
                if (end)
                        break;
                *s = '/';
        }
        return 0;
}

static const char *dir_of(const rq_cgroup *cg, const char *controller)
{
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const char *base = cg->dirs[i] + strlen(CGROUP_ROOT) + 1;
                size_t n = strlen(controller);
                /* "memory/...", or a co-mount like "cpu,cpuacct/..." */
                for (const char *p = base; *p && *p != '/';) {
                        if (strncmp(p, controller, n) == 0 && (p[n] == '/' || p[n] == ','))
                                return cg->dirs[i];
                        p = strchr(p, ',');
                        if (!p)
                                break;
                        p++;
                }
        }
        return NULL;
}

/* The v1 hierarchy of a controller, or an error naming the config field that needs it. */
static int need_dir(const rq_cgroup *cg, const char *controller, const char *field,
                    const char **ret, rq_error **reterr)
{
        *ret = dir_of(cg, controller);
        if (!*ret)
                return rq_error_set_plain(reterr, ENOTSUP,
                                          "linux.resources.%s: no %s hierarchy on this host", field,
                                          controller);
        return 0;
}

static int apply_v1(const rq_cgroup *cg, const rq_spec_resources *r, rq_error **reterr)
{
        const char *d;
        int k;
        const rq_spec_cpu *cpu = r->cpu;
        if (r->memory && r->memory->limit.set &&
            ((k = need_dir(cg, "memory", "memory", &d, reterr)) < 0 ||
             (k = write_limit(d, "memory.limit_in_bytes", r->memory->limit.value, false,
                              "memory.limit", reterr)) < 0))
                return k;
        if (r->pids && r->pids->limit.set &&
            ((k = need_dir(cg, "pids", "pids", &d, reterr)) < 0 ||
             (k = write_limit(d, "pids.max", r->pids->limit.value, true, "pids.limit", reterr)) <
                     0))
                return k;
        if (!cpu || !(cpu->shares.set || cpu->quota.set || cpu->period.set))
                return 0;
        if ((k = need_dir(cg, "cpu", "cpu", &d, reterr)) < 0 ||
            (cpu->shares.set && (k = write_limit(d, "cpu.shares", (int64_t)cpu->shares.value, false,
                                                 "cpu.shares", reterr)) < 0) ||
            /* period first: a quota is checked against the current period */
            (cpu->period.set && (k = write_limit(d, "cpu.cfs_period_us", (int64_t)cpu->period.value,
                                                 false, "cpu.period", reterr)) < 0) ||
            (cpu->quota.set && (k = write_limit(d, "cpu.cfs_quota_us", cpu->quota.value, false,
                                                "cpu.quota", reterr)) < 0))
                return k;
        return 0;
}

static int apply_v2(const rq_cgroup *cg, const rq_spec_resources *r, rq_error **reterr)
{
        const char *d = cg->dirs[0];
        char v[64];
        int k;
        /* Every ancestor must delegate the controllers to its children. */
        _cleanup_free_ char *walk = strdup(cg->path);
        if (!walk)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        for (char *s = walk;;) {
                char *slash = strchr(s + 1, '/');
                _cleanup_free_ char *parent =
                        strprintf("%s%.*s", CGROUP_ROOT, (int)(s - walk), walk);
                if (parent)
                        (void)write_file(parent, "cgroup.subtree_control", "+memory +pids +cpu",
                                         NULL);
                if (!slash)
                        break;
                s = slash;
        }
        if ((r->memory && r->memory->limit.set &&
             (k = write_limit(d, "memory.max", r->memory->limit.value, true, "memory.limit",
                              reterr)) < 0) ||
            (r->pids && r->pids->limit.set &&
             (k = write_limit(d, "pids.max", r->pids->limit.value, true, "pids.limit", reterr)) <
                     0))
                return k;
        if (r->cpu && r->cpu->shares.set) {
                /* runc's and crun's conversion of v1 shares (2..262144) to v2 weight (1..10000) */
                unsigned long long s = r->cpu->shares.value;
                unsigned long long w = s < 2 ? 1 : 1 + ((s - 2) * 9999) / 262142;
                snprintf(v, sizeof(v), "%llu", w > 10000 ? 10000 : w);
                if ((k = write_file(d, "cpu.weight", v, reterr)) < 0)
                        return rq_error_wrap(reterr, "linux.resources.cpu.shares");
        }
        if (r->cpu && (r->cpu->quota.set || r->cpu->period.set)) {
                unsigned long long period = r->cpu->period.set ? r->cpu->period.value : 100000;
                if (r->cpu->quota.set && r->cpu->quota.value > 0)
                        snprintf(v, sizeof(v), "%lld %llu", (long long)r->cpu->quota.value, period);
                else
                        snprintf(v, sizeof(v), "max %llu", period);
                if ((k = write_file(d, "cpu.max", v, reterr)) < 0)
                        return rq_error_wrap(reterr, "linux.resources.cpu.quota/period");
        }
        return 0;
}

bool rq_cgroup_resources_limit(const rq_spec_resources *r)
{
        return r && ((r->memory && r->memory->limit.set) || (r->pids && r->pids->limit.set) ||
                     (r->cpu && (r->cpu->shares.set || r->cpu->quota.set || r->cpu->period.set)));
}

/* Say which set resources this version does not apply. */
static void warn_unapplied(const rq_spec_resources *r)
{
        const char *what = NULL;
        if (r->memory && (r->memory->reservation.set || r->memory->swap.set ||
                          r->memory->kernel.set || r->memory->kernel_tcp.set))
                what = "memory reservation/swap/kernel";
        else if (r->cpu && (r->cpu->cpus || r->cpu->mems || r->cpu->realtime_runtime.set ||
                            r->cpu->burst.set || r->cpu->idle.set))
                what = "cpu cpus/mems/realtime/burst/idle";
        else if (r->block_io || r->n_hugepage_limits || r->network || r->n_rdma || r->n_unified)
                what = "blockIO, hugepageLimits, network, rdma or unified";
        else if (r->n_devices > 1 || (r->n_devices == 1 && r->devices[0].allow))
                what = "devices (beyond the default deny-all)";
        if (what)
                rq_warn("linux.resources: %s are not applied by this version of rongqi-runtime "
                        "(memory.limit, pids.limit and cpu shares/quota/period are)",
                        what);
}

int rq_cgroup_create(const char *path, const rq_spec_resources *res, rq_cgroup *ret,
                     rq_error **reterr)
{
        rq_cgroup cg = { 0 };
        int k = rq_cgroup_detect(&cg.mode, reterr);
        if (k < 0)
                return k;
        char *roots[RQ_CGROUP_DIRS_MAX];
        size_t n = 0;
        if ((k = hierarchies(cg.mode, roots, &n)) < 0) {
                for (size_t i = 0; i < n; i++)
                        free(roots[i]);
                return rq_error_set(reterr, k, "list the cgroup hierarchies");
        }
        cg.path = strdup(path);
        for (size_t i = 0; i < n; i++) {
                if (k >= 0 && (k = make_dirs(roots[i], path, reterr)) >= 0)
                        cg.dirs[cg.n_dirs++] = strprintf("%s%s", roots[i], path);
                free(roots[i]);
        }
        if (k >= 0 && res)
                k = cg.mode == RQ_CGROUP_V2 ? apply_v2(&cg, res, reterr)
                                            : apply_v1(&cg, res, reterr);
        if (k < 0) {
                rq_cgroup_mode mode = cg.mode;
                (void)rq_cgroup_remove(path, NULL);
                rq_cgroup_done(&cg);
                return rq_error_wrap(reterr, "cgroup %s (%s)", path,
                                     rq_cgroup_mode_to_string(mode));
        }
        if (res)
                warn_unapplied(res);
        *ret = cg;
        return 0;
}

int rq_cgroup_attach(const rq_cgroup *cg, pid_t pid, rq_error **reterr)
{
        char v[16];
        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                int k = write_file(cg->dirs[i], "cgroup.procs", v, reterr);
                if (k < 0)
                        return rq_error_wrap(reterr, "move the container init into its cgroup");
        }
        return 0;
}

int rq_cgroup_enter(const char *path, rq_error **reterr)
{
        rq_cgroup_mode mode;
        int k = rq_cgroup_detect(&mode, reterr);
        if (k < 0)
                return k;
        char *roots[RQ_CGROUP_DIRS_MAX];
        size_t n = 0;
        if ((k = hierarchies(mode, roots, &n)) < 0)
                k = rq_error_set(reterr, k, "list the cgroup hierarchies");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *d = strprintf("%s%s", roots[i], path);
                free(roots[i]);
                /* "0": the writing process itself */
                if (k >= 0 && (!d || (k = write_file(d, "cgroup.procs", "0", reterr)) < 0))
                        k = k < 0 ? k : rq_error_set(reterr, ENOMEM, "cgroup path");
        }
        return k < 0 ? rq_error_wrap(reterr, "enter the container's cgroup %s", path) : 0;
}

/* Poll file until it contains want (up to ~2 s). */
static bool wait_contains(const char *file, const char *want)
{
        for (int t = 0; t < 200; t++) {
                _cleanup_free_ char *v = NULL;
                if (read_full_file_at(AT_FDCWD, file, &v, NULL) == 0 && strstr(v, want))
                        return true;
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        return false;
}

int rq_cgroup_freeze(const char *path, bool freeze, rq_error **reterr)
{
        rq_cgroup_mode mode;
        int k = rq_cgroup_detect(&mode, reterr);
        if (k < 0)
                return k;
        _cleanup_free_ char *dir = mode == RQ_CGROUP_V2
                                           ? strprintf("%s%s", CGROUP_ROOT, path)
                                           : strprintf("%s/freezer%s", CGROUP_ROOT, path);
        _cleanup_free_ char *check =
                dir ? strprintf("%s/%s", dir,
                                mode == RQ_CGROUP_V2 ? "cgroup.events" : "freezer.state")
                    : NULL;
        if (!check)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        if (access(dir, F_OK) < 0)
                return rq_error_set(reterr, errno, "%s: the container's %s cgroup", dir,
                                    mode == RQ_CGROUP_V2 ? "" : "freezer");
        const char *value =
                mode == RQ_CGROUP_V2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
        if ((k = write_file(dir, mode == RQ_CGROUP_V2 ? "cgroup.freeze" : "freezer.state", value,
                            reterr)) < 0)
                return k;
        const char *want = mode == RQ_CGROUP_V2 ? (freeze ? "frozen 1" : "frozen 0") : value;
        if (!wait_contains(check, want))
                return rq_error_set_plain(reterr, ETIMEDOUT, "%s: not %s within 2 s", dir,
                                          freeze ? "frozen" : "thawed");
        return 0;
}

int rq_cgroup_remove(const char *path, rq_error **reterr)
{
        rq_cgroup_mode mode;
        int k = rq_cgroup_detect(&mode, NULL);
        if (k < 0)
                return 0; /* no cgroupfs: nothing was made */
        char *roots[RQ_CGROUP_DIRS_MAX];
        size_t n = 0;
        if ((k = hierarchies(mode, roots, &n)) < 0) {
                for (size_t i = 0; i < n; i++)
                        free(roots[i]);
                return rq_error_set(reterr, k, "list the cgroup hierarchies");
        }
        int r = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *d = strprintf("%s%s", roots[i], path);
                free(roots[i]);
                if (!d)
                        continue;
                /* Processes killed a moment ago may still be leaving: up to ~2 s. */
                for (int t = 0; t < 200; t++) {
                        if (rmdir(d) == 0 || errno == ENOENT)
                                break;
                        if (errno != EBUSY) {
                                if (r == 0)
                                        r = rq_error_set(reterr, errno, "remove cgroup %s", d);
                                break;
                        }
                        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
                }
                if (access(d, F_OK) == 0 && r == 0)
                        r = rq_error_set_plain(reterr, EBUSY, "remove cgroup %s: still in use", d);
        }
        return r;
}

void rq_cgroup_done(rq_cgroup *cg)
{
        free(cg->path);
        for (size_t i = 0; i < cg->n_dirs; i++)
                free(cg->dirs[i]);
        *cg = (rq_cgroup){ 0 };
}
