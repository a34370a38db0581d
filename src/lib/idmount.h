/* Id-mapped bind mounts (mounts[].options "idmap"/"ridmap", mounts[].uidMappings and
 * gidMappings), made by the runtime before the container init is cloned:
 *
 *   open_tree(source, OPEN_TREE_CLONE [| AT_RECURSIVE for rbind]) -> a detached copy
 *   mount_setattr(MOUNT_ATTR_IDMAP, user namespace fd [, AT_RECURSIVE for ridmap])
 *   (the init inherits the fd and move_mount()s it onto the target in the rootfs, mount.c)
 *
 * Why here: the kernel lets only a process with CAP_SYS_ADMIN in the user namespace of the
 * source's file system (the host's) id-map a mount, and a container init in its own user
 * namespace has no capability there.
 *
 * The mapping is that of a user namespace, "containerID hostID size" (runtime-spec config.md):
 * a file owned by containerID on disk shows as hostID through the mount, and a file created
 * through it by hostID is stored as containerID. The user namespace is a new one with the
 * mount's own uidMappings/gidMappings (a helper child that waits while its maps are written);
 * without them, the container's: the namespace at linux.namespaces' path, or a new one with
 * linux.uidMappings/gidMappings, which maps ids exactly as the container's own does. */
#pragma once

#include <stddef.h>

#include "lib/error.h"
#include "lib/idmap.h"
#include "lib/spec.h"

/* Is mounts[i] id-mapped ("idmap", "ridmap", or mappings of its own)? */
bool rq_idmount_wanted(const rq_spec_mount *m);

/* For every id-mapped mount of s, the detached, id-mapped tree; *ret_fds has s->n_mounts
 * entries, -EBADF for the others, or is NULL when there are none. Free with
 * rq_idmount_close(). */
int rq_idmount_prepare(const rq_spec *s, int **ret_fds, rq_error **reterr);
void rq_idmount_close(int *fds, size_t n);

/* A config's mappings as an rq_idmap; what names the field in errors. */
int rq_idmap_from_spec(const rq_spec_idmap *m, size_t n, rq_idmap *ret, const char *what,
                       rq_error **reterr);
