/* AppArmor and SELinux for the container's process and mounts. See lsm.h. */
#include "lib/lsm.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

bool rq_lsm_apparmor_active(void)
{
        _cleanup_free_ char *s = NULL;
        return read_full_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &s, NULL) >=
                       0 &&
               s[0] == 'Y';
}

bool rq_lsm_selinux_active(void)
{
        struct statfs sf;
        return statfs("/sys/fs/selinux", &sf) == 0 &&
               sf.f_type == (typeof(sf.f_type))SELINUX_MAGIC &&
               access("/sys/fs/selinux/enforce", F_OK) == 0;
}

static int inactive(const char *field, const char *value, const char *lsm, const char *how,
                    rq_error **reterr)
{
        rq_error_set_plain(reterr, EOPNOTSUPP,
                           "%s: set to \"%s\", but %s is not active on this "
                           "host",
                           field, value, lsm);
        return rq_error_hint(reterr, "%s; or remove %s from config.json", how, field);
}

int rq_lsm_check(const rq_spec *s, rq_error **reterr)
{
        const rq_spec_process *p = s->process;
        const char *aa = p ? p->apparmor_profile : NULL;
        const char *se = p ? p->selinux_label : NULL;
        const char *ml = s->linux_ ? s->linux_->mount_label : NULL;
        if (aa && !rq_lsm_apparmor_active())
                return inactive("process.apparmorProfile", aa, "AppArmor",
                                "/sys/module/apparmor/parameters/enabled must say Y: boot with "
                                "apparmor=1 security=apparmor",
                                reterr);
        if ((se || ml) && !rq_lsm_selinux_active())
                return inactive(se ? "process.selinuxLabel" : "linux.mountLabel", se ? se : ml,
                                "SELinux",
                                "selinuxfs must be mounted on /sys/fs/selinux: boot with "
                                "selinux=1 security=selinux and a policy",
                                reterr);
        return 0;
}

/* Open /proc/thread-self/attr/<path> for writing, checked to be procfs. */
static int open_attr(const char *path, int *ret)
{
        _cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc < 0)
                return negative_errno();
        if (fd_verify_kind(proc, S_IFDIR, PROC_SUPER_MAGIC) < 0)
                return -EXDEV;
        char rel[128];
        snprintf(rel, sizeof(rel), "thread-self/attr/%s", path);
        _cleanup_close_ int fd = -EBADF;
        int k = chase_open_in_root(proc, rel, O_WRONLY | O_NOCTTY, CHASE_NOFOLLOW_LAST, &fd);
        if (k < 0)
                return k;
        if (fd_verify_kind(fd, S_IFREG, PROC_SUPER_MAGIC) < 0)
                return -EXDEV;
        *ret = TAKE_FD(fd);
        return 0;
}

static int write_attr(const char *field, const char *const *paths, const char *value,
                      rq_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int k = -ENOENT;
        /* The module's own file first (Linux 5.1), then the shared one. */
        for (; *paths && k == -ENOENT; paths++)
                k = open_attr(*paths, &fd);
        if (k == -EXDEV)
                return rq_error_set_plain(reterr, EXDEV,
                                          "%s: /proc/thread-self/attr is not on procfs: refused",
                                          field);
        if (k < 0)
                return rq_error_set(reterr, k, "%s: open /proc/thread-self/attr", field);
        if ((k = write_all(fd, value, strlen(value))) < 0)
                return rq_error_set(reterr, k, "%s: set \"%s\" for the exec", field, value);
        return 0;
}

int rq_lsm_apply_exec(const rq_spec_process *p, rq_error **reterr)
{
        int k;
        if (p->apparmor_profile) {
                static const char *const paths[] = { "apparmor/exec", "exec", NULL };
                char buf[4096];
                if ((size_t)snprintf(buf, sizeof(buf), "exec %s", p->apparmor_profile) >=
                    sizeof(buf))
                        return rq_error_invalid(reterr, "process.apparmorProfile: too long");
                if ((k = write_attr("process.apparmorProfile", paths, buf, reterr)) < 0)
                        return k;
        }
        if (p->selinux_label) {
                static const char *const paths[] = { "selinux/exec", "exec", NULL };
                if ((k = write_attr("process.selinuxLabel", paths, p->selinux_label, reterr)) < 0)
                        return k;
        }
        return 0;
}

int rq_lsm_mount_data(const char *type, const char *data, const char *label, char *buf, size_t size,
                      const char **ret)
{
        static const char *const skip[] = { "proc", "sysfs", "mqueue", "cgroup", "cgroup2" };
        *ret = data;
        if (!label || !type)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (streq(type, skip[i]))
                        return 0;
        int n = snprintf(buf, size, "%s%scontext=\"%s\"", data ? data : "", data ? "," : "", label);
        if (n < 0 || (size_t)n >= size)
                return -ENAMETOOLONG;
        *ret = buf;
        return 0;
}
