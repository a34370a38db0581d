/* The cgroup v2 backend: every linux.resources field to the unified hierarchy's files, v1-style
 * values converted as runc and crun convert them (cgroup-convert.c), the device rules as an
 * eBPF program (cgroup-devices-bpf.c). What v2 has no counterpart for (kernel memory,
 * swappiness, the OOM killer switch, realtime cpu, leaf weights, net_cls/net_prio) is an error
 * naming the field. Also the cgroup2 side of a hybrid host (hugetlb, unified), and the v2
 * statistics for `events` (cg_v2_stats). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup-internal.h"

void cg_v2_enable_controllers(const rq_cgroup *cg)
{
        const char *dir = cg->unified;
        size_t root_len = strlen(dir) - strlen(cg->path);
        _cleanup_free_ char *walk = strdup(dir);
        if (!walk)
                return;
        /* the mount root first, down to the container's parent: a controller is only offered
         * to a cgroup whose parent enables it in cgroup.subtree_control */
        for (char *s = walk + root_len;;) {
                char *slash = strchr(s + 1, '/');
                char saved = *s;
                *s = 0;
                _cleanup_free_ char *p = strprintf("%s/cgroup.controllers", walk), *list = NULL;
                if (p && read_full_file_at(AT_FDCWD, p, &list, NULL) >= 0)
                        for (char *save = NULL, *c = strtok_r(list, " \n", &save); c;
                             c = strtok_r(NULL, " \n", &save)) {
                                _cleanup_free_ char *plus = strprintf("+%s", c);
                                if (plus)
                                        (void)cg_write(walk, "cgroup.subtree_control", plus, NULL);
                        }
                *s = saved;
                if (!slash)
                        break;
                s = slash;
        }
}

static int unsupported_if(const rq_cgroup *cg, bool set, const char *field, const char *why,
                          rq_error **reterr)
{
        return set ? cg_unsupported(cg, reterr, field, why) : 0;
}

static int apply_memory(const rq_cgroup *cg, const char *d, const rq_spec_memory *m,
                        rq_error **reterr)
{
        int k;
        if ((k = unsupported_if(cg, m->kernel.set, "memory.kernel",
                                "cgroup v2 has no kernel memory limit", reterr)) < 0 ||
            (k = unsupported_if(cg, m->kernel_tcp.set, "memory.kernelTCP",
                                "cgroup v2 has no kernel TCP memory limit", reterr)) < 0 ||
            (k = unsupported_if(cg, m->swappiness.set, "memory.swappiness",
                                "cgroup v2 has no per-cgroup swappiness", reterr)) < 0 ||
            (k = unsupported_if(cg, m->disable_oom_killer.set && m->disable_oom_killer.value,
                                "memory.disableOOMKiller",
                                "cgroup v2 cannot turn the OOM killer off", reterr)) < 0 ||
            (k = unsupported_if(cg, m->use_hierarchy.set && !m->use_hierarchy.value,
                                "memory.useHierarchy", "cgroup v2 is always hierarchical",
                                reterr)) < 0)
                return k;
        if ((m->limit.set && (k = cg_write_num(cg, d, "memory.max", m->limit.value, true,
                                               "memory.limit", reterr)) < 0) ||
            (m->reservation.set && (k = cg_write_num(cg, d, "memory.low", m->reservation.value,
                                                     true, "memory.reservation", reterr)) < 0))
                return k;
        if (m->swap.set) {
                int64_t swap;
                bool skip;
                const char *why;
                if (cg_swap_to_v2(m->swap.value, m->limit.set, m->limit.value, &swap, &skip, &why) <
                    0)
                        return rq_error_invalid(reterr,
                                                "linux.resources.memory.swap: %s (cgroup v2 "
                                                "takes memory.swap.max = swap - limit)",
                                                why);
                if (!skip && (k = cg_write_num(cg, d, "memory.swap.max", swap, true, "memory.swap",
                                               reterr)) < 0)
                        return k;
        }
        return 0;
}

static int apply_cpu(const rq_cgroup *cg, const char *d, const rq_spec_cpu *c, rq_error **reterr)
{
        int k;
        char v[64];
        if ((k = unsupported_if(cg, c->realtime_runtime.set, "cpu.realtimeRuntime",
                                "cgroup v2 has no realtime cpu budget", reterr)) < 0 ||
            (k = unsupported_if(cg, c->realtime_period.set, "cpu.realtimePeriod",
                                "cgroup v2 has no realtime cpu budget", reterr)) < 0)
                return k;
        if (c->shares.set && c->shares.value &&
            (k = cg_write_num(cg, d, "cpu.weight", (int64_t)cg_shares_to_weight(c->shares.value),
                              false, "cpu.shares", reterr)) < 0)
                return k;
        if (c->quota.set || c->period.set) {
                uint64_t period = c->period.set && c->period.value ? c->period.value : 100000;
                if (c->quota.set && c->quota.value > 0)
                        snprintf(v, sizeof(v), "%" PRId64 " %" PRIu64, c->quota.value, period);
                else
                        snprintf(v, sizeof(v), "max %" PRIu64, period);
                if ((k = cg_write_field(cg, d, "cpu.max", v,
                                        c->quota.set ? "cpu.quota" : "cpu.period", reterr)) < 0)
                        return k;
        }
        if ((c->burst.set && (k = cg_write_num(cg, d, "cpu.max.burst", (int64_t)c->burst.value,
                                               false, "cpu.burst", reterr)) < 0) ||
            (c->idle.set &&
             (k = cg_write_num(cg, d, "cpu.idle", c->idle.value, false, "cpu.idle", reterr)) < 0) ||
            (c->cpus &&
             (k = cg_write_field(cg, d, "cpuset.cpus", c->cpus, "cpu.cpus", reterr)) < 0) ||
            (c->mems &&
             (k = cg_write_field(cg, d, "cpuset.mems", c->mems, "cpu.mems", reterr)) < 0))
                return k;
        return 0;
}

/* A blkio weight (10..1000): BFQ's io.bfq.weight takes it as it is, io.weight converted. */
static int write_io_weight(const rq_cgroup *cg, const char *d, const char *dev, uint64_t weight,
                           const char *field, rq_error **reterr)
{
        bool bfq = cg_has_file(d, "io.bfq.weight");
        char v[64];
        snprintf(v, sizeof(v), "%s%s%" PRIu64, dev ? dev : "", dev ? " " : "",
                 bfq ? weight : cg_blkio_to_io_weight(weight));
        return cg_write_field(cg, d, bfq ? "io.bfq.weight" : "io.weight", v, field, reterr);
}

static int apply_io(const rq_cgroup *cg, const char *d, const rq_spec_blockio *b, rq_error **reterr)
{
        int k;
        if ((k = unsupported_if(cg, b->leaf_weight.set, "blockIO.leafWeight",
                                "cgroup v2 has no leaf weight", reterr)) < 0 ||
            (b->weight.set && b->weight.value &&
             (k = write_io_weight(cg, d, NULL, b->weight.value, "blockIO.weight", reterr)) < 0))
                return k;
        for (size_t i = 0; i < b->n_weight_device; i++) {
                const rq_spec_weight_device *w = &b->weight_device[i];
                char dev[48];
                snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64, w->major, w->minor);
                if ((k = unsupported_if(cg, w->leaf_weight.set, "blockIO.weightDevice.leafWeight",
                                        "cgroup v2 has no leaf weight", reterr)) < 0 ||
                    (w->weight.set && (k = write_io_weight(cg, d, dev, w->weight.value,
                                                           "blockIO.weightDevice", reterr)) < 0))
                        return k;
        }
        if ((k = cg_write_rates(cg, d, "io.max", "rbps", b->throttle_read_bps_device,
                                b->n_throttle_read_bps_device, "blockIO.throttleReadBpsDevice",
                                reterr)) < 0 ||
            (k = cg_write_rates(cg, d, "io.max", "wbps", b->throttle_write_bps_device,
                                b->n_throttle_write_bps_device, "blockIO.throttleWriteBpsDevice",
                                reterr)) < 0 ||
            (k = cg_write_rates(cg, d, "io.max", "riops", b->throttle_read_iops_device,
                                b->n_throttle_read_iops_device, "blockIO.throttleReadIOPSDevice",
                                reterr)) < 0 ||
            (k = cg_write_rates(cg, d, "io.max", "wiops", b->throttle_write_iops_device,
                                b->n_throttle_write_iops_device, "blockIO.throttleWriteIOPSDevice",
                                reterr)) < 0)
                return k;
        return 0;
}

int cg_hugetlb_apply(const rq_cgroup *cg, const char *d, const rq_spec_resources *r, bool v2,
                     rq_error **reterr)
{
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                const rq_spec_hugepage_limit *h = &r->hugepage_limits[i];
                _cleanup_free_ char *file =
                        strprintf("hugetlb.%s.%s", h->page_size, v2 ? "max" : "limit_in_bytes");
                _cleanup_free_ char *rsvd = strprintf("hugetlb.%s.rsvd.%s", h->page_size,
                                                      v2 ? "max" : "limit_in_bytes");
                if (!file || !rsvd)
                        return rq_error_set(reterr, ENOMEM, "hugetlb");
                int k = cg_write_num(cg, d, file, (int64_t)h->limit, false, "hugepageLimits",
                                     reterr);
                /* the reservation counter too, where the kernel has it (as runc does) */
                if (k >= 0 && cg_has_file(d, rsvd))
                        k = cg_write_num(cg, d, rsvd, (int64_t)h->limit, false, "hugepageLimits",
                                         reterr);
                if (k < 0)
                        return k;
        }
        return 0;
}

int cg_v2_unified(const rq_cgroup *cg, const char *d, const rq_spec_resources *r, rq_error **reterr)
{
        for (size_t i = 0; i < r->n_unified; i++) {
                const char *key = r->unified[i].key;
                char field[300];
                snprintf(field, sizeof(field), "unified.%s", key);
                /* a file of this cgroup, not a path to another one */
                if (!*key || strchr(key, '/') || streq(key, ".") || streq(key, ".."))
                        return rq_error_invalid(reterr, "linux.resources.%s: not a file name",
                                                field);
                int k = cg_write_field(cg, d, key, r->unified[i].value, field, reterr);
                if (k < 0)
                        return k;
        }
        return 0;
}

int cg_v2_apply(const rq_cgroup *cg, const cg_config *c, rq_error **reterr)
{
        const rq_spec_resources *r = c->res;
        const char *d = cg->unified;
        int k;
        if (!d)
                return rq_error_set_plain(reterr, ENOENT, "no cgroup2 directory");
        cg_v2_enable_controllers(cg);
        if (c->device_rules) {
                _cleanup_free_ cg_dev_rule *rules = NULL;
                size_t n;
                if (cg_device_rules(r, c->devices, c->n_devices, &rules, &n) < 0)
                        return rq_error_set(reterr, ENOMEM, "device rules");
                if ((k = cg_devices_bpf_attach(d, rules, n, reterr)) < 0)
                        return rq_error_wrap(reterr, "linux.resources.devices");
        }
        if (!r)
                return 0;
        if ((r->memory && (k = apply_memory(cg, d, r->memory, reterr)) < 0) ||
            (r->cpu && (k = apply_cpu(cg, d, r->cpu, reterr)) < 0) ||
            (r->pids && r->pids->limit.set &&
             (k = cg_write_num(cg, d, "pids.max", r->pids->limit.value, true, "pids.limit",
                               reterr)) < 0) ||
            (r->block_io && (k = apply_io(cg, d, r->block_io, reterr)) < 0) ||
            (k = cg_hugetlb_apply(cg, d, r, true, reterr)) < 0 ||
            (k = unsupported_if(cg, r->network && r->network->class_id.set, "network.classID",
                                "cgroup v2 has no net_cls controller", reterr)) < 0 ||
            (k = unsupported_if(cg, r->network && r->network->n_priorities, "network.priorities",
                                "cgroup v2 has no net_prio controller", reterr)) < 0 ||
            (k = cg_rdma_apply(cg, d, r, reterr)) < 0 ||
            /* last: a unified value overrides what the fields above wrote (as in runc) */
            (k = cg_v2_unified(cg, d, r, reterr)) < 0)
                return k;
        return 0;
}

/* ---- statistics --------------------------------------------------------------------------- */

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device, as runc
 * reports it: bytes and operations, each Read and Write. */
static int read_io_stat(const char *d, rq_cgroup_stats *s)
{
        static const struct {
                const char *key, *op;
                bool bytes;
        } map[] = { { "rbytes", "Read", true },
                    { "wbytes", "Write", true },
                    { "rios", "Read", false },
                    { "wios", "Write", false } };
        _cleanup_free_ char *p = strprintf("%s/io.stat", d), *v = NULL;
        if (!p)
                return -ENOMEM;
        if (read_full_file_at(AT_FDCWD, p, &v, NULL) < 0)
                return 0;
        for (char *save = NULL, *l = strtok_r(v, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned long long maj, min;
                if (sscanf(l, "%llu:%llu", &maj, &min) != 2)
                        continue;
                for (char *w = strchr(l, ' '); w; w = strchr(w + 1, ' '))
                        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                                size_t n = strlen(map[i].key);
                                if (strncmp(w + 1, map[i].key, n) != 0 || w[1 + n] != '=')
                                        continue;
                                int k = map[i].bytes
                                                ? cg_stats_add_blkio(&s->io_service_bytes,
                                                                     &s->n_io_service_bytes, maj,
                                                                     min, map[i].op,
                                                                     strtoull(w + 2 + n, NULL, 10))
                                                : cg_stats_add_blkio(&s->io_serviced,
                                                                     &s->n_io_serviced, maj, min,
                                                                     map[i].op,
                                                                     strtoull(w + 2 + n, NULL, 10));
                                if (k < 0)
                                        return k;
                        }
        }
        return 0;
}

int cg_v2_stats(const rq_cgroup *cg, rq_cgroup_stats *s, rq_error **reterr)
{
        const char *d = cg->unified;
        int k;
        if (!d)
                return rq_error_set_plain(reterr, ENOENT, "no cgroup2 directory");
        /* cpu.stat is there even without the cpu controller (usage, user, system) */
        s->cpu_total = cg_read_key(d, "cpu.stat", "usage_usec") * 1000;
        s->cpu_user = cg_read_key(d, "cpu.stat", "user_usec") * 1000;
        s->cpu_kernel = cg_read_key(d, "cpu.stat", "system_usec") * 1000;
        s->periods = cg_read_key(d, "cpu.stat", "nr_periods");
        s->throttled_periods = cg_read_key(d, "cpu.stat", "nr_throttled");
        s->throttled_time = cg_read_key(d, "cpu.stat", "throttled_usec") * 1000;

        rq_cgroup_mem_entry *m = &s->mem_usage;
        m->present = cg_read_u64(d, "memory.current", 0, &m->usage);
        (void)cg_read_u64(d, "memory.max", UINT64_MAX, &m->limit);
        (void)cg_read_u64(d, "memory.peak", 0, &m->max);
        m->failcnt = cg_read_key(d, "memory.events", "max");
        /* v1 reports memory+swap as "swap": the same sums here, as runc does */
        rq_cgroup_mem_entry *w = &s->mem_swap;
        w->present = cg_read_u64(d, "memory.swap.current", 0, &w->usage);
        if (w->present) {
                (void)cg_read_u64(d, "memory.swap.max", UINT64_MAX, &w->limit);
                w->usage += m->usage;
                if (w->limit != UINT64_MAX)
                        w->limit = m->limit == UINT64_MAX ? UINT64_MAX : w->limit + m->limit;
                w->failcnt = cg_read_key(d, "memory.swap.events", "max");
        }
        s->oom_kills = cg_read_key(d, "memory.events", "oom_kill");
        if ((k = cg_read_kv(d, "memory.stat", &s->mem_raw, &s->n_mem_raw)) < 0)
                return rq_error_set(reterr, k, "read %s/memory.stat", d);
        s->mem_cache = cg_read_key(d, "memory.stat", "file");

        (void)cg_read_u64(d, "pids.current", 0, &s->pids_current);
        (void)cg_read_u64(d, "pids.max", 0, &s->pids_limit); /* "max": 0 */
        if ((k = read_io_stat(d, s)) < 0)
                return rq_error_set(reterr, k, "read %s/io.stat", d);
        return 0;
}

int cg_v2_oom(const char *dir, uint64_t *ret_kills, int64_t *ret_limit)
{
        /* memory.events counts the subtree's kills (unless memory_localevents) */
        int k = cg_read_key_ret(dir, "memory.events", "oom_kill", ret_kills);
        if (k < 0)
                return k;
        _cleanup_free_ char *p = strprintf("%s/memory.max", dir), *v = NULL;
        *ret_limit = -1;
        if (p && read_full_file_at(AT_FDCWD, p, &v, NULL) >= 0 && !startswith(v, "max"))
                *ret_limit = strtoll(v, NULL, 10);
        return 0;
}
