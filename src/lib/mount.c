/* Applying mounts inside a container rootfs. See mount.h for the rules. */
#include "lib/mount.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/copy-tree.h"
#include "lib/idmount.h"
#include "lib/lsm.h"

/* Flags that a bind mount takes only through a remount. */
#define REMOUNT_FLAGS                                                                              \
        (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
         MS_STRICTATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME)

/* The flags of a mount that a remount in a user namespace must keep (they are locked). */
static unsigned long locked_flags(int fd)
{
        struct statvfs sv;
        if (fstatvfs(fd, &sv) < 0)
                return 0;
        unsigned long f = 0;
        if (sv.f_flag & ST_RDONLY)
                f |= MS_RDONLY;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        return f;
}

/* Remount the bind mount at fd with flags; on EPERM (flags locked by a less privileged mount
 * namespace) try again keeping the mount's current flags, as runc does. */
static int bind_remount(int fd, unsigned long flags)
{
        char p[32];
        fd_reopen_proc_path(fd, p);
        if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
                return 0;
        if (errno != EPERM)
                return negative_errno();
        unsigned long keep = locked_flags(fd);
        if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags | keep, NULL) < 0)
                return negative_errno();
        return 0;
}

/* Resolve dest in the rootfs; create it (a directory, or a file when file) if missing. A
 * symlink inside the root is followed inside the root. */
static int open_target(const rq_rootfs *r, const char *what, const char *dest, bool file,
                       int *ret_fd, rq_error **reterr)
{
        _cleanup_error_ rq_error *e = NULL;
        int k = rq_rootfs_resolve(r, what, dest, O_PATH, 0, ret_fd, &e);
        if (k == -ENOENT)
                return rq_rootfs_create(r, what, dest,
                                        file ? CHASE_CREATE_FILE : CHASE_CREATE_DIRECTORY, 0755,
                                        ret_fd, reterr);
        if (k < 0 && reterr) {
                *reterr = TAKE_PTR(e);
                return k;
        }
        return k;
}

static int mount_setattr_fd(int fd, uint64_t set, uint64_t clr)
{
        struct mount_attr attr = { .attr_set = set, .attr_clr = clr };
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
            0)
                return negative_errno();
        return 0;
}

/* After the mount: flags (binds), propagation, recursive attributes — on the new mount. */
static int finish_mount(const rq_rootfs *r, const char *what, const char *dest,
                        const rq_mount_options *o, bool bind, rq_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int k = rq_rootfs_resolve(r, what, dest, O_PATH, 0, &fd, reterr);
        if (k < 0)
                return k;
        if (bind && (o->flags & REMOUNT_FLAGS) &&
            (k = bind_remount(fd, o->flags & REMOUNT_FLAGS)) < 0)
                return rq_error_set(reterr, k, "%s: remount with its flags", what);
        char p[32];
        fd_reopen_proc_path(fd, p);
        for (size_t i = 0; i < o->n_propagation; i++)
                if (mount(NULL, p, NULL, o->propagation[i], NULL) < 0)
                        return rq_error_set(reterr, errno, "%s: set propagation", what);
        if ((o->attr_set || o->attr_clr) &&
            (k = mount_setattr_fd(fd, o->attr_set, o->attr_clr)) < 0)
                return rq_error_set(reterr, k, "%s: set recursive attributes (rro, rnosuid, …)",
                                    what);
        return 0;
}

/* tmpcopyup: what the new tmpfs covers (under_fd, opened before the mount) is copied into it,
 * by fds only; then the read-only flag, if asked, is set. */
static int copy_up(const rq_rootfs *r, const char *what, const char *dest, int under_fd,
                   unsigned long flags, const char *data, rq_error **reterr)
{
        _cleanup_close_ int top = -EBADF;
        int k = rq_rootfs_resolve(r, what, dest, O_PATH | O_DIRECTORY, 0, &top, reterr);
        if (k < 0)
                return k;
        char w[400];
        snprintf(w, sizeof(w), "%s: tmpcopyup", what);
        if ((k = rq_copy_tree(under_fd, top, w, reterr)) < 0)
                return k;
        char p[32];
        fd_reopen_proc_path(top, p);
        if ((flags & MS_RDONLY) && mount(NULL, p, NULL, MS_REMOUNT | flags, data) < 0)
                return rq_error_set(reterr, errno, "%s: remount read-only", what);
        return 0;
}

/* The name under /sys/fs/cgroup of the hierarchy that holds dir ("memory", "cpu,cpuacct"). */
static const char *hierarchy_name(const char *dir, size_t *ret_len)
{
        const char *name = dir + strlen(RQ_CGROUP_ROOT) + 1;
        *ret_len = strcspn(name, "/");
        return name;
}

/* Copy the host's links between co-mounted hierarchies ("cpu" -> "cpu,cpuacct") into the tmpfs
 * at fd, for the hierarchies bound there. */
static int cgroup_v1_links(int fd, const rq_cgroup *cg, const char *what, rq_error **reterr)
{
        _cleanup_closedir_ DIR *d = opendir(RQ_CGROUP_ROOT);
        if (!d)
                return rq_error_set(reterr, errno, "%s: list %s", what, RQ_CGROUP_ROOT);
        for (struct dirent *de; (de = readdir(d));) {
                char target[256];
                ssize_t n;
                if (de->d_type != DT_LNK ||
                    (n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1)) <= 0)
                        continue;
                target[n] = 0;
                for (size_t i = 0; i < cg->n_dirs; i++) {
                        size_t len;
                        const char *name = hierarchy_name(cg->dirs[i], &len);
                        if (strlen(target) == len && strncmp(name, target, len) == 0 &&
                            symlinkat(target, fd, de->d_name) < 0)
                                return rq_error_set(reterr, errno, "%s: link %s -> %s", what,
                                                    de->d_name, target);
                }
        }
        return 0;
}

/* A "cgroup" mount on cgroup v1 (or hybrid): there is no single file system to mount (each
 * hierarchy is mounted already on the host, and a second mount of a hierarchy with other
 * options fails with EBUSY). As runc and crun do, the destination gets a tmpfs, and in it, named
 * as on the host, each hierarchy's directory of the container's own cgroup, bound with the
 * mount's flags; then the tmpfs takes the flags too (ro last: the directories are made first). */
static int mount_cgroup_v1(const rq_rootfs *r, const rq_spec_mount *m, const char *what,
                           const rq_cgroup *cg, int target, rq_error **reterr)
{
        const rq_mount_options *o = &m->parsed;
        unsigned long flags = o->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
        char to[32];
        fd_reopen_proc_path(target, to);
        if (mount("tmpfs", to, "tmpfs", flags, "mode=755") < 0)
                return rq_error_set(reterr, errno, "%s: mount a tmpfs for the hierarchies", what);
        _cleanup_close_ int top = -EBADF;
        int k = rq_rootfs_resolve(r, what, m->destination, O_PATH | O_DIRECTORY, 0, &top, reterr);
        if (k < 0)
                return k;
        for (size_t i = 0; i < cg->n_dirs; i++) {
                size_t len;
                const char *name = hierarchy_name(cg->dirs[i], &len);
                char sub[64];
                snprintf(sub, sizeof(sub), "%.*s", (int)len, name);
                _cleanup_close_ int src = open(cg->dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (src < 0)
                        return rq_error_set(reterr, errno, "%s: open %s", what, cg->dirs[i]);
                _cleanup_close_ int dst = -EBADF;
                if (mkdirat(top, sub, 0755) < 0 ||
                    (dst = openat(top, sub, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                        return rq_error_set(reterr, errno, "%s: make the directory %s", what, sub);
                char from[32], onto[32];
                fd_reopen_proc_path(src, from);
                fd_reopen_proc_path(dst, onto);
                if (mount(from, onto, NULL, MS_BIND, NULL) < 0)
                        return rq_error_set(reterr, errno, "%s: bind %s", what, cg->dirs[i]);
                _cleanup_close_ int bound =
                        openat(top, sub, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (bound < 0 || (k = bind_remount(bound, o->flags & REMOUNT_FLAGS)) < 0)
                        return rq_error_set(reterr, bound < 0 ? -errno : k,
                                            "%s: remount %s with its flags", what, sub);
        }
        if ((k = cgroup_v1_links(top, cg, what, reterr)) < 0)
                return k;
        char p[32];
        fd_reopen_proc_path(top, p);
        if ((o->flags & MS_RDONLY) &&
            mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY | flags, "mode=755") < 0)
                return rq_error_set(reterr, errno, "%s: make the tmpfs read-only", what);
        return 0;
}

/* A "cgroup" or "cgroup2" mount: cgroup2 on a v2 host (its cgroup namespace decides what it
 * shows); on v1 and hybrid hosts, the container's cgroup directories (mount_cgroup_v1). */
static int mount_cgroup(const rq_rootfs *r, const rq_spec_mount *m, const char *what,
                        const rq_cgroup *cg, bool cgroupns, int target, rq_error **reterr)
{
        rq_cgroup_mode mode;
        int k = cg ? (mode = cg->mode, 0) : rq_cgroup_detect(&mode, reterr);
        if (k < 0)
                return k;
        if (mode == RQ_CGROUP_V2 && (!cg || cgroupns)) {
                /* Its cgroup namespace makes the container's cgroup the root of what it shows. */
                char to[32];
                fd_reopen_proc_path(target, to);
                unsigned long flags = m->parsed.flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
                if (mount("cgroup2", to, "cgroup2", flags, m->parsed.data) < 0)
                        return rq_error_set(reterr, errno, "%s: mount cgroup2", what);
                return 0;
        }
        if (mode == RQ_CGROUP_V2) {
                /* Without one, cgroup2 would show the host's whole tree: the container's own
                 * directory instead, bound (finish_mount applies the flags), as runc does. */
                _cleanup_close_ int src = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (src < 0)
                        return rq_error_set(reterr, errno, "%s: open %s", what, cg->dirs[0]);
                char from[32], to[32];
                fd_reopen_proc_path(src, from);
                fd_reopen_proc_path(target, to);
                if (mount(from, to, NULL, MS_BIND, NULL) < 0)
                        return rq_error_set(reterr, errno, "%s: bind %s", what, cg->dirs[0]);
                _cleanup_close_ int bound = -EBADF;
                if ((k = rq_rootfs_resolve(r, what, m->destination, O_PATH | O_DIRECTORY, 0, &bound,
                                           reterr)) < 0)
                        return k;
                if ((m->parsed.flags & REMOUNT_FLAGS) &&
                    (k = bind_remount(bound, m->parsed.flags & REMOUNT_FLAGS)) < 0)
                        return rq_error_set(reterr, k, "%s: remount with its flags", what);
                return 0;
        }
        if (!cg)
                return rq_error_set_plain(reterr, EOPNOTSUPP,
                                          "%s: a cgroup mount on cgroup %s needs the container's "
                                          "own cgroup, which only root makes",
                                          what, rq_cgroup_mode_to_string(mode));
        return mount_cgroup_v1(r, m, what, cg, target, reterr);
}

int rq_mount_apply(const rq_rootfs *r, const rq_spec_mount *m, size_t index, int premade,
                   const char *mount_label, const rq_cgroup *cg, bool cgroupns, rq_error **reterr)
{
        char what[320];
        snprintf(what, sizeof(what), "mounts[%zu] (%s)", index, m->destination);
        const rq_mount_options *o = &m->parsed;
        if (rq_idmount_wanted(m) && premade < 0)
                return rq_error_set_plain(reterr, EINVAL, "%s: the id-mapped mount was not made",
                                          what);
        bool bind = o->flags & MS_BIND;
        const char *type = m->type && *m->type ? m->type : NULL;
        _cleanup_close_ int target = -EBADF, src = -EBADF;
        int k;

        if (premade >= 0) {
                struct stat st;
                if (fstat(premade, &st) < 0)
                        return rq_error_set(reterr, errno, "%s: stat the id-mapped mount", what);
                if ((k = open_target(r, what, m->destination, !S_ISDIR(st.st_mode), &target,
                                     reterr)) < 0)
                        return k;
                if (syscall(SYS_move_mount, premade, "", target, "",
                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return rq_error_set(reterr, errno, "%s: attach the id-mapped mount of %s",
                                            what, m->source);
        } else if (bind) {
                if (!m->source)
                        return rq_error_invalid(reterr, "%s: a bind mount needs a source", what);
                /* The source comes from the bundle, not the image: symlinks there are followed. */
                src = open(m->source, O_PATH | O_CLOEXEC);
                struct stat st;
                if (src < 0 || fstat(src, &st) < 0)
                        return rq_error_set(reterr, errno, "%s: open source %s", what, m->source);
                if ((k = open_target(r, what, m->destination, !S_ISDIR(st.st_mode), &target,
                                     reterr)) < 0)
                        return k;
                char from[32], to[32];
                fd_reopen_proc_path(src, from);
                fd_reopen_proc_path(target, to);
                if (mount(from, to, NULL, MS_BIND | (o->flags & MS_REC), NULL) < 0)
                        return rq_error_set(reterr, errno, "%s: bind %s", what, m->source);
        } else {
                if (!type)
                        return rq_error_invalid(reterr, "%s: no type, and not a bind mount", what);
                bool copyup = o->extensions & RQ_MOUNT_EXT_TMPCOPYUP;
                if (copyup && !streq(type, "tmpfs"))
                        return rq_error_invalid(reterr, "%s: tmpcopyup is for tmpfs, not %s", what,
                                                type);
                if ((k = open_target(r, what, m->destination, false, &target, reterr)) < 0)
                        return k;
                if (streq(type, "cgroup") || streq(type, "cgroup2")) {
                        if ((k = mount_cgroup(r, m, what, cg, cgroupns, target, reterr)) < 0)
                                return k;
                        return finish_mount(r, what, m->destination, o, bind, reterr);
                }
                char to[32];
                fd_reopen_proc_path(target, to);
                unsigned long flags = o->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
                /* With tmpcopyup the tmpfs is filled first and made read-only afterwards. */
                char labelled[4096];
                const char *data;
                if (rq_lsm_mount_data(type, o->data, mount_label, labelled, sizeof(labelled),
                                      &data) < 0)
                        return rq_error_invalid(reterr, "%s: options and linux.mountLabel too long",
                                                what);
                if (mount(m->source ? m->source : type, to, type,
                          copyup ? flags & ~MS_RDONLY : flags, data) < 0) {
                        int err = errno;
                        rq_error_set(reterr, err, "%s: mount %s", what, type);
                        if (err == ENODEV)
                                rq_error_hint(reterr,
                                              "this kernel has no file system \"%s\" (see "
                                              "/proc/filesystems)",
                                              type);
                        return -err;
                }
                if (copyup &&
                    (k = copy_up(r, what, m->destination, target, flags, o->data, reterr)) < 0)
                        return k;
        }
        return finish_mount(r, what, m->destination, o, bind, reterr);
}

int rq_mount_apply_all(const rq_rootfs *r, const rq_spec *s, const int *premade,
                       const rq_cgroup *cg, rq_error **reterr)
{
        for (size_t i = 0; i < s->n_mounts; i++) {
                int k = rq_mount_apply(r, &s->mounts[i], i, premade ? premade[i] : -EBADF,
                                       s->linux_ ? s->linux_->mount_label : NULL, cg,
                                       rq_spec_namespace_find(s, RQ_NS_CGROUP) != NULL, reterr);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Resolve a masked or read-only path; 0 with *ret_fd -EBADF when it does not exist. */
static int open_existing(const rq_rootfs *r, const char *what, const char *path, int *ret_fd,
                         rq_error **reterr)
{
        _cleanup_error_ rq_error *e = NULL;
        int k = rq_rootfs_resolve(r, what, path, O_PATH, 0, ret_fd, &e);
        if (k == -ENOENT) {
                *ret_fd = -EBADF;
                return 0;
        }
        if (k < 0 && reterr)
                *reterr = TAKE_PTR(e);
        return k;
}

/* What to do to one existing masked or read-only path; null_fd is a lazily opened host
 * /dev/null shared by the calls. */
typedef int (*path_op)(const rq_rootfs *r, const char *what, const char *path, int fd, int *null_fd,
                       rq_error **reterr);

/* Run op on every path of the list that exists inside the rootfs; missing ones are skipped. */
static int for_each_existing(const rq_rootfs *r, const char *list, char *const *paths, size_t n,
                             path_op op, rq_error **reterr)
{
        _cleanup_close_ int null_fd = -EBADF;
        for (size_t i = 0; i < n; i++) {
                char what[64];
                snprintf(what, sizeof(what), "linux.%s[%zu]", list, i);
                _cleanup_close_ int fd = -EBADF;
                int k = open_existing(r, what, paths[i], &fd, reterr);
                if (k < 0)
                        return k;
                if (fd >= 0 && (k = op(r, what, paths[i], fd, &null_fd, reterr)) < 0)
                        return k;
        }
        return 0;
}

static int mask_one(const rq_rootfs *r, const char *what, const char *path, int fd, int *null_fd,
                    rq_error **reterr)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "%s (%s)", what, path);
        char to[32];
        fd_reopen_proc_path(fd, to);
        if (S_ISDIR(st.st_mode)) {
                if (mount("tmpfs", to, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "size=0,mode=0555") < 0)
                        return rq_error_set(reterr, errno, "%s (%s): mount an empty tmpfs", what,
                                            path);
                return 0;
        }
        /* The host's /dev/null, checked by fd: never a path the container could swap. */
        if (*null_fd < 0) {
                *null_fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (*null_fd < 0 || fd_verify_device(*null_fd, S_IFCHR, makedev(1, 3)) < 0)
                        return rq_error_set_plain(reterr, ENODEV,
                                                  "%s: the host's /dev/null is not the device "
                                                  "1:3",
                                                  what);
        }
        char from[32];
        fd_reopen_proc_path(*null_fd, from);
        if (mount(from, to, NULL, MS_BIND, NULL) < 0)
                return rq_error_set(reterr, errno, "%s (%s): bind /dev/null over it", what, path);
        return 0;
}

static int readonly_one(const rq_rootfs *r, const char *what, const char *path, int fd,
                        int *null_fd, rq_error **reterr)
{
        char p[32];
        fd_reopen_proc_path(fd, p);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rq_error_set(reterr, errno, "%s (%s): bind onto itself", what, path);
        /* Now the new mount, resolved again, made read-only on top of its flags (as runc). */
        _cleanup_close_ int top = -EBADF;
        int k = rq_rootfs_resolve(r, what, path, O_PATH, 0, &top, reterr);
        if (k < 0)
                return k;
        if ((k = bind_remount(top, MS_RDONLY | locked_flags(top))) < 0)
                return rq_error_set(reterr, k, "%s (%s): remount read-only", what, path);
        return 0;
}

int rq_mount_masked_paths(const rq_rootfs *r, char *const *paths, size_t n, rq_error **reterr)
{
        return for_each_existing(r, "maskedPaths", paths, n, mask_one, reterr);
}

int rq_mount_readonly_paths(const rq_rootfs *r, char *const *paths, size_t n, rq_error **reterr)
{
        return for_each_existing(r, "readonlyPaths", paths, n, readonly_one, reterr);
}
