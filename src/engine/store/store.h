/* The image store: a directory of blobs and unpacked layers plus rongqi.db (see docs/engine.md).
 * Opening for writing takes an exclusive lock for the whole command and first removes what a
 * killed command left behind; reading takes no lock (SQLite gives a consistent view and only
 * unreferenced files are ever removed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/db.h"
#include "lib/error.h"

typedef struct rq_store {
        char *root, *runroot;
        int root_fd; /* O_DIRECTORY */
        int lock_fd; /* flock held while open for writing, else -EBADF */
        rq_db *db;
        bool rootless;
        bool dirty; /* files stored that no committed row names yet */
} rq_store;

typedef enum rq_store_flags {
        RQ_STORE_WRITE = 1 << 0, /* exclusive lock, leftovers cleaned */
} rq_store_flags;

/* The default roots for the caller: root's /var/lib/rongqi and /run/rongqi, a user's
 * $XDG_DATA_HOME/rongqi and $XDG_RUNTIME_DIR/rongqi. RONGQI_ROOT overrides the store root. */
int rq_store_default_root(char **ret);
int rq_store_default_runroot(char **ret);

int rq_store_open(const char *root, const char *runroot, unsigned flags, rq_store **ret,
                  rq_error **reterr);
void rq_store_close(rq_store *s);
/* Take the write lock of a store opened for reading (no-op when held). */
int rq_store_lock_write(rq_store *s, rq_error **reterr);
static inline void rq_store_closep(rq_store **s)
{
        rq_store_close(*s);
        *s = NULL;
}

/* Find an image the way Docker does: a full id ("sha256:" optional), a name (normalised:
 * "busybox" is docker.io/library/busybox:latest), name@digest (the manifest digest), then an
 * unambiguous id prefix. ret_name (may be NULL): the full name that matched, malloc'd, or NULL
 * when found by id or digest. -ENOENT with "image not known" when nothing matches. */
int rq_store_find_image(rq_store *s, const char *what, rq_db_image *ret, char **ret_name,
                        rq_error **reterr);

/* The full name a new name (tag, import) gets: as podman, a name without a registry is local,
 * "app:1" becomes "localhost/app:1"; a digest is refused. */
int rq_store_new_name(const char *what, char **ret, rq_error **reterr);

/* Blobs. An anonymous file in tmp/ (O_TMPFILE, so a crash leaves nothing) to write a blob into;
 * commit gives it its name blobs/sha256/HEX (no-op when that blob exists already). */
int rq_store_blob_tmpfile(rq_store *s, int *ret_fd, rq_error **reterr);
int rq_store_blob_commit(rq_store *s, int fd, const char *digest, rq_error **reterr);
/* Write a small blob (a manifest or config) from memory; fills ret_digest. */
int rq_store_blob_put(rq_store *s, const void *buf, size_t len, char *ret_digest,
                      rq_error **reterr);
/* Read a whole small blob (at most max bytes) into memory, verifying its digest. */
int rq_store_blob_read(rq_store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                       rq_error **reterr);
int rq_store_blob_open(rq_store *s, const char *digest, int *ret_fd, rq_error **reterr);

/* A fresh directory under tmp/ (its name in ret_name, 32 bytes) and an fd of it. */
int rq_store_tmpdir(rq_store *s, char ret_name[32], int *ret_fd, rq_error **reterr);
/* Move tmp/NAME to layers/HEX of a diff id; -EEXIST when that layer is there already. */
int rq_store_layer_adopt(rq_store *s, const char *tmp_name, const char *diff_id, rq_error **reterr);
/* O_DIRECTORY fd of layers/HEX/diff. */
int rq_store_layer_open(rq_store *s, const char *diff_id, int *ret_fd, rq_error **reterr);
/* "layers/HEX/diff", malloc'd. */
char *rq_store_layer_path(const char *diff_id);

/* After the transaction naming every file stored so far has committed. */
static inline void rq_store_mark_clean(rq_store *s)
{
        s->dirty = false;
}

/* -EPERM with the reason and the fix when this process cannot unpack layers (not root). */
int rq_store_check_unpack(const rq_store *s, rq_error **reterr);

/* Remove an image's row and names, then every blob and layer no image uses any more. */
int rq_store_image_remove(rq_store *s, const char *id, rq_error **reterr);
/* Remove what no row references: tmp/ contents, unused layers and blobs. Needs RQ_STORE_WRITE.
 * Adds the bytes freed to *freed when not NULL. */
int rq_store_gc(rq_store *s, int64_t *freed, rq_error **reterr);
