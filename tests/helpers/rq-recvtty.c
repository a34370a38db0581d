/* Test helper: the receiving end of --console-socket and --pidfd-socket, as containerd, podman's
 * conmon and runc's recvtty and pidfd-kill are.
 *   rq-recvtty SOCKET [INPUT]
 *     Listens on SOCKET, takes the pty master sent over it with SCM_RIGHTS, writes INPUT to it,
 *     and copies everything the container writes to the terminal to stdout, until the
 *     container side closes it.
 *   rq-recvtty --pidfd SOCKET [SIGNAL]
 *     Takes the fd sent over SOCKET, prints the message's name and the pid the fd refers to
 *     ("Pid:" of /proc/self/fdinfo, in our PID namespace), and with SIGNAL (a number) sends
 *     that signal through it.
 * Exits 0 after a clean end, 1 on errors. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* Listen on path, accept one connection, receive one message: its data into name, its fd. */
static int receive_fd(const char *path, char *name, size_t size)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return fprintf(stderr, "socket path too long\n"), -1;
        strcpy(sa.sun_path, path);
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
                return perror("listen"), -1;
        /* Ready: the caller waits for the socket file. */
        struct pollfd pl = { .fd = l, .events = POLLIN };
        if (poll(&pl, 1, 30000) != 1)
                return fprintf(stderr, "no connection within 30 s\n"), -1;
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return perror("accept"), -1;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { name, size - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
        if (n <= 0 || !CMSG_FIRSTHDR(&mh))
                return fprintf(stderr, "no fd received\n"), -1;
        name[n] = 0;
        int fd;
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
        close(c);
        close(l);
        return fd;
}

static int pidfd_mode(const char *path, const char *sig)
{
        char name[256], fdinfo[64], line[256];
        int fd = receive_fd(path, name, sizeof(name));
        if (fd < 0)
                return 1;
        snprintf(fdinfo, sizeof(fdinfo), "/proc/self/fdinfo/%d", fd);
        FILE *f = fopen(fdinfo, "re");
        long pid = -1;
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "Pid:", 4) == 0)
                        pid = strtol(line + 4, NULL, 10);
        if (f)
                fclose(f);
        if (pid == -1)
                return fprintf(stderr, "fd %d is not a pidfd\n", fd), 1;
        printf("%s %ld\n", name, pid);
        fflush(stdout);
        if (sig && syscall(SYS_pidfd_send_signal, fd, atoi(sig), NULL, 0) < 0)
                return perror("pidfd_send_signal"), 1;
        return 0;
}

int main(int argc, char **argv)
{
        if (argc > 2 && strcmp(argv[1], "--pidfd") == 0)
                return pidfd_mode(argv[2], argc > 3 ? argv[3] : NULL);
        if (argc < 2)
                return fprintf(stderr, "usage: rq-recvtty [--pidfd] SOCKET [INPUT|SIGNAL]\n"), 1;
        char name[256];
        int master = receive_fd(argv[1], name, sizeof(name));
        if (master < 0)
                return 1;
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
