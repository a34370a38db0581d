/* rongqi import FILE|- [REF] [--change INSTRUCTION]... [--message MSG]: a root filesystem
 * tarball becomes a one-layer image, as `docker import` does. --change takes the Dockerfile
 * instructions that only set the config: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE,
 * VOLUME, STOPSIGNAL. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "engine/host.h"
#include "engine/store/record.h"

typedef struct import_ctx {
        json_t *config; /* the "config" object --change fills */
        const char *source;
        const char *message;
} import_ctx;

/* CMD/ENTRYPOINT: the JSON form, or the shell form wrapped in /bin/sh -c, as Dockerfiles. */
static json_t *command_value(const char *v)
{
        json_t *j = json_loads(v, 0, NULL);
        if (json_is_array(j)) {
                size_t i;
                json_t *x;
                json_array_foreach(j, i, x) if (!json_is_string(x))
                {
                        json_decref(j);
                        return NULL;
                }
                return j;
        }
        json_decref(j);
        return json_pack("[s, s, s]", "/bin/sh", "-c", v);
}

/* Append to config[key], an array, keeping earlier values (ENV, VOLUME, EXPOSE are lists). */
static json_t *config_list(json_t *config, const char *key, bool object)
{
        json_t *l = json_object_get(config, key);
        if (!l) {
                l = object ? json_object() : json_array();
                json_object_set_new(config, key, l);
        }
        return l;
}

static int apply_change(json_t *config, const char *change, rq_error **reterr)
{
        while (*change == ' ')
                change++;
        const char *sp = strchr(change, ' ');
        if (!sp || !sp[1])
                return rq_error_invalid(reterr,
                                        "--change '%s': write an instruction and its value, "
                                        "e.g. 'CMD [\"sh\"]' or 'ENV A=1'",
                                        change);
        char ins[16];
        snprintf(ins, sizeof(ins), "%.*s", (int)(sp - change), change);
        for (char *p = ins; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        const char *v = sp + 1;
        while (*v == ' ')
                v++;

        if (streq(ins, "CMD") || streq(ins, "ENTRYPOINT")) {
                json_t *c = command_value(v);
                if (!c)
                        return rq_error_invalid(reterr,
                                                "--change %s: '%s' is not a JSON array of "
                                                "strings",
                                                ins, v);
                json_object_set_new(config, streq(ins, "CMD") ? "Cmd" : "Entrypoint", c);
        } else if (streq(ins, "ENV") || streq(ins, "LABEL")) {
                /* "K=V" (several allowed, space separated) or the old "K V" form. */
                bool env = streq(ins, "ENV");
                json_t *l = config_list(config, env ? "Env" : "Labels", !env);
                _cleanup_free_ char *copy = strdup(v);
                if (!copy)
                        return -ENOMEM;
                if (!strchr(copy, '=')) {
                        char *s2 = strchr(copy, ' ');
                        if (!s2)
                                return rq_error_invalid(reterr, "--change %s '%s': write K=V", ins,
                                                        v);
                        *s2 = '=';
                }
                char *save = NULL;
                for (char *kv = strtok_r(copy, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
                        char *eq = strchr(kv, '=');
                        if (!eq || eq == kv)
                                return rq_error_invalid(reterr, "--change %s: '%s' is not K=V", ins,
                                                        kv);
                        if (env) {
                                json_array_append_new(l, json_string(kv));
                        } else {
                                *eq = '\0';
                                json_object_set_new(l, kv, json_string(eq + 1));
                        }
                }
        } else if (streq(ins, "WORKDIR")) {
                if (v[0] != '/')
                        return rq_error_invalid(reterr,
                                                "--change WORKDIR '%s': give an absolute "
                                                "path",
                                                v);
                json_object_set_new(config, "WorkingDir", json_string(v));
        } else if (streq(ins, "USER")) {
                json_object_set_new(config, "User", json_string(v));
        } else if (streq(ins, "STOPSIGNAL")) {
                json_object_set_new(config, "StopSignal", json_string(v));
        } else if (streq(ins, "EXPOSE") || streq(ins, "VOLUME")) {
                json_t *l = config_list(config, streq(ins, "EXPOSE") ? "ExposedPorts" : "Volumes",
                                        true);
                _cleanup_free_ char *copy = strdup(v);
                if (!copy)
                        return -ENOMEM;
                char *save = NULL;
                for (char *x = strtok_r(copy, " ", &save); x; x = strtok_r(NULL, " ", &save)) {
                        _cleanup_free_ char *k = streq(ins, "EXPOSE") && !strchr(x, '/')
                                                         ? strprintf("%s/tcp", x)
                                                         : strdup(x);
                        if (k)
                                json_object_set_new(l, k, json_object());
                }
        } else
                return rq_error_invalid(reterr,
                                        "--change: '%s' cannot be used (CMD, ENTRYPOINT, ENV, "
                                        "EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR)",
                                        ins);
        return 0;
}

static json_t *make_config(const char *diff_id, void *userdata)
{
        import_ctx *c = userdata;
        char now[64];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", &tm);
        _cleanup_free_ char *created = strprintf("%s.%09ldZ", now, ts.tv_nsec);
        _cleanup_free_ char *by = strprintf("rongqi import %s", c->source);
        if (!created || !by)
                return NULL;
        json_t *hist = json_pack("{s:s, s:s}", "created", created, "created_by", by);
        if (hist && c->message)
                json_object_set_new(hist, "comment", json_string(c->message));
        return json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[o]}", "architecture",
                         rq_host_oci_arch(), "os", "linux", "created", created, "config", c->config,
                         "rootfs", "type", "layers", "diff_ids", diff_id, "history", hist);
}

int cmd_import(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "change", required_argument, NULL, 'c' },
                { "message", required_argument, NULL, 'm' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(json_decrefp) json_t *config = json_object();
        import_ctx ctx = { .config = config };
        rq_error *err = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+c:m:qh", opts, NULL)) != -1)
                switch (c) {
                case 'c':
                        if (apply_change(config, optarg, &err) < 0)
                                return rq_engine_fail(err);
                        break;
                case 'm':
                        ctx.message = optarg;
                        break;
                case 'q':
                        break;
                case 'h':
                        printf("Usage: rongqi import [OPTIONS] FILE|- [REFERENCE]\n\n"
                               "Make a one-layer image from a root filesystem tarball (plain, "
                               "gzip, zstd, xz).\n\n"
                               "  -c, --change INSTRUCTION  CMD, ENTRYPOINT, ENV, WORKDIR, USER, "
                               "LABEL, EXPOSE,\n"
                               "                            VOLUME or STOPSIGNAL, as in a "
                               "Dockerfile\n"
                               "  -m, --message TEXT        a comment for the image's history\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi import", "invalid option");
                }
        if (optind >= argc || argc - optind > 2)
                return rq_engine_usage("rongqi import", "need FILE (or -) and at most one "
                                                        "REFERENCE");
        ctx.source = argv[optind];
        _cleanup_free_ char *name = NULL;
        if (optind + 1 < argc && rq_store_new_name(argv[optind + 1], &name, &err) < 0)
                return rq_engine_fail(err);

        _cleanup_close_ int fd = -EBADF;
        if (streq(ctx.source, "-")) {
                if (isatty(STDIN_FILENO))
                        return rq_engine_usage("rongqi import", "no input: pipe a tarball to "
                                                                "stdin or give FILE");
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        } else if ((fd = open(ctx.source, O_RDONLY | O_CLOEXEC)) < 0) {
                rq_error_set(&err, errno, "open %s", ctx.source);
                return rq_engine_fail(err);
        }
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, RQ_STORE_WRITE, &s) < 0)
                return 125;
        char *names[] = { name, NULL };
        char id[RQ_DIGEST_HEX_LEN + 1];
        if (rq_store_add_layer_image(s, fd, make_config, &ctx, names, id, &err) < 0) {
                rq_error_wrap(&err, "import %s", ctx.source);
                return rq_engine_fail(err);
        }
        printf("sha256:%s\n", id);
        return 0;
}
