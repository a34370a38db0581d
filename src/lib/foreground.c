/* The foreground runtime: wait, forward signals, relay the pty. See foreground.h. */
#include "lib/foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"

/* After the process exits, what it wrote may still be on its way through the pty (the kernel
 * moves it to the master side asynchronously): keep reading until the pty is quiet this long,
 * or its last holder closed it, but no longer than DRAIN_MAX_MS. */
#define DRAIN_QUIET_MS 200
#define DRAIN_MAX_MS 2000

static bool forwarded(int sig)
{
        switch (sig) {
        case SIGKILL:
        case SIGSTOP:
        case SIGCHLD:
        case SIGWINCH:
        case SIGPIPE:
        case SIGSEGV:
        case SIGBUS:
        case SIGILL:
        case SIGFPE:
        case SIGTRAP:
        case SIGSYS:
                return false;
        default:
                return true;
        }
}

static int host_terminal(void)
{
        for (int fd = 0; fd <= 2; fd++)
                if (isatty(fd))
                        return fd;
        return -ENOTTY;
}

int rq_foreground_terminal_size(uint16_t *ret_rows, uint16_t *ret_cols)
{
        int fd = host_terminal();
        struct winsize ws;
        if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0)
                return -ENOTTY;
        *ret_rows = ws.ws_row;
        *ret_cols = ws.ws_col;
        return 0;
}

static void copy_size(int from, int to)
{
        struct winsize ws;
        if (from >= 0 && to >= 0 && ioctl(from, TIOCGWINSZ, &ws) == 0)
                (void)ioctl(to, TIOCSWINSZ, &ws);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The relay's state: input from our stdin waiting to go into the pty. */
typedef struct relay {
        int master;
        bool in_open, master_open, out_open;
        char in[4096];
        size_t in_len, in_off;
} relay;

static void relay_master_readable(relay *r)
{
        char buf[8192];
        ssize_t n = read(r->master, buf, sizeof(buf));
        if (n > 0) {
                /* A reader of our stdout that went away only loses the output. */
                if (r->out_open && write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                        r->out_open = false;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                r->master_open = false; /* EIO: no slave is open any more */
        }
}

static void relay_master_writable(relay *r)
{
        ssize_t n = write(r->master, r->in + r->in_off, r->in_len - r->in_off);
        if (n > 0)
                r->in_off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
                r->in_off = r->in_len; /* the pty is gone: drop the input */
}

static void relay_stdin_readable(relay *r)
{
        ssize_t n = read(STDIN_FILENO, r->in, sizeof(r->in));
        if (n > 0) {
                r->in_len = (size_t)n;
                r->in_off = 0;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                /* As runc: the end of our input is not passed on; the process keeps its pty. */
                r->in_open = false;
        }
}

/* Forward what is pending on the signalfd; SIGWINCH resizes the pty. */
static void handle_signals(int sfd, const rq_foreground *f, int tty)
{
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                int sig = (int)si.ssi_signo;
                if (sig == SIGWINCH)
                        copy_size(tty, f->master);
                else if (forwarded(sig))
                        (void)syscall(SYS_pidfd_send_signal, f->signal_pidfd, sig, NULL, 0);
        }
}

static int loop(const rq_foreground *f, int sfd, int tty, rq_error **reterr)
{
        relay r = { .master = f->master,
                    .in_open = f->master >= 0,
                    .master_open = f->master >= 0,
                    .out_open = true };
        int64_t exited_at = -1;
        for (;;) {
                struct pollfd p[4] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = exited_at < 0 ? f->child_pidfd : -1, .events = POLLIN },
                        { .fd = r.master_open ? r.master : -1,
                          .events = POLLIN | (r.in_off < r.in_len ? POLLOUT : 0) },
                        { .fd = r.in_open && r.in_off == r.in_len && exited_at < 0 ? STDIN_FILENO
                                                                                   : -1,
                          .events = POLLIN },
                };
                int timeout = -1;
                if (exited_at >= 0) {
                        int64_t left = exited_at + DRAIN_MAX_MS - now_ms();
                        if (!r.master_open || left <= 0)
                                return 0;
                        timeout = (int)(left < DRAIN_QUIET_MS ? left : DRAIN_QUIET_MS);
                }
                int n = poll(p, ELEMENTSOF(p), timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return rq_error_set(reterr, errno, "wait for the container process");
                if (n == 0)
                        return 0; /* drained: quiet since the exit */
                if (p[0].revents)
                        handle_signals(sfd, f, tty);
                if (p[1].revents)
                        exited_at = now_ms();
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
                        relay_master_readable(&r);
                if (r.master_open && (p[2].revents & POLLOUT))
                        relay_master_writable(&r);
                if (p[3].revents)
                        relay_stdin_readable(&r);
        }
}

int rq_foreground_wait(const rq_foreground *f, int *ret_code, rq_error **reterr)
{
        sigset_t mask;
        sigemptyset(&mask);
        for (int sig = 1; sig <= SIGRTMAX; sig++)
                if (sig != SIGKILL && sig != SIGSTOP &&
                    (forwarded(sig) || sig == SIGWINCH || sig == SIGCHLD || sig == SIGPIPE))
                        (void)sigaddset(&mask, sig); /* glibc's internal ones are refused */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return rq_error_set(reterr, errno, "block signals");
        _cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return rq_error_set(reterr, errno, "signalfd");

        int tty = f->master >= 0 ? host_terminal() : -ENOTTY;
        struct termios saved;
        bool raw = false;
        if (tty >= 0 && tcgetattr(tty, &saved) == 0) {
                struct termios t = saved;
                cfmakeraw(&t);
                raw = tcsetattr(tty, TCSANOW, &t) == 0;
        }
        if (f->master >= 0) {
                int fl = fcntl(f->master, F_GETFL);
                if (fl >= 0)
                        (void)fcntl(f->master, F_SETFL, fl | O_NONBLOCK);
                /* Once more: it may have changed since the pty was sized at its creation. */
                copy_size(tty, f->master);
        }

        int k = loop(f, sfd, tty, reterr);
        int status = 0;
        if (k >= 0 && RETRY_EINTR(waitpid(f->child, &status, 0)) < 0)
                k = rq_error_set(reterr, errno, "wait for the container process");
        if (raw)
                (void)tcsetattr(tty, TCSANOW, &saved);
        if (k < 0)
                return k;
        *ret_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}
