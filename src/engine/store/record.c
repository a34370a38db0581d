/* Recording images: config and manifest blobs, rows, names. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "engine/store/layer.h"
#include "engine/store/record.h"

static int64_t parse_created(const char *s)
{
        struct tm tm = {};
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t)timegm(&tm);
}

/* The OCI manifest a registry would hold for img (docker-archives and imports have none). */
static int make_manifest(rq_store *s, const rq_db_image *img, size_t config_len, rq_error **reterr,
                         char *ret_digest)
{
        _cleanup_(json_decrefp) json_t *layers = json_array();
        for (size_t i = 0; layers && i < img->n_layers; i++)
                json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                        img->layers[i].media_type, "digest",
                                                        img->layers[i].blob_digest, "size",
                                                        (json_int_t)img->layers[i].blob_size));
        _cleanup_(json_decrefp) json_t *m =
                json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                          RQ_MT_OCI_MANIFEST, "config", "mediaType", RQ_MT_OCI_CONFIG, "digest",
                          img->config_digest, "size", (json_int_t)config_len, "layers", layers);
        _cleanup_free_ char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
        if (!text)
                return rq_error_set(reterr, ENOMEM, "make the image manifest");
        return rq_store_blob_put(s, text, strlen(text), ret_digest, reterr);
}

int rq_store_record_image(rq_store *s, const char *config, size_t config_len, const char *manifest,
                          size_t manifest_len, rq_db_image *img, char *const *names, char *ret_id,
                          rq_error **reterr)
{
        char config_digest[RQ_DIGEST_STR_LEN];
        int r = rq_sha256_buf(config, config_len, config_digest);
        if (r < 0)
                return rq_error_set(reterr, r, "digest the image config");
        const char *id = rq_digest_hex(config_digest);
        if (img) {
                /* The same image again (busybox from the same binary): only names change. */
                r = rq_db_image_exists(s->db, id, reterr);
                if (r < 0)
                        return r;
                if (r > 0)
                        img = NULL;
        }
        if (img) {
                json_error_t jerr;
                _cleanup_(json_decrefp) json_t *cj = json_loadb(config, config_len, 0, &jerr);
                if (!json_is_object(cj))
                        return rq_error_set_plain(reterr, EBADMSG,
                                                  "image config is not a JSON object: %s",
                                                  jerr.text);
                r = rq_store_blob_put(s, config, config_len, img->config_digest, reterr);
                if (r < 0)
                        return r;
                snprintf(img->id, sizeof(img->id), "%s", rq_digest_hex(img->config_digest));
                r = manifest ? rq_store_blob_put(s, manifest, manifest_len, img->manifest_digest,
                                                 reterr)
                             : make_manifest(s, img, config_len, reterr, img->manifest_digest);
                if (r < 0)
                        return r;
                img->created = parse_created(json_string_value(json_object_get(cj, "created")));
                img->loaded = (int64_t)time(NULL);
                free(img->arch);
                free(img->os);
                img->arch = strdup(json_string_value(json_object_get(cj, "architecture")) ?: "");
                img->os = strdup(json_string_value(json_object_get(cj, "os")) ?: "");
                if (!img->arch || !img->os)
                        return rq_error_set(reterr, ENOMEM, "record image");
        }
        r = rq_db_begin(s->db, reterr);
        if (r < 0)
                return r;
        if (img)
                r = rq_db_image_insert(s->db, img, reterr);
        for (size_t i = 0; r >= 0 && names && names[i]; i++)
                r = rq_db_name_set(s->db, names[i], id, reterr);
        if (r >= 0)
                r = rq_db_commit(s->db, reterr);
        if (r < 0) {
                rq_db_rollback(s->db);
                return rq_error_wrap(reterr, "record image %.12s", id);
        }
        rq_store_mark_clean(s);
        if (ret_id)
                snprintf(ret_id, RQ_DIGEST_HEX_LEN + 1, "%s", id);
        return 0;
}

const char *rq_layer_media_type(rq_layer_compression c)
{
        switch (c) {
        case RQ_LAYER_COMPRESSION_GZIP:
                return RQ_MT_OCI_LAYER "+gzip";
        case RQ_LAYER_COMPRESSION_ZSTD:
                return RQ_MT_OCI_LAYER "+zstd";
        default:
                /* xz and bzip2 have no OCI media type: only docker-archives carry them. */
                return RQ_MT_OCI_LAYER;
        }
}

int rq_store_layer_begin(rq_store *s, char ret_tmp[32], int *ret_diff_fd, int *ret_blob_fd,
                         rq_error **reterr)
{
        _cleanup_close_ int tmp_fd = -EBADF, diff_fd = -EBADF, blob_fd = -EBADF;
        int r = rq_store_tmpdir(s, ret_tmp, &tmp_fd, reterr);
        if (r < 0)
                return r;
        if (mkdirat(tmp_fd, "diff", 0755) < 0)
                return rq_error_set(reterr, errno, "create %s/%s/diff", s->root, ret_tmp);
        diff_fd = openat(tmp_fd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (diff_fd < 0)
                return rq_error_set(reterr, errno, "open %s/%s/diff", s->root, ret_tmp);
        r = rq_store_blob_tmpfile(s, &blob_fd, reterr);
        if (r < 0)
                return r;
        *ret_diff_fd = TAKE_FD(diff_fd);
        *ret_blob_fd = TAKE_FD(blob_fd);
        return 0;
}

int rq_store_layer_finish(rq_store *s, const char *tmp, int blob_fd, const rq_layer_info *info,
                          const char *media_type, rq_db_layer *ret, rq_error **reterr)
{
        int r = rq_store_blob_commit(s, blob_fd, info->digest, reterr);
        if (r < 0)
                return r;
        /* -EEXIST: the layer is there already (another image's); this copy stays in tmp/. */
        r = rq_store_layer_adopt(s, tmp, info->diff_id, reterr);
        if (r < 0 && r != -EEXIST)
                return r;
        *ret = (rq_db_layer){ .blob_size = (int64_t)info->blob_size,
                              .size = (int64_t)info->unpacked_size,
                              .media_type = strdup(
                                      media_type ?: rq_layer_media_type(info->compression)) };
        snprintf(ret->diff_id, sizeof(ret->diff_id), "%s", info->diff_id);
        snprintf(ret->blob_digest, sizeof(ret->blob_digest), "%s", info->digest);
        return ret->media_type ? 0 : rq_error_set(reterr, ENOMEM, "record layer %s", info->diff_id);
}

int rq_store_add_layer_image(rq_store *s, int fd, rq_config_maker make_config, void *userdata,
                             char *const *names, char *ret_id, rq_error **reterr)
{
        int r = rq_store_check_unpack(s, reterr);
        if (r < 0)
                return r;
        char tmp[32];
        _cleanup_close_ int diff_fd = -EBADF, blob_fd = -EBADF;
        r = rq_store_layer_begin(s, tmp, &diff_fd, &blob_fd, reterr);
        if (r < 0)
                return r;
        rq_layer_info info = {};
        r = rq_layer_unpack(fd, diff_fd, NULL, 0, blob_fd, 0, &info, reterr);
        if (r < 0)
                return r;

        _cleanup_(json_decrefp) json_t *cfg = make_config(info.diff_id, userdata);
        _cleanup_free_ char *config = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (!config)
                return rq_error_set(reterr, ENOMEM, "make the image config");

        rq_db_layer layer = {};
        r = rq_store_layer_finish(s, tmp, blob_fd, &info, NULL, &layer, reterr);
        if (r < 0)
                return r;
        rq_db_image img = { .layers = &layer, .n_layers = 1, .size = layer.size };
        r = rq_store_record_image(s, config, strlen(config), NULL, 0, &img, names, ret_id, reterr);
        free(layer.media_type);
        free(img.arch);
        free(img.os);
        return r;
}
