/* Id maps: building, formatting, /etc/subuid parsing and writing to procfs or newuidmap. */
#include "lib/idmap.h"

#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"

static const char *const kind_name[_RQ_IDMAP_KIND_MAX] = { "uid", "gid" };
static const char *const kind_helper[_RQ_IDMAP_KIND_MAX] = { "newuidmap", "newgidmap" };

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
        return a < b + blen && b < a + alen;
}

int rq_idmap_add(rq_idmap *m, uint32_t inner, uint32_t outer, uint32_t count)
{
        if (count == 0 || (uint64_t)inner + count > (1ull << 32) ||
            (uint64_t)outer + count > (1ull << 32))
                return -EINVAL;
        for (size_t i = 0; i < m->n; i++)
                if (overlaps(inner, count, m->range[i].inner, m->range[i].count) ||
                    overlaps(outer, count, m->range[i].outer, m->range[i].count))
                        return -EEXIST;
        if (m->n >= RQ_IDMAP_MAX)
                return -E2BIG;
        m->range[m->n++] = (rq_idmap_range){ inner, outer, count };
        return 0;
}

/* Length of the run starting at id that stays clear of every range in m (on one side). */
static uint64_t clear_run(const rq_idmap *m, uint64_t id, bool inner, bool *ret_taken)
{
        uint64_t run = UINT64_MAX;
        *ret_taken = false;
        for (size_t i = 0; i < m->n; i++) {
                uint64_t s = inner ? m->range[i].inner : m->range[i].outer;
                uint64_t e = s + m->range[i].count;
                if (id >= s && id < e) {
                        *ret_taken = true;
                        return e - id; /* how far to skip */
                }
                if (s > id && s - id < run)
                        run = s - id;
        }
        return run;
}

int rq_idmap_add_skipping(rq_idmap *m, uint32_t inner, uint32_t outer, uint32_t count)
{
        /* The inner span stays [inner, inner + count): ids in it that are already mapped are
         * left out, and the outer ids follow on consecutively, stepping over outer ids already
         * mapped. This is what util-linux does for --map-root-user with --map-auto. */
        uint64_t i = inner, end = (uint64_t)inner + count, o = outer;
        if (count == 0 || end > (1ull << 32))
                return -EINVAL;
        while (i < end) {
                bool taken;
                uint64_t ri = clear_run(m, i, true, &taken);
                if (taken) {
                        i += ri;
                        continue;
                }
                uint64_t ro = clear_run(m, o, false, &taken);
                if (taken) {
                        o += ro;
                        continue;
                }
                uint64_t len = end - i;
                if (ri < len)
                        len = ri;
                if (ro < len)
                        len = ro;
                if (o + len > (1ull << 32))
                        return -ERANGE;
                int r = rq_idmap_add(m, (uint32_t)i, (uint32_t)o, (uint32_t)len);
                if (r < 0)
                        return r;
                i += len;
                o += len;
        }
        return 0;
}

char *rq_idmap_format(const rq_idmap *m)
{
        size_t size = m->n * 36 + 1;
        char *s = malloc(size), *p = s;
        if (!s)
                return NULL;
        *p = 0;
        for (size_t i = 0; i < m->n; i++)
                p += snprintf(p, size - (size_t)(p - s), "%u %u %u\n", m->range[i].inner,
                              m->range[i].outer, m->range[i].count);
        return s;
}

int rq_idmap_to_outer(const rq_idmap *m, uint32_t inner, uint32_t *ret)
{
        for (size_t i = 0; i < m->n; i++)
                if (inner >= m->range[i].inner &&
                    (uint64_t)inner < (uint64_t)m->range[i].inner + m->range[i].count) {
                        *ret = m->range[i].outer + (inner - m->range[i].inner);
                        return 0;
                }
        return -ENOENT;
}

int rq_idmap_parse_range(const char *s, rq_idmap_range *ret)
{
        if (streq(s, "auto")) {
                *ret = (rq_idmap_range){ RQ_ID_AUTO, RQ_ID_AUTO, 0 };
                return 0;
        }
        char sep = strchr(s, ':') ? ':' : ',';
        char buf[96];
        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        char *f[3], *save = NULL, *tok = buf;
        char d[2] = { sep, 0 };
        for (int i = 0; i < 3; i++) {
                f[i] = strtok_r(tok, d, &save);
                tok = NULL;
                if (!f[i])
                        return -EINVAL;
        }
        if (strtok_r(NULL, d, &save))
                return -EINVAL;
        uint32_t a, b, c;
        if (parse_uint32(f[0], &a) < 0 || parse_uint32(f[1], &b) < 0 || parse_uint32(f[2], &c) < 0)
                return -EINVAL;
        if (c == 0)
                return -ERANGE;
        if (sep == ',')
                *ret = (rq_idmap_range){ .outer = a, .inner = b, .count = c };
        else
                *ret = (rq_idmap_range){ .inner = a, .outer = b, .count = c };
        return 0;
}

int rq_subid_find(const char *content, const char *name, uint32_t id, uint32_t *ret_start,
                  uint32_t *ret_count)
{
        char idstr[16];
        snprintf(idstr, sizeof(idstr), "%u", id);
        const char *line = content;
        while (line && *line) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                char buf[512];
                if (len < sizeof(buf) && line[0] != '#') {
                        memcpy(buf, line, len);
                        buf[len] = 0;
                        char *c1 = strchr(buf, ':');
                        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                        if (c1 && c2) {
                                *c1 = *c2 = 0;
                                if ((name && streq(buf, name)) || streq(buf, idstr)) {
                                        uint32_t start, count;
                                        strip_trailing(c2 + 1);
                                        if (parse_uint32(c1 + 1, &start) < 0 ||
                                            parse_uint32(c2 + 1, &count) < 0 || count == 0)
                                                return -EINVAL;
                                        *ret_start = start;
                                        *ret_count = count;
                                        return 0;
                                }
                        }
                }
                line = end ? end + 1 : NULL;
        }
        return -ENOENT;
}

int rq_subid_lookup(const char *path, const char *name, uint32_t id, uint32_t *ret_start,
                    uint32_t *ret_count, rq_error **reterr)
{
        const char *who = name ? name : "";
        char idbuf[16];
        if (!name) {
                snprintf(idbuf, sizeof(idbuf), "%u", id);
                who = idbuf;
        }
        bool is_uid = strstr(path, "subuid") != NULL;
        _cleanup_free_ char *content = NULL;
        int r = read_full_file_at(AT_FDCWD, path, &content, NULL);
        if (r == -ENOENT) {
                rq_error_set(reterr, ENOENT, "read %s", path);
                return rq_error_hint(reterr,
                                     "create it with a line for %s, e.g. '%s:100000:65536' "
                                     "(or run: usermod --add-sub%cids 100000-165535 %s)",
                                     who, who, is_uid ? 'u' : 'g', who);
        }
        if (r < 0)
                return rq_error_set(reterr, r, "read %s", path);
        r = rq_subid_find(content, name, id, ret_start, ret_count);
        if (r == -ENOENT) {
                rq_error_set(reterr, ENOENT, "%s has no line for %s", path, who);
                return rq_error_hint(reterr,
                                     "add a line '%s:100000:65536' to %s (or run: usermod "
                                     "--add-sub%cids 100000-165535 %s)",
                                     who, path, is_uid ? 'u' : 'g', who);
        }
        if (r < 0)
                return rq_error_set(reterr, r, "%s: malformed line for %s (want NAME:START:COUNT)",
                                    path, who);
        return 0;
}

int rq_parse_uid(const char *s, uid_t *ret)
{
        uint32_t v;
        if (parse_uint32(s, &v) == 0) {
                if (v == UINT32_MAX)
                        return -ERANGE;
                *ret = v;
                return 0;
        }
        struct passwd *pw = getpwnam(s);
        if (!pw)
                return -ESRCH;
        *ret = pw->pw_uid;
        return 0;
}

int rq_parse_gid(const char *s, gid_t *ret)
{
        uint32_t v;
        if (parse_uint32(s, &v) == 0) {
                if (v == UINT32_MAX)
                        return -ERANGE;
                *ret = v;
                return 0;
        }
        struct group *gr = getgrnam(s);
        if (!gr)
                return -ESRCH;
        *ret = gr->gr_gid;
        return 0;
}

static void proc_path(char *buf, size_t size, pid_t pid, const char *file)
{
        if (pid > 0)
                snprintf(buf, size, "/proc/%d/%s", (int)pid, file);
        else
                snprintf(buf, size, "/proc/self/%s", file);
}

int rq_setgroups_write(pid_t pid, const char *value, rq_error **reterr)
{
        char p[64];
        proc_path(p, sizeof(p), pid, "setgroups");
        int r = write_string_file_at(AT_FDCWD, p, value);
        if (r == -ENOENT)
                return 0; /* kernels before 3.19 have no setgroups file */
        if (r < 0) {
                rq_error_set(reterr, r, "write \"%s\" to %s", value, p);
                if (r == -EPERM && streq(value, "allow"))
                        rq_error_hint(reterr, "setgroups cannot be allowed once the gid map is "
                                              "written or when an ancestor namespace denies it");
                return r;
        }
        return 0;
}

static int run_helper(pid_t pid, rq_idmap_kind kind, const rq_idmap *m, rq_error **reterr)
{
        const char *helper = kind_helper[kind];
        char *argv[3 + 3 * RQ_IDMAP_MAX + 1];
        char nums[1 + 3 * RQ_IDMAP_MAX][16];
        size_t a = 0, k = 0;
        argv[a++] = (char *)helper;
        snprintf(nums[k], sizeof(nums[k]), "%d", (int)(pid > 0 ? pid : getpid()));
        argv[a++] = nums[k++];
        for (size_t i = 0; i < m->n; i++) {
                snprintf(nums[k], 16, "%u", m->range[i].inner);
                argv[a++] = nums[k++];
                snprintf(nums[k], 16, "%u", m->range[i].outer);
                argv[a++] = nums[k++];
                snprintf(nums[k], 16, "%u", m->range[i].count);
                argv[a++] = nums[k++];
        }
        argv[a] = NULL;

        pid_t child = fork();
        if (child < 0)
                return rq_error_set(reterr, errno, "fork for %s", helper);
        if (child == 0) {
                execvp(helper, argv);
                _exit(errno == ENOENT ? 127 : 126);
        }
        int status;
        if (RETRY_EINTR(waitpid(child, &status, 0)) < 0)
                return rq_error_set(reterr, errno, "wait for %s", helper);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        _cleanup_free_ char *fmt = rq_idmap_format(m);
        if (fmt)
                for (char *p = fmt; *p; p++)
                        if (*p == '\n')
                                *p = p[1] ? ',' : 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                rq_error_set(reterr, ENOENT, "%s map of process %d: %s not found", kind_name[kind],
                             (int)(pid > 0 ? pid : getpid()), helper);
                return rq_error_hint(reterr,
                                     "mapping more than your own id needs the setuid helper "
                                     "%s: apt-get install uidmap",
                                     helper);
        }
        rq_error_set(reterr, EPERM, "%s %d %s failed (%s %d)", helper,
                     (int)(pid > 0 ? pid : getpid()), fmt ? fmt : "",
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return rq_error_hint(reterr, "the ranges must be yours in /etc/sub%cid",
                             kind == RQ_IDMAP_UID ? 'u' : 'g');
}

bool rq_idmap_needs_helper(rq_idmap_kind kind, const rq_idmap *m)
{
        uint32_t self = kind == RQ_IDMAP_UID ? geteuid() : getegid();
        bool own_only = m->n == 1 && m->range[0].count == 1 && m->range[0].outer == self;
        return !own_only && geteuid() != 0;
}

int rq_idmap_write(pid_t pid, rq_idmap_kind kind, const rq_idmap *m, bool use_helper,
                   rq_error **reterr)
{
        if (m->n == 0)
                return 0;
        if (use_helper)
                return run_helper(pid, kind, m, reterr);

        char p[64];
        proc_path(p, sizeof(p), pid, kind == RQ_IDMAP_UID ? "uid_map" : "gid_map");
        _cleanup_free_ char *s = rq_idmap_format(m);
        if (!s)
                return rq_error_set(reterr, ENOMEM, "format %s map", kind_name[kind]);
        int r = write_string_file_at(AT_FDCWD, p, s);
        if (r < 0) {
                strip_trailing(s);
                for (char *q = s; *q; q++)
                        if (*q == '\n')
                                *q = ',';
                rq_error_set(reterr, r, "write \"%s\" to %s", s, p);
                if (r == -EPERM && kind == RQ_IDMAP_GID && geteuid() != 0)
                        rq_error_hint(reterr, "an unprivileged gid map needs \"deny\" in "
                                              "setgroups first (--setgroups deny)");
                else if (r == -EPERM)
                        rq_error_hint(reterr,
                                      "a map can be written only once, and only ids the "
                                      "writer owns unless it has CAP_SET%cID in the parent "
                                      "user namespace",
                                      kind == RQ_IDMAP_UID ? 'U' : 'G');
                return r;
        }
        return 0;
}
