/* store/tenant_data.c - one tenant's rows as a whole (see tenant_data.h).
 *
 * The SQL here names tables and columns read from the schema at run time, so it is built
 * per call and run through store_query_once (never the statement cache, which keys on the
 * SQL's address). Every name that goes into such SQL is checked to be a plain identifier
 * first; values always go in as parameters. */
#include "store/tenant_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/store_int.h"

#define TABLE_NAME_MAX STORE_TABLE_NAME_MAX
#define SQL_MAX 512

static const struct {
    const char *name;
    const char *scope;
} listed[] = {
#define TENANT_TABLE(name_, scope_) {.name = name_, .scope = scope_},
#define SHARED_TABLE(name_)
#include "store/tenant_tables.def"
#undef TENANT_TABLE
#undef SHARED_TABLE
};
#define N_LISTED (sizeof listed / sizeof listed[0])

static const char *const shared[] = {
#define TENANT_TABLE(name_, scope_)
#define SHARED_TABLE(name_) name_,
#include "store/tenant_tables.def"
#undef TENANT_TABLE
#undef SHARED_TABLE
};
#define N_SHARED (sizeof shared / sizeof shared[0])

static const char *const by_tenant_id = "tenant_id = $1";

bool store_plain_identifier(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= TABLE_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static int listed_index(const char *table)
{
    for (size_t i = 0; i < N_LISTED; i++)
        if (strcmp(listed[i].name, table) == 0)
            return (int)i;
    return -1;
}

static bool is_shared(const char *table)
{
    for (size_t i = 0; i < N_SHARED; i++)
        if (strcmp(shared[i], table) == 0)
            return true;
    return false;
}

/* ---- which tables hold a tenant's rows ---------------------------------------------- */

struct table_set {
    struct {
        char name[TABLE_NAME_MAX];
        const char *scope; /* static */
    } *t;
    size_t n, cap;
};

static int table_set_add(struct table_set *set, const char *name, const char *scope)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 32;
        void *grown = realloc(set->t, cap * sizeof *set->t);
        if (!grown)
            return -1;
        set->t = grown;
        set->cap = cap;
    }
    snprintf(set->t[set->n].name, sizeof set->t[set->n].name, "%s", name);
    set->t[set->n].scope = scope;
    set->n++;
    return 0;
}

static int collect_name(void *ctx, const struct store_row *row)
{
    struct store_names *names = ctx;
    const char *name = store_row_text(row, 0);
    if (!store_plain_identifier(name))
        return 0; /* a table no SQL of ours could name; it holds nothing of ours */
    if (names->n == names->cap) {
        size_t cap = names->cap ? names->cap * 2 : 32;
        void *grown = realloc(names->v, cap * sizeof *names->v);
        if (!grown) {
            names->failed = true;
            return 1;
        }
        names->v = grown;
        names->cap = cap;
    }
    snprintf(names->v[names->n++], TABLE_NAME_MAX, "%s", name);
    return 0;
}

int store_table_names(struct store *s, struct store_conn *c, struct store_names *out,
                      struct error *err)
{
    *out = (struct store_names){0};
    int rc = store_tables(s, c, collect_name, out, err);
    if (rc == 0 && out->failed)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    if (rc < 0) {
        free(out->v);
        *out = (struct store_names){0};
    }
    return rc;
}

static int note_tenant_column(void *ctx, const struct store_row *row)
{
    int n = store_row_columns(row);
    for (int i = 0; i < n; i++)
        if (strcmp(store_row_name(row, i), "tenant_id") == 0)
            *(bool *)ctx = true;
    return 1; /* one row tells the columns */
}

/* The listed tables, then every other table of the schema whose rows have a tenant_id
 * column (a table without rows has nothing of any tenant's, so it is left out). On success
 * the caller frees set->t. */
static int tenant_tables(struct store *s, struct store_conn *c, struct table_set *set,
                         struct error *err)
{
    struct store_names names = {0};
    int rc = -1;
    *set = (struct table_set){0};
    for (size_t i = 0; i < N_LISTED; i++)
        if (table_set_add(set, listed[i].name, listed[i].scope) < 0)
            goto oom;
    if (store_table_names(s, c, &names, err) < 0)
        goto out;
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.v[i];
        bool scoped = false;
        char sql[SQL_MAX];
        if (listed_index(name) >= 0 || is_shared(name))
            continue;
        snprintf(sql, sizeof sql, "SELECT * FROM %s LIMIT 1", name);
        if (store_query_once(s, c, sql, NULL, 0, note_tenant_column, &scoped, NULL, err) < 0)
            goto out;
        if (scoped && table_set_add(set, name, by_tenant_id) < 0)
            goto oom;
    }
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    free(names.v);
    if (rc < 0) {
        free(set->t);
        *set = (struct table_set){0};
    }
    return rc;
}

/* ---- dump -------------------------------------------------------------------------------- */

struct dump_ctx {
    const char *table;
    store_tenant_row_fn fn;
    void *ctx;
    struct error *err;
    bool failed;
};

/* A row as a JSON object of its columns; NULL (err set) for a value kind archives do not
 * hold (the schema has only integers and text). */
static json_t *row_object(const struct store_row *row, const char *table, struct error *err)
{
    json_t *obj = json_object();
    int n = store_row_columns(row);
    for (int i = 0; obj && i < n; i++) {
        json_t *v = NULL;
        switch (store_row_kind(row, i)) {
        case STORE_V_NULL: v = json_null(); break;
        case STORE_V_INT: v = json_integer((json_int_t)store_row_int(row, i)); break;
        case STORE_V_TEXT: v = json_string(store_row_text(row, i)); break;
        case STORE_V_OTHER:
            error_set(err, ERR_STORE, "%s.%s holds a value that is neither integer nor text",
                      table, store_row_name(row, i));
            json_decref(obj);
            return NULL;
        }
        if (!v || json_object_set_new(obj, store_row_name(row, i), v) < 0) {
            /* text that is not UTF-8 cannot be a JSON string */
            error_set(err, ERR_STORE, "%s.%s cannot be archived as JSON", table,
                      store_row_name(row, i));
            json_decref(obj);
            return NULL;
        }
    }
    if (!obj)
        error_set(err, ERR_INTERNAL, "out of memory");
    return obj;
}

static int dump_row(void *ctx, const struct store_row *row)
{
    struct dump_ctx *d = ctx;
    json_t *obj = row_object(row, d->table, d->err);
    if (!obj) {
        d->failed = true;
        return 1;
    }
    int stop = d->fn(d->ctx, d->table, obj);
    json_decref(obj);
    if (stop) {
        if (!d->err->code)
            error_set(d->err, ERR_IO, "the archive's writer stopped");
        d->failed = true;
    }
    return stop;
}

int store_tenant_dump(struct store *s, const char *tenant_id, store_tenant_row_fn fn, void *ctx,
                      struct error *err)
{
    struct store_conn *c = store_acquire(s);
    struct table_set set = {0};
    int rc = -1;
    if (store_snapshot(s, c, err) < 0)
        goto out;
    if (tenant_tables(s, c, &set, err) < 0)
        goto out;
    for (size_t i = 0; i < set.n; i++) {
        char sql[SQL_MAX];
        struct dump_ctx d = {.table = set.t[i].name, .fn = fn, .ctx = ctx, .err = err};
        struct store_param p[] = {P_TEXT(tenant_id)};
        /* Ordered by the first column (the id where there is one: ids are time-ordered, so a
         * credit note follows the invoice it refers to, as an import needs). */
        snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE %s ORDER BY 1", set.t[i].name,
                 set.t[i].scope);
        if (store_query_once(s, c, sql, p, N_PARAMS(p), dump_row, &d, NULL, err) < 0 ||
            d.failed)
            goto out;
    }
    rc = 0;
out:
    store_rollback(s, c);
    store_release(s, c);
    free(set.t);
    return rc;
}

/* ---- load -------------------------------------------------------------------------------- */

/* Whether table may receive this archived row of tenant_id. */
static int check_target(struct store_tx *tx, const char *tenant_id, const char *table,
                        json_t *row, struct error *err)
{
    if (!store_plain_identifier(table) || is_shared(table))
        return error_set(err, ERR_VALIDATION, "table %s holds no tenant data", table);
    json_t *owner = json_object_get(row, strcmp(table, "tenants") == 0 ? "id" : "tenant_id");
    if (owner && (!json_is_string(owner) || strcmp(json_string_value(owner), tenant_id) != 0))
        return error_set(err, ERR_VALIDATION, "a row of %s belongs to another tenant", table);
    if (listed_index(table) >= 0)
        return 0;
    if (!owner)
        return error_set(err, ERR_VALIDATION, "table %s is not a tenant's table", table);
    struct store_names names;
    bool found = false;
    if (store_table_names(store_tx_store(tx), store_tx_conn(tx), &names, err) < 0)
        return -1;
    for (size_t i = 0; i < names.n; i++)
        found = found || strcmp(names.v[i], table) == 0;
    free(names.v);
    if (!found)
        return error_set(err, ERR_VALIDATION, "this store has no table %s", table);
    return 0;
}

int store_tenant_row_load(struct store_tx *tx, const char *tenant_id, const char *table,
                          json_t *row, struct error *err)
{
    size_t n = json_object_size(row);
    struct store_param *p = NULL;
    struct buf sql;
    const char *key;
    json_t *value;
    size_t i = 0;
    int rc = -1;
    buf_init(&sql, 0);
    if (!json_is_object(row) || n == 0)
        return error_set(err, ERR_VALIDATION, "a row of %s is not an object of columns", table);
    if (check_target(tx, tenant_id, table, row, err) < 0)
        return -1;
    p = calloc(n, sizeof *p);
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    bool built = buf_printf(&sql, "INSERT INTO %s (", table) == 0;
    json_object_foreach(row, key, value) {
        if (!store_plain_identifier(key)) {
            error_set(err, ERR_VALIDATION, "%s has no column named so", table);
            goto out;
        }
        if (json_is_null(value)) {
            p[i] = P_TEXT(NULL);
        } else if (json_is_integer(value)) {
            p[i] = P_INT((int64_t)json_integer_value(value));
        } else if (json_is_string(value)) {
            p[i] = P_TEXT(json_string_value(value));
        } else {
            error_set(err, ERR_VALIDATION, "%s.%s must be null, an integer or a string", table,
                      key);
            goto out;
        }
        built = built && buf_printf(&sql, "%s%s", i ? ", " : "", key) == 0;
        i++;
    }
    built = built && buf_append_str(&sql, ") VALUES (") == 0;
    for (i = 0; i < n; i++)
        built = built && buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1) == 0;
    if (!built || buf_append(&sql, ")", 2) < 0) { /* with the NUL */
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = store_query_once(store_tx_store(tx), store_tx_conn(tx), sql.data, p, n, NULL, NULL, NULL, err);
out:
    free(p);
    buf_free(&sql);
    return rc;
}

/* ---- erase ------------------------------------------------------------------------------- */

static int note_found(void *ctx, const struct store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 0;
}

static int oplog_insert(struct store *s, struct store_conn *c, const char *action,
                        const char *tenant_id, const char *archive_sha256, const char *detail,
                        struct error *err)
{
    char id[CRYPTO_ID_MAX], now[CLOCK_RFC3339_LEN];
    if (crypto_id_new("opl", id) < 0)
        return error_set(err, ERR_INTERNAL, "cannot make an id");
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(id), P_TEXT(action), P_TEXT(tenant_id),
                              P_TEXT(archive_sha256), P_TEXT(detail), P_TEXT(now)};
    return store_query(s, c,
                       "INSERT INTO operator_log (id, action, tenant_id, archive_sha256, detail, "
                       "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err);
}

/* Deletes the tenant's rows of every table, children first, counting them into tables. */
static int erase_tables(struct store_tx *tx, const char *tenant_id, json_t *tables,
                        int64_t *rows, struct error *err)
{
    struct store *s = store_tx_store(tx);
    struct store_conn *c = store_tx_conn(tx);
    struct table_set set;
    int rc = -1;
    if (tenant_tables(s, c, &set, err) < 0)
        return -1;
    for (size_t i = set.n; i-- > 0;) {
        char sql[SQL_MAX];
        int64_t n = 0;
        struct store_param p[] = {P_TEXT(tenant_id)};
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s", set.t[i].name, set.t[i].scope);
        if (store_query_once(s, c, sql, p, N_PARAMS(p), NULL, NULL, &n, err) < 0)
            goto out;
        *rows += n;
        if (n > 0)
            json_object_set_new(tables, set.t[i].name, json_integer((json_int_t)n));
    }
    rc = 0;
out:
    free(set.t);
    return rc;
}

int store_tenant_erase(struct store *s, const char *tenant_id, const char *archive_sha256,
                       json_t *detail, int64_t *rows, struct error *err)
{
    struct store_tx *tx = NULL;
    char now[CLOCK_RFC3339_LEN], *text = NULL;
    bool exists = false;
    json_t *tables = json_object();
    *rows = 0;
    if (!tables)
        return error_set(err, ERR_INTERNAL, "out of memory");
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(now)};
    if (store_tx_begin(s, &tx, err) < 0)
        goto fail;
    if (store_tx_query(tx, "SELECT 1 FROM tenants WHERE id = $1", p, 1, note_found, &exists,
                       NULL, err) < 0)
        goto fail;
    if (!exists) {
        error_set(err, ERR_NOT_FOUND, "no such tenant");
        goto fail;
    }
    /* First, so that the books' triggers let this transaction remove booked rows. */
    if (store_tx_query(tx,
                       "INSERT INTO tenant_erasures (tenant_id, requested_at) VALUES ($1, $2) "
                       "ON CONFLICT (tenant_id) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0 ||
        erase_tables(tx, tenant_id, tables, rows, err) < 0)
        goto fail;
    json_object_set_new(detail, "rows", json_integer((json_int_t)*rows));
    json_object_set(detail, "tables", tables);
    text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    if (oplog_insert(s, store_tx_conn(tx), STORE_OPLOG_DELETE, tenant_id, archive_sha256, text,
                     err) < 0)
        goto fail;
    free(text);
    json_decref(tables);
    return store_tx_commit(tx, err);
fail:
    store_tx_rollback(tx);
    free(text);
    json_decref(tables);
    return -1;
}

/* ---- what the tenant's books span; the schema; the operator log ---------------------------- */

struct span {
    char *first, *last;
};

static int read_span(void *ctx, const struct store_row *row)
{
    struct span *sp = ctx;
    snprintf(sp->first, 11, "%.10s", store_row_text(row, 0));
    snprintf(sp->last, 11, "%.10s", store_row_text(row, 1));
    return 0;
}

int store_tenant_books_span(struct store *s, const char *tenant_id, char first[11],
                            char last[11], struct error *err)
{
    struct span sp = {first, last};
    struct store_param p[] = {P_TEXT(tenant_id)};
    first[0] = last[0] = '\0';
    return store_run(s,
                     "SELECT MIN(d), MAX(d) FROM ("
                     "  SELECT invoice_date AS d FROM invoices WHERE tenant_id = $1"
                     "  UNION ALL"
                     "  SELECT entry_date AS d FROM journal_entries WHERE tenant_id = $1) books",
                     p, N_PARAMS(p), read_span, &sp, NULL, err);
}

static int read_int(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 0;
}

int store_schema_version(struct store *s, int64_t *version, struct error *err)
{
    *version = 0;
    return store_run(s, "SELECT MAX(version) FROM schema_migrations", NULL, 0, read_int,
                     version, NULL, err);
}

int store_operator_log_add(struct store *s, const char *action, const char *tenant_id,
                           const char *archive_sha256, const char *detail, struct error *err)
{
    struct store_conn *c = store_acquire(s);
    int rc = oplog_insert(s, c, action, tenant_id, archive_sha256, detail, err);
    store_release(s, c);
    return rc;
}

int store_operator_log_has_archive(struct store *s, const char *tenant_id, const char *sha256,
                                   bool *found, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(STORE_OPLOG_EXPORT), P_TEXT(sha256)};
    *found = false;
    return store_run(s,
                     "SELECT 1 FROM operator_log WHERE tenant_id = $1 AND action = $2 "
                     "AND archive_sha256 = $3",
                     p, N_PARAMS(p), note_found, found, NULL, err);
}

int store_tenant_row_count(struct store_tx *tx, const char *tenant_id, const char *table,
                           int64_t *n, struct error *err)
{
    int i = listed_index(table);
    char sql[SQL_MAX];
    struct store_param p[] = {P_TEXT(tenant_id)};
    *n = 0;
    if (!store_plain_identifier(table) || is_shared(table))
        return error_set(err, ERR_VALIDATION, "table %s holds no tenant data", table);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table,
             i >= 0 ? listed[i].scope : by_tenant_id);
    return store_query_once(store_tx_store(tx), store_tx_conn(tx), sql, p, N_PARAMS(p),
                            read_int, n, NULL, err);
}

int store_tenant_erasure_clear(struct store_tx *tx, const char *tenant_id, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id)};
    return store_tx_query(tx, "DELETE FROM tenant_erasures WHERE tenant_id = $1", p,
                          N_PARAMS(p), NULL, NULL, NULL, err);
}
