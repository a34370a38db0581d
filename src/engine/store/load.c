/* rongqi load: read an archive's metadata first (docker's manifest.json, or an OCI layout's
 * index.json, manifests and configs), then stream each layer once through the unpacker, bottom
 * layer first, verifying blob digests and diff ids on the way, and commit each image in one
 * transaction. Names inside the archive are only ever looked up, never used as store paths.
 *
 * A tar input is read in passes (headers only, with seeks, except for the entry wanted), so a
 * layer can be streamed straight from the archive without a copy; a pipe is first copied to an
 * anonymous file in the store's tmp/. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/archive-dl.h"
#include "basic/fd-util.h"
#include "basic/string-util.h"
#include "engine/host.h"
#include "engine/ref.h"
#include "engine/store/layer.h"
#include "engine/store/load.h"
#include "engine/store/record.h"
#include "engine/progress.h"

#define SMALL_MAX (16u << 20) /* manifests, configs, indexes */
#define CACHE_ENTRY_MAX (1u << 20)
#define CACHE_TOTAL_MAX (64u << 20)

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

typedef struct entry {
        char *name; /* without a leading "./" or "/" */
        char *link; /* a symlink's or hardlink's target as an archive path, or NULL */
        int64_t size;
        char *data; /* cached content of a small entry, or NULL */
} entry;

typedef struct source {
        int fd; /* a seekable tar, or -EBADF */
        int dirfd; /* an OCI layout directory, or -EBADF */
        entry *entries;
        size_t n;
} source;

static void source_done(source *src)
{
        for (size_t i = 0; i < src->n; i++) {
                free(src->entries[i].name);
                free(src->entries[i].link);
                free(src->entries[i].data);
        }
        free(src->entries);
        safe_close(src->fd);
}

static const char *clean_name(const char *n)
{
        for (;;) {
                if (n[0] == '/')
                        n++;
                else if (n[0] == '.' && n[1] == '/')
                        n += 2;
                else
                        return n;
        }
}

static int archive_err(struct archive *a, rq_error **reterr, const char *what)
{
        int e = archive_errno(a);
        return rq_error_set_plain(reterr, e > 0 ? e : EIO, "%s: %s", what,
                                  archive_error_string(a) ? archive_error_string(a)
                                                          : "archive error");
}

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

/* A reader over the whole tar from its start; filters so a compressed archive works too. */
static int tar_open(source *src, struct archive **ret, rq_error **reterr)
{
        if (lseek(src->fd, 0, SEEK_SET) < 0)
                return rq_error_set(reterr, errno, "rewind the archive");
        struct archive *a = archive_read_new();
        if (!a)
                return rq_error_set(reterr, ENOMEM, "read the archive");
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        if (archive_read_open_fd(a, src->fd, 1 << 20) != ARCHIVE_OK) {
                int r = archive_err(a, reterr, "read the archive");
                archive_read_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static bool worth_caching(const char *name, int64_t size)
{
        if (size < 0 || (uint64_t)size > CACHE_ENTRY_MAX)
                return false;
        const char *dot = strrchr(name, '.');
        return startswith(name, "blobs/") || (dot && streq(dot, ".json")) ||
               streq(name, "oci-layout") || streq(name, "repositories");
}

static int read_entry_data(struct archive *a, int64_t size, size_t max, char **ret, size_t *ret_len,
                           const char *name, rq_error **reterr)
{
        if (size < 0 || (uint64_t)size > max)
                return rq_error_set_plain(reterr, EFBIG,
                                          "%s in the archive is %lld bytes, more "
                                          "than the %zu allowed for metadata",
                                          name, (long long)size, max);
        _cleanup_free_ char *buf = malloc((size_t)size + 1);
        if (!buf)
                return rq_error_set(reterr, ENOMEM, "read %s", name);
        size_t got = 0;
        while (got < (size_t)size) {
                la_ssize_t n = archive_read_data(a, buf + got, (size_t)size - got);
                if (n < 0)
                        return archive_err(a, reterr, name);
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        if (got != (size_t)size)
                return rq_error_set_plain(reterr, EBADMSG, "%s in the archive is truncated", name);
        buf[got] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

static char *link_target(const char *name, const char *target, bool symlink);

/* Pass 1: every entry's name and size; small metadata-looking entries kept in memory. */
static int tar_index(source *src, rq_error **reterr)
{
        _cleanup_(archive_freep) struct archive *a = NULL;
        int r = tar_open(src, &a, reterr);
        if (r < 0)
                return r;
        size_t cached = 0;
        struct archive_entry *e;
        for (;;) {
                int rc = archive_read_next_header(a, &e);
                if (rc == ARCHIVE_EOF)
                        break;
                if (rc < ARCHIVE_WARN)
                        return archive_err(a, reterr, "read the archive");
                const char *hard = archive_entry_hardlink(e);
                bool sym = archive_entry_filetype(e) == AE_IFLNK;
                if (archive_entry_filetype(e) != AE_IFREG && !sym && !hard)
                        continue;
                entry *ne = realloc(src->entries, (src->n + 1) * sizeof(*ne));
                if (!ne)
                        return rq_error_set(reterr, ENOMEM, "read the archive");
                src->entries = ne;
                entry *x = &src->entries[src->n++];
                *x = (entry){ .name = strdup(clean_name(archive_entry_pathname(e))),
                              .size = archive_entry_size(e) };
                if (!x->name)
                        return rq_error_set(reterr, ENOMEM, "read the archive");
                if (hard || sym) {
                        /* podman writes ID/layer.tar as a symlink to ../DIFFID.tar. */
                        x->link = link_target(x->name, hard ? hard : archive_entry_symlink(e), sym);
                        if (!x->link)
                                return rq_error_set(reterr, ENOMEM, "read the archive");
                        continue;
                }
                if (worth_caching(x->name, x->size) && cached + (size_t)x->size < CACHE_TOTAL_MAX) {
                        size_t len;
                        r = read_entry_data(a, x->size, CACHE_ENTRY_MAX, &x->data, &len, x->name,
                                            reterr);
                        if (r < 0)
                                return r;
                        cached += len;
                }
        }
        return 0;
}

/* The archive path a link names: a hardlink's target is an archive path already, a symlink's
 * is relative to its directory. ".." is resolved by text and cannot climb above the archive's
 * top (such a link then names nothing). "" when unresolvable. */
static char *link_target(const char *name, const char *target, bool symlink)
{
        char buf[4096];
        if (!target)
                return strdup("");
        if (symlink && target[0] != '/') {
                const char *slash = strrchr(name, '/');
                snprintf(buf, sizeof(buf), "%.*s%s%s", slash ? (int)(slash - name) : 0, name,
                         slash ? "/" : "", target);
        } else
                snprintf(buf, sizeof(buf), "%s", clean_name(target));
        char out[4096];
        size_t o = 0;
        for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        if (o == 0)
                                return strdup("");
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                        continue;
                }
                size_t len = strlen(c);
                if (o + len + 2 >= sizeof(out))
                        return strdup("");
                if (o > 0)
                        out[o++] = '/';
                memcpy(out + o, c, len);
                o += len;
        }
        out[o] = '\0';
        return strdup(out);
}

/* An archive entry by name, links followed (a few levels: a loop names nothing). */
static entry *source_find(source *src, const char *name)
{
        name = clean_name(name);
        for (int depth = 0; depth < 8; depth++) {
                entry *x = NULL;
                for (size_t i = 0; i < src->n && !x; i++)
                        if (streq(src->entries[i].name, name))
                                x = &src->entries[i];
                if (!x || !x->link)
                        return x;
                name = x->link;
        }
        return NULL;
}

static int dir_open(source *src, const char *name, int *ret_fd, rq_error **reterr)
{
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
                                           RESOLVE_NO_SYMLINKS };
        int fd = (int)syscall(SYS_openat2, src->dirfd, clean_name(name), &how, sizeof(how));
        if (fd < 0)
                return rq_error_set(reterr, errno, "open %s in the image layout", name);
        *ret_fd = fd;
        return 0;
}

/* Read a small file of the source (manifest, config, index) into memory. */
static int source_read(source *src, const char *name, char **ret, size_t *ret_len,
                       rq_error **reterr)
{
        if (src->dirfd >= 0) {
                _cleanup_close_ int fd = -EBADF;
                int r = dir_open(src, name, &fd, reterr);
                if (r < 0)
                        return r;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return rq_error_set(reterr, errno, "stat %s", name);
                if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SMALL_MAX)
                        return rq_error_set_plain(reterr, EFBIG,
                                                  "%s in the image layout is not a regular file "
                                                  "of at most %u bytes",
                                                  name, SMALL_MAX);
                r = read_full_fd(fd, ret, ret_len);
                return r < 0 ? rq_error_set(reterr, r, "read %s", name) : 0;
        }
        entry *x = source_find(src, name);
        if (!x)
                return rq_error_set_plain(reterr, ENOENT, "%s is missing from the archive", name);
        if (x->data) {
                *ret_len = (size_t)x->size;
                *ret = malloc(*ret_len + 1);
                if (!*ret)
                        return rq_error_set(reterr, ENOMEM, "read %s", name);
                memcpy(*ret, x->data, *ret_len + 1);
                return 0;
        }
        _cleanup_(archive_freep) struct archive *a = NULL;
        int r = tar_open(src, &a, reterr);
        if (r < 0)
                return r;
        struct archive_entry *e;
        int rc;
        /* ARCHIVE_EOF is positive: stop there (libarchive refuses another call after it). */
        while ((rc = archive_read_next_header(a, &e)) <= ARCHIVE_OK && rc >= ARCHIVE_WARN)
                if (archive_entry_filetype(e) == AE_IFREG &&
                    streq(clean_name(archive_entry_pathname(e)), x->name))
                        return read_entry_data(a, archive_entry_size(e), SMALL_MAX, ret, ret_len,
                                               x->name, reterr);
        return rc == ARCHIVE_EOF
                       ? rq_error_set_plain(reterr, ENOENT, "%s vanished from the archive", name)
                       : archive_err(a, reterr, "read the archive");
}

static int source_read_json(source *src, const char *name, json_t **ret, rq_error **reterr)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = source_read(src, name, &text, &len, reterr);
        if (r < 0)
                return r;
        json_error_t jerr;
        *ret = json_loadb(text, len, 0, &jerr);
        if (!*ret)
                return rq_error_set_plain(reterr, EBADMSG, "%s in the archive is not JSON: %s",
                                          name, jerr.text);
        return 0;
}

/* The layer reader handed to the unpacker: bytes of one tar entry, or of one layout file. */
typedef struct layer_input {
        struct archive *a;
        int fd;
        rq_progress *progress;
} layer_input;

static ssize_t layer_read(void *userdata, void *buf, size_t size)
{
        layer_input *in = userdata;
        ssize_t n;
        if (in->a) {
                n = archive_read_data(in->a, buf, size);
                if (n < 0)
                        n = archive_errno(in->a) > 0 ? -archive_errno(in->a) : -EIO;
        } else {
                do
                        n = read(in->fd, buf, size);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        n = -errno;
        }
        if (n > 0)
                rq_progress_add(in->progress, (uint64_t)n);
        return n;
}

typedef struct layer_plan {
        const char *blob_name; /* in the archive or layout */
        char blob_digest[RQ_DIGEST_STR_LEN]; /* expected (OCI), or "" (docker-archive) */
        char diff_id[RQ_DIGEST_STR_LEN];
        const char *media_type; /* from the manifest, or NULL */
} layer_plan;

typedef struct image_plan {
        char *config;
        size_t config_len;
        char *manifest; /* the OCI manifest as found, or NULL (one is made) */
        size_t manifest_len;
        layer_plan *layers;
        size_t n_layers;
        char **names; /* normalised, NULL-terminated */
        json_t *config_json;
} image_plan;

static void image_plan_done(image_plan *p)
{
        free(p->config);
        free(p->manifest);
        free(p->layers);
        strv_free(p->names);
        json_decref(p->config_json);
        memset(p, 0, sizeof(*p));
}

static int add_name(image_plan *p, const char *raw, rq_error **reterr)
{
        _cleanup_(rq_ref_done) rq_ref ref = {};
        int r = rq_ref_parse(raw, &ref, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "image name in the archive");
        char *full = rq_ref_string(&ref);
        if (!full)
                return rq_error_set(reterr, ENOMEM, "image name");
        size_t n = 0;
        while (p->names && p->names[n])
                n++;
        char **nn = realloc(p->names, (n + 2) * sizeof(char *));
        if (!nn) {
                free(full);
                return rq_error_set(reterr, ENOMEM, "image name");
        }
        p->names = nn;
        p->names[n] = full;
        p->names[n + 1] = NULL;
        return 0;
}

/* Parse and check the config: its layers' diff ids must match the manifest's layer count. */
static int plan_config(image_plan *p, rq_error **reterr)
{
        json_error_t jerr;
        p->config_json = json_loadb(p->config, p->config_len, 0, &jerr);
        if (!p->config_json || !json_is_object(p->config_json))
                return rq_error_set_plain(reterr, EBADMSG, "image config is not a JSON object: %s",
                                          jerr.text);
        json_t *ids = json_object_get(json_object_get(p->config_json, "rootfs"), "diff_ids");
        if (!json_is_array(ids) || json_array_size(ids) != p->n_layers)
                return rq_error_set_plain(reterr, EBADMSG,
                                          "image config lists %zu layers (rootfs.diff_ids) but "
                                          "the manifest has %zu",
                                          json_is_array(ids) ? json_array_size(ids) : 0,
                                          p->n_layers);
        for (size_t i = 0; i < p->n_layers; i++) {
                const char *d = json_string_value(json_array_get(ids, i));
                if (rq_digest_validate(d) < 0)
                        return rq_error_set_plain(reterr, EBADMSG,
                                                  "image config: diff id %zu '%s' is not a "
                                                  "sha256 digest",
                                                  i, d ? d : "(not a string)");
                snprintf(p->layers[i].diff_id, RQ_DIGEST_STR_LEN, "%s", d);
        }
        return 0;
}

/* Stream one layer from the source into a new layer directory (or only verify and store its
 * blob when that layer exists already). lowers: fds of the layers below, topmost first. */
static int load_layer(rq_store *s, source *src, const layer_plan *lp, const int *lowers,
                      size_t n_lowers, const rq_load_opts *o, rq_db_layer *ret, rq_error **reterr)
{
        char tmp_name[32];
        _cleanup_close_ int diff_fd = -EBADF, blob_fd = -EBADF;
        int r = rq_store_layer_begin(s, tmp_name, &diff_fd, &blob_fd, reterr);
        if (r < 0)
                return r;

        layer_input inbuf = { .fd = -EBADF }, *in = &inbuf;
        _cleanup_(archive_freep) struct archive *a = NULL;
        _cleanup_close_ int file_fd = -EBADF;
        uint64_t total = 0;
        if (src->dirfd >= 0) {
                r = dir_open(src, lp->blob_name, &file_fd, reterr);
                if (r < 0)
                        return r;
                struct stat st;
                if (fstat(file_fd, &st) == 0)
                        total = (uint64_t)st.st_size;
                in->fd = file_fd;
        } else {
                /* docker save writes a repeated layer's ID/layer.tar as a symlink to the first. */
                const entry *x = source_find(src, lp->blob_name);
                if (!x)
                        return rq_error_set_plain(reterr, ENOENT,
                                                  "layer %s is missing from the archive",
                                                  lp->blob_name);
                r = tar_open(src, &a, reterr);
                if (r < 0)
                        return r;
                struct archive_entry *e;
                int rc;
                bool found = false;
                while ((rc = archive_read_next_header(a, &e)) <= ARCHIVE_OK && rc >= ARCHIVE_WARN)
                        if (archive_entry_filetype(e) == AE_IFREG &&
                            streq(clean_name(archive_entry_pathname(e)), x->name)) {
                                found = true;
                                total = (uint64_t)archive_entry_size(e);
                                break;
                        }
                if (!found)
                        return rc == ARCHIVE_EOF
                                       ? rq_error_set_plain(reterr, ENOENT,
                                                            "layer %s is missing from the archive",
                                                            lp->blob_name)
                                       : archive_err(a, reterr, "read the archive");
                in->a = a;
        }

        _cleanup_(rq_progress_freep) rq_progress *pr = NULL;
        const char *label = lp->blob_digest[0] ? lp->blob_digest : lp->diff_id;
        pr = rq_progress_new(o->progress, o->progress_tty, "Copying blob", rq_digest_hex(label),
                             total);
        in->progress = pr;

        rq_layer_info info = {};
        r = rq_layer_unpack_reader(layer_read, in, diff_fd, lowers, n_lowers, blob_fd, 0, &info,
                                   reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "layer %s", lp->blob_name);
        if (!streq(info.diff_id, lp->diff_id))
                return rq_error_set_plain(reterr, EBADMSG,
                                          "layer %s: its content has diff id %s but the image "
                                          "config says %s; the archive is corrupt or was altered",
                                          lp->blob_name, info.diff_id, lp->diff_id);
        if (lp->blob_digest[0] && !streq(info.digest, lp->blob_digest))
                return rq_error_set_plain(reterr, EBADMSG,
                                          "blob %s: its content has digest %s; the archive is "
                                          "corrupt or was altered",
                                          lp->blob_digest, info.digest);
        rq_progress_done(pr);

        return rq_store_layer_finish(s, tmp_name, blob_fd, &info, lp->media_type, ret, reterr);
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                safe_close(fds[i]);
        free(fds);
}

/* Everything for one image: layers bottom first, then config and manifest blobs, then the rows
 * in one transaction. */
static int load_image(rq_store *s, source *src, image_plan *p, const rq_load_opts *o,
                      rq_error **reterr)
{
        _cleanup_(rq_db_image_done) rq_db_image img = {};
        char config_digest[RQ_DIGEST_STR_LEN];
        int r = rq_sha256_buf(p->config, p->config_len, config_digest);
        if (r < 0)
                return rq_error_set(reterr, r, "digest the image config");

        /* Known already: only the names change. */
        _cleanup_(rq_db_image_done) rq_db_image known = {};
        r = rq_db_image_get(s->db, rq_digest_hex(config_digest), &known, reterr);
        bool exists = r >= 0;
        if (r < 0 && r != -ENOENT)
                return r;

        int *lowers = NULL;
        _cleanup_free_ int *below = NULL;
        if (!exists) {
                img.layers = calloc(p->n_layers ? p->n_layers : 1, sizeof(*img.layers));
                lowers = calloc(p->n_layers ? p->n_layers : 1, sizeof(int));
                below = calloc(p->n_layers ? p->n_layers : 1, sizeof(int));
                if (!img.layers || !lowers || !below) {
                        free(lowers);
                        return rq_error_set(reterr, ENOMEM, "load image");
                }
        }
        for (size_t i = 0; !exists && i < p->n_layers; i++) {
                /* The unpacker wants the layers below, topmost first. */
                for (size_t j = 0; j < i; j++)
                        below[j] = lowers[i - 1 - j];
                /* A layer the store has with this very blob (shared with another image): nothing
                 * to read. A docker-archive's blob is named by its diff id when uncompressed. */
                const layer_plan *lp = &p->layers[i];
                r = rq_db_layer_blob_get(s->db, lp->diff_id,
                                         lp->blob_digest[0] ? lp->blob_digest : lp->diff_id,
                                         &img.layers[i], reterr);
                if (r == -ENOENT)
                        r = load_layer(s, src, lp, below, i, o, &img.layers[i], reterr);
                else if (r >= 0 && o->progress)
                        fprintf(o->progress, "Copying blob %.12s skipped: already exists\n",
                                rq_digest_hex(img.layers[i].blob_digest));
                if (r >= 0) {
                        img.n_layers = i + 1;
                        r = rq_store_layer_open(s, p->layers[i].diff_id, &lowers[i], reterr);
                }
                if (r < 0) {
                        close_fds(lowers, i);
                        return r;
                }
                img.size += img.layers[i].size;
        }
        if (lowers)
                close_fds(lowers, p->n_layers);

        const char *id = exists ? known.id : NULL;
        r = rq_store_record_image(s, p->config, p->config_len, p->manifest, p->manifest_len,
                                  exists ? NULL : &img, p->names, NULL, reterr);
        if (r < 0)
                return r;
        if (o->loaded)
                o->loaded(o->userdata, id ? id : img.id, p->names);
        return 0;
}

/* docker-archive: manifest.json lists each image's config, tags and layer files. */
static int load_docker(rq_store *s, source *src, const rq_load_opts *o, rq_error **reterr)
{
        _cleanup_(json_decrefp) json_t *m = NULL;
        int r = source_read_json(src, "manifest.json", &m, reterr);
        if (r < 0)
                return r;
        if (!json_is_array(m) || json_array_size(m) == 0)
                return rq_error_set_plain(reterr, EBADMSG,
                                          "manifest.json in the archive is not a non-empty JSON "
                                          "array");
        size_t i;
        json_t *item;
        json_array_foreach(m, i, item)
        {
                _cleanup_(image_plan_done) image_plan p = {};
                const char *config = json_string_value(json_object_get(item, "Config"));
                json_t *layers = json_object_get(item, "Layers");
                if (!config || !json_is_array(layers))
                        return rq_error_set_plain(reterr, EBADMSG,
                                                  "manifest.json entry %zu has no Config or "
                                                  "Layers",
                                                  i);
                r = source_read(src, config, &p.config, &p.config_len, reterr);
                if (r < 0)
                        return r;
                p.n_layers = json_array_size(layers);
                p.layers = calloc(p.n_layers ? p.n_layers : 1, sizeof(*p.layers));
                if (!p.layers)
                        return rq_error_set(reterr, ENOMEM, "load");
                for (size_t l = 0; l < p.n_layers; l++) {
                        p.layers[l].blob_name = json_string_value(json_array_get(layers, l));
                        if (!p.layers[l].blob_name)
                                return rq_error_set_plain(reterr, EBADMSG,
                                                          "manifest.json entry %zu: layer %zu "
                                                          "is not a file name",
                                                          i, l);
                }
                r = plan_config(&p, reterr);
                if (r < 0)
                        return r;
                size_t t;
                json_t *tag;
                json_array_foreach(json_object_get(item, "RepoTags"), t, tag)
                {
                        if (!json_is_string(tag))
                                continue;
                        r = add_name(&p, json_string_value(tag), reterr);
                        if (r < 0)
                                return r;
                }
                r = load_image(s, src, &p, o, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Read a blob of the layout named by a descriptor, checking its digest. */
static int read_blob(source *src, const char *digest, char **ret, size_t *ret_len,
                     rq_error **reterr)
{
        if (rq_digest_validate(digest) < 0)
                return rq_error_set_plain(reterr, EBADMSG,
                                          "descriptor digest '%s' is not a sha256 digest",
                                          digest ? digest : "(missing)");
        char name[128];
        snprintf(name, sizeof(name), "blobs/sha256/%s", rq_digest_hex(digest));
        int r = source_read(src, name, ret, ret_len, reterr);
        if (r < 0)
                return r;
        char got[RQ_DIGEST_STR_LEN];
        r = rq_sha256_buf(*ret, *ret_len, got);
        if (r < 0)
                return rq_error_set(reterr, r, "digest %s", name);
        if (!streq(got, digest)) {
                free(TAKE_PTR(*ret));
                return rq_error_set_plain(reterr, EBADMSG,
                                          "blob %s: its content has digest %s; the archive is "
                                          "corrupt or was altered",
                                          digest, got);
        }
        return 0;
}

static int load_oci_manifest(rq_store *s, source *src, const char *digest, json_t *names,
                             const rq_load_opts *o, rq_error **reterr);

/* An index (the layout's index.json, or a nested image index): each manifest in it, the host's
 * platform only for a multi-platform index. */
static int load_oci_index(rq_store *s, source *src, json_t *index, bool nested, json_t *names,
                          const rq_load_opts *o, rq_error **reterr)
{
        json_t *ms = json_object_get(index, "manifests");
        if (!json_is_array(ms))
                return rq_error_set_plain(reterr, EBADMSG, "image index has no manifests array");
        size_t i, loaded = 0;
        json_t *d;
        json_array_foreach(ms, i, d)
        {
                const char *mt = json_string_value(json_object_get(d, "mediaType"));
                const char *digest = json_string_value(json_object_get(d, "digest"));
                json_t *plat = json_object_get(d, "platform");
                if (nested && plat) {
                        const char *arch = json_string_value(json_object_get(plat, "architecture"));
                        const char *os = json_string_value(json_object_get(plat, "os"));
                        if (!streq_ptr(arch, rq_host_oci_arch()) || !streq_ptr(os, "linux"))
                                continue;
                }
                /* Names: containerd's full name annotation, else the OCI ref name if it is a
                 * whole reference (skopeo writes a bare tag there, which names nothing). */
                _cleanup_(json_decrefp) json_t *n = nested ? json_incref(names) : json_array();
                json_t *ann = json_object_get(d, "annotations");
                const char *full =
                        json_string_value(json_object_get(ann, "io.containerd.image.name"));
                const char *ref = json_string_value(
                        json_object_get(ann, "org.opencontainers.image.ref.name"));
                if (!nested) {
                        if (full)
                                json_array_append_new(n, json_string(full));
                        else if (ref && (strchr(ref, '/') || strchr(ref, ':')))
                                json_array_append_new(n, json_string(ref));
                }
                int r;
                if (streq_ptr(mt, MT_OCI_INDEX) || streq_ptr(mt, MT_DOCKER_LIST)) {
                        _cleanup_free_ char *text = NULL;
                        size_t len;
                        r = read_blob(src, digest, &text, &len, reterr);
                        if (r < 0)
                                return r;
                        json_error_t jerr;
                        _cleanup_(json_decrefp) json_t *sub = json_loadb(text, len, 0, &jerr);
                        if (!sub)
                                return rq_error_set_plain(reterr, EBADMSG,
                                                          "image index %s is not JSON: %s", digest,
                                                          jerr.text);
                        r = load_oci_index(s, src, sub, true, n, o, reterr);
                } else if (!mt || streq(mt, RQ_MT_OCI_MANIFEST) || streq(mt, MT_DOCKER_MANIFEST)) {
                        r = load_oci_manifest(s, src, digest, n, o, reterr);
                } else
                        continue;
                if (r < 0)
                        return r;
                loaded++;
                if (nested)
                        break;
        }
        if (loaded == 0)
                return rq_error_set_plain(reterr, ENOENT,
                                          nested ? "the image index has no manifest for linux/%s"
                                                 : "the image layout holds no image manifest%s",
                                          nested ? rq_host_oci_arch() : "");
        return 0;
}

static int load_oci_manifest(rq_store *s, source *src, const char *digest, json_t *names,
                             const rq_load_opts *o, rq_error **reterr)
{
        _cleanup_(image_plan_done) image_plan p = {};
        int r = read_blob(src, digest, &p.manifest, &p.manifest_len, reterr);
        if (r < 0)
                return r;
        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *m = json_loadb(p.manifest, p.manifest_len, 0, &jerr);
        json_t *cfg = json_object_get(m, "config");
        json_t *layers = json_object_get(m, "layers");
        if (!json_is_object(cfg) || !json_is_array(layers))
                return rq_error_set_plain(reterr, EBADMSG,
                                          "image manifest %s has no config or layers", digest);
        r = read_blob(src, json_string_value(json_object_get(cfg, "digest")), &p.config,
                      &p.config_len, reterr);
        if (r < 0)
                return r;
        p.n_layers = json_array_size(layers);
        p.layers = calloc(p.n_layers ? p.n_layers : 1, sizeof(*p.layers));
        if (!p.layers)
                return rq_error_set(reterr, ENOMEM, "load");
        _cleanup_free_ char *names_buf = calloc(p.n_layers ? p.n_layers : 1, 128);
        if (!names_buf)
                return rq_error_set(reterr, ENOMEM, "load");
        for (size_t i = 0; i < p.n_layers; i++) {
                json_t *l = json_array_get(layers, i);
                const char *ld = json_string_value(json_object_get(l, "digest"));
                if (rq_digest_validate(ld) < 0)
                        return rq_error_set_plain(reterr, EBADMSG,
                                                  "image manifest %s: layer %zu digest '%s' is "
                                                  "not a sha256 digest",
                                                  digest, i, ld ? ld : "(missing)");
                char *nb = names_buf + 128 * i;
                snprintf(nb, 128, "blobs/sha256/%s", rq_digest_hex(ld));
                p.layers[i].blob_name = nb;
                snprintf(p.layers[i].blob_digest, RQ_DIGEST_STR_LEN, "%s", ld);
                p.layers[i].media_type = json_string_value(json_object_get(l, "mediaType"));
        }
        r = plan_config(&p, reterr);
        if (r < 0)
                return r;
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n)
        {
                r = add_name(&p, json_string_value(n), reterr);
                if (r < 0)
                        return r;
        }
        return load_image(s, src, &p, o, reterr);
}

static int load_oci(rq_store *s, source *src, const rq_load_opts *o, rq_error **reterr)
{
        _cleanup_(json_decrefp) json_t *index = NULL;
        int r = source_read_json(src, "index.json", &index, reterr);
        if (r < 0)
                return r;
        if (!json_is_object(index))
                return rq_error_set_plain(reterr, EBADMSG, "index.json is not a JSON object");
        return load_oci_index(s, src, index, false, NULL, o, reterr);
}

/* A pipe cannot be read in passes: copy it to an anonymous file first. */
static int make_seekable(rq_store *s, int fd, int *ret_fd, rq_error **reterr)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "stat the input");
        if (S_ISREG(st.st_mode)) {
                *ret_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                return *ret_fd < 0 ? rq_error_set(reterr, errno, "duplicate the input") : 0;
        }
        _cleanup_close_ int tmp = -EBADF;
        int r = rq_store_blob_tmpfile(s, &tmp, reterr);
        if (r < 0)
                return r;
        char buf[1 << 16];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return rq_error_set(reterr, errno, "read the input");
                if (n == 0)
                        break;
                r = write_all(tmp, buf, (size_t)n);
                if (r < 0)
                        return rq_error_set(reterr, r, "copy the input to %s/tmp", s->root);
        }
        *ret_fd = TAKE_FD(tmp);
        return 0;
}

int rq_load(rq_store *s, int fd, int dirfd, const rq_load_opts *o, rq_error **reterr)
{
        int k = rq_archive_load(reterr);
        if (k < 0)
                return k;
        k = rq_store_check_unpack(s, reterr);
        if (k < 0)
                return k;
        _cleanup_(source_done) source src = { .fd = -EBADF, .dirfd = dirfd };
        int r;
        if (fd >= 0) {
                r = make_seekable(s, fd, &src.fd, reterr);
                if (r < 0)
                        return r;
                struct stat st;
                if (fstat(src.fd, &st) == 0 && st.st_size == 0)
                        return rq_error_set_plain(reterr, EBADMSG,
                                                  "the input is empty: expected an image archive");
                r = tar_index(&src, reterr);
                if (r < 0)
                        return r;
                if (src.n == 0)
                        return rq_error_set_plain(reterr, EBADMSG,
                                                  "the input is not an image archive: it holds no "
                                                  "files (is it empty?)");
        }
        bool docker = src.dirfd < 0 ? source_find(&src, "manifest.json") != NULL
                                    : faccessat(dirfd, "manifest.json", F_OK, 0) == 0;
        bool oci = src.dirfd < 0 ? source_find(&src, "index.json") != NULL
                                 : faccessat(dirfd, "index.json", F_OK, 0) == 0;
        if (docker)
                return load_docker(s, &src, o, reterr);
        if (oci)
                return load_oci(s, &src, o, reterr);
        return rq_error_set_plain(reterr, EBADMSG,
                                  "the input is neither a docker-archive (no manifest.json) nor "
                                  "an OCI layout (no index.json)");
}
