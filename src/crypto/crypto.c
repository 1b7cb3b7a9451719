/* crypto/crypto.c - OpenSSL libcrypto behind crypto.h. */
#include "crypto/crypto.h"

#include <errno.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

int crypto_random(void *out, size_t len)
{
    if (len > INT32_MAX)
        return -1;
    return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}

/* SHA-256 looked up once: SHA256() looks the digest up by name on every call, which costs
 * several times the hash of a short text (every journal entry's chain link, every token
 * check). Kept for the process's life. */
static EVP_MD *sha256_impl;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_impl = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
    pthread_once(&sha256_once, sha256_fetch);
    EVP_MD_CTX *md = sha256_impl ? EVP_MD_CTX_new() : NULL;
    if (!md || EVP_DigestInit_ex2(md, sha256_impl, NULL) != 1 ||
        EVP_DigestUpdate(md, data, len) != 1 || EVP_DigestFinal_ex(md, out, NULL) != 1)
        SHA256(data, len, out); /* the same digest, the slower way */
    EVP_MD_CTX_free(md);
}

int crypto_sha256_fd(int fd, unsigned char out[CRYPTO_SHA256_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char chunk[1 << 16];
    ssize_t n = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    while (ok && (n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0 && EVP_DigestUpdate(md, chunk, (size_t)n) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                       unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned char mac[CRYPTO_HMAC_MAX_LEN];
    struct crypto_hmac *h = crypto_hmac_begin(CRYPTO_HMAC_SHA256, key, key_len);
    if (!h || crypto_hmac_update(h, data, len) < 0) {
        crypto_hmac_free(h);
        return -1;
    }
    if (crypto_hmac_end(h, mac) != CRYPTO_SHA256_LEN)
        return -1;
    memcpy(out, mac, CRYPTO_SHA256_LEN);
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

struct crypto_hmac {
    EVP_MAC_CTX *ctx;
};

static const char *const hmac_digests[] = {[CRYPTO_HMAC_SHA256] = "SHA256",
                                           [CRYPTO_HMAC_SHA512] = "SHA512",
                                           [CRYPTO_HMAC_SHA1] = "SHA1"};
enum { HMAC_ALGS = sizeof hmac_digests / sizeof hmac_digests[0] };

/* The HMAC implementation and, per digest, a context that has its digest but no key yet
 * are made once: looking up the MAC and the digest by name costs more than a webhook's
 * MAC, and a copy of a made context looks up nothing. Kept for the process's life. */
static EVP_MAC *hmac_impl;
static EVP_MAC_CTX *hmac_template[HMAC_ALGS];
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    if (!(hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL)))
        return;
    for (int i = 0; i < HMAC_ALGS; i++) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string("digest", (char *)hmac_digests[i], 0),
            OSSL_PARAM_construct_end(),
        };
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_impl);
        if (ctx && !EVP_MAC_CTX_set_params(ctx, params)) {
            EVP_MAC_CTX_free(ctx);
            ctx = NULL;
        }
        hmac_template[i] = ctx;
    }
}

void crypto_hmac_free(struct crypto_hmac *h)
{
    if (!h)
        return;
    EVP_MAC_CTX_free(h->ctx);
    free(h);
}

struct crypto_hmac *crypto_hmac_begin(enum crypto_hmac_alg alg, const void *key, size_t key_len)
{
    static const unsigned char empty[1];
    struct crypto_hmac *h = NULL;
    pthread_once(&hmac_once, hmac_fetch);
    if ((unsigned)alg >= HMAC_ALGS || !hmac_template[alg] || !(h = calloc(1, sizeof *h)) ||
        !(h->ctx = EVP_MAC_CTX_dup(hmac_template[alg])))
        goto fail;
    /* an empty key is a key too (HMAC pads it); OpenSSL wants a non-NULL pointer */
    if (!EVP_MAC_init(h->ctx, key_len ? key : empty, key_len, NULL))
        goto fail;
    return h;
fail:
    crypto_hmac_free(h);
    return NULL;
}

struct crypto_hmac *crypto_hmac_copy(const struct crypto_hmac *h)
{
    struct crypto_hmac *copy = calloc(1, sizeof *copy);
    if (copy && !(copy->ctx = EVP_MAC_CTX_dup(h->ctx))) {
        free(copy);
        copy = NULL;
    }
    return copy;
}

int crypto_hmac_update(struct crypto_hmac *h, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    return EVP_MAC_update(h->ctx, data, len) ? 0 : -1;
}

int crypto_hmac_end(struct crypto_hmac *h, unsigned char out[CRYPTO_HMAC_MAX_LEN])
{
    size_t out_len = 0;
    int ok = EVP_MAC_final(h->ctx, out, &out_len, CRYPTO_HMAC_MAX_LEN);
    crypto_hmac_free(h);
    return ok ? (int)out_len : -1;
}

bool crypto_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len != b_len)
        return false;
    return CRYPTO_memcmp(a, b, a_len) == 0;
}

void crypto_hex(const void *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long crypto_unhex(const char *hex, size_t hex_len, unsigned char *out, size_t out_cap)
{
    if (hex_len % 2 || hex_len / 2 > out_cap)
        return -1;
    for (size_t i = 0; i < hex_len / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(hex_len / 2);
}

size_t crypto_b64url(const void *data, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

/* The one base64 decoder: `url` picks the alphabet ('-' '_' or '+' '/'). */
static long b64_decode_core(const char *in, size_t len, unsigned char *out, size_t cap,
                            bool url)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == (url ? '-' : '+')) v = 62;
        else if (c == (url ? '_' : '/')) v = 63;
        else return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    return o > LONG_MAX ? -1 : (long)o;
}

static long b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    return b64_decode_core(in, len, out, cap, true);
}

size_t crypto_b64(const void *data, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

int crypto_token_new(char out[CRYPTO_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    if (crypto_random(raw, sizeof raw) < 0)
        return -1;
    memcpy(out, CRYPTO_TOKEN_PREFIX, 4);
    crypto_b64url(raw, sizeof raw, out + 4);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

void crypto_token_hash(const char *token, size_t len, char out_hex[2 * CRYPTO_SHA256_LEN + 1])
{
    unsigned char digest[CRYPTO_SHA256_LEN];
    crypto_sha256(token, len, digest);
    crypto_hex(digest, sizeof digest, out_hex);
}

/* 8 random bytes for an id. A booking makes about ten ids, and each RAND_bytes call costs
 * more than the bytes (locks, a fork check, the DRBG's setup); ids need unpredictable, not
 * secret, bits, so each thread draws them from a buffer it refills 64 ids at a time. */
static int id_random(unsigned char out[8])
{
    static _Thread_local unsigned char pool[512];
    static _Thread_local size_t used = sizeof pool;
    if (used == sizeof pool) {
        if (crypto_random(pool, sizeof pool) < 0)
            return -1;
        used = 0;
    }
    memcpy(out, pool + used, 8);
    used += 8;
    return 0;
}

/* An id's text: prefix, then the time part (48 bits of milliseconds and a 16-bit
 * sequence, big-endian, so ids sort by it) and n_random random bytes, in hex. The length is
 * checked against a whole id's, whatever n_random, so a prefix that fits a bound fits an id. */
#define ID_TIME_BYTES 8
#define ID_RANDOM_BYTES 8
static int id_write(const char *prefix, uint64_t time_part, size_t n_random,
                    char out[CRYPTO_ID_MAX])
{
    unsigned char raw[ID_TIME_BYTES + ID_RANDOM_BYTES];
    size_t plen = strlen(prefix);
    if (plen + 2 * sizeof raw + 1 > CRYPTO_ID_MAX ||
        (n_random && id_random(raw + ID_TIME_BYTES) < 0))
        return -1;
    for (int i = 0; i < ID_TIME_BYTES; i++)
        raw[i] = (unsigned char)(time_part >> (56 - 8 * i));
    memcpy(out, prefix, plen);
    crypto_hex(raw, ID_TIME_BYTES + n_random, out + plen);
    return 0;
}

int crypto_id_new(const char *prefix, char out[CRYPTO_ID_MAX])
{
    /* 48 bits of milliseconds and a 16-bit sequence, so ids made later in this process
     * sort after earlier ones (lists ordered by id read newest-first reliably), then 64
     * random bits so ids from several processes never clash. */
    static _Atomic uint64_t last;
    uint64_t now = (uint64_t)clock_now_ms() << 16, prev = atomic_load(&last), next;
    do {
        next = now > prev ? now : prev + 1;
    } while (!atomic_compare_exchange_weak(&last, &prev, next));
    return id_write(prefix, next, ID_RANDOM_BYTES, out);
}

/* The milliseconds and a sequence of 0, with no random part: an id drawn in an earlier
 * millisecond has a smaller time part, one drawn in that millisecond or later has an equal
 * or larger one and is longer. */
int crypto_id_bound(const char *prefix, int64_t ms, char out[CRYPTO_ID_MAX])
{
    return id_write(prefix, (uint64_t)(ms < 0 ? 0 : ms) << 16, 0, out);
}

#define GCM_NONCE 12
#define GCM_TAG 16

int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const void *plain,
                size_t plain_len, struct buf *out, struct error *err)
{
    int rc = -1, n = 0;
    unsigned char *raw = NULL;
    char *text = NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || plain_len > INT32_MAX / 2) {
        error_set(err, ERR_INTERNAL, "cannot seal secret");
        goto out;
    }
    size_t raw_len = GCM_NONCE + plain_len + GCM_TAG;
    raw = malloc(raw_len);
    text = malloc(4 * (raw_len + 2) / 3 + 4);
    if (!raw || !text || crypto_random(raw, GCM_NONCE) < 0 ||
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        EVP_EncryptUpdate(ctx, raw + GCM_NONCE, &n, plain, (int)plain_len) != 1 ||
        EVP_EncryptFinal_ex(ctx, raw + GCM_NONCE + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG, raw + GCM_NONCE + plain_len) != 1) {
        error_set(err, ERR_INTERNAL, "cannot seal secret");
        goto out;
    }
    size_t text_len = crypto_b64url(raw, raw_len, text);
    if (buf_append(out, "v1.", 3) < 0 || buf_append(out, text, text_len) < 0) {
        error_set(err, ERR_INTERNAL, "cannot seal secret: out of memory");
        goto out;
    }
    rc = 0;
out:
    if (raw)
        OPENSSL_cleanse(raw, GCM_NONCE + plain_len);
    free(raw);
    free(text);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad, const char *sealed,
                struct buf *out, struct error *err)
{
    int rc = -1, n = 0;
    long raw_len = -1;
    unsigned char *raw = NULL, *plain = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    size_t sealed_len = strlen(sealed);
    if (sealed_len < 3 || memcmp(sealed, "v1.", 3) != 0) {
        error_set(err, ERR_INTERNAL, "sealed secret has an unknown format");
        goto out;
    }
    raw = malloc(sealed_len);
    raw_len = raw ? b64url_decode(sealed + 3, sealed_len - 3, raw, sealed_len) : -1;
    if (raw_len < GCM_NONCE + GCM_TAG) {
        error_set(err, ERR_INTERNAL, "sealed secret is damaged");
        goto out;
    }
    size_t plain_len = (size_t)raw_len - GCM_NONCE - GCM_TAG;
    plain = malloc(plain_len + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!plain || !ctx ||
        EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        EVP_DecryptUpdate(ctx, plain, &n, raw + GCM_NONCE, (int)plain_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG,
                            raw + GCM_NONCE + plain_len) != 1 ||
        EVP_DecryptFinal_ex(ctx, plain + n, &n) != 1) {
        error_set(err, ERR_INTERNAL, "sealed secret failed authentication");
        goto out;
    }
    if (buf_append(out, plain, plain_len) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (plain && raw_len >= GCM_NONCE + GCM_TAG)
        OPENSSL_cleanse(plain, (size_t)raw_len - GCM_NONCE - GCM_TAG);
    free(plain);
    free(raw);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

uint32_t crypto_crc32(const void *data, size_t len)
{
    /* Four bits at a time: the table is the CRC of each nibble, so it fits in 16 words
     * and needs no initialization (and no lock). */
    static const uint32_t nibble[16] = {
        0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
        0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
        0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
    };
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nibble[crc & 15];
        crc = (crc >> 4) ^ nibble[crc & 15];
    }
    return crc ^ 0xFFFFFFFFu;
}

long crypto_b64_decode(const char *in, size_t len, unsigned char *out, size_t out_cap)
{
    size_t pad = 0;
    while (len && in[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if ((pad && (len + pad) % 4 != 0) || len % 4 == 1)
        return -1;
    return b64_decode_core(in, len, out, out_cap, false);
}

/* The first certificate of a PEM text, or NULL with err set. The caller frees it. */
static X509 *cert_read(const char *pem, size_t len, struct error *err)
{
    X509 *cert = NULL;
    BIO *bio = len > 0 && len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    if (bio)
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error(); /* the queue is per thread; leave nothing for the next caller */
    if (!cert)
        error_set(err, ERR_VALIDATION, "not a PEM X.509 certificate");
    return cert;
}

static int asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static int cert_dates(const X509 *cert, int64_t *not_before, int64_t *not_after,
                      struct error *err)
{
    if (asn1_time_unix(X509_get0_notBefore(cert), not_before) < 0 ||
        asn1_time_unix(X509_get0_notAfter(cert), not_after) < 0)
        return error_set(err, ERR_VALIDATION, "certificate has unreadable validity dates");
    return 0;
}

int crypto_cert_info(const char *cert_pem, size_t len, struct crypto_cert_info *out,
                     struct error *err)
{
    memset(out, 0, sizeof *out);
    X509 *cert = cert_read(cert_pem, len, err);
    if (!cert)
        return -1;
    int rc = cert_dates(cert, &out->not_before, &out->not_after, err);
    const X509_NAME *subject = X509_get_subject_name(cert);
    int at = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    const ASN1_STRING *cn = at >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at))
                                    : NULL;
    unsigned char *utf8 = NULL;
    int n = cn ? ASN1_STRING_to_UTF8(&utf8, cn) : -1;
    /* A CN with a NUL inside would compare as something it is not: leave it empty. */
    if (n > 0 && (size_t)n < sizeof out->subject_cn && !memchr(utf8, 0, (size_t)n))
        memcpy(out->subject_cn, utf8, (size_t)n);
    OPENSSL_free(utf8);
    ERR_clear_error();
    X509_free(cert);
    return rc;
}

int crypto_rsa_sha256_verify_cert(const char *cert_pem, size_t len, const void *data,
                                  size_t data_len, const unsigned char *sig, size_t sig_len,
                                  int64_t at, struct error *err)
{
    int rc = -1;
    int64_t not_before = 0, not_after = 0;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    X509 *cert = cert_read(cert_pem, len, err);
    if (!cert || cert_dates(cert, &not_before, &not_after, err) < 0)
        goto out;
    if (at < not_before || at > not_after) {
        error_set(err, ERR_VALIDATION, "certificate is %s", at < not_before ? "not yet valid"
                                                                            : "expired");
        goto out;
    }
    EVP_PKEY *key = X509_get0_pubkey(cert); /* owned by cert */
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        error_set(err, ERR_VALIDATION, "certificate key is not RSA");
        goto out;
    }
    if (EVP_PKEY_get_bits(key) < 2048) {
        error_set(err, ERR_VALIDATION, "certificate key is shorter than 2048 bits");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        error_set(err, ERR_INTERNAL, "cannot set up signature verification");
        goto out;
    }
    if (EVP_DigestVerify(md, sig, sig_len, data, data_len) != 1) {
        error_set(err, ERR_VALIDATION, "signature does not match the certificate's key");
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    EVP_MD_CTX_free(md); /* frees pctx too */
    X509_free(cert);
    return rc;
}

int crypto_rsa_sha256_sign(const char *key_pem, size_t len, const void *data, size_t data_len,
                           struct buf *sig, struct error *err)
{
    int rc = -1;
    size_t sig_len = 0;
    unsigned char *raw = NULL;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *key = NULL;
    BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(key_pem, (int)len) : NULL;
    if (!bio) {
        error_set(err, ERR_VALIDATION, "the private key is too large");
        goto out;
    }
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        error_set(err, ERR_VALIDATION, "the private key is not an unencrypted RSA key in PEM");
        goto out;
    }
    if (EVP_PKEY_get_bits(key) < 2048) {
        error_set(err, ERR_VALIDATION, "the private key is shorter than 2048 bits");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
        EVP_DigestSign(md, NULL, &sig_len, data, data_len) != 1) {
        error_set(err, ERR_INTERNAL, "cannot set up signing");
        goto out;
    }
    raw = malloc(sig_len);
    buf_reset(sig);
    if (!raw || EVP_DigestSign(md, raw, &sig_len, data, data_len) != 1 ||
        buf_append(sig, raw, sig_len) < 0) {
        error_set(err, ERR_INTERNAL, "cannot sign");
        goto out;
    }
    rc = 0;
out:
    free(raw);
    ERR_clear_error();
    EVP_MD_CTX_free(md); /* frees pctx too */
    EVP_PKEY_free(key);
    BIO_free(bio);
    return rc;
}
