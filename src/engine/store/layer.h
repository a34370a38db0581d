/* Unpacking one image layer blob (a tar stream, plain or gzip, zstd, xz, bzip2 compressed) into
 * a layer directory in a single pass that also digests the blob and its uncompressed tar (the
 * diff id). Entries are written with *at() calls below the layer directory only; whiteouts become
 * overlayfs whiteouts. See docs/engine.md "store/layer.c" for what is refused and why. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/digest.h"
#include "lib/error.h"

typedef enum rq_layer_compression {
        RQ_LAYER_COMPRESSION_NONE,
        RQ_LAYER_COMPRESSION_GZIP,
        RQ_LAYER_COMPRESSION_ZSTD,
        RQ_LAYER_COMPRESSION_XZ,
        RQ_LAYER_COMPRESSION_BZIP2,
        _RQ_LAYER_COMPRESSION_MAX,
        _RQ_LAYER_COMPRESSION_INVALID = -1,
} rq_layer_compression;

typedef struct rq_layer_info {
        char digest[RQ_DIGEST_STR_LEN]; /* of the bytes read from in_fd (the blob as stored) */
        char diff_id[RQ_DIGEST_STR_LEN]; /* of the uncompressed tar stream, all of it */
        uint64_t blob_size; /* bytes read from in_fd */
        uint64_t unpacked_size; /* bytes of the uncompressed tar stream */
        rq_layer_compression compression; /* detected from the bytes */
        uint64_t n_entries; /* tar entries read (skipped ones included) */
        uint64_t n_devices_skipped; /* device nodes not created (RQ_LAYER_ROOTLESS) */
        uint64_t n_xattrs_skipped; /* xattrs refused by the filesystem or kernel, or overlay's */
        uint64_t n_chown_skipped; /* ownership not applied (RQ_LAYER_IGNORE_CHOWN_ERRORS) */
} rq_layer_info;

typedef enum rq_layer_flag {
        /* Unpacking without privilege, in a user namespace: device nodes are skipped and counted
         * (no CAP_MKNOD there), and the opaque-directory marker is the xattr
         * "user.overlay.opaque" that an overlayfs mounted with "userxattr" reads, instead of
         * "trusted.overlay.opaque". Whiteouts stay 0/0 character devices (unprivileged since
         * Linux 5.8). */
        RQ_LAYER_ROOTLESS = 1 << 0,
        /* A chown refused with EPERM (no privilege) or EINVAL (an id the user namespace does not
         * map) is counted in n_chown_skipped and the entry keeps the unpacking user's ids. Without
         * this flag it is an error naming the entry and the ids. */
        RQ_LAYER_IGNORE_CHOWN_ERRORS = 1 << 1,
} rq_layer_flag;

/* Read a layer blob from in_fd until EOF and write its entries under dest_dirfd, an empty
 * directory (any fd of it, O_PATH included).
 *
 * lower_dirfds: the unpacked directories of the layers below, topmost first (n_lower may be 0).
 * They are only read: an entry whose path passes through a symlink, in this layer or in the
 * lower layer that would show through in the merged view (whiteouts and opaque directories
 * hide the lower ones, as overlayfs does), is refused.
 * blob_out_fd: if >= 0, every byte read from in_fd is also written there, so the caller stores
 * the blob in the same pass.
 * flags: rq_layer_flag bits.
 * ret_info: may be NULL.
 *
 * On failure the error names the entry and the reason; dest_dirfd may hold a partial tree that
 * the caller removes. Nothing is ever created, changed or followed outside dest_dirfd. Needs
 * /proc mounted (xattrs and modes of entries that are not opened are set through
 * /proc/self/fd). */
int rq_layer_unpack(int in_fd, int dest_dirfd, const int *lower_dirfds, size_t n_lower,
                    int blob_out_fd, unsigned flags, rq_layer_info *ret_info, rq_error **reterr);

/* Where rq_layer_unpack_reader gets the blob's bytes: up to size bytes into buf; the count, 0
 * at the end, or -errno. */
typedef ssize_t (*rq_layer_read_fn)(void *userdata, void *buf, size_t size);
/* rq_layer_unpack reading through read_fn instead of an fd (a layer inside an archive). */
int rq_layer_unpack_reader(rq_layer_read_fn read_fn, void *userdata, int dest_dirfd,
                           const int *lower_dirfds, size_t n_lower, int blob_out_fd, unsigned flags,
                           rq_layer_info *ret_info, rq_error **reterr);
