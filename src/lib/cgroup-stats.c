/* The statistics of a container's cgroup (`events`): the readers of the counter files both
 * backends share, and the dispatch to cg_v1_stats() (cgroup-v1.c) or cg_v2_stats()
 * (cgroup-v2.c). What a missing controller or file cannot tell stays 0. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"
#include "lib/cgroup-internal.h"

static int read_file(const char *dir, const char *file, char **ret)
{
        _cleanup_free_ char *p = strprintf("%s/%s", dir, file);
        return p ? read_full_file_at(AT_FDCWD, p, ret, NULL) : -ENOMEM;
}

bool cg_read_u64(const char *dir, const char *file, uint64_t dflt, uint64_t *ret)
{
        _cleanup_free_ char *v = NULL;
        *ret = dflt;
        if (!dir || read_file(dir, file, &v) < 0)
                return false;
        unsigned long long n;
        if (sscanf(v, "%llu", &n) == 1)
                *ret = n;
        return true;
}

uint64_t cg_read_key(const char *dir, const char *file, const char *key)
{
        uint64_t v = 0;
        return dir && cg_read_key_ret(dir, file, key, &v) >= 0 ? v : 0;
}

int cg_read_kv(const char *dir, const char *file, rq_cgroup_kv **ret, size_t *ret_n)
{
        _cleanup_free_ char *v = NULL;
        if (!dir || read_file(dir, file, &v) < 0)
                return 0;
        for (char *save = NULL, *l = strtok_r(v, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(l, ' ');
                if (!sp)
                        continue;
                rq_cgroup_kv *more = realloc(*ret, (*ret_n + 1) * sizeof(**ret));
                if (!more)
                        return -ENOMEM;
                *ret = more;
                more[*ret_n] = (rq_cgroup_kv){ strndup(l, sp - l), strtoull(sp + 1, NULL, 10) };
                if (!more[(*ret_n)++].key)
                        return -ENOMEM;
        }
        return 0;
}

int cg_stats_add_blkio(rq_cgroup_blkio_entry **arr, size_t *n, uint64_t major, uint64_t minor,
                       const char *op, uint64_t value)
{
        rq_cgroup_blkio_entry *more = realloc(*arr, (*n + 1) * sizeof(**arr));
        if (!more)
                return -ENOMEM;
        *arr = more;
        more[*n] = (rq_cgroup_blkio_entry){ .major = major, .minor = minor, .value = value };
        snprintf(more[*n].op, sizeof(more[*n].op), "%s", op);
        (*n)++;
        return 0;
}

static const char *const cpuset_names[_RQ_CPUSET_VALUE_MAX] = {
        "cpu_exclusive",   "mem_hardwall",       "mem_exclusive",
        "memory_migrate",  "memory_spread_page", "memory_spread_slab",
        "memory_pressure", "sched_load_balance", "sched_relax_domain_level",
};

const char *rq_cgroup_cpuset_value_to_string(rq_cgroup_cpuset_value v)
{
        return v >= 0 && v < _RQ_CPUSET_VALUE_MAX ? cpuset_names[v] : NULL;
}

/* A cpu or node list ("0-3,7") into a malloc'd array. */
static int read_list(const char *dir, const char *file, uint16_t **ret, size_t *ret_n)
{
        _cleanup_free_ char *v = NULL;
        if (read_file(dir, file, &v) < 0)
                return 0;
        const char *s = v;
        s += strspn(s, " \n");
        v[strcspn(v, "\n")] = 0;
        unsigned long lo, hi;
        while (parse_list_next(&s, &lo, &hi) > 0)
                for (unsigned long i = lo; i <= hi && i <= UINT16_MAX; i++) {
                        uint16_t *more = realloc(*ret, (*ret_n + 1) * sizeof(**ret));
                        if (!more)
                                return -ENOMEM;
                        *ret = more;
                        more[(*ret_n)++] = (uint16_t)i;
                }
        return 0;
}

int cg_cpuset_stats(const char *dir, rq_cgroup_stats *s)
{
        int k;
        if ((k = read_list(dir, "cpuset.cpus", &s->cpuset_cpus, &s->n_cpuset_cpus)) < 0 ||
            (k = read_list(dir, "cpuset.mems", &s->cpuset_mems, &s->n_cpuset_mems)) < 0)
                return k;
        for (int i = 0; i < _RQ_CPUSET_VALUE_MAX; i++) {
                _cleanup_free_ char *f = strprintf("cpuset.%s", cpuset_names[i]), *v = NULL;
                if (!f)
                        return -ENOMEM;
                if (read_file(dir, f, &v) >= 0)
                        s->cpuset[i] = strtoll(v, NULL, 10);
        }
        return 0;
}

/* Per page size (/sys/kernel/mm/hugepages/hugepages-<N>kB, named as the cgroup files name it:
 * 64KB, 2MB, 1GB): v1 usage, max usage and failcnt; v2 current and the "max" events. In the
 * v1 hugetlb hierarchy, else on the cgroup2 side (v2, or a hybrid host with hugetlb there). */
static int hugetlb_stats(const rq_cgroup *cg, rq_cgroup_stats *s)
{
        const char *d = cg->mode == RQ_CGROUP_V2 ? NULL : cg_v1_dir(cg, "hugetlb");
        bool v2 = !d;
        if (v2)
                d = cg->unified;
        _cleanup_(closedirp) DIR *dir = d ? opendir("/sys/kernel/mm/hugepages") : NULL;
        if (!dir)
                return 0;
        for (struct dirent *de; (de = readdir(dir));) {
                unsigned long kb;
                if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
                        continue;
                rq_cgroup_hugetlb h = { 0 };
                static const char units[][3] = { "KB", "MB", "GB", "TB" };
                size_t u = 0;
                while (kb >= 1024 && kb % 1024 == 0 && u + 1 < ELEMENTSOF(units)) {
                        kb /= 1024;
                        u++;
                }
                snprintf(h.page_size, sizeof(h.page_size), "%lu%s", kb, units[u]);
                char f[64];
                snprintf(f, sizeof(f), "hugetlb.%s.%s", h.page_size,
                         v2 ? "current" : "usage_in_bytes");
                if (!cg_read_u64(d, f, 0, &h.usage))
                        continue;
                if (v2) {
                        snprintf(f, sizeof(f), "hugetlb.%s.events", h.page_size);
                        h.failcnt = cg_read_key(d, f, "max");
                } else {
                        snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", h.page_size);
                        (void)cg_read_u64(d, f, 0, &h.max);
                        snprintf(f, sizeof(f), "hugetlb.%s.failcnt", h.page_size);
                        (void)cg_read_u64(d, f, 0, &h.failcnt);
                }
                rq_cgroup_hugetlb *more = realloc(s->hugetlb, (s->n_hugetlb + 1) * sizeof(h));
                if (!more)
                        return -ENOMEM;
                s->hugetlb = more;
                more[s->n_hugetlb++] = h;
        }
        return 0;
}

int rq_cgroup_stats_read(const char *path, rq_cgroup_stats *ret, rq_error **reterr)
{
        _cleanup_(rq_cgroup_done) rq_cgroup cg = { 0 };
        int k = cg_open(path, &cg, reterr);
        if (k < 0)
                return k;
        *ret = (rq_cgroup_stats){ 0 };
        k = cg.mode == RQ_CGROUP_V2 ? cg_v2_stats(&cg, ret, reterr) : cg_v1_stats(&cg, ret, reterr);
        if (k >= 0 && (k = hugetlb_stats(&cg, ret)) < 0)
                rq_error_set(reterr, k, "read the hugetlb statistics");
        if (k < 0) {
                rq_cgroup_stats_done(ret);
                return rq_error_wrap(reterr, "statistics of cgroup %s", path);
        }
        return 0;
}

void rq_cgroup_stats_done(rq_cgroup_stats *s)
{
        free(s->percpu);
        free(s->percpu_kernel);
        free(s->percpu_user);
        free(s->cpuset_cpus);
        free(s->cpuset_mems);
        for (size_t i = 0; i < s->n_mem_raw; i++)
                free(s->mem_raw[i].key);
        free(s->mem_raw);
        free(s->hugetlb);
        free(s->io_service_bytes);
        free(s->io_serviced);
        *s = (rq_cgroup_stats){ 0 };
}
