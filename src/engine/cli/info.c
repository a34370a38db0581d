/* rongqi info: the host as rongqi sees it (kernel, cgroup mode and hierarchies, namespaces,
 * rootless or not) and where the engine keeps everything. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "config.h"
#include "engine/cli/cli.h"
#include "lib/cgroup.h"

static json_t *cgroup_json(void)
{
        rq_cgroup_mode mode = _RQ_CGROUP_MODE_INVALID;
        _cleanup_error_ rq_error *err = NULL;
        if (rq_cgroup_detect(&mode, &err) < 0)
                return json_pack("{s:s}", "mode", "unknown");
        json_t *h = json_array();
        rq_cgroup cg = {};
        if (rq_cgroup_open("", &cg, NULL) >= 0) {
                for (size_t i = 0; i < cg.n_dirs; i++)
                        json_array_append_new(
                                h, json_pack("{s:s, s:s}", "path", cg.dirs[i], "controllers",
                                             cg.dirs[i] == cg.unified ? "(cgroup2)"
                                                                      : cg.controllers[i]));
                rq_cgroup_done(&cg);
        }
        return json_pack("{s:s, s:s, s:s, s:o}", "mode", rq_cgroup_mode_to_string(mode), "version",
                         mode == RQ_CGROUP_V2 ? "v2" : "v1", "manager", "cgroupfs", "hierarchies",
                         h);
}

int cmd_info(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *format = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1)
                switch (c) {
                case 'f':
                        format = optarg;
                        break;
                case 'h':
                        printf("Usage: rongqi info [--format json|TEMPLATE]\n\n"
                               "Show the host's container facilities and where rongqi keeps "
                               "its data.\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi info", "invalid option");
                }
        struct utsname u;
        uname(&u);

        /* Counting images needs the store; an absent one is reported, not created. */
        json_int_t images = 0;
        _cleanup_free_ char *dbpath = strprintf("%s/rongqi.db", e->root);
        if (dbpath && access(dbpath, F_OK) == 0) {
                _cleanup_(rq_store_closep) rq_store *s = NULL;
                rq_db_image *imgs = NULL;
                size_t n = 0;
                if (rq_store_open(e->root, e->runroot, 0, &s, NULL) >= 0 &&
                    rq_db_images_list(s->db, &imgs, &n, NULL) >= 0) {
                        images = (json_int_t)n;
                        rq_db_images_free(imgs, n);
                }
        }
        _cleanup_(json_decrefp) json_t *info = json_pack(
                "{s:{s:s, s:s, s:s, s:b, s:o}, s:{s:s, s:s, s:s, s:I}, s:{s:s}}", "host", "kernel",
                u.release, "arch", u.machine, "hostname", u.nodename, "rootless", geteuid() != 0,
                "cgroup", cgroup_json(), "store", "root", e->root, "runRoot", e->runroot, "driver",
                "overlay", "images", images, "version", "version", RQ_VERSION);
        if (!info)
                return 125;
        if (format && !streq(format, "json")) {
                rq_error *err = NULL;
                if (rq_format_template(stdout, format, info, &err) < 0)
                        return rq_engine_fail(err);
                return 0;
        }
        if (format) {
                _cleanup_free_ char *t = json_dumps(info, JSON_INDENT(4));
                puts(t ? t : "{}");
                return 0;
        }
        json_t *host = json_object_get(info, "host"), *cg = json_object_get(host, "cgroup");
        printf("host:\n  kernel: %s\n  arch: %s\n  hostname: %s\n  rootless: %s\n"
               "  cgroupMode: %s\n  cgroupVersion: %s\n  cgroupManager: cgroupfs\n"
               "  cgroupHierarchies:\n",
               u.release, u.machine, u.nodename, geteuid() != 0 ? "true" : "false",
               json_string_value(json_object_get(cg, "mode")),
               json_string_value(json_object_get(cg, "version")) ?: "");
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(cg, "hierarchies"), i, h)
                printf("  - %s %s\n", json_string_value(json_object_get(h, "path")),
                       json_string_value(json_object_get(h, "controllers")));
        printf("store:\n  root: %s\n  runRoot: %s\n  driver: overlay\n  images: %lld\n"
               "version: %s\n",
               e->root, e->runroot, (long long)images, RQ_VERSION);
        return 0;
}
