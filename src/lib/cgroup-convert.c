/* Pure conversions of runtime-spec resource values to what the cgroup files want: v1 values to
 * their v2 counterparts (the maps runc and crun use, so a config means the same under each
 * runtime), and the device rules to the ordered list the v1 files and the v2 program share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cgroup-internal.h"

/* v in lo..lo+span onto 1..10000, as runc and crun map it; 0 (unset) stays 0. */
static uint64_t map_to_10000(uint64_t v, uint64_t lo, uint64_t span)
{
        if (v == 0)
                return 0;
        if (v < lo)
                return 1;
        uint64_t w = 1 + ((v - lo) * 9999) / span;
        return w > 10000 ? 10000 : w;
}

uint64_t cg_shares_to_weight(uint64_t shares)
{
        return map_to_10000(shares, 2, 262142);
}

uint64_t cg_blkio_to_io_weight(uint64_t weight)
{
        return map_to_10000(weight, 10, 990);
}

int cg_swap_to_v2(int64_t swap, bool limit_set, int64_t limit, int64_t *ret, bool *ret_skip,
                  const char **ret_why)
{
        *ret_skip = false;
        *ret_why = NULL;
        /* memory and swap both unlimited: v1 sets memsw to the same "unlimited" */
        if (limit_set && limit == -1 && swap == 0) {
                *ret = -1;
                return 0;
        }
        if (swap == 0) {
                *ret_skip = true;
                return 0;
        }
        if (swap == -1) {
                *ret = -1;
                return 0;
        }
        if (swap < -1) {
                *ret_why = "a negative value other than -1";
                return -EINVAL;
        }
        if (!limit_set || limit <= 0) {
                *ret_why = "a swap limit needs a memory limit (memory.limit)";
                return -EINVAL;
        }
        if (swap < limit) {
                *ret_why = "memory+swap (memory.swap) is below memory.limit";
                return -EINVAL;
        }
        *ret = swap - limit;
        return 0;
}

/* What every container may use whatever its rules say: the spec's default devices and the
 * terminal devices, and mknod of any node (opening one is what the rules decide). */
static const cg_dev_rule always_allowed[] = {
        { true, 'b', -1, -1, CG_DEV_MKNOD }, { true, 'c', -1, -1, CG_DEV_MKNOD },
        { true, 'c', 1, 3, CG_DEV_RWM }, /* null */
        { true, 'c', 1, 5, CG_DEV_RWM }, /* zero */
        { true, 'c', 1, 7, CG_DEV_RWM }, /* full */
        { true, 'c', 1, 8, CG_DEV_RWM }, /* random */
        { true, 'c', 1, 9, CG_DEV_RWM }, /* urandom */
        { true, 'c', 5, 0, CG_DEV_RWM }, /* tty */
        { true, 'c', 5, 2, CG_DEV_RWM }, /* ptmx */
        { true, 'c', 10, 200, CG_DEV_RWM }, /* net/tun */
        { true, 'c', 136, -1, CG_DEV_RWM }, /* pts (and /dev/console, a pts bound there) */
};

static unsigned access_bits(const char *s)
{
        unsigned a = 0;
        if (!s)
                return CG_DEV_RWM; /* absent: the spec leaves it open; runc reads it as rwm */
        for (; *s; s++)
                a |= *s == 'r'   ? CG_DEV_READ
                     : *s == 'w' ? CG_DEV_WRITE
                     : *s == 'm' ? CG_DEV_MKNOD
                                 : 0;
        return a;
}

int cg_device_rules(const rq_spec_resources *res, const rq_spec_device *devices, size_t n_devices,
                    cg_dev_rule **ret, size_t *ret_n)
{
        size_t n_spec = res ? res->n_devices : 0;
        size_t n_always = sizeof(always_allowed) / sizeof(always_allowed[0]);
        cg_dev_rule *rules = calloc(1 + n_spec + n_always + n_devices, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        /* an allowlist: what no rule allows is denied (as runc, whatever the cgroup's parent
         * allows) */
        rules[0] = (cg_dev_rule){
                .allow = false, .type = 'a', .major = -1, .minor = -1, .access = CG_DEV_RWM
        };
        size_t insert_after = 0; /* the number of spec rules before the defaults */
        for (size_t i = 0; i < n_spec; i++)
                if (res->devices[i].type == 'a')
                        insert_after = i + 1;
        size_t n = 1;
        for (size_t i = 0; i <= n_spec; i++) {
                if (i == insert_after) {
                        for (size_t j = 0; j < n_always; j++)
                                rules[n++] = always_allowed[j];
                        for (size_t j = 0; j < n_devices; j++) {
                                if (devices[j].type != 'c' && devices[j].type != 'b' &&
                                    devices[j].type != 'u')
                                        continue; /* fifos are not device-controlled */
                                rules[n++] = (cg_dev_rule){
                                        .allow = true,
                                        .type = devices[j].type == 'b' ? 'b' : 'c',
                                        .major = devices[j].major,
                                        .minor = devices[j].minor,
                                        .access = CG_DEV_RWM,
                                };
                        }
                }
                if (i == n_spec)
                        break;
                const rq_spec_device_cgroup *d = &res->devices[i];
                if (d->type != 'a' && access_bits(d->access) == 0)
                        continue; /* grants or denies nothing */
                rules[n++] = (cg_dev_rule){
                        .allow = d->allow,
                        .type = (char)d->type,
                        .major = d->major.set ? d->major.value : -1,
                        .minor = d->minor.set ? d->minor.value : -1,
                        .access = access_bits(d->access),
                };
        }
        *ret = rules;
        *ret_n = n;
        return 0;
}

void cg_dev_rule_v1(const cg_dev_rule *r, char *buf, size_t size)
{
        if (r->type == 'a') {
                snprintf(buf, size, "a");
                return;
        }
        char maj[24] = "*", min[24] = "*", acc[4] = "";
        size_t k = 0;
        if (r->major >= 0)
                snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
        if (r->minor >= 0)
                snprintf(min, sizeof(min), "%lld", (long long)r->minor);
        if (r->access & CG_DEV_READ)
                acc[k++] = 'r';
        if (r->access & CG_DEV_WRITE)
                acc[k++] = 'w';
        if (r->access & CG_DEV_MKNOD)
                acc[k++] = 'm';
        acc[k] = 0;
        snprintf(buf, size, "%c %s:%s %s", r->type, maj, min, acc);
}

bool cg_dev_decide(const cg_dev_rule *rules, size_t n, char type, uint32_t major, uint32_t minor,
                   unsigned access)
{
        for (size_t i = n; i-- > 0;) {
                const cg_dev_rule *r = &rules[i];
                if (r->type != 'a') {
                        if (r->type != type || (r->major >= 0 && r->major != major) ||
                            (r->minor >= 0 && r->minor != minor))
                                continue;
                        if (r->allow ? (access & ~r->access) != 0 : (access & r->access) == 0)
                                continue;
                }
                return r->allow;
        }
        return true;
}
