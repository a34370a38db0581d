/* Images rongqi has without any pull. */
#pragma once

#include "engine/store/store.h"
#include "lib/error.h"

#define RQ_BUILTIN_BUSYBOX "docker.io/library/busybox:latest"

/* Make docker.io/library/busybox:latest from the host's busybox-static (taking the store's write
 * lock), unless it exists; its id in ret_id (65 bytes). */
int rq_store_builtin_busybox(rq_store *s, char *ret_id, rq_error **reterr);
