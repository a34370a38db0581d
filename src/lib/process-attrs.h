/* The attributes of the container process that the container init sets on itself after
 * pivot_root and before exec: rlimits, oom_score_adj, personality, I/O priority, scheduler,
 * CPU affinity, the user (groups, gid, uid, umask), the five capability sets and no_new_privs.
 * Seccomp comes after all of these and lives elsewhere.
 *
 * Each function changes the calling process (or thread, for capabilities) and returns >= 0 or
 * -errno with an rq_error saying what failed; rq_process_attrs_apply() wraps each with the JSON
 * path of the value ("apply process.scheduler"). rlimits and capabilities name their entries.
 * rq_process_attrs_apply() calls them in the one order that works; see process-attrs.c for why. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/spec.h"

/* setrlimit for each process.rlimits entry, in order. */
int rq_rlimits_apply(const rq_spec_process *p, rq_error **reterr);
/* Write value (-1000 to 1000) to /proc/self/oom_score_adj, refusing a file not on procfs. */
int rq_oom_score_adj_apply(int value, rq_error **reterr);
/* personality(domain | flags) from linux.personality. */
int rq_personality_apply(const rq_spec_personality *pers, rq_error **reterr);
/* ioprio_set for the calling process from process.ioPriority. */
int rq_ioprio_apply(const rq_spec_io_priority *io, rq_error **reterr);
/* sched_setattr for the calling process from process.scheduler. */
int rq_scheduler_apply(const rq_spec_scheduler *s, rq_error **reterr);
/* sched_setaffinity for the calling process to a CPU list ("0-3,7") the spec parser checked. */
int rq_cpu_affinity_apply(const char *cpus, rq_error **reterr);

/* Switch to process.user: setgroups(additionalGids, or none), setgid, setuid, umask if set. The
 * permitted capabilities survive the uid change (PR_SET_KEEPCAPS) so that rq_caps_apply(), which
 * must come next, can set the final sets; the effective set is empty in between. */
int rq_user_apply(const rq_spec_process *p, rq_error **reterr);

/* Set process.capabilities: drop from the bounding set everything not in it, then capset the
 * permitted, effective and inheritable sets, then the ambient set. Capabilities the running
 * kernel does not know (above cap_last_cap) are skipped in every set: they grant nothing, and a
 * config written for a newer kernel keeps working (as with runc and crun). rq_caps_unknown()
 * says which were skipped so a caller can warn. NULL capabilities leave the sets as they are
 * (as runc). */
int rq_caps_apply(const rq_spec_capabilities *caps, rq_error **reterr);
/* Warn (on the host, before the container exists) about ambient capabilities the kernel will
 * refuse: those not also inheritable and permitted. rq_caps_apply leaves them out. */
void rq_caps_ambient_warn(const rq_spec_capabilities *caps);
/* The capabilities requested in any set that the running kernel does not know. */
uint64_t rq_caps_unknown(const rq_spec_capabilities *caps);
/* PR_SET_NO_NEW_PRIVS when on; nothing when off (the bit cannot be cleared). */
int rq_no_new_privs_apply(bool on, rq_error **reterr);

/* All of the above in order, each error wrapped with the step ("apply process.rlimits",
 * "switch to uid 1000 gid 1000", "set capabilities"). linux_ may be NULL. */
int rq_process_attrs_apply(const rq_spec_process *p, const rq_spec_linux *linux_,
                           rq_error **reterr);
