/* The mounts of a container, applied inside its rootfs: config.json mounts[] in order, then
 * linux.maskedPaths and linux.readonlyPaths. Runs in the container's new mount namespace, before
 * pivot_root, while no container process exists.
 *
 * Every destination is resolved inside the rootfs (rootfs-path.h: openat2 RESOLVE_IN_ROOT or
 * its fallback), missing ones are created there, and mount(2) is given /proc/self/fd/N of the
 * resolved target, never a path string: a symlink in the image cannot move a mount onto the
 * host. After a bind mount the target is resolved again, so the flag remount and propagation
 * changes act on the new mount, not on what it covers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/cgroup.h"
#include "lib/error.h"
#include "lib/rootfs-path.h"
#include "lib/spec.h"

/* Apply mounts[index] of the spec. Errors name "mounts[index] (DESTINATION)". premade: the
 * detached, id-mapped tree of an id-mapped mount (idmount.h), attached with move_mount(2);
 * -EBADF for any other mount. mount_label: linux.mountLabel, or NULL (lsm.h). A "cgroup" or
 * "cgroup2" mount is cgroup2 on a v2 host; on v1 and hybrid hosts it is a tmpfs holding, named
 * as under the host's /sys/fs/cgroup, the directories of cg (the container's cgroup, NULL when
 * the runtime made none: then it fails there), bound with the mount's flags. On v2 without a
 * cgroup namespace (cgroupns false) it is a bind of the container's own cgroup directory. */
int rq_mount_apply(const rq_rootfs *r, const rq_spec_mount *m, size_t index, int premade,
                   const char *mount_label, const rq_cgroup *cg, bool cgroupns, rq_error **reterr);
/* Every mounts[] entry in order; premade is NULL or has one entry per mount. */
int rq_mount_apply_all(const rq_rootfs *r, const rq_spec *s, const int *premade,
                       const rq_cgroup *cg, rq_error **reterr);
/* linux.maskedPaths: a directory gets an empty read-only tmpfs, anything else the host's
 * /dev/null (opened and checked to be char 1:3 before use); a missing path is skipped. */
int rq_mount_masked_paths(const rq_rootfs *r, char *const *paths, size_t n, rq_error **reterr);
/* linux.readonlyPaths: bind each onto itself read-only (recursively); missing ones skipped. */
int rq_mount_readonly_paths(const rq_rootfs *r, char *const *paths, size_t n, rq_error **reterr);
