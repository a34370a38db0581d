/* Entry points of the namespace tools and the helpers they share (exec with util-linux exit
 * codes, waiting for a forked child and passing its status on). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

int cmd_ns(int argc, char **argv);
int cmd_nsenter(int argc, char **argv);
int cmd_unshare(int argc, char **argv);

/* Exec argv (or $SHELL, falling back to /bin/sh, when argv is empty). On failure prints
 * "failed to execute X: reason" and exits 127 (not found) or 126 (other), as util-linux. */
_Noreturn void tool_exec(char **argv);
/* Wait for pid, then exit with its exit code; if it was killed by a signal, die of the same
 * signal (util-linux behaviour), so shells see the real cause. SIGINT/SIGTERM/SIGQUIT are
 * ignored while waiting: the terminal sends them to the child, which decides. When the child
 * stops, we stop too and continue it when we are continued (util-linux does the same). */
_Noreturn void tool_wait_and_exit(pid_t pid);
/* Print the standard "Try 'rongqi CMD --help'" usage error and return exit code 1. */
int tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for a parser's rq_error. */
int tool_usage_error_from(const char *cmd, const rq_error *e);
