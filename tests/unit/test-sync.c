/* Unit tests: the parent/child sync protocol, fd passing and error transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/sync.h"

static void a_message_keeps_its_type_and_payload(void **state)
{
        int sv[2];
        assert_int_equal(rq_sync_pair(sv), 0);
        assert_int_equal(rq_sync_send(sv[0], RQ_SYNC_HOOKS, "createRuntime", 13, NULL, 0), 0);
        assert_int_equal(rq_sync_send(sv[0], RQ_SYNC_MAPS_DONE, NULL, 0, NULL, 0), 0);
        rq_sync_msg m;
        char *p = NULL;
        size_t len;
        assert_int_equal(rq_sync_recv(sv[1], &m, &p, &len, NULL, NULL), 0);
        assert_int_equal(m, RQ_SYNC_HOOKS);
        assert_int_equal(len, 13);
        assert_string_equal(p, "createRuntime");
        free(p);
        assert_int_equal(rq_sync_recv(sv[1], &m, NULL, &len, NULL, NULL), 0);
        assert_int_equal(m, RQ_SYNC_MAPS_DONE);
        assert_int_equal(len, 0);
        close(sv[0]);
        assert_int_equal(rq_sync_recv(sv[1], &m, NULL, NULL, NULL, NULL), -ECONNRESET);
        close(sv[1]);
}

static void an_fd_crosses_and_arrives_close_on_exec(void **state)
{
        int sv[2], pp[2];
        assert_int_equal(rq_sync_pair(sv), 0);
        assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
        assert_int_equal(rq_sync_send(sv[0], RQ_SYNC_CONSOLE_FD, NULL, 0, &pp[1], 1), 0);
        close(pp[1]);
        int fds[RQ_SYNC_FDS_MAX];
        size_t n = 0;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_sync_expect(sv[1], RQ_SYNC_CONSOLE_FD, fds, &n, &e), 0);
        assert_int_equal(n, 1);
        assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
        assert_int_equal(write(fds[0], "x", 1), 1);
        close(fds[0]);
        char c;
        assert_int_equal(read(pp[0], &c, 1), 1);
        assert_int_equal(c, 'x');
        close(pp[0]);
        close(sv[0]);
        close(sv[1]);
}

static void unasked_fds_are_refused_and_closed(void **state)
{
        int sv[2], pp[2];
        assert_int_equal(rq_sync_pair(sv), 0);
        assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
        assert_int_equal(rq_sync_send(sv[0], RQ_SYNC_INIT_READY, NULL, 0, &pp[1], 1), 0);
        close(pp[1]);
        rq_sync_msg m;
        assert_int_equal(rq_sync_recv(sv[1], &m, NULL, NULL, NULL, NULL), -EBADMSG);
        /* The passed write end is closed again: the read end sees EOF. */
        char c;
        assert_int_equal(read(pp[0], &c, 1), 0);
        close(pp[0]);
        close(sv[0]);
        close(sv[1]);
}

static rq_error *sample_chain(void)
{
        rq_error *e = NULL;
        rq_error_set(&e, EPERM, "mount proc on %s", "/x/rootfs/proc");
        rq_error_hint(&e, "the container has no new mount namespace");
        rq_error_wrap(&e, "init");
        return e;
}

static void an_error_chain_survives_serialisation(void **state)
{
        _cleanup_error_ rq_error *e = sample_chain(), *back = NULL;
        char *buf;
        size_t len;
        assert_int_equal(rq_error_serialize(e, &buf, &len), 0);
        assert_int_equal(rq_error_deserialize(buf, len, &back), 0);
        char *a = rq_error_format(e), *b = rq_error_format(back);
        assert_string_equal(a, b);
        assert_string_equal(b, "init: mount proc on /x/rootfs/proc: Operation not permitted");
        assert_string_equal(rq_error_get_hint(back), "the container has no new mount namespace");
        assert_int_equal(rq_error_errno(back), EPERM);
        free(a);
        free(b);
        /* Every truncation is refused, never read past the end. */
        for (size_t cut = 0; cut < len; cut++) {
                rq_error *x = NULL;
                int r = rq_error_deserialize(buf, cut, &x);
                if (r == 0) {
                        /* a cut exactly between frames is a shorter valid chain */
                        assert_non_null(x);
                        rq_error_free(x);
                } else
                        assert_int_equal(r, -EBADMSG);
        }
        free(buf);
}

static void the_parent_gets_the_childs_error(void **state)
{
        int sv[2];
        assert_int_equal(rq_sync_pair(sv), 0);
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                rq_error *e = sample_chain();
                _exit(rq_sync_send_error(sv[1], e) < 0 ? 1 : 0);
        }
        close(sv[1]);
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_sync_expect(sv[0], RQ_SYNC_INIT_READY, NULL, NULL, &e), -EPERM);
        char *s = rq_error_format(e);
        assert_string_equal(s, "init: mount proc on /x/rootfs/proc: Operation not permitted");
        free(s);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(sv[0]);
}

static void silence_and_surprises_are_protocol_errors(void **state)
{
        int sv[2];
        assert_int_equal(rq_sync_pair(sv), 0);
        assert_int_equal(rq_sync_send(sv[1], RQ_SYNC_CHILD_READY, NULL, 0, NULL, 0), 0);
        close(sv[1]);
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_sync_expect(sv[0], RQ_SYNC_INIT_READY, NULL, NULL, &e), -EPROTO);
        char *s = rq_error_format(e);
        assert_string_equal(s, "protocol error: expected INIT_READY from the container init, got "
                               "CHILD_READY");
        free(s);
        rq_error_free(e);
        e = NULL;
        assert_int_equal(rq_sync_expect(sv[0], RQ_SYNC_INIT_READY, NULL, NULL, &e), -EPROTO);
        s = rq_error_format(e);
        assert_string_equal(s, "container init exited before INIT_READY, without a reason");
        free(s);
        close(sv[0]);
}

static void bad_arguments_are_refused(void **state)
{
        int sv[2];
        assert_int_equal(rq_sync_pair(sv), 0);
        assert_int_equal(rq_sync_send(sv[0], _RQ_SYNC_MSG_MAX, NULL, 0, NULL, 0), -EINVAL);
        assert_int_equal(rq_sync_send(sv[0], RQ_SYNC_HOOKS, "x", RQ_SYNC_PAYLOAD_MAX + 1, NULL, 0),
                         -EINVAL);
        assert_int_equal(rq_error_deserialize("", 0, &(rq_error *){ NULL }), -EBADMSG);
        close(sv[0]);
        close(sv[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_message_keeps_its_type_and_payload),
                cmocka_unit_test(an_fd_crosses_and_arrives_close_on_exec),
                cmocka_unit_test(unasked_fds_are_refused_and_closed),
                cmocka_unit_test(an_error_chain_survives_serialisation),
                cmocka_unit_test(the_parent_gets_the_childs_error),
                cmocka_unit_test(silence_and_surprises_are_protocol_errors),
                cmocka_unit_test(bad_arguments_are_refused),
        };
        return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
