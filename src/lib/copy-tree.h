/* Copying a directory tree by file descriptors only (the tmpcopyup mount option): every entry
 * is opened relative to its parent's fd with O_NOFOLLOW, symlinks are copied as symlinks and
 * never followed, so a tree from an image cannot make the copy read anything outside it. Kept:
 * contents, file types (directories, regular files, symlinks, fifos, sockets, device nodes),
 * modes, owners, timestamps, and extended attributes where the target file system takes them.
 * Hard links become separate copies. */
#pragma once

#include "lib/error.h"

/* Copy what is in the directory from_fd into the directory to_fd (both any fd of a
 * directory, O_PATH included), then from_fd's mode, owner and timestamps onto to_fd. what
 * names the copy in errors ("mounts[2] (/etc): tmpcopyup"). */
int rq_copy_tree(int from_fd, int to_fd, const char *what, rq_error **reterr);
