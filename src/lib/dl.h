/* Optional libraries loaded with dlopen() when first needed, so that programs which never need
 * them do not pay for loading them at every start (libsystemd for the runtime's systemd driver;
 * libarchive, libcrypto and libsqlite3 for the engine). A user declares its symbols once with an
 * X-macro, a struct of function pointers in the same order, and an rq_dl_library. */
#pragma once

#include <stddef.h>

#include "lib/error.h"

typedef struct rq_dl_library {
        const char *soname; /* "libarchive.so.13" */
        const char *package; /* the Debian package that has it, for the hint */
        const char *const *symbols; /* in the order of table's members */
        size_t n_symbols;
        void *table; /* a struct of exactly n_symbols function pointers */
        void *handle; /* set once everything resolved */
} rq_dl_library;

/* For the symbol name list: static const char *const names[] = { SYMBOLS(RQ_DL_NAME) }; */
#define RQ_DL_NAME(name) #name,
/* For the table: struct { SYMBOLS(RQ_DL_FIELD) } table; */
#define RQ_DL_FIELD(name) __typeof__(name) *name;

/* Open the library and fill its table, once per process. -ENOENT when the library cannot be
 * loaded, -ENOSYS when a symbol is missing (nothing is kept then); reterr names the library, the
 * symbol and the package to install. */
int rq_dl_load(rq_dl_library *l, rq_error **reterr);
