/* Mounting an overlayfs from layer directories of the store: the merged root of an image or a
 * container. Which kernel interface is used, best first:
 *
 *   lowerdir-fd    fsopen("overlay") + one fsconfig(FSCONFIG_SET_FD, "lowerdir+") per layer,
 *                  each an O_PATH fd opened beneath the store (Linux 6.13), fsmount, move_mount
 *   lowerdir-path  the same with FSCONFIG_SET_STRING "/proc/self/fd/N" per layer (Linux 6.8)
 *   classic        mount(2) "lowerdir=A:B:C,upperdir=..,workdir=.." with the layer paths
 *                  relative to the store (the process's cwd is the store during the call)
 *   short-links    the same when that string does not fit in a page: each layer gets a
 *                  6-character symlink in the store's l/ directory and the option string names
 *                  only those links, relative to l/ (500 layers fit)
 *
 * The classic methods change the process's working directory for the duration of the mount(2)
 * call and restore it: not for multi-threaded callers (the engine is single threaded).
 *
 * Inside a user namespace (rootless) the option "userxattr" is added: overlayfs then reads and
 * writes its xattrs as user.overlay.* (opaque dirs: user.overlay.opaque=y), whiteouts stay
 * character devices 0/0. Every function returns >= 0 or -errno and records an rq_error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

/* The kernel's limit on lower layers of one overlay (OVL_MAX_STACK). */
#define RQ_OVERLAY_MAX_LOWERS 500
/* Length of a short link name in l/ (lowercase base32 of a SHA-256 of the layer's path). */
#define RQ_OVERLAY_LINK_LEN 6
/* The largest mount(2) option string (the kernel copies one page, NUL included). */
#define RQ_OVERLAY_CLASSIC_MAX 4095

typedef enum rq_overlay_flag {
        /* Mount read-only even with an upper dir (without one the overlay is read-only anyway). */
        RQ_OVERLAY_RDONLY = 1 << 0,
        /* Add "userxattr" even outside a user namespace (inside one it is always added). */
        RQ_OVERLAY_USERXATTR = 1 << 1,
        /* "volatile" (Linux 5.10): no syncfs of the upper dir's file system at unmount or sync,
         * the bulk of an unmount's cost. After a crash the kernel refuses to mount that
         * upper/work pair again (work/incompat/volatile exists): for throw-away containers. */
        RQ_OVERLAY_VOLATILE = 1 << 2,
} rq_overlay_flag;

typedef enum rq_overlay_method {
        RQ_OVERLAY_AUTO, /* the best this kernel has; RQ_TEST_OVERLAY_METHOD=NAME overrides */
        RQ_OVERLAY_LOWERDIR_FD,
        RQ_OVERLAY_LOWERDIR_PATH,
        RQ_OVERLAY_CLASSIC, /* becomes short-links when the string does not fit */
        RQ_OVERLAY_SHORT_LINKS,
        _RQ_OVERLAY_METHOD_MAX,
        _RQ_OVERLAY_METHOD_INVALID = -1,
} rq_overlay_method;

typedef struct rq_overlay_opts {
        int store_dirfd; /* the store root: lowers (and relative upper/work) live beneath it */
        /* Layer dirs relative to store_dirfd, topmost first (overlay order); 1 to
         * RQ_OVERLAY_MAX_LOWERS. Opened with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: no "..",
         * no symlink anywhere in the path. */
        const char *const *lowers;
        size_t n_lowers;
        /* Both NULL: a read-only overlay of the lowers (one lower gets the store's empty
         * directory l/.empty as a second, since overlayfs wants two). Otherwise both set, each
         * relative to store_dirfd (opened as the lowers are) or absolute (followed as given). */
        const char *upper, *work;
        unsigned flags; /* rq_overlay_flag */
        rq_overlay_method method; /* RQ_OVERLAY_AUTO unless a test or benchmark picks one */
} rq_overlay_opts;

const char *rq_overlay_method_to_string(rq_overlay_method m);
rq_overlay_method rq_overlay_method_from_string(const char *s);

/* The best method this kernel offers, probed once per process (fsopen and fsconfig calls on a
 * throw-away overlay context): LOWERDIR_FD, LOWERDIR_PATH or CLASSIC. */
rq_overlay_method rq_overlay_kernel_method(void);

/* Mount the overlay on target_path resolved relative to target_dirfd (AT_FDCWD or -1 for the
 * cwd; a symlink as the last component is not followed), or on target_dirfd itself when
 * target_path is NULL or "". Returns the method used (> 0). Errors name the layer or dir at fault
 * and carry the kernel's own message where it gave one. */
int rq_overlay_mount(const rq_overlay_opts *o, int target_dirfd, const char *target_path,
                     rq_error **reterr);

/* The same overlay as a detached mount (an fsmount fd, O_CLOEXEC) for the caller to attach with
 * move_mount(2), e.g. inside a container's rootfs. Only with the fsopen methods: on a kernel
 * without lowerdir+ (before 6.8) -EOPNOTSUPP; use rq_overlay_mount() on an fd of the target. */
int rq_overlay_open(const rq_overlay_opts *o, rq_error **reterr);

typedef enum rq_overlay_unmount_flag {
        /* Detach lazily (MNT_DETACH) instead of failing with EBUSY while in use. */
        RQ_OVERLAY_UNMOUNT_DETACH = 1 << 0,
} rq_overlay_unmount_flag;

/* Unmount the mount at target (not following a final symlink). EBUSY: the error names a process
 * that uses it (cwd, root or an open file beneath it) or a mount below it. EINVAL: nothing is
 * mounted there. */
int rq_overlay_unmount(const char *target, unsigned flags, rq_error **reterr);

/* Remove the short links of l/ whose layer dir is gone (after layers were removed). Returns the
 * number removed. */
int rq_overlay_links_prune(int store_dirfd, rq_error **reterr);

/* Pure logic, exposed for the unit tests. */

/* 0 if p can stand in a classic option string ("lowerdir=a:b,upperdir=c"): not empty, no ':',
 * ',' or '\\' (overlayfs's separators and escape) and no newline; -EINVAL otherwise. */
int rq_overlay_path_check(const char *p);
/* 0 if rel is a usable store-relative layer path: not empty, not absolute, no ".." or "."
 * component, no empty component, passes rq_overlay_path_check(). -EINVAL otherwise. */
int rq_overlay_rel_check(const char *rel);
/* The short link name for a layer path: RQ_OVERLAY_LINK_LEN lowercase base32 characters of
 * SHA-256(rel, attempt) (attempt > 0 after a collision with another layer's link). */
void rq_overlay_link_name(const char *rel, unsigned attempt, char out[RQ_OVERLAY_LINK_LEN + 1]);
/* The classic option string: "lowerdir=L1:L2[,upperdir=U,workdir=W][,EXTRA]" where Li is
 * prefix + lowers[i] and EXTRA the flag options ("userxattr,volatile", NULL or "" for none). -E2BIG
 * when it exceeds RQ_OVERLAY_CLASSIC_MAX, -EINVAL when a path cannot be written in it
 * (rq_overlay_path_check), -ENOMEM. */
int rq_overlay_classic_options(const char *prefix, const char *const *lowers, size_t n_lowers,
                               const char *upper, const char *work, const char *extra, char **ret);
