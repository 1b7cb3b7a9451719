/* bank/common.c - what the bank drivers share (bank_int.h): settings, HTTP with JSON
 * bodies, and the one place that turns an entry as a driver read it into a row to store:
 * the exact amount with its sign, checked dates, texts cut on character boundaries, and
 * the dedup key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank_int.h"
#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/money.h"
#include "core/utf8.h"
#include "inbound/sig.h"

static int take_date(const char *s, char out[BANK_DATE_LEN]);

#define ANSWER_MAX (16u << 20) /* a page of transactions: a few MB at most */
#define TEXT_MAX 1024          /* remittance and names are kept up to this many bytes */

const char *bank_setting(const struct bank_ctx *c, const char *key)
{
    const char *v = json_string_value(json_object_get(c->config, key));
    return v && *v ? v : NULL;
}

int bank_secret(const struct bank_ctx *c, const char *key, struct buf *out, struct error *err)
{
    if (!json_object_get(c->secrets, key))
        return error_set(err, ERR_VALIDATION, "the %s setting is not set; %s needs it",
                         key, c->drv->label);
    return catalog_secret_open(c->secrets, key, c->env->master_key, c->aad, out, err);
}

void bank_buf_wipe(struct buf *b)
{
    if (b->data)
        memset(b->data, 0, b->len);
    buf_free(b);
}

void bank_answer_free(struct bank_answer *a)
{
    json_decref(a->doc);
    a->doc = NULL;
    httpc_response_free(&a->resp);
}

int bank_append_encoded(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
                     *p == '~';
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (plain ? buf_append(out, p, 1) < 0 : buf_append(out, esc, 3) < 0)
            return -1;
    }
    return 0;
}

int bank_request(struct bank_ctx *c, const char *method, const char *path, const json_t *body,
                 const char *form, struct bank_answer *out, struct error *err)
{
    struct buf url;
    char *text = NULL;
    size_t text_len = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    buf_init(&url, 8192);
    if (buf_printf(&url, "%s%s", c->base, path) < 0) {
        error_set(err, ERR_CONFIG, "the %s URL is too long", c->drv->label);
        goto out;
    }
    if (body && !(text = json_dump_compact(body, &text_len))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    struct httpc_header headers[3] = {{"Accept", "application/json"}};
    size_t n = 1;
    if (body || form)
        headers[n++] = (struct httpc_header){
            "Content-Type", body ? "application/json" : "application/x-www-form-urlencoded"};
    if (c->auth.len)
        headers[n++] = (struct httpc_header){"Authorization", c->auth.data};
    struct httpc_request req = {.method = method, .url = url.data, .headers = headers,
                                .n_headers = n, .body = body ? text : form,
                                .body_len = body ? text_len : form ? strlen(form) : 0,
                                .timeout_ms = 30000, .max_response = ANSWER_MAX,
                                .refuse_private = !c->env->allow_private};
    if (httpc_perform(&req, &out->resp, err) < 0) {
        error_set(err, ERR_UNAVAILABLE, "%s did not answer: %s", c->drv->label, err->message);
        goto out;
    }
    out->status = out->resp.status;
    if (out->resp.body.len)
        out->doc = json_loadb(out->resp.body.data, out->resp.body.len, 0, NULL);
    rc = 0;
out:
    free(text);
    buf_free(&url);
    return rc;
}

/* What the service said about a refused request, in its own words when it gave some. */
static const char *answer_words(const struct bank_answer *a)
{
    static const char *const keys[] = {"detail", "message", "summary", "error_description",
                                       "error", "code"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_string_value(json_object_get(a->doc, keys[i]));
        if (v && *v)
            return v;
    }
    return NULL;
}

int bank_answer_error(const struct bank_ctx *c, const char *what, const struct bank_answer *a,
                      struct error *err)
{
    const char *words = answer_words(a);
    return error_set(err, a->status >= 500 ? ERR_SERVICE_FAILED : ERR_SERVICE_REFUSED,
                     "%s refused %s (HTTP %ld)%s%.*s", c->drv->label, what, a->status,
                     words ? ": " : "", UTF8_CUT(200, words));
}

void bank_date(int64_t now_ms, int days, char out[BANK_DATE_LEN])
{
    char t[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms + (int64_t)days * 86400000LL, t);
    snprintf(out, BANK_DATE_LEN, "%.10s", t);
}

int bank_balance_take(const struct bank_ctx *c, const struct bank_account *a,
                      const char *amount, size_t len, const char *currency, const char *date,
                      struct bank_pull *p, struct error *err)
{
    struct money m;
    if (!amount || !currency || money_parse_decimal(amount, len, currency, &m, err) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "the balance is not an exact amount");
    if (a->currency[0] && strcmp(a->currency, m.currency) != 0)
        return error_set(err, ERR_SERVICE_FAILED, "the balance is in %s, the account in %s",
                         m.currency, a->currency);
    if (take_date(date, p->balance_date) < 0 || !p->balance_date[0])
        bank_date(c->now_ms, 0, p->balance_date);
    p->balance_minor = m.minor;
    p->has_balance = true;
    return 0;
}

int bank_accounts_add(struct bank_accounts_found *out, const struct bank_account_found *a,
                      struct error *err)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        void *grown = cap <= 1024 ? realloc(out->v, cap * sizeof *out->v) : NULL;
        if (!grown)
            return error_set(err, ERR_SERVICE_FAILED, "too many accounts in one consent");
        out->v = grown;
        out->cap = cap;
    }
    out->v[out->n++] = *a;
    return 0;
}

/* ---- transactions ------------------------------------------------------------------------ */

void bank_txs_free(struct bank_txs *txs)
{
    for (size_t i = 0; i < txs->n; i++) {
        free(txs->v[i].counterparty_name);
        free(txs->v[i].counterparty_iban);
        free(txs->v[i].remittance);
        free(txs->v[i].reference);
    }
    free(txs->v);
    memset(txs, 0, sizeof *txs);
}

/* YYYY-MM-DD of a date or an RFC 3339 time ("" for NULL); -1 when it is neither. */
static int take_date(const char *s, char out[BANK_DATE_LEN])
{
    out[0] = '\0';
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (n < 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789") != 4 ||
        strspn(s + 5, "0123456789") != 2 || strspn(s + 8, "0123456789") != 2 ||
        (n > 10 && s[10] != 'T' && s[10] != ' '))
        return -1;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    memcpy(out, s, 10);
    out[10] = '\0';
    return 0;
}

/* A copy of outside text, cut on a character boundary and made valid UTF-8; NULL for
 * NULL or "". */
static char *text_copy(const char *s)
{
    if (!s || !*s)
        return NULL;
    size_t n = utf8_cut(s, TEXT_MAX);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
        utf8_repair(out);
    }
    return out;
}

/* The dedup key of an entry without a reference: a digest of what the bank says about it,
 * numbered among the equal entries of this pull (two equal coffees the same day). */
static void content_key(const struct bank_txs *txs, const struct bank_tx_in *t,
                        char out[BANK_ENTRY_REF_MAX])
{
    struct buf b;
    unsigned char digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    buf_init(&b, 1 << 16);
    buf_printf(&b, "%d|%s|%s|%lld|%s|%s|%s|%s|%s", t->booked, t->booking_date, t->value_date,
               (long long)t->amount_minor, t->currency,
               t->counterparty_name ? t->counterparty_name : "",
               t->counterparty_iban ? t->counterparty_iban : "",
               t->remittance ? t->remittance : "", t->reference ? t->reference : "");
    crypto_sha256(b.data ? b.data : "", b.len, digest);
    crypto_hex(digest, 20, hex);
    buf_free(&b);
    int same = 0;
    size_t klen = strlen(hex) + 2;
    for (size_t i = 0; i < txs->n; i++)
        if (strncmp(txs->v[i].entry_ref + 2, hex, klen - 2) == 0 &&
            (txs->v[i].entry_ref[0] == 'h' || txs->v[i].entry_ref[0] == 'p'))
            same++;
    snprintf(out, BANK_ENTRY_REF_MAX, "%s:%s#%d", t->booked ? "h" : "p", hex, same);
}

static int entry_amount(const struct bank_entry *e, struct money *m, struct error *err)
{
    if (!e->currency || money_currency_decimals(e->currency) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "an entry has no known currency (%.8s)",
                         e->currency ? e->currency : "none");
    if (e->amount_number) {
        if (sig_amount(e->amount_number, SIG_AMOUNT_MAJOR_NUMBER, e->currency, m, err) < 0)
            return -1;
    } else if (!e->amount ||
               money_parse_decimal(e->amount, e->amount_len, e->currency, m, err) < 0) {
        return error_set(err, ERR_SERVICE_FAILED, "an entry's amount is not exact decimal text");
    }
    /* the indicator decides the sign; the text's own sign only when there is none */
    if (e->credit_debit != 0) {
        int64_t magnitude = m->minor < 0 ? -m->minor : m->minor;
        m->minor = e->credit_debit > 0 ? magnitude : -magnitude;
    }
    return 0;
}

int bank_txs_add(struct bank_txs *txs, const struct bank_entry *e, struct error *err)
{
    struct bank_tx_in t = {.booked = e->booked};
    struct money m;
    if (entry_amount(e, &m, err) < 0)
        return -1;
    if (take_date(e->booking_date, t.booking_date) < 0 ||
        take_date(e->value_date, t.value_date) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "an entry's date is not a date");
    if (t.booked && !t.booking_date[0])
        memcpy(t.booking_date, t.value_date, BANK_DATE_LEN);
    if (t.booked && !t.booking_date[0])
        return error_set(err, ERR_SERVICE_FAILED, "a booked entry has no date");
    t.amount_minor = m.minor;
    memcpy(t.currency, m.currency, sizeof t.currency);
    utf8_copy(t.bank_tx_id, sizeof t.bank_tx_id, e->bank_tx_id);
    t.counterparty_name = text_copy(e->counterparty_name);
    t.counterparty_iban = text_copy(e->counterparty_iban);
    t.remittance = text_copy(e->remittance);
    t.reference = text_copy(e->reference);
    if (e->entry_ref && *e->entry_ref && strlen(e->entry_ref) < BANK_ENTRY_REF_MAX - 2)
        snprintf(t.entry_ref, sizeof t.entry_ref, "r:%s", e->entry_ref);
    else
        content_key(txs, &t, t.entry_ref);
    if (txs->n == txs->cap) {
        size_t cap = txs->cap ? txs->cap * 2 : 64;
        void *grown = cap <= (1u << 20) ? realloc(txs->v, cap * sizeof *txs->v) : NULL;
        if (!grown) {
            free(t.counterparty_name);
            free(t.counterparty_iban);
            free(t.remittance);
            free(t.reference);
            return error_set(err, ERR_SERVICE_FAILED, "too many entries in one pull");
        }
        txs->v = grown;
        txs->cap = cap;
    }
    txs->v[txs->n++] = t;
    return 0;
}
