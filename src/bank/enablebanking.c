/* bank/enablebanking.c - Enable Banking's API (api.enablebanking.com), account information.
 *
 * There is no token endpoint: every request carries a JWT the application signs itself,
 * RS256 with its private key (the applicationKey setting), header {typ, alg, kid: the
 * application id}, claims {iss: "enablebanking.com", aud: "api.enablebanking.com", iat,
 * exp: iat + 1 h}; one is made per driver context. A consent is POST /auth (the bank, the
 * state, our callback, how long access lasts: 90 days, or less when the bank's
 * maximum_consent_validity is shorter) whose url the user opens; the bank sends the
 * user back with ?code=&state=, and POST /sessions with the code gives the session and its
 * accounts. An account's uid lasts as long as its session, so accounts are known by IBAN
 * or, without one, by their identification hash, which stays. Transactions come in pages
 * joined by continuation_key; the sign of an amount is its credit_debit_indicator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank_int.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "oauth/oauth.h"

#define JWT_LIFETIME_S 3600
#define CONSENT_DAYS 90
#define PAGES_MAX 1000

/* Sets c->auth to a freshly signed application JWT, once per context. */
static int authorize(struct bank_ctx *c, struct error *err)
{
    struct buf key, jwt;
    json_t *header = NULL, *claims = NULL;
    json_int_t iat = (json_int_t)(c->now_ms / 1000);
    int rc = -1;
    if (c->auth.len)
        return 0;
    buf_init(&key, 1 << 16);
    buf_init(&jwt, 1 << 14);
    const char *app_id = bank_setting(c, "applicationId");
    if (!app_id) {
        error_set(err, ERR_VALIDATION, "the applicationId setting is not set; %s needs it",
                  c->drv->label);
        goto out;
    }
    if (bank_secret(c, "applicationKey", &key, err) < 0)
        goto out;
    header = json_pack("{s:s, s:s, s:s}", "typ", "JWT", "alg", "RS256", "kid", app_id);
    claims = json_pack("{s:s, s:s, s:I, s:I}", "iss", "enablebanking.com", "aud",
                       "api.enablebanking.com", "iat", iat, "exp", iat + JWT_LIFETIME_S);
    if (!header || !claims) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (oauth_jwt_sign(header, claims, key.data ? key.data : "", key.len, &jwt, err) < 0)
        goto out;
    if (buf_printf(&c->auth, "Bearer %s", jwt.data) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(header);
    json_decref(claims);
    bank_buf_wipe(&key);
    buf_free(&jwt);
    return rc;
}

static int call(struct bank_ctx *c, const char *method, const char *path, const json_t *body,
                struct bank_answer *a, struct error *err)
{
    if (authorize(c, err) < 0)
        return -1;
    return bank_request(c, method, path, body, NULL, a, err);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int eb_institutions(struct bank_ctx *c, const char *country, json_t *list,
                           struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 256);
    if (buf_printf(&path, "/aspsps?country=%s&psu_type=business&service=AIS", country) < 0 ||
        call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the list of banks", &a, err);
        goto out;
    }
    const json_t *aspsps = json_object_get(a.doc, "aspsps");
    if (!json_is_array(aspsps)) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered no list of banks", c->drv->label);
        goto out;
    }
    size_t i;
    json_t *b;
    json_array_foreach(aspsps, i, b) {
        const char *name = str(b, "name");
        json_int_t validity = json_integer_value(json_object_get(b, "maximum_consent_validity"));
        if (!name)
            continue;
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:I}", "id", name, "name", name, "bic",
                              str(b, "bic"), "logo", str(b, "logo"), "maxAccessDays",
                              validity > 0 ? validity / 86400 : (json_int_t)CONSENT_DAYS);
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

/* The bank's maximum_consent_validity in seconds (GET /aspsps of its country), at most
 * CONSENT_DAYS: a valid_until beyond it is refused. */
static int eb_validity(struct bank_ctx *c, const struct bank_connection *conn, int64_t *seconds,
                       struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    *seconds = CONSENT_DAYS * 86400LL;
    buf_init(&path, 256);
    if (buf_printf(&path, "/aspsps?country=%s&psu_type=business&service=AIS", conn->country) < 0 ||
        call(c, "GET", path.data, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the list of banks", &a, err);
        goto out;
    }
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(a.doc, "aspsps"), i, b) {
        const char *name = str(b, "name");
        json_int_t max = json_integer_value(json_object_get(b, "maximum_consent_validity"));
        if (name && strcmp(name, conn->institution_id) == 0 && max > 3600 && max < *seconds)
            *seconds = max - 60; /* a minute's leeway for the clocks */
    }
    rc = 0;
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

static int eb_start(struct bank_ctx *c, struct bank_connection *conn, const char *redirect_url,
                    char *state, size_t cap, struct error *err)
{
    struct bank_answer a = {0};
    char until[CLOCK_RFC3339_LEN];
    int64_t validity_s = 0;
    int rc = -1;
    json_t *body = NULL;
    if (eb_validity(c, conn, &validity_s, err) < 0)
        goto out;
    clock_format_rfc3339(c->now_ms + validity_s * 1000, until);
    body = json_pack("{s:{s:s}, s:{s:s, s:s}, s:s, s:s, s:s}", "access", "valid_until",
                             until, "aspsp", "name", conn->institution_id, "country",
                             conn->country, "state", state, "redirect_url", redirect_url,
                             "psu_type", "business");
    if (call(c, "POST", "/auth", body, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the authorization", &a, err);
        goto out;
    }
    const char *url = str(a.doc, "url");
    const char *id = str(a.doc, "authorization_id");
    if (!url || strlen(url) >= sizeof conn->link) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered no link to the bank", c->drv->label);
        goto out;
    }
    snprintf(conn->link, sizeof conn->link, "%s", url);
    utf8_copy(conn->agreement_id, sizeof conn->agreement_id, id);
    memcpy(conn->expires_at, until, sizeof until);
    (void)cap;
    rc = 0;
out:
    bank_answer_free(&a);
    json_decref(body);
    return rc;
}

static int eb_finish(struct bank_ctx *c, struct bank_connection *conn,
                     const struct bank_callback *cb, struct bank_accounts_found *out,
                     struct error *err)
{
    struct bank_answer a = {0};
    json_t *body = NULL;
    int rc = -1;
    if (cb->error || !cb->code) {
        error_set(err, ERR_FORBIDDEN, "the bank did not grant access (%.*s)",
                  UTF8_CUT(64, cb->error ? cb->error : "no code"));
        goto out;
    }
    body = json_pack("{s:s}", "code", cb->code);
    if (call(c, "POST", "/sessions", body, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the session", &a, err);
        if (a.status / 100 == 4)
            err->code = ERR_FORBIDDEN;
        goto out;
    }
    const char *session = str(a.doc, "session_id");
    if (!session || strlen(session) >= sizeof conn->external_id) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered no session", c->drv->label);
        goto out;
    }
    snprintf(conn->external_id, sizeof conn->external_id, "%s", session);
    const char *until = str(json_object_get(a.doc, "access"), "valid_until");
    int64_t until_ms = 0;
    if (until && clock_parse_rfc3339(until, &until_ms) == 0)
        clock_format_rfc3339(until_ms, conn->expires_at);
    size_t i;
    json_t *acc;
    json_array_foreach(json_object_get(a.doc, "accounts"), i, acc) {
        struct bank_account_found f = {0};
        const char *uid = str(acc, "uid");
        const char *hash = str(acc, "identification_hash");
        if (!uid || strlen(uid) >= sizeof f.external_id)
            continue;
        snprintf(f.external_id, sizeof f.external_id, "%s", uid);
        utf8_copy(f.iban, sizeof f.iban, str(json_object_get(acc, "account_id"), "iban"));
        utf8_copy(f.name, sizeof f.name, str(acc, "name"));
        utf8_copy(f.currency, sizeof f.currency, str(acc, "currency"));
        /* the IBAN, else the hash that stays across sessions, else the uid */
        if (f.iban[0])
            snprintf(f.identity, sizeof f.identity, "%s", f.iban);
        else
            snprintf(f.identity, sizeof f.identity, "enablebanking:%.200s", hash ? hash : uid);
        if (bank_accounts_add(out, &f, err) < 0)
            goto out;
    }
    rc = 0;
out:
    bank_answer_free(&a);
    json_decref(body);
    return rc;
}

static bool says_expired(const struct bank_answer *a)
{
    const char *keys[] = {"message", "error", "code", "detail"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = str(a->doc, keys[i]);
        if (v && (strstr(v, "xpired") || strstr(v, "EXPIRED") || strstr(v, "CLOSED")))
            return true;
    }
    return false;
}

static int eb_transactions(struct bank_ctx *c, const struct bank_account *acct,
                           struct bank_pull *p, struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    char next[1024] = "";
    int rc = -1;
    buf_init(&path, 4096);
    for (int page = 0; page < PAGES_MAX; page++) {
        buf_reset(&path);
        if (buf_append_str(&path, "/accounts/") < 0 ||
            bank_append_encoded(&path, acct->external_id) < 0 ||
            buf_printf(&path, "/transactions?date_from=%s&date_to=%s", p->date_from,
                       p->date_to) < 0 ||
            (next[0] && (buf_append_str(&path, "&continuation_key=") < 0 ||
                         bank_append_encoded(&path, next) < 0))) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (call(c, "GET", path.data, NULL, &a, err) < 0)
            goto out;
        if (a.status == 429) {
            char v[32];
            p->quota.rate_limited = true;
            if (httpc_response_header(&a.resp, "Retry-After", v, sizeof v))
                p->quota.reset_s = strtoll(v, NULL, 10);
            error_set(err, ERR_UNAVAILABLE, "%s: the bank's calls for today are spent",
                      c->drv->label);
            goto out;
        }
        if (a.status / 100 == 4 && (says_expired(&a) || a.status == 401 || a.status == 403)) {
            error_set(err, ERR_NOT_INSTALLED, "the consent at the bank expired; renew it");
            goto out;
        }
        if (a.status / 100 != 2) {
            bank_answer_error(c, "the transactions", &a, err);
            goto out;
        }
        if (bank_enablebanking_parse(a.doc, &p->txs, next, sizeof next, err) < 0)
            goto out;
        bank_answer_free(&a);
        if (!next[0]) {
            rc = 0;
            goto out;
        }
    }
    error_set(err, ERR_SERVICE_FAILED, "%s gave more than %d pages", c->drv->label, PAGES_MAX);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

/* The booked closing balance, else the interim booked or available one, else the expected
 * one (GET /accounts/{uid}/balances). */
static int eb_balance(struct bank_ctx *c, const struct bank_account *acct, struct bank_pull *p,
                      struct error *err)
{
    static const char *const order[] = {"CLBD", "ITBD", "ITAV", "XPCD", NULL};
    struct buf path;
    struct bank_answer a = {0};
    int rc = -1;
    buf_init(&path, 1024);
    if (buf_append_str(&path, "/accounts/") < 0 ||
        bank_append_encoded(&path, acct->external_id) < 0 ||
        buf_append_str(&path, "/balances") < 0 || call(c, "GET", path.data, NULL, &a, err) < 0)
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
        const json_t *hit = NULL;
        json_array_foreach(list, i, b) {
            const char *type = str(b, "balance_type");
            if (!hit && type && strcmp(type, order[k]) == 0)
                hit = b;
        }
        if (hit) {
            best = hit;
            break;
        }
    }
    const json_t *amount = json_object_get(best, "balance_amount");
    const json_t *value = json_object_get(amount, "amount");
    rc = bank_balance_take(c, acct, json_string_value(value), json_string_length(value),
                           str(amount, "currency"), str(best, "reference_date"), p, err);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

int bank_enablebanking_parse(const json_t *doc, struct bank_txs *txs, char *next, size_t cap,
                             struct error *err)
{
    const json_t *list = json_object_get(doc, "transactions");
    const char *key = str(doc, "continuation_key");
    next[0] = '\0';
    if (!json_is_array(list))
        return error_set(err, ERR_SERVICE_FAILED, "the answer holds no transactions");
    if (key && *key) {
        if (strlen(key) >= cap)
            return error_set(err, ERR_SERVICE_FAILED, "the continuation key is too long");
        snprintf(next, cap, "%s", key);
    }
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t) {
        const char *status = str(t, "status");
        if (!status || (strcmp(status, "BOOK") != 0 && strcmp(status, "PDNG") != 0))
            continue; /* cancelled, held, informational: no money moved */
        const char *cdi = str(t, "credit_debit_indicator");
        if (!cdi || (strcmp(cdi, "CRDT") != 0 && strcmp(cdi, "DBIT") != 0))
            return error_set(err, ERR_SERVICE_FAILED, "an entry has no credit_debit_indicator");
        bool credit = strcmp(cdi, "CRDT") == 0;
        const json_t *amount = json_object_get(t, "transaction_amount");
        const json_t *value = json_object_get(amount, "amount");
        const json_t *party = json_object_get(t, credit ? "debtor" : "creditor");
        const json_t *party_account = json_object_get(t, credit ? "debtor_account"
                                                                : "creditor_account");
        struct buf remit;
        buf_init(&remit, 4096);
        size_t j;
        json_t *line;
        json_array_foreach(json_object_get(t, "remittance_information"), j, line) {
            if (json_is_string(line) && ((remit.len && buf_append_str(&remit, " ") < 0) ||
                                         buf_append_str(&remit, json_string_value(line)) < 0))
                break;
        }
        struct bank_entry e = {
            .entry_ref = str(t, "entry_reference"),
            .booked = strcmp(status, "BOOK") == 0,
            .booking_date = str(t, "booking_date"),
            .value_date = str(t, "value_date"),
            .amount = json_string_value(value),
            .amount_len = json_string_length(value),
            .credit_debit = credit ? 1 : -1,
            .currency = str(amount, "currency"),
            .counterparty_name = str(party, "name"),
            .counterparty_iban = str(party_account, "iban"),
            .remittance = remit.len ? remit.data : NULL,
            .reference = str(t, "reference_number"),
            .bank_tx_id = str(t, "transaction_id"),
        };
        if (!e.booking_date && !e.value_date)
            e.value_date = str(t, "transaction_date");
        int rc = bank_txs_add(txs, &e, err);
        buf_free(&remit);
        if (rc < 0)
            return -1;
    }
    return 0;
}

const struct bank_driver bank_driver_enablebanking = {
    .name = "enablebanking",
    .label = "Enable Banking",
    .default_base = "https://api.enablebanking.com",
    .caps = BANK_CAP_DAILY_LIMIT,
    .institutions = eb_institutions,
    .start = eb_start,
    .finish = eb_finish,
    .transactions = eb_transactions,
    .balance = eb_balance,
};
