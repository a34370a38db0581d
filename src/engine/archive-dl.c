/* dlopen() of libarchive (see archive-dl.h for why). */
#define RQ_ARCHIVE_DL_IMPL
#include "engine/archive-dl.h"
#include "lib/dl.h"

rq_archive_api rq_archive_fn;

static const char *const symbols[] = { RQ_ARCHIVE_SYMBOLS(RQ_DL_NAME) };

int rq_archive_load(rq_error **reterr)
{
        static rq_dl_library lib = { "libarchive.so.13",  "libarchive13", symbols,
                                     ELEMENTSOF(symbols), &rq_archive_fn, NULL };
        return rq_dl_load(&lib, reterr);
}
