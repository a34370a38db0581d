/* The parent/child sync protocol: framing, fd passing, error transport. See sync.h. */
#include "lib/sync.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"

typedef struct sync_header {
        uint32_t type;
        uint32_t len;
} sync_header;

static const char *const msg_names[_RQ_SYNC_MSG_MAX] = {
        [RQ_SYNC_CHILD_READY] = "CHILD_READY",
        [RQ_SYNC_MAPS_DONE] = "MAPS_DONE",
        [RQ_SYNC_CONSOLE_FD] = "CONSOLE_FD",
        [RQ_SYNC_HOOKS] = "HOOKS",
        [RQ_SYNC_HOOKS_DONE] = "HOOKS_DONE",
        [RQ_SYNC_SECCOMP_FD] = "SECCOMP_FD",
        [RQ_SYNC_SECCOMP_DONE] = "SECCOMP_DONE",
        [RQ_SYNC_INIT_READY] = "INIT_READY",
        [RQ_SYNC_ERROR] = "ERROR",
};

const char *rq_sync_msg_to_string(rq_sync_msg m)
{
        return m >= 0 && m < _RQ_SYNC_MSG_MAX ? msg_names[m] : "INVALID";
}

int rq_sync_pair(int ret[2])
{
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ret) < 0)
                return negative_errno();
        return 0;
}

int rq_sync_send(int sock, rq_sync_msg type, const void *payload, size_t len, const int *fds,
                 size_t n_fds)
{
        if (type < 0 || type >= _RQ_SYNC_MSG_MAX || len > RQ_SYNC_PAYLOAD_MAX ||
            n_fds > RQ_SYNC_FDS_MAX)
                return -EINVAL;
        sync_header h = { (uint32_t)type, (uint32_t)len };
        struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
        ssize_t k = send_with_fds(sock, iov, len ? 2 : 1, fds, n_fds);
        if (k < 0)
                return (int)k;
        if ((size_t)k != sizeof(h) + len)
                return -EMSGSIZE;
        return 0;
}

int rq_sync_recv(int sock, rq_sync_msg *ret_type, char **ret_payload, size_t *ret_len, int *ret_fds,
                 size_t *ret_n_fds)
{
        sync_header h;
        _cleanup_free_ char *payload = malloc(RQ_SYNC_PAYLOAD_MAX + 1);
        if (!payload)
                return -ENOMEM;
        struct iovec iov[2] = { { &h, sizeof(h) }, { payload, RQ_SYNC_PAYLOAD_MAX } };
        union {
                char buf[CMSG_SPACE(sizeof(int) * RQ_SYNC_FDS_MAX)];
                struct cmsghdr align;
        } control;
        struct msghdr mh = { .msg_iov = iov,
                             .msg_iovlen = 2,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t k = RETRY_EINTR(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC));
        if (k < 0)
                return negative_errno();

        /* Take the fds first, so they are closed on every error path below. */
        int fds[RQ_SYNC_FDS_MAX];
        size_t n_fds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < n; i++) {
                                int fd;
                                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                if (n_fds < RQ_SYNC_FDS_MAX)
                                        fds[n_fds++] = fd;
                                else
                                        close(fd);
                        }
                }
        int r = 0;
        if (k == 0)
                r = -ECONNRESET;
        else if ((size_t)k < sizeof(h) || h.type >= _RQ_SYNC_MSG_MAX ||
                 h.len != (size_t)k - sizeof(h) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
                r = -EBADMSG;
        else if (n_fds > 0 && !ret_fds)
                r = -EBADMSG; /* fds nobody asked for */
        if (r < 0) {
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
                return r;
        }
        if (ret_fds) {
                memcpy(ret_fds, fds, n_fds * sizeof(int));
                *ret_n_fds = n_fds;
        }
        payload[h.len] = 0;
        *ret_type = (rq_sync_msg)h.type;
        if (ret_len)
                *ret_len = h.len;
        if (ret_payload)
                *ret_payload = TAKE_PTR(payload);
        return 0;
}

/* Error chain wire format, outermost frame first, per frame:
 *   int32 err, uint8 show_errno, uint16 msg length, msg, uint16 hint length, hint. */
static int put(char **buf, size_t *len, size_t *alloc, const void *p, size_t n)
{
        if (*len + n > *alloc) {
                size_t a = (*alloc ? *alloc * 2 : 256) + n;
                char *nb = realloc(*buf, a);
                if (!nb)
                        return -ENOMEM;
                *buf = nb;
                *alloc = a;
        }
        memcpy(*buf + *len, p, n);
        *len += n;
        return 0;
}

static int put_str(char **buf, size_t *len, size_t *alloc, const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n > UINT16_MAX)
                n = UINT16_MAX;
        uint16_t n16 = (uint16_t)n;
        int r = put(buf, len, alloc, &n16, sizeof(n16));
        return r < 0 ? r : put(buf, len, alloc, s ? s : "", n);
}

int rq_error_serialize(const rq_error *e, char **ret, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        int r = 0;
        for (; e && r == 0; e = e->cause) {
                int32_t err = e->err;
                uint8_t show = e->show_errno;
                if ((r = put(&buf, &len, &alloc, &err, sizeof(err))) < 0 ||
                    (r = put(&buf, &len, &alloc, &show, sizeof(show))) < 0 ||
                    (r = put_str(&buf, &len, &alloc, e->msg)) < 0 ||
                    (r = put_str(&buf, &len, &alloc, e->hint)) < 0)
                        break;
                if (len > RQ_SYNC_PAYLOAD_MAX) {
                        r = -E2BIG;
                        break;
                }
        }
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int get(const char **p, const char *end, void *out, size_t n)
{
        if ((size_t)(end - *p) < n)
                return -EBADMSG;
        memcpy(out, *p, n);
        *p += n;
        return 0;
}

static int get_str(const char **p, const char *end, char **ret)
{
        uint16_t n;
        if (get(p, end, &n, sizeof(n)) < 0 || (size_t)(end - *p) < n)
                return -EBADMSG;
        *ret = strndup(*p, n);
        if (!*ret)
                return -ENOMEM;
        *p += n;
        return 0;
}

int rq_error_deserialize(const char *buf, size_t len, rq_error **ret)
{
        const char *p = buf, *end = buf + len;
        rq_error *head = NULL, **tail = &head;
        int r = 0;
        if (len == 0)
                return -EBADMSG;
        while (p < end) {
                rq_error *e = calloc(1, sizeof(*e));
                if (!e) {
                        r = -ENOMEM;
                        break;
                }
                *tail = e;
                tail = &e->cause;
                int32_t err;
                uint8_t show;
                if ((r = get(&p, end, &err, sizeof(err))) < 0 ||
                    (r = get(&p, end, &show, sizeof(show))) < 0 ||
                    (r = get_str(&p, end, &e->msg)) < 0 || (r = get_str(&p, end, &e->hint)) < 0)
                        break;
                if (err < 0 || err > 4095) {
                        r = -EBADMSG;
                        break;
                }
                e->err = err;
                e->show_errno = show != 0;
                if (!*e->hint) {
                        free(e->hint);
                        e->hint = NULL;
                }
        }
        if (r < 0) {
                rq_error_free(head);
                return r;
        }
        *ret = head;
        return 0;
}

int rq_sync_send_error(int sock, const rq_error *e)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = rq_error_serialize(e, &buf, &len);
        if (r < 0)
                return r;
        return rq_sync_send(sock, RQ_SYNC_ERROR, buf, len, NULL, 0);
}

int rq_sync_take_error(const char *payload, size_t len, rq_error **reterr)
{
        rq_error *child = NULL;
        if (rq_error_deserialize(payload, len, &child) < 0)
                return rq_error_set_plain(reterr, EPROTO,
                                          "container init failed and its error report is "
                                          "unreadable");
        int err = rq_error_errno(child);
        if (!reterr) {
                rq_error_free(child);
                return -err;
        }
        rq_error **end = &child;
        while (*end)
                end = &(*end)->cause;
        *end = *reterr;
        *reterr = child;
        return -err;
}

int rq_sync_wait_exec(int sock, rq_error **reterr)
{
        rq_sync_msg got;
        _cleanup_free_ char *payload = NULL;
        size_t len;
        int r = rq_sync_recv(sock, &got, &payload, &len, NULL, NULL);
        if (r == -ECONNRESET)
                return 0; /* closed by the exec: the program runs */
        if (r < 0)
                return rq_error_set(reterr, r, "waiting for the container program to start");
        if (got == RQ_SYNC_ERROR)
                return rq_sync_take_error(payload, len, reterr);
        return rq_error_set_plain(reterr, EPROTO,
                                  "protocol error: expected the exec or an error from the "
                                  "container init, got %s",
                                  rq_sync_msg_to_string(got));
}

static int expect(int sock, rq_sync_msg want, int *ret_fds, size_t *ret_n_fds, char **ret_payload,
                  rq_error **reterr)
{
        rq_sync_msg got;
        _cleanup_free_ char *payload = NULL;
        size_t len;
        int r = rq_sync_recv(sock, &got, &payload, &len, ret_fds, ret_n_fds);
        if (r == -ECONNRESET)
                return rq_error_set_plain(reterr, EPROTO,
                                          "container init exited before %s, without a reason",
                                          rq_sync_msg_to_string(want));
        if (r < 0)
                return rq_error_set(reterr, r, "waiting for %s from the container init",
                                    rq_sync_msg_to_string(want));
        if (got != want && ret_fds) {
                /* Nothing is handed over on a failure: close what came with the message. */
                for (size_t i = 0; i < *ret_n_fds; i++)
                        close(ret_fds[i]);
                *ret_n_fds = 0;
        }
        if (got == RQ_SYNC_ERROR)
                return rq_sync_take_error(payload, len, reterr);
        if (got == want && ret_payload)
                *ret_payload = TAKE_PTR(payload);
        if (got != want)
                return rq_error_set_plain(reterr, EPROTO,
                                          "protocol error: expected %s from the container init, "
                                          "got %s",
                                          rq_sync_msg_to_string(want), rq_sync_msg_to_string(got));
        return 0;
}

int rq_sync_expect(int sock, rq_sync_msg want, int *ret_fds, size_t *ret_n_fds, rq_error **reterr)
{
        return expect(sock, want, ret_fds, ret_n_fds, NULL, reterr);
}

int rq_sync_expect_payload(int sock, rq_sync_msg want, char **ret_payload, rq_error **reterr)
{
        return expect(sock, want, NULL, NULL, ret_payload, reterr);
}
