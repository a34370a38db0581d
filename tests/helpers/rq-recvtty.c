/* Test helper: the receiving end of --console-socket, as containerd and podman's conmon are.
 *   rq-recvtty SOCKET [INPUT]
 * Listens on SOCKET, takes the pty master sent over it with SCM_RIGHTS, writes INPUT to it,
 * and copies everything the container writes to the terminal to stdout, until the container
 * side closes it. Exits 0 after a clean end, 1 on errors. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 2)
                return fprintf(stderr, "usage: rq-recvtty SOCKET [INPUT]\n"), 1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(argv[1]) >= sizeof(sa.sun_path))
                return fprintf(stderr, "socket path too long\n"), 1;
        strcpy(sa.sun_path, argv[1]);
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
                return perror("listen"), 1;
        /* Ready: the caller waits for the socket file. */
        struct pollfd pl = { .fd = l, .events = POLLIN };
        if (poll(&pl, 1, 30000) != 1)
                return fprintf(stderr, "no connection within 30 s\n"), 1;
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return perror("accept"), 1;
        char name[256];
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { name, sizeof(name) - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        if (recvmsg(c, &mh, MSG_CMSG_CLOEXEC) <= 0 || !CMSG_FIRSTHDR(&mh))
                return fprintf(stderr, "no fd received\n"), 1;
        int master;
        memcpy(&master, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
        if (argc > 2 && write(master, argv[2], strlen(argv[2])) < 0)
                return perror("write"), 1;
        char buf[4096];
        for (;;) {
                struct pollfd p = { .fd = master, .events = POLLIN };
                if (poll(&p, 1, 30000) != 1)
                        return fprintf(stderr, "terminal silent for 30 s\n"), 1;
                ssize_t n = read(master, buf, sizeof(buf));
                if (n < 0 && errno == EIO)
                        return 0; /* every slave fd is closed: the container is done */
                if (n <= 0)
                        return n == 0 ? 0 : (perror("read"), 1);
                if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
                        return 1;
                fflush(stdout);
        }
}
