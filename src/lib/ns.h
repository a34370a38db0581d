/* The namespace table and the kernel's namespace queries: opening the /proc/PID/ns files,
 * checking that an fd really is a namespace (nsfs + NS_GET_NSTYPE), and the ioctl_ns(2)
 * relations (owning user namespace, parent, owner uid). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

typedef enum rq_ns_type {
        RQ_NS_USER, /* first: the order is util-linux's order for entering namespaces one by one */
        RQ_NS_CGROUP,
        RQ_NS_IPC,
        RQ_NS_UTS,
        RQ_NS_NET,
        RQ_NS_PID,
        RQ_NS_MNT,
        RQ_NS_TIME,
        _RQ_NS_TYPE_MAX,
        _RQ_NS_TYPE_INVALID = -1,
} rq_ns_type;

typedef struct rq_ns_info {
        const char *name; /* name under /proc/PID/ns and in lsns: "mnt" */
        const char *option; /* util-linux long option: "mount" */
        char short_option; /* util-linux short option: 'm' */
        int clone_flag; /* CLONE_NEWNS */
        const char *for_children; /* "pid_for_children", or NULL */
        const char *description; /* "mount points" */
        const char *kconfig; /* kernel option that provides it: "CONFIG_NET_NS" */
} rq_ns_info;

const rq_ns_info *rq_ns_info_get(rq_ns_type type);
/* Accepts the /proc name ("mnt") or the option name ("mount"). */
rq_ns_type rq_ns_type_from_name(const char *name);
rq_ns_type rq_ns_type_from_clone_flag(int flag);
/* Every namespace clone flag this table knows, or'ed. */
int rq_ns_all_clone_flags(void);

/* Does this kernel have this namespace type (is /proc/self/ns/NAME there)? */
bool rq_ns_supported(rq_ns_type type);

/* Open /proc/PID/ns/NAME (pid 0: self); for_children picks pid_for_children/time_for_children.
 * Errors name the process and say whether it is gone, not permitted or the type missing. */
int rq_ns_open(pid_t pid, rq_ns_type type, bool for_children, rq_error **reterr);
/* Open a namespace file given by path and check it is one, of the expected type if type >= 0. */
int rq_ns_open_path(const char *path, rq_ns_type type, rq_error **reterr);
/* Inode number of /proc/PID/ns/NAME; -errno on failure (no rq_error: callers often skip). */
int rq_ns_inode(pid_t pid, rq_ns_type type, bool for_children, uint64_t *ret);

/* For an nsfs fd: its type and inode. -ENOTTY/-EXDEV if fd is not a namespace. */
int rq_ns_fd_identify(int fd, rq_ns_type *ret_type, uint64_t *ret_inode);
/* ioctl_ns(2): NS_GET_USERNS and NS_GET_PARENT return new fds; -EPERM when the answer lies
 * outside the caller's view. */
int rq_ns_get_userns(int fd);
int rq_ns_get_parent(int fd);
/* NS_GET_OWNER_UID of a user namespace fd (uid in the caller's user namespace). */
int rq_ns_get_owner_uid(int userns_fd, uid_t *ret);
