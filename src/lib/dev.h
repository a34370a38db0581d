/* /dev of a container: the runtime-spec's default devices (null, zero, full, random, urandom,
 * tty), the devices of linux.devices, and the usual links (fd, stdin, stdout, stderr, ptmx,
 * core). Runs in the container's mount namespace after the rootfs and its /dev are mounted and
 * before pivot_root, on a rootfs that no container process has touched yet.
 *
 * Devices are created with mknod(2), or, where that is not allowed (in a user namespace: the
 * kernel refuses device nodes there), bind-mounted from the host's node of the same number onto
 * an empty file. Every path is resolved inside the rootfs (rootfs-path.h): a symlink in the
 * image cannot send a node or a mount to the host. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "lib/rootfs-path.h"
#include "lib/spec.h"

typedef enum rq_dev_method {
        RQ_DEV_MKNOD, /* create nodes: needs CAP_MKNOD in the initial user namespace */
        RQ_DEV_BIND, /* bind the host's nodes: for containers in a user namespace */
        _RQ_DEV_METHOD_MAX,
        _RQ_DEV_METHOD_INVALID = -1,
} rq_dev_method;

/* Create the default devices, linux_->devices (which override defaults at the same path) and
 * the /dev links. linux_ may be NULL (defaults only). */
int rq_dev_setup(const rq_rootfs *r, const rq_spec_linux *linux_, rq_dev_method method,
                 rq_error **reterr);
