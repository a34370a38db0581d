/* The container's processes through its cgroup: signal every one of them (v2 cgroup.kill,
 * else each pid of cgroup.procs; v1 with the freezer hierarchy frozen meanwhile, so no process
 * forks a child past the walk), wait until the cgroup is empty, and read the OOM kill counter
 * of the memory controller (the backends know their files: cg_v1_oom, cg_v2_oom). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup-internal.h"

/* The value of "key N" lines in a cgroup file (memory.events, memory.oom_control,
 * cgroup.events); 0 when the key is not there. */
int cg_read_key_ret(const char *dir, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *p = strprintf("%s/%s", dir, file), *text = NULL;
        if (!p)
                return -ENOMEM;
        int k = read_full_file_at(AT_FDCWD, p, &text, NULL);
        if (k < 0)
                return k;
        size_t n = strlen(key);
        *ret = 0;
        for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
                if (strncmp(l, key, n) == 0 && l[n] == ' ') {
                        *ret = strtoull(l + n + 1, NULL, 10);
                        break;
                }
        return 0;
}

/* Call fn for dir and every cgroup below it; returns the sum of fn's results or the first
 * failure. */
static int walk_tree(const char *dir, int (*fn)(const char *dir, int sig), int sig)
{
        int total = fn(dir, sig);
        if (total < 0)
                return total;
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? total : negative_errno();
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *sub = strprintf("%s/%s", dir, de->d_name);
                int k = sub ? walk_tree(sub, fn, sig) : -ENOMEM;
                if (k < 0)
                        return k;
                total += k;
        }
        return total;
}

/* Signal every process listed in dir/cgroup.procs (sig 0: only count them). */
static int procs_signal(const char *dir, int sig)
{
        _cleanup_free_ char *p = strprintf("%s/cgroup.procs", dir), *text = NULL;
        if (!p)
                return -ENOMEM;
        int k = read_full_file_at(AT_FDCWD, p, &text, NULL);
        if (k < 0)
                return k == -ENOENT ? 0 : k;
        int n = 0;
        for (char *s = text, *end; *s; s = end) {
                long pid = strtol(s, &end, 10);
                if (end == s)
                        break;
                if (pid > 0 && (sig == 0 || kill((pid_t)pid, sig) == 0))
                        n++;
        }
        return n;
}

/* The first hierarchy holding the container's cgroup, in this order of preference (v1): the
 * freezer (the walk can be made race-free), pids, then any. */
typedef struct pick_dir {
        char *freezer, *pids, *any;
} pick_dir;

static int pick_one(const char *dir, void *userdata, rq_error **reterr)
{
        pick_dir *p = userdata;
        if (access(dir, F_OK) < 0)
                return 0;
        char **slot = strstr(dir, CGROUP_ROOT "/freezer/") == dir ? &p->freezer
                      : strstr(dir, CGROUP_ROOT "/pids/") == dir  ? &p->pids
                                                                  : &p->any;
        if (!*slot && !(*slot = strdup(dir)))
                return -ENOMEM;
        return 0;
}

static void pick_dir_done(pick_dir *p)
{
        free(p->freezer);
        free(p->pids);
        free(p->any);
}

int rq_cgroup_kill(const char *path, int sig, rq_error **reterr)
{
        rq_cgroup_mode mode;
        int k = rq_cgroup_detect(&mode, reterr);
        if (k < 0)
                return k;
        if (mode == RQ_CGROUP_V2) {
                _cleanup_free_ char *dir = strprintf("%s%s", CGROUP_ROOT, path);
                if (!dir)
                        return rq_error_set(reterr, ENOMEM, "cgroup path");
                if (access(dir, F_OK) < 0)
                        return rq_error_set(reterr, errno, "the container's cgroup %s", dir);
                /* One write kills the whole subtree, forks in flight included (5.14+). */
                if (sig == SIGKILL && cg_has_file(dir, "cgroup.kill"))
                        return cg_write(dir, "cgroup.kill", "1", reterr);
                k = walk_tree(dir, procs_signal, sig);
                return k < 0 ? rq_error_set(reterr, k, "signal the processes of %s", dir) : 0;
        }
        _cleanup_(pick_dir_done) pick_dir p = { 0 };
        if ((k = cg_for_each_dir(path, true, pick_one, &p, NULL)) < 0)
                return rq_error_set(reterr, k, "find the container's cgroup %s", path);
        const char *dir = p.freezer ? p.freezer : p.pids ? p.pids : p.any;
        if (!dir)
                return rq_error_set_plain(reterr, ENOENT, "the container's cgroup %s: not found",
                                          path);
        /* No process left (delete after the init and its PID namespace are gone): nothing can
         * fork, so no freeze. It is worth the extra read: freezing and thawing flip the kernel's
         * freezer_active static key, milliseconds of code patching on every CPU. */
        if ((k = walk_tree(dir, procs_signal, 0)) <= 0)
                return k < 0 ? rq_error_set(reterr, k, "read the processes of %s", dir) : 0;
        /* Frozen, a process cannot fork between our reading cgroup.procs and the signal; a
         * frozen process takes the signal once thawed (SIGKILL too). A container paused before
         * stays paused, unless it is being killed. */
        bool frozen_before = false, froze = false;
        if (p.freezer) {
                _cleanup_free_ char *st = NULL, *f = strprintf("%s/freezer.state", p.freezer);
                frozen_before = f && read_full_file_at(AT_FDCWD, f, &st, NULL) >= 0 &&
                                startswith(st, "FROZEN");
                froze = !frozen_before && rq_cgroup_freeze(path, true, NULL) >= 0;
        }
        k = walk_tree(dir, procs_signal, sig);
        if (froze || (frozen_before && sig == SIGKILL))
                (void)rq_cgroup_freeze(path, false, NULL);
        return k < 0 ? rq_error_set(reterr, k, "signal the processes of %s", dir) : 0;
}

/* Is the container's cgroup in this hierarchy empty (or gone)? */
static int empty_one(const char *dir, void *userdata, rq_error **reterr)
{
        if (access(dir, F_OK) < 0)
                return 0;
        uint64_t populated = 0;
        if (cg_has_file(dir, "cgroup.events")) {
                if (cg_read_key_ret(dir, "cgroup.events", "populated", &populated) < 0)
                        populated = 0;
        } else {
                int n = walk_tree(dir, procs_signal, 0);
                populated = n > 0;
        }
        if (populated)
                *(bool *)userdata = false;
        return 0;
}

int rq_cgroup_wait_empty(const char *path, unsigned timeout_ms, rq_error **reterr)
{
        for (unsigned t = 0;; t += 10) {
                bool empty = true;
                int k = cg_for_each_dir(path, true, empty_one, &empty, NULL);
                if (k < 0)
                        return rq_error_set(reterr, k, "read the cgroup %s", path);
                if (empty)
                        return 0;
                if (t >= timeout_ms)
                        break;
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        return rq_error_set_plain(reterr, EBUSY,
                                  "the cgroup %s still has processes %u ms after they were killed",
                                  path, timeout_ms);
}

int rq_cgroup_oom(const char *path, uint64_t *ret_kills, int64_t *ret_limit)
{
        rq_cgroup_mode mode;
        int k = rq_cgroup_detect(&mode, NULL);
        if (k < 0)
                return k;
        _cleanup_free_ char *dir =
                strprintf("%s%s%s", CGROUP_ROOT, mode == RQ_CGROUP_V2 ? "" : "/memory", path);
        if (!dir)
                return -ENOMEM;
        return mode == RQ_CGROUP_V2 ? cg_v2_oom(dir, ret_kills, ret_limit)
                                    : cg_v1_oom(dir, ret_kills, ret_limit);
}
