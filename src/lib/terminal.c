/* Pty allocation and the console socket. */
#include "lib/terminal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "basic/macro.h"

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
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return rq_error_invalid(reterr, "console socket path %s is longer than %zu bytes",
                                        path, sizeof(sa.sun_path) - 1);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return rq_error_set(reterr, errno, "create socket for console");
        if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return rq_error_set(reterr, errno, "connect to console socket %s", path);

        int n;
        char name[32] = "/dev/ptmx";
        if (ioctl(master_fd, TIOCGPTN, &n) == 0)
                snprintf(name, sizeof(name), "/dev/pts/%d", n);
        struct iovec iov = { name, strlen(name) };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        memset(&control, 0, sizeof(control));
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &master_fd, sizeof(int));
        if (RETRY_EINTR(sendmsg(s, &mh, MSG_NOSIGNAL)) < 0)
                return rq_error_set(reterr, errno, "send the pty to console socket %s", path);
        return 0;
}
