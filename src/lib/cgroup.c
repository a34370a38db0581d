/* The container's cgroup: detection, the hierarchies of the host, path rules, the public
 * interface and the dispatch to the v1 (cgroup-v1.c) or v2 (cgroup-v2.c) backend. A hybrid
 * host is v1 for every controller mounted there, plus its cgroup2 mount for the controllers
 * only it has (hugetlb on some hosts) and for linux.resources.unified. See cgroup.h. */
#include "lib/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup-internal.h"
#include "lib/log.h"

static const char *const mode_names[_RQ_CGROUP_MODE_MAX] = { "v1", "hybrid", "v2" };

const char *rq_cgroup_mode_to_string(rq_cgroup_mode mode)
{
        return mode >= 0 && mode < _RQ_CGROUP_MODE_MAX ? mode_names[mode] : "unknown";
}

int rq_cgroup_detect(rq_cgroup_mode *ret, rq_error **reterr)
{
        struct statfs sfs;
        if (statfs(CGROUP_ROOT, &sfs) < 0)
                return rq_error_set(reterr, errno, "statfs %s", CGROUP_ROOT);
        if ((unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = RQ_CGROUP_V2;
                return 0;
        }
        if ((unsigned long)sfs.f_type != TMPFS_MAGIC)
                return rq_error_set_plain(reterr, ENOTSUP,
                                          "%s is neither cgroup2 nor a tmpfs of v1 hierarchies",
                                          CGROUP_ROOT);
        *ret = statfs(CGROUP_ROOT "/unified", &sfs) == 0 &&
                               (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC
                       ? RQ_CGROUP_HYBRID
                       : RQ_CGROUP_V1;
        return 0;
}

char *rq_cgroup_path_for(const rq_spec *spec, const char *id)
{
        const char *p = spec->linux_ ? spec->linux_->cgroups_path : NULL;
        if (p && p[0] == '/')
                return strdup(p);
        if (p && *p)
                return strprintf("/rongqi-runtime/%s", p);
        return strprintf("/rongqi-runtime/%s", id);
}

/* ---- the host's hierarchies --------------------------------------------------------------- */

void cg_mount_done(cg_mount *m)
{
        free(m->mount_point);
        free(m->controllers);
        *m = (cg_mount){ 0 };
}

int cg_parse_mountinfo_line(const char *line, cg_mount *ret)
{
        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
        const char *p = line;
        for (int i = 0; i < 4; i++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EINVAL;
                p++;
        }
        size_t mp_len = strcspn(p, " ");
        const char *sep = strstr(p, " - ");
        if (!sep)
                return -EINVAL;
        const char *type = sep + 3;
        size_t type_len = strcspn(type, " ");
        bool v1 = type_len == 6 && strncmp(type, "cgroup", 6) == 0;
        bool v2 = type_len == 7 && strncmp(type, "cgroup2", 7) == 0;
        if (!v1 && !v2)
                return 0;
        const char *src = type + type_len + (type[type_len] == ' ');
        const char *opts = strchr(src, ' ');
        opts = opts ? opts + 1 : "";
        _cleanup_free_ char *ctl = strndup(opts, strcspn(opts, " \n"));
        if (!ctl)
                return -ENOMEM;
        /* the super options hold rw/ro and flags besides the controller names: keep names */
        _cleanup_free_ char *names = strdup("");
        if (!names)
                return -ENOMEM;
        for (char *save = NULL, *w = v1 ? strtok_r(ctl, ",", &save) : NULL; w;
             w = strtok_r(NULL, ",", &save)) {
                if (streq(w, "rw") || streq(w, "ro") || streq(w, "noprefix") ||
                    streq(w, "clone_children") || streq(w, "xattr") ||
                    startswith(w, "release_agent=") || streq(w, "cpuset_v2_mode") ||
                    streq(w, "favordynmods") || streq(w, "none"))
                        continue;
                char *more = strprintf("%s%s%s", names, *names ? "," : "", w);
                if (!more)
                        return -ENOMEM;
                free(names);
                names = more;
        }
        *ret = (cg_mount){ .mount_point = strndup(p, mp_len),
                           .controllers = TAKE_PTR(names),
                           .v2 = v2 };
        if (!ret->mount_point) {
                cg_mount_done(ret);
                return -ENOMEM;
        }
        return 1;
}

/* The hierarchies to use: v2: the one mount; v1 and hybrid: every cgroup and cgroup2 mount
 * below /sys/fs/cgroup. */
static int hierarchies(rq_cgroup_mode mode, cg_mount *ret, size_t *ret_n)
{
        size_t n = 0;
        *ret_n = 0;
        if (mode == RQ_CGROUP_V2) {
                ret[0] = (cg_mount){ strdup(CGROUP_ROOT), strdup(""), true };
                *ret_n = 1;
                return ret[0].mount_point && ret[0].controllers ? 0 : -ENOMEM;
        }
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        char line[4096];
        while (fgets(line, sizeof(line), f) && n < RQ_CGROUP_DIRS_MAX) {
                cg_mount m;
                int k = cg_parse_mountinfo_line(line, &m);
                if (k == -ENOMEM)
                        return k;
                if (k <= 0)
                        continue;
                if (!startswith(m.mount_point, CGROUP_ROOT "/")) {
                        cg_mount_done(&m);
                        continue;
                }
                ret[n++] = m;
                *ret_n = n;
        }
        return 0;
}

static void mounts_done(cg_mount *m, size_t n)
{
        for (size_t i = 0; i < n; i++)
                cg_mount_done(&m[i]);
}

/* The host's cgroup mode and its hierarchies (freed by the caller with mounts_done). */
static int mode_and_hierarchies(rq_cgroup_mode *ret_mode, cg_mount *mounts, size_t *ret_n,
                                rq_error **reterr)
{
        int k = rq_cgroup_detect(ret_mode, reterr);
        if (k < 0)
                return k;
        if ((k = hierarchies(*ret_mode, mounts, ret_n)) < 0) {
                mounts_done(mounts, *ret_n);
                return rq_error_set(reterr, k, "list the cgroup hierarchies");
        }
        return 0;
}

/* ---- writers ------------------------------------------------------------------------------ */

int cg_write(const char *dir, const char *file, const char *value, rq_error **reterr)
{
        _cleanup_free_ char *p = strprintf("%s/%s", dir, file);
        if (!p)
                return rq_error_set(reterr, ENOMEM, "cgroup file");
        int k = write_string_file_at(AT_FDCWD, p, value);
        if (k < 0)
                return rq_error_set(reterr, k, "write \"%s\" to %s", value, p);
        return 0;
}

bool cg_has_file(const char *dir, const char *file)
{
        _cleanup_free_ char *p = strprintf("%s/%s", dir, file);
        return p && access(p, F_OK) == 0;
}

int cg_unsupported(const rq_cgroup *cg, rq_error **reterr, const char *field, const char *why)
{
        return rq_error_set_plain(reterr, ENOTSUP, "linux.resources.%s: %s (this host: cgroup %s)",
                                  field, why, rq_cgroup_mode_to_string(cg->mode));
}

int cg_write_field(const rq_cgroup *cg, const char *dir, const char *file, const char *value,
                   const char *field, rq_error **reterr)
{
        if (!cg_has_file(dir, file)) {
                _cleanup_free_ char *why = strprintf("the kernel has no %s here (%s)", file, dir);
                return cg_unsupported(cg, reterr, field, why ? why : file);
        }
        int k = cg_write(dir, file, value, reterr);
        return k < 0 ? rq_error_wrap(reterr, "linux.resources.%s", field) : 0;
}

int cg_write_num(const rq_cgroup *cg, const char *dir, const char *file, int64_t value,
                 bool max_for_negative, const char *field, rq_error **reterr)
{
        char v[32];
        if (value < 0 && max_for_negative)
                strcpy(v, "max");
        else
                snprintf(v, sizeof(v), "%lld", (long long)value);
        return cg_write_field(cg, dir, file, v, field, reterr);
}

const char *cg_v1_dir(const rq_cgroup *cg, const char *controller)
{
        size_t n = strlen(controller);
        for (size_t i = 0; i < cg->n_dirs; i++)
                for (const char *p = cg->controllers[i]; p && *p;) {
                        if (strncmp(p, controller, n) == 0 && (p[n] == 0 || p[n] == ','))
                                return cg->dirs[i] == cg->unified ? NULL : cg->dirs[i];
                        p = strchr(p, ',');
                        p = p ? p + 1 : NULL;
                }
        return NULL;
}

bool cg_v2_has_controller(const char *v2_root, const char *controller)
{
        _cleanup_free_ char *p = strprintf("%s/cgroup.controllers", v2_root), *list = NULL;
        if (!p || read_full_file_at(AT_FDCWD, p, &list, NULL) < 0)
                return false;
        size_t n = strlen(controller);
        for (const char *s = list; (s = strstr(s, controller)); s += n)
                if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\n' || s[n] == 0))
                        return true;
        return false;
}

/* mkdir -p below root; a new v1 cpuset cgroup gets its parent's cpus and mems (v1 starts them
 * empty, and an empty cpuset takes no tasks). */
static int make_dirs(const char *root, bool cpuset, const char *path, rq_error **reterr)
{
        _cleanup_free_ char *full = strprintf("%s%s", root, path);
        if (!full)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        for (char *s = full + strlen(root) + 1;; s++) {
                bool end = *s == 0;
                if (*s != '/' && !end)
                        continue;
                *s = 0;
                int made = mkdir(full, 0755) < 0 ? -errno : 0;
                if (made == 0 && cpuset) {
                        char *parent = strrchr(full, '/');
                        *parent = 0;
                        _cleanup_free_ char *cpus = NULL, *mems = NULL;
                        _cleanup_free_ char *pc = strprintf("%s/cpuset.cpus", full);
                        _cleanup_free_ char *pm = strprintf("%s/cpuset.mems", full);
                        *parent = '/';
                        if (pc && pm && read_full_file_at(AT_FDCWD, pc, &cpus, NULL) == 0 &&
                            read_full_file_at(AT_FDCWD, pm, &mems, NULL) == 0) {
                                int k;
                                if ((k = cg_write(full, "cpuset.cpus", cpus, reterr)) < 0 ||
                                    (k = cg_write(full, "cpuset.mems", mems, reterr)) < 0)
                                        return k;
                        }
                } else if (made < 0 && made != -EEXIST && access(full, F_OK) < 0) {
                        return rq_error_set(reterr, made, "create cgroup %s", full);
                }
                if (end)
                        break;
                *s = '/';
        }
        return 0;
}

bool rq_cgroup_resources_limit(const rq_spec_resources *r)
{
        return r && (r->memory || r->cpu || r->pids || r->block_io || r->n_hugepage_limits ||
                     r->network || r->n_rdma || r->n_unified);
}

int cg_plan(const char *path, const rq_spec_linux *linux_, rq_cgroup *ret, rq_error **reterr)
{
        rq_cgroup cg = { 0 };
        cg_mount mounts[RQ_CGROUP_DIRS_MAX];
        size_t n = 0;
        int k = mode_and_hierarchies(&cg.mode, mounts, &n, reterr);
        if (k < 0)
                return k;
        const rq_spec_resources *res = linux_ ? linux_->resources : NULL;
        /* The cgroup2 mount of a hybrid host holds only what hugepageLimits (where hugetlb is
         * there) and `unified` need. An unprivileged user could rarely use it anyway: moving a
         * process there needs write access to the cgroup.procs of the common ancestor of its
         * old and new cgroups, on the host's side. So for them it is left out unless asked. */
        bool skip_unified = cg.mode == RQ_CGROUP_HYBRID && geteuid() != 0 &&
                            !(res && (res->n_hugepage_limits || res->n_unified));
        cg.path = strdup(path);
        k = cg.path ? 0 : -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (k >= 0 && !(mounts[i].v2 && skip_unified)) {
                        cg.dirs[cg.n_dirs] = strprintf("%s%s", mounts[i].mount_point, path);
                        cg.controllers[cg.n_dirs] = TAKE_PTR(mounts[i].controllers);
                        if (!cg.dirs[cg.n_dirs] || !cg.controllers[cg.n_dirs])
                                k = -ENOMEM;
                        if (mounts[i].v2)
                                cg.unified = cg.dirs[cg.n_dirs];
                        cg.n_dirs++;
                }
                cg_mount_done(&mounts[i]);
        }
        if (k < 0) {
                rq_cgroup_done(&cg);
                return rq_error_set(reterr, k, "cgroup path");
        }
        *ret = cg;
        return 0;
}

/* Make the planned directories (existing ones are fine) and apply linux.resources. */
static int make_and_apply(const rq_cgroup *cg, const rq_spec_linux *linux_, rq_error **reterr)
{
        int k;
        for (size_t i = 0; i < cg->n_dirs; i++) {
                size_t root_len = strlen(cg->dirs[i]) - strlen(cg->path);
                _cleanup_free_ char *root = strndup(cg->dirs[i], root_len);
                bool cpuset = cg->dirs[i] != cg->unified && strstr(cg->controllers[i], "cpuset");
                if (!root)
                        return rq_error_set(reterr, ENOMEM, "cgroup path");
                if ((k = make_dirs(root, cpuset, cg->path, reterr)) < 0)
                        return k;
        }
        const cg_config c = {
                .res = linux_ ? linux_->resources : NULL,
                .devices = linux_ ? linux_->devices : NULL,
                .n_devices = linux_ ? linux_->n_devices : 0,
                .device_rules = geteuid() == 0,
        };
        return cg->mode == RQ_CGROUP_V2 ? cg_v2_apply(cg, &c, reterr) : cg_v1_apply(cg, &c, reterr);
}

int rq_cgroup_create(const char *path, const rq_spec_linux *linux_, rq_cgroup *ret,
                     rq_error **reterr)
{
        rq_cgroup cg = { 0 };
        int k = cg_plan(path, linux_, &cg, reterr);
        if (k < 0)
                return k;
        if ((k = make_and_apply(&cg, linux_, reterr)) < 0) {
                rq_cgroup_mode mode = cg.mode;
                (void)rq_cgroup_remove(path, NULL);
                rq_cgroup_done(&cg);
                return rq_error_wrap(reterr, "cgroup %s (%s)", path,
                                     rq_cgroup_mode_to_string(mode));
        }
        *ret = cg;
        return 0;
}

int rq_cgroup_attach(const rq_cgroup *cg, pid_t pid, rq_error **reterr)
{
        int k;
        /* systemd makes the scope around the init, in the hierarchies it manages; the rest of
         * the directories, and the limits, are ours, before the init runs anything. */
        if (cg->unit && ((k = cg_systemd_start(cg, pid, reterr)) < 0 ||
                         (k = make_and_apply(cg, cg->linux_, reterr)) < 0))
                return rq_error_wrap(reterr, "cgroup %s (%s, systemd scope %s)", cg->path,
                                     rq_cgroup_mode_to_string(cg->mode), cg->unit);
        char v[16];
        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                k = cg_write(cg->dirs[i], "cgroup.procs", v, reterr);
                if (k < 0)
                        return rq_error_wrap(reterr, "move the container init into its cgroup");
        }
        return 0;
}

int cg_for_each_dir(const char *path, bool keep_going,
                    int (*fn)(const char *dir, void *userdata, rq_error **reterr), void *userdata,
                    rq_error **reterr)
{
        rq_cgroup_mode mode;
        cg_mount mounts[RQ_CGROUP_DIRS_MAX];
        size_t n = 0;
        int k = mode_and_hierarchies(&mode, mounts, &n, reterr);
        if (k < 0)
                return k;
        int r = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *d = strprintf("%s%s", mounts[i].mount_point, path);
                if (!d)
                        k = rq_error_set(reterr, ENOMEM, "cgroup path");
                else if (r == 0 || keep_going)
                        k = fn(d, userdata, r == 0 ? reterr : NULL);
                if (k < 0 && r == 0)
                        r = k;
        }
        mounts_done(mounts, n);
        return r;
}

static int enter_one(const char *dir, void *userdata, rq_error **reterr)
{
        /* A hierarchy the container has no cgroup in (a hybrid host's cgroup2 mount, left out
         * for an unprivileged user): nothing to join there. */
        if (access(dir, F_OK) < 0 && errno == ENOENT)
                return 0;
        /* "0": the writing process itself */
        return cg_write(dir, "cgroup.procs", "0", reterr);
}

int rq_cgroup_enter(const char *path, rq_error **reterr)
{
        int k = cg_for_each_dir(path, false, enter_one, NULL, reterr);
        return k < 0 ? rq_error_wrap(reterr, "enter the container's cgroup %s", path) : 0;
}

/* Poll file until it contains want (up to ~2 s). */
static bool wait_contains(const char *file, const char *want)
{
        for (int t = 0; t < 200; t++) {
                _cleanup_free_ char *v = NULL;
                if (read_full_file_at(AT_FDCWD, file, &v, NULL) == 0 && strstr(v, want))
                        return true;
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        return false;
}

int rq_cgroup_freeze(const char *path, bool freeze, rq_error **reterr)
{
        rq_cgroup_mode mode;
        int k = rq_cgroup_detect(&mode, reterr);
        if (k < 0)
                return k;
        _cleanup_free_ char *dir = mode == RQ_CGROUP_V2
                                           ? strprintf("%s%s", CGROUP_ROOT, path)
                                           : strprintf("%s/freezer%s", CGROUP_ROOT, path);
        _cleanup_free_ char *check =
                dir ? strprintf("%s/%s", dir,
                                mode == RQ_CGROUP_V2 ? "cgroup.events" : "freezer.state")
                    : NULL;
        if (!check)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        if (access(dir, F_OK) < 0)
                return rq_error_set(reterr, errno, "%s: the container's %s cgroup", dir,
                                    mode == RQ_CGROUP_V2 ? "" : "freezer");
        const char *value =
                mode == RQ_CGROUP_V2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
        if ((k = cg_write(dir, mode == RQ_CGROUP_V2 ? "cgroup.freeze" : "freezer.state", value,
                          reterr)) < 0)
                return k;
        const char *want = mode == RQ_CGROUP_V2 ? (freeze ? "frozen 1" : "frozen 0") : value;
        if (!wait_contains(check, want))
                return rq_error_set_plain(reterr, ETIMEDOUT, "%s: not %s within 2 s", dir,
                                          freeze ? "frozen" : "thawed");
        return 0;
}

/* rmdir dir and the cgroups the container made below it, deepest first. Processes killed a
 * moment ago may still be leaving: up to ~2 s per directory. */
static int remove_tree(const char *dir, void *userdata, rq_error **reterr)
{
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : rq_error_set(reterr, errno, "open cgroup %s", dir);
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *sub = strprintf("%s/%s", dir, de->d_name);
                int k = sub ? remove_tree(sub, NULL, reterr) : -ENOMEM;
                if (k < 0)
                        return k;
        }
        for (int t = 0; t < 200; t++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return rq_error_set(reterr, errno, "remove cgroup %s", dir);
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        return rq_error_set_plain(reterr, EBUSY, "remove cgroup %s: still in use", dir);
}

int rq_cgroup_remove(const char *path, rq_error **reterr)
{
        rq_cgroup_mode mode;
        if (rq_cgroup_detect(&mode, NULL) < 0)
                return 0; /* no cgroupfs: nothing was made */
        return cg_for_each_dir(path, true, remove_tree, NULL, reterr);
}

int cg_open(const char *path, rq_cgroup *ret, rq_error **reterr)
{
        rq_cgroup cg = { 0 };
        cg_mount mounts[RQ_CGROUP_DIRS_MAX];
        size_t n = 0;
        int k = mode_and_hierarchies(&cg.mode, mounts, &n, reterr);
        if (k < 0)
                return k;
        cg.path = strdup(path);
        for (size_t i = 0; i < n; i++) {
                char *d = strprintf("%s%s", mounts[i].mount_point, path);
                /* a hierarchy the container has no cgroup in (see rq_cgroup_enter) */
                if (d && access(d, F_OK) == 0) {
                        cg.dirs[cg.n_dirs] = d;
                        cg.controllers[cg.n_dirs] = TAKE_PTR(mounts[i].controllers);
                        if (mounts[i].v2)
                                cg.unified = cg.dirs[cg.n_dirs];
                        cg.n_dirs++;
                } else {
                        free(d);
                }
                cg_mount_done(&mounts[i]);
        }
        if (!cg.path || cg.n_dirs == 0) {
                rq_cgroup_done(&cg);
                return rq_error_set_plain(reterr, ENOENT, "the cgroup %s does not exist", path);
        }
        *ret = cg;
        return 0;
}

int rq_cgroup_update(const char *path, const rq_spec_resources *r, rq_error **reterr)
{
        _cleanup_(rq_cgroup_done) rq_cgroup cg = { 0 };
        int k = cg_open(path, &cg, reterr);
        if (k < 0)
                return k;
        const cg_config c = { .res = r };
        k = cg.mode == RQ_CGROUP_V2 ? cg_v2_apply(&cg, &c, reterr) : cg_v1_apply(&cg, &c, reterr);
        return k < 0 ? rq_error_wrap(reterr, "cgroup %s (%s)", path,
                                     rq_cgroup_mode_to_string(cg.mode))
                     : 0;
}

void rq_cgroup_done(rq_cgroup *cg)
{
        free(cg->path);
        free(cg->unit);
        free(cg->slice);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                free(cg->dirs[i]);
                free(cg->controllers[i]);
        }
        *cg = (rq_cgroup){ 0 };
}

int rq_cgroup_open(const char *path, rq_cgroup *ret, rq_error **reterr)
{
        return cg_open(path, ret, reterr);
}
