/* The last step of every way an image enters the store (load, import, the built-in busybox):
 * its config and manifest stored as blobs, then its rows and names in one transaction. */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "engine/store/layer.h"
#include "engine/store/store.h"
#include "lib/error.h"

#define RQ_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define RQ_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define RQ_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"

/* img: the layers (already in the store), n_layers and size set; the rest is filled here from
 * the config (id, digests, created, architecture, os). manifest NULL: an OCI manifest is made.
 * img NULL, or an image with this config exists already: only names are set. ret_id (65 bytes,
 * may be NULL): the image id. */
int rq_store_record_image(rq_store *s, const char *config, size_t config_len, const char *manifest,
                          size_t manifest_len, rq_db_image *img, char *const *names, char *ret_id,
                          rq_error **reterr);

/* The media type of a layer blob with this compression. */
const char *rq_layer_media_type(rq_layer_compression c);

/* A new layer's workspace: tmp/NAME (in ret_tmp), an fd of tmp/NAME/diff to unpack into, and an
 * anonymous file for its blob. */
int rq_store_layer_begin(rq_store *s, char ret_tmp[32], int *ret_diff_fd, int *ret_blob_fd,
                         rq_error **reterr);
/* After a verified unpack: the blob under its digest, the layer dir under its diff id (an
 * existing one is kept), and the layer's row fields in ret (media_type NULL: from the
 * compression; ret->media_type is malloc'd). */
int rq_store_layer_finish(rq_store *s, const char *tmp, int blob_fd, const rq_layer_info *info,
                          const char *media_type, rq_db_layer *ret, rq_error **reterr);

/* Add a single-layer image from a layer tar (plain or compressed) read from fd: the layer is
 * unpacked and digested, make_config builds the image config for its diff id (a new JSON
 * object), and the image is recorded with names. ret_id: the image id (65 bytes). */
typedef json_t *(*rq_config_maker)(const char *diff_id, void *userdata);
int rq_store_add_layer_image(rq_store *s, int fd, rq_config_maker make_config, void *userdata,
                             char *const *names, char *ret_id, rq_error **reterr);
