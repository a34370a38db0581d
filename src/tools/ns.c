/* rongqi ns: the namespaces of one process (inode, whether it differs from the initial one,
 * owner, parent chain), or with --all every namespace of the system, as lsns lists them. The
 * gathering is lib/nslist.c; this file parses options and prints tables or JSON. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/string-util.h"
#include "lib/log.h"
#include "lib/nslist.h"
#include "tools/tools.h"

#define NS_CMD "ns"

static void help(void)
{
        printf("Usage: rongqi ns [OPTIONS] [PID]\n"
               "       rongqi ns --all [OPTIONS]\n"
               "\n"
               "Show every namespace of a process (default: this one): its inode, whether it\n"
               "differs from PID 1's, its owning user namespace and, for pid and user\n"
               "namespaces, the parent chain. With --all, list every namespace of the system,\n"
               "one row each, like lsns(8), including those only a bind mount keeps alive.\n"
               "\n"
               "Options:\n"
               "  -a, --all          list every namespace of the system\n"
               "  -t, --type TYPE    only namespaces of TYPE: mnt (or mount), net, ipc, user,\n"
               "                     pid, uts, cgroup, time; repeat for several types\n"
               "  -J, --json         print JSON instead of a table\n"
               "  -h, --help         show this help\n"
               "\n"
               "See rongqi-ns(1).\n");
}

/* A table printed with aligned columns; the last column is not padded, so a long command line
 * does not push the others apart. Widths count UTF-8 characters, not bytes. */
#define TABLE_MAX_COLS 8

typedef struct table_row {
        char *cell[TABLE_MAX_COLS];
        char *span; /* printed after the first cell instead of the other cells */
} table_row;

typedef struct table {
        size_t n_cols;
        const char *header[TABLE_MAX_COLS];
        bool right[TABLE_MAX_COLS];
        table_row *rows;
        size_t n_rows;
} table;

static void table_done(table *t)
{
        for (size_t i = 0; i < t->n_rows; i++) {
                for (size_t c = 0; c < t->n_cols; c++)
                        free(t->rows[i].cell[c]);
                free(t->rows[i].span);
        }
        free(t->rows);
}

/* Add a row of n_cols cells (NULL shows as "-"), or, with span, the first cell and span. */
static int table_add(table *t, const char *const *cells, const char *span)
{
        table_row *rows = reallocarray(t->rows, t->n_rows + 1, sizeof(*rows));
        if (!rows)
                return -ENOMEM;
        t->rows = rows;
        table_row *row = &rows[t->n_rows++];
        *row = (table_row){ 0 };
        for (size_t c = 0; c < t->n_cols; c++) {
                if (span && c > 0)
                        break;
                row->cell[c] = strdup(cells[c] ? cells[c] : "-");
                if (!row->cell[c])
                        return -ENOMEM;
                str_sanitize(row->cell[c]);
        }
        if (span && !(row->span = strdup(span)))
                return -ENOMEM;
        return 0;
}

static size_t display_width(const char *s)
{
        size_t w = 0;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                w += (*p & 0xc0) != 0x80;
        return w;
}

static void print_cell(const char *s, size_t width, bool right, bool last)
{
        size_t pad = width > display_width(s) ? width - display_width(s) : 0;
        if (right)
                printf("%*s", (int)pad, "");
        fputs(s, stdout);
        if (!right && !last)
                printf("%*s", (int)pad, "");
}

static void table_print(const table *t)
{
        size_t width[TABLE_MAX_COLS];
        for (size_t c = 0; c < t->n_cols; c++) {
                width[c] = display_width(t->header[c]);
                for (size_t i = 0; i < t->n_rows; i++)
                        if (t->rows[i].cell[c] && display_width(t->rows[i].cell[c]) > width[c])
                                width[c] = display_width(t->rows[i].cell[c]);
        }
        for (size_t c = 0; c < t->n_cols; c++) {
                print_cell(t->header[c], width[c], t->right[c], c + 1 == t->n_cols);
                fputc(c + 1 == t->n_cols ? '\n' : ' ', stdout);
        }
        for (size_t i = 0; i < t->n_rows; i++) {
                const table_row *row = &t->rows[i];
                if (row->span) {
                        print_cell(row->cell[0], width[0], t->right[0], false);
                        printf(" %s\n", row->span);
                        continue;
                }
                for (size_t c = 0; c < t->n_cols; c++) {
                        print_cell(row->cell[c], width[c], t->right[c], c + 1 == t->n_cols);
                        fputc(c + 1 == t->n_cols ? '\n' : ' ', stdout);
                }
        }
}

/* User names by uid, looked up once each; like lsns, the number when there is no name. */
typedef struct user_cache {
        uid_t *uid;
        char **name;
        size_t n;
} user_cache;

static void user_cache_done(user_cache *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->name[i]);
        free(c->uid);
        free(c->name);
}

static const char *user_name(user_cache *c, uid_t uid)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->uid[i] == uid)
                        return c->name[i];
        uid_t *u = reallocarray(c->uid, c->n + 1, sizeof(*u));
        if (!u)
                return NULL;
        c->uid = u;
        char **nm = reallocarray(c->name, c->n + 1, sizeof(*nm));
        if (!nm)
                return NULL;
        c->name = nm;
        struct passwd *pw = getpwuid(uid);
        char *s = pw ? strdup(pw->pw_name) : strprintf("%u", (unsigned)uid);
        if (!s)
                return NULL;
        c->uid[c->n] = uid;
        c->name[c->n] = s;
        return c->name[c->n++];
}

static char *u64_str(uint64_t v)
{
        return strprintf("%" PRIu64, v);
}

/* "→" where the locale can show it, as util-linux draws its trees. */
static const char *arrow(void)
{
        setlocale(LC_CTYPE, "");
        return streq(nl_langinfo(CODESET), "UTF-8") ? " \u2192 " : " -> ";
}

static json_t *json_u64_or_null(uint64_t v, bool have)
{
        return have ? json_integer((json_int_t)v) : json_null();
}

/* jansson refuses strings that are not UTF-8; a command line or path in another encoding
 * keeps its ASCII and shows every other byte as '?'. */
static json_t *json_str_or_null(const char *s)
{
        if (!s)
                return json_null();
        json_t *j = json_string(s);
        if (j)
                return j;
        _cleanup_free_ char *c = strdup(s);
        if (!c)
                return NULL;
        for (char *p = c; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        *p = '?';
        return json_string(c);
}

static int print_json(json_t *root)
{
        if (!root)
                return -ENOMEM;
        int r = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (r < 0)
                return -EIO;
        fputc('\n', stdout);
        return 0;
}

static char *bind_mount_note(const rq_nslist_entry *e)
{
        /* nsfs mounts are the only reason a namespace without processes is listed. */
        return strprintf("(bind mount: %s)", e->nsfs && e->nsfs[0] ? e->nsfs[0] : "?");
}

static int show_all_json(const rq_nslist *l, user_cache *uc)
{
        json_t *arr = json_array();
        json_t *root = json_pack("{s:o}", "namespaces", arr);
        if (!root)
                return -ENOMEM;
        for (size_t i = 0; i < l->n_entries; i++) {
                const rq_nslist_entry *e = &l->entries[i];
                bool procs = e->nprocs > 0;
                const char *user = procs ? user_name(uc, e->uid) : NULL;
                json_t *nsfs = json_null();
                if (e->nsfs) {
                        json_decref(nsfs);
                        nsfs = json_array();
                        for (char **m = e->nsfs; *m; m++)
                                json_array_append_new(nsfs, json_str_or_null(*m));
                }
                /* The keys lsns --json uses first, then ours. */
                json_t *o = json_pack(
                        "{s:I, s:s, s:i, s:o, s:o, s:o, s:o, s:n, s:o}", "ns", (json_int_t)e->inode,
                        "type", rq_ns_info_get(e->type)->name, "nprocs", (int)e->nprocs, "pid",
                        procs ? json_integer(e->pid) : json_null(), "user", json_str_or_null(user),
                        "command", json_str_or_null(procs ? e->command : NULL), "owner",
                        json_u64_or_null(e->owner, e->owner != 0), "container", "nsfs", nsfs);
                if (!o || json_array_append_new(arr, o) < 0) {
                        json_decref(root);
                        return -ENOMEM;
                }
        }
        return print_json(root);
}

static int show_all_table(const rq_nslist *l, user_cache *uc)
{
        _cleanup_(table_done) table t = {
                .n_cols = 8,
                .header = { "NS", "TYPE", "NPROCS", "PID", "USER", "OWNER", "CONTAINER",
                            "COMMAND" },
                .right = { true, false, true, true, false, true, false, false },
        };
        for (size_t i = 0; i < l->n_entries; i++) {
                const rq_nslist_entry *e = &l->entries[i];
                bool procs = e->nprocs > 0;
                _cleanup_free_ char *ns = u64_str(e->inode);
                _cleanup_free_ char *nprocs = strprintf("%u", e->nprocs);
                _cleanup_free_ char *pid = procs ? strprintf("%d", (int)e->pid) : NULL;
                _cleanup_free_ char *owner = e->owner ? u64_str(e->owner) : NULL;
                _cleanup_free_ char *note = procs ? NULL : bind_mount_note(e);
                const char *user = procs ? user_name(uc, e->uid) : NULL;
                if (!ns || !nprocs || (procs && (!pid || !user)) || (e->owner && !owner) ||
                    (!procs && !note))
                        return -ENOMEM;
                const char *cells[] = {
                        ns,   rq_ns_info_get(e->type)->name, nprocs, pid, user, owner,
                        NULL, procs ? e->command : note,
                };
                if (table_add(&t, cells, NULL) < 0)
                        return -ENOMEM;
        }
        table_print(&t);
        return 0;
}

static int show_all(unsigned mask, bool json)
{
        _cleanup_error_ rq_error *e = NULL;
        rq_nslist l;
        if (rq_nslist_scan(mask, &l, &e) < 0) {
                rq_log_error(e);
                return 1;
        }
        user_cache uc = { 0 };
        int r = json ? show_all_json(&l, &uc) : show_all_table(&l, &uc);
        user_cache_done(&uc);
        rq_nslist_done(&l);
        if (r < 0) {
                rq_err("show namespaces: %s", strerror(-r));
                return 1;
        }
        return 0;
}

static const char *differs_str(int differs)
{
        return differs < 0 ? "?" : differs ? "yes" : "no";
}

static char *chain_str(const rq_ns_report_row *row, const char *sep)
{
        if (row->n_chain == 0)
                return NULL;
        char *s = u64_str(row->chain[0]);
        for (size_t i = 1; s && i < row->n_chain; i++) {
                char *n = strprintf("%s%s%" PRIu64, s, sep, row->chain[i]);
                free(s);
                s = n;
        }
        return s;
}

static int show_report_json(const rq_ns_report *rep)
{
        json_t *rows = json_array();
        json_t *root = json_pack("{s:i, s:o, s:{s:o, s:o, s:o}, s:o}", "pid", (int)rep->pid,
                                 "command", json_str_or_null(rep->command), "reference", "pid",
                                 rep->ref_pid ? json_integer(rep->ref_pid) : json_null(), "command",
                                 json_str_or_null(rep->ref_command), "note",
                                 json_str_or_null(rep->ref_note), "namespaces", rows);
        if (!root)
                return -ENOMEM;
        for (size_t i = 0; i < rep->n_rows; i++) {
                const rq_ns_report_row *row = &rep->rows[i];
                bool ok = row->state == RQ_NS_ROW_OK;
                json_t *chain = json_null();
                if (ok && row->n_chain > 0) {
                        json_decref(chain);
                        chain = json_array();
                        for (size_t k = 0; k < row->n_chain; k++)
                                json_array_append_new(chain,
                                                      json_integer((json_int_t)row->chain[k]));
                }
                json_t *o = json_pack(
                        "{s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:n}", "type", row->name, "supported",
                        row->state != RQ_NS_ROW_UNSUPPORTED, "ns", json_u64_or_null(row->inode, ok),
                        "differs",
                        ok && row->differs >= 0 ? json_boolean(row->differs) : json_null(), "owner",
                        json_u64_or_null(row->owner, ok && row->owner != 0), "owner_uid",
                        json_u64_or_null(row->owner_uid, ok && row->has_owner_uid), "chain", chain,
                        "container");
                if (!o || json_array_append_new(rows, o) < 0) {
                        json_decref(root);
                        return -ENOMEM;
                }
        }
        return print_json(root);
}

static int show_report_table(const rq_ns_report *rep)
{
        printf("Namespaces of PID %d (%s)\n", (int)rep->pid,
               rep->command ? str_sanitize(rep->command) : "?");
        if (rep->ref_pid == 1)
                printf("DIFFERS: compared with PID 1 (%s)\n",
                       rep->ref_command ? str_sanitize(rep->ref_command) : "?");
        else if (rep->ref_pid > 0)
                printf("DIFFERS: compared with PID %d (%s), as %s\n", (int)rep->ref_pid,
                       rep->ref_command ? str_sanitize(rep->ref_command) : "?", rep->ref_note);
        else if (rep->ref_note)
                printf("DIFFERS: ? (nothing to compare with: %s)\n", rep->ref_note);

        const char *sep = arrow();
        _cleanup_(table_done) table t = {
                .n_cols = 7,
                .header = { "TYPE", "NS", "DIFFERS", "OWNER", "OWNER_UID", "CONTAINER", "CHAIN" },
                .right = { false, true, false, true, true, false, false },
        };
        for (size_t i = 0; i < rep->n_rows; i++) {
                const rq_ns_report_row *row = &rep->rows[i];
                const char *cells[7] = { row->name };
                if (row->state == RQ_NS_ROW_UNSUPPORTED) {
                        if (table_add(&t, cells, "not supported by this kernel") < 0)
                                return -ENOMEM;
                        continue;
                }
                if (row->state == RQ_NS_ROW_EMPTY) {
                        if (table_add(&t, cells,
                                      "none: no process has been created in it yet, or its "
                                      "init has exited") < 0)
                                return -ENOMEM;
                        continue;
                }
                _cleanup_free_ char *ns = u64_str(row->inode);
                _cleanup_free_ char *owner = row->owner ? u64_str(row->owner) : NULL;
                _cleanup_free_ char *uid =
                        row->has_owner_uid ? strprintf("%u", (unsigned)row->owner_uid) : NULL;
                _cleanup_free_ char *chain = chain_str(row, sep);
                if (!ns || (row->owner && !owner) || (row->has_owner_uid && !uid) ||
                    (row->n_chain && !chain))
                        return -ENOMEM;
                cells[1] = ns;
                cells[2] = differs_str(row->differs);
                cells[3] = owner;
                cells[4] = uid;
                cells[5] = NULL;
                cells[6] = chain;
                if (table_add(&t, cells, NULL) < 0)
                        return -ENOMEM;
        }
        table_print(&t);
        return 0;
}

static int show_process(pid_t pid, unsigned mask, bool json)
{
        _cleanup_error_ rq_error *e = NULL;
        rq_ns_report rep;
        if (rq_ns_report_get(pid, mask, &rep, &e) < 0) {
                rq_log_error(e);
                return 1;
        }
        int r = json ? show_report_json(&rep) : show_report_table(&rep);
        rq_ns_report_done(&rep);
        if (r < 0) {
                rq_err("show namespaces of process %d: %s", (int)pid, strerror(-r));
                return 1;
        }
        return 0;
}

int cmd_ns(int argc, char **argv)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "type", required_argument, NULL, 't' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool all = false, json = false;
        unsigned mask = 0;
        int c;

        optind = 0; /* glibc: start over, so the parser can run more than once */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":at:Jh", options, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 't': {
                        rq_ns_type t = rq_ns_type_from_name(optarg);
                        if (t < 0)
                                return tool_usage_error(NS_CMD,
                                                        "unknown namespace type '%s' (valid "
                                                        "types: mnt or mount, net, ipc, user, "
                                                        "pid, uts, cgroup, time)",
                                                        optarg);
                        mask |= RQ_NS_MASK(t);
                        break;
                }
                case 'J':
                        json = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ':':
                        return tool_usage_error(NS_CMD, "option '%s' requires an argument",
                                                argv[optind - 1]);
                default:
                        if (optopt)
                                return tool_usage_error(NS_CMD, "invalid option -- '%c'", optopt);
                        return tool_usage_error(NS_CMD, "unrecognized option '%s'",
                                                argv[optind - 1]);
                }
        }
        if (mask == 0)
                mask = RQ_NS_MASK_ALL;

        int n_args = argc - optind;
        if (all && n_args > 0)
                return tool_usage_error(NS_CMD, "--all lists every process's namespaces and "
                                                "takes no PID");
        if (n_args > 1)
                return tool_usage_error(NS_CMD, "one PID at most, got %d arguments", n_args);
        pid_t pid = getpid();
        if (n_args == 1 && parse_pid(argv[optind], &pid) < 0)
                return tool_usage_error(NS_CMD, "invalid PID '%s'", argv[optind]);
        int r = all ? show_all(mask, json) : show_process(pid, mask, json);
        if (r == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
                rq_err("write output: %s", strerror(errno));
                return 1;
        }
        return r;
}
