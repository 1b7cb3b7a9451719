/* store/q_books.c - what the payment pipeline writes: parties (suppliers and customers),
 * invoices, journal entries and the webhook log. All writes run inside the caller's
 * transaction; the pipeline commits once per request (or per batch of requests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/books.h"
#include "store/store_int.h"

static const char *const role_names[] = {[PARTY_SUPPLIER] = "supplier", [PARTY_CUSTOMER] = "customer"};

static int read_id(void *ctx, const struct store_row *row)
{
    store_row_copy(row, 0, ctx, CRYPTO_ID_MAX);
    return 1;
}

/* The party a provider knows by ref, into id_out ("" when none). */
static int party_by_ref(struct store_tx *tx, const char *tenant_id, const char *role_name,
                        const char *provider, const char *ref, char id_out[CRYPTO_ID_MAX],
                        struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(role_name), P_TEXT(provider),
                              P_TEXT(ref)};
    id_out[0] = '\0';
    return store_tx_query(tx,
                          "SELECT id FROM parties WHERE tenant_id = $1 AND role = $2 "
                          "AND provider = $3 AND provider_ref = $4",
                          p, N_PARAMS(p), read_id, id_out, NULL, err);
}

int store_party_resolve(struct store_tx *tx, const char *tenant_id, enum party_role role,
                        const struct party_hint *hint, char id_out[CRYPTO_ID_MAX],
                        bool *created, struct error *err)
{
    const char *role_name = role_names[role];
    *created = false;
    id_out[0] = '\0';
    if (hint->provider_ref && *hint->provider_ref) {
        if (party_by_ref(tx, tenant_id, role_name, hint->provider, hint->provider_ref, id_out,
                         err) < 0)
            return -1;
        if (id_out[0])
            return 0;
    }
    if (hint->email && *hint->email) {
        struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(role_name), P_TEXT(hint->email)};
        if (store_tx_query(tx,
                           "SELECT id FROM parties WHERE tenant_id = $1 AND role = $2 "
                           "AND email = $3 ORDER BY id LIMIT 1",
                           p, N_PARAMS(p), read_id, id_out, NULL, err) < 0)
            return -1;
        if (id_out[0])
            return 0;
    }
    if (hint->fallback_id && *hint->fallback_id) {
        bool exists = false;
        if (store_party_exists(tx, tenant_id, role, hint->fallback_id, &exists, err) < 0)
            return -1;
        if (exists) {
            snprintf(id_out, CRYPTO_ID_MAX, "%s", hint->fallback_id);
            return 0;
        }
    }
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    if (crypto_id_new(role == PARTY_SUPPLIER ? "sup_" : "cus_", id_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    const char *ref = hint->provider_ref && *hint->provider_ref ? hint->provider_ref : NULL;
    const char *email = hint->email && *hint->email ? hint->email : NULL;
    struct store_param p[] = {P_TEXT(id_out),         P_TEXT(tenant_id), P_TEXT(role_name),
                              P_TEXT(hint->name),     P_TEXT(email),     P_TEXT(hint->provider),
                              P_TEXT(ref),            P_TEXT(now)};
    /* Two webhooks of one new customer may both have found no party above: on PostgreSQL
     * they run at once, and the second waits for the first's commit and then finds its
     * row (SQLite has one writer, so the first one's row was already seen). */
    int64_t inserted = 0;
    if (store_tx_query(tx,
                       "INSERT INTO parties (id, tenant_id, role, name, email, provider, "
                       "provider_ref, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                       "ON CONFLICT (tenant_id, role, provider, provider_ref) "
                       "WHERE provider_ref IS NOT NULL DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &inserted, err) < 0)
        return -1;
    if (inserted == 1) {
        *created = true;
        return 0;
    }
    if (party_by_ref(tx, tenant_id, role_name, hint->provider, ref, id_out, err) < 0)
        return -1;
    return id_out[0] ? 0 : error_set(err, ERR_STORE, "a party was neither added nor found");
}

static int note_exists(void *ctx, const struct store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 1;
}

int store_party_exists(struct store_tx *tx, const char *tenant_id, enum party_role role,
                       const char *id, bool *exists, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(role_names[role]), P_TEXT(id)};
    *exists = false;
    return store_tx_query(tx, "SELECT 1 FROM parties WHERE tenant_id = $1 AND role = $2 AND id = $3",
                          p, N_PARAMS(p), note_exists, exists, NULL, err);
}

int store_invoice_insert(struct store_tx *tx, struct invoice *inv, bool *inserted,
                         struct error *err)
{
    int64_t changes = 0;
    *inserted = false;
    if (!inv->id[0] && crypto_id_new("inv_", inv->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), inv->created_at);
    struct store_param p[] = {
        P_TEXT(inv->id),
        P_TEXT(inv->tenant_id),
        P_TEXT(inv->type),
        P_TEXT(inv->party_id),
        P_TEXT(inv->invoice_number),
        P_TEXT(inv->invoice_date),
        P_INT(inv->total_gross_minor),
        P_TEXT(inv->currency),
        P_TEXT(inv->source),
        P_TEXT(inv->external_id),
        P_TEXT(inv->related_invoice_id[0] ? inv->related_invoice_id : NULL),
        P_TEXT(inv->created_at),
        inv->has_tax ? P_INT(inv->tax_minor) : P_TEXT(NULL),
        P_TEXT(inv->tax_line.treatment[0] ? inv->tax_line.treatment : NULL),
        P_TEXT(inv->tax_line.country[0] ? inv->tax_line.country : NULL),
        inv->tax_line.treatment[0] && inv->tax_line.rate_bp >= 0 ? P_INT(inv->tax_line.rate_bp)
                                                                 : P_TEXT(NULL),
        P_TEXT(inv->tax_line.vat_id[0] ? inv->tax_line.vat_id : NULL),
        P_TEXT(inv->tax_line.note[0] ? inv->tax_line.note : NULL),
        P_TEXT(inv->entry_reserved ? inv->journal_entry_id : NULL),
    };
    if (inv->entry_reserved && !inv->journal_entry_id[0])
        return error_set(err, ERR_INTERNAL, "invoice %s reserves an entry without an id",
                         inv->id);
    if (store_tx_query(tx,
                       "INSERT INTO invoices (id, tenant_id, type, party_id, invoice_number, "
                       "invoice_date, total_gross_minor, currency, source, external_id, "
                       "related_invoice_id, created_at, tax_minor, tax_treatment, tax_country, "
                       "tax_rate_bp, tax_vat_id, tax_note, journal_entry_id) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                       "$15, $16, $17, $18, $19) "
                       "ON CONFLICT (tenant_id, source, external_id) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *inserted = changes == 1;
    /* An invoice in another currency that came with its rate keeps it from the start. */
    if (*inserted && inv->fx.rated && strcmp(inv->currency, "EUR") != 0)
        return store_invoice_fx_insert(tx, inv->tenant_id, inv->id, &inv->fx, err);
    return 0;
}

static const char *const invoice_types[] = {"eingangsrechnung", "ausgangsrechnung", "gutschrift"};

static int read_invoice(void *ctx, const struct store_row *row)
{
    struct invoice *inv = ctx;
    const char *type = store_row_text(row, 2);
    for (size_t i = 0; i < 3; i++)
        if (strcmp(type, invoice_types[i]) == 0)
            inv->type = invoice_types[i];
    store_row_copy(row, 0, inv->id, sizeof inv->id);
    store_row_copy(row, 1, inv->tenant_id, sizeof inv->tenant_id);
    store_row_copy(row, 3, inv->party_id, sizeof inv->party_id);
    store_row_copy(row, 4, inv->invoice_number, sizeof inv->invoice_number);
    store_row_copy(row, 5, inv->invoice_date, sizeof inv->invoice_date);
    inv->total_gross_minor = store_row_int(row, 6);
    store_row_copy(row, 7, inv->currency, sizeof inv->currency);
    store_row_copy(row, 8, inv->source, sizeof inv->source);
    store_row_copy(row, 9, inv->external_id, sizeof inv->external_id);
    store_row_copy(row, 10, inv->related_invoice_id, sizeof inv->related_invoice_id);
    store_row_copy(row, 11, inv->journal_entry_id, sizeof inv->journal_entry_id);
    store_row_copy(row, 12, inv->created_at, sizeof inv->created_at);
    inv->has_tax = !store_row_is_null(row, 13);
    inv->tax_minor = inv->has_tax ? store_row_int(row, 13) : 0;
    store_invoice_fx_read(row, 14, inv);
    store_invoice_tax_line_read(row, 18, &inv->tax_line);
    return 1;
}

#define INVOICE_COLUMNS                                                                       \
    "i.id, i.tenant_id, i.type, i.party_id, i.invoice_number, i.invoice_date, "              \
    "i.total_gross_minor, i.currency, i.source, i.external_id, i.related_invoice_id, "      \
    "i.journal_entry_id, i.created_at, i.tax_minor, " STORE_INVOICE_FX_COLUMNS ", "         \
    STORE_INVOICE_TAX_COLUMNS("i.") " FROM invoices i " STORE_INVOICE_FX_JOIN

int store_invoice_find(struct store_tx *tx, const char *tenant_id, const char *source,
                       const char *external_id, struct invoice *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(source), P_TEXT(external_id)};
    memset(out, 0, sizeof *out);
    if (store_tx_query(tx,
                       "SELECT " INVOICE_COLUMNS " WHERE i.tenant_id = $1 "
                       "AND i.source = $2 AND i.external_id = $3",
                       p, N_PARAMS(p), read_invoice, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "invoice not found");
}

int store_invoice_exists(struct store_tx *tx, const char *tenant_id, const char *source,
                         const char *external_id, bool *exists, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(source), P_TEXT(external_id)};
    *exists = false;
    return store_tx_query(tx,
                          "SELECT 1 FROM invoices WHERE tenant_id = $1 AND source = $2 "
                          "AND external_id = $3",
                          p, N_PARAMS(p), note_exists, exists, NULL, err);
}

int store_invoice_get_tx(struct store_tx *tx, const char *tenant_id, const char *id,
                         struct invoice *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    memset(out, 0, sizeof *out);
    if (store_tx_query(tx, "SELECT " INVOICE_COLUMNS " WHERE i.tenant_id = $1 AND i.id = $2",
                       p, N_PARAMS(p), read_invoice, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "invoice not found");
}

/* The condition on journal_entry_id makes posting once a property of the store, not of a
 * check its caller made earlier. */
int store_invoice_set_entry(struct store_tx *tx, const char *tenant_id, const char *invoice_id,
                            const char *entry_id, struct error *err)
{
    int64_t changes = 0;
    struct store_param p[] = {P_TEXT(entry_id), P_TEXT(tenant_id), P_TEXT(invoice_id)};
    if (store_tx_query(tx,
                       "UPDATE invoices SET journal_entry_id = $1 WHERE tenant_id = $2 AND id = $3 "
                       "AND journal_entry_id IS NULL",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0
                        : error_set(err, ERR_ALREADY_POSTED, "invoice %s is already posted",
                                    invoice_id);
}

/* Whether alias is among the first k text parameters of p. */
static bool alias_asked(const struct store_param *p, size_t k, const char *alias)
{
    for (size_t j = 0; j < k; j++)
        if (strcmp(p[j].text, alias) == 0)
            return true;
    return false;
}

/* The rows of the aliases asked for, each into the slot(s) of its alias. */
struct links_read {
    const char *const *aliases;
    size_t n;
    struct payment_link *out;
    bool failed; /* out of memory */
};

static int read_links(void *ctx, const struct store_row *row)
{
    struct links_read *r = ctx;
    const char *alias = store_row_text(row, 0);
    for (size_t i = 0; i < r->n; i++) {
        struct payment_link *l = &r->out[i];
        if (!r->aliases[i] || strcmp(r->aliases[i], alias) != 0)
            continue;
        store_row_copy(row, 1, l->external_id, sizeof l->external_id);
        if (!store_row_is_null(row, 2) && !(l->parked = strdup(store_row_text(row, 2))))
            r->failed = true;
    }
    return 0;
}

_Static_assert(STORE_LINK_ALIASES_MAX == 4, "the statements below are written for 1 to 4");

/* One statement per number of aliases (1 to 4): a point lookup of the key each, joined
 * by UNION ALL (an IN list costs SQLite a temporary index per execution). */
#define LINK_GET(a)                                                                            \
    "SELECT alias, COALESCE(external_id, ''), parked FROM payment_links "                     \
    "WHERE tenant_id = $1 AND source = $2 AND alias = $" #a

int store_payment_links_get(struct store_tx *tx, const char *tenant_id, const char *source,
                            const char *const aliases[], size_t n, struct payment_link out[],
                            struct error *err)
{
    static const char *const sql[STORE_LINK_ALIASES_MAX] = {
        LINK_GET(3),
        LINK_GET(3) " UNION ALL " LINK_GET(4),
        LINK_GET(3) " UNION ALL " LINK_GET(4) " UNION ALL " LINK_GET(5),
        LINK_GET(3) " UNION ALL " LINK_GET(4) " UNION ALL " LINK_GET(5) " UNION ALL " LINK_GET(6),
    };
    struct store_param p[2 + STORE_LINK_ALIASES_MAX];
    size_t k = 0;
    if (n > STORE_LINK_ALIASES_MAX)
        return error_set(err, ERR_INTERNAL, "too many aliases at once");
    memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < n; i++) /* a repeated alias is asked once and fills each slot */
        if (aliases[i] && aliases[i][0] && !alias_asked(p + 2, k, aliases[i]))
            p[2 + k++] = P_TEXT(aliases[i]);
    if (k == 0)
        return 0;
    p[0] = P_TEXT(tenant_id);
    p[1] = P_TEXT(source);
    struct links_read r = {.aliases = aliases, .n = n, .out = out};
    int rc = store_tx_query(tx, sql[k - 1], p, 2 + k, read_links, &r, NULL, err);
    if (rc == 0 && r.failed)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    if (rc < 0)
        for (size_t i = 0; i < n; i++) {
            free(out[i].parked);
            out[i].parked = NULL;
        }
    return rc;
}

/* One statement per number of aliases (1 to 4 rows of VALUES). */
#define LINKS_INSERT                                                                           \
    "INSERT INTO payment_links (tenant_id, source, alias, external_id, created_at) VALUES "
#define LINK_ROW(a) "($1, $2, $" #a ", $3, $4)"
#define LINKS_UPSERT                                                                           \
    " ON CONFLICT (tenant_id, source, alias) DO UPDATE "                                      \
    "SET external_id = excluded.external_id, parked = NULL "                                   \
    "WHERE payment_links.external_id IS NULL"

int store_payment_links_add(struct store_tx *tx, const char *tenant_id, const char *source,
                            const char *const aliases[], size_t n, const char *external_id,
                            struct error *err)
{
    static const char *const sql[STORE_LINK_ALIASES_MAX] = {
        LINKS_INSERT LINK_ROW(5) LINKS_UPSERT,
        LINKS_INSERT LINK_ROW(5) ", " LINK_ROW(6) LINKS_UPSERT,
        LINKS_INSERT LINK_ROW(5) ", " LINK_ROW(6) ", " LINK_ROW(7) LINKS_UPSERT,
        LINKS_INSERT LINK_ROW(5) ", " LINK_ROW(6) ", " LINK_ROW(7) ", " LINK_ROW(8) LINKS_UPSERT,
    };
    char now[CLOCK_RFC3339_LEN];
    struct store_param p[4 + STORE_LINK_ALIASES_MAX];
    size_t k = 0;
    if (n > STORE_LINK_ALIASES_MAX)
        return error_set(err, ERR_INTERNAL, "too many aliases at once");
    /* Each alias once: PostgreSQL refuses a statement that would upsert one row twice. */
    for (size_t i = 0; i < n; i++)
        if (aliases[i] && aliases[i][0] && !alias_asked(p + 4, k, aliases[i]))
            p[4 + k++] = P_TEXT(aliases[i]);
    if (k == 0)
        return 0;
    clock_format_rfc3339(clock_now_ms(), now);
    p[0] = P_TEXT(tenant_id);
    p[1] = P_TEXT(source);
    p[2] = P_TEXT(external_id);
    p[3] = P_TEXT(now);
    return store_tx_query(tx, sql[k - 1], p, 4 + k, NULL, NULL, NULL, err);
}

int store_payment_park(struct store_tx *tx, const char *tenant_id, const char *source,
                       const char *alias, const char *details, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(source), P_TEXT(alias),
                              P_TEXT(details), P_TEXT(now)};
    return store_tx_query(tx,
                          "INSERT INTO payment_links (tenant_id, source, alias, parked, "
                          "created_at) VALUES ($1, $2, $3, $4, $5) "
                          "ON CONFLICT (tenant_id, source, alias) DO UPDATE "
                          "SET parked = excluded.parked WHERE payment_links.external_id IS NULL",
                          p, N_PARAMS(p), NULL, NULL, NULL, err);
}

/* Sum of debits minus credits per currency must be zero for every currency present. */
static int check_balanced(const struct journal_line *lines, size_t n, struct error *err)
{
    if (n < 2)
        return error_set(err, ERR_VALIDATION, "a journal entry needs at least two lines");
    for (size_t i = 0; i < n; i++) {
        if (lines[i].debit_minor < 0 || lines[i].credit_minor < 0 ||
            (lines[i].debit_minor == 0) == (lines[i].credit_minor == 0))
            return error_set(err, ERR_VALIDATION,
                             "each journal line is a positive debit or a positive credit");
        /* A line in EUR is its own EUR amount; another currency's may round to zero (a yen
         * of tax), never to the other side. */
        if (strcmp(lines[i].currency, "EUR") == 0 &&
            (lines[i].book_debit_minor != lines[i].debit_minor ||
             lines[i].book_credit_minor != lines[i].credit_minor))
            return error_set(err, ERR_VALIDATION,
                             "a journal line in EUR with another amount in EUR");
        if (lines[i].book_debit_minor < 0 || lines[i].book_credit_minor < 0 ||
            (lines[i].debit_minor > 0 ? lines[i].book_credit_minor : lines[i].book_debit_minor))
            return error_set(err, ERR_VALIDATION,
                             "a journal line's EUR amount is on another side than its amount");
        __int128 balance = 0;
        for (size_t k = 0; k < n; k++)
            if (strcmp(lines[k].currency, lines[i].currency) == 0)
                balance += (__int128)lines[k].debit_minor - lines[k].credit_minor;
        if (balance != 0)
            return error_set(err, ERR_VALIDATION, "journal entry does not balance in %s",
                             lines[i].currency);
    }
    __int128 book = 0;
    for (size_t k = 0; k < n; k++)
        book += (__int128)lines[k].book_debit_minor - lines[k].book_credit_minor;
    if (book != 0)
        return error_set(err, ERR_VALIDATION, "journal entry does not balance in EUR");
    return 0;
}

#define LINES_PER_INSERT 3
#define LINES_INSERT                                                                          \
    "INSERT INTO journal_lines (entry_id, line_no, tenant_id, account, debit_minor, "        \
    "credit_minor, currency, vat_code, vat_tax, book_debit_minor, book_credit_minor, "       \
    "tax_treatment, tax_country, tax_rate_bp) VALUES"
#define LINE_VALUES_AT(a, b, c, d, e, f, g, h, i, j, k, l, m, n)                              \
    "($" #a ", $" #b ", $" #c ", $" #d ", $" #e ", $" #f ", $" #g ", $" #h ", $" #i ", $" #j \
    ", $" #k ", $" #l ", $" #m ", $" #n ")"
#define LINE_PARAMS 14
/* The fourteen placeholders of the first, second and third line. */
#define LINE_VALUES_1 LINE_VALUES_AT(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)
#define LINE_VALUES_15 LINE_VALUES_AT(15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28)
#define LINE_VALUES_29 LINE_VALUES_AT(29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42)

/* The entry's link in the tenant's journal chain, from the values exactly as they are
 * stored below (line_no from 1, vat_tax 1 only with a vat_code or a tax treatment,
 * tax_country and tax_rate_bp NULL without a treatment), so that store/chain.c reading the
 * rows back serializes the same bytes. */
static int journal_link(struct store_tx *tx, const char *tenant_id, const char *date,
                        const char *description, const char *invoice_id, const char *now,
                        const struct journal_line *lines, size_t n_lines, const char *id,
                        int64_t *seq, char hash[STORE_CHAIN_HASH_LEN + 1], struct error *err)
{
    struct store *s;
    struct store_conn *c;
    struct buf head, text, body;
    int rc = -1;
    buf_init(&head, 0);
    buf_init(&text, 0);
    buf_init(&body, 0);
    int oom = chain_journal_head(&head, id, tenant_id, date, description, invoice_id, now);
    for (size_t i = 0; i < n_lines && !oom; i++) {
        const struct journal_line *l = &lines[i];
        const int64_t rate_bp = l->tax_rate_bp;
        const struct chain_line cl = {
            .line_no = (int64_t)i + 1,
            .account = l->account,
            .debit_minor = l->debit_minor,
            .credit_minor = l->credit_minor,
            .currency = l->currency,
            .vat_code = l->vat_code,
            .vat_tax = (l->vat_code || l->tax_treatment) && l->vat_tax,
            .book_debit_minor = &l->book_debit_minor,
            .book_credit_minor = &l->book_credit_minor,
            .tax_treatment = l->tax_treatment,
            .tax_country = l->tax_treatment ? l->tax_country : NULL,
            .tax_rate_bp = l->tax_treatment && rate_bp >= 0 ? &rate_bp : NULL,
        };
        oom = chain_journal_line(&text, &cl);
    }
    if (oom || chain_journal_body(&body, &head, (int64_t)n_lines, &text) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    s = store_tx_store(tx);
    c = store_tx_conn(tx);
    rc = chain_link(s, c, tenant_id, STORE_CHAIN_JOURNAL, &body, seq, hash, err);
out:
    buf_free(&head);
    buf_free(&text);
    buf_free(&body);
    return rc;
}

int store_journal_id_new(char id[CRYPTO_ID_MAX], struct error *err)
{
    return crypto_id_new("je_", id) < 0 ? error_set(err, ERR_INTERNAL, "no randomness available")
                                        : 0;
}

int store_journal_insert(struct store_tx *tx, const char *tenant_id, const char *date,
                         const char *description, const char *invoice_id,
                         const struct journal_line *lines, size_t n_lines,
                         char id_out[CRYPTO_ID_MAX], struct error *err)
{
    if (store_journal_id_new(id_out, err) < 0)
        return -1;
    return store_journal_insert_as(tx, id_out, tenant_id, date, description, invoice_id, lines,
                                   n_lines, err);
}

int store_journal_insert_as(struct store_tx *tx, const char *id_out, const char *tenant_id,
                            const char *date, const char *description, const char *invoice_id,
                            const struct journal_line *lines, size_t n_lines,
                            struct error *err)
{
    if (check_balanced(lines, n_lines, err) < 0)
        return -1;
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    int64_t seq = 0;
    char hash[STORE_CHAIN_HASH_LEN + 1] = "";
    /* Linked now, or (PostgreSQL) named to be linked right after the commit (chain.c). */
    bool link_later = chain_links_after_commit(store_tx_store(tx));
    if (!link_later && journal_link(tx, tenant_id, date, description, invoice_id, now, lines,
                                    n_lines, id_out, &seq, hash, err) < 0)
        return -1;
    struct store_param p[] = {P_TEXT(id_out),
                              P_TEXT(tenant_id),
                              P_TEXT(date),
                              P_TEXT(description),
                              P_TEXT(invoice_id),
                              P_TEXT(now),
                              link_later ? P_TEXT(NULL) : P_INT(seq),
                              P_TEXT(link_later ? NULL : hash)};
    if (store_tx_query(tx,
                       "INSERT INTO journal_entries (id, tenant_id, entry_date, description, "
                       "invoice_id, created_at, chain_seq, chain_hash) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    if (link_later) {
        struct store_param n[] = {P_TEXT(id_out), P_TEXT(tenant_id), P_TEXT(now)};
        if (store_tx_query(tx,
                           "INSERT INTO journal_pending (entry_id, tenant_id, created_at) "
                           "VALUES ($1, $2, $3)",
                           n, N_PARAMS(n), NULL, NULL, NULL, err) < 0)
            return -1;
        store_tx_link_later(tx, tenant_id, id_out);
    }
    /* Up to three lines per statement (an entry has two or three): one statement, not one
     * per line. */
    static const char *const lines_sql[LINES_PER_INSERT] = {
        LINES_INSERT " " LINE_VALUES_1,
        LINES_INSERT " " LINE_VALUES_1 ", " LINE_VALUES_15,
        LINES_INSERT " " LINE_VALUES_1 ", " LINE_VALUES_15 ", " LINE_VALUES_29,
    };
    for (size_t first = 0; first < n_lines; first += LINES_PER_INSERT) {
        size_t k = n_lines - first < LINES_PER_INSERT ? n_lines - first : LINES_PER_INSERT;
        struct store_param l[LINE_PARAMS * LINES_PER_INSERT];
        for (size_t i = 0; i < k; i++) {
            const struct journal_line *line = &lines[first + i];
            struct store_param *q = &l[LINE_PARAMS * i];
            q[0] = P_TEXT(id_out);
            q[1] = P_INT((int64_t)(first + i) + 1);
            q[2] = P_TEXT(tenant_id);
            q[3] = P_TEXT(line->account);
            q[4] = P_INT(line->debit_minor);
            q[5] = P_INT(line->credit_minor);
            q[6] = P_TEXT(line->currency);
            q[7] = P_TEXT(line->vat_code);
            q[8] = P_INT((line->vat_code || line->tax_treatment) && line->vat_tax);
            q[9] = P_INT(line->book_debit_minor);
            q[10] = P_INT(line->book_credit_minor);
            q[11] = P_TEXT(line->tax_treatment);
            q[12] = P_TEXT(line->tax_treatment ? line->tax_country : NULL);
            q[13] = line->tax_treatment && line->tax_rate_bp >= 0 ? P_INT(line->tax_rate_bp)
                                                                  : P_TEXT(NULL);
        }
        if (store_tx_query(tx, lines_sql[k - 1], l, LINE_PARAMS * k, NULL, NULL, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static const char *const log_sql =
    "INSERT INTO webhook_logs (id, tenant_id, provider, event, status, external_id, error, "
    "detail, body, received_at, processed_at, action) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

int store_webhook_log_insert(struct store *s, struct store_tx *tx, const struct webhook_log *log,
                             struct error *err)
{
    char id[CRYPTO_ID_MAX], received[CLOCK_RFC3339_LEN], processed[CLOCK_RFC3339_LEN];
    if (crypto_id_new("whl_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    if (log->id_out)
        memcpy(log->id_out, id, sizeof id);
    clock_format_rfc3339(log->received_ms, received);
    clock_format_rfc3339(clock_now_ms(), processed);
    struct store_param p[] = {P_TEXT(id),          P_TEXT(log->tenant_id), P_TEXT(log->provider),
                              P_TEXT(log->event),  P_TEXT(log->status),    P_TEXT(log->external_id),
                              P_TEXT(log->error),  P_TEXT(log->detail),    P_TEXT(log->body),
                              P_TEXT(received),    P_TEXT(processed),     P_TEXT(log->action)};
    if (tx)
        return store_tx_query(tx, log_sql, p, N_PARAMS(p), NULL, NULL, NULL, err);
    return store_run(s, log_sql, p, N_PARAMS(p), NULL, NULL, NULL, err);
}
