/* Log sink: one line per call, written with a single write(2) so lines from several processes
 * sharing the fd do not interleave. */
#include "lib/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "basic/fd-util.h"

static const char *log_program = "rongqi";
static rq_log_level log_level = RQ_LOG_NOTE;
static rq_log_format log_format = RQ_LOG_FORMAT_TEXT;
static int log_fd = STDERR_FILENO;

static const char *const level_names[_RQ_LOG_LEVEL_MAX] = {
        [RQ_LOG_ERROR] = "error", [RQ_LOG_WARNING] = "warning", [RQ_LOG_NOTE] = "note",
        [RQ_LOG_INFO] = "info",   [RQ_LOG_DEBUG] = "debug",
};

void rq_log_set_program(const char *name)
{
        log_program = name;
}
void rq_log_set_level(rq_log_level level)
{
        log_level = level;
}
rq_log_level rq_log_get_level(void)
{
        return log_level;
}
void rq_log_set_format(rq_log_format format)
{
        log_format = format;
}
int rq_log_fd(void)
{
        return log_fd;
}

int rq_log_open_file(const char *path)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return negative_errno();
        if (log_fd > STDERR_FILENO)
                close(log_fd);
        log_fd = fd;
        return 0;
}

rq_log_level rq_log_level_from_string(const char *s)
{
        for (int i = 0; i < _RQ_LOG_LEVEL_MAX; i++)
                if (strcasecmp(s, level_names[i]) == 0)
                        return (rq_log_level)i;
        if (strcasecmp(s, "warn") == 0)
                return RQ_LOG_WARNING;
        return _RQ_LOG_LEVEL_INVALID;
}

rq_log_format rq_log_format_from_string(const char *s)
{
        if (strcmp(s, "text") == 0)
                return RQ_LOG_FORMAT_TEXT;
        if (strcmp(s, "json") == 0)
                return RQ_LOG_FORMAT_JSON;
        return _RQ_LOG_FORMAT_INVALID;
}

static void emit(rq_log_level level, const char *msg)
{
        if (log_format == RQ_LOG_FORMAT_JSON) {
                char ts[64];
                struct timespec now;
                struct tm tm;
                clock_gettime(CLOCK_REALTIME, &now);
                gmtime_r(&now.tv_sec, &tm);
                size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(ts + n, sizeof(ts) - n, ".%09ldZ", now.tv_nsec);
                /* "note" is not a level Go's logrus knows: send it as info. */
                const char *lv = level == RQ_LOG_NOTE ? "info" : level_names[level];
                json_t *o = json_pack("{s:s, s:s, s:s}", "level", lv, "msg", msg, "time", ts);
                if (!o)
                        return;
                char *line = json_dumps(o, JSON_COMPACT);
                json_decref(o);
                if (!line)
                        return;
                size_t len = strlen(line);
                char *nl = realloc(line, len + 2);
                if (nl) {
                        nl[len] = '\n';
                        nl[len + 1] = 0;
                        (void)write_all(log_fd, nl, len + 1);
                        line = nl;
                }
                free(line);
                return;
        }
        char *line = NULL;
        int r;
        if (level == RQ_LOG_ERROR || level == RQ_LOG_INFO)
                r = asprintf(&line, "%s: %s\n", log_program, msg);
        else
                r = asprintf(&line, "%s: %s: %s\n", log_program, level_names[level], msg);
        if (r < 0)
                return;
        (void)write_all(log_fd, line, (size_t)r);
        free(line);
}

void rq_log(rq_log_level level, const char *fmt, ...)
{
        if (level > log_level)
                return;
        int saved = errno;
        va_list ap;
        char *msg = NULL;
        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r >= 0) {
                emit(level, msg);
                free(msg);
        }
        errno = saved;
}

int rq_log_error(const rq_error *e)
{
        if (!e)
                return -EIO;
        char *s = rq_error_format(e);
        if (s) {
                rq_log(RQ_LOG_ERROR, "%s", s);
                free(s);
        }
        const char *h = rq_error_get_hint(e);
        if (h)
                rq_log(RQ_LOG_ERROR, "hint: %s", h);
        return -rq_error_errno(e);
}

int rq_log_usage(const char *command, const char *fmt, va_list ap)
{
        char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        rq_log(RQ_LOG_ERROR, "%s", msg ? msg : "bad usage");
        free(msg);
        if (log_format == RQ_LOG_FORMAT_TEXT || log_fd != STDERR_FILENO)
                fprintf(stderr, "Try '%s --help' for more information.\n", command);
        return 1;
}
