/* rongqi image SUBCOMMAND: Podman's grouping of the image commands (image ls, rm, inspect, …). */
#include <stdio.h>
#include <string.h>

#include "basic/string-util.h"
#include "engine/cli/cli.h"

static const struct {
        const char *name;
        int (*run)(const rq_engine *e, int argc, char **argv);
        const char *summary;
} subs[] = {
        { "ls", cmd_images, "list images" },
        { "list", cmd_images, NULL },
        { "inspect", cmd_image_inspect, "show an image's details as JSON" },
        { "history", cmd_history, "show how an image was built" },
        { "rm", cmd_rmi, "remove images" },
        { "tag", cmd_tag, "give an image more names" },
        { "prune", cmd_image_prune, "remove unused images" },
        { "load", cmd_load, "load images from an archive" },
        { "save", cmd_save, "write images to an archive" },
        { "mount", cmd_image_mount, "mount an image read-only and print the path" },
        { "unmount", cmd_image_unmount, "unmount an image" },
        { "umount", cmd_image_unmount, NULL },
        { "import", cmd_import, "make an image from a root filesystem tarball" },
};

int cmd_image(const rq_engine *e, int argc, char **argv)
{
        if (argc < 2 || streq(argv[1], "-h") || streq(argv[1], "--help")) {
                FILE *f = argc < 2 ? stderr : stdout;
                fprintf(f, "Usage: rongqi image COMMAND [OPTIONS]\n\nCommands:\n");
                for (size_t i = 0; i < ELEMENTSOF(subs); i++)
                        if (subs[i].summary)
                                fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].summary);
                return argc < 2 ? 125 : 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(subs); i++)
                if (streq(argv[1], subs[i].name))
                        return subs[i].run(e, argc - 1, argv + 1);
        return rq_engine_usage("rongqi image", "unknown command '%s'", argv[1]);
}
