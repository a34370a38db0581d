/* linux.memoryPolicy through the raw set_mempolicy(2) syscall: no libnuma for one call and a
 * node mask. See mempolicy.h. */
#include "lib/mempolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"

/* The kernel's largest MAX_NUMNODES (CONFIG_NODES_SHIFT at most 10). */
#define NODES_MAX 1024
#define LONG_BITS (8 * sizeof(unsigned long))

typedef struct nodemask {
        unsigned long bits[NODES_MAX / LONG_BITS];
} nodemask;

static int nodemask_parse(const char *list, nodemask *ret, rq_error **reterr)
{
        *ret = (nodemask){ 0 };
        unsigned long lo, hi;
        for (const char *s = list ? list : ""; parse_list_next(&s, &lo, &hi) > 0;) {
                if (hi >= NODES_MAX)
                        return rq_error_invalid(reterr,
                                                "linux.memoryPolicy.nodes: node %lu: Linux has at "
                                                "most %d memory nodes",
                                                hi, NODES_MAX);
                for (unsigned long n = lo; n <= hi; n++)
                        ret->bits[n / LONG_BITS] |= 1UL << (n % LONG_BITS);
        }
        return 0;
}

static bool nodemask_has(const nodemask *m, unsigned long n)
{
        return n < NODES_MAX && (m->bits[n / LONG_BITS] >> (n % LONG_BITS)) & 1;
}

int rq_mempolicy_check(const rq_spec_memory_policy *p, rq_error **reterr)
{
        if (!p)
                return 0;
        nodemask want, host;
        int k = nodemask_parse(p->nodes, &want, reterr);
        if (k < 0 || (p->flags & (MPOL_F_RELATIVE_NODES | MPOL_F_STATIC_NODES)))
                return k;
        _cleanup_free_ char *online = NULL;
        /* A kernel without NUMA has no node directory: set_mempolicy then says so itself. */
        if (read_full_file_at(AT_FDCWD, "/sys/devices/system/node/online", &online, NULL) < 0)
                return 0;
        online[strcspn(online, "\n")] = 0;
        if ((k = nodemask_parse(online, &host, reterr)) < 0)
                return k;
        for (unsigned long n = 0; n < NODES_MAX; n++)
                if (nodemask_has(&want, n) && !nodemask_has(&host, n)) {
                        rq_error_set_plain(reterr, EINVAL,
                                           "linux.memoryPolicy.nodes: this host has no memory "
                                           "node %lu (its nodes: %s)",
                                           n, online);
                        return rq_error_hint(reterr, "MPOL_F_RELATIVE_NODES makes the nodes "
                                                     "relative to the ones the container may "
                                                     "use");
                }
        return 0;
}

int rq_mempolicy_apply(const rq_spec_memory_policy *p, rq_error **reterr)
{
        if (!p)
                return 0;
        nodemask m;
        int k = nodemask_parse(p->nodes, &m, reterr);
        if (k < 0)
                return k;
        /* maxnode counts one more than the bits the kernel reads (a historic off-by-one). */
        if (syscall(SYS_set_mempolicy, p->mode | (int)p->flags, m.bits, NODES_MAX + 1) == 0)
                return 0;
        k = rq_error_set(reterr, errno, "set_mempolicy(mode %d, flags 0x%x, nodes \"%s\")", p->mode,
                         (unsigned)p->flags, p->nodes ? p->nodes : "");
        if (k == -ENOSYS)
                rq_error_hint(reterr, "this kernel is built without NUMA support");
        else if (k == -EINVAL)
                rq_error_hint(reterr, "the nodes must have memory and be allowed by the "
                                      "container's cpuset (linux.resources.cpu.mems); "
                                      "MPOL_F_NUMA_BALANCING is for MPOL_BIND (and, on recent "
                                      "kernels, MPOL_PREFERRED_MANY)");
        return k;
}
