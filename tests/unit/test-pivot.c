/* Unit tests: pivot_root into a scratch rootfs, read-only root, sysctls and hostname. Root
 * only (skips otherwise); each test runs in a child with new mount, UTS and network
 * namespaces, so nothing it changes reaches the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "scratch-child.h"
#include "lib/pivot.h"
#include "lib/sysctl.h"

static char top[] = "/tmp/rq-test-pivot.XXXXXX";
static char rootfs[128];

static int setup(void **state)
{
        return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[192];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void in_child(int (*fn)(void))
{
        static int n;
        if (geteuid() != 0)
                skip();
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs%d", top, n++);
        char p[256];
        snprintf(p, sizeof(p), "%s/proc", rootfs);
        assert_int_equal(mkdir(rootfs, 0755), 0);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/marker", rootfs);
        assert_int_equal(close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
        run_in_new_namespaces(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET, fn);
        /* Nothing of the child's is left mounted on the host. */
        _cleanup_free_ char *mi = NULL;
        assert_int_equal(read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, NULL), 0);
        assert_null(strstr(mi, top));
}

static rq_spec *parse(const char *extra_top, const char *extra_linux)
{
        char json[2048];
        snprintf(json, sizeof(json),
                 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"%s\"%s}%s,"
                 "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"uts\"},"
                 "{\"type\":\"network\"}]%s}}",
                 rootfs, "", extra_top ? extra_top : "", extra_linux ? extra_linux : "");
        rq_spec *s = NULL;
        rq_error *e = NULL;
        if (rq_spec_parse(json, strlen(json), &s, &e) < 0) {
                child_error("pivot", e);
                _exit(99);
        }
        return s;
}

static int enter(rq_spec *s)
{
        rq_error *e = NULL;
        int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 2;
        if (rq_pivot_prepare(fd, s, &e) < 0 || rq_pivot_root(rootfs, &e) < 0 ||
            rq_pivot_finish(s, &e) < 0)
                return child_error("pivot", e);
        close(fd);
        return 0;
}

static int pivot_child(void)
{
        rq_spec *s = parse(NULL, NULL);
        int k = enter(s);
        if (k)
                return k;
        char cwd[64];
        if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/") != 0)
                return 10;
        if (access("/marker", F_OK) < 0 || access(top, F_OK) == 0)
                return 11;
        /* Only the rootfs and the proc we mount now: the old root is gone. */
        if (mount("proc", "/proc", "proc", 0, NULL) < 0)
                return 12;
        _cleanup_free_ char *mi = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, NULL) < 0)
                return 13;
        int lines = 0;
        for (char *c = mi; *c; c++)
                lines += *c == '\n';
        if (lines != 2) {
                fprintf(stderr, "mountinfo:\n%s", mi);
                return 14;
        }
        /* Writable unless root.readonly. */
        int fd = open("/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return 15;
        close(fd);
        rq_spec_free(s);
        return 0;
}

static void pivot_root_leaves_only_the_rootfs_and_no_trace_on_the_host(void **state)
{
        in_child(pivot_child);
}

static int readonly_child(void)
{
        char json[1024];
        snprintf(json, sizeof(json),
                 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"%s\",\"readonly\":true},"
                 "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
                 "\"rootfsPropagation\":\"shared\"}}",
                 rootfs);
        rq_spec *s = NULL;
        rq_error *e = NULL;
        if (rq_spec_parse(json, strlen(json), &s, &e) < 0)
                return child_error("pivot", e);
        int k = enter(s);
        if (k)
                return k;
        if (open("/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
                return 20;
        if (mount("proc", "/proc", "proc", 0, NULL) < 0 && errno != EROFS)
                return 21;
        rq_spec_free(s);
        return 0;
}

static void root_readonly_refuses_writes_to_slash(void **state)
{
        in_child(readonly_child);
}

static int sysctl_child(void)
{
        rq_spec *s = parse(",\"hostname\":\"rq-pivot-test\",\"domainname\":\"rq.example\"",
                           ",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\","
                           "\"net.ipv4.ping_group_range\":\"0 2147483647\"}");
        rq_error *e = NULL;
        int sys = open("/proc/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sys < 0 || rq_sysctl_apply(sys, s, &e) < 0 || rq_hostname_apply(s, &e) < 0)
                return child_error("pivot", e);
        _cleanup_free_ char *v = NULL;
        if (read_full_file_at(sys, "net/ipv4/ip_forward", &v, NULL) < 0 || strcmp(v, "1\n") != 0)
                return 30;
        char h[64];
        if (gethostname(h, sizeof(h)) < 0 || strcmp(h, "rq-pivot-test") != 0)
                return 31;
        if (getdomainname(h, sizeof(h)) < 0 || strcmp(h, "rq.example") != 0)
                return 32;
        rq_spec_free(s);

        /* A key that leaves /proc/sys, or does not exist, is refused by name. */
        s = parse(NULL, ",\"sysctl\":{\"net.nonexistent_rq\":\"1\"}");
        if (rq_sysctl_apply(sys, s, &e) >= 0)
                return 33;
        char *m = rq_error_format(e);
        int k = m && strstr(m, "linux.sysctl[\"net.nonexistent_rq\"]") ? 0 : 34;
        free(m);
        rq_error_free(e);
        rq_spec_free(s);
        close(sys);
        return k;
}

static void sysctls_and_hostname_land_in_the_new_namespaces_only(void **state)
{
        _cleanup_free_ char *before = NULL, *after = NULL;
        char host_name[64], after_name[64];
        assert_int_equal(
                read_full_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", &before, NULL), 0);
        assert_int_equal(gethostname(host_name, sizeof(host_name)), 0);
        in_child(sysctl_child);
        assert_int_equal(read_full_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", &after, NULL),
                         0);
        assert_string_equal(before, after);
        assert_int_equal(gethostname(after_name, sizeof(after_name)), 0);
        assert_string_equal(host_name, after_name);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(pivot_root_leaves_only_the_rootfs_and_no_trace_on_the_host),
                cmocka_unit_test(root_readonly_refuses_writes_to_slash),
                cmocka_unit_test(sysctls_and_hostname_land_in_the_new_namespaces_only),
        };
        return cmocka_run_group_tests_name("pivot", tests, setup, teardown);
}
