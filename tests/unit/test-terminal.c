/* Unit tests: pty pairs, the console socket handshake as containerd receives it, runc's
 * terminal rules, and the pidfd sent to --pidfd-socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/fdpass.h"
#include "lib/terminal.h"

/* Receive one message with one fd: its data into name. Returns the fd. */
static int recv_named_fd(int sock, char *name, size_t size)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { name, size - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (k <= 0 || !cm)
                return -1;
        name[k] = 0;
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

static void a_pty_pair_carries_data_and_its_size(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_close_ int m = rq_pty_open_master(AT_FDCWD, "/dev/ptmx", &e);
        assert_true(m >= 0);
        _cleanup_close_ int s = rq_pty_open_slave(m, &e);
        assert_true(s >= 0);
        assert_true(fcntl(s, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(rq_pty_set_size(m, 40, 120, &e), 0);
        struct winsize ws;
        assert_int_equal(ioctl(s, TIOCGWINSZ, &ws), 0);
        assert_int_equal(ws.ws_row, 40);
        assert_int_equal(ws.ws_col, 120);
        struct termios t;
        assert_int_equal(tcgetattr(s, &t), 0);
        cfmakeraw(&t);
        assert_int_equal(tcsetattr(s, TCSANOW, &t), 0);
        assert_int_equal(write(s, "hi", 2), 2);
        char buf[8];
        assert_int_equal(read(m, buf, sizeof(buf)), 2);
        assert_memory_equal(buf, "hi", 2);
}

static void a_regular_file_is_not_a_ptmx(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_true(rq_pty_open_master(AT_FDCWD, "/etc/hostname", &e) < 0);
        char *s = rq_error_format(e);
        assert_non_null(strstr(s, "/etc/hostname"));
        free(s);
}

static void the_master_reaches_the_console_socket_with_its_name(void **state)
{
        char dir[] = "/tmp/rq-test-console.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[64];
        snprintf(path, sizeof(path), "%s/sock", dir);
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(l, 1), 0);

        pid_t pid = fork();
        if (pid == 0) {
                /* The container side: a pty whose slave becomes its stdio. */
                rq_error *e = NULL;
                int m = rq_pty_open_master(AT_FDCWD, "/dev/ptmx", &e);
                int s = m >= 0 ? rq_pty_open_slave(m, &e) : -1;
                if (s < 0 || rq_console_socket_send(path, m, &e) < 0)
                        _exit(1);
                close(m);
                if (rq_pty_make_stdio(s, &e) < 0)
                        _exit(2);
                struct termios t;
                tcgetattr(1, &t);
                cfmakeraw(&t);
                tcsetattr(1, TCSANOW, &t);
                if (write(1, "from-container", 14) != 14)
                        _exit(3);
                sleep(1);
                _exit(0);
        }
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        assert_true(c >= 0);
        char name[64] = "";
        int master = recv_named_fd(c, name, sizeof(name));
        assert_true(master >= 0);
        assert_non_null(strstr(name, "/dev/pts/"));
        char buf[32] = "";
        size_t got = 0;
        while (got < 14) {
                ssize_t r = read(master, buf + got, sizeof(buf) - 1 - got);
                assert_true(r > 0);
                got += (size_t)r;
        }
        assert_string_equal(buf, "from-container");
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        close(master);
        close(c);
        close(l);
        unlink(path);
        rmdir(dir);
}

static void a_missing_console_socket_is_named(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_close_ int m = rq_pty_open_master(AT_FDCWD, "/dev/ptmx", &e);
        assert_int_equal(rq_console_socket_send("/nonexistent/rq.sock", m, &e), -ENOENT);
        char *s = rq_error_format(e);
        assert_string_equal(s, "--console-socket /nonexistent/rq.sock: connect: No such file or "
                               "directory");
        free(s);
}

static void detaching_with_a_pty_needs_a_console_socket_in_runcs_words(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_terminal_check(true, NULL, false, &e), -EINVAL);
        char *s = rq_error_format(e);
        assert_string_equal(s, "cannot allocate tty if rongqi-runtime will detach without "
                               "setting console socket");
        free(s);
        assert_non_null(rq_error_get_hint(e));
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(rq_terminal_check(false, "/x.sock", true, &e), -EINVAL);
        assert_null(e->cause);
        rq_error_free(TAKE_PTR(e));
        /* relayed in the foreground, or sent to the socket, or no terminal at all */
        assert_int_equal(rq_terminal_check(true, NULL, true, &e), 0);
        assert_int_equal(rq_terminal_check(true, "/x.sock", false, &e), 0);
        assert_int_equal(rq_terminal_check(false, NULL, false, &e), 0);
        assert_null(e);
}

static void a_pidfd_reaches_the_socket_with_its_name(void **state)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        _cleanup_close_ int a = sv[0], b = sv[1];
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                alarm(30); /* gone even if an assertion below fails */
                pause();
                _exit(0);
        }
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_pidfd_socket_send(a, "/some.sock", child, "standard", &e), 0);
        char name[32] = "";
        _cleanup_close_ int fd = recv_named_fd(b, name, sizeof(name));
        assert_true(fd >= 0);
        assert_string_equal(name, "standard");
        /* It is a pidfd of that child: a SIGKILL through it is what the child dies of. */
        assert_int_equal(syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0), 0);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_pty_pair_carries_data_and_its_size),
                cmocka_unit_test(a_regular_file_is_not_a_ptmx),
                cmocka_unit_test(the_master_reaches_the_console_socket_with_its_name),
                cmocka_unit_test(a_missing_console_socket_is_named),
                cmocka_unit_test(detaching_with_a_pty_needs_a_console_socket_in_runcs_words),
                cmocka_unit_test(a_pidfd_reaches_the_socket_with_its_name),
        };
        return cmocka_run_group_tests_name("terminal", tests, NULL, NULL);
}
