/* The container's cgroup: detect cgroup v1, hybrid (v1 controllers plus a cgroup2 mount at
 * /sys/fs/cgroup/unified) or v2 by statfs; create the container's cgroup at linux.cgroupsPath
 * in every hierarchy; apply every field of linux.resources (cgroup-v1.c, cgroup-v2.c; the v2
 * device filter is an eBPF program, cgroup-devices-bpf.c); put the init in it before it runs
 * anything; freeze and thaw it; remove it at delete. A value the host cannot apply is an error
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
} rq_cgroup;

int rq_cgroup_detect(rq_cgroup_mode *ret, rq_error **reterr);
const char *rq_cgroup_mode_to_string(rq_cgroup_mode mode);

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
/* Move pid (the container's init, before it runs anything) into the cgroup. */
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
