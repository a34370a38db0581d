/* The rongqi binary: dispatch to one command per file. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "lib/log.h"
#include "tools/tools.h"

static const struct {
        const char *name;
        const char *program; /* name in messages */
        int (*run)(int argc, char **argv);
        const char *summary;
} commands[] = {
        { "ns", "rongqi ns", cmd_ns, "list the namespaces of a process or of the whole system" },
        { "nsenter", "rongqi nsenter", cmd_nsenter,
          "run a program in namespaces of another process" },
        { "unshare", "rongqi unshare", cmd_unshare, "run a program in new namespaces" },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: rongqi COMMAND [OPTIONS] [ARGS...]\n\n"
                   "A daemonless Linux container engine. Commands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nRun 'rongqi COMMAND --help' for a command's options; 'man rongqi-COMMAND'.\n"
                   "  -h, --help     show this help\n"
                   "  -V, --version  show the version\n");
}

int main(int argc, char **argv)
{
        rq_log_set_program("rongqi");
        if (argc < 2) {
                usage(stderr);
                return 1;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 ||
            strcmp(cmd, "version") == 0) {
                printf("rongqi version %s\n", RQ_VERSION);
                return 0;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(cmd, commands[i].name) == 0) {
                        rq_log_set_program(commands[i].program);
                        return commands[i].run(argc - 1, argv + 1);
                }
        rq_err("unknown command '%s'", cmd);
        fprintf(stderr, "Run 'rongqi --help' for the list of commands.\n");
        return 1;
}
