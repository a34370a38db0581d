/* Linux security modules for the container's process: process.apparmorProfile,
 * process.selinuxLabel and linux.mountLabel.
 *
 * The runtime checks first that the module each set field needs is active on the host, and
 * refuses the container with an error naming the field otherwise (a profile silently not
 * applied would be worse than no container). The init (and an exec'd process) then writes the
 * profile or label to its procfs attr/exec file, so that it takes effect at its execve, after
 * the runtime's own setup; it does so before no_new_privs, which restricts profile changes at
 * exec (as runc does); the file is opened under /proc/thread-self and
 * checked by fd to be a procfs file. mountLabel becomes a context="..." option of the
 * container's non-bind mounts (tmpfs, devpts, ...), not of proc, sysfs, mqueue or cgroup.
 *
 * The apply path is written for hosts where AppArmor or SELinux is active and has been
 * reviewed, not run: the development and test machines have neither. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "lib/spec.h"

bool rq_lsm_apparmor_active(void);
bool rq_lsm_selinux_active(void);

/* The fields of s that need an LSM, checked against the active ones. */
int rq_lsm_check(const rq_spec *s, rq_error **reterr);

/* Write process.apparmorProfile / selinuxLabel for the next execve. */
int rq_lsm_apply_exec(const rq_spec_process *p, rq_error **reterr);

/* *ret: data with context="label" appended (in buf), or data itself when label is NULL or
 * the type takes no context (proc, sysfs, mqueue, cgroup, cgroup2). -ENAMETOOLONG when buf is
 * too small. */
int rq_lsm_mount_data(const char *type, const char *data, const char *label, char *buf, size_t size,
                      const char **ret);
