/* The container's new time namespace and its offsets. See timens.h. */
#include "lib/timens.h"

#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"

int rq_timens_format(const rq_spec_linux *l, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; l && i < l->n_time_offsets; i++) {
                const rq_spec_time_offset *o = &l->time_offsets[i];
                int n = snprintf(buf + len, size - len, "%s %" PRId64 " %" PRIu32 "\n", o->clock,
                                 o->secs, o->nanosecs);
                if (n < 0 || (size_t)n >= size - len)
                        return -ENOSPC;
                len += (size_t)n;
        }
        return (int)len;
}

int rq_timens_create(int proc_fd, const rq_spec_linux *l, rq_error **reterr)
{
        if (unshare(CLONE_NEWTIME) < 0) {
                int err = errno;
                rq_error_set(reterr, err, "linux.namespaces: create the time namespace");
                if (err == EINVAL)
                        return rq_error_hint(reterr, "this kernel has no time namespaces "
                                                     "(CONFIG_TIME_NS, Linux 5.6 or later)");
                return -err;
        }
        char buf[512];
        int len = rq_timens_format(l, buf, sizeof(buf));
        if (len < 0)
                return rq_error_invalid(reterr, "linux.timeOffsets: too many entries");
        if (len == 0)
                return 0;
        /* "self" is the init, whose time_for_children is the namespace just made. */
        _cleanup_close_ int fd = -EBADF;
        int k = chase_open_in_root(proc_fd, "self/timens_offsets", O_WRONLY | O_NOCTTY,
                                   CHASE_NOFOLLOW_LAST, &fd);
        if (k < 0)
                return rq_error_set(reterr, k, "linux.timeOffsets: open /proc/self/timens_offsets");
        if (fd_verify_kind(fd, S_IFREG, PROC_SUPER_MAGIC) < 0)
                return rq_error_set_plain(reterr, EXDEV,
                                          "linux.timeOffsets: /proc/self/timens_offsets is not a "
                                          "procfs file: refused");
        if ((k = write_all(fd, buf, (size_t)len)) < 0)
                return rq_error_set(reterr, k, "linux.timeOffsets: write the offsets");
        return 0;
}
