/* rongqi-runtime create | run. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "basic/parse-util.h"
#include "lib/container.h"
#include "lib/init.h"
#include "lib/log.h"
#include "runtime/runtime.h"

typedef struct create_args {
        const char *bundle;
        const char *pid_file;
        const char *console_socket;
        unsigned preserve_fds;
        bool detach, keep, no_pivot, no_new_keyring;
} create_args;

static void help(bool run)
{
        printf("Usage: rongqi-runtime %s [options] <container-id>\n\n"
               "%s\n\n"
               "Options:\n"
               "  -b, --bundle DIR        the bundle (config.json and rootfs); default: .\n"
               "  --pid-file FILE         write the container init's pid to FILE\n"
               "  --preserve-fds N        pass fds 3 .. 3+N-1 into the container\n"
               "  --console-socket PATH   with process.terminal: send the pty master to the\n"
               "                          unix socket PATH (SCM_RIGHTS, as runc)\n"
               "  --no-new-keyring        keep the caller's session keyring (default: a new\n"
               "                          one named _ses.<container-id>)\n"
               "  --no-pivot              MS_MOVE the rootfs onto / and chroot instead of\n"
               "                          pivot_root (for a rootfs on ramfs; less secure)\n"
               "%s",
               run ? "run" : "create",
               run ? "Create a container and start its program; wait for it to exit and delete "
                     "the container, unless -d."
                   : "Create a container: its namespaces, mounts and init are set up, and the "
                     "program waits for 'start'.",
               run ? "  -d, --detach            return once the program runs\n"
                     "  --keep                  keep the container after it exits\n"
                   : "");
}

static int parse(bool run, int argc, char **argv, create_args *a, const char **ret_id)
{
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "pid-file", required_argument, NULL, 'p' },
                { "console-socket", required_argument, NULL, 'c' },
                { "preserve-fds", required_argument, NULL, 'F' },
                { "no-new-keyring", no_argument, NULL, 'k' },
                { "no-pivot", no_argument, NULL, 'P' },
                { "detach", no_argument, NULL, 'd' },
                { "keep", no_argument, NULL, 'K' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *name = run ? "run" : "create";
        *a = (create_args){ .bundle = "." };
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, run ? "+b:dh" : "+b:h", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        a->bundle = optarg;
                        break;
                case 'p':
                        a->pid_file = optarg;
                        break;
                case 'c':
                        a->console_socket = optarg;
                        break;
                case 'F':
                        if (parse_uint32(optarg, &a->preserve_fds) < 0)
                                return runtime_usage(name, "--preserve-fds %s: not a number",
                                                     optarg),
                                       -1;
                        break;
                case 'k':
                        a->no_new_keyring = true;
                        break;
                case 'P':
                        a->no_pivot = true;
                        break;
                case 'd':
                case 'K':
                        if (!run)
                                return runtime_usage(name, "unknown option '%s'", argv[optind - 1]),
                                       -1;
                        if (c == 'd')
                                a->detach = true;
                        else
                                a->keep = true;
                        break;
                case 'h':
                        help(run);
                        return 1;
                default:
                        return runtime_usage(name, "unknown option '%s' (or missing argument)",
                                             argv[optind - 1]),
                               -1;
                }
        }
        return runtime_one_id(name, argc, argv, ret_id);
}

static int create_or_run(const runtime_globals *g, bool run, int argc, char **argv)
{
        create_args a;
        const char *id;
        int k = parse(run, argc, argv, &a, &id);
        if (k != 0)
                return k < 0 ? 1 : 0;
        _cleanup_error_ rq_error *pe = NULL;
        if (rq_preserve_fds_check(a.preserve_fds, &pe) < 0)
                return runtime_fail(pe);
        char bundle[PATH_MAX];
        if (!realpath(a.bundle, bundle)) {
                rq_err("bundle %s: %s", a.bundle, strerror(errno));
                return 1;
        }
        _cleanup_close_ int root = runtime_open_root(g, true);
        if (root < 0)
                return 1;
        _cleanup_error_ rq_error *e = NULL;
        rq_create_opts o = { .id = id,
                             .bundle = bundle,
                             .pid_file = a.pid_file,
                             .console_socket = a.console_socket,
                             .preserve_fds = a.preserve_fds,
                             .start = run,
                             .no_pivot = a.no_pivot,
                             .no_new_keyring = a.no_new_keyring };
        pid_t pid;
        if (rq_container_create(root, &o, &pid, &e) < 0)
                return runtime_fail(e);
        if (!run || a.detach)
                return 0;

        /* In the foreground: signals for us go to the container's init, we wait, then delete. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        rq_err("wait for container %s: %s", id, strerror(errno));
                        return 1;
                }
        if (!a.keep && rq_container_delete(root, id, true, &e) < 0)
                runtime_fail(e);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cmd_create(const runtime_globals *g, int argc, char **argv)
{
        return create_or_run(g, false, argc, argv);
}

int cmd_run(const runtime_globals *g, int argc, char **argv)
{
        return create_or_run(g, true, argc, argv);
}
