/* Joining the namespaces of a running process (or namespace files), as nsenter(1) does: opening
 * everything first (a pidfd of the target, /proc/PID/ns/ files or bind-mounted namespace files,
 * the target's root and working directory), then joining them — in one setns(pidfd, flags) call
 * where the kernel allows it, one setns(fd) per namespace otherwise — then changing root,
 * working directory and credentials. The caller forks afterwards when a PID namespace was
 * entered (only children of the caller are born in it) and execs the program. Nothing here
 * prints: failures come back as rq_error chains with hints. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/ns.h"

/* A set of namespace types: bit 1 << rq_ns_type. */
#define RQ_NS_BIT(type) (1u << (unsigned)(type))
#define RQ_NS_ALL_BITS ((1u << _RQ_NS_TYPE_MAX) - 1)

/* What the user asked for; filled by a front end's option parser. */
typedef struct rq_nsjoin_request {
        pid_t target; /* the process whose namespaces are entered; 0: none given */
        unsigned types; /* namespaces named on the command line (RQ_NS_BIT) */
        const char *path[_RQ_NS_TYPE_MAX]; /* namespace file for a named type; NULL: the target's */
        bool all; /* also every namespace of the target that differs from ours */
        bool root; /* change the root directory: to root_path, or the target's root */
        const char *root_path;
        bool wd; /* change the working directory: to wd_path, or the target's cwd */
        const char *wd_path;
        bool set_uid; /* -S: this uid after joining (default 0 when a user ns is entered) */
        uid_t uid;
        bool set_gid; /* -G: this gid after joining (default 0 when a user ns is entered) */
        gid_t gid;
        bool preserve_credentials; /* entering a user ns keeps the uid/gid (no setuid(0)) */
} rq_nsjoin_request;

/* The prepared join: every fd open, the final set of namespaces decided. */
typedef struct rq_nsjoin {
        pid_t target;
        int pidfd; /* pidfd of target, or -EBADF (no target, or no pidfd_open on this kernel) */
        int fd[_RQ_NS_TYPE_MAX]; /* open namespace of each type to enter, else -EBADF */
        uint64_t inode[_RQ_NS_TYPE_MAX]; /* its inode (0 when not known) */
        uint64_t own_inode[_RQ_NS_TYPE_MAX]; /* inode of the caller's namespace (0: unsupported) */
        const char *path[_RQ_NS_TYPE_MAX]; /* the FILE it came from, for messages; NULL: target */
        unsigned enter; /* namespaces to enter (RQ_NS_BIT) */
        unsigned skipped; /* -a: namespaces of the target that are already ours */
        unsigned from_file; /* namespaces that come from a FILE rather than the target */
        int root_fd; /* O_PATH directory to chroot to, or -EBADF */
        int wd_fd; /* O_PATH directory to chdir to, or -EBADF */
        const char *root_path, *wd_path; /* as given, for messages; NULL: the target's */
        bool set_uid, set_gid, preserve_credentials;
        uid_t uid;
        gid_t gid;
        /* Filled in by rq_nsjoin_enter: */
        bool joined_by_pidfd; /* all namespaces joined by one setns(pidfd) call */
} rq_nsjoin;

#define RQ_NSJOIN_INIT                                                                             \
        {                                                                                          \
                .pidfd = -EBADF,                                                                   \
                .fd = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF },          \
                .root_fd = -EBADF, .wd_fd = -EBADF,                                                \
        }

/* Check a request without touching the system: a target is needed for every namespace named
 * without a FILE, for -a and for -r/-w without DIR; something must be done (a namespace, -a,
 * -r, -w, -S or -G). -EINVAL with a message that says what to add. */
int rq_nsjoin_request_check(const rq_nsjoin_request *req, rq_error **reterr);

/* The namespaces to enter: the named ones, plus with -a every type whose target inode is known
 * (non-zero) and differs from ours (own inode 0: the kernel lacks the type). Pure. */
unsigned rq_nsjoin_select(const rq_nsjoin_request *req, const uint64_t target_inode[],
                          const uint64_t own_inode[]);

/* Open everything the join needs, before anything is joined (after setns(CLONE_NEWNS) the
 * target's /proc may not even be reachable, and FILE paths would resolve in the new mount
 * namespace). ret must be RQ_NSJOIN_INIT; on failure it still owns what was opened. */
int rq_nsjoin_prepare(const rq_nsjoin_request *req, rq_nsjoin *ret, rq_error **reterr);

/* Join the prepared namespaces, then chroot/chdir, then set credentials. Afterwards the caller
 * forks if RQ_NS_PID is in j->enter (the caller itself stays in its PID namespace). */
int rq_nsjoin_enter(rq_nsjoin *j, rq_error **reterr);

/* Close every fd the join holds; safe to call twice. */
void rq_nsjoin_done(rq_nsjoin *j);
static inline void rq_nsjoin_donep(rq_nsjoin *j)
{
        rq_nsjoin_done(j);
}
#define _cleanup_nsjoin_ _cleanup_(rq_nsjoin_donep)
