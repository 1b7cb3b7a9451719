/* invoicing/profile.c - what an invoice says about its two parties: the tenant's invoice
 * profile (seller name and address, contact, bank account, payment days, and how invoices
 * are made: rounding of minutes, VAT rate, currency) and a customer's billing details
 * (address, VAT id, e-mail, buyer reference, default hourly rate). Both are JSON documents
 * validated here, field by field with the settings' error shape, and stored as text; the
 * text fields are one table each, so reading, writing and checking share one walk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/utf8.h"
#include "invoicing/invoicing.h"
#include "ledger/ledger.h"
#include "settings/settings.h"

struct text_field {
    const char *key;
    size_t offset, cap;
    bool required;
};

#define PROFILE_TEXT(key, member)                                                            \
    {key, offsetof(struct invoicing_profile, member),                                        \
     sizeof(((struct invoicing_profile *)0)->member), false}
static const struct text_field profile_texts[] = {
    PROFILE_TEXT("sellerName", seller_name), PROFILE_TEXT("street", street),
    PROFILE_TEXT("postalCode", postal_code), PROFILE_TEXT("city", city),
    PROFILE_TEXT("contactName", contact_name), PROFILE_TEXT("phone", phone),
    PROFILE_TEXT("email", email),            PROFILE_TEXT("iban", iban),
    PROFILE_TEXT("bic", bic),
};

#define BILLING_TEXT(key, member, req)                                                       \
    {key, offsetof(struct invoicing_billing, member),                                        \
     sizeof(((struct invoicing_billing *)0)->member), req}
static const struct text_field billing_texts[] = {
    BILLING_TEXT("street", street, true),         BILLING_TEXT("postalCode", postal_code, true),
    BILLING_TEXT("city", city, true),             BILLING_TEXT("country", country, true),
    BILLING_TEXT("vatId", vat_id, false),         BILLING_TEXT("email", email, false),
    BILLING_TEXT("buyerReference", buyer_reference, false),
};

#define PARTY_TEXT(key, member)                                                              \
    {key, offsetof(struct invoicing_party, member),                                          \
     sizeof(((struct invoicing_party *)0)->member), false}
static const struct text_field party_texts[] = {
    PARTY_TEXT("name", name),         PARTY_TEXT("street", street),
    PARTY_TEXT("postalCode", postal_code), PARTY_TEXT("city", city),
    PARTY_TEXT("country", country),   PARTY_TEXT("vatId", vat_id),
    PARTY_TEXT("email", email),       PARTY_TEXT("contactName", contact_name),
    PARTY_TEXT("phone", phone),       PARTY_TEXT("iban", iban),
    PARTY_TEXT("bic", bic),           PARTY_TEXT("buyerReference", buyer_reference),
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void field_error(json_t *errors, const char *prefix, const char *field, const char *code,
                        const char *message)
{
    char name[96];
    snprintf(name, sizeof name, "%s%s", prefix, field);
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", name, "code", code,
                                            "message", message));
}

/* No control characters: they would break the PDF's lines and have no place in XML 1.0. */
static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Reads the text fields of `fields` from body into base; field errors for what is wrong. */
static void read_texts(const json_t *body, const struct text_field *fields, size_t n,
                       void *base, const char *prefix, json_t *errors)
{
    char message[160];
    for (size_t i = 0; i < n; i++) {
        const struct text_field *f = &fields[i];
        char *dst = (char *)base + f->offset;
        json_t *v = json_object_get(body, f->key);
        dst[0] = '\0';
        if (!v || json_is_null(v)) {
            if (f->required) {
                snprintf(message, sizeof message, "%s is required", f->key);
                field_error(errors, prefix, f->key, "required", message);
            }
            continue;
        }
        const char *text = json_string_value(v);
        if (!text) {
            snprintf(message, sizeof message, "%s must be a string", f->key);
            field_error(errors, prefix, f->key, "wrong_type", message);
        } else if (strlen(text) >= f->cap || !printable(text)) {
            snprintf(message, sizeof message,
                     "%s must be at most %zu bytes of text without control characters", f->key,
                     f->cap - 1);
            field_error(errors, prefix, f->key, "out_of_range", message);
        } else if (f->required && !*text) {
            snprintf(message, sizeof message, "%s must not be empty", f->key);
            field_error(errors, prefix, f->key, "required", message);
        } else {
            memcpy(dst, text, strlen(text) + 1);
        }
    }
}

static int put_texts(json_t *o, const struct text_field *fields, size_t n, const void *base)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = (const char *)base + fields[i].offset;
        rc |= json_object_set_new(o, fields[i].key, v[0] ? json_string(v) : json_null());
    }
    return rc;
}

/* Any member that is not in `fields` nor in `extra` is an unknown field. */
static void unknown_members(const json_t *body, const struct text_field *fields, size_t n,
                            const char *const *extra, const char *prefix, json_t *errors)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        bool known = false;
        for (size_t i = 0; i < n; i++)
            known |= strcmp(key, fields[i].key) == 0;
        for (size_t i = 0; extra[i]; i++)
            known |= strcmp(key, extra[i]) == 0;
        if (!known) {
            char message[128];
            snprintf(message, sizeof message, "unknown field '%.*s'", UTF8_CUT(48, key));
            field_error(errors, prefix, key, "unknown_field", message);
        }
    }
}

/* A whole number member in [lo, hi]; false (with a field error) when present and not. */
static bool int_member(const json_t *body, const char *key, long lo, long hi, int *out,
                       json_t *errors)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char message[128];
        snprintf(message, sizeof message, "%s must be a whole number from %ld to %ld", key, lo,
                 hi);
        field_error(errors, "", key, "out_of_range", message);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

/* A currency member (ISO 4217); keeps out when absent. */
static void currency_member(const json_t *body, const char *prefix, char out[4], json_t *errors)
{
    json_t *v = json_object_get(body, "currency");
    struct money m;
    if (!v || json_is_null(v))
        return;
    if (!json_is_string(v) || strlen(json_string_value(v)) != 3 ||
        money_currency_set(&m, json_string_value(v), NULL) < 0) {
        field_error(errors, prefix, "currency", "not_allowed",
                    "currency must be an ISO 4217 code such as EUR");
        return;
    }
    memcpy(out, m.currency, 4);
}

void invoicing_profile_defaults(struct invoicing_profile *out)
{
    memset(out, 0, sizeof *out);
    out->payment_days = 14;
    out->vat_rate_bp = -1;
    snprintf(out->currency, sizeof out->currency, "EUR");
}

int invoicing_profile_from_json(const json_t *body, struct invoicing_profile *out,
                                json_t **field_errors, struct error *err)
{
    static const char *const extra[] = {"paymentDays", "roundingMinutes", "vatRate", "currency",
                                        NULL};
    json_t *errors = json_array();
    *field_errors = NULL;
    invoicing_profile_defaults(out);
    if (!errors)
        return error_set(err, ERR_INTERNAL, "out of memory");
    unknown_members(body, profile_texts, N_OF(profile_texts), extra, "", errors);
    read_texts(body, profile_texts, N_OF(profile_texts), out, "", errors);
    if (out->email[0] && !strchr(out->email, '@'))
        field_error(errors, "", "email", "pattern_mismatch", "email must be an e-mail address");
    int_member(body, "paymentDays", 0, 365, &out->payment_days, errors);
    if (int_member(body, "roundingMinutes", 0, 15, &out->rounding, errors) &&
        out->rounding != 0 && out->rounding != 6 && out->rounding != 15)
        field_error(errors, "", "roundingMinutes", "not_allowed",
                    "roundingMinutes must be 0 (none), 6 or 15: each entry's minutes are "
                    "rounded up to a multiple of it");
    json_t *rate = json_object_get(body, "vatRate");
    if (rate && !json_is_null(rate)) {
        struct money m;
        const char *text = json_string_value(rate);
        /* Percent with up to two decimals, as a decimal text ("20", "7", "8.1"). */
        if (!text || money_parse_decimal(text, strlen(text), "EUR", &m, NULL) < 0 ||
            m.minor < 0 || m.minor >= 10000)
            field_error(errors, "", "vatRate", "pattern_mismatch",
                        "vatRate must be a percentage as text, e.g. \"20\" or \"7\"");
        else
            out->vat_rate_bp = (int)m.minor;
    }
    currency_member(body, "", out->currency, errors);
    if (json_array_size(errors) > 0) {
        *field_errors = errors;
        return error_set(err, ERR_VALIDATION, "the invoice profile is not valid; see fields");
    }
    json_decref(errors);
    out->saved = true;
    return 0;
}

json_t *invoicing_profile_json(const struct invoicing_profile *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char rate[16];
    snprintf(rate, sizeof rate, "%d.%02d", p->vat_rate_bp / 100, p->vat_rate_bp % 100);
    int rc = put_texts(o, profile_texts, N_OF(profile_texts), p);
    rc |= json_object_set_new(o, "paymentDays", json_integer(p->payment_days));
    rc |= json_object_set_new(o, "roundingMinutes", json_integer(p->rounding));
    rc |= json_object_set_new(o, "vatRate", p->vat_rate_bp >= 0 ? json_string(rate) : json_null());
    rc |= json_object_set_new(o, "currency", json_string(p->currency));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int invoicing_profile_load(struct store *s, const char *tenant_id,
                           struct invoicing_profile *out, struct error *err)
{
    char doc[STORE_INVOICING_DOC_MAX];
    struct error get_err = {0};
    invoicing_profile_defaults(out);
    if (store_invoice_settings_get(s, tenant_id, doc, &get_err) < 0) {
        if (get_err.code == ERR_NOT_FOUND)
            return 0;
        *err = get_err;
        return -1;
    }
    json_t *body = json_loads(doc, 0, NULL), *errors = NULL;
    int rc = body ? invoicing_profile_from_json(body, out, &errors, NULL) : -1;
    json_decref(body);
    json_decref(errors);
    if (rc < 0)
        return error_set(err, ERR_STORE, "the stored invoice profile of %s is not valid",
                         tenant_id);
    return 0;
}

int invoicing_profile_save(struct store *s, const char *tenant_id,
                           const struct invoicing_profile *p, struct error *err)
{
    json_t *o = invoicing_profile_json(p);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = strlen(text) < STORE_INVOICING_DOC_MAX
                 ? store_invoice_settings_put(s, tenant_id, text, err)
                 : error_set(err, ERR_VALIDATION, "the invoice profile is too long");
    free(text);
    return rc;
}

/* ---- billing details -------------------------------------------------------------------- */

int invoicing_billing_from_json(const json_t *body, const char *prefix,
                                struct invoicing_billing *out, json_t *field_errors)
{
    static const char *const extra[] = {"defaultRate", "currency", NULL};
    size_t before = json_array_size(field_errors);
    memset(out, 0, sizeof *out);
    snprintf(out->currency, sizeof out->currency, "EUR");
    if (!json_is_object(body)) {
        field_error(field_errors, prefix, "", "wrong_type", "billing details must be an object");
        return -1;
    }
    unknown_members(body, billing_texts, N_OF(billing_texts), extra, prefix, field_errors);
    read_texts(body, billing_texts, N_OF(billing_texts), out, prefix, field_errors);
    if (out->country[0] && (strlen(out->country) != 2 || out->country[0] < 'A' ||
                            out->country[0] > 'Z' || out->country[1] < 'A' || out->country[1] > 'Z'))
        field_error(field_errors, prefix, "country", "pattern_mismatch",
                    "country must be an ISO 3166 code such as AT or DE");
    if (out->vat_id[0] && !settings_vat_number_valid(out->vat_id))
        field_error(field_errors, prefix, "vatId", "pattern_mismatch",
                    "vatId must be an EU VAT identification number with its country prefix, "
                    "e.g. DE123456789");
    if (out->email[0] && !strchr(out->email, '@'))
        field_error(field_errors, prefix, "email", "pattern_mismatch",
                    "email must be an e-mail address");
    currency_member(body, prefix, out->currency, field_errors);
    json_t *rate = json_object_get(body, "defaultRate");
    if (rate && !json_is_null(rate)) {
        struct money m;
        const char *text = json_string_value(rate);
        if (!text || money_parse_decimal(text, strlen(text), out->currency, &m, NULL) < 0 ||
            m.minor < 0) {
            field_error(field_errors, prefix, "defaultRate", "pattern_mismatch",
                        "defaultRate must be an hourly rate as decimal text, e.g. \"80.00\"");
        } else {
            out->has_rate = true;
            out->default_rate_minor = m.minor;
        }
    }
    return json_array_size(field_errors) > before ? -1 : 0;
}

json_t *invoicing_billing_json(const struct invoicing_billing *b)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = put_texts(o, billing_texts, N_OF(billing_texts), b);
    char rate[MONEY_TEXT_MAX];
    struct money m = {.minor = b->default_rate_minor};
    memcpy(m.currency, b->currency, sizeof m.currency);
    money_format(&m, rate);
    rc |= json_object_set_new(o, "defaultRate", b->has_rate ? json_string(rate) : json_null());
    rc |= json_object_set_new(o, "currency", json_string(b->currency));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int invoicing_billing_to_store(const struct invoicing_billing *b, struct store_party_billing *out,
                               struct error *err)
{
    memset(out, 0, sizeof *out);
    json_t *o = invoicing_billing_json(b);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = 0;
    if (strlen(text) >= sizeof out->doc)
        rc = error_set(err, ERR_VALIDATION, "the billing details are too long");
    else
        memcpy(out->doc, text, strlen(text) + 1);
    free(text);
    out->has_rate = b->has_rate;
    out->default_rate_minor = b->default_rate_minor;
    memcpy(out->currency, b->currency, sizeof out->currency);
    return rc;
}

int invoicing_billing_load(struct store *s, const char *tenant_id, const char *party_id,
                           struct invoicing_billing *out, struct error *err)
{
    struct store_party_billing row;
    if (store_party_billing_get(s, tenant_id, party_id, &row, err) < 0)
        return -1;
    json_t *body = json_loads(row.doc, 0, NULL), *errors = json_array();
    int rc = body && errors ? invoicing_billing_from_json(body, "", out, errors) : -1;
    json_decref(body);
    json_decref(errors);
    if (rc < 0)
        return error_set(err, ERR_STORE, "the stored billing details of %s are not valid",
                         party_id);
    return 0;
}

/* ---- party snapshots ------------------------------------------------------------------- */

int invoicing_party_to_json_text(const struct invoicing_party *p, char *out, size_t cap,
                                 struct error *err)
{
    json_t *o = json_object();
    int rc = !o || put_texts(o, party_texts, N_OF(party_texts), p);
    char *text = rc ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    rc = strlen(text) < cap ? 0 : error_set(err, ERR_VALIDATION, "a party's details are too long");
    if (rc == 0)
        memcpy(out, text, strlen(text) + 1);
    free(text);
    return rc;
}

int invoicing_party_from_json_text(const char *text, struct invoicing_party *out,
                                   struct error *err)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loads(text, 0, NULL), *errors = json_array();
    if (o && errors)
        read_texts(o, party_texts, N_OF(party_texts), out, "", errors);
    int bad = !o || !errors || json_array_size(errors) > 0;
    json_decref(o);
    json_decref(errors);
    return bad ? error_set(err, ERR_STORE, "a stored party snapshot is not valid") : 0;
}
