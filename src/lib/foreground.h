/* The runtime in the foreground (`run` and `exec` without -d), as runc: it stays until the
 * container process exits and exits with its code, forwarding the signals it gets to that
 * process. With a terminal and no --console-socket it also holds the pty master and relays
 * between its own stdin/stdout and the pty: its own terminal (if it has one) goes raw while it
 * runs and is restored after, and its window size follows to the pty (SIGWINCH).
 *
 * Signals are taken through a signalfd, blocked only after the container process exists: a
 * blocked mask would be inherited by it. Forwarded: every catchable signal but SIGCHLD,
 * SIGWINCH (resizes), SIGPIPE (our own broken stdout) and the synchronous faults. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

typedef struct rq_foreground {
        pid_t child; /* the caller's child to wait for: its exit status is the result */
        int child_pidfd; /* a pidfd of child */
        int signal_pidfd; /* the container process, where signals are forwarded */
        int master; /* the pty master to relay, or -EBADF */
} rq_foreground;

/* Wait for f->child, relaying and forwarding meanwhile. Returns 0 and the exit code (128+n for
 * a signal) in *ret_code. The signals stay blocked after it returns: the caller finishes
 * (deletes the container, exits) without being cut short by one that comes late. */
int rq_foreground_wait(const rq_foreground *f, int *ret_code, rq_error **reterr);

/* The window size of the caller's terminal (the first of stdin, stdout, stderr that is one):
 * 0, or -ENOTTY when none is a terminal. */
int rq_foreground_terminal_size(uint16_t *ret_rows, uint16_t *ret_cols);
