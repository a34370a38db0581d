/* config.json's "linux" object: namespaces and id maps, devices, sysctls, seccomp (checked
 * against the spec's lists of actions, operators and architectures; compiled elsewhere), masked
 * and read-only paths, Intel RDT, memory policy, personality, time offsets, network devices,
 * and the rules between them (id maps need a user namespace, and so on). */
#include <errno.h>
#include <linux/mempolicy.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>

#include "basic/string-util.h"
#include "lib/spec-internal.h"

#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

_Static_assert(sizeof(rq_ns_type) == sizeof(int), "rq_ns_type is read as an int");
_Static_assert(sizeof(rq_seccomp_action) == sizeof(int), "rq_seccomp_action is read as an int");
_Static_assert(sizeof(rq_seccomp_op) == sizeof(int), "rq_seccomp_op is read as an int");

/* ---- namespaces -------------------------------------------------------------------------- */

/* The spec's names, which are not those of /proc/PID/ns ("network", not "net"). */
SPEC_ENUM_DEF(ns_enum, "namespace type", { "pid", RQ_NS_PID }, { "network", RQ_NS_NET },
              { "mount", RQ_NS_MNT }, { "ipc", RQ_NS_IPC }, { "uts", RQ_NS_UTS },
              { "user", RQ_NS_USER }, { "cgroup", RQ_NS_CGROUP }, { "time", RQ_NS_TIME });

SPEC_OBJECT_DEF(namespace_object, rq_spec_namespace, NULL,
                F_ENUM("type", rq_spec_namespace, type, SPEC_REQUIRED | SPEC_UNIQUE, ns_enum),
                F_STRING("path", rq_spec_namespace, path, SPEC_ABSOLUTE));
static const spec_field namespace_elem = E_INLINE(namespace_object);

static const rq_spec_namespace *find_ns(const rq_spec_linux *l, rq_ns_type type)
{
        for (size_t i = 0; l && i < l->n_namespaces; i++)
                if (l->namespaces[i].type == type)
                        return &l->namespaces[i];
        return NULL;
}

/* ---- devices, time offsets, network devices ------------------------------------------------ */

SPEC_ENUM_DEF(device_type_enum, "device type", { "c", 'c' }, { "b", 'b' }, { "u", 'u' },
              { "p", 'p' });

static int device_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_device *d = obj;
        if (d->type == 'p')
                return 0;
        /* A FIFO has no device number; every other type needs both. */
        const char *missing = !json_object_get(json, "major")   ? "major"
                              : !json_object_get(json, "minor") ? "minor"
                                                                : NULL;
        if (!missing)
                return 0;
        return spec_error_at(c, missing, "required for a device of type \"%c\"", d->type);
}

SPEC_OBJECT_DEF(device_object, rq_spec_device, device_check,
                F_ENUM("type", rq_spec_device, type, SPEC_REQUIRED, device_type_enum),
                F_STRING("path", rq_spec_device, path, SPEC_REQUIRED | SPEC_ABSOLUTE),
                F_INT("major", rq_spec_device, major, 0), F_INT("minor", rq_spec_device, minor, 0),
                F_OPT_INT("fileMode", rq_spec_device, file_mode),
                F_OPT_INT("uid", rq_spec_device, uid), F_OPT_INT("gid", rq_spec_device, gid));
static const spec_field device_elem = E_INLINE(device_object);

SPEC_OBJECT_DEF(time_offset_object, rq_spec_time_offset, NULL,
                F_INT("secs", rq_spec_time_offset, secs, 0),
                F_INT_RANGE("nanosecs", rq_spec_time_offset, nanosecs, 0, 0, 999999999));
static const spec_field time_offset_elem = E_INLINE(time_offset_object);

static int time_offsets_post(spec_ctx *c, const spec_field *f, void *base)
{
        const rq_spec_linux *l = base;
        for (size_t i = 0; i < l->n_time_offsets; i++) {
                const char *clock = l->time_offsets[i].clock;
                if (streq(clock, "monotonic") || streq(clock, "boottime"))
                        continue;
                return spec_error_at(c, clock,
                                     "unknown clock: a time namespace offsets monotonic and "
                                     "boottime only");
        }
        return 0;
}

/* The kernel's dev_valid_name(): what an interface may be called. */
static bool netdev_name_valid(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && n < 16 && !streq(s, ".") && !streq(s, "..") && !strpbrk(s, "/: \t\n");
}

SPEC_OBJECT_DEF(net_device_object, rq_spec_net_device, NULL,
                F_STRING("name", rq_spec_net_device, name, 0));
static const spec_field net_device_elem = E_INLINE(net_device_object);

static int net_devices_post(spec_ctx *c, const spec_field *f, void *base)
{
        const rq_spec_linux *l = base;
        for (size_t i = 0; i < l->n_net_devices; i++) {
                const rq_spec_net_device *d = &l->net_devices[i];
                const char *bad = !netdev_name_valid(d->host_name)         ? d->host_name
                                  : d->name && !netdev_name_valid(d->name) ? d->name
                                                                           : NULL;
                if (!bad)
                        continue;
                return spec_error_at(c, d->host_name,
                                     "\"%s\" is not a valid network interface name", bad);
        }
        return 0;
}

/* ---- sysctl ------------------------------------------------------------------------------ */

/* Only sysctls that belong to a namespace the container gets are allowed: the others would
 * change the host (the rules of runc's validator; that a joined network namespace is not the
 * host's can only be checked when the container is created). */
static int sysctl_allowed(const rq_spec_linux *l, const char *key, const char **ret_ns)
{
        static const struct {
                const char *name; /* a name, or a prefix when it ends with '.' */
                rq_ns_type ns;
        } namespaced[] = {
                { "kernel.msgmax", RQ_NS_IPC },     { "kernel.msgmnb", RQ_NS_IPC },
                { "kernel.msgmni", RQ_NS_IPC },     { "kernel.sem", RQ_NS_IPC },
                { "kernel.shmall", RQ_NS_IPC },     { "kernel.shmmax", RQ_NS_IPC },
                { "kernel.shmmni", RQ_NS_IPC },     { "kernel.shm_rmid_forced", RQ_NS_IPC },
                { "fs.mqueue.", RQ_NS_IPC },        { "net.", RQ_NS_NET },
                { "kernel.domainname", RQ_NS_UTS }, { "user.", RQ_NS_USER },
        };
        char k[256];
        snprintf(k, sizeof(k), "%s", key);
        /* sysctl.d(5): "a/b.c/d" is "a.b/c.d" */
        if (k[strcspn(k, "./")] == '/')
                for (char *p = k; *p; p++)
                        *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
        if (streq(k, "kernel.hostname"))
                return -EEXIST;
        for (size_t i = 0; i < ELEMENTSOF(namespaced); i++) {
                const char *n = namespaced[i].name;
                bool prefix = n[strlen(n) - 1] == '.';
                if (prefix ? !startswith(k, n) : !streq(k, n))
                        continue;
                *ret_ns = spec_name_of(&ns_enum, namespaced[i].ns);
                return find_ns(l, namespaced[i].ns) ? 0 : -ENOENT;
        }
        return -EPERM;
}

static int sysctl_post(spec_ctx *c, const spec_field *f, void *base)
{
        const rq_spec_linux *l = base;
        for (size_t i = 0; i < l->n_sysctl; i++) {
                const char *ns = NULL;
                int r = sysctl_allowed(l, l->sysctl[i].key, &ns);
                if (r >= 0)
                        continue;
                const char *key = l->sysctl[i].key;
                if (r == -EEXIST)
                        return spec_error_at(
                                c, key, "set the hostname with the \"hostname\" field instead");
                if (r == -ENOENT)
                        return spec_error_at(c, key,
                                             "needs its own %s namespace, else it changes the "
                                             "host's setting",
                                             ns);
                return spec_error_at(c, key,
                                     "not namespaced: setting it in a container changes the host");
        }
        return 0;
}

/* ---- seccomp ----------------------------------------------------------------------------- */

#define ACT(x) SPEC_NAME_AS("SCMP_ACT_" #x, RQ_SECCOMP_ACT_##x)
SPEC_ENUM_DEF(action_enum, "seccomp action", ACT(KILL), ACT(KILL_PROCESS), ACT(KILL_THREAD),
              ACT(TRAP), ACT(ERRNO), ACT(TRACE), ACT(ALLOW), ACT(LOG), ACT(NOTIFY));

#define CMP(x) SPEC_NAME_AS("SCMP_CMP_" #x, RQ_SECCOMP_CMP_##x)
SPEC_ENUM_DEF(op_enum, "seccomp operator", CMP(NE), CMP(LT), CMP(LE), CMP(EQ), CMP(GE), CMP(GT),
              CMP(MASKED_EQ));

#define ARCH(x) SPEC_NAME_AS("SCMP_ARCH_" #x, RQ_SECCOMP_ARCH_##x)
SPEC_ENUM_DEF(arch_enum, "seccomp architecture", ARCH(X86), ARCH(X86_64), ARCH(X32), ARCH(ARM),
              ARCH(AARCH64), ARCH(MIPS), ARCH(MIPS64), ARCH(MIPS64N32), ARCH(MIPSEL),
              ARCH(MIPSEL64), ARCH(MIPSEL64N32), ARCH(PPC), ARCH(PPC64), ARCH(PPC64LE), ARCH(S390),
              ARCH(S390X), ARCH(PARISC), ARCH(PARISC64), ARCH(RISCV64), ARCH(LOONGARCH64),
              ARCH(M68K), ARCH(SH), ARCH(SHEB));

SPEC_ENUM_DEF(seccomp_flag_enum, "seccomp flag", SPEC_NAME(SECCOMP_FILTER_FLAG_TSYNC),
              SPEC_NAME(SECCOMP_FILTER_FLAG_LOG), SPEC_NAME(SECCOMP_FILTER_FLAG_SPEC_ALLOW),
              SPEC_NAME(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV));

/* The spec: an errno return with an action that has none is an error. */
static int errno_ret_check(spec_ctx *c, const char *field, bool set, rq_seccomp_action action)
{
        if (!set || action == RQ_SECCOMP_ACT_ERRNO || action == RQ_SECCOMP_ACT_TRACE)
                return 0;
        return spec_error_at(c, field,
                             "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not %s",
                             spec_name_of(&action_enum, action));
}

SPEC_OBJECT_DEF(seccomp_arg_object, rq_spec_seccomp_arg, NULL,
                F_INT_RANGE("index", rq_spec_seccomp_arg, index, SPEC_REQUIRED, 0, 5),
                F_INT("value", rq_spec_seccomp_arg, value, SPEC_REQUIRED),
                F_INT("valueTwo", rq_spec_seccomp_arg, value_two, 0),
                F_ENUM("op", rq_spec_seccomp_arg, op, SPEC_REQUIRED, op_enum));
static const spec_field seccomp_arg_elem = E_INLINE(seccomp_arg_object);

static int syscall_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_syscall *s = obj;
        return errno_ret_check(c, "errnoRet", s->errno_ret.set, s->action);
}

SPEC_OBJECT_DEF(syscall_object, rq_spec_syscall, syscall_check,
                F_ARRAY("names", rq_spec_syscall, names, spec_string_elem,
                        SPEC_REQUIRED | SPEC_NONEMPTY),
                F_ENUM("action", rq_spec_syscall, action, SPEC_REQUIRED, action_enum),
                F_OPT_INT("errnoRet", rq_spec_syscall, errno_ret),
                F_ARRAY("args", rq_spec_syscall, args, seccomp_arg_elem, 0));
static const spec_field syscall_elem = E_INLINE(syscall_object);

static int seccomp_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_seccomp *s = obj;
        int r = errno_ret_check(c, "defaultErrnoRet", s->default_errno_ret.set, s->default_action);
        if (r < 0)
                return r;
        /* The kernel has no notifier before the filter exists: NOTIFY cannot be the default. */
        if (s->default_action == RQ_SECCOMP_ACT_NOTIFY)
                return spec_error(c, "SCMP_ACT_NOTIFY cannot be the defaultAction");
        if (s->listener_metadata && !s->listener_path)
                return spec_error(c, "listenerMetadata is only used with a listenerPath");
        for (size_t i = 0; i < s->n_syscalls && !s->listener_path; i++)
                if (s->syscalls[i].action == RQ_SECCOMP_ACT_NOTIFY) {
                        return spec_error_elem(c, "syscalls", i, "action",
                                               "SCMP_ACT_NOTIFY needs a listenerPath to send "
                                               "the notification fd to");
                }
        return 0;
}

SPEC_OBJECT_DEF(seccomp_object, rq_spec_seccomp, seccomp_check,
                F_ENUM("defaultAction", rq_spec_seccomp, default_action, SPEC_REQUIRED,
                       action_enum),
                F_OPT_INT("defaultErrnoRet", rq_spec_seccomp, default_errno_ret),
                F_FLAGS("architectures", rq_spec_seccomp, architectures, SPEC_BITNO, arch_enum,
                        SPEC_NO_AUX),
                F_FLAGS("flags", rq_spec_seccomp, flags, 0, seccomp_flag_enum,
                        offsetof(rq_spec_seccomp, flags_set)),
                F_STRING("listenerPath", rq_spec_seccomp, listener_path, SPEC_ABSOLUTE),
                F_STRING("listenerMetadata", rq_spec_seccomp, listener_metadata, 0),
                F_ARRAY("syscalls", rq_spec_seccomp, syscalls, syscall_elem, 0));

/* "seccomp": {} (no default action, no rules) means no filter, as in runc. */
static int read_seccomp(spec_ctx *c, json_t *v, void *dst)
{
        json_t *rules = json_is_object(v) ? json_object_get(v, "syscalls") : NULL;
        json_t *action = json_is_object(v) ? json_object_get(v, "defaultAction") : NULL;
        if (json_is_object(v) && (!action || json_is_null(action)) &&
            (!rules || json_is_null(rules) || json_array_size(rules) == 0))
                return 0;
        rq_spec_seccomp *s = spec_alloc(c, sizeof(*s));
        if (!s)
                return spec_oom(c);
        *(rq_spec_seccomp **)dst = s;
        return spec_read_object(c, &seccomp_object, v, s);
}

/* ---- intelRdt, memoryPolicy, personality ------------------------------------------------- */

static int no_newline_post(spec_ctx *c, const spec_field *f, void *base)
{
        const char *s = *(char **)spec_at(base, f->offset);
        return strchr(s, '\n') ? spec_error(c, "must not contain a newline") : 0;
}

static int mem_bw_post(spec_ctx *c, const spec_field *f, void *base)
{
        const char *s = *(char **)spec_at(base, f->offset);
        if (!startswith(s, "MB:"))
                return spec_error(c, "must start with \"MB:\", got \"%s\"", s);
        return no_newline_post(c, f, base);
}

static const spec_field schema_elem =
        F_AT(NULL, SPEC_STRING, 0, 0, SPEC_NO_AUX, .post = no_newline_post);

SPEC_OBJECT_DEF(intel_rdt_object, rq_spec_intel_rdt, NULL,
                F_STRING("closID", rq_spec_intel_rdt, clos_id, 0),
                F_ARRAY("schemata", rq_spec_intel_rdt, schemata, schema_elem, 0),
                F_STRING_POST("l3CacheSchema", rq_spec_intel_rdt, l3_cache_schema, 0,
                              no_newline_post),
                F_STRING_POST("memBwSchema", rq_spec_intel_rdt, mem_bw_schema, 0, mem_bw_post),
                F_BOOL("enableMonitoring", rq_spec_intel_rdt, enable_monitoring));

SPEC_ENUM_DEF(mpol_mode_enum, "memory policy mode", SPEC_NAME(MPOL_DEFAULT), SPEC_NAME(MPOL_BIND),
              SPEC_NAME(MPOL_INTERLEAVE), SPEC_NAME(MPOL_WEIGHTED_INTERLEAVE),
              SPEC_NAME(MPOL_PREFERRED), SPEC_NAME(MPOL_PREFERRED_MANY), SPEC_NAME(MPOL_LOCAL));

SPEC_ENUM_DEF(mpol_flag_enum, "memory policy flag", SPEC_NAME(MPOL_F_NUMA_BALANCING),
              SPEC_NAME(MPOL_F_RELATIVE_NODES), SPEC_NAME(MPOL_F_STATIC_NODES));

/* set_mempolicy(2): which modes take nodes (runc's validator). */
static int memory_policy_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_memory_policy *p = obj;
        size_t n = 0;
        if (p->nodes)
                spec_list_valid(p->nodes, &n);
        const char *mode = spec_name_of(&mpol_mode_enum, p->mode);
        if ((p->mode == MPOL_DEFAULT || p->mode == MPOL_LOCAL) && n > 0)
                return spec_error(c, "%s takes no nodes", mode);
        if (p->mode != MPOL_DEFAULT && p->mode != MPOL_LOCAL && p->mode != MPOL_PREFERRED && n == 0)
                return spec_error(c, "%s needs at least one node in \"nodes\"", mode);
        return 0;
}

SPEC_OBJECT_DEF(memory_policy_object, rq_spec_memory_policy, memory_policy_check,
                F_ENUM("mode", rq_spec_memory_policy, mode, SPEC_REQUIRED, mpol_mode_enum),
                F_STRING_POST("nodes", rq_spec_memory_policy, nodes, 0, spec_post_list),
                F_FLAGS("flags", rq_spec_memory_policy, flags, 0, mpol_flag_enum, SPEC_NO_AUX));

SPEC_ENUM_DEF(personality_enum, "personality domain", { "LINUX", PER_LINUX },
              { "LINUX32", PER_LINUX32 });
SPEC_ENUM_DEF(personality_flag_enum, "personality flag", {}); /* none defined yet */

SPEC_OBJECT_DEF(personality_object, rq_spec_personality, NULL,
                F_ENUM("domain", rq_spec_personality, domain, SPEC_REQUIRED, personality_enum),
                F_FLAGS("flags", rq_spec_personality, flags, 0, personality_flag_enum,
                        SPEC_NO_AUX));

/* ---- the linux object -------------------------------------------------------------------- */

SPEC_ENUM_DEF(propagation_enum, "rootfs propagation", { "shared", MS_SHARED },
              { "slave", MS_SLAVE }, { "private", MS_PRIVATE }, { "unbindable", MS_UNBINDABLE });

int spec_needs_ns(spec_ctx *c, const rq_spec_linux *l, bool used, const char *field,
                  rq_ns_type type)
{
        if (!used || find_ns(l, type))
                return 0;
        const char *name = spec_name_of(&ns_enum, type);
        int r = spec_error_at(c, field, "needs a %s namespace", name);
        rq_error_hint(c->reterr, "add {\"type\": \"%s\"} to linux.namespaces", name);
        return r;
}

/* What needs which namespace: the rules runc's validator applies before creating anything. */
static int linux_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_linux *l = obj;
        const struct {
                bool used;
                const char *field;
                rq_ns_type type;
        } rules[] = {
                { l->n_uid_mappings > 0, "uidMappings", RQ_NS_USER },
                { l->n_gid_mappings > 0, "gidMappings", RQ_NS_USER },
                { l->n_time_offsets > 0, "timeOffsets", RQ_NS_TIME },
                { l->n_masked_paths > 0, "maskedPaths", RQ_NS_MNT },
                { l->n_readonly_paths > 0, "readonlyPaths", RQ_NS_MNT },
                { l->n_net_devices > 0, "netDevices", RQ_NS_NET },
        };
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                int r = spec_needs_ns(c, l, rules[i].used, rules[i].field, rules[i].type);
                if (r < 0)
                        return r;
        }
        const rq_spec_namespace *time = find_ns(l, RQ_NS_TIME);
        if (l->n_time_offsets > 0 && time->path)
                return spec_error_at(c, "timeOffsets",
                                     "cannot be set when joining the time namespace %s",
                                     time->path);
        return 0;
}

SPEC_OBJECT_EXPORT(spec_linux_object, rq_spec_linux, linux_check,
                   F_ARRAY("namespaces", rq_spec_linux, namespaces, namespace_elem, 0),
                   F_ARRAY_POST("uidMappings", rq_spec_linux, uid_mappings, spec_idmap_elem, 0,
                                spec_post_idmaps),
                   F_ARRAY_POST("gidMappings", rq_spec_linux, gid_mappings, spec_idmap_elem, 0,
                                spec_post_idmaps),
                   F_LIST("timeOffsets", SPEC_MAP, rq_spec_linux, time_offsets, n_time_offsets,
                          time_offset_elem, 0, time_offsets_post),
                   F_ARRAY("devices", rq_spec_linux, devices, device_elem, 0),
                   F_STRING("cgroupsPath", rq_spec_linux, cgroups_path, 0),
                   F_OBJECT("resources", rq_spec_linux, resources, spec_resources_object),
                   F_LIST("sysctl", SPEC_MAP, rq_spec_linux, sysctl, n_sysctl, spec_kv_elem, 0,
                          sysctl_post),
                   F_LIST("netDevices", SPEC_MAP, rq_spec_linux, net_devices, n_net_devices,
                          net_device_elem, 0, net_devices_post),
                   F_CUSTOM("seccomp", rq_spec_linux, seccomp, 0, read_seccomp),
                   F_ENUM("rootfsPropagation", rq_spec_linux, rootfs_propagation, 0,
                          propagation_enum),
                   F_ARRAY("maskedPaths", rq_spec_linux, masked_paths, spec_abspath_elem, 0),
                   F_ARRAY("readonlyPaths", rq_spec_linux, readonly_paths, spec_abspath_elem, 0),
                   F_STRING("mountLabel", rq_spec_linux, mount_label, 0),
                   F_OBJECT("intelRdt", rq_spec_linux, intel_rdt, intel_rdt_object),
                   F_OBJECT("memoryPolicy", rq_spec_linux, memory_policy, memory_policy_object),
                   F_OBJECT("personality", rq_spec_linux, personality, personality_object));
