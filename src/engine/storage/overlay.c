/* Mounting an overlayfs from store layers (see overlay.h for the methods): the kernel probe, the
 * fsopen methods that hand each layer to the kernel as a directory fd opened beneath the store,
 * and the classic mount(2) option string, written with short links when it would not fit. */
#include "engine/storage/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

/* mount(2) without <sys/mount.h>, whose definitions clash with <linux/mount.h> in glibc 2.36. */
#define MS_RDONLY_ 1UL

/* The store's empty directory: the second lower of a one-layer read-only overlay. */
#define EMPTY_DIR "l/.empty"

static int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
        return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

/* The best method of the running kernel. A kernel feature, the same for the whole process: probed
 * once and kept (an EPERM from fsopen is not kept, the caller may enter a namespace later). */
rq_overlay_method rq_overlay_kernel_method(void)
{
        static rq_overlay_method probed = RQ_OVERLAY_AUTO;
        if (probed != RQ_OVERLAY_AUTO)
                return probed;

        _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return errno == EPERM ? RQ_OVERLAY_CLASSIC : (probed = RQ_OVERLAY_CLASSIC);
        _cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root >= 0 && sys_fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, root) == 0)
                return (probed = RQ_OVERLAY_LOWERDIR_FD);
        /* Before 6.5 overlayfs took its options through the legacy context, which accepts any
         * key and only fails at FSCONFIG_CMD_CREATE: a lowerdir+ that does not exist must fail
         * right away to count as understood. */
        if (sys_fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", "/", 0) == 0 &&
            sys_fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", "/nonexistent/rongqi-probe", 0) <
                    0 &&
            errno == ENOENT)
                return (probed = RQ_OVERLAY_LOWERDIR_PATH);
        return (probed = RQ_OVERLAY_CLASSIC);
}

static rq_overlay_method pick_method(const rq_overlay_opts *o)
{
        if (o->method != RQ_OVERLAY_AUTO)
                return o->method;
        rq_overlay_method m = rq_overlay_method_from_string(getenv("RQ_TEST_OVERLAY_METHOD"));
        return m > RQ_OVERLAY_AUTO ? m : rq_overlay_kernel_method();
}

/* In a user namespace other than the initial one: whose uid map is one line mapping all ids to
 * themselves ("0 0 4294967295"). */
static bool in_user_namespace(void)
{
        _cleanup_free_ char *map = NULL;
        unsigned long inside, outside, count;
        if (read_full_file_at(AT_FDCWD, "/proc/self/uid_map", &map, NULL) < 0)
                return false;
        const char *nl = strchr(map, '\n');
        bool one_line = !nl || nl[1] == '\0';
        return !(one_line && sscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
                 inside == 0 && outside == 0 && count == 4294967295UL);
}

/* The overlay's flag options, as the classic string writes them ("userxattr,volatile"). */
static void flag_options(const rq_overlay_opts *o, char buf[static 32])
{
        bool ux = (o->flags & RQ_OVERLAY_USERXATTR) || in_user_namespace();
        bool vol = (o->flags & RQ_OVERLAY_VOLATILE) && o->upper;
        snprintf(buf, 32, "%s%s%s", ux ? "userxattr" : "", ux && vol ? "," : "",
                 vol ? "volatile" : "");
}

static bool read_only(const rq_overlay_opts *o)
{
        return (o->flags & RQ_OVERLAY_RDONLY) || !o->upper;
}

static int validate(const rq_overlay_opts *o, rq_error **reterr)
{
        if (o->n_lowers < 1 || o->n_lowers > RQ_OVERLAY_MAX_LOWERS)
                return rq_error_invalid(reterr, "an overlay takes 1 to %d layers, not %zu",
                                        RQ_OVERLAY_MAX_LOWERS, o->n_lowers);
        for (size_t i = 0; i < o->n_lowers; i++)
                if (rq_overlay_rel_check(o->lowers[i]) < 0)
                        return rq_error_invalid(reterr,
                                                "layer \"%s\": not a path beneath the store "
                                                "(relative, no \"..\", no ':' ',' or '\\')",
                                                o->lowers[i]);
        if (!o->upper != !o->work)
                return rq_error_invalid(reterr, "an overlay needs both an upper and a work "
                                                "dir, or neither");
        const char *dirs[] = { o->upper, o->work };
        for (size_t i = 0; o->upper && i < ELEMENTSOF(dirs); i++)
                if (dirs[i][0] == '/' ? rq_overlay_path_check(dirs[i]) < 0
                                      : rq_overlay_rel_check(dirs[i]) < 0)
                        return rq_error_invalid(reterr,
                                                "overlay %s dir \"%s\": no \"..\", ':' ',' or "
                                                "'\\' allowed",
                                                i == 0 ? "upper" : "work", dirs[i]);
        return 0;
}

/* A directory beneath the store, never through a symlink or "..": an O_RDONLY fd (fsconfig's
 * FSCONFIG_SET_FD takes no O_PATH fd). */
static int open_beneath(int dirfd, const char *rel, const char *what, rq_error **reterr)
{
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                /* No openat2 (before 5.6): rel has no ".." (validate()), only the last symlink
                 * goes unchecked. */
                fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rq_error_set(reterr, errno, "open %s %s in the store", what, rel);
        return fd;
}

/* upper or work: beneath the store when relative, as given when absolute. */
static int open_dir(int store_dirfd, const char *p, const char *what, rq_error **reterr)
{
        if (p[0] != '/')
                return open_beneath(store_dirfd, p, what, reterr);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? rq_error_set(reterr, errno, "open %s %s", what, p) : fd;
}

/* The store's l/ directory (created when missing), as an fd. */
static int open_links_dir(int store_dirfd, bool with_empty, rq_error **reterr)
{
        if (mkdirat(store_dirfd, "l", 0700) < 0 && errno != EEXIST)
                return rq_error_set(reterr, errno, "create the store's l/ directory");
        int lfd = open_beneath(store_dirfd, "l", "directory", reterr);
        if (lfd >= 0 && with_empty && mkdirat(lfd, ".empty", 0700) < 0 && errno != EEXIST) {
                safe_close(lfd);
                return rq_error_set(reterr, errno, "create the store's %s", EMPTY_DIR);
        }
        return lfd;
}

/* The kernel's own messages about a failed fsconfig, from the fs context: "overlay: ...". */
static void fs_log(int fs, char *buf, size_t size)
{
        char msg[512];
        size_t used = 0;
        ssize_t n;
        buf[0] = '\0';
        while (used + 3 < size && (n = read(fs, msg, sizeof(msg) - 1)) > 0) {
                msg[n] = '\0';
                strip_trailing(msg);
                /* Each message starts with its level: "e ", "w " or "i ". */
                const char *text = n > 2 && msg[1] == ' ' ? msg + 2 : msg;
                int k = snprintf(buf + used, size - used, "%s%s", used ? "; " : "", text);
                used += k > 0 ? (size_t)k : 0;
        }
}

static int fs_error(int fs, int err, rq_error **reterr, const char *what, const char *arg)
{
        char log[512];
        fs_log(fs, log, sizeof(log));
        if (*log)
                rq_error_set(reterr, err, "overlay: %s %s (kernel: %s)", what, arg, log);
        else
                rq_error_set(reterr, err, "overlay: %s %s", what, arg);
        if (err == EPERM)
                return rq_error_hint(reterr, "mounting an overlay needs CAP_SYS_ADMIN: root, or "
                                             "a user namespace with a mount namespace of its own");
        if (err == ENODEV)
                return rq_error_hint(reterr, "the kernel has no overlay file system (modprobe "
                                             "overlay)");
        return -err;
}

/* Why the kernel said EINVAL to a whole overlay, where it does not tell the fs context (it writes
 * to the kernel log instead). */
static int explain_einval(const rq_overlay_opts *o, int r, rq_error **reterr)
{
        struct stat st;
        _cleanup_free_ char *marker =
                o->work ? strprintf("%s/work/incompat/volatile", o->work) : NULL;
        if (r != -EINVAL)
                return r;
        if (marker && fstatat(marker[0] == '/' ? AT_FDCWD : o->store_dirfd, marker, &st,
                              AT_SYMLINK_NOFOLLOW) == 0)
                return rq_error_hint(reterr,
                                     "the work dir %s was used by a volatile mount (%s exists): "
                                     "the kernel mounts that upper and work pair no more; make "
                                     "new ones",
                                     o->work, marker);
        return rq_error_hint(reterr, "the kernel log (dmesg) says why");
}

/* One directory into the fs context: the fd itself, or its /proc/self/fd path. */
static int fs_set_dir(int fs, rq_overlay_method m, const char *key, int fd, const char *name,
                      rq_error **reterr)
{
        char proc[32];
        int r = m == RQ_OVERLAY_LOWERDIR_FD ? sys_fsconfig(fs, FSCONFIG_SET_FD, key, NULL, fd)
                                            : sys_fsconfig(fs, FSCONFIG_SET_STRING, key,
                                                           fd_reopen_proc_path(fd, proc), 0);
        if (r == 0)
                return 0;
        r = fs_error(fs, errno, reterr, key, name);
        /* A method forced beyond the kernel: 6.1 says EOPNOTSUPP to an fd, 6.8 EINVAL. */
        rq_overlay_method best = rq_overlay_kernel_method();
        if ((r == -EINVAL || r == -EOPNOTSUPP) && best != m && best != RQ_OVERLAY_LOWERDIR_FD)
                return rq_error_hint(reterr, "this kernel's overlay method is %s, not %s",
                                     rq_overlay_method_to_string(best),
                                     rq_overlay_method_to_string(m));
        return r;
}

static int overlay_fsmount(const rq_overlay_opts *o, rq_overlay_method m, rq_error **reterr)
{
        int r;
        _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return fs_error(-1, errno, reterr, "open a file system context for", o->lowers[0]);
        for (size_t i = 0; i < o->n_lowers; i++) {
                _cleanup_close_ int fd =
                        open_beneath(o->store_dirfd, o->lowers[i], "layer", reterr);
                if (fd < 0)
                        return fd;
                if ((r = fs_set_dir(fs, m, "lowerdir+", fd, o->lowers[i], reterr)) < 0)
                        return r;
        }
        if (o->n_lowers == 1 && !o->upper) {
                _cleanup_close_ int lfd = open_links_dir(o->store_dirfd, true, reterr);
                if (lfd < 0)
                        return lfd;
                _cleanup_close_ int fd = open_beneath(lfd, ".empty", "directory", reterr);
                if (fd < 0 || (r = fs_set_dir(fs, m, "lowerdir+", fd, EMPTY_DIR, reterr)) < 0)
                        return fd < 0 ? fd : r;
        }
        if (o->upper) {
                const char *keys[] = { "upperdir", "workdir" }, *dirs[] = { o->upper, o->work };
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        _cleanup_close_ int fd = open_dir(o->store_dirfd, dirs[i], keys[i], reterr);
                        if (fd < 0)
                                return fd;
                        if ((r = fs_set_dir(fs, m, keys[i], fd, dirs[i], reterr)) < 0)
                                return r;
                }
        }
        char flags[32], *save = NULL;
        flag_options(o, flags);
        for (char *f = strtok_r(flags, ",", &save); f; f = strtok_r(NULL, ",", &save))
                if (sys_fsconfig(fs, FSCONFIG_SET_FLAG, f, NULL, 0) < 0)
                        return fs_error(fs, errno, reterr, "set the option", f);
        if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return explain_einval(
                        o, fs_error(fs, errno, reterr, "create the file system of", o->lowers[0]),
                        reterr);
        int mfd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                               read_only(o) ? MOUNT_ATTR_RDONLY : 0);
        if (mfd < 0)
                return fs_error(fs, errno, reterr, "make a mount of", o->lowers[0]);
        return mfd;
}

int rq_overlay_open(const rq_overlay_opts *o, rq_error **reterr)
{
        int r = validate(o, reterr);
        if (r < 0)
                return r;
        rq_overlay_method m = pick_method(o);
        if (m != RQ_OVERLAY_LOWERDIR_FD && m != RQ_OVERLAY_LOWERDIR_PATH) {
                rq_error_set_plain(reterr, EOPNOTSUPP,
                                   "a detached overlay mount needs lowerdir+ (Linux 6.8), not "
                                   "the %s method",
                                   rq_overlay_method_to_string(m));
                return rq_error_hint(reterr, "mount it on an fd of its target instead");
        }
        return overlay_fsmount(o, m, reterr);
}

/* l/NAME for every layer, made when missing; names[i] gets the name of lowers[i]. */
static int make_links(int lfd, const rq_overlay_opts *o, char (*names)[RQ_OVERLAY_LINK_LEN + 1],
                      rq_error **reterr)
{
        for (size_t i = 0; i < o->n_lowers; i++) {
                _cleanup_free_ char *target = strprintf("../%s", o->lowers[i]);
                if (!target)
                        return rq_error_set(reterr, ENOMEM, "short link of %s", o->lowers[i]);
                for (unsigned attempt = 0;; attempt++) {
                        char cur[PATH_MAX];
                        if (attempt == 16)
                                return rq_error_set_plain(reterr, EEXIST,
                                                          "no free short link name for layer %s "
                                                          "in the store's l/",
                                                          o->lowers[i]);
                        rq_overlay_link_name(o->lowers[i], attempt, names[i]);
                        if (symlinkat(target, lfd, names[i]) == 0)
                                break;
                        if (errno != EEXIST)
                                return rq_error_set(reterr, errno, "create short link l/%s",
                                                    names[i]);
                        ssize_t n = readlinkat(lfd, names[i], cur, sizeof(cur) - 1);
                        if (n >= 0 && (cur[n] = '\0', streq(cur, target)))
                                break;
                }
        }
        return 0;
}

static int overlay_classic(const rq_overlay_opts *o, rq_overlay_method m, int target,
                           rq_error **reterr)
{
        bool empty = o->n_lowers == 1 && !o->upper;
        char extra[32];
        flag_options(o, extra);
        size_t n = o->n_lowers + empty;
        _cleanup_free_ const char **list = calloc(n, sizeof(char *));
        _cleanup_free_ char(*names)[RQ_OVERLAY_LINK_LEN + 1] = NULL;
        _cleanup_free_ char *opts = NULL, *up = NULL, *wk = NULL;
        _cleanup_close_ int lfd = -EBADF, cwd = -EBADF;
        int r;
        if (!list)
                return rq_error_set(reterr, ENOMEM, "overlay options");
        /* Every layer checked the way the fsopen methods open them: the kernel then resolves
         * the same paths again from the store. */
        for (size_t i = 0; i < o->n_lowers; i++) {
                _cleanup_close_ int fd =
                        open_beneath(o->store_dirfd, o->lowers[i], "layer", reterr);
                if (fd < 0)
                        return fd;
                list[i] = o->lowers[i];
        }
        if (empty) {
                if ((lfd = open_links_dir(o->store_dirfd, true, reterr)) < 0)
                        return lfd;
                list[o->n_lowers] = EMPTY_DIR;
        }
        if (o->upper) {
                for (int i = 0; i < 2; i++) {
                        _cleanup_close_ int fd = open_dir(o->store_dirfd, i ? o->work : o->upper,
                                                          i ? "workdir" : "upperdir", reterr);
                        if (fd < 0)
                                return fd;
                }
        }
        r = m == RQ_OVERLAY_SHORT_LINKS
                    ? -E2BIG
                    : rq_overlay_classic_options("", list, n, o->upper, o->work, extra, &opts);
        int chdir_fd = o->store_dirfd;
        if (r == -E2BIG) {
                /* From inside l/: the links by name, relative upper and work dirs from "..". */
                if (lfd < 0 && (lfd = open_links_dir(o->store_dirfd, empty, reterr)) < 0)
                        return lfd;
                if (!(names = calloc(n, sizeof(*names))))
                        return rq_error_set(reterr, ENOMEM, "overlay options");
                if ((r = make_links(lfd, o, names, reterr)) < 0)
                        return r;
                for (size_t i = 0; i < o->n_lowers; i++)
                        list[i] = names[i];
                if (empty)
                        list[o->n_lowers] = ".empty";
                if (o->upper) {
                        up = o->upper[0] == '/' ? strdup(o->upper) : strprintf("../%s", o->upper);
                        wk = o->work[0] == '/' ? strdup(o->work) : strprintf("../%s", o->work);
                        if (!up || !wk)
                                return rq_error_set(reterr, ENOMEM, "overlay options");
                }
                r = rq_overlay_classic_options("", list, n, up, wk, extra, &opts);
                chdir_fd = lfd;
        }
        if (r == -E2BIG)
                return rq_error_set_plain(reterr, E2BIG,
                                          "overlay: the mount options for %zu layers do not fit "
                                          "in a page even with short links (upper or work path "
                                          "too long?)",
                                          o->n_lowers);
        if (r < 0)
                return rq_error_set(reterr, r, "overlay: build the mount options");

        /* The paths in opts are relative to chdir_fd: the working directory is that dir for the
         * mount(2) call only, and restored before anything else can look at it. */
        char proc[32];
        if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                return rq_error_set(reterr, errno, "overlay: open the working directory");
        if (fchdir(chdir_fd) < 0)
                return rq_error_set(reterr, errno, "overlay: enter the store directory");
        r = (int)syscall(SYS_mount, "overlay", fd_reopen_proc_path(target, proc), "overlay",
                         read_only(o) ? MS_RDONLY_ : 0UL, opts);
        int err = errno;
        if (fchdir(cwd) < 0 && r == 0)
                err = errno, r = -1; /* mounted, but the process is lost: say so */
        if (r < 0)
                return explain_einval(o,
                                      fs_error(-1, err, reterr,
                                               chdir_fd == lfd ? "mount (short links)" : "mount",
                                               o->lowers[0]),
                                      reterr);
        return chdir_fd == lfd ? RQ_OVERLAY_SHORT_LINKS : RQ_OVERLAY_CLASSIC;
}

int rq_overlay_mount(const rq_overlay_opts *o, int target_dirfd, const char *target_path,
                     rq_error **reterr)
{
        int r = validate(o, reterr);
        if (r < 0)
                return r;
        rq_overlay_method m = pick_method(o);
        bool on_fd = !target_path || !*target_path;
        int dirfd = target_dirfd < 0 ? AT_FDCWD : target_dirfd;
        const char *name = on_fd ? "(fd)" : target_path;

        if (m == RQ_OVERLAY_LOWERDIR_FD || m == RQ_OVERLAY_LOWERDIR_PATH) {
                _cleanup_close_ int mfd = overlay_fsmount(o, m, reterr);
                if (mfd < 0)
                        return mfd;
                if (syscall(SYS_move_mount, mfd, "", dirfd, on_fd ? "" : target_path,
                            MOVE_MOUNT_F_EMPTY_PATH | (on_fd ? MOVE_MOUNT_T_EMPTY_PATH : 0)) < 0)
                        return rq_error_set(reterr, errno, "overlay: attach the mount on %s", name);
                return m;
        }

        _cleanup_close_ int target = -EBADF;
        if (!on_fd && (target = openat(dirfd, target_path,
                                       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                return rq_error_set(reterr, errno, "overlay: open the mount target %s", name);
        if (on_fd && target_dirfd < 0)
                return rq_error_invalid(reterr, "overlay: no mount target");
        return overlay_classic(o, m, on_fd ? target_dirfd : target, reterr);
}
