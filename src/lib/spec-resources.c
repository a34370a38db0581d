/* config.json's linux.resources: the cgroup limits (devices, memory, cpu, pids, block I/O, huge
 * pages, network classes, rdma, unified cgroup v2 files), read with "absent" kept apart from
 * 0 for every optional number, since the cgroup writers must leave unset files alone. */
#include <inttypes.h>
#include <string.h>

#include "basic/string-util.h"
#include "lib/spec-internal.h"

SPEC_ENUM_DEF(device_cgroup_type_enum, "device type", { "a", 'a' }, { "c", 'c' }, { "b", 'b' });

static int access_post(spec_ctx *c, const spec_field *f, void *base)
{
        const char *s = *(char **)spec_at(base, f->offset);
        if (s[strspn(s, "rwm")])
                return spec_error(c, "\"%s\" is not made of r, w and m", s);
        return 0;
}

static int device_cgroup_check(spec_ctx *c, json_t *json, void *obj)
{
        rq_spec_device_cgroup *d = obj;
        if (!d->type)
                d->type = 'a'; /* the spec: unset means all */
        return 0;
}

SPEC_OBJECT_DEF(device_cgroup_object, rq_spec_device_cgroup, device_cgroup_check,
                F_AT("allow", SPEC_BOOL, SPEC_REQUIRED, offsetof(rq_spec_device_cgroup, allow),
                     SPEC_NO_AUX),
                F_ENUM("type", rq_spec_device_cgroup, type, 0, device_cgroup_type_enum),
                F_OPT_INT("major", rq_spec_device_cgroup, major),
                F_OPT_INT("minor", rq_spec_device_cgroup, minor),
                F_STRING_POST("access", rq_spec_device_cgroup, access, 0, access_post));
static const spec_field device_cgroup_elem = E_INLINE(device_cgroup_object);

SPEC_OBJECT_DEF(memory_object, rq_spec_memory, NULL, F_OPT_INT("limit", rq_spec_memory, limit),
                F_OPT_INT("reservation", rq_spec_memory, reservation),
                F_OPT_INT("swap", rq_spec_memory, swap),
                F_OPT_INT("kernel", rq_spec_memory, kernel),
                F_OPT_INT("kernelTCP", rq_spec_memory, kernel_tcp),
                F_OPT_INT_RANGE("swappiness", rq_spec_memory, swappiness, 0, 100),
                F_OPT_BOOL("disableOOMKiller", rq_spec_memory, disable_oom_killer),
                F_OPT_BOOL("useHierarchy", rq_spec_memory, use_hierarchy),
                F_OPT_BOOL("checkBeforeUpdate", rq_spec_memory, check_before_update));

static int cpu_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_cpu *cpu = obj;
        /* The spec: a burst above a positive quota is invalid (runtimes may refuse it). */
        if (cpu->burst.set && cpu->quota.set && cpu->quota.value > 0 &&
            cpu->burst.value > (uint64_t)cpu->quota.value)
                return spec_error(c, "burst %" PRIu64 " is above quota %" PRId64, cpu->burst.value,
                                  cpu->quota.value);
        return 0;
}

SPEC_OBJECT_DEF(cpu_object, rq_spec_cpu, cpu_check, F_OPT_INT("shares", rq_spec_cpu, shares),
                F_OPT_INT("quota", rq_spec_cpu, quota), F_OPT_INT("burst", rq_spec_cpu, burst),
                F_OPT_INT("period", rq_spec_cpu, period),
                F_OPT_INT("realtimeRuntime", rq_spec_cpu, realtime_runtime),
                F_OPT_INT("realtimePeriod", rq_spec_cpu, realtime_period),
                F_STRING_POST("cpus", rq_spec_cpu, cpus, 0, spec_post_list),
                F_STRING_POST("mems", rq_spec_cpu, mems, 0, spec_post_list),
                F_OPT_INT("idle", rq_spec_cpu, idle));

SPEC_OBJECT_DEF(pids_object, rq_spec_pids, NULL, F_OPT_INT("limit", rq_spec_pids, limit));

SPEC_OBJECT_DEF(weight_device_object, rq_spec_weight_device, NULL,
                F_INT("major", rq_spec_weight_device, major, SPEC_REQUIRED),
                F_INT("minor", rq_spec_weight_device, minor, SPEC_REQUIRED),
                F_OPT_INT_ANY("weight", rq_spec_weight_device, weight),
                F_OPT_INT_ANY("leafWeight", rq_spec_weight_device, leaf_weight));
static const spec_field weight_device_elem = E_INLINE(weight_device_object);

SPEC_OBJECT_DEF(throttle_device_object, rq_spec_throttle_device, NULL,
                F_INT("major", rq_spec_throttle_device, major, SPEC_REQUIRED),
                F_INT("minor", rq_spec_throttle_device, minor, SPEC_REQUIRED),
                F_INT("rate", rq_spec_throttle_device, rate, SPEC_REQUIRED));
static const spec_field throttle_elem = E_INLINE(throttle_device_object);

SPEC_OBJECT_DEF(blockio_object, rq_spec_blockio, NULL, F_OPT_INT("weight", rq_spec_blockio, weight),
                F_OPT_INT("leafWeight", rq_spec_blockio, leaf_weight),
                F_ARRAY("weightDevice", rq_spec_blockio, weight_device, weight_device_elem, 0),
                F_ARRAY("throttleReadBpsDevice", rq_spec_blockio, throttle_read_bps_device,
                        throttle_elem, 0),
                F_ARRAY("throttleWriteBpsDevice", rq_spec_blockio, throttle_write_bps_device,
                        throttle_elem, 0),
                F_ARRAY("throttleReadIOPSDevice", rq_spec_blockio, throttle_read_iops_device,
                        throttle_elem, 0),
                F_ARRAY("throttleWriteIOPSDevice", rq_spec_blockio, throttle_write_iops_device,
                        throttle_elem, 0));

/* "<size><unit prefix>B" as in hugetlb.<size>.limit_in_bytes: 64KB, 2MB, 1GB. */
static int page_size_post(spec_ctx *c, const spec_field *f, void *base)
{
        const char *s = *(char **)spec_at(base, f->offset);
        size_t digits = strspn(s, "0123456789");
        const char *unit = s + digits;
        bool ok = digits > 0 && s[0] != '0' &&
                  (streq(unit, "B") ||
                   (unit[0] && strchr("KMGTPE", unit[0]) && streq(unit + 1, "B")));
        if (!ok)
                return spec_error(c, "\"%s\" is not a page size like 2MB or 1GB", s);
        return 0;
}

SPEC_OBJECT_DEF(hugepage_object, rq_spec_hugepage_limit, NULL,
                F_STRING_POST("pageSize", rq_spec_hugepage_limit, page_size, SPEC_REQUIRED,
                              page_size_post),
                F_INT("limit", rq_spec_hugepage_limit, limit, SPEC_REQUIRED));
static const spec_field hugepage_elem = E_INLINE(hugepage_object);

SPEC_OBJECT_DEF(interface_priority_object, rq_spec_interface_priority, NULL,
                F_STRING("name", rq_spec_interface_priority, name, SPEC_REQUIRED),
                F_INT("priority", rq_spec_interface_priority, priority, SPEC_REQUIRED));
static const spec_field interface_priority_elem = E_INLINE(interface_priority_object);

SPEC_OBJECT_DEF(network_object, rq_spec_network, NULL,
                F_OPT_INT("classID", rq_spec_network, class_id),
                F_ARRAY("priorities", rq_spec_network, priorities, interface_priority_elem, 0));

SPEC_OBJECT_DEF(rdma_object, rq_spec_rdma, NULL,
                F_OPT_INT_ANY("hcaHandles", rq_spec_rdma, hca_handles),
                F_OPT_INT_ANY("hcaObjects", rq_spec_rdma, hca_objects));
static const spec_field rdma_elem = E_INLINE(rdma_object);

SPEC_OBJECT_EXPORT(spec_resources_object, rq_spec_resources, NULL,
                   F_ARRAY("devices", rq_spec_resources, devices, device_cgroup_elem, 0),
                   F_OBJECT("memory", rq_spec_resources, memory, memory_object),
                   F_OBJECT("cpu", rq_spec_resources, cpu, cpu_object),
                   F_OBJECT("pids", rq_spec_resources, pids, pids_object),
                   F_OBJECT("blockIO", rq_spec_resources, block_io, blockio_object),
                   F_ARRAY("hugepageLimits", rq_spec_resources, hugepage_limits, hugepage_elem, 0),
                   F_OBJECT("network", rq_spec_resources, network, network_object),
                   F_MAP("rdma", rq_spec_resources, rdma, rdma_elem),
                   F_MAP("unified", rq_spec_resources, unified, spec_kv_elem));
