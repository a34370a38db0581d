/* The default config.json (`rongqi-runtime spec`): the document `runc spec` writes, and its
 * rootless variant (`runc spec --rootless`), generated with jansson. */
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "lib/spec-internal.h"

static json_t *strings(const char *const *v, size_t n, const char *skip_prefix)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (!(skip_prefix && startswith(v[i], skip_prefix)) &&
                    json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

typedef struct default_mount {
        const char *destination, *type, *source;
        const char *options[6];
        size_t n_options;
} default_mount;

static const default_mount default_mounts[] = {
        { "/proc", "proc", "proc", {}, 0 },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" }, 4 },
        { "/dev/pts",
          "devpts",
          "devpts",
          { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" },
          6 },
        { "/dev/shm",
          "tmpfs",
          "shm",
          { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" },
          5 },
        { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" }, 3 },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" }, 4 },
        { "/sys/fs/cgroup",
          "cgroup",
          "cgroup",
          { "nosuid", "noexec", "nodev", "relatime", "ro" },
          5 },
};

/* Without CAP_SYS_ADMIN over the host's network namespace a fresh sysfs cannot be mounted, so a
 * rootless container binds the host's /sys; ids other than its own are not mapped, so no
 * "gid=5" for devpts (as runc's ToRootless). The recursive bind brings the host's
 * /sys/fs/cgroup along, so the rootless spec has no "cgroup" mount of its own: an unprivileged
 * user cannot mount a v1 hierarchy. */
static const default_mount rootless_sys = {
        "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro" }, 5
};

static json_t *mounts_json(bool rootless)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < ELEMENTSOF(default_mounts); i++) {
                const default_mount *m = &default_mounts[i];
                if (rootless && streq(m->destination, "/sys"))
                        m = &rootless_sys;
                else if (rootless && streq(m->type, "cgroup"))
                        continue;
                json_t *o = json_pack("{s:s, s:s, s:s}", "destination", m->destination, "type",
                                      m->type, "source", m->source);
                if (o && m->n_options > 0 &&
                    json_object_set_new(
                            o, "options",
                            strings(m->options, m->n_options, rootless ? "gid=" : NULL)) < 0)
                        json_decref(TAKE_PTR(o));
                if (json_array_append_new(a, o) < 0)
                        json_decref(TAKE_PTR(a));
        }
        return a;
}

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };

static const char *const masked_paths[] = {
        "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",       "/proc/scsi",
};

static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *process_json(void)
{
        return json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, "
                         "s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], s:b}",
                         "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "TERM=xterm", "cwd", "/", "capabilities", "bounding",
                         strings(default_caps, ELEMENTSOF(default_caps), NULL), "effective",
                         strings(default_caps, ELEMENTSOF(default_caps), NULL), "permitted",
                         strings(default_caps, ELEMENTSOF(default_caps), NULL), "rlimits", "type",
                         "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
}

/* runc adds a cgroup namespace only on a unified (v2) hierarchy: on v1 the container's
 * /sys/fs/cgroup mounts would show the host's paths anyway. */
static bool cgroup2_unified(void)
{
        struct statfs fs;
        return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static json_t *namespaces_json(bool rootless)
{
        const char *types[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", "user" };
        json_t *a = json_array();
        for (size_t i = 0; a && i < ELEMENTSOF(types); i++) {
                if ((streq(types[i], "network") && rootless) ||
                    (streq(types[i], "user") && !rootless) ||
                    (streq(types[i], "cgroup") && !cgroup2_unified()))
                        continue;
                if (json_array_append_new(a, json_pack("{s:s}", "type", types[i])) < 0)
                        json_decref(TAKE_PTR(a));
        }
        return a;
}

static json_t *linux_json(bool rootless)
{
        json_t *l =
                json_pack("{s:o, s:o, s:o}", "namespaces", namespaces_json(rootless), "maskedPaths",
                          strings(masked_paths, ELEMENTSOF(masked_paths), NULL), "readonlyPaths",
                          strings(readonly_paths, ELEMENTSOF(readonly_paths), NULL));
        if (!l)
                return NULL;
        int r;
        if (rootless)
                /* Only the caller's own ids: what an unprivileged user may map
                 * (user_namespaces(7)). */
                r = json_object_update_new(
                        l, json_pack("{s:[{s:i, s:I, s:i}], s:[{s:i, s:I, s:i}]}", "uidMappings",
                                     "containerID", 0, "hostID", (json_int_t)geteuid(), "size", 1,
                                     "gidMappings", "containerID", 0, "hostID",
                                     (json_int_t)getegid(), "size", 1));
        else
                r = json_object_set_new(
                        l, "resources",
                        json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
        if (r < 0)
                json_decref(TAKE_PTR(l));
        return l;
}

char *rq_spec_default(bool rootless)
{
        _cleanup_(json_decrefp) json_t *spec = json_pack(
                "{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", RQ_SPEC_VERSION, "process",
                process_json(), "root", "path", "rootfs", "readonly", 1, "hostname", "rongqi",
                "mounts", mounts_json(rootless), "linux", linux_json(rootless));
        if (!spec)
                return NULL;
        return json_dumps(spec, JSON_INDENT(8));
}
