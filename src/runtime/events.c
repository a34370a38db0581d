/* rongqi-runtime events: the container's cgroup statistics as runc prints them, one JSON line
 * {"type":"stats","id":ID,"data":{...}} with runc's field names (its types.Stats), once with
 * --stats, else every --interval; and {"type":"oom","id":ID} whenever the memory cgroup's
 * OOM-kill counter grows (checked every 100 ms), until the container's init exits. */
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup.h"
#include "lib/container.h"
#include "runtime/runtime.h"

/* jansson's integers are signed: a larger value (v2's "max", UINT64_MAX) is stored as a
 * marked string and put back as a number when the line is printed. */
#define BIG_MARK "\x01u64:"

static json_t *u64(uint64_t v)
{
        if (v <= INT64_MAX)
                return json_integer((json_int_t)v);
        char s[40];
        snprintf(s, sizeof(s), BIG_MARK "%llu", (unsigned long long)v);
        return json_string(s);
}

/* Go's omitempty: a zero number is left out. */
static void set_nonzero(json_t *o, const char *key, uint64_t v)
{
        if (v)
                json_object_set_new(o, key, u64(v));
}

static json_t *u64_array(const uint64_t *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, u64(v[i]));
        return a;
}

static void set_array(json_t *o, const char *key, const uint64_t *v, size_t n)
{
        if (n)
                json_object_set_new(o, key, u64_array(v, n));
}

static json_t *mem_entry(const rq_cgroup_mem_entry *e)
{
        json_t *o = json_object();
        json_object_set_new(o, "limit", u64(e->limit));
        set_nonzero(o, "usage", e->usage);
        set_nonzero(o, "max", e->max);
        json_object_set_new(o, "failcnt", u64(e->failcnt));
        return o;
}

static void set_blkio(json_t *o, const char *key, const rq_cgroup_blkio_entry *e, size_t n)
{
        if (!n)
                return;
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *x = json_object();
                set_nonzero(x, "major", e[i].major);
                set_nonzero(x, "minor", e[i].minor);
                if (*e[i].op)
                        json_object_set_new(x, "op", json_string(e[i].op));
                set_nonzero(x, "value", e[i].value);
                json_array_append_new(a, x);
        }
        json_object_set_new(o, key, a);
}

static json_t *stats_json(const rq_cgroup_stats *s)
{
        json_t *usage = json_object();
        set_nonzero(usage, "total", s->cpu_total);
        set_array(usage, "percpu", s->percpu, s->n_percpu);
        set_array(usage, "percpu_kernel", s->percpu_kernel, s->n_percpu_split);
        set_array(usage, "percpu_user", s->percpu_user, s->n_percpu_split);
        json_object_set_new(usage, "kernel", u64(s->cpu_kernel));
        json_object_set_new(usage, "user", u64(s->cpu_user));
        json_t *throttling = json_object();
        set_nonzero(throttling, "periods", s->periods);
        set_nonzero(throttling, "throttledPeriods", s->throttled_periods);
        set_nonzero(throttling, "throttledTime", s->throttled_time);

        json_t *cpuset = json_object();
        if (s->n_cpuset_cpus) {
                json_t *a = json_array();
                for (size_t i = 0; i < s->n_cpuset_cpus; i++)
                        json_array_append_new(a, json_integer(s->cpuset_cpus[i]));
                json_object_set_new(cpuset, "cpus", a);
        }
        json_object_set_new(cpuset, rq_cgroup_cpuset_value_to_string(RQ_CPUSET_CPU_EXCLUSIVE),
                            json_integer(s->cpuset[RQ_CPUSET_CPU_EXCLUSIVE]));
        if (s->n_cpuset_mems) {
                json_t *a = json_array();
                for (size_t i = 0; i < s->n_cpuset_mems; i++)
                        json_array_append_new(a, json_integer(s->cpuset_mems[i]));
                json_object_set_new(cpuset, "mems", a);
        }
        for (int i = RQ_CPUSET_MEM_HARDWALL; i < _RQ_CPUSET_VALUE_MAX; i++)
                json_object_set_new(cpuset, rq_cgroup_cpuset_value_to_string(i),
                                    json_integer(s->cpuset[i]));

        json_t *memory = json_object();
        set_nonzero(memory, "cache", s->mem_cache);
        json_object_set_new(memory, "usage", mem_entry(&s->mem_usage));
        json_object_set_new(memory, "swap", mem_entry(&s->mem_swap));
        json_object_set_new(memory, "kernel", mem_entry(&s->mem_kernel));
        json_object_set_new(memory, "kernelTCP", mem_entry(&s->mem_kernel_tcp));
        if (s->n_mem_raw) {
                json_t *raw = json_object();
                for (size_t i = 0; i < s->n_mem_raw; i++)
                        json_object_set_new(raw, s->mem_raw[i].key, u64(s->mem_raw[i].value));
                json_object_set_new(memory, "raw", raw);
        }

        json_t *pids = json_object();
        set_nonzero(pids, "current", s->pids_current);
        set_nonzero(pids, "limit", s->pids_limit);
        json_t *blkio = json_object();
        set_blkio(blkio, "ioServiceBytesRecursive", s->io_service_bytes, s->n_io_service_bytes);
        set_blkio(blkio, "ioServicedRecursive", s->io_serviced, s->n_io_serviced);

        json_t *hugetlb = json_object();
        for (size_t i = 0; i < s->n_hugetlb; i++) {
                json_t *h = json_object();
                set_nonzero(h, "usage", s->hugetlb[i].usage);
                set_nonzero(h, "max", s->hugetlb[i].max);
                json_object_set_new(h, "failcnt", u64(s->hugetlb[i].failcnt));
                json_object_set_new(hugetlb, s->hugetlb[i].page_size, h);
        }

        return json_pack("{s:{s:o, s:o}, s:o, s:o, s:o, s:o, s:o, s:{}, s:n}", "cpu", "usage",
                         usage, "throttling", throttling, "cpuset", cpuset, "memory", memory,
                         "pids", pids, "blkio", blkio, "hugetlb", hugetlb, "intel_rdt",
                         "network_interfaces");
}

/* Print one event line; data (owned) may be NULL. */
static int print_event(const char *type, const char *id, json_t *data)
{
        _cleanup_(json_decrefp) json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
        if (!ev)
                return -ENOMEM;
        if (data)
                json_object_set_new(ev, "data", data);
        _cleanup_free_ char *line = json_dumps(ev, JSON_COMPACT);
        if (!line)
                return -ENOMEM;
        /* the marked strings back to numbers: "\u0001u64:N" -> N */
        for (char *p; (p = strstr(line, "\"\\u0001u64:"));) {
                char *digits = p + strlen("\"\\u0001u64:");
                size_t n = strspn(digits, "0123456789");
                memmove(p, digits, n);
                memmove(p + n, digits + n + 1, strlen(digits + n + 1) + 1);
        }
        printf("%s\n", line);
        fflush(stdout);
        return 0;
}

/* A Go duration as runc takes it: "5s", "500ms", "1m", "1.5s", "2m30s". */
static int parse_duration(const char *s, long long *ret_ms)
{
        static const struct {
                const char *unit;
                double ms;
        } units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
        double total = 0;
        if (!*s)
                return -EINVAL;
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                if (end == s || v < 0)
                        return -EINVAL;
                size_t i = 0;
                while (i < ELEMENTSOF(units) && !startswith(end, units[i].unit))
                        i++;
                if (i == ELEMENTSOF(units))
                        return -EINVAL;
                total += v * units[i].ms;
                s = end + strlen(units[i].unit);
        }
        *ret_ms = (long long)total;
        return *ret_ms > 0 ? 0 : -EINVAL;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Stream until the init exits: stats every interval, oom whenever the counter grew. */
static int stream(const char *id, const rq_state *st, int pidfd, long long interval)
{
        uint64_t ooms = UINT64_MAX;
        for (long long next = now_ms();;) {
                _cleanup_error_ rq_error *e = NULL;
                rq_cgroup_stats s;
                bool exited = poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, 0) > 0;
                if (rq_cgroup_stats_read(st->cgroup_path, &s, &e) < 0)
                        return exited ? 0 : runtime_fail(e);
                if (ooms != UINT64_MAX && s.oom_kills > ooms)
                        (void)print_event("oom", id, NULL);
                ooms = s.oom_kills;
                if (!exited && now_ms() >= next) {
                        (void)print_event("stats", id, stats_json(&s));
                        next += interval;
                }
                rq_cgroup_stats_done(&s);
                if (exited)
                        return 0;
                long long wait = next - now_ms();
                (void)poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1,
                           (int)(wait < 0     ? 0
                                 : wait > 100 ? 100
                                              : wait));
        }
}

int cmd_events(const runtime_globals *g, int argc, char **argv)
{
        static const struct option opts[] = {
                { "stats", no_argument, NULL, 's' },
                { "interval", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool once = false;
        long long interval = 5000;
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 's')
                        once = true;
                else if (c == 'i' && parse_duration(optarg, &interval) < 0)
                        return runtime_usage("events", "--interval %s: not a duration (5s, 500ms)",
                                             optarg);
                else if (c == 'h')
                        return fputs("Usage: rongqi-runtime events [--stats] [--interval 5s] "
                                     "<container-id>\n\nPrint the container's cgroup statistics "
                                     "as JSON lines every interval, and an \"oom\" line when "
                                     "the OOM killer takes one of its processes, until it "
                                     "stops; --stats: one statistics line.\n",
                                     stdout),
                               0;
                else if (c != 'i')
                        return runtime_usage("events", "unknown option '%s'", argv[optind - 1]);
        }
        const char *id;
        if (runtime_one_id("events", argc, argv, &id) < 0)
                return 1;
        _cleanup_close_ int root = runtime_open_root(g, true);
        _cleanup_error_ rq_error *e = NULL;
        if (root < 0)
                return 1;
        rq_state st;
        rq_status now;
        if (rq_container_state(root, id, &st, &now, &e) < 0)
                return runtime_fail(e);
        _cleanup_close_ int pidfd = now == RQ_STATUS_STOPPED ? -EBADF : pidfd_open(st.pid, 0);
        int r = 0;
        if (pidfd < 0 || !rq_state_pid_alive(&st)) {
                rq_error_set_plain(&e, EINVAL, "container with id %s is not running", id);
                r = runtime_fail(e);
        } else if (!st.cgroup_path) {
                rq_error_set_plain(&e, ENOTSUP,
                                   "events needs the container's cgroup, and this "
                                   "container has none");
                r = runtime_fail(e);
        } else if (once) {
                rq_cgroup_stats s;
                if (rq_cgroup_stats_read(st.cgroup_path, &s, &e) < 0) {
                        r = runtime_fail(e);
                } else {
                        r = print_event("stats", id, stats_json(&s)) < 0;
                        rq_cgroup_stats_done(&s);
                }
        } else {
                r = stream(id, &st, pidfd, interval);
        }
        rq_state_done(&st);
        return r;
}
