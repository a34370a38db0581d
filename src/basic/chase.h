/* Resolving paths inside a directory that stands for "/" (a container rootfs), so that a symlink
 * planted by an image can never lead outside it: ".." at the root stays at the root, absolute
 * symlinks start again at the root, /proc magic links are refused. The primary implementation is
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); kernels, or seccomp profiles, without openat2
 * get a component-by-component walk that gives the same answers. Callers then act on the fd (mount
 * through /proc/self/fd/N), never on a path string checked earlier.
 *
 * Everything returns >= 0 or -errno and never logs. Every fd returned has O_CLOEXEC. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* How many symlinks one resolution may follow: the kernel's MAXSYMLINKS. The next one is ELOOP. */
#define CHASE_SYMLINKS_MAX 40

typedef enum chase_flag {
        /* Do not follow a symlink in the final component: with O_PATH the fd is the symlink
         * itself, with any other open it is ELOOP. A trailing slash does not override this (the
         * kernel's own path walk would follow): "link/" is then ENOTDIR. O_NOFOLLOW in the
         * open flags means the same. */
        CHASE_NOFOLLOW_LAST = 1 << 0,
        /* Refuse to cross a mount point, either way (RESOLVE_NO_XDEV): EXDEV. */
        CHASE_NO_XDEV = 1 << 1,
} chase_flag;

typedef enum chase_create_kind {
        CHASE_CREATE_FILE, /* an empty regular file, e.g. a bind mount target for a file */
        CHASE_CREATE_DIRECTORY,
        _CHASE_CREATE_KIND_MAX,
        _CHASE_CREATE_KIND_INVALID = -1,
} chase_create_kind;

/* Resolve path inside the directory root_fd as if root_fd were "/" and open the result.
 *
 * path: "" and "/" are the root itself; a leading "/" is ignored; a trailing "/" asks for a
 * directory (O_DIRECTORY). At most PATH_MAX - 1 bytes (ENAMETOOLONG).
 * open_flags: those of open(2) for the final open (O_PATH for a handle only; 0 is O_RDONLY, as
 * for open(2)). O_CLOEXEC is always added. O_CREAT and
 * O_TMPFILE are refused (EINVAL): chase_create_in_root() creates. With O_PATH only O_DIRECTORY
 * and O_NOFOLLOW are kept, as openat2 requires.
 * chase_flags: chase_flag bits.
 *
 * Errors besides those of open(2): ELOOP for a symlink loop, more than CHASE_SYMLINKS_MAX
 * symlinks, a /proc magic link on the way (a procfs mounted inside the root), or a final symlink
 * not followed with an open other than O_PATH; EXDEV with CHASE_NO_XDEV; EAGAIN if renames
 * kept racing the resolution. */
int chase_open_in_root(int root_fd, const char *path, int open_flags, unsigned chase_flags,
                       int *ret_fd);

/* Create the missing directories of path inside root_fd, one component at a time, with mode (the
 * umask applies), and return an O_PATH | O_DIRECTORY fd of the last one. Each step resolves
 * the way chase_open_in_root() does: a symlink that resolves to a directory inside the root is
 * followed, and nothing is ever created through a symlink whose target is missing:
 * EXDEV if that symlink's text leads outside the root (absolute, or ".." above the root, as it
 * would be read on the host), ENOLINK if it stays inside. ENOTDIR if a component is not a
 * directory. */
int chase_mkdir_p_in_root(int root_fd, const char *path, mode_t mode, int *ret_fd);

/* Make a mount target: the parent directories as chase_mkdir_p_in_root() makes them (0755), then
 * the final entry, created if missing (an empty regular file with O_CREAT | O_EXCL | O_NOFOLLOW, or
 * a directory) and returned as an O_PATH fd. The final entry is never followed: EEXIST if it exists
 * as a symlink (even one pointing inside the root); an existing entry of the right kind is taken:
 * for CHASE_CREATE_DIRECTORY a directory (ENOTDIR otherwise), for CHASE_CREATE_FILE anything but a
 * directory (EISDIR) or symlink, since a file can be mounted over any of them. A path whose last
 * component is "", "." or ".." names a directory that already exists: EISDIR for a file. */
int chase_create_in_root(int root_fd, const char *path, chase_create_kind kind, mode_t mode,
                         int *ret_fd);

/* Write "/proc/self/fd/N" for fd into buf and return buf, for mount(2) and other calls that take
 * a path: the kernel then acts on the object the fd holds. NULL if fd < 0. */
const char *fd_reopen_proc_path(int fd, char buf[static 32]);

/* Check what fd really is, with fstat and fstatfs, before writing to it or mounting on it.
 * type: an S_IF* file type, or 0 for any. fs_magic: a statfs f_type (PROC_SUPER_MAGIC), or 0 for
 * any. Returns 0, or: ELOOP for a symlink (an O_PATH | O_NOFOLLOW fd) where none was asked,
 * ENOTDIR (a directory was asked), EISDIR (a directory where something else was asked), ENODEV
 * (a device was asked), EMEDIUMTYPE (any other type mismatch), EXDEV (another filesystem). */
int fd_verify_kind(int fd, mode_t type, unsigned long fs_magic);

/* fd_verify_kind(fd, type, 0) for a device node type (S_IFCHR or S_IFBLK), then ENODEV unless
 * its device number is devnum: /dev/null is S_IFCHR, makedev(1, 3). */
int fd_verify_device(int fd, mode_t type, dev_t devnum);

/* Test seam, for the unit tests only: true makes chase_open_in_root() and everything built on it
 * use the component walk as if openat2 did not exist, so one test table runs both. */
void chase_force_fallback(bool b);
