/* dlopen() of libarchive (see archive-dl.h for why). */
#define RQ_ARCHIVE_DL_IMPL
#include <dlfcn.h>
#include <errno.h>

#include "engine/archive-dl.h"

rq_archive_api rq_archive_fn;

int rq_archive_load(rq_error **reterr)
{
        static void *handle;
        if (handle)
                return 0;
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                rq_error_set_plain(reterr, ENOENT, "cannot load libarchive.so.13: %s", dlerror());
                return rq_error_hint(reterr, "install the package libarchive13");
        }
#define RQ_ARCHIVE_RESOLVE(name)                                                                   \
        if (!(rq_archive_fn.name = (__typeof__(name) *)dlsym(h, #name))) {                         \
                dlclose(h);                                                                        \
                return rq_error_set_plain(reterr, ENOSYS, "libarchive.so.13 has no " #name);       \
        }
        RQ_ARCHIVE_SYMBOLS(RQ_ARCHIVE_RESOLVE)
#undef RQ_ARCHIVE_RESOLVE
        handle = h;
        return 0;
}
