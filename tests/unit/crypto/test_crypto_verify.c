/* tests/unit/crypto/test_crypto_verify.c - the verification primitives of src/crypto/crypto.c that
 * PayPal's scheme needs: CRC-32, standard base64 decoding, certificate facts and RSA-SHA256
 * verification with a certificate's key.
 *
 * CRC-32 and base64 are checked against published vectors (zlib's check value, RFC 4648)
 * and the reference's PayPal bodies; RSA against keys and certificates the test makes, and
 * against the genuine PayPal sandbox vector (tests/fixtures/crypto/paypal-sandbox-2015-*),
 * whose certificate expired in 2017: it is verified at a time it was valid, and must fail
 * today, with a signed or hex CRC, or with one byte of the body changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "crypto/crypto.h"
#include "testkeys.h"

#define FIXTURES "tests/fixtures/crypto/"
#define DAY (24L * 3600)

static const char paypal_sig_b64[] =
    "thy4/U002quzxFavHPwbfJGcc46E8rc5jzgyeafWm5mICTBdY/8rl7WJpn8JA0GKA+oDTPsSruqusw+XXg5RLAP7"
    "ip53Euh9Xu3UbUhQFX7UgwzE2FeYoY6lyRMiiiQLzy9BvHfIzNIVhPad4KnC339dr6y2l+mN8ALgI4GCdIh3/So"
    "JO5wE64Bh/ueWtt8EVuvsvXfda2Le5a2TrOI9vLEzsm9GS79hAR/5oLexNz8UiZr045Mr5ObroH4w4oNfmkTaDk9"
    "Rj0G19uvISs5QzgmBpauKr7Nw++JI0pr/v5mFctQkoWJSGfBGzPRXawrvIIVHQ9Wer48GR2g9ZiApWg==";

/* The reference's self-made PayPal v2 capture body, exact bytes. */
static const char capture_body[] =
    "{\"id\":\"WH-58D329510W468432D-8HN650336L201105X\",\"event_version\":\"1.0\",\"create_time\":"
    "\"2026-03-22T14:30:00.000Z\",\"resource_type\":\"capture\",\"resource_version\":\"2.0\","
    "\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"summary\":\"Payment completed for EUR 99.0 "
    "EUR\",\"resource\":{\"id\":\"2GG279541U471931P\",\"status\":\"COMPLETED\",\"amount\":{"
    "\"currency_code\":\"EUR\",\"value\":\"99.00\"},\"final_capture\":true,"
    "\"seller_receivable_breakdown\":{\"gross_amount\":{\"currency_code\":\"EUR\",\"value\":"
    "\"99.00\"},\"paypal_fee\":{\"currency_code\":\"EUR\",\"value\":\"3.70\"},\"net_amount\":{"
    "\"currency_code\":\"EUR\",\"value\":\"95.30\"}},\"invoice_id\":\"ACME-1001\",\"custom_id\":"
    "\"order-1001\",\"supplementary_data\":{\"related_ids\":{\"order_id\":\"5O190127TN364715T\"}},"
    "\"payee\":{\"email_address\":\"merchant@example.com\",\"merchant_id\":\"7KNGBPH2U58GQ\"},"
    "\"create_time\":\"2026-03-22T14:29:58Z\",\"update_time\":\"2026-03-22T14:29:58Z\"},\"links\":"
    "[{\"href\":\"https://api.paypal.com/v1/notifications/webhooks-events/"
    "WH-58D329510W468432D-8HN650336L201105X\",\"rel\":\"self\",\"method\":\"GET\"}]}";

static char *read_fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *data = malloc(64 * 1024);
    assert_non_null(data);
    *len = fread(data, 1, 64 * 1024 - 1, f);
    data[*len] = '\0';
    fclose(f);
    return data;
}

/* 2016-01-01T00:00:00Z, inside the 2015 sandbox certificate's validity. */
#define IN_2016 INT64_C(1451606400)

/* ---- CRC-32 ------------------------------------------------------------------------- */

static void test_crc32_vectors(void **state)
{
    (void)state;
    assert_int_equal(crypto_crc32("", 0), 0);
    assert_int_equal(crypto_crc32("hello", 5), 907060870u);
    assert_int_equal(crypto_crc32("123456789", 9), 0xCBF43926u); /* the CRC catalogue's check */
    assert_int_equal(crypto_crc32("The quick brown fox jumps over the lazy dog", 43),
                     0x414FA339u);
    const unsigned char zeros[4] = {0}, ones[4] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(crypto_crc32(zeros, 4), 0x2144DF1Cu);
    assert_int_equal(crypto_crc32(ones, 4), 0xFFFFFFFFu);
}

static void test_crc32_paypal_bodies(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("paypal-sandbox-2015-body.json", &len);
    assert_int_equal(len, 1288);
    /* above 2^31: printed as a signed int it would be -1523156992 */
    assert_true(crypto_crc32(body, len) == UINT32_C(2771810304));
    free(body);
    assert_true(crypto_crc32(capture_body, strlen(capture_body)) == UINT32_C(2215716604));
}

/* ---- base64 ------------------------------------------------------------------------- */

static void expect_b64(const char *in, const char *out)
{
    unsigned char buf[64];
    long n = crypto_b64_decode(in, strlen(in), buf, sizeof buf);
    assert_int_equal(n, (long)strlen(out));
    assert_memory_equal(buf, out, strlen(out));
}

static void test_b64_rfc4648_vectors(void **state)
{
    (void)state;
    expect_b64("", "");
    expect_b64("Zg==", "f");
    expect_b64("Zm8=", "fo");
    expect_b64("Zm9v", "foo");
    expect_b64("Zm9vYg==", "foob");
    expect_b64("Zm9vYmE=", "fooba");
    expect_b64("Zm9vYmFy", "foobar");
    expect_b64("Zm9vYg", "foob"); /* padding is optional */
    expect_b64("Zm8", "fo");
}

static void test_b64_standard_alphabet(void **state)
{
    (void)state;
    unsigned char buf[8];
    assert_int_equal(crypto_b64_decode("+/+/", 4, buf, sizeof buf), 3);
    assert_int_equal(buf[0], 0xfb);
    assert_int_equal(buf[1], 0xff);
    assert_int_equal(buf[2], 0xbf);
    /* the URL-safe alphabet is another encoding */
    assert_int_equal(crypto_b64_decode("-_-_", 4, buf, sizeof buf), -1);
}

static void test_b64_rejects_malformed(void **state)
{
    (void)state;
    unsigned char buf[64];
    static const char *const bad[] = {
        "Z",        /* one character cannot encode a byte */
        "Zg=",      /* padding that does not complete a quantum */
        "Z===",     /* three padding characters */
        "Zg==Zg==", /* padding in the middle */
        "Zm9v\n",   /* whitespace */
        "Zm 9v",    "Zm9v!",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(crypto_b64_decode(bad[i], strlen(bad[i]), buf, sizeof buf), -1);
    /* a NUL inside the given length is not skipped */
    assert_int_equal(crypto_b64_decode("Zm\0v", 4, buf, sizeof buf), -1);
}

static void test_b64_respects_capacity(void **state)
{
    (void)state;
    unsigned char buf[5];
    assert_int_equal(crypto_b64_decode("Zm9vYmE=", 8, buf, 5), 5);
    assert_int_equal(crypto_b64_decode("Zm9vYmFy", 8, buf, 5), -1);
}

static void test_b64_paypal_signature_length(void **state)
{
    (void)state;
    unsigned char sig[512];
    assert_int_equal(crypto_b64_decode(paypal_sig_b64, strlen(paypal_sig_b64), sig, sizeof sig),
                     256); /* RSA-2048 */
}

/* ---- certificates ------------------------------------------------------------------- */

static void test_cert_info_reads_subject_and_dates(void **state)
{
    (void)state;
    struct test_cert c;
    struct crypto_cert_info info;
    struct error err = {0};
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(test_cert_make(&c, 2048, "messageverificationcerts.sandbox.paypal.com",
                                    -DAY, 30 * DAY),
                     0);
    assert_int_equal(crypto_cert_info(c.pem, c.pem_len, &info, &err), 0);
    assert_string_equal(info.subject_cn, "messageverificationcerts.sandbox.paypal.com");
    assert_true(info.not_before >= now - DAY - 5 && info.not_before <= now - DAY + 5);
    assert_true(info.not_after >= now + 30 * DAY - 5 && info.not_after <= now + 30 * DAY + 5);
    test_cert_free(&c);
}

static void test_cert_info_of_genuine_paypal_cert(void **state)
{
    (void)state;
    size_t len;
    char *pem = read_fixture("paypal-sandbox-2015-cert.pem", &len);
    struct crypto_cert_info info;
    struct error err = {0};
    assert_int_equal(crypto_cert_info(pem, len, &info, &err), 0);
    assert_string_equal(info.subject_cn, "messageverificationcerts.sandbox.paypal.com");
    assert_true(info.not_before == INT64_C(1426636800)); /* 2015-03-18T00:00:00Z */
    assert_true(info.not_after == INT64_C(1490184000));  /* 2017-03-22T12:00:00Z */
    free(pem);
}

static void test_cert_info_rejects_garbage(void **state)
{
    (void)state;
    struct crypto_cert_info info;
    struct error err = {0};
    static const char not_pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_int_equal(crypto_cert_info(not_pem, strlen(not_pem), &info, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(crypto_cert_info("", 0, &info, &err), -1);
}

/* ---- RSA-SHA256 with a certificate -------------------------------------------------- */

static void test_rsa_verify_own_key(void **state)
{
    (void)state;
    static const char msg[] =
        "69cd13f0-d67a-11e5-baa3-778b53f4ae55|2026-03-22T14:30:02Z|1JE4291016473214C|2215716604";
    struct test_cert c, other;
    struct error err = {0};
    unsigned char sig[512];
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(test_cert_make(&c, 2048, "test", -DAY, DAY), 0);
    assert_int_equal(test_cert_make(&other, 2048, "test", -DAY, DAY), 0);
    size_t n = test_sign(c.key, msg, strlen(msg), sig, sizeof sig);
    assert_int_equal(n, 256);

    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig, n,
                                                   now, &err),
                     0);
    /* another key, a changed message, a changed or cut signature: all invalid */
    assert_int_equal(crypto_rsa_sha256_verify_cert(other.pem, other.pem_len, msg, strlen(msg),
                                                   sig, n, now, &err),
                     -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg) - 1, sig,
                                                   n, now, &err),
                     -1);
    sig[100] ^= 1;
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig, n,
                                                   now, &err),
                     -1);
    sig[100] ^= 1;
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig,
                                                   n - 1, now, &err),
                     -1);
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig, 0,
                                                   now, &err),
                     -1);
    test_cert_free(&c);
    test_cert_free(&other);
}

static void test_rsa_verify_checks_dates(void **state)
{
    (void)state;
    static const char msg[] = "a|b|c|1";
    struct test_cert c;
    struct error err = {0};
    unsigned char sig[512];
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(test_cert_make(&c, 2048, "test", DAY, 2 * DAY), 0);
    size_t n = test_sign(c.key, msg, strlen(msg), sig, sizeof sig);
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig, n,
                                                   now, &err),
                     -1);
    assert_non_null(strstr(err.message, "not yet valid"));
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig, n,
                                                   now + DAY + 60, &err),
                     0);
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg), sig, n,
                                                   now + 3 * DAY, &err),
                     -1);
    assert_non_null(strstr(err.message, "expired"));
    test_cert_free(&c);
}

static void test_rsa_verify_refuses_weak_or_other_keys(void **state)
{
    (void)state;
    static const char msg[] = "a|b|c|1";
    struct test_cert rsa1024, ec;
    struct error err = {0};
    unsigned char sig[512];
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(test_cert_make(&rsa1024, 1024, "test", -DAY, DAY), 0);
    size_t n = test_sign(rsa1024.key, msg, strlen(msg), sig, sizeof sig);
    assert_int_equal(crypto_rsa_sha256_verify_cert(rsa1024.pem, rsa1024.pem_len, msg,
                                                   strlen(msg), sig, n, now, &err),
                     -1);
    assert_non_null(strstr(err.message, "2048"));

    assert_int_equal(test_cert_make(&ec, 0, "test", -DAY, DAY), 0);
    n = test_sign(ec.key, msg, strlen(msg), sig, sizeof sig);
    assert_true(n > 0);
    assert_int_equal(crypto_rsa_sha256_verify_cert(ec.pem, ec.pem_len, msg, strlen(msg), sig, n,
                                                   now, &err),
                     -1);
    assert_non_null(strstr(err.message, "not RSA"));
    test_cert_free(&rsa1024);
    test_cert_free(&ec);
}

/* ---- the genuine PayPal sandbox vector ---------------------------------------------- */

static int paypal_vector_check(const char *crc_text, int64_t at, struct error *err)
{
    size_t pem_len, body_len;
    char *pem = read_fixture("paypal-sandbox-2015-cert.pem", &pem_len);
    char *body = read_fixture("paypal-sandbox-2015-body.json", &body_len);
    unsigned char sig[512];
    char msg[256];
    char crc[16];
    if (!crc_text) {
        snprintf(crc, sizeof crc, "%" PRIu32, crypto_crc32(body, body_len));
        crc_text = crc;
    }
    snprintf(msg, sizeof msg, "dfb3be50-fd74-11e4-8bf3-77339302725b|2015-05-18T15:45:13Z|"
                              "4JH86294D6297924G|%s", crc_text);
    long n = crypto_b64_decode(paypal_sig_b64, strlen(paypal_sig_b64), sig, sizeof sig);
    assert_int_equal(n, 256);
    int rc = crypto_rsa_sha256_verify_cert(pem, pem_len, msg, strlen(msg), sig, (size_t)n, at,
                                           err);
    free(pem);
    free(body);
    return rc;
}

static void test_paypal_genuine_vector(void **state)
{
    (void)state;
    struct error err = {0};
    assert_int_equal(paypal_vector_check(NULL, IN_2016, &err), 0);
    assert_int_equal(paypal_vector_check("2771810304", IN_2016, &err), 0);
}

static void test_paypal_genuine_vector_wrong_crc_forms(void **state)
{
    (void)state;
    struct error err = {0};
    assert_int_equal(paypal_vector_check("-1523156992", IN_2016, &err), -1); /* signed */
    assert_int_equal(paypal_vector_check("a5367800", IN_2016, &err), -1);    /* hex */
    assert_int_equal(paypal_vector_check("2771810305", IN_2016, &err), -1);
}

static void test_paypal_genuine_vector_expired_today(void **state)
{
    (void)state;
    struct error err = {0};
    assert_int_equal(paypal_vector_check(NULL, (int64_t)time(NULL), &err), -1);
    assert_non_null(strstr(err.message, "expired"));
}

/* ---- RSA-SHA256 signing (a service-account key's own token request) -------------------- */

/* The key of c as an unencrypted PKCS#8 PEM text (caller frees). */
static char *private_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        long len = BIO_get_mem_data(bio, &data);
        out = calloc(1, (size_t)len + 1);
        if (out)
            memcpy(out, data, (size_t)len);
    }
    BIO_free(bio);
    return out;
}

static void test_rsa_sign_verifies_with_the_public_half(void **state)
{
    (void)state;
    static const char msg[] = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhQGIuYyJ9";
    struct test_cert c, other, weak, ec;
    struct error err = {0};
    struct buf sig;
    int64_t now = (int64_t)time(NULL);
    buf_init(&sig, 0);
    assert_int_equal(test_cert_make(&c, 2048, "sa", -DAY, DAY), 0);
    assert_int_equal(test_cert_make(&other, 2048, "other", -DAY, DAY), 0);
    assert_int_equal(test_cert_make(&weak, 1024, "weak", -DAY, DAY), 0);
    assert_int_equal(test_cert_make(&ec, 0, "ec", -DAY, DAY), 0);
    char *pem = private_pem(c.key), *weak_pem = private_pem(weak.key), *ec_pem = private_pem(ec.key);
    assert_non_null(pem);
    assert_int_equal(crypto_rsa_sha256_sign(pem, strlen(pem), msg, strlen(msg), &sig, &err), 0);
    assert_int_equal(sig.len, 256);
    assert_int_equal(crypto_rsa_sha256_verify_cert(c.pem, c.pem_len, msg, strlen(msg),
                                                   (const unsigned char *)sig.data, sig.len,
                                                   now, &err),
                     0);
    assert_int_equal(crypto_rsa_sha256_verify_cert(other.pem, other.pem_len, msg, strlen(msg),
                                                   (const unsigned char *)sig.data, sig.len,
                                                   now, &err),
                     -1);
    /* a short key, a key that is not RSA, text that is no key: refused, never quoted */
    assert_int_equal(crypto_rsa_sha256_sign(weak_pem, strlen(weak_pem), msg, 3, &sig, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(crypto_rsa_sha256_sign(ec_pem, strlen(ec_pem), msg, 3, &sig, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    pem[40] ^= 1;
    assert_int_equal(crypto_rsa_sha256_sign(pem, strlen(pem), msg, 3, &sig, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_null(strstr(err.message, "BEGIN"));
    free(pem);
    free(weak_pem);
    free(ec_pem);
    buf_free(&sig);
    test_cert_free(&c);
    test_cert_free(&other);
    test_cert_free(&weak);
    test_cert_free(&ec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_vectors),
        cmocka_unit_test(test_crc32_paypal_bodies),
        cmocka_unit_test(test_b64_rfc4648_vectors),
        cmocka_unit_test(test_b64_standard_alphabet),
        cmocka_unit_test(test_b64_rejects_malformed),
        cmocka_unit_test(test_b64_respects_capacity),
        cmocka_unit_test(test_b64_paypal_signature_length),
        cmocka_unit_test(test_cert_info_reads_subject_and_dates),
        cmocka_unit_test(test_cert_info_of_genuine_paypal_cert),
        cmocka_unit_test(test_cert_info_rejects_garbage),
        cmocka_unit_test(test_rsa_verify_own_key),
        cmocka_unit_test(test_rsa_verify_checks_dates),
        cmocka_unit_test(test_rsa_verify_refuses_weak_or_other_keys),
        cmocka_unit_test(test_paypal_genuine_vector),
        cmocka_unit_test(test_paypal_genuine_vector_wrong_crc_forms),
        cmocka_unit_test(test_paypal_genuine_vector_expired_today),
        cmocka_unit_test(test_rsa_sign_verifies_with_the_public_half),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
