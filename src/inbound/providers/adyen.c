/* inbound/providers/adyen.c - Adyen standard webhooks ("notifications").
 *
 * A request is {"live": "...", "notificationItems": [{"NotificationRequestItem": {...}},
 * ...]}: a batch, one payment per item. There is no signature header; each item carries
 * its own in additionalData.hmacSignature, and every item must verify or the request is
 * invalid (a forged item must not ride along with genuine ones).
 *
 * Per item, as Adyen's hmacValidator does it: the signed text is
 * "pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:
 * eventCode:success" with absent fields as empty text, amount.value printed in decimal,
 * no escaping; the key is the hmacKey secret hex-decoded (either case); the result is
 * base64 (standard alphabet, padded) and compared in constant time. No timestamp: Adyen
 * signs none, so replays are the pipeline's duplicate check.
 *
 * Events: AUTHORISATION success=true is a settled payment (auto-capture), success=false a
 * refused one; REFUND success=true refunds originalReference; the rest is ignored with a
 * detail. Amounts are integer minor units. The answer body is "[accepted]", which old and
 * new Adyen configurations both take as the acknowledgement. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "core/utf8.h"
#include "inbound/sig.h"

#define MAX_KEY 128

/* An item field as text the way the signed string prints it: strings as they are,
 * integers in decimal, booleans as true/false, absent or null as "". Anything else
 * prints as something that cannot match, so such an item fails verification. */
static const char *field_text(const json_t *item, const char *path, char tmp[32])
{
    const json_t *v = sig_json_get(item, path);
    if (!v || json_is_null(v))
        return "";
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, 32, "%lld", (long long)json_integer_value(v));
        return tmp;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "\x01";
}

static const json_t *item_at(const json_t *items, size_t i)
{
    return sig_json_get(json_array_get(items, i), "NotificationRequestItem");
}

static bool item_verifies(const json_t *item, const unsigned char *key, size_t key_len)
{
    static const char *const fields[] = {"pspReference",      "originalReference",
                                         "merchantAccountCode", "merchantReference",
                                         "amount.value",      "amount.currency",
                                         "eventCode",         "success"};
    const json_t *sig = sig_json_get(item, "additionalData.hmacSignature");
    struct sig_part parts[2 * sizeof fields / sizeof fields[0]];
    char tmp[sizeof fields / sizeof fields[0]][32];
    size_t n = 0;
    if (!json_is_string(sig))
        return false;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (i > 0)
            parts[n++] = (struct sig_part){":", 1};
        parts[n++] = SIG_STR(field_text(item, fields[i], tmp[i]));
    }
    return sig_hmac_sha256_matches(key, key_len, parts, n, json_string_value(sig),
                                   json_string_length(sig), SIG_BASE64);
}

static enum verify_result adyen_verify(const struct webhook_request *req,
                                       const struct provider_install *inst, json_t **state,
                                       struct error *err)
{
    (void)state;
    enum verify_result r = VERIFY_INVALID;
    unsigned char key[MAX_KEY];
    long key_len = -1;
    struct buf hex;
    buf_init(&hex, 4096);
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    const json_t *items = sig_json_get(body, "notificationItems");
    if (!json_is_array(items) || json_array_size(items) == 0) {
        error_set(err, ERR_VALIDATION, "not an Adyen notification: no notificationItems");
        goto out;
    }
    if (inst->secret(inst, "hmacKey", &hex, err) < 0) {
        r = VERIFY_ERROR;
        goto out;
    }
    key_len = crypto_unhex(hex.data, hex.len, key, sizeof key);
    if (key_len <= 0) {
        error_set(err, ERR_CONFIG, "the Adyen hmacKey is not hexadecimal");
        r = VERIFY_ERROR;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *item = item_at(items, i);
        if (!json_is_object(item) || !item_verifies(item, key, (size_t)key_len)) {
            error_set(err, ERR_VALIDATION, "notification item %zu: %s", i + 1,
                      json_is_string(sig_json_get(item, "additionalData.hmacSignature"))
                          ? "the hmacSignature does not match"
                          : "no hmacSignature");
            goto out;
        }
    }
    r = VERIFY_OK;
out:
    memset(key, 0, sizeof key);
    if (hex.data)
        memset(hex.data, 0, hex.len);
    buf_free(&hex);
    json_decref(body);
    return r;
}

static int parse_item(const json_t *item, struct payment *p, struct error *err)
{
    const char *code = sig_json_str(item, "eventCode");
    char tmp[32];
    bool success = !strcmp(field_text(item, "success", tmp), "true");
    sig_copy(p->event, sizeof p->event, code);
    sig_json_copy(item, "pspReference", p->external_id, sizeof p->external_id);
    sig_json_copy(item, "merchantReference", p->invoice_number, sizeof p->invoice_number);
    sig_json_copy(item, "merchantAccountCode", p->merchant_id, sizeof p->merchant_id);
    sig_json_copy(item, "additionalData.shopperReference", p->customer_id, sizeof p->customer_id);
    sig_json_copy(item, "additionalData.shopperEmail", p->customer_email,
                  sizeof p->customer_email);
    if (!code)
        return error_set(err, ERR_VALIDATION, "Adyen notification item without eventCode");
    if (!strcmp(code, "AUTHORISATION")) {
        p->kind = success ? PAYMENT_SETTLED : PAYMENT_FAILED;
    } else if (!strcmp(code, "REFUND") && success) {
        p->kind = PAYMENT_REFUNDED;
        sig_json_copy(item, "originalReference", p->refunded_external_id,
                      sizeof p->refunded_external_id);
    } else {
        p->kind = PAYMENT_IGNORED;
        snprintf(p->detail, sizeof p->detail,
                 "Adyen %.*s with success=%.*s is not booked; no action taken",
                 UTF8_CUT(40, code), UTF8_CUT(8, field_text(item, "success", tmp)));
        return 0;
    }
    if (sig_date_from_rfc3339(sig_json_str(item, "eventDate"), p->date) < 0)
        return error_set(err, ERR_VALIDATION,
                         "eventDate is missing or not a date between 1970-01-01 and 9999-12-31");
    return sig_amount(sig_json_get(item, "amount.value"), SIG_AMOUNT_MINOR,
                      sig_json_str(item, "amount.currency"), &p->amount, err);
}

static int adyen_parse(const struct webhook_request *req, const json_t *state,
                       struct payment_list *out, struct error *err)
{
    (void)state;
    int rc = -1;
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    const json_t *items = sig_json_get(body, "notificationItems");
    if (!json_is_array(items)) {
        error_set(err, ERR_VALIDATION, "not an Adyen notification: no notificationItems");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *item = item_at(items, i);
        struct payment *p = payment_list_add(out);
        if (!p) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (!json_is_object(item)) {
            error_set(err, ERR_VALIDATION, "notification item %zu is not an object", i + 1);
            goto out;
        }
        if (parse_item(item, p, err) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(body);
    return rc;
}

/* One AUTHORISATION item, success true, 99.00 EUR, with a fresh pspReference, signed with
 * the install's hmacKey as Adyen signs items. */
static int adyen_sample(const struct provider_install *inst, int64_t now_ms,
                        struct provider_sample *out, json_t **state, struct error *err)
{
    (void)state;
    char psp[17], when[CLOCK_RFC3339_LEN], ref[32], sig[SIG_HMAC_TEXT_MAX];
    if (sig_random_hex(psp, 8, true, err) < 0)
        return -1;
    snprintf(ref, sizeof ref, "TEST-%.8s", psp);
    clock_format_rfc3339(now_ms, when);
    /* the signed text, fields in item_verifies()'s order; originalReference is absent */
    struct sig_part parts[] = {SIG_STR(psp), SIG_STR("::TestMerchantAccount:"), SIG_STR(ref),
                               SIG_STR(":9900:EUR:AUTHORISATION:true")};
    if (sig_hmac_with_secret(inst, "hmacKey", SIG_KEY_HEX, parts, 4, SIG_BASE64, sig, err) < 0)
        return -1;
    if (buf_printf(&out->body,
                   "{\"live\":\"false\",\"notificationItems\":[{\"NotificationRequestItem\":{"
                   "\"additionalData\":{\"hmacSignature\":\"%s\"},\"amount\":{\"currency\":"
                   "\"EUR\",\"value\":9900},\"eventCode\":\"AUTHORISATION\",\"eventDate\":\"%s\","
                   "\"merchantAccountCode\":\"TestMerchantAccount\",\"merchantReference\":\"%s\","
                   "\"paymentMethod\":\"visa\",\"pspReference\":\"%s\",\"reason\":\"\","
                   "\"success\":\"true\"}}]}",
                   sig, when, ref, psp) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

const struct provider provider_adyen = {
    .slug = "adyen",
    .caps = PROVIDER_CAP_BATCH,
    .verify = adyen_verify,
    .parse = adyen_parse,
    .sample = adyen_sample,
    .ack_body = "[accepted]",
    .ack_content_type = "text/plain",
};
