/* Unit tests: config.json parsing. A document with every field comes out with the right values,
 * every invalid value is refused with its JSON path, the default spec and the outputs of
 * `runc spec` and `crun spec` parse, mount options come out as runc reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mempolicy.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "basic/string-util.h"
#include "lib/spec.h"

#ifndef SPEC_FIXTURES
#error "SPEC_FIXTURES must name the fixture directory"
#endif

/* Documents in the tests use ' for " to stay readable. */
static char *unquote(const char *doc)
{
        char *s = strdup(doc);
        assert_non_null(s);
        for (char *p = s; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return s;
}

static int parse(const char *doc, rq_spec **ret, char **ret_error)
{
        _cleanup_free_ char *json = unquote(doc);
        _cleanup_error_ rq_error *e = NULL;
        int r = rq_spec_parse(json, strlen(json), ret, &e);
        *ret_error = r < 0 ? rq_error_format(e) : NULL;
        return r;
}

static rq_spec *parse_ok(const char *doc)
{
        rq_spec *spec = NULL;
        _cleanup_free_ char *error = NULL;
        if (parse(doc, &spec, &error) < 0)
                fail_msg("unexpected error: %s", error);
        return spec;
}

/* The document is refused with exactly this message; what identifies it in a failure. */
static void assert_refused(const char *doc, const char *expected, const char *what)
{
        rq_spec *spec = NULL;
        _cleanup_free_ char *error = NULL;
        int r = parse(doc, &spec, &error);
        if (r != -EINVAL)
                fail_msg("%s was accepted (r=%d): %s", what, r, doc);
        assert_null(spec);
        if (!streq(error, expected))
                fail_msg("%s: %s\n  got:      %s\n  expected: %s", what, doc, error, expected);
}

static rq_spec *load_fixture(const char *name)
{
        rq_spec *spec = NULL;
        _cleanup_error_ rq_error *e = NULL;
        _cleanup_close_ int dir = open(SPEC_FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dir >= 0);
        if (rq_spec_load(dir, name, &spec, &e) < 0) {
                _cleanup_free_ char *msg = rq_error_format(e);
                fail_msg("%s: %s", name, msg);
        }
        return spec;
}

static void a_full_config_comes_out_with_every_value(void **state)
{
        _cleanup_spec_ rq_spec *s = load_fixture("full.json");

        assert_string_equal(s->oci_version, "1.3.0");
        assert_int_equal(s->version_minor, 3);
        assert_string_equal(s->root->path, "rootfs");
        assert_true(s->root->readonly);
        assert_string_equal(s->hostname, "full");
        assert_string_equal(s->domainname, "example.test");

        assert_int_equal(s->n_mounts, 2);
        const rq_spec_mount *m = &s->mounts[0];
        assert_string_equal(m->destination, "/dev");
        assert_string_equal(m->type, "tmpfs");
        assert_string_equal(m->source, "tmpfs");
        assert_int_equal(m->n_options, 4);
        assert_string_equal(m->options[2], "mode=755");
        assert_null(m->options[4]);
        assert_int_equal(m->parsed.flags, MS_NOSUID | MS_STRICTATIME);
        assert_string_equal(m->parsed.data, "mode=755,size=65536k");
        m = &s->mounts[1];
        assert_int_equal(m->parsed.flags, MS_BIND | MS_REC);
        assert_int_equal(m->parsed.cleared, MS_RDONLY);
        assert_int_equal(m->parsed.n_propagation, 1);
        assert_int_equal(m->parsed.propagation[0], MS_PRIVATE | MS_REC);
        assert_int_equal(m->parsed.attr_set, MOUNT_ATTR_RDONLY);
        assert_int_equal(m->parsed.idmap, RQ_MOUNT_IDMAP);
        assert_null(m->parsed.data);
        assert_int_equal(m->n_uid_mappings, 1);
        assert_int_equal(m->uid_mappings[0].host_id, 100000);
        assert_int_equal(m->gid_mappings[0].host_id, 200000);

        const rq_spec_process *p = s->process;
        assert_true(p->terminal);
        assert_int_equal(p->console_size->height, 25);
        assert_int_equal(p->console_size->width, 80);
        assert_int_equal(p->user.uid, 1000);
        assert_int_equal(p->user.gid, 1001);
        assert_true(p->user.umask.set);
        assert_int_equal(p->user.umask.value, 022);
        assert_int_equal(p->user.n_additional_gids, 3);
        assert_int_equal(p->user.additional_gids[2], UINT32_MAX);
        assert_string_equal(p->user.username, "alice");
        assert_int_equal(p->n_args, 3);
        assert_string_equal(p->args[2], "echo hi");
        assert_null(p->args[3]);
        assert_string_equal(p->command_line, "sh -c 'echo hi'");
        assert_string_equal(p->env[2], "EMPTY=");
        assert_string_equal(p->cwd, "/home/alice");
        assert_int_equal(p->capabilities->bounding,
                         (1ULL << CAP_CHOWN) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE));
        assert_int_equal(p->capabilities->effective, 1ULL << CAP_KILL);
        assert_int_equal(p->capabilities->inheritable, 0);
        assert_int_equal(p->capabilities->permitted,
                         (1ULL << CAP_CHOWN) | (1ULL << CAP_KILL) | (1ULL << CAP_SYS_ADMIN));
        assert_int_equal(p->capabilities->ambient, 1ULL << CAP_NET_BIND_SERVICE);
        assert_int_equal(p->n_rlimits, 3);
        assert_int_equal(p->rlimits[0].type, RLIMIT_NOFILE);
        assert_int_equal(p->rlimits[0].hard, 1048576);
        assert_int_equal(p->rlimits[0].soft, 1024);
        assert_int_equal(p->rlimits[1].type, RLIMIT_CORE);
        assert_true(p->rlimits[1].hard == UINT64_MAX && p->rlimits[1].soft == UINT64_MAX);
        assert_true(p->rlimits[2].hard == UINT64_C(9223372036854775808));
        assert_true(p->no_new_privileges);
        assert_string_equal(p->apparmor_profile, "acme_secure_profile");
        assert_true(p->oom_score_adj.set);
        assert_int_equal(p->oom_score_adj.value, -500);
        assert_int_equal(p->scheduler->policy, SCHED_FIFO);
        assert_int_equal(p->scheduler->priority, 10);
        assert_int_equal(p->scheduler->flags, 0x41);
        assert_string_equal(p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
        assert_int_equal(p->io_priority->class, 3);
        assert_int_equal(p->io_priority->priority, 4);
        assert_string_equal(p->exec_cpu_affinity->initial, "7");
        assert_string_equal(p->exec_cpu_affinity->final, "0-3,7");

        const rq_spec_hooks *h = s->hooks;
        assert_int_equal(h->list[RQ_HOOK_PRESTART].n_hooks, 1);
        assert_string_equal(h->list[RQ_HOOK_PRESTART].hooks[0].args[1], "a");
        assert_string_equal(h->list[RQ_HOOK_PRESTART].hooks[0].env[0], "K=V");
        assert_false(h->list[RQ_HOOK_PRESTART].hooks[0].timeout.set);
        assert_int_equal(h->list[RQ_HOOK_CREATE_RUNTIME].hooks[0].timeout.value, 5);
        assert_string_equal(h->list[RQ_HOOK_CREATE_CONTAINER].hooks[0].path,
                            "/usr/bin/create-container");
        assert_string_equal(h->list[RQ_HOOK_START_CONTAINER].hooks[0].path, "/usr/bin/ldconfig");
        assert_int_equal(h->list[RQ_HOOK_POSTSTART].hooks[0].timeout.value, 1);
        assert_int_equal(h->list[RQ_HOOK_POSTSTOP].n_hooks, 2);
        assert_string_equal(rq_hook_kind_to_string(RQ_HOOK_START_CONTAINER), "startContainer");

        assert_int_equal(s->n_annotations, 2);
        assert_string_equal(s->annotations[0].key, "com.example.key1");
        assert_string_equal(s->annotations[0].value, "value1");
        assert_string_equal(s->annotations[1].value, "");

        const rq_spec_linux *l = s->linux_;
        assert_int_equal(l->n_namespaces, 8);
        assert_int_equal(l->namespaces[1].type, RQ_NS_NET);
        assert_string_equal(l->namespaces[1].path, "/var/run/netns/neta");
        assert_null(l->namespaces[0].path);
        assert_ptr_equal(rq_spec_namespace_find(s, RQ_NS_TIME), &l->namespaces[7]);
        assert_int_equal(l->n_uid_mappings, 2);
        assert_int_equal(l->uid_mappings[1].container_id, 1);
        assert_int_equal(l->uid_mappings[1].host_id, 100000);
        assert_int_equal(l->uid_mappings[1].size, 65535);
        assert_int_equal(l->gid_mappings[0].size, 32000);
        assert_int_equal(l->n_time_offsets, 2);
        assert_string_equal(l->time_offsets[0].clock, "monotonic");
        assert_int_equal(l->time_offsets[0].secs, 172800);
        assert_int_equal(l->time_offsets[0].nanosecs, 5);
        assert_int_equal(l->time_offsets[1].secs, -604800);
        assert_int_equal(l->n_devices, 2);
        assert_int_equal(l->devices[0].type, 'c');
        assert_int_equal(l->devices[0].major, 10);
        assert_int_equal(l->devices[0].minor, 229);
        assert_int_equal(l->devices[0].file_mode.value, 0666);
        assert_true(l->devices[0].uid.set && l->devices[0].gid.set);
        assert_int_equal(l->devices[1].type, 'p');
        assert_false(l->devices[1].file_mode.set);
        assert_int_equal(l->n_net_devices, 2);
        assert_string_equal(l->net_devices[0].host_name, "eth1");
        assert_string_equal(l->net_devices[0].name, "ctr_eth1");
        assert_null(l->net_devices[1].name);
        assert_string_equal(l->cgroups_path, "/myRuntime/myContainer");
        assert_int_equal(l->rootfs_propagation, MS_SLAVE);
        assert_int_equal(l->n_sysctl, 3);
        assert_string_equal(l->sysctl[1].key, "kernel/shmmax");
        assert_int_equal(l->n_masked_paths, 2);
        assert_string_equal(l->readonly_paths[0], "/proc/sys");
        assert_string_equal(l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");

        const rq_spec_resources *res = l->resources;
        assert_int_equal(res->n_devices, 2);
        assert_false(res->devices[0].allow);
        assert_int_equal(res->devices[0].type, 'a');
        assert_false(res->devices[0].major.set);
        assert_string_equal(res->devices[0].access, "rwm");
        assert_int_equal(res->devices[1].type, 'c');
        assert_int_equal(res->devices[1].minor.value, 229);
        assert_int_equal(res->memory->limit.value, 536870912);
        assert_int_equal(res->memory->swap.value, -1);
        assert_true(res->memory->kernel_tcp.set);
        assert_int_equal(res->memory->kernel_tcp.value, 0);
        assert_true(res->memory->swappiness.set);
        assert_true(res->memory->disable_oom_killer.set);
        assert_false(res->memory->disable_oom_killer.value);
        assert_true(res->memory->use_hierarchy.value && res->memory->check_before_update.value);
        assert_int_equal(res->cpu->shares.value, 1024);
        assert_int_equal(res->cpu->quota.value, 1000000);
        assert_int_equal(res->cpu->burst.value, 500000);
        assert_int_equal(res->cpu->realtime_runtime.value, 950000);
        assert_int_equal(res->cpu->realtime_period.value, 1000000);
        assert_string_equal(res->cpu->cpus, "2-3");
        assert_string_equal(res->cpu->mems, "0-7");
        assert_int_equal(res->cpu->idle.value, 1);
        assert_true(res->pids->limit.set);
        assert_int_equal(res->pids->limit.value, 0);
        assert_int_equal(res->block_io->weight.value, 10);
        assert_int_equal(res->block_io->leaf_weight.value, 20);
        assert_int_equal(res->block_io->n_weight_device, 2);
        assert_int_equal(res->block_io->weight_device[0].leaf_weight.value, 300);
        assert_false(res->block_io->weight_device[1].leaf_weight.set);
        assert_int_equal(res->block_io->throttle_read_bps_device[0].rate, 600);
        assert_int_equal(res->block_io->throttle_write_bps_device[0].rate, 601);
        assert_int_equal(res->block_io->throttle_read_iops_device[0].rate, 602);
        assert_int_equal(res->block_io->throttle_write_iops_device[0].minor, 16);
        assert_int_equal(res->n_hugepage_limits, 2);
        assert_string_equal(res->hugepage_limits[0].page_size, "2MB");
        assert_true(res->hugepage_limits[0].limit == UINT64_C(9223372036854772000));
        assert_int_equal(res->network->class_id.value, 1048577);
        assert_string_equal(res->network->priorities[1].name, "eth1");
        assert_int_equal(res->network->priorities[1].priority, 1000);
        assert_int_equal(res->n_rdma, 2);
        assert_string_equal(res->rdma[0].device, "mlx5_1");
        assert_int_equal(res->rdma[0].hca_handles.value, 3);
        assert_false(res->rdma[1].hca_handles.set);
        assert_string_equal(res->unified[1].key, "memory.high");

        const rq_spec_seccomp *sc = l->seccomp;
        assert_int_equal(sc->default_action, RQ_SECCOMP_ACT_ERRNO);
        assert_int_equal(sc->default_errno_ret.value, 38);
        assert_int_equal(sc->architectures, (1ULL << RQ_SECCOMP_ARCH_X86_64) |
                                                    (1ULL << RQ_SECCOMP_ARCH_X86) |
                                                    (1ULL << RQ_SECCOMP_ARCH_AARCH64));
        assert_true(sc->flags_set);
        assert_int_equal(sc->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        assert_string_equal(sc->listener_path, "/run/seccomp-agent.sock");
        assert_string_equal(sc->listener_metadata, "MKNOD=/dev/null");
        assert_int_equal(sc->n_syscalls, 3);
        assert_string_equal(sc->syscalls[0].names[1], "chmod");
        assert_int_equal(sc->syscalls[1].errno_ret.value, 1);
        assert_int_equal(sc->syscalls[1].n_args, 2);
        assert_true(sc->syscalls[1].args[0].value == UINT64_MAX);
        assert_int_equal(sc->syscalls[1].args[0].value_two, 8);
        assert_int_equal(sc->syscalls[1].args[0].op, RQ_SECCOMP_CMP_MASKED_EQ);
        assert_int_equal(sc->syscalls[1].args[1].index, 5);
        assert_int_equal(sc->syscalls[1].args[1].value, 4294967295u);
        assert_int_equal(sc->syscalls[2].action, RQ_SECCOMP_ACT_NOTIFY);

        assert_string_equal(l->intel_rdt->clos_id, "guaranteed_group");
        assert_int_equal(l->intel_rdt->n_schemata, 2);
        assert_string_equal(l->intel_rdt->mem_bw_schema, "MB:0=20;1=70");
        assert_true(l->intel_rdt->enable_monitoring);
        assert_int_equal(l->memory_policy->mode, MPOL_INTERLEAVE);
        assert_string_equal(l->memory_policy->nodes, "2-3");
        assert_int_equal(l->memory_policy->flags, MPOL_F_STATIC_NODES);
        assert_int_equal(l->personality->domain, PER_LINUX32);
}

static void absent_optional_values_are_not_zero(void **state)
{
        _cleanup_spec_ rq_spec *s =
                parse_ok("{'ociVersion':'1.0.0','process':{'cwd':'/','args':['true']},"
                         "'linux':{'resources':{'memory':{},'pids':{},'cpu':{'cpus':''}},"
                         "'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'}}}");
        assert_null(s->root);
        assert_null(s->mounts);
        assert_null(s->hooks);
        assert_null(s->process->env);
        assert_null(s->process->capabilities);
        assert_false(s->process->oom_score_adj.set);
        assert_false(s->process->user.umask.set);
        assert_false(s->linux_->resources->memory->limit.set);
        assert_false(s->linux_->resources->memory->disable_oom_killer.set);
        assert_false(s->linux_->resources->pids->limit.set);
        assert_false(s->linux_->resources->cpu->quota.set);
        assert_string_equal(s->linux_->resources->cpu->cpus, "");
        assert_false(s->linux_->seccomp->flags_set);
        assert_false(s->linux_->seccomp->default_errno_ret.set);
        assert_int_equal(s->linux_->rootfs_propagation, 0);
}

static void unknown_fields_are_ignored_and_null_is_absent(void **state)
{
        _cleanup_spec_ rq_spec *s = parse_ok(
                "{'ociVersion':'1.2.0','future':{'x':[1,{'y':null}]},'process':null,"
                "'windows':{'layerFolders':[]},'vm':{'kernel':{'path':'/k'}},"
                "'linux':{'namespaces':[{'type':'pid','futureField':true}],'cgroupsPath':null,"
                "'resources':{'memory':{'limit':null,'future':1}}}}");
        assert_null(s->process);
        assert_int_equal(s->linux_->n_namespaces, 1);
        assert_null(s->linux_->cgroups_path);
        assert_false(s->linux_->resources->memory->limit.set);
}

static void an_empty_seccomp_object_means_no_filter(void **state)
{
        /* as runc: no default action and no rules is no filter */
        _cleanup_spec_ rq_spec *s =
                parse_ok("{'ociVersion':'1.0.0','linux':{'seccomp':{'syscalls':[]}}}");
        assert_null(s->linux_->seccomp);
}

static void check_default_spec(bool rootless)
{
        _cleanup_free_ char *json = rq_spec_default(rootless);
        assert_non_null(json);
        _cleanup_spec_ rq_spec *s = NULL;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_spec_parse(json, strlen(json), &s, &e), 0);

        assert_string_equal(s->oci_version, RQ_SPEC_VERSION);
        assert_string_equal(s->root->path, "rootfs");
        assert_true(s->root->readonly);
        assert_string_equal(s->hostname, "rongqi");
        assert_string_equal(s->process->args[0], "sh");
        assert_string_equal(s->process->cwd, "/");
        assert_true(s->process->terminal);
        assert_true(s->process->no_new_privileges);
        uint64_t caps =
                (1ULL << CAP_AUDIT_WRITE) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE);
        assert_int_equal(s->process->capabilities->bounding, caps);
        assert_int_equal(s->process->capabilities->effective, caps);
        assert_int_equal(s->process->capabilities->permitted, caps);
        assert_int_equal(s->process->capabilities->ambient, 0);
        assert_int_equal(s->process->rlimits[0].type, RLIMIT_NOFILE);
        /* rootless: no cgroup mount, the /sys bind brings the host's along */
        assert_int_equal(s->n_mounts, rootless ? 6 : 7);
        for (size_t i = 0; i < s->n_mounts; i++)
                assert_int_equal(streq(s->mounts[i].type, "cgroup"), !rootless && i == 6);
        assert_int_equal(s->linux_->n_masked_paths, 10);
        assert_int_equal(s->linux_->n_readonly_paths, 5);

        struct statfs fs;
        bool v2 = statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
        assert_int_equal(rq_spec_namespace_find(s, RQ_NS_CGROUP) != NULL, v2);
        assert_non_null(rq_spec_namespace_find(s, RQ_NS_PID));
        assert_non_null(rq_spec_namespace_find(s, RQ_NS_MNT));
        assert_int_equal(rq_spec_namespace_find(s, RQ_NS_USER) != NULL, rootless);
        assert_int_equal(rq_spec_namespace_find(s, RQ_NS_NET) == NULL, rootless);
        const rq_spec_mount *sys = &s->mounts[5];
        const rq_spec_mount *pts = &s->mounts[2];
        assert_string_equal(sys->destination, "/sys");
        assert_string_equal(pts->destination, "/dev/pts");
        if (rootless) {
                assert_string_equal(sys->type, "none");
                assert_int_equal(sys->parsed.flags,
                                 MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
                assert_string_equal(pts->parsed.data, "newinstance,ptmxmode=0666,mode=0620");
                assert_int_equal(s->linux_->n_uid_mappings, 1);
                assert_int_equal(s->linux_->uid_mappings[0].container_id, 0);
                assert_int_equal(s->linux_->uid_mappings[0].host_id, geteuid());
                assert_int_equal(s->linux_->gid_mappings[0].host_id, getegid());
                assert_null(s->linux_->resources);
        } else {
                assert_string_equal(sys->type, "sysfs");
                assert_string_equal(pts->parsed.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
                assert_null(s->linux_->uid_mappings);
                assert_int_equal(s->linux_->resources->n_devices, 1);
                assert_false(s->linux_->resources->devices[0].allow);
                assert_string_equal(s->linux_->resources->devices[0].access, "rwm");
        }
}

static void the_default_spec_parses_back(void **state)
{
        check_default_spec(false);
}

static void the_rootless_default_spec_parses_back(void **state)
{
        check_default_spec(true);
}

static void the_runtime_spec_example_parses(void **state)
{
        /* the "Configuration Schema Example" of the runtime-spec's config.md */
        _cleanup_spec_ rq_spec *s = load_fixture("spec-example.json");
        assert_string_equal(s->oci_version, "1.0.1");
        assert_string_equal(s->hostname, "slartibartfast");
        assert_int_equal(s->process->user.additional_gids[1], 6);
        assert_int_equal(s->process->io_priority->class, 3);
        assert_int_equal(s->hooks->list[RQ_HOOK_POSTSTART].hooks[0].timeout.value, 5);
        assert_int_equal(s->linux_->n_namespaces, 8);
        assert_int_equal(s->linux_->n_sysctl, 2);
        assert_true(s->linux_->resources->hugepage_limits[0].limit ==
                    UINT64_C(9223372036854772000));
        assert_int_equal(s->linux_->resources->network->class_id.value, 1048577);
        assert_int_equal(s->linux_->resources->block_io->n_weight_device, 2);
        assert_int_equal(s->linux_->seccomp->syscalls[0].action, RQ_SECCOMP_ACT_ERRNO);
        assert_false(s->linux_->seccomp->syscalls[0].errno_ret.set);
        assert_int_equal(s->linux_->time_offsets[1].secs, 604800);
        assert_int_equal(s->linux_->rootfs_propagation, MS_SLAVE);
}

static void runc_and_crun_spec_outputs_parse(void **state)
{
        const char *names[] = { "runc-spec.json", "runc-spec-rootless.json", "crun-spec.json",
                                "crun-spec-rootless.json" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_spec_ rq_spec *s = load_fixture(names[i]);
                assert_int_equal(s->version_major, 1);
                assert_int_equal(s->n_mounts, 7);
                assert_string_equal(s->process->args[0], "sh");
                assert_int_equal(s->process->rlimits[0].soft, 1024);
                assert_int_equal(s->linux_->n_masked_paths, 10);
                assert_int_equal(rq_spec_namespace_find(s, RQ_NS_USER) != NULL,
                                 strstr(names[i], "rootless") != NULL);
        }
}

#define V "'ociVersion':'1.1.0'"
#define PROC(x) "{" V ",'process':{'cwd':'/','args':['sh']," x "}}"
#define LINUX(x) "{" V ",'linux':{" x "}}"
#define NS(...) "'namespaces':[" __VA_ARGS__ "]"
#define RES(x) LINUX("'resources':{" x "}")
#define SECCOMP(x) LINUX("'seccomp':{" x "}")

static const struct invalid_doc {
        const char *doc;
        const char *error;
} invalid_docs[] = {
        { "[]", "expected an object, got an array" },
        { "{'process':{}}", "ociVersion: required" },
        { "{'ociVersion':1}", "ociVersion: expected a string, got an integer" },
        { "{" V ",'process':{'cwd':'/'}}", "process.args: required when process is present" },
        { "{" V ",'process':{'cwd':'/','args':[]}}", "process.args: must have at least one entry" },
        { "{" V ",'process':{'args':['sh']}}", "process.cwd: required when process is present" },
        { "{" V ",'process':{'cwd':'tmp','args':['sh']}}",
          "process.cwd: must be an absolute path, got \"tmp\"" },
        { "{" V ",'process':{'cwd':'/','args':['sh',null]}}",
          "process.args[1]: expected a string, got null" },
        { PROC("'terminal':'yes'"), "process.terminal: expected a boolean, got a string" },
        { PROC("'rlimits':[{'type':'RLIMIT_CORE','hard':1,'soft':1},"
               "{'type':'RLIMIT_AS','hard':1,'soft':1},{'type':'RLIMIT_FOO','hard':1,'soft':1}]"),
          "process.rlimits[2].type: unknown rlimit \"RLIMIT_FOO\"" },
        { PROC("'rlimits':[{'type':'RLIMIT_NOFILE','hard':1,'soft':1},"
               "{'type':'RLIMIT_NOFILE','hard':2,'soft':2}]"),
          "process.rlimits[1].type: rlimit \"RLIMIT_NOFILE\" is already listed at [0]" },
        { PROC("'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':2048}]"),
          "process.rlimits[0]: the soft limit 2048 is above the hard limit 1024" },
        { PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"),
          "process.rlimits[0].hard: required" },
        { PROC("'rlimits':[{'type':'RLIMIT_NOFILE','hard':-1,'soft':1}]"),
          "process.rlimits[0].hard: -1 is out of range (0 to 18446744073709551615)" },
        { PROC("'capabilities':{'bounding':['CAP_KILL','CAP_FOO']}"),
          "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"" },
        { PROC("'capabilities':{'ambient':['cap_chown']}"),
          "process.capabilities.ambient[0]: unknown capability \"cap_chown\"" },
        { PROC("'capabilities':{'effective':'CAP_KILL'}"),
          "process.capabilities.effective: expected an array, got a string" },
        { PROC("'env':['A=1','FOO']"), "process.env[1]: \"FOO\" is not NAME=VALUE" },
        { PROC("'env':['=x']"), "process.env[0]: \"=x\" is not NAME=VALUE" },
        { PROC("'oomScoreAdj':1001"), "process.oomScoreAdj: 1001 is out of range (-1000 to 1000)" },
        { PROC("'user':{'uid':-1}"), "process.user.uid: -1 is out of range (0 to 4294967295)" },
        { PROC("'user':{'gid':4294967296}"),
          "process.user.gid: 4294967296 is out of range (0 to 4294967295)" },
        { PROC("'user':{'additionalGids':[1,'2']}"),
          "process.user.additionalGids[1]: expected an integer, got a string" },
        { PROC("'user':{'umask':1.5}"),
          "process.user.umask: expected an integer, got a real number" },
        { PROC("'consoleSize':{'height':25}"),
          "process.consoleSize.width: required when process.consoleSize is present" },
        { PROC("'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}"),
          "process.ioPriority.priority: 8 is out of range (0 to 7)" },
        { PROC("'ioPriority':{'class':'IOPRIO_CLASS_XX'}"),
          "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_XX\"" },
        { PROC("'scheduler':{'policy':'SCHED_OTHER','priority':1}"),
          "process.scheduler: priority is only for SCHED_FIFO and SCHED_RR" },
        { PROC("'scheduler':{'policy':'SCHED_BATCH','nice':20}"),
          "process.scheduler: nice 20 is out of range (-20 to 19)" },
        { PROC("'scheduler':{'policy':'SCHED_RR','runtime':5}"),
          "process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE" },
        { PROC("'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_NOPE']}"),
          "process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_NOPE\"" },
        { PROC("'execCPUAffinity':{'final':'0-x'}"),
          "process.execCPUAffinity.final: \"0-x\" is not a list of numbers and ranges (like "
          "0-3,7)" },
        { "{" V ",'mounts':{}}", "mounts: expected an array, got an object" },
        { "{" V ",'mounts':[{'destination':'tmp'}]}",
          "mounts[0].destination: must be an absolute path, got \"tmp\"" },
        { "{" V ",'mounts':[{'source':'/x'}]}", "mounts[0].destination: required" },
        { "{" V ",'mounts':[{'destination':'/a'},{'destination':'/b',"
          "'uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
          "mounts[1]: uidMappings and gidMappings go together: give both" },
        { "{" V ",'mounts':[{'destination':'/a','options':['rbind','ridmap']}]}",
          "mounts[0].options: an id-mapped mount needs uidMappings and gidMappings, or a user "
          "namespace to take them from" },
        { "{" V ",'mounts':[{'destination':'/a','options':['rbind',7]}]}",
          "mounts[0].options[1]: expected a string, got an integer" },
        { "{" V ",'mounts':[{'destination':'/a','options':['private','shared','slave',"
          "'unbindable','rprivate']}]}",
          "mounts[0].options: more than 4 propagation options" },
        { "{" V ",'root':{'readonly':true}}", "root.path: required when root is present" },
        { "{" V ",'hooks':{'poststart':[{'path':'notify'}]}}",
          "hooks.poststart[0].path: must be an absolute path, got \"notify\"" },
        { "{" V ",'hooks':{'createRuntime':[{'path':'/x','timeout':0}]}}",
          "hooks.createRuntime[0].timeout: 0 is out of range (1 to 2147483647)" },
        { "{" V ",'annotations':{'com.example.x':1}}",
          "annotations[\"com.example.x\"]: expected a string, got an integer" },
        { "{" V ",'hostname':'h'}", "hostname: needs a uts namespace" },
        { "{" V ",'linux':{" NS("{'type':'uts'}") "},'domainname':7}",
          "domainname: expected a string, got an integer" },
        { LINUX(NS("{'type':'pid'},{'type':'pidd'}")),
          "linux.namespaces[1].type: unknown namespace type \"pidd\"" },
        { LINUX(NS("{'type':'net'}")), "linux.namespaces[0].type: unknown namespace type \"net\"" },
        { LINUX(NS("{'type':'pid'},{'type':'ipc'},{'type':'pid'}")),
          "linux.namespaces[2].type: namespace type \"pid\" is already listed at [0]" },
        { LINUX(NS("{'type':'network','path':'run/netns/x'}")),
          "linux.namespaces[0].path: must be an absolute path, got \"run/netns/x\"" },
        { LINUX(NS("{'path':'/proc/1/ns/pid'}")), "linux.namespaces[0].type: required" },
        { LINUX(NS("{'type':'pid'}") ",'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]"),
          "linux.uidMappings: needs a user namespace" },
        { LINUX(NS("{'type':'user'}") ",'uidMappings':[{'containerID':0,'hostID':1000,'size':10},"
                                      "{'containerID':5,'hostID':2000,'size':1}]"),
          "linux.uidMappings[1].containerID: the range overlaps that of [0]" },
        { LINUX(NS("{'type':'user'}") ",'gidMappings':[{'containerID':0,'hostID':1000,'size':10},"
                                      "{'containerID':10,'hostID':1009,'size':1}]"),
          "linux.gidMappings[1].hostID: the range overlaps that of [0]" },
        { LINUX(NS("{'type':'user'}") ",'uidMappings':[{'containerID':0,'hostID':1,'size':0}]"),
          "linux.uidMappings[0].size: must be greater than 0" },
        { LINUX(NS("{'type':'user'}") ",'gidMappings':[{'containerID':4294967295,'hostID':1,"
                                      "'size':2}]"),
          "linux.gidMappings[0]: the range ends above 4294967295" },
        { LINUX(NS("{'type':'user'}") ",'uidMappings':[{'containerID':0,'size':1}]"),
          "linux.uidMappings[0].hostID: required" },
        { LINUX(NS("{'type':'time'}") ",'timeOffsets':{'realtime':{'secs':1}}"),
          "linux.timeOffsets.realtime: unknown clock: a time namespace offsets monotonic and "
          "boottime only" },
        { LINUX(NS("{'type':'time'}") ",'timeOffsets':{'boottime':{'nanosecs':1000000000}}"),
          "linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range (0 to 999999999)" },
        { LINUX("'timeOffsets':{'monotonic':{'secs':1}}"),
          "linux.timeOffsets: needs a time namespace" },
        { LINUX(NS("{'type':'time','path':'/proc/1/ns/time'}") ",'timeOffsets':{'monotonic':{}}"),
          "linux.timeOffsets: cannot be set when joining the time namespace /proc/1/ns/time" },
        { LINUX("'devices':[{'type':'c','path':'/dev/x','minor':1}]"),
          "linux.devices[0].major: required for a device of type \"c\"" },
        { LINUX("'devices':[{'type':'x','path':'/dev/x'}]"),
          "linux.devices[0].type: unknown device type \"x\"" },
        { LINUX("'devices':[{'type':'p','path':'dev/x'}]"),
          "linux.devices[0].path: must be an absolute path, got \"dev/x\"" },
        { RES("'memory':{'limit':'1G'}"),
          "linux.resources.memory.limit: expected an integer, got a string" },
        { RES("'memory':{'reservation':1.0}"),
          "linux.resources.memory.reservation: expected an integer, got a real number" },
        { RES("'memory':{'limit':9223372036854775808}"),
          "linux.resources.memory.limit: 9223372036854775808 is out of range "
          "(-9223372036854775808 to 9223372036854775807)" },
        { RES("'memory':{'swappiness':101}"),
          "linux.resources.memory.swappiness: 101 is out of range (0 to 100)" },
        { RES("'memory':{'disableOOMKiller':1}"),
          "linux.resources.memory.disableOOMKiller: expected a boolean, got an integer" },
        { RES("'cpu':{'quota':100,'burst':200}"),
          "linux.resources.cpu: burst 200 is above quota 100" },
        { RES("'cpu':{'cpus':'1,,2'}"),
          "linux.resources.cpu.cpus: \"1,,2\" is not a list of numbers and ranges (like 0-3,7)" },
        { RES("'cpu':{'mems':'3-1'}"),
          "linux.resources.cpu.mems: \"3-1\" is not a list of numbers and ranges (like 0-3,7)" },
        { RES("'pids':{'limit':'max'}"),
          "linux.resources.pids.limit: expected an integer, got a string" },
        { RES("'blockIO':{'weight':70000}"),
          "linux.resources.blockIO.weight: 70000 is out of range (0 to 65535)" },
        { RES("'blockIO':{'weightDevice':[{'major':8,'minor':0}]}"),
          "linux.resources.blockIO.weightDevice[0]: needs at least one of weight, leafWeight" },
        { RES("'blockIO':{'throttleWriteIOPSDevice':[{'major':8,'minor':0}]}"),
          "linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: required" },
        { RES("'hugepageLimits':[{'pageSize':'2M','limit':1}]"),
          "linux.resources.hugepageLimits[0].pageSize: \"2M\" is not a page size like 2MB or 1GB" },
        { RES("'rdma':{'mlx5_1':{}}"),
          "linux.resources.rdma.mlx5_1: needs at least one of hcaHandles, hcaObjects" },
        { RES("'devices':[{'allow':true,'access':'rwx'}]"),
          "linux.resources.devices[0].access: \"rwx\" is not made of r, w and m" },
        { RES("'devices':[{'access':'rwm'}]"), "linux.resources.devices[0].allow: required" },
        { RES("'devices':[{'allow':true,'type':'p'}]"),
          "linux.resources.devices[0].type: unknown device type \"p\"" },
        { RES("'network':{'priorities':[{'name':'eth0'}]}"),
          "linux.resources.network.priorities[0].priority: required" },
        { RES("'unified':{'memory.max':1}"),
          "linux.resources.unified[\"memory.max\"]: expected a string, got an integer" },
        { LINUX("'rootfsPropagation':'rshared'"),
          "linux.rootfsPropagation: unknown rootfs propagation \"rshared\"" },
        { SECCOMP("'defaultAction':'SCMP_ACT_FOO'"),
          "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_FOO\"" },
        { SECCOMP("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW'}]"),
          "linux.seccomp.defaultAction: required when linux.seccomp is present" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86','SCMP_ARCH_"
                  "Z80']"),
          "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\"" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_NEW_LISTENER']"),
          "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_LOG'"
                  "}]"),
          "linux.seccomp.syscalls[0].names: must have at least one entry" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
                  "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_FOO'}]}]"),
          "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_FOO\"" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
                  "'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]"),
          "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0 to 5)" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
                  "'action':'SCMP_ACT_ERRNO','args':[{'index':1,'op':'SCMP_CMP_EQ'}]}]"),
          "linux.seccomp.syscalls[0].args[0].value: required" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
                  "'action':'SCMP_ACT_ALLOW','errnoRet':1}]"),
          "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an "
          "errno, not SCMP_ACT_ALLOW" },
        { SECCOMP("'defaultAction':'SCMP_ACT_KILL','defaultErrnoRet':1"),
          "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an "
          "errno, not SCMP_ACT_KILL" },
        { SECCOMP("'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/run/a.sock'"),
          "linux.seccomp: SCMP_ACT_NOTIFY cannot be the defaultAction" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
                  "'action':'SCMP_ACT_NOTIFY'}]"),
          "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs a listenerPath to send the "
          "notification fd to" },
        { SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','listenerMetadata':'x'"),
          "linux.seccomp: listenerMetadata is only used with a listenerPath" },
        { LINUX(NS("{'type':'mount'}") ",'maskedPaths':['proc/kcore']"),
          "linux.maskedPaths[0]: must be an absolute path, got \"proc/kcore\"" },
        { LINUX("'readonlyPaths':['/proc/sys']"), "linux.readonlyPaths: needs a mount namespace" },
        { LINUX(NS("{'type':'ipc'},{'type':'network'}") ",'sysctl':{'vm.swappiness':'0'}"),
          "linux.sysctl[\"vm.swappiness\"]: not namespaced: setting it in a container changes "
          "the host" },
        { LINUX(NS("{'type':'ipc'}") ",'sysctl':{'net.ipv4.ip_forward':'1'}"),
          "linux.sysctl[\"net.ipv4.ip_forward\"]: needs its own network namespace, else it "
          "changes the host's setting" },
        { LINUX(NS("{'type':'network'}") ",'sysctl':{'kernel/msgmax':'1'}"),
          "linux.sysctl[\"kernel/msgmax\"]: needs its own ipc namespace, else it changes the "
          "host's setting" },
        { LINUX(NS("{'type':'uts'}") ",'sysctl':{'kernel.hostname':'x'}"),
          "linux.sysctl[\"kernel.hostname\"]: set the hostname with the \"hostname\" field "
          "instead" },
        { LINUX("'netDevices':{'eth0':{}}"), "linux.netDevices: needs a network namespace" },
        { LINUX(NS("{'type':'network'}") ",'netDevices':{'eth0':{'name':'a/b'}}"),
          "linux.netDevices.eth0: \"a/b\" is not a valid network interface name" },
        { LINUX("'intelRdt':{'memBwSchema':'L3:0=1'}"),
          "linux.intelRdt.memBwSchema: must start with \"MB:\", got \"L3:0=1\"" },
        { LINUX("'intelRdt':{'schemata':['L3:0=1\\nMB:0=2']}"),
          "linux.intelRdt.schemata[0]: must not contain a newline" },
        { LINUX("'memoryPolicy':{'mode':'MPOL_FOO'}"),
          "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_FOO\"" },
        { LINUX("'memoryPolicy':{'mode':'MPOL_BIND'}"),
          "linux.memoryPolicy: MPOL_BIND needs at least one node in \"nodes\"" },
        { LINUX("'memoryPolicy':{'mode':'MPOL_LOCAL','nodes':'0'}"),
          "linux.memoryPolicy: MPOL_LOCAL takes no nodes" },
        { LINUX("'personality':{'domain':'LINUX64'}"),
          "linux.personality.domain: unknown personality domain \"LINUX64\"" },
        { LINUX("'personality':{'domain':'LINUX','flags':['ADDR_NO_RANDOMIZE']}"),
          "linux.personality.flags[0]: unknown personality flag \"ADDR_NO_RANDOMIZE\"" },
        { "{" V ",'linux':[]}", "linux: expected an object, got an array" },
};

static void invalid_documents_are_refused_with_the_json_path(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid_docs); i++)
                assert_refused(invalid_docs[i].doc, invalid_docs[i].error, "document");
}

static void hints_say_how_to_fix_it(void **state)
{
        const struct {
                const char *doc, *hint;
        } cases[] = {
                { LINUX("'uidMappings':[{'containerID':0,'hostID':1,'size':1}]"),
                  "add {\"type\": \"user\"} to linux.namespaces" },
                { LINUX(NS("{'type':'pidd'}")),
                  "valid values: pid, network, mount, ipc, uts, user, cgroup, time" },
                { PROC("'capabilities':{'bounding':['NET_ADMIN']}"),
                  "capabilities are named as in capabilities(7), in upper case: CAP_NET_ADMIN" },
                { LINUX("'personality':{'domain':'LINUX','flags':['X']}"),
                  "no personality flag is defined by the runtime-spec yet" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *json = unquote(cases[i].doc);
                _cleanup_error_ rq_error *e = NULL;
                rq_spec *s = NULL;
                assert_int_equal(rq_spec_parse(json, strlen(json), &s, &e), -EINVAL);
                assert_string_equal(rq_error_get_hint(e), cases[i].hint);
        }
}

static void every_1_x_version_is_read_and_others_are_refused(void **state)
{
        const char *accepted[] = { "1.0.0",     "1.0.0-rc5",  "1.0.0-rc5-dev", "1.0.1", "1.0.2",
                                   "1.0.2-dev", "1.1.0-rc.1", "1.1.0",         "1.2.0", "1.2.1",
                                   "1.3.0",     "1.3.0+dev",  "1.3.1-a.b+c",   "1.99.0" };
        for (size_t i = 0; i < ELEMENTSOF(accepted); i++) {
                _cleanup_free_ char *doc = strprintf("{'ociVersion':'%s'}", accepted[i]);
                _cleanup_spec_ rq_spec *s = parse_ok(doc);
                assert_string_equal(s->oci_version, accepted[i]);
                assert_int_equal(s->version_major, 1);
        }

        const struct {
                const char *version, *error;
        } refused[] = {
                { "2.0.0", "ociVersion: version \"2.0.0\" is not supported: rongqi reads "
                           "runtime-spec 1.x (1.0.0 to " RQ_SPEC_VERSION " and later 1.x "
                           "releases)" },
                { "0.5.0-dev", "ociVersion: version \"0.5.0-dev\" is not supported: rongqi reads "
                               "runtime-spec 1.x (1.0.0 to " RQ_SPEC_VERSION " and later 1.x "
                               "releases)" },
                { "1.0", "ociVersion: \"1.0\" is not a semantic version (MAJOR.MINOR.PATCH)" },
                { "01.0.0",
                  "ociVersion: \"01.0.0\" is not a semantic version (MAJOR.MINOR.PATCH)" },
                { "v1.0.0",
                  "ociVersion: \"v1.0.0\" is not a semantic version (MAJOR.MINOR.PATCH)" },
                { "1.0.0-",
                  "ociVersion: \"1.0.0-\" is not a semantic version (MAJOR.MINOR.PATCH)" },
                { "1.0.0-rc..1",
                  "ociVersion: \"1.0.0-rc..1\" is not a semantic version (MAJOR.MINOR.PATCH)" },
                { "1.0.0+",
                  "ociVersion: \"1.0.0+\" is not a semantic version (MAJOR.MINOR.PATCH)" },
                { "", "ociVersion: \"\" is not a semantic version (MAJOR.MINOR.PATCH)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                _cleanup_free_ char *doc = strprintf("{'ociVersion':'%s'}", refused[i].version);
                assert_refused(doc, refused[i].error, "version");
        }
}

static void malformed_json_reports_line_and_column(void **state)
{
        const struct {
                const char *doc, *error;
        } cases[] = {
                { "{\n  'ociVersion': '1.0.0',\n  'process': {,}\n}",
                  "invalid JSON at line 3, column 15: string or '}' expected near ','" },
                { "", "invalid JSON at line 1, column 0: '[' or '{' expected near end of file" },
                { "{'ociVersion':'1.0.0'} x",
                  "invalid JSON at line 1, column 24: end of file expected near 'x'" },
                /* after a rewritten uint64 literal the column is still that of the text */
                { "{'a': 18446744073709551615, x}",
                  "invalid JSON at line 1, column 29: string or '}' expected near 'x'" },
                { "{'a': 18446744073709551616}",
                  "invalid JSON at line 1, column 26: too big integer near "
                  "'18446744073709551616'" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_refused(cases[i].doc, cases[i].error, "malformed document");
}

static void uint64_values_above_int64_max_are_exact(void **state)
{
        /* A negative value in the document that looks like a sentinel stays what it is. */
        _cleanup_spec_ rq_spec *s = parse_ok(
                "{'ociVersion':'1.0.0','annotations':{'a':'18446744073709551615'},"
                "'process':{'cwd':'/','args':['x'],'rlimits':["
                "{'type':'RLIMIT_CPU','hard':9999999999999999999,'soft':9223372036854775808},"
                "{'type':'RLIMIT_AS','hard':18446744073709551615,'soft':10000000000000000000}]},"
                "'linux':{'resources':{'memory':{'limit':-100000000000000000,"
                "'swap':-1000000000000000000},'cpu':{'shares':18446744073709551614}}}}");
        assert_true(s->process->rlimits[0].hard == UINT64_C(9999999999999999999));
        assert_true(s->process->rlimits[0].soft == UINT64_C(9223372036854775808));
        assert_true(s->process->rlimits[1].hard == UINT64_MAX);
        assert_true(s->process->rlimits[1].soft == UINT64_C(10000000000000000000));
        assert_true(s->linux_->resources->memory->limit.value == -100000000000000000);
        assert_true(s->linux_->resources->memory->swap.value == -1000000000000000000);
        assert_true(s->linux_->resources->cpu->shares.value == UINT64_MAX - 1);
        assert_string_equal(s->annotations[0].value, "18446744073709551615");
}

static void mount_options_are_parsed_like_runc(void **state)
{
        const struct {
                const char *options[6];
                unsigned long flags, cleared;
                unsigned long propagation[2];
                uint64_t attr_set, attr_clr;
                unsigned extensions;
                rq_mount_idmap idmap;
                const char *data;
        } cases[] = {
                { { "ro", "nosuid", "nodev", "noexec" },
                  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC },
                { { "ro", "rw", "suid", "dev", "exec" },
                  0,
                  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC },
                { { "sync", "async", "dirsync", "remount", "mand" },
                  MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK,
                  MS_SYNCHRONOUS },
                { { "nomand", "noatime", "nodiratime", "relatime", "strictatime", "lazytime" },
                  MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME,
                  MS_MANDLOCK },
                { { "atime", "diratime", "norelatime", "nostrictatime", "nolazytime" },
                  0,
                  MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME },
                { { "bind", "private" }, MS_BIND, 0, { MS_PRIVATE } },
                { { "rbind", "rslave", "shared" },
                  MS_BIND | MS_REC,
                  0,
                  { MS_SLAVE | MS_REC, MS_SHARED } },
                { { "rshared", "unbindable" }, 0, 0, { MS_SHARED | MS_REC, MS_UNBINDABLE } },
                { { "runbindable", "rprivate" },
                  0,
                  0,
                  { MS_UNBINDABLE | MS_REC, MS_PRIVATE | MS_REC } },
                { { "slave" }, 0, 0, { MS_SLAVE } },
                { { "rro", "rnosuid", "rnodev", "rnoexec" },
                  0,
                  0,
                  {},
                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC },
                { { "rro", "rrw", "rsuid" }, 0, 0, {}, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID },
                /* an atime mode is set with MOUNT_ATTR__ATIME in attr_clr */
                { { "rnoatime" }, 0, 0, {}, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
                { { "rrelatime" }, 0, 0, {}, 0, MOUNT_ATTR__ATIME },
                { { "ratime", "rnodiratime" },
                  0,
                  0,
                  {},
                  MOUNT_ATTR_NODIRATIME,
                  MOUNT_ATTR_NOATIME | MOUNT_ATTR__ATIME },
                { { "tmpcopyup", "idmap" },
                  0,
                  0,
                  {},
                  0,
                  0,
                  RQ_MOUNT_EXT_TMPCOPYUP,
                  RQ_MOUNT_IDMAP },
                { { "ridmap", "nosymfollow" },
                  MS_NOSYMFOLLOW,
                  0,
                  {},
                  0,
                  0,
                  0,
                  RQ_MOUNT_IDMAP_RECURSIVE },
                { { "defaults", "mode=755", "ro", "size=65536k", "newinstance" },
                  MS_RDONLY,
                  0,
                  {},
                  0,
                  0,
                  0,
                  0,
                  "mode=755,size=65536k,newinstance" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = 0;
                while (n < ELEMENTSOF(cases[i].options) && cases[i].options[n])
                        n++;
                char data[256];
                rq_mount_options m;
                assert_int_equal(
                        rq_mount_options_parse((char *const *)cases[i].options, n, &m, data), 0);
                assert_int_equal(m.flags, cases[i].flags);
                assert_int_equal(m.cleared, cases[i].cleared);
                size_t n_prop = cases[i].propagation[1] ? 2 : cases[i].propagation[0] ? 1 : 0;
                assert_int_equal(m.n_propagation, n_prop);
                for (size_t k = 0; k < n_prop; k++)
                        assert_int_equal(m.propagation[k], cases[i].propagation[k]);
                assert_int_equal(m.attr_set, cases[i].attr_set);
                assert_int_equal(m.attr_clr, cases[i].attr_clr);
                assert_int_equal(m.extensions, cases[i].extensions);
                assert_int_equal(m.idmap, cases[i].idmap);
                if (cases[i].data)
                        assert_string_equal(m.data, cases[i].data);
                else
                        assert_null(m.data);
        }
}

static void capability_names_become_bits(void **state)
{
        const struct {
                const char *name;
                int cap;
        } caps[] = {
                { "CAP_CHOWN", CAP_CHOWN },
                { "CAP_NET_ADMIN", CAP_NET_ADMIN },
                { "CAP_SYS_ADMIN", CAP_SYS_ADMIN },
                { "CAP_AUDIT_WRITE", CAP_AUDIT_WRITE },
                { "CAP_BPF", 39 },
                { "CAP_CHECKPOINT_RESTORE", 40 },
        };
        for (size_t i = 0; i < ELEMENTSOF(caps); i++) {
                _cleanup_free_ char *doc =
                        strprintf(PROC("'capabilities':{'permitted':['%s']}"), caps[i].name);
                _cleanup_spec_ rq_spec *s = parse_ok(doc);
                assert_int_equal(s->process->capabilities->permitted, 1ULL << caps[i].cap);
        }
        const char *unknown[] = { "CAP_FOO", "cap_kill", "CAP_", "KILL", "12", "CAP_12" };
        for (size_t i = 0; i < ELEMENTSOF(unknown); i++) {
                _cleanup_free_ char *doc =
                        strprintf(PROC("'capabilities':{'permitted':['%s']}"), unknown[i]);
                _cleanup_free_ char *expected = strprintf(
                        "process.capabilities.permitted[0]: unknown capability \"%s\"", unknown[i]);
                assert_refused(doc, expected, "capability");
        }
}

static void rlimit_names_become_rlimit_numbers(void **state)
{
        const struct {
                const char *name;
                int resource;
        } limits[] = {
#define LIMIT(x) { "RLIMIT_" #x, RLIMIT_##x }
                LIMIT(AS),     LIMIT(CORE),   LIMIT(CPU),        LIMIT(DATA),
                LIMIT(FSIZE),  LIMIT(LOCKS),  LIMIT(MEMLOCK),    LIMIT(MSGQUEUE),
                LIMIT(NICE),   LIMIT(NOFILE), LIMIT(NPROC),      LIMIT(RSS),
                LIMIT(RTPRIO), LIMIT(RTTIME), LIMIT(SIGPENDING), LIMIT(STACK),
        };
        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                _cleanup_free_ char *doc = strprintf(
                        PROC("'rlimits':[{'type':'%s','hard':2,'soft':1}]"), limits[i].name);
                _cleanup_spec_ rq_spec *s = parse_ok(doc);
                assert_int_equal(s->process->rlimits[0].type, limits[i].resource);
                assert_int_equal(s->process->rlimits[0].hard, 2);
        }
        assert_refused(PROC("'rlimits':[{'type':'rlimit_nofile','hard':1,'soft':1}]"),
                       "process.rlimits[0].type: unknown rlimit \"rlimit_nofile\"", "rlimit");
}

static void load_names_the_file(void **state)
{
        _cleanup_close_ int dir = open(SPEC_FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dir >= 0);
        rq_spec *s = NULL;
        _cleanup_error_ rq_error *e = NULL;
        assert_int_equal(rq_spec_load(dir, "missing.json", &s, &e), -ENOENT);
        _cleanup_free_ char *msg = rq_error_format(e);
        assert_string_equal(msg, "read missing.json: No such file or directory");
        assert_null(s);

        char path[] = "/tmp/test-spec-XXXXXX";
        _cleanup_close_ int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *doc = "{\"ociVersion\": \"1.0.0\", \"process\": {\"cwd\": \"/\"}}";
        assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
        rq_error_free(TAKE_PTR(e));
        assert_int_equal(rq_spec_load(AT_FDCWD, path, &s, &e), -EINVAL);
        unlink(path);
        free(msg);
        msg = rq_error_format(e);
        _cleanup_free_ char *expected =
                strprintf("%s: process.args: required when process is present", path);
        assert_string_equal(msg, expected);
        assert_int_equal(rq_error_errno(e), EINVAL);
}

static void a_long_key_is_cut_short_in_the_path(void **state)
{
        char key[2000];
        memset(key, 'k', sizeof(key) - 1);
        key[sizeof(key) - 1] = 0;
        _cleanup_free_ char *doc = strprintf("{'ociVersion':'1.0.0','annotations':{'%s':1}}", key);
        _cleanup_free_ char *json = unquote(doc);
        _cleanup_error_ rq_error *e = NULL;
        rq_spec *s = NULL;
        assert_int_equal(rq_spec_parse(json, strlen(json), &s, &e), -EINVAL);
        assert_true(startswith(e->msg, "annotations.kkkk"));
        assert_true(strlen(e->msg) < 600);
}

/* Every byte of a full document changed in turn: each result is a spec or an error, and
 * (under ASan) nothing leaks or overruns on the error paths of half-read documents. */
static void damaged_documents_never_crash(void **state)
{
        _cleanup_close_ int dir = open(SPEC_FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dir >= 0);
        _cleanup_close_ int fd = openat(dir, "full.json", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        char text[16384];
        ssize_t n = read(fd, text, sizeof(text) - 1);
        assert_true(n > 0 && n < (ssize_t)sizeof(text) - 1);
        text[n] = 0;
        size_t accepted = 0, refused = 0;
        for (ssize_t i = 0; i < n; i++) {
                char saved = text[i];
                /* The indentation and the inside of words tell nothing new. */
                if (strchr(" \n", saved) ||
                    (i > 0 && isalnum((unsigned char)saved) && isalnum((unsigned char)text[i - 1])))
                        continue;
                for (const char *m = "x\"-"; *m; m++) {
                        text[i] = *m;
                        rq_spec *s = NULL;
                        _cleanup_error_ rq_error *e = NULL;
                        int r = rq_spec_parse(text, (size_t)n, &s, &e);
                        assert_true(r == 0 || r == -EINVAL);
                        assert_true((r == 0) == (s != NULL) && (r == 0) == (e == NULL));
                        accepted += r == 0;
                        refused += r < 0;
                        rq_spec_free(s);
                }
                text[i] = saved;
                /* and cut short before the final '}' */
                rq_spec *s = NULL;
                _cleanup_error_ rq_error *e = NULL;
                if (i <= strrchr(text, '}') - text)
                        assert_int_equal(rq_spec_parse(text, (size_t)i, &s, &e), -EINVAL);
        }
        assert_true(accepted > 0 && refused > accepted);
}

static void memory_added_to_a_spec_is_freed_with_it(void **state)
{
        _cleanup_spec_ rq_spec *s = parse_ok("{'ociVersion':'1.0.0'}");
        s->hostname = rq_spec_strdup(s, "added");
        assert_string_equal(s->hostname, "added");
        rq_spec_mount *m = rq_spec_alloc(s, sizeof(*m));
        assert_non_null(m);
        assert_null(m->destination);
        assert_null(rq_spec_namespace_find(s, RQ_NS_PID));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_full_config_comes_out_with_every_value),
                cmocka_unit_test(absent_optional_values_are_not_zero),
                cmocka_unit_test(unknown_fields_are_ignored_and_null_is_absent),
                cmocka_unit_test(an_empty_seccomp_object_means_no_filter),
                cmocka_unit_test(the_default_spec_parses_back),
                cmocka_unit_test(the_rootless_default_spec_parses_back),
                cmocka_unit_test(the_runtime_spec_example_parses),
                cmocka_unit_test(runc_and_crun_spec_outputs_parse),
                cmocka_unit_test(invalid_documents_are_refused_with_the_json_path),
                cmocka_unit_test(hints_say_how_to_fix_it),
                cmocka_unit_test(every_1_x_version_is_read_and_others_are_refused),
                cmocka_unit_test(malformed_json_reports_line_and_column),
                cmocka_unit_test(uint64_values_above_int64_max_are_exact),
                cmocka_unit_test(mount_options_are_parsed_like_runc),
                cmocka_unit_test(capability_names_become_bits),
                cmocka_unit_test(rlimit_names_become_rlimit_numbers),
                cmocka_unit_test(load_names_the_file),
                cmocka_unit_test(a_long_key_is_cut_short_in_the_path),
                cmocka_unit_test(damaged_documents_never_crash),
                cmocka_unit_test(memory_added_to_a_spec_is_freed_with_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
