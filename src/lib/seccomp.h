/* linux.seccomp: compiled to a BPF program with libseccomp in the runtime process, loaded with the
 * raw seccomp(2) call in the container process as its last step before exec (for a filter that
 * notifies, see seccomp-notify.h for where and why). */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "lib/spec.h"

typedef struct rq_seccomp_prog {
        struct sock_filter *insns; /* the classic BPF program, ready for seccomp(2) */
        size_t n_insns;
        unsigned flags; /* SECCOMP_FILTER_FLAG_* of the spec, each checked against the kernel */
        bool notify; /* a rule uses SCMP_ACT_NOTIFY: load with SECCOMP_FILTER_FLAG_NEW_LISTENER */
} rq_seccomp_prog;

/* Compile s for the native architecture and every one s lists. Errors name the JSON path
 * (`linux.seccomp.syscalls[3].names[1]: unknown syscall "foo"`). Names libseccomp knows but that
 * do not exist on one of the architectures are skipped there; a rule whose action is the
 * default action is dropped. */
int rq_seccomp_compile(const rq_spec_seccomp *s, rq_seccomp_prog **ret, rq_error **reterr);
void rq_seccomp_prog_free(rq_seccomp_prog *p);
static inline void rq_seccomp_prog_freep(rq_seccomp_prog **p)
{
        rq_seccomp_prog_free(*p);
        *p = NULL;
}
#define _cleanup_seccomp_prog_ _cleanup_(rq_seccomp_prog_freep)

/* The child's side: install p on the calling thread (needs no_new_privs or CAP_SYS_ADMIN). No
 * libseccomp and, unless it fails, no allocation. When p notifies, *ret_notify_fd receives the
 * listener fd (close-on-exec); otherwise it is set to -EBADF. ret_notify_fd may be NULL only for
 * a program that does not notify. */
int rq_seccomp_load(const rq_seccomp_prog *p, int *ret_notify_fd, rq_error **reterr);
