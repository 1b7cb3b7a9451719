/* store/q_bank.c - bank connections, accounts and transactions (bank.h).
 *
 * "Stored once" rests on two UNIQUE indexes of migration 18: bank_accounts (tenant_id,
 * identity) and bank_transactions (account_id, entry_ref). An account is upserted on its
 * identity; a transaction is inserted with ON CONFLICT DO NOTHING and, when it was there,
 * only a pending row is brought up to date, so pulls that overlap (or run twice) add
 * nothing. A pull's rows are all written with one updated_at, the pull's time: the
 * account's pending rows that carry another one were not in the pull and are removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bank.h"
#include "store/store_int.h"

#define CONNECTION_COLUMNS                                                                  \
    "id, tenant_id, install_id, driver, country, institution_id, institution_name, status, " \
    "external_id, agreement_id, link, error, renews_id, expires_at, linked_at, created_at, " \
    "updated_at"

static int read_connection(void *ctx, const struct store_row *row)
{
    struct bank_connection *c = ctx;
    memset(c, 0, sizeof *c);
    store_row_copy(row, 0, c->id, sizeof c->id);
    store_row_copy(row, 1, c->tenant_id, sizeof c->tenant_id);
    store_row_copy(row, 2, c->install_id, sizeof c->install_id);
    store_row_copy(row, 3, c->driver, sizeof c->driver);
    store_row_copy(row, 4, c->country, sizeof c->country);
    store_row_copy(row, 5, c->institution_id, sizeof c->institution_id);
    store_row_copy(row, 6, c->institution_name, sizeof c->institution_name);
    store_row_copy(row, 7, c->status, sizeof c->status);
    store_row_copy(row, 8, c->external_id, sizeof c->external_id);
    store_row_copy(row, 9, c->agreement_id, sizeof c->agreement_id);
    store_row_copy(row, 10, c->link, sizeof c->link);
    snprintf(c->error, sizeof c->error, "%s", store_row_text(row, 11));
    store_row_copy(row, 12, c->renews_id, sizeof c->renews_id);
    store_row_copy(row, 13, c->expires_at, sizeof c->expires_at);
    store_row_copy(row, 14, c->linked_at, sizeof c->linked_at);
    store_row_copy(row, 15, c->created_at, sizeof c->created_at);
    store_row_copy(row, 16, c->updated_at, sizeof c->updated_at);
    return 0;
}

static int found_connection(void *ctx, const struct store_row *row)
{
    read_connection(ctx, row);
    return 1;
}

/* NULL for "", so optional columns stay NULL. */
static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

int store_bank_connection_create(struct store *s, struct bank_connection *c,
                                 const char *state_hash, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    if (crypto_id_new("bcn_", c->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), now);
    snprintf(c->status, sizeof c->status, "pending");
    memcpy(c->created_at, now, sizeof now);
    memcpy(c->updated_at, now, sizeof now);
    struct store_param p[] = {P_TEXT(c->id),           P_TEXT(c->tenant_id),
                              P_TEXT(c->install_id),   P_TEXT(c->driver),
                              P_TEXT(c->country),      P_TEXT(c->institution_id),
                              P_TEXT(opt(c->institution_name)), P_TEXT(state_hash),
                              P_TEXT(opt(c->renews_id)), P_TEXT(now)};
    return store_run(s,
                     "INSERT INTO bank_connections (id, tenant_id, install_id, driver, country, "
                     "institution_id, institution_name, status, state_hash, renews_id, "
                     "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', "
                     "$8, $9, $10, $10)",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_bank_connection_get(struct store *s, const char *tenant_id, const char *id,
                              struct bank_connection *out, bool *found, struct error *err)
{
    memset(out, 0, sizeof *out);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    if (store_run(s,
                  "SELECT " CONNECTION_COLUMNS " FROM bank_connections "
                  "WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), found_connection, out, NULL, err) < 0)
        return -1;
    *found = out->id[0] != '\0';
    return 0;
}

int store_bank_connection_by_state(struct store *s, const char *state_hash,
                                   struct bank_connection *out, bool *found,
                                   struct error *err)
{
    memset(out, 0, sizeof *out);
    struct store_param p[] = {P_TEXT(state_hash)};
    if (store_run(s,
                  "SELECT " CONNECTION_COLUMNS " FROM bank_connections WHERE state_hash = $1",
                  p, N_PARAMS(p), found_connection, out, NULL, err) < 0)
        return -1;
    *found = out->id[0] != '\0';
    return 0;
}

int store_bank_connection_started(struct store *s, const struct bank_connection *c,
                                  struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(c->tenant_id),         P_TEXT(c->id),
                              P_TEXT(opt(c->external_id)),  P_TEXT(opt(c->agreement_id)),
                              P_TEXT(opt(c->link)),         P_TEXT(now),
                              P_TEXT(opt(c->institution_name)), P_TEXT(opt(c->expires_at))};
    return store_run(s,
                     "UPDATE bank_connections SET external_id = $3, agreement_id = $4, "
                     "link = $5, updated_at = $6, institution_name = $7, expires_at = $8 "
                     "WHERE tenant_id = $1 AND id = $2",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_bank_connection_set_status(struct store *s, const char *tenant_id, const char *id,
                                     const char *status, const char *error,
                                     const char *expires_at, const char *linked_at,
                                     struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id),         P_TEXT(status),
                              P_TEXT(error),     P_TEXT(opt(expires_at)), P_TEXT(opt(linked_at)),
                              P_TEXT(now)};
    /* the comparison first gives PostgreSQL the parameters' types (times) */
    return store_run(s,
                     "UPDATE bank_connections SET status = $3, error = $4, "
                     "expires_at = CASE WHEN expires_at = $5 OR $5 IS NULL THEN expires_at "
                     "ELSE $5 END, "
                     "linked_at = CASE WHEN linked_at = $6 OR $6 IS NULL THEN linked_at "
                     "ELSE $6 END, updated_at = $7 WHERE tenant_id = $1 AND id = $2",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct connection_walk {
    int (*fn)(void *ctx, const struct bank_connection *c);
    void *ctx;
};

static int each_connection(void *ctx, const struct store_row *row)
{
    struct connection_walk *w = ctx;
    struct bank_connection c;
    read_connection(&c, row);
    return w->fn(w->ctx, &c);
}

int store_bank_connections_list(struct store *s, const char *tenant_id, int limit,
                                int (*fn)(void *ctx, const struct bank_connection *c),
                                void *ctx, struct error *err)
{
    struct connection_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(limit > 0 ? limit : 1)};
    return store_run(s,
                     "SELECT " CONNECTION_COLUMNS " FROM bank_connections WHERE tenant_id = $1 "
                     "ORDER BY id DESC LIMIT $2",
                     p, N_PARAMS(p), each_connection, &w, NULL, err);
}

/* ---- accounts --------------------------------------------------------------------------- */

#define ACCOUNT_COLUMNS                                                                     \
    "id, tenant_id, install_id, connection_id, driver, identity, external_id, iban, name, " \
    "currency, ledger_account, balance_minor, balance_date, cursor, pull_day, pulls_used, "  \
    "pull_limit, last_pull_at, next_pull_at, error, created_at, updated_at"

static int read_account(void *ctx, const struct store_row *row)
{
    struct bank_account *a = ctx;
    memset(a, 0, sizeof *a);
    store_row_copy(row, 0, a->id, sizeof a->id);
    store_row_copy(row, 1, a->tenant_id, sizeof a->tenant_id);
    store_row_copy(row, 2, a->install_id, sizeof a->install_id);
    store_row_copy(row, 3, a->connection_id, sizeof a->connection_id);
    store_row_copy(row, 4, a->driver, sizeof a->driver);
    store_row_copy(row, 5, a->identity, sizeof a->identity);
    store_row_copy(row, 6, a->external_id, sizeof a->external_id);
    store_row_copy(row, 7, a->iban, sizeof a->iban);
    snprintf(a->name, sizeof a->name, "%s", store_row_text(row, 8));
    store_row_copy(row, 9, a->currency, sizeof a->currency);
    store_row_copy(row, 10, a->ledger_account, sizeof a->ledger_account);
    a->has_balance = !store_row_is_null(row, 11);
    a->balance_minor = a->has_balance ? store_row_int(row, 11) : 0;
    store_row_copy(row, 12, a->balance_date, sizeof a->balance_date);
    store_row_copy(row, 13, a->cursor, sizeof a->cursor);
    store_row_copy(row, 14, a->pull_day, sizeof a->pull_day);
    a->pulls_used = store_row_int(row, 15);
    a->pull_limit = store_row_is_null(row, 16) ? -1 : store_row_int(row, 16);
    store_row_copy(row, 17, a->last_pull_at, sizeof a->last_pull_at);
    store_row_copy(row, 18, a->next_pull_at, sizeof a->next_pull_at);
    snprintf(a->error, sizeof a->error, "%s", store_row_text(row, 19));
    store_row_copy(row, 20, a->created_at, sizeof a->created_at);
    store_row_copy(row, 21, a->updated_at, sizeof a->updated_at);
    return 0;
}

static int found_account(void *ctx, const struct store_row *row)
{
    read_account(ctx, row);
    return 1;
}

int store_bank_account_upsert(struct store *s, const struct bank_account *in,
                              struct bank_account *out, struct error *err)
{
    char id[CRYPTO_ID_MAX], now[CLOCK_RFC3339_LEN];
    if (crypto_id_new("bac_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(id),
                              P_TEXT(in->tenant_id),
                              P_TEXT(in->install_id),
                              P_TEXT(in->connection_id),
                              P_TEXT(in->driver),
                              P_TEXT(in->identity),
                              P_TEXT(in->external_id),
                              P_TEXT(opt(in->iban)),
                              P_TEXT(opt(in->name)),
                              P_TEXT(opt(in->currency)),
                              P_TEXT(now)};
    if (store_run(s,
                  "INSERT INTO bank_accounts (id, tenant_id, install_id, connection_id, driver, "
                  "identity, external_id, iban, name, currency, created_at, updated_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) "
                  "ON CONFLICT (tenant_id, identity) DO UPDATE SET "
                  "install_id = excluded.install_id, connection_id = excluded.connection_id, "
                  "driver = excluded.driver, external_id = excluded.external_id, "
                  "iban = COALESCE(excluded.iban, bank_accounts.iban), "
                  "name = COALESCE(excluded.name, bank_accounts.name), "
                  "currency = COALESCE(excluded.currency, bank_accounts.currency), "
                  "error = NULL, updated_at = excluded.updated_at",
                  p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    struct store_param q[] = {P_TEXT(in->tenant_id), P_TEXT(in->identity)};
    return store_run(s,
                     "SELECT " ACCOUNT_COLUMNS " FROM bank_accounts "
                     "WHERE tenant_id = $1 AND identity = $2",
                     q, N_PARAMS(q), found_account, out, NULL, err);
}

int store_bank_account_get(struct store *s, const char *tenant_id, const char *id,
                           struct bank_account *out, bool *found, struct error *err)
{
    memset(out, 0, sizeof *out);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    if (store_run(s,
                  "SELECT " ACCOUNT_COLUMNS " FROM bank_accounts WHERE tenant_id = $1 AND "
                  "id = $2",
                  p, N_PARAMS(p), found_account, out, NULL, err) < 0)
        return -1;
    *found = out->id[0] != '\0';
    return 0;
}

struct account_walk {
    int (*fn)(void *ctx, const struct bank_account *a);
    void *ctx;
};

static int each_account(void *ctx, const struct store_row *row)
{
    struct account_walk *w = ctx;
    struct bank_account a;
    read_account(&a, row);
    return w->fn(w->ctx, &a);
}

int store_bank_accounts_list(struct store *s, const char *tenant_id, const char *install_id,
                             int (*fn)(void *ctx, const struct bank_account *a), void *ctx,
                             struct error *err)
{
    struct account_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id)};
    return store_run(s,
                     "SELECT " ACCOUNT_COLUMNS " FROM bank_accounts WHERE tenant_id = $1 "
                     "AND (install_id = $2 OR $2 IS NULL) ORDER BY id",
                     p, N_PARAMS(p), each_account, &w, NULL, err);
}

int store_bank_account_plan(struct store *s, const struct bank_account *a,
                            struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(a->tenant_id),
                              P_TEXT(a->id),
                              P_TEXT(opt(a->pull_day)),
                              P_INT(a->pulls_used),
                              a->pull_limit < 0 ? P_TEXT(NULL) : P_INT(a->pull_limit),
                              P_TEXT(opt(a->next_pull_at)),
                              P_TEXT(opt(a->error)),
                              P_TEXT(now)};
    return store_run(s,
                     "UPDATE bank_accounts SET pull_day = $3, pulls_used = $4, "
                     "pull_limit = $5, next_pull_at = $6, error = $7, updated_at = $8 "
                     "WHERE tenant_id = $1 AND id = $2",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

/* ---- transactions ----------------------------------------------------------------------- */

/* One entry of a pull (inside tx): inserted when new; when stored, a pending row takes the
 * entry's content (and turns booked when it is), a booked row keeps what it has; either
 * way it carries the pull's time, which marks it seen. */
static int put_tx(struct store_tx *tx, const struct bank_account *a, const struct bank_tx_in *t,
                  const char *now, struct bank_pull_counts *counts, struct error *err)
{
    char id[CRYPTO_ID_MAX];
    int64_t changes = 0;
    if (crypto_id_new("btx_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    const char *status = t->booked ? "booked" : "pending";
    struct store_param p[] = {P_TEXT(id),
                              P_TEXT(a->tenant_id),
                              P_TEXT(a->id),
                              P_TEXT(t->entry_ref),
                              P_TEXT(status),
                              P_TEXT(opt(t->booking_date)),
                              P_TEXT(opt(t->value_date)),
                              P_INT(t->amount_minor),
                              P_TEXT(t->currency),
                              P_TEXT(opt(t->counterparty_name)),
                              P_TEXT(opt(t->counterparty_iban)),
                              P_TEXT(opt(t->remittance)),
                              P_TEXT(opt(t->reference)),
                              P_TEXT(opt(t->bank_tx_id)),
                              P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO bank_transactions (id, tenant_id, account_id, entry_ref, "
                       "status, booking_date, value_date, amount_minor, currency, "
                       "counterparty_name, counterparty_iban, remittance, reference, "
                       "bank_tx_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                       "$7, $8, $9, $10, $11, $12, $13, $14, $15, $15) "
                       "ON CONFLICT (account_id, entry_ref) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    if (changes > 0) {
        counts->new_count++;
        return 0;
    }
    int64_t refreshed = 0;
    if (store_tx_query(tx,
                       "UPDATE bank_transactions SET status = $5, booking_date = $6, "
                       "value_date = $7, amount_minor = $8, currency = $9, "
                       "counterparty_name = $10, counterparty_iban = $11, remittance = $12, "
                       "reference = $13, bank_tx_id = $14, updated_at = $15 "
                       "WHERE account_id = $3 AND entry_ref = $4 AND status = 'pending' "
                       "AND tenant_id = $2 AND id <> $1",
                       p, N_PARAMS(p), NULL, NULL, &refreshed, err) < 0)
        return -1;
    if (refreshed > 0 && t->booked)
        counts->updated_count++;
    struct store_param seen[] = {P_TEXT(a->id), P_TEXT(t->entry_ref), P_TEXT(now)};
    return store_tx_query(tx,
                          "UPDATE bank_transactions SET updated_at = $3 "
                          "WHERE account_id = $1 AND entry_ref = $2",
                          seen, N_PARAMS(seen), NULL, NULL, NULL, err);
}

int store_bank_pull_commit(struct store *s, const struct bank_account *a,
                           const struct bank_tx_in *txs, size_t n, const char *cursor,
                           int64_t now_ms, struct bank_pull_counts *counts,
                           struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    struct store_tx *tx = NULL;
    int64_t removed = 0;
    clock_format_rfc3339(now_ms, now);
    memset(counts, 0, sizeof *counts);
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (put_tx(tx, a, &txs[i], now, counts, err) < 0)
            goto fail;
    struct store_param d[] = {P_TEXT(a->id), P_TEXT(now)};
    if (store_tx_query(tx,
                       "DELETE FROM bank_transactions WHERE account_id = $1 AND "
                       "status = 'pending' AND updated_at <> $2",
                       d, N_PARAMS(d), NULL, NULL, &removed, err) < 0)
        goto fail;
    counts->removed_count = removed;
    struct store_param u[] = {P_TEXT(a->tenant_id),
                              P_TEXT(a->id),
                              P_TEXT(opt(cursor)),
                              P_TEXT(now),
                              a->has_balance ? P_INT(a->balance_minor) : P_TEXT(NULL),
                              P_TEXT(opt(a->balance_date)),
                              P_INT(a->has_balance)};
    if (store_tx_query(tx,
                       "UPDATE bank_accounts SET cursor = COALESCE($3, cursor), "
                       "last_pull_at = $4, updated_at = $4, error = NULL, "
                       "balance_minor = CASE WHEN $7 = 1 THEN $5 ELSE balance_minor END, "
                       "balance_date = CASE WHEN $7 = 1 THEN $6 ELSE balance_date END "
                       "WHERE tenant_id = $1 AND id = $2",
                       u, N_PARAMS(u), NULL, NULL, NULL, err) < 0)
        goto fail;
    return store_tx_commit(tx, err);
fail:
    store_tx_rollback(tx);
    return -1;
}

struct tx_walk {
    int (*fn)(void *ctx, const struct bank_tx *t);
    void *ctx;
};

static int each_tx(void *ctx, const struct store_row *row)
{
    struct tx_walk *w = ctx;
    struct bank_tx t = {0};
    store_row_copy(row, 0, t.id, sizeof t.id);
    t.account_id = store_row_text(row, 1);
    t.entry_ref = store_row_text(row, 2);
    t.status = store_row_text(row, 3);
    t.booking_date = store_row_text(row, 4);
    t.value_date = store_row_text(row, 5);
    t.amount_minor = store_row_int(row, 6);
    t.currency = store_row_text(row, 7);
    t.counterparty_name = store_row_text(row, 8);
    t.counterparty_iban = store_row_text(row, 9);
    t.remittance = store_row_text(row, 10);
    t.reference = store_row_text(row, 11);
    t.bank_tx_id = store_row_text(row, 12);
    t.match_status = store_row_text(row, 13);
    t.invoice_id = store_row_text(row, 14);
    t.ledger_entry_id = store_row_text(row, 15);
    t.created_at = store_row_text(row, 16);
    t.updated_at = store_row_text(row, 17);
    return w->fn(w->ctx, &t);
}

int store_bank_transactions_page(struct store *s, const char *tenant_id,
                                 const struct bank_tx_filter *f, const struct store_page *page,
                                 int (*fn)(void *ctx, const struct bank_tx *t), void *ctx,
                                 struct error *err)
{
    struct tx_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id),
                              P_TEXT(page->before && *page->before ? page->before : "~"),
                              P_INT(page->limit > 0 ? page->limit : 1),
                              P_TEXT(f->account_id),
                              P_TEXT(f->status),
                              P_TEXT(f->from),
                              P_TEXT(f->to),
                              P_TEXT(f->match_status),
                              P_TEXT(f->matched)};
    return store_run(
        s,
        "SELECT id, account_id, entry_ref, status, booking_date, value_date, amount_minor, "
        "currency, counterparty_name, counterparty_iban, remittance, reference, bank_tx_id, "
        "match_status, invoice_id, ledger_entry_id, created_at, updated_at "
        "FROM bank_transactions WHERE tenant_id = $1 AND id < $2 "
        "AND (account_id = $4 OR $4 IS NULL) AND (status = $5 OR $5 IS NULL) "
        "AND (COALESCE(booking_date, value_date) >= $6 OR $6 IS NULL) "
        "AND (COALESCE(booking_date, value_date) <= $7 OR $7 IS NULL) "
        "AND (match_status = $8 OR $8 IS NULL) "
        "AND (CAST($9 AS TEXT) IS NULL OR ($9 = 'false' AND match_status = 'unmatched') "
        "OR ($9 = 'true' AND match_status <> 'unmatched')) "
        "ORDER BY id DESC LIMIT $3",
        p, N_PARAMS(p), each_tx, &w, NULL, err);
}
