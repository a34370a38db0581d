/* Test helper: a seccomp agent, the receiving end of linux.seccomp.listenerPath.
 *   rq-seccomp-agent SOCKET OUTDIR ANSWER
 * Listens on SOCKET. Each connection brings one container process state (JSON) with a seccomp
 * listener fd (SCM_RIGHTS): the JSON is written to OUTDIR/state.N (N = 1, 2, … by connection),
 * the fd's /proc link ("anon_inode:seccomp notify") to OUTDIR/fd.N. Every notification on
 * every listener is logged to OUTDIR/notifications ("NR PID" lines) and answered by ANSWER:
 *   errno:N    the syscall fails with errno N
 *   value:V    the syscall returns V, without being done
 *   continue   the kernel runs the syscall (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 * Runs until killed, or 60 s without a connection or notification. Exits 1 on errors. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTENERS_MAX 16

static const char *outdir;

/* Write data to OUTDIR/name.n whole: the tests poll for the file. */
static int write_file(const char *name, unsigned n, const char *data, size_t len)
{
        char path[4096], tmp[4200];
        snprintf(path, sizeof(path), "%s/%s.%u", outdir, name, n);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0 ||
            rename(tmp, path) < 0)
                return perror(path), -1;
        return 0;
}

/* One connection: the document and the fd. Returns the listener fd, -2 for a connection
 * closed without a word, or -1. */
static int take_listener(int conn, unsigned n)
{
        static char buf[65536];
        union {
                char buf[CMSG_SPACE(sizeof(int) * 4)];
                struct cmsghdr align;
        } control;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t k = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
        if (k == 0)
                return -2; /* the runtime gave up (its create failed): nothing to serve */
        if (k < 0)
                return perror("recvmsg"), -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
                return fprintf(stderr, "connection %u: not exactly one fd\n", n), -1;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        /* The document is what this one recvmsg brings, as agents in the field read it: a
         * runtime need not close its end after it (runc does not, while the container runs). */
        size_t len = (size_t)k;
        char link[64], target[256];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t t = readlink(link, target, sizeof(target) - 1);
        if (t < 0 || write_file("fd", n, target, (size_t)t) < 0 ||
            write_file("state", n, buf, len) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int answer(int fd, const char *how)
{
        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
                /* ENOENT: the process died (or was interrupted) before we got to it. */
                return errno == ENOENT ? 0 : (perror("SECCOMP_IOCTL_NOTIF_RECV"), -1);
        char line[64], path[4096];
        int n = snprintf(line, sizeof(line), "%d %u\n", req.data.nr, req.pid);
        snprintf(path, sizeof(path), "%s/notifications", outdir);
        int log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log < 0 || write(log, line, (size_t)n) != n)
                return perror(path), -1;
        close(log);
        struct seccomp_notif_resp resp = { .id = req.id };
        if (strncmp(how, "errno:", 6) == 0)
                resp.error = -atoi(how + 6);
        else if (strncmp(how, "value:", 6) == 0)
                resp.val = atoll(how + 6);
        else
                resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
                return perror("SECCOMP_IOCTL_NOTIF_SEND"), -1;
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 4 || (strncmp(argv[3], "errno:", 6) && strncmp(argv[3], "value:", 6) &&
                          strcmp(argv[3], "continue")))
                return fprintf(stderr, "usage: rq-seccomp-agent SOCKET OUTDIR "
                                       "errno:N|value:V|continue\n"),
                       1;
        outdir = argv[2];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(argv[1]) >= sizeof(sa.sun_path))
                return fprintf(stderr, "socket path too long\n"), 1;
        strcpy(sa.sun_path, argv[1]);
        struct pollfd p[1 + LISTENERS_MAX];
        p[0] = (struct pollfd){ .fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                                .events = POLLIN };
        if (p[0].fd < 0 || bind(p[0].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(p[0].fd, 8) < 0)
                return perror("listen"), 1;
        size_t n_fds = 1;
        unsigned conns = 0;
        for (;;) {
                int k = poll(p, n_fds, 60000);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k == 0 ? 0 : (perror("poll"), 1);
                if (p[0].revents & POLLIN) {
                        int conn = accept4(p[0].fd, NULL, NULL, SOCK_CLOEXEC);
                        if (conn < 0)
                                return perror("accept"), 1;
                        int fd = take_listener(conn, ++conns);
                        close(conn);
                        if (fd == -2)
                                continue;
                        if (fd < 0)
                                return 1;
                        if (n_fds == 1 + LISTENERS_MAX)
                                return fprintf(stderr, "too many listeners\n"), 1;
                        p[n_fds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
                }
                for (size_t i = 1; i < n_fds; i++) {
                        if ((p[i].revents & POLLIN) && answer(p[i].fd, argv[3]) < 0)
                                return 1;
                        /* Every process under the filter has exited. */
                        if (p[i].revents & POLLHUP) {
                                close(p[i].fd);
                                p[i--] = p[--n_fds];
                        }
                }
        }
}
