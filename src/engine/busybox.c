/* The built-in busybox layer: checking that the host's binary is a statically linked ELF
 * executable, running it (no shell) to learn its applets and version, and writing a
 * reproducible ustar with libarchive through a sink that hashes what it writes. busybox.h
 * describes the layout and why it is byte-for-byte reproducible. */
#include "engine/archive-dl.h"
#include "engine/busybox.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"
#include "basic/string-util.h"

#define NEEDS_STATIC "the built-in busybox image needs a statically linked busybox"
#define PACKAGE_HINT "install the package busybox-static (apt-get install busybox-static)"

/* Accounts as in Docker's official busybox image (buildroot's skeleton); every password is
 * locked in /etc/shadow. */
static const char etc_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                 "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                                 "bin:x:2:2:bin:/bin:/bin/false\n"
                                 "sys:x:3:3:sys:/dev:/bin/false\n"
                                 "sync:x:4:100:sync:/bin:/bin/sync\n"
                                 "mail:x:8:8:mail:/var/spool/mail:/bin/false\n"
                                 "www-data:x:33:33:www-data:/var/www:/bin/false\n"
                                 "operator:x:37:37:Operator:/var:/bin/false\n"
                                 "nobody:x:65534:65534:nobody:/home:/bin/false\n";
static const char etc_group[] = "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\n"
                                "disk:x:6:\nlp:x:7:\nmail:x:8:\nkmem:x:9:\nwheel:x:10:root\n"
                                "cdrom:x:11:\ndialout:x:18:\nfloppy:x:19:\nvideo:x:28:\n"
                                "audio:x:29:\ntape:x:32:\nwww-data:x:33:\noperator:x:37:\n"
                                "utmp:x:43:\nplugdev:x:46:\nstaff:x:50:\nlock:x:54:\n"
                                "netdev:x:82:\nusers:x:100:\nnogroup:x:65534:\n";
static const char etc_shadow[] = "root:*:::::::\ndaemon:*:::::::\nbin:*:::::::\nsys:*:::::::\n"
                                 "sync:*:::::::\nmail:*:::::::\nwww-data:*:::::::\n"
                                 "operator:*:::::::\nnobody:*:::::::\n";

/* Everything after bin/, in the order written (sorted by name). */
static const struct skeleton_entry {
        const char *name;
        unsigned type; /* AE_IFDIR, AE_IFREG or AE_IFLNK */
        unsigned perm;
        const char *content; /* file contents or symlink target */
} skeleton[] = {
        { "dev", AE_IFDIR, 0755, NULL },
        { "etc", AE_IFDIR, 0755, NULL },
        { "etc/group", AE_IFREG, 0644, etc_group },
        { "etc/passwd", AE_IFREG, 0644, etc_passwd },
        { "etc/shadow", AE_IFREG, 0600, etc_shadow },
        { "home", AE_IFDIR, 0755, NULL },
        { "proc", AE_IFDIR, 0755, NULL },
        { "root", AE_IFDIR, 0700, NULL },
        { "sbin", AE_IFDIR, 0755, NULL },
        { "sys", AE_IFDIR, 0755, NULL },
        { "tmp", AE_IFDIR, 01777, NULL },
        { "usr", AE_IFDIR, 0755, NULL },
        { "usr/bin", AE_IFDIR, 0755, NULL },
        { "usr/bin/env", AE_IFLNK, 0777, "../../bin/env" }, /* written when env is an applet */
        { "usr/sbin", AE_IFDIR, 0755, NULL },
        { "var", AE_IFDIR, 0755, NULL },
        { "var/spool", AE_IFDIR, 0755, NULL },
        { "var/spool/mail", AE_IFDIR, 0755, NULL },
        { "var/www", AE_IFDIR, 0755, NULL },
};

/* ELF machine, class and byte order to OCI architecture names (0: any class or order). */
static const struct oci_arch {
        unsigned machine, class, data;
        const char *arch, *variant;
} oci_arches[] = {
        { EM_X86_64, ELFCLASS64, 0, "amd64", "" },
        { EM_386, ELFCLASS32, 0, "386", "" },
        { EM_AARCH64, ELFCLASS64, 0, "arm64", "v8" },
        { EM_ARM, ELFCLASS32, 0, "arm", "" },
        { EM_PPC64, ELFCLASS64, ELFDATA2LSB, "ppc64le", "" },
        { EM_PPC64, ELFCLASS64, ELFDATA2MSB, "ppc64", "" },
        { EM_S390, ELFCLASS64, 0, "s390x", "" },
        { EM_RISCV, ELFCLASS64, 0, "riscv64", "" },
        { EM_MIPS, ELFCLASS64, ELFDATA2LSB, "mips64le", "" },
        { EM_MIPS, ELFCLASS32, ELFDATA2LSB, "mipsle", "" },
        { EM_LOONGARCH, ELFCLASS64, 0, "loong64", "" },
};

static int not_usable(rq_error **reterr, int err, const char *path, const char *why)
{
        rq_error_set_plain(reterr, err, "%s %s: " NEEDS_STATIC " (package busybox-static)", path,
                           why);
        return rq_error_hint(reterr, PACKAGE_HINT);
}

static uint64_t get_uint(const unsigned char *p, size_t n, bool le)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v |= (uint64_t)p[le ? i : n - 1 - i] << (8 * i);
        return v;
}

/* Check that fd is an ELF executable without a PT_INTERP program header (no dynamic loader:
 * static, or static-pie), and name its architecture. */
static int elf_check(int fd, const char *path, rq_busybox_info *info, rq_error **reterr)
{
        unsigned char eh[sizeof(Elf64_Ehdr)] = { 0 };
        ssize_t n = pread(fd, eh, sizeof(eh), 0);
        if (n < 0)
                return rq_error_set(reterr, errno, "read %s", path);
        bool is64 = eh[EI_CLASS] == ELFCLASS64, le = eh[EI_DATA] == ELFDATA2LSB;
        if ((size_t)n < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)) ||
            memcmp(eh, ELFMAG, SELFMAG) != 0 || (!is64 && eh[EI_CLASS] != ELFCLASS32) ||
            (!le && eh[EI_DATA] != ELFDATA2MSB))
                return not_usable(reterr, ENOEXEC, path, "is not an ELF executable");

#define EH(field)                                                                                  \
        (is64 ? get_uint(eh + offsetof(Elf64_Ehdr, field), sizeof(((Elf64_Ehdr *)0)->field), le)   \
              : get_uint(eh + offsetof(Elf32_Ehdr, field), sizeof(((Elf32_Ehdr *)0)->field), le))
        uint64_t type = EH(e_type), machine = EH(e_machine), phoff = EH(e_phoff);
        uint64_t phentsize = EH(e_phentsize), phnum = EH(e_phnum);
#undef EH
        if (type != ET_EXEC && type != ET_DYN)
                return not_usable(reterr, ENOEXEC, path, "is not an ELF executable");
        if (phnum == 0 || phnum > 4096 || phentsize < 4 || phentsize > 1024)
                return not_usable(reterr, ENOEXEC, path, "has no usable ELF program headers");

        size_t size = phnum * phentsize;
        _cleanup_free_ unsigned char *ph = malloc(size);
        if (!ph)
                return rq_error_set(reterr, ENOMEM, "read %s", path);
        n = pread(fd, ph, size, (off_t)phoff);
        if (n < 0)
                return rq_error_set(reterr, errno, "read %s", path);
        if ((size_t)n != size)
                return not_usable(reterr, ENOEXEC, path, "has truncated ELF program headers");
        for (size_t i = 0; i < phnum; i++)
                if (get_uint(ph + i * phentsize, 4, le) == PT_INTERP)
                        return not_usable(reterr, ENOEXEC, path,
                                          "is dynamically linked (it names an ELF interpreter)");

        for (size_t i = 0; i < ELEMENTSOF(oci_arches); i++) {
                const struct oci_arch *a = &oci_arches[i];
                if (a->machine == machine && a->class == eh[EI_CLASS] &&
                    (!a->data || a->data == eh[EI_DATA])) {
                        snprintf(info->arch, sizeof(info->arch), "%s", a->arch);
                        snprintf(info->variant, sizeof(info->variant), "%s", a->variant);
                        return 0;
                }
        }
        return rq_error_set_plain(reterr, ENOEXEC,
                                  "%s: ELF machine %u has no OCI architecture name known to rongqi",
                                  path, (unsigned)machine);
}

/* Run `busybox ARG` with stdin and stderr on /dev/null and a fixed environment; return its
 * stdout and wait status. */
static int busybox_run(const char *path, const char *arg, char **ret_out, int *ret_status,
                       rq_error **reterr)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return rq_error_set(reterr, errno, "run %s %s: pipe", path, arg);
        _cleanup_close_ int rd = p[0], wr = p[1];

        posix_spawn_file_actions_t fa;
        int r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return rq_error_set(reterr, r, "run %s %s", path, arg);
        r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, wr, 1);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        /* argv[0] "busybox" whatever the file is called: busybox picks the applet by it. */
        char *argv[] = { (char *)"busybox", (char *)arg, NULL };
        char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL };
        pid_t pid = 0;
        if (r == 0)
                r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return rq_error_set(reterr, r, "run %s %s", path, arg);
        wr = safe_close(wr);

        _cleanup_free_ char *out = NULL;
        int rr = read_full_fd(rd, &out, NULL);
        int status;
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rq_error_set(reterr, errno, "run %s %s: wait", path, arg);
        if (rr < 0)
                return rq_error_set(reterr, rr, "run %s %s: read its output", path, arg);
        *ret_out = TAKE_PTR(out);
        *ret_status = status;
        return 0;
}

/* "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary." -> the part between. */
static int version_read(const char *path, rq_busybox_info *info, rq_error **reterr)
{
        _cleanup_free_ char *out = NULL;
        int status;
        int r = busybox_run(path, "--help", &out, &status, reterr);
        if (r < 0)
                return r;
        const char *v = startswith(out, "BusyBox ");
        if (!v)
                return not_usable(reterr, EINVAL, path, "does not say it is BusyBox in --help");
        size_t n = strcspn(v, "\n");
        const char *suffix = " multi-call binary.";
        if (n > strlen(suffix) && strncmp(v + n - strlen(suffix), suffix, strlen(suffix)) == 0)
                n -= strlen(suffix);
        if (n >= sizeof(info->version))
                n = sizeof(info->version) - 1;
        memcpy(info->version, v, n);
        info->version[n] = '\0';
        str_sanitize(info->version);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An applet name that is safe as a file name in bin/ and fits a ustar name field. */
static bool applet_name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 90 || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~' || s[i] == '/')
                        return false;
        return true;
}

/* `busybox --list`: one applet name per line. Returns the names sorted, without "busybox" and
 * duplicates, as pointers into out. */
static int applets_read(const char *path, char **ret_out, char ***ret_list, size_t *ret_n,
                        rq_error **reterr)
{
        _cleanup_free_ char *out = NULL;
        int status;
        int r = busybox_run(path, "--list", &out, &status, reterr);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return rq_error_set_plain(reterr, EIO, "%s --list failed (wait status %d)", path,
                                          status);
        size_t max = 1;
        for (const char *c = out; *c; c++)
                max += *c == '\n';
        _cleanup_free_ char **list = calloc(max, sizeof(char *));
        if (!list)
                return rq_error_set(reterr, ENOMEM, "%s --list", path);
        size_t n = 0;
        for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                if (!applet_name_valid(line))
                        return rq_error_set_plain(
                                reterr, EINVAL, "%s --list printed an unusable applet name", path);
                if (!streq(line, "busybox"))
                        list[n++] = line;
        }
        if (n == 0)
                return rq_error_set_plain(reterr, EINVAL, "%s --list printed no applets", path);
        qsort(list, n, sizeof(char *), cmp_str);
        size_t u = 0;
        for (size_t i = 0; i < n; i++)
                if (u == 0 || !streq(list[u - 1], list[i]))
                        list[u++] = list[i];
        *ret_out = TAKE_PTR(out);
        *ret_list = TAKE_PTR(list);
        *ret_n = u;
        return 0;
}

/* The archive's output: the caller's fd, hashed on the way. */
typedef struct tar_sink {
        int fd;
        rq_sha256 *hash;
} tar_sink;

static la_ssize_t sink_write(struct archive *a, void *userdata, const void *buf, size_t len)
{
        tar_sink *s = userdata;
        int r = write_all(s->fd, buf, len);
        if (r < 0) {
                archive_set_error(a, -r, "%s", strerror(-r));
                return -1;
        }
        rq_sha256_update(s->hash, buf, len);
        return (la_ssize_t)len;
}

typedef struct layer {
        struct archive *a;
        struct archive_entry *e;
        int64_t mtime;
} layer;

static int archive_fail(layer *l, const char *name, rq_error **reterr)
{
        int err = archive_errno(l->a);
        return rq_error_set_plain(reterr, err > 0 ? err : EIO, "write the busybox layer (%s): %s",
                                  name, archive_error_string(l->a) ?: "unknown error");
}

/* Write one header, 0:0 and the layer's mtime; link is a symlink target (AE_IFLNK) or the
 * hard link target (AE_IFREG with size 0). */
static int entry_begin(layer *l, const char *name, unsigned type, unsigned perm, int64_t size,
                       const char *link, rq_error **reterr)
{
        struct archive_entry *e = archive_entry_clear(l->e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_mtime(e, l->mtime, 0);
        archive_entry_set_size(e, size);
        if (link && type == AE_IFLNK)
                archive_entry_set_symlink(e, link);
        else if (link)
                archive_entry_set_hardlink(e, link);
        if (archive_write_header(l->a, e) < ARCHIVE_WARN)
                return archive_fail(l, name, reterr);
        return 0;
}

static int entry_data(layer *l, const char *name, const void *buf, size_t len, rq_error **reterr)
{
        if (len > 0 && archive_write_data(l->a, buf, len) != (la_ssize_t)len)
                return archive_fail(l, name, reterr);
        return 0;
}

/* bin/busybox with the bytes of fd (st_size of them), then every applet linked to it. */
static int write_bin(layer *l, int fd, const char *path, off_t size, char **applets,
                     size_t n_applets, rq_error **reterr)
{
        int r = entry_begin(l, "bin", AE_IFDIR, 0755, 0, NULL, reterr);
        if (r < 0)
                return r;
        r = entry_begin(l, "bin/busybox", AE_IFREG, 0755, size, NULL, reterr);
        if (r < 0)
                return r;
        const size_t buf_size = 64 * 1024;
        _cleanup_free_ char *buf = malloc(buf_size);
        if (!buf)
                return rq_error_set(reterr, ENOMEM, "read %s", path);
        for (off_t done = 0; done < size;) {
                size_t want = size - done < (off_t)buf_size ? (size_t)(size - done) : buf_size;
                ssize_t k = RETRY_EINTR(pread(fd, buf, want, done));
                if (k < 0)
                        return rq_error_set(reterr, errno, "read %s", path);
                if (k == 0)
                        return rq_error_set_plain(reterr, EIO, "read %s: it shrank while read",
                                                  path);
                r = entry_data(l, "bin/busybox", buf, (size_t)k, reterr);
                if (r < 0)
                        return r;
                done += k;
        }
        for (size_t i = 0; i < n_applets; i++) {
                char name[128];
                snprintf(name, sizeof(name), "bin/%s", applets[i]);
                r = entry_begin(l, name, AE_IFREG, 0755, 0, "bin/busybox", reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_skeleton(layer *l, bool have_env, rq_error **reterr)
{
        for (size_t i = 0; i < ELEMENTSOF(skeleton); i++) {
                const struct skeleton_entry *s = &skeleton[i];
                if (s->type == AE_IFLNK && !have_env)
                        continue;
                size_t size = s->type == AE_IFREG ? strlen(s->content) : 0;
                int r = entry_begin(l, s->name, s->type, s->perm, (int64_t)size,
                                    s->type == AE_IFLNK ? s->content : NULL, reterr);
                if (r >= 0 && size > 0)
                        r = entry_data(l, s->name, s->content, size, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

static void archive_entry_freep(struct archive_entry **e)
{
        if (*e)
                archive_entry_free(*e);
}

int rq_busybox_layer_write(int out_fd, const char *busybox_path, rq_busybox_info *ret,
                           rq_error **reterr)
{
        int k = rq_archive_load(reterr);
        if (k < 0)
                return k;
        const char *path = busybox_path ?: RQ_BUSYBOX_DEFAULT_PATH;
        rq_busybox_info info = {};

        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return not_usable(reterr, ENOENT, path, "does not exist");
        if (fd < 0)
                return rq_error_set(reterr, errno, "open %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rq_error_set(reterr, errno, "stat %s", path);
        if (!S_ISREG(st.st_mode))
                return not_usable(reterr, ENOEXEC, path, "is not a regular file");
        info.mtime = st.st_mtim.tv_sec;
        int r = elf_check(fd, path, &info, reterr);
        if (r < 0)
                return r;
        r = version_read(path, &info, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *list_buf = NULL;
        _cleanup_free_ char **applets = NULL;
        r = applets_read(path, &list_buf, &applets, &info.n_applets, reterr);
        if (r < 0)
                return r;
        bool have_env = bsearch(&(const char *){ "env" }, applets, info.n_applets, sizeof(char *),
                                cmp_str) != NULL;

        _cleanup_(rq_sha256_freep) rq_sha256 *hash = NULL;
        int hr = rq_sha256_new(&hash);
        if (hr < 0)
                return rq_error_set(reterr, hr,
                                    "write the busybox layer: start its SHA-256 "
                                    "digest (libcrypto)");
        tar_sink sink = { .fd = out_fd, .hash = hash };
        _cleanup_(archive_freep) struct archive *a = archive_write_new();
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        if (!a || !e)
                return rq_error_set(reterr, ENOMEM, "write the busybox layer");
        layer l = { .a = a, .e = e, .mtime = info.mtime };
        /* Plain ustar: no pax records, so nothing but what is set below reaches the bytes. */
        if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
            archive_write_add_filter_none(a) != ARCHIVE_OK ||
            archive_write_open2(a, &sink, NULL, sink_write, NULL, NULL) != ARCHIVE_OK)
                return archive_fail(&l, "open", reterr);

        r = write_bin(&l, fd, path, st.st_size, applets, info.n_applets, reterr);
        if (r >= 0)
                r = write_skeleton(&l, have_env, reterr);
        if (r < 0)
                return r;
        if (archive_write_close(a) != ARCHIVE_OK)
                return archive_fail(&l, "close", reterr);

        rq_sha256_final(hash, info.diff_id);
        if (ret)
                *ret = info;
        return 0;
}

json_t *rq_busybox_config(const char *diff_id, const rq_busybox_info *info)
{
        char created[sizeof("-9223372036854775808-12-31T23:59:59Z")];
        time_t t = (time_t)info->mtime;
        struct tm tm;
        if (!gmtime_r(&t, &tm) ||
            strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        _cleanup_free_ char *by = strprintf(
                "rongqi: built-in busybox image from the host's busybox-static %s", info->version);
        if (!by)
                return NULL;
        json_t *cfg = json_pack("{s:s, s:s, s:s, s:{s:[s], s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
                                "architecture", info->arch, "os", "linux", "created", created,
                                "config", "Env",
                                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "Cmd", "sh", "rootfs", "type", "layers", "diff_ids", diff_id,
                                "history", "created", created, "created_by", by);
        if (cfg && info->variant[0] &&
            json_object_set_new(cfg, "variant", json_string(info->variant)) < 0) {
                json_decref(cfg);
                return NULL;
        }
        return cfg;
}
