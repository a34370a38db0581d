/* `exec` into a running container. See exec.h. */
#include "lib/exec.h"

#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup.h"
#include "lib/container.h"
#include "lib/exe-guard.h"
#include "lib/fdpass.h"
#include "lib/foreground.h"
#include "lib/init.h"
#include "lib/log.h"
#include "lib/lsm.h"
#include "lib/ns.h"
#include "lib/nsjoin.h"
#include "lib/process-attrs.h"
#include "lib/seccomp.h"
#include "lib/seccomp-notify.h"
#include "lib/spawn.h"
#include "lib/spec.h"
#include "lib/sync.h"
#include "lib/terminal.h"

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
/* Whether the config's own process may hold CAP_SYS_PTRACE (its bounding set names it). */
static bool config_may_ptrace(json_t *doc)
{
        json_t *b = json_object_get(
                json_object_get(json_object_get(doc, "process"), "capabilities"), "bounding");
        size_t i;
        json_t *c;
        json_array_foreach(b, i, c)
        {
                if (json_is_string(c) && strcmp(json_string_value(c), "CAP_SYS_PTRACE") == 0)
                        return true;
        }
        return false;
}

static int build_spec(const rq_state *st, const rq_exec_opts *o, rq_spec **ret,
                      bool *ret_config_ptrace, rq_error **reterr)
{
        _cleanup_free_ char *path = strprintf("%s/config.json", st->bundle);
        if (!path)
                return rq_error_set(reterr, ENOMEM, "config path");
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        if (!doc)
                return rq_error_invalid(reterr, "%s: %s", path, jerr.text);
        *ret_config_ptrace = config_may_ptrace(doc);
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
        /* As runc: the config's terminal is the container init's; an exec has one when -t
         * asks (or its -p process says so). */
        if (!o->process_json)
                json_object_set_new(proc, "terminal", json_boolean(o->tty));
        char *text = k == 0 ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!text)
                return rq_error_set(reterr, ENOMEM, "build the process to exec");
        k = rq_spec_parse(text, strlen(text), ret, reterr);
        free(text);
        if (k < 0)
                return rq_error_wrap(reterr, "exec process");
        return 0;
}

/* What the joiner and the process need, fixed before the first fork. */
typedef struct exec_ctx {
        const rq_spec *spec;
        const rq_seccomp_prog *seccomp;
        pid_t init;
        const char *cgroup;
        int sock;
        int agent; /* the runtime's connection to the seccomp agent, or -EBADF */
        bool detach;
        unsigned preserve;
        uint16_t rows, cols; /* pty size */
} exec_ctx;

/* In the container's namespaces, born in its PID namespace: set up and exec. */
static _Noreturn void exec_child(const exec_ctx *x)
{
        rq_error *e = NULL;
        const rq_spec_process *p = x->spec->process;
        int k;
        /* The pty before the user switch: the container's devpts is root's to open from. */
        int slave = p->terminal ? rq_pty_open_in_container(x->sock, x->rows, x->cols, &e) : -EBADF;
        int keep[] = { x->sock, slave };
        if ((p->terminal && (k = slave) < 0) || (k = rq_lsm_apply_exec(p, &e)) < 0 ||
            (k = rq_init_seccomp(x->seccomp, p, true, x->sock, &e)) < 0 ||
            (k = rq_process_attrs_apply(p, x->spec->linux_, &e)) < 0 ||
            (chdir(p->cwd) < 0 && (k = rq_error_set(&e, errno, "process.cwd: chdir %s", p->cwd))) ||
            (k = rq_init_close_fds(x->preserve, keep, p->terminal ? 2 : 1, &e)) < 0 ||
            (p->terminal && (k = rq_pty_make_stdio(slave, &e)) < 0) ||
            ((k = rq_exec_program(p->args, p->env, true)) < 0 &&
             (k = rq_exec_error(p->args[0], -k, &e))) ||
            (k = rq_init_seccomp(x->seccomp, p, false, x->sock, &e)) < 0 ||
            (k = rq_sync_send(x->sock, RQ_SYNC_INIT_READY, NULL, 0, NULL, 0)) < 0) {
                if (!e)
                        rq_error_set(&e, k, "exec");
                (void)rq_sync_send_error(x->sock, e);
                _exit(1);
        }
        int err = -rq_exec_program(p->args, p->env, false);
        rq_exec_error(p->args[0], err, &e);
        (void)rq_sync_send_error(x->sock, e);
        _exit(err == ENOENT ? 127 : 126);
}

static _Noreturn void joiner_fail(int sock, rq_error *e)
{
        (void)rq_sync_send_error(sock, e);
        _exit(1);
}

/* The init's time namespace for children when it differs from ours: the one its program runs
 * in (timens.h). Joining the init's namespaces finds it only once the init has exec'd; a
 * `created` container's init still runs in the host's. *ret stays -EBADF otherwise. */
static int open_time_for_children(pid_t init, int *ret, rq_error **reterr)
{
        uint64_t theirs = 0, ours = 0;
        if (!rq_ns_supported(RQ_NS_TIME) || rq_ns_inode(init, RQ_NS_TIME, true, &theirs) < 0 ||
            rq_ns_inode(0, RQ_NS_TIME, false, &ours) < 0 || theirs == ours)
                return 0;
        int fd = rq_ns_open(init, RQ_NS_TIME, true, reterr);
        if (fd < 0)
                return fd;
        *ret = fd;
        return 0;
}

/* The joiner: enter the namespaces, fork the process, report it, wait for it. */
static _Noreturn void joiner(const exec_ctx *x)
{
        rq_error *e = NULL;
        /* The runtime's connection to the seccomp agent: this process lives as long as the
         * exec'd one, and the agent must see the runtime's end close. */
        safe_close(x->agent);
        /* The container's cgroup first, by the host's paths: the process forked below is born
         * in it, under its limits. On v2 only that process goes there, by clone3 (spawn.h); the
         * cgroup.procs opened now serves when the kernel cannot (from 5.16 a write is checked
         * against the opener's cgroup namespace: ours, not the container's joined below). */
        _cleanup_close_ int cgroup_fd = -EBADF, procs_fd = -EBADF;
        rq_cgroup_mode mode;
        if (x->cgroup && rq_cgroup_detect(&mode, NULL) >= 0 && mode == RQ_CGROUP_V2 &&
            !getenv("RQ_TEST_NO_CLONE_INTO_CGROUP")) {
                _cleanup_free_ char *dir = strprintf("%s%s", RQ_CGROUP_ROOT, x->cgroup);
                cgroup_fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -EBADF;
                procs_fd = cgroup_fd >= 0 ? openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC)
                                          : -EBADF;
                if (procs_fd < 0)
                        cgroup_fd = safe_close(cgroup_fd);
        }
        if (x->cgroup && cgroup_fd < 0 && rq_cgroup_enter(x->cgroup, &e) < 0)
                joiner_fail(x->sock, e);
        rq_nsjoin_request req = {
                .target = x->init, .all = true, .root = true, .preserve_credentials = true
        };
        _cleanup_nsjoin_ rq_nsjoin j = RQ_NSJOIN_INIT;
        _cleanup_close_ int timens = -EBADF;
        /* Born in the cgroup by clone3, the process enters the container's cgroup namespace
         * itself, after: clone3 checks the move as seen from the caller's cgroup namespace,
         * and with nsdelegate the container's does not show the joiner's own cgroup. */
        _cleanup_close_ int cgns = -EBADF;
        if (open_time_for_children(x->init, &timens, &e) < 0 ||
            rq_nsjoin_prepare(&req, &j, &e) < 0) {
                rq_error_wrap(&e, "join the container's namespaces");
                joiner_fail(x->sock, e);
        }
        if (cgroup_fd >= 0 && (j.enter & RQ_NS_BIT(RQ_NS_CGROUP)) && j.fd[RQ_NS_CGROUP] >= 0) {
                cgns = TAKE_FD(j.fd[RQ_NS_CGROUP]);
                j.enter &= ~RQ_NS_BIT(RQ_NS_CGROUP);
        }
        if (rq_nsjoin_enter(&j, &e) < 0 ||
            (timens >= 0 && setns(timens, CLONE_NEWTIME) < 0 &&
             rq_error_set(&e, errno, "enter the time namespace of the container") < 0)) {
                rq_error_wrap(&e, "join the container's namespaces");
                joiner_fail(x->sock, e);
        }
        pid_t pid = cgroup_fd >= 0 ? rq_clone_into_cgroup(0, cgroup_fd) : fork();
        if (cgroup_fd >= 0 && pid != 0)
                rq_debug("exec: the process %s", pid > 0 ? "is born in the container's cgroup "
                                                           "(clone3 CLONE_INTO_CGROUP)"
                                                         : "is moved into the container's cgroup "
                                                           "(cgroup.procs)");
        if (pid < 0 && cgroup_fd >= 0) {
                if (write(procs_fd, "0", 1) < 0) {
                        rq_error_set(&e, errno, "enter the container's cgroup %s", x->cgroup);
                        joiner_fail(x->sock, e);
                }
                pid = fork();
        }
        if (pid == 0 && cgns >= 0 && setns(cgns, CLONE_NEWCGROUP) < 0) {
                rq_error_set(&e, errno, "enter the cgroup namespace of the container");
                joiner_fail(x->sock, e);
        }
        if (pid < 0) {
                rq_error_set(&e, errno, "fork into the container");
                joiner_fail(x->sock, e);
        }
        if (pid == 0)
                exec_child(x);
        /* Our child, not reaped: the pidfd is of this very process. */
        int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                rq_error_set(&e, errno, "pidfd_open of the exec'd process %d", (int)pid);
                kill(pid, SIGKILL);
                joiner_fail(x->sock, e);
        }
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        (void)rq_sync_send(x->sock, RQ_SYNC_CHILD_READY, buf, (size_t)n, &pidfd, 1);
        close(pidfd);
        close(x->sock);
        if (x->detach)
                _exit(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(1);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* What the runtime hears from the joiner and the process, in either order (two processes
 * write to the socket): the joiner's CHILD_READY (pid and pidfd of the process), and from the
 * process CONSOLE_FD (with a terminal), SECCOMP_FD (a notifying filter; it waits for
 * SECCOMP_DONE, sent once the agent has the listener and the process state, which needs the
 * pid) then INIT_READY. Then the socket closes at the exec, or an error comes. */
typedef struct exec_reports {
        pid_t pid;
        int pidfd;
        int master;
        int listener;
        bool ready;
        /* for the seccomp agent */
        int *agent;
        const rq_spec_seccomp *seccomp;
        const char *state_json;
} exec_reports;

static int take_fd(int *fds, size_t n, int *ret, const char *what, rq_error **reterr)
{
        if (n == 1 && *ret < 0) {
                *ret = fds[0];
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        return rq_error_set_plain(reterr, EPROTO, "exec: %zu fds for %s, not 1", n, what);
}

static int wait_reports(int sock, exec_reports *r, rq_error **reterr)
{
        int k = 0;
        while (k >= 0 && (r->pid <= 0 || !r->ready)) {
                _cleanup_free_ char *payload = NULL;
                rq_sync_msg m;
                size_t len = 0, n = 0;
                int fds[RQ_SYNC_FDS_MAX];
                k = rq_sync_recv(sock, &m, &payload, &len, fds, &n);
                if (k == -ECONNRESET)
                        k = rq_error_set_plain(reterr, EPROTO,
                                               "exec: the joining process died without a word");
                else if (k < 0)
                        k = rq_error_set(reterr, k, "exec: wait for the joining process");
                else if (m == RQ_SYNC_ERROR)
                        k = rq_sync_take_error(payload, len, reterr);
                else if (m == RQ_SYNC_CHILD_READY && (r->pid = atoi(payload)) > 0)
                        k = take_fd(fds, n, &r->pidfd, "the process's pidfd", reterr), n = 0;
                else if (m == RQ_SYNC_CONSOLE_FD)
                        k = take_fd(fds, n, &r->master, "the terminal", reterr), n = 0;
                else if (m == RQ_SYNC_SECCOMP_FD && *r->agent >= 0)
                        k = take_fd(fds, n, &r->listener, "the seccomp listener", reterr), n = 0;
                else if (m == RQ_SYNC_INIT_READY)
                        r->ready = true;
                else
                        k = rq_error_set_plain(reterr, EPROTO, "exec: protocol error (%s)",
                                               rq_sync_msg_to_string(m));
                for (size_t i = 0; i < n; i++) /* fds no message should carry */
                        close(fds[i]);
                if (k >= 0 && r->listener >= 0 && r->pid > 0) {
                        k = rq_seccomp_notify_forward(sock, r->agent, r->seccomp, r->listener,
                                                      r->state_json, r->pid, reterr);
                        r->listener = safe_close(r->listener);
                }
        }
        return k < 0 ? k : rq_sync_wait_exec(sock, reterr);
}

/* The pty master to --console-socket, the pidfd to --pidfd-socket. */
static int hand_over(const rq_exec_opts *o, int pidfd_sock, exec_reports *r, rq_error **reterr)
{
        int k;
        if (o->console_socket && r->master >= 0) {
                k = rq_console_socket_send(o->console_socket, r->master, reterr);
                close(TAKE_FD(r->master));
                if (k < 0)
                        return k;
        }
        if (pidfd_sock >= 0 && (k = rq_fdpass_send(pidfd_sock, r->pidfd, "setns", "--pidfd-socket",
                                                   o->pidfd_socket, reterr)) < 0)
                return k;
        if (o->pid_file) {
                _cleanup_free_ char *tmp = strprintf("%s.tmp", o->pid_file);
                char buf[16];
                int n = snprintf(buf, sizeof(buf), "%d", (int)r->pid);
                _cleanup_close_ int fd =
                        tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -EBADF;
                if (fd < 0 || write_all(fd, buf, (size_t)n) < 0 || rename(tmp, o->pid_file) < 0)
                        return rq_error_set(reterr, errno, "--pid-file %s", o->pid_file);
        }
        return 0;
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
        /* What the seccomp agent gets, if the filter notifies. */
        _cleanup_free_ char *state_json = rq_state_to_json(&st, now);
        bool config_ptrace = false;
        k = build_spec(&st, o, &spec, &config_ptrace, reterr);
        rq_state_done(&st);
        if (k < 0 || (k = rq_lsm_check(spec, reterr)) < 0 ||
            (k = rq_terminal_check(spec->process->terminal, o->console_socket, !o->detach,
                                   reterr)) < 0)
                return k;
        rq_caps_ambient_warn(spec->process->capabilities);
        /* Before anything exists: the command starts again from the sealed copy. The
         * container's own processes count as much as the one going in. */
        rq_spec_capabilities config_caps = { .bounding = config_ptrace
                                                                 ? UINT64_C(1) << CAP_SYS_PTRACE
                                                                 : 0 };
        if (o->exe_guard && rq_exe_guard_needed(spec, &config_caps) &&
            (k = rq_exe_guard_reexec(reterr)) < 0)
                return k;
        if (spec->linux_ && spec->linux_->seccomp &&
            (k = rq_seccomp_compile(spec->linux_->seccomp, &seccomp, reterr)) < 0)
                return k;
        /* Before anything joins the container: an agent that is not there fails exec with
         * nothing started. */
        _cleanup_close_ int agent = -EBADF;
        if (seccomp && seccomp->notify) {
                if (!state_json)
                        return rq_error_set(reterr, ENOMEM, "state for the seccomp agent");
                agent = rq_seccomp_agent_connect(spec->linux_->seccomp->listener_path, reterr);
                if (agent < 0)
                        return rq_error_wrap(reterr, "exec in container %s", o->id);
        }
        bool relay = spec->process->terminal && !o->console_socket;
        exec_ctx x = { .spec = spec,
                       .seccomp = seccomp,
                       .init = init,
                       .cgroup = cgroup,
                       .agent = agent,
                       .detach = o->detach,
                       .preserve = o->preserve_fds };
        if (relay && rq_foreground_terminal_size(&x.rows, &x.cols) < 0)
                x.rows = x.cols = 0;
        if (!relay && spec->process->console_size) {
                x.rows = (uint16_t)spec->process->console_size->height;
                x.cols = (uint16_t)spec->process->console_size->width;
        }
        /* Before anything runs: a socket that cannot be reached fails the exec early. */
        _cleanup_close_ int pidfd_sock =
                o->pidfd_socket ? rq_fdpass_connect("--pidfd-socket", o->pidfd_socket, reterr)
                                : -EBADF;
        if (o->pidfd_socket && pidfd_sock < 0)
                return rq_error_wrap(reterr, "exec in container %s", o->id);
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
                x.sock = sv[1];
                joiner(&x);
        }
        close(sv[1]);

        exec_reports r = { .pidfd = -EBADF,
                           .master = -EBADF,
                           .listener = -EBADF,
                           .agent = &agent,
                           .seccomp = spec->linux_ ? spec->linux_->seccomp : NULL,
                           .state_json = state_json };
        k = wait_reports(sock, &r, reterr);
        if (k >= 0 && (k = hand_over(o, pidfd_sock, &r, reterr)) < 0)
                (void)syscall(SYS_pidfd_send_signal, r.pidfd, SIGKILL, NULL, 0);
        safe_close(r.listener); /* left only when an error came first */
        _cleanup_close_ int pidfd = r.pidfd, master = r.master;
        if (k < 0 || o->detach) {
                (void)RETRY_EINTR(waitpid(j, NULL, 0));
                if (k < 0)
                        return rq_error_wrap(reterr, "exec in container %s", o->id);
                *ret_status = 0;
                return 0;
        }
        _cleanup_close_ int joiner_fd = pidfd_open(j, 0);
        if (joiner_fd < 0)
                return rq_error_set(reterr, errno, "pidfd_open of the joining process");
        return rq_foreground_wait(&(rq_foreground){ .child = j,
                                                    .child_pidfd = joiner_fd,
                                                    .signal_pidfd = pidfd,
                                                    .master = master },
                                  ret_status, reterr);
}
