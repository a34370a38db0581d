/* rongqi-runtime spec | features. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "lib/cgroup.h"
#include "lib/ns.h"
#include "lib/spec.h"
#include "runtime/runtime.h"

int cmd_spec(const runtime_globals *g, int argc, char **argv)
{
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "rootless", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *bundle = ".";
        bool rootless = false;
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+b:h", opts, NULL)) != -1) {
                if (c == 'b')
                        bundle = optarg;
                else if (c == 'r')
                        rootless = true;
                else if (c == 'h') {
                        printf("Usage: rongqi-runtime spec [-b DIR] [--rootless]\n\n"
                               "Write a default config.json into DIR (default .).\n");
                        return 0;
                } else
                        return runtime_usage("spec", "unknown option '%s'", argv[optind - 1]);
        }
        _cleanup_close_ int dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) {
                fprintf(stderr, "rongqi-runtime: bundle %s: %s\n", bundle, strerror(errno));
                return 1;
        }
        _cleanup_free_ char *json = rq_spec_default(rootless);
        if (!json)
                return 1;
        _cleanup_close_ int fd =
                openat(dir, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "rongqi-runtime: %s/config.json: %s\n", bundle,
                        errno == EEXIST ? "file exists, remove it first" : strerror(errno));
                return 1;
        }
        if (write_all(fd, json, strlen(json)) < 0 || write_all(fd, "\n", 1) < 0) {
                fprintf(stderr, "rongqi-runtime: write config.json: %s\n", strerror(errno));
                return 1;
        }
        return 0;
}

static json_t *string_array(const char *const *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

int cmd_features(const runtime_globals *g, int argc, char **argv)
{
        static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                             "startContainer", "poststart",     "poststop" };
        /* What rq_mount_options_parse() turns into mount flags or propagation. */
        static const char *const mount_options[] = {
                "async",    "atime",       "bind",      "defaults",   "dev",      "diratime",
                "dirsync",  "exec",        "idmap",     "lazytime",   "mand",     "noatime",
                "nodev",    "nodiratime",  "noexec",    "nosuid",     "private",  "rbind",
                "relatime", "remount",     "ridmap",    "ro",         "rprivate", "rshared",
                "rslave",   "runbindable", "rw",        "shared",     "slave",    "strictatime",
                "suid",     "sync",        "tmpcopyup", "unbindable",
        };
        /* Every seccomp action rq_seccomp_compile() turns into a filter; SCMP_ACT_NOTIFY with
         * a listenerPath (seccomp-notify.h). */
        static const char *const seccomp_actions[] = {
                "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
        };
        /* The spec's names, in the order of the namespace table in ns.h. */
        static const char *const spec_ns_names[_RQ_NS_TYPE_MAX] = { "user",  "cgroup",  "ipc",
                                                                    "uts",   "network", "pid",
                                                                    "mount", "time" };
        /* linux.memoryPolicy: what the spec parser accepts (spec-linux.c), all of set_mempolicy(2).
         */
        static const char *const mpol_modes[] = {
                "MPOL_DEFAULT",    "MPOL_BIND",
                "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
                "MPOL_PREFERRED",  "MPOL_PREFERRED_MANY",
                "MPOL_LOCAL",
        };
        static const char *const mpol_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                                  "MPOL_F_STATIC_NODES" };
        json_t *ns = json_array();
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                if (rq_ns_supported((rq_ns_type)t))
                        json_array_append_new(ns, json_string(spec_ns_names[t]));
        /* Both backends are there; the annotation says which one this host uses. */
        rq_cgroup_mode mode = _RQ_CGROUP_MODE_INVALID;
        (void)rq_cgroup_detect(&mode, NULL);
        /* apparmor and selinux: supported (applied where the module is active, lsm.h). */
        json_t *o = json_pack(
                "{s:s, s:s, s:o, s:o, s:{s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:{s:b, s:o}, s:{s:b}, "
                "s:{s:b}, "
                "s:{s:{s:b}}, s:{s:o, s:o}, s:{s:b}}, s:{s:s}}",
                "ociVersionMin", "1.0.0", "ociVersionMax", "1.3.0", "hooks",
                string_array(hooks, ELEMENTSOF(hooks)), "mountOptions",
                string_array(mount_options, ELEMENTSOF(mount_options)), "linux", "namespaces", ns,
                "cgroup", "v1", true, "v2", true, "systemd", true, "systemdUser", false, "rdma",
                true, "seccomp", "enabled", true, "actions",
                string_array(seccomp_actions, ELEMENTSOF(seccomp_actions)), "apparmor", "enabled",
                true, "selinux", "enabled", true, "mountExtensions", "idmap", "enabled", true,
                "memoryPolicy", "modes", string_array(mpol_modes, ELEMENTSOF(mpol_modes)), "flags",
                string_array(mpol_flags, ELEMENTSOF(mpol_flags)), "netDevices", "enabled", true,
                "annotations", "io.github.rongqi.cgroup.mode", rq_cgroup_mode_to_string(mode));
        if (!o)
                return 1;
        char *text = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!text)
                return 1;
        printf("%s\n", text);
        free(text);
        return 0;
}
