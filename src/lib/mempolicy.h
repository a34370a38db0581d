/* linux.memoryPolicy: the NUMA memory policy of the container's processes (set_mempolicy(2)).
 * The runtime checks the nodes against the host's before anything starts; the init and every
 * process `exec` sends in set the policy on themselves just before their exec, as runc does
 * (a task's policy is inherited by its children and kept across execve). */
#pragma once

#include "lib/error.h"
#include "lib/spec.h"

/* Nodes the host does not have are refused, naming linux.memoryPolicy.nodes, unless a flag
 * makes them relative or static (then the kernel maps or ignores them). NULL: nothing to do. */
int rq_mempolicy_check(const rq_spec_memory_policy *p, rq_error **reterr);
/* set_mempolicy(mode | flags, nodes) for the calling thread. NULL: nothing to do. */
int rq_mempolicy_apply(const rq_spec_memory_policy *p, rq_error **reterr);
