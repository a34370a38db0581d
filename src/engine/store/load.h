/* Loading images into the store from a docker-archive (docker save / podman save), an OCI
 * archive (a tar of an OCI image layout) or an OCI image layout directory. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "engine/store/store.h"
#include "lib/error.h"

typedef struct rq_load_opts {
        FILE *progress; /* where progress goes (stderr), or NULL for none */
        bool progress_tty; /* redraw one line per layer instead of printing lines */
        /* Called once per image loaded, with its id and the names it got (NULL-terminated). */
        void (*loaded)(void *userdata, const char *id, char *const *names);
        void *userdata;
} rq_load_opts;

/* Load every image from fd (a regular file, or a pipe: copied to the store's tmp/ first) or
 * from the OCI layout directory dirfd when fd < 0. Each image is committed in its own
 * transaction once all its blobs and layers are in place and verified. */
int rq_load(rq_store *s, int fd, int dirfd, const rq_load_opts *o, rq_error **reterr);
