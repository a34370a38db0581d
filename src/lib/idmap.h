/* User and group id maps of user namespaces: building them (single ids, ranges, the first
 * /etc/subuid and /etc/subgid block), writing them to /proc/PID/{uid_map,gid_map,setgroups}
 * directly or through the setuid helpers newuidmap/newgidmap (package uidmap), and the
 * /etc/subuid file format. Kernel rules, user_namespaces(7):
 *  - a map is written once, by a process in the namespace or its parent, with CAP_SETUID
 *    (CAP_SETGID) over the namespace;
 *  - more than the writer's own id needs CAP_SETUID in the parent namespace: unprivileged users
 *    go through newuidmap, which checks /etc/subuid;
 *  - an unprivileged gid_map needs "deny" in /proc/PID/setgroups first. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

#define RQ_IDMAP_MAX 16 /* kernel allows 340 lines; we never build more than a handful */
#define RQ_ID_AUTO UINT32_MAX

typedef enum rq_idmap_kind {
        RQ_IDMAP_UID,
        RQ_IDMAP_GID,
        _RQ_IDMAP_KIND_MAX,
        _RQ_IDMAP_KIND_INVALID = -1,
} rq_idmap_kind;

typedef struct rq_idmap_range {
        uint32_t inner; /* first id inside the namespace */
        uint32_t outer; /* first id outside (in the parent namespace) */
        uint32_t count;
} rq_idmap_range;

typedef struct rq_idmap {
        rq_idmap_range range[RQ_IDMAP_MAX];
        size_t n;
} rq_idmap;

/* Add a range; -EEXIST if it overlaps an existing one inside or outside, -E2BIG when full,
 * -EINVAL for a zero count or a range that wraps around 2^32. */
int rq_idmap_add(rq_idmap *m, uint32_t inner, uint32_t outer, uint32_t count);
/* Map the inner span [inner, inner + count) to outer ids from outer upwards, leaving out inner
 * ids already mapped and stepping over outer ids already mapped (the --map-root-user with
 * --map-auto case: 0 -> me, then 1..count-1 -> my subuid block). */
int rq_idmap_add_skipping(rq_idmap *m, uint32_t inner, uint32_t outer, uint32_t count);
/* "inner outer count\n" lines, malloc'd. */
char *rq_idmap_format(const rq_idmap *m);
/* Translate an inner id to the outer one; -ENOENT when unmapped. */
int rq_idmap_to_outer(const rq_idmap *m, uint32_t inner, uint32_t *ret);

/* Parse a --map-users/--map-groups argument: "outer,inner,count" (util-linux 2.38),
 * "inner:outer:count" (util-linux 2.39 and later) or "auto" (inner = RQ_ID_AUTO). */
int rq_idmap_parse_range(const char *s, rq_idmap_range *ret);

/* Find the first line for this user (by name or by numeric id) in subuid/subgid content.
 * -ENOENT when there is none, -EINVAL on a malformed matching line. */
int rq_subid_find(const char *content, const char *name, uint32_t id, uint32_t *ret_start,
                  uint32_t *ret_count);
/* The same on a file, with errors that name the file and the line to add. */
int rq_subid_lookup(const char *path, const char *name, uint32_t id, uint32_t *ret_start,
                    uint32_t *ret_count, rq_error **reterr);

/* A user or group given by number or name ("1000", "nobody"). */
int rq_parse_uid(const char *s, uid_t *ret);
int rq_parse_gid(const char *s, gid_t *ret);

/* Write /proc/PID/setgroups ("allow" or "deny"); pid 0 means self. */
int rq_setgroups_write(pid_t pid, const char *value, rq_error **reterr);
/* Write a map of process pid (0: self): directly into /proc/PID/{uid,gid}_map, or through
 * newuidmap/newgidmap when use_helper (an unprivileged writer mapping more than its own id).
 * rq_idmap_needs_helper() tells which, for a writer in the parent user namespace; it must be
 * asked before unshare(CLONE_NEWUSER), which makes our own ids unmapped. */
bool rq_idmap_needs_helper(rq_idmap_kind kind, const rq_idmap *m);
int rq_idmap_write(pid_t pid, rq_idmap_kind kind, const rq_idmap *m, bool use_helper,
                   rq_error **reterr);
