/* rongqi-runtime: global options, then one command, as runc's command line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "config.h"
#include "lib/log.h"
#include "lib/state.h"
#include "runtime/runtime.h"

static const struct {
        const char *name;
        runtime_command run;
        const char *summary;
} commands[] = {
        { "create", cmd_create, "create a container (its program waits for start)" },
        { "start", cmd_start, "start the program of a created container" },
        { "run", cmd_run, "create and start a container" },
        { "exec", cmd_exec, "run one more process in a running container" },
        { "ps", cmd_ps, "list the processes of a container" },
        { "state", cmd_state, "print the state of a container as JSON" },
        { "list", cmd_list, "list the containers of this state root" },
        { "kill", cmd_kill, "send a signal to a container's init (or all its processes)" },
        { "update", cmd_update, "change the cgroup limits of a container" },
        { "events", cmd_events, "print a container's cgroup statistics and OOM events" },
        { "pause", cmd_pause, "freeze every process of a container" },
        { "resume", cmd_resume, "thaw a paused container" },
        { "delete", cmd_delete, "delete a stopped container (-f: any container)" },
        { "spec", cmd_spec, "write a default config.json" },
        { "features", cmd_features, "print what this runtime supports, as JSON" },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: rongqi-runtime [global options] COMMAND [options] [arguments]\n\n"
                   "An OCI runtime with runc's command line (part of rongqi).\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nGlobal options:\n"
                   "  --root DIR            state root (default /run/rongqi-runtime for root,\n"
                   "                        $XDG_RUNTIME_DIR/rongqi-runtime otherwise)\n"
                   "  --log FILE            write log lines to FILE (also errors)\n"
                   "  --log-format FORMAT   text or json\n"
                   "  --debug               log debug lines\n"
                   "  --systemd-cgroup      make each container's cgroup a systemd scope\n"
                   "                        (linux.cgroupsPath \"slice:prefix:name\")\n"
                   "  -v, --version         print the version\n"
                   "  -h, --help            print this help\n");
}

int runtime_usage(const char *cmd, const char *fmt, ...)
{
        char command[64];
        snprintf(command, sizeof(command), "rongqi-runtime%s%s", *cmd ? " " : "", cmd);
        va_list ap;
        va_start(ap, fmt);
        int r = rq_log_usage(command, fmt, ap);
        va_end(ap);
        return r;
}

int runtime_fail(const rq_error *e)
{
        rq_log_error(e);
        if (rq_log_fd() != STDERR_FILENO) {
                _cleanup_free_ char *m = rq_error_format(e);
                fprintf(stderr, "rongqi-runtime: %s\n", m ? m : "error");
        }
        return 1;
}

int runtime_open_root(const runtime_globals *g, bool create)
{
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_free_ char *def = NULL;
        /* The default is found here, not in main: spec and features need no state root. */
        if (!g->root && rq_state_root_default(&def, &e) < 0) {
                runtime_fail(e);
                return -1;
        }
        int fd = rq_state_root_open(g->root ? g->root : def, create, &e);
        if (fd < 0) {
                runtime_fail(e);
                return -1;
        }
        return fd;
}

int runtime_one_id(const char *cmd, int argc, char **argv, const char **ret_id)
{
        if (optind >= argc)
                return runtime_usage(cmd, "\"%s\" requires a container id", cmd), -1;
        if (optind + 1 < argc)
                return runtime_usage(cmd, "\"%s\" takes one container id, got also \"%s\"", cmd,
                                     argv[optind + 1]),
                       -1;
        *ret_id = argv[optind];
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'R' },
                { "log", required_argument, NULL, 'L' },
                { "log-format", required_argument, NULL, 'F' },
                { "debug", no_argument, NULL, 'D' },
                { "systemd-cgroup", no_argument, NULL, 'S' },
                { "version", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        rq_log_set_program("rongqi-runtime");
        runtime_globals g = { 0 };
        int c;
        opterr = 0;
        /* "+": global options stop at the command; long options with one dash too, as Go's
         * flag package (and so runc) accepts them. */
        while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
                switch (c) {
                case 'R':
                        g.root = optarg;
                        break;
                case 'L':
                        if (rq_log_open_file(optarg) < 0) {
                                rq_err("--log %s: cannot open it for appending", optarg);
                                return 1;
                        }
                        break;
                case 'F': {
                        rq_log_format f = rq_log_format_from_string(optarg);
                        if (f < 0)
                                return runtime_usage("", "--log-format %s: expected text or json",
                                                     optarg);
                        rq_log_set_format(f);
                        break;
                }
                case 'D':
                        g.debug = true;
                        rq_log_set_level(RQ_LOG_DEBUG);
                        break;
                case 'S':
                        g.systemd_cgroup = true;
                        break;
                case 'v':
                        printf("rongqi-runtime version %s\nspec: 1.3.0\n", RQ_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return runtime_usage("", "unknown global option '%s'", argv[optind - 1]);
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        /* As runc: the option is refused by every command where systemd is not running. */
        if (g.systemd_cgroup && access("/run/systemd/system", F_OK) < 0) {
                rq_err("--systemd-cgroup: systemd is not running on this host (no "
                       "/run/systemd/system); drop the option to use the cgroupfs driver");
                return 1;
        }
        const char *cmd = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(cmd, commands[i].name)) {
                        int sub_argc = argc - optind;
                        char **sub_argv = argv + optind;
                        optind = 0;
                        return commands[i].run(&g, sub_argc, sub_argv);
                }
        rq_err("unknown command \"%s\"", cmd);
        fprintf(stderr, "Run 'rongqi-runtime --help' for the commands of this version.\n");
        return 1;
}
