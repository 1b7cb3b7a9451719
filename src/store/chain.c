/* store/chain.c - hash chains over the books, per tenant: appending a row, recomputing a
 * chain, and chaining rows written before the chains existed (migration 11).
 *
 * The canonical serialization (version 1). Every value is written as
 *     <its length in bytes, in decimal> ":" <the bytes> ";"
 * and SQL NULL as "~;". Text is the stored UTF-8 bytes, unchanged; integers (money in
 * minor units, sequence numbers, flags) are their decimal text ("-" for a negative sign, no
 * leading zeros), written as a value like text ("4:1900;"). A row's hash is the lowercase hex
 * SHA-256 of
 *     tag, previous hash, chain_seq, then the row's fields in this order:
 *   journal ("connectord.journal.v1"): id, tenant_id, entry_date, description, invoice_id,
 *     created_at, the number of lines, then per line in line_no order: line_no, account,
 *     debit_minor, credit_minor, currency, vat_code, vat_tax, book_debit_minor,
 *     book_credit_minor, tax_treatment, tax_country, tax_rate_bp (what the VAT returns and
 *     the exports read)
 *   audit ("connectord.audit.v1"): id, tenant_id, token_id, action, target, fields,
 *     created_at
 * The previous hash of a chain's first row is 64 zeros. Lengths make the encoding
 * unambiguous: no choice of field contents can make two different rows serialize alike.
 * Which columns are hashed is decided once per version: a column of the books added before
 * this version ships joins the lists above (and journal_link in q_books.c, the README, and
 * the recomputation in tests/e2e/books-tamper-evidence.test.js); once stores hold rows
 * hashed under a version, it never changes (they must verify forever), and a later column
 * comes with a new tag and a column that records each row's version.
 *
 * Order under concurrency: appending reads the tenant's head row (chain_heads), hashes the
 * new row onto it, and moves the head with one UPDATE that names the head it read (seq and
 * hash), inside the booking's own transaction: a read and one write. On PostgreSQL (READ
 * COMMITTED) that UPDATE takes the head's row lock; when another process's booking moved
 * the head first, the UPDATE waits for its commit, then finds its condition false and moves
 * nothing, and the link is made again on the head as it is now, so two processes booking for
 * one tenant at once are put in order and never fork the chain. SQLite has one writer at a
 * time, so the head read is the head written. A booking that rolls back (a savepoint of the
 * group commit, store/batch.c) takes its link with it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/chain.h"
#include "store/store_int.h"

static const char *const chain_names[STORE_CHAIN_COUNT] = {
    [STORE_CHAIN_JOURNAL] = "journal",
    [STORE_CHAIN_AUDIT] = "audit",
};
static const char *const chain_tags[STORE_CHAIN_COUNT] = {
    [STORE_CHAIN_JOURNAL] = "connectord.journal.v1",
    [STORE_CHAIN_AUDIT] = "connectord.audit.v1",
};
static const char genesis[STORE_CHAIN_HASH_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *store_chain_name(enum store_chain chain)
{
    return chain_names[chain];
}

/* ---- serialization ------------------------------------------------------------------------ */

int chain_text(struct buf *b, const char *text)
{
    if (!text)
        return buf_append(b, "~;", 2);
    size_t len = strlen(text);
    /* the length and its colon in one append: every booking writes a few dozen of these on
     * the committer's thread */
    char num[BUF_DECIMAL_MAX + 1], *colon = num + sizeof num - 1;
    *colon = ':';
    const char *start = buf_decimal((long long)len, colon);
    return buf_append(b, start, (size_t)(colon + 1 - start)) | buf_append(b, text, len) |
           buf_append(b, ";", 1);
}

int chain_int(struct buf *b, int64_t v)
{
    char digits[BUF_DECIMAL_MAX + 1], *end = digits + sizeof digits - 1;
    *end = '\0';
    return chain_text(b, buf_decimal((long long)v, end));
}

int chain_journal_head(struct buf *b, const char *id, const char *tenant_id, const char *date,
                       const char *description, const char *invoice_id, const char *created_at)
{
    return chain_text(b, id) | chain_text(b, tenant_id) | chain_text(b, date) |
           chain_text(b, description) | chain_text(b, invoice_id) | chain_text(b, created_at);
}

/* An integer column that may be NULL. */
static int chain_opt_int(struct buf *b, const int64_t *v)
{
    return v ? chain_int(b, *v) : chain_text(b, NULL);
}

int chain_journal_line(struct buf *b, const struct chain_line *l)
{
    return chain_int(b, l->line_no) | chain_text(b, l->account) | chain_int(b, l->debit_minor) |
           chain_int(b, l->credit_minor) | chain_text(b, l->currency) |
           chain_text(b, l->vat_code) | chain_int(b, l->vat_tax) |
           chain_opt_int(b, l->book_debit_minor) | chain_opt_int(b, l->book_credit_minor) |
           chain_text(b, l->tax_treatment) | chain_text(b, l->tax_country) |
           chain_opt_int(b, l->tax_rate_bp);
}

int chain_journal_body(struct buf *body, const struct buf *head, int64_t n_lines,
                       const struct buf *lines)
{
    return buf_append(body, head->data, head->len) | chain_int(body, n_lines) |
           buf_append(body, lines->data, lines->len);
}

int chain_audit_body(struct buf *b, const char *id, const char *tenant_id, const char *token_id,
                     const char *action, const char *target, const char *fields,
                     const char *created_at)
{
    return chain_text(b, id) | chain_text(b, tenant_id) | chain_text(b, token_id) |
           chain_text(b, action) | chain_text(b, target) | chain_text(b, fields) |
           chain_text(b, created_at);
}

/* The hash of a row: tag, previous hash and seq before the row's own fields. */
static int chain_digest(enum store_chain chain, const char *prev, int64_t seq,
                        const struct buf *body, char out[STORE_CHAIN_HASH_LEN + 1])
{
    struct buf all;
    unsigned char md[CRYPTO_SHA256_LEN];
    buf_init(&all, 0);
    int rc = chain_text(&all, chain_tags[chain]) | chain_text(&all, prev) |
             chain_int(&all, seq) | buf_append(&all, body->data, body->len);
    if (rc == 0) {
        crypto_sha256(all.data, all.len, md);
        crypto_hex(md, sizeof md, out);
    }
    buf_free(&all);
    return rc;
}

/* ---- appending ---------------------------------------------------------------------------- */

static int read_head(void *ctx, const struct store_row *row)
{
    struct store_chain_head *h = ctx;
    h->seq = store_row_int(row, 0);
    store_row_copy(row, 1, h->hash, sizeof h->hash);
    return 1;
}

/* The head on c (the caller's connection), or on a pooled one when c is NULL; seq 0 and the
 * genesis hash when the chain has no row yet. */
static int head_get(struct store *s, struct store_conn *c, const char *tenant_id,
                    enum store_chain chain, bool to_move, struct store_chain_head *out,
                    struct error *err)
{
    /* A head read to be moved (to_move, in the caller's transaction) is locked on
     * PostgreSQL, so the tenant's other bookings wait for this one's commit and then read
     * the head it left, rather than all reading the same head, all but one failing to move
     * it, and trying again together (which cost PostgreSQL more CPU than the bookings). */
    static const char locked_sql[] =
        "SELECT seq, hash FROM chain_heads WHERE tenant_id = $1 AND chain = $2 /*FOR UPDATE*/";
    static const char sql[] =
        "SELECT seq, hash FROM chain_heads WHERE tenant_id = $1 AND chain = $2";
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(chain_names[chain])};
    out->seq = 0;
    memcpy(out->hash, genesis, sizeof genesis);
    const char *q = to_move ? locked_sql : sql;
    return c ? store_query(s, c, q, p, N_PARAMS(p), read_head, out, NULL, err)
             : store_run(s, q, p, N_PARAMS(p), read_head, out, NULL, err);
}

/* Moves the head from prev to (seq, hash) if it still is prev: *moved false when another
 * transaction moved it first (PostgreSQL; the caller reads it again). The chain's first
 * row inserts the head; a concurrent first insert wins the key and this one moves nothing. */
static int head_advance(struct store *s, struct store_conn *c, const char *tenant_id,
                        enum store_chain chain, const struct store_chain_head *prev,
                        int64_t seq, const char *hash, bool *moved, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(chain_names[chain]), P_INT(seq),
                              P_TEXT(hash),      P_TEXT(now),               P_INT(prev->seq),
                              P_TEXT(prev->hash)};
    int rc = prev->seq == 0
                 ? store_query(s, c,
                               "INSERT INTO chain_heads (tenant_id, chain, seq, hash, updated_at) "
                               "VALUES ($1, $2, $3, $4, $5) "
                               "ON CONFLICT (tenant_id, chain) DO NOTHING",
                               p, 5, NULL, NULL, &changes, err)
                 : store_query(s, c,
                               "UPDATE chain_heads SET seq = $3, hash = $4, updated_at = $5 "
                               "WHERE tenant_id = $1 AND chain = $2 AND seq = $6 AND hash = $7",
                               p, N_PARAMS(p), NULL, NULL, &changes, err);
    *moved = changes == 1;
    return rc;
}

/* How often a link reads the head again after another transaction moved it first: each
 * retry means another booking of the tenant committed meanwhile, so this bounds a burst of
 * contention, not a wait. */
#define CHAIN_LINK_TRIES 100

int chain_link(struct store *s, struct store_conn *c, const char *tenant_id,
               enum store_chain chain, const struct buf *body, int64_t *seq_out,
               char hash_out[STORE_CHAIN_HASH_LEN + 1], struct error *err)
{
    for (int attempt = 0; attempt < CHAIN_LINK_TRIES; attempt++) {
        struct store_chain_head prev;
        bool moved = false;
        if (head_get(s, c, tenant_id, chain, true, &prev, err) < 0)
            return -1;
        if (prev.seq < 0 || strlen(prev.hash) != STORE_CHAIN_HASH_LEN)
            return error_set(err, ERR_STORE, "the %s chain head of tenant %s is unreadable",
                             chain_names[chain], tenant_id);
        if (chain_digest(chain, prev.hash, prev.seq + 1, body, hash_out) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        if (head_advance(s, c, tenant_id, chain, &prev, prev.seq + 1, hash_out, &moved, err) < 0)
            return -1;
        if (moved) {
            *seq_out = prev.seq + 1;
            return 0;
        }
    }
    return error_set(err, ERR_UNAVAILABLE,
                     "the %s chain head of tenant %s kept moving under concurrent bookings",
                     chain_names[chain], tenant_id);
}

int store_chain_head_get(struct store *s, const char *tenant_id, enum store_chain chain,
                         struct store_chain_head *out, struct error *err)
{
    return head_get(s, NULL, tenant_id, chain, false, out, err);
}

/* ---- reading rows back ---------------------------------------------------------------------- */

/* One row of a chain as stored, handed to a sink with its recomputed body. */
struct chain_row {
    const char *id;
    const char *tenant_id;
    bool chained; /* chain_seq is set */
    bool pending; /* not chained, and named in journal_pending: to be linked */
    int64_t seq;
    const char *hash;
    const struct buf *body;
};

typedef int (*chain_sink)(void *ctx, const struct chain_row *row, struct error *err);

/* Gathers journal entries from the rows of JOURNAL_SQL (an entry's lines arrive one per row,
 * in line_no order) and hands each complete entry to the sink. */
struct journal_scan {
    chain_sink sink;
    void *ctx;
    struct error *err;
    int rc;    /* -1: failed; 1: the sink stopped */
    bool open; /* an entry is being gathered */
    char id[CRYPTO_ID_MAX], tenant_id[CRYPTO_ID_MAX];
    bool chained, pending;
    int64_t seq;
    char hash[STORE_CHAIN_HASH_LEN + 1];
    struct buf head, lines;
    int64_t n_lines;
};

/* pending: the expression of the last column, whether the entry is named in
 * journal_pending (migration 27; the chaining of migration 11 runs before that table exists
 * and gives 0). */
#define JOURNAL_SQL_WITH(pending)                                                              \
    "SELECT e.id, e.tenant_id, e.entry_date, e.description, e.invoice_id, e.created_at, "      \
    "e.chain_seq, e.chain_hash, l.line_no, l.account, l.debit_minor, l.credit_minor, "         \
    "l.currency, l.vat_code, l.vat_tax, l.book_debit_minor, l.book_credit_minor, "             \
    "l.tax_treatment, l.tax_country, l.tax_rate_bp, " pending " "                               \
    "FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id "
#define JOURNAL_SQL                                                                            \
    JOURNAL_SQL_WITH("(SELECT COUNT(*) FROM journal_pending p WHERE p.tenant_id = e.tenant_id " \
                     "AND p.entry_id = e.id)")

static const char *nullable(const struct store_row *row, int col)
{
    return store_row_is_null(row, col) ? NULL : store_row_text(row, col);
}

/* An integer column as a pointer to *v, or NULL for SQL NULL. */
static const int64_t *nullable_int(const struct store_row *row, int col, int64_t *v)
{
    if (store_row_is_null(row, col))
        return NULL;
    *v = store_row_int(row, col);
    return v;
}

static int journal_flush(struct journal_scan *js)
{
    if (!js->open || js->rc)
        return js->rc;
    struct buf body;
    buf_init(&body, 0);
    if (chain_journal_body(&body, &js->head, js->n_lines, &js->lines) < 0) {
        js->rc = error_set(js->err, ERR_INTERNAL, "out of memory");
    } else {
        const struct chain_row r = {.id = js->id,
                                    .tenant_id = js->tenant_id,
                                    .chained = js->chained,
                                    .pending = js->pending,
                                    .seq = js->seq,
                                    .hash = js->hash,
                                    .body = &body};
        js->rc = js->sink(js->ctx, &r, js->err);
    }
    buf_free(&body);
    buf_reset(&js->head);
    buf_reset(&js->lines);
    js->n_lines = 0;
    js->open = false;
    return js->rc;
}

static int journal_row(void *ctx, const struct store_row *row)
{
    struct journal_scan *js = ctx;
    if (js->open && strcmp(js->id, store_row_text(row, 0)) != 0 && journal_flush(js))
        return 1;
    if (!js->open) {
        if (store_row_copy(row, 0, js->id, sizeof js->id) < 0 ||
            store_row_copy(row, 1, js->tenant_id, sizeof js->tenant_id) < 0) {
            js->rc = error_set(js->err, ERR_STORE, "a journal entry id does not fit");
            return 1;
        }
        js->chained = !store_row_is_null(row, 6);
        js->pending = !js->chained && store_row_int(row, 20) > 0;
        js->seq = store_row_int(row, 6);
        snprintf(js->hash, sizeof js->hash, "%s", store_row_text(row, 7));
        if (chain_journal_head(&js->head, js->id, js->tenant_id, store_row_text(row, 2),
                               store_row_text(row, 3), nullable(row, 4),
                               store_row_text(row, 5)) < 0)
            goto oom;
        js->open = true;
    }
    if (!store_row_is_null(row, 8)) {
        int64_t book_debit, book_credit, rate_bp;
        const struct chain_line line = {
            .line_no = store_row_int(row, 8),
            .account = store_row_text(row, 9),
            .debit_minor = store_row_int(row, 10),
            .credit_minor = store_row_int(row, 11),
            .currency = store_row_text(row, 12),
            .vat_code = nullable(row, 13),
            .vat_tax = store_row_int(row, 14),
            .book_debit_minor = nullable_int(row, 15, &book_debit),
            .book_credit_minor = nullable_int(row, 16, &book_credit),
            .tax_treatment = nullable(row, 17),
            .tax_country = nullable(row, 18),
            .tax_rate_bp = nullable_int(row, 19, &rate_bp),
        };
        if (chain_journal_line(&js->lines, &line) < 0)
            goto oom;
        js->n_lines++;
    }
    return 0;
oom:
    js->rc = error_set(js->err, ERR_INTERNAL, "out of memory");
    return 1;
}

static int journal_scan(struct store *s, struct store_conn *c, const char *sql,
                        const struct store_param *p, size_t n, chain_sink sink, void *ctx,
                        struct error *err)
{
    struct journal_scan js = {.sink = sink, .ctx = ctx, .err = err};
    buf_init(&js.head, 0);
    buf_init(&js.lines, 0);
    int rc = c ? store_query(s, c, sql, p, n, journal_row, &js, NULL, err)
               : store_run(s, sql, p, n, journal_row, &js, NULL, err);
    if (rc == 0)
        journal_flush(&js); /* the last entry; a failure lands in js.rc */
    buf_free(&js.head);
    buf_free(&js.lines);
    return rc < 0 || js.rc < 0 ? -1 : 0;
}

struct audit_scan {
    chain_sink sink;
    void *ctx;
    struct error *err;
    int rc;
};

#define AUDIT_SQL                                                                              \
    "SELECT id, tenant_id, token_id, action, target, fields, created_at, chain_seq, "          \
    "chain_hash FROM audit_log "

static int audit_row(void *ctx, const struct store_row *row)
{
    struct audit_scan *as = ctx;
    struct buf body;
    char id[CRYPTO_ID_MAX], tenant[CRYPTO_ID_MAX], hash[STORE_CHAIN_HASH_LEN + 1];
    buf_init(&body, 0);
    if (store_row_copy(row, 0, id, sizeof id) < 0 ||
        store_row_copy(row, 1, tenant, sizeof tenant) < 0) {
        as->rc = error_set(as->err, ERR_STORE, "an audit record id does not fit");
        goto out;
    }
    snprintf(hash, sizeof hash, "%s", store_row_text(row, 8));
    if (chain_audit_body(&body, id, tenant, nullable(row, 2), store_row_text(row, 3),
                         store_row_text(row, 4), store_row_text(row, 5),
                         store_row_text(row, 6)) < 0) {
        as->rc = error_set(as->err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    const struct chain_row r = {.id = id,
                                .tenant_id = tenant,
                                .chained = !store_row_is_null(row, 7),
                                .seq = store_row_int(row, 7),
                                .hash = hash,
                                .body = &body};
    as->rc = as->sink(as->ctx, &r, as->err);
out:
    buf_free(&body);
    return as->rc ? 1 : 0;
}

static int audit_scan(struct store *s, struct store_conn *c, const char *sql,
                      const struct store_param *p, size_t n, chain_sink sink, void *ctx,
                      struct error *err)
{
    struct audit_scan as = {.sink = sink, .ctx = ctx, .err = err};
    int rc = c ? store_query(s, c, sql, p, n, audit_row, &as, NULL, err)
               : store_run(s, sql, p, n, audit_row, &as, NULL, err);
    return as.rc < 0 || rc < 0 ? -1 : 0;
}

/* ---- verification --------------------------------------------------------------------------- */

struct verify_state {
    enum store_chain chain;
    struct store_chain_check *out;
    int64_t expect_seq;
    char prev[STORE_CHAIN_HASH_LEN + 1];
};

static int mismatch(struct store_chain_check *out, const struct chain_row *row,
                    const char *reason)
{
    out->ok = false;
    snprintf(out->mismatch_id, sizeof out->mismatch_id, "%s", row->id);
    out->mismatch_seq = row->chained ? row->seq : 0;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
    return 1; /* stop the scan */
}

static int verify_row(void *ctx, const struct chain_row *row, struct error *err)
{
    struct verify_state *v = ctx;
    char hash[STORE_CHAIN_HASH_LEN + 1];
    if (row->pending) {
        /* Committed, named for its link, and linked a moment later (or at the next start);
         * it comes after every linked row, so the chain up to the head is checked whole. */
        v->out->pending++;
        return 0;
    }
    v->out->rows++;
    if (!row->chained)
        return mismatch(v->out, row, "the row is in no chain: it was written behind the store");
    if (row->seq != v->expect_seq)
        return mismatch(v->out, row,
                        row->seq > v->expect_seq
                            ? "its chain_seq skips a number: a row before it is missing"
                            : "its chain_seq repeats an earlier one");
    if (chain_digest(v->chain, v->prev, row->seq, row->body, hash) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (strcmp(hash, row->hash) != 0)
        return mismatch(v->out, row,
                        "its contents do not match its hash: the row was changed after it "
                        "was booked");
    snprintf(v->prev, sizeof v->prev, "%s", row->hash);
    v->expect_seq++;
    return 0;
}

int store_chain_verify(struct store *s, const char *tenant_id, enum store_chain chain,
                       struct store_chain_check *out, struct error *err)
{
    return chain_verify_on(s, NULL, tenant_id, chain, out, err);
}

int chain_verify_on(struct store *s, struct store_conn *c, const char *tenant_id,
                    enum store_chain chain, struct store_chain_check *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    out->ok = true;
    if (head_get(s, c, tenant_id, chain, false, &out->head, err) < 0)
        return -1;
    struct verify_state v = {.chain = chain, .out = out, .expect_seq = 1};
    memcpy(v.prev, genesis, sizeof genesis);
    /* Rows linked after the head was read belong to a later check; rows without a link
     * (written around the store) come last, so a clean prefix is checked first. */
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(out->head.seq)};
    int rc = chain == STORE_CHAIN_JOURNAL
                 ? journal_scan(s, c,
                                JOURNAL_SQL
                                "WHERE e.tenant_id = $1 AND (e.chain_seq IS NULL OR "
                                "e.chain_seq <= $2) ORDER BY CASE WHEN e.chain_seq IS NULL "
                                "THEN 1 ELSE 0 END, e.chain_seq, e.id, l.line_no",
                                p, N_PARAMS(p), verify_row, &v, err)
                 : audit_scan(s, c,
                              AUDIT_SQL "WHERE tenant_id = $1 AND (chain_seq IS NULL OR "
                                        "chain_seq <= $2) ORDER BY CASE WHEN chain_seq IS NULL "
                                        "THEN 1 ELSE 0 END, chain_seq, id",
                              p, N_PARAMS(p), verify_row, &v, err);
    if (rc < 0)
        return -1;
    if (out->ok && (v.expect_seq - 1 != out->head.seq || strcmp(v.prev, out->head.hash) != 0)) {
        out->ok = false;
        out->mismatch_seq = v.expect_seq;
        snprintf(out->reason, sizeof out->reason,
                 "the head names row %lld, but the rows end at %lld: rows at the end are "
                 "missing or the head was changed",
                 (long long)out->head.seq, (long long)(v.expect_seq - 1));
    }
    return 0;
}

/* ---- chaining rows from before the chains (migration 11) ------------------------------------ */

struct backfill {
    struct store *s;
    struct store_conn *c;
    enum store_chain chain;
};

static int backfill_row(void *ctx, const struct chain_row *row, struct error *err)
{
    struct backfill *b = ctx;
    int64_t seq;
    char hash[STORE_CHAIN_HASH_LEN + 1];
    if (chain_link(b->s, b->c, row->tenant_id, b->chain, row->body, &seq, hash, err) < 0)
        return -1;
    struct store_param p[] = {P_INT(seq), P_TEXT(hash), P_TEXT(row->id)};
    return store_query(b->s, b->c,
                       b->chain == STORE_CHAIN_JOURNAL
                           ? "UPDATE journal_entries SET chain_seq = $1, chain_hash = $2 "
                             "WHERE id = $3 AND chain_seq IS NULL"
                           : "UPDATE audit_log SET chain_seq = $1, chain_hash = $2 "
                             "WHERE id = $3 AND chain_seq IS NULL",
                       p, N_PARAMS(p), NULL, NULL, NULL, err);
}

#define BACKFILL_BATCH 256

struct id_batch {
    char ids[BACKFILL_BATCH][CRYPTO_ID_MAX];
    size_t n;
};

static int collect_id(void *ctx, const struct store_row *row)
{
    struct id_batch *b = ctx;
    if (b->n < BACKFILL_BATCH && store_row_copy(row, 0, b->ids[b->n], CRYPTO_ID_MAX) == 0)
        b->n++;
    return 0;
}

/* Links every unchained row of one table, per tenant in the order they were written
 * (created_at, then id), in batches of ids so that no read runs while its table changes. */
static int backfill_chain(struct store *s, struct store_conn *c, enum store_chain chain,
                          struct error *err)
{
    struct backfill bf = {.s = s, .c = c, .chain = chain};
    struct id_batch *batch = malloc(sizeof *batch);
    int rc = -1;
    if (!batch)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct store_param lim[] = {P_INT(BACKFILL_BATCH)};
    for (;;) {
        batch->n = 0;
        if (store_query(s, c,
                        chain == STORE_CHAIN_JOURNAL
                            ? "SELECT id FROM journal_entries WHERE chain_seq IS NULL "
                              "ORDER BY tenant_id, created_at, id LIMIT $1"
                            : "SELECT id FROM audit_log WHERE chain_seq IS NULL "
                              "ORDER BY tenant_id, created_at, id LIMIT $1",
                        lim, N_PARAMS(lim), collect_id, batch, NULL, err) < 0)
            goto out;
        if (batch->n == 0)
            break;
        for (size_t i = 0; i < batch->n; i++) {
            struct store_param p[] = {P_TEXT(batch->ids[i])};
            if ((chain == STORE_CHAIN_JOURNAL
                     ? journal_scan(s, c,
                                    JOURNAL_SQL_WITH("0") "WHERE e.id = $1 ORDER BY l.line_no",
                                    p, N_PARAMS(p), backfill_row, &bf, err)
                     : audit_scan(s, c, AUDIT_SQL "WHERE id = $1", p, N_PARAMS(p),
                                  backfill_row, &bf, err)) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    free(batch);
    return rc;
}

int chain_backfill(struct store *s, struct store_conn *c, struct error *err)
{
    return backfill_chain(s, c, STORE_CHAIN_JOURNAL, err) < 0 ||
                   backfill_chain(s, c, STORE_CHAIN_AUDIT, err) < 0
               ? -1
               : 0;
}

/* ---- linking after the commit (PostgreSQL) ------------------------------------------------ */

bool chain_links_after_commit(const struct store *s)
{
    /* Where bookings commit one by one, a link made inside the booking would hold the
     * head's lock through the commit's flush; SQLite's committer takes the head once per
     * batch already, and a link written later would cost each entry an update. */
    return !store_groups_commits(s);
}

#define LINK_BATCH 256
#define LINK_TRIES 20

/* Sixteen entries a statement: their ids read, or their links written. A statement is
 * kept by the driver by its text's address. The reading one has sixteen places, the
 * unused ones NULL (which equals no id); the writing one is made for each count from 1 to
 * 16, once, because PostgreSQL spent about a millisecond on an UPDATE joined to sixteen
 * rows of which most were NULL. */
#define LINK_CHUNK 16
#define IDS_2_17                                                                               \
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17"
static struct buf link_sql[LINK_CHUNK + 1]; /* by the count of entries */
static bool link_sql_ready;
static pthread_once_t link_sql_once = PTHREAD_ONCE_INIT;

static void link_sql_make(void)
{
    int oom = 0;
    for (int n = 1; n <= LINK_CHUNK; n++) {
        struct buf *b = &link_sql[n];
        buf_init(b, 0);
        oom |= buf_printf(b, "UPDATE journal_entries SET chain_seq = v.column2, chain_hash = "
                             "v.column3 FROM (VALUES ");
        for (int i = 0; i < n; i++)
            oom |= buf_printf(b, "%s($%d, CAST($%d AS BIGINT), $%d)", i ? ", " : "", 3 * i + 1,
                              3 * i + 2, 3 * i + 3);
        oom |= buf_printf(b, ") AS v WHERE journal_entries.id = v.column1 AND "
                             "journal_entries.chain_seq IS NULL");
    }
    link_sql_ready = oom == 0;
}

/* What one link transaction links: the tenant's named entries, all of them (ids NULL: a
 * start, an export), or those among ids (a round's, known by the bookings that wrote
 * them, so that no round reads journal_pending by tenant: PostgreSQL keeps the index
 * entries of its deleted rows until a vacuum, and such a read walks all of them). */
struct link_pick {
    const char *tenant_id;
    const char *const *ids;
    size_t n_ids;
};

struct link_batch {
    char prev[STORE_CHAIN_HASH_LEN + 1]; /* the hash the next entry links to */
    int64_t seq;                         /* the seq of the last entry linked */
    size_t n;
    struct {
        char id[CRYPTO_ID_MAX];
        char hash[STORE_CHAIN_HASH_LEN + 1];
    } rows[LINK_BATCH];
};

static int link_row(void *ctx, const struct chain_row *row, struct error *err)
{
    struct link_batch *lb = ctx;
    if (!row->pending) /* not named: never linked here (see chain_link_named) */
        return 0;
    if (lb->n == LINK_BATCH)
        return 1;
    char *hash = lb->rows[lb->n].hash;
    if (chain_digest(STORE_CHAIN_JOURNAL, lb->prev, lb->seq + 1, row->body, hash) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(lb->rows[lb->n].id, sizeof lb->rows[lb->n].id, "%s", row->id);
    memcpy(lb->prev, hash, sizeof lb->prev);
    lb->seq++;
    lb->n++;
    return 0;
}

/* Reads the picked entries that are still unlinked into lb, each hashed onto the one
 * before. */
static int link_gather(struct store *s, struct store_conn *c, const struct link_pick *pick,
                       struct link_batch *lb, struct error *err)
{
    if (!pick->ids) {
        struct store_param p[] = {P_TEXT(pick->tenant_id), P_INT(LINK_BATCH)};
        return journal_scan(s, c,
                            JOURNAL_SQL
                            "WHERE e.id IN (SELECT n.entry_id FROM journal_pending n JOIN "
                            "journal_entries ne ON ne.id = n.entry_id WHERE n.tenant_id = $1 "
                            "AND ne.chain_seq IS NULL ORDER BY n.entry_id LIMIT $2) "
                            "ORDER BY e.id, l.line_no",
                            p, N_PARAMS(p), link_row, lb, err);
    }
    for (size_t done = 0; done < pick->n_ids; done += LINK_CHUNK) {
        struct store_param p[1 + LINK_CHUNK];
        p[0] = P_TEXT(pick->tenant_id);
        for (size_t i = 0; i < LINK_CHUNK; i++)
            p[1 + i] = P_TEXT(done + i < pick->n_ids ? pick->ids[done + i] : NULL);
        if (journal_scan(s, c,
                         JOURNAL_SQL "WHERE e.id IN (" IDS_2_17 ") AND e.tenant_id = $1 "
                                     "AND e.chain_seq IS NULL ORDER BY e.id, l.line_no",
                         p, N_PARAMS(p), link_row, lb, err) < 0)
            return -1;
    }
    return 0;
}

/* One batch of a tenant's named entries, in its own transaction: the head read locked,
 * the entries linked onto it in the order they were read, their names deleted, the head
 * moved. lb->n: how many; *again: another linker got there first (nothing was kept). */
static int link_batch_once(struct store *s, struct store_conn *c, const struct link_pick *pick,
                           struct link_batch *lb, bool *again, struct error *err)
{
    const char *tenant_id = pick->tenant_id;
    struct store_chain_head prev;
    bool moved = false;
    *again = false;
    lb->n = 0;
    if (store_begin(s, c, err) < 0)
        return -1;
    if (head_get(s, c, tenant_id, STORE_CHAIN_JOURNAL, true, &prev, err) < 0)
        goto fail;
    if (prev.seq < 0 || strlen(prev.hash) != STORE_CHAIN_HASH_LEN) {
        error_set(err, ERR_STORE, "the journal chain head of tenant %s is unreadable",
                  tenant_id);
        goto fail;
    }
    memcpy(lb->prev, prev.hash, sizeof lb->prev);
    lb->seq = prev.seq;
    if (link_gather(s, c, pick, lb, err) < 0)
        goto fail;
    if (lb->n == 0) {
        store_rollback(s, c);
        return 0;
    }
    if (pthread_once(&link_sql_once, link_sql_make) != 0 || !link_sql_ready) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    for (size_t done = 0; done < lb->n; done += LINK_CHUNK) {
        struct store_param u[3 * LINK_CHUNK];
        size_t rows = lb->n - done < LINK_CHUNK ? lb->n - done : LINK_CHUNK;
        for (size_t i = 0; i < rows; i++) {
            u[3 * i] = P_TEXT(lb->rows[done + i].id);
            u[3 * i + 1] = P_INT(prev.seq + 1 + (int64_t)(done + i));
            u[3 * i + 2] = P_TEXT(lb->rows[done + i].hash);
        }
        int64_t changes = 0;
        if (store_query(s, c, link_sql[rows].data, u, 3 * rows, NULL, NULL, &changes, err) < 0)
            goto fail;
        if (changes != (int64_t)rows) /* linked by another process meanwhile */
            goto again;
    }
    struct store_param d[] = {P_TEXT(tenant_id), P_INT(prev.seq), P_INT(lb->seq)};
    if (store_query(s, c,
                    "DELETE FROM journal_pending WHERE tenant_id = $1 AND entry_id IN "
                    "(SELECT id FROM journal_entries WHERE tenant_id = $1 AND chain_seq > $2 "
                    "AND chain_seq <= $3)",
                    d, N_PARAMS(d), NULL, NULL, NULL, err) < 0 ||
        head_advance(s, c, tenant_id, STORE_CHAIN_JOURNAL, &prev, lb->seq, lb->prev, &moved,
                     err) < 0)
        goto fail;
    if (!moved)
        goto again;
    return store_commit(s, c, err) < 0 ? -1 : 0;
again:
    *again = true;
    store_rollback(s, c);
    lb->n = 0;
    return 0;
fail:
    store_rollback(s, c);
    return -1;
}

static int link_picked(struct store *s, struct store_conn *c, const struct link_pick *pick,
                       struct link_batch *lb, struct error *err)
{
    for (int tries = 0; tries < LINK_TRIES;) {
        bool again;
        if (link_batch_once(s, c, pick, lb, &again, err) < 0)
            return -1;
        if (again)
            tries++;
        else if (pick->ids || lb->n < LINK_BATCH)
            return 0; /* none left (a round's ids are fewer than a batch) */
    }
    return error_set(err, ERR_UNAVAILABLE,
                     "the journal chain of tenant %s kept moving while its entries were linked",
                     pick->tenant_id);
}

int chain_link_named(struct store *s, struct store_conn *c, const char *tenant_id,
                     const char *const *entry_ids, size_t n, struct error *err)
{
    if (n > LINK_BATCH)
        return error_set(err, ERR_INTERNAL, "%zu entries to link at once, more than %d", n,
                         LINK_BATCH);
    struct link_batch *lb = malloc(sizeof *lb);
    if (!lb)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const struct link_pick pick = {.tenant_id = tenant_id, .ids = entry_ids, .n_ids = n};
    int rc = link_picked(s, c, &pick, lb, err);
    free(lb);
    return rc;
}

static int read_tenant(void *ctx, const struct store_row *row)
{
    store_row_copy(row, 0, ctx, CRYPTO_ID_MAX);
    return 1;
}

int chain_link_pending(struct store *s, struct store_conn *c, const char *tenant_id,
                       struct error *err)
{
    if (tenant_id) {
        /* Asked first, outside a transaction: an export asks before each head it reads, on
         * every store, and where nothing is named (SQLite always, PostgreSQL almost always)
         * a link transaction would only take the write lock (SQLite: BEGIN IMMEDIATE,
         * waiting for the committer) to find nothing. */
        char named[CRYPTO_ID_MAX] = "";
        struct store_param p[] = {P_TEXT(tenant_id)};
        if (store_query(s, c,
                        "SELECT tenant_id FROM journal_pending WHERE tenant_id = $1 LIMIT 1", p,
                        N_PARAMS(p), read_tenant, named, NULL, err) < 0)
            return -1;
        if (!named[0])
            return 0;
    }
    struct link_batch *lb = malloc(sizeof *lb);
    int rc = 0;
    if (!lb)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (tenant_id) {
        rc = link_picked(s, c, &(struct link_pick){.tenant_id = tenant_id}, lb, err);
        free(lb);
        return rc;
    }
    /* Every tenant with named entries, one after the other in the order of their ids. */
    char next[CRYPTO_ID_MAX] = "";
    for (;;) {
        char after[CRYPTO_ID_MAX];
        memcpy(after, next, sizeof after);
        next[0] = '\0';
        struct store_param p[] = {P_TEXT(after)};
        if (store_query(s, c,
                        "SELECT tenant_id FROM journal_pending WHERE tenant_id > $1 "
                        "ORDER BY tenant_id LIMIT 1",
                        p, N_PARAMS(p), read_tenant, next, NULL, err) < 0) {
            rc = -1;
            break;
        }
        if (!next[0])
            break;
        if ((rc = link_picked(s, c, &(struct link_pick){.tenant_id = next}, lb, err)) < 0)
            break;
    }
    free(lb);
    return rc;
}

int store_chain_link_pending(struct store *s, const char *tenant_id, struct error *err)
{
    struct store_conn *c = store_acquire(s);
    int rc = chain_link_pending(s, c, tenant_id, err);
    store_release(s, c);
    return rc;
}
