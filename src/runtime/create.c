/* rongqi-runtime create | run. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "basic/parse-util.h"
#include "lib/cgroup.h"
#include "lib/container.h"
#include "lib/foreground.h"
#include "lib/init.h"
#include "lib/log.h"
#include "runtime/runtime.h"

typedef struct create_args {
        const char *bundle;
        const char *pid_file;
        const char *console_socket;
        const char *pidfd_socket;
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
               "                          unix socket PATH (SCM_RIGHTS, as runc)%s\n"
               "  --pidfd-socket PATH     send a pidfd of the container init to the unix\n"
               "                          socket PATH (SCM_RIGHTS, as runc 1.2)\n"
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
               run ? ";\n                          without it, run in the foreground relays the "
                     "pty\n                          to its own stdin and stdout"
                   : "",
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
                { "pidfd-socket", required_argument, NULL, 'P' },
                { "preserve-fds", required_argument, NULL, 'F' },
                { "no-new-keyring", no_argument, NULL, 'k' },
                { "no-pivot", no_argument, NULL, 'N' },
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
                case 'P':
                        a->pidfd_socket = optarg;
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
                case 'N':
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
        bool foreground = run && !a.detach;
        _cleanup_close_ int master = -EBADF;
        rq_create_opts o = { .id = id,
                             .bundle = bundle,
                             .pid_file = a.pid_file,
                             .console_socket = a.console_socket,
                             .ret_console_fd = foreground ? &master : NULL,
                             .pidfd_socket = a.pidfd_socket,
                             .preserve_fds = a.preserve_fds,
                             .start = run,
                             .exe_guard = true,
                             .no_pivot = a.no_pivot,
                             .no_new_keyring = a.no_new_keyring,
                             .systemd_cgroup = g->systemd_cgroup };
        if (foreground && !a.console_socket)
                (void)rq_foreground_terminal_size(&o.console_rows, &o.console_cols);
        pid_t pid;
        if (rq_container_create(root, &o, &pid, &e) < 0)
                return runtime_fail(e);
        if (!foreground)
                return 0;

        /* The OOM kills of the container's cgroup so far: a reused cgroupsPath may have some. */
        _cleanup_free_ char *cgroup = NULL;
        uint64_t oom_before = 0;
        int64_t limit = -1;
        rq_state st;
        rq_status now;
        if (rq_container_state(root, id, &st, &now, NULL) >= 0) {
                if (st.cgroup_path && rq_cgroup_oom(st.cgroup_path, &oom_before, &limit) >= 0)
                        cgroup = strdup(st.cgroup_path);
                rq_state_done(&st);
        }
        /* In the foreground: our child, not reaped yet, so its pid is still its own. */
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        int code = 1;
        if (pidfd < 0)
                rq_error_set(&e, errno, "pidfd_open of the container init %d", (int)pid);
        else
                (void)rq_foreground_wait(&(rq_foreground){ .child = pid,
                                                           .child_pidfd = pidfd,
                                                           .signal_pidfd = pidfd,
                                                           .master = master },
                                         &code, &e);
        if (e) {
                runtime_fail(e);
                rq_error_free(TAKE_PTR(e));
                code = 1;
        }
        /* As runc the exit code stays 128 + SIGKILL; only the reason is told. */
        uint64_t oom_after = 0;
        if (code == 128 + SIGKILL && cgroup && rq_cgroup_oom(cgroup, &oom_after, &limit) >= 0 &&
            oom_after > oom_before) {
                if (limit >= 0)
                        rq_warn("the container was killed by the kernel's OOM killer: memory "
                                "limit %lld bytes",
                                (long long)limit);
                else
                        rq_warn("the container was killed by the kernel's OOM killer (no memory "
                                "limit of its own: the host or a parent cgroup ran out)");
        }
        if (!a.keep && rq_container_delete(root, id, true, &e) < 0)
                runtime_fail(e);
        return code;
}

int cmd_create(const runtime_globals *g, int argc, char **argv)
{
        return create_or_run(g, false, argc, argv);
}

int cmd_run(const runtime_globals *g, int argc, char **argv)
{
        return create_or_run(g, true, argc, argv);
}
