/* store/copy.c - a whole store into another, empty one (see copy.h).
 *
 * Backend-neutral: tables are found through the driver's table list, rows are read as
 * values of unknown shape (store_row_columns/name/kind) and written with statements built
 * at run time (store_query_once), several rows per INSERT, so the same code copies SQLite
 * to PostgreSQL, back, or SQLite to SQLite. Names that go into SQL are checked to be plain
 * identifiers; values always go in as parameters.
 *
 * The source is read in one snapshot on a connection that keeps other processes out where
 * the backend can (store_claim); the target is written in one transaction that is checked
 * before it commits, so a failed check leaves the target empty. */
#include "store/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store/store_int.h"

#define SQL_MAX 512
/* Rows per INSERT, and parameters per INSERT: as many rows as fit the drivers' limit on a
 * statement's parameters (64, PostgreSQL's), so a round trip carries several rows. */
#define BATCH_ROWS 64
#define BATCH_PARAMS 64

static const char *const ordered[] = {
#define TENANT_TABLE(name_, scope_) name_,
#define SHARED_TABLE(name_)
#include "store/tenant_tables.def"
#undef TENANT_TABLE
#undef SHARED_TABLE
};

static const char *const shared[] = {
#define TENANT_TABLE(name_, scope_)
#define SHARED_TABLE(name_) name_,
#include "store/tenant_tables.def"
#undef TENANT_TABLE
#undef SHARED_TABLE
};

/* The target keeps its own record of the migrations it went through. */
static const char *const not_copied = "schema_migrations";

static bool in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static bool has_name(const struct store_names *names, const char *name)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->v[i], name) == 0)
            return true;
    return false;
}

static int report_add(struct store_copy_report *r, const char *name)
{
    void *grown = realloc(r->tables, (r->n_tables + 1) * sizeof *r->tables);
    if (!grown)
        return -1;
    r->tables = grown;
    snprintf(r->tables[r->n_tables].name, sizeof r->tables[r->n_tables].name, "%s", name);
    r->tables[r->n_tables].rows = 0;
    r->n_tables++;
    return 0;
}

/* The source's tables in the order they are copied: tenant_tables.def's (parents before
 * children), then the others by name (their parents are listed ones), then the shared
 * ones; schema_migrations is left out. */
static int plan_tables(const struct store_names *names, struct store_copy_report *r,
                       struct error *err)
{
    const size_t n_ordered = sizeof ordered / sizeof ordered[0];
    const size_t n_shared = sizeof shared / sizeof shared[0];
    for (size_t i = 0; i < n_ordered; i++)
        if (has_name(names, ordered[i]) && report_add(r, ordered[i]) < 0)
            goto oom;
    for (size_t i = 0; i < names->n; i++)
        if (!in_list(ordered, n_ordered, names->v[i]) && !in_list(shared, n_shared, names->v[i]) &&
            report_add(r, names->v[i]) < 0)
            goto oom;
    for (size_t i = 0; i < n_shared; i++)
        if (strcmp(shared[i], not_copied) != 0 && has_name(names, shared[i]) &&
            report_add(r, shared[i]) < 0)
            goto oom;
    return 0;
oom:
    return error_set(err, ERR_INTERNAL, "out of memory");
}

/* err again with `what` before its message (and code), e.g. "copying invoices: ...". */
static int error_prefix(struct error *err, enum err_code code, const char *what)
{
    char message[sizeof err->message];
    snprintf(message, sizeof message, "%s", err->message);
    return error_set(err, code, "%s%s", what, message);
}

static int note_found(void *ctx, const struct store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 1;
}

static int read_count(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 0;
}

/* Refuses a target with rows in any table but schema_migrations (ERR_CONFLICT). */
static int check_empty(struct store *s, struct store_conn *c, struct error *err)
{
    struct store_names names;
    int rc = 0;
    if (store_table_names(s, c, &names, err) < 0)
        return -1;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        char sql[SQL_MAX];
        bool found = false;
        if (strcmp(names.v[i], not_copied) == 0)
            continue;
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT 1", names.v[i]);
        rc = store_query_once(s, c, sql, NULL, 0, note_found, &found, NULL, err);
        if (rc == 0 && found)
            rc = error_set(err, ERR_CONFLICT,
                           "the target is not empty (table %s has rows): copy into an empty "
                           "database",
                           names.v[i]);
    }
    free(names.v);
    return rc;
}

/* ---- rows, several per INSERT ------------------------------------------------------------ */

struct batch {
    struct store *to;
    struct store_conn *dst;
    const char *table;
    struct buf sql;
    struct store_param *p; /* text values are the batch's own copies */
    size_t n_params, cap_params, n_rows;
    int64_t inserted;
    struct error *err;
    int rc;
};

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n_params; i++)
        if (b->p[i].type == STORE_P_TEXT)
            free((char *)b->p[i].text);
    b->n_params = 0;
    b->n_rows = 0;
    buf_reset(&b->sql);
}

static void error_prefix_table(struct error *err, const char *table)
{
    char what[STORE_TABLE_NAME_MAX + 16];
    snprintf(what, sizeof what, "copying %s: ", table);
    error_prefix(err, err->code, what);
}

static int batch_flush(struct batch *b)
{
    int64_t changes = 0;
    if (b->n_rows == 0)
        return 0;
    if (buf_append(&b->sql, "", 1) < 0) /* the NUL */
        return error_set(b->err, ERR_INTERNAL, "out of memory");
    int rc = store_query_once(b->to, b->dst, b->sql.data, b->p, b->n_params, NULL, NULL,
                              &changes, b->err);
    if (rc == 0)
        b->inserted += changes;
    else
        error_prefix_table(b->err, b->table);
    batch_clear(b);
    return rc;
}

/* The head of the INSERT, from the first row's column names. */
static int batch_start(struct batch *b, const struct store_row *row, int n)
{
    if (buf_printf(&b->sql, "INSERT INTO %s (", b->table) < 0)
        return error_set(b->err, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        const char *name = store_row_name(row, i);
        if (!store_plain_identifier(name))
            return error_set(b->err, ERR_STORE, "%s has a column whose name is not plain",
                             b->table);
        if (buf_printf(&b->sql, "%s%s", i ? ", " : "", name) < 0)
            return error_set(b->err, ERR_INTERNAL, "out of memory");
    }
    return buf_append_str(&b->sql, ") VALUES ") < 0
               ? error_set(b->err, ERR_INTERNAL, "out of memory")
               : 0;
}

static int batch_add(struct batch *b, const struct store_row *row)
{
    int n = store_row_columns(row);
    if (n <= 0)
        return error_set(b->err, ERR_STORE, "a row of %s has no columns", b->table);
    if (b->n_rows == 0 && batch_start(b, row, n) < 0)
        return -1;
    if (b->n_params + (size_t)n > b->cap_params) {
        size_t cap = b->n_params + (size_t)n + BATCH_PARAMS;
        void *grown = realloc(b->p, cap * sizeof *b->p);
        if (!grown)
            return error_set(b->err, ERR_INTERNAL, "out of memory");
        b->p = grown;
        b->cap_params = cap;
    }
    if (buf_append_str(&b->sql, b->n_rows ? ", (" : "(") < 0)
        return error_set(b->err, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        struct store_param *p = &b->p[b->n_params];
        switch (store_row_kind(row, i)) {
        case STORE_V_NULL: *p = P_TEXT(NULL); break;
        case STORE_V_INT: *p = P_INT(store_row_int(row, i)); break;
        default: { /* text, and what a backend reads as text (PostgreSQL's timestamptz) */
            char *copy = strdup(store_row_text(row, i));
            if (!copy)
                return error_set(b->err, ERR_INTERNAL, "out of memory");
            *p = P_TEXT(copy);
        }
        }
        b->n_params++;
        if (buf_printf(&b->sql, "%s$%zu", i ? ", " : "", b->n_params) < 0)
            return error_set(b->err, ERR_INTERNAL, "out of memory");
    }
    if (buf_append_str(&b->sql, ")") < 0)
        return error_set(b->err, ERR_INTERNAL, "out of memory");
    b->n_rows++;
    if (b->n_rows >= BATCH_ROWS || b->n_params + (size_t)n > BATCH_PARAMS)
        return batch_flush(b);
    return 0;
}

static int copy_row(void *ctx, const struct store_row *row)
{
    struct batch *b = ctx;
    b->rc = batch_add(b, row);
    return b->rc < 0;
}

/* Copies one table and checks that both sides count the same rows. */
static int copy_table(struct store *from, struct store_conn *src, struct store *to,
                      struct store_conn *dst, struct store_copy_table *t, struct error *err)
{
    char sql[SQL_MAX];
    int64_t in_source = 0, in_target = 0;
    struct batch b = {.to = to, .dst = dst, .table = t->name, .err = err};
    int rc = -1;
    buf_init(&b.sql, 0);
    /* By the first column (the id where there is one: ids are time-ordered, so a credit
     * note follows the invoice it refers to). */
    snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1", t->name);
    if (store_query_once(from, src, sql, NULL, 0, copy_row, &b, NULL, err) < 0 || b.rc < 0 ||
        batch_flush(&b) < 0)
        goto out;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", t->name);
    if (store_query_once(from, src, sql, NULL, 0, read_count, &in_source, NULL, err) < 0 ||
        store_query_once(to, dst, sql, NULL, 0, read_count, &in_target, NULL, err) < 0)
        goto out;
    if (in_source != in_target || b.inserted != in_source) {
        error_set(err, ERR_STORE,
                  "%s: the source counts %lld rows, %lld were copied, the target counts %lld",
                  t->name, (long long)in_source, (long long)b.inserted, (long long)in_target);
        goto out;
    }
    t->rows = in_target;
    rc = 0;
out:
    batch_clear(&b);
    free(b.p);
    buf_free(&b.sql);
    return rc;
}

/* ---- the checks of the copy --------------------------------------------------------------- */

struct balance {
    char entry[64];
    __int128 book; /* the entry's EUR debits minus credits so far */
    int64_t entries;
    struct error *err;
    int rc;
};

static __int128 split_sum(const struct store_row *row, int col)
{
    return (__int128)store_row_int(row, col) * 4294967296 + store_row_int(row, col + 1);
}

static int balance_end_entry(struct balance *bl)
{
    if (bl->entry[0] && bl->book != 0)
        return error_set(bl->err, ERR_STORE, "journal entry %s does not balance in EUR",
                         bl->entry);
    return 0;
}

/* One row per entry and currency, ordered by entry. */
static int balance_row(void *ctx, const struct store_row *row)
{
    struct balance *bl = ctx;
    const char *entry = store_row_text(row, 0);
    if (strcmp(entry, bl->entry) != 0) {
        if ((bl->rc = balance_end_entry(bl)) < 0)
            return 1;
        snprintf(bl->entry, sizeof bl->entry, "%s", entry);
        bl->book = 0;
        bl->entries++;
    }
    if (split_sum(row, 2) != split_sum(row, 4)) {
        bl->rc = error_set(bl->err, ERR_STORE, "journal entry %s does not balance in %s",
                           entry, store_row_text(row, 1));
        return 1;
    }
    bl->book += split_sum(row, 6) - split_sum(row, 8);
    return 0;
}

/* Every journal entry's debits equal its credits, per currency and in EUR (the book
 * amounts; a line from before rates has none and counts nothing there). */
static int check_balanced(struct store *s, struct store_conn *c, int64_t *entries,
                          struct error *err)
{
    struct balance bl = {.err = err};
    int rc = store_query(s, c,
                         "SELECT entry_id, currency, " STORE_SQL_SUM("debit_minor") ", "
                         STORE_SQL_SUM("credit_minor") ", " STORE_SQL_SUM("book_debit_minor")
                         ", " STORE_SQL_SUM("book_credit_minor") " FROM journal_lines "
                         "GROUP BY entry_id, currency ORDER BY entry_id, currency",
                         NULL, 0, balance_row, &bl, NULL, err);
    if (rc < 0 || bl.rc < 0 || balance_end_entry(&bl) < 0)
        return -1;
    *entries = bl.entries;
    return 0;
}

struct tenant_ids {
    char (*v)[CRYPTO_ID_MAX];
    size_t n;
    bool failed;
};

static int collect_tenant(void *ctx, const struct store_row *row)
{
    struct tenant_ids *t = ctx;
    void *grown = realloc(t->v, (t->n + 1) * sizeof *t->v);
    if (!grown) {
        t->failed = true;
        return 1;
    }
    t->v = grown;
    snprintf(t->v[t->n++], sizeof *t->v, "%s", store_row_text(row, 0));
    return 0;
}

/* Every tenant's hash chains recompute to their stored heads in the target. */
static int check_chains(struct store *s, struct store_conn *c, struct store_copy_report *r,
                        struct error *err)
{
    struct tenant_ids ids = {0};
    int rc = store_query(s, c, "SELECT id FROM tenants ORDER BY id", NULL, 0, collect_tenant,
                         &ids, NULL, err);
    if (rc == 0 && ids.failed)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < ids.n && rc == 0; i++) {
        for (int k = 0; k < STORE_CHAIN_COUNT && rc == 0; k++) {
            struct store_chain_check check;
            rc = chain_verify_on(s, c, ids.v[i], (enum store_chain)k, &check, err);
            if (rc == 0 && !check.ok)
                rc = error_set(err, ERR_STORE, "tenant %s: the %s chain does not verify at "
                                               "row %s: %s",
                               ids.v[i], store_chain_name((enum store_chain)k),
                               check.mismatch_id[0] ? check.mismatch_id : "(head)",
                               check.reason);
            r->chain_rows += check.rows;
        }
    }
    r->tenants = (int64_t)ids.n;
    free(ids.v);
    return rc;
}

/* ---- the copy ------------------------------------------------------------------------------ */

/* The source at this binary's schema version, and kept to this process; *refused when not. */
static int open_source(struct store *from, struct store_conn *src, int64_t *version,
                       bool *refused, struct error *err)
{
    int64_t unknown = 0, latest = store_schema_latest();
    *refused = true;
    if (store_claim(from, src, err) < 0) {
        if (err->code == ERR_CONFLICT)
            error_prefix(err, ERR_CONFLICT, "the source store is in use (stop every connectord "
                                            "on it first): ");
        return -1;
    }
    if (store_schema_read(from, src, version, &unknown, err) < 0)
        return error_prefix(err, ERR_CONFIG, "the source is not a connectord store: ");
    if (store_schema_refuse_unknown(*version, unknown, err) < 0)
        return error_prefix(err, ERR_CONFIG, "the source: ");
    if (*version != latest)
        return error_set(err, ERR_CONFIG,
                         "the source store's schema is at version %lld, this connectord's at "
                         "%lld: migrate it first (connectord migrate --db ...), then copy",
                         (long long)*version, (long long)latest);
    *refused = false;
    return 0;
}

/* The target empty, migrated, and kept to this process; *refused when it is not empty or
 * in use. Emptiness is checked before the migration too, so that a store in use by an
 * older connectord is never migrated by mistake. */
static int open_target(struct store *to, bool *refused, struct error *err)
{
    struct store_conn *dst = store_acquire(to);
    int rc = -1;
    *refused = true;
    if (store_claim(to, dst, err) < 0) {
        if (err->code == ERR_CONFLICT)
            error_prefix(err, ERR_CONFLICT, "the target store is in use: ");
        goto out;
    }
    if (check_empty(to, dst, err) < 0)
        goto out;
    store_release(to, dst);
    dst = NULL;
    if (store_migrate(to, NULL, err) < 0) {
        if (err->code != ERR_CONFIG)
            *refused = false;
        goto out;
    }
    rc = 0;
    *refused = false;
out:
    if (dst)
        store_release(to, dst);
    return rc;
}

int store_copy(struct store *from, struct store *to, struct store_copy_report *out,
               struct error *err)
{
    struct store_conn *src = store_acquire(from), *dst = NULL;
    struct store_names names = {0};
    int rc = -1;
    *out = (struct store_copy_report){0};
    if (open_source(from, src, &out->schema_version, &out->refused, err) < 0 ||
        open_target(to, &out->refused, err) < 0)
        goto out;
    dst = store_acquire(to);
    if (store_snapshot(from, src, err) < 0 || store_begin(to, dst, err) < 0)
        goto out;
    out->refused = true; /* until the target is seen empty inside the transaction */
    if (check_empty(to, dst, err) < 0)
        goto out;
    out->refused = false;
    if (store_table_names(from, src, &names, err) < 0 || plan_tables(&names, out, err) < 0)
        goto out;
    for (size_t i = 0; i < out->n_tables; i++) {
        if (copy_table(from, src, to, dst, &out->tables[i], err) < 0)
            goto out;
        out->rows += out->tables[i].rows;
    }
    if (check_balanced(to, dst, &out->entries, err) < 0 || check_chains(to, dst, out, err) < 0)
        goto out;
    rc = store_commit(to, dst, err);
    if (rc < 0)
        goto out;
    store_release(to, dst);
    dst = NULL;
out:
    if (dst) {
        store_rollback(to, dst);
        store_release(to, dst);
    }
    store_rollback(from, src); /* ends the snapshot */
    store_release(from, src);
    free(names.v);
    return rc;
}

void store_copy_report_free(struct store_copy_report *r)
{
    if (!r)
        return;
    free(r->tables);
    r->tables = NULL;
    r->n_tables = 0;
}
