/* Unpack one layer blob. Two libarchive readers are stacked so the blob is read once: the outer
 * one reads in_fd (digesting and teeing the raw bytes) and only decompresses (format "raw"); the
 * inner one parses the tar it gets from the outer one (digesting those bytes: the diff id; not
 * again when nothing was decompressed, then the two are the same bytes). Every byte of both
 * streams is digested, the tar's trailing blocks included, so the values match what docker and
 * podman compute. Entries are written by this file with *at() calls on directory fds
 * that layer-path.c resolved without following any symlink; archive_write_disk is not used (it
 * works on path strings). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/archive-dl.h"
#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "engine/store/layer-internal.h"
#include "engine/store/layer.h"

#define STREAM_BUF_SIZE (128 * 1024)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

typedef struct layer_stream {
        int in_fd;
        rq_layer_read_fn read_fn; /* instead of in_fd when set */
        void *read_ud;
        int tee_fd;
        rq_sha256 *blob_hash;
        rq_sha256 *diff_hash;
        uint64_t blob_size;
        uint64_t diff_size;
        /* Not compressed: the tar stream is the blob byte for byte, so the blob's digest is the
         * diff id and the tar bytes are not digested a second time. */
        bool tar_is_blob;
        struct archive *outer;
        char raw_buf[STREAM_BUF_SIZE];
        char tar_buf[STREAM_BUF_SIZE];
} layer_stream;

/* A directory whose mode and times are set after everything in it was written: a 0555
 * directory must stay writable meanwhile, and each entry written changes its mtime. */
typedef struct dir_fixup {
        char *path;
        size_t index;
        mode_t mode;
        bool has_time;
        struct timespec ts[2];
} dir_fixup;

typedef struct unpack {
        layer_ctx ctx;
        dir_fixup *fixups;
        size_t n_fixups, n_alloc;
} unpack;

static ssize_t stream_fill(layer_stream *s)
{
        ssize_t n = s->read_fn ? s->read_fn(s->read_ud, s->raw_buf, sizeof(s->raw_buf))
                               : RETRY_EINTR(read(s->in_fd, s->raw_buf, sizeof(s->raw_buf)));
        if (n < 0 && s->read_fn)
                return n;
        if (n < 0)
                return negative_errno();
        rq_sha256_update(s->blob_hash, s->raw_buf, (size_t)n);
        s->blob_size += (uint64_t)n;
        if (s->tee_fd >= 0 && n > 0) {
                int r = write_all(s->tee_fd, s->raw_buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        return n;
}

static la_ssize_t outer_read(struct archive *a, void *data, const void **buf)
{
        layer_stream *s = data;
        ssize_t n = stream_fill(s);
        if (n < 0) {
                archive_set_error(a, (int)-n, "read or copy the blob");
                return -1;
        }
        *buf = s->raw_buf;
        return n;
}

static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
        layer_stream *s = data;
        la_ssize_t n = archive_read_data(s->outer, s->tar_buf, sizeof(s->tar_buf));
        if (n < 0) {
                archive_set_error(a, archive_errno(s->outer), "decompress: %s",
                                  archive_error_string(s->outer));
                return -1;
        }
        if (!s->tar_is_blob)
                rq_sha256_update(s->diff_hash, s->tar_buf, (size_t)n);
        s->diff_size += (uint64_t)n;
        *buf = s->tar_buf;
        return n;
}

/* Digest whatever the tar reader left: the rest of the decompressed stream, then the rest of
 * in_fd (bytes after the end of the compressed stream are part of the blob). */
static int stream_drain(layer_stream *s, rq_error **reterr)
{
        la_ssize_t n;
        while ((n = archive_read_data(s->outer, s->tar_buf, sizeof(s->tar_buf))) > 0) {
                if (!s->tar_is_blob)
                        rq_sha256_update(s->diff_hash, s->tar_buf, (size_t)n);
                s->diff_size += (uint64_t)n;
        }
        if (n < 0)
                return rq_error_set(reterr, archive_errno(s->outer) ?: EIO, "layer blob: %s",
                                    archive_error_string(s->outer));
        while ((n = stream_fill(s)) > 0)
                ;
        if (n < 0)
                return rq_error_set(reterr, (int)-n, "layer blob: read or copy the blob");
        return 0;
}

static rq_layer_compression compression_of(struct archive *a)
{
        switch (archive_filter_code(a, 0)) {
        case ARCHIVE_FILTER_GZIP:
                return RQ_LAYER_COMPRESSION_GZIP;
        case ARCHIVE_FILTER_ZSTD:
                return RQ_LAYER_COMPRESSION_ZSTD;
        case ARCHIVE_FILTER_XZ:
                return RQ_LAYER_COMPRESSION_XZ;
        case ARCHIVE_FILTER_BZIP2:
                return RQ_LAYER_COMPRESSION_BZIP2;
        default:
                return RQ_LAYER_COMPRESSION_NONE;
        }
}

static int entry_fail(layer_ctx *c, int err, const char *what, rq_error **reterr)
{
        return rq_error_set(reterr, err, "layer entry %s: %s", c->entry, what);
}

static int make_room(layer_ctx *c, int dir_fd, const char *name, bool want_dir, rq_error **reterr);

/* After a create call failed: 1 when the name was taken (EEXIST: create never follows or
 * reuses what is there) and room was made for another try, 0 for any other failure (errno
 * kept for the caller's message). Most names are new, so no lookup comes before the create. */
static int room_after_eexist(layer_ctx *c, int dir_fd, const char *name, rq_error **reterr)
{
        if (errno != EEXIST)
                return 0;
        int r = make_room(c, dir_fd, name, false, reterr);
        return r < 0 ? r : 1;
}

/* Make room for a new entry at dir_fd/name: 1 if a directory there is kept (want_dir), 0 if the
 * name is free. Anything else there is replaced, as a later tar entry replaces an earlier one. */
static int make_room(layer_ctx *c, int dir_fd, const char *name, bool want_dir, rq_error **reterr)
{
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : entry_fail(c, errno, "look up", reterr);
        if (want_dir && S_ISDIR(st.st_mode))
                return 1;
        int r = layer_rm_rf_at(dir_fd, name);
        return r < 0 ? entry_fail(c, -r, "remove the earlier entry of that name", reterr) : 0;
}

/* Ownership, then xattrs (a chown clears security.capability), then the mode (a chown clears
 * setuid and setgid bits), then times. fd is the open entry or -EBADF, then dir_fd/name is
 * used without following a symlink. Directories get their mode and times in fixup_dirs(). */
static int apply_meta(unpack *u, struct archive_entry *e, int fd, int dir_fd, const char *name,
                      bool dir, rq_error **reterr)
{
        layer_ctx *c = &u->ctx;
        uid_t uid = (uid_t)archive_entry_uid(e);
        gid_t gid = (gid_t)archive_entry_gid(e);
        int r = fd >= 0 ? fchown(fd, uid, gid)
                        : fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0) {
                int err = errno;
                if ((err == EPERM || err == EINVAL) && (c->flags & RQ_LAYER_IGNORE_CHOWN_ERRORS))
                        c->info->n_chown_skipped++;
                else {
                        r = rq_error_set(reterr, err, "layer entry %s: chown to %u:%u", c->entry,
                                         (unsigned)uid, (unsigned)gid);
                        if (err == EINVAL)
                                return rq_error_hint(reterr, "the user namespace does not map "
                                                             "these ids (see /etc/subuid)");
                        if (err == EPERM)
                                return rq_error_hint(reterr, "unpack in a user namespace that "
                                                             "maps them, or ignore chown errors");
                        return r;
                }
        }

        const char *xname;
        const void *value;
        size_t size;
        char path[4096 + 32];
        layer_proc_path(path, dir_fd, name);
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
                /* overlay's own xattrs would change how the merged view reads this layer
                 * (opaque, redirect, metacopy): only whiteout entries make them. */
                if (startswith(xname, "trusted.overlay.") || startswith(xname, "user.overlay.")) {
                        c->info->n_xattrs_skipped++;
                        continue;
                }
                r = fd >= 0 ? fsetxattr(fd, xname, value, size, 0)
                            : lsetxattr(path, xname, value, size, 0);
                if (r < 0 && (errno == ENOTSUP || errno == EPERM)) {
                        c->info->n_xattrs_skipped++;
                        continue;
                }
                if (r < 0)
                        return rq_error_set(reterr, errno, "layer entry %s: set xattr %s", c->entry,
                                            xname);
        }

        if (dir)
                return 0;
        if (archive_entry_filetype(e) != AE_IFLNK) {
                mode_t mode = archive_entry_perm(e) & 07777;
                r = fd >= 0 ? fchmod(fd, mode) : fchmodat(dir_fd, name, mode, AT_SYMLINK_NOFOLLOW);
                if (r < 0)
                        return entry_fail(c, errno, "chmod", reterr);
        }
        if (archive_entry_mtime_is_set(e)) {
                struct timespec ts[2] = {
                        { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
                        { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
                };
                if (archive_entry_atime_is_set(e))
                        ts[0] = (struct timespec){ archive_entry_atime(e),
                                                   archive_entry_atime_nsec(e) };
                r = fd >= 0 ? futimens(fd, ts) : utimensat(dir_fd, name, ts, AT_SYMLINK_NOFOLLOW);
                if (r < 0)
                        return entry_fail(c, errno, "set times", reterr);
        }
        return 0;
}

/* Record a directory for fixup_dirs(). */
static int record_dir(unpack *u, struct archive_entry *e, const char *path, rq_error **reterr)
{
        if (u->n_fixups == u->n_alloc) {
                size_t n = u->n_alloc ? u->n_alloc * 2 : 64;
                dir_fixup *grown = reallocarray(u->fixups, n, sizeof(*grown));
                if (!grown)
                        return entry_fail(&u->ctx, ENOMEM, "record directory", reterr);
                u->fixups = grown;
                u->n_alloc = n;
        }
        dir_fixup *f = &u->fixups[u->n_fixups];
        *f = (dir_fixup){ .path = strdup(path),
                          .index = u->n_fixups,
                          .mode = archive_entry_perm(e) & 07777,
                          .has_time = archive_entry_mtime_is_set(e) };
        if (!f->path)
                return entry_fail(&u->ctx, ENOMEM, "record directory", reterr);
        f->ts[1] = (struct timespec){ archive_entry_mtime(e), archive_entry_mtime_nsec(e) };
        f->ts[0] = archive_entry_atime_is_set(e) ? (struct timespec){ archive_entry_atime(e),
                                                                      archive_entry_atime_nsec(e) }
                                                 : f->ts[1];
        u->n_fixups++;
        return 0;
}

static int write_file(unpack *u, struct archive *a, struct archive_entry *e, int dir_fd,
                      const char *name, rq_error **reterr)
{
        layer_ctx *c = &u->ctx;
        const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        _cleanup_close_ int fd = openat(dir_fd, name, flags, 0600);
        int r;
        if (fd < 0) {
                r = room_after_eexist(c, dir_fd, name, reterr);
                if (r < 0)
                        return r;
                if (r == 0 || (fd = openat(dir_fd, name, flags, 0600)) < 0)
                        return entry_fail(c, errno, "create", reterr);
        }
        const void *buf;
        size_t size;
        la_int64_t offset;
        off_t end = 0; /* the new file's size so far */
        while ((r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK ||
               r == ARCHIVE_WARN) {
                if (size > 0 && offset + (off_t)size > end)
                        end = offset + (off_t)size;
                /* pwrite at the block's offset: the gaps of a sparse file stay holes. */
                for (size_t done = 0; done < size;) {
                        ssize_t k = RETRY_EINTR(pwrite(fd, (const char *)buf + done, size - done,
                                                       offset + (off_t)done));
                        if (k <= 0)
                                return entry_fail(c, k < 0 ? errno : EIO, "write", reterr);
                        done += (size_t)k;
                }
        }
        if (r != ARCHIVE_EOF)
                return rq_error_set(reterr, archive_errno(a) ?: EIO, "layer entry %s: read: %s",
                                    c->entry, archive_error_string(a));
        /* Only a sparse file's trailing hole needs it. */
        if (archive_entry_size_is_set(e) && archive_entry_size(e) != end &&
            ftruncate(fd, archive_entry_size(e)) < 0)
                return entry_fail(c, errno, "truncate", reterr);
        return apply_meta(u, e, fd, dir_fd, name, false, reterr);
}

static int write_dir(unpack *u, struct archive_entry *e, const char *path, int dir_fd,
                     const char *name, rq_error **reterr)
{
        /* Owner-only until fixup_dirs(): the final mode may lack u+w. */
        int r = 0;
        if (mkdirat(dir_fd, name, 0700) < 0) {
                if (errno != EEXIST)
                        return entry_fail(&u->ctx, errno, "create directory", reterr);
                /* A directory there is kept (with its contents); anything else replaced. */
                r = make_room(&u->ctx, dir_fd, name, true, reterr);
                if (r < 0)
                        return r;
                if (r == 0 && mkdirat(dir_fd, name, 0700) < 0)
                        return entry_fail(&u->ctx, errno, "create directory", reterr);
        }
        r = apply_meta(u, e, -EBADF, dir_fd, name, true, reterr);
        return r < 0 ? r : record_dir(u, e, path, reterr);
}

static int write_hardlink(unpack *u, struct archive_entry *e, const char *target, int dir_fd,
                          const char *name, rq_error **reterr)
{
        layer_ctx *c = &u->ctx;
        _cleanup_free_ char *t = NULL;
        int r = layer_path_normalize(target, &t);
        if (r == -EINVAL || r == -EXDEV || (r >= 0 && !*t))
                return rq_error_invalid(
                        reterr, "layer entry %s: hard link target is outside the layer", c->entry);
        if (r < 0)
                return entry_fail(c, -r, "hard link", reterr);
        char *slash = strrchr(t, '/');
        const char *tbase = slash ? slash + 1 : t;
        if (slash)
                *slash = 0;
        _cleanup_close_ int tdir = -EBADF;
        r = layer_open_dir_in_layer(c->dest_fd, slash ? t : "", &tdir);
        struct stat st;
        if (r >= 0 && fstatat(tdir, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
                r = negative_errno();
        if (r == -ELOOP)
                return rq_error_invalid(reterr,
                                        "layer entry %s: hard link target passes through a "
                                        "symlink",
                                        c->entry);
        if (r == -ENOENT || r == -ENOTDIR)
                return rq_error_set_plain(reterr, ENOENT,
                                          "layer entry %s: hard link target is not an earlier "
                                          "entry of this layer",
                                          c->entry);
        if (r < 0)
                return entry_fail(c, -r, "look up the hard link target", reterr);
        if (S_ISDIR(st.st_mode))
                return rq_error_invalid(reterr, "layer entry %s: hard link to a directory",
                                        c->entry);

        struct stat old;
        bool linked = fstatat(dir_fd, name, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
                      old.st_dev == st.st_dev && old.st_ino == st.st_ino;
        if (!linked) {
                r = make_room(c, dir_fd, name, false, reterr);
                if (r < 0)
                        return r;
                /* flags 0: a link to a symlink links the symlink itself, never what it points
                 * to. */
                if (linkat(tdir, tbase, dir_fd, name, 0) < 0)
                        return entry_fail(c, errno, "hard link", reterr);
        }
        /* The header's owner, mode and times go to the shared inode, as docker and podman
         * apply them (their trees then match ours); a link to a symlink keeps the symlink's. */
        if (!S_ISLNK(st.st_mode)) {
                r = apply_meta(u, e, -EBADF, dir_fd, name, false, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int create_special(mode_t type, const char *target, int dir_fd, const char *name, dev_t dev)
{
        return type == AE_IFLNK ? symlinkat(target, dir_fd, name)
                                : mknodat(dir_fd, name, type | 0600, dev);
}

static int write_special(unpack *u, struct archive_entry *e, int dir_fd, const char *name,
                         rq_error **reterr)
{
        layer_ctx *c = &u->ctx;
        mode_t type = archive_entry_filetype(e);
        dev_t dev = 0;
        if (type == AE_IFCHR || type == AE_IFBLK) {
                if (c->flags & RQ_LAYER_ROOTLESS) {
                        c->info->n_devices_skipped++;
                        return 0;
                }
                dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        }
        const char *target = type == AE_IFLNK ? archive_entry_symlink(e) : NULL;
        const char *what = type == AE_IFLNK ? "create symlink" : "create node";
        if (type == AE_IFLNK && !target)
                return entry_fail(c, EINVAL, what, reterr);
        /* A symlink's target is data: it is never followed while unpacking. */
        if (create_special(type, target, dir_fd, name, dev) < 0) {
                int r = room_after_eexist(c, dir_fd, name, reterr);
                if (r < 0)
                        return r;
                if (r == 0 || create_special(type, target, dir_fd, name, dev) < 0)
                        return entry_fail(c, errno, what, reterr);
        }
        return apply_meta(u, e, -EBADF, dir_fd, name, false, reterr);
}

/* ".wh.NAME" in dir: NAME deleted from the layers below, an overlayfs whiteout (a 0/0 character
 * device, which unprivileged users may create since Linux 5.8). */
static int write_whiteout(unpack *u, int dir_fd, const char *name, rq_error **reterr)
{
        layer_ctx *c = &u->ctx;
        if (!*name || streq(name, ".") || streq(name, ".."))
                return rq_error_invalid(reterr, "layer entry %s: whiteout of an invalid name",
                                        c->entry);
        int r = make_room(c, dir_fd, name, false, reterr);
        if (r < 0)
                return r;
        if (mknodat(dir_fd, name, S_IFCHR | 0000, makedev(0, 0)) < 0) {
                int err = errno;
                r = rq_error_set(reterr, err, "layer entry %s: create whiteout", c->entry);
                return err == EPERM ? rq_error_hint(reterr, "unprivileged whiteouts need Linux "
                                                            "5.8 or later")
                                    : r;
        }
        return 0;
}

static int write_opaque(unpack *u, int dir_fd, rq_error **reterr)
{
        char path[4096 + 32];
        layer_proc_path(path, dir_fd, NULL);
        if (setxattr(path, u->ctx.opaque_xattr, "y", 1, 0) < 0)
                return rq_error_set(reterr, errno, "layer entry %s: set %s", u->ctx.entry,
                                    u->ctx.opaque_xattr);
        return 0;
}

static int write_entry(unpack *u, struct archive *a, struct archive_entry *e, const char *name,
                       rq_error **reterr)
{
        layer_ctx *c = &u->ctx;
        _cleanup_free_ char *path = NULL;
        int r = layer_path_normalize(name, &path);
        if (r == -EINVAL)
                return rq_error_invalid(reterr,
                                        "layer entry %s: a \"..\" component would leave the layer",
                                        c->entry);
        if (r == -EXDEV)
                return rq_error_invalid(reterr,
                                        "layer entry %s: an absolute name would leave the layer "
                                        "(layer entries are relative)",
                                        c->entry);
        if (r < 0)
                return entry_fail(c, -r, "name", reterr);
        const char *hardlink = archive_entry_hardlink(e);
        mode_t type = archive_entry_filetype(e);

        if (!*path) {
                /* "./": the layer directory's own metadata. */
                if (hardlink || type != AE_IFDIR)
                        return rq_error_invalid(reterr,
                                                "layer entry %s: names the layer root but is not "
                                                "a directory",
                                                c->entry);
                r = apply_meta(u, e, -EBADF, c->dest_fd, ".", true, reterr);
                return r < 0 ? r : record_dir(u, e, path, reterr);
        }
        /* aufs metadata at the top (".wh..wh.plnk", ".wh..wh.aufs"): docker skips it. */
        if (startswith(path, WHITEOUT_META_PREFIX))
                return 0;

        char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        if (slash)
                *slash = 0;
        const char *dir = slash ? path : "";
        int dir_fd;

        if (startswith(base, WHITEOUT_PREFIX)) {
                if (!streq(base, WHITEOUT_OPAQUE) && startswith(base, WHITEOUT_META_PREFIX))
                        return 0;
                r = layer_walk_parent(c, dir, &dir_fd, reterr);
                if (r < 0)
                        return r;
                if (streq(base, WHITEOUT_OPAQUE))
                        return write_opaque(u, dir_fd, reterr);
                return write_whiteout(u, dir_fd, base + strlen(WHITEOUT_PREFIX), reterr);
        }

        r = layer_walk_parent(c, dir, &dir_fd, reterr);
        if (r < 0)
                return r;
        if (hardlink)
                return write_hardlink(u, e, hardlink, dir_fd, base, reterr);
        switch (type) {
        case AE_IFREG:
                return write_file(u, a, e, dir_fd, base, reterr);
        case AE_IFDIR:
                if (slash)
                        *slash = '/';
                return write_dir(u, e, path, dir_fd, base, reterr);
        case AE_IFLNK:
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return write_special(u, e, dir_fd, base, reterr);
        default:
                return rq_error_invalid(reterr, "layer entry %s: unsupported entry type 0%o",
                                        c->entry, (unsigned)type);
        }
}

static size_t path_depth(const char *p)
{
        size_t n = *p ? 1 : 0;
        for (; *p; p++)
                n += *p == '/';
        return n;
}

/* Deepest first (a parent's final mode may forbid entering it); for one path, the last entry
 * first, so that it is the one applied. */
static int fixup_cmp(const void *x, const void *y)
{
        const dir_fixup *a = x, *b = y;
        size_t da = path_depth(a->path), db = path_depth(b->path);
        if (da != db)
                return da > db ? -1 : 1;
        int r = strcmp(a->path, b->path);
        if (r != 0)
                return r;
        return a->index > b->index ? -1 : (a->index < b->index);
}

static int fixup_dirs(unpack *u, rq_error **reterr)
{
        if (u->n_fixups > 0)
                qsort(u->fixups, u->n_fixups, sizeof(dir_fixup), fixup_cmp);
        for (size_t i = 0; i < u->n_fixups; i++) {
                dir_fixup *f = &u->fixups[i];
                if (i > 0 && streq(f->path, u->fixups[i - 1].path))
                        continue;
                char *slash = strrchr(f->path, '/');
                const char *base = !*f->path ? "." : slash ? slash + 1 : f->path;
                if (slash)
                        *slash = 0;
                _cleanup_close_ int dir_fd = -EBADF;
                struct stat st;
                int r = layer_open_dir_in_layer(u->ctx.dest_fd, slash ? f->path : "", &dir_fd);
                if (r >= 0 && fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = negative_errno();
                if (slash)
                        *slash = '/';
                /* Replaced or removed by a later entry. */
                if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP ||
                    (r >= 0 && !S_ISDIR(st.st_mode)))
                        continue;
                if (r >= 0 && fchmodat(dir_fd, base, f->mode, AT_SYMLINK_NOFOLLOW) < 0)
                        r = negative_errno();
                if (r >= 0 && f->has_time &&
                    utimensat(dir_fd, base, f->ts, AT_SYMLINK_NOFOLLOW) < 0)
                        r = negative_errno();
                if (r < 0)
                        return rq_error_set(reterr, -r, "layer directory %s: set mode and times",
                                            *f->path ? f->path : ".");
        }
        return 0;
}

static int unpack_entries(unpack *u, struct archive *inner, rq_error **reterr)
{
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(inner, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return rq_error_set(reterr, archive_errno(inner) ?: EINVAL,
                                            "layer blob: %s", archive_error_string(inner));
                u->ctx.info->n_entries++;
                const char *name = archive_entry_pathname(e);
                if (!name)
                        name = archive_entry_pathname_utf8(e);
                if (!name)
                        return rq_error_invalid(reterr, "layer blob: an entry without a name");
                _cleanup_free_ char *shown = strdup(name);
                if (!shown)
                        return rq_error_set(reterr, ENOMEM, "layer blob");
                /* Messages show the name as given, non-printable bytes masked. */
                u->ctx.entry = str_sanitize(shown);
                r = write_entry(u, inner, e, name, reterr);
                u->ctx.entry = NULL;
                if (r < 0)
                        return r;
        }
}

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static void unpack_done(unpack *u)
{
        for (size_t i = 0; i < u->n_fixups; i++)
                free(u->fixups[i].path);
        free(u->fixups);
        free(u->ctx.cache_path);
        safe_close(u->ctx.cache_fd);
        safe_close(u->ctx.dest_fd);
}

static void stream_freep(layer_stream **p)
{
        layer_stream *s = *p;
        if (!s)
                return;
        rq_sha256_free(s->blob_hash);
        rq_sha256_free(s->diff_hash);
        free(s);
}

/* The outer reader: decompression only. Each filter is enabled only when libarchive has its
 * library built in: otherwise it would run an external program on untrusted bytes. */
static int open_outer(layer_stream *s, struct archive **ret, rq_error **reterr)
{
        _cleanup_(archive_freep) struct archive *a = archive_read_new();
        if (!a)
                return rq_error_set(reterr, ENOMEM, "layer blob");
        int r = ARCHIVE_OK;
        if (archive_zlib_version())
                r = r ?: archive_read_support_filter_gzip(a);
        if (archive_libzstd_version())
                r = r ?: archive_read_support_filter_zstd(a);
        if (archive_liblzma_version())
                r = r ?: archive_read_support_filter_xz(a);
        if (archive_bzlib_version())
                r = r ?: archive_read_support_filter_bzip2(a);
        r = r ?: archive_read_support_format_raw(a);
        if (r != ARCHIVE_OK)
                return rq_error_set(reterr, EINVAL, "layer blob: set up the reader: %s",
                                    archive_error_string(a));
        s->outer = a;
        struct archive_entry *e;
        if (archive_read_open(a, s, NULL, outer_read, NULL) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK)
                return rq_error_set(reterr, archive_errno(a) > 0 ? archive_errno(a) : EINVAL,
                                    "layer blob: %s",
                                    archive_error_string(a) ?: "empty or unreadable");
        *ret = TAKE_PTR(a);
        return 0;
}

static int layer_unpack(int in_fd, rq_layer_read_fn read_fn, void *read_ud, int dest_dirfd,
                        const int *lower_dirfds, size_t n_lower, int blob_out_fd, unsigned flags,
                        rq_layer_info *ret_info, rq_error **reterr)
{
        int k = rq_archive_load(reterr);
        if (k < 0)
                return k;
        rq_layer_info info = { .compression = RQ_LAYER_COMPRESSION_NONE };
        _cleanup_(unpack_done) unpack u = {
                .ctx = { .dest_fd = -EBADF,
                         .cache_fd = -EBADF,
                         .lower_fds = lower_dirfds,
                         .n_lower = n_lower,
                         .flags = flags,
                         .info = &info,
                         .opaque_xattr = (flags & RQ_LAYER_ROOTLESS) ? "user.overlay.opaque"
                                                                     : "trusted.overlay.opaque" },
        };
        _cleanup_(stream_freep) layer_stream *s = calloc(1, sizeof(*s));
        if (!s)
                return rq_error_set(reterr, ENOMEM, "unpack layer");
        s->in_fd = in_fd;
        s->read_fn = read_fn;
        s->read_ud = read_ud;
        s->tee_fd = blob_out_fd;
        int r = rq_sha256_new(&s->blob_hash);
        if (r >= 0)
                r = rq_sha256_new(&s->diff_hash);
        if (r < 0)
                return rq_error_set(reterr, r,
                                    "unpack layer: start the SHA-256 digests (libcrypto)");
        u.ctx.dest_fd = openat(dest_dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (u.ctx.dest_fd < 0)
                return rq_error_set(reterr, errno, "unpack layer: open the layer directory");

        _cleanup_(archive_freep) struct archive *outer = NULL;
        r = open_outer(s, &outer, reterr);
        if (r < 0)
                return r;
        info.compression = compression_of(outer);
        /* Only libarchive's pass-through filter: every byte read is a tar byte, unchanged. */
        s->tar_is_blob = archive_filter_count(outer) == 1 &&
                         archive_filter_code(outer, 0) == ARCHIVE_FILTER_NONE;
        _cleanup_(archive_freep) struct archive *inner = archive_read_new();
        if (!inner)
                return rq_error_set(reterr, ENOMEM, "unpack layer");
        if (archive_read_support_format_tar(inner) != ARCHIVE_OK ||
            archive_read_open(inner, s, NULL, inner_read, NULL) != ARCHIVE_OK)
                return rq_error_set(reterr,
                                    archive_errno(inner) > 0 ? archive_errno(inner) : EINVAL,
                                    "layer blob: %s", archive_error_string(inner));
        r = unpack_entries(&u, inner, reterr);
        if (r < 0)
                return r;
        r = stream_drain(s, reterr);
        if (r < 0)
                return r;
        r = fixup_dirs(&u, reterr);
        if (r < 0)
                return r;

        rq_sha256_final(s->blob_hash, info.digest);
        if (s->tar_is_blob && s->blob_size != s->diff_size)
                return rq_error_set_plain(reterr, EIO,
                                          "layer blob: %" PRIu64 " bytes read but %" PRIu64
                                          " tar bytes from an uncompressed blob",
                                          s->blob_size, s->diff_size);
        if (s->tar_is_blob)
                memcpy(info.diff_id, info.digest, sizeof(info.diff_id));
        else
                rq_sha256_final(s->diff_hash, info.diff_id);
        info.blob_size = s->blob_size;
        info.unpacked_size = s->diff_size;
        if (ret_info)
                *ret_info = info;
        return 0;
}

int rq_layer_unpack(int in_fd, int dest_dirfd, const int *lower_dirfds, size_t n_lower,
                    int blob_out_fd, unsigned flags, rq_layer_info *ret_info, rq_error **reterr)
{
        return layer_unpack(in_fd, NULL, NULL, dest_dirfd, lower_dirfds, n_lower, blob_out_fd,
                            flags, ret_info, reterr);
}

int rq_layer_unpack_reader(rq_layer_read_fn read_fn, void *userdata, int dest_dirfd,
                           const int *lower_dirfds, size_t n_lower, int blob_out_fd, unsigned flags,
                           rq_layer_info *ret_info, rq_error **reterr)
{
        return layer_unpack(-EBADF, read_fn, userdata, dest_dirfd, lower_dirfds, n_lower,
                            blob_out_fd, flags, ret_info, reterr);
}
