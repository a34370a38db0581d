/* Terminals for containers: a pty pair from a devpts instance, the slave made the controlling
 * terminal and stdio of the container process, and the master handed to the caller over
 * --console-socket (runc's protocol: a SOCK_STREAM unix socket, the master fd sent with
 * SCM_RIGHTS and its name as the message data; containerd, podman's conmon and runc's recvtty
 * receive it that way).
 *
 * The slave is reached with ioctl(TIOCGPTPEER) on the master, never by a /dev/pts/N path that a
 * container could swap for a symlink. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

/* Open a new master from the ptmx device at dirfd/path (e.g. the container's /dev/pts/ptmx,
 * after its devpts is mounted), unlocked. Returns the master fd (O_CLOEXEC). */
int rq_pty_open_master(int dirfd, const char *path, rq_error **reterr);
/* The slave of a master, O_RDWR|O_NOCTTY|O_CLOEXEC, through TIOCGPTPEER. */
int rq_pty_open_slave(int master_fd, rq_error **reterr);
/* Set the window size (consoleSize); 0x0 leaves it alone. */
int rq_pty_set_size(int fd, uint16_t rows, uint16_t cols, rq_error **reterr);
/* In the process that will exec the container program: new session, slave as controlling
 * terminal, and dup'ed onto 0, 1, 2. The slave fd itself is closed. */
int rq_pty_make_stdio(int slave_fd, rq_error **reterr);
/* Connect to the --console-socket at path and send master_fd. */
int rq_console_socket_send(const char *path, int master_fd, rq_error **reterr);
/* In a container process (the init after pivot_root, or an exec'd process after joining the
 * container's mount namespace and root): a pty from the container's own /dev/pts/ptmx, checked
 * by fd to be on devpts, sized rows x cols (0x0: left alone), its master sent to the runtime
 * over sync_fd (CONSOLE_FD). Returns the slave. */
int rq_pty_open_in_container(int sync_fd, uint16_t rows, uint16_t cols, rq_error **reterr);
/* runc's rules for a terminal, in its words: a runtime that will not stay to relay the pty
 * (create, run -d, exec -d: !relay) needs a console socket for it, and a console socket needs a
 * terminal to receive. */
int rq_terminal_check(bool terminal, const char *console_socket, bool relay, rq_error **reterr);
