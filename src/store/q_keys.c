/* store/q_keys.c - the master key's check value and every sealed value (see keys.h).
 *
 * Each place is read whole into memory first and written back after, so no statement
 * writes a table that an open cursor of the same connection still reads. */
#include "store/keys.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/store_int.h"

#define KEY_CHECK_NAME "master"

/* Rows of text columns, as read. */
struct text_rows {
    char **cells; /* n_rows * n_cols, NULL for SQL NULL */
    size_t n_rows, cap, n_cols;
    bool oom;
};

static int collect(void *ctx, const struct store_row *row)
{
    struct text_rows *t = ctx;
    if (t->n_rows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        char **grown = realloc(t->cells, cap * t->n_cols * sizeof *grown);
        if (!grown) {
            t->oom = true;
            return 1;
        }
        t->cells = grown;
        t->cap = cap;
    }
    char **cells = t->cells + t->n_rows * t->n_cols;
    for (size_t i = 0; i < t->n_cols; i++) {
        cells[i] = store_row_is_null(row, (int)i) ? NULL : strdup(store_row_text(row, (int)i));
        if (!store_row_is_null(row, (int)i) && !cells[i])
            t->oom = true;
    }
    t->n_rows++;
    return t->oom ? 1 : 0;
}

static void text_rows_free(struct text_rows *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
}

static int read_rows(struct store_tx *tx, const char *sql, size_t n_cols, struct text_rows *out,
                     struct error *err)
{
    *out = (struct text_rows){.n_cols = n_cols};
    if (store_tx_query(tx, sql, NULL, 0, collect, out, NULL, err) < 0)
        return -1;
    return out->oom ? error_set(err, ERR_INTERNAL, "out of memory reading sealed values") : 0;
}

/* Offers one sealed value to fn; on a replacement, *value points at it (the caller frees
 * the old one) and *changed is set. */
static int offer(store_sealed_fn fn, void *ctx, struct store_sealed *v, char **value,
                 bool *changed, struct error *err)
{
    char *replacement = NULL;
    v->sealed = *value;
    int rc = fn(ctx, v, &replacement, err);
    if (rc == 0 && replacement) {
        free(*value);
        *value = replacement;
        *changed = true;
    } else {
        free(replacement);
    }
    return rc;
}

/* connector_installs: the settings' secrets (a JSON object key -> {sealed, hint}) and the
 * webhook token. */
static int walk_installs(struct store_tx *tx, store_sealed_fn fn, void *ctx, struct error *err)
{
    struct text_rows t;
    int rc = read_rows(tx,
                       "SELECT id, tenant_id, secrets, webhook_token_sealed "
                       "FROM connector_installs ORDER BY id",
                       4, &t, err);
    for (size_t r = 0; rc == 0 && r < t.n_rows; r++) {
        char **cell = t.cells + r * 4;
        bool secrets_changed = false, token_changed = false;
        json_t *secrets = cell[2] ? json_loads(cell[2], 0, NULL) : NULL;
        struct store_sealed v = {.place = "connector_installs.secrets", .tenant_id = cell[1],
                                 .owner_id = cell[0]};
        const char *key;
        json_t *entry;
        json_object_foreach(secrets, key, entry) {
            const char *sealed = json_string_value(json_object_get(entry, "sealed"));
            if (!sealed || rc)
                continue;
            char *value = strdup(sealed);
            bool changed = false;
            v.field = key;
            rc = value ? offer(fn, ctx, &v, &value, &changed, err)
                       : error_set(err, ERR_INTERNAL, "out of memory");
            if (rc == 0 && changed) {
                json_object_set_new(entry, "sealed", json_string(value));
                secrets_changed = true;
            }
            free(value);
        }
        if (rc == 0 && cell[3]) {
            v = (struct store_sealed){.place = "connector_installs.webhook_token_sealed",
                                      .tenant_id = cell[1], .owner_id = cell[0],
                                      .field = "webhookToken"};
            rc = offer(fn, ctx, &v, &cell[3], &token_changed, err);
        }
        char *secrets_text = secrets_changed ? json_dumps(secrets, JSON_COMPACT) : NULL;
        json_decref(secrets);
        if (rc == 0 && secrets_changed && !secrets_text)
            rc = error_set(err, ERR_INTERNAL, "out of memory");
        if (rc == 0 && (secrets_changed || token_changed)) {
            struct store_param p[] = {P_TEXT(cell[0]),
                                      P_TEXT(secrets_changed ? secrets_text : cell[2]),
                                      P_TEXT(cell[3])};
            rc = store_tx_query(tx,
                                "UPDATE connector_installs SET secrets = $2, "
                                "webhook_token_sealed = $3 WHERE id = $1",
                                p, N_PARAMS(p), NULL, NULL, NULL, err);
        }
        free(secrets_text);
    }
    text_rows_free(&t);
    return rc;
}

/* A table whose rows hold sealed columns named in `fields` (column, AAD field), keyed by
 * its first column. */
struct sealed_columns {
    const char *table;
    const char *key_column;
    const char *select; /* key, tenant_id, install_id, then the sealed columns */
    const char *update; /* $1 key, then the sealed columns in the same order */
    const char *const *places;
    const char *const *fields;
    size_t n;
};

static int walk_columns(struct store_tx *tx, const struct sealed_columns *sc, store_sealed_fn fn,
                        void *ctx, struct error *err)
{
    struct text_rows t;
    size_t n_cols = 3 + sc->n;
    int rc = read_rows(tx, sc->select, n_cols, &t, err);
    for (size_t r = 0; rc == 0 && r < t.n_rows; r++) {
        char **cell = t.cells + r * n_cols;
        bool changed = false;
        for (size_t i = 0; rc == 0 && i < sc->n; i++) {
            if (!cell[3 + i])
                continue;
            struct store_sealed v = {.place = sc->places[i], .tenant_id = cell[1],
                                     .owner_id = cell[2], .field = sc->fields[i]};
            rc = offer(fn, ctx, &v, &cell[3 + i], &changed, err);
        }
        if (rc == 0 && changed) {
            struct store_param p[4] = {P_TEXT(cell[0])};
            for (size_t i = 0; i < sc->n && i < 3; i++)
                p[1 + i] = P_TEXT(cell[3 + i]);
            rc = store_tx_query(tx, sc->update, p, 1 + sc->n, NULL, NULL, NULL, err);
        }
    }
    text_rows_free(&t);
    return rc;
}

static const char *const oauth_token_places[] = {"oauth_tokens.refresh_sealed",
                                                 "oauth_tokens.access_sealed"};
static const char *const oauth_token_fields[] = {"oauth-refresh", "oauth-access"};
static const char *const oauth_state_places[] = {"oauth_states.verifier_sealed"};
static const char *const oauth_state_fields[] = {"oauth-verifier"};

static const struct sealed_columns column_places[] = {
    {"oauth_tokens", "install_id",
     "SELECT install_id, tenant_id, install_id, refresh_sealed, access_sealed "
     "FROM oauth_tokens ORDER BY install_id",
     "UPDATE oauth_tokens SET refresh_sealed = $2, access_sealed = $3 WHERE install_id = $1",
     oauth_token_places, oauth_token_fields, 2},
    {"oauth_states", "state_hash",
     "SELECT state_hash, tenant_id, install_id, verifier_sealed "
     "FROM oauth_states ORDER BY state_hash",
     "UPDATE oauth_states SET verifier_sealed = $2 WHERE state_hash = $1", oauth_state_places,
     oauth_state_fields, 1},
};

int store_sealed_each(struct store_tx *tx, store_sealed_fn fn, void *ctx, struct error *err)
{
    if (walk_installs(tx, fn, ctx, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof column_places / sizeof column_places[0]; i++)
        if (walk_columns(tx, &column_places[i], fn, ctx, err) < 0)
            return -1;
    return 0;
}

static int read_text(void *ctx, const struct store_row *row)
{
    char **out = ctx;
    *out = strdup(store_row_text(row, 0));
    return 0;
}

int store_key_check_get(struct store_tx *tx, char **sealed, struct error *err)
{
    struct store_param p[] = {P_TEXT(KEY_CHECK_NAME)};
    *sealed = NULL;
    return store_tx_query(tx, "SELECT sealed FROM store_keys WHERE name = $1", p, N_PARAMS(p),
                          read_text, sealed, NULL, err);
}

int store_key_check_put(struct store_tx *tx, const char *sealed, bool replace,
                        struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(KEY_CHECK_NAME), P_TEXT(sealed), P_TEXT(now)};
    return store_tx_query(tx,
                          replace ? "INSERT INTO store_keys (name, sealed, created_at) "
                                    "VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
                                    "sealed = excluded.sealed, created_at = excluded.created_at"
                                  : "INSERT INTO store_keys (name, sealed, created_at) "
                                    "VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                          p, N_PARAMS(p), NULL, NULL, NULL, err);
}
