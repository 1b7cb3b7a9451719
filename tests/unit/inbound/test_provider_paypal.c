/* tests/unit/inbound/test_provider_paypal.c - src/inbound/providers/paypal.c.
 *
 * Verification runs against a certificate served by a local HTTP server under the
 * operator-trusted prefix (as the end-to-end tests will serve it), signed by a key the test
 * makes: a valid notification passes, and each thing PayPal's scheme binds (body, webhook
 * id, every header, the key, the certificate's dates) fails when changed. Certificate URLs
 * off PayPal's hosts are refused without any request. The cache is observed through the
 * server's hit count. The genuine 2015 sandbox notification passes at a time its
 * certificate was valid. Parse is checked on the reference's capture body and on refund,
 * denial and other events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "fakewebhook.h"
#include "httpc/httpc.h"
#include "inbound/provider.h"
#include "mockhttp.h"
#include "testkeys.h"

#define DAY (24L * 3600)
#define TID "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
#define TTIME "2026-03-22T14:30:02Z"
#define WEBHOOK_ID "1JE4291016473214C"

/* The reference's PayPal v2 capture body, exact bytes (CRC-32 2215716604). */
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

static const char refund_body[] =
    "{\"id\":\"WH-7Y7254563A4550640-11V2185806837105M\",\"event_type\":\"PAYMENT.CAPTURE.REFUNDED\","
    "\"create_time\":\"2026-03-23T10:00:00Z\",\"resource_type\":\"refund\",\"resource\":{"
    "\"id\":\"1JU08902781691411\",\"status\":\"COMPLETED\",\"amount\":{\"currency_code\":\"EUR\","
    "\"value\":\"10.00\"},\"invoice_id\":\"ACME-1001\",\"create_time\":\"2026-03-23T09:59:58Z\","
    "\"links\":[{\"href\":\"https://api.paypal.com/v2/payments/refunds/1JU08902781691411\","
    "\"rel\":\"self\",\"method\":\"GET\"},{\"href\":"
    "\"https://api.paypal.com/v2/payments/captures/2GG279541U471931P\",\"rel\":\"up\","
    "\"method\":\"GET\"}]}}";

static const char genuine_sig[] =
    "thy4/U002quzxFavHPwbfJGcc46E8rc5jzgyeafWm5mICTBdY/8rl7WJpn8JA0GKA+oDTPsSruqusw+XXg5RLAP7"
    "ip53Euh9Xu3UbUhQFX7UgwzE2FeYoY6lyRMiiiQLzy9BvHfIzNIVhPad4KnC339dr6y2l+mN8ALgI4GCdIh3/So"
    "JO5wE64Bh/ueWtt8EVuvsvXfda2Le5a2TrOI9vLEzsm9GS79hAR/5oLexNz8UiZr045Mr5ObroH4w4oNfmkTaDk9"
    "Rj0G19uvISs5QzgmBpauKr7Nw++JI0pr/v5mFctQkoWJSGfBGzPRXawrvIIVHQ9Wer48GR2g9ZiApWg==";

static struct mock_http server;
static struct test_cert good, other, expired, future;
static char prefix[128];
static const struct provider *paypal;

static int setup(void **state)
{
    (void)state;
    paypal = provider_find("paypal");
    if (!paypal || httpc_global_init() < 0 || mock_start(&server) < 0)
        return -1;
    snprintf(prefix, sizeof prefix, "%s/certs/", server.base);
    if (test_cert_make(&good, 2048, "messageverificationcerts.sandbox.paypal.com", -DAY,
                       365 * DAY) < 0 ||
        test_cert_make(&other, 2048, "messageverificationcerts.sandbox.paypal.com", -DAY,
                       365 * DAY) < 0 ||
        test_cert_make(&expired, 2048, "messageverificationcerts.sandbox.paypal.com",
                       -30 * DAY, -DAY) < 0 ||
        test_cert_make(&future, 2048, "messageverificationcerts.sandbox.paypal.com", DAY,
                       30 * DAY) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mock_stop(&server);
    test_cert_free(&good);
    test_cert_free(&other);
    test_cert_free(&expired);
    test_cert_free(&future);
    httpc_global_cleanup();
    return 0;
}

/* One notification as PayPal would send it, signed with `key`, its certificate at
 * prefix + cert_name. */
struct notification {
    struct fake_request f;
    struct fake_install i;
    char url[256];
    char *sig;
};

static void notification_init(struct notification *n, const char *body, const char *cert_name,
                              EVP_PKEY *key, int64_t now_s)
{
    char msg[256];
    snprintf(msg, sizeof msg, TID "|" TTIME "|" WEBHOOK_ID "|%" PRIu32,
             crypto_crc32(body, strlen(body)));
    fake_request_init(&n->f, body, now_s * 1000);
    snprintf(n->url, sizeof n->url, "%s%s", prefix, cert_name);
    n->sig = test_sign_b64(key, msg, strlen(msg));
    assert_non_null(n->sig);
    fake_set(n->f.headers, "PAYPAL-TRANSMISSION-ID", TID);
    fake_set(n->f.headers, "PAYPAL-TRANSMISSION-TIME", TTIME);
    fake_set(n->f.headers, "PAYPAL-TRANSMISSION-SIG", n->sig);
    fake_set(n->f.headers, "PAYPAL-CERT-URL", n->url);
    fake_set(n->f.headers, "PAYPAL-AUTH-ALGO", "SHA256withRSA");
    fake_install_init(&n->i, "{\"webhookId\": \"" WEBHOOK_ID "\"}", NULL);
    n->i.inst.trusted_cert_prefix = prefix;
}

static void notification_free(struct notification *n)
{
    free(n->sig);
    fake_install_free(&n->i);
}

static enum verify_result verify(struct notification *n, struct error *err)
{
    json_t *state = NULL;
    enum verify_result r = provider_verify(paypal, &n->f.req, &n->i.inst, &state, err);
    assert_null(state); /* PayPal keeps nothing for parse */
    return r;
}

static void serve(const char *cert_name, int status, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/certs/%s", cert_name);
    mock_route(&server, path, status, body, NULL);
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- verify ------------------------------------------------------------------------- */

static void test_reference_message_crc(void **state)
{
    (void)state;
    /* the reference's signed text for this body: the CRC as unsigned decimal */
    char msg[256];
    snprintf(msg, sizeof msg, TID "|" TTIME "|" WEBHOOK_ID "|%" PRIu32,
             crypto_crc32(capture_body, strlen(capture_body)));
    assert_string_equal(msg, "69cd13f0-d67a-11e5-baa3-778b53f4ae55|2026-03-22T14:30:02Z|"
                             "1JE4291016473214C|2215716604");
}

static void test_valid_notification_and_cache(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    serve("CERT-valid", 200, good.pem);
    notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
    int before = mock_hits(&server);
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    assert_string_equal(server.last_path, "/certs/CERT-valid");
    /* the second notification uses the cached certificate */
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    notification_free(&n);
}

static void test_cache_expires_after_an_hour(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    int64_t t = now_s();
    serve("CERT-ttl", 200, good.pem);
    notification_init(&n, capture_body, "CERT-ttl", good.key, t);
    int before = mock_hits(&server);
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    n.f.req.now_ms = (t + 3000) * 1000;
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 1);
    n.f.req.now_ms = (t + 3700) * 1000;
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    assert_int_equal(mock_hits(&server), before + 2);
    notification_free(&n);
}

static void test_cache_never_outlives_the_certificate(void **state)
{
    (void)state;
    struct test_cert brief;
    struct notification n;
    struct error err = {0};
    int64_t t = now_s();
    assert_int_equal(test_cert_make(&brief, 2048, "messageverificationcerts.paypal.com", -DAY,
                                    600),
                     0);
    serve("CERT-brief", 200, brief.pem);
    notification_init(&n, capture_body, "CERT-brief", brief.key, t);
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    n.f.req.now_ms = (t + 1200) * 1000; /* within the hour, after notAfter */
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    assert_non_null(strstr(err.message, "expired"));
    notification_free(&n);
    test_cert_free(&brief);
}

static void test_changed_body_byte_is_invalid(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    char body[sizeof capture_body];
    memcpy(body, capture_body, sizeof body);
    serve("CERT-valid", 200, good.pem);
    notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
    char *value = strstr(body, "99.00");
    value[1] = '8';
    n.f.req.body = body;
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    assert_int_equal(err.code, ERR_VALIDATION);
    notification_free(&n);
}

static void test_wrong_webhook_id_is_invalid(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    serve("CERT-valid", 200, good.pem);
    notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
    fake_install_free(&n.i);
    fake_install_init(&n.i, "{\"webhookId\": \"WEBHOOK_ID\"}", NULL);
    n.i.inst.trusted_cert_prefix = prefix;
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    notification_free(&n);
}

static void test_missing_webhook_id_setting_is_an_error(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
    fake_install_free(&n.i);
    fake_install_init(&n.i, "{}", NULL);
    n.i.inst.trusted_cert_prefix = prefix;
    int before = mock_hits(&server);
    assert_int_equal(verify(&n, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_int_equal(mock_hits(&server), before);
    notification_free(&n);
}

static void test_each_missing_header_is_invalid(void **state)
{
    (void)state;
    static const char *const headers[] = {"PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME",
                                          "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL",
                                          "PAYPAL-AUTH-ALGO"};
    serve("CERT-valid", 200, good.pem);
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        struct notification n;
        struct error err = {0};
        notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
        fake_unset(n.f.headers, headers[i]);
        assert_int_equal(verify(&n, &err), VERIFY_INVALID);
        assert_non_null(strstr(err.message, headers[i]));
        notification_free(&n);
    }
}

static void test_changed_headers_are_invalid(void **state)
{
    (void)state;
    struct error err = {0};
    struct notification n;
    serve("CERT-valid", 200, good.pem);
    notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
    fake_set(n.f.headers, "PAYPAL-TRANSMISSION-ID", "69cd13f0-d67a-11e5-baa3-778b53f4ae56");
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    fake_set(n.f.headers, "PAYPAL-TRANSMISSION-ID", TID);
    fake_set(n.f.headers, "PAYPAL-TRANSMISSION-TIME", "2026-03-22T14:30:03Z");
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    fake_set(n.f.headers, "PAYPAL-TRANSMISSION-TIME", TTIME);
    fake_set(n.f.headers, "PAYPAL-AUTH-ALGO", "SHA1withRSA");
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    fake_set(n.f.headers, "PAYPAL-AUTH-ALGO", "sha256withrsa"); /* case does not matter */
    assert_int_equal(verify(&n, &err), VERIFY_OK);
    fake_set(n.f.headers, "PAYPAL-TRANSMISSION-SIG", "not base64!");
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    notification_free(&n);
}

static void test_other_key_is_invalid(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    serve("CERT-valid", 200, good.pem);
    notification_init(&n, capture_body, "CERT-valid", other.key, now_s());
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    notification_free(&n);
}

static void test_certificate_dates(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    serve("CERT-expired", 200, expired.pem);
    notification_init(&n, capture_body, "CERT-expired", expired.key, now_s());
    int before = mock_hits(&server);
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    assert_non_null(strstr(err.message, "expired"));
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    assert_int_equal(mock_hits(&server), before + 2); /* a refused certificate is not cached */
    notification_free(&n);

    serve("CERT-future", 200, future.pem);
    notification_init(&n, capture_body, "CERT-future", future.key, now_s());
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    assert_non_null(strstr(err.message, "not yet valid"));
    notification_free(&n);
}

static void test_certificate_url_answers(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    notification_init(&n, capture_body, "CERT-missing", good.key, now_s());
    assert_int_equal(verify(&n, &err), VERIFY_INVALID); /* the mock answers 404 */
    notification_free(&n);

    serve("CERT-down", 503, "unavailable");
    notification_init(&n, capture_body, "CERT-down", good.key, now_s());
    assert_int_equal(verify(&n, &err), VERIFY_ERROR);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    notification_free(&n);

    serve("CERT-garbage", 200, "hello");
    notification_init(&n, capture_body, "CERT-garbage", good.key, now_s());
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    notification_free(&n);
}

static void test_untrusted_certificate_urls_are_not_fetched(void **state)
{
    (void)state;
    char outside[256], spaced[256];
    snprintf(outside, sizeof outside, "%s/elsewhere/CERT-valid", server.base);
    snprintf(spaced, sizeof spaced, "%sCERT valid", prefix);
    const char *const urls[] = {
        outside,
        spaced,
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
        "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
        "https://evil.example/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
        "https://api.paypal.com/v1/notifications/other/CERT-1",
        "https://api.paypal.com/v1/notifications/certs/",
        "https://api.paypal.com/v1/notifications/certs/../../../evil",
        "https://api.paypal.com/v1/notifications/certs/CERT-1?x=https://evil.example/",
        "https://www.paypal.com/v1/notifications/certs/CERT-1",
        "ftp://api.paypal.com/v1/notifications/certs/CERT-1",
    };
    int before = mock_hits(&server);
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct notification n;
        struct error err = {0};
        notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
        fake_set(n.f.headers, "PAYPAL-CERT-URL", urls[i]);
        assert_int_equal(verify(&n, &err), VERIFY_INVALID);
        assert_non_null(strstr(err.message, "PayPal's hosts"));
        notification_free(&n);
    }
    assert_int_equal(mock_hits(&server), before);
}

static void test_no_trusted_prefix_refuses_local_urls(void **state)
{
    (void)state;
    struct notification n;
    struct error err = {0};
    serve("CERT-valid", 200, good.pem);
    notification_init(&n, capture_body, "CERT-valid", good.key, now_s());
    n.i.inst.trusted_cert_prefix = NULL;
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    n.i.inst.trusted_cert_prefix = "";
    assert_int_equal(verify(&n, &err), VERIFY_INVALID);
    notification_free(&n);
}

static void *verify_in_thread(void *arg)
{
    struct notification *n = arg;
    struct error err = {0};
    json_t *state = NULL;
    intptr_t ok = provider_verify(paypal, &n->f.req, &n->i.inst, &state, &err) == VERIFY_OK;
    return (void *)ok;
}

static void test_concurrent_verifications(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    struct notification n[THREADS];
    pthread_t threads[THREADS];
    char name[32];
    for (int i = 0; i < THREADS; i++) {
        /* half share one URL, half have their own: hits and misses race on the cache */
        snprintf(name, sizeof name, "CERT-thread-%d", i % 2 ? i : 0);
        serve(name, 200, good.pem);
        notification_init(&n[i], capture_body, name, good.key, now_s());
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, verify_in_thread, &n[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        void *ok = NULL;
        pthread_join(threads[i], &ok);
        assert_true(ok != NULL);
        notification_free(&n[i]);
    }
}

static void test_genuine_paypal_notification(void **state)
{
    (void)state;
    static char body[2048], pem[8192];
    FILE *f = fopen("tests/fixtures/crypto/paypal-sandbox-2015-body.json", "rb");
    assert_non_null(f);
    size_t body_len = fread(body, 1, sizeof body - 1, f);
    fclose(f);
    f = fopen("tests/fixtures/crypto/paypal-sandbox-2015-cert.pem", "rb");
    assert_non_null(f);
    size_t pem_len = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    body[body_len] = pem[pem_len] = '\0';
    serve("CERT-360caa42-fca2a594-a5cafa77", 200, pem);

    struct fake_request req;
    struct fake_install inst;
    struct error err = {0};
    char url[256];
    json_t *st = NULL;
    snprintf(url, sizeof url, "%sCERT-360caa42-fca2a594-a5cafa77", prefix);
    fake_request_init(&req, body, INT64_C(1451606400) * 1000); /* 2016-01-01 */
    fake_set(req.headers, "paypal-transmission-id", "dfb3be50-fd74-11e4-8bf3-77339302725b");
    fake_set(req.headers, "paypal-transmission-time", "2015-05-18T15:45:13Z");
    fake_set(req.headers, "paypal-transmission-sig", genuine_sig);
    fake_set(req.headers, "paypal-cert-url", url);
    fake_set(req.headers, "paypal-auth-algo", "sha256");
    fake_install_init(&inst, "{\"webhookId\": \"4JH86294D6297924G\"}", NULL);
    inst.inst.trusted_cert_prefix = prefix;
    assert_int_equal(provider_verify(paypal, &req.req, &inst.inst, &st, &err), VERIFY_OK);

    /* today the certificate has expired */
    req.req.now_ms = (int64_t)time(NULL) * 1000;
    assert_int_equal(provider_verify(paypal, &req.req, &inst.inst, &st, &err), VERIFY_INVALID);

    /* and a legacy PAYMENT.SALE event is acknowledged, not booked */
    struct payment_list list = {0};
    assert_int_equal(provider_parse(paypal, &req.req, NULL, &list, &err), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].kind, PAYMENT_IGNORED);
    assert_string_equal(list.items[0].event, "PAYMENT.SALE.COMPLETED");
    payment_list_free(&list);
    fake_install_free(&inst);
}

/* ---- parse -------------------------------------------------------------------------- */

static int parse(const char *body, struct payment_list *list, struct error *err)
{
    struct fake_request req;
    fake_request_init(&req, body, 0);
    return provider_parse(paypal, &req.req, NULL, list, err);
}

static void test_parse_capture_completed(void **state)
{
    (void)state;
    struct payment_list list = {0};
    struct error err = {0};
    assert_int_equal(parse(capture_body, &list, &err), 0);
    assert_int_equal(list.n, 1);
    const struct payment *p = &list.items[0];
    assert_int_equal(p->kind, PAYMENT_SETTLED);
    assert_string_equal(p->event, "PAYMENT.CAPTURE.COMPLETED");
    assert_string_equal(p->event_id, "WH-58D329510W468432D-8HN650336L201105X");
    assert_string_equal(p->external_id, "2GG279541U471931P");
    assert_string_equal(p->invoice_number, "ACME-1001");
    assert_string_equal(p->date, "2026-03-22");
    assert_int_equal(p->amount.minor, 9900);
    assert_string_equal(p->amount.currency, "EUR");
    assert_string_equal(p->merchant_id, "7KNGBPH2U58GQ");
    assert_string_equal(p->merchant_email, "merchant@example.com");
    payment_list_free(&list);
}

static void test_parse_capture_refunded(void **state)
{
    (void)state;
    struct payment_list list = {0};
    struct error err = {0};
    assert_int_equal(parse(refund_body, &list, &err), 0);
    assert_int_equal(list.n, 1);
    const struct payment *p = &list.items[0];
    assert_int_equal(p->kind, PAYMENT_REFUNDED);
    assert_string_equal(p->event, "PAYMENT.CAPTURE.REFUNDED");
    assert_string_equal(p->external_id, "1JU08902781691411");
    assert_string_equal(p->refunded_external_id, "2GG279541U471931P");
    assert_int_equal(p->amount.minor, 1000);
    assert_string_equal(p->date, "2026-03-23");
    payment_list_free(&list);
}

static void test_parse_refund_without_capture_link_fails(void **state)
{
    (void)state;
    struct payment_list list = {0};
    struct error err = {0};
    char body[sizeof refund_body];
    memcpy(body, refund_body, sizeof body);
    memcpy(strstr(body, "\"rel\":\"up\""), "\"rel\":\"xx\"", 10);
    assert_int_equal(parse(body, &list, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    payment_list_free(&list);
}

static void test_parse_denied_and_declined_fail(void **state)
{
    (void)state;
    static const char *const types[] = {"PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED"};
    for (size_t i = 0; i < 2; i++) {
        char body[512];
        struct payment_list list = {0};
        struct error err = {0};
        snprintf(body, sizeof body,
                 "{\"id\":\"WH-1\",\"event_type\":\"%s\",\"create_time\":\"2026-03-22T14:30:00Z\","
                 "\"resource\":{\"id\":\"7NW873794T343360M\",\"status\":\"DECLINED\","
                 "\"amount\":{\"currency_code\":\"JPY\",\"value\":\"1500\"}}}",
                 types[i]);
        assert_int_equal(parse(body, &list, &err), 0);
        assert_int_equal(list.items[0].kind, PAYMENT_FAILED);
        assert_string_equal(list.items[0].event, types[i]);
        assert_string_equal(list.items[0].external_id, "7NW873794T343360M");
        assert_int_equal(list.items[0].amount.minor, 1500);
        assert_string_equal(list.items[0].date, "2026-03-22"); /* the event's time */
        payment_list_free(&list);
    }
}

static void test_parse_other_events_are_ignored(void **state)
{
    (void)state;
    struct payment_list list = {0};
    struct error err = {0};
    assert_int_equal(parse("{\"id\":\"WH-2\",\"event_type\":\"CHECKOUT.ORDER.APPROVED\","
                           "\"resource\":{\"id\":\"5O190127TN364715T\"}}",
                           &list, &err),
                     0);
    assert_int_equal(list.items[0].kind, PAYMENT_IGNORED);
    assert_non_null(strstr(list.items[0].detail, "CHECKOUT.ORDER.APPROVED"));
    payment_list_free(&list);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "not json",
        "{\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\"}",
        "{\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"resource\":{\"id\":\"X\","
        "\"create_time\":\"2026-03-22T14:30:00Z\",\"amount\":{\"currency_code\":\"EUR\","
        "\"value\":\"99.001\"}}}",
        "{\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"resource\":{\"id\":\"X\","
        "\"create_time\":\"2026-03-22T14:30:00Z\",\"amount\":{\"currency_code\":\"EUR\","
        "\"value\":99}}}",
        "{\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"resource\":{\"id\":\"X\","
        "\"amount\":{\"currency_code\":\"EUR\",\"value\":\"99.00\"}}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct payment_list list = {0};
        struct error err = {0};
        assert_int_equal(parse(bodies[i], &list, &err), -1);
        payment_list_free(&list);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_message_crc),
        cmocka_unit_test(test_valid_notification_and_cache),
        cmocka_unit_test(test_cache_expires_after_an_hour),
        cmocka_unit_test(test_cache_never_outlives_the_certificate),
        cmocka_unit_test(test_changed_body_byte_is_invalid),
        cmocka_unit_test(test_wrong_webhook_id_is_invalid),
        cmocka_unit_test(test_missing_webhook_id_setting_is_an_error),
        cmocka_unit_test(test_each_missing_header_is_invalid),
        cmocka_unit_test(test_changed_headers_are_invalid),
        cmocka_unit_test(test_other_key_is_invalid),
        cmocka_unit_test(test_certificate_dates),
        cmocka_unit_test(test_certificate_url_answers),
        cmocka_unit_test(test_untrusted_certificate_urls_are_not_fetched),
        cmocka_unit_test(test_no_trusted_prefix_refuses_local_urls),
        cmocka_unit_test(test_concurrent_verifications),
        cmocka_unit_test(test_genuine_paypal_notification),
        cmocka_unit_test(test_parse_capture_completed),
        cmocka_unit_test(test_parse_capture_refunded),
        cmocka_unit_test(test_parse_refund_without_capture_link_fails),
        cmocka_unit_test(test_parse_denied_and_declined_fail),
        cmocka_unit_test(test_parse_other_events_are_ignored),
        cmocka_unit_test(test_parse_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
