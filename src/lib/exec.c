/* `exec` into a running container. See exec.h. */
#include "lib/exec.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup.h"
#include "lib/container.h"
#include "lib/init.h"
#include "lib/nsjoin.h"
#include "lib/process-attrs.h"
#include "lib/seccomp.h"
#include "lib/spec.h"
#include "lib/sync.h"

/* Append s to the string array key of object o (created when missing). */
static int append_string(json_t *o, const char *key, const char *v)
{
        json_t *a = json_object_get(o, key);
        if (!json_is_array(a)) {
                a = json_array();
                if (!a || json_object_set_new(o, key, a) < 0)
                        return -ENOMEM;
        }
        return json_array_append_new(a, json_string(v)) < 0 ? -ENOMEM : 0;
}

/* NAME=VALUE into an env array: replaces NAME's entry, or appends. */
static int set_env(json_t *proc, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
        json_t *env = json_object_get(proc, "env");
        size_t i;
        json_t *e;
        json_array_foreach(env, i, e)
        {
                const char *cur = json_string_value(e);
                if (cur && strncmp(cur, kv, n) == 0 && cur[n] == '=')
                        return json_array_set_new(env, i, json_string(kv)) < 0 ? -ENOMEM : 0;
        }
        return append_string(proc, "env", kv);
}

/* The config's document with the process replaced (-p) and the overrides applied, parsed
 * once: validation and JSON paths in errors come for free. */
static int build_spec(const rq_state *st, const rq_exec_opts *o, rq_spec **ret, rq_error **reterr)
{
        _cleanup_free_ char *path = strprintf("%s/config.json", st->bundle);
        if (!path)
                return rq_error_set(reterr, ENOMEM, "config path");
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        if (!doc)
                return rq_error_invalid(reterr, "%s: %s", path, jerr.text);
        int k = 0;
        if (o->process_json) {
                json_t *p = json_loads(o->process_json, 0, &jerr);
                if (!p || !json_is_object(p)) {
                        json_decref(p);
                        json_decref(doc);
                        return rq_error_invalid(reterr, "--process: %s",
                                                p ? "not a JSON object" : jerr.text);
                }
                json_object_set_new(doc, "process", p);
        }
        json_t *proc = json_object_get(doc, "process");
        if (!json_is_object(proc)) {
                json_decref(doc);
                return rq_error_invalid(reterr, "process: the config has none to exec");
        }
        if (o->args) {
                json_t *a = json_array();
                for (char *const *i = o->args; *i; i++)
                        json_array_append_new(a, json_string(*i));
                json_object_set_new(proc, "args", a);
        }
        if (o->cwd)
                json_object_set_new(proc, "cwd", json_string(o->cwd));
        for (char *const *e = o->env; e && *e && k == 0; e++)
                k = set_env(proc, *e);
        if (o->set_user) {
                json_t *u = json_object_get(proc, "user");
                if (!json_is_object(u)) {
                        u = json_object();
                        json_object_set_new(proc, "user", u);
                }
                json_object_set_new(u, "uid", json_integer(o->uid));
                json_object_set_new(u, "gid", json_integer(o->gid));
        }
        if (o->caps && *o->caps) {
                json_t *c = json_object_get(proc, "capabilities");
                if (!json_is_object(c)) {
                        c = json_object();
                        json_object_set_new(proc, "capabilities", c);
                }
                static const char *const sets[] = { "bounding", "effective", "inheritable",
                                                    "permitted" };
                for (char *const *cap = o->caps; *cap && k == 0; cap++)
                        for (size_t i = 0; i < ELEMENTSOF(sets) && k == 0; i++)
                                k = append_string(c, sets[i], *cap);
        }
        if (o->no_new_privs)
                json_object_set_new(proc, "noNewPrivileges", json_true());
        /* Not a terminal: exec -t needs --console-socket, which this version lacks. */
        if (json_is_true(json_object_get(proc, "terminal")) && !o->process_json)
                json_object_set_new(proc, "terminal", json_false());
        char *text = k == 0 ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!text)
                return rq_error_set(reterr, ENOMEM, "build the process to exec");
        k = rq_spec_parse(text, strlen(text), ret, reterr);
        free(text);
        if (k < 0)
                return rq_error_wrap(reterr, "exec process");
        if ((*ret)->process->terminal) {
                rq_spec_free(*ret);
                *ret = NULL;
                return rq_error_set_plain(reterr, EOPNOTSUPP,
                                          "process.terminal: terminals (--console-socket) are not "
                                          "supported by this version of rongqi-runtime");
        }
        return 0;
}

/* In the container's namespaces, born in its PID namespace: set up and exec. */
static _Noreturn void exec_child(const rq_spec *spec, const rq_seccomp_prog *seccomp, int sock,
                                 unsigned preserve)
{
        rq_error *e = NULL;
        const rq_spec_process *p = spec->process;
        int k;
        int keep[] = { sock };
        if ((k = rq_init_seccomp(seccomp, p, true, &e)) < 0 ||
            (k = rq_process_attrs_apply(p, spec->linux_, &e)) < 0 ||
            (chdir(p->cwd) < 0 && (k = rq_error_set(&e, errno, "process.cwd: chdir %s", p->cwd))) ||
            (k = rq_init_close_fds(preserve, keep, 1, &e)) < 0 ||
            ((k = rq_exec_program(p->args, p->env, true)) < 0 &&
             (k = rq_exec_error(p->args[0], -k, &e))) ||
            (k = rq_init_seccomp(seccomp, p, false, &e)) < 0 ||
            (k = rq_sync_send(sock, RQ_SYNC_INIT_READY, NULL, 0, NULL, 0)) < 0) {
                if (!e)
                        rq_error_set(&e, k, "exec");
                (void)rq_sync_send_error(sock, e);
                _exit(1);
        }
        int err = -rq_exec_program(p->args, p->env, false);
        rq_exec_error(p->args[0], err, &e);
        (void)rq_sync_send_error(sock, e);
        _exit(err == ENOENT ? 127 : 126);
}

static int status_code(int status)
{
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The joiner: enter the namespaces, fork the process, report its pid, wait for it. */
static _Noreturn void joiner(pid_t init, const char *cgroup, const rq_spec *spec,
                             const rq_seccomp_prog *seccomp, int sock, bool detach,
                             unsigned preserve)
{
        rq_error *e = NULL;
        /* The container's cgroup first, by the host's paths: the process forked below is born
         * in it, under its limits. */
        if (cgroup && rq_cgroup_enter(cgroup, &e) < 0) {
                (void)rq_sync_send_error(sock, e);
                _exit(1);
        }
        rq_nsjoin_request req = {
                .target = init, .all = true, .root = true, .preserve_credentials = true
        };
        _cleanup_nsjoin_ rq_nsjoin j = RQ_NSJOIN_INIT;
        if (rq_nsjoin_prepare(&req, &j, &e) < 0 || rq_nsjoin_enter(&j, &e) < 0) {
                rq_error_wrap(&e, "join the container's namespaces");
                (void)rq_sync_send_error(sock, e);
                _exit(1);
        }
        pid_t pid = fork();
        if (pid < 0) {
                rq_error_set(&e, errno, "fork into the container");
                (void)rq_sync_send_error(sock, e);
                _exit(1);
        }
        if (pid == 0)
                exec_child(spec, seccomp, sock, preserve);
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        (void)rq_sync_send(sock, RQ_SYNC_CHILD_READY, buf, (size_t)n, NULL, 0);
        close(sock);
        if (detach)
                _exit(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(1);
        _exit(status_code(status));
}

int rq_container_exec(int root_fd, const rq_exec_opts *o, int *ret_status, rq_error **reterr)
{
        rq_state st;
        rq_status now;
        int k = rq_container_state(root_fd, o->id, &st, &now, reterr);
        if (k < 0)
                return k;
        if (now != RQ_STATUS_RUNNING && now != RQ_STATUS_CREATED) {
                rq_state_done(&st);
                return rq_error_set_plain(reterr, EINVAL, "cannot exec in a %s container",
                                          rq_status_to_string(now));
        }
        _cleanup_(rq_spec_freep) rq_spec *spec = NULL;
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *seccomp = NULL;
        pid_t init = st.pid;
        _cleanup_free_ char *cgroup = st.cgroup_path ? strdup(st.cgroup_path) : NULL;
        k = build_spec(&st, o, &spec, reterr);
        rq_state_done(&st);
        if (k < 0 || (spec->linux_ && spec->linux_->seccomp &&
                      (k = rq_seccomp_compile(spec->linux_->seccomp, &seccomp, reterr)) < 0))
                return k;
        /* Until the exec, the processes in the container are this binary: not dumpable, so
         * nothing there can open /proc/PID/exe or attach to them. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return rq_error_set(reterr, errno, "make the runtime non-dumpable");
        int sv[2];
        if ((k = rq_sync_pair(sv)) < 0)
                return rq_error_set(reterr, k, "create the sync socket");
        _cleanup_close_ int sock = sv[0];
        pid_t j = fork();
        if (j < 0) {
                close(sv[1]);
                return rq_error_set(reterr, errno, "fork");
        }
        if (j == 0) {
                close(sv[0]);
                joiner(init, cgroup, spec, seccomp, sv[1], o->detach, o->preserve_fds);
        }
        close(sv[1]);

        /* The joiner reports the process's pid, then the process reports INIT_READY (or an
         * error comes from either), then the socket closes at the exec. */
        /* Two reports, in either order (two processes write to the socket): the joiner's
         * CHILD_READY with the process's pid, and the process's INIT_READY. Then the socket
         * closes at the exec, or an error comes. */
        pid_t pid = 0;
        bool ready = false;
        k = 0;
        while (k >= 0 && (pid <= 0 || !ready)) {
                _cleanup_free_ char *payload = NULL;
                rq_sync_msg m;
                size_t len = 0;
                k = rq_sync_recv(sock, &m, &payload, &len, NULL, NULL);
                if (k == -ECONNRESET)
                        k = rq_error_set_plain(reterr, EPROTO,
                                               "exec: the joining process died without a word");
                else if (k < 0)
                        k = rq_error_set(reterr, k, "exec: wait for the joining process");
                else if (m == RQ_SYNC_ERROR)
                        k = rq_sync_take_error(payload, len, reterr);
                else if (m == RQ_SYNC_CHILD_READY && (pid = atoi(payload)) > 0)
                        continue;
                else if (m == RQ_SYNC_INIT_READY)
                        ready = true;
                else
                        k = rq_error_set_plain(reterr, EPROTO, "exec: protocol error (%s)",
                                               rq_sync_msg_to_string(m));
        }
        if (k >= 0)
                k = rq_sync_wait_exec(sock, reterr);
        int status;
        if (k < 0 || o->detach) {
                while (waitpid(j, &status, 0) < 0 && errno == EINTR)
                        ;
                if (k < 0)
                        return rq_error_wrap(reterr, "exec in container %s", o->id);
        }
        if (o->pid_file) {
                _cleanup_free_ char *tmp = strprintf("%s.tmp", o->pid_file);
                char buf[16];
                int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
                _cleanup_close_ int fd =
                        tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -EBADF;
                if (fd < 0 || write_all(fd, buf, (size_t)n) < 0 || rename(tmp, o->pid_file) < 0)
                        return rq_error_set(reterr, errno, "--pid-file %s", o->pid_file);
        }
        if (o->detach) {
                *ret_status = 0;
                return 0;
        }
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        while (waitpid(j, &status, 0) < 0)
                if (errno != EINTR)
                        return rq_error_set(reterr, errno, "wait for the exec'd process");
        *ret_status = status_code(status);
        return 0;
}
