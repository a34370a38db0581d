/* Pty allocation and the console socket. */
#include "lib/terminal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/macro.h"
#include "lib/fdpass.h"
#include "lib/sync.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int rq_pty_open_master(int dirfd, const char *path, rq_error **reterr)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open pty multiplexer %s", path);
        int unlock = 0;
        if (ioctl(fd, TIOCSPTLCK, &unlock) < 0)
                return rq_error_set(reterr, errno, "unlock pty (%s)", path);
        int n;
        if (ioctl(fd, TIOCGPTN, &n) < 0)
                return rq_error_set_plain(reterr, ENOTTY, "%s is not a pty multiplexer", path);
        return TAKE_FD(fd);
}

int rq_pty_open_slave(int master_fd, rq_error **reterr)
{
        int fd = ioctl(master_fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open pty slave (TIOCGPTPEER)");
        return fd;
}

int rq_pty_set_size(int fd, uint16_t rows, uint16_t cols, rq_error **reterr)
{
        if (rows == 0 && cols == 0)
                return 0;
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return rq_error_set(reterr, errno, "set terminal size %ux%u", rows, cols);
        return 0;
}

int rq_pty_make_stdio(int slave_fd, rq_error **reterr)
{
        if (setsid() < 0)
                return rq_error_set(reterr, errno, "setsid");
        if (ioctl(slave_fd, TIOCSCTTY, 0) < 0)
                return rq_error_set(reterr, errno, "make the pty the controlling terminal");
        for (int i = 0; i <= 2; i++)
                if (dup2(slave_fd, i) < 0)
                        return rq_error_set(reterr, errno, "dup pty slave to fd %d", i);
        if (slave_fd > 2)
                close(slave_fd);
        return 0;
}

int rq_console_socket_send(const char *path, int master_fd, rq_error **reterr)
{
        _cleanup_close_ int s = rq_fdpass_connect("--console-socket", path, reterr);
        if (s < 0)
                return s;
        int n;
        char name[32] = "/dev/ptmx";
        if (ioctl(master_fd, TIOCGPTN, &n) == 0)
                snprintf(name, sizeof(name), "/dev/pts/%d", n);
        return rq_fdpass_send(s, master_fd, name, "--console-socket", path, reterr);
}

int rq_pty_open_in_container(int sync_fd, uint16_t rows, uint16_t cols, rq_error **reterr)
{
        _cleanup_close_ int master = rq_pty_open_master(AT_FDCWD, "/dev/pts/ptmx", reterr);
        if (master < 0) {
                rq_error_wrap(reterr, "process.terminal");
                return rq_error_hint(reterr, "mount a devpts file system on /dev/pts "
                                             "(options newinstance,ptmxmode=0666)");
        }
        if (fd_verify_kind(master, S_IFCHR, DEVPTS_SUPER_MAGIC) < 0)
                return rq_error_set_plain(reterr, EXDEV,
                                          "process.terminal: /dev/pts/ptmx is not "
                                          "on a devpts file system: refused");
        _cleanup_close_ int slave = rq_pty_open_slave(master, reterr);
        if (slave < 0)
                return slave;
        int k;
        if ((k = rq_pty_set_size(master, rows, cols, reterr)) < 0)
                return k;
        if ((k = rq_sync_send(sync_fd, RQ_SYNC_CONSOLE_FD, NULL, 0, &master, 1)) < 0)
                return rq_error_set(reterr, k, "send the terminal to the runtime");
        return TAKE_FD(slave);
}

int rq_terminal_check(bool terminal, const char *console_socket, bool relay, rq_error **reterr)
{
        if (terminal && !console_socket && !relay) {
                rq_error_set_plain(reterr, EINVAL,
                                   "cannot allocate tty if rongqi-runtime will detach without "
                                   "setting console socket");
                return rq_error_hint(reterr, "give --console-socket PATH to receive the pty "
                                             "master, or run in the foreground");
        }
        if (!terminal && console_socket)
                return rq_error_set_plain(reterr, EINVAL,
                                          "cannot use console socket if rongqi-runtime will not "
                                          "allocate tty: process.terminal is false");
        return 0;
}
