/* Joining the namespaces of another process: open everything, join (pidfd first, namespace fds
 * as the fallback and for namespace files), then root, working directory and credentials, in
 * util-linux nsenter's order. Errors say which namespace failed, which capability was missing
 * where, and what to add to the command line. */
#include "lib/nsjoin.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

_Static_assert(_RQ_NS_TYPE_MAX == 8, "RQ_NSJOIN_INIT lists one fd per namespace type");

static int pidfd_open_target(pid_t pid)
{
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? negative_errno() : fd;
}

int rq_nsjoin_request_check(const rq_nsjoin_request *req, rq_error **reterr)
{
        if (req->target <= 0) {
                for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                        if (!(req->types & RQ_NS_BIT(t)) || req->path[t])
                                continue;
                        const char *o = rq_ns_info_get((rq_ns_type)t)->option;
                        return rq_error_invalid(
                                reterr,
                                "no target PID given: --%s without FILE enters the %s "
                                "namespace of a process; use -t PID or give --%s=FILE",
                                o, rq_ns_info_get((rq_ns_type)t)->name, o);
                }
                if (req->all)
                        return rq_error_invalid(
                                reterr, "no target PID given: -a enters every namespace of a "
                                        "process; name it with -t PID");
                if ((req->root && !req->root_path) || (req->wd && !req->wd_path)) {
                        const char *o = req->root && !req->root_path ? "root" : "wd";
                        return rq_error_invalid(
                                reterr,
                                "no target PID given: --%s without DIR uses the target's "
                                "%s; use -t PID or give --%s=DIR",
                                o, streq(o, "root") ? "root directory" : "working directory", o);
                }
        }
        /* util-linux 2.38 runs the program unchanged then; newer versions refuse even -r/-w
         * alone. Refuse only a command line that would change nothing at all. */
        if (!(req->types & RQ_NS_ALL_BITS) && !req->all && !req->root && !req->wd &&
            !req->set_uid && !req->set_gid)
                return rq_error_invalid(reterr,
                                        "no namespace to enter: name at least one (-m -u -i "
                                        "-n -p -U -C -T, each optionally =FILE), or use -a "
                                        "to enter all of the target's");
        return 0;
}

unsigned rq_nsjoin_select(const rq_nsjoin_request *req, const uint64_t target_inode[],
                          const uint64_t own_inode[])
{
        unsigned m = req->types & RQ_NS_ALL_BITS;
        if (!req->all)
                return m;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                if (m & RQ_NS_BIT(t))
                        continue;
                /* Entering a namespace we are already in is at best a no-op and at worst an
                 * error (setns(2) refuses one's own user namespace with EINVAL, and rootless
                 * callers have no CAP_SYS_ADMIN over the host's namespaces): skip those. */
                if (target_inode[t] != 0 && own_inode[t] != 0 && target_inode[t] != own_inode[t])
                        m |= RQ_NS_BIT(t);
        }
        return m;
}

/* "net namespace of process 42" or "net namespace /run/netns/x", for messages. */
static void ns_describe(const rq_nsjoin *j, rq_ns_type t, char *buf, size_t size)
{
        const char *name = rq_ns_info_get(t)->name;
        if (j->path[t])
                snprintf(buf, size, "%s namespace %s", name, j->path[t]);
        else
                snprintf(buf, size, "%s namespace of process %d", name, (int)j->target);
}

static int open_namespace(const rq_nsjoin_request *req, rq_nsjoin *j, rq_ns_type t,
                          rq_error **reterr)
{
        bool named = req->types & RQ_NS_BIT(t);
        int fd;
        if (named && req->path[t]) {
                fd = rq_ns_open_path(req->path[t], t, reterr);
                if (fd < 0)
                        return fd;
                j->from_file |= RQ_NS_BIT(t);
                j->path[t] = req->path[t];
        } else {
                /* -a on a kernel without this type: nothing to enter, not an error. */
                if (!named && j->own_inode[t] == 0)
                        return 0;
                fd = rq_ns_open(req->target, t, false, reterr);
                if (fd < 0)
                        return fd;
        }
        j->fd[t] = fd;
        int r = rq_ns_fd_identify(fd, NULL, &j->inode[t]);
        if (r < 0)
                return rq_error_set(reterr, r, "identify the %s namespace",
                                    rq_ns_info_get(t)->name);
        return 0;
}

static int open_dir(rq_nsjoin *j, const char *path, const char *what, const char *proc_name,
                    int *ret_fd, rq_error **reterr)
{
        char p[64];
        if (!path) {
                snprintf(p, sizeof(p), "/proc/%d/%s", (int)j->target, proc_name);
                path = p;
        }
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int err = errno;
                rq_error_set(reterr, err, "open %s %s", what, path);
                if ((err == EACCES || err == EPERM) && path == p)
                        return rq_error_hint(reterr,
                                             "the root and working directory of another user's "
                                             "process need ptrace access to it (the same user, "
                                             "or CAP_SYS_PTRACE); run as root or give DIR");
                return -err;
        }
        *ret_fd = fd;
        return 0;
}

int rq_nsjoin_prepare(const rq_nsjoin_request *req, rq_nsjoin *j, rq_error **reterr)
{
        int r = rq_nsjoin_request_check(req, reterr);
        if (r < 0)
                return r;
        j->target = req->target;
        j->set_uid = req->set_uid;
        j->uid = req->uid;
        j->set_gid = req->set_gid;
        j->gid = req->gid;
        j->preserve_credentials = req->preserve_credentials;
        j->root_path = req->root_path;
        j->wd_path = req->wd_path;

        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                if (rq_ns_inode(0, (rq_ns_type)t, false, &j->own_inode[t]) < 0)
                        j->own_inode[t] = 0;

        if (req->target > 0) {
                /* The pidfd pins the process: the /proc/PID files opened below are checked
                 * against it afterwards, so a PID reused in between cannot slip in. EINVAL is
                 * a thread id (no pidfd before Linux 6.9), ENOSYS a kernel before 5.3: both
                 * still work through /proc/PID/ns. */
                r = pidfd_open_target(req->target);
                if (r == -ESRCH)
                        return rq_error_set(reterr, ESRCH, "target process %d", (int)req->target);
                if (r < 0 && r != -EINVAL && r != -ENOSYS)
                        return rq_error_set(reterr, r, "open a pidfd of target process %d",
                                            (int)req->target);
                j->pidfd = r >= 0 ? r : -EBADF;
        }

        unsigned wanted = req->types & RQ_NS_ALL_BITS;
        if (req->all)
                wanted = RQ_NS_ALL_BITS;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                if (!(wanted & RQ_NS_BIT(t)))
                        continue;
                r = open_namespace(req, j, (rq_ns_type)t, reterr);
                if (r < 0)
                        return r;
        }

        j->enter = rq_nsjoin_select(req, j->inode, j->own_inode);
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                if (!(j->enter & RQ_NS_BIT(t)) && j->fd[t] >= 0) {
                        j->skipped |= RQ_NS_BIT(t);
                        j->fd[t] = safe_close(j->fd[t]);
                }

        if ((j->enter & RQ_NS_BIT(RQ_NS_USER)) &&
            j->inode[RQ_NS_USER] == j->own_inode[RQ_NS_USER]) {
                char what[PATH_MAX + 64];
                ns_describe(j, RQ_NS_USER, what, sizeof(what));
                rq_error_invalid(reterr,
                                 "cannot enter the %s: it is this process's own user "
                                 "namespace already",
                                 what);
                rq_error_hint(reterr, "setns(2) refuses to re-enter one's own user namespace; "
                                      "drop -U (-a skips namespaces that are already ours)");
                return -EINVAL;
        }

        if (req->root) {
                r = open_dir(j, req->root_path, "root directory", "root", &j->root_fd, reterr);
                if (r < 0)
                        return r;
        }
        if (req->wd) {
                r = open_dir(j, req->wd_path, "working directory", "cwd", &j->wd_fd, reterr);
                if (r < 0)
                        return r;
        }

        if (j->pidfd >= 0) {
                /* A pidfd polls readable once its process has exited. */
                struct pollfd p = { .fd = j->pidfd, .events = POLLIN };
                if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
                        return rq_error_set(reterr, ESRCH,
                                            "target process %d exited while its namespaces "
                                            "were being opened",
                                            (int)req->target);
        }
        return 0;
}

/* EPERM from setns: say which capability was missing in which user namespace. */
static int setns_eperm_hint(rq_nsjoin *j, rq_ns_type t, bool user_entered, rq_error **reterr)
{
        uid_t owner_uid = 0;
        if (t == RQ_NS_USER) {
                if (rq_ns_get_owner_uid(j->fd[t], &owner_uid) < 0)
                        return rq_error_hint(reterr, "entering a user namespace needs "
                                                     "CAP_SYS_ADMIN in it; run as root");
                return rq_error_hint(reterr,
                                     "entering a user namespace needs CAP_SYS_ADMIN in it: its "
                                     "creator (uid %u) has that, and so has root above it; run "
                                     "as uid %u or as root",
                                     (unsigned)owner_uid, (unsigned)owner_uid);
        }

        const char *name = rq_ns_info_get(t)->name;
        const char *caps = t == RQ_NS_MNT ? "CAP_SYS_ADMIN and CAP_SYS_CHROOT" : "CAP_SYS_ADMIN";
        _cleanup_close_ int owner = rq_ns_get_userns(j->fd[t]);
        char where[128] = "";
        uint64_t owner_inode = 0;
        if (owner >= 0) {
                struct stat st;
                if (fstat(owner, &st) == 0)
                        owner_inode = st.st_ino;
                if (rq_ns_get_owner_uid(owner, &owner_uid) == 0)
                        snprintf(where, sizeof(where), " (user:[%" PRIu64 "], created by uid %u)",
                                 owner_inode, (unsigned)owner_uid);
        }

        if (user_entered)
                return rq_error_hint(reterr,
                                     "joining a %s namespace needs %s in the user namespace that "
                                     "owns it%s; that is neither the user namespace entered nor "
                                     "one below it, so -U does not help: run as root, or leave "
                                     "this namespace out (-a leaves out those that are ours)",
                                     name, caps, where);
        if (owner_inode != 0 && owner_inode == j->own_inode[RQ_NS_USER])
                return rq_error_hint(reterr,
                                     "joining a %s namespace needs %s in the user namespace that "
                                     "owns it%s; that is this process's own user namespace, "
                                     "where it has no such capability: run as root",
                                     name, caps, where);
        return rq_error_hint(reterr,
                             "joining a %s namespace needs %s in the user namespace that owns "
                             "it%s, which this process does not have; add -U to enter the "
                             "target's user namespace first, or run as root",
                             name, caps, where);
}

static int setns_error(rq_nsjoin *j, rq_ns_type t, int err, bool user_entered, rq_error **reterr)
{
        char what[PATH_MAX + 64];
        ns_describe(j, t, what, sizeof(what));
        rq_error_set(reterr, err, "enter the %s (%s:[%" PRIu64 "])", what, rq_ns_info_get(t)->name,
                     j->inode[t]);
        if (err == EPERM)
                return setns_eperm_hint(j, t, user_entered, reterr);
        if (err == EINVAL && t == RQ_NS_PID)
                return rq_error_hint(reterr, "a process can only enter its own PID namespace or "
                                             "one created below it");
        if (err == EINVAL && t == RQ_NS_USER)
                return rq_error_hint(reterr, "a process can only enter a user namespace other "
                                             "than its own, and only while it is single-threaded");
        return -err;
}

/* One setns(fd) per namespace, in util-linux's two passes. */
static int join_each(rq_nsjoin *j, rq_error **reterr)
{
        unsigned pending = j->enter;
        /* Pass 1, everything but the user namespace, failures ignored: a namespace owned by
         * the caller's user namespace can only be entered before the new user namespace, since
         * entering one drops every capability outside it. */
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                if (t == RQ_NS_USER || !(pending & RQ_NS_BIT(t)))
                        continue;
                if (setns(j->fd[t], rq_ns_info_get((rq_ns_type)t)->clone_flag) == 0)
                        pending &= ~RQ_NS_BIT(t);
        }
        /* Pass 2, user namespace first (it grants the capabilities inside it, which the
         * namespaces it owns need), then what pass 1 could not enter; now failures count. */
        bool user_entered = false;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                if (!(pending & RQ_NS_BIT(t)))
                        continue;
                if (setns(j->fd[t], rq_ns_info_get((rq_ns_type)t)->clone_flag) < 0)
                        return setns_error(j, (rq_ns_type)t, errno, user_entered, reterr);
                if (t == RQ_NS_USER)
                        user_entered = true;
                pending &= ~RQ_NS_BIT(t);
        }
        return 0;
}

static int join_namespaces(rq_nsjoin *j, rq_error **reterr)
{
        if (!j->enter)
                return 0;
        if (j->pidfd >= 0 && !(j->enter & j->from_file)) {
                int flags = 0;
                for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                        if (j->enter & RQ_NS_BIT(t))
                                flags |= rq_ns_info_get((rq_ns_type)t)->clone_flag;
                /* All at once and atomically (Linux 5.8): the kernel enters the user namespace
                 * first and checks the others with the capabilities gained there. */
                if (setns(j->pidfd, flags) == 0) {
                        j->joined_by_pidfd = true;
                        return 0;
                }
                /* EINVAL: a kernel before 5.8. EPERM: the one call could not do it, but
                 * util-linux's order may (a namespace owned by an outer user namespace entered
                 * before the inner user namespace); if not, the namespace-by-namespace path
                 * names the one that failed. Nothing was joined, so fall through. */
        }
        return join_each(j, reterr);
}

static int change_dirs(rq_nsjoin *j, rq_error **reterr)
{
        char p[64];
        if (j->root_fd >= 0) {
                const char *root = j->root_path;
                if (!root) {
                        snprintf(p, sizeof(p), "/proc/%d/root", (int)j->target);
                        root = p;
                }
                /* Without -w, keep the working directory we have now (after a mount
                 * namespace was entered: its root), as util-linux does. */
                if (j->wd_fd < 0) {
                        j->wd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (j->wd_fd < 0)
                                return rq_error_set(reterr, errno,
                                                    "open the current working directory");
                }
                if (fchdir(j->root_fd) < 0)
                        return rq_error_set(reterr, errno, "change directory to %s", root);
                if (chroot(".") < 0) {
                        int err = errno;
                        rq_error_set(reterr, err, "change the root directory to %s", root);
                        if (err == EPERM)
                                return rq_error_hint(reterr,
                                                     "chroot needs CAP_SYS_CHROOT in the "
                                                     "current user namespace; run as root or "
                                                     "add -U");
                        return -err;
                }
                if (chdir("/") < 0)
                        return rq_error_set(reterr, errno, "change directory to / in %s", root);
                j->root_fd = safe_close(j->root_fd);
        }
        if (j->wd_fd >= 0) {
                if (fchdir(j->wd_fd) < 0) {
                        const char *wd = j->wd_path;
                        if (!wd) {
                                snprintf(p, sizeof(p), "/proc/%d/cwd", (int)j->target);
                                wd = p;
                        }
                        return rq_error_set(reterr, errno, "change the working directory to %s",
                                            wd);
                }
                j->wd_fd = safe_close(j->wd_fd);
        }
        return 0;
}

/* Is setgroups(2) denied in our user namespace? proc_fd is our /proc from before joining: the
 * target's /proc (after its mount namespace was entered) has no "self" for a process outside its
 * PID namespace. */
static bool setgroups_denied(int proc_fd)
{
        _cleanup_free_ char *s = NULL;
        if (proc_fd < 0 || read_full_file_at(proc_fd, "self/setgroups", &s, NULL) < 0)
                return false;
        return startswith(s, "deny") != NULL;
}

static int set_credentials(rq_nsjoin *j, bool groups_dropped, int proc_fd, rq_error **reterr)
{
        /* Entering a user namespace makes us uid/gid 0 there unless told otherwise: the ids
         * we had outside map to something else inside, or to the overflow id 65534. */
        bool user = (j->enter & RQ_NS_BIT(RQ_NS_USER)) && !j->preserve_credentials;
        bool force_uid = j->set_uid || user, force_gid = j->set_gid || user;
        uid_t uid = j->set_uid ? j->uid : 0;
        gid_t gid = j->set_gid ? j->gid : 0;

        if (force_gid) {
                /* Dropped before joining (as root outside), or now (root inside): either will
                 * do. A namespace whose setgroups is "deny" (an unprivileged uid map) refuses
                 * it for good; then the groups we came with stay, mapped or as 65534. */
                if (setgroups(0, NULL) < 0 && user && !groups_dropped) {
                        int err = errno;
                        if (!setgroups_denied(proc_fd))
                                return rq_error_set(reterr, err, "drop the supplementary groups");
                }
                if (setgid(gid) < 0) {
                        int err = errno;
                        rq_error_set(reterr, err, "set group id %u", (unsigned)gid);
                        if (err == EINVAL)
                                return rq_error_hint(reterr,
                                                     "gid %u is not mapped in this user "
                                                     "namespace (see /proc/%d/gid_map); give "
                                                     "-G with a mapped gid, or "
                                                     "--preserve-credentials",
                                                     (unsigned)gid, (int)j->target);
                        if (err == EPERM)
                                return rq_error_hint(reterr, "changing the group id needs "
                                                             "CAP_SETGID; run as root or add -U");
                        return -err;
                }
        }
        if (force_uid && setuid(uid) < 0) {
                int err = errno;
                rq_error_set(reterr, err, "set user id %u", (unsigned)uid);
                if (err == EINVAL)
                        return rq_error_hint(reterr,
                                             "uid %u is not mapped in this user namespace (see "
                                             "/proc/%d/uid_map); give -S with a mapped uid, or "
                                             "--preserve-credentials",
                                             (unsigned)uid, (int)j->target);
                if (err == EPERM)
                        return rq_error_hint(reterr, "changing the user id needs CAP_SETUID; run "
                                                     "as root or add -U");
                return -err;
        }
        return 0;
}

int rq_nsjoin_enter(rq_nsjoin *j, rq_error **reterr)
{
        /* Drop supplementary groups while still privileged outside (util-linux does it before
         * and after joining, and complains only if both fail). */
        bool groups_dropped = false;
        _cleanup_close_ int proc_fd = -EBADF;
        if ((j->enter & RQ_NS_BIT(RQ_NS_USER)) && !j->preserve_credentials) {
                groups_dropped = setgroups(0, NULL) == 0;
                proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        }

        int r = join_namespaces(j, reterr);
        if (r < 0)
                return r;
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                j->fd[t] = safe_close(j->fd[t]);
        j->pidfd = safe_close(j->pidfd);

        r = change_dirs(j, reterr);
        if (r < 0)
                return r;
        return set_credentials(j, groups_dropped, proc_fd, reterr);
}

void rq_nsjoin_done(rq_nsjoin *j)
{
        for (int t = 0; t < _RQ_NS_TYPE_MAX; t++)
                j->fd[t] = safe_close(j->fd[t]);
        j->pidfd = safe_close(j->pidfd);
        j->root_fd = safe_close(j->root_fd);
        j->wd_fd = safe_close(j->wd_fd);
}
