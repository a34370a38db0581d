/* rm -rf by fd: each directory is opened with O_NOFOLLOW relative to its parent, so a symlink
 * swapped in during the walk is removed as a link and never followed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/rm-rf.h"

static int children_on_dev(int dirfd, dev_t dev)
{
        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        int ret = 0;
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
                        if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT && ret == 0)
                                ret = -errno;
                        continue;
                }
                struct stat st;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && ret == 0)
                                ret = -errno;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT && ret == 0)
                                ret = -errno;
                        continue;
                }
                if (st.st_dev != dev) {
                        if (ret == 0)
                                ret = -EBUSY;
                        continue;
                }
                _cleanup_close_ int sub =
                        openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                        if (errno != ENOENT && ret == 0)
                                ret = -errno;
                        continue;
                }
                int r = children_on_dev(sub, dev);
                if (r < 0 && ret == 0)
                        ret = r;
                if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && ret == 0)
                        ret = -errno;
        }
        if (errno != 0 && ret == 0)
                ret = -errno;
        return ret;
}

int rm_rf_children(int dirfd)
{
        struct stat st;
        if (fstat(dirfd, &st) < 0)
                return -errno;
        return children_on_dev(dirfd, st.st_dev);
}

int rm_rf_at(int dirfd, const char *name)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        _cleanup_close_ int fd =
                openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        int r = children_on_dev(fd, st.st_dev);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
