/* The rongqi binary: global options, then dispatch to one command per file (the namespace tools
 * in src/tools, the engine's commands in src/engine/cli). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "engine/cli/cli.h"
#include "lib/log.h"
#include "tools/tools.h"

static const struct {
        const char *name;
        const char *program; /* name in messages */
        int (*run)(int argc, char **argv);
        const char *summary;
} tools[] = {
        { "ns", "rongqi ns", cmd_ns, "list the namespaces of a process or of the whole system" },
        { "nsenter", "rongqi nsenter", cmd_nsenter,
          "run a program in namespaces of another process" },
        { "unshare", "rongqi unshare", cmd_unshare, "run a program in new namespaces" },
};

static const struct {
        const char *name;
        const char *program;
        int (*run)(const rq_engine *e, int argc, char **argv);
        const char *summary; /* NULL: an alias, not listed */
} engine[] = {
        { "images", "rongqi images", cmd_images, "list images" },
        { "load", "rongqi load", cmd_load, "load images from a docker or OCI archive" },
        { "import", "rongqi import", cmd_import, "make an image from a root filesystem tarball" },
        { "export", "rongqi export", cmd_export, NULL },
        { "save", "rongqi save", cmd_save, "write images to a docker or OCI archive" },
        { "tag", "rongqi tag", cmd_tag, "give an image more names" },
        { "rmi", "rongqi rmi", cmd_rmi, "remove images" },
        { "history", "rongqi history", cmd_history, "show how an image was built" },
        { "image", "rongqi image", cmd_image, "image commands (ls, inspect, rm, prune, ...)" },
        { "info", "rongqi info", cmd_info, "show the host's facilities and rongqi's storage" },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: rongqi [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS...]\n\n"
                   "A daemonless Linux container engine.\n\nNamespace tools:\n");
        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                fprintf(f, "  %-10s %s\n", tools[i].name, tools[i].summary);
        fprintf(f, "\nImages:\n");
        for (size_t i = 0; i < ELEMENTSOF(engine); i++)
                if (engine[i].summary)
                        fprintf(f, "  %-10s %s\n", engine[i].name, engine[i].summary);
        fprintf(f,
                "\nGlobal options:\n"
                "  --root DIR     where images are kept (default /var/lib/rongqi, or\n"
                "                 $XDG_DATA_HOME/rongqi for a user; RONGQI_ROOT overrides)\n"
                "  --runroot DIR  run-time state (default /run/rongqi, $XDG_RUNTIME_DIR/rongqi)\n"
                "  -h, --help     show this help\n"
                "  -V, --version  show the version\n"
                "\nRun 'rongqi COMMAND --help' for a command's options; 'man rongqi-COMMAND'.\n");
}

int main(int argc, char **argv)
{
        rq_log_set_program("rongqi");
        if (argc < 2) {
                usage(stderr);
                return 1;
        }
        const char *first = argv[1];
        if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0 ||
            strcmp(first, "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(first, "-V") == 0 || strcmp(first, "--version") == 0 ||
            strcmp(first, "version") == 0) {
                printf("rongqi version %s\n", RQ_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                if (strcmp(first, tools[i].name) == 0) {
                        rq_log_set_program(tools[i].program);
                        return tools[i].run(argc - 1, argv + 1);
                }

        _cleanup_(rq_engine_done) rq_engine e = {};
        int k = rq_engine_parse_globals(&e, argc, argv);
        if (k < 0)
                return 125;
        if (k >= argc) {
                usage(stderr);
                return 125;
        }
        const char *cmd = argv[k];
        for (size_t i = 0; i < ELEMENTSOF(engine); i++)
                if (strcmp(cmd, engine[i].name) == 0) {
                        rq_log_set_program(engine[i].program);
                        return engine[i].run(&e, argc - k, argv + k);
                }
        rq_err("unknown command '%s'", cmd);
        fprintf(stderr, "Run 'rongqi --help' for the list of commands.\n");
        return 125;
}
