/* Content digests as the OCI image spec writes them ("sha256:" + 64 lowercase hex digits):
 * validation of untrusted digest strings and a streaming SHA-256 (OpenSSL's libcrypto, which
 * uses the CPU's SHA extensions where present). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RQ_DIGEST_HEX_LEN 64
/* "sha256:" + hex + NUL */
#define RQ_DIGEST_STR_LEN (7 + RQ_DIGEST_HEX_LEN + 1)

typedef struct rq_sha256 rq_sha256;

/* 0 when s is "sha256:<64 lowercase hex>", -EINVAL otherwise (other algorithms included: the
 * store only knows sha256). */
int rq_digest_validate(const char *s);
/* true when s is 64 lowercase hex digits (a bare image or layer id). */
bool rq_digest_hex_valid(const char *s);
/* The hex part of a validated digest string. */
static inline const char *rq_digest_hex(const char *digest)
{
        return digest + 7;
}

/* -ENOENT or -ENOSYS when libcrypto.so.3 cannot be loaded. */
int rq_sha256_new(rq_sha256 **ret);
void rq_sha256_update(rq_sha256 *h, const void *buf, size_t len);
/* Writes "sha256:<hex>" into out (RQ_DIGEST_STR_LEN bytes). The context may not be updated
 * afterwards. */
void rq_sha256_final(rq_sha256 *h, char out[RQ_DIGEST_STR_LEN]);
void rq_sha256_free(rq_sha256 *h);
static inline void rq_sha256_freep(rq_sha256 **h)
{
        rq_sha256_free(*h);
        *h = NULL;
}
/* One-shot digest of a buffer. */
int rq_sha256_buf(const void *buf, size_t len, char out[RQ_DIGEST_STR_LEN]);
