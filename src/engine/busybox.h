/* The built-in default image: one layer made from the host's statically linked busybox
 * (Debian's busybox-static), so `rongqi run busybox` works with no registry.
 *
 * The layer is laid out like Docker's official busybox image: /bin/busybox and every applet
 * as a hard link to it in /bin (what `busybox --install /bin` does there), /usr/bin/env as a
 * symlink to ../../bin/env (for "#!/usr/bin/env" scripts), /etc/passwd, /etc/group and
 * /etc/shadow with the usual system accounts (every password locked), and the usual empty
 * directories (/tmp 1777, /root 0700). Hard links rather than symlinks: the official image uses
 * them, and `ls -l /bin` then shows plain files, as users of that image know it.
 *
 * The tar is reproducible: ustar headers only (no pax records with atimes or ctimes), every
 * entry owned by 0:0 (so a rootless store with a single mapped id can unpack it), every mtime
 * the busybox binary's mtime, entries in a fixed sorted order. The same host binary therefore
 * always gives the same bytes and so the same diff id, and a busybox upgrade gives a new one. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/digest.h"
#include "lib/error.h"

#define RQ_BUSYBOX_DEFAULT_PATH "/bin/busybox"

typedef struct rq_busybox_info {
        /* From the first line of `busybox --help`: "v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)". */
        char version[128];
        /* The binary's architecture in OCI terms (read from its ELF header, which on any host
         * that can run it agrees with `uname -m`): "amd64", "arm64", "386", "riscv64"…, and
         * the variant ("v8" for arm64, else ""). */
        char arch[16];
        char variant[8];
        size_t n_applets; /* hard links written besides bin/busybox */
        int64_t mtime; /* the binary's mtime: every entry's mtime and the image's "created" */
        char diff_id[RQ_DIGEST_STR_LEN]; /* sha256 of the tar as written */
} rq_busybox_info;

/* Write the layer as a plain (uncompressed) tar to out_fd, from the busybox binary at
 * busybox_path (NULL: RQ_BUSYBOX_DEFAULT_PATH). The binary must be a statically linked ELF
 * executable: a missing or dynamically linked one fails with an error naming the package
 * busybox-static. The binary is run twice (`--list`, `--help`), without a shell, to learn
 * its applets and version. Every check runs before the first byte is written; a failure after
 * that (a write error) leaves a partial tar in out_fd, so write to a temporary file. ret may be
 * NULL. */
int rq_busybox_layer_write(int out_fd, const char *busybox_path, rq_busybox_info *ret,
                           rq_error **reterr);

/* The image config (OCI image-spec config.json) for that layer: architecture and os, Cmd
 * ["sh"], the standard PATH, rootfs.diff_ids [diff_id], "created" = the binary's mtime (RFC
 * 3339, UTC) and one history entry naming the busybox version. NULL on allocation failure.
 * Serialise it with JSON_COMPACT | JSON_SORT_KEYS for bytes (and so an image id) that do not
 * change between runs. */
json_t *rq_busybox_config(const char *diff_id, const rq_busybox_info *info);
