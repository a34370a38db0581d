/* rq-mktar: write a tar archive described line by line on stdin to stdout, names taken verbatim
 * (so tests can craft hostile layers: "../x", "/abs", links through symlinks).
 *
 *   rq-mktar [--gzip|--zstd] [--format=pax|gnu|ustar] < SPEC > OUT.tar
 *
 * SPEC lines (fields split on single spaces; the last field is the rest of the line):
 *   file NAME MODE [CONTENT]    regular file (octal MODE), CONTENT plus a newline if given
 *   dir NAME [MODE]             directory (default 0755)
 *   symlink NAME TARGET         hardlink NAME TARGET
 *   char NAME MAJ MIN           block NAME MAJ MIN          fifo NAME
 *   whiteout PATH               the OCI whiteout entry DIR/.wh.BASE of PATH
 *   opaque DIR                  the OCI opaque marker DIR/.wh..wh..opq
 *   owner UID GID               ids of the entries that follow (default 0 0)
 *   mtime SECONDS               mtime of the entries that follow (default 0)
 *   xattr NAME VALUE            an xattr for the next entry only
 * Blank lines and lines starting with '#' are ignored. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct {
        long uid, gid, mtime;
        char *xattr_name, *xattr_value;
} st;

static void die(const char *what, const char *detail)
{
        fprintf(stderr, "rq-mktar: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
        exit(1);
}

/* The next space-separated field of *line (or the rest of it when rest), NULL at the end. */
static char *field(char **line, int rest)
{
        char *p = *line;
        if (!p || !*p)
                return NULL;
        char *sp = rest ? NULL : strchr(p, ' ');
        if (sp) {
                *sp = 0;
                *line = sp + 1;
        } else
                *line = NULL;
        return p;
}

static void put(struct archive *a, struct archive_entry *e, const char *data, size_t size)
{
        archive_entry_set_uid(e, st.uid);
        archive_entry_set_gid(e, st.gid);
        archive_entry_set_mtime(e, st.mtime, 0);
        if (st.xattr_name) {
                archive_entry_xattr_add_entry(e, st.xattr_name, st.xattr_value,
                                              strlen(st.xattr_value));
                free(st.xattr_name);
                free(st.xattr_value);
                st.xattr_name = st.xattr_value = NULL;
        }
        if (archive_write_header(a, e) < ARCHIVE_WARN)
                die("write header", archive_error_string(a));
        if (size && archive_write_data(a, data, size) < 0)
                die("write data", archive_error_string(a));
        archive_entry_free(e);
}

static struct archive_entry *entry(const char *name, mode_t type, mode_t perm)
{
        struct archive_entry *e = archive_entry_new();
        if (!e || !name)
                die("bad line", name);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        return e;
}

/* "DIR/" + marker + "BASE" for a whiteout of path (marker ".wh."), or path + "/.wh..wh..opq". */
static char *whiteout_name(const char *path, int opaque)
{
        char *out = malloc(strlen(path) + 16);
        if (!out)
                die("out of memory", NULL);
        if (opaque) {
                sprintf(out, "%s/.wh..wh..opq", path);
                return out;
        }
        const char *slash = strrchr(path, '/');
        size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
        sprintf(out, "%.*s.wh.%s", (int)dir, path, path + dir);
        return out;
}

static void line_do(struct archive *a, char *line)
{
        char *op = field(&line, 0);
        if (!op || op[0] == '#')
                return;
        if (!strcmp(op, "owner")) {
                char *u = field(&line, 0), *g = field(&line, 0);
                if (!u || !g)
                        die("owner needs UID GID", NULL);
                st.uid = strtol(u, NULL, 10);
                st.gid = strtol(g, NULL, 10);
        } else if (!strcmp(op, "mtime")) {
                char *t = field(&line, 1);
                st.mtime = t ? strtol(t, NULL, 10) : 0;
        } else if (!strcmp(op, "xattr")) {
                char *n = field(&line, 0), *v = field(&line, 1);
                if (!n)
                        die("xattr needs NAME VALUE", NULL);
                st.xattr_name = strdup(n);
                st.xattr_value = strdup(v ? v : "");
        } else if (!strcmp(op, "file")) {
                char *name = field(&line, 0), *mode = field(&line, 0), *content = field(&line, 1);
                struct archive_entry *e =
                        entry(name, AE_IFREG, mode ? (mode_t)strtol(mode, NULL, 8) : 0644);
                char *data = NULL;
                size_t size = 0;
                if (content && asprintf(&data, "%s\n", content) > 0)
                        size = strlen(data);
                archive_entry_set_size(e, (la_int64_t)size);
                put(a, e, data, size);
                free(data);
        } else if (!strcmp(op, "dir")) {
                char *name = field(&line, 0), *mode = field(&line, 0);
                put(a, entry(name, AE_IFDIR, mode ? (mode_t)strtol(mode, NULL, 8) : 0755), NULL, 0);
        } else if (!strcmp(op, "symlink") || !strcmp(op, "hardlink")) {
                char *name = field(&line, 0), *target = field(&line, 1);
                if (!target)
                        die("link needs NAME TARGET", NULL);
                int sym = op[0] == 's';
                struct archive_entry *e = entry(name, sym ? AE_IFLNK : AE_IFREG, sym ? 0777 : 0644);
                if (sym)
                        archive_entry_set_symlink(e, target);
                else
                        archive_entry_set_hardlink(e, target);
                put(a, e, NULL, 0);
        } else if (!strcmp(op, "char") || !strcmp(op, "block")) {
                char *name = field(&line, 0), *maj = field(&line, 0), *min = field(&line, 0);
                if (!maj || !min)
                        die("device needs NAME MAJ MIN", NULL);
                struct archive_entry *e = entry(name, op[0] == 'c' ? AE_IFCHR : AE_IFBLK, 0644);
                archive_entry_set_rdevmajor(e, (dev_t)strtoul(maj, NULL, 10));
                archive_entry_set_rdevminor(e, (dev_t)strtoul(min, NULL, 10));
                put(a, e, NULL, 0);
        } else if (!strcmp(op, "fifo")) {
                put(a, entry(field(&line, 0), AE_IFIFO, 0644), NULL, 0);
        } else if (!strcmp(op, "whiteout") || !strcmp(op, "opaque")) {
                char *path = field(&line, 1);
                if (!path)
                        die("whiteout/opaque needs a path", NULL);
                char *name = whiteout_name(path, op[0] == 'o');
                struct archive_entry *e = entry(name, AE_IFREG, 0644);
                archive_entry_set_size(e, 0);
                put(a, e, NULL, 0);
                free(name);
        } else
                die("unknown line type", op);
}

int main(int argc, char **argv)
{
        struct archive *a = archive_write_new();
        int format = ARCHIVE_FORMAT_TAR_PAX_RESTRICTED;
        if (!a)
                die("out of memory", NULL);
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--gzip"))
                        archive_write_add_filter_gzip(a);
                else if (!strcmp(argv[i], "--zstd"))
                        archive_write_add_filter_zstd(a);
                else if (!strcmp(argv[i], "--format=gnu"))
                        format = ARCHIVE_FORMAT_TAR_GNUTAR;
                else if (!strcmp(argv[i], "--format=ustar"))
                        format = ARCHIVE_FORMAT_TAR_USTAR;
                else if (strcmp(argv[i], "--format=pax") != 0)
                        die("usage: rq-mktar [--gzip|--zstd] [--format=pax|gnu|ustar] < SPEC",
                            NULL);
        }
        archive_write_set_format(a, format);
        /* No padding to 10 KiB records: the archive ends after its two zero blocks, as the tar
         * streams of docker, podman and Go's archive/tar do. */
        archive_write_set_bytes_in_last_block(a, 1);
        if (archive_write_open_filename(a, NULL) != ARCHIVE_OK)
                die("open stdout", archive_error_string(a));

        char *buf = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&buf, &cap, stdin)) >= 0) {
                if (n > 0 && buf[n - 1] == '\n')
                        buf[n - 1] = 0;
                line_do(a, buf);
        }
        free(buf);
        if (archive_write_close(a) != ARCHIVE_OK)
                die("close", archive_error_string(a));
        archive_write_free(a);
        return 0;
}
