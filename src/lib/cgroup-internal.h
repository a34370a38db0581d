/* What cgroup.c shares with its backends (cgroup-v1.c, cgroup-v2.c, cgroup-devices-bpf.c) and
 * with the unit tests: the writers that name the config field in their errors, the pure
 * conversions of runtime-spec values to cgroup file contents, and the device rule list in the
 * form both the v1 devices files and the v2 eBPF program are made from. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cgroup.h"
#include "lib/error.h"
#include "lib/spec.h"

#define CGROUP_ROOT RQ_CGROUP_ROOT

/* ---- writers (cgroup.c) ------------------------------------------------------------------- */

/* Write value to dir/file; the error names the file. */
int cg_write(const char *dir, const char *file, const char *value, rq_error **reterr);
/* The same for the config field "linux.resources.<field>": a missing file is an ENOTSUP error
 * saying the host's kernel (cgroup mode) has no such file, any other failure names the value. */
int cg_write_field(const rq_cgroup *cg, const char *dir, const char *file, const char *value,
                   const char *field, rq_error **reterr);
/* Format a number, or "max" for a negative one when max_for_negative. */
int cg_write_num(const rq_cgroup *cg, const char *dir, const char *file, int64_t value,
                 bool max_for_negative, const char *field, rq_error **reterr);
/* "linux.resources.<field>: <why> (this host: cgroup <mode>)" with ENOTSUP. */
int cg_unsupported(const rq_cgroup *cg, rq_error **reterr, const char *field, const char *why);
/* The container's directories at path in every hierarchy (none made): the hybrid host's
 * cgroup2 mount is left out for an unprivileged caller unless linux_'s resources need it. */
int cg_plan(const char *path, const rq_spec_linux *linux_, rq_cgroup *ret, rq_error **reterr);
/* The existing cgroup at path: its directories in every hierarchy that has it. */
int cg_open(const char *path, rq_cgroup *ret, rq_error **reterr);
/* Does dir/file exist? */
bool cg_has_file(const char *dir, const char *file);
/* The directory of the container's cgroup in the v1 hierarchy holding controller ("memory",
 * "name=systemd"), or NULL. */
const char *cg_v1_dir(const rq_cgroup *cg, const char *controller);
/* Call fn with the container's directory (path) in each hierarchy of the host, existing or
 * not; stops at the first failure unless keep_going. */
int cg_for_each_dir(const char *path, bool keep_going,
                    int (*fn)(const char *dir, void *userdata, rq_error **reterr), void *userdata,
                    rq_error **reterr);
/* The number N of the line "key N" in dir/file (cgroup.events, memory.events,
 * memory.oom_control); 0 when no line has the key. (cgroup-kill.c) */
int cg_read_key_ret(const char *dir, const char *file, const char *key, uint64_t *ret);
/* Is controller listed in the cgroup2 mount's root cgroup.controllers? */
bool cg_v2_has_controller(const char *v2_root, const char *controller);

/* ---- backends ----------------------------------------------------------------------------- */

/* The linux.resources of the container (and its linux.devices, always allowed) to the cgroup. */
typedef struct cg_config {
        const rq_spec_resources *res; /* or NULL */
        const rq_spec_device *devices;
        size_t n_devices;
        bool device_rules; /* apply the device rules (not for an unprivileged caller) */
} cg_config;

int cg_v1_apply(const rq_cgroup *cg, const cg_config *c, rq_error **reterr);
int cg_v2_apply(const rq_cgroup *cg, const cg_config *c, rq_error **reterr);
/* The statistics of the cgroup (its directories in cg) into *s, zeroed by the caller. */
int cg_v1_stats(const rq_cgroup *cg, rq_cgroup_stats *s, rq_error **reterr);
int cg_v2_stats(const rq_cgroup *cg, rq_cgroup_stats *s, rq_error **reterr);
/* Shared stat file readers: one number (a missing file or "max": *ret = dflt; returns whether
 * the file was there), the value of key in a "key value" file, every pair of such a file
 * (memory.stat), and the blkio entries of a v1 "MAJ:MIN Op value" file. */
bool cg_read_u64(const char *dir, const char *file, uint64_t dflt, uint64_t *ret);
uint64_t cg_read_key(const char *dir, const char *file, const char *key);
int cg_read_kv(const char *dir, const char *file, rq_cgroup_kv **ret, size_t *ret_n);
/* cpuset.cpus, .mems and the numbers of the v1 cpuset directory dir. */
int cg_cpuset_stats(const char *dir, rq_cgroup_stats *s);
int cg_stats_add_blkio(rq_cgroup_blkio_entry **arr, size_t *n, uint64_t major, uint64_t minor,
                       const char *op, uint64_t value);

/* The OOM kills counted in the memory cgroup dir and its memory limit (-1: none). */
int cg_v1_oom(const char *dir, uint64_t *ret_kills, int64_t *ret_limit);
int cg_v2_oom(const char *dir, uint64_t *ret_kills, int64_t *ret_limit);
/* Hugepage limits to dir: hugetlb.<size>.max (v2) or .limit_in_bytes (v1), and the
 * reservation counter where the kernel has one. */
int cg_hugetlb_apply(const rq_cgroup *cg, const char *dir, const rq_spec_resources *r, bool v2,
                     rq_error **reterr);
/* linux.resources.unified to a cgroup2 directory (v2, and the unified mount of a hybrid
 * host). */
int cg_v2_unified(const rq_cgroup *cg, const char *dir, const rq_spec_resources *r,
                  rq_error **reterr);
/* linux.resources.rdma to rdma.max in dir (the same format in v1 and v2). */
int cg_rdma_apply(const rq_cgroup *cg, const char *dir, const rq_spec_resources *r,
                  rq_error **reterr);
/* Per-device rates, one line each: "MAJ:MIN RATE" (v1 blkio.throttle.*), or with key
 * "MAJ:MIN KEY=RATE" (v2 io.max). */
int cg_write_rates(const rq_cgroup *cg, const char *dir, const char *file, const char *key,
                   const rq_spec_throttle_device *t, size_t n, const char *field,
                   rq_error **reterr);
/* Let every ancestor of the container's cgroup2 directory (from the mount root down) delegate
 * the controllers it has to its children; failures are left to the writes that need one. */
void cg_v2_enable_controllers(const rq_cgroup *cg);

/* ---- the systemd driver (cgroup-systemd.c) ------------------------------------------------ */

/* A slice name to its path: "a-b.slice" -> "/a.slice/a-b.slice", "-.slice" -> "" (the root);
 * -EINVAL for a name that is not NAME.slice, has a '/' or an empty part between dashes. */
int cg_systemd_expand_slice(const char *slice, char **ret);
/* linux.cgroupsPath (NULL or "": ":rongqi:ID") to the slice (the default filled in) and the
 * scope's name; an error naming the field, the value and the form. */
int cg_systemd_parse_path(const char *cgroups_path, const char *id, bool user_manager,
                          char **ret_slice, char **ret_unit, rq_error **reterr);
/* Start the scope cg->unit with pid in it and wait until systemd is done. */
int cg_systemd_start(const rq_cgroup *cg, pid_t pid, rq_error **reterr);

/* ---- one parsed line of /proc/self/mountinfo ---------------------------------------------- */

typedef struct cg_mount {
        char *mount_point;
        char *controllers; /* v1: the super options ("cpu,cpuacct", "name=systemd"); v2: "" */
        bool v2;
} cg_mount;

/* Parse a mountinfo line: 1 and *ret filled for a cgroup or cgroup2 mount, 0 for another
 * mount, -EINVAL for a malformed line, -ENOMEM. */
int cg_parse_mountinfo_line(const char *line, cg_mount *ret);
void cg_mount_done(cg_mount *m);

/* ---- pure conversions (cgroup-convert.c) -------------------------------------------------- */

/* v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000), runc's and crun's linear map; 0 stays
 * 0 (unset). */
uint64_t cg_shares_to_weight(uint64_t shares);
/* v1 blkio weight (10..1000) to v2 io.weight (1..10000), the same map as runc and crun; 0
 * stays 0. */
uint64_t cg_blkio_to_io_weight(uint64_t weight);
/* The spec's memory.swap (memory+swap, v1 memsw) to v2 memory.swap.max (swap only), given the
 * memory limit (limit_set false: none). *ret -1 means "max". Returns 0 and sets *ret_skip when
 * nothing is to be written; -EINVAL with *ret_why when the pair cannot be converted. */
int cg_swap_to_v2(int64_t swap, bool limit_set, int64_t limit, int64_t *ret, bool *ret_skip,
                  const char **ret_why);

/* One device rule: type 'a' is every device whatever major, minor and access say (as the v1
 * kernel reads it). */
enum {
        CG_DEV_MKNOD = 1 << 0, /* the BPF_DEVCG_ACC_* bits */
        CG_DEV_READ = 1 << 1,
        CG_DEV_WRITE = 1 << 2,
        CG_DEV_RWM = CG_DEV_MKNOD | CG_DEV_READ | CG_DEV_WRITE,
};
typedef struct cg_dev_rule {
        bool allow;
        char type; /* 'a', 'c', 'b' */
        int64_t major; /* -1: any */
        int64_t minor;
        unsigned access; /* CG_DEV_* */
} cg_dev_rule;

/* The rules to apply, in order: deny all (the list is an allowlist), linux.resources.devices,
 * with the devices every container gets (runc's list: the spec's default devices, /dev/pts,
 * /dev/ptmx, /dev/net/tun, mknod of any node) and linux.devices allowed right after the last
 * rule of type 'a' (so the config's deny-all does not take them away and an explicit rule
 * later in the list still can). malloc'd in *ret. */
int cg_device_rules(const rq_spec_resources *res, const rq_spec_device *devices, size_t n_devices,
                    cg_dev_rule **ret, size_t *ret_n);
/* A rule as a line for v1 devices.allow / devices.deny: "c 1:3 rwm", "a". */
void cg_dev_rule_v1(const cg_dev_rule *r, char *buf, size_t size);
/* The decision of rules for one access (the last matching rule wins; no match: allowed, the
 * state of a new cgroup under an unrestricted parent). An allow rule matches when it grants
 * every requested access bit, a deny rule when it names any of them. */
bool cg_dev_decide(const cg_dev_rule *rules, size_t n, char type, uint32_t major, uint32_t minor,
                   unsigned access);

/* ---- the v2 device program (cgroup-devices-bpf.c) ----------------------------------------- */

struct bpf_insn;
/* Compile rules into a BPF_PROG_TYPE_CGROUP_DEVICE program with cg_dev_decide()'s meaning. */
int cg_devices_bpf_compile(const cg_dev_rule *rules, size_t n, struct bpf_insn **ret,
                           size_t *ret_n);
/* Load the program and attach it to the cgroup directory dir. */
int cg_devices_bpf_attach(const char *dir, const cg_dev_rule *rules, size_t n, rq_error **reterr);
