/* The namespace listing and the per-process report behind `rongqi ns`. The scan stats
 * /proc/PID/ns/TYPE through one O_PATH dirfd per process (the way lsns does it, a handful of
 * syscalls per process) and reads a command line only for the lowest PID of each namespace. */
#include "lib/nslist.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"

#ifndef PF_KTHREAD
#define PF_KTHREAD 0x00200000UL /* include/linux/sched.h */
#endif

/* Make room for need elements; NULL (and p untouched) on failure. */
static void *grow(void *p, size_t *alloc, size_t need, size_t size)
{
        if (need <= *alloc)
                return p;
        size_t n = *alloc ? *alloc : 64;
        while (n < need)
                n *= 2;
        void *q = reallocarray(p, n, size);
        if (q)
                *alloc = n;
        return q;
}

/* Append s to a NULL-terminated list unless it is there already. */
static int strv_push_unique(char ***l, const char *s)
{
        size_t n = 0;
        if (*l)
                for (; (*l)[n]; n++)
                        if (streq((*l)[n], s))
                                return 0;
        char **nl = reallocarray(*l, n + 2, sizeof(char *));
        if (!nl)
                return -ENOMEM;
        *l = nl;
        nl[n] = strdup(s);
        if (!nl[n])
                return -ENOMEM;
        nl[n + 1] = NULL;
        return 0;
}

static void entries_free(rq_nslist *l)
{
        for (size_t i = 0; i < l->n_entries; i++) {
                free(l->entries[i].command);
                strv_free(l->entries[i].nsfs);
        }
        free(l->entries);
        l->entries = NULL;
        l->n_entries = 0;
}

void rq_nslist_done(rq_nslist *l)
{
        entries_free(l);
        for (size_t i = 0; i < l->n_mounts; i++)
                free(l->mounts[i].path);
        free(l->mounts);
        free(l->records);
        *l = (rq_nslist){ 0 };
}

int rq_nslist_add_record(rq_nslist *l, rq_ns_type type, uint64_t inode, pid_t pid, uid_t uid)
{
        rq_nslist_record *r =
                grow(l->records, &l->alloc_records, l->n_records + 1, sizeof(*l->records));
        if (!r)
                return -ENOMEM;
        l->records = r;
        l->records[l->n_records++] = (rq_nslist_record){ inode, type, pid, uid };
        return 0;
}

/* A process that exited, became a zombie or belongs to someone we may not inspect. */
static bool skippable_errno(int err)
{
        return err == ENOENT || err == ESRCH || err == EACCES || err == EPERM;
}

int rq_nslist_scan_procs(rq_nslist *l, int proc_fd, unsigned mask, rq_error **reterr)
{
        int dfd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return rq_error_set(reterr, errno, "open /proc");
        _cleanup_(closedirp) DIR *d = fdopendir(dfd);
        if (!d) {
                int err = errno;
                safe_close(dfd);
                return rq_error_set(reterr, err, "read /proc");
        }
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return rq_error_set(reterr, errno, "read /proc");
                        return 0;
                }
                pid_t pid;
                if (!isdigit((unsigned char)de->d_name[0]) || parse_pid(de->d_name, &pid) < 0)
                        continue;
                _cleanup_close_ int pfd =
                        openat(proc_fd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (pfd < 0) {
                        if (skippable_errno(errno))
                                continue;
                        return rq_error_set(reterr, errno, "open /proc/%s", de->d_name);
                }
                struct stat st;
                if (fstat(pfd, &st) < 0)
                        continue;
                for (int t = 0; t < _RQ_NS_TYPE_MAX; t++) {
                        if (!(mask & RQ_NS_MASK(t)))
                                continue;
                        char p[32];
                        snprintf(p, sizeof(p), "ns/%s", rq_ns_info_get((rq_ns_type)t)->name);
                        struct stat ns;
                        if (fstatat(pfd, p, &ns, 0) < 0) {
                                if (skippable_errno(errno))
                                        continue;
                                return rq_error_set(reterr, errno, "stat /proc/%d/%s", (int)pid, p);
                        }
                        int r = rq_nslist_add_record(l, (rq_ns_type)t, (uint64_t)ns.st_ino, pid,
                                                     st.st_uid);
                        if (r < 0)
                                return rq_error_set(reterr, r, "list namespaces");
                }
        }
}

int rq_nsfs_name_parse(const char *s, rq_ns_type *ret_type, uint64_t *ret_inode)
{
        const char *colon = strchr(s, ':');
        if (!colon || colon == s || colon - s >= 16 || colon[1] != '[')
                return -EINVAL;
        char name[16];
        memcpy(name, s, (size_t)(colon - s));
        name[colon - s] = 0;
        rq_ns_type type = rq_ns_type_from_name(name);
        if (type < 0 || !streq(name, rq_ns_info_get(type)->name))
                return -EINVAL;
        const char *p = colon + 2;
        uint64_t v = 0;
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                unsigned d = (unsigned)(*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (p[0] != ']' || p[1] != 0)
                return -EINVAL;
        *ret_type = type;
        *ret_inode = v;
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
        char *w = s;
        for (const char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = 0;
}

int rq_mountinfo_parse_nsfs(const char *line, rq_ns_type *ret_type, uint64_t *ret_inode,
                            char **ret_path)
{
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
        _cleanup_free_ char *copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        char *save = NULL, *field[6];
        size_t n = 0;
        char *tok = strtok_r(copy, " \t\n", &save);
        for (; tok && n < ELEMENTSOF(field); tok = strtok_r(NULL, " \t\n", &save))
                field[n++] = tok;
        if (n < ELEMENTSOF(field))
                return -EINVAL;
        while (tok && !streq(tok, "-"))
                tok = strtok_r(NULL, " \t\n", &save);
        const char *fstype = tok ? strtok_r(NULL, " \t\n", &save) : NULL;
        if (!fstype)
                return -EINVAL;
        if (!streq(fstype, "nsfs"))
                return 0;
        rq_ns_type type;
        uint64_t inode;
        if (rq_nsfs_name_parse(field[3], &type, &inode) < 0)
                return -EINVAL;
        char *path = strdup(field[4]);
        if (!path)
                return -ENOMEM;
        unescape_octal(path);
        *ret_type = type;
        *ret_inode = inode;
        *ret_path = path;
        return 1;
}

int rq_nslist_add_mountinfo(rq_nslist *l, const char *text, unsigned mask)
{
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                _cleanup_free_ char *line = strndup(p, len);
                if (!line)
                        return -ENOMEM;
                p += len + (nl ? 1 : 0);

                rq_ns_type type;
                uint64_t inode;
                char *path = NULL;
                int r = rq_mountinfo_parse_nsfs(line, &type, &inode, &path);
                if (r == -ENOMEM)
                        return r;
                if (r <= 0)
                        continue;
                if (!(mask & RQ_NS_MASK(type))) {
                        free(path);
                        continue;
                }
                rq_nslist_mount *m =
                        grow(l->mounts, &l->alloc_mounts, l->n_mounts + 1, sizeof(*l->mounts));
                if (!m) {
                        free(path);
                        return -ENOMEM;
                }
                l->mounts = m;
                l->mounts[l->n_mounts++] = (rq_nslist_mount){ inode, type, path };
        }
        return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
        return (a > b) - (a < b);
}

static int record_cmp(const void *a, const void *b)
{
        const rq_nslist_record *x = a, *y = b;
        int c = cmp_u64(x->inode, y->inode);
        if (c == 0)
                c = (x->type > y->type) - (x->type < y->type);
        if (c == 0)
                c = (x->pid > y->pid) - (x->pid < y->pid);
        return c;
}

static int entry_cmp(const void *a, const void *b)
{
        const rq_nslist_entry *x = a, *y = b;
        int c = cmp_u64(x->inode, y->inode);
        return c ? c : (x->type > y->type) - (x->type < y->type);
}

int rq_nslist_aggregate(rq_nslist *l)
{
        entries_free(l);
        if (l->n_records > 0)
                qsort(l->records, l->n_records, sizeof(*l->records), record_cmp);
        size_t max = l->n_records + l->n_mounts;
        l->entries = calloc(max ? max : 1, sizeof(*l->entries));
        if (!l->entries)
                return -ENOMEM;

        for (size_t i = 0; i < l->n_records; i++) {
                const rq_nslist_record *r = &l->records[i];
                rq_nslist_entry *e = l->n_entries ? &l->entries[l->n_entries - 1] : NULL;
                if (e && e->inode == r->inode && e->type == r->type) {
                        /* The same process listed twice (a /proc read twice) counts once. */
                        if (l->records[i - 1].pid != r->pid)
                                e->nprocs++;
                        continue;
                }
                /* Records are sorted by PID within a namespace: the first is the lowest. */
                l->entries[l->n_entries++] = (rq_nslist_entry){
                        .inode = r->inode,
                        .type = r->type,
                        .nprocs = 1,
                        .pid = r->pid,
                        .uid = r->uid,
                        .first_record = i,
                };
        }

        size_t n_with_procs = l->n_entries;
        for (size_t i = 0; i < l->n_mounts; i++) {
                const rq_nslist_mount *m = &l->mounts[i];
                rq_nslist_entry key = { .inode = m->inode, .type = m->type };
                rq_nslist_entry *e = n_with_procs ? bsearch(&key, l->entries, n_with_procs,
                                                            sizeof(*l->entries), entry_cmp)
                                                  : NULL;
                for (size_t j = n_with_procs; !e && j < l->n_entries; j++)
                        if (entry_cmp(&key, &l->entries[j]) == 0)
                                e = &l->entries[j];
                if (!e) {
                        e = &l->entries[l->n_entries++];
                        *e = key;
                        e->first_record = l->n_records;
                }
                if (strv_push_unique(&e->nsfs, m->path) < 0)
                        return -ENOMEM;
        }
        if (l->n_entries > 0)
                qsort(l->entries, l->n_entries, sizeof(*l->entries), entry_cmp);
        return 0;
}

char *rq_nslist_command_from_raw(const char *buf, size_t n)
{
        if (n == 0)
                return NULL;
        /* cmdline ends in a NUL, comm in a newline; lsns drops that last byte. */
        if (buf[n - 1] == 0 || buf[n - 1] == '\n')
                n--;
        if (n > RQ_NSLIST_COMMAND_MAX - 1)
                n = RQ_NSLIST_COMMAND_MAX - 1;
        char *s = malloc(n + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                s[i] = buf[i] ? buf[i] : ' ';
        s[n] = 0;
        return s;
}

/* Read up to size bytes of dirfd/path. */
static ssize_t read_at_most(int dirfd, const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        size_t got = 0;
        while (got < size) {
                ssize_t k = RETRY_EINTR(read(fd, buf + got, size - got));
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                got += (size_t)k;
        }
        return (ssize_t)got;
}

int rq_nslist_read_command(int proc_fd, pid_t pid, char **ret)
{
        char p[32];
        _cleanup_free_ char *buf = malloc(RQ_NSLIST_COMMAND_MAX);
        if (!buf)
                return -ENOMEM;
        snprintf(p, sizeof(p), "%d/cmdline", (int)pid);
        ssize_t n = read_at_most(proc_fd, p, buf, RQ_NSLIST_COMMAND_MAX);
        if (n == 0) {
                /* Kernel threads have an empty command line: show their name. */
                snprintf(p, sizeof(p), "%d/comm", (int)pid);
                n = read_at_most(proc_fd, p, buf, RQ_NSLIST_COMMAND_MAX);
        }
        if (n < 0)
                return (int)n;
        if (n == 0)
                return -ENODATA;
        char *s = rq_nslist_command_from_raw(buf, (size_t)n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Open the namespace of an entry: through one of its processes, else its nsfs mount; the fd
 * is checked to be that very namespace (a process may have moved, a mount gone). */
static int entry_open(const rq_nslist *l, const rq_nslist_entry *e, int proc_fd)
{
        const char *name = rq_ns_info_get(e->type)->name;
        for (size_t i = 0; i < e->nprocs; i++) {
                char p[64];
                snprintf(p, sizeof(p), "%d/ns/%s", (int)l->records[e->first_record + i].pid, name);
                _cleanup_close_ int fd = openat(proc_fd, p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                rq_ns_type t;
                uint64_t ino;
                if (fd >= 0 && rq_ns_fd_identify(fd, &t, &ino) == 0 && t == e->type &&
                    ino == e->inode)
                        return TAKE_FD(fd);
        }
        for (char **m = e->nsfs; m && *m; m++) {
                /* O_NONBLOCK: if the mount is gone, the path may now be a FIFO. */
                _cleanup_close_ int fd =
                        open(*m, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
                rq_ns_type t;
                uint64_t ino;
                if (fd >= 0 && rq_ns_fd_identify(fd, &t, &ino) == 0 && t == e->type &&
                    ino == e->inode)
                        return TAKE_FD(fd);
        }
        return -ENOENT;
}

typedef struct pid_index {
        pid_t pid;
        size_t entry;
} pid_index;

static int pid_index_cmp(const void *a, const void *b)
{
        const pid_index *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int rq_nslist_resolve(rq_nslist *l, int proc_fd)
{
        /* Command lines: one read per distinct lowest PID (kthreadd is the lowest of many). */
        _cleanup_free_ pid_index *idx = calloc(l->n_entries ? l->n_entries : 1, sizeof(*idx));
        if (!idx)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < l->n_entries; i++)
                if (l->entries[i].nprocs > 0)
                        idx[n++] = (pid_index){ l->entries[i].pid, i };
        qsort(idx, n, sizeof(*idx), pid_index_cmp);
        for (size_t i = 0; i < n; i++) {
                rq_nslist_entry *e = &l->entries[idx[i].entry];
                if (i > 0 && idx[i - 1].pid == idx[i].pid) {
                        const char *prev = l->entries[idx[i - 1].entry].command;
                        if (prev && !(e->command = strdup(prev)))
                                return -ENOMEM;
                        continue;
                }
                int r = rq_nslist_read_command(proc_fd, e->pid, &e->command);
                if (r == -ENOMEM)
                        return r;
        }

        for (size_t i = 0; i < l->n_entries; i++) {
                rq_nslist_entry *e = &l->entries[i];
                _cleanup_close_ int fd = entry_open(l, e, proc_fd);
                if (fd < 0)
                        continue;
                /* -EPERM: the owner is outside our view (the initial user namespace's). */
                _cleanup_close_ int owner = rq_ns_get_userns(fd);
                struct stat st;
                if (owner >= 0 && fstat(owner, &st) == 0)
                        e->owner = (uint64_t)st.st_ino;
        }
        return 0;
}

static int nslist_scan_into(rq_nslist *l, int proc_fd, unsigned mask, rq_error **reterr)
{
        int r = rq_nslist_scan_procs(l, proc_fd, mask, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *mountinfo = NULL;
        r = read_full_file_at(proc_fd, "self/mountinfo", &mountinfo, NULL);
        if (r < 0)
                return rq_error_set(reterr, r, "read /proc/self/mountinfo");
        r = rq_nslist_add_mountinfo(l, mountinfo, mask);
        if (r >= 0)
                r = rq_nslist_aggregate(l);
        if (r >= 0)
                r = rq_nslist_resolve(l, proc_fd);
        if (r < 0)
                return rq_error_set(reterr, r, "list namespaces");
        return 0;
}

int rq_nslist_scan(unsigned mask, rq_nslist *ret, rq_error **reterr)
{
        *ret = (rq_nslist){ 0 };
        _cleanup_close_ int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return rq_error_set(reterr, errno, "open /proc");
        int r = nslist_scan_into(ret, proc_fd, mask, reterr);
        if (r < 0)
                rq_nslist_done(ret);
        return r;
}

int rq_proc_stat_parse(const char *text, pid_t *ret_ppid, unsigned long *ret_flags)
{
        /* "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS ..."; COMM may hold ')'. */
        const char *p = strrchr(text, ')');
        if (!p)
                return -EINVAL;
        char state;
        int ppid;
        unsigned long flags;
        if (sscanf(p + 1, " %c %d %*d %*d %*d %*d %lu", &state, &ppid, &flags) != 3)
                return -EINVAL;
        if (ret_ppid)
                *ret_ppid = (pid_t)ppid;
        if (ret_flags)
                *ret_flags = flags;
        return 0;
}

/* The rows in the order of `ls /proc/PID/ns`. */
static const struct {
        rq_ns_type type;
        bool for_children;
} report_order[RQ_NS_REPORT_ROWS] = {
        { RQ_NS_CGROUP, false }, { RQ_NS_IPC, false }, { RQ_NS_MNT, false },  { RQ_NS_NET, false },
        { RQ_NS_PID, false },    { RQ_NS_PID, true },  { RQ_NS_TIME, false }, { RQ_NS_TIME, true },
        { RQ_NS_USER, false },   { RQ_NS_UTS, false },
};

/* Owner, its creator and (pid, user) the parent chain of one namespace fd. */
static void report_row_relations(rq_ns_report_row *row, int fd)
{
        _cleanup_close_ int owner = rq_ns_get_userns(fd);
        struct stat st;
        if (owner >= 0 && fstat(owner, &st) == 0) {
                row->owner = (uint64_t)st.st_ino;
                row->has_owner_uid = rq_ns_get_owner_uid(owner, &row->owner_uid) == 0;
        }
        if (row->type != RQ_NS_PID && row->type != RQ_NS_USER)
                return;
        row->chain[row->n_chain++] = row->inode;
        /* NS_GET_PARENT answers -EPERM at the initial namespace or the edge of our view. */
        _cleanup_close_ int cur = -EBADF;
        while (row->n_chain < RQ_NS_CHAIN_MAX) {
                int parent = rq_ns_get_parent(cur >= 0 ? cur : fd);
                if (parent < 0)
                        break;
                safe_close(cur);
                cur = parent;
                if (fstat(cur, &st) < 0)
                        break;
                row->chain[row->n_chain++] = (uint64_t)st.st_ino;
        }
}

/* Stat pid's namespace files for the report's rows; how many could be read, the first error
 * in *ret_err. */
static size_t reference_read(const rq_ns_report *r, int proc_fd, pid_t pid,
                             uint64_t ino[RQ_NS_REPORT_ROWS], int *ret_err)
{
        size_t ok = 0;
        *ret_err = 0;
        for (size_t i = 0; i < r->n_rows; i++) {
                ino[i] = 0;
                if (r->rows[i].state != RQ_NS_ROW_OK)
                        continue;
                char p[64];
                struct stat st;
                snprintf(p, sizeof(p), "%d/ns/%s", (int)pid, r->rows[i].name);
                if (fstatat(proc_fd, p, &st, 0) == 0) {
                        ino[i] = (uint64_t)st.st_ino;
                        ok++;
                } else if (*ret_err == 0)
                        *ret_err = errno;
        }
        return ok;
}

/* The reference for "differs": PID 1 when we may read its namespaces, else kthreadd (PID 2),
 * which the kernel keeps in the initial namespaces, when this /proc shows it. */
static int report_reference(rq_ns_report *r, int proc_fd)
{
        uint64_t ino[RQ_NS_REPORT_ROWS];
        size_t n_ok_rows = 0;
        for (size_t i = 0; i < r->n_rows; i++)
                n_ok_rows += r->rows[i].state == RQ_NS_ROW_OK;
        if (n_ok_rows == 0)
                return 0;

        int err1, err2 = 0;
        if (reference_read(r, proc_fd, 1, ino, &err1) > 0)
                r->ref_pid = 1;
        else {
                _cleanup_free_ char *stat2 = NULL;
                unsigned long flags = 0;
                pid_t ppid = -1;
                int k = read_full_file_at(proc_fd, "2/stat", &stat2, NULL);
                if (k >= 0)
                        k = rq_proc_stat_parse(stat2, &ppid, &flags);
                _cleanup_free_ char *why2 = NULL;
                if (k < 0)
                        why2 = strprintf("/proc/2 is not readable: %s", strerror(-k));
                else if (!(flags & PF_KTHREAD) || ppid != 0)
                        why2 = strprintf("PID 2 is not kthreadd (this /proc shows a PID "
                                         "namespace other than the initial one)");
                else if (reference_read(r, proc_fd, 2, ino, &err2) > 0)
                        r->ref_pid = 2;
                else
                        why2 = strprintf("/proc/2/ns is not readable: %s", strerror(err2));
                if (r->ref_pid == 0 && !why2)
                        return -ENOMEM;
                r->ref_note = r->ref_pid
                                      ? strprintf("/proc/1/ns is not readable: %s", strerror(err1))
                                      : strprintf("/proc/1/ns is not readable: %s; %s",
                                                  strerror(err1), why2);
                if (!r->ref_note)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < r->n_rows; i++)
                if (r->ref_pid != 0 && r->rows[i].state == RQ_NS_ROW_OK && ino[i] != 0)
                        r->rows[i].differs = r->rows[i].inode != ino[i];
        if (r->ref_pid != 0) {
                int k = rq_nslist_read_command(proc_fd, r->ref_pid, &r->ref_command);
                if (k == -ENOMEM)
                        return k;
        }
        return 0;
}

static int error_pass(rq_error **reterr, rq_error **e)
{
        int r = -rq_error_errno(*e);
        if (reterr && !*reterr)
                *reterr = TAKE_PTR(*e);
        return r;
}

int rq_ns_report_get(pid_t pid, unsigned mask, rq_ns_report *ret, rq_error **reterr)
{
        *ret = (rq_ns_report){ .pid = pid };
        _cleanup_close_ int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return rq_error_set(reterr, errno, "open /proc");

        int r;
        for (size_t i = 0; i < ELEMENTSOF(report_order); i++) {
                rq_ns_type type = report_order[i].type;
                bool for_children = report_order[i].for_children;
                if (!(mask & RQ_NS_MASK(type)))
                        continue;
                const rq_ns_info *info = rq_ns_info_get(type);
                rq_ns_report_row *row = &ret->rows[ret->n_rows++];
                *row = (rq_ns_report_row){
                        .type = type,
                        .for_children = for_children,
                        .name = for_children ? info->for_children : info->name,
                        .differs = -1,
                };
                _cleanup_error_ rq_error *e = NULL;
                _cleanup_close_ int fd = rq_ns_open(pid, type, for_children, &e);
                if (fd == -EOPNOTSUPP) {
                        row->state = RQ_NS_ROW_UNSUPPORTED;
                        continue;
                }
                uint64_t ino;
                if (fd == -ESRCH && for_children && rq_ns_inode(pid, type, false, &ino) == 0) {
                        /* pid_for_children of a process that unshared and has not forked. */
                        row->state = RQ_NS_ROW_EMPTY;
                        continue;
                }
                if (fd < 0) {
                        if ((fd == -EACCES || fd == -EPERM) && geteuid() == 0)
                                rq_error_hint(&e, "even root is refused ptrace read access to a "
                                                  "process that holds capabilities outside this "
                                                  "process's bounding set, or that a security "
                                                  "module protects");
                        r = error_pass(reterr, &e);
                        goto fail;
                }
                struct stat st;
                if (fstat(fd, &st) < 0) {
                        r = rq_error_set(reterr, errno, "stat /proc/%d/ns/%s", (int)pid, row->name);
                        goto fail;
                }
                row->inode = (uint64_t)st.st_ino;
                report_row_relations(row, fd);
        }

        r = rq_nslist_read_command(proc_fd, pid, &ret->command);
        if (r == -ENOMEM)
                goto oom;
        r = report_reference(ret, proc_fd);
        if (r < 0)
                goto oom;
        return 0;
oom:
        r = rq_error_set(reterr, r, "report on the namespaces of process %d", (int)pid);
fail:
        rq_ns_report_done(ret);
        return r;
}

void rq_ns_report_done(rq_ns_report *r)
{
        free(r->command);
        free(r->ref_command);
        free(r->ref_note);
        *r = (rq_ns_report){ 0 };
}
