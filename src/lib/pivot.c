/* Into the rootfs: propagation, self bind, pivot_root, read-only root. See pivot.h. */
#include "lib/pivot.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

int rq_pivot_prepare(int rootfs_fd, const rq_spec *s, rq_error **reterr)
{
        /* runc's default is rslave: the host's unmounts still reach the container. */
        int prop = s->linux_ && s->linux_->rootfs_propagation ? s->linux_->rootfs_propagation
                                                              : MS_SLAVE;
        /* shared and unbindable are set at the end, on the container's own "/"; until then the
         * host must not see our mounts, so start from slave. */
        unsigned long first = prop == MS_PRIVATE ? MS_PRIVATE : MS_SLAVE;
        if (mount(NULL, "/", NULL, MS_REC | first, NULL) < 0)
                return rq_error_set(reterr, errno, "make / %s before setting up the rootfs",
                                    first == MS_PRIVATE ? "rprivate" : "rslave");
        char p[32];
        fd_reopen_proc_path(rootfs_fd, p);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rq_error_set(reterr, errno, "bind the rootfs onto itself");
        return 0;
}

int rq_pivot_root(const char *rootfs_path, rq_error **reterr)
{
        /* By path, not by the rootfs fd: an fd (and /proc/self/fd/N) names the directory under
         * the self bind, and only a path walk steps onto the mount stacked on it. The path comes
         * from the bundle, not from the image. */
        _cleanup_close_ int top = open(rootfs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
                return rq_error_set(reterr, errno, "open the rootfs mount %s", rootfs_path);
        if (fchdir(top) < 0)
                return rq_error_set(reterr, errno, "enter the rootfs");
        if (syscall(SYS_pivot_root, ".", ".") < 0) {
                int err = errno;
                rq_error_set(reterr, err, "pivot_root into the rootfs");
                if (err == EINVAL)
                        rq_error_hint(reterr, "the rootfs must be a mount point in a mount "
                                              "namespace of its own, not on a shared mount; on "
                                              "an initramfs (rootfs) pivot_root is impossible");
                return -err;
        }
        /* "." is now the old root, stacked on the new one. Slave first, so that detaching it
         * does not unmount anything on the host through shared propagation. */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return rq_error_set(reterr, errno, "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
                return rq_error_set(reterr, errno, "detach the old root");
        if (chdir("/") < 0)
                return rq_error_set(reterr, errno, "chdir / in the new root");
        return 0;
}

int rq_pivot_finish(const rq_spec *s, rq_error **reterr)
{
        if (s->root && s->root->readonly &&
            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                return rq_error_set(reterr, errno, "root.readonly: remount / read-only");
        int prop = s->linux_ ? s->linux_->rootfs_propagation : 0;
        if ((prop == MS_SHARED || prop == MS_UNBINDABLE) && mount(NULL, "/", NULL, prop, NULL) < 0)
                return rq_error_set(reterr, errno, "linux.rootfsPropagation: set it on /");
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
        char *w = s;
        for (char *r = s; *r; r++, w++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else
                        *w = *r;
        }
        *w = '\0';
}

/* Every procfs and sysfs mount outside the rootfs: detached, or where the kernel keeps it
 * (locked in a user namespace), covered by an empty read-only tmpfs. */
static int hide_host_proc_sys(const char *rootfs, rq_error **reterr)
{
        _cleanup_free_ char *info = NULL;
        int k = read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", &info, NULL);
        if (k < 0)
                return rq_error_set(reterr, k, "--no-pivot: read /proc/self/mountinfo");
        size_t len = strlen(rootfs);
        char *save = NULL;
        for (char *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char mp[PATH_MAX], type[64];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
                    sscanf(sep + 3, "%63s", type) != 1 ||
                    (!streq(type, "proc") && !streq(type, "sysfs")))
                        continue;
                unescape_octal(mp);
                if (strncmp(mp, rootfs, len) == 0 && (mp[len] == '/' || mp[len] == '\0'))
                        continue;
                if (umount2(mp, MNT_DETACH) == 0 || errno == ENOENT)
                        continue;
                /* EINVAL: already gone with a parent detached before, or locked. */
                if (mount("tmpfs", mp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "size=0,mode=0555") < 0 &&
                    errno != ENOENT)
                        return rq_error_set(reterr, errno, "--no-pivot: hide the host's %s at %s",
                                            type, mp);
        }
        return 0;
}

int rq_pivot_move_root(const char *rootfs_path, rq_error **reterr)
{
        char real[PATH_MAX];
        if (!realpath(rootfs_path, real))
                return rq_error_set(reterr, errno, "--no-pivot: resolve %s", rootfs_path);
        int k = hide_host_proc_sys(real, reterr);
        if (k < 0)
                return k;
        /* By path, as for pivot_root: the walk steps onto the self bind. */
        _cleanup_close_ int top = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
                return rq_error_set(reterr, errno, "open the rootfs mount %s", real);
        if (fchdir(top) < 0)
                return rq_error_set(reterr, errno, "enter the rootfs");
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return rq_error_set(reterr, errno, "--no-pivot: move the rootfs onto /");
        if (chroot(".") < 0)
                return rq_error_set(reterr, errno, "--no-pivot: chroot into the rootfs");
        if (chdir("/") < 0)
                return rq_error_set(reterr, errno, "chdir / in the new root");
        return 0;
}
