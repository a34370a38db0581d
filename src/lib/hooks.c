/* Running OCI hooks. See hooks.h. */
#include "lib/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"

bool rq_hooks_any(const rq_spec *spec, unsigned kinds)
{
        for (int k = 0; spec->hooks && k < _RQ_HOOK_KIND_MAX; k++)
                if ((kinds & (1u << k)) && spec->hooks->list[k].n_hooks > 0)
                        return true;
        return false;
}

static int run_one(const rq_spec_hook *h, const char *what, const char *state_json,
                   rq_error **reterr)
{
        int in[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return rq_error_set(reterr, errno, "%s: pipe", what);
        pid_t pid = fork();
        if (pid < 0) {
                int err = errno;
                close(in[0]);
                close(in[1]);
                return rq_error_set(reterr, err, "%s: fork", what);
        }
        if (pid == 0) {
                /* stdin: the state; stdout and stderr: ours (the caller's log or terminal). */
                if (dup2(in[0], 0) < 0)
                        _exit(126);
                static char *const no_env[] = { NULL };
                char *const *argv = h->n_args > 0 ? h->args : (char *const[]){ h->path, NULL };
                execve(h->path, argv, h->env ? h->env : no_env);
                _exit(errno == ENOENT ? 127 : 126);
        }
        close(in[0]);
        /* A hook that does not read its input must not block us: SIGPIPE is ignored around the
         * write, and a short or failed write is not the hook's failure. */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        (void)write_all(in[1], state_json, strlen(state_json));
        signal(SIGPIPE, old);
        close(in[1]);

        _cleanup_close_ int pfd = pidfd_open(pid, 0);
        int timeout_ms = h->timeout.set ? h->timeout.value * 1000 : -1;
        if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                int n = RETRY_EINTR(poll(&p, 1, timeout_ms));
                if (n == 0) {
                        kill(pid, SIGKILL);
                        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
                        return rq_error_set_plain(reterr, ETIMEDOUT,
                                                  "%s (%s): timed out after %d s, killed", what,
                                                  h->path, h->timeout.value);
                }
        }
        int status;
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rq_error_set(reterr, errno, "%s (%s): wait", what, h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return rq_error_set_plain(reterr, ENOENT, "%s (%s): not found", what, h->path);
        if (WIFEXITED(status))
                return rq_error_set_plain(reterr, EIO, "%s (%s): exit status %d", what, h->path,
                                          WEXITSTATUS(status));
        return rq_error_set_plain(reterr, EIO, "%s (%s): killed by signal %d", what, h->path,
                                  WTERMSIG(status));
}

int rq_hooks_run(const rq_spec *spec, rq_hook_kind kind, const char *state_json, rq_error **reterr)
{
        if (!spec->hooks)
                return 0;
        const rq_spec_hook_list *l = &spec->hooks->list[kind];
        for (size_t i = 0; i < l->n_hooks; i++) {
                char what[64];
                snprintf(what, sizeof(what), "hooks.%s[%zu]", rq_hook_kind_to_string(kind), i);
                int k = run_one(&l->hooks[i], what, state_json, reterr);
                if (k < 0)
                        return k;
        }
        return 0;
}
