/* Id-mapped mounts, prepared by the runtime. See idmount.h. */
#include "lib/idmount.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/ns.h"

int rq_idmap_from_spec(const rq_spec_idmap *m, size_t n, rq_idmap *ret, const char *what,
                       rq_error **reterr)
{
        *ret = (rq_idmap){ 0 };
        for (size_t i = 0; i < n; i++)
                if (rq_idmap_add(ret, m[i].container_id, m[i].host_id, m[i].size) < 0)
                        return rq_error_invalid(reterr, "%s[%zu]: cannot be mapped", what, i);
        return 0;
}

bool rq_idmount_wanted(const rq_spec_mount *m)
{
        return m->parsed.idmap != RQ_MOUNT_IDMAP_NONE || m->n_uid_mappings > 0;
}

/* A new user namespace with these maps, as an fd: a child is cloned into it and waits on a
 * pipe while we write its maps and open its namespace, then exits; the fd keeps the namespace. */
static int userns_with_maps(const rq_spec_idmap *uids, size_t n_uids, const rq_spec_idmap *gids,
                            size_t n_gids, const char *what, rq_error **reterr)
{
        rq_idmap u, g;
        int k;
        if ((k = rq_idmap_from_spec(uids, n_uids, &u, what, reterr)) < 0 ||
            (k = rq_idmap_from_spec(gids, n_gids, &g, what, reterr)) < 0)
                return k;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return rq_error_set(reterr, errno, "%s: pipe", what);
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0) {
                char b;
                close(p[1]);
                (void)!read(p[0], &b, 1);
                _exit(0);
        }
        close(p[0]);
        int fd = -EBADF;
        if (pid < 0)
                k = rq_error_set(reterr, errno, "%s: create a user namespace", what);
        else if ((k = rq_idmap_write(pid, RQ_IDMAP_UID, &u, false, reterr)) >= 0 &&
                 (k = rq_idmap_write(pid, RQ_IDMAP_GID, &g, false, reterr)) >= 0)
                k = fd = rq_ns_open(pid, RQ_NS_USER, false, reterr);
        close(p[1]);
        if (pid > 0)
                (void)RETRY_EINTR(waitpid(pid, NULL, 0));
        if (k < 0)
                return rq_error_wrap(reterr, "%s: user namespace for the mapping", what);
        return fd;
}

/* The user namespace whose mapping the mount gets. */
static int mapping_userns(const rq_spec *s, const rq_spec_mount *m, const char *what,
                          rq_error **reterr)
{
        if (m->n_uid_mappings > 0)
                return userns_with_maps(m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
                                        m->n_gid_mappings, what, reterr);
        const rq_spec_namespace *user = rq_spec_namespace_find(s, RQ_NS_USER);
        if (user && user->path)
                return rq_ns_open_path(user->path, RQ_NS_USER, reterr);
        if (!user || !s->linux_ || s->linux_->n_uid_mappings == 0)
                return rq_error_invalid(reterr,
                                        "%s: an id-mapped mount needs uidMappings and "
                                        "gidMappings, or a user namespace to take them from",
                                        what);
        return userns_with_maps(s->linux_->uid_mappings, s->linux_->n_uid_mappings,
                                s->linux_->gid_mappings, s->linux_->n_gid_mappings, what, reterr);
}

/* The type of the file system path is on, from /proc/self/mountinfo (the detached tree's
 * own mount is not listed there). */
static void fs_type_of(const char *path, char *buf, size_t size)
{
        snprintf(buf, size, "unknown");
        struct statx sx;
        _cleanup_free_ char *info = NULL;
        if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID) ||
            read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", &info, NULL) < 0)
                return;
        char *save = NULL;
        for (char *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned long long id;
                const char *sep = strstr(line, " - ");
                if (sscanf(line, "%llu", &id) != 1 || id != sx.stx_mnt_id || !sep)
                        continue;
                size_t n = strcspn(sep + 3, " ");
                snprintf(buf, size, "%.*s", (int)n, sep + 3);
                return;
        }
}

static int prepare_one(const rq_spec *s, const rq_spec_mount *m, const char *what,
                       rq_error **reterr)
{
        if (!(m->parsed.flags & MS_BIND) || !m->source)
                return rq_error_invalid(reterr,
                                        "%s: id-mapped mounts are only supported for bind "
                                        "mounts",
                                        what);
        _cleanup_close_ int userns = mapping_userns(s, m, what, reterr);
        if (userns < 0)
                return userns;
        /* The source comes from the bundle: symlinks there are followed, as for any bind. */
        _cleanup_close_ int tree =
                (int)syscall(SYS_open_tree, AT_FDCWD, m->source,
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                     ((m->parsed.flags & MS_REC) ? AT_RECURSIVE : 0));
        if (tree < 0)
                return rq_error_set(reterr, errno, "%s: open_tree %s", what, m->source);
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
        unsigned flags = AT_EMPTY_PATH;
        if (m->parsed.idmap == RQ_MOUNT_IDMAP_RECURSIVE)
                flags |= AT_RECURSIVE;
        if (syscall(SYS_mount_setattr, tree, "", flags, &attr, sizeof(attr)) < 0) {
                int err = errno;
                char fs[64];
                fs_type_of(m->source, fs, sizeof(fs));
                rq_error_set(reterr, err, "%s: id-map the mount of %s (file system %s)", what,
                             m->source, fs);
                if (err == EINVAL)
                        rq_error_hint(reterr,
                                      "the %s file system cannot be id-mapped by this kernel "
                                      "(or, with ridmap, a mount below %s cannot)",
                                      fs, m->source);
                else if (err == EPERM)
                        rq_error_hint(reterr, "id-mapping needs CAP_SYS_ADMIN in the user "
                                              "namespace of the file system: run as root");
                return -err;
        }
        return TAKE_FD(tree);
}

int rq_idmount_prepare(const rq_spec *s, int **ret_fds, rq_error **reterr)
{
        *ret_fds = NULL;
        size_t n = 0;
        for (size_t i = 0; i < s->n_mounts; i++)
                n += rq_idmount_wanted(&s->mounts[i]);
        if (n == 0)
                return 0;
        int *fds = malloc(s->n_mounts * sizeof(int));
        if (!fds)
                return rq_error_set(reterr, ENOMEM, "id-mapped mounts");
        for (size_t i = 0; i < s->n_mounts; i++)
                fds[i] = -EBADF;
        for (size_t i = 0; i < s->n_mounts; i++) {
                if (!rq_idmount_wanted(&s->mounts[i]))
                        continue;
                char what[320];
                snprintf(what, sizeof(what), "mounts[%zu] (%s)", i, s->mounts[i].destination);
                int fd = prepare_one(s, &s->mounts[i], what, reterr);
                if (fd < 0) {
                        rq_idmount_close(fds, s->n_mounts);
                        return fd;
                }
                fds[i] = fd;
        }
        *ret_fds = fds;
        return 0;
}

void rq_idmount_close(int *fds, size_t n)
{
        for (size_t i = 0; fds && i < n; i++)
                safe_close(fds[i]);
        free(fds);
}
