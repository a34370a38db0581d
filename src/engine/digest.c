/* Streaming SHA-256 over OpenSSL's EVP interface, and digest string validation. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/digest.h"

struct rq_sha256 {
        EVP_MD_CTX *ctx;
};

bool rq_digest_hex_valid(const char *s)
{
        size_t i;
        for (i = 0; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return i == RQ_DIGEST_HEX_LEN;
}

int rq_digest_validate(const char *s)
{
        if (!s || strncmp(s, "sha256:", 7) != 0 || !rq_digest_hex_valid(s + 7))
                return -EINVAL;
        return 0;
}

int rq_sha256_new(rq_sha256 **ret)
{
        rq_sha256 *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
                rq_sha256_free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

void rq_sha256_update(rq_sha256 *h, const void *buf, size_t len)
{
        /* EVP_DigestUpdate only fails on a context that was never initialised. */
        (void)EVP_DigestUpdate(h->ctx, buf, len);
}

void rq_sha256_final(rq_sha256 *h, char out[RQ_DIGEST_STR_LEN])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        (void)EVP_DigestFinal_ex(h->ctx, md, &n);
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < n && i < RQ_DIGEST_HEX_LEN / 2; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[7 + 2 * i + 1] = hex[md[i] & 0xf];
        }
        out[RQ_DIGEST_STR_LEN - 1] = '\0';
}

void rq_sha256_free(rq_sha256 *h)
{
        if (!h)
                return;
        EVP_MD_CTX_free(h->ctx);
        free(h);
}

int rq_sha256_buf(const void *buf, size_t len, char out[RQ_DIGEST_STR_LEN])
{
        rq_sha256 *h = NULL;
        int r = rq_sha256_new(&h);
        if (r < 0)
                return r;
        rq_sha256_update(h, buf, len);
        rq_sha256_final(h, out);
        rq_sha256_free(h);
        return 0;
}
