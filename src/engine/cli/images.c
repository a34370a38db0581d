/* rongqi images, tag, rmi, image prune: the store's names and images as Docker and Podman show
 * and change them. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "engine/progress.h"
#include "engine/ref.h"

/* Split "docker.io/library/busybox:latest" into repository and tag (or digest). */
static void split_name(const char *name, char *repo, size_t rsize, const char **tag)
{
        const char *at = strchr(name, '@');
        const char *slash = strrchr(name, '/');
        const char *colon = strrchr(slash ? slash : name, ':');
        const char *cut = at ? at : colon;
        if (!cut) {
                snprintf(repo, rsize, "%s", name);
                *tag = "<none>";
                return;
        }
        snprintf(repo, rsize, "%.*s", (int)(cut - name), name);
        *tag = cut + 1;
}

static json_t *image_json(const rq_db_image *img)
{
        json_t *names = json_array(), *digests = json_array();
        for (size_t i = 0; img->names && img->names[i]; i++) {
                json_array_append_new(names, json_string(img->names[i]));
                char repo[512];
                const char *tag;
                split_name(img->names[i], repo, sizeof(repo), &tag);
                _cleanup_free_ char *d = strprintf("%s@%s", repo, img->manifest_digest);
                if (d)
                        json_array_append_new(digests, json_string(d));
        }
        return json_pack("{s:s, s:o, s:o, s:I, s:I, s:s, s:i}", "Id", img->id, "RepoTags", names,
                         "RepoDigests", digests, "Size", (json_int_t)img->size, "Created",
                         (json_int_t)img->created, "Digest", img->manifest_digest, "Containers", 0);
}

/* The optional REPOSITORY[:TAG] argument of `images`. */
static bool matches(const rq_db_image *img, const char *filter_repo, const char *filter_tag)
{
        if (!filter_repo)
                return true;
        for (size_t i = 0; img->names && img->names[i]; i++) {
                char repo[512];
                const char *tag;
                split_name(img->names[i], repo, sizeof(repo), &tag);
                if (streq(repo, filter_repo) && (!filter_tag || streq(tag, filter_tag)))
                        return true;
        }
        return false;
}

int cmd_images(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },        { "all", no_argument, NULL, 'a' },
                { "digests", no_argument, NULL, 'D' },      { "no-trunc", no_argument, NULL, 'T' },
                { "format", required_argument, NULL, 'f' }, { "noheading", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },         {},
        };
        bool quiet = false, digests = false, notrunc = false, json = false, noheading = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+qahn", opts, NULL)) != -1)
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'a':
                        break; /* no intermediate images exist: all are shown anyway */
                case 'D':
                        digests = true;
                        break;
                case 'T':
                        notrunc = true;
                        break;
                case 'n':
                        noheading = true;
                        break;
                case 'f':
                        if (!streq(optarg, "json"))
                                return rq_engine_usage("rongqi images",
                                                       "--format: only 'json' is supported, not "
                                                       "'%s'",
                                                       optarg);
                        json = true;
                        break;
                case 'h':
                        printf("Usage: rongqi images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
                               "List the images in the store.\n\n"
                               "  -q, --quiet      only image ids\n"
                               "      --digests    show manifest digests\n"
                               "      --no-trunc   full image ids\n"
                               "      --format json  JSON output\n"
                               "  -n, --noheading  no header line\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi images", "invalid option");
                }
        if (argc - optind > 1)
                return rq_engine_usage("rongqi images", "at most one REPOSITORY[:TAG] argument");

        _cleanup_free_ char *frepo = NULL;
        const char *ftag = NULL;
        _cleanup_(rq_ref_done) rq_ref fref = {};
        if (optind < argc) {
                rq_error *err = NULL;
                if (rq_ref_parse(argv[optind], &fref, &err) < 0)
                        return rq_engine_fail(err);
                frepo = rq_ref_name(&fref);
                /* A tag only filters when it was written. */
                ftag = strchr(strrchr(argv[optind], '/') ? strrchr(argv[optind], '/')
                                                         : argv[optind],
                              ':')
                               ? fref.tag
                               : NULL;
        }

        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, 0, &s) < 0)
                return 125;
        rq_db_image *imgs = NULL;
        size_t n = 0;
        rq_error *err = NULL;
        if (rq_db_images_list(s->db, &imgs, &n, &err) < 0)
                return rq_engine_fail(err);

        if (json) {
                _cleanup_(json_decrefp) json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        if (matches(&imgs[i], frepo, ftag))
                                json_array_append_new(arr, image_json(&imgs[i]));
                rq_db_images_free(imgs, n);
                _cleanup_free_ char *text = json_dumps(arr, JSON_INDENT(4));
                puts(text ? text : "[]");
                return 0;
        }
        if (!quiet && !noheading)
                printf(digests ? "%-40s %-20s %-72s %-14s %-16s %s\n"
                               : "%-40s %-20s%.0s %-14s %-16s %s\n",
                       "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE");
        for (size_t i = 0; i < n; i++) {
                const rq_db_image *img = &imgs[i];
                if (!matches(img, frepo, ftag))
                        continue;
                if (quiet) {
                        printf("%.*s\n", notrunc ? 64 : 12, img->id);
                        continue;
                }
                char ago[64], size[32];
                rq_format_ago(img->created, ago, sizeof(ago));
                rq_format_size((uint64_t)img->size, size, sizeof(size));
                static char *const none[] = { "<none>:<none>", NULL };
                char *const *names = img->names && img->names[0] ? img->names : none;
                for (size_t k = 0; names[k]; k++) {
                        char repo[512];
                        const char *tag;
                        split_name(names[k], repo, sizeof(repo), &tag);
                        printf(digests ? "%-40s %-20s %-72s %-14.*s %-16s %s\n"
                                       : "%-40s %-20s%.0s %-14.*s %-16s %s\n",
                               repo, tag, img->manifest_digest, notrunc ? 64 : 12, img->id, ago,
                               size);
                }
        }
        rq_db_images_free(imgs, n);
        return 0;
}

int cmd_tag(const rq_engine *e, int argc, char **argv)
{
        if (argc >= 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("Usage: rongqi tag IMAGE TARGET [TARGET...]\n\n"
                       "Give an image more names.\n");
                return 0;
        }
        if (argc < 3)
                return rq_engine_usage("rongqi tag", "need an IMAGE and at least one TARGET name");
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, RQ_STORE_WRITE, &s) < 0)
                return 125;
        rq_error *err = NULL;
        _cleanup_(rq_db_image_done) rq_db_image img = {};
        if (rq_store_find_image(s, argv[1], &img, NULL, &err) < 0)
                return rq_engine_fail(err);
        if (rq_db_begin(s->db, &err) < 0)
                return rq_engine_fail(err);
        for (int i = 2; i < argc; i++) {
                _cleanup_free_ char *name = NULL;
                if (rq_store_new_name(argv[i], &name, &err) < 0 ||
                    rq_db_name_set(s->db, name, img.id, &err) < 0) {
                        rq_db_rollback(s->db);
                        return rq_engine_fail(err);
                }
        }
        if (rq_db_commit(s->db, &err) < 0)
                return rq_engine_fail(err);
        return 0;
}

/* Remove one image, or only the name it was given by when it has others (docker's rules). */
static int rmi_one(rq_store *s, const char *what, bool force, rq_error **reterr)
{
        _cleanup_(rq_db_image_done) rq_db_image img = {};
        _cleanup_free_ char *name = NULL;
        int r = rq_store_find_image(s, what, &img, &name, reterr);
        if (r < 0)
                return r;
        size_t n_names = 0;
        while (img.names && img.names[n_names])
                n_names++;

        /* Given by one of several names: that name goes, the image stays. */
        if (name && n_names > 1) {
                r = rq_db_name_remove(s->db, name, reterr);
                if (r < 0)
                        return r;
                printf("Untagged: %s\n", name);
                return 0;
        }
        _cleanup_free_ char *mnt = NULL;
        if (rq_image_mounted(s, img.id, &mnt) > 0)
                return rq_error_set_plain(reterr, EBUSY,
                                          "image %.12s is mounted at %s: run 'rongqi image "
                                          "unmount %.12s' first",
                                          img.id, mnt, img.id);
        if (n_names > 1 && !force)
                return rq_error_set_plain(reterr, EBUSY,
                                          "unable to delete image %.12s: it has %zu names; "
                                          "remove them one by one or use --force",
                                          img.id, n_names);
        r = rq_store_image_remove(s, img.id, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_names; i++)
                printf("Untagged: %s\n", img.names[i]);
        printf("Deleted: sha256:%s\n", img.id);
        return 0;
}

int cmd_rmi(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool force = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1)
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: rongqi rmi [-f] IMAGE [IMAGE...]\n\n"
                               "Remove images (or, given one name of several, that name).\n\n"
                               "  -f, --force  remove an image with several names at once\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi rmi", "invalid option");
                }
        if (optind >= argc)
                return rq_engine_usage("rongqi rmi", "need at least one IMAGE");
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, RQ_STORE_WRITE, &s) < 0)
                return 125;
        int ret = 0;
        for (int i = optind; i < argc; i++) {
                rq_error *err = NULL;
                if (rmi_one(s, argv[i], force, &err) < 0)
                        ret = rq_engine_fail(err);
        }
        return ret;
}

int cmd_image_prune(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' },
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool all = false, force = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1)
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: rongqi image prune [-a] [-f]\n\n"
                               "Remove images without a name (with -a: every image no container "
                               "uses).\n\n"
                               "  -a, --all    every unused image, not only unnamed ones\n"
                               "  -f, --force  do not ask for confirmation\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi image prune", "invalid option");
                }
        if (!force) {
                if (!isatty(STDIN_FILENO))
                        return rq_engine_usage("rongqi image prune",
                                               "refusing to remove images without confirmation: "
                                               "use --force");
                fprintf(stderr,
                        "WARNING! This will remove all %s images.\nAre you sure you want "
                        "to continue? [y/N] ",
                        all ? "unused" : "dangling");
                char answer[16] = "";
                if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                        return 0;
        }
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, RQ_STORE_WRITE, &s) < 0)
                return 125;
        rq_db_image *imgs = NULL;
        size_t n = 0;
        rq_error *err = NULL;
        if (rq_db_images_list(s->db, &imgs, &n, &err) < 0)
                return rq_engine_fail(err);
        int ret = 0;
        bool header = false;
        for (size_t i = 0; i < n; i++) {
                if (!all && imgs[i].names && imgs[i].names[0])
                        continue;
                if (rq_db_begin(s->db, &err) < 0 ||
                    rq_db_image_delete(s->db, imgs[i].id, &err) < 0 ||
                    rq_db_commit(s->db, &err) < 0) {
                        rq_db_rollback(s->db);
                        ret = rq_engine_fail(err);
                        err = NULL;
                        continue;
                }
                if (!header)
                        printf("Deleted Images:\n");
                header = true;
                for (size_t k = 0; imgs[i].names && imgs[i].names[k]; k++)
                        printf("untagged: %s\n", imgs[i].names[k]);
                printf("deleted: sha256:%s\n", imgs[i].id);
        }
        rq_db_images_free(imgs, n);
        int64_t freed = 0;
        if (rq_store_gc(s, &freed, &err) < 0)
                return rq_engine_fail(err);
        char size[32];
        rq_format_size((uint64_t)freed, size, sizeof(size));
        printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", size);
        return ret;
}
