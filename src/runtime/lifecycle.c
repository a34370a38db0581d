/* rongqi-runtime start | kill | delete. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "lib/container.h"
#include "runtime/runtime.h"

/* Options of start, kill and delete: only -f (delete), --all (kill), --help. */
static int parse_simple(const char *cmd, const char *help, int argc, char **argv, bool *force,
                        bool *all)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "all", no_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+fah", opts, NULL)) != -1) {
                if (c == 'h') {
                        fputs(help, stdout);
                        return 1;
                }
                if (c == 'f' && force)
                        *force = true;
                else if (c == 'a' && all)
                        *all = true;
                else
                        return runtime_usage(cmd, "unknown option '%s'", argv[optind - 1]), -1;
        }
        return 0;
}

int cmd_start(const runtime_globals *g, int argc, char **argv)
{
        const char *id;
        int k = parse_simple("start",
                             "Usage: rongqi-runtime start <container-id>\n\n"
                             "Let the program of a created container run.\n",
                             argc, argv, NULL, NULL);
        if (k != 0 || runtime_one_id("start", argc, argv, &id) < 0)
                return k > 0 ? 0 : 1;
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        return rq_container_start(root, id, &e) < 0 ? runtime_fail(e) : 0;
}

int cmd_kill(const runtime_globals *g, int argc, char **argv)
{
        bool all = false;
        int k = parse_simple("kill",
                             "Usage: rongqi-runtime kill [--all] <container-id> [SIGNAL]\n\n"
                             "Send SIGNAL (a name like TERM or SIGKILL, or a number; default "
                             "SIGTERM) to the container's init, or with --all to every process "
                             "in the container.\n",
                             argc, argv, NULL, &all);
        if (k != 0)
                return k > 0 ? 0 : 1;
        if (optind >= argc || argc - optind > 2)
                return runtime_usage("kill", "\"kill\" takes a container id and an optional "
                                             "signal");
        const char *id = argv[optind];
        int sig = 15;
        if (argc - optind == 2 && parse_signal(argv[optind + 1], &sig) < 0)
                return runtime_usage("kill", "unknown signal \"%s\"", argv[optind + 1]);
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        return rq_container_kill(root, id, sig, all, &e) < 0 ? runtime_fail(e) : 0;
}

int cmd_delete(const runtime_globals *g, int argc, char **argv)
{
        bool force = false;
        const char *id;
        int k = parse_simple(
                "delete",
                "Usage: rongqi-runtime delete [-f] <container-id>\n\n"
                "Delete a stopped container; -f kills a running one first (and succeeds "
                "when there is no such container).\n",
                argc, argv, &force, NULL);
        if (k != 0 || runtime_one_id("delete", argc, argv, &id) < 0)
                return k > 0 ? 0 : 1;
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        /* -f of a container that does not exist (no state directory at all) succeeds, as in
         * runc and crun: podman and containerd's shim clean up with it after a create that
         * failed. A directory left without its state is still reported. */
        if (rq_container_delete(root, id, force, &e) < 0 &&
            !(force && rq_error_errno(e) == ENOENT &&
              faccessat(root, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT))
                return runtime_fail(e);
        return 0;
}

static int pause_or_resume(const runtime_globals *g, bool pause, int argc, char **argv)
{
        const char *cmd = pause ? "pause" : "resume";
        const char *id;
        int k = parse_simple(cmd,
                             pause ? "Usage: rongqi-runtime pause <container-id>\n\nFreeze every "
                                     "process of the container (its cgroup).\n"
                                   : "Usage: rongqi-runtime resume <container-id>\n\nThaw a "
                                     "paused container.\n",
                             argc, argv, NULL, NULL);
        if (k != 0 || runtime_one_id(cmd, argc, argv, &id) < 0)
                return k > 0 ? 0 : 1;
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        return rq_container_pause(root, id, pause, &e) < 0 ? runtime_fail(e) : 0;
}

int cmd_pause(const runtime_globals *g, int argc, char **argv)
{
        return pause_or_resume(g, true, argc, argv);
}

int cmd_resume(const runtime_globals *g, int argc, char **argv)
{
        return pause_or_resume(g, false, argc, argv);
}
