/* rongqi-runtime state | list. */
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/container.h"
#include "runtime/runtime.h"

static int parse_help_only(const char *cmd, const char *help, int argc, char **argv)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'h') {
                        fputs(help, stdout);
                        return 1;
                }
                return runtime_usage(cmd, "unknown option '%s'", argv[optind - 1]), -1;
        }
        return 0;
}

int cmd_state(const runtime_globals *g, int argc, char **argv)
{
        const char *id;
        int k = parse_help_only("state",
                                "Usage: rongqi-runtime state <container-id>\n\n"
                                "Print the OCI state of the container as JSON.\n",
                                argc, argv);
        if (k != 0 || runtime_one_id("state", argc, argv, &id) < 0)
                return k > 0 ? 0 : 1;
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        rq_state st;
        rq_status now;
        if (rq_container_state(root, id, &st, &now, &e) < 0)
                return runtime_fail(e);
        /* A stopped container has no pid any more (runc prints 0). */
        if (now == RQ_STATUS_STOPPED)
                st.pid = 0;
        _cleanup_free_ char *json = rq_state_to_json(&st, now);
        rq_state_done(&st);
        if (!json)
                return 1;
        printf("%s\n", json);
        return 0;
}

int cmd_list(const runtime_globals *g, int argc, char **argv)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool quiet = false, json = false;
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+qf:h", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'f' && (streq(optarg, "json") || streq(optarg, "table")))
                        json = streq(optarg, "json");
                else if (c == 'h') {
                        printf("Usage: rongqi-runtime list [-q] [--format table|json]\n");
                        return 0;
                } else
                        return runtime_usage("list", "unknown option or value '%s'",
                                             argv[optind - 1]);
        }
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        _cleanup_strv_free_ char **ids = NULL;
        if (rq_state_list(root, &ids, &e) < 0)
                return runtime_fail(e);
        json_t *arr = json ? json_array() : NULL;
        if (!quiet && !json)
                printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
                       "CREATED", "OWNER");
        for (char **i = ids; *i; i++) {
                rq_state st;
                rq_status now;
                _cleanup_error_ rq_error *ie = NULL;
                if (rq_container_state(root, *i, &st, &now, &ie) < 0)
                        continue; /* being created or deleted right now */
                if (now == RQ_STATUS_STOPPED)
                        st.pid = 0;
                /* As runc: the owner's user name, or #UID when it has none. */
                char owner[64];
                struct passwd *pw = quiet ? NULL : getpwuid(st.owner);
                if (pw)
                        snprintf(owner, sizeof(owner), "%s", pw->pw_name);
                else
                        snprintf(owner, sizeof(owner), "#%u", (unsigned)st.owner);
                if (quiet)
                        printf("%s\n", *i);
                else if (json) {
                        _cleanup_free_ char *text = rq_state_to_json(&st, now);
                        json_t *o = text ? json_loads(text, 0, NULL) : NULL;
                        if (o && json_object_set_new(o, "owner", json_string(owner)) == 0)
                                json_array_append_new(arr, o);
                        else
                                json_decref(o);
                } else {
                        char created[64];
                        time_t sec = (time_t)(st.created / 1000000000);
                        struct tm tm;
                        gmtime_r(&sec, &tm);
                        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
                        printf("%-20s %-8d %-10s %-40s %-30s %s\n", *i, (int)st.pid,
                               rq_status_to_string(now), st.bundle ? st.bundle : "", created,
                               owner);
                }
                rq_state_done(&st);
        }
        if (json) {
                char *text = json_dumps(arr, JSON_COMPACT);
                printf("%s\n", text ? text : "[]");
                free(text);
                json_decref(arr);
        }
        return 0;
}
