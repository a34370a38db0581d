/* The parent/child protocol of container creation, over a SOCK_SEQPACKET socketpair (message
 * boundaries kept, one message per sendmsg, fds passed with SCM_RIGHTS).
 *
 *   parent (runtime)                          child (container init)
 *   ----------------                          ----------------------
 *   clone(namespace flags) ------------------> (new namespaces; v2: born in its cgroup)
 *                           <-- CHILD_READY    asks for id maps and cgroup (only when
 *   write uid/gid maps, join cgroup             there are maps, netDevices or a cgroup
 *   MAPS_DONE ---------------------------->    to join)  setuid(0) inside
 *                           <-- HOOKS          asks for createRuntime/createContainer hooks
 *   run hooks; HOOKS_DONE ---------------->    mounts, pivot_root, …
 *                           <-- CONSOLE_FD     (terminal: the pty master, 1 fd)
 *                           <-- SECCOMP_FD     (SCMP_ACT_NOTIFY: filter loaded, its listener)
 *   send it to the seccomp agent
 *   SECCOMP_DONE ------------------------->
 *                           <-- INIT_READY     set up; waits on the exec fifo until `start`
 *   record state, return
 *
 *   `exec` (exec.h) speaks the same messages: the joiner's CHILD_READY carries the exec'd
 *   process's pid and a pidfd of it, the process sends CONSOLE_FD (with a terminal),
 *   SECCOMP_FD/SECCOMP_DONE (with a notifying filter) and INIT_READY.
 *
 *   At any point the child may send ERROR (a serialised rq_error chain) and exit; the parent
 *   then reports that error, which names the step that failed inside the container.
 *
 * Every message is a header { uint32 type, uint32 length } followed by length payload bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

typedef enum rq_sync_msg {
        RQ_SYNC_CHILD_READY,
        RQ_SYNC_MAPS_DONE,
        RQ_SYNC_CONSOLE_FD,
        RQ_SYNC_HOOKS,
        RQ_SYNC_HOOKS_DONE,
        RQ_SYNC_SECCOMP_FD,
        RQ_SYNC_SECCOMP_DONE,
        RQ_SYNC_INIT_READY,
        RQ_SYNC_ERROR,
        _RQ_SYNC_MSG_MAX,
        _RQ_SYNC_MSG_INVALID = -1,
} rq_sync_msg;

#define RQ_SYNC_PAYLOAD_MAX 65536
#define RQ_SYNC_FDS_MAX 8

const char *rq_sync_msg_to_string(rq_sync_msg m);

/* A SOCK_SEQPACKET socketpair, both ends O_CLOEXEC. */
int rq_sync_pair(int ret[2]);

/* Send one message; payload may be NULL with len 0; fds may be NULL with n_fds 0. */
int rq_sync_send(int sock, rq_sync_msg type, const void *payload, size_t len, const int *fds,
                 size_t n_fds);
/* Receive one message. payload (malloc'd, NUL-terminated for convenience) and fds are
 * optional; received fds are O_CLOEXEC. -ECONNRESET when the peer closed its end,
 * -EBADMSG for a malformed message. */
int rq_sync_recv(int sock, rq_sync_msg *ret_type, char **ret_payload, size_t *ret_len, int *ret_fds,
                 size_t *ret_n_fds);

/* Send an error chain (the child's last words). */
int rq_sync_send_error(int sock, const rq_error *e);
/* Wait for message want. An ERROR message becomes *reterr (the child's chain, wrapped by
 * nothing) and its errno is returned; another message, a closed socket or a malformed one is
 * a protocol error naming what was expected. fds as in rq_sync_recv. */
int rq_sync_expect(int sock, rq_sync_msg want, int *ret_fds, size_t *ret_n_fds, rq_error **reterr);

/* The same, handing over the message's payload (malloc'd, NUL-terminated). */
int rq_sync_expect_payload(int sock, rq_sync_msg want, char **ret_payload, rq_error **reterr);

/* After INIT_READY: 0 when the socket closes (it is close-on-exec, so the exec worked), the
 * child's error when it reports one instead. */
int rq_sync_wait_exec(int sock, rq_error **reterr);

/* The payload of an ERROR message becomes *reterr (on top of whatever it held); returns its
 * -errno. */
int rq_sync_take_error(const char *payload, size_t len, rq_error **reterr);

/* Serialisation of rq_error chains (exposed for tests). */
int rq_error_serialize(const rq_error *e, char **ret, size_t *ret_len);
int rq_error_deserialize(const char *buf, size_t len, rq_error **ret);
