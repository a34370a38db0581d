/* rongqi save: images back out as a docker-archive (manifest.json, CONFIG.json, LAYER.tar, as
 * docker and podman write it) or an OCI archive (oci-layout, index.json, blobs/sha256/HEX). Blobs
 * are written byte for byte as they were loaded, so digests and the image id stay the same;
 * each blob is written once however many images share it. */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/archive-dl.h"
#include "basic/string-util.h"
#include "engine/progress.h"
#include "engine/store/save.h"

typedef struct writer {
        rq_store *s;
        struct archive *a;
        const rq_save_opts *o;
        char **written; /* names already in the archive */
        size_t n_written;
} writer;

static int archive_fail(writer *w, rq_error **reterr, const char *what)
{
        int e = archive_errno(w->a);
        return rq_error_set_plain(reterr, e > 0 ? e : EIO, "write %s: %s", what,
                                  archive_error_string(w->a) ?: "archive error");
}

static bool seen(writer *w, const char *name)
{
        for (size_t i = 0; i < w->n_written; i++)
                if (streq(w->written[i], name))
                        return true;
        char **n = realloc(w->written, (w->n_written + 1) * sizeof(char *));
        if (!n)
                return false;
        w->written = n;
        w->written[w->n_written] = strdup(name);
        if (w->written[w->n_written])
                w->n_written++;
        return false;
}

static struct archive_entry *new_entry(const char *name, mode_t type, int64_t size)
{
        struct archive_entry *e = archive_entry_new();
        if (!e)
                return NULL;
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
        /* Fixed times and owners: the same images give the same archive. */
        archive_entry_set_mtime(e, 0, 0);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        return e;
}

static int write_mem(writer *w, const char *name, const void *buf, size_t len, rq_error **reterr)
{
        if (seen(w, name))
                return 0;
        struct archive_entry *e = new_entry(name, AE_IFREG, (int64_t)len);
        if (!e)
                return rq_error_set(reterr, ENOMEM, "write %s", name);
        int rc = archive_write_header(w->a, e);
        archive_entry_free(e);
        if (rc != ARCHIVE_OK || (len && archive_write_data(w->a, buf, len) != (la_ssize_t)len))
                return archive_fail(w, reterr, name);
        return 0;
}

static int write_dir(writer *w, const char *name, rq_error **reterr)
{
        if (seen(w, name))
                return 0;
        struct archive_entry *e = new_entry(name, AE_IFDIR, 0);
        if (!e)
                return rq_error_set(reterr, ENOMEM, "write %s", name);
        int rc = archive_write_header(w->a, e);
        archive_entry_free(e);
        return rc == ARCHIVE_OK ? 0 : archive_fail(w, reterr, name);
}

/* A stored blob, streamed from the store into the archive under name. */
static int write_blob(writer *w, const char *digest, const char *name, rq_error **reterr)
{
        if (seen(w, name))
                return 0;
        _cleanup_close_ int fd = -EBADF;
        int r = rq_store_blob_open(w->s, digest, &fd, reterr);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "stat blob %s", digest);
        struct archive_entry *e = new_entry(name, AE_IFREG, st.st_size);
        if (!e)
                return rq_error_set(reterr, ENOMEM, "write %s", name);
        int rc = archive_write_header(w->a, e);
        archive_entry_free(e);
        if (rc != ARCHIVE_OK)
                return archive_fail(w, reterr, name);
        _cleanup_(rq_progress_freep) rq_progress *p =
                rq_progress_new(w->o->progress, w->o->progress_tty, "Copying blob",
                                rq_digest_hex(digest), (uint64_t)st.st_size);
        static char buf[1 << 17];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return rq_error_set(reterr, errno, "read blob %s", digest);
                if (n == 0)
                        break;
                if (archive_write_data(w->a, buf, (size_t)n) != n)
                        return archive_fail(w, reterr, name);
                rq_progress_add(p, (uint64_t)n);
        }
        rq_progress_done(p);
        return 0;
}

static int save_docker(writer *w, rq_db_image *imgs, size_t n, char ***names, rq_error **reterr)
{
        _cleanup_(json_decrefp) json_t *manifest = json_array();
        for (size_t i = 0; i < n; i++) {
                const rq_db_image *img = &imgs[i];
                char cfg[RQ_DIGEST_HEX_LEN + 8];
                snprintf(cfg, sizeof(cfg), "%s.json", img->id);
                int r = write_blob(w, img->config_digest, cfg, reterr);
                if (r < 0)
                        return r;
                json_t *layers = json_array();
                for (size_t l = 0; l < img->n_layers; l++) {
                        char name[RQ_DIGEST_HEX_LEN + 8];
                        snprintf(name, sizeof(name), "%s.tar",
                                 rq_digest_hex(img->layers[l].blob_digest));
                        r = write_blob(w, img->layers[l].blob_digest, name, reterr);
                        if (r < 0) {
                                json_decref(layers);
                                return r;
                        }
                        json_array_append_new(layers, json_string(name));
                }
                json_t *tags = json_array();
                for (size_t t = 0; names[i] && names[i][t]; t++)
                        json_array_append_new(tags, json_string(names[i][t]));
                json_array_append_new(manifest, json_pack("{s:s, s:o, s:o}", "Config", cfg,
                                                          "RepoTags", tags, "Layers", layers));
        }
        _cleanup_free_ char *text = json_dumps(manifest, JSON_COMPACT);
        if (!text)
                return rq_error_set(reterr, ENOMEM, "write manifest.json");
        return write_mem(w, "manifest.json", text, strlen(text), reterr);
}

static int save_oci(writer *w, rq_db_image *imgs, size_t n, char ***names, rq_error **reterr)
{
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        int r = write_mem(w, "oci-layout", layout, strlen(layout), reterr);
        if (r >= 0)
                r = write_dir(w, "blobs", reterr);
        if (r >= 0)
                r = write_dir(w, "blobs/sha256", reterr);
        if (r < 0)
                return r;
        _cleanup_(json_decrefp) json_t *manifests = json_array();
        for (size_t i = 0; i < n; i++) {
                const rq_db_image *img = &imgs[i];
                char name[128];
                for (size_t l = 0; l < img->n_layers; l++) {
                        snprintf(name, sizeof(name), "blobs/sha256/%s",
                                 rq_digest_hex(img->layers[l].blob_digest));
                        r = write_blob(w, img->layers[l].blob_digest, name, reterr);
                        if (r < 0)
                                return r;
                }
                snprintf(name, sizeof(name), "blobs/sha256/%s", rq_digest_hex(img->config_digest));
                r = write_blob(w, img->config_digest, name, reterr);
                if (r < 0)
                        return r;
                _cleanup_free_ char *m = NULL;
                size_t mlen = 0;
                r = rq_store_blob_read(w->s, img->manifest_digest, 4u << 20, &m, &mlen, reterr);
                if (r < 0)
                        return r;
                snprintf(name, sizeof(name), "blobs/sha256/%s",
                         rq_digest_hex(img->manifest_digest));
                r = write_mem(w, name, m, mlen, reterr);
                if (r < 0)
                        return r;
                _cleanup_(json_decrefp) json_t *mj = json_loadb(m, mlen, 0, NULL);
                const char *mt = json_string_value(json_object_get(mj, "mediaType"))
                                         ?: "application/vnd.oci.image.manifest.v1+json";
                /* One index entry per name (the OCI way to tag), or one without a name. */
                size_t t = 0;
                do {
                        const char *tag = names[i] ? names[i][t] : NULL;
                        json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest",
                                              img->manifest_digest, "size", (json_int_t)mlen);
                        if (tag)
                                json_object_set_new(
                                        d, "annotations",
                                        json_pack("{s:s, s:s}", "org.opencontainers.image.ref.name",
                                                  tag, "io.containerd.image.name", tag));
                        json_array_append_new(manifests, d);
                } while (names[i] && names[i][t] && names[i][++t]);
        }
        _cleanup_(json_decrefp) json_t *index =
                json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
                          "application/vnd.oci.image.index.v1+json", "manifests", manifests);
        _cleanup_free_ char *text = json_dumps(index, JSON_COMPACT);
        if (!text)
                return rq_error_set(reterr, ENOMEM, "write index.json");
        return write_mem(w, "index.json", text, strlen(text), reterr);
}

int rq_save(rq_store *s, rq_db_image *imgs, size_t n, char ***names, rq_save_format format,
            int out_fd, const rq_save_opts *o, rq_error **reterr)
{
        int k = rq_archive_load(reterr);
        if (k < 0)
                return k;
        writer w = { .s = s, .o = o };
        w.a = archive_write_new();
        if (!w.a)
                return rq_error_set(reterr, ENOMEM, "write the archive");
        int r = 0;
        /* pax keeps long names and big sizes exact; docker and podman read it. */
        if (archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
            archive_write_open_fd(w.a, out_fd) != ARCHIVE_OK)
                r = archive_fail(&w, reterr, "the archive");
        if (r >= 0)
                r = format == RQ_SAVE_OCI_ARCHIVE ? save_oci(&w, imgs, n, names, reterr)
                                                  : save_docker(&w, imgs, n, names, reterr);
        if (r >= 0 && archive_write_close(w.a) != ARCHIVE_OK)
                r = archive_fail(&w, reterr, "the end of the archive");
        archive_write_free(w.a);
        for (size_t i = 0; i < w.n_written; i++)
                free(w.written[i]);
        free(w.written);
        return r;
}
