/* What `rongqi ns` shows, gathered without printing: the system-wide list of namespaces (one
 * entry per namespace, from every process in /proc plus the nsfs bind mounts of
 * /proc/self/mountinfo, aggregated like util-linux lsns) and the report on one process's
 * namespaces (inode, whether it differs from the initial one, owning user namespace, parent
 * chain).
 *
 * The listing is built in steps that tests can drive one by one:
 *
 *     rq_nslist_scan_procs()      one record per (process, namespace) from a /proc directory
 *     rq_nslist_add_mountinfo()   nsfs mounts from mountinfo text
 *     rq_nslist_aggregate()       records -> entries, sorted by inode, with counts and lowest PID
 *     rq_nslist_resolve()         command lines and owning user namespaces (reads /proc, ioctls)
 *
 * rq_nslist_scan() runs them all on the real /proc. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/ns.h"

/* A set of namespace types: bit (1 << rq_ns_type). */
#define RQ_NS_MASK(type) (1u << (unsigned)(type))
#define RQ_NS_MASK_ALL ((1u << _RQ_NS_TYPE_MAX) - 1)

/* lsns reads at most BUFSIZ (8192) bytes of a command line; so do we. */
#define RQ_NSLIST_COMMAND_MAX 8192

/* One process found in one namespace. */
typedef struct rq_nslist_record {
        uint64_t inode;
        rq_ns_type type;
        pid_t pid;
        uid_t uid; /* owner of /proc/PID: the process's effective uid when it is dumpable */
} rq_nslist_record;

/* One nsfs mount: a namespace file bind-mounted on path (ip netns, unshare --net=FILE). */
typedef struct rq_nslist_mount {
        uint64_t inode;
        rq_ns_type type;
        char *path;
} rq_nslist_mount;

/* One namespace of the system. */
typedef struct rq_nslist_entry {
        uint64_t inode;
        rq_ns_type type;
        unsigned nprocs; /* 0: kept alive only by an nsfs mount */
        pid_t pid; /* lowest PID in it, 0 when nprocs is 0 */
        uid_t uid; /* owner of /proc/PID of that process */
        char *command; /* its command line as lsns shows it; NULL when unknown */
        uint64_t owner; /* inode of the owning user namespace; 0 when not visible */
        char **nsfs; /* NULL-terminated mount points it is bound on, or NULL */
        size_t first_record; /* its records are records[first_record .. + nprocs) */
} rq_nslist_entry;

typedef struct rq_nslist {
        rq_nslist_record *records;
        size_t n_records, alloc_records;
        rq_nslist_mount *mounts;
        size_t n_mounts, alloc_mounts;
        rq_nslist_entry *entries;
        size_t n_entries;
} rq_nslist;

void rq_nslist_done(rq_nslist *l);

/* Record one process in one namespace. */
int rq_nslist_add_record(rq_nslist *l, rq_ns_type type, uint64_t inode, pid_t pid, uid_t uid);
/* Read every /proc/PID (processes, not threads) under proc_fd, for the types in mask. Processes
 * that vanish or whose namespaces this process may not read are skipped, as lsns does. */
int rq_nslist_scan_procs(rq_nslist *l, int proc_fd, unsigned mask, rq_error **reterr);

/* "net:[4026531840]" (the root of an nsfs mount, the target of a /proc/PID/ns link). */
int rq_nsfs_name_parse(const char *s, rq_ns_type *ret_type, uint64_t *ret_inode);
/* One line of /proc/PID/mountinfo: 1 and the namespace and mount point (malloc'd, octal
 * escapes undone) if it is an nsfs mount, 0 if it is another mount, -EINVAL if malformed. */
int rq_mountinfo_parse_nsfs(const char *line, rq_ns_type *ret_type, uint64_t *ret_inode,
                            char **ret_path);
/* Every nsfs mount of mountinfo text whose type is in mask. Malformed lines are skipped. */
int rq_nslist_add_mountinfo(rq_nslist *l, const char *text, unsigned mask);

/* Group the records into entries (one per namespace: count, lowest PID and its uid), add the
 * namespaces only nsfs mounts hold (nprocs 0), attach the mount points; sort by inode. */
int rq_nslist_aggregate(rq_nslist *l);
/* For every entry: the command line of its lowest PID (read once per PID, from proc_fd) and
 * its owning user namespace (ioctl NS_GET_USERNS on the namespace, opened through any of its
 * processes or its nsfs mount). What cannot be found stays NULL / 0. */
int rq_nslist_resolve(rq_nslist *l, int proc_fd);

/* All of the above on /proc and /proc/self/mountinfo. */
int rq_nslist_scan(unsigned mask, rq_nslist *ret, rq_error **reterr);

/* /proc/PID/cmdline (or, when empty as for kernel threads, /proc/PID/comm) contents as lsns
 * shows them: arguments joined by spaces, trailing terminator dropped. NULL if n is 0. */
char *rq_nslist_command_from_raw(const char *buf, size_t n);
/* Read the command of pid under proc_fd; -errno (-ENOENT when it has gone). */
int rq_nslist_read_command(int proc_fd, pid_t pid, char **ret);
/* Fields of /proc/PID/stat text that the report needs: the parent PID and the flags word
 * (PF_KTHREAD marks kernel threads). -EINVAL if malformed. */
int rq_proc_stat_parse(const char *text, pid_t *ret_ppid, unsigned long *ret_flags);

/* The report on one process. */

#define RQ_NS_CHAIN_MAX 40 /* the kernel nests user and PID namespaces at most 32 deep */

typedef enum rq_ns_row_state {
        RQ_NS_ROW_OK,
        RQ_NS_ROW_UNSUPPORTED, /* the kernel lacks the type */
        RQ_NS_ROW_EMPTY, /* *_for_children of a process that unshared it and has not forked */
        _RQ_NS_ROW_STATE_MAX,
        _RQ_NS_ROW_STATE_INVALID = -1,
} rq_ns_row_state;

typedef struct rq_ns_report_row {
        rq_ns_type type;
        bool for_children;
        const char *name; /* the name under /proc/PID/ns: "pid_for_children" */
        rq_ns_row_state state;
        uint64_t inode;
        int differs; /* 1, 0, or -1 when there is no reference to compare with */
        uint64_t owner; /* owning user namespace; 0 when outside our view (initial user ns) */
        bool has_owner_uid;
        uid_t owner_uid; /* NS_GET_OWNER_UID of the owner: the uid that created it */
        uint64_t chain[RQ_NS_CHAIN_MAX]; /* pid and user: inode, parent, grandparent, ... */
        size_t n_chain;
} rq_ns_report_row;

#define RQ_NS_REPORT_ROWS 10

typedef struct rq_ns_report {
        pid_t pid;
        char *command;
        pid_t ref_pid; /* the process "differs" compares with: 1, 2, or 0 for none */
        char *ref_command;
        char *ref_note; /* why PID 1 was not used (and, with ref_pid 0, why PID 2 was not) */
        rq_ns_report_row rows[RQ_NS_REPORT_ROWS];
        size_t n_rows;
} rq_ns_report;

/* Report on the namespaces of pid, the types in mask (a row per /proc/PID/ns file, in the
 * order ls shows them). Errors name the process (gone, not permitted). */
int rq_ns_report_get(pid_t pid, unsigned mask, rq_ns_report *ret, rq_error **reterr);
void rq_ns_report_done(rq_ns_report *r);
