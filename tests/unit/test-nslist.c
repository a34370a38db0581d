/* Unit tests: the namespace listing (parsing nsfs mounts out of mountinfo, aggregating scan
 * records like lsns, command lines as lsns shows them, a scan of a fake /proc tree) and the
 * report on this process's own namespaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "lib/nslist.h"

static void nsfs_names_parse_type_and_inode(void **state)
{
        rq_ns_type t;
        uint64_t ino;
        assert_int_equal(rq_nsfs_name_parse("net:[4026532301]", &t, &ino), 0);
        assert_int_equal(t, RQ_NS_NET);
        assert_true(ino == 4026532301ULL);
        assert_int_equal(rq_nsfs_name_parse("mnt:[4026531841]", &t, &ino), 0);
        assert_int_equal(t, RQ_NS_MNT);
        assert_int_equal(rq_nsfs_name_parse("time:[1]", &t, &ino), 0);
        assert_int_equal(t, RQ_NS_TIME);

        /* The option name is not what the kernel writes, and junk is junk. */
        assert_int_equal(rq_nsfs_name_parse("mount:[4026531841]", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("bogus:[1]", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("net:[]", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("net:[12x]", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("net:[12]x", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("net:12", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("/", &t, &ino), -EINVAL);
        assert_int_equal(rq_nsfs_name_parse("net:[99999999999999999999]", &t, &ino), -ERANGE);
}

static void mountinfo_nsfs_lines_give_namespace_and_unescaped_mount_point(void **state)
{
        rq_ns_type t;
        uint64_t ino;
        char *path = NULL;

        /* ip netns add: with an optional field (shared:N) before the separator. */
        assert_int_equal(rq_mountinfo_parse_nsfs("612 29 0:4 net:[4026532574] /run/netns/blue "
                                                 "rw shared:268 - nsfs nsfs rw",
                                                 &t, &ino, &path),
                         1);
        assert_int_equal(t, RQ_NS_NET);
        assert_true(ino == 4026532574ULL);
        assert_string_equal(path, "/run/netns/blue");
        free(path);
        path = NULL;

        /* Spaces and backslashes in a mount point are octal-escaped. */
        assert_int_equal(rq_mountinfo_parse_nsfs("70 26 0:4 uts:[4026532301] "
                                                 "/tmp/my\\040dir/back\\134slash rw,relatime - "
                                                 "nsfs nsfs rw\n",
                                                 &t, &ino, &path),
                         1);
        assert_int_equal(t, RQ_NS_UTS);
        assert_string_equal(path, "/tmp/my dir/back\\slash");
        free(path);
        path = NULL;

        assert_int_equal(rq_mountinfo_parse_nsfs("21 26 0:20 / /proc rw,relatime - proc proc rw",
                                                 &t, &ino, &path),
                         0);
        assert_null(path);
        assert_int_equal(rq_mountinfo_parse_nsfs("21 26 0:20 / /proc rw,relatime", &t, &ino, &path),
                         -EINVAL);
        assert_int_equal(
                rq_mountinfo_parse_nsfs("21 26 0:4 / /x rw - nsfs nsfs rw", &t, &ino, &path),
                -EINVAL);
        assert_int_equal(rq_mountinfo_parse_nsfs("", &t, &ino, &path), -EINVAL);
        assert_null(path);
}

static const char mountinfo_text[] =
        "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "612 26 0:4 net:[4026532574] /run/netns/blue rw shared:268 - nsfs nsfs rw\n"
        "this line is garbage\n"
        "613 26 0:4 uts:[4026532301] /tmp/uts rw - nsfs nsfs rw\n"
        "614 26 0:4 net:[4026532574] /run/netns/blue-again rw - nsfs nsfs rw\n"
        "615 26 0:4 net:[4026532574] /run/netns/blue rw - nsfs nsfs rw"; /* no newline */

static void mountinfo_text_yields_the_nsfs_mounts_of_the_asked_types(void **state)
{
        rq_nslist l = { 0 };
        assert_int_equal(rq_nslist_add_mountinfo(&l, mountinfo_text, RQ_NS_MASK_ALL), 0);
        assert_int_equal(l.n_mounts, 4);
        assert_int_equal(l.mounts[1].type, RQ_NS_UTS);
        assert_string_equal(l.mounts[1].path, "/tmp/uts");
        assert_string_equal(l.mounts[3].path, "/run/netns/blue");
        rq_nslist_done(&l);

        assert_int_equal(rq_nslist_add_mountinfo(&l, mountinfo_text, RQ_NS_MASK(RQ_NS_UTS)), 0);
        assert_int_equal(l.n_mounts, 1);
        assert_true(l.mounts[0].inode == 4026532301ULL);
        rq_nslist_done(&l);
}

static void records_aggregate_to_one_entry_per_namespace_sorted_by_inode(void **state)
{
        rq_nslist l = { 0 };
        /* Out of order, as several processes' scans interleave them. */
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_NET, 4026532574, 900, 1000), 0);
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_NET, 4026531840, 55, 0), 0);
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_NET, 4026532574, 450, 1001), 0);
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_UTS, 4026531838, 55, 0), 0);
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_NET, 4026531840, 2, 0), 0);
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_NET, 4026532574, 1200, 1000), 0);
        assert_int_equal(rq_nslist_add_record(&l, RQ_NS_UTS, 4026531838, 2, 0), 0);
        assert_int_equal(rq_nslist_add_mountinfo(&l, mountinfo_text, RQ_NS_MASK_ALL), 0);
        assert_int_equal(rq_nslist_aggregate(&l), 0);

        assert_int_equal(l.n_entries, 4);
        /* 4026531838 uts, 4026531840 net, 4026532301 uts (mount only), 4026532574 net */
        assert_true(l.entries[0].inode == 4026531838ULL);
        assert_int_equal(l.entries[0].type, RQ_NS_UTS);
        assert_int_equal(l.entries[0].nprocs, 2);
        assert_int_equal(l.entries[0].pid, 2);

        assert_true(l.entries[1].inode == 4026531840ULL);
        assert_int_equal(l.entries[1].nprocs, 2);
        assert_int_equal(l.entries[1].pid, 2);
        assert_null(l.entries[1].nsfs);

        assert_true(l.entries[2].inode == 4026532301ULL);
        assert_int_equal(l.entries[2].type, RQ_NS_UTS);
        assert_int_equal(l.entries[2].nprocs, 0);
        assert_int_equal(l.entries[2].pid, 0);
        assert_non_null(l.entries[2].nsfs);
        assert_string_equal(l.entries[2].nsfs[0], "/tmp/uts");
        assert_null(l.entries[2].nsfs[1]);

        /* Lowest PID and the uid of that process, not of the others; each mount point once. */
        assert_true(l.entries[3].inode == 4026532574ULL);
        assert_int_equal(l.entries[3].nprocs, 3);
        assert_int_equal(l.entries[3].pid, 450);
        assert_int_equal(l.entries[3].uid, 1001);
        assert_string_equal(l.entries[3].nsfs[0], "/run/netns/blue");
        assert_string_equal(l.entries[3].nsfs[1], "/run/netns/blue-again");
        assert_null(l.entries[3].nsfs[2]);
        assert_int_equal(l.records[l.entries[3].first_record].pid, 450);
        rq_nslist_done(&l);
}

static void command_lines_read_as_lsns_shows_them(void **state)
{
        char *s = rq_nslist_command_from_raw("sleep\0"
                                             "1000\0",
                                             11);
        assert_string_equal(s, "sleep 1000");
        free(s);
        s = rq_nslist_command_from_raw("kthreadd\n", 9); /* comm of a kernel thread */
        assert_string_equal(s, "kthreadd");
        free(s);
        s = rq_nslist_command_from_raw("a\0\0b\0", 5); /* an empty argument stays visible */
        assert_string_equal(s, "a  b");
        free(s);
        s = rq_nslist_command_from_raw("rewritten title", 15); /* setproctitle, no NUL */
        assert_string_equal(s, "rewritten title");
        free(s);
        assert_null(rq_nslist_command_from_raw("", 0));

        char *big = malloc(RQ_NSLIST_COMMAND_MAX);
        assert_non_null(big);
        memset(big, 'x', RQ_NSLIST_COMMAND_MAX);
        s = rq_nslist_command_from_raw(big, RQ_NSLIST_COMMAND_MAX);
        assert_int_equal(strlen(s), RQ_NSLIST_COMMAND_MAX - 1);
        free(s);
        free(big);
}

static void proc_stat_gives_parent_and_kernel_thread_flag(void **state)
{
        pid_t ppid;
        unsigned long flags;
        assert_int_equal(
                rq_proc_stat_parse("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0", &ppid, &flags),
                0);
        assert_int_equal(ppid, 0);
        assert_true(flags & 0x00200000UL);
        /* A command name with ") " in it does not shift the fields. */
        assert_int_equal(
                rq_proc_stat_parse("77 (evil) S 1 2 3) R 12 77 77 0 -1 4194560 5 0", &ppid, &flags),
                0);
        assert_int_equal(ppid, 12);
        assert_int_equal(flags, 4194560UL);
        assert_int_equal(rq_proc_stat_parse("77 evil S 1", &ppid, &flags), -EINVAL);
        assert_int_equal(rq_proc_stat_parse("77 (x) S", &ppid, &flags), -EINVAL);
}

/* A fake /proc: numeric directories with ns/ files; hard links share an inode, the way two
 * processes in one namespace see the same nsfs inode. */
typedef struct fake_proc {
        char dir[64];
        int fd;
} fake_proc;

static void fake_mkdirs(const char *root, const char *sub)
{
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", root, sub);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/%s/ns", root, sub);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void fake_write(const char *root, const char *sub, const char *data, size_t n)
{
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", root, sub);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, data, n), 0);
}

static void fake_link(const char *root, const char *from, const char *to)
{
        char a[256], b[256];
        snprintf(a, sizeof(a), "%s/%s", root, from);
        snprintf(b, sizeof(b), "%s/%s", root, to);
        assert_int_equal(link(a, b), 0);
}

static uint64_t fake_inode(const char *root, const char *sub)
{
        char p[256];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", root, sub);
        assert_int_equal(stat(p, &st), 0);
        return (uint64_t)st.st_ino;
}

static int fake_proc_setup(void **state)
{
        fake_proc *f = calloc(1, sizeof(*f));
        snprintf(f->dir, sizeof(f->dir), "/tmp/rq-test-nslist.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        fake_mkdirs(f->dir, "7");
        fake_mkdirs(f->dir, "12");
        fake_mkdirs(f->dir, "30");
        fake_mkdirs(f->dir, "acpi"); /* not a process */
        /* 7 and 12 share a net namespace; 30 has its own; only 7 shows a uts namespace. */
        fake_write(f->dir, "7/ns/net", "", 0);
        fake_link(f->dir, "7/ns/net", "12/ns/net");
        fake_write(f->dir, "30/ns/net", "", 0);
        fake_write(f->dir, "7/ns/uts", "", 0);
        fake_write(f->dir, "acpi/ns/net", "", 0);
        fake_write(f->dir, "7/cmdline", "/sbin/init\0splash\0", 18);
        fake_write(f->dir, "12/cmdline", "", 0);
        fake_write(f->dir, "12/comm", "kworker\n", 8);
        fake_write(f->dir, "30/cmdline",
                   "sleep\0"
                   "1000\0",
                   11);
        f->fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->fd >= 0);
        *state = f;
        return 0;
}

static int fake_proc_teardown(void **state)
{
        fake_proc *f = *state;
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        close(f->fd);
        int r = system(cmd);
        free(f);
        return r == 0 ? 0 : -1;
}

static void scan_of_a_proc_tree_counts_processes_and_reads_the_lowest_command(void **state)
{
        fake_proc *f = *state;
        _cleanup_error_ rq_error *e = NULL;
        rq_nslist l = { 0 };
        assert_int_equal(rq_nslist_scan_procs(&l, f->fd, RQ_NS_MASK_ALL, &e), 0);
        assert_null(e);
        assert_int_equal(l.n_records, 4); /* 7 net, 7 uts, 12 net, 30 net; not "acpi" */
        assert_int_equal(rq_nslist_aggregate(&l), 0);
        assert_int_equal(rq_nslist_resolve(&l, f->fd), 0);
        assert_int_equal(l.n_entries, 3);

        uint64_t shared = fake_inode(f->dir, "7/ns/net");
        uint64_t own = fake_inode(f->dir, "30/ns/net");
        uint64_t uts = fake_inode(f->dir, "7/ns/uts");
        for (size_t i = 0; i < l.n_entries; i++) {
                const rq_nslist_entry *x = &l.entries[i];
                if (i > 0)
                        assert_true(l.entries[i - 1].inode < x->inode);
                assert_int_equal(x->uid, getuid());
                assert_int_equal(x->owner, 0); /* not an nsfs file: no owner to ask for */
                if (x->inode == shared) {
                        assert_int_equal(x->type, RQ_NS_NET);
                        assert_int_equal(x->nprocs, 2);
                        assert_int_equal(x->pid, 7);
                        assert_string_equal(x->command, "/sbin/init splash");
                } else if (x->inode == own) {
                        assert_int_equal(x->nprocs, 1);
                        assert_int_equal(x->pid, 30);
                        assert_string_equal(x->command, "sleep 1000");
                } else {
                        assert_true(x->inode == uts);
                        assert_int_equal(x->type, RQ_NS_UTS);
                        assert_int_equal(x->pid, 7);
                        assert_string_equal(x->command, "/sbin/init splash");
                }
        }
        rq_nslist_done(&l);

        /* A type filter stats only that type; an empty cmdline falls back to comm. */
        assert_int_equal(rq_nslist_scan_procs(&l, f->fd, RQ_NS_MASK(RQ_NS_UTS), &e), 0);
        assert_int_equal(l.n_records, 1);
        rq_nslist_done(&l);
        char *cmd = NULL;
        assert_int_equal(rq_nslist_read_command(f->fd, 12, &cmd), 0);
        assert_string_equal(cmd, "kworker");
        free(cmd);
        assert_int_equal(rq_nslist_read_command(f->fd, 99, &cmd), -ENOENT);
}

/* The owning user namespace of our own net namespace, asked directly; 0 if not visible. */
static uint64_t expected_owner(uint64_t net)
{
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_close_ int fd = rq_ns_open(getpid(), RQ_NS_NET, false, &e);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_true((uint64_t)st.st_ino == net);
        _cleanup_close_ int owner = rq_ns_get_userns(fd);
        if (owner < 0)
                return 0;
        assert_int_equal(fstat(owner, &st), 0);
        return (uint64_t)st.st_ino;
}

static void real_scan_finds_this_process_in_its_own_namespaces(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        rq_nslist l;
        assert_int_equal(rq_nslist_scan(RQ_NS_MASK_ALL, &l, &e), 0);
        uint64_t net;
        assert_int_equal(rq_ns_inode(getpid(), RQ_NS_NET, false, &net), 0);
        bool found = false;
        for (size_t i = 0; i < l.n_entries; i++) {
                const rq_nslist_entry *x = &l.entries[i];
                if (i > 0)
                        assert_true(l.entries[i - 1].inode < x->inode);
                if (x->inode != net)
                        continue;
                found = true;
                assert_int_equal(x->type, RQ_NS_NET);
                assert_true(x->nprocs >= 1);
                assert_true(x->pid <= getpid());
                assert_non_null(x->command);
                assert_true(x->owner == expected_owner(net));
        }
        assert_true(found);
        rq_nslist_done(&l);
}

static void report_on_self_lists_every_ns_file_with_our_inodes(void **state)
{
        static const char *const names[] = { "cgroup", "ipc",
                                             "mnt",    "net",
                                             "pid",    "pid_for_children",
                                             "time",   "time_for_children",
                                             "user",   "uts" };
        _cleanup_error_ rq_error *e = NULL;
        rq_ns_report rep;
        assert_int_equal(rq_ns_report_get(getpid(), RQ_NS_MASK_ALL, &rep, &e), 0);
        assert_int_equal(rep.n_rows, ELEMENTSOF(names));
        assert_non_null(rep.command);
        for (size_t i = 0; i < rep.n_rows; i++) {
                const rq_ns_report_row *row = &rep.rows[i];
                assert_string_equal(row->name, names[i]);
                char p[64];
                struct stat st;
                snprintf(p, sizeof(p), "/proc/self/ns/%s", names[i]);
                if (stat(p, &st) < 0) {
                        assert_int_equal(row->state, RQ_NS_ROW_UNSUPPORTED);
                        continue;
                }
                assert_int_equal(row->state, RQ_NS_ROW_OK);
                assert_true(row->inode == (uint64_t)st.st_ino);
                if (rep.ref_pid == 0)
                        assert_int_equal(row->differs, -1);
                else
                        assert_true(row->differs == 0 || row->differs == 1);
                if (row->type == RQ_NS_PID || row->type == RQ_NS_USER) {
                        assert_true(row->n_chain >= 1);
                        assert_true(row->chain[0] == row->inode);
                } else {
                        assert_int_equal(row->n_chain, 0);
                }
        }
        /* The owner is what NS_GET_USERNS says, and then its creator is known too. */
        assert_string_equal(rep.rows[3].name, "net");
        assert_true(rep.rows[3].owner == expected_owner(rep.rows[3].inode));
        assert_int_equal(rep.rows[3].has_owner_uid, rep.rows[3].owner != 0);
        /* Either a reference was found, or the report says why not. */
        assert_true(rep.ref_pid == 1 || rep.ref_pid == 2 || rep.ref_note != NULL);
        if (rep.ref_pid == 2)
                assert_non_null(rep.ref_note);
        rq_ns_report_done(&rep);

        assert_int_equal(rq_ns_report_get(getpid(), RQ_NS_MASK(RQ_NS_PID), &rep, &e), 0);
        assert_int_equal(rep.n_rows, 2);
        assert_string_equal(rep.rows[0].name, "pid");
        assert_string_equal(rep.rows[1].name, "pid_for_children");
        rq_ns_report_done(&rep);
}

static void report_on_a_gone_process_names_it(void **state)
{
        _cleanup_error_ rq_error *e = NULL;
        rq_ns_report rep;
        assert_int_equal(rq_ns_report_get(0x3ffffff0, RQ_NS_MASK_ALL, &rep, &e), -ESRCH);
        char *s = rq_error_format(e);
        assert_non_null(strstr(s, "process 1073741808"));
        free(s);
        assert_int_equal(rep.n_rows, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(nsfs_names_parse_type_and_inode),
                cmocka_unit_test(mountinfo_nsfs_lines_give_namespace_and_unescaped_mount_point),
                cmocka_unit_test(mountinfo_text_yields_the_nsfs_mounts_of_the_asked_types),
                cmocka_unit_test(records_aggregate_to_one_entry_per_namespace_sorted_by_inode),
                cmocka_unit_test(command_lines_read_as_lsns_shows_them),
                cmocka_unit_test(proc_stat_gives_parent_and_kernel_thread_flag),
                cmocka_unit_test_setup_teardown(
                        scan_of_a_proc_tree_counts_processes_and_reads_the_lowest_command,
                        fake_proc_setup, fake_proc_teardown),
                cmocka_unit_test(real_scan_finds_this_process_in_its_own_namespaces),
                cmocka_unit_test(report_on_self_lists_every_ns_file_with_our_inodes),
                cmocka_unit_test(report_on_a_gone_process_names_it),
        };
        return cmocka_run_group_tests_name("nslist", tests, NULL, NULL);
}
