/* Image references: a table of inputs with the normalised reference, its familiar form and its
 * parts, and a table of inputs Docker refuses with the message rongqi gives for each. The rows
 * follow distribution/reference's behaviour (ParseNormalizedNamed plus the default tag); which
 * rows are accepted and refused was checked against Docker's own CLI (`docker pull` of each row
 * with no daemon reachable: a parse error, or "Cannot connect"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "basic/string-util.h"
#include "engine/ref.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DGST "sha256:" H64

typedef struct valid_row {
        const char *in;
        const char *string; /* rq_ref_string */
        const char *familiar; /* rq_ref_familiar */
        const char *domain, *path, *tag, *digest;
} valid_row;

static const valid_row valid[] = {
        { "busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io",
          "library/busybox", "latest", NULL },
        { "busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "docker.io",
          "library/busybox", "1.36", NULL },
        { "user/app:1", "docker.io/user/app:1", "user/app:1", "docker.io", "user/app", "1", NULL },
        { "localhost/x", "localhost/x:latest", "localhost/x:latest", "localhost", "x", "latest",
          NULL },
        { "localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000",
          "a/b", "t", NULL },
        /* A digest and no tag: no default tag. */
        { "quay.io/a/b@" DGST, "quay.io/a/b@" DGST, "quay.io/a/b@" DGST, "quay.io", "a/b", NULL,
          DGST },
        /* Tag and digest are both kept. */
        { "busybox:1@" DGST, "docker.io/library/busybox:1@" DGST, "busybox:1@" DGST, "docker.io",
          "library/busybox", "1", DGST },
        { "docker.io/library/busybox@" DGST, "docker.io/library/busybox@" DGST, "busybox@" DGST,
          "docker.io", "library/busybox", NULL, DGST },
        { "user/app@" DGST, "docker.io/user/app@" DGST, "user/app@" DGST, "docker.io", "user/app",
          NULL, DGST },
        /* Docker Hub spellings all normalise to docker.io, one-component paths get library/. */
        { "docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io",
          "library/busybox", "latest", NULL },
        { "index.docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest",
          "docker.io", "library/busybox", "latest", NULL },
        { "index.docker.io/user/app", "docker.io/user/app:latest", "user/app:latest", "docker.io",
          "user/app", "latest", NULL },
        { "docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest",
          "docker.io", "library/busybox", "latest", NULL },
        { "library/busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io",
          "library/busybox", "latest", NULL },
        /* library/ is dropped from the familiar form only before a single component. */
        { "library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar:latest",
          "docker.io", "library/foo/bar", "latest", NULL },
        { "store/foo/bar", "docker.io/store/foo/bar:latest", "store/foo/bar:latest", "docker.io",
          "store/foo/bar", "latest", NULL },
        /* Other registries keep their paths as given. */
        { "example.com/privatebase", "example.com/privatebase:latest",
          "example.com/privatebase:latest", "example.com", "privatebase", "latest", NULL },
        { "127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest", "127.0.0.1:5000/debian:latest",
          "127.0.0.1:5000", "debian", "latest", NULL },
        { "[::1]:5000/repo:tag", "[::1]:5000/repo:tag", "[::1]:5000/repo:tag", "[::1]:5000", "repo",
          "tag", NULL },
        { "[2001:db8::1]/repo", "[2001:db8::1]/repo:latest", "[2001:db8::1]/repo:latest",
          "[2001:db8::1]", "repo", "latest", NULL },
        { "xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo:latest",
          "xn--n3h.com:18080", "foo", "latest", NULL },
        { "b.gcr.io/test.example.com/my-app:test.example.com",
          "b.gcr.io/test.example.com/my-app:test.example.com",
          "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io",
          "test.example.com/my-app", "test.example.com", NULL },
        /* An uppercase first component of several is a registry host, not a namespace. */
        { "Foo/bar", "Foo/bar:latest", "Foo/bar:latest", "Foo", "bar", "latest", NULL },
        /* A single component is always a Docker Hub name, even when it looks like a host; its
         * ":5000" is then a tag. */
        { "192.168.0.1", "docker.io/library/192.168.0.1:latest", "192.168.0.1:latest", "docker.io",
          "library/192.168.0.1", "latest", NULL },
        { "localhost:5000", "docker.io/library/localhost:5000", "localhost:5000", "docker.io",
          "library/localhost", "5000", NULL },
        { "example.com", "docker.io/library/example.com:latest", "example.com:latest", "docker.io",
          "library/example.com", "latest", NULL },
        /* A first component without "." or ":" is a namespace. */
        { "test_com/foo", "docker.io/test_com/foo:latest", "test_com/foo:latest", "docker.io",
          "test_com/foo", "latest", NULL },
        /* Looks like a host (a "."), is no valid host ("_"), is a valid path: no domain. */
        { "foo_bar.com/x", "foo_bar.com/x:latest", "foo_bar.com/x:latest", "", "foo_bar.com/x",
          "latest", NULL },
        /* 64 hex digits are a name once a domain makes the intent clear. */
        { "docker.io/" H64, "docker.io/library/" H64 ":latest", H64 ":latest", "docker.io",
          "library/" H64, "latest", NULL },
        /* Separators: ".", "_", "__", runs of "-". */
        { "dock__er/a.b_c---d", "docker.io/dock__er/a.b_c---d:latest", "dock__er/a.b_c---d:latest",
          "docker.io", "dock__er/a.b_c---d", "latest", NULL },
        /* Tags may have uppercase letters, "_" first, "." and "-" after. */
        { "lowercase:Upper_1.-x", "docker.io/library/lowercase:Upper_1.-x", "lowercase:Upper_1.-x",
          "docker.io", "library/lowercase", "Upper_1.-x", NULL },
};

typedef struct invalid_row {
        const char *in;
        const char *error;
} invalid_row;

#define NAME_RULE "path components are lowercase letters and digits joined by '.', '_', '__' or '-'"
#define TAG_RULE                                                                                   \
        "a tag is 1 to 128 letters, digits, '_', '.' or '-' and does not start with '.' or '-'"
#define DIGEST_RULE "expected \"sha256:\" and 64 lowercase hex digits"

static const invalid_row invalid[] = {
        { "", "invalid reference \"\": the reference is empty" },
        { "Busybox", "invalid reference \"Busybox\": repository name must be lowercase" },
        { "docker/Docker",
          "invalid reference \"docker/Docker\": repository name must be lowercase" },
        { "Uppercase:tag",
          "invalid reference \"Uppercase:tag\": repository name must be lowercase" },
        { "test:5000/Uppercase/lowercase:tag",
          "invalid reference \"test:5000/Uppercase/lowercase:tag\": repository name must be "
          "lowercase" },
        /* Uppercase in a host that is no valid host: Docker's lowercase retry names the case. */
        { "FOO_BAR/x", "invalid reference \"FOO_BAR/x\": repository name must be lowercase" },
        /* Docker's check covers everything before the first ":", an algorithm too. */
        { "busybox@SHA256:" H64,
          "invalid reference \"busybox@SHA256:" H64 "\": repository name must be lowercase" },
        { H64, "invalid reference \"" H64 "\": cannot specify 64-byte hexadecimal strings (that is "
               "an image id, not a repository name)" },
        { "busybox:", "invalid reference \"busybox:\": invalid tag \"\": " TAG_RULE },
        { "busybox:-x", "invalid reference \"busybox:-x\": invalid tag \"-x\": " TAG_RULE },
        { "busybox:a+b", "invalid reference \"busybox:a+b\": invalid tag \"a+b\": " TAG_RULE },
        { "-docker", "invalid reference \"-docker\": invalid repository name "
                     "\"library/-docker\": " NAME_RULE },
        { "docker///docker", "invalid reference \"docker///docker\": invalid repository name "
                             "\"docker///docker\": " NAME_RULE },
        { "____/____",
          "invalid reference \"____/____\": invalid repository name \"____/____\": " NAME_RULE },
        { "docker-/docker", "invalid reference \"docker-/docker\": invalid repository name "
                            "\"docker-/docker\": " NAME_RULE },
        { "docker/",
          "invalid reference \"docker/\": invalid repository name \"docker/\": " NAME_RULE },
        { ":justtag",
          "invalid reference \":justtag\": invalid repository name \"library/\": " NAME_RULE },
        { "@" DGST,
          "invalid reference \"@" DGST "\": invalid repository name \"library/\": " NAME_RULE },
        { "busy box", "invalid reference \"busy box\": invalid repository name \"library/busy "
                      "box\": " NAME_RULE },
        /* Control bytes are shown as '?'. */
        { "a\x01"
          "b",
          "invalid reference \"a?b\": invalid repository name \"library/a?b\": " NAME_RULE },
        { "dock..er/docker", "invalid reference \"dock..er/docker\": invalid registry host "
                             "\"dock..er\"" },
        { "fc00::1:5000/debian", "invalid reference \"fc00::1:5000/debian\": invalid registry host "
                                 "\"fc00::1:5000\"" },
        { "[fe80::1%eth0]:5000/debian", "invalid reference \"[fe80::1%eth0]:5000/debian\": invalid "
                                        "registry host \"[fe80::1%eth0]:5000\"" },
        { "https://github.com/docker/docker", "invalid reference "
                                              "\"https://github.com/docker/docker\": invalid "
                                              "registry host \"https:\"" },
        { "localhost:/x", "invalid reference \"localhost:/x\": invalid registry host "
                          "\"localhost:\"" },
        { "busybox@sha256:abc", "invalid reference \"busybox@sha256:abc\": invalid digest "
                                "\"sha256:abc\": " DIGEST_RULE },
        { "busybox@", "invalid reference \"busybox@\": invalid digest \"\": " DIGEST_RULE },
        { "busybox@sha256:" H64 "@x", "invalid reference \"busybox@sha256:" H64 "@x\": invalid "
                                      "digest \"sha256:" H64 "@x\": " DIGEST_RULE },
        { "busybox@sha256:" H64 "0", "invalid reference \"busybox@sha256:" H64 "0\": a sha256 "
                                     "digest has 64 hex digits, not 65" },
        { "busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
          "invalid reference "
          "\"busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\": "
          "digest hex digits must be lowercase" },
        { "busybox@sha512:" H64 H64, "invalid reference \"busybox@sha512:" H64 H64 "\": "
                                     "unsupported digest algorithm \"sha512\" (only sha256)" },
        { "busybox@md5:0123456789abcdef0123456789abcdef",
          "invalid reference \"busybox@md5:0123456789abcdef0123456789abcdef\": unsupported digest "
          "algorithm \"md5\" (only sha256)" },
        { "_/x:_", "invalid reference \"_/x:_\": invalid repository name \"_/x\": " NAME_RULE },
};

static void check_valid(const valid_row *row)
{
        rq_ref ref;
        rq_error *err = NULL;
        int r = rq_ref_parse(row->in, &ref, &err);
        if (r < 0) {
                char *msg = rq_error_format(err);
                fail_msg("%s: unexpected error: %s", row->in, msg);
        }
        assert_null(err);
        char *s = rq_ref_string(&ref), *f = rq_ref_familiar(&ref), *n = rq_ref_name(&ref);
        char *want_name = strprintf("%s%s%s", row->domain, *row->domain ? "/" : "", row->path);
        if (!streq(s, row->string) || !streq(f, row->familiar))
                fail_msg("%s: got \"%s\" / \"%s\", want \"%s\" / \"%s\"", row->in, s, f,
                         row->string, row->familiar);
        assert_string_equal(ref.domain, row->domain);
        assert_string_equal(ref.path, row->path);
        assert_string_equal(n, want_name);
        if (row->tag)
                assert_string_equal(ref.tag, row->tag);
        else
                assert_null(ref.tag);
        if (row->digest)
                assert_string_equal(ref.digest, row->digest);
        else
                assert_null(ref.digest);
        free(s);
        free(f);
        free(n);
        free(want_name);
        rq_ref_done(&ref);
        assert_null(ref.path);
}

static void check_invalid(const char *in, const char *want)
{
        rq_ref ref;
        rq_error *err = NULL;
        int r = rq_ref_parse(in, &ref, &err);
        if (r >= 0) {
                char *s = rq_ref_string(&ref);
                fail_msg("%s: accepted as %s, want: %s", in, s, want);
        }
        assert_int_equal(r, -EINVAL);
        assert_null(ref.domain);
        char *msg = rq_error_format(err);
        if (!streq(msg, want))
                fail_msg("%s:\n got: %s\nwant: %s", in, msg, want);
        free(msg);
        rq_error_free(err);
}

static void test_valid_references_normalise_as_docker_does(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(valid); i++)
                check_valid(&valid[i]);
}

static void test_invalid_references_name_the_reference_and_the_reason(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                check_invalid(invalid[i].in, invalid[i].error);
        rq_ref ref;
        assert_int_equal(rq_ref_parse(NULL, &ref, NULL), -EINVAL);
}

/* Builds "<prefix><n times c><suffix>". */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
        char *s = malloc(strlen(prefix) + n + strlen(suffix) + 1);
        assert_non_null(s);
        strcpy(s, prefix);
        memset(s + strlen(prefix), c, n);
        strcpy(s + strlen(prefix) + n, suffix);
        return s;
}

static void test_tag_and_path_length_limits(void **state)
{
        /* A tag of 128 characters is fine, 129 is not. */
        char *in = repeat("busybox:", 'a', 128, "");
        valid_row row = { in, NULL, NULL, "docker.io", "library/busybox", in + 8, NULL };
        row.string = strprintf("docker.io/library/%s", in);
        row.familiar = in;
        check_valid(&row);
        free((char *)row.string);
        free(in);

        in = repeat("busybox:", 'a', 129, "");
        char *want =
                strprintf("invalid reference \"%s\": invalid tag \"%s\": " TAG_RULE, in, in + 8);
        check_invalid(in, want);
        free(want);
        free(in);

        /* The path (with the library/ Docker adds) may have 255 characters, not 256. */
        in = repeat("", 'a', 255 - strlen("library/"), "");
        rq_ref ref;
        assert_int_equal(rq_ref_parse(in, &ref, NULL), 0);
        assert_int_equal(strlen(ref.path), 255);
        rq_ref_done(&ref);
        free(in);

        in = repeat("", 'a', 256 - strlen("library/"), "");
        want = strprintf("invalid reference \"%s\": repository name must not be more than 255 "
                         "characters",
                         in);
        check_invalid(in, want);
        free(want);
        free(in);

        /* The domain does not count. */
        in = repeat("registry.example.com:5000/", 'b', 255, ":t");
        assert_int_equal(rq_ref_parse(in, &ref, NULL), 0);
        assert_string_equal(ref.domain, "registry.example.com:5000");
        rq_ref_done(&ref);
        free(in);
}

static void test_id_lookalikes(void **state)
{
        assert_true(rq_ref_looks_like_id("0123456789ab"));
        assert_true(rq_ref_looks_like_id(H64));
        assert_false(rq_ref_looks_like_id("0123456789a"));
        assert_false(rq_ref_looks_like_id(H64 "0"));
        assert_false(rq_ref_looks_like_id("0123456789AB"));
        assert_false(rq_ref_looks_like_id("busyboxbusybox"));
        assert_false(rq_ref_looks_like_id(""));
        /* 12 to 63 hex digits are still a valid name: the caller resolves the ambiguity. */
        rq_ref ref;
        assert_int_equal(rq_ref_parse("0123456789ab", &ref, NULL), 0);
        assert_string_equal(ref.path, "library/0123456789ab");
        rq_ref_done(&ref);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_references_normalise_as_docker_does),
                cmocka_unit_test(test_invalid_references_name_the_reference_and_the_reason),
                cmocka_unit_test(test_tag_and_path_length_limits),
                cmocka_unit_test(test_id_lookalikes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
