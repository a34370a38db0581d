/* Seccomp user notification (SCMP_ACT_NOTIFY): the filter's listener fd handed to the seccomp
 * agent at linux.seccomp.listenerPath with the OCI "container process state". The design (who
 * connects, who loads, who sends, when) is described at the top of seccomp-notify.c. */
#pragma once

#include <sys/types.h>

#include "lib/error.h"
#include "lib/seccomp.h"
#include "lib/spec.h"

/* Connect to the agent's unix socket at listener_path. Done before the container's process
 * exists, so an agent that is not there fails `create` (or `exec`) with nothing to undo; the
 * error names the path. Returns the socket (close-on-exec). */
int rq_seccomp_agent_connect(const char *listener_path, rq_error **reterr);

/* The container process state, as one JSON object:
 *   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (when not NULL), "state"}
 * state_json is the container's OCI state (a JSON object, its keys kept in order);
 * pid is the process the filter is on, as the runtime sees it: the init at create, the new
 * process at exec. */
int rq_seccomp_process_state(const char *state_json, pid_t pid, const char *metadata, char **ret,
                             rq_error **reterr);

/* Send process_state with notify_fd (SCM_RIGHTS, on the first sendmsg) over the connected
 * agent socket *agent_fd, then close it (*agent_fd becomes -EBADF), so the agent sees where
 * the document ends. listener_path is for errors. */
int rq_seccomp_agent_send(int *agent_fd, const char *listener_path, int notify_fd,
                          const char *process_state, rq_error **reterr);

/* The container process's side (init or exec'd process): load p (which notifies), send the
 * listener fd to the runtime as SECCOMP_FD, close our copy and wait for SECCOMP_DONE, which
 * says the agent has it. */
int rq_seccomp_notify_load(const rq_seccomp_prog *p, int sync_fd, rq_error **reterr);

/* The runtime's side, once SECCOMP_FD brought notify_fd: the process state for pid and
 * state_json goes to the agent with notify_fd (the agent socket is closed), then SECCOMP_DONE
 * to the process. notify_fd stays the caller's to close. */
int rq_seccomp_notify_forward(int sync_fd, int *agent_fd, const rq_spec_seccomp *s, int notify_fd,
                              const char *state_json, pid_t pid, rq_error **reterr);
