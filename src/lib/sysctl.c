/* linux.sysctl, hostname, domainname. */
#include "lib/sysctl.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/chase.h"
#include "basic/fd-util.h"
#include "basic/macro.h"

int rq_sysctl_apply(int proc_sys_fd, const rq_spec *s, rq_error **reterr)
{
        size_t n = s->linux_ ? s->linux_->n_sysctl : 0;
        for (size_t i = 0; i < n; i++) {
                const rq_spec_kv *kv = &s->linux_->sysctl[i];
                _cleanup_free_ char *rel = strdup(kv->key);
                if (!rel)
                        return rq_error_set(reterr, ENOMEM, "linux.sysctl");
                /* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; no "..", no absolute paths. */
                for (char *c = rel; *c; c++)
                        if (*c == '.')
                                *c = '/';
                if (!*rel || rel[0] == '/' || strstr(rel, "//"))
                        return rq_error_invalid(reterr, "linux.sysctl[\"%s\"]: not a sysctl name",
                                                kv->key);
                _cleanup_close_ int fd = -EBADF;
                int k = chase_open_in_root(proc_sys_fd, rel, O_WRONLY | O_NOCTTY,
                                           CHASE_NOFOLLOW_LAST | CHASE_NO_XDEV, &fd);
                if (k < 0)
                        return rq_error_set(reterr, k, "linux.sysctl[\"%s\"]: open /proc/sys/%s",
                                            kv->key, rel);
                if (fd_verify_kind(fd, S_IFREG, PROC_SUPER_MAGIC) < 0)
                        return rq_error_set_plain(reterr, EXDEV,
                                                  "linux.sysctl[\"%s\"]: /proc/sys/%s is not a "
                                                  "procfs file: refused",
                                                  kv->key, rel);
                if ((k = write_all(fd, kv->value, strlen(kv->value))) < 0)
                        return rq_error_set(reterr, k, "linux.sysctl[\"%s\"]: write \"%s\"",
                                            kv->key, kv->value);
        }
        return 0;
}

int rq_hostname_apply(const rq_spec *s, rq_error **reterr)
{
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return rq_error_set(reterr, errno, "hostname: set \"%s\"", s->hostname);
        if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
                return rq_error_set(reterr, errno, "domainname: set \"%s\"", s->domainname);
        return 0;
}
