/* Digest validation and the streaming SHA-256 against known vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/digest.h"

static void test_validate(void **state)
{
        assert_int_equal(
                rq_digest_validate(
                        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                0);
        assert_int_equal(
                rq_digest_validate(
                        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
                -EINVAL);
        assert_int_equal(
                rq_digest_validate(
                        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                -EINVAL);
        assert_int_equal(rq_digest_validate("sha256:e3b0"), -EINVAL);
        assert_int_equal(rq_digest_validate("sha256:../../etc/passwd"), -EINVAL);
        assert_int_equal(rq_digest_validate(NULL), -EINVAL);
        assert_true(rq_digest_hex_valid(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_false(rq_digest_hex_valid(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
}

static void test_sha256(void **state)
{
        char out[RQ_DIGEST_STR_LEN];
        assert_int_equal(rq_sha256_buf("", 0, out), 0);
        assert_string_equal(
                out, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

        /* Streaming in pieces gives the one-shot result. */
        rq_sha256 *h = NULL;
        assert_int_equal(rq_sha256_new(&h), 0);
        rq_sha256_update(h, "a", 1);
        rq_sha256_update(h, "bc", 2);
        rq_sha256_final(h, out);
        rq_sha256_free(h);
        assert_string_equal(
                out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_sha256),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
