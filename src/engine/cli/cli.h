/* The engine's commands (one file each) and what they share: the global options (--root,
 * --runroot) and opening the store with errors printed the same way everywhere. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine/store/store.h"
#include "lib/error.h"

typedef struct rq_engine {
        char *root; /* store root: --root, RONGQI_ROOT, or the default for the user */
        char *runroot; /* --runroot or the default */
} rq_engine;

/* Parse the global options in front of the command; returns the index of the command in argv,
 * or -1 after printing an error. */
int rq_engine_parse_globals(rq_engine *e, int argc, char **argv);
void rq_engine_done(rq_engine *e);

/* Open the store; on failure print the error and return -errno. */
int rq_engine_open_store(const rq_engine *e, unsigned flags, rq_store **ret);
/* Print an error chain (and hint) and return the exit code 125 (docker's for engine errors). */
int rq_engine_fail(rq_error *e);
/* A usage error: the message and "Try 'rongqi COMMAND --help'"; returns 125. */
int rq_engine_usage(const char *command, const char *fmt, ...) _printf_(2, 3);

/* Print obj through a Go-template-like format: {{.Field.Sub}} and {{json .Field}}, then a
 * newline. */
int rq_format_template(FILE *f, const char *tmpl, json_t *obj, rq_error **reterr);

/* "3 days ago", "About a minute ago", as docker prints ages. */
void rq_format_ago(int64_t when, char *buf, size_t size);

int cmd_load(const rq_engine *e, int argc, char **argv);
int cmd_save(const rq_engine *e, int argc, char **argv);
int cmd_import(const rq_engine *e, int argc, char **argv);
int cmd_export(const rq_engine *e, int argc, char **argv);
int cmd_images(const rq_engine *e, int argc, char **argv);
int cmd_tag(const rq_engine *e, int argc, char **argv);
int cmd_rmi(const rq_engine *e, int argc, char **argv);
int cmd_image_inspect(const rq_engine *e, int argc, char **argv);
int cmd_history(const rq_engine *e, int argc, char **argv);
int cmd_image_prune(const rq_engine *e, int argc, char **argv);
int cmd_image(const rq_engine *e, int argc, char **argv);
int cmd_image_mount(const rq_engine *e, int argc, char **argv);
int cmd_image_unmount(const rq_engine *e, int argc, char **argv);
/* 1 when the image id is mounted by `image mount` (its path in ret_path, may be NULL), else 0. */
int rq_image_mounted(const rq_store *s, const char *id, char **ret_path);
int cmd_info(const rq_engine *e, int argc, char **argv);
