/* rongqi nsenter: run a program in the namespaces of another process, with util-linux
 * nsenter's options. Parse here, open and join in lib/nsjoin.c, then fork when a PID
 * namespace was entered (only children are born in it) and exec. Notes teach the one
 * classic surprise: --pid without --mount leaves the outer /proc in place. */
#include "tools/nsenter.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"
#include "config.h"
#include "lib/idmap.h"
#include "lib/log.h"
#include "tools/tools.h"

enum {
        OPT_PRESERVE_CREDENTIALS = 0x100,
};

static const struct option long_options[] = {
        { "all", no_argument, NULL, 'a' },
        { "target", required_argument, NULL, 't' },
        { "mount", optional_argument, NULL, 'm' },
        { "uts", optional_argument, NULL, 'u' },
        { "ipc", optional_argument, NULL, 'i' },
        { "net", optional_argument, NULL, 'n' },
        { "pid", optional_argument, NULL, 'p' },
        { "user", optional_argument, NULL, 'U' },
        { "cgroup", optional_argument, NULL, 'C' },
        { "time", optional_argument, NULL, 'T' },
        { "setuid", required_argument, NULL, 'S' },
        { "setgid", required_argument, NULL, 'G' },
        { "preserve-credentials", no_argument, NULL, OPT_PRESERVE_CREDENTIALS },
        { "root", optional_argument, NULL, 'r' },
        { "wd", optional_argument, NULL, 'w' },
        { "no-fork", no_argument, NULL, 'F' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        {},
};

static void help(void)
{
        printf("Usage: rongqi nsenter [OPTIONS] [PROGRAM [ARGUMENTS...]]\n"
               "\n"
               "Run a program in namespaces of another process (default program: $SHELL).\n"
               "\n"
               "  -t, --target PID          the process whose namespaces are entered\n"
               "  -a, --all                 enter every namespace of the target that differs\n"
               "                            from ours\n"
               "  -m, --mount[=FILE]        enter the mount namespace\n"
               "  -u, --uts[=FILE]          enter the UTS namespace (hostname)\n"
               "  -i, --ipc[=FILE]          enter the System V IPC namespace\n"
               "  -n, --net[=FILE]          enter the network namespace\n"
               "  -p, --pid[=FILE]          enter the PID namespace (forks, see -F)\n"
               "  -U, --user[=FILE]         enter the user namespace (become uid/gid 0 in it)\n"
               "  -C, --cgroup[=FILE]       enter the cgroup namespace\n"
               "  -T, --time[=FILE]         enter the time namespace\n"
               "  -S, --setuid UID          set the user id after entering\n"
               "  -G, --setgid GID          set the group id after entering\n"
               "      --preserve-credentials  keep uid and gid when entering a user namespace\n"
               "  -r, --root[=DIR]          change root to DIR (default: the target's root)\n"
               "  -w, --wd[=DIR]            change directory to DIR (default: the target's)\n"
               "  -F, --no-fork             do not fork before exec, even for --pid\n"
               "  -q, --quiet               no notes (rongqi extension)\n"
               "  -h, --help                show this help\n"
               "  -V, --version             show the version\n"
               "\n"
               "A namespace named without FILE comes from /proc/PID/ns of the target.\n"
               "See rongqi-nsenter(1).\n");
}

/* The value of an optional argument: "--net=FILE" gives "FILE", "-nFILE" too, and "-n=FILE"
 * gives "=FILE", which util-linux reads as FILE as well. */
static const char *optional_value(const char *arg)
{
        if (arg && arg[0] == '=')
                arg++;
        return arg;
}

/* The option as the user wrote it, for messages: "--target" or "-t". getopt leaves optopt 0
 * for an unknown long option, and the option's letter for a short one, and also for a long one
 * that misses its argument: then the previous word is that long option. */
static void option_name(char **argv, int c, char *buf, size_t size)
{
        const char *prev = optind > 0 ? argv[optind - 1] : NULL;
        if (prev && startswith(prev, "--")) {
                int n = (int)strcspn(prev + 2, "=");
                bool is_prev = c == 0;
                for (const struct option *l = long_options; l->name && !is_prev; l++)
                        is_prev = l->val == c && strncmp(l->name, prev + 2, (size_t)n) == 0;
                if (is_prev) {
                        snprintf(buf, size, "--%.*s", n, prev + 2);
                        return;
                }
        }
        if (c > 0 && c < 0x100)
                snprintf(buf, size, "-%c", c);
        else
                snprintf(buf, size, "%s", prev ? prev : "?");
}

int nsenter_parse_options(int argc, char **argv, nsenter_options *o, rq_error **reterr)
{
        *o = (nsenter_options){};
        /* "+": stop at the program's name; ":": report a missing argument as ':'. */
        static const char short_options[] = "+:at:m::u::i::n::p::U::C::T::S:G:r::w::FqhV";
        char name[64];
        int c;

        optind = 0; /* glibc: start over, so tests can parse several command lines */
        opterr = 0;
        while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) >= 0) {
                rq_ns_type t;
                switch (c) {
                case 'a':
                        o->join.all = true;
                        break;
                case 't':
                        if (o->join.target > 0)
                                return rq_error_invalid(reterr, "--target given twice");
                        if (parse_pid(optarg, &o->join.target) < 0)
                                return rq_error_invalid(
                                        reterr,
                                        "invalid PID '%s' for --target: give a process "
                                        "id, a number from 1 up",
                                        optarg);
                        break;
                case 'm':
                case 'u':
                case 'i':
                case 'n':
                case 'p':
                case 'U':
                case 'C':
                case 'T':
                        t = _RQ_NS_TYPE_INVALID;
                        for (int i = 0; i < _RQ_NS_TYPE_MAX; i++)
                                if (rq_ns_info_get((rq_ns_type)i)->short_option == c)
                                        t = (rq_ns_type)i;
                        if (t < 0)
                                return rq_error_invalid(reterr, "unknown namespace option -%c", c);
                        o->join.types |= RQ_NS_BIT(t);
                        o->join.path[t] = optional_value(optarg);
                        if (o->join.path[t] && !o->join.path[t][0])
                                return rq_error_invalid(
                                        reterr, "--%s= needs a namespace file after the '='",
                                        rq_ns_info_get(t)->option);
                        break;
                case 'S':
                        if (rq_parse_uid(optarg, &o->join.uid) < 0)
                                return rq_error_invalid(
                                        reterr,
                                        "invalid user '%s' for --setuid: give a uid number "
                                        "(below 4294967295) or a user name",
                                        optarg);
                        o->join.set_uid = true;
                        break;
                case 'G':
                        if (rq_parse_gid(optarg, &o->join.gid) < 0)
                                return rq_error_invalid(
                                        reterr,
                                        "invalid group '%s' for --setgid: give a gid number "
                                        "(below 4294967295) or a group name",
                                        optarg);
                        o->join.set_gid = true;
                        break;
                case OPT_PRESERVE_CREDENTIALS:
                        o->join.preserve_credentials = true;
                        break;
                case 'r':
                        o->join.root = true;
                        o->join.root_path = optional_value(optarg);
                        if (o->join.root_path && !o->join.root_path[0])
                                o->join.root_path = NULL;
                        break;
                case 'w':
                        o->join.wd = true;
                        o->join.wd_path = optional_value(optarg);
                        if (o->join.wd_path && !o->join.wd_path[0])
                                o->join.wd_path = NULL;
                        break;
                case 'F':
                        o->no_fork = true;
                        break;
                case 'q':
                        o->quiet = true;
                        break;
                case 'h':
                        o->help = true;
                        return 0;
                case 'V':
                        o->version = true;
                        return 0;
                case ':':
                        option_name(argv, optopt, name, sizeof(name));
                        return rq_error_invalid(reterr, "option '%s' needs an argument", name);
                default:
                        option_name(argv, optopt, name, sizeof(name));
                        return rq_error_invalid(reterr, "unknown option '%s'", name);
                }
        }
        o->argv = argv + optind;
        return rq_nsjoin_request_check(&o->join, reterr);
}

/* Teaching notes, before joining (the paths are the caller's). */
static void notes(const nsenter_options *o, const rq_nsjoin *j)
{
        if (!j->enter && o->join.all) {
                rq_note("process %d is in all of our namespaces: there is nothing to enter",
                        (int)j->target);
                return;
        }
        bool pid = j->enter & RQ_NS_BIT(RQ_NS_PID);
        bool mnt = j->enter & RQ_NS_BIT(RQ_NS_MNT);
        if (!pid || mnt || o->join.all || j->inode[RQ_NS_PID] == j->own_inode[RQ_NS_PID])
                return;
        /* The /proc we keep is the one mounted for our own PID namespace: it lists the outer
         * processes, not the target's, and has no entry for the new process's own PID. */
        uint64_t target_mnt = 0;
        if (j->target > 0 && !j->path[RQ_NS_PID] &&
            rq_ns_inode(j->target, RQ_NS_MNT, false, &target_mnt) == 0 &&
            target_mnt == j->own_inode[RQ_NS_MNT])
                rq_note("entering a PID namespace keeps our /proc, which still shows the outer "
                        "system's processes (ps, top, /proc/$$ are not the target's view); "
                        "process %d shares our mount namespace, so --mount would not change "
                        "that: its own /proc needs a new mount namespace with proc mounted in "
                        "it (unshare --mount-proc)",
                        (int)j->target);
        else
                rq_note("entering a PID namespace without its mount namespace: /proc still "
                        "shows the outer system's processes (ps, top, /proc/$$ are not the "
                        "target's view); add --mount (-m) or use -a to see the target's /proc");
}

int cmd_nsenter(int argc, char **argv)
{
        nsenter_options o;
        _cleanup_error_ rq_error *e = NULL;
        if (nsenter_parse_options(argc, argv, &o, &e) < 0)
                return tool_usage_error_from("nsenter", e);
        if (o.help) {
                help();
                return 0;
        }
        if (o.version) {
                printf("rongqi nsenter version %s\n", RQ_VERSION);
                return 0;
        }
        if (o.quiet)
                rq_log_set_level(RQ_LOG_WARNING);

        _cleanup_nsjoin_ rq_nsjoin j = RQ_NSJOIN_INIT;
        if (rq_nsjoin_prepare(&o.join, &j, &e) < 0) {
                rq_log_error(e);
                return 1;
        }
        notes(&o, &j);
        if (rq_nsjoin_enter(&j, &e) < 0) {
                rq_log_error(e);
                return 1;
        }
        bool fork_needed = (j.enter & RQ_NS_BIT(RQ_NS_PID)) && !o.no_fork;
        rq_nsjoin_done(&j);

        if (fork_needed) {
                /* setns(CLONE_NEWPID) only decides where our children are born. */
                signal(SIGCHLD, SIG_DFL);
                pid_t pid = fork();
                if (pid < 0) {
                        int err = errno;
                        if (j.path[RQ_NS_PID])
                                rq_err("fork into the PID namespace %s: %s", j.path[RQ_NS_PID],
                                       strerror(err));
                        else
                                rq_err("fork into the PID namespace of process %d: %s",
                                       (int)j.target, strerror(err));
                        if (err == ENOMEM)
                                rq_err("hint: the namespace's init (its PID 1) has exited, and "
                                       "no new process can join a PID namespace after that");
                        return 1;
                }
                if (pid > 0)
                        tool_wait_and_exit(pid);
        }
        tool_exec(o.argv);
}
