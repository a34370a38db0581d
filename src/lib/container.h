/* Container lifecycle for the OCI runtime (runtime.md): create, start, kill, delete, with
 * state in the state root (state.h) and runc's wording where callers parse it ("container
 * does not exist", "container not running", "cannot delete container X that is not
 * stopped: running").
 *
 *   create  state dir (exclusive) -> config.json -> exec fifo -> spawn (the init waits on the
 *           fifo) -> state "created"; on failure nothing is left: no state dir, no process
 *   start   the container must be "created": write a byte to the fifo, the init execs
 *   kill    signal the init (a pidfd, checked against the recorded start time), or with --all
 *           every process in the container's PID namespace
 *   delete  a stopped container, or any with force (SIGKILL to every process first) */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/state.h"

typedef struct rq_create_opts {
        const char *id;
        const char *bundle; /* absolute path */
        const char *pid_file; /* write the init's pid there, or NULL */
        const char *console_socket; /* process.terminal: where the pty master goes */
        int *ret_console_fd; /* process.terminal without console_socket: the pty master comes
                                back here (foreground run); NULL: refused, as runc does */
        uint16_t console_rows, console_cols; /* pty size overriding process.consoleSize, or 0 */
        const char *pidfd_socket; /* send a pidfd of the init there (fdpass.h), or NULL */
        unsigned preserve_fds; /* --preserve-fds */
        bool start; /* run: no exec fifo, the program starts at once */
        bool exe_guard; /* may re-execute this process from a sealed copy (exe-guard.h) */
        bool no_pivot; /* --no-pivot: MS_MOVE + chroot instead of pivot_root (pivot.h) */
        bool no_new_keyring; /* --no-new-keyring: keep the caller's session keyring */
        bool systemd_cgroup; /* --systemd-cgroup: the cgroup is a systemd scope (cgroup.h);
                                recorded in the state, so later commands need not repeat it */
} rq_create_opts;

int rq_container_create(int root_fd, const rq_create_opts *o, pid_t *ret_pid, rq_error **reterr);
int rq_container_start(int root_fd, const char *id, rq_error **reterr);
int rq_container_kill(int root_fd, const char *id, int sig, bool all, rq_error **reterr);
/* Freeze every process of a running container (its cgroup), or thaw a paused one. */
int rq_container_pause(int root_fd, const char *id, bool pause, rq_error **reterr);
int rq_container_delete(int root_fd, const char *id, bool force, rq_error **reterr);
/* The host pids of every process in the container (its PID namespace), ascending; none for a
 * stopped container. Free *ret. */
int rq_container_pids(int root_fd, const char *id, pid_t **ret, size_t *ret_n, rq_error **reterr);
/* Apply changes (a linux.resources object, merged into the container's current one) to a
 * created, running or paused container's cgroup and record the result in its state directory
 * (resources.json): "container not running" for a stopped one. See container-update.c. */
int rq_container_update(int root_fd, const char *id, json_t *changes, rq_error **reterr);
/* Read a container's state (and its live status) under a shared lock. */
int rq_container_state(int root_fd, const char *id, rq_state *ret, rq_status *ret_status,
                       rq_error **reterr);
