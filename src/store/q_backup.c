/* store/q_backup.c - a copy of a running store and its description (see backup.h). */
#include "store/backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int store_vacuum_into(struct store *s, const char *path, struct error *err)
{
    if (strcmp(store_backend_name(s), "sqlite") != 0)
        return error_set(err, ERR_CONFIG,
                         "store backup copies SQLite stores; back up PostgreSQL with its own "
                         "tools (pg_dump --format=custom, or pg_basebackup for the cluster), "
                         "as docs/operating.md shows");
    struct store_param p[] = {P_TEXT(path)};
    return store_run(s, "VACUUM INTO $1", p, N_PARAMS(p), NULL, NULL, NULL, err);
}

static int read_count(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 0;
}

static int add_head(void *ctx, const struct store_row *row)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:I, s:s}", "tenantId",
                                         store_row_text(row, 0), "chain", store_row_text(row, 1),
                                         "seq", (json_int_t)store_row_int(row, 2), "hash",
                                         store_row_text(row, 3)));
    return 0;
}

static bool has_table(const struct store_names *names, const char *name)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->v[i], name) == 0)
            return true;
    return false;
}

int store_describe(struct store *s, json_t **out, struct error *err)
{
    struct store_names names = {0};
    json_t *tables = json_object(), *heads = json_array();
    int64_t version = 0, unknown = 0;
    struct store_conn *c = store_acquire(s);
    int rc = store_begin(s, c, err);
    bool open = rc == 0;
    if (rc == 0)
        rc = store_schema_read(s, c, &version, &unknown, err);
    if (rc == 0)
        rc = store_table_names(s, c, &names, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char sql[160];
        int64_t rows = 0;
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", names.v[i]);
        rc = store_query_once(s, c, sql, NULL, 0, read_count, &rows, NULL, err);
        json_object_set_new(tables, names.v[i], json_integer(rows));
    }
    if (rc == 0 && has_table(&names, "chain_heads"))
        rc = store_query(s, c,
                         "SELECT tenant_id, chain, seq, hash FROM chain_heads "
                         "ORDER BY tenant_id, chain",
                         NULL, 0, add_head, heads, NULL, err);
    if (open)
        store_rollback(s, c);
    store_release(s, c);
    free(names.v);
    if (rc < 0) {
        json_decref(tables);
        json_decref(heads);
        return -1;
    }
    *out = json_pack("{s:I, s:o, s:o}", "schemaVersion", (json_int_t)version, "tables", tables,
                     "chainHeads", heads);
    return *out ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}
