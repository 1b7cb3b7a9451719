/* bank/gocardless.c - GoCardless Bank Account Data (formerly Nordigen), API v2.
 *
 * Tokens: POST /api/v2/token/new/ with the install's secretId and secretKey gives an
 * access token (24 h) and a refresh token (30 days); POST /api/v2/token/refresh/ renews the
 * access token. They are kept in this process only (a small table per install, keyed also
 * by a digest of the secret id, so a changed setting starts over); another process gets
 * its own. A consent is an end-user agreement (90 days of history and access, scopes
 * balances, details and transactions) and a requisition whose link the user opens; the bank
 * sends the user back to the redirect with ?ref=<our state>; an institution that gives less
 * history or shorter access than that gets an agreement within its own limits (an agreement
 * asking more is refused). Each requisition names new
 * account ids, so accounts are matched by IBAN.
 *
 * Limits: GoCardless allows 4 successful calls per account, day and scope (details,
 * balances, transactions) and says what is left in HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_*
 * headers (LIMIT, REMAINING, RESET in seconds; read in both spellings); a 429 says when to
 * come back. So a pull is one transactions call per account, balances are not read, the
 * details are read once when the consent is linked, and nothing is retried (bank.c plans
 * the pulls from what this driver reports). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank_int.h"
#include "core/clock.h"
#include "core/utf8.h"

#define API "/api/v2"
#define TOKEN_MAX 4096
#define CACHE_SLOTS 32
#define MARGIN_MS 60000
#define CONSENT_DAYS 90
#define HISTORY_DAYS 90

struct token_slot {
    char key[2 * CRYPTO_ID_MAX + 2 * CRYPTO_SHA256_LEN + 2]; /* install id "/" digest */
    char access[TOKEN_MAX], refresh[TOKEN_MAX];
    int64_t access_until_ms, refresh_until_ms, used_ms;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct token_slot cache[CACHE_SLOTS];

/* ---- tokens ------------------------------------------------------------------------------- */

static int slot_key(struct bank_ctx *c, const char *secret_id, char *out, size_t cap)
{
    unsigned char d[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_sha256(secret_id, strlen(secret_id), d);
    crypto_hex(d, sizeof d, hex);
    return snprintf(out, cap, "%s/%s", c->in.id, hex) < (int)cap ? 0 : -1;
}

/* Reads {access, access_expires[, refresh, refresh_expires]} into slot. */
static int take_tokens(struct bank_ctx *c, const struct bank_answer *a, struct token_slot *slot,
                       struct error *err)
{
    const char *access = json_string_value(json_object_get(a->doc, "access"));
    const char *refresh = json_string_value(json_object_get(a->doc, "refresh"));
    json_int_t access_s = json_integer_value(json_object_get(a->doc, "access_expires"));
    json_int_t refresh_s = json_integer_value(json_object_get(a->doc, "refresh_expires"));
    if (!access || !*access || strlen(access) >= TOKEN_MAX ||
        (refresh && strlen(refresh) >= TOKEN_MAX))
        return error_set(err, ERR_SERVICE_FAILED, "%s answered no usable access token",
                         c->drv->label);
    snprintf(slot->access, sizeof slot->access, "%s", access);
    slot->access_until_ms = c->now_ms + (access_s > 0 && access_s < 31536000 ? access_s : 60) * 1000;
    if (refresh && *refresh) {
        snprintf(slot->refresh, sizeof slot->refresh, "%s", refresh);
        slot->refresh_until_ms =
            c->now_ms + (refresh_s > 0 && refresh_s < 31536000 ? refresh_s : 0) * 1000;
    }
    return 0;
}

/* A new access token into slot: with the refresh token while it lasts, else from the
 * secrets. */
static int token_obtain(struct bank_ctx *c, struct token_slot *slot, struct error *err)
{
    struct bank_answer a;
    struct buf key;
    int rc = -1;
    buf_init(&key, 8192);
    if (slot->refresh[0] && slot->refresh_until_ms > c->now_ms + MARGIN_MS) {
        json_t *body = json_pack("{s:s}", "refresh", slot->refresh);
        rc = bank_request(c, "POST", API "/token/refresh/", body, NULL, &a, err);
        json_decref(body);
        if (rc == 0 && a.status / 100 == 2) {
            rc = take_tokens(c, &a, slot, err);
            bank_answer_free(&a);
            goto out;
        }
        if (rc == 0)
            bank_answer_free(&a);
        slot->refresh[0] = '\0'; /* refused: start over from the secrets */
    }
    const char *secret_id = bank_setting(c, "secretId");
    if (!secret_id) {
        rc = error_set(err, ERR_VALIDATION, "the secretId setting is not set; %s needs it",
                       c->drv->label);
        goto out;
    }
    if (bank_secret(c, "secretKey", &key, err) < 0)
        goto out;
    json_t *body = json_pack("{s:s, s:s}", "secret_id", secret_id, "secret_key",
                             key.data ? key.data : "");
    rc = bank_request(c, "POST", API "/token/new/", body, NULL, &a, err);
    json_decref(body);
    if (rc < 0)
        goto out;
    rc = a.status / 100 == 2 ? take_tokens(c, &a, slot, err)
                             : bank_answer_error(c, "the secret id and key", &a, err);
    bank_answer_free(&a);
out:
    bank_buf_wipe(&key);
    return rc;
}

/* Sets c->auth to a valid access token. fresh: the last one was refused, get another. */
static int authorize(struct bank_ctx *c, bool fresh, struct error *err)
{
    const char *secret_id = bank_setting(c, "secretId");
    char key[sizeof cache[0].key];
    struct token_slot slot = {0};
    int found = -1, rc = 0;
    if (!secret_id || slot_key(c, secret_id, key, sizeof key) < 0)
        return error_set(err, ERR_VALIDATION, "the secretId setting is not set; %s needs it",
                         c->drv->label);
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (strcmp(cache[i].key, key) == 0)
            found = i;
    if (found >= 0)
        slot = cache[found];
    pthread_mutex_unlock(&cache_lock);
    snprintf(slot.key, sizeof slot.key, "%s", key);
    if (fresh)
        slot.access_until_ms = 0;
    if (slot.access_until_ms <= c->now_ms + MARGIN_MS) {
        rc = token_obtain(c, &slot, err);
        if (rc == 0) {
            pthread_mutex_lock(&cache_lock);
            int at = 0;
            for (int i = 0; i < CACHE_SLOTS; i++) {
                if (strcmp(cache[i].key, key) == 0) {
                    at = i;
                    break;
                }
                if (cache[i].used_ms < cache[at].used_ms)
                    at = i; /* the least recently used slot */
            }
            slot.used_ms = c->now_ms;
            cache[at] = slot;
            pthread_mutex_unlock(&cache_lock);
        }
    }
    if (rc == 0) {
        buf_reset(&c->auth);
        if (buf_printf(&c->auth, "Bearer %s", slot.access) < 0)
            rc = error_set(err, ERR_INTERNAL, "out of memory");
    }
    memset(&slot, 0, sizeof slot);
    return rc;
}

/* A call with the access token; one more with a new token when it was refused (401), which
 * spends none of an account's calls (only successful ones count). */
static int call(struct bank_ctx *c, const char *method, const char *path, const json_t *body,
                struct bank_answer *a, struct error *err)
{
    if (authorize(c, false, err) < 0 || bank_request(c, method, path, body, NULL, a, err) < 0)
        return -1;
    if (a->status != 401)
        return 0;
    const char *words = json_string_value(json_object_get(a->doc, "summary"));
    if (words && strstr(words, "xpired") && !strstr(words, "oken"))
        return 0; /* the consent expired, not the token */
    bank_answer_free(a);
    if (authorize(c, true, err) < 0)
        return -1;
    return bank_request(c, method, path, body, NULL, a, err);
}

/* ---- the driver --------------------------------------------------------------------------- */

static int gc_institutions(struct bank_ctx *c, const char *country, json_t *list,
                           struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    char lower[3] = {(char)(country[0] | 0x20), (char)(country[1] | 0x20), 0};
    int rc = -1;
    buf_init(&path, 256);
    if (buf_printf(&path, API "/institutions/?country=%s", lower) < 0 ||
        call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the institutions' list", &a, err);
        goto out;
    }
    if (!json_is_array(a.doc)) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered no list of institutions", c->drv->label);
        goto out;
    }
    size_t i;
    json_t *inst;
    json_array_foreach(a.doc, i, inst) {
        const char *id = json_string_value(json_object_get(inst, "id"));
        const char *max = json_string_value(json_object_get(inst, "max_access_valid_for_days"));
        if (!id)
            continue;
        json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:I}", "id", id, "name",
                              json_string_value(json_object_get(inst, "name")), "bic",
                              json_string_value(json_object_get(inst, "bic")), "logo",
                              json_string_value(json_object_get(inst, "logo")), "maxAccessDays",
                              (json_int_t)(max ? atoi(max) : CONSENT_DAYS));
        if (!o || json_array_append_new(list, o) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

/* A number GoCardless writes as text ("730"), capped at cap; cap when absent or odd. */
static int days_capped(const json_t *v, int cap)
{
    const char *text = json_string_value(v);
    long n = text ? strtol(text, NULL, 10) : json_is_integer(v) ? (long)json_integer_value(v)
                                                               : cap;
    return n >= 1 && n < cap ? (int)n : cap;
}

/* The institution's own limits: the days of history it gives and how long its access may
 * last; an agreement asking more is refused. */
static int gc_limits(struct bank_ctx *c, const char *institution, int *history, int *access,
                     struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 512);
    if (buf_append_str(&path, API "/institutions/") < 0 ||
        bank_append_encoded(&path, institution) < 0 || buf_append_str(&path, "/") < 0 ||
        call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the institution", &a, err);
        goto out;
    }
    *history = days_capped(json_object_get(a.doc, "transaction_total_days"), HISTORY_DAYS);
    *access = days_capped(json_object_get(a.doc, "max_access_valid_for_days"), CONSENT_DAYS);
    rc = 0;
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

static int gc_start(struct bank_ctx *c, struct bank_connection *conn, const char *redirect_url,
                    char *state, size_t cap, struct error *err)
{
    struct bank_answer a = {0};
    int rc = -1, history = HISTORY_DAYS, access = CONSENT_DAYS;
    json_t *agreement = NULL, *requisition = NULL;
    if (gc_limits(c, conn->institution_id, &history, &access, err) < 0)
        goto out;
    agreement = json_pack("{s:s, s:i, s:i, s:[s,s,s]}", "institution_id", conn->institution_id,
                          "max_historical_days", history, "access_valid_for_days", access,
                          "access_scope", "balances", "details", "transactions");
    /* access counts from the consent; from now it ends a little early, never late */
    clock_format_rfc3339(c->now_ms + access * 86400000LL, conn->expires_at);
    if (call(c, "POST", API "/agreements/enduser/", agreement, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the end-user agreement", &a, err);
        goto out;
    }
    const char *agreement_id = json_string_value(json_object_get(a.doc, "id"));
    if (!agreement_id || strlen(agreement_id) >= sizeof conn->agreement_id) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered no agreement id", c->drv->label);
        goto out;
    }
    snprintf(conn->agreement_id, sizeof conn->agreement_id, "%s", agreement_id);
    bank_answer_free(&a);
    requisition = json_pack("{s:s, s:s, s:s, s:s, s:s}", "redirect", redirect_url,
                            "institution_id", conn->institution_id, "reference", state,
                            "agreement", conn->agreement_id, "user_language", "EN");
    if (call(c, "POST", API "/requisitions/", requisition, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the requisition", &a, err);
        goto out;
    }
    const char *id = json_string_value(json_object_get(a.doc, "id"));
    const char *link = json_string_value(json_object_get(a.doc, "link"));
    if (!id || !link || strlen(id) >= sizeof conn->external_id ||
        strlen(link) >= sizeof conn->link) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered no requisition link", c->drv->label);
        goto out;
    }
    snprintf(conn->external_id, sizeof conn->external_id, "%s", id);
    snprintf(conn->link, sizeof conn->link, "%s", link);
    (void)cap;
    rc = 0;
out:
    bank_answer_free(&a);
    json_decref(agreement);
    json_decref(requisition);
    return rc;
}

/* The account's IBAN, name and currency: its metadata (not limited) and its details (one
 * of the day's details calls, once per consent). */
static int gc_account(struct bank_ctx *c, const char *id, struct bank_accounts_found *out,
                      struct error *err)
{
    struct bank_account_found f = {0};
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 512);
    snprintf(f.external_id, sizeof f.external_id, "%s", id);
    if (buf_append_str(&path, API "/accounts/") < 0 || bank_append_encoded(&path, id) < 0 ||
        buf_append_str(&path, "/") < 0 || call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "an account", &a, err);
        goto out;
    }
    utf8_copy(f.iban, sizeof f.iban, json_string_value(json_object_get(a.doc, "iban")));
    utf8_copy(f.name, sizeof f.name, json_string_value(json_object_get(a.doc, "owner_name")));
    bank_answer_free(&a);
    if (buf_append_str(&path, "details/") < 0 || call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 == 2) { /* the details are welcome, not needed */
        const json_t *acc = json_object_get(a.doc, "account");
        const char *name = json_string_value(json_object_get(acc, "name"));
        const char *owner = json_string_value(json_object_get(acc, "ownerName"));
        const char *iban = json_string_value(json_object_get(acc, "iban"));
        utf8_copy(f.currency, sizeof f.currency,
                  json_string_value(json_object_get(acc, "currency")));
        if (name || owner)
            utf8_copy(f.name, sizeof f.name, name ? name : owner);
        if (!f.iban[0] && iban)
            utf8_copy(f.iban, sizeof f.iban, iban);
    }
    /* the IBAN outlives the requisition; the account id does not */
    snprintf(f.identity, sizeof f.identity, "%s%s", f.iban[0] ? "" : "gocardless:",
             f.iban[0] ? f.iban : id);
    rc = bank_accounts_add(out, &f, err);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

static int gc_finish(struct bank_ctx *c, struct bank_connection *conn,
                     const struct bank_callback *cb, struct bank_accounts_found *out,
                     struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 512);
    if (cb->error) {
        error_set(err, ERR_FORBIDDEN, "the bank did not grant access (%.*s)",
                  UTF8_CUT(64, cb->error));
        goto out;
    }
    if (buf_append_str(&path, API "/requisitions/") < 0 ||
        bank_append_encoded(&path, conn->external_id) < 0 || buf_append_str(&path, "/") < 0 ||
        call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the requisition", &a, err);
        goto out;
    }
    const char *status = json_string_value(json_object_get(a.doc, "status"));
    if (!status || strcmp(status, "LN") != 0) {
        bool refused = status && (strcmp(status, "RJ") == 0 || strcmp(status, "EX") == 0 ||
                                  strcmp(status, "SU") == 0);
        error_set(err, refused ? ERR_FORBIDDEN : ERR_CONFLICT,
                  refused ? "the bank did not link the accounts (requisition %s)"
                          : "the bank has not finished linking yet (requisition %s)",
                  status ? status : "without status");
        goto out;
    }
    size_t i;
    json_t *acc;
    json_array_foreach(json_object_get(a.doc, "accounts"), i, acc)
        if (json_is_string(acc) && gc_account(c, json_string_value(acc), out, err) < 0)
            goto out;
    if (!conn->expires_at[0])
        clock_format_rfc3339(c->now_ms + CONSENT_DAYS * 86400000LL, conn->expires_at);
    rc = 0;
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

/* An answer's header as a number, in either of the spellings GoCardless's notices use;
 * -1 when absent. */
static int64_t header_number(const struct bank_answer *a, const char *underscored,
                             const char *dashed)
{
    char v[32];
    if (!httpc_response_header(&a->resp, underscored, v, sizeof v) &&
        !httpc_response_header(&a->resp, dashed, v, sizeof v))
        return -1;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return end != v && n >= 0 && n < 100000000 ? (int64_t)n : -1;
}

static void read_quota(const struct bank_answer *a, struct bank_quota *q)
{
    int64_t limit = header_number(a, "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_LIMIT",
                                  "X-RateLimit-Account-Success-Limit");
    int64_t remaining = header_number(a, "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING",
                                      "X-RateLimit-Account-Success-Remaining");
    int64_t reset = header_number(a, "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_RESET",
                                  "X-RateLimit-Account-Success-Reset");
    if (limit >= 0)
        q->limit = limit;
    if (remaining >= 0)
        q->remaining = remaining;
    if (reset >= 0)
        q->reset_s = reset;
    if (a->status == 429) {
        q->rate_limited = true;
        /* "... Please try again in 85092 seconds" when no header said it */
        const char *detail = json_string_value(json_object_get(a->doc, "detail"));
        const char *in = detail ? strstr(detail, "try again in ") : NULL;
        if (q->reset_s < 0 && in)
            q->reset_s = strtoll(in + 13, NULL, 10);
    }
}

static int gc_transactions(struct bank_ctx *c, const struct bank_account *acct,
                           struct bank_pull *p, struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 1024);
    if (buf_append_str(&path, API "/accounts/") < 0 ||
        bank_append_encoded(&path, acct->external_id) < 0 ||
        /* the first pull asks for all the agreement's history, which may be less than
         * the default window (a date_from before it is refused) */
        (p->first ? buf_printf(&path, "/transactions/?date_to=%s", p->date_to)
                  : buf_printf(&path, "/transactions/?date_from=%s&date_to=%s", p->date_from,
                               p->date_to)) < 0 ||
        call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    read_quota(&a, &p->quota);
    if (a.status == 429) {
        error_set(err, ERR_UNAVAILABLE, "%s: the account's calls for today are spent",
                  c->drv->label);
        goto out;
    }
    const char *summary = json_string_value(json_object_get(a.doc, "summary"));
    const char *detail = json_string_value(json_object_get(a.doc, "detail"));
    if (a.status / 100 == 4 && ((summary && strstr(summary, "xpired")) ||
                                (detail && strstr(detail, "xpired")) || a.status == 401 ||
                                a.status == 403)) {
        error_set(err, ERR_NOT_INSTALLED, "the consent at the bank expired; renew it (%.*s)",
                  UTF8_CUT(120, summary ? summary : detail));
        goto out;
    }
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the transactions", &a, err);
        goto out;
    }
    rc = bank_gocardless_parse(a.doc, &p->txs, err);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

/* The booked closing balance, else the interim ones, else the expected one: GET
 * /accounts/{id}/balances/, a scope with its own 4 calls a day, read once per pull. */
static int gc_balance(struct bank_ctx *c, const struct bank_account *acct, struct bank_pull *p,
                      struct error *err)
{
    static const char *const order[] = {"closingBooked", "interimBooked", "interimAvailable",
                                        "expected", NULL};
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 1024);
    if (buf_append_str(&path, API "/accounts/") < 0 ||
        bank_append_encoded(&path, acct->external_id) < 0 ||
        buf_append_str(&path, "/balances/") < 0 || call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the balances", &a, err);
        goto out;
    }
    const json_t *list = json_object_get(a.doc, "balances");
    const json_t *best = json_array_get(list, 0);
    for (int k = 0; order[k]; k++) {
        size_t i;
        json_t *b;
        bool found = false;
        json_array_foreach(list, i, b) {
            const char *type = json_string_value(json_object_get(b, "balanceType"));
            if (type && strcmp(type, order[k]) == 0) {
                best = b;
                found = true;
                break;
            }
        }
        if (found)
            break;
    }
    const json_t *amount = json_object_get(best, "balanceAmount");
    const json_t *value = json_object_get(amount, "amount");
    rc = bank_balance_take(c, acct, json_string_value(value), json_string_length(value),
                           json_string_value(json_object_get(amount, "currency")),
                           json_string_value(json_object_get(best, "referenceDate")), p, err);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

/* ---- the page's shape --------------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The remittance: unstructured text, else its array joined, else the structured one. */
static const char *remittance_of(const json_t *t, struct buf *joined)
{
    const char *u = str(t, "remittanceInformationUnstructured");
    if (u && *u)
        return u;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(t, "remittanceInformationUnstructuredArray"), i, line) {
        if (json_is_string(line) &&
            ((joined->len && buf_append_str(joined, " ") < 0) ||
             buf_append_str(joined, json_string_value(line)) < 0))
            return NULL;
    }
    if (joined->len)
        return joined->data;
    return str(t, "remittanceInformationStructured");
}

static int add_list(const json_t *list, bool booked, struct bank_txs *txs, struct error *err)
{
    size_t i;
    json_t *t;
    if (list && !json_is_array(list))
        return error_set(err, ERR_SERVICE_FAILED, "the transactions are not a list");
    json_array_foreach(list, i, t) {
        const json_t *amount = json_object_get(t, "transactionAmount");
        const json_t *value = json_object_get(amount, "amount");
        struct buf joined;
        buf_init(&joined, 4096);
        bool outgoing = json_is_string(value) && json_string_value(value)[0] == '-';
        const char *cp_side = outgoing ? "creditor" : "debtor";
        char name_key[24], account_key[24];
        snprintf(name_key, sizeof name_key, "%sName", cp_side);
        snprintf(account_key, sizeof account_key, "%sAccount", cp_side);
        struct bank_entry e = {
            .entry_ref = str(t, "entryReference"),
            .booked = booked,
            .booking_date = str(t, "bookingDate"),
            .value_date = str(t, "valueDate"),
            .amount = json_string_value(value),
            .amount_len = json_string_length(value),
            .currency = str(amount, "currency"),
            .counterparty_name = str(t, name_key),
            .counterparty_iban = str(json_object_get(t, account_key), "iban"),
            .remittance = remittance_of(t, &joined),
            .reference = str(t, "endToEndId"),
            .bank_tx_id = str(t, "transactionId"),
        };
        if (!e.booking_date && booked)
            e.booking_date = str(t, "bookingDateTime");
        int rc = bank_txs_add(txs, &e, err);
        buf_free(&joined);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int bank_gocardless_parse(const json_t *doc, struct bank_txs *txs, struct error *err)
{
    const json_t *t = json_object_get(doc, "transactions");
    if (!json_is_object(t))
        return error_set(err, ERR_SERVICE_FAILED, "the answer holds no transactions");
    if (add_list(json_object_get(t, "booked"), true, txs, err) < 0 ||
        add_list(json_object_get(t, "pending"), false, txs, err) < 0)
        return -1;
    return 0;
}

const struct bank_driver bank_driver_gocardless = {
    .name = "gocardless",
    .label = "GoCardless Bank Account Data",
    .default_base = "https://bankaccountdata.gocardless.com",
    .caps = BANK_CAP_DAILY_LIMIT,
    .institutions = gc_institutions,
    .start = gc_start,
    .finish = gc_finish,
    .transactions = gc_transactions,
    .balance = gc_balance,
};
