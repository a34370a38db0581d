/* Unit tests: /dev setup in a scratch rootfs — mknod and bind methods, spec devices, links,
 * and hostile images. Device nodes and mounts need root: as another user these tests skip.
 * Each test runs in a child in a private mount namespace, so no mount outlives it. */
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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "scratch-child.h"
#include "lib/dev.h"

static char top[] = "/tmp/rq-test-dev.XXXXXX";
static char rootfs[128], host[128];

static int setup(void **state)
{
        if (!mkdtemp(top))
                return -1;
        snprintf(host, sizeof(host), "%s/host", top);
        return mkdir(host, 0755);
}

static int teardown(void **state)
{
        char cmd[192];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static rq_spec *parse(const char *devices)
{
        char json[1024];
        snprintf(json, sizeof(json),
                 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                 "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"devices\":[%s]}}",
                 devices);
        rq_spec *s = NULL;
        _cleanup_error_ rq_error *e = NULL;
        if (rq_spec_parse(json, strlen(json), &s, &e) < 0) {
                char *m = rq_error_format(e);
                fail_msg("spec: %s", m);
        }
        return s;
}

/* Run fn in a child in a private mount namespace; its exit status must be 0. */
static void in_child(int (*fn)(void))
{
        static int n;
        if (geteuid() != 0)
                skip();
        /* A fresh rootfs for every test. */
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs%d", top, n++);
        assert_int_equal(mkdir(rootfs, 0755), 0);
        run_in_new_namespaces(CLONE_NEWNS, fn);
}

static int check_node(const char *rel, mode_t type, unsigned maj, unsigned min, mode_t mode,
                      uid_t uid, gid_t gid)
{
        char p[512];
        struct stat st;
        snprintf(p, sizeof(p), "%s%s", rootfs, rel);
        if (lstat(p, &st) < 0)
                return 10;
        if ((st.st_mode & S_IFMT) != type)
                return 11;
        if (type != S_IFIFO && st.st_rdev != makedev(maj, min))
                return 12;
        if ((st.st_mode & 07777) != mode)
                return 13;
        if (st.st_uid != uid || st.st_gid != gid)
                return 14;
        return 0;
}

static int mknod_child(void)
{
        rq_rootfs r = RQ_ROOTFS_NULL;
        rq_error *e = NULL;
        rq_spec *s = parse("{\"type\":\"c\",\"path\":\"/dev/fuse\",\"major\":10,\"minor\":229,"
                           "\"fileMode\":384,\"uid\":1000,\"gid\":1001},"
                           "{\"type\":\"p\",\"path\":\"/dev/sub/fifo\",\"fileMode\":420},"
                           "{\"type\":\"c\",\"path\":\"/dev/null\",\"major\":1,\"minor\":3,"
                           "\"fileMode\":432}");
        umask(022); /* the modes below must not depend on it */
        if (rq_rootfs_open(rootfs, &r, &e) < 0 || rq_dev_setup(&r, s->linux_, RQ_DEV_MKNOD, &e) < 0)
                return child_error("dev", e);
        int k;
        if ((k = check_node("/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0)) ||
            (k = check_node("/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0)) ||
            (k = check_node("/dev/fuse", S_IFCHR, 10, 229, 0600, 1000, 1001)) ||
            (k = check_node("/dev/sub/fifo", S_IFIFO, 0, 0, 0644, 0, 0)) ||
            /* the spec's /dev/null (0660) replaces the default one (0666) */
            (k = check_node("/dev/null", S_IFCHR, 1, 3, 0660, 0, 0)))
                return k;
        char p[256], t[64];
        snprintf(p, sizeof(p), "%s/dev/stderr", rootfs);
        ssize_t n = readlink(p, t, sizeof(t) - 1);
        if (n < 0)
                return 20;
        t[n] = 0;
        if (strcmp(t, "/proc/self/fd/2") != 0)
                return 21;
        snprintf(p, sizeof(p), "%s/dev/ptmx", rootfs);
        n = readlink(p, t, sizeof(t) - 1);
        if (n < 0 || (t[n] = 0, strcmp(t, "pts/ptmx") != 0))
                return 22;
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return 0;
}

static void mknod_makes_default_and_spec_devices_with_exact_modes(void **state)
{
        in_child(mknod_child);
}

static int bind_child(void)
{
        rq_rootfs r = RQ_ROOTFS_NULL;
        rq_error *e = NULL;
        if (rq_rootfs_open(rootfs, &r, &e) < 0 || rq_dev_setup(&r, NULL, RQ_DEV_BIND, &e) < 0)
                return child_error("dev", e);
        char p[512];
        snprintf(p, sizeof(p), "%s/dev/null", rootfs);
        struct stat st;
        if (stat(p, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return 30;
        /* It is the host's node, mounted: writing works and it appears in mountinfo. */
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "x", 1) != 1)
                return 31;
        close(fd);
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[1024];
        bool found = false;
        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, p))
                        found = true;
        if (f)
                fclose(f);
        rq_rootfs_done(&r);
        return found ? 0 : 32;
}

static void bind_mounts_the_hosts_nodes_for_user_namespaces(void **state)
{
        in_child(bind_child);
}

static int hostile_child(void)
{
        /* The image's /dev is an absolute symlink to a host directory, and its dev/console-ish
         * entry points at a host file. Nothing may land on the host. */
        char p[512], victim[256];
        snprintf(p, sizeof(p), "%s/dev", rootfs);
        if (symlink(host, p) < 0)
                return 40;
        snprintf(victim, sizeof(victim), "%s/victim", host);
        int fd = open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, "keep", 4) != 4)
                return 41;
        close(fd);
        rq_rootfs r = RQ_ROOTFS_NULL;
        rq_error *e = NULL;
        if (rq_rootfs_open(rootfs, &r, &e) < 0)
                return child_error("dev", e);
        /* Dangling inside the root: refused, with the reason. */
        if (rq_dev_setup(&r, NULL, RQ_DEV_MKNOD, &e) >= 0)
                return 45;
        char *m = rq_error_format(e);
        bool named = m && strstr(m, "leads outside the root");
        free(m);
        rq_error_free(e);
        e = NULL;
        if (!named)
                return 46;
        /* Where the link's target exists inside the root, it is followed there. */
        char inside[512];
        snprintf(inside, sizeof(inside), "mkdir -p '%s%s'", rootfs, host);
        if (system(inside) != 0)
                return 47;
        if (rq_dev_setup(&r, NULL, RQ_DEV_MKNOD, &e) < 0)
                return child_error("dev", e);
        /* The host directory got nothing, the nodes are inside the rootfs. */
        snprintf(p, sizeof(p), "%s/null", host);
        if (access(p, F_OK) == 0)
                return 42;
        snprintf(p, sizeof(p), "%s%s/null", rootfs, host);
        struct stat st;
        if (lstat(p, &st) < 0 || !S_ISCHR(st.st_mode))
                return 43;
        char buf[8] = "";
        fd = open(victim, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf)) != 4 || memcmp(buf, "keep", 4) != 0)
                return 44;
        close(fd);
        rq_rootfs_done(&r);
        return 0;
}

static void an_image_symlink_cannot_send_devices_to_the_host(void **state)
{
        in_child(hostile_child);
}

static int replace_child(void)
{
        /* An image's /dev/null that is a symlink to a host file is replaced, not followed. */
        char p[512], victim[256];
        snprintf(victim, sizeof(victim), "%s/victim2", host);
        int fd = open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return 50;
        close(fd);
        snprintf(p, sizeof(p), "%s/dev", rootfs);
        if (mkdir(p, 0755) < 0)
                return 51;
        snprintf(p, sizeof(p), "%s/dev/null", rootfs);
        if (symlink(victim, p) < 0)
                return 52;
        rq_rootfs r = RQ_ROOTFS_NULL;
        rq_error *e = NULL;
        if (rq_rootfs_open(rootfs, &r, &e) < 0 || rq_dev_setup(&r, NULL, RQ_DEV_BIND, &e) < 0)
                return child_error("dev", e);
        struct stat st;
        if (lstat(p, &st) < 0 || !S_ISCHR(st.st_mode))
                return 53;
        if (stat(victim, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
                return 54;
        rq_rootfs_done(&r);
        return 0;
}

static void a_symlink_at_a_device_path_is_replaced_not_followed(void **state)
{
        in_child(replace_child);
}

static int error_child(void)
{
        /* A regular file where a parent directory must be: the error names path and spec. */
        char p[512];
        snprintf(p, sizeof(p), "%s/notadir", rootfs);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return 60;
        close(fd);
        rq_spec *s = parse("{\"type\":\"c\",\"path\":\"/notadir/x\",\"major\":1,\"minor\":3}");
        rq_rootfs r = RQ_ROOTFS_NULL;
        rq_error *e = NULL;
        if (rq_rootfs_open(rootfs, &r, &e) < 0)
                return child_error("dev", e);
        if (rq_dev_setup(&r, s->linux_, RQ_DEV_MKNOD, &e) >= 0)
                return 61;
        char *m = rq_error_format(e);
        int k = m && strstr(m, "linux.devices[0]") && strstr(m, "/notadir") ? 0 : 62;
        if (k)
                fprintf(stderr, "message: %s\n", m);
        free(m);
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return k;
}

static void a_blocked_device_path_is_named_with_its_spec_entry(void **state)
{
        in_child(error_child);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(mknod_makes_default_and_spec_devices_with_exact_modes),
                cmocka_unit_test(bind_mounts_the_hosts_nodes_for_user_namespaces),
                cmocka_unit_test(an_image_symlink_cannot_send_devices_to_the_host),
                cmocka_unit_test(a_symlink_at_a_device_path_is_replaced_not_followed),
                cmocka_unit_test(a_blocked_device_path_is_named_with_its_spec_entry),
        };
        return cmocka_run_group_tests_name("dev", tests, setup, teardown);
}
