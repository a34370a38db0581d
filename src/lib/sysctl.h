/* Kernel settings the config names for the container's own namespaces: linux.sysctl (written
 * under /proc/sys through an fd checked to be on procfs: a container image cannot swap the file
 * for a symlink to somewhere else), hostname and domainname (UTS namespace). Sysctls go in
 * before linux.readonlyPaths makes /proc/sys read-only. */
#pragma once

#include "lib/error.h"
#include "lib/spec.h"

/* proc_sys_fd: an O_DIRECTORY fd of the /proc/sys to write under (the container's own proc). */
int rq_sysctl_apply(int proc_sys_fd, const rq_spec *s, rq_error **reterr);
int rq_hostname_apply(const rq_spec *s, rq_error **reterr);
