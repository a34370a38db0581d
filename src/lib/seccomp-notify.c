/* Seccomp user notification: the listener fd of a filter with SCMP_ACT_NOTIFY rules goes to the
 * seccomp agent at linux.seccomp.listenerPath, with the container process state (runtime-spec
 * config-linux.md, "seccomp").
 *
 * Design. The listener fd exists only once the filter is loaded, and only in the process it is
 * loaded in; the agent's socket is a host path, out of reach of a process that has pivoted into
 * the container. So the runtime (on the host) connects, the container process loads and passes
 * the fd back over the sync socket, and the runtime sends it on:
 *
 *   runtime                                    container process (init, or exec's process)
 *   connect(listenerPath)  -- before the process exists: an unreachable agent fails create or
 *                             exec naming the path, with nothing started
 *   clone / fork ------------------------->    setup ... close fds, exec check
 *                                              seccomp(NEW_LISTENER) -> listener fd
 *                            <-- SECCOMP_FD    (1 fd); close our copy
 *   process state + fd -> agent, close the
 *   agent socket and our copy of the fd
 *   SECCOMP_DONE -------------------------->   INIT_READY, (fifo wait, startContainer hooks,)
 *                                              exec
 *
 * At create the filter is therefore loaded before INIT_READY, not after the exec fifo as other
 * filters are: `create` is the only runtime process alive with the container (nothing of it
 * stays resident until `start`), so it is the only one that can hand the fd over, and an agent
 * problem is reported by `create`, as it must be. This is also what runc does; it means the
 * fifo wait and startContainer hooks run under a notifying filter. The state sent is the OCI
 * state at that moment ("creating", the init's pid); at exec it is the container's state
 * ("running" or "created") and the pid is the new process's.
 *
 * No copy of the listener stays behind: the process closes its copy right after sending it
 * (before the exec, so the program never sees it), the runtime closes its copy and the agent
 * socket after sending. Only the agent holds the listener then, so when the agent goes away,
 * the kernel fails the notified syscalls (ENOSYS) instead of leaving the container waiting.
 * The one syscall the process makes with no one able to answer is the sendmsg carrying the
 * fd: a filter that notifies sendmsg is refused by rq_seccomp_compile(). */
#include "lib/seccomp-notify.h"

#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/sync.h"

#define LISTENER_PATH "linux.seccomp.listenerPath"

int rq_seccomp_agent_connect(const char *listener_path, rq_error **reterr)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(listener_path);
        if (n >= sizeof(sa.sun_path))
                return rq_error_invalid(reterr, LISTENER_PATH ": %s is longer than %zu bytes",
                                        listener_path, sizeof(sa.sun_path) - 1);
        memcpy(sa.sun_path, listener_path, n + 1);
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return rq_error_set(reterr, errno, "create a socket for the seccomp agent");
        if (RETRY_EINTR(connect(sock, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
                int e = errno;
                rq_error_set(reterr, e, LISTENER_PATH ": connect to the seccomp agent at %s",
                             listener_path);
                if (e == ENOENT || e == ECONNREFUSED)
                        rq_error_hint(reterr,
                                      "start the seccomp agent (listening on %s) before "
                                      "the container",
                                      listener_path);
                return -e;
        }
        return TAKE_FD(sock);
}

int rq_seccomp_process_state(const char *state_json, pid_t pid, const char *metadata, char **ret,
                             rq_error **reterr)
{
        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *state = json_loads(state_json, 0, &jerr);
        if (!state)
                return rq_error_invalid(reterr, "container state is not JSON: %s", jerr.text);
        if (!json_is_object(state))
                return rq_error_invalid(reterr, "container state is not a JSON object");
        if (pid <= 0)
                return rq_error_invalid(reterr, "container process state: no pid");
        _cleanup_(json_decrefp) json_t *o =
                json_pack("{s:s, s:[s], s:I}", "ociVersion", RQ_SPEC_VERSION, "fds", "seccompFd",
                          "pid", (json_int_t)pid);
        if (!o || (metadata && json_object_set_new(o, "metadata", json_string(metadata)) < 0) ||
            json_object_set(o, "state", state) < 0)
                return rq_error_set(reterr, ENOMEM, "build the container process state");
        /* One line, the state's keys in their order. */
        *ret = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*ret)
                return rq_error_set(reterr, ENOMEM, "build the container process state");
        return 0;
}

int rq_seccomp_agent_send(int *agent_fd, const char *listener_path, int notify_fd,
                          const char *process_state, rq_error **reterr)
{
        _cleanup_close_ int sock = TAKE_FD(*agent_fd);
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = { 0 };
        size_t len = strlen(process_state);
        /* Agents read the document with one recvmsg; a stream socket may still take it in
         * parts, and then the fd travels with the first. */
        for (size_t off = 0; off < len;) {
                struct iovec iov = { (char *)process_state + off, len - off };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                if (off == 0) {
                        mh.msg_control = control.buf;
                        mh.msg_controllen = sizeof(control.buf);
                        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                        *c = (struct cmsghdr){ .cmsg_len = CMSG_LEN(sizeof(int)),
                                               .cmsg_level = SOL_SOCKET,
                                               .cmsg_type = SCM_RIGHTS };
                        memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
                }
                ssize_t n = RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL));
                if (n < 0)
                        return rq_error_set(reterr, errno,
                                            "send the seccomp listener to the agent at %s",
                                            listener_path);
                off += (size_t)n;
        }
        return 0;
}

int rq_seccomp_notify_load(const rq_seccomp_prog *p, int sync_fd, rq_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int k = rq_seccomp_load(p, &fd, reterr);
        if (k < 0)
                return k;
        /* Until the agent has the listener, nothing can answer a notification: the sendmsg
         * below must not notify (rq_seccomp_compile refuses such a filter). */
        k = rq_sync_send(sync_fd, RQ_SYNC_SECCOMP_FD, NULL, 0, &fd, 1);
        if (k < 0)
                return rq_error_set(reterr, k, "send the seccomp listener to the runtime");
        /* Closed before anything else: the program must never hold it. */
        fd = safe_close(fd);
        return rq_sync_expect(sync_fd, RQ_SYNC_SECCOMP_DONE, NULL, NULL, reterr);
}

int rq_seccomp_notify_forward(int sync_fd, int *agent_fd, const rq_spec_seccomp *s, int notify_fd,
                              const char *state_json, pid_t pid, rq_error **reterr)
{
        _cleanup_free_ char *msg = NULL;
        int k;
        if ((k = rq_seccomp_process_state(state_json, pid, s->listener_metadata, &msg, reterr)) <
                    0 ||
            (k = rq_seccomp_agent_send(agent_fd, s->listener_path, notify_fd, msg, reterr)) < 0)
                return k;
        k = rq_sync_send(sync_fd, RQ_SYNC_SECCOMP_DONE, NULL, 0, NULL, 0);
        if (k < 0)
                return rq_error_set(reterr, k,
                                    "tell the container process that the seccomp "
                                    "agent has its listener");
        return 0;
}
