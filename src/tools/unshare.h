/* rongqi unshare: options, parsed apart from running so unit tests can check the parser. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/idmap.h"
#include "lib/ns.h"

typedef struct unshare_single_map {
        bool set;
        uint32_t inner; /* the id the caller becomes inside */
} unshare_single_map;

typedef struct unshare_opts {
        int flags; /* CLONE_NEW* to unshare */
        const char *persist[_RQ_NS_TYPE_MAX]; /* --TYPE=FILE: bind the new namespace there */
        bool fork; /* -f */
        const char *mount_proc; /* --mount-proc[=DIR], NULL if not given */
        unshare_single_map map_uid, map_gid; /* -r, -c, --map-user, --map-group */
        bool map_users_set, map_groups_set; /* --map-users, --map-groups, --map-auto */
        rq_idmap_range map_users, map_groups; /* inner == RQ_ID_AUTO: first /etc/sub?id block */
        const char *setgroups; /* "allow", "deny" or NULL */
        unsigned long propagation; /* MS_PRIVATE (default), MS_SLAVE, MS_SHARED, 0 */
        int kill_child; /* signal for --kill-child, 0 if not given */
        const char *root; /* -R */
        const char *wd; /* -w */
        bool monotonic_set, boottime_set;
        int64_t monotonic, boottime; /* seconds */
        bool setuid_set, setgid_set;
        uid_t setuid; /* -S */
        gid_t setgid; /* -G */
        bool keep_caps; /* --keep-caps */
        bool quiet; /* -q: no teaching notes */
        bool help, version;
        char **argv; /* program and arguments; NULL: $SHELL */
} unshare_opts;

/* Parse argv (argv[0] is "unshare"). Does not print: a usage error is returned as -EINVAL
 * with its message in *reterr. */
int unshare_parse(int argc, char **argv, unshare_opts *o, rq_error **reterr);
