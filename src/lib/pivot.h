/* Switching the container into its rootfs, in the container's new mount namespace:
 *
 *   rq_pivot_prepare()  make every mount a slave of the host's (or what rootfsPropagation asks),
 *                       so nothing mounted in the container reaches the host while host unmounts
 *                       still reach in; then bind the rootfs onto itself: pivot_root(2) needs the
 *                       new root to be a mount point.
 *   (mounts, /dev, masked and read-only paths are applied here, by mount.c and dev.c)
 *   rq_pivot_root()     pivot_root(".", ".") from inside the rootfs: the old root ends up
 *                       stacked under the new one, is made a slave (so its unmount does not
 *                       propagate to the host) and detached; no directory for it is needed.
 *   rq_pivot_move_root() instead of rq_pivot_root(), for --no-pivot (a rootfs on ramfs, where
 *                       pivot_root is impossible): every procfs and sysfs mount of the host is
 *                       detached (or covered), the rootfs is moved onto / with MS_MOVE and the
 *                       init chroots into it. Less secure than pivot_root: the host's root is
 *                       only covered, not detached; it stays in the container's mount
 *                       namespace under the new /, with every host mount but procfs and sysfs.
 *   rq_pivot_finish()   root.readonly (a read-only remount of /) and a shared/unbindable root
 *                       propagation, which can only be set once / is the container's. */
#pragma once

#include "lib/error.h"
#include "lib/spec.h"

int rq_pivot_prepare(int rootfs_fd, const rq_spec *s, rq_error **reterr);
int rq_pivot_root(const char *rootfs_path, rq_error **reterr);
int rq_pivot_move_root(const char *rootfs_path, rq_error **reterr);
int rq_pivot_finish(const rq_spec *s, rq_error **reterr);
