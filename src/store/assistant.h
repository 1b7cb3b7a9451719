/* store/assistant.h - the read-only questions the assistant (and MCP) asks of a tenant's books.
 *
 * Each function appends JSON objects to `rows` (an array the caller owns) or fills `out`
 * (an object the caller owns). Amounts are objects {"minor": int, "currency": "EUR"}, which
 * assistant/queries.c completes with their decimal text; sums are checked (STORE_SQL_SUM),
 * never a SQL SUM that could overflow. Dates are YYYY-MM-DD, inclusive; NULL is no bound.
 * Every query is scoped by tenant. The chat's own tables (links, messages) are in
 * store/chat.h. */
#ifndef CONNECTORD_STORE_ASSISTANT_H
#define CONNECTORD_STORE_ASSISTANT_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"

struct store;

/* Outgoing invoices (with a document, so a due date) not cancelled by a credit note.
 * due_before: only those due before that day (overdue); NULL: all open ones. rows: up to
 * limit invoices, oldest due first; totals: one amount per currency over all of them, with
 * "count". */
int store_assist_open_invoices(struct store *s, const char *tenant_id, const char *due_before,
                               int limit, json_t *rows, json_t *totals, struct error *err);

/* Gross invoiced per currency in [from, to] for the parties of one role ("customer":
 * revenue, "supplier": expenses); a credit note counts negative. Each total has "count". */
int store_assist_invoice_totals(struct store *s, const char *tenant_id, const char *role,
                                const char *from, const char *to, json_t *totals,
                                struct error *err);

/* The journal's VAT tax lines in [from, to] by VAT code: {"vatCode", "credit": amount,
 * "debit": amount} in the book currency (EUR); unrated lines count 0. */
int store_assist_vat_lines(struct store *s, const char *tenant_id, const char *from,
                           const char *to, json_t *rows, struct error *err);

/* The parties of one role by gross invoiced in [from, to], largest first, per currency. */
int store_assist_top_parties(struct store *s, const char *tenant_id, const char *role,
                             const char *from, const char *to, int limit, json_t *rows,
                             struct error *err);

/* Invoices by number (exact, case-insensitive), gross amount (minor units + currency) and/or
 * party name (substring, case-insensitive); NULL / has_amount false: not a criterion. */
int store_assist_find_invoices(struct store *s, const char *tenant_id, const char *number,
                               const int64_t *amount_minor, const char *currency,
                               const char *party, int limit, json_t *rows, struct error *err);

/* The newest webhook log rows that failed or had a bad signature. */
int store_assist_failed_webhooks(struct store *s, const char *tenant_id, int limit, json_t *rows,
                                 struct error *err);
/* The newest deliveries that failed or went dead, with their destination. */
int store_assist_failed_deliveries(struct store *s, const char *tenant_id, int limit,
                                   json_t *rows, struct error *err);
/* The tenant's installs and destinations. */
int store_assist_connectors(struct store *s, const char *tenant_id, int limit, json_t *rows,
                            struct error *err);
/* The newest sync runs. */
int store_assist_sync_runs(struct store *s, const char *tenant_id, int limit, json_t *rows,
                           struct error *err);

#endif
