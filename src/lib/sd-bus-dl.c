/* dlopen() of libsystemd for the systemd cgroup driver (see sd-bus-dl.h for why). */
#define RQ_SDBUS_DL_IMPL
#include <dlfcn.h>
#include <errno.h>

#include "lib/sd-bus-dl.h"

rq_sdbus rq_sdbus_fn;

int rq_sdbus_load(rq_error **reterr)
{
        static void *handle;
        if (handle)
                return 0;
        void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                rq_error_set_plain(reterr, ENOENT,
                                   "--systemd-cgroup: cannot load libsystemd.so.0: %s", dlerror());
                return rq_error_hint(reterr, "install the package libsystemd0");
        }
#define RQ_SDBUS_RESOLVE(name)                                                                     \
        if (!(rq_sdbus_fn.name = (__typeof__(name) *)dlsym(h, #name))) {                           \
                dlclose(h);                                                                        \
                return rq_error_set_plain(reterr, ENOSYS,                                          \
                                          "--systemd-cgroup: libsystemd.so.0 has no " #name);      \
        }
        RQ_SDBUS_SYMBOLS(RQ_SDBUS_RESOLVE)
#undef RQ_SDBUS_RESOLVE
        handle = h;
        return 0;
}
