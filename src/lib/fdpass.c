/* Fds to unix sockets named by the caller. See fdpass.h. */
#include "lib/fdpass.h"

#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"

int rq_fdpass_connect(const char *what, const char *path, rq_error **reterr)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return rq_error_invalid(reterr, "%s %s: the path is longer than %zu bytes", what,
                                        path, sizeof(sa.sun_path) - 1);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return rq_error_set(reterr, errno, "%s %s: create a socket", what, path);
        if (RETRY_EINTR(connect(s, (struct sockaddr *)&sa, sizeof(sa))) < 0)
                return rq_error_set(reterr, errno, "%s %s: connect", what, path);
        return TAKE_FD(s);
}

int rq_fdpass_send(int sock, int fd, const char *name, const char *what, const char *path,
                   rq_error **reterr)
{
        struct iovec iov = { (void *)name, strlen(name) };
        ssize_t k = send_with_fds(sock, &iov, 1, &fd, 1);
        if (k < 0)
                return rq_error_set(reterr, (int)k, "%s %s: send the fd", what, path);
        return 0;
}

int rq_pidfd_socket_send(int sock, const char *path, pid_t pid, const char *name, rq_error **reterr)
{
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return rq_error_set(reterr, errno, "--pidfd-socket %s: open a pidfd of %d", path,
                                    (int)pid);
        return rq_fdpass_send(sock, pidfd, name, "--pidfd-socket", path, reterr);
}
