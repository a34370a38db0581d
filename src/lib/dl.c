/* dlopen() of optional libraries into tables of function pointers (see dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "lib/dl.h"

int rq_dl_load(rq_dl_library *l, rq_error **reterr)
{
        if (l->handle)
                return 0;
        void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                rq_error_set_plain(reterr, ENOENT, "cannot load %s: %s", l->soname, dlerror());
                return rq_error_hint(reterr, "install the package %s", l->package);
        }
        /* POSIX lets a dlsym() result be converted to a function pointer; the table is a struct
         * of function pointers only, so its members are laid out as this array. */
        void **slots = l->table;
        for (size_t i = 0; i < l->n_symbols; i++) {
                slots[i] = dlsym(h, l->symbols[i]);
                if (!slots[i]) {
                        dlclose(h);
                        memset(l->table, 0, l->n_symbols * sizeof(void *));
                        rq_error_set_plain(reterr, ENOSYS, "%s has no %s", l->soname,
                                           l->symbols[i]);
                        return rq_error_hint(reterr, "install a newer %s", l->package);
                }
        }
        l->handle = h;
        return 0;
}
