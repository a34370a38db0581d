/* rongqi save [-o FILE] [--format docker-archive|oci-archive] IMAGE...: the archive goes to
 * FILE (written under a temporary name and renamed when complete) or to stdout. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "engine/store/save.h"

int cmd_save(const rq_engine *e, int argc, char **argv)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *output = NULL;
        rq_save_format format = RQ_SAVE_DOCKER_ARCHIVE;
        bool quiet = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+o:qh", opts, NULL)) != -1)
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'f':
                        if (streq(optarg, "docker-archive"))
                                format = RQ_SAVE_DOCKER_ARCHIVE;
                        else if (streq(optarg, "oci-archive"))
                                format = RQ_SAVE_OCI_ARCHIVE;
                        else
                                return rq_engine_usage("rongqi save",
                                                       "--format: '%s' is not docker-archive "
                                                       "or oci-archive",
                                                       optarg);
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        printf("Usage: rongqi save [-o FILE] [--format FORMAT] IMAGE...\n\n"
                               "Write images to an archive that docker, podman and skopeo load.\n\n"
                               "  -o, --output FILE  write to FILE instead of stdout\n"
                               "      --format F     docker-archive (default) or oci-archive\n"
                               "  -q, --quiet        no progress output\n");
                        return 0;
                default:
                        return rq_engine_usage("rongqi save", "invalid option");
                }
        if (optind >= argc)
                return rq_engine_usage("rongqi save", "need at least one IMAGE");
        if (!output && isatty(STDOUT_FILENO))
                return rq_engine_usage("rongqi save", "refusing to write an archive to a "
                                                      "terminal: give -o FILE or redirect stdout");

        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, 0, &s) < 0)
                return 125;
        size_t n = (size_t)(argc - optind);
        rq_db_image *imgs = calloc(n, sizeof(*imgs));
        char ***names = calloc(n, sizeof(char **));
        int ret = 0;
        rq_error *err = NULL;
        if (!imgs || !names) {
                free(imgs);
                free(names);
                return 125;
        }
        for (size_t i = 0; i < n && ret == 0; i++) {
                const char *arg = argv[optind + (int)i];
                char *full = NULL;
                if (rq_store_find_image(s, arg, &imgs[i], &full, &err) < 0) {
                        ret = rq_engine_fail(err);
                        break;
                }
                /* Saved under the name it was asked by; by id: under all its names. */
                if (full) {
                        names[i] = calloc(2, sizeof(char *));
                        if (names[i])
                                names[i][0] = full;
                        else
                                free(full);
                } else {
                        names[i] = imgs[i].names;
                        imgs[i].names = NULL;
                }
        }

        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        if (ret == 0) {
                if (output) {
                        tmp = strprintf("%s.rongqi-tmp-%d", output, (int)getpid());
                        fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
                        if (fd < 0) {
                                rq_error_set(&err, errno, "create %s", output);
                                ret = rq_engine_fail(err);
                        }
                } else
                        fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        }
        if (ret == 0) {
                rq_save_opts o = { .progress = quiet ? NULL : stderr,
                                   .progress_tty = isatty(STDERR_FILENO) };
                if (rq_save(s, imgs, n, names, format, fd, &o, &err) < 0 ||
                    (output && fsync(fd) < 0 && rq_error_set(&err, errno, "write %s", output)) ||
                    (output && rename(tmp, output) < 0 &&
                     rq_error_set(&err, errno, "rename %s to %s", tmp, output)))
                        ret = rq_engine_fail(err);
        }
        if (ret != 0 && tmp)
                unlink(tmp);
        for (size_t i = 0; i < n; i++)
                strv_free(names[i]);
        free(names);
        rq_db_images_free(imgs, n);
        return ret;
}

int cmd_export(const rq_engine *e, int argc, char **argv)
{
        if (argc >= 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("Usage: rongqi export [-o FILE] CONTAINER\n\n"
                       "Write a container's file system as a tarball.\n");
                return 0;
        }
        /* Containers (rongqi run) are the next part of the engine; until they exist there is
         * nothing to export, and saying so beats an unknown-command error. */
        rq_error *err = NULL;
        rq_error_set_plain(&err, ENOENT,
                           "%s: no such container: this rongqi has no containers yet (they come "
                           "with 'rongqi run')",
                           argc >= 2 ? argv[argc - 1] : "(none given)");
        rq_error_hint(&err, "for an image's files use 'rongqi image mount IMAGE' or 'rongqi "
                            "save IMAGE'");
        return rq_engine_fail(err);
}
