/* crypto/crypto.h - the one wrapper over OpenSSL's libcrypto.
 *
 * Random bytes, SHA-256, HMAC-SHA256, constant-time comparison, base64url and hex, API
 * tokens, and sealing of secrets at rest (AES-256-GCM). Nothing else in connectord includes
 * an OpenSSL header. All functions are thread-safe. */
#ifndef CONNECTORD_CRYPTO_H
#define CONNECTORD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_KEY_LEN 32
/* "cdk_" + base64url(32 bytes) without padding */
#define CRYPTO_TOKEN_LEN (4 + 43)
#define CRYPTO_TOKEN_PREFIX "cdk_"

int crypto_random(void *out, size_t len);
void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                       unsigned char out[CRYPTO_SHA256_LEN]);
/* Compares in time that depends only on the lengths, never on the contents. */
bool crypto_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len);

/* Encoders write NUL-terminated text; `out` needs hex: 2*len+1, b64url: 4*ceil(len/3)+1. */
void crypto_hex(const void *data, size_t len, char *out);
size_t crypto_b64url(const void *data, size_t len, char *out);
/* Decodes hex (either case); returns the byte count or -1. */
long crypto_unhex(const char *hex, size_t hex_len, unsigned char *out, size_t out_cap);

/* A new API token ("cdk_" + 256 random bits, base64url) and its stored form: the
 * lowercase hex SHA-256 of the whole token text. */
int crypto_token_new(char out[CRYPTO_TOKEN_LEN + 1]);
void crypto_token_hash(const char *token, size_t len, char out_hex[2 * CRYPTO_SHA256_LEN + 1]);

/* An identifier: prefix + 32 hex digits ("ten_0196..."), time-ordered within a process
 * and unique across processes (see crypto.c). */
#define CRYPTO_ID_MAX 48
int crypto_id_new(const char *prefix, char out[CRYPTO_ID_MAX]);

/* Secrets at rest: AES-256-GCM under the master key, a fresh 96-bit nonce per call, and
 * `aad` (e.g. "tenant-id/field") bound in so a sealed value cannot be moved to another
 * tenant or field. The sealed form is text: "v1." + base64url(nonce | ciphertext | tag).
 * crypto_open fails (ERR_INTERNAL, no detail) on any tampering or wrong aad. */
int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *plain,
                size_t plain_len, struct buf *out, struct error *err);
int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const char *sealed,
                struct buf *out, struct error *err);

#endif
