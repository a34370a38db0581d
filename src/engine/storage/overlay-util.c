/* The parts of the overlay module that are not the mount itself: path checks and the classic
 * option string (pure, unit-tested), the short links of the store's l/ directory, and unmounting
 * with an error that names who keeps a mount busy. */
#include "engine/storage/overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "engine/digest.h"

static const char *const method_names[_RQ_OVERLAY_METHOD_MAX] = {
        [RQ_OVERLAY_AUTO] = "auto",
        [RQ_OVERLAY_LOWERDIR_FD] = "lowerdir-fd",
        [RQ_OVERLAY_LOWERDIR_PATH] = "lowerdir-path",
        [RQ_OVERLAY_CLASSIC] = "classic",
        [RQ_OVERLAY_SHORT_LINKS] = "short-links",
};

const char *rq_overlay_method_to_string(rq_overlay_method m)
{
        return m >= 0 && m < _RQ_OVERLAY_METHOD_MAX ? method_names[m] : NULL;
}

rq_overlay_method rq_overlay_method_from_string(const char *s)
{
        for (int m = 0; s && m < _RQ_OVERLAY_METHOD_MAX; m++)
                if (streq(s, method_names[m]))
                        return m;
        return _RQ_OVERLAY_METHOD_INVALID;
}

int rq_overlay_path_check(const char *p)
{
        if (!p || !*p || strpbrk(p, ":,\\\n"))
                return -EINVAL;
        return 0;
}

int rq_overlay_rel_check(const char *rel)
{
        if (rq_overlay_path_check(rel) < 0 || rel[0] == '/')
                return -EINVAL;
        for (const char *c = rel; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return -EINVAL;
                c += n;
                if (*c == '/' && *++c == '\0')
                        return -EINVAL; /* a trailing slash: an empty last component */
        }
        return 0;
}

void rq_overlay_link_name(const char *rel, unsigned attempt, char out[RQ_OVERLAY_LINK_LEN + 1])
{
        static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
        char digest[RQ_DIGEST_STR_LEN];
        _cleanup_free_ char *in = attempt ? strprintf("%s\n%u", rel, attempt) : NULL;
        const char *s = in ? in : rel;

        /* Allocation failure, or libcrypto missing (it is dlopen()ed): every layer then gets the
         * same candidate, and the caller's collision handling reports that no name is free. */
        if (rq_sha256_buf(s, strlen(s), digest) < 0)
                memset(digest, '0', sizeof(digest) - 1);
        /* 5 bits per character from the first 32 bits of the digest, most significant first. */
        unsigned bits = 0;
        for (int i = 0; i < 8; i++) {
                char c = digest[7 + i];
                bits = bits << 4 | (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        for (int i = 0; i < RQ_OVERLAY_LINK_LEN; i++)
                out[i] = b32[(bits >> (32 - 5 * (i + 1))) & 31];
        out[RQ_OVERLAY_LINK_LEN] = '\0';
}

int rq_overlay_classic_options(const char *prefix, const char *const *lowers, size_t n_lowers,
                               const char *upper, const char *work, const char *extra, char **ret)
{
        size_t len = strlen("lowerdir=") + 1;
        for (size_t i = 0; i < n_lowers; i++) {
                if (rq_overlay_path_check(lowers[i]) < 0)
                        return -EINVAL;
                len += (i > 0) + strlen(prefix) + strlen(lowers[i]);
        }
        if ((upper || work) &&
            (rq_overlay_path_check(upper) < 0 || rq_overlay_path_check(work) < 0))
                return -EINVAL;
        if (upper)
                len += strlen(",upperdir=,workdir=") + strlen(upper) + strlen(work);
        if (extra && *extra)
                len += 1 + strlen(extra);
        if (n_lowers == 0 || len - 1 > RQ_OVERLAY_CLASSIC_MAX)
                return n_lowers == 0 ? -EINVAL : -E2BIG;

        char *s = malloc(len), *p = s;
        if (!s)
                return -ENOMEM;
        p = stpcpy(p, "lowerdir=");
        for (size_t i = 0; i < n_lowers; i++) {
                if (i > 0)
                        *p++ = ':';
                p = stpcpy(stpcpy(p, prefix), lowers[i]);
        }
        if (upper)
                p = stpcpy(stpcpy(stpcpy(stpcpy(p, ",upperdir="), upper), ",workdir="), work);
        if (extra && *extra)
                p = stpcpy(stpcpy(p, ","), extra);
        *ret = s;
        return 0;
}

/* The short links: l/NAME -> ../REL for every layer, made on demand by the short-links method.
 * A name taken by a link to another layer (a hash collision) moves on to the next attempt. */
int rq_overlay_links_prune(int store_dirfd, rq_error **reterr)
{
        _cleanup_close_ int lfd =
                openat(store_dirfd, "l", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (lfd < 0)
                return errno == ENOENT ? 0 : rq_error_set(reterr, errno, "open the store's l/");
        int dfd = dup(lfd);
        if (dfd < 0)
                return rq_error_set(reterr, errno, "open the store's l/");
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return rq_error_set(reterr, errno, "open the store's l/");
        }
        int n = 0;
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                struct stat st;
                if (de->d_type != DT_LNK)
                        continue;
                /* The link is followed relative to l/: ENOENT means its layer is gone. */
                if (fstatat(lfd, de->d_name, &st, 0) == 0 || errno != ENOENT)
                        continue;
                if (unlinkat(lfd, de->d_name, 0) < 0 && errno != ENOENT)
                        return rq_error_set(reterr, errno, "remove the short link l/%s",
                                            de->d_name);
                n++;
        }
        if (errno)
                return rq_error_set(reterr, errno, "read the store's l/");
        return n;
}

/* Who keeps path busy: a process whose cwd, root or an open file lies at or below it, or a mount
 * below it. Writes a description into buf; false if nothing was found. */
static bool path_is_at_or_below(const char *p, const char *dir)
{
        const char *rest = startswith(p, dir);
        return rest && (*rest == '\0' || *rest == '/' || streq(dir, "/"));
}

static bool proc_uses(const char *pid, const char *dir, char *buf, size_t size)
{
        static const char *const links[] = { "cwd", "root" };
        char path[64], target[PATH_MAX];
        ssize_t n;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                snprintf(path, sizeof(path), "/proc/%.20s/%s", pid, links[i]);
                if ((n = readlink(path, target, sizeof(target) - 1)) > 0) {
                        target[n] = '\0';
                        if (path_is_at_or_below(target, dir)) {
                                snprintf(buf, size, "its %s", links[i]);
                                return true;
                        }
                }
        }
        snprintf(path, sizeof(path), "/proc/%.20s/fd", pid);
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                snprintf(path, sizeof(path), "/proc/%.20s/fd/%.16s", pid, de->d_name);
                if ((n = readlink(path, target, sizeof(target) - 1)) <= 0)
                        continue;
                target[n] = '\0';
                if (path_is_at_or_below(target, dir)) {
                        snprintf(buf, size, "open file %.200s", target);
                        return true;
                }
        }
        return false;
}

static bool find_user(const char *dir, char *buf, size_t size)
{
        _cleanup_closedir_ DIR *d = opendir("/proc");
        struct dirent *de;
        char what[256];
        while (d && (de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
                    !proc_uses(de->d_name, dir, what, sizeof(what)))
                        continue;
                char path[64], *comm = NULL;
                snprintf(path, sizeof(path), "/proc/%.20s/comm", de->d_name);
                if (read_full_file_at(AT_FDCWD, path, &comm, NULL) >= 0)
                        strip_trailing(comm);
                snprintf(buf, size, "process %.20s (%.32s) holds %.200s", de->d_name,
                         comm ? comm : "?", what);
                free(comm);
                return true;
        }
        /* A mount below it: mountinfo's fifth field, with octal escapes for spaces. */
        _cleanup_free_ char *info = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", &info, NULL) < 0)
                return false;
        char *save = NULL;
        for (char *l = strtok_r(info, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char mp[PATH_MAX];
                if (sscanf(l, "%*s %*s %*s %*s %4095s", mp) == 1 && !streq(mp, dir) &&
                    path_is_at_or_below(mp, dir)) {
                        snprintf(buf, size, "%.200s is mounted below it", mp);
                        return true;
                }
        }
        return false;
}

int rq_overlay_unmount(const char *target, unsigned flags, rq_error **reterr)
{
        int mflags = UMOUNT_NOFOLLOW | ((flags & RQ_OVERLAY_UNMOUNT_DETACH) ? MNT_DETACH : 0);
        if (umount2(target, mflags) == 0)
                return 0;
        int err = errno;
        rq_error_set(reterr, err, "unmount %s", target);
        if (err == EINVAL)
                return rq_error_hint(reterr, "%s is not a mount point", target);
        if (err == EBUSY) {
                char real[PATH_MAX], who[512];
                if (realpath(target, real) && find_user(real, who, sizeof(who)))
                        return rq_error_hint(reterr, "%s; stop it first, or detach lazily", who);
                return rq_error_hint(reterr, "a process (perhaps in another mount namespace) "
                                             "uses it; stop it first, or detach lazily");
        }
        return -err;
}
