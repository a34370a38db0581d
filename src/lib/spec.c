/* config.json: the document as a whole (ociVersion, root, mounts, process, hooks, annotations),
 * the rules that cross its parts (a hostname needs a uts namespace), mount option parsing, and
 * the memory of a parsed spec. The linux object is in spec-linux.c, its resources in
 * spec-resources.c, the reader these tables drive in spec-json.c. */
#include "lib/spec.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "basic/fd-util.h"
#include "basic/string-util.h"
#include "lib/spec-internal.h"

#ifndef IOPRIO_CLASS_RT
#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

/* ---- memory ------------------------------------------------------------------------------ */

struct rq_spec_block {
        struct rq_spec_block *next;
        max_align_t data[];
};

void *rq_spec_alloc(rq_spec *spec, size_t size)
{
        struct rq_spec_block *b = calloc(1, sizeof(*b) + size);
        if (!b)
                return NULL;
        b->next = spec->blocks_;
        spec->blocks_ = b;
        return b->data;
}

char *rq_spec_strdup(rq_spec *spec, const char *s)
{
        size_t n = strlen(s) + 1;
        char *copy = rq_spec_alloc(spec, n);
        return copy ? memcpy(copy, s, n) : NULL;
}

void rq_spec_free(rq_spec *spec)
{
        if (!spec)
                return;
        while (spec->blocks_) {
                struct rq_spec_block *next = spec->blocks_->next;
                free(spec->blocks_);
                spec->blocks_ = next;
        }
        free(spec);
}

const rq_spec_namespace *rq_spec_namespace_find(const rq_spec *spec, rq_ns_type type)
{
        if (!spec->linux_)
                return NULL;
        for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
                if (spec->linux_->namespaces[i].type == type)
                        return &spec->linux_->namespaces[i];
        return NULL;
}

/* ---- checks shared with spec-linux.c and spec-resources.c ------------------------------- */

bool spec_list_valid(const char *s, size_t *ret_count)
{
        size_t count = 0;
        while (*s) {
                char *end;
                if (*s < '0' || *s > '9')
                        return false;
                unsigned long lo = strtoul(s, &end, 10), hi = lo;
                if (*end == '-') {
                        if (end[1] < '0' || end[1] > '9')
                                return false;
                        hi = strtoul(end + 1, &end, 10);
                }
                if (hi < lo || hi > 1u << 20)
                        return false;
                count += hi - lo + 1;
                if (*end == ',' && end[1])
                        end++;
                else if (*end)
                        return false;
                s = end;
        }
        if (ret_count)
                *ret_count = count;
        return true;
}

int spec_post_list(spec_ctx *c, const spec_field *f, void *base)
{
        const char *s = *(char **)spec_at(base, f->offset);
        if (spec_list_valid(s, NULL))
                return 0;
        return spec_error(c, "\"%s\" is not a list of numbers and ranges (like 0-3,7)", s);
}

static bool ranges_overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
        return (uint64_t)a < (uint64_t)b + size_b && (uint64_t)b < (uint64_t)a + size_a;
}

int spec_post_idmaps(spec_ctx *c, const spec_field *f, void *base)
{
        const rq_spec_idmap *m = *(rq_spec_idmap **)spec_at(base, f->offset);
        size_t n = *(size_t *)spec_at(base, f->aux);
        for (size_t i = 0; i < n; i++) {
                if (m[i].size == 0)
                        return spec_error_elem(c, NULL, i, "size", "must be greater than 0");
                if ((uint64_t)m[i].container_id + m[i].size > UINT64_C(1) << 32 ||
                    (uint64_t)m[i].host_id + m[i].size > UINT64_C(1) << 32)
                        return spec_error_elem(c, NULL, i, NULL, "the range ends above 4294967295");
                for (size_t j = 0; j < i; j++) {
                        if (ranges_overlap(m[i].container_id, m[j].container_id, m[i].size,
                                           m[j].size))
                                return spec_error_elem(c, NULL, i, "containerID",
                                                       "the range overlaps that of [%zu]", j);
                        if (ranges_overlap(m[i].host_id, m[j].host_id, m[i].size, m[j].size))
                                return spec_error_elem(c, NULL, i, "hostID",
                                                       "the range overlaps that of [%zu]", j);
                }
        }
        return 0;
}

SPEC_OBJECT_DEF(idmap_object, rq_spec_idmap, NULL,
                F_INT("containerID", rq_spec_idmap, container_id, SPEC_REQUIRED),
                F_INT("hostID", rq_spec_idmap, host_id, SPEC_REQUIRED),
                F_INT("size", rq_spec_idmap, size, SPEC_REQUIRED));
const spec_field spec_idmap_elem = E_INLINE(idmap_object);

/* ---- ociVersion -------------------------------------------------------------------------- */

/* Dot-separated non-empty identifiers of [0-9A-Za-z-] (a SemVer pre-release or build). */
static const char *semver_identifiers(const char *s)
{
        for (;;) {
                size_t n = strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ-");
                if (n == 0)
                        return NULL;
                s += n;
                if (*s != '.')
                        return s;
                s++;
        }
}

static int parse_semver(const char *s, unsigned v[3])
{
        for (int k = 0; k < 3; k++) {
                char *end;
                if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
                        return -EINVAL;
                errno = 0;
                unsigned long x = strtoul(s, &end, 10);
                if (errno == ERANGE || x > UINT32_MAX)
                        return -EINVAL;
                v[k] = (unsigned)x;
                s = end;
                if (k < 2 && *s++ != '.')
                        return -EINVAL;
        }
        if (*s == '-')
                s = semver_identifiers(s + 1);
        if (s && *s == '+')
                s = semver_identifiers(s + 1);
        return s && !*s ? 0 : -EINVAL;
}

static int version_post(spec_ctx *c, const spec_field *f, void *base)
{
        rq_spec *spec = base;
        unsigned ver[3];
        if (parse_semver(spec->oci_version, ver) < 0)
                return spec_error(c, "\"%s\" is not a semantic version (MAJOR.MINOR.PATCH)",
                                  spec->oci_version);
        if (ver[0] != RQ_SPEC_VERSION_MAJOR) {
                int r = spec_error(c,
                                   "version \"%s\" is not supported: rongqi reads runtime-spec "
                                   "%d.x (1.0.0 to " RQ_SPEC_VERSION " and later 1.x releases)",
                                   spec->oci_version, RQ_SPEC_VERSION_MAJOR);
                rq_error_hint(c->reterr, "write a config.json for runtime-spec " RQ_SPEC_VERSION);
                return r;
        }
        spec->version_major = ver[0];
        spec->version_minor = ver[1];
        spec->version_patch = ver[2];
        return 0;
}

/* ---- mounts ------------------------------------------------------------------------------ */

typedef enum mount_opt_kind {
        OPT_NOTHING, /* "defaults": the flags of a plain mount */
        OPT_SET, /* a mount(2) flag */
        OPT_CLEAR, /* the opposite of one ("rw") */
        OPT_PROPAGATION,
        OPT_ATTR_SET, /* mount_setattr(AT_RECURSIVE) */
        OPT_ATTR_CLEAR,
        OPT_EXTENSION,
        OPT_IDMAP,
} mount_opt_kind;

static const struct mount_opt {
        const char *name;
        mount_opt_kind kind;
        uint64_t value;
} mount_opts[] = {
        { "defaults", OPT_NOTHING, 0 },
        { "ro", OPT_SET, MS_RDONLY },
        { "rw", OPT_CLEAR, MS_RDONLY },
        { "nosuid", OPT_SET, MS_NOSUID },
        { "suid", OPT_CLEAR, MS_NOSUID },
        { "nodev", OPT_SET, MS_NODEV },
        { "dev", OPT_CLEAR, MS_NODEV },
        { "noexec", OPT_SET, MS_NOEXEC },
        { "exec", OPT_CLEAR, MS_NOEXEC },
        { "sync", OPT_SET, MS_SYNCHRONOUS },
        { "async", OPT_CLEAR, MS_SYNCHRONOUS },
        { "remount", OPT_SET, MS_REMOUNT },
        { "mand", OPT_SET, MS_MANDLOCK },
        { "nomand", OPT_CLEAR, MS_MANDLOCK },
        { "dirsync", OPT_SET, MS_DIRSYNC },
        { "noatime", OPT_SET, MS_NOATIME },
        { "atime", OPT_CLEAR, MS_NOATIME },
        { "nodiratime", OPT_SET, MS_NODIRATIME },
        { "diratime", OPT_CLEAR, MS_NODIRATIME },
        { "relatime", OPT_SET, MS_RELATIME },
        { "norelatime", OPT_CLEAR, MS_RELATIME },
        { "strictatime", OPT_SET, MS_STRICTATIME },
        { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
        { "lazytime", OPT_SET, MS_LAZYTIME },
        { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
        { "iversion", OPT_SET, MS_I_VERSION },
        { "noiversion", OPT_CLEAR, MS_I_VERSION },
        { "silent", OPT_SET, MS_SILENT },
        { "loud", OPT_CLEAR, MS_SILENT },
        { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
        { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
        { "bind", OPT_SET, MS_BIND },
        { "rbind", OPT_SET, MS_BIND | MS_REC },
        { "private", OPT_PROPAGATION, MS_PRIVATE },
        { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
        { "shared", OPT_PROPAGATION, MS_SHARED },
        { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
        { "slave", OPT_PROPAGATION, MS_SLAVE },
        { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
        { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
        { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
        { "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },
        { "rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY },
        { "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },
        { "rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID },
        { "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },
        { "rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV },
        { "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },
        { "rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC },
        { "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME },
        { "rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME },
        { "rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME },
        { "rnorelatime", OPT_ATTR_CLEAR, MOUNT_ATTR_RELATIME },
        { "rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME },
        { "ratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NOATIME },
        { "rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME },
        { "rnostrictatime", OPT_ATTR_CLEAR, MOUNT_ATTR_STRICTATIME },
        { "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
        { "rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
        { "tmpcopyup", OPT_EXTENSION, RQ_MOUNT_EXT_TMPCOPYUP },
        { "idmap", OPT_IDMAP, RQ_MOUNT_IDMAP },
        { "ridmap", OPT_IDMAP, RQ_MOUNT_IDMAP_RECURSIVE },
};

static void set_clear(uint64_t *set, uint64_t *clear, uint64_t bits, bool on)
{
        *(on ? set : clear) |= bits;
        *(on ? clear : set) &= ~bits;
}

static int apply_mount_opt(const struct mount_opt *o, rq_mount_options *m)
{
        uint64_t flags = m->flags, cleared = m->cleared;
        switch (o->kind) {
        case OPT_NOTHING:
                break;
        case OPT_SET:
        case OPT_CLEAR:
                set_clear(&flags, &cleared, o->value, o->kind == OPT_SET);
                break;
        case OPT_PROPAGATION:
                if (m->n_propagation >= RQ_MOUNT_PROPAGATION_MAX)
                        return -E2BIG;
                m->propagation[m->n_propagation++] = (unsigned long)o->value;
                break;
        case OPT_ATTR_SET:
        case OPT_ATTR_CLEAR:
                set_clear(&m->attr_set, &m->attr_clr, o->value, o->kind == OPT_ATTR_SET);
                /* mount_setattr(2): an atime mode is only changed with MOUNT_ATTR__ATIME in
                 * attr_clr (MOUNT_ATTR_RELATIME is 0, so it matches too). */
                if ((o->value & MOUNT_ATTR__ATIME) == o->value)
                        m->attr_clr |= MOUNT_ATTR__ATIME;
                break;
        case OPT_EXTENSION:
                m->extensions |= (unsigned)o->value;
                break;
        case OPT_IDMAP:
                m->idmap = (rq_mount_idmap)o->value;
                break;
        }
        m->flags = (unsigned long)flags;
        m->cleared = (unsigned long)cleared;
        return 0;
}

int rq_mount_options_parse(char *const *options, size_t n, rq_mount_options *ret, char *data_buf)
{
        rq_mount_options m = { .idmap = RQ_MOUNT_IDMAP_NONE };
        size_t data_len = 0;
        for (size_t i = 0; i < n; i++) {
                const struct mount_opt *o = NULL;
                for (size_t k = 0; k < ELEMENTSOF(mount_opts) && !o; k++)
                        if (streq(mount_opts[k].name, options[i]))
                                o = &mount_opts[k];
                if (o) {
                        int r = apply_mount_opt(o, &m);
                        if (r < 0)
                                return r;
                } else if (data_buf) {
                        /* Unknown: filesystem data, as mount(8) and runc do. */
                        if (data_len > 0)
                                data_buf[data_len++] = ',';
                        size_t len = strlen(options[i]);
                        memcpy(data_buf + data_len, options[i], len + 1);
                        data_len += len;
                        m.data = data_buf;
                }
        }
        *ret = m;
        return 0;
}

static int mount_check(spec_ctx *c, json_t *json, void *obj)
{
        rq_spec_mount *m = obj;
        size_t need = 1;
        for (size_t i = 0; i < m->n_options; i++)
                need += strlen(m->options[i]) + 1;
        char *data = spec_alloc(c, need);
        if (!data)
                return spec_oom(c);
        if (rq_mount_options_parse(m->options, m->n_options, &m->parsed, data) < 0)
                return spec_error_at(c, "options", "more than %d propagation options",
                                     RQ_MOUNT_PROPAGATION_MAX);
        if (!m->uid_mappings != !m->gid_mappings)
                return spec_error(c, "uidMappings and gidMappings go together: give both");
        return 0;
}

SPEC_OBJECT_DEF(mount_object, rq_spec_mount, mount_check,
                F_STRING("destination", rq_spec_mount, destination, SPEC_REQUIRED | SPEC_ABSOLUTE),
                F_STRING("source", rq_spec_mount, source, 0),
                F_STRING("type", rq_spec_mount, type, 0),
                F_ARRAY("options", rq_spec_mount, options, spec_string_elem, 0),
                F_ARRAY_POST("uidMappings", rq_spec_mount, uid_mappings, spec_idmap_elem, 0,
                             spec_post_idmaps),
                F_ARRAY_POST("gidMappings", rq_spec_mount, gid_mappings, spec_idmap_elem, 0,
                             spec_post_idmaps));
static const spec_field mount_elem = E_INLINE(mount_object);

/* ---- process ----------------------------------------------------------------------------- */

static int cap_lookup(const char *name, int64_t *ret)
{
        /* The spec's spelling only (as runc): "CAP_" and upper case; libcap would also take
         * "chown" or a number. */
        const char *rest = startswith(name, "CAP_");
        if (!rest || !*rest || rest[strspn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")])
                return -EINVAL;
        cap_value_t v;
        if (cap_from_name(name, &v) < 0 || v < 0 || v >= 64)
                return -EINVAL;
        *ret = v;
        return 0;
}

static const spec_enum cap_enum = { "capability", NULL, cap_lookup,
                                    "capabilities are named as in capabilities(7), in upper "
                                    "case: CAP_NET_ADMIN" };

#define F_CAPS(json, m) F_FLAGS(json, rq_spec_capabilities, m, SPEC_BITNO, cap_enum, SPEC_NO_AUX)
SPEC_OBJECT_DEF(caps_object, rq_spec_capabilities, NULL, F_CAPS("bounding", bounding),
                F_CAPS("effective", effective), F_CAPS("inheritable", inheritable),
                F_CAPS("permitted", permitted), F_CAPS("ambient", ambient));

SPEC_ENUM_DEF(rlimit_enum, "rlimit", SPEC_NAME(RLIMIT_AS), SPEC_NAME(RLIMIT_CORE),
              SPEC_NAME(RLIMIT_CPU), SPEC_NAME(RLIMIT_DATA), SPEC_NAME(RLIMIT_FSIZE),
              SPEC_NAME(RLIMIT_LOCKS), SPEC_NAME(RLIMIT_MEMLOCK), SPEC_NAME(RLIMIT_MSGQUEUE),
              SPEC_NAME(RLIMIT_NICE), SPEC_NAME(RLIMIT_NOFILE), SPEC_NAME(RLIMIT_NPROC),
              SPEC_NAME(RLIMIT_RSS), SPEC_NAME(RLIMIT_RTPRIO), SPEC_NAME(RLIMIT_RTTIME),
              SPEC_NAME(RLIMIT_SIGPENDING), SPEC_NAME(RLIMIT_STACK));

static int rlimit_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_rlimit *l = obj;
        if (l->soft > l->hard)
                return spec_error(c, "the soft limit %" PRIu64 " is above the hard limit %" PRIu64,
                                  l->soft, l->hard);
        return 0;
}

SPEC_OBJECT_DEF(rlimit_object, rq_spec_rlimit, rlimit_check,
                F_ENUM("type", rq_spec_rlimit, type, SPEC_REQUIRED | SPEC_UNIQUE, rlimit_enum),
                F_INT("hard", rq_spec_rlimit, hard, SPEC_REQUIRED),
                F_INT("soft", rq_spec_rlimit, soft, SPEC_REQUIRED));
static const spec_field rlimit_elem = E_INLINE(rlimit_object);

static int env_post(spec_ctx *c, const spec_field *f, void *base)
{
        char **env = *(char ***)spec_at(base, f->offset);
        for (size_t i = 0; env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq || eq == env[i])
                        return spec_error_elem(c, NULL, i, NULL, "\"%s\" is not NAME=VALUE",
                                               env[i]);
        }
        return 0;
}

SPEC_ENUM_DEF(sched_policy_enum, "scheduler policy", SPEC_NAME(SCHED_OTHER), SPEC_NAME(SCHED_FIFO),
              SPEC_NAME(SCHED_RR), SPEC_NAME(SCHED_BATCH), SPEC_NAME(SCHED_ISO),
              SPEC_NAME(SCHED_IDLE), SPEC_NAME(SCHED_DEADLINE));

SPEC_ENUM_DEF(sched_flag_enum, "scheduler flag", SPEC_NAME(SCHED_FLAG_RESET_ON_FORK),
              SPEC_NAME(SCHED_FLAG_RECLAIM), SPEC_NAME(SCHED_FLAG_DL_OVERRUN),
              SPEC_NAME(SCHED_FLAG_KEEP_POLICY), SPEC_NAME(SCHED_FLAG_KEEP_PARAMS),
              SPEC_NAME(SCHED_FLAG_UTIL_CLAMP_MIN), SPEC_NAME(SCHED_FLAG_UTIL_CLAMP_MAX));

/* The rules runc checks (libcontainer/configs/validate): what each policy may set. */
static int scheduler_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec_scheduler *s = obj;
        bool realtime = s->policy == SCHED_FIFO || s->policy == SCHED_RR;
        if ((s->policy == SCHED_OTHER || s->policy == SCHED_BATCH) &&
            (s->nice < -20 || s->nice > 19))
                return spec_error(c, "nice %d is out of range (-20 to 19)", s->nice);
        if (s->priority != 0 && !realtime)
                return spec_error(c, "priority is only for SCHED_FIFO and SCHED_RR");
        if (s->policy != SCHED_DEADLINE && (s->runtime || s->deadline || s->period))
                return spec_error(c, "runtime, deadline and period are only for SCHED_DEADLINE");
        return 0;
}

SPEC_OBJECT_DEF(scheduler_object, rq_spec_scheduler, scheduler_check,
                F_ENUM("policy", rq_spec_scheduler, policy, SPEC_REQUIRED, sched_policy_enum),
                F_INT("nice", rq_spec_scheduler, nice, 0),
                F_INT("priority", rq_spec_scheduler, priority, 0),
                F_FLAGS("flags", rq_spec_scheduler, flags, 0, sched_flag_enum, SPEC_NO_AUX),
                F_INT("runtime", rq_spec_scheduler, runtime, 0),
                F_INT("deadline", rq_spec_scheduler, deadline, 0),
                F_INT("period", rq_spec_scheduler, period, 0));

SPEC_ENUM_DEF(ioprio_class_enum, "I/O priority class", SPEC_NAME(IOPRIO_CLASS_RT),
              SPEC_NAME(IOPRIO_CLASS_BE), SPEC_NAME(IOPRIO_CLASS_IDLE));

SPEC_OBJECT_DEF(io_priority_object, rq_spec_io_priority, NULL,
                F_ENUM("class", rq_spec_io_priority, class, SPEC_REQUIRED, ioprio_class_enum),
                F_INT_RANGE("priority", rq_spec_io_priority, priority, 0, 0, 7));

SPEC_OBJECT_DEF(cpu_affinity_object, rq_spec_cpu_affinity, NULL,
                F_STRING_POST("initial", rq_spec_cpu_affinity, initial, 0, spec_post_list),
                F_STRING_POST("final", rq_spec_cpu_affinity, final, 0, spec_post_list));

SPEC_OBJECT_DEF(box_object, rq_spec_box, NULL, F_INT("height", rq_spec_box, height, SPEC_REQUIRED),
                F_INT("width", rq_spec_box, width, SPEC_REQUIRED));

static const spec_field gid_elem = E_INT(uint32_t);

SPEC_OBJECT_DEF(user_object, rq_spec_user, NULL, F_INT("uid", rq_spec_user, uid, 0),
                F_INT("gid", rq_spec_user, gid, 0),
                F_OPT_INT_RANGE("umask", rq_spec_user, umask, 0, 07777),
                F_ARRAY("additionalGids", rq_spec_user, additional_gids, gid_elem, 0),
                F_STRING("username", rq_spec_user, username, 0));

SPEC_OBJECT_DEF(
        process_object, rq_spec_process, NULL, F_BOOL("terminal", rq_spec_process, terminal),
        F_OBJECT("consoleSize", rq_spec_process, console_size, box_object),
        F_INLINE("user", rq_spec_process, user, user_object),
        F_ARRAY("args", rq_spec_process, args, spec_string_elem, SPEC_REQUIRED | SPEC_NONEMPTY),
        F_STRING("commandLine", rq_spec_process, command_line, 0),
        F_ARRAY_POST("env", rq_spec_process, env, spec_string_elem, 0, env_post),
        F_STRING("cwd", rq_spec_process, cwd, SPEC_REQUIRED | SPEC_ABSOLUTE),
        F_OBJECT("capabilities", rq_spec_process, capabilities, caps_object),
        F_ARRAY("rlimits", rq_spec_process, rlimits, rlimit_elem, 0),
        F_BOOL("noNewPrivileges", rq_spec_process, no_new_privileges),
        F_STRING("apparmorProfile", rq_spec_process, apparmor_profile, 0),
        F_OPT_INT_RANGE("oomScoreAdj", rq_spec_process, oom_score_adj, -1000, 1000),
        F_OBJECT("scheduler", rq_spec_process, scheduler, scheduler_object),
        F_STRING("selinuxLabel", rq_spec_process, selinux_label, 0),
        F_OBJECT("ioPriority", rq_spec_process, io_priority, io_priority_object),
        F_OBJECT("execCPUAffinity", rq_spec_process, exec_cpu_affinity, cpu_affinity_object));

/* ---- hooks, root, the document ------------------------------------------------------------ */

SPEC_OBJECT_DEF(hook_object, rq_spec_hook, NULL,
                F_STRING("path", rq_spec_hook, path, SPEC_REQUIRED | SPEC_ABSOLUTE),
                F_ARRAY("args", rq_spec_hook, args, spec_string_elem, 0),
                F_ARRAY_POST("env", rq_spec_hook, env, spec_string_elem, 0, env_post),
                F_OPT_INT_RANGE("timeout", rq_spec_hook, timeout, 1, INT32_MAX));
static const spec_field hook_elem = E_INLINE(hook_object);

#define F_HOOKS(json, kind)                                                                        \
        F_LIST(json, SPEC_ARRAY, rq_spec_hooks, list[kind].hooks, list[kind].n_hooks, hook_elem,   \
               0, NULL)
static const spec_field hook_fields[] = {
        F_HOOKS("prestart", RQ_HOOK_PRESTART),
        F_HOOKS("createRuntime", RQ_HOOK_CREATE_RUNTIME),
        F_HOOKS("createContainer", RQ_HOOK_CREATE_CONTAINER),
        F_HOOKS("startContainer", RQ_HOOK_START_CONTAINER),
        F_HOOKS("poststart", RQ_HOOK_POSTSTART),
        F_HOOKS("poststop", RQ_HOOK_POSTSTOP),
};

SPEC_OBJECT_DEF(root_object, rq_spec_root, NULL,
                F_STRING("path", rq_spec_root, path, SPEC_REQUIRED | SPEC_NONEMPTY),
                F_BOOL("readonly", rq_spec_root, readonly));

/* Rules that span the document: what needs which namespace. */
static int spec_check(spec_ctx *c, json_t *json, void *obj)
{
        const rq_spec *spec = obj;
        /* Without a uts namespace, sethostname() would rename the host (runc refuses too). */
        int r = spec_needs_ns(c, spec->linux_, spec->hostname, "hostname", RQ_NS_UTS);
        if (r >= 0)
                r = spec_needs_ns(c, spec->linux_, spec->domainname, "domainname", RQ_NS_UTS);
        if (r < 0)
                return r;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const rq_spec_mount *m = &spec->mounts[i];
                if (m->parsed.idmap == RQ_MOUNT_IDMAP_NONE || m->uid_mappings ||
                    rq_spec_namespace_find(spec, RQ_NS_USER))
                        continue;
                return spec_error_elem(c, "mounts", i, "options",
                                       "an id-mapped mount needs uidMappings and gidMappings, "
                                       "or a user namespace to take them from");
        }
        return 0;
}

const char *rq_hook_kind_to_string(rq_hook_kind kind)
{
        return kind >= 0 && kind < _RQ_HOOK_KIND_MAX ? hook_fields[kind].name : NULL;
}

static const spec_object hooks_object = { hook_fields, ELEMENTSOF(hook_fields),
                                          sizeof(rq_spec_hooks), NULL };

SPEC_OBJECT_DEF(top_object, rq_spec, spec_check,
                F_STRING_POST("ociVersion", rq_spec, oci_version, SPEC_REQUIRED, version_post),
                F_OBJECT("root", rq_spec, root, root_object),
                F_ARRAY("mounts", rq_spec, mounts, mount_elem, 0),
                F_OBJECT("process", rq_spec, process, process_object),
                F_STRING("hostname", rq_spec, hostname, 0),
                F_STRING("domainname", rq_spec, domainname, 0),
                F_OBJECT("hooks", rq_spec, hooks, hooks_object),
                F_MAP("annotations", rq_spec, annotations, spec_kv_elem),
                F_OBJECT("linux", rq_spec, linux_, spec_linux_object));

int rq_spec_parse(const char *json, size_t len, rq_spec **ret, rq_error **reterr)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ spec_wide *wide = NULL;
        size_t n_wide;
        int r = spec_wide_prepare(json, len, &text, &wide, &n_wide);
        if (r < 0)
                return rq_error_set(reterr, r, "parse config.json");

        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *root = json_loadb(text ? text : json, len, 0, &jerr);
        if (!root)
                return rq_error_invalid(reterr, "invalid JSON at line %d, column %d: %s", jerr.line,
                                        jerr.column, jerr.text);

        _cleanup_spec_ rq_spec *spec = calloc(1, sizeof(*spec));
        if (!spec)
                return rq_error_set(reterr, ENOMEM, "parse config.json");
        spec_ctx c = { .spec = spec, .reterr = reterr, .wide = wide, .n_wide = n_wide };
        r = spec_read_object(&c, &top_object, root, spec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(spec);
        return 0;
}

int rq_spec_load(int dirfd, const char *path, rq_spec **ret, rq_error **reterr)
{
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r = read_full_file_at(dirfd, path, &buf, &size);
        if (r < 0)
                return rq_error_set(reterr, r, "read %s", path);
        r = rq_spec_parse(buf, size, ret, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "%s", path);
        return 0;
}
