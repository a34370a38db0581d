/* rongqi nsenter: the options (util-linux nsenter's, plus -q) and their parser, exposed so
 * unit tests can drive it. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "lib/nsjoin.h"

typedef struct nsenter_options {
        rq_nsjoin_request join; /* target, namespaces, files, root/wd, credentials */
        bool no_fork; /* -F: exec without forking, even after entering a PID namespace */
        bool quiet; /* -q: no notes */
        bool help; /* -h: show help; nothing else was checked */
        bool version; /* -V: show the version; nothing else was checked */
        char **argv; /* program and arguments, NULL-terminated; empty: $SHELL */
} nsenter_options;

/* Parse argv (argv[0] is the command name; argv[argc] must be NULL). Options stop at the first
 * non-option or "--". Returns 0, or -EINVAL with a usage message in *reterr (not printed).
 * Strings in *ret point into argv. */
int nsenter_parse_options(int argc, char **argv, nsenter_options *ret, rq_error **reterr);
