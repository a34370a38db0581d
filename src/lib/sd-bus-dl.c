/* dlopen() of libsystemd for the systemd cgroup driver (see sd-bus-dl.h for why). */
#define RQ_SDBUS_DL_IMPL
#include "lib/dl.h"
#include "lib/sd-bus-dl.h"

rq_sdbus rq_sdbus_fn;

static const char *const symbols[] = { RQ_SDBUS_SYMBOLS(RQ_DL_NAME) };

int rq_sdbus_load(rq_error **reterr)
{
        static rq_dl_library lib = { "libsystemd.so.0",   "libsystemd0", symbols,
                                     ELEMENTSOF(symbols), &rq_sdbus_fn,  NULL };
        return rq_dl_load(&lib, reterr);
}
