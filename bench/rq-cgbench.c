/* Benchmark helper (bench/cgroup.sh; not installed): the cost of a container's cgroup, timed
 * through the library's own calls, and a timer for commands where hyperfine is not (the VM).
 *   rq-cgbench ops [-n N] CONFIG CGPATH
 *     N rounds of what `rongqi-runtime run` does with the cgroup at CGPATH, with CONFIG's
 *     linux.resources and linux.devices: create (mkdir in every hierarchy, the device rules),
 *     a child put in it (fork + cgroup.procs writes; on v2 also clone3 CLONE_INTO_CGROUP as a
 *     second way), the child's exit, the OOM counter read, and delete's kill, wait-for-empty and
 *     remove; each round also a plain fork + exit without any cgroup, the baseline. The ways
 *     take turns within a round. Prints one line per way and phase: "ops WAY PHASE MEDIAN_US".
 *   rq-cgbench time [-n N] NAME=COMMAND...
 *     Runs each COMMAND (words split at spaces; leading VAR=VALUE words go to its environment;
 *     no shell) N times, taking turns, the order reversed every other round; stdout and stderr
 *     to /dev/null. Prints "time NAME MEDIAN_US MEAN_US MIN_US" per command. Exits 1 if a
 *     command failed.
 * Medians, because a busy host (or an emulated VM) has long tails. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cgroup.h"
#include "lib/error.h"
#include "lib/spawn.h"
#include "lib/spec.h"

#define MAX_N 100000
#define MAX_CMDS 8

static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int fail(rq_error *e, const char *what)
{
        char *msg = e ? rq_error_format(e) : NULL;
        fprintf(stderr, "rq-cgbench: %s: %s\n", what, msg ? msg : strerror(errno));
        free(msg);
        rq_error_free(e);
        return -1;
}

/* ---- ops ---------------------------------------------------------------------------------- */

enum { WAY_FORK, WAY_ATTACH, WAY_INTO, _WAY_MAX };
static const char *const way_names[_WAY_MAX] = { "no-cgroup", "cgroup.procs", "clone3-into" };
enum {
        P_CREATE,
        P_SPAWN,
        P_ATTACH,
        P_EXIT,
        P_OOM,
        P_KILL,
        P_WAIT_EMPTY,
        P_REMOVE,
        P_TOTAL,
        _P_MAX
};
static const char *const phase_names[_P_MAX] = {
        "create", "spawn", "attach", "exit", "oom-read", "kill", "wait-empty", "remove", "total",
};

/* A child that waits for the parent to close the pipe, then exits: fork, or clone3 into the
 * cgroup2 directory at cgroup_fd. */
static pid_t spawn_waiting(int cgroup_fd, int pipe_rd, int pipe_wr)
{
        pid_t pid = cgroup_fd >= 0 ? rq_clone_into_cgroup(0, cgroup_fd) : fork();
        if (pid == 0) {
                char c;
                close(pipe_wr);
                (void)!read(pipe_rd, &c, 1);
                _exit(0);
        }
        return pid;
}

/* One round of way w; t[phase] in µs. */
static int ops_round(int w, const char *path, const rq_spec_linux *linux_, double *t)
{
        rq_error *e = NULL;
        rq_cgroup cg = { 0 };
        int p[2], cgroup_fd = -EBADF;
        double t0 = now_us(), t1 = t0;
        if (w != WAY_FORK) {
                if (rq_cgroup_create(path, linux_, &cg, &e) < 0)
                        return fail(e, "create the cgroup");
                t1 = now_us();
        }
        if (pipe2(p, O_CLOEXEC) < 0) {
                rq_cgroup_done(&cg);
                return fail(NULL, "pipe");
        }
        if (w == WAY_INTO)
                cgroup_fd = open(cg.dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        pid_t pid = spawn_waiting(cgroup_fd, p[0], p[1]);
        int k = pid < 0 ? fail(NULL, w == WAY_INTO ? "clone3 CLONE_INTO_CGROUP" : "fork") : 0;
        if (cgroup_fd >= 0)
                close(cgroup_fd);
        double ts = now_us();
        if (k == 0 && w == WAY_ATTACH && rq_cgroup_attach(&cg, pid, &e) < 0)
                k = fail(e, "attach");
        double t2 = now_us();
        close(p[0]);
        close(p[1]);
        if (pid > 0 && waitpid(pid, NULL, 0) < 0)
                k = fail(NULL, "waitpid");
        double t3 = now_us(), t4 = t3, t5 = t3, t6 = t3;
        if (w != WAY_FORK) {
                uint64_t kills;
                int64_t limit;
                (void)rq_cgroup_oom(path, &kills, &limit);
                t4 = now_us();
                (void)rq_cgroup_kill(path, SIGKILL, NULL);
                t5 = now_us();
                if (rq_cgroup_wait_empty(path, 10000, &e) < 0)
                        k = fail(e, "wait for the cgroup to be empty");
                t6 = now_us();
                if (rq_cgroup_remove(path, &e) < 0)
                        k = fail(e, "remove the cgroup");
        }
        double t7 = now_us();
        rq_cgroup_done(&cg);
        t[P_CREATE] = t1 - t0;
        t[P_SPAWN] = ts - t1;
        t[P_ATTACH] = t2 - ts;
        t[P_EXIT] = t3 - t2;
        t[P_OOM] = t4 - t3;
        t[P_KILL] = t5 - t4;
        t[P_WAIT_EMPTY] = t6 - t5;
        t[P_REMOVE] = t7 - t6;
        t[P_TOTAL] = t7 - t0;
        return k;
}

static int cmd_ops(int n, const char *config, const char *path)
{
        rq_error *e = NULL;
        rq_spec *spec = NULL;
        if (rq_spec_load(AT_FDCWD, config, &spec, &e) < 0)
                return fail(e, config);
        rq_cgroup_mode mode;
        if (rq_cgroup_detect(&mode, &e) < 0)
                return fail(e, "cgroup mode");
        bool into = mode == RQ_CGROUP_V2;
        if (into) {
                /* the kernel must have CLONE_INTO_CGROUP (5.7+) */
                double t[_P_MAX];
                into = ops_round(WAY_INTO, path, spec->linux_, t) == 0;
        }
        int ways = into ? _WAY_MAX : WAY_INTO;
        double *v[_WAY_MAX][_P_MAX] = { { 0 } };
        for (int w = 0; w < ways; w++)
                for (int ph = 0; ph < _P_MAX; ph++)
                        if (!(v[w][ph] = calloc((size_t)n, sizeof(double))))
                                return fail(NULL, "calloc");
        int k = 0;
        for (int i = 0; i < n && k == 0; i++)
                for (int j = 0; j < ways && k == 0; j++) {
                        int w = (i + j) % ways; /* each way first in turn */
                        double t[_P_MAX];
                        k = ops_round(w, path, spec->linux_, t);
                        for (int ph = 0; ph < _P_MAX; ph++)
                                v[w][ph][i] = t[ph];
                }
        if (k == 0) {
                printf("ops mode %s\n", rq_cgroup_mode_to_string(mode));
                for (int w = 0; w < ways; w++)
                        for (int ph = 0; ph < _P_MAX; ph++)
                                printf("ops %s %s %.1f\n", way_names[w], phase_names[ph],
                                       median(v[w][ph], n));
        }
        for (int w = 0; w < ways; w++)
                for (int ph = 0; ph < _P_MAX; ph++)
                        free(v[w][ph]);
        rq_spec_free(spec);
        return k;
}

/* ---- time --------------------------------------------------------------------------------- */

typedef struct command {
        char *name;
        char *words; /* the split copy argv and env point into */
        char *argv[64];
        char *env[16];
        size_t n_env;
        double *t;
} command;

static int command_parse(char *arg, command *c)
{
        char *eq = strchr(arg, '=');
        if (!eq)
                return -EINVAL;
        *eq = 0;
        c->name = arg;
        c->words = eq + 1;
        size_t n = 0;
        for (char *save = NULL, *w = strtok_r(c->words, " ", &save); w;
             w = strtok_r(NULL, " ", &save)) {
                if (n == 0 && strchr(w, '=') && c->n_env < 15)
                        c->env[c->n_env++] = w;
                else if (n < 63)
                        c->argv[n++] = w;
        }
        return n > 0 ? 0 : -EINVAL;
}

/* Run c once: its wall time in µs, or -1 when it did not exit 0. */
static double command_run(const command *c)
{
        double t0 = now_us();
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                for (size_t i = 0; i < c->n_env; i++)
                        putenv(c->env[i]);
                execvp(c->argv[0], c->argv);
                _exit(127);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
                return -1;
        double t = now_us() - t0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

static int cmd_time(int n, int argc, char **argv)
{
        command c[MAX_CMDS] = { { 0 } };
        int m = argc < MAX_CMDS ? argc : MAX_CMDS;
        for (int j = 0; j < m; j++)
                if (command_parse(argv[j], &c[j]) < 0 ||
                    !(c[j].t = calloc((size_t)n, sizeof(double)))) {
                        fprintf(stderr, "rq-cgbench time: NAME=COMMAND expected: %s\n", argv[j]);
                        return -1;
                }
        int k = 0;
        for (int i = 0; i < n && k == 0; i++)
                for (int j = 0; j < m && k == 0; j++) {
                        command *x = &c[i % 2 ? m - 1 - j : j];
                        if ((x->t[i] = command_run(x)) < 0) {
                                fprintf(stderr, "rq-cgbench time: %s failed\n", x->name);
                                k = -1;
                        }
                }
        for (int j = 0; j < m; j++) {
                if (k == 0) {
                        double sum = 0;
                        for (int i = 0; i < n; i++)
                                sum += c[j].t[i];
                        double med = median(c[j].t, n);
                        printf("time %s %.1f %.1f %.1f\n", c[j].name, med, sum / n, c[j].t[0]);
                }
                free(c[j].t);
        }
        return k;
}

int main(int argc, char **argv)
{
        int n = 100;
        if (argc < 2) {
                fprintf(stderr, "usage: rq-cgbench ops [-n N] CONFIG CGPATH\n"
                                "       rq-cgbench time [-n N] NAME=COMMAND...\n");
                return 2;
        }
        const char *verb = argv[1];
        argv += 2;
        argc -= 2;
        if (argc >= 2 && strcmp(argv[0], "-n") == 0) {
                n = atoi(argv[1]);
                argv += 2;
                argc -= 2;
        }
        if (n < 1 || n > MAX_N) {
                fprintf(stderr, "rq-cgbench: -n takes 1 to %d\n", MAX_N);
                return 2;
        }
        if (strcmp(verb, "ops") == 0 && argc == 2)
                return cmd_ops(n, argv[0], argv[1]) < 0;
        if (strcmp(verb, "time") == 0 && argc >= 1)
                return cmd_time(n, argc, argv) < 0;
        fprintf(stderr,
                "rq-cgbench: unknown command or arguments (run it without any for usage)\n");
        return 2;
}
