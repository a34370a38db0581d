/* Runtime state of containers: one directory per container under a state root
 * (/run/rongqi-runtime for root, $XDG_RUNTIME_DIR/rongqi-runtime otherwise, or --root),
 * holding state.json and serialised by a per-container flock(2).
 *
 *   <root>/            0700, created on first use
 *   <root>/<id>/       0700, created exclusively: a second create of the same id fails
 *   <root>/<id>/state.json   written to a temporary file, fsync'd, renamed: never half-written
 *   <root>/<id>/resources.json   the linux.resources `update` last applied (container-update.c)
 *
 * The live status of a container is computed, not trusted: a stored pid is alive only if the
 * process exists, is not a zombie and has the start time recorded at create (pids are reused).
 * The OCI state (runtime.md) is what `state` prints; runc adds rootfs, created and owner. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

typedef enum rq_status {
        RQ_STATUS_CREATING,
        RQ_STATUS_CREATED,
        RQ_STATUS_RUNNING,
        RQ_STATUS_STOPPED,
        RQ_STATUS_PAUSED,
        _RQ_STATUS_MAX,
        _RQ_STATUS_INVALID = -1,
} rq_status;

typedef struct rq_state {
        char *id;
        char *oci_version; /* the bundle's config.json ociVersion */
        char *bundle; /* absolute path */
        char *rootfs; /* absolute path */
        rq_status status; /* as last recorded; see rq_state_live_status() */
        pid_t pid; /* container init, 0 when there is none */
        uint64_t pid_start; /* its start time (clock ticks after boot, /proc/PID/stat field 22) */
        int64_t created; /* CLOCK_REALTIME nanoseconds */
        uid_t owner; /* uid that created it */
        char *cgroup_path; /* NULL when none */
        char *systemd_unit; /* the systemd driver's scope (cgroup.h), NULL with cgroupfs */
        bool systemd_user; /* that scope belongs to the user's systemd, not the system's */
        json_t *annotations; /* object or NULL; owned */
} rq_state;

const char *rq_status_to_string(rq_status s);
rq_status rq_status_from_string(const char *s);

/* runc's rule: letters, digits, '_', '+', '-', '.'; not "." or ".."; at most 1024 bytes. */
bool rq_container_id_valid(const char *id);

/* The default state root for this user (malloc'd): /run/rongqi-runtime for root,
 * $XDG_RUNTIME_DIR/rongqi-runtime otherwise; an error saying to give --root when that variable
 * is unset or not a directory the caller owns. */
int rq_state_root_default(char **ret, rq_error **reterr);
/* Open (and with create, make, mode 0700, parents too) the state root; an O_DIRECTORY fd. */
int rq_state_root_open(const char *path, bool create, rq_error **reterr);

/* Make <root>/<id> exclusively ("container with id X already exists"); returns its fd. */
int rq_state_dir_create(int root_fd, const char *id, rq_error **reterr);
/* Open <root>/<id> ("container does not exist", runc's words, when it is not there). */
int rq_state_dir_open(int root_fd, const char *id, rq_error **reterr);
/* flock the container directory: shared or exclusive; without wait, -EWOULDBLOCK when held. */
int rq_state_lock(int dir_fd, bool exclusive, bool wait);
/* Remove <root>/<id> and everything directly in it (the state dir holds no subdirectories). */
int rq_state_dir_remove(int root_fd, const char *id, rq_error **reterr);
/* Container ids under root, sorted; NULL-terminated, free with strv_free. */
int rq_state_list(int root_fd, char ***ret, rq_error **reterr);

/* state.json: write atomically into the container directory, read back. */
int rq_state_write(int dir_fd, const rq_state *s, rq_error **reterr);
int rq_state_read(int dir_fd, rq_state *ret, rq_error **reterr);
void rq_state_done(rq_state *s);

/* Start time of a process (field 22 of /proc/PID/stat) and whether it is a zombie. */
int rq_proc_start_time(pid_t pid, uint64_t *ret_start, bool *ret_zombie);
/* Is the recorded init still the same living process? */
bool rq_state_pid_alive(const rq_state *s);
/* The status to report now: the recorded one while the init lives, else stopped. */
rq_status rq_state_live_status(const rq_state *s);

/* The OCI state document with runc's extra fields, as `state` prints it (malloc'd, indented). */
char *rq_state_to_json(const rq_state *s, rq_status status);
