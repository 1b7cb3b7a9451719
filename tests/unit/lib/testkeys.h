/* tests/unit/lib/testkeys.h - keys and self-signed certificates that a test makes for itself.
 *
 * Tests that check signature verification need a signer; rather than trust fixtures
 * nobody can re-create, they make an RSA (or EC) key and an X.509 certificate with the
 * subject and validity they need, through OpenSSL directly (the code under test goes
 * through crypto.h; the test is the independent signer). Header-only, because each unit
 * test is built from one file. */
#ifndef CONNECTORD_TESTS_TESTKEYS_H
#define CONNECTORD_TESTS_TESTKEYS_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

struct test_cert {
    EVP_PKEY *key;
    char *pem; /* the certificate, NUL-terminated */
    size_t pem_len;
};

/* A key (RSA of `bits`, or EC P-256 when bits is 0) and a certificate for it with subject
 * CN=cn, valid from now + not_before_s to now + not_after_s (seconds, may be negative). */
static inline int test_cert_make(struct test_cert *out, int bits, const char *cn, long not_before_s,
                          long not_after_s)
{
    memset(out, 0, sizeof *out);
    X509 *x = X509_new();
    BIO *bio = BIO_new(BIO_s_mem());
    EVP_PKEY *key = bits ? EVP_RSA_gen((unsigned)bits) : EVP_EC_gen("P-256");
    int rc = -1;
    if (!x || !bio || !key)
        goto out;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), not_before_s) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), not_after_s) || X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_sign(x, key, EVP_sha256()) <= 0 ||
        PEM_write_bio_X509(bio, x) != 1)
        goto out;
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    out->pem = malloc((size_t)len + 1);
    if (!out->pem)
        goto out;
    memcpy(out->pem, data, (size_t)len);
    out->pem[len] = '\0';
    out->pem_len = (size_t)len;
    out->key = key;
    key = NULL;
    rc = 0;
out:
    EVP_PKEY_free(key);
    BIO_free(bio);
    X509_free(x);
    return rc;
}

static inline void test_cert_free(struct test_cert *c)
{
    EVP_PKEY_free(c->key);
    free(c->pem);
    memset(c, 0, sizeof *c);
}

/* SHA-256 signature of msg with the key (PKCS#1 v1.5 for RSA) into sig; its length, or 0. */
static inline size_t test_sign(EVP_PKEY *key, const void *msg, size_t len, unsigned char *sig,
                        size_t cap)
{
    size_t sig_len = cap;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(md, sig, &sig_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    return ok ? sig_len : 0;
}

/* The same as standard padded base64, malloc'd, for a header. */
static inline char *test_sign_b64(EVP_PKEY *key, const void *msg, size_t len)
{
    unsigned char sig[1024];
    size_t n = test_sign(key, msg, len, sig, sizeof sig);
    char *b64 = n ? malloc(4 * ((n + 2) / 3) + 1) : NULL;
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, sig, (int)n);
    return b64;
}

#endif
