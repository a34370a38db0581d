/* rongqi image inspect and rongqi history: what the store knows about an image, from its row
 * and its config blob. --format takes Go-template-like {{.Field.Sub}} and {{json .Field}}. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "engine/progress.h"

#define CONFIG_MAX (16u << 20)

static json_t *load_config(rq_store *s, const rq_db_image *img, rq_error **reterr)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (rq_store_blob_read(s, img->config_digest, CONFIG_MAX, &text, &len, reterr) < 0)
                return NULL;
        json_error_t jerr;
        json_t *c = json_loadb(text, len, 0, &jerr);
        if (!c)
                rq_error_set_plain(reterr, EBADMSG, "image config %s: %s", img->config_digest,
                                   jerr.text);
        return c;
}

static char *rfc3339(int64_t t)
{
        struct tm tm;
        time_t tt = (time_t)t;
        char buf[64];
        if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
                return strdup("");
        return strdup(buf);
}

static json_t *inspect_json(rq_store *s, const rq_db_image *img, rq_error **reterr)
{
        _cleanup_(json_decrefp) json_t *cfg = load_config(s, img, reterr);
        if (!cfg)
                return NULL;
        json_t *tags = json_array(), *digests = json_array(), *layers = json_array();
        for (size_t i = 0; img->names && img->names[i]; i++) {
                json_array_append_new(tags, json_string(img->names[i]));
                const char *end = strrchr(img->names[i], ':');
                const char *slash = strrchr(img->names[i], '/');
                size_t n = end && (!slash || end > slash) ? (size_t)(end - img->names[i])
                                                          : strlen(img->names[i]);
                _cleanup_free_ char *d =
                        strprintf("%.*s@%s", (int)n, img->names[i], img->manifest_digest);
                if (d)
                        json_array_append_new(digests, json_string(d));
        }
        _cleanup_free_ char *lower = NULL;
        for (size_t i = 0; i < img->n_layers; i++) {
                json_array_append_new(layers, json_string(img->layers[i].diff_id));
                /* LowerDir lists the topmost layer first, as overlayfs wants. */
                _cleanup_free_ char *prev = TAKE_PTR(lower);
                lower = strprintf("%s/layers/%s/diff%s%s", s->root,
                                  rq_digest_hex(img->layers[i].diff_id), prev ? ":" : "",
                                  prev ? prev : "");
        }
        _cleanup_free_ char *created =
                json_string_value(json_object_get(cfg, "created"))
                        ? strdup(json_string_value(json_object_get(cfg, "created")))
                        : rfc3339(img->created);
        json_t *config = json_object_get(cfg, "config");
        return json_pack("{s:s, s:s, s:o, s:o, s:s, s:O, s:s, s:s, s:I, s:I, s:{s:s, s:o},"
                         " s:O, s:{s:s, s:{s:s}}, s:O}",
                         "Id", img->id, "Digest", img->manifest_digest, "RepoTags", tags,
                         "RepoDigests", digests, "Created", created ? created : "", "Config",
                         config ? config : json_null(), "Architecture", img->arch, "Os", img->os,
                         "Size", (json_int_t)img->size, "VirtualSize", (json_int_t)img->size,
                         "RootFS", "Type", "layers", "Layers", layers, "History",
                         json_object_get(cfg, "history") ?: json_array(), "GraphDriver", "Name",
                         "overlay", "Data", "LowerDir", lower ? lower : "", "Labels",
                         json_object_get(config, "Labels") ?: json_null());
}

/* A value as Go's text/template prints it: strings bare, arrays as [a b], objects as JSON. */
static void print_value(FILE *f, json_t *v)
{
        if (!v || json_is_null(v)) {
                fputs("<no value>", f);
        } else if (json_is_string(v)) {
                fputs(json_string_value(v), f);
        } else if (json_is_array(v)) {
                size_t i;
                json_t *x;
                fputc('[', f);
                json_array_foreach(v, i, x)
                {
                        if (i)
                                fputc(' ', f);
                        print_value(f, x);
                }
                fputc(']', f);
        } else if (json_is_object(v)) {
                const char *k;
                json_t *x;
                bool first = true;
                fputs("map[", f);
                json_object_foreach(v, k, x)
                {
                        fprintf(f, "%s%s:", first ? "" : " ", k);
                        print_value(f, x);
                        first = false;
                }
                fputc(']', f);
        } else {
                _cleanup_free_ char *t = json_dumps(v, JSON_ENCODE_ANY);
                fputs(t ? t : "", f);
        }
}

static json_t *lookup_path(json_t *root, const char *path, size_t len)
{
        json_t *v = root;
        size_t i = 0;
        while (i < len && v) {
                if (path[i] != '.')
                        return NULL;
                size_t j = ++i;
                while (j < len && path[j] != '.')
                        j++;
                if (j == i)
                        return v; /* "." alone: the whole object */
                char key[256];
                snprintf(key, sizeof(key), "%.*s", (int)(j - i), path + i);
                v = json_object_get(v, key);
                i = j;
        }
        return v;
}

int rq_format_template(FILE *f, const char *tmpl, json_t *obj, rq_error **reterr)
{
        const char *p = tmpl;
        while (*p) {
                const char *open = strstr(p, "{{");
                if (!open) {
                        fputs(p, f);
                        break;
                }
                fwrite(p, 1, (size_t)(open - p), f);
                const char *close = strstr(open, "}}");
                if (!close)
                        return rq_error_invalid(reterr, "--format: unclosed '{{' in '%s'", tmpl);
                const char *a = open + 2, *b = close;
                while (a < b && *a == ' ')
                        a++;
                while (b > a && b[-1] == ' ')
                        b--;
                bool as_json = false;
                if ((size_t)(b - a) > 5 && strncmp(a, "json ", 5) == 0) {
                        as_json = true;
                        a += 5;
                        while (a < b && *a == ' ')
                                a++;
                }
                if (a >= b || *a != '.')
                        return rq_error_invalid(reterr,
                                                "--format: '%.*s' is not a field (write "
                                                "{{.Field}} or {{json .Field}})",
                                                (int)(close - open - 2), open + 2);
                json_t *v = lookup_path(obj, a, (size_t)(b - a));
                if (as_json) {
                        _cleanup_free_ char *t =
                                v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
                        fputs(t ? t : "null", f);
                } else
                        print_value(f, v);
                p = close + 2;
        }
        fputc('\n', f);
        return 0;
}

int cmd_image_inspect(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *format = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1)
                switch (c) {
                case 'f':
                        format = streq(optarg, "json") ? NULL : optarg;
                        break;
                case 'h':
                        printf("Usage: rongqi image inspect [--format TEMPLATE] IMAGE...\n\n"
                               "Show what the store holds for images, as JSON.\n\n"
                               "  -f, --format  a template such as '{{.Id}}' or "
                               "'{{json .Config}}'\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi image inspect", "invalid option");
                }
        if (optind >= argc)
                return rq_engine_usage("rongqi image inspect", "need at least one IMAGE");
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, 0, &s) < 0)
                return 125;
        _cleanup_(json_decrefp) json_t *all = json_array();
        int ret = 0;
        for (int i = optind; i < argc; i++) {
                rq_error *err = NULL;
                _cleanup_(rq_db_image_done) rq_db_image img = {};
                json_t *j = NULL;
                if (rq_store_find_image(s, argv[i], &img, NULL, &err) < 0 ||
                    !(j = inspect_json(s, &img, &err))) {
                        ret = rq_engine_fail(err);
                        continue;
                }
                if (format) {
                        if (rq_format_template(stdout, format, j, &err) < 0) {
                                json_decref(j);
                                return rq_engine_fail(err);
                        }
                        json_decref(j);
                } else
                        json_array_append_new(all, j);
        }
        if (!format) {
                _cleanup_free_ char *t = json_dumps(all, JSON_INDENT(4));
                puts(t ? t : "[]");
        }
        return ret;
}

int cmd_history(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "no-trunc", no_argument, NULL, 'T' },
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool quiet = false, notrunc = false, json = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1)
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'T':
                        notrunc = true;
                        break;
                case 'f':
                        if (!streq(optarg, "json"))
                                return rq_engine_usage("rongqi history",
                                                       "--format: only 'json' is supported");
                        json = true;
                        break;
                case 'h':
                        printf("Usage: rongqi history [OPTIONS] IMAGE\n\n"
                               "Show how an image was built, newest step first.\n\n"
                               "  -q, --quiet     only image ids\n"
                               "      --no-trunc  full ids and commands\n"
                               "      --format json\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi history", "invalid option");
                }
        if (argc - optind != 1)
                return rq_engine_usage("rongqi history", "need exactly one IMAGE");
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, 0, &s) < 0)
                return 125;
        rq_error *err = NULL;
        _cleanup_(rq_db_image_done) rq_db_image img = {};
        if (rq_store_find_image(s, argv[optind], &img, NULL, &err) < 0)
                return rq_engine_fail(err);
        _cleanup_(json_decrefp) json_t *cfg = load_config(s, &img, &err);
        if (!cfg)
                return rq_engine_fail(err);
        json_t *hist = json_object_get(cfg, "history");
        size_t nh = json_array_size(hist);

        /* History entries that made a layer take the layers in order; the newest entry is
         * the image itself, the others have no image of their own. */
        size_t layer = 0;
        int64_t *sizes = calloc(nh ? nh : 1, sizeof(int64_t));
        if (!sizes)
                return 125;
        for (size_t i = 0; i < nh; i++) {
                json_t *h = json_array_get(hist, i);
                if (!json_is_true(json_object_get(h, "empty_layer")) && layer < img.n_layers)
                        sizes[i] = img.layers[layer++].size;
        }
        _cleanup_(json_decrefp) json_t *arr = json_array();
        if (!quiet && !json)
                printf("%-14s %-20s %-46s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE",
                       "COMMENT");
        for (size_t k = nh; k-- > 0;) {
                json_t *h = json_array_get(hist, k);
                const char *by = json_string_value(json_object_get(h, "created_by")) ?: "";
                const char *comment = json_string_value(json_object_get(h, "comment")) ?: "";
                const char *created = json_string_value(json_object_get(h, "created"));
                char id[80];
                snprintf(id, sizeof(id), "%.*s", notrunc ? 64 : 12,
                         k == nh - 1 ? img.id : "<missing>");
                if (json) {
                        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", id,
                                                             "created", created ?: "", "createdBy",
                                                             by, "size", (json_int_t)sizes[k],
                                                             "comment", comment));
                        continue;
                }
                if (quiet) {
                        puts(id);
                        continue;
                }
                struct tm tm = {};
                char ago[64], size[32];
                rq_format_ago(created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm)
                                      ? (int64_t)timegm(&tm)
                                      : 0,
                              ago, sizeof(ago));
                rq_format_size((uint64_t)sizes[k], size, sizeof(size));
                printf("%-14s %-20s %-46.*s %-10s %s\n", id, ago, notrunc ? 1 << 20 : 45, by, size,
                       comment);
        }
        free(sizes);
        if (json) {
                _cleanup_free_ char *t = json_dumps(arr, JSON_INDENT(4));
                puts(t ? t : "[]");
        }
        return 0;
}
