/* The last step of every way an image enters the store (load, import, the built-in busybox):
 * its config and manifest stored as blobs, then its rows and names in one transaction. */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "engine/store/store.h"
#include "lib/error.h"

#define RQ_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define RQ_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define RQ_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"

/* img: the layers (already in the store), n_layers and size set; the rest is filled here from
 * the config (id, digests, created, architecture, os). manifest NULL: an OCI manifest is made.
 * img NULL: the image exists already, only names are set (then config names it). */
int rq_store_record_image(rq_store *s, const char *config, size_t config_len, const char *manifest,
                          size_t manifest_len, rq_db_image *img, char *const *names,
                          rq_error **reterr);

/* Add a single-layer image from a layer tar (plain or compressed) read from fd: the layer is
 * unpacked and digested, make_config builds the image config for its diff id (a new JSON
 * object), and the image is recorded with names. ret_id: the image id (65 bytes). */
typedef json_t *(*rq_config_maker)(const char *diff_id, void *userdata);
int rq_store_add_layer_image(rq_store *s, int fd, rq_config_maker make_config, void *userdata,
                             char *const *names, char *ret_id, rq_error **reterr);
