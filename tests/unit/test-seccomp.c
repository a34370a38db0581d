/* Unit tests: linux.seccomp compiled from config.json text, loaded in a forked child (after
 * no_new_privs, so they run as root and as any user), and the notify listener protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/seccomp.h"
#include "lib/seccomp-notify.h"
#include "lib/spec.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Documents use ' for " to stay readable; the argument is the "seccomp" object. */
static int compile(const char *seccomp, rq_seccomp_prog **ret, char **ret_error)
{
        _cleanup_free_ char *json = NULL;
        assert_true(asprintf(&json, "{'ociVersion':'1.0.2','linux':{'seccomp':%s}}", seccomp) > 0);
        for (char *c = json; *c; c++)
                if (*c == '\'')
                        *c = '"';
        _cleanup_spec_ rq_spec *spec = NULL;
        _cleanup_error_ rq_error *e = NULL;
        int r = rq_spec_parse(json, strlen(json), &spec, &e);
        if (r < 0)
                fail_msg("spec refused: %s", rq_error_format(e));
        assert_non_null(spec->linux_->seccomp);
        r = rq_seccomp_compile(spec->linux_->seccomp, ret, &e);
        if (ret_error)
                *ret_error = r < 0 ? rq_error_format(e) : NULL;
        return r;
}

static rq_seccomp_prog *compile_ok(const char *seccomp)
{
        rq_seccomp_prog *p = NULL;
        _cleanup_free_ char *error = NULL;
        if (compile(seccomp, &p, &error) < 0)
                fail_msg("compile failed: %s", error);
        assert_non_null(p);
        assert_true(p->n_insns > 0);
        return p;
}

static void assert_compile_error(const char *seccomp, const char *expected)
{
        rq_seccomp_prog *p = NULL;
        _cleanup_free_ char *error = NULL;
        assert_true(compile(seccomp, &p, &error) < 0);
        assert_null(p);
        assert_string_equal(error, expected);
}

/* Exit codes of a child that could not install its filter. */
#define CHILD_SETUP_FAILED 200

/* A fresh directory /tmp/rq-seccomp-??????; mkdtemp() wants six 'X' as the template. */
static void make_temp_dir(char dir[static 32])
{
        const char prefix[] = "/tmp/rq-seccomp-";
        memcpy(dir, prefix, sizeof(prefix) - 1);
        memset(dir + sizeof(prefix) - 1, 'X', 6);
        dir[sizeof(prefix) - 1 + 6] = '\0';
        assert_non_null(mkdtemp(dir));
}

/* Leave a filtered child with the bare syscall. Not _exit() or a noreturn function: the
 * sanitizers hook both and then make syscalls the filter may deny. */
static void filtered_exit(int code)
{
        syscall(SYS_exit_group, code);
}

/* Load p in a forked child, run body there and return the child's wait status; body's result
 * is the exit code. */
static int run_filtered(const rq_seccomp_prog *p, int (*body)(void *), void *arg)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit no_core = { 0, 0 };
                setrlimit(RLIMIT_CORE, &no_core);
                /* cmocka catches SIGSYS; SCMP_ACT_TRAP must kill as it would in a container. */
                signal(SIGSYS, SIG_DFL);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(CHILD_SETUP_FAILED);
                if (rq_seccomp_load(p, NULL, NULL) < 0)
                        _exit(CHILD_SETUP_FAILED);
                filtered_exit(body(arg));
                abort();
        }
        int status;
        assert_int_equal(RETRY_EINTR(waitpid(pid, &status, 0)), pid);
        return status;
}

static void assert_exit_code(int status, int code)
{
        if (!WIFEXITED(status))
                fail_msg("child killed by signal %d", WTERMSIG(status));
        assert_int_equal(WEXITSTATUS(status), code);
}

/* Compile seccomp, run body under it in a child and expect the exit code. */
static void expect_exit(const char *seccomp, int (*body)(void *), void *arg, int code)
{
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p = compile_ok(seccomp);
        assert_exit_code(run_filtered(p, body, arg), code);
}

/* The errno of a raw syscall, 0 when it succeeded. */
static int sys_errno(long r)
{
        return r < 0 ? errno : 0;
}

static int mkdir_body(void *arg)
{
        if (syscall(SYS_getpid) != getpid() || getpid() <= 0)
                return 99;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/blocked", (const char *)arg) < 0)
                return 98;
        return mkdir(path, 0755) < 0 ? errno : 0;
}

static void run_mkdir(const char *seccomp, int expected)
{
        char dir[32];
        make_temp_dir(dir);
        expect_exit(seccomp, mkdir_body, dir, expected);
        char sub[64];
        snprintf(sub, sizeof(sub), "%s/blocked", dir);
        /* Without the filter the same mkdir works: the error came from the filter. */
        assert_int_equal(access(sub, F_OK), -1);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void mkdir_denied_with_eperm_getpid_still_works(void **state)
{
        run_mkdir("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdirat','mkdir'],"
                  "'action':'SCMP_ACT_ERRNO'}]}",
                  EPERM);
}

static void errno_ret_38_gives_enosys(void **state)
{
        run_mkdir("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdirat','mkdir'],"
                  "'action':'SCMP_ACT_ERRNO','errnoRet':38}]}",
                  ENOSYS);
}

static int getppid_body(void *arg)
{
        if (syscall(SYS_getpid) <= 0)
                return 99;
        return sys_errno(syscall(SYS_getppid));
}

static void default_errno_with_an_allow_list(void **state)
{
        /* What the child runs after the load: getpid, getppid (denied), _exit. */
        expect_exit("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':18,"
                    "'syscalls':[{'names':['getpid','exit_group','exit','rt_sigreturn'],"
                    "'action':'SCMP_ACT_ALLOW'}]}",
                    getppid_body, NULL, EXDEV);
}

static int personality_body(void *arg)
{
        if (syscall(SYS_personality, 0xffffffffUL) < 0)
                return 97;
        return sys_errno(syscall(SYS_personality, 0UL));
}

static void personality_only_for_the_query(void **state)
{
        expect_exit("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                    "['personality'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,"
                    "'value':4294967295,'op':'SCMP_CMP_NE'}]}]}",
                    personality_body, NULL, EPERM);
}

/* getpriority(which, who) as three bits: the errnos of three calls are EPERM (1) or not. */
static int getpriority_body(void *arg)
{
        const long(*calls)[2] = arg;
        int code = 0;
        for (int i = 0; i < 3; i++)
                if (sys_errno(syscall(SYS_getpriority, calls[i][0], calls[i][1])) == EPERM)
                        code |= 1 << i;
        return code;
}

/* Conditions on getpriority(which, who), and which of three calls they deny (bit i: call i). */
static const struct {
        const char *what;
        const char *args;
        long calls[3][2];
        int denied;
} condition_cases[] = {
        { "MASKED_EQ: (who & 0xff00) == 0x1200",
          "[{'index':1,'value':65280,'valueTwo':4608,'op':'SCMP_CMP_MASKED_EQ'}]",
          { { PRIO_PROCESS, 0x1234 }, { PRIO_PROCESS, 0 }, { PRIO_PROCESS, 0x1334 } },
          1 << 0 },
        { "two arguments are ANDed: which == PRIO_PROCESS && who == 0x4321",
          "[{'index':0,'value':0,'op':'SCMP_CMP_EQ'},{'index':1,'value':17185,'op':'SCMP_CMP_EQ'}]",
          { { PRIO_PROCESS, 0x4321 }, { PRIO_PGRP, 0x4321 }, { PRIO_PROCESS, 0 } },
          1 << 0 },
        /* As runc: libseccomp cannot AND two conditions on one argument. */
        { "one argument twice is ORed: who == 0x1111 || who == 0x2222",
          "[{'index':1,'value':4369,'op':'SCMP_CMP_EQ'},{'index':1,'value':8738,'op':'SCMP_CMP_EQ'}"
          "]",
          { { PRIO_PROCESS, 0x1111 }, { PRIO_PROCESS, 0x2222 }, { PRIO_PROCESS, 0 } },
          (1 << 0) | (1 << 1) },
};

static void argument_conditions_select_the_calls(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(condition_cases); i++) {
                _cleanup_free_ char *doc = NULL;
                assert_true(asprintf(&doc,
                                     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                                     "['getpriority'],'action':'SCMP_ACT_ERRNO','args':%s}]}",
                                     condition_cases[i].args) > 0);
                _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p = compile_ok(doc);
                int status = run_filtered(p, getpriority_body, (void *)condition_cases[i].calls);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != condition_cases[i].denied)
                        fail_msg("%s: wait status 0x%x, denied calls 0x%x expected",
                                 condition_cases[i].what, status, condition_cases[i].denied);
        }
}

static void kill_and_trap_actions_end_in_sigsys(void **state)
{
        /* The child is single-threaded: killing the thread kills it too. */
        static const char *const actions[] = { "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL",
                                               "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP" };
        for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
                _cleanup_free_ char *doc = NULL;
                assert_true(asprintf(&doc,
                                     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                                     "['getppid'],'action':'%s'}]}",
                                     actions[i]) > 0);
                _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p = compile_ok(doc);
                int status = run_filtered(p, getppid_body, NULL);
                if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
                        fail_msg("%s: wait status 0x%x, not SIGSYS", actions[i], status);
        }
}

static void a_rule_with_the_default_action_is_dropped(void **state)
{
        expect_exit("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                    "{'names':['getpid'],'action':'SCMP_ACT_ALLOW'},"
                    "{'names':['getppid'],'action':'SCMP_ACT_ERRNO','errnoRet':18}]}",
                    getppid_body, NULL, EXDEV);
        /* The same errno as the default is the same action; another errno is not. */
        expect_exit("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':18,'syscalls':["
                    "{'names':['getppid'],'action':'SCMP_ACT_ERRNO','errnoRet':18},"
                    "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
                    "{'names':['exit_group','exit'],'action':'SCMP_ACT_ALLOW'}]}",
                    getppid_body, NULL, 99);
}

static void an_unknown_syscall_names_its_path(void **state)
{
        assert_compile_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                             "{'names':['getppid'],'action':'SCMP_ACT_ERRNO'},"
                             "{'names':['getpid','no_such_call'],'action':'SCMP_ACT_ERRNO'}]}",
                             "linux.seccomp.syscalls[1].names[1]: unknown syscall "
                             "\"no_such_call\"");
}

/* A syscall libseccomp knows that the build architecture does not have. */
#if defined(__x86_64__)
#define FOREIGN_SYSCALL "socketcall"
#else
#define FOREIGN_SYSCALL "arch_prctl"
#endif

static void a_syscall_missing_on_this_arch_is_skipped(void **state)
{
        expect_exit("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                    "['" FOREIGN_SYSCALL "','getppid'],'action':'SCMP_ACT_ERRNO'}]}",
                    getppid_body, NULL, EPERM);
}

static void the_native_arch_is_always_included(void **state)
{
#if defined(__x86_64__)
        /* Only i386 listed (where socketcall exists): the x86_64 rules still apply. */
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p =
                compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86'],"
                           "'syscalls':[{'names':['socketcall','getppid'],"
                           "'action':'SCMP_ACT_ERRNO'}]}");
        assert_exit_code(run_filtered(p, getppid_body, NULL), EPERM);
        /* The listed arch is in the program too: it is longer than the native one alone. */
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *native =
                compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                           "['socketcall','getppid'],'action':'SCMP_ACT_ERRNO'}]}");
        assert_true(p->n_insns > native->n_insns);
        /* Docker's x86_64 list: the native arch listed again is no error. */
        expect_exit("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64',"
                    "'SCMP_ARCH_X86','SCMP_ARCH_X32'],'syscalls':[{'names':['socketcall',"
                    "'getppid'],'action':'SCMP_ACT_ERRNO'}]}",
                    getppid_body, NULL, EPERM);
#else
        skip();
#endif
}

static void an_arch_libseccomp_lacks_is_an_error(void **state)
{
#ifndef SCMP_ARCH_LOONGARCH64
        rq_seccomp_prog *p = NULL;
        _cleanup_free_ char *error = NULL;
        assert_true(compile("{'defaultAction':'SCMP_ACT_ALLOW','architectures':"
                            "['SCMP_ARCH_LOONGARCH64']}",
                            &p, &error) == -EOPNOTSUPP);
        assert_non_null(strstr(error, "linux.seccomp.architectures: SCMP_ARCH_LOONGARCH64 is "
                                      "not supported by libseccomp"));
#else
        skip();
#endif
}

static void the_log_and_spec_allow_flags_are_accepted(void **state)
{
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p =
                compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_LOG',"
                           "'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],'syscalls':[{'names':['getppid'],"
                           "'action':'SCMP_ACT_ERRNO'}]}");
        assert_int_equal(p->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        assert_false(p->notify);
        assert_exit_code(run_filtered(p, getppid_body, NULL), EPERM);
        /* Without a listener WAIT_KILLABLE_RECV means nothing (the kernel would refuse it). */
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *q =
                compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_WAIT_"
                           "KILLABLE_RECV'"
                           "],'syscalls':[{'names':['getppid'],'action':'SCMP_ACT_ERRNO'}]}");
        assert_int_equal(q->flags, 0);
        assert_exit_code(run_filtered(q, getppid_body, NULL), EPERM);
}

/* ---- notify ------------------------------------------------------------------------------ */

#define NOTIFY_STATE                                                                               \
        "{\"ociVersion\":\"1.2.0\",\"id\":\"web\",\"status\":\"creating\","                        \
        "\"pid\":%d,\"bundle\":\"/b\"}"

static int notify_body(const char *listener_path, int fd)
{
        _cleanup_free_ char *st = NULL;
        if (asprintf(&st, NOTIFY_STATE, (int)getpid()) < 0)
                return 98;
        _cleanup_free_ char *msg = NULL;
        int agent = rq_seccomp_agent_connect(listener_path, NULL);
        if (agent < 0 ||
            rq_seccomp_process_state(st, getpid(), "MKNOD=/dev/null", &msg, NULL) < 0 ||
            rq_seccomp_agent_send(&agent, listener_path, fd, msg, NULL) < 0 || agent != -EBADF)
                return 97;
        close(fd);
        return syscall(SYS_getppid) == 4242 ? 0 : 96;
}

/* The agent's side: one containerProcessState with the fd, then answer one getppid. */
static void agent(int listen_fd, pid_t child)
{
        _cleanup_close_ int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        char buf[4096];
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
        assert_true(n > 0);
        size_t len = (size_t)n;
        /* The rest of the document, if it came in several pieces; the sender closes at the end. */
        while (len < sizeof(buf) - 1 && (n = read(conn, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        assert_non_null(c);
        assert_int_equal(c->cmsg_type, SCM_RIGHTS);
        _cleanup_close_ int nfd = -EBADF;
        memcpy(&nfd, CMSG_DATA(c), sizeof(int));

        json_error_t jerr;
        json_t *o = json_loads(buf, 0, &jerr);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "ociVersion")), RQ_SPEC_VERSION);
        json_t *fds = json_object_get(o, "fds");
        assert_int_equal(json_array_size(fds), 1);
        assert_string_equal(json_string_value(json_array_get(fds, 0)), "seccompFd");
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), child);
        assert_string_equal(json_string_value(json_object_get(o, "metadata")), "MKNOD=/dev/null");
        json_t *st = json_object_get(o, "state");
        assert_string_equal(json_string_value(json_object_get(st, "id")), "web");
        assert_string_equal(json_string_value(json_object_get(st, "status")), "creating");
        assert_int_equal(json_integer_value(json_object_get(st, "pid")), child);
        json_decref(o);

        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        assert_int_equal(RETRY_EINTR(ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req)), 0);
        assert_int_equal(req.pid, child);
        assert_int_equal(req.data.nr, SYS_getppid);
        struct seccomp_notif_resp resp = { .id = req.id, .val = 4242 };
        assert_int_equal(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
}

static void notify_hands_the_listener_to_the_agent(void **state)
{
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p =
                compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/agent.sock',"
                           "'listenerMetadata':'MKNOD=/dev/null','flags':"
                           "['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],'syscalls':[{'names':"
                           "['getppid'],'action':'SCMP_ACT_NOTIFY'}]}");
        assert_true(p->notify);
        assert_int_equal(p->flags, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
        char dir[32];
        make_temp_dir(dir);
        char listener_path[108];
        snprintf(listener_path, sizeof(listener_path), "%s/agent.sock", dir);
        _cleanup_close_ int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(lfd >= 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, listener_path);
        assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(lfd, 1), 0);
        /* A child that never connects fails the test instead of hanging it. */
        struct timeval timeout = { .tv_sec = 20 };
        assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(CHILD_SETUP_FAILED);
                int fd = -EBADF;
                if (rq_seccomp_load(p, &fd, NULL) < 0 || fd < 0)
                        _exit(CHILD_SETUP_FAILED);
                filtered_exit(notify_body(listener_path, fd));
                abort();
        }
        agent(lfd, pid);
        int status;
        assert_int_equal(RETRY_EINTR(waitpid(pid, &status, 0)), pid);
        assert_exit_code(status, 0);
        assert_int_equal(unlink(listener_path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void a_notifying_program_needs_the_fd_taken(void **state)
{
        _cleanup_(rq_seccomp_prog_freep) rq_seccomp_prog *p =
                compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/agent.sock',"
                           "'syscalls':[{'names':['getppid'],'action':'SCMP_ACT_NOTIFY'}]}");
        _cleanup_error_ rq_error *e = NULL;
        /* Refused before any syscall: this process stays unfiltered. */
        assert_int_equal(rq_seccomp_load(p, NULL, &e), -EINVAL);
        assert_non_null(e);
}

static void the_process_state_wraps_the_container_state(void **state)
{
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(
                rq_seccomp_process_state("{\"id\":\"web\",\"pid\":7}", 42, "m=1", &msg, NULL), 0);
        assert_string_equal(msg, "{\"ociVersion\":\"" RQ_SPEC_VERSION "\",\"fds\":[\"seccompFd\"],"
                                 "\"pid\":42,\"metadata\":\"m=1\",\"state\":{\"id\":\"web\","
                                 "\"pid\":7}}");
        free(TAKE_PTR(msg));
        /* No listenerMetadata: no "metadata" key. */
        assert_int_equal(rq_seccomp_process_state("{}", 42, NULL, &msg, NULL), 0);
        assert_string_equal(msg, "{\"ociVersion\":\"" RQ_SPEC_VERSION "\",\"fds\":[\"seccompFd\"],"
                                 "\"pid\":42,\"state\":{}}");
}

static void a_state_that_is_not_an_object_or_without_pid_is_refused(void **state)
{
        char *msg = NULL;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_seccomp_process_state("[1]", 42, NULL, &msg, &e), -EINVAL);
        _cleanup_free_ char *text = rq_error_format(e);
        assert_string_equal(text, "container state is not a JSON object");
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(rq_seccomp_process_state("{}", 0, NULL, &msg, &e), -EINVAL);
        assert_null(msg);
}

static void an_absent_agent_is_an_error_naming_the_path(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_seccomp_agent_connect("/nonexistent/agent.sock", &e), -ENOENT);
        _cleanup_free_ char *msg = rq_error_format(e);
        assert_non_null(strstr(msg, "linux.seccomp.listenerPath: connect to the seccomp agent at "
                                    "/nonexistent/agent.sock"));
        assert_non_null(e->hint);
}

static void notify_on_sendmsg_is_refused(void **state)
{
        assert_compile_error("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/a.sock',"
                             "'syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'},"
                             "{'names':['getpid','sendmsg'],'action':'SCMP_ACT_NOTIFY'}]}",
                             "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY on sendmsg is "
                             "refused: the runtime passes the listener to the agent with it, "
                             "under the filter");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(mkdir_denied_with_eperm_getpid_still_works),
                cmocka_unit_test(errno_ret_38_gives_enosys),
                cmocka_unit_test(default_errno_with_an_allow_list),
                cmocka_unit_test(personality_only_for_the_query),
                cmocka_unit_test(argument_conditions_select_the_calls),
                cmocka_unit_test(kill_and_trap_actions_end_in_sigsys),
                cmocka_unit_test(a_rule_with_the_default_action_is_dropped),
                cmocka_unit_test(an_unknown_syscall_names_its_path),
                cmocka_unit_test(a_syscall_missing_on_this_arch_is_skipped),
                cmocka_unit_test(the_native_arch_is_always_included),
                cmocka_unit_test(an_arch_libseccomp_lacks_is_an_error),
                cmocka_unit_test(the_log_and_spec_allow_flags_are_accepted),
                cmocka_unit_test(notify_hands_the_listener_to_the_agent),
                cmocka_unit_test(a_notifying_program_needs_the_fd_taken),
                cmocka_unit_test(the_process_state_wraps_the_container_state),
                cmocka_unit_test(a_state_that_is_not_an_object_or_without_pid_is_refused),
                cmocka_unit_test(an_absent_agent_is_an_error_naming_the_path),
                cmocka_unit_test(notify_on_sendmsg_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
