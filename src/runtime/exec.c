/* rongqi-runtime exec. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "lib/exec.h"
#include "lib/init.h"
#include "lib/idmap.h"
#include "lib/log.h"
#include "runtime/runtime.h"

#define EXEC_LIST_MAX 64

static void help(void)
{
        printf("Usage: rongqi-runtime exec [options] <container-id> [command [args...]]\n\n"
               "Run one more process in a running container: the config's process, with the\n"
               "command, or a whole process object from -p, and the options below.\n\n"
               "Options:\n"
               "  -p, --process FILE    a JSON process object (runtime-spec) to run\n"
               "  --cwd DIR             working directory in the container\n"
               "  -e, --env NAME=VALUE  set an environment variable (repeatable)\n"
               "  -u, --user UID[:GID]  user and group ids in the container\n"
               "  --cap CAP             add a capability (repeatable)\n"
               "  --no-new-privs        set no_new_privs\n"
               "  -t, --tty             allocate a pty from the container's devpts\n"
               "  --console-socket PATH with a pty: send its master to the unix socket PATH;\n"
               "                        without it, exec in the foreground relays the pty\n"
               "  --pidfd-socket PATH   send a pidfd of the process to the unix socket PATH\n"
               "  -d, --detach          return once the program runs\n"
               "  --pid-file FILE       write the process's pid to FILE\n"
               "  --preserve-fds N      pass fds 3 .. 3+N-1 into the container\n");
}

int cmd_exec(const runtime_globals *g, int argc, char **argv)
{
        static const struct option opts[] = {
                { "process", required_argument, NULL, 'p' },
                { "cwd", required_argument, NULL, 'c' },
                { "env", required_argument, NULL, 'e' },
                { "user", required_argument, NULL, 'u' },
                { "cap", required_argument, NULL, 'C' },
                { "no-new-privs", no_argument, NULL, 'n' },
                { "detach", no_argument, NULL, 'd' },
                { "pid-file", required_argument, NULL, 'P' },
                { "preserve-fds", required_argument, NULL, 'F' },
                { "tty", no_argument, NULL, 't' },
                { "console-socket", required_argument, NULL, 'S' },
                { "pidfd-socket", required_argument, NULL, 'D' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        rq_exec_opts o = { .exe_guard = true };
        char *env[EXEC_LIST_MAX + 1] = { NULL }, *caps[EXEC_LIST_MAX + 1] = { NULL };
        size_t n_env = 0, n_caps = 0;
        _cleanup_free_ char *process = NULL;
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+p:e:u:dth", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        if (read_full_file_at(AT_FDCWD, optarg, &process, NULL) < 0)
                                return runtime_usage("exec", "--process %s: cannot read it: %s",
                                                     optarg, strerror(errno));
                        break;
                case 'c':
                        o.cwd = optarg;
                        break;
                case 'e':
                case 'C':
                        if ((c == 'e' ? n_env : n_caps) >= EXEC_LIST_MAX)
                                return runtime_usage("exec", "too many %s options",
                                                     c == 'e' ? "--env" : "--cap");
                        if (c == 'e')
                                env[n_env++] = optarg;
                        else
                                caps[n_caps++] = optarg;
                        break;
                case 'u': {
                        char *colon = strchr(optarg, ':');
                        if (colon)
                                *colon = 0;
                        if (rq_parse_uid(optarg, &o.uid) < 0 ||
                            (colon && rq_parse_gid(colon + 1, &o.gid) < 0))
                                return runtime_usage("exec", "--user %s: expected UID[:GID]",
                                                     optarg);
                        o.set_user = true;
                        break;
                }
                case 'n':
                        o.no_new_privs = true;
                        break;
                case 'd':
                        o.detach = true;
                        break;
                case 'P':
                        o.pid_file = optarg;
                        break;
                case 'F':
                        if (parse_uint32(optarg, &o.preserve_fds) < 0)
                                return runtime_usage("exec", "--preserve-fds %s: not a number",
                                                     optarg);
                        break;
                case 't':
                        o.tty = true;
                        break;
                case 'S':
                        o.console_socket = optarg;
                        break;
                case 'D':
                        o.pidfd_socket = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return runtime_usage("exec", "unknown option '%s' (or missing argument)",
                                             argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return runtime_usage("exec", "\"exec\" requires a container id");
        o.id = argv[optind];
        if (optind + 1 < argc)
                o.args = argv + optind + 1;
        else if (!process)
                return runtime_usage("exec", "give a command after the container id, or -p FILE");
        _cleanup_error_ rq_error *pe = NULL;
        if (rq_preserve_fds_check(o.preserve_fds, &pe) < 0)
                return runtime_fail(pe);
        o.process_json = process;
        o.env = env;
        o.caps = caps;
        _cleanup_close_ int root = runtime_open_root(g, true);
        if (root < 0)
                return 1;
        _cleanup_error_ rq_error *e = NULL;
        int status;
        if (rq_container_exec(root, &o, &status, &e) < 0)
                return runtime_fail(e);
        return status;
}
