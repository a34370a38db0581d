/* Test helper: drives src/engine/storage/overlay.c the way the engine does.
 *   rq-overlay method
 *     Prints the best overlay method of this kernel (lowerdir-fd, lowerdir-path, classic).
 *   rq-overlay mount [OPTIONS] STORE TARGET LAYER...
 *     Mounts the layers (paths relative to STORE, topmost first) on TARGET and prints the
 *     method used. OPTIONS: --upper DIR --work DIR, --ro, --userxattr, --volatile, --method NAME,
 *     --detached (rq_overlay_open, then move_mount onto TARGET), --bench N (mount and unmount
 *     N times, print the median microseconds of one mount + unmount, of the mount alone, of the
 *     unmount alone, and the method, instead).
 *   rq-overlay umount [--detach] TARGET
 *   rq-overlay prune STORE      (rq_overlay_links_prune; prints the number removed)
 *   rq-overlay fixture STORE OPAQUE_XATTR
 *     Makes the two-layer store the tests share: layers/bottom/diff with f, keep, gone, d/old;
 *     layers/top/diff with f, a whiteout (char 0/0) for gone, d/new in an opaque d (the xattr
 *     OPAQUE_XATTR=y: trusted.overlay.opaque, or user.overlay.opaque for userxattr mounts);
 *     empty c/upper and c/work.
 * Errors go to stderr with their hint; exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "engine/storage/overlay.h"

static int fail(rq_error *e)
{
        char *s = rq_error_format(e);
        const char *hint = rq_error_get_hint(e);
        fprintf(stderr, "rq-overlay: %s\n", s ? s : "error");
        if (hint)
                fprintf(stderr, "hint: %s\n", hint);
        free(s);
        rq_error_free(e);
        return 1;
}

static long long now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;
        return x < y ? -1 : x > y;
}

/* A volatile mount leaves work/work/incompat/volatile/dirty behind, and the kernel refuses the
 * pair while it exists: the benchmark removes it after each clean unmount (untimed). */
static void volatile_reset(const rq_overlay_opts *o)
{
        static const char *const parts[] = { "/work/incompat/volatile/dirty",
                                             "/work/incompat/volatile", "/work/incompat" };
        char p[4096];
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
                snprintf(p, sizeof(p), "%s%s", o->work, parts[i]);
                if (unlinkat(o->store_dirfd, p, AT_REMOVEDIR) < 0)
                        (void)unlinkat(o->store_dirfd, p, 0);
        }
}

static int mount_detached(const rq_overlay_opts *o, const char *target, rq_error **e)
{
        int fd = rq_overlay_open(o, e);
        if (fd < 0)
                return fd;
        int r = (int)syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
        close(fd);
        return r < 0 ? rq_error_set(e, errno, "move_mount onto %s", target) : o->method;
}

static int cmd_mount(int argc, char **argv)
{
        rq_overlay_opts o = { .store_dirfd = -EBADF };
        rq_error *e = NULL;
        bool detached = false;
        long bench = 0;
        int i = 0;
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--ro"))
                        o.flags |= RQ_OVERLAY_RDONLY;
                else if (!strcmp(a, "--userxattr"))
                        o.flags |= RQ_OVERLAY_USERXATTR;
                else if (!strcmp(a, "--volatile"))
                        o.flags |= RQ_OVERLAY_VOLATILE;
                else if (!strcmp(a, "--detached"))
                        detached = true;
                else if (v && !strcmp(a, "--upper"))
                        o.upper = v, i++;
                else if (v && !strcmp(a, "--work"))
                        o.work = v, i++;
                else if (v && !strcmp(a, "--bench"))
                        bench = strtol(v, NULL, 10), i++;
                else if (v && !strcmp(a, "--method")) {
                        if ((int)(o.method = rq_overlay_method_from_string(v)) < 0)
                                return fprintf(stderr, "unknown method %s\n", v), 2;
                        i++;
                } else
                        return fprintf(stderr, "unknown option %s\n", a), 2;
        }
        if (argc - i < 3)
                return fprintf(stderr, "usage: rq-overlay mount [OPTIONS] STORE TARGET LAYER...\n"),
                       2;
        o.store_dirfd = open(argv[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (o.store_dirfd < 0)
                return perror(argv[i]), 1;
        const char *target = argv[i + 1];
        o.lowers = (const char *const *)argv + i + 2;
        o.n_lowers = (size_t)(argc - i - 2);
        if (detached && o.method == RQ_OVERLAY_AUTO)
                o.method = rq_overlay_kernel_method();

        if (bench <= 0) {
                int r = detached ? mount_detached(&o, target, &e)
                                 : rq_overlay_mount(&o, AT_FDCWD, target, &e);
                if (r < 0)
                        return fail(e);
                printf("%s\n", rq_overlay_method_to_string(r));
                return 0;
        }
        /* Per run: the total, the mount alone and the unmount alone. */
        long long *t = calloc(3 * (size_t)bench, sizeof(*t));
        int r = 0;
        for (long n = 0; t && n < bench; n++) {
                long long start = now_us();
                r = rq_overlay_mount(&o, AT_FDCWD, target, &e);
                long long mid = now_us();
                if (r < 0 || rq_overlay_unmount(target, 0, &e) < 0)
                        return fail(e);
                t[n] = now_us() - start;
                t[bench + n] = mid - start;
                if ((o.flags & RQ_OVERLAY_VOLATILE) && o.work)
                        volatile_reset(&o);
                t[2 * bench + n] = t[n] - t[bench + n];
        }
        if (!t)
                return 1;
        for (int k = 0; k < 3; k++)
                qsort(t + k * bench, (size_t)bench, sizeof(*t), cmp_ll);
        printf("%lld %lld %lld %s\n", t[bench / 2], t[bench + bench / 2], t[2 * bench + bench / 2],
               rq_overlay_method_to_string(r));
        free(t);
        return 0;
}

static int fixture(const char *store, const char *opaque)
{
        static const char *const dirs[] = {
                "layers",     "layers/bottom",   "layers/bottom/diff", "layers/bottom/diff/d",
                "layers/top", "layers/top/diff", "layers/top/diff/d",  "c",
                "c/upper",    "c/work"
        };
        static const char *const files[][2] = {
                { "layers/bottom/diff/f", "bottom" }, { "layers/bottom/diff/keep", "bottom" },
                { "layers/bottom/diff/gone", "old" }, { "layers/bottom/diff/d/old", "old" },
                { "layers/top/diff/f", "top" },       { "layers/top/diff/d/new", "new" },
        };
        int dfd = open(store, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return perror(store), 1;
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                if (mkdirat(dfd, dirs[i], 0755) < 0 && errno != EEXIST)
                        return perror(dirs[i]), 1;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                int fd = openat(dfd, files[i][0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dprintf(fd, "%s\n", files[i][1]) < 0)
                        return perror(files[i][0]), 1;
                close(fd);
        }
        if (mknodat(dfd, "layers/top/diff/gone", S_IFCHR | 0644, makedev(0, 0)) < 0)
                return perror("whiteout layers/top/diff/gone"), 1;
        char d[4096];
        snprintf(d, sizeof(d), "%s/layers/top/diff/d", store);
        if (lsetxattr(d, opaque, "y", 1, 0) < 0)
                return perror(d), 1;
        close(dfd);
        return 0;
}

int main(int argc, char **argv)
{
        rq_error *e = NULL;
        if (argc >= 2 && !strcmp(argv[1], "method")) {
                printf("%s\n", rq_overlay_method_to_string(rq_overlay_kernel_method()));
                return 0;
        }
        if (argc >= 2 && !strcmp(argv[1], "mount"))
                return cmd_mount(argc - 2, argv + 2);
        if (argc >= 3 && !strcmp(argv[1], "umount")) {
                bool detach = argc >= 4 && !strcmp(argv[2], "--detach");
                if (rq_overlay_unmount(argv[argc - 1], detach ? RQ_OVERLAY_UNMOUNT_DETACH : 0, &e) <
                    0)
                        return fail(e);
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "prune")) {
                int fd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
                int r = fd < 0 ? -errno : rq_overlay_links_prune(fd, &e);
                if (r < 0)
                        return e ? fail(e) : (perror(argv[2]), 1);
                printf("%d\n", r);
                return 0;
        }
        if (argc == 4 && !strcmp(argv[1], "fixture"))
                return fixture(argv[2], argv[3]);
        fprintf(stderr, "usage: rq-overlay method | mount ... | umount [--detach] TARGET | "
                        "prune STORE | fixture STORE OPAQUE_XATTR\n");
        return 2;
}
