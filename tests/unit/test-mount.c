/* Unit tests: config.json mounts, masked and read-only paths applied in a scratch rootfs.
 * Mounts need root: as another user these tests skip. Each test runs in a child in a private
 * mount namespace with a fresh rootfs, so no mount outlives it. */
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

#include "basic/macro.h"
#include "scratch-child.h"
#include "lib/mount.h"

static char top[] = "/tmp/rq-test-mount.XXXXXX";
static char rootfs[128], host[128];

static int setup(void **state)
{
        if (!mkdtemp(top))
                return -1;
        snprintf(host, sizeof(host), "%s/host", top);
        if (mkdir(host, 0755) < 0)
                return -1;
        char p[192];
        snprintf(p, sizeof(p), "%s/file", host);
        FILE *f = fopen(p, "we");
        if (!f)
                return -1;
        fputs("host-data\n", f);
        return fclose(f);
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
        assert_int_equal(mkdir(rootfs, 0755), 0);
        run_in_new_namespaces(CLONE_NEWNS, fn);
}

/* Parse a spec whose linux part is extra (JSON members) and mounts are mounts (a JSON array). */
static rq_spec *parse(const char *mounts, const char *extra)
{
        char json[4096];
        snprintf(json, sizeof(json),
                 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"%s\"},\"mounts\":%s,"
                 "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]%s%s}}",
                 rootfs, mounts, extra ? "," : "", extra ? extra : "");
        rq_spec *s = NULL;
        rq_error *e = NULL;
        if (rq_spec_parse(json, strlen(json), &s, &e) < 0) {
                child_error("mount", e);
                _exit(99);
        }
        return s;
}

/* The mountinfo line whose mount point is rootfs+rel; NULL when there is none. */
static char *mountinfo_line(const char *rel)
{
        char want[512], line[2048];
        snprintf(want, sizeof(want), " %s%s ", rootfs, rel);
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char *found = NULL;
        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, want)) {
                        free(found);
                        found = strdup(line); /* the last one is the top mount */
                }
        if (f)
                fclose(f);
        return found;
}

static int apply(rq_spec *s, rq_rootfs *r)
{
        rq_error *e = NULL;
        if (rq_rootfs_open(rootfs, r, &e) < 0 || rq_mount_apply_all(r, s, NULL, NULL, &e) < 0 ||
            (s->linux_->n_masked_paths &&
             rq_mount_masked_paths(r, s->linux_->masked_paths, s->linux_->n_masked_paths, &e) <
                     0) ||
            (s->linux_->n_readonly_paths &&
             rq_mount_readonly_paths(r, s->linux_->readonly_paths, s->linux_->n_readonly_paths,
                                     &e) < 0))
                return child_error("mount", e);
        return 0;
}

static int fs_child(void)
{
        rq_spec *s = parse("[{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                           "\"options\":[\"nosuid\",\"nodev\",\"mode=1777\",\"size=1m\"]},"
                           "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}]",
                           NULL);
        rq_rootfs r = RQ_ROOTFS_NULL;
        if (apply(s, &r))
                return 1;
        _cleanup_free_ char *tmp = mountinfo_line("/tmp"), *proc = mountinfo_line("/proc");
        if (!tmp || !strstr(tmp, "nosuid") || !strstr(tmp, "nodev") || !strstr(tmp, " tmpfs "))
                return 10;
        char p[256];
        struct stat st;
        snprintf(p, sizeof(p), "%s/tmp", rootfs);
        if (stat(p, &st) < 0 || (st.st_mode & 07777) != 01777)
                return 11;
        if (!proc || !strstr(proc, " proc "))
                return 12;
        snprintf(p, sizeof(p), "%s/proc/self/status", rootfs);
        if (access(p, R_OK) < 0)
                return 13;
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return 0;
}

static void filesystems_mount_with_their_flags_and_data(void **state)
{
        in_child(fs_child);
}

static int bind_child(void)
{
        char mounts[512];
        snprintf(mounts, sizeof(mounts),
                 "[{\"destination\":\"/data\",\"source\":\"%s\",\"options\":[\"rbind\",\"ro\"]},"
                 "{\"destination\":\"/etc/hostname\",\"source\":\"%s/file\",\"options\":"
                 "[\"bind\"]}]",
                 host, host);
        rq_spec *s = parse(mounts, NULL);
        rq_rootfs r = RQ_ROOTFS_NULL;
        if (apply(s, &r))
                return 1;
        char p[256];
        snprintf(p, sizeof(p), "%s/data/file", rootfs);
        if (access(p, R_OK) < 0)
                return 20;
        /* ro: the new mount is read-only; the host directory itself is still writable. */
        snprintf(p, sizeof(p), "%s/data/new", rootfs);
        if (open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
                return 21;
        snprintf(p, sizeof(p), "%s/new", host);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return 22;
        close(fd);
        unlink(p);
        /* A file bind: the target file was created and shows the host file. */
        snprintf(p, sizeof(p), "%s/etc/hostname", rootfs);
        FILE *f = fopen(p, "re");
        char buf[32] = "";
        if (!f || !fgets(buf, sizeof(buf), f) || strcmp(buf, "host-data\n") != 0)
                return 23;
        fclose(f);
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return 0;
}

static void binds_of_directories_and_files_honour_ro(void **state)
{
        in_child(bind_child);
}

static int escape_child(void)
{
        /* The image's /evil is an absolute symlink to a host directory: the mount lands on
         * rootfs/<that path>, never on the host directory. */
        char p[256], inside[320];
        snprintf(p, sizeof(p), "%s/evil", rootfs);
        if (symlink(host, p) < 0)
                return 30;
        snprintf(inside, sizeof(inside), "%s%s", rootfs, host);
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", inside);
        if (system(cmd) != 0)
                return 31;
        rq_spec *s =
                parse("[{\"destination\":\"/evil\",\"type\":\"tmpfs\",\"source\":\"x\"}]", NULL);
        rq_rootfs r = RQ_ROOTFS_NULL;
        if (apply(s, &r))
                return 1;
        snprintf(p, sizeof(p), "%s/file", host);
        if (access(p, F_OK) < 0)
                return 32; /* the host directory is not covered */
        _cleanup_free_ char *line = mountinfo_line(host);
        if (!line || !strstr(line, " tmpfs "))
                return 33;
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return 0;
}

static void a_symlinked_destination_stays_inside_the_rootfs(void **state)
{
        in_child(escape_child);
}

static int masked_child(void)
{
        char p[512];
        snprintf(p, sizeof(p),
                 "mkdir -p '%s/secret-dir' && echo s > '%s/secret-dir/x' && echo "
                 "key > '%s/secret'",
                 rootfs, rootfs, rootfs);
        if (system(p) != 0)
                return 40;
        rq_spec *s = parse("[]", "\"maskedPaths\":[\"/secret\",\"/secret-dir\",\"/missing\"],"
                                 "\"readonlyPaths\":[\"/ro\"]");
        snprintf(p, sizeof(p), "%s/ro", rootfs);
        if (mkdir(p, 0755) < 0)
                return 41;
        rq_rootfs r = RQ_ROOTFS_NULL;
        if (apply(s, &r))
                return 1;
        char buf[16];
        snprintf(p, sizeof(p), "%s/secret", rootfs);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf)) != 0)
                return 42; /* reads nothing: it is /dev/null now */
        close(fd);
        snprintf(p, sizeof(p), "%s/secret-dir/x", rootfs);
        if (access(p, F_OK) == 0)
                return 43;
        snprintf(p, sizeof(p), "%s/secret-dir/new", rootfs);
        if (open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
                return 44;
        snprintf(p, sizeof(p), "%s/ro/new", rootfs);
        if (open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EROFS)
                return 45;
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return 0;
}

static void masked_paths_read_nothing_and_readonly_paths_refuse_writes(void **state)
{
        in_child(masked_child);
}

static int propagation_child(void)
{
        rq_spec *s = parse("[{\"destination\":\"/shared\",\"type\":\"tmpfs\",\"source\":\"t\","
                           "\"options\":[\"rshared\"]}]",
                           NULL);
        rq_rootfs r = RQ_ROOTFS_NULL;
        if (apply(s, &r))
                return 1;
        _cleanup_free_ char *line = mountinfo_line("/shared");
        if (!line || !strstr(line, " shared:"))
                return 50;
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return 0;
}

static void propagation_options_apply_to_the_new_mount(void **state)
{
        in_child(propagation_child);
}

static int error_child(void)
{
        rq_spec *s =
                parse("[{\"destination\":\"/x\",\"type\":\"nosuchfs\",\"source\":\"n\"}]", NULL);
        rq_rootfs r = RQ_ROOTFS_NULL;
        rq_error *e = NULL;
        if (rq_rootfs_open(rootfs, &r, &e) < 0)
                return child_error("mount", e);
        if (rq_mount_apply_all(&r, s, NULL, NULL, &e) != -ENODEV)
                return 60;
        char *m = rq_error_format(e);
        int k = m && strstr(m, "mounts[0] (/x): mount nosuchfs") &&
                                strstr(rq_error_get_hint(e), "/proc/filesystems")
                        ? 0
                        : 61;
        if (k)
                fprintf(stderr, "message: %s\n", m);
        free(m);
        rq_spec_free(s);
        rq_rootfs_done(&r);
        return k;
}

static void an_unknown_filesystem_is_named_with_its_mount_entry(void **state)
{
        in_child(error_child);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(filesystems_mount_with_their_flags_and_data),
                cmocka_unit_test(binds_of_directories_and_files_honour_ro),
                cmocka_unit_test(a_symlinked_destination_stays_inside_the_rootfs),
                cmocka_unit_test(masked_paths_read_nothing_and_readonly_paths_refuse_writes),
                cmocka_unit_test(propagation_options_apply_to_the_new_mount),
                cmocka_unit_test(an_unknown_filesystem_is_named_with_its_mount_entry),
        };
        return cmocka_run_group_tests_name("mount", tests, setup, teardown);
}
