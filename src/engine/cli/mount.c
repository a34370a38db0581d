/* rongqi image mount / unmount, as `podman image mount`: an image's layers mounted read-only with
 * overlayfs under the run root, so anyone can look at exactly the root a container would get.
 * Mounting again prints the same path; unmount removes the mount and its directory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/rm-rf.h"
#include "basic/string-util.h"
#include "engine/cli/cli.h"
#include "engine/storage/overlay.h"

/* runroot/image-mounts/ID/merged */
static char *mount_path(const rq_store *s, const char *id)
{
        return strprintf("%s/image-mounts/%s/merged", s->runroot, id);
}

/* Whether path is a mount point: its device differs from its parent's. */
static bool is_mounted(const char *path)
{
        struct stat a, b;
        _cleanup_free_ char *parent = strprintf("%s/..", path);
        return parent && stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

int rq_image_mounted(const rq_store *s, const char *id, char **ret_path)
{
        _cleanup_free_ char *p = mount_path(s, id);
        if (!p)
                return -ENOMEM;
        if (!is_mounted(p))
                return 0;
        if (ret_path)
                *ret_path = TAKE_PTR(p);
        return 1;
}

static int mkdir_parents(const char *path)
{
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return mkdir(buf, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

static int mount_one(rq_store *s, const rq_db_image *img, rq_error **reterr)
{
        _cleanup_free_ char *target = mount_path(s, img->id);
        if (!target)
                return rq_error_set(reterr, ENOMEM, "mount image");
        if (is_mounted(target)) {
                puts(target);
                return 0;
        }
        if (img->n_layers == 0)
                return rq_error_set_plain(reterr, EINVAL, "image %.12s has no layers to mount",
                                          img->id);
        int r = mkdir_parents(target);
        if (r < 0)
                return rq_error_set(reterr, r, "create %s", target);

        /* Overlay order: the topmost (last) layer first. */
        char **lowers = calloc(img->n_layers, sizeof(char *));
        if (!lowers)
                return rq_error_set(reterr, ENOMEM, "mount image");
        for (size_t i = 0; i < img->n_layers; i++)
                lowers[i] = rq_store_layer_path(img->layers[img->n_layers - 1 - i].diff_id);
        rq_overlay_opts o = { .store_dirfd = s->root_fd,
                              .lowers = (const char *const *)lowers,
                              .n_lowers = img->n_layers };
        r = rq_overlay_mount(&o, AT_FDCWD, target, reterr);
        for (size_t i = 0; i < img->n_layers; i++)
                free(lowers[i]);
        free(lowers);
        if (r < 0) {
                /* Leave no empty mount point behind. */
                _cleanup_free_ char *dir = strprintf("%s/image-mounts", s->runroot);
                _cleanup_close_ int fd =
                        dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
                if (fd >= 0)
                        (void)rm_rf_at(fd, img->id);
                return rq_error_wrap(reterr, "mount image %.12s on %s", img->id, target);
        }
        puts(target);
        return 0;
}

static int unmount_one(rq_store *s, const char *id, bool quiet_absent, rq_error **reterr)
{
        _cleanup_free_ char *target = mount_path(s, id);
        _cleanup_free_ char *dir = strprintf("%s/image-mounts", s->runroot);
        if (!target || !dir)
                return rq_error_set(reterr, ENOMEM, "unmount image");
        if (!is_mounted(target)) {
                if (quiet_absent)
                        return 0;
                return rq_error_set_plain(reterr, EINVAL, "image %.12s is not mounted", id);
        }
        int r = rq_overlay_unmount(target, 0, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "unmount image %.12s", id);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                (void)rm_rf_at(fd, id);
        printf("%s\n", id);
        return 0;
}

int cmd_image_mount(const rq_engine *e, int argc, char **argv)
{
        if (argc >= 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("Usage: rongqi image mount [IMAGE...]\n\n"
                       "Mount images read-only (their layers with overlayfs) and print the "
                       "paths;\nwithout IMAGE list the mounted images.\n");
                return 0;
        }
        if (geteuid() != 0)
                return rq_engine_usage("rongqi image mount",
                                       "mounting an image needs root (an unprivileged user "
                                       "cannot mount in the host's mount namespace)");
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, 0, &s) < 0)
                return 125;
        rq_error *err = NULL;
        if (argc < 2) {
                rq_db_image *imgs = NULL;
                size_t n = 0;
                if (rq_db_images_list(s->db, &imgs, &n, &err) < 0)
                        return rq_engine_fail(err);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *p = NULL;
                        if (rq_image_mounted(s, imgs[i].id, &p) > 0)
                                printf("%.12s %s %s\n", imgs[i].id,
                                       imgs[i].names && imgs[i].names[0] ? imgs[i].names[0]
                                                                         : "<none>",
                                       p);
                }
                rq_db_images_free(imgs, n);
                return 0;
        }
        int ret = 0;
        for (int i = 1; i < argc; i++) {
                _cleanup_(rq_db_image_done) rq_db_image img = {};
                if (rq_store_find_image(s, argv[i], &img, NULL, &err) < 0 ||
                    mount_one(s, &img, &err) < 0) {
                        ret = rq_engine_fail(err);
                        err = NULL;
                }
        }
        return ret;
}

int cmd_image_unmount(const rq_engine *e, int argc, char **argv)
{
        bool all = false;
        int first = 1;
        if (argc >= 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("Usage: rongqi image unmount [-a] IMAGE...\n\n"
                       "Unmount images mounted with 'rongqi image mount'.\n\n"
                       "  -a, --all  every mounted image\n");
                return 0;
        }
        if (argc >= 2 && (streq(argv[1], "-a") || streq(argv[1], "--all"))) {
                all = true;
                first = 2;
        }
        if (!all && argc < 2)
                return rq_engine_usage("rongqi image unmount", "need an IMAGE or --all");
        _cleanup_(rq_store_closep) rq_store *s = NULL;
        if (rq_engine_open_store(e, 0, &s) < 0)
                return 125;
        rq_error *err = NULL;
        int ret = 0;
        if (all) {
                rq_db_image *imgs = NULL;
                size_t n = 0;
                if (rq_db_images_list(s->db, &imgs, &n, &err) < 0)
                        return rq_engine_fail(err);
                for (size_t i = 0; i < n; i++)
                        if (unmount_one(s, imgs[i].id, true, &err) < 0) {
                                ret = rq_engine_fail(err);
                                err = NULL;
                        }
                rq_db_images_free(imgs, n);
        }
        for (int i = first; i < argc; i++) {
                _cleanup_(rq_db_image_done) rq_db_image img = {};
                if (rq_store_find_image(s, argv[i], &img, NULL, &err) < 0 ||
                    unmount_one(s, img.id, false, &err) < 0) {
                        ret = rq_engine_fail(err);
                        err = NULL;
                }
        }
        return ret;
}
