/* The built-in busybox image, made on first use from the host's busybox-static (busybox.c
 * writes its layer and config) and then an image like any other: `rmi` removes it and the next
 * use makes it again. */
#include <errno.h>
#include <unistd.h>

#include "engine/busybox.h"
#include "engine/store/builtin.h"
#include "engine/store/record.h"
#include "lib/log.h"

static json_t *busybox_config(const char *diff_id, void *userdata)
{
        return rq_busybox_config(diff_id, userdata);
}

int rq_store_builtin_busybox(rq_store *s, char *ret_id, rq_error **reterr)
{
        int r = rq_store_lock_write(s, reterr);
        if (r < 0)
                return r;
        /* Another command may have made it while this one waited for the lock. */
        r = rq_db_name_lookup(s->db, RQ_BUILTIN_BUSYBOX, ret_id, reterr);
        if (r != -ENOENT)
                return r;

        _cleanup_close_ int fd = -EBADF;
        r = rq_store_blob_tmpfile(s, &fd, reterr);
        if (r < 0)
                return r;
        rq_busybox_info info = {};
        r = rq_busybox_layer_write(fd, NULL, &info, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "make the built-in busybox image");
        if (lseek(fd, 0, SEEK_SET) < 0)
                return rq_error_set(reterr, errno, "make the built-in busybox image");
        char *names[] = { (char *)RQ_BUILTIN_BUSYBOX, NULL };
        r = rq_store_add_layer_image(s, fd, busybox_config, &info, names, ret_id, reterr);
        if (r < 0)
                return rq_error_wrap(reterr, "make the built-in busybox image");
        rq_note("made the image %s from this host's busybox-static %s (%zu applets)",
                RQ_BUILTIN_BUSYBOX, info.version, info.n_applets);
        return 0;
}
