/* SQLite schema and queries of the engine. One connection per command; WAL so that readers
 * (`images`) never wait for a writer; foreign keys on so names and layer references cannot point
 * at a removed image. synchronous=FULL: a committed image must survive a power cut, and commits
 * are rare (one per load), so their cost does not matter. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/db.h"
#include "lib/dl.h"

struct rq_db {
        sqlite3 *db;
};

/* libsqlite3 is dlopen()ed by rq_db_open: linked, it cost every rongqi command ~1 ms of loading,
 * the namespace tools included, which never open the database. */
#define SQLITE_SYMBOLS(X)                                                                          \
        X(sqlite3_bind_int64)                                                                      \
        X(sqlite3_bind_text)                                                                       \
        X(sqlite3_busy_timeout)                                                                    \
        X(sqlite3_changes)                                                                         \
        X(sqlite3_close_v2)                                                                        \
        X(sqlite3_column_int64)                                                                    \
        X(sqlite3_column_text)                                                                     \
        X(sqlite3_errmsg)                                                                          \
        X(sqlite3_errstr)                                                                          \
        X(sqlite3_exec)                                                                            \
        X(sqlite3_extended_errcode)                                                                \
        X(sqlite3_finalize)                                                                        \
        X(sqlite3_open_v2)                                                                         \
        X(sqlite3_prepare_v2)                                                                      \
        X(sqlite3_step)

static struct {
        SQLITE_SYMBOLS(RQ_DL_FIELD)
} sqlite_fn;

static const char *const sqlite_symbols[] = { SQLITE_SYMBOLS(RQ_DL_NAME) };

static int sqlite_load(rq_error **reterr)
{
        static rq_dl_library lib = { "libsqlite3.so.0",          "libsqlite3-0", sqlite_symbols,
                                     ELEMENTSOF(sqlite_symbols), &sqlite_fn,     NULL };
        return rq_dl_load(&lib, reterr);
}

#define sqlite3_bind_int64 sqlite_fn.sqlite3_bind_int64
#define sqlite3_bind_text sqlite_fn.sqlite3_bind_text
#define sqlite3_busy_timeout sqlite_fn.sqlite3_busy_timeout
#define sqlite3_changes sqlite_fn.sqlite3_changes
#define sqlite3_close_v2 sqlite_fn.sqlite3_close_v2
#define sqlite3_column_int64 sqlite_fn.sqlite3_column_int64
#define sqlite3_column_text sqlite_fn.sqlite3_column_text
#define sqlite3_errmsg sqlite_fn.sqlite3_errmsg
#define sqlite3_errstr sqlite_fn.sqlite3_errstr
#define sqlite3_exec sqlite_fn.sqlite3_exec
#define sqlite3_extended_errcode sqlite_fn.sqlite3_extended_errcode
#define sqlite3_finalize sqlite_fn.sqlite3_finalize
#define sqlite3_open_v2 sqlite_fn.sqlite3_open_v2
#define sqlite3_prepare_v2 sqlite_fn.sqlite3_prepare_v2
#define sqlite3_step sqlite_fn.sqlite3_step

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS images("
        "  id TEXT PRIMARY KEY,"
        "  config_digest TEXT NOT NULL,"
        "  manifest_digest TEXT NOT NULL,"
        "  created INTEGER NOT NULL,"
        "  loaded INTEGER NOT NULL,"
        "  size INTEGER NOT NULL,"
        "  arch TEXT NOT NULL,"
        "  os TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS names("
        "  name TEXT PRIMARY KEY,"
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
        "CREATE INDEX IF NOT EXISTS names_image ON names(image_id);"
        "CREATE TABLE IF NOT EXISTS layers("
        "  diff_id TEXT PRIMARY KEY,"
        "  size INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS image_layers("
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  diff_id TEXT NOT NULL REFERENCES layers(diff_id),"
        "  blob_digest TEXT NOT NULL,"
        "  blob_size INTEGER NOT NULL,"
        "  media_type TEXT NOT NULL,"
        "  PRIMARY KEY(image_id, idx));"
        "CREATE INDEX IF NOT EXISTS image_layers_diff ON image_layers(diff_id);"
        "CREATE INDEX IF NOT EXISTS image_layers_blob ON image_layers(blob_digest);";

static int db_fail(rq_db *db, rq_error **reterr, const char *what)
{
        int code = sqlite3_extended_errcode(db->db);
        int err = (code & 0xff) == SQLITE_BUSY         ? EBUSY
                  : (code & 0xff) == SQLITE_FULL       ? ENOSPC
                  : (code & 0xff) == SQLITE_CONSTRAINT ? EEXIST
                  : (code & 0xff) == SQLITE_READONLY   ? EROFS
                                                       : EIO;
        return rq_error_set_plain(reterr, err, "image database: %s: %s", what,
                                  sqlite3_errmsg(db->db));
}

static int exec_sql(rq_db *db, const char *sql, rq_error **reterr)
{
        if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                return db_fail(db, reterr, sql);
        return 0;
}

static void finalizep(sqlite3_stmt **s)
{
        sqlite3_finalize(*s);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

static int prepare(rq_db *db, const char *sql, sqlite3_stmt **ret, rq_error **reterr)
{
        if (sqlite3_prepare_v2(db->db, sql, -1, ret, NULL) != SQLITE_OK)
                return db_fail(db, reterr, "prepare query");
        return 0;
}

/* Bind text arguments 1..n in order. */
static int bind_texts(rq_db *db, sqlite3_stmt *s, rq_error **reterr, size_t n, const char **v)
{
        for (size_t i = 0; i < n; i++)
                if (sqlite3_bind_text(s, (int)i + 1, v[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
                        return db_fail(db, reterr, "bind value");
        return 0;
}

/* Run a statement that returns no rows. */
static int step_done(rq_db *db, sqlite3_stmt *s, const char *what, rq_error **reterr)
{
        if (sqlite3_step(s) != SQLITE_DONE)
                return db_fail(db, reterr, what);
        return 0;
}

/* Prepare, bind n texts, run to completion: for simple updates. */
static int run_texts(rq_db *db, const char *sql, const char *what, rq_error **reterr, size_t n,
                     const char **v)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = prepare(db, sql, &s, reterr);
        if (r < 0)
                return r;
        r = bind_texts(db, s, reterr, n, v);
        if (r < 0)
                return r;
        return step_done(db, s, what, reterr);
}

/* Prepare sql, bind n texts, step once: 0 with the first row's statement in *ret, -ENOENT when
 * there is no row. */
static int query_row(rq_db *db, const char *sql, size_t n, const char **v, const char *what,
                     sqlite3_stmt **ret, rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = prepare(db, sql, &s, reterr);
        if (r < 0)
                return r;
        r = bind_texts(db, s, reterr, n, v);
        if (r < 0)
                return r;
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return db_fail(db, reterr, what);
        *ret = TAKE_PTR(s);
        return 0;
}

/* 1 when the query with n text arguments yields a row, 0 when not. */
static int exists_texts(rq_db *db, const char *sql, rq_error **reterr, size_t n, const char **v)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = query_row(db, sql, n, v, "query", &s, reterr);
        return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

int rq_db_open(const char *path, rq_db **ret, rq_error **reterr)
{
        int k = sqlite_load(reterr);
        if (k < 0)
                return k;
        rq_db *db = calloc(1, sizeof(*db));
        if (!db)
                return rq_error_set(reterr, ENOMEM, "open image database");
        int rc = sqlite3_open_v2(path, &db->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 NULL);
        if (rc != SQLITE_OK) {
                int r = rq_error_set_plain(reterr, rc == SQLITE_CANTOPEN ? EACCES : EIO,
                                           "open image database %s: %s", path,
                                           db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
                rq_db_close(db);
                return r;
        }
        sqlite3_busy_timeout(db->db, 30000);
        int r = exec_sql(db,
                         "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                         "PRAGMA synchronous=FULL;",
                         reterr);
        if (r >= 0)
                r = exec_sql(db, schema, reterr);
        if (r >= 0) {
                const char *v[] = { "schema", "1" };
                r = run_texts(db, "INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)",
                              "record the schema version", reterr, 2, v);
        }
        if (r < 0) {
                rq_db_close(db);
                return rq_error_wrap(reterr, "open image database %s", path);
        }
        *ret = db;
        return 0;
}

void rq_db_close(rq_db *db)
{
        if (!db)
                return;
        sqlite3_close_v2(db->db);
        free(db);
}

int rq_db_begin(rq_db *db, rq_error **reterr)
{
        /* IMMEDIATE: take the write lock now, so a conflict shows up here and not at commit. */
        return exec_sql(db, "BEGIN IMMEDIATE", reterr);
}

int rq_db_commit(rq_db *db, rq_error **reterr)
{
        return exec_sql(db, "COMMIT", reterr);
}

void rq_db_rollback(rq_db *db)
{
        (void)sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

void rq_db_image_done(rq_db_image *img)
{
        if (!img)
                return;
        free(img->arch);
        free(img->os);
        strv_free(img->names);
        for (size_t i = 0; i < img->n_layers; i++)
                free(img->layers[i].media_type);
        free(img->layers);
        memset(img, 0, sizeof(*img));
}

void rq_db_images_free(rq_db_image *imgs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                rq_db_image_done(&imgs[i]);
        free(imgs);
}

int rq_db_image_insert(rq_db *db, const rq_db_image *img, rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = prepare(db,
                        "INSERT INTO images(id, config_digest, manifest_digest, created, loaded,"
                        " size, arch, os) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                        &s, reterr);
        if (r < 0)
                return r;
        const char *t[] = { img->id, img->config_digest, img->manifest_digest };
        r = bind_texts(db, s, reterr, 3, t);
        if (r < 0)
                return r;
        sqlite3_bind_int64(s, 4, img->created);
        sqlite3_bind_int64(s, 5, img->loaded);
        sqlite3_bind_int64(s, 6, img->size);
        sqlite3_bind_text(s, 7, img->arch ? img->arch : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 8, img->os ? img->os : "", -1, SQLITE_TRANSIENT);
        r = step_done(db, s, "insert image", reterr);
        if (r < 0)
                return r;

        for (size_t i = 0; i < img->n_layers; i++) {
                const rq_db_layer *l = &img->layers[i];
                _cleanup_stmt_ sqlite3_stmt *ls = NULL;
                r = prepare(db, "INSERT OR IGNORE INTO layers(diff_id, size) VALUES(?, ?)", &ls,
                            reterr);
                if (r < 0)
                        return r;
                sqlite3_bind_text(ls, 1, l->diff_id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(ls, 2, l->size);
                r = step_done(db, ls, "insert layer", reterr);
                if (r < 0)
                        return r;

                _cleanup_stmt_ sqlite3_stmt *il = NULL;
                r = prepare(db,
                            "INSERT INTO image_layers(image_id, idx, diff_id, blob_digest,"
                            " blob_size, media_type) VALUES(?, ?, ?, ?, ?, ?)",
                            &il, reterr);
                if (r < 0)
                        return r;
                sqlite3_bind_text(il, 1, img->id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(il, 2, (int64_t)i);
                sqlite3_bind_text(il, 3, l->diff_id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(il, 4, l->blob_digest, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(il, 5, l->blob_size);
                sqlite3_bind_text(il, 6, l->media_type ? l->media_type : "", -1, SQLITE_TRANSIENT);
                r = step_done(db, il, "insert image layer", reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rq_db_name_set(rq_db *db, const char *name, const char *id, rq_error **reterr)
{
        const char *v[] = { name, id };
        return run_texts(db,
                         "INSERT INTO names(name, image_id) VALUES(?1, ?2)"
                         " ON CONFLICT(name) DO UPDATE SET image_id = ?2",
                         "set image name", reterr, 2, v);
}

int rq_db_name_remove(rq_db *db, const char *name, rq_error **reterr)
{
        const char *v[] = { name };
        int r = run_texts(db, "DELETE FROM names WHERE name = ?", "remove image name", reterr, 1,
                          v);
        if (r < 0)
                return r;
        return sqlite3_changes(db->db) > 0 ? 0 : -ENOENT;
}

int rq_db_image_delete(rq_db *db, const char *id, rq_error **reterr)
{
        const char *v[] = { id };
        return run_texts(db, "DELETE FROM images WHERE id = ?", "remove image", reterr, 1, v);
}

static char *col_dup(sqlite3_stmt *s, int col)
{
        const unsigned char *t = sqlite3_column_text(s, col);
        return strdup(t ? (const char *)t : "");
}

static void col_copy(sqlite3_stmt *s, int col, char *dst, size_t size)
{
        const unsigned char *t = sqlite3_column_text(s, col);
        snprintf(dst, size, "%s", t ? (const char *)t : "");
}

/* Fill names and layers of an image whose row fields are set. */
static int image_load_children(rq_db *db, rq_db_image *img, rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = prepare(db, "SELECT name FROM names WHERE image_id = ? ORDER BY name", &s, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, img->id, -1, SQLITE_TRANSIENT);
        size_t n = 0;
        int rc;
        img->names = calloc(1, sizeof(char *));
        if (!img->names)
                return -ENOMEM;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                char **nn = realloc(img->names, (n + 2) * sizeof(char *));
                if (!nn)
                        return -ENOMEM;
                img->names = nn;
                img->names[n] = col_dup(s, 0);
                img->names[++n] = NULL;
        }
        if (rc != SQLITE_DONE)
                return db_fail(db, reterr, "list image names");

        _cleanup_stmt_ sqlite3_stmt *l = NULL;
        r = prepare(db,
                    "SELECT il.diff_id, il.blob_digest, il.blob_size, il.media_type, l.size"
                    " FROM image_layers il JOIN layers l ON l.diff_id = il.diff_id"
                    " WHERE il.image_id = ? ORDER BY il.idx",
                    &l, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(l, 1, img->id, -1, SQLITE_TRANSIENT);
        while ((rc = sqlite3_step(l)) == SQLITE_ROW) {
                rq_db_layer *nl = realloc(img->layers, (img->n_layers + 1) * sizeof(*nl));
                if (!nl)
                        return -ENOMEM;
                img->layers = nl;
                rq_db_layer *x = &img->layers[img->n_layers++];
                memset(x, 0, sizeof(*x));
                col_copy(l, 0, x->diff_id, sizeof(x->diff_id));
                col_copy(l, 1, x->blob_digest, sizeof(x->blob_digest));
                x->blob_size = sqlite3_column_int64(l, 2);
                x->media_type = col_dup(l, 3);
                x->size = sqlite3_column_int64(l, 4);
        }
        if (rc != SQLITE_DONE)
                return db_fail(db, reterr, "list image layers");
        return 0;
}

#define IMAGE_COLUMNS "id, config_digest, manifest_digest, created, loaded, size, arch, os"

static int image_from_row(rq_db *db, sqlite3_stmt *s, rq_db_image *img, rq_error **reterr)
{
        memset(img, 0, sizeof(*img));
        col_copy(s, 0, img->id, sizeof(img->id));
        col_copy(s, 1, img->config_digest, sizeof(img->config_digest));
        col_copy(s, 2, img->manifest_digest, sizeof(img->manifest_digest));
        img->created = sqlite3_column_int64(s, 3);
        img->loaded = sqlite3_column_int64(s, 4);
        img->size = sqlite3_column_int64(s, 5);
        img->arch = col_dup(s, 6);
        img->os = col_dup(s, 7);
        if (!img->arch || !img->os)
                return -ENOMEM;
        return image_load_children(db, img, reterr);
}

int rq_db_images_list(rq_db *db, rq_db_image **ret, size_t *ret_n, rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = prepare(db,
                        "SELECT " IMAGE_COLUMNS " FROM images ORDER BY created DESC, loaded DESC",
                        &s, reterr);
        if (r < 0)
                return r;
        rq_db_image *v = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                rq_db_image *nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv) {
                        rq_db_images_free(v, n);
                        return rq_error_set(reterr, ENOMEM, "list images");
                }
                v = nv;
                r = image_from_row(db, s, &v[n++], reterr);
                if (r < 0) {
                        rq_db_images_free(v, n);
                        return r;
                }
        }
        if (rc != SQLITE_DONE) {
                rq_db_images_free(v, n);
                return db_fail(db, reterr, "list images");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int rq_db_image_get(rq_db *db, const char *id, rq_db_image *ret, rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        const char *v[] = { id };
        int r = query_row(db,
                          "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?1 OR id ="
                          " (SELECT image_id FROM names WHERE name = ?1)",
                          1, v, "look up image", &s, reterr);
        if (r < 0)
                return r;
        r = image_from_row(db, s, ret, reterr);
        if (r < 0)
                rq_db_image_done(ret);
        return r;
}

int rq_db_image_exists(rq_db *db, const char *id, rq_error **reterr)
{
        const char *v[] = { id };
        return exists_texts(db, "SELECT 1 FROM images WHERE id = ?", reterr, 1, v);
}

int rq_db_name_lookup(rq_db *db, const char *name, char ret_id[RQ_DIGEST_HEX_LEN + 1],
                      rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        const char *v[] = { name };
        int r = query_row(db, "SELECT image_id FROM names WHERE name = ?", 1, v,
                          "look up image name", &s, reterr);
        if (r < 0)
                return r;
        col_copy(s, 0, ret_id, RQ_DIGEST_HEX_LEN + 1);
        return 0;
}

int rq_db_id_prefix(rq_db *db, const char *prefix, char ret_id[RQ_DIGEST_HEX_LEN + 1],
                    rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        /* substr instead of LIKE: the prefix is validated hex, but LIKE's case folding and
         * wildcards have no business here. */
        int r = prepare(db, "SELECT id FROM images WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2",
                        &s, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, prefix, -1, SQLITE_TRANSIENT);
        int n = 0, rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
                if (n++ == 0)
                        col_copy(s, 0, ret_id, RQ_DIGEST_HEX_LEN + 1);
        if (rc != SQLITE_DONE)
                return db_fail(db, reterr, "look up image id");
        return n;
}

int rq_db_layer_exists(rq_db *db, const char *diff_id, rq_error **reterr)
{
        const char *v[] = { diff_id };
        return exists_texts(db, "SELECT 1 FROM layers WHERE diff_id = ?", reterr, 1, v);
}

int rq_db_layer_referenced(rq_db *db, const char *diff_id, rq_error **reterr)
{
        const char *v[] = { diff_id };
        return exists_texts(db, "SELECT 1 FROM image_layers WHERE diff_id = ? LIMIT 1", reterr, 1,
                            v);
}

int rq_db_blob_referenced(rq_db *db, const char *digest, rq_error **reterr)
{
        const char *v[] = { digest };
        return exists_texts(db,
                            "SELECT 1 FROM images WHERE config_digest = ?1 OR manifest_digest = ?1"
                            " UNION ALL SELECT 1 FROM image_layers WHERE blob_digest = ?1 LIMIT 1",
                            reterr, 1, v);
}

int rq_db_layers_unreferenced(rq_db *db, char ***ret, rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = prepare(db,
                        "SELECT diff_id FROM layers WHERE diff_id NOT IN"
                        " (SELECT diff_id FROM image_layers)",
                        &s, reterr);
        if (r < 0)
                return r;
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        int rc;
        if (!v)
                return -ENOMEM;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                char **nv = realloc(v, (n + 2) * sizeof(char *));
                if (!nv) {
                        strv_free(v);
                        return -ENOMEM;
                }
                v = nv;
                v[n] = col_dup(s, 0);
                v[++n] = NULL;
        }
        if (rc != SQLITE_DONE) {
                strv_free(v);
                return db_fail(db, reterr, "list unused layers");
        }
        *ret = v;
        return 0;
}

int rq_db_layer_delete(rq_db *db, const char *diff_id, rq_error **reterr)
{
        const char *v[] = { diff_id };
        return run_texts(db, "DELETE FROM layers WHERE diff_id = ?", "remove layer", reterr, 1, v);
}

int rq_db_layer_blob_get(rq_db *db, const char *diff_id, const char *blob_digest, rq_db_layer *ret,
                         rq_error **reterr)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        const char *v[] = { diff_id, blob_digest };
        int r = query_row(db,
                          "SELECT il.blob_size, il.media_type, l.size FROM image_layers il"
                          " JOIN layers l ON l.diff_id = il.diff_id"
                          " WHERE il.diff_id = ? AND il.blob_digest = ? LIMIT 1",
                          2, v, "look up layer", &s, reterr);
        if (r < 0)
                return r;
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->diff_id, sizeof(ret->diff_id), "%s", diff_id);
        snprintf(ret->blob_digest, sizeof(ret->blob_digest), "%s", blob_digest);
        ret->blob_size = sqlite3_column_int64(s, 0);
        ret->media_type = col_dup(s, 1);
        ret->size = sqlite3_column_int64(s, 2);
        return ret->media_type ? 0 : -ENOMEM;
}
