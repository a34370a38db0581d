/* rongqi-runtime: the runc-compatible command line over the core library. Shared pieces of
 * the command files: the global options and the helpers every command uses. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"

typedef struct runtime_globals {
        const char *root; /* --root: the state root */
        bool debug;
        bool systemd_cgroup; /* --systemd-cgroup: create and run make a systemd scope; the
                                other commands read the driver from the state */
} runtime_globals;

/* One command: argv[0] is its name; returns the process exit code. */
typedef int (*runtime_command)(const runtime_globals *g, int argc, char **argv);

int cmd_create(const runtime_globals *g, int argc, char **argv);
int cmd_run(const runtime_globals *g, int argc, char **argv);
int cmd_start(const runtime_globals *g, int argc, char **argv);
int cmd_state(const runtime_globals *g, int argc, char **argv);
int cmd_list(const runtime_globals *g, int argc, char **argv);
int cmd_exec(const runtime_globals *g, int argc, char **argv);
int cmd_ps(const runtime_globals *g, int argc, char **argv);
int cmd_update(const runtime_globals *g, int argc, char **argv);
int cmd_events(const runtime_globals *g, int argc, char **argv);
int cmd_pause(const runtime_globals *g, int argc, char **argv);
int cmd_resume(const runtime_globals *g, int argc, char **argv);
int cmd_kill(const runtime_globals *g, int argc, char **argv);
int cmd_delete(const runtime_globals *g, int argc, char **argv);
int cmd_spec(const runtime_globals *g, int argc, char **argv);
int cmd_features(const runtime_globals *g, int argc, char **argv);

/* Open the state root (creating it when create); prints the error, returns -1 on failure. */
int runtime_open_root(const runtime_globals *g, bool create);
/* Log e (to --log and, when that is a file, to stderr too) and return exit code 1. */
int runtime_fail(const rq_error *e);
/* A usage error: message, "Try ... --help", exit code 1. */
int runtime_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exactly one container id after the options, or a usage error (-1). */
int runtime_one_id(const char *cmd, int argc, char **argv, const char **ret_id);
