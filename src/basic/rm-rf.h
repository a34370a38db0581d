/* Recursive removal relative to a directory fd, for the engine's own trees (temporary unpack
 * dirs, layers, container dirs). Never follows symlinks and never descends into another
 * filesystem (a mount left inside is an error, not something to empty). Returns -errno. */
#pragma once

/* Remove dirfd/name and everything below it. -ENOENT is success. */
int rm_rf_at(int dirfd, const char *name);
/* Remove everything inside the directory dirfd, keeping the directory itself. */
int rm_rf_children(int dirfd);
