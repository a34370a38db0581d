/* Writing images from the store as an archive other tools load (docker load, podman load,
 * skopeo, containerd's ctr import). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "engine/store/store.h"
#include "lib/error.h"

typedef enum rq_save_format {
        RQ_SAVE_DOCKER_ARCHIVE,
        RQ_SAVE_OCI_ARCHIVE,
        _RQ_SAVE_FORMAT_MAX,
        _RQ_SAVE_FORMAT_INVALID = -1,
} rq_save_format;

typedef struct rq_save_opts {
        FILE *progress; /* NULL: quiet */
        bool progress_tty;
} rq_save_opts;

/* Write n images to out_fd; names[i] is the NULL-terminated list of names image i is saved
 * under (may be NULL: no name). */
int rq_save(rq_store *s, rq_db_image *imgs, size_t n, char ***names, rq_save_format format,
            int out_fd, const rq_save_opts *o, rq_error **reterr);
