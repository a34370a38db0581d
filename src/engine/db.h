/* The engine's records in SQLite (rongqi.db, WAL): images, their names and layers, and the layers
 * themselves. Every query lives in db.c; callers group multi-step changes with rq_db_begin /
 * rq_db_commit so that a change is all there or not at all. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/digest.h"
#include "lib/error.h"

typedef struct rq_db rq_db;

typedef struct rq_db_layer {
        char diff_id[RQ_DIGEST_STR_LEN]; /* of the uncompressed tar: names layers/HEX */
        char blob_digest[RQ_DIGEST_STR_LEN]; /* of the blob as loaded: blobs/sha256/HEX */
        char *media_type;
        int64_t blob_size;
        int64_t size; /* unpacked bytes */
} rq_db_layer;

typedef struct rq_db_image {
        char id[RQ_DIGEST_HEX_LEN + 1]; /* the config digest's hex, as Docker's image id */
        char config_digest[RQ_DIGEST_STR_LEN];
        char manifest_digest[RQ_DIGEST_STR_LEN];
        int64_t created; /* the config's "created", unix seconds; 0 unknown */
        int64_t loaded; /* when it entered the store */
        int64_t size; /* unpacked bytes of all layers */
        char *arch, *os;
        char **names; /* NULL-terminated, "docker.io/library/busybox:latest"; may be empty */
        rq_db_layer *layers; /* bottom first */
        size_t n_layers;
} rq_db_image;

void rq_db_image_done(rq_db_image *img);
void rq_db_images_free(rq_db_image *imgs, size_t n);

/* Open (creating and migrating) path, with WAL and a busy timeout. */
int rq_db_open(const char *path, rq_db **ret, rq_error **reterr);
void rq_db_close(rq_db *db);
static inline void rq_db_closep(rq_db **db)
{
        rq_db_close(*db);
        *db = NULL;
}

int rq_db_begin(rq_db *db, rq_error **reterr);
int rq_db_commit(rq_db *db, rq_error **reterr);
void rq_db_rollback(rq_db *db);

/* Insert an image with its layers (layers rows are created as needed). Names are not touched:
 * rq_db_name_set moves them. -EEXIST when the id is there already. */
int rq_db_image_insert(rq_db *db, const rq_db_image *img, rq_error **reterr);
/* Point name at image id (taking it from any other image). */
int rq_db_name_set(rq_db *db, const char *name, const char *id, rq_error **reterr);
/* -ENOENT when no image has that name. */
int rq_db_name_remove(rq_db *db, const char *name, rq_error **reterr);
/* Remove an image row (its names and layer references go with it; layer rows stay until
 * rq_db_layers_unreferenced says so). */
int rq_db_image_delete(rq_db *db, const char *id, rq_error **reterr);

/* Every image, newest first. */
int rq_db_images_list(rq_db *db, rq_db_image **ret, size_t *ret_n, rq_error **reterr);
/* Look up by exact id, then by name; -ENOENT if neither. */
int rq_db_image_get(rq_db *db, const char *id, rq_db_image *ret, rq_error **reterr);
/* 1 when an image with this exact id exists, else 0. */
int rq_db_image_exists(rq_db *db, const char *id, rq_error **reterr);
/* The image id a name points at, -ENOENT if none. */
int rq_db_name_lookup(rq_db *db, const char *name, char ret_id[RQ_DIGEST_HEX_LEN + 1],
                      rq_error **reterr);
/* Ids starting with prefix: 0 none, 1 one (copied to ret_id), 2 more than one. */
int rq_db_id_prefix(rq_db *db, const char *prefix, char ret_id[RQ_DIGEST_HEX_LEN + 1],
                    rq_error **reterr);

/* Whether a layer row exists for a diff id. */
int rq_db_layer_exists(rq_db *db, const char *diff_id, rq_error **reterr);
/* A layer some image has with exactly this blob: its sizes and media type into ret (media_type
 * malloc'd). -ENOENT when none. */
int rq_db_layer_blob_get(rq_db *db, const char *diff_id, const char *blob_digest, rq_db_layer *ret,
                         rq_error **reterr);
/* Diff ids of layer rows no image uses, NULL-terminated. */
int rq_db_layers_unreferenced(rq_db *db, char ***ret, rq_error **reterr);
int rq_db_layer_delete(rq_db *db, const char *diff_id, rq_error **reterr);
/* Whether any image references a blob digest (config, manifest or layer blob). */
int rq_db_blob_referenced(rq_db *db, const char *digest, rq_error **reterr);
/* Whether any image still uses a layer (diff id). */
int rq_db_layer_referenced(rq_db *db, const char *diff_id, rq_error **reterr);
