/* rongqi-runtime ps: the container's processes, as runc shows them. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/container.h"
#include "lib/log.h"
#include "runtime/runtime.h"

static bool contains(const pid_t *l, size_t n, long p)
{
        for (size_t i = 0; i < n; i++)
                if (l[i] == p)
                        return true;
        return false;
}

/* The index of the header's PID column, or -1. */
static int pid_column(const char *header)
{
        int c = 0;
        for (const char *p = header; *p;) {
                p += strspn(p, " \t\n");
                size_t len = strcspn(p, " \t\n");
                if (len == 0)
                        break;
                if (len == 3 && strncmp(p, "PID", 3) == 0)
                        return c;
                p += len;
                c++;
        }
        return -1;
}

/* The number in column col of line, or -1. */
static long column_number(const char *line, int col)
{
        const char *p = line;
        for (int c = 0; *p; c++) {
                p += strspn(p, " \t\n");
                if (c == col)
                        return *p >= '0' && *p <= '9' ? strtol(p, NULL, 10) : -1;
                p += strcspn(p, " \t\n");
        }
        return -1;
}

/* Run the host's ps with args (default -ef) and keep the header and the container's rows,
 * found by the PID column of the header. */
static int ps_table(char **args, const pid_t *pids, size_t n)
{
        int fd[2];
        if (pipe2(fd, O_CLOEXEC) < 0)
                return -errno;
        pid_t child = fork();
        if (child < 0)
                return -errno;
        if (child == 0) {
                dup2(fd[1], 1);
                char *def[] = { "ps", "-ef", NULL };
                char *argv[64] = { "ps" };
                size_t a = 1;
                for (char **i = args; i && *i && a < ELEMENTSOF(argv) - 1; i++)
                        argv[a++] = *i;
                execvp("ps", args && *args ? argv : def);
                _exit(127);
        }
        close(fd[1]);
        FILE *f = fdopen(fd[0], "re");
        if (!f) {
                close(fd[0]);
                return -errno;
        }
        char *line = NULL;
        size_t size = 0;
        int col = -1, r = 0;
        while (getline(&line, &size, f) > 0) {
                if (col < 0) {
                        if ((col = pid_column(line)) < 0) {
                                r = -EBADMSG;
                                break;
                        }
                        fputs(line, stdout);
                } else if (contains(pids, n, column_number(line, col)))
                        fputs(line, stdout);
        }
        free(line);
        fclose(f);
        int status;
        waitpid(child, &status, 0);
        if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                r = -ECHILD;
        return r;
}

int cmd_ps(const runtime_globals *g, int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool json = false;
        int c;
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+f:h", opts, NULL)) != -1) {
                if (c == 'f' && (streq(optarg, "json") || streq(optarg, "table")))
                        json = streq(optarg, "json");
                else if (c == 'h') {
                        printf("Usage: rongqi-runtime ps [--format table|json] <container-id> "
                               "[ps options]\n\nThe container's processes: a table from the "
                               "host's ps (default -ef), or their pids as JSON.\n");
                        return 0;
                } else
                        return runtime_usage("ps", "unknown option or value '%s'",
                                             argv[optind - 1]);
        }
        if (optind >= argc)
                return runtime_usage("ps", "\"ps\" requires a container id");
        const char *id = argv[optind];
        _cleanup_close_ int root = runtime_open_root(g, true);
        if (root < 0)
                return 1;
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n;
        if (rq_container_pids(root, id, &pids, &n, &e) < 0)
                return runtime_fail(e);
        if (json) {
                putchar('[');
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int)pids[i]);
                puts("]");
                return 0;
        }
        int k = ps_table(argv + optind + 1, pids, n);
        if (k < 0) {
                rq_err("ps: running the host's ps failed: %s", strerror(-k));
                return 1;
        }
        return 0;
}
