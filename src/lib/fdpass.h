/* Handing an fd to a program that asked for it by naming a unix socket: --console-socket (the
 * pty master) and --pidfd-socket (a pidfd of the container process), runc's protocol for both: a
 * SOCK_STREAM connection, one message whose data is a short name and whose SCM_RIGHTS carry the
 * fd. containerd, podman's conmon and runc's recvtty and pidfd-kill receive it that way.
 *
 * --pidfd-socket is connected before anything is created, so a bad path fails early and leaves
 * nothing behind; the pidfd is sent once the process exists. Its name is runc's: "standard" for
 * a container init, "setns" for an exec'd process. */
#pragma once

#include <sys/types.h>

#include "lib/error.h"

/* Connect to the unix socket at path; errors name the option (what) and the path. Returns the
 * socket (O_CLOEXEC). */
int rq_fdpass_connect(const char *what, const char *path, rq_error **reterr);
/* Send fd over sock with name as the message data. */
int rq_fdpass_send(int sock, int fd, const char *name, const char *what, const char *path,
                   rq_error **reterr);
/* Open a pidfd of pid (the caller's child or one it holds a pidfd of, so that pid cannot have
 * been reused) and send it over the --pidfd-socket sock connected to path. */
int rq_pidfd_socket_send(int sock, const char *path, pid_t pid, const char *name,
                         rq_error **reterr);
