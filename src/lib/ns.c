/* The namespace table and nsfs queries. */
#include "lib/ns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const rq_ns_info ns_table[_RQ_NS_TYPE_MAX] = {
        [RQ_NS_USER] = { "user", "user", 'U', CLONE_NEWUSER, NULL, "user and group ids",
                         "CONFIG_USER_NS" },
        [RQ_NS_CGROUP] = { "cgroup", "cgroup", 'C', CLONE_NEWCGROUP, NULL, "cgroup root",
                           "CONFIG_CGROUPS" },
        [RQ_NS_IPC] = { "ipc", "ipc", 'i', CLONE_NEWIPC, NULL, "System V IPC, POSIX queues",
                        "CONFIG_IPC_NS" },
        [RQ_NS_UTS] = { "uts", "uts", 'u', CLONE_NEWUTS, NULL, "hostname and domain name",
                        "CONFIG_UTS_NS" },
        [RQ_NS_NET] = { "net", "net", 'n', CLONE_NEWNET, NULL, "network devices, stacks, ports",
                        "CONFIG_NET_NS" },
        [RQ_NS_PID] = { "pid", "pid", 'p', CLONE_NEWPID, "pid_for_children", "process ids",
                        "CONFIG_PID_NS" },
        [RQ_NS_MNT] = { "mnt", "mount", 'm', CLONE_NEWNS, NULL, "mount points",
                        "(always built in)" },
        [RQ_NS_TIME] = { "time", "time", 'T', CLONE_NEWTIME, "time_for_children",
                         "boot and monotonic clocks", "CONFIG_TIME_NS" },
};

const rq_ns_info *rq_ns_info_get(rq_ns_type type)
{
        if (type < 0 || type >= _RQ_NS_TYPE_MAX)
                return NULL;
        return &ns_table[type];
}

rq_ns_type rq_ns_type_from_name(const char *name)
{
        for (int i = 0; i < _RQ_NS_TYPE_MAX; i++)
                if (strcmp(name, ns_table[i].name) == 0 || strcmp(name, ns_table[i].option) == 0)
                        return (rq_ns_type)i;
        return _RQ_NS_TYPE_INVALID;
}

rq_ns_type rq_ns_type_from_clone_flag(int flag)
{
        for (int i = 0; i < _RQ_NS_TYPE_MAX; i++)
                if (ns_table[i].clone_flag == flag)
                        return (rq_ns_type)i;
        return _RQ_NS_TYPE_INVALID;
}

int rq_ns_all_clone_flags(void)
{
        int flags = 0;
        for (int i = 0; i < _RQ_NS_TYPE_MAX; i++)
                flags |= ns_table[i].clone_flag;
        return flags;
}

bool rq_ns_supported(rq_ns_type type)
{
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/ns/%s", ns_table[type].name);
        return access(p, F_OK) == 0;
}

static const char *ns_file_name(rq_ns_type type, bool for_children)
{
        return for_children && ns_table[type].for_children ? ns_table[type].for_children
                                                           : ns_table[type].name;
}

/* /proc/PID/ns/NAME, or /proc/self/ns/NAME for pid 0. */
static void ns_proc_path(char *buf, size_t size, pid_t pid, rq_ns_type type, bool for_children)
{
        const char *name = ns_file_name(type, for_children);
        if (pid > 0)
                snprintf(buf, size, "/proc/%d/ns/%s", (int)pid, name);
        else
                snprintf(buf, size, "/proc/self/ns/%s", name);
}

int rq_ns_open(pid_t pid, rq_ns_type type, bool for_children, rq_error **reterr)
{
        char p[96];
        ns_proc_path(p, sizeof(p), pid, type, for_children);

        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
                return fd;
        int err = errno;
        if (err == ENOENT) {
                char dir[64];
                snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
                if (pid > 0 && access(dir, F_OK) < 0)
                        return rq_error_set(reterr, ESRCH, "process %d", (int)pid);
                if (!rq_ns_supported(type)) {
                        rq_error_set(reterr, EOPNOTSUPP, "%s namespace of %s", ns_table[type].name,
                                     pid > 0 ? dir : "this process");
                        return rq_error_hint(reterr,
                                             "this kernel has no %s namespaces (no "
                                             "/proc/self/ns/%s); it needs a kernel built with %s",
                                             ns_table[type].name, ns_table[type].name,
                                             ns_table[type].kconfig);
                }
                /* /proc/PID exists but the ns link does not: a zombie or an exiting process. */
                return rq_error_set(reterr, ESRCH, "open %s (process %d has exited or is a zombie)",
                                    p, (int)pid);
        }
        if (err == EACCES || err == EPERM) {
                rq_error_set(reterr, err, "open %s", p);
                return rq_error_hint(reterr,
                                     "reading another user's namespaces needs ptrace access to "
                                     "process %d (same user, or CAP_SYS_PTRACE); run as root or "
                                     "as that user",
                                     (int)pid);
        }
        return rq_error_set(reterr, err, "open %s", p);
}

int rq_ns_fd_identify(int fd, rq_ns_type *ret_type, uint64_t *ret_inode)
{
        int r = fd_check_fstype(fd, NSFS_MAGIC);
        if (r < 0)
                return r;
        int t = ioctl(fd, NS_GET_NSTYPE);
        if (t < 0)
                return negative_errno();
        rq_ns_type type = rq_ns_type_from_clone_flag(t);
        if (type < 0)
                return -EPROTONOSUPPORT;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (ret_type)
                *ret_type = type;
        if (ret_inode)
                *ret_inode = st.st_ino;
        return 0;
}

int rq_ns_open_path(const char *path, rq_ns_type type, rq_error **reterr)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open namespace file %s", path);
        rq_ns_type actual;
        int r = rq_ns_fd_identify(fd, &actual, NULL);
        if (r == -EXDEV || r == -ENOTTY || r == -EINVAL) {
                rq_error_invalid(reterr, "%s is not a namespace file", path);
                return rq_error_hint(reterr,
                                     "give a /proc/PID/ns/%s link or a file that a namespace was "
                                     "bind-mounted on (e.g. by 'rongqi unshare --%s=FILE')",
                                     type >= 0 ? ns_table[type].name : "TYPE",
                                     type >= 0 ? ns_table[type].option : "TYPE");
        }
        if (r < 0)
                return rq_error_set(reterr, r, "identify namespace file %s", path);
        if (type >= 0 && actual != type)
                return rq_error_invalid(reterr, "%s is a %s namespace, not a %s namespace", path,
                                        ns_table[actual].name, ns_table[type].name);
        return TAKE_FD(fd);
}

int rq_ns_inode(pid_t pid, rq_ns_type type, bool for_children, uint64_t *ret)
{
        char p[96];
        ns_proc_path(p, sizeof(p), pid, type, for_children);
        struct stat st;
        if (stat(p, &st) < 0)
                return negative_errno();
        *ret = st.st_ino;
        return 0;
}

int rq_ns_get_userns(int fd)
{
        int r = ioctl(fd, NS_GET_USERNS);
        return r < 0 ? negative_errno() : r;
}

int rq_ns_get_parent(int fd)
{
        int r = ioctl(fd, NS_GET_PARENT);
        return r < 0 ? negative_errno() : r;
}

int rq_ns_get_owner_uid(int userns_fd, uid_t *ret)
{
        uid_t uid;
        if (ioctl(userns_fd, NS_GET_OWNER_UID, &uid) < 0)
                return negative_errno();
        *ret = uid;
        return 0;
}
