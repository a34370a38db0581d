/* `update`: new linux.resources for a created, running or paused container. The bundle's
 * config.json is never touched: the container's current resources live in its state
 * directory as resources.json (absent until the first update: then the config's own
 * linux.resources are current). An update merges the given object into the current one
 * (objects member by member, every other value replaced), parses the result as the spec's
 * linux.resources, applies it to the cgroup through the create-time writers (the device rules
 * excepted: they stay as create set them), and only then records it. Applying the whole merged
 * object, not only the change, keeps pairs the kernel reads together right (v2 cpu.max is
 * quota and period; v1 memory and memsw limits). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup.h"
#include "lib/container.h"
#include "lib/spec.h"

#define RESOURCES_FILE "resources.json"
#define RESOURCES_TMP "resources.json.tmp"

/* The current linux.resources: resources.json, else the bundle's config.json (or {}). */
static int current_resources(int dir_fd, const rq_state *st, json_t **ret, rq_error **reterr)
{
        _cleanup_free_ char *text = NULL;
        json_error_t jerr;
        if (read_full_file_at(dir_fd, RESOURCES_FILE, &text, NULL) >= 0) {
                *ret = json_loads(text, 0, &jerr);
                if (!json_is_object(*ret))
                        return rq_error_invalid(reterr, "%s in the state of %s: %s", RESOURCES_FILE,
                                                st->id, jerr.text);
                return 0;
        }
        _cleanup_free_ char *config = strprintf("%s/config.json", st->bundle);
        if (!config)
                return rq_error_set(reterr, ENOMEM, "config path");
        _cleanup_(json_decrefp) json_t *doc = json_load_file(config, 0, &jerr);
        if (!doc)
                return rq_error_invalid(reterr, "%s: %s", config, jerr.text);
        json_t *r = json_object_get(json_object_get(doc, "linux"), "resources");
        *ret = json_is_object(r) ? json_deep_copy(r) : json_object();
        return *ret ? 0 : rq_error_set(reterr, ENOMEM, "resources");
}

static int merge(json_t *dst, json_t *src)
{
        const char *key;
        json_t *v;
        json_object_foreach(src, key, v)
        {
                json_t *d = json_object_get(dst, key);
                if (json_is_null(v))
                        continue;
                if (json_is_object(d) && json_is_object(v)) {
                        if (merge(d, v) < 0)
                                return -ENOMEM;
                } else if (json_object_set(dst, key, v) < 0) {
                        return -ENOMEM;
                }
        }
        return 0;
}

static int record(int dir_fd, json_t *res, rq_error **reterr)
{
        _cleanup_free_ char *text = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!text)
                return rq_error_set(reterr, ENOMEM, "resources");
        _cleanup_close_ int fd = openat(
                dir_fd, RESOURCES_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return rq_error_set(reterr, errno, "create %s", RESOURCES_TMP);
        int k = write_all(fd, text, strlen(text));
        /* renamed over the old one: a reader sees the old resources or the new, never half */
        if (k < 0 || renameat(dir_fd, RESOURCES_TMP, dir_fd, RESOURCES_FILE) < 0) {
                k = k < 0 ? k : -errno;
                (void)unlinkat(dir_fd, RESOURCES_TMP, 0);
                return rq_error_set(reterr, k, "record %s", RESOURCES_FILE);
        }
        return 0;
}

static int update_locked(int dir, const rq_state *st, json_t *changes, rq_error **reterr)
{
        _cleanup_(json_decrefp) json_t *res = NULL;
        int k = current_resources(dir, st, &res, reterr);
        if (k < 0)
                return k;
        if (merge(res, changes) < 0)
                return rq_error_set(reterr, ENOMEM, "resources");
        /* parsed as a config would be, so a bad value is named by its JSON path */
        _cleanup_(json_decrefp) json_t *doc = json_pack("{s:s, s:{s:O}}", "ociVersion",
                                                        RQ_SPEC_VERSION, "linux", "resources", res);
        _cleanup_free_ char *text = doc ? json_dumps(doc, 0) : NULL;
        if (!text)
                return rq_error_set(reterr, ENOMEM, "resources");
        _cleanup_spec_ rq_spec *spec = NULL;
        if ((k = rq_spec_parse(text, strlen(text), &spec, reterr)) < 0)
                return rq_error_wrap(reterr, "the new resources");
        /* systemd first (it writes its values to the cgroup at once), then every field to
         * cgroupfs; so both agree, and a later re-realization by systemd changes nothing. */
        rq_cgroup_mode mode;
        if (st->systemd_unit &&
            ((k = rq_cgroup_detect(&mode, reterr)) < 0 ||
             (k = rq_cgroup_systemd_set(st->systemd_unit, st->systemd_user, mode,
                                        spec->linux_->resources, reterr)) < 0))
                return k;
        if ((k = rq_cgroup_update(st->cgroup_path, spec->linux_->resources, reterr)) < 0)
                return k;
        return record(dir, res, reterr);
}

int rq_container_update(int root_fd, const char *id, json_t *changes, rq_error **reterr)
{
        _cleanup_close_ int dir = rq_state_dir_open(root_fd, id, reterr);
        if (dir < 0)
                return dir;
        int k = rq_state_lock(dir, true, true);
        if (k < 0)
                return rq_error_set(reterr, k, "lock the state of %s", id);
        rq_state st;
        if ((k = rq_state_read(dir, &st, reterr)) < 0)
                return k;
        rq_status now = rq_state_live_status(&st);
        if (now == RQ_STATUS_STOPPED || now == RQ_STATUS_CREATING)
                k = rq_error_set_plain(reterr, EINVAL, "container not running");
        else if (!st.cgroup_path)
                k = rq_error_set_plain(reterr, ENOTSUP,
                                       "update needs the container's cgroup, and this container "
                                       "has none (created without root and without a delegated "
                                       "cgroup)");
        else
                k = update_locked(dir, &st, changes, reterr);
        rq_state_done(&st);
        return k;
}
