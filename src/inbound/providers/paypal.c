/* inbound/providers/paypal.c - PayPal webhooks, verified with PayPal's certificate.
 *
 * Verification (as PayPal documents it and its SDKs did it): the signed text is
 *   <PAYPAL-TRANSMISSION-ID>|<PAYPAL-TRANSMISSION-TIME>|<webhookId>|<CRC-32 of the raw body>
 * with both headers verbatim, webhookId the install's setting (PayPal's id of the
 * subscribed URL; it is not in the request) and the CRC as unsigned decimal: a signed or
 * hex CRC fails on genuine vectors. PAYPAL-TRANSMISSION-SIG is the base64 RSASSA-PKCS1-v1_5
 * / SHA-256 signature of that text under the key of the X.509 certificate at
 * PAYPAL-CERT-URL (PAYPAL-AUTH-ALGO: SHA256withRSA).
 *
 * The certificate URL comes from the request, so it decides nothing by itself: it must be
 * https on one of PayPal's API hosts under /v1/notifications/certs/, and the certificate
 * there must be PayPal's message-verification certificate (CN messageverificationcerts.
 * ...paypal.com, as PayPal's Java SDK checked) and in date. An operator may trust one more
 * URL prefix (the tests' local server); what it serves is trusted as is. No chain check:
 * the TLS connection to PayPal's host already says who served the certificate.
 * Certificates are cached by URL (PayPal changes the URL when it rotates) for an hour at
 * most and never past their notAfter, in a small mutex-guarded table, so a burst of
 * webhooks costs one download. PayPal documents no replay window; duplicates are the
 * store's to catch (the event id is WH-...).
 *
 * Events (amounts are decimal strings): PAYMENT.CAPTURE.COMPLETED books the capture
 * (externalId resource.id); PAYMENT.CAPTURE.REFUNDED books a refund (resource.id is the
 * refund's id; the capture's id is only in the resource's link with rel "up");
 * PAYMENT.CAPTURE.DENIED and .DECLINED are failed payments; anything else is not booked. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/fx.h"
#include "crypto/crypto.h"
#include "httpc/httpc.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define CERT_PATH "/v1/notifications/certs/"
#define CERT_CN_PREFIX "messageverificationcerts."
#define CERT_MAX_BYTES (64 * 1024)
#define CERT_CACHE_SLOTS 16
#define CERT_CACHE_TTL_S 3600
#define URL_MAX 512
#define SIG_MAX_BYTES 1024 /* RSA-8192; PayPal's are 256 */

static const char *const paypal_hosts[] = {
    "api.paypal.com", "api.sandbox.paypal.com", "api-m.paypal.com", "api-m.sandbox.paypal.com",
};

/* ---- the certificate URL ------------------------------------------------------------ */

static bool on_paypal_host(const char *url)
{
    if (strncmp(url, "https://", 8) != 0)
        return false;
    const char *host = url + 8, *slash = strchr(host, '/');
    if (!slash)
        return false;
    size_t host_len = (size_t)(slash - host);
    bool known = false;
    for (size_t i = 0; i < sizeof paypal_hosts / sizeof paypal_hosts[0] && !known; i++)
        known = strlen(paypal_hosts[i]) == host_len &&
                strncasecmp(host, paypal_hosts[i], host_len) == 0;
    if (!known || strncmp(slash, CERT_PATH, strlen(CERT_PATH)) != 0)
        return false;
    const char *name = slash + strlen(CERT_PATH);
    return *name && !strstr(name, "..") && sig_id_valid(name, "", 200, "-_.");
}

/* Which certificate URLs are believed: PayPal's, or the operator's extra prefix. Sets
 * *from_paypal when the URL is PayPal's own (its certificate must then say so too). */
static bool cert_url_trusted(const char *url, const char *trusted_prefix, bool *from_paypal)
{
    *from_paypal = false;
    size_t len = strlen(url);
    if (len == 0 || len > URL_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
            return false;
    if (on_paypal_host(url)) {
        *from_paypal = true;
        return true;
    }
    return trusted_prefix && *trusted_prefix &&
           strncmp(url, trusted_prefix, strlen(trusted_prefix)) == 0;
}

static bool paypal_cn(const char *cn)
{
    size_t len = strlen(cn), plen = strlen(CERT_CN_PREFIX);
    if (len <= plen || strncasecmp(cn, CERT_CN_PREFIX, plen) != 0)
        return false;
    const char *rest = cn + plen;
    size_t rest_len = len - plen;
    return strcasecmp(rest, "paypal.com") == 0 ||
           (rest_len > 11 && strcasecmp(rest + rest_len - 11, ".paypal.com") == 0);
}

/* ---- the certificate cache ---------------------------------------------------------- */

struct cert_slot {
    char *url; /* owned; NULL: free slot */
    char *pem; /* owned */
    size_t pem_len;
    int64_t expires; /* Unix seconds */
    int64_t used;
};

static struct cert_slot cert_cache[CERT_CACHE_SLOTS];
static pthread_mutex_t cert_lock = PTHREAD_MUTEX_INITIALIZER;

static void slot_clear(struct cert_slot *s)
{
    free(s->url);
    free(s->pem);
    memset(s, 0, sizeof *s);
}

/* Copies the cached certificate for url into out when one is fresh at `now`. */
static bool cert_cache_get(const char *url, int64_t now, struct buf *out)
{
    bool hit = false;
    pthread_mutex_lock(&cert_lock);
    for (size_t i = 0; i < CERT_CACHE_SLOTS; i++) {
        struct cert_slot *s = &cert_cache[i];
        if (!s->url || strcmp(s->url, url) != 0)
            continue;
        if (s->expires <= now) {
            slot_clear(s);
            break;
        }
        s->used = now;
        hit = buf_append(out, s->pem, s->pem_len) == 0;
        break;
    }
    pthread_mutex_unlock(&cert_lock);
    return hit;
}

/* Keeps a copy of the certificate; the least recently used one makes room. Failing to
 * allocate only means the next request downloads it again. */
static void cert_cache_put(const char *url, const char *pem, size_t pem_len, int64_t now,
                           int64_t expires)
{
    char *url_copy = strdup(url), *pem_copy = malloc(pem_len);
    if (!url_copy || !pem_copy) {
        free(url_copy);
        free(pem_copy);
        return;
    }
    memcpy(pem_copy, pem, pem_len);
    pthread_mutex_lock(&cert_lock);
    struct cert_slot *victim = &cert_cache[0];
    for (size_t i = 0; i < CERT_CACHE_SLOTS; i++) {
        struct cert_slot *s = &cert_cache[i];
        if (s->url && strcmp(s->url, url) == 0) {
            victim = s;
            break;
        }
        if (!s->url || s->expires <= now)
            victim = s;
        else if (victim->url && victim->expires > now && s->used < victim->used)
            victim = s;
    }
    slot_clear(victim);
    *victim = (struct cert_slot){.url = url_copy, .pem = pem_copy, .pem_len = pem_len,
                                 .expires = expires, .used = now};
    pthread_mutex_unlock(&cert_lock);
}

/* The certificate at url, from the cache or downloaded and checked (readable, in date at
 * now, PayPal's subject when from_paypal) and then cached. */
static enum verify_result cert_get(const char *url, bool from_paypal, int64_t now,
                                   struct buf *pem, struct error *err)
{
    if (cert_cache_get(url, now, pem))
        return VERIFY_OK;
    enum verify_result r = VERIFY_ERROR;
    struct httpc_response resp;
    struct crypto_cert_info info;
    struct httpc_header accept = {"Accept", "application/x-pem-file, */*"};
    struct httpc_request req = {.method = "GET", .url = url, .headers = &accept,
                                .n_headers = 1, .max_response = CERT_MAX_BYTES};
    if (httpc_perform(&req, &resp, err) < 0)
        goto out;
    if (resp.status >= 400 && resp.status < 500) {
        error_set(err, ERR_VALIDATION, "no certificate at the certificate URL (HTTP %ld)",
                  resp.status);
        r = VERIFY_INVALID;
        goto out;
    }
    if (resp.status != 200) {
        error_set(err, ERR_UNAVAILABLE, "the certificate URL answered HTTP %ld", resp.status);
        goto out;
    }
    r = VERIFY_INVALID;
    if (crypto_cert_info(resp.body.data, resp.body.len, &info, err) < 0)
        goto out;
    if (now < info.not_before || now > info.not_after) {
        error_set(err, ERR_VALIDATION, "PayPal's certificate is %s",
                  now < info.not_before ? "not yet valid" : "expired");
        goto out;
    }
    if (from_paypal && !paypal_cn(info.subject_cn)) {
        error_set(err, ERR_VALIDATION, "the certificate is not PayPal's message verification "
                                       "certificate (CN %.*s)", UTF8_CUT(64, info.subject_cn));
        goto out;
    }
    if (buf_append(pem, resp.body.data, resp.body.len) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        r = VERIFY_ERROR;
        goto out;
    }
    int64_t expires = now + CERT_CACHE_TTL_S;
    cert_cache_put(url, resp.body.data, resp.body.len, now,
                   expires < info.not_after ? expires : info.not_after);
    r = VERIFY_OK;
out:
    httpc_response_free(&resp);
    return r;
}

/* ---- verify ------------------------------------------------------------------------- */

static const char *required_header(const struct webhook_request *req, const char *name,
                                   size_t max_len, struct error *err)
{
    const char *v = req->header(req, name);
    if (!v || !*v || strlen(v) > max_len) {
        error_set(err, ERR_VALIDATION, "%s header %s", v && *v ? "oversized" : "missing", name);
        return NULL;
    }
    return v;
}

static enum verify_result paypal_verify(const struct webhook_request *req,
                                        const struct provider_install *inst, json_t **state,
                                        struct error *err)
{
    (void)state;
    enum verify_result r = VERIFY_INVALID;
    unsigned char sig[SIG_MAX_BYTES];
    struct buf msg, pem;
    bool from_paypal = false;
    const char *id, *when, *sig_b64, *url, *algo;
    if (!(id = required_header(req, "PAYPAL-TRANSMISSION-ID", 128, err)) ||
        !(when = required_header(req, "PAYPAL-TRANSMISSION-TIME", 64, err)) ||
        !(sig_b64 = required_header(req, "PAYPAL-TRANSMISSION-SIG", 2 * SIG_MAX_BYTES, err)) ||
        !(url = required_header(req, "PAYPAL-CERT-URL", URL_MAX, err)) ||
        !(algo = required_header(req, "PAYPAL-AUTH-ALGO", 64, err)))
        return VERIFY_INVALID;
    /* "sha256" is what PayPal sent in its early (2015) notifications. */
    if (strcasecmp(algo, "SHA256withRSA") != 0 && strcasecmp(algo, "sha256") != 0) {
        error_set(err, ERR_VALIDATION, "unsupported PAYPAL-AUTH-ALGO %.*s", UTF8_CUT(32, algo));
        return VERIFY_INVALID;
    }
    const char *webhook_id = json_string_value(json_object_get(inst->config, "webhookId"));
    if (!webhook_id || !*webhook_id) {
        error_set(err, ERR_CONFIG, "the PayPal webhookId setting is not set");
        return VERIFY_ERROR;
    }
    if (!cert_url_trusted(url, inst->trusted_cert_prefix, &from_paypal)) {
        error_set(err, ERR_VALIDATION, "PAYPAL-CERT-URL is not on PayPal's hosts");
        return VERIFY_INVALID;
    }
    long sig_len = crypto_b64_decode(sig_b64, strlen(sig_b64), sig, sizeof sig);
    if (sig_len <= 0) {
        error_set(err, ERR_VALIDATION, "PAYPAL-TRANSMISSION-SIG is not base64");
        return VERIFY_INVALID;
    }

    buf_init(&msg, 1024);
    buf_init(&pem, CERT_MAX_BYTES);
    if (buf_printf(&msg, "%s|%s|%s|%" PRIu32, id, when, webhook_id,
                   crypto_crc32(req->body, req->body_len)) < 0) {
        error_set(err, ERR_CONFIG, "the PayPal webhookId setting is too long");
        r = VERIFY_ERROR;
        goto out;
    }
    int64_t now = req->now_ms / 1000;
    if ((r = cert_get(url, from_paypal, now, &pem, err)) != VERIFY_OK)
        goto out;
    r = crypto_rsa_sha256_verify_cert(pem.data, pem.len, msg.data, msg.len, sig,
                                      (size_t)sig_len, now, err) == 0
            ? VERIFY_OK
            : VERIFY_INVALID;
out:
    buf_free(&pem);
    buf_free(&msg);
    return r;
}

/* ---- parse -------------------------------------------------------------------------- */

/* The capture a refund belongs to: the id after "/captures/" in the link with rel "up"
 * (".../v2/payments/captures/{capture_id}"). */
static void refunded_capture(const json_t *resource, char *out, size_t cap)
{
    const json_t *links = json_object_get(resource, "links"), *link;
    size_t i;
    out[0] = '\0';
    json_array_foreach(links, i, link) {
        const char *rel = sig_json_str(link, "rel"), *href = sig_json_str(link, "href");
        const char *at = href ? strstr(href, "/captures/") : NULL;
        if (!rel || strcmp(rel, "up") != 0 || !at)
            continue;
        at += strlen("/captures/");
        size_t len = strcspn(at, "/?#");
        if (len > 0 && len < cap) {
            memcpy(out, at, len);
            out[len] = '\0';
            if (sig_id_valid(out, "", cap - 1, "-_"))
                return;
        }
        out[0] = '\0';
    }
}

/* Every field the parse reads, as a path from the event (sig_fields: read once by jscan,
 * no tree). A refund's links are a list, walked in a tree parsed for refunds alone. */
enum paypal_field {
    P_TYPE, P_ID, P_CREATE_TIME, P_RESOURCE, P_R_ID, P_MERCHANT_ID, P_MERCHANT_EMAIL,
    P_INVOICE_ID, P_R_CREATE_TIME, P_AMOUNT, P_CURRENCY, P_FX_TARGET, P_FX_SOURCE, P_FX_VALUE,
    P_GROSS, P_GROSS_CURRENCY,
    P__COUNT
};

static const char *const field_paths[P__COUNT] = {
    [P_TYPE] = "event_type",
    [P_ID] = "id",
    [P_CREATE_TIME] = "create_time",
    [P_RESOURCE] = "resource",
    [P_R_ID] = "resource.id",
    [P_MERCHANT_ID] = "resource.payee.merchant_id",
    [P_MERCHANT_EMAIL] = "resource.payee.email_address",
    [P_INVOICE_ID] = "resource.invoice_id",
    [P_R_CREATE_TIME] = "resource.create_time",
    [P_AMOUNT] = "resource.amount.value",
    [P_CURRENCY] = "resource.amount.currency_code",
    [P_FX_TARGET] = "resource.seller_receivable_breakdown.exchange_rate.target_currency",
    [P_FX_SOURCE] = "resource.seller_receivable_breakdown.exchange_rate.source_currency",
    [P_FX_VALUE] = "resource.seller_receivable_breakdown.exchange_rate.value",
    [P_GROSS] = "resource.seller_receivable_breakdown.gross_amount.value",
    [P_GROSS_CURRENCY] = "resource.seller_receivable_breakdown.gross_amount.currency_code",
};

static struct sig_field_set fields = SIG_FIELD_SET(field_paths, P__COUNT, P__COUNT);

static void ev_copy(const struct sig_fields *e, enum paypal_field f, char *dst, size_t cap)
{
    sig_copy(dst, cap, sig_fields_str(e, f));
}

/* The decimal amount at `f` in the currency at `currency`. */
static int amount_at(const struct sig_fields *e, enum paypal_field f, enum paypal_field currency,
                     struct money *out, struct error *err)
{
    const char *text = sig_fields_str(e, f);
    return sig_amount_decimal(text, text ? strlen(text) : 0, sig_fields_str(e, currency), out,
                              err);
}

static int amount_and_date(const struct sig_fields *e, struct payment *p, struct error *err)
{
    if (sig_date_from_rfc3339(sig_fields_str(e, P_R_CREATE_TIME), p->date) < 0 &&
        sig_date_from_rfc3339(sig_fields_str(e, P_CREATE_TIME), p->date) < 0)
        return error_set(err, ERR_VALIDATION, "PayPal event has no create_time between "
                                              "1970-01-01 and 9999-12-31");
    return amount_at(e, P_AMOUNT, P_CURRENCY, &p->amount, err);
}

/* What PayPal credited in EUR for a capture in another currency: seller_receivable_breakdown's
 * gross_amount times its exchange_rate (source_currency the capture's, target_currency EUR).
 * Its receivable_amount is the net after PayPal's fee, so the gross is converted at the
 * rate PayPal states. */
static int settlement(const struct sig_fields *e, struct payment *p, struct error *err)
{
    const char *target = sig_fields_str(e, P_FX_TARGET);
    const char *source = sig_fields_str(e, P_FX_SOURCE);
    const char *value = sig_fields_str(e, P_FX_VALUE);
    if (!target || !source || !value || strcmp(target, "EUR") != 0 ||
        strcmp(source, p->amount.currency) != 0 || strcmp(source, "EUR") == 0)
        return 0;
    struct money gross;
    if (amount_at(e, P_GROSS, P_GROSS_CURRENCY, &gross, err) < 0)
        return -1;
    if (strcmp(gross.currency, p->amount.currency) != 0 || gross.minor <= 0)
        return error_set(err, ERR_VALIDATION,
                         "seller_receivable_breakdown.gross_amount is not a positive amount in "
                         "the capture's currency");
    if (fx_multiply(&gross, value, strlen(value), "EUR", &p->settlement, err) < 0)
        return -1;
    if (p->settlement.minor <= 0)
        return error_set(err, ERR_VALIDATION, "exchange_rate %.16s gives no amount in EUR",
                         value);
    p->has_settlement = true;
    return 0;
}

/* A refund: the capture it belongs to, from the links of its resource (a list: the body is
 * parsed into a tree for it). */
static int parse_refund(const struct webhook_request *req, const struct sig_fields *e,
                        struct payment *p, struct error *err)
{
    json_t *event = json_loadb(req->body, req->body_len, 0, NULL);
    p->kind = PAYMENT_REFUNDED;
    refunded_capture(json_object_get(event, "resource"), p->refunded_external_id,
                     sizeof p->refunded_external_id);
    json_decref(event);
    if (!p->refunded_external_id[0])
        return error_set(err, ERR_VALIDATION, "refund %.*s has no link to its capture",
                         UTF8_CUT(64, p->external_id));
    return amount_and_date(e, p, err);
}

static int parse_event(const struct webhook_request *req, const struct sig_fields *e,
                       struct payment_list *out, struct error *err)
{
    const char *type = sig_fields_str(e, P_TYPE);
    struct payment *p;
    if (!sig_fields_object(e, P_RESOURCE) || !type)
        return error_set(err, ERR_VALIDATION,
                         "not a PayPal event: event_type or resource missing");
    if (!(p = payment_list_add(out)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    sig_copy(p->event, sizeof p->event, type);
    ev_copy(e, P_ID, p->event_id, sizeof p->event_id);
    ev_copy(e, P_R_ID, p->external_id, sizeof p->external_id);
    ev_copy(e, P_MERCHANT_ID, p->merchant_id, sizeof p->merchant_id);
    ev_copy(e, P_MERCHANT_EMAIL, p->merchant_email, sizeof p->merchant_email);

    if (!strcmp(type, "PAYMENT.CAPTURE.COMPLETED")) {
        p->kind = PAYMENT_SETTLED;
        ev_copy(e, P_INVOICE_ID, p->invoice_number, sizeof p->invoice_number);
        if (amount_and_date(e, p, err) < 0)
            return -1;
        return settlement(e, p, err);
    }
    if (!strcmp(type, "PAYMENT.CAPTURE.REFUNDED"))
        return parse_refund(req, e, p, err);
    if (!strcmp(type, "PAYMENT.CAPTURE.DENIED") || !strcmp(type, "PAYMENT.CAPTURE.DECLINED")) {
        p->kind = PAYMENT_FAILED;
        ev_copy(e, P_INVOICE_ID, p->invoice_number, sizeof p->invoice_number);
        return amount_and_date(e, p, err);
    }
    p->kind = PAYMENT_IGNORED;
    snprintf(p->detail, sizeof p->detail, "PayPal event %.*s is not booked; no action taken",
             UTF8_CUT(64, type));
    return 0;
}

static int paypal_parse(const struct webhook_request *req, const json_t *state,
                        struct payment_list *out, struct error *err)
{
    (void)state;
    struct sig_fields e;
    struct error read_err = {0};
    int rc = sig_fields_read(&e, &fields, req->body, req->body_len, &read_err);
    if (rc < 0 && read_err.code == ERR_INVALID_JSON)
        error_set(err, ERR_VALIDATION, "not a PayPal event: event_type or resource missing");
    else if (rc < 0 && err)
        *err = read_err;
    else
        rc = parse_event(req, &e, out, err);
    sig_fields_free(&e);
    return rc;
}

/* ---- sample ------------------------------------------------------------------------- */

/* PAYMENT.CAPTURE.COMPLETED for a fresh capture of 99.00 EUR with its transmission
 * headers. Only PayPal can sign it (the key is PayPal's; the certificate URL must be
 * PayPal's), so a sample cannot carry a signature that verifies. Like the fetch-back
 * providers' samples it therefore returns a state, the parsed event, which tells the
 * test run to skip verification; parse reads the body as always and ignores the state. */
static int paypal_sample(const struct provider_install *inst, int64_t now_ms,
                         struct provider_sample *out, json_t **state, struct error *err)
{
    (void)inst;
    char tag[33], low[33], transmission[37], when[CLOCK_RFC3339_LEN];
    if (sig_random_hex(tag, 16, true, err) < 0 || sig_random_hex(low, 16, false, err) < 0)
        return -1;
    snprintf(transmission, sizeof transmission, "%.8s-%.4s-%.4s-%.4s-%.12s", low, low + 8,
             low + 12, low + 16, low + 20);
    clock_format_rfc3339(now_ms, when);
    if (buf_printf(&out->body,
                   "{\"id\":\"WH-%.16s-%.16s\",\"event_version\":\"1.0\",\"create_time\":\"%s\","
                   "\"resource_type\":\"capture\",\"resource_version\":\"2.0\",\"event_type\":"
                   "\"PAYMENT.CAPTURE.COMPLETED\",\"summary\":"
                   "\"Payment completed for EUR 99.00 EUR\",\"resource\":{\"id\":\"%.17s\","
                   "\"status\":\"COMPLETED\",\"amount\":{\"currency_code\":\"EUR\","
                   "\"value\":\"99.00\"},\"final_capture\":true,\"invoice_id\":\"TEST-%.8s\","
                   "\"payee\":{\"email_address\":\"merchant@example.com\",\"merchant_id\":"
                   "\"TESTMERCHANT\"},\"create_time\":\"%s\",\"update_time\":\"%s\"}}",
                   tag, tag + 16, when, tag + 8, tag + 24, when, when) < 0 ||
        provider_sample_header(out, "PAYPAL-TRANSMISSION-ID", transmission) < 0 ||
        provider_sample_header(out, "PAYPAL-TRANSMISSION-TIME", when) < 0 ||
        provider_sample_header(out, "PAYPAL-AUTH-ALGO", "SHA256withRSA") < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *state = json_loadb(out->body.data, out->body.len, 0, NULL);
    return *state ? 0 : error_set(err, ERR_INTERNAL, "cannot read back the sample event");
}

const struct provider provider_paypal = {
    .slug = "paypal",
    .verify = paypal_verify,
    .parse = paypal_parse,
    .sample = paypal_sample,
};
