/* The OCI runtime spec (config.json) as C structs: the one internal description of a container.
 * rq_spec_parse() reads a document once, checks every value against the runtime-spec (1.x) and
 * the static rules runc enforces, and turns names into the numbers the kernel wants (namespace
 * types, capability bits, RLIMIT_*, MS_* mount flags, SCHED_*, seccomp enums). Every error names
 * the JSON path of the value: `process.rlimits[2].type: unknown rlimit "RLIMIT_FOO"`.
 *
 * Conventions of the structs:
 *  - an optional object is a pointer, NULL when absent (JSON null counts as absent);
 *  - an optional scalar whose absence means something other than 0 is an rq_opt_* with a
 *    `set` flag; scalars whose absence means 0/false/NULL are plain;
 *  - every array is a pointer `foo` plus a count `n_foo`; string arrays are also
 *    NULL-terminated (ready for execve), and non-NULL when present but empty;
 *  - all memory belongs to the rq_spec and is released by rq_spec_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/ns.h"

/* The version rongqi writes into the configs it generates; it reads every 1.x. */
#define RQ_SPEC_VERSION "1.3.0"
#define RQ_SPEC_VERSION_MAJOR 1

typedef struct rq_opt_bool {
        bool set;
        bool value;
} rq_opt_bool;
typedef struct rq_opt_u16 {
        bool set;
        uint16_t value;
} rq_opt_u16;
typedef struct rq_opt_i32 {
        bool set;
        int32_t value;
} rq_opt_i32;
typedef struct rq_opt_u32 {
        bool set;
        uint32_t value;
} rq_opt_u32;
typedef struct rq_opt_i64 {
        bool set;
        int64_t value;
} rq_opt_i64;
typedef struct rq_opt_u64 {
        bool set;
        uint64_t value;
} rq_opt_u64;

/* One entry of a string map (annotations, linux.sysctl, linux.resources.unified). */
typedef struct rq_spec_kv {
        char *key;
        char *value;
} rq_spec_kv;

/* linux.uidMappings / gidMappings and mounts[].uidMappings / gidMappings. */
typedef struct rq_spec_idmap {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
} rq_spec_idmap;

typedef struct rq_spec_root {
        char *path; /* absolute, or relative to the bundle */
        bool readonly;
} rq_spec_root;

/* ---- mounts ---------------------------------------------------------------------------- */

/* Extensions a mount option asks for that are no mount(2) flag. */
typedef enum rq_mount_ext {
        RQ_MOUNT_EXT_TMPCOPYUP = 1 << 0, /* "tmpcopyup": copy the old contents into the new tmpfs */
} rq_mount_ext;

typedef enum rq_mount_idmap {
        RQ_MOUNT_IDMAP_NONE,
        RQ_MOUNT_IDMAP, /* "idmap": id-mapped mount (mount_setattr MOUNT_ATTR_IDMAP) */
        RQ_MOUNT_IDMAP_RECURSIVE, /* "ridmap": the same, applied with AT_RECURSIVE */
        _RQ_MOUNT_IDMAP_MAX,
        _RQ_MOUNT_IDMAP_INVALID = -1,
} rq_mount_idmap;

#define RQ_MOUNT_PROPAGATION_MAX 4

/* mounts[].options pre-parsed the way runc does: the mount(8) flags, propagation changes (each
 * one a mount(2) call of its own, in order), the recursive r* options for
 * mount_setattr(AT_RECURSIVE), and everything unknown joined with ',' as filesystem data. */
typedef struct rq_mount_options {
        unsigned long flags; /* MS_* to pass to mount(2) */
        unsigned long cleared; /* MS_* an option explicitly turned off ("rw", "suid", "dev", …) */
        unsigned long propagation[RQ_MOUNT_PROPAGATION_MAX]; /* MS_SHARED|MS_REC, … in order */
        size_t n_propagation;
        uint64_t attr_set; /* MOUNT_ATTR_* of rro, rnosuid, rnoatime, … */
        uint64_t attr_clr; /* MOUNT_ATTR_* of rrw, rsuid, ratime, … (and MOUNT_ATTR__ATIME) */
        unsigned extensions; /* rq_mount_ext bits */
        rq_mount_idmap idmap;
        char *data; /* filesystem options ("mode=755,size=65536k"), NULL when there are none */
} rq_mount_options;

typedef struct rq_spec_mount {
        char *destination; /* absolute path inside the container */
        char *source;
        char *type;
        char **options; /* the raw strings, as written */
        size_t n_options;
        rq_spec_idmap *uid_mappings; /* for an id-mapped mount; set together with gid_mappings */
        size_t n_uid_mappings;
        rq_spec_idmap *gid_mappings;
        size_t n_gid_mappings;
        rq_mount_options parsed; /* options, parsed */
} rq_spec_mount;

/* Parse mount options into ret. data_buf receives ret->data and must hold the total length of
 * the options plus n bytes (or be NULL: the unknown options are then dropped). Returns -E2BIG
 * when more than RQ_MOUNT_PROPAGATION_MAX propagation options are given. */
int rq_mount_options_parse(char *const *options, size_t n, rq_mount_options *ret, char *data_buf);

/* ---- process --------------------------------------------------------------------------- */

typedef struct rq_spec_box {
        uint32_t height;
        uint32_t width;
} rq_spec_box;

typedef struct rq_spec_user {
        uint32_t uid;
        uint32_t gid;
        rq_opt_u32 umask;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        char *username; /* Windows only; kept */
} rq_spec_user;

/* Capability sets as bit masks: bit n is capability number n (CAP_CHOWN is bit 0). */
typedef struct rq_spec_capabilities {
        uint64_t bounding;
        uint64_t effective;
        uint64_t inheritable;
        uint64_t permitted;
        uint64_t ambient;
} rq_spec_capabilities;

typedef struct rq_spec_rlimit {
        int type; /* RLIMIT_* */
        uint64_t hard;
        uint64_t soft;
} rq_spec_rlimit;

typedef struct rq_spec_scheduler {
        int policy; /* SCHED_* */
        int32_t nice;
        int32_t priority;
        uint64_t flags; /* SCHED_FLAG_* */
        uint64_t runtime;
        uint64_t deadline;
        uint64_t period;
} rq_spec_scheduler;

typedef struct rq_spec_io_priority {
        int class; /* IOPRIO_CLASS_RT, _BE, _IDLE */
        int32_t priority; /* 0 (highest) to 7 */
} rq_spec_io_priority;

typedef struct rq_spec_cpu_affinity {
        char *initial; /* CPU lists ("0-3,7"), checked for syntax */
        char *final;
} rq_spec_cpu_affinity;

typedef struct rq_spec_process {
        bool terminal;
        rq_spec_box *console_size;
        rq_spec_user user; /* all zero when "user" is absent */
        char **args; /* at least one entry */
        size_t n_args;
        char *command_line; /* Windows only; kept */
        char **env; /* NAME=VALUE */
        size_t n_env;
        char *cwd; /* absolute */
        rq_spec_capabilities *capabilities;
        rq_spec_rlimit *rlimits; /* no type twice */
        size_t n_rlimits;
        bool no_new_privileges;
        char *apparmor_profile;
        rq_opt_i32 oom_score_adj; /* -1000 to 1000 */
        rq_spec_scheduler *scheduler;
        char *selinux_label;
        rq_spec_io_priority *io_priority;
        rq_spec_cpu_affinity *exec_cpu_affinity;
} rq_spec_process;

/* ---- hooks ----------------------------------------------------------------------------- */

typedef enum rq_hook_kind {
        RQ_HOOK_PRESTART, /* deprecated by the spec; still run, before createRuntime */
        RQ_HOOK_CREATE_RUNTIME,
        RQ_HOOK_CREATE_CONTAINER,
        RQ_HOOK_START_CONTAINER,
        RQ_HOOK_POSTSTART,
        RQ_HOOK_POSTSTOP,
        _RQ_HOOK_KIND_MAX,
        _RQ_HOOK_KIND_INVALID = -1,
} rq_hook_kind;

typedef struct rq_spec_hook {
        char *path; /* absolute */
        char **args;
        size_t n_args;
        char **env;
        size_t n_env;
        rq_opt_i32 timeout; /* seconds, > 0 */
} rq_spec_hook;

typedef struct rq_spec_hook_list {
        rq_spec_hook *hooks;
        size_t n_hooks;
} rq_spec_hook_list;

typedef struct rq_spec_hooks {
        rq_spec_hook_list list[_RQ_HOOK_KIND_MAX]; /* indexed by rq_hook_kind */
} rq_spec_hooks;

/* The JSON name of a hook list ("createRuntime"), NULL when out of range. */
const char *rq_hook_kind_to_string(rq_hook_kind kind);

/* ---- linux: namespaces, devices, time ---------------------------------------------------- */

typedef struct rq_spec_namespace {
        rq_ns_type type; /* from the spec's names: pid network mount ipc uts user cgroup time */
        char *path; /* join this namespace (absolute), or NULL: create a new one */
} rq_spec_namespace;

typedef struct rq_spec_time_offset {
        char *clock; /* "monotonic" or "boottime" */
        int64_t secs;
        uint32_t nanosecs; /* below 1000000000 */
} rq_spec_time_offset;

typedef struct rq_spec_device {
        int type; /* 'c', 'b', 'u' or 'p' */
        char *path; /* absolute, inside the container */
        int64_t major; /* required unless type is 'p' */
        int64_t minor;
        rq_opt_u32 file_mode;
        rq_opt_u32 uid;
        rq_opt_u32 gid;
} rq_spec_device;

typedef struct rq_spec_net_device {
        char *host_name; /* the key: the interface on the host */
        char *name; /* its name in the container, or NULL: keep host_name */
} rq_spec_net_device;

/* ---- linux.resources --------------------------------------------------------------------- */

typedef struct rq_spec_device_cgroup {
        bool allow;
        int type; /* 'a' (also when absent), 'c' or 'b' */
        rq_opt_i64 major; /* absent: all ("*") */
        rq_opt_i64 minor;
        char *access; /* letters of "rwm", NULL when absent */
} rq_spec_device_cgroup;

typedef struct rq_spec_memory {
        rq_opt_i64 limit; /* bytes, -1 for unlimited */
        rq_opt_i64 reservation;
        rq_opt_i64 swap;
        rq_opt_i64 kernel;
        rq_opt_i64 kernel_tcp;
        rq_opt_u64 swappiness; /* 0 to 100 */
        rq_opt_bool disable_oom_killer;
        rq_opt_bool use_hierarchy;
        rq_opt_bool check_before_update;
} rq_spec_memory;

typedef struct rq_spec_cpu {
        rq_opt_u64 shares;
        rq_opt_i64 quota;
        rq_opt_u64 burst; /* not above a positive quota */
        rq_opt_u64 period;
        rq_opt_i64 realtime_runtime;
        rq_opt_u64 realtime_period;
        char *cpus; /* CPU lists, checked for syntax */
        char *mems;
        rq_opt_i64 idle;
} rq_spec_cpu;

typedef struct rq_spec_pids {
        rq_opt_i64 limit; /* -1: no limit; 0 is a valid limit */
} rq_spec_pids;

typedef struct rq_spec_weight_device {
        int64_t major;
        int64_t minor;
        rq_opt_u16 weight; /* at least one of weight and leaf_weight is set */
        rq_opt_u16 leaf_weight;
} rq_spec_weight_device;

typedef struct rq_spec_throttle_device {
        int64_t major;
        int64_t minor;
        uint64_t rate;
} rq_spec_throttle_device;

typedef struct rq_spec_blockio {
        rq_opt_u16 weight;
        rq_opt_u16 leaf_weight;
        rq_spec_weight_device *weight_device;
        size_t n_weight_device;
        rq_spec_throttle_device *throttle_read_bps_device;
        size_t n_throttle_read_bps_device;
        rq_spec_throttle_device *throttle_write_bps_device;
        size_t n_throttle_write_bps_device;
        rq_spec_throttle_device *throttle_read_iops_device;
        size_t n_throttle_read_iops_device;
        rq_spec_throttle_device *throttle_write_iops_device;
        size_t n_throttle_write_iops_device;
} rq_spec_blockio;

typedef struct rq_spec_hugepage_limit {
        char *page_size; /* "<size><unit prefix>B": "2MB", "64KB", "1GB" */
        uint64_t limit;
} rq_spec_hugepage_limit;

typedef struct rq_spec_interface_priority {
        char *name;
        uint32_t priority;
} rq_spec_interface_priority;

typedef struct rq_spec_network {
        rq_opt_u32 class_id;
        rq_spec_interface_priority *priorities;
        size_t n_priorities;
} rq_spec_network;

typedef struct rq_spec_rdma {
        char *device; /* the key */
        rq_opt_u32 hca_handles; /* at least one of the two is set */
        rq_opt_u32 hca_objects;
} rq_spec_rdma;

typedef struct rq_spec_resources {
        rq_spec_device_cgroup *devices;
        size_t n_devices;
        rq_spec_memory *memory;
        rq_spec_cpu *cpu;
        rq_spec_pids *pids;
        rq_spec_blockio *block_io;
        rq_spec_hugepage_limit *hugepage_limits;
        size_t n_hugepage_limits;
        rq_spec_network *network;
        rq_spec_rdma *rdma;
        size_t n_rdma;
        rq_spec_kv *unified; /* cgroup v2 file name -> content */
        size_t n_unified;
} rq_spec_resources;

/* ---- linux.seccomp ----------------------------------------------------------------------- */

typedef enum rq_seccomp_action {
        RQ_SECCOMP_ACT_KILL, /* SCMP_ACT_KILL (= KILL_THREAD) */
        RQ_SECCOMP_ACT_KILL_PROCESS,
        RQ_SECCOMP_ACT_KILL_THREAD,
        RQ_SECCOMP_ACT_TRAP,
        RQ_SECCOMP_ACT_ERRNO,
        RQ_SECCOMP_ACT_TRACE,
        RQ_SECCOMP_ACT_ALLOW,
        RQ_SECCOMP_ACT_LOG,
        RQ_SECCOMP_ACT_NOTIFY,
        _RQ_SECCOMP_ACT_MAX,
        _RQ_SECCOMP_ACT_INVALID = -1,
} rq_seccomp_action;

typedef enum rq_seccomp_op {
        RQ_SECCOMP_CMP_NE,
        RQ_SECCOMP_CMP_LT,
        RQ_SECCOMP_CMP_LE,
        RQ_SECCOMP_CMP_EQ,
        RQ_SECCOMP_CMP_GE,
        RQ_SECCOMP_CMP_GT,
        RQ_SECCOMP_CMP_MASKED_EQ,
        _RQ_SECCOMP_CMP_MAX,
        _RQ_SECCOMP_CMP_INVALID = -1,
} rq_seccomp_op;

/* The architectures of the spec (libseccomp 2.6 names), as bit numbers in
 * rq_spec_seccomp.architectures. */
typedef enum rq_seccomp_arch {
        RQ_SECCOMP_ARCH_X86,
        RQ_SECCOMP_ARCH_X86_64,
        RQ_SECCOMP_ARCH_X32,
        RQ_SECCOMP_ARCH_ARM,
        RQ_SECCOMP_ARCH_AARCH64,
        RQ_SECCOMP_ARCH_MIPS,
        RQ_SECCOMP_ARCH_MIPS64,
        RQ_SECCOMP_ARCH_MIPS64N32,
        RQ_SECCOMP_ARCH_MIPSEL,
        RQ_SECCOMP_ARCH_MIPSEL64,
        RQ_SECCOMP_ARCH_MIPSEL64N32,
        RQ_SECCOMP_ARCH_PPC,
        RQ_SECCOMP_ARCH_PPC64,
        RQ_SECCOMP_ARCH_PPC64LE,
        RQ_SECCOMP_ARCH_S390,
        RQ_SECCOMP_ARCH_S390X,
        RQ_SECCOMP_ARCH_PARISC,
        RQ_SECCOMP_ARCH_PARISC64,
        RQ_SECCOMP_ARCH_RISCV64,
        RQ_SECCOMP_ARCH_LOONGARCH64,
        RQ_SECCOMP_ARCH_M68K,
        RQ_SECCOMP_ARCH_SH,
        RQ_SECCOMP_ARCH_SHEB,
        _RQ_SECCOMP_ARCH_MAX,
        _RQ_SECCOMP_ARCH_INVALID = -1,
} rq_seccomp_arch;

typedef struct rq_spec_seccomp_arg {
        uint32_t index; /* 0 to 5 */
        uint64_t value;
        uint64_t value_two;
        rq_seccomp_op op;
} rq_spec_seccomp_arg;

typedef struct rq_spec_syscall {
        char **names; /* at least one */
        size_t n_names;
        rq_seccomp_action action;
        rq_opt_u32 errno_ret; /* only with SCMP_ACT_ERRNO and SCMP_ACT_TRACE */
        rq_spec_seccomp_arg *args;
        size_t n_args;
} rq_spec_syscall;

typedef struct rq_spec_seccomp {
        rq_seccomp_action default_action; /* never SCMP_ACT_NOTIFY */
        rq_opt_u32 default_errno_ret;
        uint64_t architectures; /* bit (1 << rq_seccomp_arch) per listed architecture */
        uint64_t flags; /* SECCOMP_FILTER_FLAG_* */
        bool flags_set; /* "flags" was given, even empty (runc then adds no SPEC_ALLOW) */
        char *listener_path; /* required when an action is SCMP_ACT_NOTIFY */
        char *listener_metadata; /* only with listener_path */
        rq_spec_syscall *syscalls;
        size_t n_syscalls;
} rq_spec_seccomp;

/* ---- linux: the rest ------------------------------------------------------------------- */

typedef struct rq_spec_intel_rdt {
        char *clos_id;
        char **schemata;
        size_t n_schemata;
        char *l3_cache_schema;
        char *mem_bw_schema; /* starts with "MB:" */
        bool enable_monitoring;
} rq_spec_intel_rdt;

typedef struct rq_spec_memory_policy {
        int mode; /* MPOL_* */
        char *nodes; /* a node list ("0-3,7"), NULL when absent */
        uint64_t flags; /* MPOL_F_* */
} rq_spec_memory_policy;

typedef struct rq_spec_personality {
        int domain; /* PER_LINUX or PER_LINUX32 */
        uint64_t flags; /* the spec defines no flag yet: always 0 */
} rq_spec_personality;

typedef struct rq_spec_linux {
        rq_spec_idmap *uid_mappings; /* only with a user namespace */
        size_t n_uid_mappings;
        rq_spec_idmap *gid_mappings;
        size_t n_gid_mappings;
        rq_spec_kv *sysctl;
        size_t n_sysctl;
        rq_spec_resources *resources;
        char *cgroups_path;
        rq_spec_namespace *namespaces; /* no type twice */
        size_t n_namespaces;
        rq_spec_device *devices;
        size_t n_devices;
        rq_spec_net_device *net_devices; /* only with a network namespace */
        size_t n_net_devices;
        rq_spec_seccomp *seccomp; /* NULL also for an empty "seccomp": {} (as runc) */
        int rootfs_propagation; /* MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE; 0 unset */
        char **masked_paths; /* absolute */
        size_t n_masked_paths;
        char **readonly_paths; /* absolute */
        size_t n_readonly_paths;
        char *mount_label;
        rq_spec_intel_rdt *intel_rdt;
        rq_spec_memory_policy *memory_policy;
        rq_spec_personality *personality;
        rq_spec_time_offset *time_offsets; /* only with a new time namespace */
        size_t n_time_offsets;
} rq_spec_linux;

/* ---- the whole document ------------------------------------------------------------------ */

struct rq_spec_block;

typedef struct rq_spec {
        char *oci_version; /* as written: "1.0.2-dev" */
        unsigned version_major, version_minor, version_patch;
        rq_spec_root *root;
        rq_spec_mount *mounts;
        size_t n_mounts;
        rq_spec_process *process; /* optional for create, required for start */
        char *hostname; /* only with a uts namespace */
        char *domainname;
        rq_spec_hooks *hooks;
        rq_spec_kv *annotations;
        size_t n_annotations;
        rq_spec_linux *linux_; /* "linux" (that name is a predefined macro in GNU C) */
        struct rq_spec_block *blocks_; /* private: every allocation of this spec */
} rq_spec;

/* Parse and validate a config.json document of len bytes (no NUL terminator needed). Unknown
 * fields are ignored, as the spec requires. Errors: -EINVAL with a message naming the JSON path
 * (or jansson's line and column for malformed JSON), -ENOMEM. */
int rq_spec_parse(const char *json, size_t len, rq_spec **ret, rq_error **reterr);
/* Read and parse dirfd/path (dirfd may be AT_FDCWD); errors name the file. */
int rq_spec_load(int dirfd, const char *path, rq_spec **ret, rq_error **reterr);
void rq_spec_free(rq_spec *spec);
static inline void rq_spec_freep(rq_spec **spec)
{
        rq_spec_free(*spec);
        *spec = NULL;
}
#define _cleanup_spec_ _cleanup_(rq_spec_freep)

/* Memory owned by the spec (zeroed; freed with it), for code that adds to a parsed spec. */
void *rq_spec_alloc(rq_spec *spec, size_t size);
char *rq_spec_strdup(rq_spec *spec, const char *s);

/* The entry of linux.namespaces for this type, or NULL (the runtime's namespace is kept). */
const rq_spec_namespace *rq_spec_namespace_find(const rq_spec *spec, rq_ns_type type);

/* The JSON text of a default config.json, like `runc spec` (`runc spec --rootless` when
 * rootless: a user namespace mapping root to the caller, no network namespace, /sys bound,
 * no cgroup resources). malloc'd, NUL-terminated; NULL on allocation failure. */
char *rq_spec_default(bool rootless);
