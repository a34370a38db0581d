/* Global options and the helpers every engine command uses. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "lib/log.h"

static int take(char **dst, const char *v)
{
        free(*dst);
        *dst = strdup(v);
        return *dst ? 0 : -ENOMEM;
}

int rq_engine_parse_globals(rq_engine *e, int argc, char **argv)
{
        int i = 1;
        while (i < argc && argv[i][0] == '-') {
                const char *a = argv[i], *v = NULL;
                const char *opt = NULL;
                if ((v = startswith(a, "--root=")))
                        opt = "root";
                else if ((v = startswith(a, "--runroot=")))
                        opt = "runroot";
                else if (streq(a, "--root") || streq(a, "--runroot")) {
                        opt = a + 2;
                        if (i + 1 >= argc) {
                                rq_err("option '%s' requires an argument", a);
                                return -1;
                        }
                        v = argv[++i];
                } else
                        break;
                if (v[0] != '/') {
                        rq_err("--%s: '%s' is not an absolute path", opt, v);
                        return -1;
                }
                if (take(streq(opt, "root") ? &e->root : &e->runroot, v) < 0)
                        return -1;
                i++;
        }
        if (!e->root && rq_store_default_root(&e->root) < 0) {
                rq_err("cannot find where to keep images: set RONGQI_ROOT or --root "
                       "(HOME and XDG_DATA_HOME are not set)");
                return -1;
        }
        if (!e->runroot && rq_store_default_runroot(&e->runroot) < 0) {
                rq_err("cannot find a run root: give --runroot");
                return -1;
        }
        return i;
}

void rq_engine_done(rq_engine *e)
{
        free(e->root);
        free(e->runroot);
}

int rq_engine_fail(rq_error *e)
{
        rq_log_error(e);
        rq_error_free(e);
        return 125;
}

int rq_engine_open_store(const rq_engine *e, unsigned flags, rq_store **ret)
{
        rq_error *err = NULL;
        int r = rq_store_open(e->root, e->runroot, flags, ret, &err);
        if (r < 0)
                rq_engine_fail(err);
        return r;
}

int rq_engine_usage(const char *command, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        (void)rq_log_usage(command, fmt, ap);
        va_end(ap);
        return 125;
}

void rq_format_ago(int64_t when, char *buf, size_t size)
{
        if (when <= 0) {
                snprintf(buf, size, "N/A");
                return;
        }
        int64_t d = (int64_t)time(NULL) - when;
        if (d < 1)
                snprintf(buf, size, "Less than a second ago");
        else if (d < 60)
                snprintf(buf, size, "%lld second%s ago", (long long)d, d == 1 ? "" : "s");
        else if (d < 120)
                snprintf(buf, size, "About a minute ago");
        else if (d < 3600)
                snprintf(buf, size, "%lld minutes ago", (long long)(d / 60));
        else if (d < 7200)
                snprintf(buf, size, "About an hour ago");
        else if (d < 86400 * 2)
                snprintf(buf, size, "%lld hours ago", (long long)(d / 3600));
        else if (d < 86400 * 14)
                snprintf(buf, size, "%lld days ago", (long long)(d / 86400));
        else if (d < 86400 * 60)
                snprintf(buf, size, "%lld weeks ago", (long long)(d / (86400 * 7)));
        else if (d < 86400 * 365 * 2)
                snprintf(buf, size, "%lld months ago", (long long)(d / (86400 * 30)));
        else
                snprintf(buf, size, "%lld years ago", (long long)(d / (86400 * 365)));
}
