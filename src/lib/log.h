/* Process-wide logging: levels, text lines for people ("rongqi unshare: warning: …") or JSON
 * lines for machines ({"level":"error","msg":"…","time":"…"}, as runc's --log-format json that
 * containerd and podman read). The configuration is set once by the front end at start-up;
 * the core only calls rq_log*(). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

#include "basic/macro.h"
#include "lib/error.h"

typedef enum rq_log_level {
        RQ_LOG_ERROR,
        RQ_LOG_WARNING,
        RQ_LOG_NOTE, /* teaching remarks ("note: /proc still shows …") */
        RQ_LOG_INFO,
        RQ_LOG_DEBUG,
        _RQ_LOG_LEVEL_MAX,
        _RQ_LOG_LEVEL_INVALID = -1,
} rq_log_level;

typedef enum rq_log_format {
        RQ_LOG_FORMAT_TEXT,
        RQ_LOG_FORMAT_JSON,
        _RQ_LOG_FORMAT_MAX,
        _RQ_LOG_FORMAT_INVALID = -1,
} rq_log_format;

/* Name shown in front of text lines ("rongqi nsenter"). Not copied: pass a static string. */
void rq_log_set_program(const char *name);
void rq_log_set_level(rq_log_level level);
rq_log_level rq_log_get_level(void);
void rq_log_set_format(rq_log_format format);
/* Log to this file (appended) instead of stderr; returns -errno. */
int rq_log_open_file(const char *path);
/* The fd log lines go to (so a child can keep it across exec-less forks). */
int rq_log_fd(void);

rq_log_level rq_log_level_from_string(const char *s);
rq_log_format rq_log_format_from_string(const char *s);

void rq_log(rq_log_level level, const char *fmt, ...) _printf_(2, 3);
/* Log an error chain at error level (and its hint as a second line); returns its -errno. */
int rq_log_error(const rq_error *e);

/* A usage mistake: the message at error level, then "Try 'COMMAND --help' for more
 * information." (command: "rongqi unshare"). Returns 1, the exit code for it. */
int rq_log_usage(const char *command, const char *fmt, va_list ap) _printf_(2, 0);

#define rq_err(...) rq_log(RQ_LOG_ERROR, __VA_ARGS__)
#define rq_warn(...) rq_log(RQ_LOG_WARNING, __VA_ARGS__)
#define rq_note(...) rq_log(RQ_LOG_NOTE, __VA_ARGS__)
#define rq_info(...) rq_log(RQ_LOG_INFO, __VA_ARGS__)
#define rq_debug(...) rq_log(RQ_LOG_DEBUG, __VA_ARGS__)
