/* assistant/queries.c - the table of read queries over the books and their one entry point.
 *
 * Arguments arrive as JSON (from the chat's grammar, a language model's tool call or an MCP
 * client), are checked here against what each query accepts, and go to store/assistant.h.
 * The result's amounts are completed with their decimal text (money_format), so whoever
 * shows a figure shows exactly the query's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assistant/queries.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/money.h"
#include "ledger/ledger.h"
#include "store/assistant.h"

#define LIMIT_DEFAULT 10
#define LIMIT_MAX 50
#define TEXT_ARG_MAX 200

struct args {
    char from[11], to[11]; /* "" : no bound */
    char as_of[11];
    int limit;
    char number[TEXT_ARG_MAX + 1];   /* lower case; "" : none */
    char party[2 * TEXT_ARG_MAX + 3]; /* a LIKE pattern; "" : none */
    char currency[4];
    bool has_amount;
    int64_t amount_minor;
};

typedef int (*query_fn)(struct store *s, const char *tenant_id, const struct args *a,
                        json_t *out, struct error *err);

#define PERIOD_SCHEMA                                                                         \
    "\"from\":{\"type\":\"string\",\"format\":\"date\",\"description\":\"first day, YYYY-MM-DD\"}," \
    "\"to\":{\"type\":\"string\",\"format\":\"date\",\"description\":\"last day, YYYY-MM-DD\"}," \
    "\"period\":{\"type\":\"string\",\"description\":\"2026, 2026-03 or 2026-Q1 instead of from/to\"}"
#define LIMIT_SCHEMA "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50}"
#define SCHEMA(props) "{\"type\":\"object\",\"properties\":{" props "},\"additionalProperties\":false}"

/* ---- dates -------------------------------------------------------------------------- */

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool assistant_date_valid(const char *t)
{
    if (!t || strlen(t) != 10 || !digits(t, 4) || t[4] != '-' || !digits(t + 5, 2) ||
        t[7] != '-' || !digits(t + 8, 2))
        return false;
    int y = atoi(t), m = atoi(t + 5), d = atoi(t + 8);
    return y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static void month_span(int y, int m_first, int m_last, char from[11], char to[11])
{
    snprintf(from, 11, "%04d-%02d-01", y, m_first);
    snprintf(to, 11, "%04d-%02d-%02d", y, m_last, days_in_month(y, m_last));
}

bool assistant_period_parse(const char *t, char from[11], char to[11])
{
    size_t n = t ? strlen(t) : 0;
    if (n < 4 || !digits(t, 4))
        return false;
    int y = atoi(t);
    if (y < 1900 || y > 9999)
        return false;
    if (n == 4) {
        month_span(y, 1, 12, from, to);
        return true;
    }
    if (n == 7 && t[4] == '-' && (t[5] == 'Q' || t[5] == 'q') && t[6] >= '1' && t[6] <= '4') {
        int q = t[6] - '0';
        month_span(y, 3 * q - 2, 3 * q, from, to);
        return true;
    }
    if (n == 7 && t[4] == '-' && digits(t + 5, 2)) {
        int m = atoi(t + 5);
        if (m < 1 || m > 12)
            return false;
        month_span(y, m, m, from, to);
        return true;
    }
    if (n == 10 && assistant_date_valid(t)) {
        memcpy(from, t, 11);
        memcpy(to, t, 11);
        return true;
    }
    return false;
}

static void today(char out[11])
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    memcpy(out, now, 10);
    out[10] = '\0';
}

/* ---- the queries -------------------------------------------------------------------- */

static const char *opt(const char *s)
{
    return s[0] ? s : NULL;
}

static int run_open(struct store *s, const char *tenant_id, const char *due_before,
                    const struct args *a, json_t *out, struct error *err)
{
    json_t *rows = json_array(), *totals = json_array();
    int rc = json_object_set_new(out, "invoices", rows) ||
                     json_object_set_new(out, "totals", totals)
                 ? error_set(err, ERR_INTERNAL, "out of memory")
                 : store_assist_open_invoices(s, tenant_id, due_before, a->limit, rows, totals,
                                              err);
    return rc;
}

static int q_open(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                  struct error *err)
{
    return run_open(s, tenant_id, NULL, a, out, err);
}

static int q_overdue(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                     struct error *err)
{
    if (json_object_set_new(out, "asOf", json_string(a->as_of)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return run_open(s, tenant_id, a->as_of, a, out, err);
}

static int set_period(json_t *out, const struct args *a, struct error *err)
{
    json_t *f = a->from[0] ? json_string(a->from) : json_null();
    json_t *t = a->to[0] ? json_string(a->to) : json_null();
    if (json_object_set_new(out, "from", f) || json_object_set_new(out, "to", t))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int totals_of(struct store *s, const char *tenant_id, const char *role,
                     const struct args *a, json_t *out, struct error *err)
{
    json_t *totals = json_array();
    if (set_period(out, a, err) < 0)
        return json_decref(totals), -1;
    if (json_object_set_new(out, "totals", totals))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_assist_invoice_totals(s, tenant_id, role, opt(a->from), opt(a->to), totals, err);
}

static int q_revenue(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                     struct error *err)
{
    return totals_of(s, tenant_id, "customer", a, out, err);
}

static int q_expenses(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                      struct error *err)
{
    return totals_of(s, tenant_id, "supplier", a, out, err);
}

static json_t *eur(int64_t minor)
{
    return json_pack("{sIss}", "minor", (json_int_t)minor, "currency", "EUR");
}

static int64_t minor_of(const json_t *amount)
{
    return json_integer_value(json_object_get(amount, "minor"));
}

/* Output VAT owed minus input VAT deductible, from the tax lines of the period: each VAT
 * code's kind (ledger/charts.c) says on which side its lines count. */
static int q_vat(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                 struct error *err)
{
    json_t *rows = json_array();
    int rc = -1;
    struct money owed = {.currency = "EUR"}, deductible = {.currency = "EUR"}, due;
    if (!rows || set_period(out, a, err) < 0)
        goto out;
    if (store_assist_vat_lines(s, tenant_id, opt(a->from), opt(a->to), rows, err) < 0)
        goto out;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const struct ledger_vat *v = ledger_vat_find(json_string_value(json_object_get(row, "vatCode")));
        if (!v)
            continue; /* a code of no chart books no VAT we can name */
        int64_t credit = minor_of(json_object_get(row, "credit"));
        int64_t debit = minor_of(json_object_get(row, "debit"));
        struct money add = {.currency = "EUR"};
        struct money *side = v->kind == LEDGER_VAT_OUTPUT ? &owed : &deductible;
        if (__builtin_sub_overflow(v->kind == LEDGER_VAT_OUTPUT ? credit : debit,
                                   v->kind == LEDGER_VAT_OUTPUT ? debit : credit, &add.minor)) {
            error_set(err, ERR_AMOUNT_OVERFLOW, "the VAT of the period does not fit 64 bits");
            goto out;
        }
        if (money_add(side, &add, side, err) < 0)
            goto out;
    }
    struct money neg;
    if (money_negate(&deductible, &neg, err) < 0 || money_add(&owed, &neg, &due, err) < 0)
        goto out;
    if (json_object_set_new(out, "outputVat", eur(owed.minor)) ||
        json_object_set_new(out, "inputVat", eur(deductible.minor)) ||
        json_object_set_new(out, "due", eur(due.minor)) ||
        json_object_set_new(out, "byCode", rows)) {
        rows = NULL;
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rows = NULL;
    rc = 0;
out:
    json_decref(rows);
    return rc;
}

static int top_of(struct store *s, const char *tenant_id, const char *role, const struct args *a,
                  json_t *out, struct error *err)
{
    json_t *rows = json_array();
    if (set_period(out, a, err) < 0)
        return json_decref(rows), -1;
    if (json_object_set_new(out, "parties", rows))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_assist_top_parties(s, tenant_id, role, opt(a->from), opt(a->to), a->limit, rows,
                                    err);
}

static int q_top_suppliers(struct store *s, const char *tenant_id, const struct args *a,
                           json_t *out, struct error *err)
{
    return top_of(s, tenant_id, "supplier", a, out, err);
}

static int q_top_customers(struct store *s, const char *tenant_id, const struct args *a,
                           json_t *out, struct error *err)
{
    return top_of(s, tenant_id, "customer", a, out, err);
}

static int q_find(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                  struct error *err)
{
    if (!a->number[0] && !a->party[0] && !a->has_amount)
        return error_set(err, ERR_VALIDATION,
                         "name an invoice number, an amount or a party to look for");
    json_t *rows = json_array();
    if (json_object_set_new(out, "invoices", rows))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_assist_find_invoices(s, tenant_id, opt(a->number),
                                      a->has_amount ? &a->amount_minor : NULL,
                                      a->has_amount ? a->currency : NULL, opt(a->party), a->limit,
                                      rows, err);
}

typedef int (*list_fn)(struct store *, const char *, int, json_t *, struct error *);

static int list_into(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                     const char *key, list_fn fn, struct error *err)
{
    json_t *rows = json_array();
    if (json_object_set_new(out, key, rows))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return fn(s, tenant_id, a->limit, rows, err);
}

static int q_failed_webhooks(struct store *s, const char *tenant_id, const struct args *a,
                             json_t *out, struct error *err)
{
    return list_into(s, tenant_id, a, out, "webhooks", store_assist_failed_webhooks, err);
}

static int q_failed_deliveries(struct store *s, const char *tenant_id, const struct args *a,
                               json_t *out, struct error *err)
{
    return list_into(s, tenant_id, a, out, "deliveries", store_assist_failed_deliveries, err);
}

static int q_connectors(struct store *s, const char *tenant_id, const struct args *a,
                        json_t *out, struct error *err)
{
    return list_into(s, tenant_id, a, out, "connectors", store_assist_connectors, err);
}

static int q_last_sync(struct store *s, const char *tenant_id, const struct args *a, json_t *out,
                       struct error *err)
{
    return list_into(s, tenant_id, a, out, "runs", store_assist_sync_runs, err);
}

/* ---- the table ---------------------------------------------------------------------- */

#define P ASSISTANT_ARG_PERIOD
#define L ASSISTANT_ARG_LIMIT
#define F ASSISTANT_ARG_FIND
#define A ASSISTANT_ARG_AS_OF

static const struct assistant_query queries[] = {
    {.name = "open_invoices", .title_en = "open invoices", .title_de = "offene Rechnungen",
     .description = "Outgoing invoices not yet settled, oldest due first, with totals per currency.",
     .input_schema = SCHEMA(LIMIT_SCHEMA), .args = L},
    {.name = "overdue_invoices", .title_en = "overdue invoices",
     .title_de = "überfällige Rechnungen",
     .description = "Outgoing invoices past their due date, with totals per currency.",
     .input_schema = SCHEMA(LIMIT_SCHEMA ",\"asOf\":{\"type\":\"string\",\"format\":\"date\"}"),
     .args = L | A},
    {.name = "revenue", .title_en = "revenue", .title_de = "Umsatz",
     .description = "Gross revenue (customer invoices less credit notes) per currency in a period.",
     .input_schema = SCHEMA(PERIOD_SCHEMA), .args = P},
    {.name = "expenses", .title_en = "expenses", .title_de = "Ausgaben",
     .description = "Gross expenses (supplier invoices less credit notes) per currency in a period.",
     .input_schema = SCHEMA(PERIOD_SCHEMA), .args = P},
    {.name = "vat_due", .title_en = "VAT due", .title_de = "Umsatzsteuer-Zahllast",
     .description = "Output VAT less input VAT booked in a period, in EUR.",
     .input_schema = SCHEMA(PERIOD_SCHEMA), .args = P},
    {.name = "top_suppliers", .title_en = "largest suppliers", .title_de = "größte Lieferanten",
     .description = "Suppliers by gross invoiced in a period, largest first.",
     .input_schema = SCHEMA(PERIOD_SCHEMA "," LIMIT_SCHEMA), .args = P | L},
    {.name = "top_customers", .title_en = "largest customers", .title_de = "größte Kunden",
     .description = "Customers by gross invoiced in a period, largest first.",
     .input_schema = SCHEMA(PERIOD_SCHEMA "," LIMIT_SCHEMA), .args = P | L},
    {.name = "find_invoice", .title_en = "invoice search", .title_de = "Rechnungssuche",
     .description = "Invoices by number, gross amount and/or party name.",
     .input_schema = SCHEMA("\"number\":{\"type\":\"string\"},"
                             "\"amount\":{\"type\":\"string\",\"description\":\"decimal, e.g. 1234.56\"},"
                             "\"currency\":{\"type\":\"string\",\"description\":\"ISO 4217, default EUR\"},"
                             "\"party\":{\"type\":\"string\"}," LIMIT_SCHEMA),
     .args = F | L},
    {.name = "failed_webhooks", .title_en = "failed webhooks",
     .title_de = "fehlgeschlagene Webhooks",
     .description = "The newest incoming webhooks that failed or had a bad signature.",
     .input_schema = SCHEMA(LIMIT_SCHEMA), .args = L},
    {.name = "failed_deliveries", .title_en = "failed deliveries",
     .title_de = "fehlgeschlagene Zustellungen",
     .description = "The newest outgoing deliveries that failed or went dead.",
     .input_schema = SCHEMA(LIMIT_SCHEMA), .args = L},
    {.name = "connectors", .title_en = "installed connectors",
     .title_de = "installierte Konnektoren",
     .description = "The tenant's installed connectors and destinations.",
     .input_schema = SCHEMA(LIMIT_SCHEMA), .args = L},
    {.name = "last_sync", .title_en = "last sync", .title_de = "letzte Synchronisierung",
     .description = "The newest sync runs of pulling connectors.",
     .input_schema = SCHEMA(LIMIT_SCHEMA), .args = L},
};

/* Each query's function, in the order of the table above. */
static const query_fn runs[] = {
    q_open,          q_overdue,           q_revenue,    q_expenses,
    q_vat,           q_top_suppliers,     q_top_customers, q_find,
    q_failed_webhooks, q_failed_deliveries, q_connectors, q_last_sync,
};

#undef P
#undef L
#undef F
#undef A

#define N_QUERIES (sizeof queries / sizeof queries[0])
_Static_assert(sizeof runs / sizeof runs[0] == N_QUERIES, "one function per query");

const struct assistant_query *assistant_queries(size_t *count)
{
    *count = N_QUERIES;
    return queries;
}

/* The index of the query named so, or -1. */
static int query_index(const char *name)
{
    for (size_t i = 0; name && i < N_QUERIES; i++)
        if (strcmp(queries[i].name, name) == 0)
            return (int)i;
    return -1;
}

const struct assistant_query *assistant_query_find(const char *name)
{
    int i = query_index(name);
    return i < 0 ? NULL : &queries[i];
}

/* ---- arguments ---------------------------------------------------------------------- */

static int text_arg(const json_t *args, const char *key, char *out, size_t cap, struct error *err)
{
    const json_t *v = json_object_get(args, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    const char *t = json_string_value(v);
    if (!t || strlen(t) >= cap || strlen(t) > TEXT_ARG_MAX)
        return error_set(err, ERR_VALIDATION, "%s must be a string of at most %d bytes", key,
                         TEXT_ARG_MAX);
    memcpy(out, t, strlen(t) + 1);
    return 0;
}

static void ascii_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* "%party%" for LIKE, its own % _ and \ escaped, lower case; a run of spaces matches
 * anything ("beta ag" finds "Beta & Co. AG"). */
static void like_pattern(const char *party, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '%';
    for (const char *p = party; *p && o + 4 < cap; p++) {
        if (*p == ' ') {
            if (out[o - 1] != '%')
                out[o++] = '%';
            continue;
        }
        if (*p == '%' || *p == '_' || *p == '\\')
            out[o++] = '\\';
        out[o++] = (char)tolower((unsigned char)*p);
    }
    if (out[o - 1] == '%' && o > 1)
        o--;
    out[o++] = '%';
    out[o] = '\0';
}

static int period_args(const json_t *args, struct args *a, struct error *err)
{
    char period[TEXT_ARG_MAX + 1];
    if (text_arg(args, "from", a->from, sizeof a->from, err) < 0 ||
        text_arg(args, "to", a->to, sizeof a->to, err) < 0 ||
        text_arg(args, "period", period, sizeof period, err) < 0)
        return -1;
    if (period[0] && (a->from[0] || a->to[0]))
        return error_set(err, ERR_VALIDATION, "give either period or from/to, not both");
    if (period[0] && !assistant_period_parse(period, a->from, a->to))
        return error_set(err, ERR_VALIDATION,
                         "period must be a year (2026), a month (2026-03) or a quarter (2026-Q1)");
    if ((a->from[0] && !assistant_date_valid(a->from)) || (a->to[0] && !assistant_date_valid(a->to)))
        return error_set(err, ERR_VALIDATION, "from and to must be days written YYYY-MM-DD");
    if (a->from[0] && a->to[0] && strcmp(a->from, a->to) > 0)
        return error_set(err, ERR_VALIDATION, "from must not be after to");
    return 0;
}

static int find_args(const json_t *args, struct args *a, struct error *err)
{
    char number[TEXT_ARG_MAX + 1], party[TEXT_ARG_MAX + 1], amount[TEXT_ARG_MAX + 1],
        currency[TEXT_ARG_MAX + 1];
    if (text_arg(args, "number", number, sizeof number, err) < 0 ||
        text_arg(args, "party", party, sizeof party, err) < 0 ||
        text_arg(args, "amount", amount, sizeof amount, err) < 0 ||
        text_arg(args, "currency", currency, sizeof currency, err) < 0)
        return -1;
    ascii_lower(number);
    memcpy(a->number, number, sizeof number);
    if (party[0])
        like_pattern(party, a->party, sizeof a->party);
    struct money m;
    if (currency[0] && money_currency_set(&m, currency, err) < 0)
        return -1;
    snprintf(a->currency, sizeof a->currency, "%s", currency[0] ? m.currency : "EUR");
    if (amount[0]) {
        if (money_parse_decimal(amount, strlen(amount), a->currency, &m, err) < 0)
            return -1;
        a->has_amount = true;
        a->amount_minor = m.minor;
    }
    return 0;
}

static int parse_args(const struct assistant_query *q, const json_t *args, struct args *a,
                      struct error *err)
{
    const char *allowed[12];
    size_t n = 0;
    if (q->args & ASSISTANT_ARG_PERIOD) {
        allowed[n++] = "from";
        allowed[n++] = "to";
        allowed[n++] = "period";
    }
    if (q->args & ASSISTANT_ARG_LIMIT)
        allowed[n++] = "limit";
    if (q->args & ASSISTANT_ARG_FIND) {
        allowed[n++] = "number";
        allowed[n++] = "amount";
        allowed[n++] = "currency";
        allowed[n++] = "party";
    }
    if (q->args & ASSISTANT_ARG_AS_OF)
        allowed[n++] = "asOf";
    allowed[n] = NULL;
    memset(a, 0, sizeof *a);
    a->limit = LIMIT_DEFAULT;
    today(a->as_of);
    if (!args)
        return 0;
    if (!json_is_object(args))
        return error_set(err, ERR_VALIDATION, "the arguments must be a JSON object");
    if (json_only_members(args, allowed, err) < 0)
        return -1;
    const json_t *limit = json_object_get(args, "limit");
    if (limit && !json_is_null(limit)) {
        if (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
            json_integer_value(limit) > LIMIT_MAX)
            return error_set(err, ERR_VALIDATION, "limit must be an integer from 1 to %d",
                             LIMIT_MAX);
        a->limit = (int)json_integer_value(limit);
    }
    char as_of[TEXT_ARG_MAX + 1];
    if (text_arg(args, "asOf", as_of, sizeof as_of, err) < 0)
        return -1;
    if (as_of[0]) {
        if (!assistant_date_valid(as_of))
            return error_set(err, ERR_VALIDATION, "asOf must be a day written YYYY-MM-DD");
        memcpy(a->as_of, as_of, 11);
    }
    if ((q->args & ASSISTANT_ARG_PERIOD) && period_args(args, a, err) < 0)
        return -1;
    if ((q->args & ASSISTANT_ARG_FIND) && find_args(args, a, err) < 0)
        return -1;
    return 0;
}

/* ---- amounts' decimal text ---------------------------------------------------------- */

/* Every object of exactly {minor, currency} (the store's amounts) gains "value". */
static void add_values(json_t *v)
{
    size_t i;
    const char *key;
    json_t *child;
    if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            add_values(child);
        return;
    }
    if (!json_is_object(v))
        return;
    const json_t *minor = json_object_get(v, "minor");
    const char *cur = json_string_value(json_object_get(v, "currency"));
    struct money m;
    struct error ignored;
    if (json_is_integer(minor) && cur &&
        money_currency_set(&m, cur, &ignored) == 0) {
        char text[MONEY_TEXT_MAX];
        m.minor = json_integer_value(minor);
        money_format(&m, text);
        json_object_set_new(v, "value", json_string(text));
    }
    json_object_foreach(v, key, child)
        add_values(child);
}

int assistant_query_run(struct store *s, const char *tenant_id, const char *name,
                        const json_t *args, json_t **out, struct error *err)
{
    int i = query_index(name);
    struct args a;
    *out = NULL;
    if (i < 0)
        return error_set(err, ERR_NOT_FOUND, "no query named '%.*s'", 64, name ? name : "");
    if (parse_args(&queries[i], args, &a, err) < 0)
        return -1;
    json_t *res = json_pack("{ss}", "query", queries[i].name);
    if (!res)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (runs[i](s, tenant_id, &a, res, err) < 0) {
        json_decref(res);
        return -1;
    }
    add_values(res);
    *out = res;
    return 0;
}
