/* Shared pieces of the namespace tools. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/log.h"
#include "tools/tools.h"

_Noreturn void tool_exec(char **argv)
{
        char *shell_argv[2] = { NULL, NULL };
        if (!argv || !argv[0]) {
                const char *sh = getenv("SHELL");
                shell_argv[0] = (char *)(sh && *sh ? sh : "/bin/sh");
                argv = shell_argv;
        }
        execvp(argv[0], argv);
        int err = errno;
        /* runc's and util-linux's wording: podman maps these to exit codes 127 and 126. */
        if (err == ENOENT)
                rq_err("failed to execute %s: executable file not found in $PATH", argv[0]);
        else if (err == EACCES)
                rq_err("failed to execute %s: permission denied", argv[0]);
        else
                rq_err("failed to execute %s: %s", argv[0], strerror(err));
        _exit(err == ENOENT ? 127 : 126);
}

_Noreturn void tool_wait_and_exit(pid_t pid)
{
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        int status;
        for (;;) {
                if (RETRY_EINTR(waitpid(pid, &status, WUNTRACED)) < 0) {
                        rq_err("wait for child %d: %s", (int)pid, strerror(errno));
                        exit(1);
                }
                if (!WIFSTOPPED(status))
                        break;
                /* The child stopped (Ctrl-Z): stop too, so the shell sees the job stop, and
                 * continue it when we are continued. */
                raise(SIGSTOP);
                kill(pid, SIGCONT);
        }
        if (WIFEXITED(status))
                exit(WEXITSTATUS(status));
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                /* No core file of our own for the child's crash. */
                struct rlimit rl = { 0, 0 };
                setrlimit(RLIMIT_CORE, &rl);
                signal(sig, SIG_DFL);
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, sig);
                sigprocmask(SIG_UNBLOCK, &set, NULL);
                kill(getpid(), sig);
                exit(128 + sig);
        }
        exit(1);
}

int tool_usage_error(const char *cmd, const char *fmt, ...)
{
        char command[64];
        snprintf(command, sizeof(command), "rongqi %s", cmd);
        va_list ap;
        va_start(ap, fmt);
        int r = rq_log_usage(command, fmt, ap);
        va_end(ap);
        return r;
}

int tool_usage_error_from(const char *cmd, const rq_error *e)
{
        _cleanup_free_ char *msg = e ? rq_error_format(e) : NULL;
        return tool_usage_error(cmd, "%s", msg ? msg : "invalid command line");
}
