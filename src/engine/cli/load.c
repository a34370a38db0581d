/* rongqi load [-i FILE|DIR] [-q]: docker-archive, OCI archive or OCI layout directory. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "engine/store/load.h"
#include "lib/log.h"

static void print_loaded(void *userdata, const char *id, char *const *names)
{
        bool any = false;
        for (size_t i = 0; names && names[i]; i++, any = true)
                printf("Loaded image: %s\n", names[i]);
        if (!any)
                printf("Loaded image: sha256:%s\n", id);
        fflush(stdout);
}

int cmd_load(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "input", required_argument, NULL, 'i' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *input = NULL;
        bool quiet = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+i:qh", opts, NULL)) != -1)
                switch (c) {
                case 'i':
                        input = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        printf("Usage: rongqi load [-i FILE|DIR] [-q]\n\n"
                               "Load images from a docker-archive (docker save, podman save), an\n"
                               "OCI archive or an OCI image layout directory; stdin by default.\n\n"
                               "  -i, --input PATH  read from PATH instead of stdin\n"
                               "  -q, --quiet       no progress output\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi load", "invalid option");
                }
        if (optind < argc)
                return rq_engine_usage("rongqi load", "unexpected argument '%s'", argv[optind]);

        _cleanup_close_ int fd = -EBADF, dirfd = -EBADF;
        if (!input || streq(input, "-")) {
                if (isatty(STDIN_FILENO))
                        return rq_engine_usage(
                                "rongqi load",
                                "no input: give -i FILE or pipe an archive to stdin");
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        } else {
                fd = open(input, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        rq_error *err = NULL;
                        rq_error_set(&err, errno, "open %s", input);
                        return rq_engine_fail(err);
                }
                struct stat st;
                if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                        dirfd = TAKE_FD(fd);
                }
        }

        if (quiet)
                rq_log_set_level(RQ_LOG_WARNING); /* -q: no notes either */
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, RQ_STORE_WRITE, &s) < 0)
                return 125;
        rq_load_opts o = { .progress = quiet ? NULL : stderr,
                           .progress_tty = isatty(STDERR_FILENO),
                           .loaded = print_loaded };
        rq_error *err = NULL;
        if (rq_load(s, fd, dirfd, &o, &err) < 0)
                return rq_engine_fail(err);
        return 0;
}
