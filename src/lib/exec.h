/* Running one more process in a running container (the runtime's `exec`): the container's
 * config.json process, with what the caller overrides, started in every namespace of the
 * container's init.
 *
 *   runtime ──fork──> joiner: setns(pidfd of the init, all its namespaces) in one call, then
 *                     ──fork──> process: born in the container's PID namespace; with a
 *                               terminal a pty from the container's devpts (CONSOLE_FD);
 *                               process attributes, cwd, fds, seccomp, exec (errors over the
 *                               sync socket, as for create)
 *                     CHILD_READY: the process's pid and a pidfd of it (the joiner is its
 *                     parent, so the pidfd names it even if it has exited already); the
 *                     joiner waits for it and exits with its status
 *
 * The pty master goes to --console-socket, or (in the foreground) the runtime relays it;
 * foreground.h.
 *
 * The runtime makes itself non-dumpable first: until the exec, the joined process is the
 * runtime binary inside the container, and no process of the container may open its
 * /proc/PID/exe or ptrace it (the CVE-2019-5736 class). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

typedef struct rq_exec_opts {
        const char *id;
        char *const *args; /* override process.args; NULL: keep */
        const char *process_json; /* -p: a process object (JSON text) replacing the config's */
        const char *cwd; /* override process.cwd; NULL: keep */
        char *const *env; /* NAME=VALUE added to (or replacing in) process.env */
        bool set_user;
        uid_t uid;
        gid_t gid;
        char *const *caps; /* --cap names, added to every set but ambient */
        bool no_new_privs;
        bool tty; /* -t: process.terminal (without -p; with -p the process says) */
        const char *console_socket; /* send the pty master there; NULL: relay it (foreground) */
        const char *pidfd_socket; /* send a pidfd of the process there, or NULL */
        bool detach; /* return once the program runs */
        const char *pid_file;
        unsigned preserve_fds; /* fds 3 .. 3+n-1 go into the container */
        bool exe_guard; /* may re-execute this process from a sealed copy (exe-guard.h) */
} rq_exec_opts;

/* Returns 0 and, unless detached, the program's exit status in *ret_status (128+n for a
 * signal), or -errno with the error. */
int rq_container_exec(int root_fd, const rq_exec_opts *o, int *ret_status, rq_error **reterr);
