/* /dev of a container: nodes by mknod or bind mount, and the standard links. */
#include "lib/dev.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/macro.h"
#include "basic/string-util.h"

typedef struct dev_node {
        const char *path; /* inside the container */
        mode_t type; /* S_IFCHR, S_IFBLK or S_IFIFO */
        unsigned major, minor;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        const char *json_path; /* "linux.devices[3]", or NULL for a default device */
} dev_node;

/* runtime-spec config-linux.md, "Default Devices". */
static const dev_node default_devices[] = {
        { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0, NULL },
        { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0, NULL },
        { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0, NULL },
        { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0, NULL },
        { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0, NULL },
        { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0, NULL },
};

static const struct {
        const char *path, *target;
} dev_links[] = {
        { "/dev/fd", "/proc/self/fd" },       { "/dev/stdin", "/proc/self/fd/0" },
        { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
        { "/dev/ptmx", "pts/ptmx" },
};

/* Split path into its parent (opened inside the rootfs, created if missing) and its last
 * component. */
static int open_parent(const rq_rootfs *r, const char *what, const char *path, int *ret_fd,
                       char **ret_base, rq_error **reterr)
{
        _cleanup_free_ char *dir = strdup(path), *base = strdup(path);
        if (!dir || !base)
                return rq_error_set(reterr, ENOMEM, "%s %s", what, path);
        const char *b = basename(base);
        if (!*b || streq(b, "/") || streq(b, ".") || streq(b, ".."))
                return rq_error_invalid(reterr, "%s %s: not a file name", what, path);
        int k = rq_rootfs_mkdir_p(r, what, dirname(dir), 0755, ret_fd, reterr);
        if (k < 0)
                return k;
        *ret_base = strdup(b);
        if (!*ret_base) {
                *ret_fd = safe_close(*ret_fd);
                return rq_error_set(reterr, ENOMEM, "%s %s", what, path);
        }
        return 0;
}

/* Whatever the image left at the name goes (a file, a symlink — not followed — or a node);
 * a directory is an error. Nothing of the container runs yet, so there is no race. */
static int clear_name(int dir_fd, const char *base, const char *what, const char *path,
                      rq_error **reterr)
{
        struct stat st;
        if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : rq_error_set(reterr, errno, "%s %s", what, path);
        if (S_ISDIR(st.st_mode))
                return rq_error_set_plain(reterr, EISDIR, "%s %s: a directory is in the way", what,
                                          path);
        if (unlinkat(dir_fd, base, 0) < 0)
                return rq_error_set(reterr, errno, "%s %s: remove what the image has there", what,
                                    path);
        return 0;
}

static int node_mknod(int dir_fd, const char *base, const dev_node *d, const char *what,
                      rq_error **reterr)
{
        if (mknodat(dir_fd, base, d->type | 0600, makedev(d->major, d->minor)) < 0) {
                int err = errno;
                rq_error_set(reterr, err, "%s %s: mknod %u:%u", what, d->path, d->major, d->minor);
                if (err == EPERM)
                        rq_error_hint(reterr, "device nodes need CAP_MKNOD outside any user "
                                              "namespace; in a user namespace they are bind "
                                              "mounted from the host instead");
                return -err;
        }
        /* Set mode and owner on the node itself, checked to be what was just made. */
        _cleanup_close_ int fd = openat(dir_fd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "%s %s: open the new node", what, d->path);
        if ((st.st_mode & S_IFMT) != d->type ||
            (d->type != S_IFIFO && st.st_rdev != makedev(d->major, d->minor)))
                return rq_error_set_plain(reterr, EEXIST, "%s %s: the new node changed under us",
                                          what, d->path);
        char proc[32];
        fd_reopen_proc_path(fd, proc);
        if (chmod(proc, d->mode) < 0)
                return rq_error_set(reterr, errno, "%s %s: chmod %04o", what, d->path, d->mode);
        if (fchownat(fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
                return rq_error_set(reterr, errno, "%s %s: chown %u:%u", what, d->path,
                                    (unsigned)d->uid, (unsigned)d->gid);
        return 0;
}

static int node_bind(const rq_rootfs *r, const dev_node *d, const char *what, rq_error **reterr)
{
        /* The host's node: the same path on the host, which must be that very device. */
        _cleanup_close_ int src = open(d->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (src < 0) {
                int err = errno;
                rq_error_set(reterr, err, "%s %s: open the host's %s to bind it", what, d->path,
                             d->path);
                return rq_error_hint(reterr, "in a user namespace devices can only be bind "
                                             "mounted from the host, which needs this node");
        }
        if (fd_verify_device(src, d->type, makedev(d->major, d->minor)) < 0)
                return rq_error_set_plain(reterr, ENODEV,
                                          "%s %s: the host's %s is not the device %u:%u", what,
                                          d->path, d->path, d->major, d->minor);
        _cleanup_close_ int dst = -EBADF;
        int k = rq_rootfs_create(r, what, d->path, CHASE_CREATE_FILE, 0644, &dst, reterr);
        if (k < 0)
                return k;
        char from[32], to[32];
        fd_reopen_proc_path(src, from);
        fd_reopen_proc_path(dst, to);
        if (mount(from, to, NULL, MS_BIND, NULL) < 0)
                return rq_error_set(reterr, errno, "%s %s: bind the host's node", what, d->path);
        return 0;
}

static int node_create(const rq_rootfs *r, const dev_node *d, rq_dev_method method,
                       rq_error **reterr)
{
        char what[64] = "device";
        if (d->json_path)
                snprintf(what, sizeof(what), "%s", d->json_path);
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_free_ char *base = NULL;
        int k = open_parent(r, what, d->path, &dir_fd, &base, reterr);
        if (k < 0)
                return k;
        if ((k = clear_name(dir_fd, base, what, d->path, reterr)) < 0)
                return k;
        /* A FIFO is no device: anyone may make one, also in a user namespace. */
        if (method == RQ_DEV_MKNOD || d->type == S_IFIFO)
                return node_mknod(dir_fd, base, d, what, reterr);
        return node_bind(r, d, what, reterr);
}

static int link_create(const rq_rootfs *r, const char *path, const char *target, rq_error **reterr)
{
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_free_ char *base = NULL;
        int k = open_parent(r, "link", path, &dir_fd, &base, reterr);
        if (k < 0)
                return k;
        /* An image that brings its own link (or file) there keeps it. */
        if (symlinkat(target, dir_fd, base) < 0 && errno != EEXIST)
                return rq_error_set(reterr, errno, "link %s -> %s", path, target);
        return 0;
}

static int spec_node(const rq_spec_device *s, size_t i, char *json_path, size_t size, dev_node *ret,
                     rq_error **reterr)
{
        snprintf(json_path, size, "linux.devices[%zu]", i);
        mode_t type = s->type == 'b' ? S_IFBLK : s->type == 'p' ? S_IFIFO : S_IFCHR;
        if (s->type != 'p' &&
            (s->major < 0 || s->major > 0xfff || s->minor < 0 || s->minor > 0xfffff))
                return rq_error_invalid(reterr, "%s: device number %lld:%lld is out of range",
                                        json_path, (long long)s->major, (long long)s->minor);
        *ret = (dev_node){
                .path = s->path,
                .type = type,
                .major = s->type == 'p' ? 0 : (unsigned)s->major,
                .minor = s->type == 'p' ? 0 : (unsigned)s->minor,
                .mode = s->file_mode.set ? (mode_t)(s->file_mode.value & 07777) : 0666,
                .uid = s->uid.set ? s->uid.value : 0,
                .gid = s->gid.set ? s->gid.value : 0,
                .json_path = json_path,
        };
        return 0;
}

int rq_dev_setup(const rq_rootfs *r, const rq_spec_linux *linux_, rq_dev_method method,
                 rq_error **reterr)
{
        size_t n = linux_ ? linux_->n_devices : 0;
        int k;
        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
                bool overridden = false;
                for (size_t j = 0; j < n && !overridden; j++)
                        overridden = streq(linux_->devices[j].path, default_devices[i].path);
                if (!overridden && (k = node_create(r, &default_devices[i], method, reterr)) < 0)
                        return k;
        }
        for (size_t j = 0; j < n; j++) {
                char json_path[48];
                dev_node d;
                if ((k = spec_node(&linux_->devices[j], j, json_path, sizeof(json_path), &d,
                                   reterr)) < 0 ||
                    (k = node_create(r, &d, method, reterr)) < 0)
                        return k;
        }
        for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
                if ((k = link_create(r, dev_links[i].path, dev_links[i].target, reterr)) < 0)
                        return k;
        /* /dev/core only where the kernel has a core image to show (runc does the same). */
        if (access("/proc/kcore", F_OK) == 0 &&
            (k = link_create(r, "/dev/core", "/proc/kcore", reterr)) < 0)
                return k;
        return 0;
}
