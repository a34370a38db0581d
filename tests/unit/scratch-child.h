/* For unit tests that need root and fresh namespaces (mounts, pivot_root, sysctls): run a
 * function in a forked child in new namespaces and fail the test unless it exits 0. Include
 * after cmocka.h. */
#pragma once

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"

/* The child's fn returns 0 for success, else a number that tells the failing check. With
 * CLONE_NEWNS, / is made rprivate first so no mount of the child reaches the host. */
static inline void run_in_new_namespaces(int flags, int (*fn)(void))
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(flags) < 0 || ((flags & CLONE_NEWNS) &&
                                           mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
                        _exit(100);
                _exit(fn());
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("child failed: status 0x%x (exit %d)", status, WEXITSTATUS(status));
}

/* In the child: print the error (cmocka shows the child's stderr) and return 1. */
static inline int child_error(const char *what, rq_error *e)
{
        char *m = rq_error_format(e);
        fprintf(stderr, "%s: %s\n", what, m ? m : "?");
        free(m);
        return 1;
}
