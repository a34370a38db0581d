/* Opening the store, its lock and its leftovers, blobs by digest, layer directories, image
 * lookup and removal. Every path inside the store is built here from validated digests (64 hex
 * digits), never from names found in archives. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/rm-rf.h"
#include "basic/string-util.h"
#include "engine/ref.h"
#include "engine/storage/overlay.h"
#include "engine/store/builtin.h"
#include "engine/store/store.h"
#include "lib/log.h"

/* The marker a writer holds in tmp/ while it works: found by the next writer, it means a command
 * died mid-change and the store needs the full sweep. */
#define DIRTY_MARKER "tmp/.in-progress"

static int env_dir(const char *var, const char *sub, char **ret)
{
        const char *v = getenv(var);
        if (!v || v[0] != '/')
                return -ENOENT;
        *ret = strprintf("%s/%s", v, sub);
        return *ret ? 0 : -ENOMEM;
}

int rq_store_default_root(char **ret)
{
        const char *e = getenv("RONGQI_ROOT");
        if (e && *e) {
                *ret = strdup(e);
                return *ret ? 0 : -ENOMEM;
        }
        if (geteuid() == 0) {
                *ret = strdup("/var/lib/rongqi");
                return *ret ? 0 : -ENOMEM;
        }
        if (env_dir("XDG_DATA_HOME", "rongqi", ret) == 0)
                return 0;
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
                return -ENOENT;
        *ret = strprintf("%s/.local/share/rongqi", home);
        return *ret ? 0 : -ENOMEM;
}

int rq_store_default_runroot(char **ret)
{
        if (geteuid() == 0) {
                *ret = strdup("/run/rongqi");
                return *ret ? 0 : -ENOMEM;
        }
        if (env_dir("XDG_RUNTIME_DIR", "rongqi", ret) == 0)
                return 0;
        *ret = strprintf("/tmp/rongqi-run-%u", (unsigned)geteuid());
        return *ret ? 0 : -ENOMEM;
}

static int mkdir_p(const char *path, mode_t mode)
{
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int store_dirs(rq_store *s, rq_error **reterr)
{
        static const char *const dirs[] = { "blobs", "blobs/sha256", "layers", "l", "tmp" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdirat(s->root_fd, dirs[i], 0700) < 0 && errno != EEXIST)
                        return rq_error_set(reterr, errno, "create %s/%s", s->root, dirs[i]);
        return 0;
}

int rq_store_lock_write(rq_store *s, rq_error **reterr)
{
        if (s->lock_fd >= 0)
                return 0;
        s->lock_fd =
                openat(s->root_fd, "store.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->lock_fd < 0)
                return rq_error_set(reterr, errno, "open %s/store.lock", s->root);
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return rq_error_set(reterr, errno, "lock %s/store.lock", s->root);
                rq_note("waiting for another rongqi command to finish with %s", s->root);
                if (flock(s->lock_fd, LOCK_EX) < 0)
                        return rq_error_set(reterr, errno, "lock %s/store.lock", s->root);
        }
        int r = store_dirs(s, reterr);
        if (r < 0)
                return r;
        /* A writer that died left its marker: sweep before adding anything. */
        if (faccessat(s->root_fd, DIRTY_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                r = rq_store_gc(s, NULL, reterr);
                if (r < 0)
                        return rq_error_wrap(reterr, "clean up after an interrupted command");
        }
        int m = openat(s->root_fd, DIRTY_MARKER, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (m < 0)
                return rq_error_set(reterr, errno, "create %s/" DIRTY_MARKER, s->root);
        close(m);
        return 0;
}

int rq_store_open(const char *root, const char *runroot, unsigned flags, rq_store **ret,
                  rq_error **reterr)
{
        _cleanup_(rq_store_closep) rq_store *s = calloc(1, sizeof(*s));
        if (!s)
                return rq_error_set(reterr, ENOMEM, "open image store");
        s->root_fd = s->lock_fd = -EBADF;
        s->rootless = geteuid() != 0;
        s->root = strdup(root);
        s->runroot = strdup(runroot);
        if (!s->root || !s->runroot)
                return rq_error_set(reterr, ENOMEM, "open image store");
        if (root[0] != '/')
                return rq_error_invalid(reterr, "image store root '%s' is not an absolute path",
                                        root);

        int r = mkdir_p(root, 0700);
        if (r < 0)
                return rq_error_set(reterr, r, "create image store %s", root);
        s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0)
                return rq_error_set(reterr, errno, "open image store %s", root);

        _cleanup_free_ char *dbpath = strprintf("%s/rongqi.db", root);
        if (!dbpath)
                return rq_error_set(reterr, ENOMEM, "open image store");
        r = rq_db_open(dbpath, &s->db, reterr);
        if (r < 0)
                return r;
        if (flags & RQ_STORE_WRITE) {
                r = rq_store_lock_write(s, reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

void rq_store_close(rq_store *s)
{
        if (!s)
                return;
        if (s->lock_fd >= 0 && s->root_fd >= 0) {
                /* A change that stored files but never committed the rows naming them (it
                 * failed midway): remove them now rather than leave it to the next writer. */
                if (s->dirty && s->db)
                        (void)rq_store_gc(s, NULL, NULL);
                /* Still locked: nothing else can have started; whatever this command left in
                 * tmp/ (the marker included) is garbage now. */
                _cleanup_close_ int t =
                        openat(s->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (t >= 0)
                        (void)rm_rf_children(t);
        }
        rq_db_close(s->db);
        safe_close(s->lock_fd);
        safe_close(s->root_fd);
        free(s->root);
        free(s->runroot);
        free(s);
}

/* Whether a reference names its registry ("quay.io/x", "localhost/x", "host:5000/x"): the first
 * component has a dot or a port, or is localhost — Docker's rule. */
static bool has_domain(const char *what)
{
        const char *slash = strchr(what, '/');
        if (!slash)
                return false;
        size_t n = (size_t)(slash - what);
        return memchr(what, '.', n) || memchr(what, ':', n) ||
               (n == 9 && strncmp(what, "localhost", 9) == 0);
}

static bool hex_prefix(const char *s)
{
        size_t n = strspn(s, "0123456789abcdef");
        return n > 0 && n <= RQ_DIGEST_HEX_LEN && s[n] == '\0';
}

int rq_store_new_name(const char *what, char **ret, rq_error **reterr)
{
        _cleanup_free_ char *local =
                has_domain(what) ? strdup(what) : strprintf("localhost/%s", what);
        if (!local)
                return rq_error_set(reterr, ENOMEM, "name %s", what);
        _cleanup_(rq_ref_done) rq_ref ref = {};
        int r = rq_ref_parse(local, &ref, NULL);
        if (r < 0)
                /* Report the error for what the user typed, not the localhost/ form. */
                return rq_ref_parse(what, &ref, reterr) < 0 ? -EINVAL
                                                            : rq_error_invalid(reterr,
                                                                               "invalid image "
                                                                               "name '%s'",
                                                                               what);
        if (ref.digest)
                return rq_error_invalid(reterr, "%s: a new image name cannot hold a digest", what);
        *ret = rq_ref_string(&ref);
        return *ret ? 0 : rq_error_set(reterr, ENOMEM, "name %s", what);
}

int rq_store_find_image(rq_store *s, const char *what, rq_db_image *ret, char **ret_name,
                        rq_error **reterr)
{
        if (ret_name)
                *ret_name = NULL;
        char id[RQ_DIGEST_HEX_LEN + 1];
        const char *hex = startswith(what, "sha256:");
        int r;

        if (hex || rq_digest_hex_valid(what)) {
                r = rq_db_image_get(s->db, hex ? hex : what, ret, reterr);
                if (r != -ENOENT)
                        return r;
                return rq_error_set_plain(reterr, ENOENT, "%s: image not known", what);
        }

        _cleanup_(rq_ref_done) rq_ref ref = {};
        _cleanup_error_ rq_error *perr = NULL;
        r = rq_ref_parse(what, &ref, &perr);
        if (r >= 0) {
                _cleanup_free_ char *name = rq_ref_string(&ref);
                if (!name)
                        return rq_error_set(reterr, ENOMEM, "look up %s", what);
                if (ref.digest && !ref.tag) {
                        /* name@digest: the image with that manifest digest. */
                        rq_db_image *all = NULL;
                        size_t n = 0;
                        r = rq_db_images_list(s->db, &all, &n, reterr);
                        if (r < 0)
                                return r;
                        for (size_t i = 0; i < n; i++)
                                if (streq(all[i].manifest_digest, ref.digest) ||
                                    streq(all[i].config_digest, ref.digest)) {
                                        *ret = all[i];
                                        memset(&all[i], 0, sizeof(all[i]));
                                        rq_db_images_free(all, n);
                                        return 0;
                                }
                        rq_db_images_free(all, n);
                } else {
                        r = rq_db_name_lookup(s->db, name, id, reterr);
                        if (r == -ENOENT && !has_domain(what)) {
                                /* As podman: a short name also finds a local image,
                                 * localhost/NAME (what `import` and `tag` of a short name in
                                 * podman make). */
                                _cleanup_free_ char *local = strprintf("localhost/%s", what);
                                _cleanup_(rq_ref_done) rq_ref lref = {};
                                _cleanup_free_ char *lname = NULL;
                                if (local && rq_ref_parse(local, &lref, NULL) >= 0 &&
                                    (lname = rq_ref_string(&lref)))
                                        r = rq_db_name_lookup(s->db, lname, id, reterr);
                                if (r >= 0) {
                                        free(name);
                                        name = TAKE_PTR(lname);
                                }
                        }
                        if (r == -ENOENT && streq(name, RQ_BUILTIN_BUSYBOX)) {
                                r = rq_store_builtin_busybox(s, id, reterr);
                                if (r < 0)
                                        return r;
                        }
                        if (r >= 0) {
                                r = rq_db_image_get(s->db, id, ret, reterr);
                                if (r >= 0 && ret_name)
                                        *ret_name = TAKE_PTR(name);
                                return r;
                        }
                        if (r != -ENOENT)
                                return r;
                }
        }

        /* An id prefix, as Docker allows: only if it is unambiguous. */
        if (hex_prefix(what)) {
                r = rq_db_id_prefix(s->db, what, id, reterr);
                if (r < 0)
                        return r;
                if (r == 1)
                        return rq_db_image_get(s->db, id, ret, reterr);
                if (r > 1)
                        return rq_error_set_plain(reterr, EINVAL,
                                                  "%s: image id prefix is ambiguous: give more "
                                                  "digits",
                                                  what);
        }
        if (perr) {
                *reterr = TAKE_PTR(perr);
                return -EINVAL;
        }
        return rq_error_set_plain(reterr, ENOENT, "%s: image not known", what);
}

int rq_store_blob_tmpfile(rq_store *s, int *ret_fd, rq_error **reterr)
{
        int fd = openat(s->root_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return rq_error_set(reterr, errno, "create a temporary file in %s/tmp", s->root);
        *ret_fd = fd;
        return 0;
}

int rq_store_blob_commit(rq_store *s, int fd, const char *digest, rq_error **reterr)
{
        if (rq_digest_validate(digest) < 0)
                return rq_error_invalid(reterr, "invalid blob digest '%s'", digest);
        char path[128], src[64];
        snprintf(path, sizeof(path), "blobs/sha256/%s", rq_digest_hex(digest));
        if (faccessat(s->root_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
        if (fchmod(fd, 0644) < 0)
                return rq_error_set(reterr, errno, "store blob %s", digest);
        if (linkat(AT_FDCWD, src, s->root_fd, path, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
                return rq_error_set(reterr, errno, "store blob %s in %s", digest, s->root);
        s->dirty = true;
        return 0;
}

int rq_store_blob_put(rq_store *s, const void *buf, size_t len, char *ret_digest, rq_error **reterr)
{
        int r = rq_sha256_buf(buf, len, ret_digest);
        if (r < 0)
                return rq_error_set(reterr, r, "digest a blob");
        _cleanup_close_ int fd = -EBADF;
        r = rq_store_blob_tmpfile(s, &fd, reterr);
        if (r < 0)
                return r;
        r = write_all(fd, buf, len);
        if (r < 0)
                return rq_error_set(reterr, r, "write blob %s", ret_digest);
        return rq_store_blob_commit(s, fd, ret_digest, reterr);
}

int rq_store_blob_open(rq_store *s, const char *digest, int *ret_fd, rq_error **reterr)
{
        if (rq_digest_validate(digest) < 0)
                return rq_error_invalid(reterr, "invalid blob digest '%s'", digest);
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", rq_digest_hex(digest));
        int fd = openat(s->root_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open blob %s in %s", digest, s->root);
        *ret_fd = fd;
        return 0;
}

int rq_store_blob_read(rq_store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                       rq_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int r = rq_store_blob_open(s, digest, &fd, reterr);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "stat blob %s", digest);
        if ((size_t)st.st_size > max)
                return rq_error_set_plain(reterr, EFBIG, "blob %s is %lld bytes, more than %zu",
                                          digest, (long long)st.st_size, max);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        r = read_full_fd(fd, &buf, &len);
        if (r < 0)
                return rq_error_set(reterr, r, "read blob %s", digest);
        char got[RQ_DIGEST_STR_LEN];
        r = rq_sha256_buf(buf, len, got);
        if (r < 0)
                return rq_error_set(reterr, r, "digest blob %s", digest);
        if (!streq(got, digest))
                return rq_error_set_plain(reterr, EBADMSG,
                                          "blob %s in %s is corrupted: its content has digest %s",
                                          digest, s->root, got);
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int rq_store_tmpdir(rq_store *s, char ret_name[32], int *ret_fd, rq_error **reterr)
{
        unsigned char rnd[8];
        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
                return rq_error_set(reterr, errno, "make a temporary directory name");
        char name[32];
        int n = snprintf(name, sizeof(name), "tmp/");
        for (size_t i = 0; i < sizeof(rnd); i++)
                n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x", rnd[i]);
        if (mkdirat(s->root_fd, name, 0755) < 0)
                return rq_error_set(reterr, errno, "create %s/%s", s->root, name);
        int fd = openat(s->root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open %s/%s", s->root, name);
        memcpy(ret_name, name, sizeof(name));
        *ret_fd = fd;
        return 0;
}

char *rq_store_layer_path(const char *diff_id)
{
        return strprintf("layers/%s/diff", rq_digest_hex(diff_id));
}

int rq_store_layer_adopt(rq_store *s, const char *tmp_name, const char *diff_id, rq_error **reterr)
{
        char dst[128];
        snprintf(dst, sizeof(dst), "layers/%s", rq_digest_hex(diff_id));
        if (renameat2(s->root_fd, tmp_name, s->root_fd, dst, RENAME_NOREPLACE) < 0) {
                if (errno == EEXIST)
                        return -EEXIST;
                return rq_error_set(reterr, errno, "move layer %s into %s", diff_id, s->root);
        }
        s->dirty = true;
        return 0;
}

int rq_store_layer_open(rq_store *s, const char *diff_id, int *ret_fd, rq_error **reterr)
{
        _cleanup_free_ char *p = rq_store_layer_path(diff_id);
        if (!p)
                return rq_error_set(reterr, ENOMEM, "open layer %s", diff_id);
        int fd = openat(s->root_fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open layer %s in %s", diff_id, s->root);
        *ret_fd = fd;
        return 0;
}

int rq_store_image_remove(rq_store *s, const char *id, rq_error **reterr)
{
        int r = rq_db_begin(s->db, reterr);
        if (r < 0)
                return r;
        r = rq_db_image_delete(s->db, id, reterr);
        if (r >= 0)
                r = rq_db_commit(s->db, reterr);
        if (r < 0) {
                rq_db_rollback(s->db);
                return rq_error_wrap(reterr, "remove image %.12s", id);
        }
        return rq_store_gc(s, NULL, reterr);
}

/* Bytes a directory tree or file takes (st_blocks), for the "freed" report. */
static int64_t du_at(int dirfd, const char *name);

/* Remove every entry of the store directory dir whose name is no digest that keep() says is in
 * use; dir's entries are named by the hex of a digest. */
static int sweep(rq_store *s, const char *dir,
                 int (*keep)(rq_db *db, const char *digest, rq_error **reterr), int64_t *freed,
                 rq_error **reterr)
{
        _cleanup_close_ int fd =
                openat(s->root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0
                                       : rq_error_set(reterr, errno, "open %s/%s", s->root, dir);
        _cleanup_(closedirp) DIR *d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return rq_error_set(reterr, errno, "list %s/%s", s->root, dir);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                char digest[RQ_DIGEST_STR_LEN];
                snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
                int r = strlen(de->d_name) != RQ_DIGEST_HEX_LEN || rq_digest_validate(digest) < 0
                                ? 0
                                : keep(s->db, digest, reterr);
                if (r < 0)
                        return r;
                if (r == 1)
                        continue;
                if (freed)
                        *freed += du_at(fd, de->d_name);
                r = rm_rf_at(fd, de->d_name);
                if (r < 0)
                        return rq_error_set(reterr, r, "remove %s/%s/%s", s->root, dir, de->d_name);
        }
        return 0;
}

static int gc_layers(rq_store *s, int64_t *freed, rq_error **reterr)
{
        _cleanup_(strv_freep) char **unused = NULL;
        int r = rq_db_layers_unreferenced(s->db, &unused, reterr);
        if (r < 0)
                return r;
        for (char **d = unused; *d; d++) {
                r = rq_db_layer_delete(s->db, *d, reterr);
                if (r < 0)
                        return r;
        }
        /* Then every directory in layers/ without a row: unused ones just deleted, and those of
         * a load that died between the rename and its commit. */
        return sweep(s, "layers", rq_db_layer_exists, freed, reterr);
}

static int gc_blobs(rq_store *s, int64_t *freed, rq_error **reterr)
{
        return sweep(s, "blobs/sha256", rq_db_blob_referenced, freed, reterr);
}

static int64_t du_at(int dirfd, const char *name)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        int64_t sum = (int64_t)st.st_blocks * 512;
        if (!S_ISDIR(st.st_mode))
                return sum;
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return sum;
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return sum;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        sum += du_at(fd, de->d_name);
        return sum;
}

int rq_store_gc(rq_store *s, int64_t *freed, rq_error **reterr)
{
        if (s->lock_fd < 0)
                return rq_error_invalid(reterr, "the image store is not open for writing");
        _cleanup_close_ int t =
                openat(s->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (t >= 0) {
                int r = rm_rf_children(t);
                if (r < 0)
                        return rq_error_set(reterr, r, "empty %s/tmp", s->root);
        }
        int r = rq_db_begin(s->db, reterr);
        if (r < 0)
                return r;
        r = gc_layers(s, freed, reterr);
        if (r >= 0)
                r = rq_db_commit(s->db, reterr);
        if (r < 0) {
                rq_db_rollback(s->db);
                return rq_error_wrap(reterr, "remove unused layers from %s", s->root);
        }
        /* Short links of removed layers (overlay mounts of many layers use them). */
        r = rq_overlay_links_prune(s->root_fd, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "remove unused layer links from %s", s->root);
        r = gc_blobs(s, freed, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "remove unused blobs from %s", s->root);
        /* Recreate the marker: the command that opened the store is still working. */
        int m = openat(s->root_fd, DIRTY_MARKER, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (m < 0)
                return rq_error_set(reterr, errno, "create %s/" DIRTY_MARKER, s->root);
        close(m);
        return 0;
}

int rq_store_check_unpack(const rq_store *s, rq_error **reterr)
{
        if (!s->rootless)
                return 0;
        rq_error_set_plain(reterr, EPERM,
                           "unpacking image layers as an unprivileged user is not supported yet: "
                           "layer files keep their owners, which needs a user namespace that "
                           "maps them (rootless storage comes with rootless containers)");
        return rq_error_hint(reterr, "run it as root");
}
