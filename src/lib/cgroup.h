/* The container's cgroup: detect cgroup v1, hybrid (v1 controllers plus a cgroup2 mount at
 * /sys/fs/cgroup/unified) or v2 by statfs; create the container's cgroup at linux.cgroupsPath
 * in every hierarchy; apply every field of linux.resources (cgroup-v1.c, cgroup-v2.c; the v2
 * device filter is an eBPF program, cgroup-devices-bpf.c); put the init in it before it runs
 * anything; freeze and thaw it; apply new resources (`update`); read its statistics
 * (`events`, cgroup-stats.c); remove it at delete. A value the host cannot apply is an error
 * naming the field and the host's cgroup mode, never dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/spec.h"

typedef enum rq_cgroup_mode {
        RQ_CGROUP_V1,
        RQ_CGROUP_HYBRID,
        RQ_CGROUP_V2,
        _RQ_CGROUP_MODE_MAX,
        _RQ_CGROUP_MODE_INVALID = -1,
} rq_cgroup_mode;

#define RQ_CGROUP_DIRS_MAX 16
#define RQ_CGROUP_ROOT "/sys/fs/cgroup" /* where the hierarchies are mounted */

typedef struct rq_cgroup {
        rq_cgroup_mode mode;
        char *path; /* the container's path inside each hierarchy */
        char *dirs[RQ_CGROUP_DIRS_MAX]; /* absolute directories, one per hierarchy */
        /* per hierarchy: v1 its controllers ("cpu,cpuacct", "name=systemd"), cgroup2 "" */
        char *controllers[RQ_CGROUP_DIRS_MAX];
        const char *unified; /* the cgroup2 one among dirs (v2, hybrid), or NULL */
        size_t n_dirs;
        /* The systemd driver (cgroup-systemd.c); all NULL for cgroupfs. The directories are
         * made once systemd has made the scope, at rq_cgroup_attach(). */
        char *unit; /* the scope, "rongqi-ID.scope" */
        char *slice; /* its slice, "machine.slice" */
        bool user_manager; /* the calling user's systemd (rootless), else the system's */
        const rq_spec_linux *linux_; /* what attach applies (the caller's spec outlives it) */
} rq_cgroup;

int rq_cgroup_detect(rq_cgroup_mode *ret, rq_error **reterr);
const char *rq_cgroup_mode_to_string(rq_cgroup_mode mode);
/* The existing cgroup at path in every hierarchy ("" for the hierarchies' roots). */
int rq_cgroup_open(const char *path, rq_cgroup *ret, rq_error **reterr);

/* The path to use: linux.cgroupsPath (absolute, or relative to /rongqi-runtime), or
 * /rongqi-runtime/ID. malloc'd. */
char *rq_cgroup_path_for(const rq_spec *spec, const char *id);

/* Does r set a limit (any resource but the device rules)? */
bool rq_cgroup_resources_limit(const rq_spec_resources *r);
/* Create the cgroup in every hierarchy and apply linux.resources of linux_ (may be NULL); the
 * device rules (with linux.devices allowed) only when the caller is root. On failure nothing
 * is left. */
int rq_cgroup_create(const char *path, const rq_spec_linux *linux_, rq_cgroup *ret,
                     rq_error **reterr);
/* The systemd driver instead (runc's --systemd-cgroup, cgroup-systemd.c): linux.cgroupsPath
 * "slice:prefix:name" (empty: ":rongqi:ID"; an empty slice: system.slice, or user.slice for
 * the user's systemd when not root) names the scope prefix-name.scope; its path is the
 * expanded slice ("a-b.slice" -> "/a.slice/a-b.slice") plus the scope. Nothing exists until
 * rq_cgroup_attach(): systemd makes a scope only around a process. Errors name the field, the
 * value and the form; ENOTSUP when systemd is not running. */
int rq_cgroup_create_systemd(const rq_spec *spec, const char *id, rq_cgroup *ret,
                             rq_error **reterr);
/* Stop the container's scope (StopUnit) and wait for the job; a unit already gone is fine. */
int rq_cgroup_systemd_stop(const char *unit, bool user_manager, rq_error **reterr);
/* Tell systemd the new limits of the scope (SetUnitProperties, runtime only): `update`. */
int rq_cgroup_systemd_set(const char *unit, bool user_manager, rq_cgroup_mode mode,
                          const rq_spec_resources *r, rq_error **reterr);
/* Move pid (the container's init, before it runs anything) into the cgroup; with the systemd
 * driver first start the scope around it (StartTransientUnit, PIDs, Delegate=yes), then make
 * the directories systemd did not and apply linux.resources there, as create does. */
int rq_cgroup_attach(const rq_cgroup *cg, pid_t pid, rq_error **reterr);
/* Move the calling process into the cgroup at path in every hierarchy (exec: before joining
 * the container's mount namespace, so the host's cgroupfs paths are used). */
int rq_cgroup_enter(const char *path, rq_error **reterr);
/* Freeze (or thaw) every process of the cgroup at path and wait until the kernel says it is
 * done: v1 freezer.state FROZEN/THAWED, v2 cgroup.freeze and cgroup.events. */
int rq_cgroup_freeze(const char *path, bool freeze, rq_error **reterr);
/* Send sig to every process of the cgroup at path and below: v2 SIGKILL by cgroup.kill
 * (5.14+), else each pid of cgroup.procs; v1 with the freezer cgroup frozen during the walk
 * (a container paused before stays so, unless sig is SIGKILL). -ENOENT when the container has
 * no cgroup there. (cgroup-kill.c) */
int rq_cgroup_kill(const char *path, int sig, rq_error **reterr);
/* Wait until no process is left in the cgroup at path, in any hierarchy (v2 cgroup.events
 * "populated 0", v1 every cgroup.procs empty): -EBUSY after timeout_ms. */
int rq_cgroup_wait_empty(const char *path, unsigned timeout_ms, rq_error **reterr);
/* The OOM kills counted in the memory cgroup at path (v2 memory.events oom_kill, v1
 * memory.oom_control oom_kill, plus one while under_oom) and its memory limit in bytes (-1:
 * none). -errno when there is no memory cgroup. */
int rq_cgroup_oom(const char *path, uint64_t *ret_kills, int64_t *ret_limit);
/* Remove the cgroup at path in every hierarchy (its processes must be gone: this waits a
 * moment for exiting ones). Missing directories are fine. */
int rq_cgroup_remove(const char *path, rq_error **reterr);
void rq_cgroup_done(rq_cgroup *cg);

/* Apply linux.resources r (not the device rules, which stay as create set them) to the
 * existing cgroup at path: `update`. The same writers as create, so the same errors. */
int rq_cgroup_update(const char *path, const rq_spec_resources *r, rq_error **reterr);

/* ---- statistics (runc's `events` names in the comments) ---------------------------------- */

typedef struct rq_cgroup_mem_entry {
        bool present; /* the kernel has these counters (v1 memsw, kmem; v2 swap) */
        uint64_t limit, usage, max, failcnt; /* bytes; "max" (no limit) is UINT64_MAX on v2 */
} rq_cgroup_mem_entry;

typedef struct rq_cgroup_kv {
        char *key;
        uint64_t value;
} rq_cgroup_kv;

typedef struct rq_cgroup_blkio_entry {
        uint64_t major, minor;
        char op[16]; /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
        uint64_t value;
} rq_cgroup_blkio_entry;

/* cpuset's numbers, in runc's order; each is the file cpuset.<name> and the JSON key <name> */
typedef enum rq_cgroup_cpuset_value {
        RQ_CPUSET_CPU_EXCLUSIVE,
        RQ_CPUSET_MEM_HARDWALL,
        RQ_CPUSET_MEM_EXCLUSIVE,
        RQ_CPUSET_MEMORY_MIGRATE,
        RQ_CPUSET_MEMORY_SPREAD_PAGE,
        RQ_CPUSET_MEMORY_SPREAD_SLAB,
        RQ_CPUSET_MEMORY_PRESSURE,
        RQ_CPUSET_SCHED_LOAD_BALANCE,
        RQ_CPUSET_SCHED_RELAX_DOMAIN_LEVEL,
        _RQ_CPUSET_VALUE_MAX,
        _RQ_CPUSET_VALUE_INVALID = -1,
} rq_cgroup_cpuset_value;
const char *rq_cgroup_cpuset_value_to_string(rq_cgroup_cpuset_value v);

typedef struct rq_cgroup_hugetlb {
        char page_size[16]; /* "2MB", "1GB" */
        uint64_t usage, max, failcnt;
} rq_cgroup_hugetlb;

typedef struct rq_cgroup_stats {
        /* cpu.usage: nanoseconds */
        uint64_t cpu_total, cpu_kernel, cpu_user;
        uint64_t *percpu, *percpu_kernel, *percpu_user; /* v1 only; n_percpu each */
        size_t n_percpu, n_percpu_split; /* percpu_kernel/user may be missing: 0 */
        /* cpu.throttling */
        uint64_t periods, throttled_periods, throttled_time; /* time in ns */
        /* cpuset (v1): the cpus and memory nodes, and the numbers */
        uint16_t *cpuset_cpus, *cpuset_mems;
        size_t n_cpuset_cpus, n_cpuset_mems;
        int64_t cpuset[_RQ_CPUSET_VALUE_MAX];
        /* memory */
        uint64_t mem_cache;
        rq_cgroup_mem_entry mem_usage, mem_swap, mem_kernel, mem_kernel_tcp;
        rq_cgroup_kv *mem_raw; /* memory.stat */
        size_t n_mem_raw;
        uint64_t oom_kills; /* processes the OOM killer took in this cgroup */
        /* pids; limit 0 means none */
        uint64_t pids_current, pids_limit;
        /* hugetlb: one entry per page size the kernel has */
        rq_cgroup_hugetlb *hugetlb;
        size_t n_hugetlb;
        /* blkio */
        rq_cgroup_blkio_entry *io_service_bytes, *io_serviced;
        size_t n_io_service_bytes, n_io_serviced;
} rq_cgroup_stats;

/* Read the statistics of the cgroup at path (every counter a missing controller cannot give
 * stays 0). */
int rq_cgroup_stats_read(const char *path, rq_cgroup_stats *ret, rq_error **reterr);
void rq_cgroup_stats_done(rq_cgroup_stats *s);
