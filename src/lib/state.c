/* Container state directories and state.json. */
#include "lib/state.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

#define STATE_FILE "state.json"
#define STATE_TMP "state.json.tmp"

static const char *const status_names[_RQ_STATUS_MAX] = {
        [RQ_STATUS_CREATING] = "creating", [RQ_STATUS_CREATED] = "created",
        [RQ_STATUS_RUNNING] = "running",   [RQ_STATUS_STOPPED] = "stopped",
        [RQ_STATUS_PAUSED] = "paused",
};

const char *rq_status_to_string(rq_status s)
{
        return s >= 0 && s < _RQ_STATUS_MAX ? status_names[s] : NULL;
}

rq_status rq_status_from_string(const char *s)
{
        for (int i = 0; i < _RQ_STATUS_MAX; i++)
                if (streq(s, status_names[i]))
                        return (rq_status)i;
        return _RQ_STATUS_INVALID;
}

bool rq_container_id_valid(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 1024 || streq(id, ".") || streq(id, ".."))
                return false;
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_+-.", *p))
                        return false;
        return true;
}

/* Are we root of the initial user namespace (uid_map "0 0 4294967295")? */
static bool initial_userns(void)
{
        _cleanup_free_ char *m = NULL;
        unsigned long inner, outer, count;
        return read_full_file_at(AT_FDCWD, "/proc/self/uid_map", &m, NULL) == 0 &&
               sscanf(m, "%lu %lu %lu", &inner, &outer, &count) == 3 && inner == 0 && outer == 0 &&
               count == UINT32_MAX;
}

/* $XDG_RUNTIME_DIR must be a private directory of the caller: a state root elsewhere (a name
 * in /tmp, say) could be made in advance by another user. */
static int xdg_usable(const char *xdg, rq_error **reterr)
{
        struct stat st;
        if (!xdg || !*xdg)
                rq_error_set_plain(reterr, ENOENT,
                                   "no state root: XDG_RUNTIME_DIR is not set (running as uid %u)",
                                   (unsigned)geteuid());
        else if (xdg[0] != '/' || stat(xdg, &st) < 0 || !S_ISDIR(st.st_mode) ||
                 st.st_uid != geteuid() || access(xdg, W_OK | X_OK) < 0)
                rq_error_set_plain(reterr, EACCES,
                                   "no state root: XDG_RUNTIME_DIR=%s is not an absolute path of a "
                                   "directory that uid %u owns and can write",
                                   xdg, (unsigned)geteuid());
        else
                return 0;
        return rq_error_hint(reterr, "give --root DIR (a directory of yours) or set "
                                     "XDG_RUNTIME_DIR to your private runtime directory");
}

/* As runc: root of the host uses /run; anyone else (root of a user namespace too, unless
 * USER=root) uses $XDG_RUNTIME_DIR. */
int rq_state_root_default(char **ret, rq_error **reterr)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        const char *user = getenv("USER");
        bool use_xdg = geteuid() != 0 ||
                       (xdg && *xdg && !initial_userns() && !(user && streq(user, "root")));
        int k;
        if (use_xdg && (k = xdg_usable(xdg, reterr)) < 0)
                return k;
        char *s = use_xdg ? strprintf("%s/rongqi-runtime", xdg) : strdup("/run/rongqi-runtime");
        if (!s)
                return rq_error_set(reterr, ENOMEM, "state root");
        *ret = s;
        return 0;
}

int rq_state_root_open(const char *path, bool create, rq_error **reterr)
{
        if (create) {
                /* Parents with the usual mode, the root itself private. */
                _cleanup_free_ char *p = strdup(path);
                if (!p)
                        return rq_error_set(reterr, ENOMEM, "state root %s", path);
                for (char *s = p + 1; *s; s++) {
                        if (*s != '/')
                                continue;
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return rq_error_set(reterr, errno, "create %s", p);
                        *s = '/';
                }
                if (mkdir(path, 0700) < 0 && errno != EEXIST)
                        return rq_error_set(reterr, errno, "create state root %s", path);
        }
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open state root %s", path);
        return fd;
}

int rq_state_dir_create(int root_fd, const char *id, rq_error **reterr)
{
        if (!rq_container_id_valid(id))
                return rq_error_invalid(reterr,
                                        "invalid container id \"%s\": use letters, digits and "
                                        "_ + - . (not . or ..), at most 1024 bytes",
                                        id);
        if (mkdirat(root_fd, id, 0700) < 0) {
                if (errno == EEXIST)
                        return rq_error_invalid(reterr, "container with id %s already exists", id);
                return rq_error_set(reterr, errno, "create state directory for %s", id);
        }
        int fd = openat(root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open state directory of %s", id);
        return fd;
}

int rq_state_dir_open(int root_fd, const char *id, rq_error **reterr)
{
        if (!rq_container_id_valid(id))
                return rq_error_invalid(reterr, "container does not exist: invalid id \"%s\"", id);
        int fd = openat(root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return rq_error_set_plain(reterr, ENOENT, "container does not exist: %s", id);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open state directory of %s", id);
        return fd;
}

int rq_state_lock(int dir_fd, bool exclusive, bool wait)
{
        int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
        if (RETRY_EINTR(flock(dir_fd, op)) < 0)
                return negative_errno();
        return 0;
}

int rq_state_dir_remove(int root_fd, const char *id, rq_error **reterr)
{
        if (!rq_container_id_valid(id))
                return rq_error_invalid(reterr, "invalid container id \"%s\"", id);
        _cleanup_close_ int fd =
                openat(root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT
                               ? 0
                               : rq_error_set(reterr, errno, "open state directory of %s", id);
        DIR *d = fdopendir(fd);
        if (!d)
                return rq_error_set(reterr, errno, "read state directory of %s", id);
        fd = -EBADF; /* owned by d now */
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = rq_error_set(reterr, errno, "remove %s/%s", id, de->d_name);
        }
        closedir(d);
        if (r < 0)
                return r;
        if (unlinkat(root_fd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return rq_error_set(reterr, errno, "remove state directory of %s", id);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int rq_state_list(int root_fd, char ***ret, rq_error **reterr)
{
        int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open state root");
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return rq_error_set(reterr, errno, "read state root");
        }
        size_t n = 0, alloc = 8;
        char **l = calloc(alloc, sizeof(char *));
        int r = l ? 0 : -ENOMEM;
        for (struct dirent *de; r == 0 && (de = readdir(d));) {
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                if (!rq_container_id_valid(de->d_name))
                        continue;
                if (n + 2 > alloc) {
                        char **nl = realloc(l, alloc * 2 * sizeof(char *));
                        if (!nl) {
                                r = -ENOMEM;
                                break;
                        }
                        l = nl;
                        alloc *= 2;
                }
                if (!(l[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                l[++n] = NULL;
        }
        closedir(d);
        if (r < 0) {
                strv_free(l);
                return rq_error_set(reterr, r, "list containers");
        }
        qsort(l, n, sizeof(char *), cmp_str);
        *ret = l;
        return 0;
}

static void format_time(int64_t ns, char *buf, size_t size)
{
        time_t sec = (time_t)(ns / 1000000000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%09lldZ", (long long)(ns % 1000000000));
}

/* The document stored on disk: the OCI state plus what the runtime needs back. */
static json_t *state_to_json_object(const rq_state *s, rq_status status)
{
        char created[64];
        format_time(s->created, created, sizeof(created));
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "ociVersion",
                              s->oci_version ? s->oci_version : "1.0.0", "id", s->id, "status",
                              rq_status_to_string(status), "pid", (json_int_t)s->pid, "bundle",
                              s->bundle ? s->bundle : "", "rootfs", s->rootfs ? s->rootfs : "",
                              "created", created, "owner_uid", (json_int_t)s->owner);
        if (!o)
                return NULL;
        /* runc prints the owner's name, "" for root. */
        if (json_object_set_new(o, "owner", json_string("")) < 0 ||
            (s->annotations && json_object_set(o, "annotations", s->annotations) < 0)) {
                json_decref(o);
                return NULL;
        }
        return o;
}

char *rq_state_to_json(const rq_state *s, rq_status status)
{
        json_t *o = state_to_json_object(s, status);
        if (!o)
                return NULL;
        json_object_del(o, "owner_uid");
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(o);
        return text;
}

int rq_state_write(int dir_fd, const rq_state *s, rq_error **reterr)
{
        json_t *o = state_to_json_object(s, s->status);
        if (!o)
                return rq_error_set(reterr, ENOMEM, "encode state of %s", s->id);
        if (json_object_set_new(o, "created_ns", json_integer(s->created)) < 0 ||
            json_object_set_new(o, "pid_start", json_integer((json_int_t)s->pid_start)) < 0 ||
            (s->cgroup_path &&
             json_object_set_new(o, "cgroup_path", json_string(s->cgroup_path)) < 0) ||
            (s->systemd_unit &&
             (json_object_set_new(o, "systemd_unit", json_string(s->systemd_unit)) < 0 ||
              json_object_set_new(o, "systemd_user", json_boolean(s->systemd_user)) < 0))) {
                json_decref(o);
                return rq_error_set(reterr, ENOMEM, "encode state of %s", s->id);
        }
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!text)
                return rq_error_set(reterr, ENOMEM, "encode state of %s", s->id);

        /* Write a temporary file and rename it over state.json: a reader or a runtime killed
         * midway sees the old state or the new one, never half of one. No fsync: runtime state
         * describes processes of this boot only, so surviving a power loss is worthless, while
         * two fsyncs per `run` cost milliseconds where /run is not a tmpfs. */
        int r = 0;
        int fd = openat(dir_fd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                        0600);
        if (fd < 0)
                r = rq_error_set(reterr, errno, "write state of %s", s->id);
        else if ((r = write_all(fd, text, strlen(text))) < 0)
                r = rq_error_set(reterr, r, "write state of %s", s->id);
        free(text);
        if (fd >= 0)
                close(fd);
        if (r == 0 && renameat(dir_fd, STATE_TMP, dir_fd, STATE_FILE) < 0)
                r = rq_error_set(reterr, errno, "replace state of %s", s->id);
        if (r < 0)
                (void)unlinkat(dir_fd, STATE_TMP, 0);
        return r;
}

void rq_state_done(rq_state *s)
{
        free(s->id);
        free(s->oci_version);
        free(s->bundle);
        free(s->rootfs);
        free(s->cgroup_path);
        free(s->systemd_unit);
        json_decref(s->annotations);
        *s = (rq_state){ 0 };
}

static char *dup_member(json_t *o, const char *key)
{
        const char *v = json_string_value(json_object_get(o, key));
        return v ? strdup(v) : NULL;
}

int rq_state_read(int dir_fd, rq_state *ret, rq_error **reterr)
{
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(dir_fd, STATE_FILE, &text, NULL);
        if (r == -ENOENT)
                return rq_error_set_plain(reterr, ENOENT,
                                          "container state is missing (%s): it is being created "
                                          "or was not cleaned up",
                                          STATE_FILE);
        if (r < 0)
                return rq_error_set(reterr, r, "read %s", STATE_FILE);
        json_error_t jerr;
        json_t *o = json_loads(text, 0, &jerr);
        if (!o || !json_is_object(o)) {
                json_decref(o);
                return rq_error_invalid(reterr, "%s is corrupt: %s", STATE_FILE,
                                        o ? "not an object" : jerr.text);
        }
        rq_state s = { 0 };
        s.id = dup_member(o, "id");
        s.oci_version = dup_member(o, "ociVersion");
        s.bundle = dup_member(o, "bundle");
        s.rootfs = dup_member(o, "rootfs");
        s.cgroup_path = dup_member(o, "cgroup_path");
        s.systemd_unit = dup_member(o, "systemd_unit");
        s.systemd_user = json_is_true(json_object_get(o, "systemd_user"));
        const char *st = json_string_value(json_object_get(o, "status"));
        s.status = st ? rq_status_from_string(st) : _RQ_STATUS_INVALID;
        s.pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
        s.pid_start = (uint64_t)json_integer_value(json_object_get(o, "pid_start"));
        s.created = json_integer_value(json_object_get(o, "created_ns"));
        s.owner = (uid_t)json_integer_value(json_object_get(o, "owner_uid"));
        json_t *a = json_object_get(o, "annotations");
        s.annotations = json_is_object(a) ? json_incref(a) : NULL;
        json_decref(o);
        if (!s.id || s.status < 0 || s.pid < 0) {
                rq_state_done(&s);
                return rq_error_invalid(reterr, "%s is corrupt: id, status or pid missing",
                                        STATE_FILE);
        }
        *ret = s;
        return 0;
}

int rq_proc_start_time(pid_t pid, uint64_t *ret_start, bool *ret_zombie)
{
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, p, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        /* comm may hold spaces and parentheses: fields start after the last ')'. */
        char *rp = strrchr(text, ')');
        if (!rp || rp[1] != ' ')
                return -EINVAL;
        char state = rp[2];
        char *f = rp + 2;
        /* field 3 is the state; field 22 the start time: skip 19 more spaces. */
        for (int i = 3; i < 22; i++) {
                f = strchr(f, ' ');
                if (!f)
                        return -EINVAL;
                f++;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(f, &end, 10);
        if (errno || (*end != ' ' && *end != '\n' && *end))
                return -EINVAL;
        if (ret_start)
                *ret_start = v;
        if (ret_zombie)
                *ret_zombie = state == 'Z' || state == 'X';
        return 0;
}

bool rq_state_pid_alive(const rq_state *s)
{
        uint64_t start;
        bool zombie;
        if (s->pid <= 0 || rq_proc_start_time(s->pid, &start, &zombie) < 0)
                return false;
        return !zombie && start == s->pid_start;
}

rq_status rq_state_live_status(const rq_state *s)
{
        if (s->status == RQ_STATUS_CREATING && s->pid <= 0)
                return RQ_STATUS_CREATING;
        return rq_state_pid_alive(s) ? s->status : RQ_STATUS_STOPPED;
}
