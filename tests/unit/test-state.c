/* Unit tests: container state directories, state.json round trips, live status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "lib/state.h"

static char root[] = "/tmp/rq-test-state.XXXXXX";
static int root_fd = -EBADF;

static int setup(void **state)
{
        if (!mkdtemp(root))
                return -1;
        _cleanup_error_ rq_error *e = NULL;
        root_fd = rq_state_root_open(root, true, &e);
        return root_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        close(root_fd);
        return system(cmd) == 0 ? 0 : -1;
}

static void ids_follow_runc_rules(void **state)
{
        assert_true(rq_container_id_valid("web"));
        assert_true(rq_container_id_valid("a.b_c+d-9"));
        assert_false(rq_container_id_valid(""));
        assert_false(rq_container_id_valid("."));
        assert_false(rq_container_id_valid(".."));
        assert_false(rq_container_id_valid("a/b"));
        assert_false(rq_container_id_valid("a b"));
        char big[1100];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_false(rq_container_id_valid(big));
}

static void create_is_exclusive_and_open_says_does_not_exist(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        int fd = rq_state_dir_create(root_fd, "c1", &e);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(rq_state_dir_create(root_fd, "c1", &e), -EINVAL);
        char *s = rq_error_format(e);
        assert_string_equal(s, "container with id c1 already exists");
        free(s);
        rq_error_free(e);
        e = NULL;
        assert_int_equal(rq_state_dir_open(root_fd, "nope", &e), -ENOENT);
        s = rq_error_format(e);
        assert_string_equal(s, "container does not exist: nope");
        free(s);
        rq_error_free(e);
        e = NULL;
        assert_int_equal(rq_state_dir_create(root_fd, "../evil", &e), -EINVAL);
        assert_int_equal(access("/tmp/evil", F_OK), -1);
        assert_int_equal(rq_state_dir_remove(root_fd, "c1", NULL), 0);
}

static void state_round_trips_and_leaves_no_temporary_file(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_close_ int fd = rq_state_dir_create(root_fd, "c2", &e);
        assert_true(fd >= 0);
        rq_state s = {
                .id = "c2",
                .oci_version = "1.2.0",
                .bundle = "/b",
                .rootfs = "/b/rootfs",
                .status = RQ_STATUS_CREATED,
                .pid = 1234,
                .pid_start = 987654,
                .created = 1700000000123456789LL,
                .owner = 0,
                .cgroup_path = "/rongqi/c2",
                .annotations = json_pack("{s:s}", "org.example", "yes"),
        };
        assert_int_equal(rq_state_write(fd, &s, &e), 0);
        assert_int_equal(faccessat(fd, "state.json.tmp", F_OK, 0), -1);
        rq_state r;
        assert_int_equal(rq_state_read(fd, &r, &e), 0);
        assert_string_equal(r.id, "c2");
        assert_string_equal(r.oci_version, "1.2.0");
        assert_string_equal(r.bundle, "/b");
        assert_string_equal(r.rootfs, "/b/rootfs");
        assert_string_equal(r.cgroup_path, "/rongqi/c2");
        assert_int_equal(r.status, RQ_STATUS_CREATED);
        assert_int_equal(r.pid, 1234);
        assert_int_equal(r.pid_start, 987654);
        assert_int_equal(r.created, 1700000000123456789LL);
        assert_string_equal(json_string_value(json_object_get(r.annotations, "org.example")),
                            "yes");

        char *text = rq_state_to_json(&r, RQ_STATUS_RUNNING);
        json_t *o = json_loads(text, 0, NULL);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "status")), "running");
        assert_string_equal(json_string_value(json_object_get(o, "created")),
                            "2023-11-14T22:13:20.123456789Z");
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), 1234);
        assert_null(json_object_get(o, "owner_uid"));
        assert_null(json_object_get(o, "pid_start"));
        json_decref(o);
        free(text);
        json_decref(s.annotations);
        rq_state_done(&r);
        assert_int_equal(rq_state_dir_remove(root_fd, "c2", &e), 0);
        assert_int_equal(faccessat(root_fd, "c2", F_OK, 0), -1);
}

static void a_corrupt_or_missing_state_is_named(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_close_ int fd = rq_state_dir_create(root_fd, "c3", &e);
        rq_state r;
        assert_int_equal(rq_state_read(fd, &r, &e), -ENOENT);
        rq_error_free(e);
        e = NULL;
        int f = openat(fd, "state.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_int_equal(write(f, "{\"id\":", 6), 6);
        close(f);
        assert_int_equal(rq_state_read(fd, &r, &e), -EINVAL);
        char *s = rq_error_format(e);
        assert_non_null(strstr(s, "state.json is corrupt"));
        free(s);
        assert_int_equal(rq_state_dir_remove(root_fd, "c3", NULL), 0);
}

static void list_is_sorted_and_skips_files(void **state)
{
        const char *ids[] = { "zeta", "alpha", "mid" };
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                close(rq_state_dir_create(root_fd, ids[i], NULL));
        close(openat(root_fd, "stray-file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        char **l = NULL;
        assert_int_equal(rq_state_list(root_fd, &l, NULL), 0);
        assert_string_equal(l[0], "alpha");
        assert_string_equal(l[1], "mid");
        assert_string_equal(l[2], "zeta");
        assert_null(l[3]);
        strv_free(l);
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                assert_int_equal(rq_state_dir_remove(root_fd, ids[i], NULL), 0);
        unlinkat(root_fd, "stray-file", 0);
}

static void live_status_checks_pid_and_start_time(void **state)
{
        uint64_t start;
        bool zombie;
        assert_int_equal(rq_proc_start_time(getpid(), &start, &zombie), 0);
        assert_false(zombie);
        rq_state s = { .status = RQ_STATUS_RUNNING, .pid = getpid(), .pid_start = start };
        assert_int_equal(rq_state_live_status(&s), RQ_STATUS_RUNNING);
        s.pid_start = start + 1; /* the pid was reused by another process */
        assert_int_equal(rq_state_live_status(&s), RQ_STATUS_STOPPED);

        pid_t child = fork();
        if (child == 0)
                _exit(0);
        /* A zombie is stopped, whatever its start time. */
        usleep(100000);
        assert_int_equal(rq_proc_start_time(child, &start, &zombie), 0);
        assert_true(zombie);
        s = (rq_state){ .status = RQ_STATUS_CREATED, .pid = child, .pid_start = start };
        assert_int_equal(rq_state_live_status(&s), RQ_STATUS_STOPPED);
        waitpid(child, NULL, 0);
        assert_int_equal(rq_proc_start_time(child, &start, &zombie), -ESRCH);
        s = (rq_state){ .status = RQ_STATUS_CREATING };
        assert_int_equal(rq_state_live_status(&s), RQ_STATUS_CREATING);
}

static void lock_is_exclusive_across_open_file_descriptions(void **state)
{
        _cleanup_close_ int a = rq_state_dir_create(root_fd, "c4", NULL);
        _cleanup_close_ int b = rq_state_dir_open(root_fd, "c4", NULL);
        assert_int_equal(rq_state_lock(a, true, false), 0);
        assert_int_equal(rq_state_lock(b, true, false), -EWOULDBLOCK);
        assert_int_equal(rq_state_lock(b, false, false), -EWOULDBLOCK);
        close(a);
        a = -EBADF;
        assert_int_equal(rq_state_lock(b, false, false), 0);
        assert_int_equal(rq_state_dir_remove(root_fd, "c4", NULL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(ids_follow_runc_rules),
                cmocka_unit_test(create_is_exclusive_and_open_says_does_not_exist),
                cmocka_unit_test(state_round_trips_and_leaves_no_temporary_file),
                cmocka_unit_test(a_corrupt_or_missing_state_is_named),
                cmocka_unit_test(list_is_sorted_and_skips_files),
                cmocka_unit_test(live_status_checks_pid_and_start_time),
                cmocka_unit_test(lock_is_exclusive_across_open_file_descriptions),
        };
        return cmocka_run_group_tests_name("state", tests, setup, teardown);
}
