/* Image references: Docker's reference grammar written out as one small matcher per production
 * (path component, host, tag, digest) instead of a regular expression engine, and Docker's
 * normalisation (default domain, "library/", the legacy index name) around it. The checks run
 * in Docker's order, so an input Docker calls "must be lowercase" is called that here too. */
#include "engine/ref.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/string-util.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define DEFAULT_TAG "latest"

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_upper(char c)
{
        return c >= 'A' && c <= 'Z';
}

static bool is_alnum(char c)
{
        return is_lower_alnum(c) || is_upper(c);
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_lower_xdigit(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (is_upper(s[i]))
                        return true;
        return false;
}

/* Calls ok(piece, len) for every piece of s[0..n) between separators sep; false at the first
 * piece that fails (empty pieces included). */
static bool each_piece(const char *s, size_t n, char sep, bool (*ok)(const char *, size_t))
{
        size_t start = 0;
        for (size_t i = 0; i <= n; i++)
                if (i == n || s[i] == sep) {
                        if (!ok(s + start, i - start))
                                return false;
                        start = i + 1;
                }
        return true;
}

/* path-component: runs of [a-z0-9] joined by ".", "_", "__" or one or more "-". */
static bool path_component_valid(const char *s, size_t n)
{
        size_t i = 0;
        for (;;) {
                size_t run = i;
                while (i < n && is_lower_alnum(s[i]))
                        i++;
                if (i == run)
                        return false;
                if (i == n)
                        return true;
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                else if (s[i] == '-')
                        while (i < n && s[i] == '-')
                                i++;
                else
                        return false;
        }
}

/* path (remote-name): path components joined by "/". */
static bool path_valid(const char *s, size_t n)
{
        return each_piece(s, n, '/', path_component_valid);
}

/* domain-component: [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]. */
static bool domain_component_valid(const char *s, size_t n)
{
        if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

/* domain: (domain-name | "[" IPv6 hex and colons "]") [":" port]. */
static bool host_and_port_valid(const char *s, size_t n)
{
        size_t i = 0;
        if (n > 0 && s[0] == '[') {
                for (i = 1; i < n && (is_xdigit(s[i]) || s[i] == ':'); i++)
                        ;
                if (i == 1 || i >= n || s[i] != ']')
                        return false;
                i++;
        } else {
                while (i < n && s[i] != ':')
                        i++;
                if (!each_piece(s, i, '.', domain_component_valid))
                        return false;
        }
        if (i == n)
                return true;
        if (s[i] != ':' || i + 1 == n)
                return false;
        for (i++; i < n; i++)
                if (!is_digit(s[i]))
                        return false;
        return true;
}

/* tag: [\w][\w.-]{0,127} */
static bool tag_valid(const char *s, size_t n)
{
        if (n == 0 || n > RQ_REF_TAG_MAX || !(is_alnum(s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

/* The digest's shape before its algorithm is checked: algorithm components [A-Za-z][A-Za-z0-9]*
 * joined by one of "-_+.", a colon, then at least 32 hex digits of either case. */
static bool digest_shape_valid(const char *s, size_t n)
{
        size_t i = 0;
        for (;;) {
                if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || is_upper(s[i])))
                        return false;
                for (i++; i < n && is_alnum(s[i]); i++)
                        ;
                if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '.'))
                        i++;
                else
                        break;
        }
        if (i >= n || s[i] != ':' || n - i - 1 < 32)
                return false;
        for (i++; i < n; i++)
                if (!is_xdigit(s[i]))
                        return false;
        return true;
}

typedef enum {
        SPLIT_OK,
        SPLIT_BAD_NAME, /* the repository path is malformed */
        SPLIT_BAD_HOST, /* the first component is neither a host nor a path */
        SPLIT_BAD_TAG,
        SPLIT_BAD_DIGEST,
} split_result;

typedef struct span {
        const char *s;
        size_t n;
} span;

typedef struct parts {
        span domain, path, tag, digest; /* .s NULL when absent */
} parts;

/* Match s against reference := name [":" tag] ["@" digest], name := [domain "/"] path. Tags and
 * digests contain no "/" and the name has a ":" only inside its domain, which a "/" follows, so
 * a ":" after the last "/" can only start the tag. A first component that is a valid domain is
 * the domain (the grammar's optional domain is greedy). On failure p says which part failed. */
static split_result reference_split(const char *s, parts *p)
{
        *p = (parts){};
        size_t len = strlen(s), left = len;
        const char *at = strchr(s, '@');
        if (at) {
                left = at - s;
                p->digest = (span){ at + 1, len - left - 1 };
                if (!digest_shape_valid(p->digest.s, p->digest.n))
                        return SPLIT_BAD_DIGEST;
        }
        const char *last_slash = memrchr(s, '/', left), *colon = memrchr(s, ':', left);
        size_t name_len = left;
        if (colon && (!last_slash || colon > last_slash)) {
                name_len = colon - s;
                p->tag = (span){ colon + 1, left - name_len - 1 };
                if (!tag_valid(p->tag.s, p->tag.n))
                        return SPLIT_BAD_TAG;
        }
        const char *slash = memchr(s, '/', name_len);
        size_t domain_len = slash ? (size_t)(slash - s) : 0;
        bool whole_is_path = path_valid(s, name_len);
        if (slash) {
                p->domain = (span){ s, domain_len };
                p->path = (span){ slash + 1, name_len - domain_len - 1 };
                bool host_ok = host_and_port_valid(s, domain_len);
                if (host_ok && path_valid(p->path.s, p->path.n))
                        return SPLIT_OK;
                if (!whole_is_path)
                        return host_ok ? SPLIT_BAD_NAME : SPLIT_BAD_HOST;
        }
        p->domain = (span){};
        p->path = (span){ s, name_len };
        return whole_is_path ? SPLIT_OK : SPLIT_BAD_NAME;
}

static char *span_dup(span sp)
{
        return strndup(sp.s ?: "", sp.n);
}

/* Record `invalid reference "<s>": <reason>` with control bytes made visible ('?'): s and the
 * parts quoted in the reason are untrusted input. */
_printf_(3, 4) static int ref_invalid(rq_error **reterr, const char *s, const char *fmt, ...)
{
        _cleanup_free_ char *shown = strdup(s);
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (!shown || r < 0) {
                reason = NULL;
                return rq_error_set(reterr, ENOMEM, "parse image reference");
        }
        return rq_error_invalid(reterr, "invalid reference \"%s\": %s", str_sanitize(shown),
                                str_sanitize(reason));
}

/* The algorithm check Docker leaves to its digest package, narrowed to sha256. */
static int digest_check(const char *ref, span d, rq_error **reterr)
{
        const char *colon = memchr(d.s, ':', d.n);
        size_t alg = colon - d.s, hex = d.n - alg - 1;
        if (alg != 6 || memcmp(d.s, "sha256", 6) != 0)
                return ref_invalid(reterr, ref,
                                   "unsupported digest algorithm \"%.*s\" (only sha256)", (int)alg,
                                   d.s);
        if (hex != 64)
                return ref_invalid(reterr, ref, "a sha256 digest has 64 hex digits, not %zu", hex);
        for (size_t i = 0; i < hex; i++)
                if (!is_lower_xdigit(colon[1 + i]))
                        return ref_invalid(reterr, ref, "digest hex digits must be lowercase");
        return 0;
}

static int split_invalid(rq_error **reterr, const char *ref, split_result why, const parts *p)
{
        switch (why) {
        case SPLIT_BAD_DIGEST:
                return ref_invalid(reterr, ref,
                                   "invalid digest \"%.*s\": expected \"sha256:\" and 64 lowercase "
                                   "hex digits",
                                   (int)p->digest.n, p->digest.s);
        case SPLIT_BAD_TAG:
                return ref_invalid(reterr, ref,
                                   "invalid tag \"%.*s\": a tag is 1 to 128 letters, digits, '_', "
                                   "'.' or '-' and does not start with '.' or '-'",
                                   (int)p->tag.n, p->tag.s);
        case SPLIT_BAD_HOST:
                return ref_invalid(reterr, ref, "invalid registry host \"%.*s\"", (int)p->domain.n,
                                   p->domain.s);
        default:
                return ref_invalid(reterr, ref,
                                   "invalid repository name \"%.*s\": path components are "
                                   "lowercase letters and digits joined by '.', '_', '__' or '-'",
                                   (int)p->path.n, p->path.s);
        }
}

int rq_ref_parse(const char *s, rq_ref *ret, rq_error **reterr)
{
        *ret = (rq_ref){};
        if (!s || !*s)
                return ref_invalid(reterr, "", "the reference is empty");

        size_t len = strlen(s);
        if (len == 64 && rq_ref_looks_like_id(s))
                return ref_invalid(reterr, s,
                                   "cannot specify 64-byte hexadecimal strings (that is an image "
                                   "id, not a repository name)");

        /* Docker's domain split: the first of several components is a domain when it is
         * "localhost", has a "." or ":", or has an uppercase letter (namespaces never do). */
        const char *domain = DEFAULT_DOMAIN, *rest = s;
        size_t domain_len = strlen(DEFAULT_DOMAIN);
        const char *slash = strchr(s, '/');
        if (slash) {
                size_t n = slash - s;
                if ((n == 9 && memcmp(s, "localhost", 9) == 0) || memchr(s, '.', n) ||
                    memchr(s, ':', n) || has_upper(s, n)) {
                        domain = s;
                        domain_len = n;
                        rest = slash + 1;
                }
                if (n == strlen(LEGACY_DEFAULT_DOMAIN) &&
                    memcmp(s, LEGACY_DEFAULT_DOMAIN, n) == 0) {
                        domain = DEFAULT_DOMAIN;
                        domain_len = strlen(DEFAULT_DOMAIN);
                }
        }
        bool hub = domain_len == strlen(DEFAULT_DOMAIN) &&
                   memcmp(domain, DEFAULT_DOMAIN, domain_len) == 0;
        bool official = hub && !strchr(rest, '/');

        /* The repository part (everything before the first ":") must be lowercase. */
        const char *colon = strchr(rest, ':');
        if (has_upper(rest, colon ? (size_t)(colon - rest) : strlen(rest)))
                return ref_invalid(reterr, s, "repository name must be lowercase");

        _cleanup_free_ char *full = strprintf("%.*s/%s%s", (int)domain_len, domain,
                                              official ? OFFICIAL_PREFIX : "", rest);
        if (!full)
                return rq_error_set(reterr, ENOMEM, "parse image reference");

        parts p;
        split_result why = reference_split(full, &p);
        if (why != SPLIT_OK) {
                /* Docker's wording when only case is wrong (an uppercase first component of
                 * several is a domain and was accepted above). */
                _cleanup_free_ char *lower = strdup(full);
                if (!lower)
                        return rq_error_set(reterr, ENOMEM, "parse image reference");
                for (char *c = lower; *c; c++)
                        if (is_upper(*c))
                                *c += 'a' - 'A';
                parts ignored;
                if (reference_split(lower, &ignored) == SPLIT_OK)
                        return ref_invalid(reterr, s, "repository name must be lowercase");
                return split_invalid(reterr, s, why, &p);
        }
        if (p.path.n > RQ_REF_PATH_MAX)
                return ref_invalid(reterr, s, "repository name must not be more than %d characters",
                                   RQ_REF_PATH_MAX);
        if (p.digest.s) {
                int r = digest_check(s, p.digest, reterr);
                if (r < 0)
                        return r;
        }

        rq_ref r = {
                .domain = span_dup(p.domain),
                .path = span_dup(p.path),
                .tag = p.tag.s      ? span_dup(p.tag)
                       : p.digest.s ? NULL
                                    : strdup(DEFAULT_TAG),
                .digest = p.digest.s ? span_dup(p.digest) : NULL,
        };
        if (!r.domain || !r.path || (!r.tag && (p.tag.s || !p.digest.s)) ||
            (p.digest.s && !r.digest)) {
                rq_ref_done(&r);
                return rq_error_set(reterr, ENOMEM, "parse image reference");
        }
        *ret = r;
        return 0;
}

void rq_ref_done(rq_ref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        *r = (rq_ref){};
}

/* name [":" tag] ["@" digest] with the given domain and path. */
static char *ref_join(const char *domain, const char *path, const rq_ref *r)
{
        return strprintf("%s%s%s%s%s%s%s", domain, *domain ? "/" : "", path, r->tag ? ":" : "",
                         r->tag ?: "", r->digest ? "@" : "", r->digest ?: "");
}

char *rq_ref_name(const rq_ref *r)
{
        return strprintf("%s%s%s", r->domain, *r->domain ? "/" : "", r->path);
}

char *rq_ref_string(const rq_ref *r)
{
        return ref_join(r->domain, r->path, r);
}

char *rq_ref_familiar(const rq_ref *r)
{
        if (!streq(r->domain, DEFAULT_DOMAIN))
                return ref_join(r->domain, r->path, r);
        const char *official = startswith(r->path, OFFICIAL_PREFIX);
        return ref_join("", official && !strchr(official, '/') ? official : r->path, r);
}

bool rq_ref_looks_like_id(const char *s)
{
        size_t n = 0;
        for (; s[n]; n++)
                if (!is_lower_xdigit(s[n]))
                        return false;
        return n >= 12 && n <= 64;
}
