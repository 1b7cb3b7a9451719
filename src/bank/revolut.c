/* bank/revolut.c - the Revolut Business API's accounts and transactions (the API half of
 * the revolut connector; its webhooks are inbound/providers/revolut.c).
 *
 * Authorization is OAuth 2 through oauth/: the consent in the Business app (the link), the
 * code exchanged, and the 40-minute access token refreshed, each time with an RS256
 * client assertion signed by the privateKey setting (oauth/services.c). Revolut is one
 * bank, so the institutions are one. Transactions come newest first by created_at, up to
 * 1000 a request, from (inclusive) to (exclusive): the next page ends where the last one's
 * oldest began. Amounts are JSON numbers in major units with their sign; a transaction's
 * legs are its effect on each account, so the account's leg is the entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank_int.h"
#include "core/clock.h"
#include "core/money.h"
#include "core/utf8.h"
#include "inbound/sig.h"
#include "oauth/oauth.h"

#define API "/api/1.0"
#define PAGE_COUNT 1000
#define PAGES_MAX 1000

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int authorize(struct bank_ctx *c, struct error *err)
{
    char token[OAUTH_TOKEN_MAX];
    if (c->auth.len)
        return 0;
    if (oauth_access_token(c->env->store, c->env->master_key, c->in.tenant_id, c->in.id, token,
                           sizeof token, err) < 0)
        return -1;
    int rc = buf_printf(&c->auth, "Bearer %s", token) < 0
                 ? error_set(err, ERR_INTERNAL, "out of memory")
                 : 0;
    memset(token, 0, sizeof token);
    return rc;
}

static int rv_institutions(struct bank_ctx *c, const char *country, json_t *list,
                           struct error *err)
{
    (void)c;
    (void)country;
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", "revolut-business", "name",
                          "Revolut Business", "bic", "REVOLT21");
    if (!o || json_array_append_new(list, o) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int rv_start(struct bank_ctx *c, struct bank_connection *conn, const char *redirect_url,
                    char *state, size_t cap, struct error *err)
{
    char *url = NULL;
    char oauth_state[OAUTH_STATE_TEXT_MAX];
    int rc = -1;
    if (oauth_consent_start_state(c->env->store, c->env->master_key, c->in.tenant_id, c->in.id,
                                  redirect_url, &url, oauth_state, err) < 0)
        goto out;
    if (strlen(url) >= sizeof conn->link || strlen(oauth_state) >= cap) {
        error_set(err, ERR_CONFIG, "the consent link is too long");
        goto out;
    }
    snprintf(conn->link, sizeof conn->link, "%s", url);
    snprintf(state, cap, "%s", oauth_state); /* the callback brings back OAuth's state */
    rc = 0;
out:
    free(url);
    memset(oauth_state, 0, sizeof oauth_state);
    return rc;
}

static int rv_finish(struct bank_ctx *c, struct bank_connection *conn,
                     const struct bank_callback *cb, struct bank_accounts_found *out,
                     struct error *err)
{
    struct oauth_connected done;
    struct bank_answer a = {0};
    int rc = -1;
    if (cb->error || !cb->code) {
        error_set(err, ERR_FORBIDDEN, "Revolut did not grant access (%.*s)",
                  UTF8_CUT(64, cb->error ? cb->error : "no code"));
        goto out;
    }
    if (oauth_consent_finish(c->env->store, c->env->master_key, "revolut", cb->state, cb->code,
                             &done, err) < 0 ||
        authorize(c, err) < 0 || bank_request(c, "GET", API "/accounts", NULL, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the accounts", &a, err);
        goto out;
    }
    size_t i;
    json_t *acc;
    json_array_foreach(a.doc, i, acc) {
        struct bank_account_found f = {0};
        const char *id = str(acc, "id");
        const char *state = str(acc, "state");
        if (!id || strlen(id) >= 200 || (state && strcmp(state, "active") != 0))
            continue;
        snprintf(f.external_id, sizeof f.external_id, "%s", id);
        snprintf(f.identity, sizeof f.identity, "revolut:%s", id);
        utf8_copy(f.name, sizeof f.name, str(acc, "name"));
        utf8_copy(f.currency, sizeof f.currency, str(acc, "currency"));
        if (bank_accounts_add(out, &f, err) < 0)
            goto out;
    }
    (void)conn;
    rc = 0;
out:
    bank_answer_free(&a);
    return rc;
}

static int rv_transactions(struct bank_ctx *c, const struct bank_account *acct,
                           struct bank_pull *p, struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    char to[64], next[64] = "";
    int64_t to_ms = 0;
    int rc = -1;
    buf_init(&path, 4096);
    /* "to" is exclusive: the day after the last one wanted */
    snprintf(to, sizeof to, "%sT00:00:00Z", p->date_to);
    if (clock_parse_rfc3339(to, &to_ms) < 0) {
        error_set(err, ERR_INTERNAL, "bad window");
        goto out;
    }
    bank_date(to_ms, 1, to);
    if (authorize(c, err) < 0)
        goto out;
    for (int page = 0; page < PAGES_MAX; page++) {
        size_t n_items = 0;
        buf_reset(&path);
        if (buf_append_str(&path, API "/transactions?account=") < 0 ||
            bank_append_encoded(&path, acct->external_id) < 0 ||
            buf_printf(&path, "&from=%s&count=%d&to=", p->date_from, PAGE_COUNT) < 0 ||
            bank_append_encoded(&path, next[0] ? next : to) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (bank_request(c, "GET", path.data, NULL, NULL, &a, err) < 0)
            goto out;
        if (a.status == 401) {
            /* the access token ran out early: the next run refreshes it */
            struct error e2 = {0};
            oauth_invalidate(c->env->store, c->in.tenant_id, c->in.id, &e2);
            bank_answer_error(c, "the access token", &a, err);
            goto out;
        }
        if (a.status == 429) {
            p->quota.rate_limited = true;
            error_set(err, ERR_UNAVAILABLE, "Revolut asks to slow down");
            goto out;
        }
        if (a.status / 100 != 2) {
            bank_answer_error(c, "the transactions", &a, err);
            goto out;
        }
        char last[64];
        if (bank_revolut_parse(a.doc, acct->external_id, &p->txs, last, sizeof last, &n_items,
                               err) < 0)
            goto out;
        bank_answer_free(&a);
        /* done when a page is empty or short, or the oldest time does not move */
        if (n_items < PAGE_COUNT || !last[0] || strcmp(last, next) == 0) {
            rc = 0;
            goto out;
        }
        snprintf(next, sizeof next, "%s", last);
    }
    error_set(err, ERR_SERVICE_FAILED, "Revolut gave more than %d pages", PAGES_MAX);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

/* The account's balance (GET /api/1.0/accounts/{id}): a JSON number in major units. */
static int rv_balance(struct bank_ctx *c, const struct bank_account *acct, struct bank_pull *p,
                      struct error *err)
{
    struct buf path;
    struct bank_answer a = {0};
    struct money m;
    int rc = -1;
    buf_init(&path, 1024);
    if (buf_append_str(&path, API "/accounts/") < 0 ||
        bank_append_encoded(&path, acct->external_id) < 0 ||
        bank_request(c, "GET", path.data, NULL, NULL, &a, err) < 0)
        goto out;
    if (a.status / 100 != 2) {
        bank_answer_error(c, "the account", &a, err);
        goto out;
    }
    const char *currency = str(a.doc, "currency");
    if (!currency || sig_amount(json_object_get(a.doc, "balance"), SIG_AMOUNT_MAJOR_NUMBER,
                                currency, &m, err) < 0) {
        error_set(err, ERR_SERVICE_FAILED, "the account's balance is not an exact amount");
        goto out;
    }
    char text[MONEY_TEXT_MAX];
    money_format(&m, text);
    rc = bank_balance_take(c, acct, text, strlen(text), m.currency, NULL, p, err);
out:
    bank_answer_free(&a);
    buf_free(&path);
    return rc;
}

int bank_revolut_parse(const json_t *doc, const char *account_id, struct bank_txs *txs,
                       char *next, size_t cap, size_t *n_items, struct error *err)
{
    next[0] = '\0';
    *n_items = 0;
    if (!json_is_array(doc))
        return error_set(err, ERR_SERVICE_FAILED, "the answer is not a list of transactions");
    *n_items = json_array_size(doc);
    size_t i;
    json_t *t;
    json_array_foreach(doc, i, t) {
        const char *id = str(t, "id");
        const char *state = str(t, "state");
        const char *created = str(t, "created_at");
        if (!id || !state || !created)
            return error_set(err, ERR_SERVICE_FAILED, "a transaction has no id, state or time");
        if (strlen(created) < cap)
            snprintf(next, cap, "%s", created); /* the list is newest first */
        bool booked = strcmp(state, "completed") == 0;
        if (!booked && strcmp(state, "pending") != 0 && strcmp(state, "created") != 0)
            continue; /* declined, failed, reverted: no money moved */
        size_t j;
        json_t *leg;
        json_array_foreach(json_object_get(t, "legs"), j, leg) {
            const char *leg_account = str(leg, "account_id");
            if (!leg_account || strcmp(leg_account, account_id) != 0)
                continue;
            char ref[BANK_ENTRY_REF_MAX];
            const char *leg_id = str(leg, "leg_id");
            snprintf(ref, sizeof ref, "%.70s/%.70s", id, leg_id ? leg_id : "");
            const json_t *merchant = json_object_get(t, "merchant");
            const char *description = str(leg, "description");
            const char *reference = str(t, "reference");
            struct bank_entry e = {
                .entry_ref = ref,
                .booked = booked,
                .booking_date = booked ? str(t, "completed_at") : NULL,
                .value_date = created,
                .amount_number = json_object_get(leg, "amount"),
                .currency = str(leg, "currency"),
                .counterparty_name = str(merchant, "name") ? str(merchant, "name")
                                                           : description,
                .counterparty_iban = NULL,
                .remittance = reference ? reference : description,
                .reference = reference,
                .bank_tx_id = id,
            };
            if (booked && !e.booking_date)
                e.booking_date = created;
            if (bank_txs_add(txs, &e, err) < 0)
                return -1;
        }
    }
    return 0;
}

const struct bank_driver bank_driver_revolut = {
    .name = "revolut",
    .label = "Revolut Business",
    .default_base = "https://b2b.revolut.com",
    .caps = 0,
    .institutions = rv_institutions,
    .start = rv_start,
    .finish = rv_finish,
    .transactions = rv_transactions,
    .balance = rv_balance,
};
