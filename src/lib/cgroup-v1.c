/* The cgroup v1 backend (pure v1 and the v1 side of a hybrid host): every linux.resources
 * field to its file in the hierarchy of its controller. Values the v1 kernel has no file for
 * are errors naming the field; on a hybrid host hugepage limits go to the cgroup2 mount when no
 * v1 hugetlb hierarchy exists, and linux.resources.unified always does. Also the v1
 * statistics for `events` (cg_v1_stats). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup-internal.h"

/* The v1 directory of controller, or an error naming the field that needs it. */
static int need_dir(const rq_cgroup *cg, const char *controller, const char *field,
                    const char **ret, rq_error **reterr)
{
        *ret = cg_v1_dir(cg, controller);
        if (*ret)
                return 0;
        char why[96];
        snprintf(why, sizeof(why), "no %s hierarchy is mounted", controller);
        return cg_unsupported(cg, reterr, field, why);
}

static int apply_memory(const rq_cgroup *cg, const rq_spec_memory *m, rq_error **reterr)
{
        const char *d;
        int k;
        if ((k = need_dir(cg, "memory", "memory", &d, reterr)) < 0)
                return k;
        /* The kernel keeps memory.limit <= memsw.limit at every step: lowering, the memory
         * limit goes first; raising (update) past the current memory limit, memsw first. */
        bool swap_first = false;
        if (m->limit.set && m->swap.set) {
                uint64_t cur;
                (void)cg_read_u64(d, "memory.limit_in_bytes", UINT64_MAX, &cur);
                swap_first = m->swap.value == -1 ||
                             (m->swap.value >= 0 && cur < (uint64_t)m->swap.value);
        }
        if ((swap_first && (k = cg_write_num(cg, d, "memory.memsw.limit_in_bytes", m->swap.value,
                                             false, "memory.swap", reterr)) < 0) ||
            (m->limit.set && (k = cg_write_num(cg, d, "memory.limit_in_bytes", m->limit.value,
                                               false, "memory.limit", reterr)) < 0) ||
            (m->swap.set && !swap_first &&
             (k = cg_write_num(cg, d, "memory.memsw.limit_in_bytes", m->swap.value, false,
                               "memory.swap", reterr)) < 0) ||
            (m->reservation.set &&
             (k = cg_write_num(cg, d, "memory.soft_limit_in_bytes", m->reservation.value, false,
                               "memory.reservation", reterr)) < 0) ||
            (m->kernel.set &&
             (k = cg_write_num(cg, d, "memory.kmem.limit_in_bytes", m->kernel.value, false,
                               "memory.kernel", reterr)) < 0) ||
            (m->kernel_tcp.set &&
             (k = cg_write_num(cg, d, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.value, false,
                               "memory.kernelTCP", reterr)) < 0) ||
            (m->swappiness.set &&
             (k = cg_write_num(cg, d, "memory.swappiness", (int64_t)m->swappiness.value, false,
                               "memory.swappiness", reterr)) < 0) ||
            (m->disable_oom_killer.set && m->disable_oom_killer.value &&
             (k = cg_write_field(cg, d, "memory.oom_control", "1", "memory.disableOOMKiller",
                                 reterr)) < 0) ||
            (m->use_hierarchy.set &&
             (k = cg_write_field(cg, d, "memory.use_hierarchy", m->use_hierarchy.value ? "1" : "0",
                                 "memory.useHierarchy", reterr)) < 0))
                return k;
        return 0;
}

static int apply_cpu(const rq_cgroup *cg, const rq_spec_cpu *c, rq_error **reterr)
{
        const char *d;
        int k;
        if (c->cpus || c->mems) {
                if ((k = need_dir(cg, "cpuset", c->cpus ? "cpu.cpus" : "cpu.mems", &d, reterr)) <
                            0 ||
                    (c->cpus &&
                     (k = cg_write_field(cg, d, "cpuset.cpus", c->cpus, "cpu.cpus", reterr)) < 0) ||
                    (c->mems &&
                     (k = cg_write_field(cg, d, "cpuset.mems", c->mems, "cpu.mems", reterr)) < 0))
                        return k;
        }
        if (!(c->shares.set || c->quota.set || c->period.set || c->burst.set ||
              c->realtime_runtime.set || c->realtime_period.set || c->idle.set))
                return 0;
        if ((k = need_dir(cg, "cpu", "cpu", &d, reterr)) < 0 ||
            (c->shares.set && (k = cg_write_num(cg, d, "cpu.shares", (int64_t)c->shares.value,
                                                false, "cpu.shares", reterr)) < 0) ||
            /* period first: a quota is checked against the current period */
            (c->period.set &&
             (k = cg_write_num(cg, d, "cpu.cfs_period_us", (int64_t)c->period.value, false,
                               "cpu.period", reterr)) < 0) ||
            (c->quota.set && (k = cg_write_num(cg, d, "cpu.cfs_quota_us", c->quota.value, false,
                                               "cpu.quota", reterr)) < 0) ||
            (c->burst.set && (k = cg_write_num(cg, d, "cpu.cfs_burst_us", (int64_t)c->burst.value,
                                               false, "cpu.burst", reterr)) < 0) ||
            /* the rt period before the runtime, which must fit in it */
            (c->realtime_period.set &&
             (k = cg_write_num(cg, d, "cpu.rt_period_us", (int64_t)c->realtime_period.value, false,
                               "cpu.realtimePeriod", reterr)) < 0) ||
            (c->realtime_runtime.set &&
             (k = cg_write_num(cg, d, "cpu.rt_runtime_us", c->realtime_runtime.value, false,
                               "cpu.realtimeRuntime", reterr)) < 0) ||
            (c->idle.set &&
             (k = cg_write_num(cg, d, "cpu.idle", c->idle.value, false, "cpu.idle", reterr)) < 0))
                return k;
        return 0;
}

int cg_write_rates(const rq_cgroup *cg, const char *d, const char *file, const char *key,
                   const rq_spec_throttle_device *t, size_t n, const char *field, rq_error **reterr)
{
        for (size_t i = 0; i < n; i++) {
                char v[80];
                snprintf(v, sizeof(v), "%" PRId64 ":%" PRId64 " %s%s%" PRIu64, t[i].major,
                         t[i].minor, key ? key : "", key ? "=" : "", t[i].rate);
                int k = cg_write_field(cg, d, file, v, field, reterr);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* blkio.weight with CFQ, blkio.bfq.weight with BFQ (both take 10..1000). */
static const char *weight_file(const char *d, bool leaf, bool device)
{
        if (leaf)
                return device ? "blkio.leaf_weight_device" : "blkio.leaf_weight";
        if (!cg_has_file(d, "blkio.weight") && cg_has_file(d, "blkio.bfq.weight"))
                return device ? "blkio.bfq.weight_device" : "blkio.bfq.weight";
        return device ? "blkio.weight_device" : "blkio.weight";
}

static int apply_blkio(const rq_cgroup *cg, const rq_spec_blockio *b, rq_error **reterr)
{
        const char *d;
        int k;
        if ((k = need_dir(cg, "blkio", "blockIO", &d, reterr)) < 0 ||
            (b->weight.set &&
             (k = cg_write_num(cg, d, weight_file(d, false, false), b->weight.value, false,
                               "blockIO.weight", reterr)) < 0) ||
            (b->leaf_weight.set &&
             (k = cg_write_num(cg, d, weight_file(d, true, false), b->leaf_weight.value, false,
                               "blockIO.leafWeight", reterr)) < 0))
                return k;
        for (size_t i = 0; i < b->n_weight_device; i++) {
                const rq_spec_weight_device *w = &b->weight_device[i];
                char v[64];
                snprintf(v, sizeof(v), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                         w->weight.value);
                if (w->weight.set && (k = cg_write_field(cg, d, weight_file(d, false, true), v,
                                                         "blockIO.weightDevice", reterr)) < 0)
                        return k;
                snprintf(v, sizeof(v), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                         w->leaf_weight.value);
                if (w->leaf_weight.set &&
                    (k = cg_write_field(cg, d, weight_file(d, true, true), v,
                                        "blockIO.weightDevice.leafWeight", reterr)) < 0)
                        return k;
        }
        if ((k = cg_write_rates(cg, d, "blkio.throttle.read_bps_device", NULL,
                                b->throttle_read_bps_device, b->n_throttle_read_bps_device,
                                "blockIO.throttleReadBpsDevice", reterr)) < 0 ||
            (k = cg_write_rates(cg, d, "blkio.throttle.write_bps_device", NULL,
                                b->throttle_write_bps_device, b->n_throttle_write_bps_device,
                                "blockIO.throttleWriteBpsDevice", reterr)) < 0 ||
            (k = cg_write_rates(cg, d, "blkio.throttle.read_iops_device", NULL,
                                b->throttle_read_iops_device, b->n_throttle_read_iops_device,
                                "blockIO.throttleReadIOPSDevice", reterr)) < 0 ||
            (k = cg_write_rates(cg, d, "blkio.throttle.write_iops_device", NULL,
                                b->throttle_write_iops_device, b->n_throttle_write_iops_device,
                                "blockIO.throttleWriteIOPSDevice", reterr)) < 0)
                return k;
        return 0;
}

static int apply_hugetlb(const rq_cgroup *cg, const rq_spec_resources *r, rq_error **reterr)
{
        const char *d = cg_v1_dir(cg, "hugetlb");
        /* a hybrid host may have hugetlb on its cgroup2 mount only */
        if (!d && cg->unified && cg_v2_has_controller(CGROUP_ROOT "/unified", "hugetlb")) {
                cg_v2_enable_controllers(cg);
                return cg_hugetlb_apply(cg, cg->unified, r, true, reterr);
        }
        int k = need_dir(cg, "hugetlb", "hugepageLimits", &d, reterr);
        return k < 0 ? k : cg_hugetlb_apply(cg, d, r, false, reterr);
}

static int apply_network(const rq_cgroup *cg, const rq_spec_network *net, rq_error **reterr)
{
        const char *d;
        int k;
        if (net->class_id.set &&
            ((k = need_dir(cg, "net_cls", "network.classID", &d, reterr)) < 0 ||
             (k = cg_write_num(cg, d, "net_cls.classid", net->class_id.value, false,
                               "network.classID", reterr)) < 0))
                return k;
        for (size_t i = 0; i < net->n_priorities; i++) {
                char v[64];
                snprintf(v, sizeof(v), "%s %u", net->priorities[i].name,
                         net->priorities[i].priority);
                if ((k = need_dir(cg, "net_prio", "network.priorities", &d, reterr)) < 0 ||
                    (k = cg_write_field(cg, d, "net_prio.ifpriomap", v, "network.priorities",
                                        reterr)) < 0)
                        return k;
        }
        return 0;
}

/* "DEVICE hca_handle=N hca_object=M" for rdma.max (v1 and v2 alike); an unset one is "max". */
int cg_rdma_apply(const rq_cgroup *cg, const char *d, const rq_spec_resources *r, rq_error **reterr)
{
        for (size_t i = 0; i < r->n_rdma; i++) {
                const rq_spec_rdma *x = &r->rdma[i];
                char h[16] = "max", o[16] = "max";
                if (x->hca_handles.set)
                        snprintf(h, sizeof(h), "%u", x->hca_handles.value);
                if (x->hca_objects.set)
                        snprintf(o, sizeof(o), "%u", x->hca_objects.value);
                _cleanup_free_ char *v =
                        strprintf("%s hca_handle=%s hca_object=%s", x->device, h, o);
                int k = v ? cg_write_field(cg, d, "rdma.max", v, "rdma", reterr) : -ENOMEM;
                if (k < 0)
                        return k;
        }
        return 0;
}

static int apply_devices(const rq_cgroup *cg, const cg_config *c, rq_error **reterr)
{
        const char *d;
        _cleanup_free_ cg_dev_rule *rules = NULL;
        size_t n;
        int k = need_dir(cg, "devices", "devices", &d, reterr);
        if (k < 0)
                return k;
        if (cg_device_rules(c->res, c->devices, c->n_devices, &rules, &n) < 0)
                return rq_error_set(reterr, ENOMEM, "device rules");
        for (size_t i = 0; i < n; i++) {
                char line[64];
                cg_dev_rule_v1(&rules[i], line, sizeof(line));
                if ((k = cg_write_field(cg, d, rules[i].allow ? "devices.allow" : "devices.deny",
                                        line, "devices", reterr)) < 0)
                        return k;
        }
        return 0;
}

int cg_v1_apply(const rq_cgroup *cg, const cg_config *c, rq_error **reterr)
{
        const rq_spec_resources *r = c->res;
        const char *d;
        int k;
        if (c->device_rules && (k = apply_devices(cg, c, reterr)) < 0)
                return k;
        if (!r)
                return 0;
        if ((r->memory && (k = apply_memory(cg, r->memory, reterr)) < 0) ||
            (r->cpu && (k = apply_cpu(cg, r->cpu, reterr)) < 0) ||
            (r->pids && r->pids->limit.set &&
             ((k = need_dir(cg, "pids", "pids", &d, reterr)) < 0 ||
              (k = cg_write_num(cg, d, "pids.max", r->pids->limit.value, true, "pids.limit",
                                reterr)) < 0)) ||
            (r->block_io && (k = apply_blkio(cg, r->block_io, reterr)) < 0) ||
            (r->n_hugepage_limits && (k = apply_hugetlb(cg, r, reterr)) < 0) ||
            (r->network && (k = apply_network(cg, r->network, reterr)) < 0) ||
            (r->n_rdma && ((k = need_dir(cg, "rdma", "rdma", &d, reterr)) < 0 ||
                           (k = cg_rdma_apply(cg, d, r, reterr)) < 0)))
                return k;
        if (r->n_unified) {
                if (!cg->unified)
                        return cg_unsupported(cg, reterr, "unified",
                                              "cgroup v2 files need a cgroup2 mount");
                cg_v2_enable_controllers(cg);
                return cg_v2_unified(cg, cg->unified, r, reterr);
        }
        return 0;
}

/* ---- statistics --------------------------------------------------------------------------- */

static void mem_entry(const char *d, const char *prefix, rq_cgroup_mem_entry *e)
{
        char f[64];
        snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
        e->present = cg_read_u64(d, f, 0, &e->usage);
        snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
        (void)cg_read_u64(d, f, 0, &e->max);
        snprintf(f, sizeof(f), "%s.failcnt", prefix);
        (void)cg_read_u64(d, f, 0, &e->failcnt);
        snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
        (void)cg_read_u64(d, f, 0, &e->limit);
}

/* A list of numbers ("1 2 3") into a malloc'd array; 0 when there is no such file. */
static int read_numbers(const char *d, const char *file, uint64_t **ret, size_t *ret_n)
{
        _cleanup_free_ char *p = strprintf("%s/%s", d, file), *v = NULL;
        if (!p)
                return -ENOMEM;
        if (read_full_file_at(AT_FDCWD, p, &v, NULL) < 0)
                return 0;
        for (char *save = NULL, *w = strtok_r(v, " \n", &save); w;
             w = strtok_r(NULL, " \n", &save)) {
                uint64_t *more = realloc(*ret, (*ret_n + 1) * sizeof(**ret));
                if (!more)
                        return -ENOMEM;
                *ret = more;
                more[(*ret_n)++] = strtoull(w, NULL, 10);
        }
        return 0;
}

/* cpuacct.usage_all: "cpu user system" then one row per cpu, in ns. */
static int read_usage_all(const char *d, rq_cgroup_stats *s)
{
        _cleanup_free_ char *p = strprintf("%s/cpuacct.usage_all", d), *v = NULL;
        if (!p)
                return -ENOMEM;
        if (read_full_file_at(AT_FDCWD, p, &v, NULL) < 0)
                return 0;
        size_t n = 0;
        const char *l = strchr(v, '\n');
        for (; l && l[1]; l = strchr(l + 1, '\n')) {
                unsigned long long cpu, user, sys;
                if (sscanf(l + 1, "%llu %llu %llu", &cpu, &user, &sys) != 3)
                        break;
                uint64_t *u = realloc(s->percpu_user, (n + 1) * sizeof(uint64_t));
                if (u)
                        s->percpu_user = u;
                uint64_t *k = realloc(s->percpu_kernel, (n + 1) * sizeof(uint64_t));
                if (k)
                        s->percpu_kernel = k;
                if (!u || !k)
                        return -ENOMEM;
                u[n] = user;
                k[n] = sys;
                n++;
        }
        s->n_percpu_split = n;
        return 0;
}

/* "MAJ:MIN Op value" lines (the last, "Total N", has no device and is left out). */
static int read_blkio(const char *d, const char *file, rq_cgroup_blkio_entry **arr, size_t *n)
{
        _cleanup_free_ char *p = strprintf("%s/%s", d, file), *v = NULL;
        if (!p)
                return -ENOMEM;
        if (read_full_file_at(AT_FDCWD, p, &v, NULL) < 0)
                return 0;
        for (char *save = NULL, *l = strtok_r(v, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned long long maj, min, val;
                char op[16];
                if (sscanf(l, "%llu:%llu %15s %llu", &maj, &min, op, &val) != 4)
                        continue;
                int k = cg_stats_add_blkio(arr, n, maj, min, op, val);
                if (k < 0)
                        return k;
        }
        return 0;
}

int cg_v1_stats(const rq_cgroup *cg, rq_cgroup_stats *s, rq_error **reterr)
{
        const char *d;
        int k = 0;
        if ((d = cg_v1_dir(cg, "cpuacct"))) {
                long hz = sysconf(_SC_CLK_TCK);
                (void)cg_read_u64(d, "cpuacct.usage", 0, &s->cpu_total);
                /* user and system time are in clock ticks */
                s->cpu_user = cg_read_key(d, "cpuacct.stat", "user") * 1000000000ULL /
                              (uint64_t)(hz > 0 ? hz : 100);
                s->cpu_kernel = cg_read_key(d, "cpuacct.stat", "system") * 1000000000ULL /
                                (uint64_t)(hz > 0 ? hz : 100);
                if ((k = read_numbers(d, "cpuacct.usage_percpu", &s->percpu, &s->n_percpu)) < 0 ||
                    (k = read_usage_all(d, s)) < 0)
                        goto fail;
        }
        if ((d = cg_v1_dir(cg, "cpu"))) {
                s->periods = cg_read_key(d, "cpu.stat", "nr_periods");
                s->throttled_periods = cg_read_key(d, "cpu.stat", "nr_throttled");
                s->throttled_time = cg_read_key(d, "cpu.stat", "throttled_time");
        }
        if ((d = cg_v1_dir(cg, "cpuset")) && (k = cg_cpuset_stats(d, s)) < 0)
                goto fail;
        if ((d = cg_v1_dir(cg, "memory"))) {
                mem_entry(d, "memory", &s->mem_usage);
                mem_entry(d, "memory.memsw", &s->mem_swap);
                mem_entry(d, "memory.kmem", &s->mem_kernel);
                mem_entry(d, "memory.kmem.tcp", &s->mem_kernel_tcp);
                s->oom_kills = cg_read_key(d, "memory.oom_control", "oom_kill");
                if ((k = cg_read_kv(d, "memory.stat", &s->mem_raw, &s->n_mem_raw)) < 0)
                        goto fail;
                s->mem_cache = cg_read_key(d, "memory.stat", "cache");
        }
        if ((d = cg_v1_dir(cg, "pids"))) {
                (void)cg_read_u64(d, "pids.current", 0, &s->pids_current);
                (void)cg_read_u64(d, "pids.max", 0, &s->pids_limit); /* "max": 0 */
        }
        if ((d = cg_v1_dir(cg, "blkio"))) {
                /* the CFQ/BFQ counters where the scheduler keeps them, else the throttle ones */
                bool cfq = cg_has_file(d, "blkio.io_service_bytes_recursive");
                if ((k = read_blkio(d,
                                    cfq ? "blkio.io_service_bytes_recursive"
                                        : "blkio.throttle.io_service_bytes_recursive",
                                    &s->io_service_bytes, &s->n_io_service_bytes)) < 0 ||
                    (k = read_blkio(d,
                                    cfq ? "blkio.io_serviced_recursive"
                                        : "blkio.throttle.io_serviced_recursive",
                                    &s->io_serviced, &s->n_io_serviced)) < 0)
                        goto fail;
        }
        return 0;
fail:
        return rq_error_set(reterr, k, "read the v1 statistics of cgroup %s", cg->path);
}
int cg_v1_oom(const char *dir, uint64_t *ret_kills, int64_t *ret_limit)
{
        /* memory.oom_control: "oom_kill_disable 0", "under_oom 0", "oom_kill N" (4.13+). A
         * container whose killer is off and that is stuck under_oom counts as one. */
        uint64_t under = 0;
        int k = cg_read_key_ret(dir, "memory.oom_control", "oom_kill", ret_kills);
        if (k < 0)
                return k;
        if (cg_read_key_ret(dir, "memory.oom_control", "under_oom", &under) >= 0 && under)
                (*ret_kills)++;
        _cleanup_free_ char *p = strprintf("%s/memory.limit_in_bytes", dir), *v = NULL;
        *ret_limit = -1;
        if (p && read_full_file_at(AT_FDCWD, p, &v, NULL) >= 0) {
                /* "no limit" is the largest page-aligned int64 */
                long long l = strtoll(v, NULL, 10);
                *ret_limit = l >= 0x7ffffffffffff000LL ? -1 : l;
        }
        return 0;
}
