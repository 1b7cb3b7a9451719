/* store/store.h - what the rest of connectord may ask of the store.
 *
 * A domain API (tenants, tokens, ...) over a pool of backend connections. Every function is
 * thread-safe: it borrows a connection from the pool for its duration. SQL is written once,
 * in store/q_*.c, with $1..$n placeholders that both backends understand; backend details
 * live in driver_*.c behind store_int.h. Functions return 0 or -1 with err set; a missing
 * row is ERR_NOT_FOUND, a unique-key clash ERR_CONFLICT, anything else ERR_STORE (whose
 * message is for the log, not for clients). */
#ifndef CONNECTORD_STORE_H
#define CONNECTORD_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"

struct store;

/* dsn: "sqlite:PATH" (the embedded default) or "postgres://..." (scale-out backend).
 * pool_size: connections to keep; one per server thread plus one is a good choice. */
int store_open(const char *dsn, int pool_size, struct store **out, struct error *err);
void store_close(struct store *s); /* NULL is a no-op */
/* For a stopping server, once nobody waits for an answer: a write that finds the store
 * locked gives up after a short wait (SQLite: 250 ms) instead of the busy timeout, so the
 * remaining work ends promptly even when another process holds the lock. */
void store_stop_waiting(struct store *s);
const char *store_backend_name(const struct store *s);

/* Applies pending numbered migrations, each in its own transaction; safe to run from
 * several processes at once. *applied (optional) receives how many were applied. */
int store_migrate(struct store *s, int *applied, struct error *err);
int store_ping(struct store *s, struct error *err);

#define STORE_NAME_MAX 201 /* 200 bytes of UTF-8 plus NUL */
#define STORE_PLAN_MAX 16
#define STORE_ROLE_MAX 8

struct tenant {
    char id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX];
    char plan[STORE_PLAN_MAX];
    char created_at[CLOCK_RFC3339_LEN];
};

struct api_token {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char role[STORE_ROLE_MAX];
    char token_hash[2 * CRYPTO_SHA256_LEN + 1];
    char last_used_at[CLOCK_RFC3339_LEN]; /* "" when never used */
    struct tenant tenant; /* store_token_find: the token's tenant, read in the same query */
};

/* Creates a tenant and its first admin token (stored by hash) in one transaction. */
int store_tenant_create(struct store *s, const char *name, const char *plan,
                        const char *admin_token_hash, struct tenant *out_tenant,
                        struct api_token *out_token, struct error *err);
int store_tenant_rename(struct store *s, const char *id, const char *name, struct error *err);
int store_tenant_get(struct store *s, const char *id, struct tenant *out, struct error *err);
int store_tenant_count(struct store *s, int64_t *count, struct error *err);
/* Calls fn for every tenant, oldest first; fn returns 0 to go on, -1 to stop (ERR_IO). */
int store_tenant_list(struct store *s, int (*fn)(void *ctx, const struct tenant *t), void *ctx,
                      struct error *err);

/* Stores a token by its hash; out receives the new token's id. */
int store_token_create(struct store *s, const char *tenant_id, const char *role,
                       const char *token_hash, struct api_token *out, struct error *err);
int store_token_find(struct store *s, const char *token_hash, struct api_token *out,
                     struct error *err);
int store_token_touch(struct store *s, const char *token_id, int64_t now_ms, struct error *err);

/* ---- connector installs (both API surfaces) and the audit log ---------------------- */

#define STORE_SLUG_MAX 48

/* A destination's health as its circuit breaker last recorded it. */
struct install_health {
    int64_t consecutive_failures;
    int64_t paused_until_ms;          /* 0: the breaker is closed */
    char reason[256];                 /* why it was paused or disabled, or "" */
    char last_success_at[CLOCK_RFC3339_LEN]; /* "" when never */
    char last_failure_at[CLOCK_RFC3339_LEN];
};

struct install {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char slug[STORE_SLUG_MAX];
    bool is_destination;
    bool is_active;
    char *config;       /* JSON object of plain values; owned, freed by store_install_clear */
    char *secrets;      /* JSON object: key -> {"sealed": "...", "hint": "..."}; owned */
    char *event_types;  /* JSON array or NULL; owned */
    char *webhook_token_sealed; /* or NULL; owned */
    char created_at[CLOCK_RFC3339_LEN];
    char updated_at[CLOCK_RFC3339_LEN];
    /* destinations only */
    char project_id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX]; /* "" when never named */
    struct install_health health; /* read only: the engine writes it */
};

void store_install_clear(struct install *in);

/* What an audited change records: never values, only which keys changed. */
struct audit_entry {
    const char *token_id;
    const char *action; /* "connector.install", "destination.update", ... */
    const char *target; /* slug or connector id */
    const char *fields; /* JSON array of changed keys */
};

/* Inserts an install and its audit record in one transaction. in->id is made when empty
 * (callers that seal secrets bound to the id make it first); timestamps are filled in. For a destination, max_destinations (-1: unlimited) is checked inside the
 * transaction (ERR_LIMIT_REACHED), so parallel creates cannot pass the limit. A second
 * install of the same slug: ERR_CONFLICT. */
int store_install_insert(struct store *s, struct install *in, const char *webhook_token_hash,
                         int max_destinations, const struct audit_entry *audit,
                         struct error *err);
/* A tenant's seed-000 install of a slug (ERR_NOT_FOUND when not installed). */
int store_install_get_slug(struct store *s, const char *tenant_id, const char *slug,
                           struct install *out, struct error *err);
/* A tenant's install by id (ERR_NOT_FOUND also for another tenant's id). */
int store_install_get(struct store *s, const char *tenant_id, const char *id,
                      struct install *out, struct error *err);
/* Calls fn for each of the tenant's installs (destinations or not), oldest first. The
 * install passed to fn is valid only during the call. */
int store_install_list(struct store *s, const char *tenant_id, bool destinations,
                       int (*fn)(void *ctx, const struct install *in), void *ctx,
                       struct error *err);
struct store_page;
/* One page of the destinations of one of the tenant's projects, oldest first, as they were
 * always listed: the rows whose id sorts after page->before (the last id of the previous
 * page). */
int store_destination_page(struct store *s, const char *tenant_id, const char *project_id,
                           const struct store_page *page,
                           int (*fn)(void *ctx, const struct install *in), void *ctx,
                           struct error *err);
/* Replaces config, secrets, event types and is_active of the tenant's install id. */
int store_install_update(struct store *s, const struct install *in,
                         const struct audit_entry *audit, struct error *err);
int store_install_delete(struct store *s, const char *tenant_id, const char *id,
                         const struct audit_entry *audit, struct error *err);

struct store_tx;

/* What one round of the engine learnt about a destination, written inside its tx. A
 * `disable` also turns it off. */
struct destination_health_update {
    const char *tenant_id;
    const char *id;
    int64_t consecutive_failures;
    int64_t paused_until_ms;   /* 0: closed */
    const char *reason;        /* NULL: keep the stored one unless the breaker closed */
    const char *success_at;    /* or NULL */
    const char *failure_at;    /* or NULL */
    bool disable;
};
int store_destination_health(struct store_tx *tx, const struct destination_health_update *u,
                             struct error *err);
/* An audit record inside tx (the change it records commits with it). */
int store_tx_audit(struct store_tx *tx, const char *tenant_id, const struct audit_entry *audit,
                   struct error *err);

/* ---- projects ---------------------------------------------------------------------------- */

struct project {
    char id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX];
    char created_at[CLOCK_RFC3339_LEN];
};

/* Creates a project of the tenant (out->id is made, created_at filled in). */
int store_project_create(struct store *s, const char *tenant_id, struct project *p,
                         const struct audit_entry *audit, struct error *err);
/* The tenant's projects, oldest first (the default project first). */
int store_project_list(struct store *s, const char *tenant_id,
                       int (*fn)(void *ctx, const struct project *p), void *ctx,
                       struct error *err);
/* One of the tenant's projects (ERR_NOT_FOUND also for another tenant's). */
int store_project_get(struct store *s, const char *tenant_id, const char *id,
                      struct project *out, struct error *err);

struct audit_record {
    char id[CRYPTO_ID_MAX];
    char token_id[CRYPTO_ID_MAX];
    char action[48];
    char target[CRYPTO_ID_MAX];
    const char *fields; /* JSON array text, valid during the callback */
    char created_at[CLOCK_RFC3339_LEN];
};

/* ---- transactions, for work that must commit as one --------------------------------- */

struct store_tx;
int store_tx_begin(struct store *s, struct store_tx **out, struct error *err);
int store_tx_commit(struct store_tx *tx, struct error *err);  /* frees tx, also on failure */
void store_tx_rollback(struct store_tx *tx);                  /* frees tx; NULL is a no-op */
/* Nested scopes inside a transaction (SQL savepoints): undo one request's or one
 * payment's part without losing the rest. */
int store_tx_savepoint(struct store_tx *tx, struct error *err);
int store_tx_release(struct store_tx *tx, struct error *err);
int store_tx_undo(struct store_tx *tx, struct error *err); /* roll back to and release */

/* ---- group commit ---------------------------------------------------------------------- */

/* A unit of work for the committer: work() runs inside its own savepoint of a shared
 * transaction (on failure only its part is undone); done() is called once after the
 * commit, from the committer thread, with work()'s result, or -1 when the commit failed.
 * The job's memory is the caller's until done() returns; done() may free it. */
struct store_batch_job {
    int (*work)(void *ctx, struct store_tx *tx, struct error *err);
    void (*done)(void *ctx, int rc, const struct error *err);
    void *ctx;
    /* private to the committer */
    struct store_batch_job *next;
    int rc;
    struct error err;
};

/* Starts the committer thread (the server does; without it jobs commit one by one). */
int store_batch_start(struct store *s, struct error *err);
void store_batch_stop(struct store *s); /* finishes queued jobs first */
void store_batch_submit(struct store *s, struct store_batch_job *job);
/* Runs work in the next group commit and waits until it is on disk (or failed): for a
 * thread that writes often and would otherwise queue for the write lock behind the
 * committer. Returns work()'s result, or -1 when the commit failed. */
int store_batch_run(struct store *s, int (*work)(void *ctx, struct store_tx *tx,
                                                 struct error *err),
                    void *ctx, struct error *err);

/* ---- the books ----------------------------------------------------------------------- */

/* A webhook install found by its token's hash (ERR_NOT_FOUND when none). */
int store_install_by_token(struct store *s, const char *token_hash, struct install *out,
                           struct error *err);

enum party_role { PARTY_SUPPLIER, PARTY_CUSTOMER };

struct party_hint {
    const char *provider;     /* "stripe" */
    const char *provider_ref; /* the provider's id for the party, or "" */
    const char *email;        /* or "" */
    const char *name;         /* for a new party; never "" */
    const char *fallback_id;  /* used when nothing matches and it exists, or NULL */
};

/* Finds the party by provider ref, then by email; else takes fallback_id (a configured
 * default supplier) if it exists; else creates one. *created tells whether it did. */
int store_party_resolve(struct store_tx *tx, const char *tenant_id, enum party_role role,
                        const struct party_hint *hint, char id_out[CRYPTO_ID_MAX],
                        bool *created, struct error *err);
/* Whether party id exists for this tenant with this role. */
int store_party_exists(struct store_tx *tx, const char *tenant_id, enum party_role role,
                       const char *id, bool *exists, struct error *err);

struct invoice {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    const char *type; /* "eingangsrechnung", "ausgangsrechnung", "gutschrift" */
    char party_id[CRYPTO_ID_MAX];
    char invoice_number[128];
    char invoice_date[11];
    int64_t total_gross_minor;
    char currency[4];
    char source[STORE_SLUG_MAX];
    char external_id[128];
    char related_invoice_id[CRYPTO_ID_MAX]; /* "" when none */
    char journal_entry_id[CRYPTO_ID_MAX];   /* "" when none */
    char created_at[CLOCK_RFC3339_LEN];
    bool has_tax;      /* the provider reported the VAT in total_gross_minor */
    int64_t tax_minor; /* that VAT, when has_tax */
};

/* Inserts unless (tenant, source, external_id) exists: *inserted false then, and nothing
 * changed. The unique key decides, so concurrent duplicates cannot both insert. */
int store_invoice_insert(struct store_tx *tx, struct invoice *inv, bool *inserted,
                         struct error *err);
/* The invoice of (tenant, source, external_id) (ERR_NOT_FOUND when none). */
int store_invoice_find(struct store_tx *tx, const char *tenant_id, const char *source,
                       const char *external_id, struct invoice *out, struct error *err);
/* Links the invoice to its journal entry; ERR_ALREADY_POSTED when it already has one (an
 * invoice is posted once). */
int store_invoice_set_entry(struct store_tx *tx, const char *tenant_id, const char *invoice_id,
                            const char *entry_id, struct error *err);
/* The tenant's invoice by id inside a transaction (ERR_NOT_FOUND also for another
 * tenant's id). */
int store_invoice_get_tx(struct store_tx *tx, const char *tenant_id, const char *id,
                         struct invoice *out, struct error *err);

/* Payment links: the other ids under which a provider names one payment. A link maps an
 * alias to the external_id its invoice is (or will be) booked under; a parked alias holds
 * the details (JSON text) of an event that waits for a link. */
struct payment_link {
    char external_id[128]; /* "" when the alias is only parked */
    char *parked;          /* malloc'd JSON text, or NULL; the caller frees it */
};
/* *found false when the alias is unknown. */
int store_payment_link_get(struct store_tx *tx, const char *tenant_id, const char *source,
                           const char *alias, struct payment_link *out, bool *found,
                           struct error *err);
/* Maps alias to external_id unless it is already linked (a parked alias becomes linked
 * and forgets its details). */
int store_payment_link_add(struct store_tx *tx, const char *tenant_id, const char *source,
                           const char *alias, const char *external_id, struct error *err);
/* Keeps details under an alias that is not linked yet (a linked alias is left alone). */
int store_payment_park(struct store_tx *tx, const char *tenant_id, const char *source,
                       const char *alias, const char *details, struct error *err);

struct journal_line {
    const char *account;
    int64_t debit_minor;
    int64_t credit_minor;
    const char *currency;
    const char *vat_code; /* the VAT code of the booking this line belongs to, or NULL */
    bool vat_tax;         /* the line holds the tax of vat_code (else its base) */
};

/* Writes a journal entry after checking that it balances per currency (ERR_VALIDATION,
 * nothing written otherwise) and that every amount is non-negative. */
int store_journal_insert(struct store_tx *tx, const char *tenant_id, const char *date,
                         const char *description, const char *invoice_id,
                         const struct journal_line *lines, size_t n_lines,
                         char id_out[CRYPTO_ID_MAX], struct error *err);

struct webhook_log {
    const char *tenant_id;
    const char *provider;
    const char *event;       /* may be NULL */
    const char *status;      /* processed, duplicate, failed, invalid_signature */
    const char *action;      /* processed: booked, credit_note or none; else NULL */
    const char *external_id; /* may be NULL */
    const char *error;       /* may be NULL */
    const char *detail;      /* may be NULL */
    const char *body;        /* raw body kept for debugging, or NULL */
    int64_t received_ms;
    char *id_out; /* optional: receives the row's id (CRYPTO_ID_MAX bytes) */
};

/* Forgets raw bodies of webhook log rows received before cutoff_ms; *cleared (optional)
 * receives how many. */
int store_webhook_bodies_purge(struct store *s, int64_t cutoff_ms, int64_t *cleared,
                               struct error *err);

/* In a transaction (tx) or on its own (tx NULL: s is used). */
int store_webhook_log_insert(struct store *s, struct store_tx *tx, const struct webhook_log *log,
                             struct error *err);

struct store_page;
/* One page of the tenant's audit records, newest first (see struct store_page). */
int store_audit_list(struct store *s, const char *tenant_id, const struct store_page *page,
                     int (*fn)(void *ctx, const struct audit_record *rec), void *ctx,
                     struct error *err);

/* ---- reading the books --------------------------------------------------------------- */

/* One page of a list, newest first: rows whose id sorts below `before` (NULL: from the
 * newest), at most `limit`. Ids are time-ordered, so the last id of a page is the next
 * page's `before`, and a walk sees every row once. */
struct store_page {
    const char *before;
    int limit;
};

/* Each member NULL: no filter. from/to are inclusive YYYY-MM-DD bounds on invoice_date;
 * supplier_id and customer_id match the party id and its role. */
struct invoice_filter {
    const char *source;
    const char *type;
    const char *supplier_id;
    const char *customer_id;
    const char *from;
    const char *to;
    const char *posted; /* "true": with a journal entry; "false": waiting to be posted */
};

/* Calls fn for each of the tenant's invoices matching f, one page of them; role is the
 * role of the invoice's party (a credit note's counterpart). inv is valid during the call;
 * fn returns non-zero to stop. */
int store_invoice_list(struct store *s, const char *tenant_id, const struct invoice_filter *f,
                       const struct store_page *page,
                       int (*fn)(void *ctx, const struct invoice *inv, enum party_role role),
                       void *ctx, struct error *err);
/* The tenant's invoice id (ERR_NOT_FOUND also for another tenant's id). */
int store_invoice_get(struct store *s, const char *tenant_id, const char *id,
                      struct invoice *out, enum party_role *role, struct error *err);

/* A party as read back; the strings are valid during the callback only. */
struct party_record {
    const char *id;
    const char *name;
    const char *email;        /* or NULL */
    const char *provider;     /* or NULL */
    const char *provider_ref; /* or NULL */
    const char *created_at;
};

/* One page of the tenant's suppliers or customers. */
int store_party_list(struct store *s, const char *tenant_id, enum party_role role,
                     const struct store_page *page,
                     int (*fn)(void *ctx, const struct party_record *p), void *ctx,
                     struct error *err);

/* A journal entry with its lines in line order; valid during the callback only. */
struct journal_entry_record {
    const char *id;
    const char *date;
    const char *description;
    const char *invoice_id; /* or NULL */
    const char *created_at;
    const struct journal_line *lines;
    size_t n_lines;
};

/* One page of the tenant's journal entries, optionally within from..to (inclusive
 * YYYY-MM-DD on the entry date; NULL: open). */
int store_journal_list(struct store *s, const char *tenant_id, const char *from,
                       const char *to, const struct store_page *page,
                       int (*fn)(void *ctx, const struct journal_entry_record *e), void *ctx,
                       struct error *err);

/* Sums of one account in one currency; account is valid during the callback only. */
struct account_balance {
    const char *account;
    char currency[4];
    int64_t debit_minor;
    int64_t credit_minor;
};

/* The tenant's trial balance: one call per account and currency, ordered by account, then
 * currency, read in one statement (one consistent snapshot). */
int store_ledger_balances(struct store *s, const char *tenant_id,
                          int (*fn)(void *ctx, const struct account_balance *b), void *ctx,
                          struct error *err);

/* A webhook log row as read back; strings valid during the callback, NULL when unset. */
struct webhook_log_record {
    const char *id;
    const char *provider;
    const char *event;
    const char *status;
    const char *action; /* or NULL (rows from before actions were recorded) */
    const char *external_id;
    const char *error;
    const char *detail;
    const char *received_at;
    const char *processed_at;
};

/* One page of the tenant's webhook log for a provider, optionally of one status (NULL:
 * all). The raw bodies are not read. */
int store_webhook_log_list(struct store *s, const char *tenant_id, const char *provider,
                           const char *status, const struct store_page *page,
                           int (*fn)(void *ctx, const struct webhook_log_record *rec),
                           void *ctx, struct error *err);

/* ---- events and the delivery outbox (q_events.c) -------------------------------------- */

struct event_record {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char type[48];
    const char *data; /* JSON text; valid during the callback, or owned when said so */
    char created_at[CLOCK_RFC3339_LEN];
    char project_id[CRYPTO_ID_MAX]; /* "": every project of the tenant */
    /* an alert about this destination: never delivered to it, and only to destinations
     * that list the type itself ("*" does not take alerts) */
    char alert_of[CRYPTO_ID_MAX];
};

/* Writes ev into the outbox inside tx: the event row and one pending delivery for every
 * active destination of its project (of every project of the tenant when project_id is
 * "") whose eventTypes list the type or "*" (an alert: the type itself, and never the
 * destination alert_of). tenant_id, type and data must be set; id and created_at are made when empty
 * (a caller that answers with the envelope makes them first). *fanned (optional) receives
 * the number of deliveries. */
int store_event_insert(struct store_tx *tx, struct event_record *ev, int *fanned,
                       struct error *err);
/* The same for n events of one tenant, its destinations read once; *fanned sums them. */
int store_events_insert(struct store_tx *tx, struct event_record *evs, size_t n, int *fanned,
                        struct error *err);

/* Newest first; before_id "" or NULL for the first page. The events of one project: those
 * published to it and those of every project (bookings, summaries). */
int store_event_list(struct store *s, const char *tenant_id, const char *project_id,
                     const char *before_id, int limit,
                     int (*fn)(void *ctx, const struct event_record *ev), void *ctx,
                     struct error *err);
/* One event; out->data is malloc'ed (caller frees). */
int store_event_get(struct store *s, const char *tenant_id, const char *id,
                    struct event_record *out, struct error *err);

/* A customer's settled payments in one currency (ausgangsrechnung), this transaction
 * included. */
int store_customer_totals(struct store_tx *tx, const char *tenant_id, const char *customer_id,
                          const char *currency, int64_t *count, int64_t *total_minor,
                          struct error *err);

struct delivery {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char event_id[CRYPTO_ID_MAX];
    char connector_id[CRYPTO_ID_MAX];
    char event_type[48];
    char status[16];
    int64_t attempts;
    int64_t next_attempt_ms;
    int64_t last_status; /* 0 when none */
    char last_error[256];
    char created_at[CLOCK_RFC3339_LEN];
    char updated_at[CLOCK_RFC3339_LEN];
    char delivered_at[CLOCK_RFC3339_LEN];
};

/* What /metrics reads at scrape time, over all tenants: deliveries pending or in flight,
 * when the oldest of them was created (0: none), and destinations active or not. */
struct store_delivery_stats {
    int64_t backlog;
    int64_t oldest_created_ms;
    int64_t destinations_active;
    int64_t destinations_inactive;
};
int store_delivery_stats(struct store *s, struct store_delivery_stats *out, struct error *err);

/* Claims up to limit due deliveries (pending and due, or delivering with an expired lease:
 * a process died mid-send) for lease_ms, marking them delivering, inside tx (the engine
 * claims in the transaction that records the previous round's answers). At least once: a
 * claim that is never recorded is claimed again when its lease runs out. */
int store_deliveries_claim(struct store_tx *tx, int64_t now_ms, int64_t lease_ms, int limit,
                           int (*fn)(void *ctx, const struct delivery *d), void *ctx,
                           struct error *err);

struct delivery_attempt {
    int64_t attempt_no;
    char started_at[CLOCK_RFC3339_LEN];
    int64_t duration_ms;
    int64_t http_status; /* 0: no answer */
    const char *response_excerpt;
    const char *error;
    const char *request; /* JSON {method, url, headers, body}, secrets masked, or NULL */
};

/* Records an attempt and the delivery's new state inside tx (the engine records a whole
 * round of answers in one transaction). status: delivered, failed, dead, or pending (a
 * retry at next_attempt_ms). */
int store_delivery_record(struct store_tx *tx, const char *delivery_id,
                          const struct delivery_attempt *a, const char *status,
                          int64_t next_attempt_ms, struct error *err);
/* Puts a claimed delivery back without an attempt (its destination's breaker is open). */
int store_delivery_defer(struct store *s, const char *delivery_id, int64_t next_attempt_ms,
                         struct error *err);

/* Lists a connector's deliveries, newest first (status/event_type filters may be NULL). */
int store_delivery_list(struct store *s, const char *tenant_id, const char *connector_id,
                        const char *status, const char *event_type, const char *before_id,
                        int limit, int (*fn)(void *ctx, const struct delivery *d), void *ctx,
                        struct error *err);
int store_delivery_get(struct store *s, const char *tenant_id, const char *connector_id,
                       const char *id, struct delivery *out, struct error *err);
int store_delivery_attempts(struct store *s, const char *delivery_id,
                            int (*fn)(void *ctx, const struct delivery_attempt *a), void *ctx,
                            struct error *err);
/* Makes deliveries due again now. retry: one delivery that is pending (sent now instead of
 * at its next retry), failed, dead or delivered (sent once more); ERR_CONFLICT while it is
 * being sent. replay: all of a connector's failed and dead ones since a time, *count
 * receives how many. */
int store_delivery_retry(struct store *s, const char *tenant_id, const char *connector_id,
                         const char *id, struct error *err);
int store_delivery_replay(struct store *s, const char *tenant_id, const char *connector_id,
                          const char *since_rfc3339, int64_t *count, struct error *err);

/* The daily summary's exactly-once: claims (tenant, day); *claimed false when another
 * process (or an earlier run) already did. */
int store_daily_summary_claim(struct store_tx *tx, const char *tenant_id, const char *day,
                              const char *event_id, bool *claimed, struct error *err);

/* Every tenant's id, oldest first; with without_summary_day set, only those that have no
 * daily summary for that day yet (a read, so the scheduler's tick is cheap). */
int store_tenant_ids(struct store *s, const char *without_summary_day,
                     int (*fn)(void *ctx, const char *tenant_id), void *ctx, struct error *err);

/* Revenue booked (outgoing invoices) in [from, to) of created_at, per currency (count,
 * total) and the top customers by amount. */
int store_revenue_totals(struct store_tx *tx, const char *tenant_id, const char *from,
                         const char *to,
                         int (*fn)(void *ctx, const char *currency, int64_t count,
                                   int64_t total_minor),
                         void *ctx, struct error *err);
int store_revenue_top_customers(struct store_tx *tx, const char *tenant_id, const char *from,
                                const char *to, int limit,
                                int (*fn)(void *ctx, const char *id, const char *name,
                                          const char *currency, int64_t total_minor),
                                void *ctx, struct error *err);

/* ---- tenant settings, exports and VAT returns (q_accounting.c) ---------------------- */

/* The stored settings row; the settings module gives it meaning and defaults. */
struct store_settings {
    char chart[8];
    char time_zone[65];
    char fiscal_year_start[6]; /* MM-DD */
    char vat_number[20];       /* "" when none */
    char milestones[512];      /* JSON array */
    char updated_at[CLOCK_RFC3339_LEN];
};

/* The tenant's settings row (ERR_NOT_FOUND when never saved). */
int store_settings_get(struct store *s, const char *tenant_id, struct store_settings *out,
                       struct error *err);
/* Inserts or replaces the tenant's settings row. */
int store_settings_put(struct store *s, const char *tenant_id, const struct store_settings *in,
                       struct error *err);

/* Reads the lines of one of the tenant's entries, in line order, into out (at most cap;
 * ERR_VALIDATION when there are more). Text lives in the rows' buffers. */
struct journal_line_row {
    char account[32];
    int64_t debit_minor;
    int64_t credit_minor;
    char currency[4];
    char vat_code[16]; /* "" when none */
    bool vat_tax;
};
int store_journal_lines_get(struct store_tx *tx, const char *tenant_id, const char *entry_id,
                            struct journal_line_row *out, size_t cap, size_t *n,
                            struct error *err);

/* One journal line with what an export needs of its entry, invoice and party. Strings are
 * valid during the callback; the invoice's are NULL for an entry without an invoice. */
struct journal_export_line {
    const char *entry_id;
    const char *date;
    const char *description;
    const char *invoice_type;    /* "eingangsrechnung", ... */
    const char *invoice_number;
    const char *external_id;
    const char *related_number;  /* a credit note's original invoice number */
    const char *party_name;
    const char *account;
    int64_t debit_minor;
    int64_t credit_minor;
    const char *currency;
    const char *vat_code; /* or NULL */
    bool vat_tax;
};
/* The tenant's journal lines of entries dated from..to (inclusive), by date, entry and
 * line; fn returns non-zero to stop. */
int store_journal_export(struct store *s, const char *tenant_id, const char *from,
                         const char *to,
                         int (*fn)(void *ctx, const struct journal_export_line *l), void *ctx,
                         struct error *err);

/* Sums of the tenant's lines with a VAT code in entries dated from..to, per code, base or
 * tax line, and currency. */
int store_vat_sums(struct store *s, const char *tenant_id, const char *from, const char *to,
                   int (*fn)(void *ctx, const char *vat_code, bool tax_line,
                             const char *currency, int64_t debit_minor, int64_t credit_minor),
                   void *ctx, struct error *err);

/* A VAT return sent to a tax office. Only accepted ones are kept; a pending row marks a
 * submission in flight. Strings are valid during a callback. */
struct vat_submission {
    char id[CRYPTO_ID_MAX];
    char country[3];
    char period[8];
    bool test;
    bool correction;
    int64_t package_no;
    const char *figures;         /* JSON text */
    int64_t service_rc;
    const char *service_message;
    char created_at[CLOCK_RFC3339_LEN];
    char submitted_at[CLOCK_RFC3339_LEN];
};

/* Claims a submission of (country, period, test) before anything is sent: a pending row
 * with the tenant's next package number. ERR_ALREADY_SUBMITTED when an accepted one exists
 * and correction is false; ERR_CONFLICT when another is in flight (pending rows older than
 * stale_before_ms are forgotten first: their process died). */
int store_vat_submission_claim(struct store *s, const char *tenant_id, const char *country,
                               const char *period, bool test, bool correction,
                               int64_t stale_before_ms, char id_out[CRYPTO_ID_MAX],
                               int64_t *package_no, struct error *err);
/* Marks the claimed row accepted at submitted_at (RFC 3339), with what was sent and what
 * the service answered. */
int store_vat_submission_accept(struct store *s, const char *tenant_id, const char *id,
                                const char *figures, const char *document, int64_t service_rc,
                                const char *service_message, const char *submitted_at,
                                struct error *err);
/* Forgets a claimed row that was not accepted. */
int store_vat_submission_abandon(struct store *s, const char *tenant_id, const char *id,
                                 struct error *err);
/* The package number the next submission would get. */
int store_vat_next_package(struct store *s, const char *tenant_id, int64_t *package_no,
                           struct error *err);
/* The tenant's accepted submissions of a country, newest first; period NULL: all; page
 * NULL: every one, else that page (struct store_page). */
int store_vat_submission_list(struct store *s, const char *tenant_id, const char *country,
                              const char *period, const struct store_page *page,
                              int (*fn)(void *ctx, const struct vat_submission *sub), void *ctx,
                              struct error *err);

#endif
