/* The systemd cgroup driver (runc's and crun's --systemd-cgroup): the container's cgroup is a
 * transient scope unit that systemd makes over D-Bus (sd-bus), with the init's pid in it and
 * Delegate=yes, so systemd leaves the subtree to us; the limits are then written by the
 * cgroupfs backends into the scope's directories (cgroup.c), and systemd is told the main ones
 * as unit properties too, so that it re-applies the same values when it re-realizes the unit.
 * This file: linux.cgroupsPath "slice:prefix:name" to a slice and a scope name, the
 * connection to the system's manager (its private socket, else the system bus) or the
 * user's (rootless), StartTransientUnit / StopUnit / SetUnitProperties, each waited for
 * until systemd reports its job removed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/string-util.h"
#include "lib/cgroup-internal.h"
#include "lib/log.h"
#include "lib/sd-bus-dl.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_PRIVATE_PATH "/run/systemd/private"
#define SD_PRIVATE "unix:path=" SD_PRIVATE_PATH
#define SD_TIMEOUT_USEC (30ULL * 1000 * 1000) /* runc waits as long for a job */
#define UNIT_NAME_MAX 255

static bool endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

/* ---- names (pure) ------------------------------------------------------------------------- */

int cg_systemd_expand_slice(const char *slice, char **ret)
{
        size_t n = strlen(slice);
        if (n <= strlen(".slice") || !endswith(slice, ".slice") || strchr(slice, '/'))
                return -EINVAL;
        _cleanup_free_ char *name = strndup(slice, n - strlen(".slice"));
        if (!name)
                return -ENOMEM;
        if (streq(name, "-")) /* the root slice */
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        _cleanup_free_ char *path = strdup("");
        if (!path)
                return -ENOMEM;
        /* "a-b-c.slice" lives in "a-b.slice", which lives in "a.slice" */
        for (char *dash = name;; dash++) {
                if (*dash != '-' && *dash != 0)
                        continue;
                if (dash == name || dash[-1] == '-' || (*dash == 0 && dash[-1] == '-') ||
                    (*dash == '-' && dash[1] == 0))
                        return -EINVAL; /* an empty component: "-a", "a--b", "a-" */
                char save = *dash;
                *dash = 0;
                char *more = strprintf("%s/%s.slice", path, name);
                *dash = save;
                if (!more)
                        return -ENOMEM;
                free(path);
                path = more;
                if (save == 0)
                        break;
        }
        *ret = TAKE_PTR(path);
        return 0;
}

/* Letters, digits and "_.-\\" (what systemd allows in a unit name but '@' and ':'). */
static bool name_part_valid(const char *s)
{
        for (; *s; s++)
                if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
                      ('0' <= *s && *s <= '9') || strchr("_.-\\", *s)))
                        return false;
        return true;
}

int cg_systemd_parse_path(const char *cgroups_path, const char *id, bool user_manager,
                          char **ret_slice, char **ret_unit, rq_error **reterr)
{
        static const char form[] = "\"slice:prefix:name\" (e.g. \"machine.slice:rongqi:%s\")";
        _cleanup_free_ char *dflt = NULL;
        const char *p = cgroups_path;
        if (!p || !*p)
                p = dflt = strprintf(":rongqi:%s", id);
        if (!p)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        const char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strchr(c2 + 1, ':')) {
                rq_error_invalid(reterr,
                                 "linux.cgroupsPath: \"%s\" is not of the form the systemd cgroup "
                                 "driver (--systemd-cgroup) takes",
                                 p);
                return rq_error_hint(reterr, form, id);
        }
        _cleanup_free_ char *slice = strndup(p, (size_t)(c1 - p));
        _cleanup_free_ char *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
        const char *name = c2 + 1;
        if (!slice || !prefix)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        if (!*slice) {
                free(slice);
                if (!(slice = strdup(user_manager ? "user.slice" : "system.slice")))
                        return rq_error_set(reterr, ENOMEM, "cgroup path");
        }
        _cleanup_free_ char *expanded = NULL;
        int k = cg_systemd_expand_slice(slice, &expanded);
        if (k == -ENOMEM)
                return rq_error_set(reterr, k, "cgroup path");
        if (k < 0 || !name_part_valid(slice))
                return rq_error_invalid(reterr,
                                        "linux.cgroupsPath: \"%s\": \"%s\" is not a slice name "
                                        "(NAME.slice, no '/', no empty part between dashes)",
                                        p, slice);
        if (!*name || !name_part_valid(name) || !name_part_valid(prefix))
                return rq_error_invalid(reterr,
                                        "linux.cgroupsPath: \"%s\": the prefix and name must be "
                                        "letters, digits, '_', '.' or '-', and the name not "
                                        "empty",
                                        p);
        if (endswith(name, ".slice"))
                return rq_error_invalid(reterr,
                                        "linux.cgroupsPath: \"%s\": a container's unit is a scope; "
                                        "a name ending in .slice (a slice unit) is not supported",
                                        p);
        _cleanup_free_ char *unit =
                *prefix ? strprintf("%s-%s.scope", prefix, name) : strprintf("%s.scope", name);
        if (!unit)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        if (strlen(unit) > UNIT_NAME_MAX)
                return rq_error_invalid(reterr,
                                        "linux.cgroupsPath: \"%s\": the unit name %s is longer "
                                        "than systemd's %d characters",
                                        p, unit, UNIT_NAME_MAX);
        *ret_slice = TAKE_PTR(slice);
        *ret_unit = TAKE_PTR(unit);
        return 0;
}

/* ---- the bus ------------------------------------------------------------------------------ */

static void bus_closep(sd_bus **b)
{
        if (*b)
                sd_bus_flush_close_unref(*b);
}

static const char *manager_name(bool user_manager)
{
        return user_manager ? "the user's systemd" : "systemd";
}

/* The system's manager: its private socket (no dbus-daemon needed, root only), else the system
 * bus. The user's: the session bus ($DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus). */
static int bus_open(bool user_manager, sd_bus **ret, rq_error **reterr)
{
        sd_bus *b = NULL;
        int k = rq_sdbus_load(reterr);
        if (k < 0)
                return k;
        if (user_manager) {
                if ((k = sd_bus_open_user(&b)) < 0) {
                        rq_error_set(reterr, k,
                                     "connect to the user's systemd (the session bus at "
                                     "$DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus)");
                        return rq_error_hint(reterr, "run in a login session with a user "
                                                     "systemd (loginctl enable-linger), or "
                                                     "drop --systemd-cgroup");
                }
                *ret = b;
                return 0;
        }
        if ((k = sd_bus_new(&b)) >= 0 && (k = sd_bus_set_address(b, SD_PRIVATE)) >= 0 &&
            (k = sd_bus_start(b)) >= 0) {
                *ret = b;
                return 0;
        }
        sd_bus_unref(b);
        b = NULL;
        rq_debug("systemd's private socket %s: %s; trying the system bus", SD_PRIVATE_PATH,
                 strerror(-k));
        if ((k = sd_bus_open_system(&b)) < 0)
                return rq_error_set(reterr, k,
                                    "connect to systemd (/run/systemd/private, then the system "
                                    "bus)");
        *ret = b;
        return 0;
}

/* The JobRemoved signal of one job: its result ("done", "failed", "canceled", ...). */
typedef struct job_wait {
        const char *job; /* object path, NULL until the call returned it */
        char result[32];
        bool removed;
} job_wait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        job_wait *w = userdata;
        uint32_t id;
        const char *path, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->job && streq(path, w->job)) {
                snprintf(w->result, sizeof(w->result), "%s", result);
                w->removed = true;
        }
        return 0;
}

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Call method (a job: StartTransientUnit, StopUnit) built in m and wait until its job is
 * removed. The match is added first: a job can end right after the reply. When the call
 * itself fails *ret_error holds why (the caller decides which names are fine) and reterr is
 * left alone; any later failure is in reterr. */
static int call_job(sd_bus *b, sd_bus_message *m, sd_bus_error *ret_error, char ret_result[32],
                    const char *what, rq_error **reterr)
{
        job_wait w = { 0 };
        _cleanup_(rq_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        int k = sd_bus_match_signal(b, &slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved",
                                    on_job_removed, &w);
        if (k < 0)
                return rq_error_set(reterr, k, "%s: subscribe to systemd's job signals", what);
        /* The system bus sends the manager's signals only to subscribers; a direct connection
         * gets them anyway (and may refuse this). */
        (void)sd_bus_call_method(b, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, "");
        _cleanup_(rq_bus_message_unrefp) sd_bus_message *reply = NULL;
        if ((k = sd_bus_call(b, m, SD_TIMEOUT_USEC, ret_error, &reply)) < 0)
                return k; /* the caller names it */
        const char *job;
        if ((k = sd_bus_message_read(reply, "o", &job)) < 0)
                return rq_error_set(reterr, k, "%s: read systemd's reply", what);
        w.job = job;
        for (uint64_t end = now_usec() + SD_TIMEOUT_USEC; !w.removed;) {
                if ((k = sd_bus_process(b, NULL)) < 0)
                        return rq_error_set(reterr, k, "%s: read from systemd", what);
                if (k > 0)
                        continue;
                uint64_t now = now_usec();
                if (now >= end)
                        return rq_error_set_plain(reterr, ETIMEDOUT,
                                                  "%s: systemd did not finish job %s within 30 s",
                                                  what, job);
                if ((k = sd_bus_wait(b, end - now)) < 0)
                        return rq_error_set(reterr, k, "%s: wait for systemd", what);
        }
        memcpy(ret_result, w.result, sizeof(w.result));
        return 0;
}

static int bus_failed(sd_bus_error *e, int k, rq_error **reterr, const char *fmt, const char *a,
                      bool user_manager)
{
        if (sd_bus_error_is_set(e))
                return rq_error_set_plain(reterr, k < 0 ? -k : EIO, "%s %s: %s: %s", fmt, a,
                                          e->name, e->message ? e->message : "");
        return rq_error_set(reterr, k, "%s %s (%s)", fmt, a, manager_name(user_manager));
}

/* A connection to the manager and a call of its method on unit, with its other arguments
 * (one of type "b" or "s") appended. */
static int open_call(bool user_manager, const char *method, const char *unit, char type,
                     const void *arg, sd_bus **ret_bus, sd_bus_message **ret_m, rq_error **reterr)
{
        int k = bus_open(user_manager, ret_bus, reterr);
        if (k < 0)
                return k;
        if ((k = sd_bus_message_new_method_call(*ret_bus, ret_m, SD_DEST, SD_PATH, SD_MANAGER,
                                                method)) < 0 ||
            (k = sd_bus_message_append_basic(*ret_m, 's', unit)) < 0 ||
            (k = sd_bus_message_append_basic(*ret_m, type, arg)) < 0)
                return rq_error_set(reterr, k, "%s %s: build the call", method, unit);
        return 0;
}

static void reset_failed(sd_bus *b, const char *unit)
{
        (void)sd_bus_call_method(b, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL,
                                 "s", unit);
}

/* ---- properties --------------------------------------------------------------------------- */

/* The limits systemd knows (runc's set): memory, pids, cpu weight and quota; v2 names on a
 * unified host, the legacy ones on v1 and hybrid. Every field is written to cgroupfs anyway. */
static int append_resources(sd_bus_message *m, rq_cgroup_mode mode, const rq_spec_resources *r)
{
        bool v2 = mode == RQ_CGROUP_V2;
        int k = 0;
#define PROP(name, type, value)                                                                    \
        do {                                                                                       \
                if ((k = sd_bus_message_append(m, "(sv)", name, type, value)) < 0)                 \
                        return k;                                                                  \
        } while (0)
        if (!r)
                return 0;
        const rq_spec_memory *mem = r->memory;
        if (mem && mem->limit.set && mem->limit.value != 0)
                PROP(v2 ? "MemoryMax" : "MemoryLimit", "t",
                     mem->limit.value < 0 ? UINT64_MAX : (uint64_t)mem->limit.value);
        if (v2 && mem && mem->reservation.set && mem->reservation.value > 0)
                PROP("MemoryLow", "t", (uint64_t)mem->reservation.value);
        if (r->pids && r->pids->limit.set && r->pids->limit.value != 0)
                PROP("TasksMax", "t",
                     r->pids->limit.value < 0 ? UINT64_MAX : (uint64_t)r->pids->limit.value);
        const rq_spec_cpu *cpu = r->cpu;
        if (cpu && cpu->shares.set && cpu->shares.value > 0) {
                if (v2)
                        PROP("CPUWeight", "t", cg_shares_to_weight(cpu->shares.value));
                else
                        PROP("CPUShares", "t", cpu->shares.value);
        }
        uint64_t period = cpu && cpu->period.set ? cpu->period.value : 0;
        if (period)
                PROP("CPUQuotaPeriodUSec", "t", period);
        if (cpu && cpu->quota.set && cpu->quota.value != 0) {
                uint64_t per_sec = UINT64_MAX; /* a negative quota: none */
                if (cpu->quota.value > 0) {
                        /* systemd keeps whole percents: round up to 10 ms per second, so the
                         * cgroupfs value we write is never above what systemd would set */
                        per_sec = (uint64_t)cpu->quota.value * 1000000 / (period ? period : 100000);
                        per_sec = (per_sec + 9999) / 10000 * 10000;
                }
                PROP("CPUQuotaPerSecUSec", "t", per_sec);
        }
#undef PROP
        return 0;
}

/* ---- the driver --------------------------------------------------------------------------- */

int rq_cgroup_create_systemd(const rq_spec *spec, const char *id, rq_cgroup *ret, rq_error **reterr)
{
        if (access("/run/systemd/system", F_OK) < 0) {
                rq_error_set_plain(reterr, ENOTSUP,
                                   "--systemd-cgroup: systemd is not running on this host (no "
                                   "/run/systemd/system), so it cannot make the container's "
                                   "cgroup");
                return rq_error_hint(reterr, "drop --systemd-cgroup to use the cgroupfs driver");
        }
        bool user_manager = geteuid() != 0;
        _cleanup_free_ char *slice = NULL, *unit = NULL, *expanded = NULL, *base = NULL;
        int k = cg_systemd_parse_path(spec->linux_ ? spec->linux_->cgroups_path : NULL, id,
                                      user_manager, &slice, &unit, reterr);
        if (k < 0)
                return k;
        if ((k = cg_systemd_expand_slice(slice, &expanded)) < 0)
                return rq_error_set(reterr, k, "slice %s", slice);
        /* A user's systemd delegates only cgroup2 subtrees; v1 hierarchies stay root's. */
        rq_cgroup_mode mode;
        if ((k = rq_cgroup_detect(&mode, reterr)) < 0)
                return k;
        if (user_manager && mode != RQ_CGROUP_V2) {
                rq_error_set_plain(reterr, ENOTSUP,
                                   "--systemd-cgroup as a user (uid %u) needs cgroup v2: the "
                                   "user's systemd cannot delegate v1 hierarchies (this host: "
                                   "cgroup %s)",
                                   (unsigned)geteuid(), rq_cgroup_mode_to_string(mode));
                return rq_error_hint(reterr, "drop --systemd-cgroup (the cgroupfs driver), or "
                                             "run as root");
        }
        /* The user's manager runs in its own cgroup (user@UID.service); its slices are below. */
        if (user_manager) {
                _cleanup_(bus_closep) sd_bus *b = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                if ((k = bus_open(true, &b, reterr)) < 0)
                        return k;
                k = sd_bus_get_property_string(b, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e,
                                               &base);
                if (k < 0) {
                        k = bus_failed(&e, k, reterr, "read the property", "ControlGroup", true);
                        sd_bus_error_free(&e);
                        return k;
                }
        }
        _cleanup_free_ char *path = strprintf("%s%s/%s", base ? base : "", expanded, unit);
        if (!path)
                return rq_error_set(reterr, ENOMEM, "cgroup path");
        if ((k = cg_plan(path, spec->linux_, ret, reterr)) < 0)
                return k;
        ret->unit = TAKE_PTR(unit);
        ret->slice = TAKE_PTR(slice);
        ret->user_manager = user_manager;
        ret->linux_ = spec->linux_;
        return 0;
}

int cg_systemd_start(const rq_cgroup *cg, pid_t pid, rq_error **reterr)
{
        _cleanup_(bus_closep) sd_bus *b = NULL;
        int k = bus_open(cg->user_manager, &b, reterr);
        if (k < 0)
                return k;
        /* "rongqi container rongqi-ID" for the scope rongqi-ID.scope */
        _cleanup_free_ char *desc = strprintf("rongqi container %.*s",
                                              (int)(strlen(cg->unit) - strlen(".scope")), cg->unit);
        if (!desc)
                return rq_error_set(reterr, ENOMEM, "unit description");
        bool v2 = cg->mode == RQ_CGROUP_V2;
        for (int attempt = 0;; attempt++) {
                _cleanup_(rq_bus_message_unrefp) sd_bus_message *m = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                char result[32] = "";
                const rq_spec_resources *res = cg->linux_ ? cg->linux_->resources : NULL;
                if ((k = sd_bus_message_new_method_call(b, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                        "StartTransientUnit")) < 0 ||
                    (k = sd_bus_message_append(m, "ss", cg->unit, "replace")) < 0 ||
                    (k = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
                    (k = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc,
                                               "Slice", "s", cg->slice, "Delegate", "b", 1, "PIDs",
                                               "au", 1, (uint32_t)pid, "DefaultDependencies", "b",
                                               0)) < 0 ||
                    /* accounting on, as runc: every controller realized from the start */
                    (k = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)", "MemoryAccounting", "b", 1,
                                               "CPUAccounting", "b", 1,
                                               v2 ? "IOAccounting" : "BlockIOAccounting", "b", 1,
                                               "TasksAccounting", "b", 1)) < 0 ||
                    (k = append_resources(m, cg->mode, res)) < 0 ||
                    (k = sd_bus_message_close_container(m)) < 0 ||
                    (k = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0)
                        return rq_error_set(reterr, k, "StartTransientUnit %s: build the call",
                                            cg->unit);
                k = call_job(b, m, &e, result, "start the scope", reterr);
                if (k < 0 && attempt == 0 &&
                    sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
                        /* a failed unit of an earlier container: let systemd forget it */
                        sd_bus_error_free(&e);
                        reset_failed(b, cg->unit);
                        continue;
                }
                if (k < 0) {
                        if (sd_bus_error_is_set(&e))
                                k = bus_failed(&e, k, reterr, "StartTransientUnit", cg->unit,
                                               cg->user_manager);
                        sd_bus_error_free(&e);
                        return k;
                }
                if (!streq(result, "done")) {
                        reset_failed(b, cg->unit);
                        return rq_error_set_plain(reterr, EIO,
                                                  "%s did not start the scope %s in %s: job "
                                                  "result \"%s\"",
                                                  manager_name(cg->user_manager), cg->unit,
                                                  cg->slice, result);
                }
                rq_debug("scope %s started in %s for pid %d", cg->unit, cg->slice, (int)pid);
                return 0;
        }
}

int rq_cgroup_systemd_stop(const char *unit, bool user_manager, rq_error **reterr)
{
        /* systemd is gone (and its units with it): only our directories are left */
        if (access("/run/systemd/system", F_OK) < 0)
                return 0;
        _cleanup_(bus_closep) sd_bus *b = NULL;
        _cleanup_(rq_bus_message_unrefp) sd_bus_message *m = NULL;
        int k = open_call(user_manager, "StopUnit", unit, 's', "replace", &b, &m, reterr);
        if (k < 0)
                return k;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char result[32] = "";
        k = call_job(b, m, &e, result, "stop the scope", reterr);
        if (k < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
                k = 0; /* gone already: systemd collects a scope whose processes all exited */
        else if (k < 0 && sd_bus_error_is_set(&e))
                k = bus_failed(&e, k, reterr, "StopUnit", unit, user_manager);
        else if (k >= 0 && !streq(result, "done"))
                rq_warn("stop the scope %s: job result \"%s\"", unit, result);
        sd_bus_error_free(&e);
        reset_failed(b, unit);
        return k;
}

int rq_cgroup_systemd_set(const char *unit, bool user_manager, rq_cgroup_mode mode,
                          const rq_spec_resources *r, rq_error **reterr)
{
        _cleanup_(bus_closep) sd_bus *b = NULL;
        _cleanup_(rq_bus_message_unrefp) sd_bus_message *m = NULL;
        /* runtime: true, as runc: nothing written below /etc */
        int runtime = 1;
        int k = open_call(user_manager, "SetUnitProperties", unit, 'b', &runtime, &b, &m, reterr);
        if (k < 0)
                return k;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        if ((k = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (k = append_resources(m, mode, r)) < 0 || (k = sd_bus_message_close_container(m)) < 0)
                return rq_error_set(reterr, k, "SetUnitProperties %s: build the call", unit);
        if ((k = sd_bus_call(b, m, SD_TIMEOUT_USEC, &e, NULL)) < 0) {
                k = bus_failed(&e, k, reterr, "SetUnitProperties", unit, user_manager);
                sd_bus_error_free(&e);
        }
        return k;
}
