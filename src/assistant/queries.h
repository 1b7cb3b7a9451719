/* assistant/queries.h - the read queries over a tenant's books, by name, with JSON in and out.
 *
 * One table of queries (open and overdue invoices, revenue, expenses, VAT due, the largest
 * suppliers and customers, an invoice by number / amount / party, the last failed webhooks
 * and deliveries, installed connectors, the last sync). The chat's grammar, the optional
 * language model's tools and the MCP server all call them through assistant_query_run, so a
 * figure an answer shows is always one a query returned. Every amount in a result is an
 * object {"minor": 123456, "currency": "EUR", "value": "1234.56"}: exact minor units, the
 * ISO 4217 code and the decimal text. Nothing here writes. */
#ifndef CONNECTORD_ASSISTANT_QUERIES_H
#define CONNECTORD_ASSISTANT_QUERIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct store;

struct assistant_query {
    const char *name;        /* "revenue": the tool's name */
    const char *title_en;    /* "revenue": how an answer names the query that produced it */
    const char *title_de;    /* "Umsatz" */
    const char *description; /* for a tool list (English) */
    const char *input_schema; /* JSON Schema (object) of its arguments, as text */
    unsigned args;           /* ASSISTANT_ARG_* it accepts */
};

/* The arguments a query may take (its input_schema names the same). */
#define ASSISTANT_ARG_PERIOD 1u /* "from", "to" (YYYY-MM-DD) or "period" (2026, 2026-03, 2026-Q1) */
#define ASSISTANT_ARG_LIMIT 2u  /* "limit": 1..50, default 10 */
#define ASSISTANT_ARG_FIND 4u   /* "number", "amount" (decimal text), "currency", "party" */
#define ASSISTANT_ARG_AS_OF 8u  /* "asOf": the day overdue is measured at (default today, UTC) */

/* The queries in a fixed order; *count receives how many. */
const struct assistant_query *assistant_queries(size_t *count);
/* A query by name, or NULL. */
const struct assistant_query *assistant_query_find(const char *name);

/* Runs query `name` for the tenant with `args` (a JSON object, NULL: none). *out receives
 * the result object (the caller's), with "query" naming it. ERR_NOT_FOUND for an unknown
 * query, ERR_VALIDATION (message for the asker) for a bad or unknown argument, ERR_STORE and
 * ERR_AMOUNT_OVERFLOW from the books. Thread-safe. */
int assistant_query_run(struct store *s, const char *tenant_id, const char *name,
                        const json_t *args, json_t **out, struct error *err);

/* A canonical period ("2026", "2026-03", "2026-Q1", "2026-03-15") as its first and last day.
 * false when text is none of those or names no real day. */
bool assistant_period_parse(const char *text, char from[11], char to[11]);

/* Whether text is a real day written YYYY-MM-DD. */
bool assistant_date_valid(const char *text);

#endif
