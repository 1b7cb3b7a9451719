/* crypto/crypto.h - the one wrapper over OpenSSL's libcrypto.
 *
 * Random bytes, SHA-256, HMAC-SHA256, constant-time comparison, base64url and hex, API
 * tokens, sealing of secrets at rest (AES-256-GCM), and what checking a certificate-signed
 * webhook takes (CRC-32, base64, X.509 facts, RSA-SHA256 with a certificate's key).
 * Nothing else in connectord includes an OpenSSL header. All functions are thread-safe. */
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
/* SHA-256 of everything left to read from fd (a file of any size, read in pieces). */
int crypto_sha256_fd(int fd, unsigned char out[CRYPTO_SHA256_LEN]);
int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                       unsigned char out[CRYPTO_SHA256_LEN]);
/* HMAC over data given in pieces, with SHA-256, SHA-512 or SHA-1 (what webhook signature
 * schemes use): begin, update any number of times, end. end (or a failed begin/update)
 * frees the context; crypto_hmac_free frees one abandoned midway, as after a failed
 * update (NULL is fine). */
enum crypto_hmac_alg { CRYPTO_HMAC_SHA256, CRYPTO_HMAC_SHA512, CRYPTO_HMAC_SHA1 };
#define CRYPTO_HMAC_MAX_LEN 64
struct crypto_hmac;
struct crypto_hmac *crypto_hmac_begin(enum crypto_hmac_alg alg, const void *key, size_t key_len);
int crypto_hmac_update(struct crypto_hmac *h, const void *data, size_t len);
/* Writes the MAC into out and returns its length (32, 64 or 20), or -1. */
int crypto_hmac_end(struct crypto_hmac *h, unsigned char out[CRYPTO_HMAC_MAX_LEN]);
void crypto_hmac_free(struct crypto_hmac *h);
/* A copy of h as it stands (NULL when memory ran out): a context begun with a key and
 * copied for each message MACs many messages under one key without setting it up again. */
struct crypto_hmac *crypto_hmac_copy(const struct crypto_hmac *h);
/* Compares in time that depends only on the lengths, never on the contents. */
bool crypto_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len);

/* Encoders write NUL-terminated text; `out` needs hex: 2*len+1, b64url: 4*ceil(len/3)+1. */
void crypto_hex(const void *data, size_t len, char *out);
size_t crypto_b64url(const void *data, size_t len, char *out);
/* Standard base64 (RFC 4648 section 4), padded; out needs 4*ceil(len/3)+1. */
size_t crypto_b64(const void *data, size_t len, char *out);
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
/* The id every id of that prefix drawn before ms sorts below, and every one drawn at ms or
 * later (by the clock crypto_id_new reads) sorts at or above: a bound for a range of ids by
 * their time. -1 when prefix is too long. */
int crypto_id_bound(const char *prefix, int64_t ms, char out[CRYPTO_ID_MAX]);

/* Secrets at rest: AES-256-GCM under the master key, a fresh 96-bit nonce per call, and
 * `aad` (e.g. "tenant-id/field") bound in so a sealed value cannot be moved to another
 * tenant or field. The sealed form is text: "v1." + base64url(nonce | ciphertext | tag).
 * crypto_open fails (ERR_INTERNAL, no detail) on any tampering or wrong aad. */
int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *plain,
                size_t plain_len, struct buf *out, struct error *err);
int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const char *sealed,
                struct buf *out, struct error *err);

/* CRC-32 as zlib and PNG compute it (reflected polynomial 0xEDB88320, initial value and
 * final xor 0xFFFFFFFF): crypto_crc32("hello", 5) == 907060870. A checksum, not a MAC;
 * PayPal puts it into the text it signs. */
uint32_t crypto_crc32(const void *data, size_t len);

/* Decodes standard base64 (RFC 4648 section 4: '+' and '/'). Padding is optional but only
 * at the end; any other byte, whitespace included, fails. Returns the byte count, or -1 on
 * bad input or when the result would exceed out_cap. */
long crypto_b64_decode(const char *in, size_t len, unsigned char *out, size_t out_cap);

/* What the first certificate of a PEM text says about itself. */
struct crypto_cert_info {
    int64_t not_before; /* Unix seconds */
    int64_t not_after;
    char subject_cn[256]; /* the subject's common name, UTF-8; "" when it has none */
};
/* 0, or -1 with ERR_VALIDATION when the text holds no readable X.509 certificate. */
int crypto_cert_info(const char *cert_pem, size_t len, struct crypto_cert_info *out,
                     struct error *err);

/* Verifies an RSASSA-PKCS1-v1_5 / SHA-256 signature over `data` with the public key of the
 * first certificate in cert_pem. The key must be RSA of at least 2048 bits and the
 * certificate valid at `at` (Unix seconds: the caller's clock, so a test can verify an old
 * genuine vector at a time its certificate was valid). Returns 0 when the signature is
 * valid, else -1 with ERR_VALIDATION saying why (unreadable certificate, outside its
 * dates, wrong key type, mismatch). No chain or revocation check: the caller decides
 * where a certificate may come from. */
int crypto_rsa_sha256_verify_cert(const char *cert_pem, size_t len, const void *data,
                                  size_t data_len, const unsigned char *sig, size_t sig_len,
                                  int64_t at, struct error *err);

/* Signs `data` with RSASSA-PKCS1-v1_5 / SHA-256 (JWT's RS256) under the RSA private key in
 * key_pem (PKCS#8 "BEGIN PRIVATE KEY" or PKCS#1 "BEGIN RSA PRIVATE KEY", unencrypted, at
 * least 2048 bits): a service-account key signing its own token request. The signature's
 * bytes go into sig (replacing its contents). 0, or -1 with ERR_VALIDATION when the text
 * holds no usable RSA key (the message never quotes the key), ERR_INTERNAL otherwise. */
int crypto_rsa_sha256_sign(const char *key_pem, size_t len, const void *data, size_t data_len,
                           struct buf *sig, struct error *err);

#endif
