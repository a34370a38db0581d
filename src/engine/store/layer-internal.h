/* Shared between layer.c (the stream and the entry writers) and layer-path.c (entry names and
 * the lookup of parent directories through this layer and the ones below). Not an API. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "engine/store/layer.h"

typedef struct layer_ctx {
        int dest_fd; /* O_PATH dup of the layer directory */
        const int *lower_fds;
        size_t n_lower;
        unsigned flags;
        const char *opaque_xattr; /* trusted.overlay.opaque or user.overlay.opaque */
        rq_layer_info *info;
        const char *entry; /* the entry being written, sanitised for messages */
        /* The parent directory of the previous entry: tar streams list a directory's entries
         * together, so most lookups end here. */
        char *cache_path;
        int cache_fd;
} layer_ctx;

/* Clean an entry name into a path relative to the layer: a "./" prefix, "." and empty
 * components dropped; "" is the layer root. -EINVAL if a component is "..", -EXDEV for an
 * absolute name (tar writes names relative; an absolute one is an attempt to escape). */
int layer_path_normalize(const char *name, char **ret);

/* An O_PATH fd of the directory dir (a normalized path, "" the root) in the layer being written,
 * created (0755) where missing. Each component is looked up in this layer, then in the lower
 * layers that show through; a symlink, or a file in this layer, is refused naming the entry.
 * The fd is borrowed: the cache owns it until the next call. The cache holds one directory, the
 * last one returned, and stays true because an entry only changes names inside its parent. */
int layer_walk_parent(layer_ctx *c, const char *dir, int *ret_fd, rq_error **reterr);

/* An O_PATH fd of the existing directory dir in this layer only, never through a symlink:
 * ENOENT, ENOTDIR, or ELOOP for a symlink on the way. */
int layer_open_dir_in_layer(int dest_fd, const char *dir, int *ret_fd);

/* Remove dir_fd/name, recursively if it is a directory, never following a symlink. */
int layer_rm_rf_at(int dir_fd, const char *name);

static inline bool layer_is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* "/proc/self/fd/N" or "/proc/self/fd/N/name": the path the xattr calls take for an entry that
 * is held by its parent directory's fd. */
void layer_proc_path(char buf[static 4096 + 32], int dir_fd, const char *name);
