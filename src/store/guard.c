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
 *             chains. What moves more than once (paid, reserved for a draft) is not a column
 *             of a booked row but a row of its own in a status table, appended.
 *   deletes   refused, except for a tenant being erased: a tenant's deletion first inserts
 *             its id into tenant_erasures in the same transaction (the contract with
 *             `connectord tenant delete`), and then the rows of that tenant (only) may go,
 *             by the tenants table's ON DELETE CASCADE or by explicit DELETEs.
 *
 * The triggers are recreated from the list every time the store is migrated (at start), in
 * one transaction, so a longer list reaches stores made before it, and a trigger dropped by
 * hand is back at the next start. PostgreSQL generates the same three kinds from this list
 * (a plpgsql function raising an exception, CREATE TRIGGER ... BEFORE UPDATE OF cols / BEFORE
 * DELETE ... FOR EACH ROW WHEN (...)); only the statement text below is SQLite's. */
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
     "source, external_id, related_invoice_id, created_at, tax_minor",
     "journal_entry_id"},
    {"journal_entries", "id, tenant_id, entry_date, description, invoice_id, created_at",
     "chain_seq, chain_hash"},
    {"journal_lines",
     "entry_id, line_no, tenant_id, account, debit_minor, credit_minor, currency, vat_code, "
     "vat_tax",
     NULL},
    {"audit_log", "id, tenant_id, token_id, action, target, fields, created_at",
     "chain_seq, chain_hash"},
    {"exports_log", "id, tenant_id, kind, period, chain_seq, chain_head, actor, created_at", NULL},
};

#define REFUSAL "RAISE(ABORT, 'books are append-only: "

static int frozen_trigger(struct buf *sql, const struct guarded_table *g)
{
    return buf_printf(sql,
                      "DROP TRIGGER IF EXISTS %s_frozen;"
                      "CREATE TRIGGER %s_frozen BEFORE UPDATE OF %s ON %s BEGIN SELECT " REFUSAL
                      "%s rows are never changed; book a reversing entry instead'); END;",
                      g->table, g->table, g->frozen, g->table, g->table);
}

static int set_once_triggers(struct buf *sql, const struct guarded_table *g)
{
    const char *p = g->set_once;
    while (p && *p) {
        size_t len = strcspn(p, ", ");
        if (len && buf_printf(sql,
                              "DROP TRIGGER IF EXISTS %s_%.*s_once;"
                              "CREATE TRIGGER %s_%.*s_once BEFORE UPDATE OF %.*s ON %s "
                              "WHEN OLD.%.*s IS NOT NULL BEGIN SELECT " REFUSAL
                              "%s.%.*s is set once'); END;",
                              g->table, (int)len, p, g->table, (int)len, p, (int)len, p,
                              g->table, (int)len, p, g->table, (int)len, p) < 0)
            return -1;
        p += len;
        p += strspn(p, ", ");
    }
    return 0;
}

static int delete_trigger(struct buf *sql, const struct guarded_table *g)
{
    return buf_printf(sql,
                      "DROP TRIGGER IF EXISTS %s_kept;"
                      "CREATE TRIGGER %s_kept BEFORE DELETE ON %s WHEN NOT EXISTS "
                      "(SELECT 1 FROM tenant_erasures WHERE tenant_id = OLD.tenant_id) "
                      "BEGIN SELECT " REFUSAL
                      "%s rows are kept; only an erased tenant''s rows may be deleted'); END;",
                      g->table, g->table, g->table, g->table);
}

int store_guard_install(struct store *s, struct store_conn *c, struct error *err)
{
    struct buf sql;
    int rc = 0;
    buf_init(&sql, 0);
    for (size_t i = 0; i < sizeof guarded / sizeof guarded[0] && rc == 0; i++)
        rc = frozen_trigger(&sql, &guarded[i]) | set_once_triggers(&sql, &guarded[i]) |
             delete_trigger(&sql, &guarded[i]);
    if (rc < 0)
        error_set(err, ERR_INTERNAL, "out of memory");
    else
        rc = store_exec_script(s, c, sql.data, err);
    buf_free(&sql);
    return rc;
}
