/* rongqi unshare: run a program in new namespaces, util-linux compatible.
 *
 * The order of operations, and why:
 *   1. open/create the files that will hold persisted namespaces, build the id maps;
 *   2. fork a helper that stays in the old namespaces (only when needed: id ranges that must be
 *      written from outside the new user namespace, or namespaces to bind-mount, which must be
 *      mounted in the old mount namespace to outlive us);
 *   3. unshare(2) every namespace at once: the kernel makes the user namespace first and the
 *      others owned by it;
 *   4. time offsets, before any process lives in the new time namespace (the kernel refuses
 *      them afterwards);
 *   5. setgroups, then the helper maps/binds, then our own uid/gid maps (a gid map we write
 *      ourselves needs setgroups "deny" first);
 *   6. fork if asked: a new PID namespace takes our next child as its PID 1;
 *   7. in the child: mount propagation, root, working directory, /proc (after chroot, so it
 *      lands in the new root), uid/gid, capabilities; exec. */
#include "tools/unshare.h"

#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"
#include "config.h"
#include "lib/log.h"
#include "tools/tools.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

enum {
        OPT_MAP_USER = 0x100,
        OPT_MAP_GROUP,
        OPT_MAP_USERS,
        OPT_MAP_GROUPS,
        OPT_MAP_AUTO,
        OPT_KILL_CHILD,
        OPT_MOUNT_PROC,
        OPT_PROPAGATION,
        OPT_SETGROUPS,
        OPT_KEEP_CAPS,
        OPT_MONOTONIC,
        OPT_BOOTTIME,
};

static const struct option options[] = {
        { "mount", optional_argument, NULL, 'm' },
        { "uts", optional_argument, NULL, 'u' },
        { "ipc", optional_argument, NULL, 'i' },
        { "net", optional_argument, NULL, 'n' },
        { "pid", optional_argument, NULL, 'p' },
        { "user", optional_argument, NULL, 'U' },
        { "cgroup", optional_argument, NULL, 'C' },
        { "time", optional_argument, NULL, 'T' },
        { "fork", no_argument, NULL, 'f' },
        { "map-root-user", no_argument, NULL, 'r' },
        { "map-current-user", no_argument, NULL, 'c' },
        { "map-user", required_argument, NULL, OPT_MAP_USER },
        { "map-group", required_argument, NULL, OPT_MAP_GROUP },
        { "map-users", required_argument, NULL, OPT_MAP_USERS },
        { "map-groups", required_argument, NULL, OPT_MAP_GROUPS },
        { "map-auto", no_argument, NULL, OPT_MAP_AUTO },
        { "kill-child", optional_argument, NULL, OPT_KILL_CHILD },
        { "mount-proc", optional_argument, NULL, OPT_MOUNT_PROC },
        { "propagation", required_argument, NULL, OPT_PROPAGATION },
        { "setgroups", required_argument, NULL, OPT_SETGROUPS },
        { "keep-caps", no_argument, NULL, OPT_KEEP_CAPS },
        { "root", required_argument, NULL, 'R' },
        { "wd", required_argument, NULL, 'w' },
        { "setuid", required_argument, NULL, 'S' },
        { "setgid", required_argument, NULL, 'G' },
        { "monotonic", required_argument, NULL, OPT_MONOTONIC },
        { "boottime", required_argument, NULL, OPT_BOOTTIME },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        {},
};

static void help(void)
{
        printf("Usage: rongqi unshare [options] [<program> [<argument>...]]\n"
               "\n"
               "Run a program with some namespaces unshared from the parent.\n"
               "Without a program, runs $SHELL (or /bin/sh).\n"
               "\n"
               "Options:\n"
               " -m, --mount[=<file>]      unshare mounts namespace\n"
               " -u, --uts[=<file>]        unshare UTS namespace (hostname etc)\n"
               " -i, --ipc[=<file>]        unshare System V IPC namespace\n"
               " -n, --net[=<file>]        unshare network namespace\n"
               " -p, --pid[=<file>]        unshare pid namespace\n"
               " -U, --user[=<file>]       unshare user namespace\n"
               " -C, --cgroup[=<file>]     unshare cgroup namespace\n"
               " -T, --time[=<file>]       unshare time namespace\n"
               "                           <file>: keep the namespace alive with a bind mount\n"
               "                           there (created if missing)\n"
               "\n"
               " -f, --fork                fork before launching <program>\n"
               " --map-user=<uid>|<name>   map current user to uid (implies --user)\n"
               " --map-group=<gid>|<name>  map current group to gid (implies --user)\n"
               " -r, --map-root-user       map current user to root (implies --user)\n"
               " -c, --map-current-user    map current user to itself (implies --user)\n"
               " --map-auto                map the first /etc/subuid and /etc/subgid blocks\n"
               "                           of the current user from 0 on (implies --user)\n"
               " --map-users=<outeruid>,<inneruid>,<count>\n"
               "                           map count users from outeruid to inneruid\n"
               "                           (also inner:outer:count, or auto; implies --user)\n"
               " --map-groups=<outergid>,<innergid>,<count>\n"
               "                           map count groups from outergid to innergid\n"
               "                           (also inner:outer:count, or auto; implies --user)\n"
               "\n"
               " --kill-child[=<signame>]  when dying, kill the forked child (implies --fork)\n"
               "                             defaults to SIGKILL\n"
               " --mount-proc[=<dir>]      mount proc filesystem first (implies --mount)\n"
               " --propagation slave|shared|private|unchanged\n"
               "                           modify mount propagation in mount namespace\n"
               " --setgroups allow|deny    control the setgroups syscall in user namespaces\n"
               " --keep-caps               retain capabilities granted in user namespaces\n"
               "\n"
               " -R, --root=<dir>          run the command with root directory set to <dir>\n"
               " -w, --wd=<dir>            change working directory to <dir>\n"
               " -S, --setuid <uid>        set uid in entered namespace\n"
               " -G, --setgid <gid>        set gid in entered namespace\n"
               " --monotonic <offset>      set clock monotonic offset (seconds) in time "
               "namespaces\n"
               " --boottime <offset>       set clock boottime offset (seconds) in time "
               "namespaces\n"
               " -q, --quiet               no explanatory notes on stderr\n"
               "\n"
               " -h, --help                display this help\n"
               " -V, --version             display version\n"
               "\n"
               "For more details see rongqi-unshare(1) and docs/namespaces.md.\n");
}

static int set_single(unshare_single_map *m, const char *arg, bool uid, rq_error **reterr)
{
        int r;
        if (uid) {
                uid_t v;
                r = rq_parse_uid(arg, &v);
                m->inner = v;
        } else {
                gid_t v;
                r = rq_parse_gid(arg, &v);
                m->inner = v;
        }
        if (r < 0)
                return rq_error_invalid(reterr, "--map-%s=%s: %s", uid ? "user" : "group", arg,
                                        r == -ESRCH ? (uid ? "no such user" : "no such group")
                                                    : "not a valid id");
        m->set = true;
        return 0;
}

int unshare_parse(int argc, char **argv, unshare_opts *o, rq_error **reterr)
{
        *o = (unshare_opts){ .propagation = MS_PRIVATE };
        int c, r;

        optind = 0; /* full reset: the parser may run more than once in one process */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:m::u::i::n::p::U::C::T::frcR:w:S:G:qhV", options,
                                NULL)) != -1) {
                switch (c) {
                case 'm':
                case 'u':
                case 'i':
                case 'n':
                case 'p':
                case 'U':
                case 'C':
                case 'T':
                        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                                const rq_ns_info *ni = rq_ns_info_get((rq_ns_type)t);
                                if (ni->short_option != c)
                                        continue;
                                o->flags |= ni->clone_flag;
                                if (optarg) {
                                        if (!*optarg)
                                                return rq_error_set(reterr, EINVAL,
                                                                    "--%s=: empty file name",
                                                                    ni->option);
                                        o->persist[t] = optarg;
                                }
                        }
                        break;
                case 'f':
                        o->fork = true;
                        break;
                case 'r':
                        o->flags |= CLONE_NEWUSER;
                        o->map_uid = (unshare_single_map){ true, 0 };
                        o->map_gid = (unshare_single_map){ true, 0 };
                        break;
                case 'c':
                        o->flags |= CLONE_NEWUSER;
                        o->map_uid = (unshare_single_map){ true, geteuid() };
                        o->map_gid = (unshare_single_map){ true, getegid() };
                        break;
                case OPT_MAP_USER:
                case OPT_MAP_GROUP:
                        o->flags |= CLONE_NEWUSER;
                        r = set_single(c == OPT_MAP_USER ? &o->map_uid : &o->map_gid, optarg,
                                       c == OPT_MAP_USER, reterr);
                        if (r < 0)
                                return r;
                        break;
                case OPT_MAP_USERS:
                case OPT_MAP_GROUPS: {
                        bool users = c == OPT_MAP_USERS;
                        o->flags |= CLONE_NEWUSER;
                        r = rq_idmap_parse_range(optarg, users ? &o->map_users : &o->map_groups);
                        if (r < 0)
                                return rq_error_set(reterr, EINVAL,
                                                    "--map-%s=%s: expected outer,inner,count "
                                                    "(or inner:outer:count, or auto) with a "
                                                    "count above 0",
                                                    users ? "users" : "groups", optarg);
                        if (users)
                                o->map_users_set = true;
                        else
                                o->map_groups_set = true;
                        break;
                }
                case OPT_MAP_AUTO:
                        o->flags |= CLONE_NEWUSER;
                        o->map_users_set = o->map_groups_set = true;
                        o->map_users = o->map_groups =
                                (rq_idmap_range){ RQ_ID_AUTO, RQ_ID_AUTO, 0 };
                        break;
                case OPT_KILL_CHILD:
                        o->fork = true;
                        o->kill_child = SIGKILL;
                        if (optarg && parse_signal(optarg, &o->kill_child) < 0)
                                return rq_error_set(reterr, EINVAL,
                                                    "--kill-child=%s: unknown signal (use a "
                                                    "name like TERM or a number)",
                                                    optarg);
                        break;
                case OPT_MOUNT_PROC:
                        o->flags |= CLONE_NEWNS;
                        o->mount_proc = optarg && *optarg ? optarg : "/proc";
                        break;
                case OPT_PROPAGATION:
                        if (streq(optarg, "slave"))
                                o->propagation = MS_SLAVE;
                        else if (streq(optarg, "shared"))
                                o->propagation = MS_SHARED;
                        else if (streq(optarg, "private"))
                                o->propagation = MS_PRIVATE;
                        else if (streq(optarg, "unchanged"))
                                o->propagation = 0;
                        else
                                return rq_error_set(reterr, EINVAL,
                                                    "--propagation %s: expected slave, shared, "
                                                    "private or unchanged",
                                                    optarg);
                        break;
                case OPT_SETGROUPS:
                        if (!streq(optarg, "allow") && !streq(optarg, "deny"))
                                return rq_error_set(reterr, EINVAL,
                                                    "--setgroups %s: expected allow or deny",
                                                    optarg);
                        o->setgroups = optarg;
                        break;
                case OPT_KEEP_CAPS:
                        o->keep_caps = true;
                        break;
                case 'R':
                        o->root = optarg;
                        break;
                case 'w':
                        o->wd = optarg;
                        break;
                case 'S':
                        if (rq_parse_uid(optarg, &o->setuid) < 0)
                                return rq_error_invalid(reterr, "--setuid %s: not a user", optarg);
                        o->setuid_set = true;
                        break;
                case 'G':
                        if (rq_parse_gid(optarg, &o->setgid) < 0)
                                return rq_error_invalid(reterr, "--setgid %s: not a group", optarg);
                        o->setgid_set = true;
                        break;
                case OPT_MONOTONIC:
                case OPT_BOOTTIME: {
                        int64_t v;
                        if (parse_int64(optarg, &v) < 0)
                                return rq_error_set(reterr, EINVAL,
                                                    "--%s %s: expected a whole number of seconds",
                                                    c == OPT_MONOTONIC ? "monotonic" : "boottime",
                                                    optarg);
                        if (c == OPT_MONOTONIC) {
                                o->monotonic = v;
                                o->monotonic_set = true;
                        } else {
                                o->boottime = v;
                                o->boottime_set = true;
                        }
                        break;
                }
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
                        return rq_error_invalid(reterr, "option '%s' requires an argument",
                                                argv[optind - 1]);
                default:
                        if (optopt)
                                return rq_error_invalid(reterr, "invalid option -- '%c'", optopt);
                        return rq_error_invalid(reterr, "unrecognized option '%s'",
                                                argv[optind - 1]);
                }
        }

        if ((o->monotonic_set || o->boottime_set) && !(o->flags & CLONE_NEWTIME))
                return rq_error_set(reterr, EINVAL,
                                    "options --monotonic and --boottime require unsharing of a "
                                    "time namespace (add -T/--time)");
        if (o->setgroups && streq(o->setgroups, "allow") && o->map_gid.set && !o->map_groups_set)
                return rq_error_set(reterr, EINVAL,
                                    "--setgroups allow cannot go with a gid map written by the "
                                    "process itself (-r, -c, --map-group): the kernel needs "
                                    "setgroups denied for that; map groups with --map-groups or "
                                    "--map-auto (written by newgidmap) instead");
        if (o->setgroups && !(o->flags & CLONE_NEWUSER))
                return rq_error_set(reterr, EINVAL,
                                    "--setgroups needs a new user namespace (add -U/--user)");
        o->argv = optind < argc ? argv + optind : NULL;
        return 0;
}

/* Why did unshare(2) fail? Name the limit or the missing privilege. */
static int unshare_error(int err, int flags, rq_error **reterr)
{
        char what[160] = "";
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                const rq_ns_info *ni = rq_ns_info_get((rq_ns_type)t);
                if (flags & ni->clone_flag) {
                        strcat(what, what[0] ? " --" : "--");
                        strcat(what, ni->option);
                }
        }
        rq_error_set(reterr, err, "unshare(%s)", what);

        if ((flags & CLONE_NEWUSER) && (err == EPERM || err == ENOSPC || err == EACCES)) {
                _cleanup_free_ char *max = NULL, *unpriv = NULL, *aa = NULL;
                (void)read_full_file_at(AT_FDCWD, "/proc/sys/user/max_user_namespaces", &max, NULL);
                (void)read_full_file_at(AT_FDCWD, "/proc/sys/kernel/unprivileged_userns_clone",
                                        &unpriv, NULL);
                (void)read_full_file_at(AT_FDCWD,
                                        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                                        &aa, NULL);
                if (max && atoi(max) == 0)
                        return rq_error_hint(reterr,
                                             "user namespaces are disabled: the sysctl "
                                             "user.max_user_namespaces is 0; enable them with "
                                             "'sysctl -w user.max_user_namespaces=15000'");
                if (unpriv && atoi(unpriv) == 0 && geteuid() != 0)
                        return rq_error_hint(reterr,
                                             "unprivileged user namespaces are disabled: the "
                                             "sysctl kernel.unprivileged_userns_clone is 0; "
                                             "enable them with 'sysctl -w "
                                             "kernel.unprivileged_userns_clone=1'");
                if (aa && atoi(aa) == 1 && geteuid() != 0)
                        return rq_error_hint(reterr,
                                             "AppArmor restricts unprivileged user namespaces "
                                             "(sysctl kernel.apparmor_restrict_unprivileged_userns"
                                             "=1); allow this program in an AppArmor profile or "
                                             "set the sysctl to 0");
                if (err == ENOSPC)
                        return rq_error_hint(reterr,
                                             "the limit user.max_user_namespaces (%s) or the "
                                             "nesting depth of 32 is reached",
                                             max ? strip_trailing(max) : "?");
        }
        if (err == ENOSPC) {
                for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                        const rq_ns_info *ni = rq_ns_info_get((rq_ns_type)t);
                        if ((flags & ni->clone_flag) && t != RQ_NS_USER && t != RQ_NS_TIME)
                                return rq_error_hint(reterr,
                                                     "a namespace limit is reached: see the "
                                                     "user.max_*_namespaces sysctls (e.g. "
                                                     "user.max_%s_namespaces)",
                                                     ni->name);
                }
        }
        if (err == EPERM && !(flags & CLONE_NEWUSER))
                return rq_error_hint(reterr,
                                     "creating these namespaces needs CAP_SYS_ADMIN: run as root, "
                                     "or add --user (-U, or -r to be root inside) to create a "
                                     "user namespace that grants it");
        if (err == EINVAL && (flags & CLONE_NEWUSER))
                return rq_error_hint(reterr, "a chrooted or multi-threaded process cannot "
                                             "create a user namespace");
        if (err == EINVAL)
                for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                        const rq_ns_info *ni = rq_ns_info_get((rq_ns_type)t);
                        if ((flags & ni->clone_flag) && !rq_ns_supported((rq_ns_type)t))
                                return rq_error_hint(reterr,
                                                     "this kernel has no %s namespaces (needs "
                                                     "%s)",
                                                     ni->name, ni->kconfig);
                }
        return -err;
}

/* Build the uid or gid map from the options; *ret_by_helper says whether it must be written
 * from outside the new user namespace (ranges) or may be written by ourselves (one own id). */
static int build_map(const unshare_opts *o, rq_idmap_kind kind, rq_idmap *ret, bool *ret_by_helper,
                     rq_error **reterr)
{
        bool uid = kind == RQ_IDMAP_UID;
        const unshare_single_map *single = uid ? &o->map_uid : &o->map_gid;
        bool range_set = uid ? o->map_users_set : o->map_groups_set;
        rq_idmap_range range = uid ? o->map_users : o->map_groups;
        uint32_t self = uid ? geteuid() : getegid();
        *ret = (rq_idmap){ 0 };
        *ret_by_helper = range_set;

        if (single->set)
                (void)rq_idmap_add(ret, single->inner, self, 1);
        if (!range_set)
                return 0;
        if (range.inner == RQ_ID_AUTO) {
                const char *file = uid ? "/etc/subuid" : "/etc/subgid";
                /* Both files are keyed by the user (name or uid), as newgidmap reads them. */
                struct passwd *pw = getpwuid(geteuid());
                int r = rq_subid_lookup(file, pw ? pw->pw_name : NULL, geteuid(), &range.outer,
                                        &range.count, reterr);
                if (r < 0)
                        return rq_error_wrap(reterr, "--map-auto");
                range.inner = 0;
        }
        int r = rq_idmap_add_skipping(ret, range.inner, range.outer, range.count);
        if (r < 0)
                return rq_error_set(reterr, r,
                                    "%s map: range %u..%u of the namespace cannot be "
                                    "mapped to %u..%u",
                                    uid ? "uid" : "gid", range.inner, range.inner + range.count - 1,
                                    range.outer, range.outer + range.count - 1);
        return 0;
}

typedef struct helper_job {
        pid_t target;
        const unshare_opts *o;
        const rq_idmap *uidmap, *gidmap;
        bool uid_by_helper, gid_by_helper;
} helper_job;

/* Runs in the helper process, in the old namespaces: write maps of, and bind namespaces of,
 * the process that unshared. */
static int helper_work(const helper_job *j, rq_error **reterr)
{
        int r;
        if (j->uid_by_helper &&
            (r = rq_idmap_write(j->target, RQ_IDMAP_UID, j->uidmap,
                                rq_idmap_needs_helper(RQ_IDMAP_UID, j->uidmap), reterr)) < 0)
                return r;
        if (j->gid_by_helper &&
            (r = rq_idmap_write(j->target, RQ_IDMAP_GID, j->gidmap,
                                rq_idmap_needs_helper(RQ_IDMAP_GID, j->gidmap), reterr)) < 0)
                return r;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                const char *dest = j->o->persist[t];
                if (!dest)
                        continue;
                const rq_ns_info *ni = rq_ns_info_get((rq_ns_type)t);
                char src[96];
                /* A new PID or time namespace is the one our children get, not our own. */
                snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)j->target,
                         ni->for_children ? ni->for_children : ni->name);
                if (mount(src, dest, NULL, MS_BIND, NULL) < 0) {
                        int err = errno;
                        rq_error_set(reterr, err, "bind %s on %s (--%s=%s)", src, dest, ni->option,
                                     dest);
                        if (err == EPERM)
                                return rq_error_hint(
                                        reterr, "keeping a namespace in a file is a bind mount "
                                                "in the current mount namespace: it needs "
                                                "root (CAP_SYS_ADMIN)");
                        if (err == EINVAL && t == RQ_NS_MNT)
                                return rq_error_hint(reterr,
                                                     "a mount namespace file must sit on a mount "
                                                     "with private propagation, e.g. 'mount --bind "
                                                     "DIR DIR && mount --make-private DIR'");
                        return -err;
                }
        }
        return 0;
}

static _Noreturn void helper_main(int sync_fd, const helper_job *j)
{
        char c;
        /* EOF instead of the go byte: the parent failed and reports it itself. */
        if (RETRY_EINTR(read(sync_fd, &c, 1)) != 1)
                _exit(0);
        _cleanup_error_ rq_error *e = NULL;
        if (helper_work(j, &e) < 0) {
                rq_log_error(e);
                _exit(1);
        }
        _exit(0);
}

static int write_time_offsets(const unshare_opts *o, rq_error **reterr)
{
        char buf[128] = "";
        size_t n = 0;
        if (o->monotonic_set)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "monotonic %lld 0\n",
                                      (long long)o->monotonic);
        if (o->boottime_set)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "boottime %lld 0\n",
                                      (long long)o->boottime);
        if (n == 0)
                return 0;
        int r = write_string_file_at(AT_FDCWD, "/proc/self/timens_offsets", buf);
        if (r < 0)
                return rq_error_set(reterr, r,
                                    "set time namespace offsets (/proc/self/"
                                    "timens_offsets)");
        return 0;
}

static int raise_ambient_caps(rq_error **reterr)
{
        cap_t caps = cap_get_proc();
        if (!caps)
                return rq_error_set(reterr, errno, "read capabilities");
        int last = (int)cap_max_bits();
        for (int cap = 0; cap < last; cap++) {
                cap_flag_value_t v = CAP_CLEAR;
                if (cap_get_flag(caps, (cap_value_t)cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET) {
                        cap_value_t cv = (cap_value_t)cap;
                        cap_set_flag(caps, CAP_INHERITABLE, 1, &cv, CAP_SET);
                }
        }
        int r = cap_set_proc(caps);
        int err = errno;
        cap_free(caps);
        if (r < 0)
                return rq_error_set(reterr, err, "set inheritable capabilities (--keep-caps)");
        for (int cap = 0; cap < last; cap++)
                if (CAP_IS_SUPPORTED(cap))
                        (void)cap_set_ambient((cap_value_t)cap, CAP_SET);
        return 0;
}

/* Everything after the (optional) fork: runs in the process that execs the program. */
static int setup_and_exec(const unshare_opts *o, rq_error **reterr)
{
        if ((o->flags & CLONE_NEWNS) && o->propagation != 0 &&
            mount("none", "/", NULL, MS_REC | o->propagation, NULL) < 0)
                return rq_error_set(reterr, errno, "set propagation of / to %s",
                                    o->propagation == MS_SLAVE    ? "slave"
                                    : o->propagation == MS_SHARED ? "shared"
                                                                  : "private");
        if (o->root) {
                if (chroot(o->root) < 0)
                        return rq_error_set(reterr, errno, "change root directory to %s", o->root);
        }
        const char *wd = o->wd ? o->wd : (o->root ? "/" : NULL);
        if (wd && chdir(wd) < 0)
                return rq_error_set(reterr, errno, "change working directory to %s", wd);
        if (o->mount_proc) {
                /* Private first, so the new /proc does not propagate back to the host. */
                /* EINVAL: not a mount point (e.g. in a -R root); the new proc mount then takes
                 * the propagation of the mount it sits on, made private above by default. */
                if (mount("none", o->mount_proc, NULL, MS_PRIVATE | MS_REC, NULL) < 0 &&
                    errno != EINVAL)
                        return rq_error_set(reterr, errno, "make %s private (--mount-proc)",
                                            o->mount_proc);
                if (mount("proc", o->mount_proc, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) <
                    0) {
                        int err = errno;
                        rq_error_set(reterr, err, "mount proc on %s (--mount-proc)", o->mount_proc);
                        if (err == EPERM && (o->flags & CLONE_NEWUSER) &&
                            !(o->flags & CLONE_NEWPID))
                                rq_error_hint(reterr, "inside a new user namespace, proc can "
                                                      "only be mounted for a PID namespace it "
                                                      "owns: add --pid --fork");
                        return -err;
                }
        }
        if (o->setgid_set) {
                if (setgroups(0, NULL) < 0 && errno != EPERM)
                        return rq_error_set(reterr, errno, "drop supplementary groups");
                if (setgid(o->setgid) < 0)
                        return rq_error_set(reterr, errno, "setgid %u", (unsigned)o->setgid);
        }
        if (o->setuid_set && setuid(o->setuid) < 0)
                return rq_error_set(reterr, errno, "setuid %u", (unsigned)o->setuid);
        if (o->keep_caps && (o->flags & CLONE_NEWUSER)) {
                int r = raise_ambient_caps(reterr);
                if (r < 0)
                        return r;
        }
        tool_exec(o->argv);
}

/* Wake the helper and wait for it; it prints its own error. */
static int helper_release(int *sync_w, pid_t *helper, rq_error **reterr)
{
        int status, r = 0;
        if (write_all(*sync_w, "g", 1) < 0)
                r = rq_error_set(reterr, errno, "wake helper");
        *sync_w = safe_close(*sync_w);
        if (RETRY_EINTR(waitpid(*helper, &status, 0)) < 0)
                r = rq_error_set(reterr, errno, "wait for helper");
        else if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                r = rq_error_set(reterr, 0, "setting up the new namespaces failed");
        *helper = -1;
        return r;
}

static int unshare_run(const unshare_opts *o, rq_error **reterr)
{
        rq_idmap uidmap, gidmap;
        bool uid_by_helper = false, gid_by_helper = false;
        pid_t self = getpid(), helper = -1;
        _cleanup_close_ int sync_w = -EBADF;
        int r;

        if (!(o->flags & CLONE_NEWNS) && o->propagation != MS_PRIVATE && !o->quiet)
                rq_warn("--propagation has no effect without a new mount namespace (-m)");
        if (o->keep_caps && !(o->flags & CLONE_NEWUSER) && !o->quiet)
                rq_warn("--keep-caps has no effect without a new user namespace (-U)");
        if (o->setgroups && !(o->flags & CLONE_NEWUSER))
                return rq_error_set(reterr, EINVAL,
                                    "--setgroups %s needs a new user namespace "
                                    "(add -U/--user or -r)",
                                    o->setgroups);
        if (o->flags & CLONE_NEWUSER) {
                if ((r = build_map(o, RQ_IDMAP_UID, &uidmap, &uid_by_helper, reterr)) < 0 ||
                    (r = build_map(o, RQ_IDMAP_GID, &gidmap, &gid_by_helper, reterr)) < 0)
                        return r;
        } else {
                uidmap = gidmap = (rq_idmap){ 0 };
        }

        /* Namespace files must exist before the bind; create the missing ones (util-linux
         * wants them made by hand) and remove them again if anything fails. */
        bool created[_RQ_NS_TYPE_MAX] = { false };
        bool any_persist = false;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                if (!o->persist[t])
                        continue;
                any_persist = true;
                int fd = open(o->persist[t], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        close(fd);
                        created[t] = true;
                } else if (errno != EEXIST) {
                        r = rq_error_set(reterr, errno, "create namespace file %s", o->persist[t]);
                        goto fail;
                }
        }

        if (uid_by_helper || gid_by_helper || any_persist) {
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0) {
                        r = rq_error_set(reterr, errno, "create helper pipe");
                        goto fail;
                }
                helper = fork();
                if (helper < 0) {
                        r = rq_error_set(reterr, errno, "fork helper");
                        close(p[0]);
                        close(p[1]);
                        goto fail;
                }
                if (helper == 0) {
                        close(p[1]);
                        helper_job j = { self, o, &uidmap, &gidmap, uid_by_helper, gid_by_helper };
                        helper_main(p[0], &j);
                }
                close(p[0]);
                sync_w = p[1];
        }

        if (unshare(o->flags) < 0) {
                r = unshare_error(errno, o->flags, reterr);
                goto fail_helper;
        }
        if ((r = write_time_offsets(o, reterr)) < 0)
                goto fail_helper;

        /* A gid map we write ourselves needs setgroups denied first (kernel rule since 3.19). */
        bool gid_self = (o->flags & CLONE_NEWUSER) && gidmap.n > 0 && !gid_by_helper;
        const char *setgroups = o->setgroups ? o->setgroups : (gid_self ? "deny" : NULL);
        if (setgroups && (r = rq_setgroups_write(0, setgroups, reterr)) < 0)
                goto fail_helper;

        /* A new PID namespace's file (pid_for_children) only opens once it has a process:
         * then the helper binds after the fork, while the child waits. */
        bool helper_after_fork = helper > 0 && o->fork && o->persist[RQ_NS_PID];
        if (helper > 0 && !helper_after_fork && (r = helper_release(&sync_w, &helper, reterr)) < 0)
                goto fail;
        if ((o->flags & CLONE_NEWUSER) && !uid_by_helper && uidmap.n > 0 &&
            (r = rq_idmap_write(0, RQ_IDMAP_UID, &uidmap, false, reterr)) < 0)
                goto fail;
        if (gid_self && (r = rq_idmap_write(0, RQ_IDMAP_GID, &gidmap, false, reterr)) < 0)
                goto fail;

        if ((o->flags & CLONE_NEWPID) && !o->fork && !o->quiet)
                rq_note("--pid without --fork: %s itself stays in the current PID namespace; "
                        "only its children enter the new one, and once the first child exits "
                        "no more can be created there (fork: Cannot allocate memory). Add "
                        "--fork (-f).",
                        o->argv ? o->argv[0] : "the shell");

        if (o->fork) {
                /* A pidfd of ourselves lets the child see if we died before PDEATHSIG was set:
                 * getppid() cannot tell, it is 0 for a PID 1 whose parent is outside. */
                _cleanup_close_ int self_fd = o->kill_child ? pidfd_open(self, 0) : -EBADF;
                if (o->kill_child && self_fd < 0)
                        return rq_error_set(reterr, errno, "pidfd_open of ourselves");
                int go[2] = { -EBADF, -EBADF };
                if (helper_after_fork && pipe2(go, O_CLOEXEC) < 0) {
                        r = rq_error_set(reterr, errno, "create pipe");
                        goto fail_helper;
                }
                pid_t child = fork();
                if (child < 0) {
                        r = rq_error_set(reterr, errno, "fork");
                        safe_close(go[0]);
                        safe_close(go[1]);
                        goto fail_helper;
                }
                if (child > 0) {
                        self_fd = safe_close(self_fd);
                        if (helper_after_fork) {
                                safe_close(go[0]);
                                r = helper_release(&sync_w, &helper, reterr);
                                if (r < 0) {
                                        /* The child reads EOF and exits; reap it. */
                                        safe_close(go[1]);
                                        (void)RETRY_EINTR(waitpid(child, NULL, 0));
                                        goto fail;
                                }
                                (void)write_all(go[1], "g", 1);
                                safe_close(go[1]);
                        }
                        tool_wait_and_exit(child);
                }
                if (helper_after_fork) {
                        char c;
                        safe_close(go[1]);
                        sync_w = safe_close(sync_w);
                        if (RETRY_EINTR(read(go[0], &c, 1)) != 1)
                                _exit(1);
                        safe_close(go[0]);
                }
                if (o->kill_child) {
                        if (prctl(PR_SET_PDEATHSIG, o->kill_child) < 0)
                                return rq_error_set(reterr, errno, "set parent-death signal");
                        struct pollfd pfd = { .fd = self_fd, .events = POLLIN };
                        if (poll(&pfd, 1, 0) != 0)
                                _exit(1); /* the parent is already gone */
                }
        }
        return setup_and_exec(o, reterr);

fail_helper:
        sync_w = safe_close(sync_w); /* EOF: the helper exits without doing anything */
        if (helper > 0)
                (void)RETRY_EINTR(waitpid(helper, NULL, 0));
fail:
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                if (created[t]) {
                        (void)umount2(o->persist[t], MNT_DETACH);
                        (void)unlink(o->persist[t]);
                }
        return r;
}

int cmd_unshare(int argc, char **argv)
{
        unshare_opts o;
        _cleanup_error_ rq_error *e = NULL;
        if (unshare_parse(argc, argv, &o, &e) < 0)
                return tool_usage_error_from("unshare", e);
        if (o.help) {
                help();
                return 0;
        }
        if (o.version) {
                printf("rongqi unshare version %s\n", RQ_VERSION);
                return 0;
        }
        if (o.quiet)
                rq_log_set_level(RQ_LOG_WARNING);
        unshare_run(&o, &e);
        rq_log_error(e);
        return 1;
}
