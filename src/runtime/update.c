/* rongqi-runtime update: runc's flags (and -r, a linux.resources JSON object) turned into one
 * linux.resources object of changes for rq_container_update(). Flags win over -r. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"
#include "lib/log.h"
#include "lib/container.h"
#include "runtime/runtime.h"

enum value_kind {
        VALUE_SIZE, /* a memory size with a unit, or -1 */
        VALUE_INT, /* any int64 */
        VALUE_UINT, /* >= 0 */
        VALUE_STRING,
        VALUE_RDT, /* linux.intelRdt, which this version does not apply */
};

static const struct update_flag {
        const char *name;
        const char *object, *member; /* linux.resources.<object>.<member> */
        enum value_kind kind;
        const char *help;
} flags[] = {
        { "blkio-weight", "blockIO", "weight", VALUE_UINT, "block I/O weight, 10 to 1000" },
        { "cpu-period", "cpu", "period", VALUE_UINT, "CFS period (microseconds)" },
        { "cpu-quota", "cpu", "quota", VALUE_INT, "CFS quota per period (microseconds)" },
        { "cpu-burst", "cpu", "burst", VALUE_UINT, "CFS burst (microseconds)" },
        { "cpu-rt-period", "cpu", "realtimePeriod", VALUE_UINT, "realtime period (microseconds)" },
        { "cpu-rt-runtime", "cpu", "realtimeRuntime", VALUE_INT,
          "realtime runtime per period (microseconds)" },
        { "cpu-share", "cpu", "shares", VALUE_UINT, "relative cpu weight (v1 shares)" },
        { "cpu-idle", "cpu", "idle", VALUE_INT, "1: SCHED_IDLE for the cgroup" },
        { "cpuset-cpus", "cpu", "cpus", VALUE_STRING, "cpus to run on (0-3,7)" },
        { "cpuset-mems", "cpu", "mems", VALUE_STRING, "memory nodes to use (0-1)" },
        { "kernel-memory", "memory", "kernel", VALUE_SIZE, "kernel memory limit (v1)" },
        { "kernel-memory-tcp", "memory", "kernelTCP", VALUE_SIZE, "kernel TCP buffer limit (v1)" },
        { "memory", "memory", "limit", VALUE_SIZE, "memory limit (64m, 1g; -1: none)" },
        { "memory-reservation", "memory", "reservation", VALUE_SIZE, "memory soft limit" },
        { "memory-swap", "memory", "swap", VALUE_SIZE, "memory plus swap limit (-1: none)" },
        { "pids-limit", "pids", "limit", VALUE_INT, "maximum number of tasks (-1: none)" },
        { "l3-cache-schema", NULL, NULL, VALUE_RDT, "Intel RDT L3 cache schema" },
        { "mem-bw-schema", NULL, NULL, VALUE_RDT, "Intel RDT memory bandwidth schema" },
};

static void usage(void)
{
        printf("Usage: rongqi-runtime update [options] <container-id>\n\n"
               "Change the cgroup limits of a created, running or paused container. The new\n"
               "values are kept in its state directory (the bundle is not changed).\n\n"
               "Options:\n"
               "  -r, --resources FILE      a linux.resources JSON object (- for stdin)\n");
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                printf("  --%-23s %s\n", flags[i].name, flags[i].help);
}

/* Read -r's JSON object (stdin for "-"). */
static json_t *load_resources(const char *file)
{
        json_error_t jerr;
        json_t *j = streq(file, "-") ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
        if (!j) {
                runtime_usage("update", "-r %s: %s (line %d)", file, jerr.text, jerr.line);
                return NULL;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                runtime_usage("update", "-r %s: not a JSON object (linux.resources)", file);
                return NULL;
        }
        return j;
}

static int set_flag(json_t *changes, const struct update_flag *f, const char *arg)
{
        int64_t v = 0;
        json_t *value;
        switch (f->kind) {
        case VALUE_RDT:
                rq_err("--%s: linux.intelRdt is not applied by this version of rongqi-runtime",
                       f->name);
                return -1;
        case VALUE_STRING:
                value = json_string(arg);
                break;
        case VALUE_SIZE:
                if (!streq(arg, "-1") && parse_size(arg, &v) < 0)
                        return runtime_usage("update",
                                             "--%s \"%s\": not a size (a number with an optional "
                                             "unit k, m, g, t, p: 64m, 1.5g, 512KiB) or -1",
                                             f->name, arg),
                               -1;
                value = json_integer(streq(arg, "-1") ? -1 : v);
                break;
        default:
                if (parse_int64(arg, &v) < 0 || (f->kind == VALUE_UINT && v < 0))
                        return runtime_usage("update", "--%s \"%s\": not %s", f->name, arg,
                                             f->kind == VALUE_UINT ? "a number >= 0" : "a number"),
                               -1;
                value = json_integer(v);
        }
        json_t *obj = json_object_get(changes, f->object);
        if (!obj) {
                obj = json_object();
                json_object_set_new(changes, f->object, obj);
        }
        return json_object_set_new(obj, f->member, value) < 0 ? -1 : 0;
}

int cmd_update(const runtime_globals *g, int argc, char **argv)
{
        struct option opts[ELEMENTSOF(flags) + 3] = {
                { "resources", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
        };
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                opts[i + 2] = (struct option){ flags[i].name, required_argument, NULL, 0 };
        const char *values[ELEMENTSOF(flags)] = { 0 };
        const char *resources = NULL;
        int c, idx;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+r:h", opts, &idx)) != -1) {
                if (c == 0)
                        values[idx - 2] = optarg;
                else if (c == 'r')
                        resources = optarg;
                else if (c == 'h')
                        return usage(), 0;
                else
                        return runtime_usage("update",
                                             "unknown option '%s' (or its value is "
                                             "missing)",
                                             argv[optind - 1]);
        }
        const char *id;
        if (runtime_one_id("update", argc, argv, &id) < 0)
                return 1;
        _cleanup_(json_decrefp) json_t *changes =
                resources ? load_resources(resources) : json_object();
        if (!changes)
                return 1;
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (values[i] && set_flag(changes, &flags[i], values[i]) < 0)
                        return 1;
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        return rq_container_update(root, id, changes, &e) < 0 ? runtime_fail(e) : 0;
}
