/* The sealed memfd copy of the runtime binary. See exe-guard.h. */
#include "lib/exe-guard.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "lib/ns.h"

#ifdef MFD_EXEC
#define GUARD_MFD_EXEC MFD_EXEC
#else
#define GUARD_MFD_EXEC 0x0010U
#endif

#define GUARD_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool in_host_userns(const rq_spec *spec)
{
        const rq_spec_namespace *n = rq_spec_namespace_find(spec, RQ_NS_USER);
        if (!n)
                return true;
        if (!n->path)
                return false;
        /* Joining a user namespace by path: the host's own, unless the path names another. */
        struct stat a, b;
        if (stat(n->path, &a) < 0 || stat("/proc/self/ns/user", &b) < 0)
                return true;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool can_ptrace(const rq_spec_capabilities *caps)
{
        return caps && (caps->bounding & (UINT64_C(1) << CAP_SYS_PTRACE));
}

bool rq_exe_guard_needed(const rq_spec *spec, const rq_spec_capabilities *caps)
{
        if (!in_host_userns(spec))
                return false;
        return can_ptrace(spec->process ? spec->process->capabilities : NULL) || can_ptrace(caps);
}

bool rq_exe_guard_active(void)
{
        _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & GUARD_SEALS) == GUARD_SEALS;
}

/* /proc/self/cmdline as an argv array (NUL-separated words; one allocation for both). */
static char **read_argv(void)
{
        _cleanup_close_ int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        while (buf) {
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0)
                        return NULL;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == cap) {
                        char *b = realloc(buf, cap *= 2);
                        if (!b)
                                return NULL;
                        buf = b;
                }
        }
        if (!buf || len == 0 || buf[len - 1] != '\0')
                return NULL;
        size_t words = 0;
        for (size_t i = 0; i < len; i++)
                words += buf[i] == '\0';
        char **argv = malloc((words + 1) * sizeof(char *) + len);
        if (!argv)
                return NULL;
        char *text = (char *)(argv + words + 1);
        memcpy(text, buf, len);
        for (size_t w = 0, i = 0; w < words; w++) {
                argv[w] = text + i;
                i += strlen(text + i) + 1;
        }
        argv[words] = NULL;
        return argv;
}

int rq_exe_guard_reexec(rq_error **reterr)
{
        if (rq_exe_guard_active())
                return 0;
        _cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exe < 0)
                return rq_error_set(reterr, errno, "open /proc/self/exe");
        struct stat st;
        if (fstat(exe, &st) < 0)
                return rq_error_set(reterr, errno, "stat /proc/self/exe");
        /* MFD_EXEC (Linux 6.3) says so explicitly; older kernels reject the flag. */
        _cleanup_close_ int mfd =
                memfd_create("rongqi-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | GUARD_MFD_EXEC);
        if (mfd < 0 && errno == EINVAL)
                mfd = memfd_create("rongqi-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return rq_error_set(reterr, errno, "memfd_create for the sealed runtime copy");
        for (off_t done = 0; done < st.st_size;) {
                ssize_t n = sendfile(mfd, exe, NULL, (size_t)(st.st_size - done));
                if (n <= 0)
                        return rq_error_set(reterr, n < 0 ? errno : EIO,
                                            "copy the runtime binary into a memfd");
                done += n;
        }
        if (fcntl(mfd, F_ADD_SEALS, GUARD_SEALS) < 0)
                return rq_error_set(reterr, errno, "seal the runtime copy");
        _cleanup_free_ char **argv = read_argv();
        if (!argv)
                return rq_error_set(reterr, EIO, "read /proc/self/cmdline");
        extern char **environ;
        syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
        return rq_error_set(reterr, errno, "re-execute the runtime from its sealed copy");
}
