/* store/guard.c - the books are append-only, and the store itself says so.
 *
 * A booked invoice, journal entry or line, an audit record and an export record are never
 * changed or deleted: a correction is a reversing entry (a credit note and its Storno), never
 * an UPDATE. Application code keeps to that, and triggers make it a property of the store,
 * so a stray statement, a future code path or a hand at the SQL prompt is refused too.
 *
 * guarded[] below is THE list of protected columns; the triggers are generated from it.
 *   frozen    columns that never change once the row is written (amounts, currency, dates,
 *             accounts, parties, lines, who and what). One column-specific trigger per
 *             table (BEFORE UPDATE OF a, b, ...), so a column someone adds later is free
 *             until it is added here; a column of the books that is added must be listed
 *             here (frozen, or set once) in the same change.
 *   set_once  columns that are filled in later, exactly once, from NULL: an invoice's
 *             journal_entry_id when it is posted, the chain link of rows written before the
 *             chains, an exchange rate filled in once it is known. What moves more than once (paid, reserved for a draft) is not a column
 *             of a booked row but a row of its own in a status table, appended.
 *   deletes   refused, except for a tenant being erased: a tenant's deletion first inserts
 *             its id into tenant_erasures in the same transaction (the contract with
 *             `connectord tenant delete`), and then the rows of that tenant (only) may go,
 *             by the tenants table's ON DELETE CASCADE or by explicit DELETEs.
 *
 * The triggers are recreated from the list every time the store is migrated (at start), in
 * one transaction, so a longer list reaches stores made before it, and a trigger dropped by
 * hand is back at the next start. The statements are each driver's (trigger_sql: SQLite's
 * RAISE(ABORT), PostgreSQL's plpgsql function raising an exception); the list and the
 * messages are here, once. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "store/store_int.h"

static const struct guarded_table {
    const char *table;
    const char *frozen;   /* comma-separated */
    const char *set_once; /* comma-separated, may be NULL */
} guarded[] = {
    {"invoices",
     "id, tenant_id, type, party_id, invoice_number, invoice_date, total_gross_minor, currency, "
     "source, external_id, related_invoice_id, created_at, tax_minor, tax_treatment, "
     "tax_country, tax_rate_bp, tax_vat_id, tax_note",
     "journal_entry_id"},
    /* An invoice in another currency is rated once, by this row, and never again. */
    {"invoice_fx", "invoice_id, tenant_id, book_gross_minor, rate, source, rate_date, created_at",
     NULL},
    {"journal_entries", "id, tenant_id, entry_date, description, invoice_id, created_at",
     "chain_seq, chain_hash"},
    {"journal_lines",
     "entry_id, line_no, tenant_id, account, debit_minor, credit_minor, currency, vat_code, "
     "vat_tax, book_debit_minor, book_credit_minor, tax_treatment, tax_country, tax_rate_bp",
     /* The EUR amounts are hashed with the line (store/chain.c): a line in another currency
      * from before rates keeps its NULL, as it was chained. */
     NULL},
    {"audit_log", "id, tenant_id, token_id, action, target, fields, created_at",
     "chain_seq, chain_hash"},
    {"exports_log", "id, tenant_id, kind, period, chain_seq, chain_head, actor, created_at", NULL},
};

#define REFUSAL "books are append-only: "
#define NAME_MAX_LEN 96
#define MESSAGE_MAX_LEN 160

/* Each trigger as its name, table and the statement that creates it; emit() gets one at a
 * time. */
struct trigger_sink {
    int (*emit)(struct trigger_sink *sink, const char *name, const char *table,
                const char *create_sql);
    struct store *s;
    struct store_conn *c;
    const struct store_driver *driver;
    struct error *err;
    bool differs; /* the check: some trigger is missing or other than listed */
    struct buf script;
};

/* One trigger in the store's dialect (the messages are SQL literals: '' is a quote). */
static int emit_trigger(struct trigger_sink *k, struct buf *sql, enum store_trigger kind,
                        const char *name, const char *table, const char *columns,
                        const char *message)
{
    buf_reset(sql);
    if (k->driver->trigger_sql(sql, kind, name, table, columns, message) < 0)
        return error_set(k->err, ERR_INTERNAL, "out of memory");
    return k->emit(k, name, table, sql->data);
}

static int emit_frozen(struct trigger_sink *k, const struct guarded_table *g, struct buf *sql)
{
    char name[NAME_MAX_LEN], message[MESSAGE_MAX_LEN];
    snprintf(name, sizeof name, "%s_frozen", g->table);
    snprintf(message, sizeof message,
             REFUSAL "%s rows are never changed; book a reversing entry instead", g->table);
    return emit_trigger(k, sql, STORE_TRIGGER_FROZEN, name, g->table, g->frozen, message);
}

static int emit_set_once(struct trigger_sink *k, const struct guarded_table *g, struct buf *sql)
{
    const char *p = g->set_once;
    while (p && *p) {
        size_t len = strcspn(p, ", ");
        char name[NAME_MAX_LEN], column[NAME_MAX_LEN], message[MESSAGE_MAX_LEN];
        snprintf(name, sizeof name, "%s_%.*s_once", g->table, (int)len, p);
        snprintf(column, sizeof column, "%.*s", (int)len, p);
        snprintf(message, sizeof message, REFUSAL "%s.%s is set once", g->table, column);
        if (emit_trigger(k, sql, STORE_TRIGGER_SET_ONCE, name, g->table, column, message) < 0)
            return -1;
        p += len;
        p += strspn(p, ", ");
    }
    return 0;
}

static int emit_kept(struct trigger_sink *k, const struct guarded_table *g, struct buf *sql)
{
    char name[NAME_MAX_LEN], message[MESSAGE_MAX_LEN];
    snprintf(name, sizeof name, "%s_kept", g->table);
    snprintf(message, sizeof message,
             REFUSAL "%s rows are kept; only an erased tenant''s rows may be deleted", g->table);
    return emit_trigger(k, sql, STORE_TRIGGER_KEPT, name, g->table, NULL, message);
}

static int each_trigger(struct trigger_sink *k)
{
    struct buf sql;
    int rc = 0;
    buf_init(&sql, 0);
    for (size_t i = 0; i < sizeof guarded / sizeof guarded[0] && rc == 0; i++)
        rc = emit_frozen(k, &guarded[i], &sql) < 0 || emit_set_once(k, &guarded[i], &sql) < 0 ||
                     emit_kept(k, &guarded[i], &sql) < 0
                 ? -1
                 : 0;
    buf_free(&sql);
    return rc;
}

struct stored_sql {
    const char *want;
    bool same;
};

static int compare_sql(void *ctx, const struct store_row *row)
{
    struct stored_sql *st = ctx;
    st->same = strcmp(store_row_text(row, 0), st->want) == 0;
    return 1;
}

/* The check: is the trigger in the store, exactly as listed? */
static int check_one(struct trigger_sink *k, const char *name, const char *table,
                     const char *create_sql)
{
    struct stored_sql st = {.want = create_sql};
    struct store_param p[] = {P_TEXT(name)};
    (void)table;
    if (store_query(k->s, k->c, k->driver->trigger_lookup_sql, p, N_PARAMS(p), compare_sql,
                    &st, NULL, k->err) < 0)
        return -1;
    k->differs = k->differs || !st.same;
    return 0;
}

/* The install: drop and create, gathered into one script. */
static int add_one(struct trigger_sink *k, const char *name, const char *table,
                   const char *create_sql)
{
    if (k->driver->trigger_install(&k->script, name, table, create_sql) < 0)
        return error_set(k->err, ERR_INTERNAL, "out of memory");
    return 0;
}

int store_guard_install(struct store *s, struct store_conn *c, struct error *err)
{
    struct trigger_sink k = {.emit = check_one, .s = s, .c = c, .driver = store_driver_of(s),
                            .err = err};
    int rc = -1;
    buf_init(&k.script, 0);
    if (each_trigger(&k) < 0)
        goto out;
    /* A store whose triggers are as listed is left alone: rewriting them would change the
     * schema under every other connection (each would prepare its statements again). */
    if (!k.differs) {
        rc = 0;
        goto out;
    }
    k.emit = add_one;
    if (each_trigger(&k) < 0 || store_begin(s, c, err) < 0)
        goto out;
    if (store_exec_script(s, c, k.script.data, err) < 0 || store_commit(s, c, err) < 0)
        store_rollback(s, c);
    else
        rc = 0;
out:
    buf_free(&k.script);
    return rc;
}
