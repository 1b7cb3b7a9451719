/* store/q_publishing.c - developers, platform tokens, submissions and published connectors
 * (store/publishing.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/publishing.h"
#include "store/store_int.h"

/* ---- developers and platform tokens ------------------------------------------------- */

static int read_developer(void *ctx, const struct store_row *row)
{
    struct developer *d = ctx;
    if (store_row_copy(row, 0, d->id, sizeof d->id) < 0 ||
        store_row_copy(row, 1, d->name, sizeof d->name) < 0 ||
        store_row_copy(row, 2, d->created_at, sizeof d->created_at) < 0)
        d->id[0] = '\0';
    return 1;
}

static int insert_platform_token(struct store *s, struct store_conn *c, const char *role,
                                 const char *developer_id, const char *token_hash,
                                 struct error *err)
{
    char id[CRYPTO_ID_MAX], now[CLOCK_RFC3339_LEN];
    if (crypto_id_new("ptk_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(id), P_TEXT(role), P_TEXT(developer_id),
                              P_TEXT(token_hash), P_TEXT(now)};
    return store_query(s, c,
                       "INSERT INTO platform_tokens (id, role, developer_id, token_hash, "
                       "created_at) VALUES ($1, $2, $3, $4, $5)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_developer_create(struct store *s, const char *name, const char *token_hash,
                           struct developer *out, struct error *err)
{
    struct developer d = {0};
    if (strlen(name) >= sizeof d.name)
        return error_set(err, ERR_VALIDATION, "developer name too long");
    if (crypto_id_new("dev_", d.id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    memcpy(d.name, name, strlen(name) + 1);
    clock_format_rfc3339(clock_now_ms(), d.created_at);
    struct store_param p[] = {P_TEXT(d.id), P_TEXT(d.name), P_TEXT(d.created_at)};
    struct store_conn *c = store_acquire(s);
    int rc = store_begin(s, c, err);
    if (rc == 0)
        rc = store_query(s, c,
                         "INSERT INTO developers (id, name, created_at) VALUES ($1, $2, $3)", p,
                         N_PARAMS(p), NULL, NULL, NULL, err);
    if (rc == 0)
        rc = insert_platform_token(s, c, "developer", d.id, token_hash, err);
    rc = store_end(s, c, rc, err);
    if (rc == 0 && out)
        *out = d;
    return rc;
}

int store_developer_get(struct store *s, const char *id, struct developer *out,
                        struct error *err)
{
    struct store_param p[] = {P_TEXT(id)};
    out->id[0] = '\0';
    if (store_run(s, "SELECT id, name, created_at FROM developers WHERE id = $1", p,
                  N_PARAMS(p), read_developer, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "developer not found");
}

struct developer_walk {
    int (*fn)(void *ctx, const struct developer *d);
    void *ctx;
    int rc;
};

static int walk_developer(void *ctx, const struct store_row *row)
{
    struct developer_walk *w = ctx;
    struct developer d;
    read_developer(&d, row);
    w->rc = d.id[0] ? w->fn(w->ctx, &d) : -1;
    return w->rc < 0;
}

int store_developer_list(struct store *s, int (*fn)(void *ctx, const struct developer *d),
                         void *ctx, struct error *err)
{
    struct developer_walk w = {.fn = fn, .ctx = ctx};
    if (store_run(s, "SELECT id, name, created_at FROM developers ORDER BY created_at, id",
                  NULL, 0, walk_developer, &w, NULL, err) < 0)
        return -1;
    return w.rc < 0 ? error_set(err, ERR_STORE, "a developer could not be read") : 0;
}

int store_platform_token_create(struct store *s, const char *role, const char *developer_id,
                                const char *token_hash, struct error *err)
{
    struct store_conn *c = store_acquire(s);
    int rc = insert_platform_token(s, c, role, developer_id, token_hash, err);
    store_release(s, c);
    return rc;
}

static int read_platform_token(void *ctx, const struct store_row *row)
{
    struct platform_token *t = ctx;
    if (store_row_copy(row, 0, t->id, sizeof t->id) < 0 ||
        store_row_copy(row, 1, t->role, sizeof t->role) < 0 ||
        store_row_copy(row, 2, t->developer_id, sizeof t->developer_id) < 0 ||
        store_row_copy(row, 3, t->token_hash, sizeof t->token_hash) < 0 ||
        store_row_copy(row, 4, t->last_used_at, sizeof t->last_used_at) < 0)
        t->id[0] = '\0';
    return 1;
}

int store_platform_token_find(struct store *s, const char *token_hash,
                              struct platform_token *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(token_hash)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT id, role, COALESCE(developer_id, ''), token_hash, last_used_at "
                  "FROM platform_tokens WHERE token_hash = $1",
                  p, N_PARAMS(p), read_platform_token, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "no such token");
}

int store_platform_token_touch(struct store *s, const char *id, int64_t now_ms,
                               struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    struct store_param p[] = {P_TEXT(now), P_TEXT(id)};
    return store_run(s, "UPDATE platform_tokens SET last_used_at = $1 WHERE id = $2", p,
                     N_PARAMS(p), NULL, NULL, NULL, err);
}

/* ---- submissions -------------------------------------------------------------------- */

#define SUBMISSION_COLUMNS                                                                    \
    "s.id, s.slug, s.developer_id, d.name, s.version, s.status, s.manifest, s.checks, "      \
    "s.review_reason, s.reviewed_at, s.created_at"
#define SUBMISSION_FROM " FROM connector_submissions s JOIN developers d ON d.id = s.developer_id "

void store_submission_clear(struct submission *sub)
{
    free(sub->manifest);
    free(sub->checks);
    free(sub->review_reason);
    memset(sub, 0, sizeof *sub);
}

static char *dup_or_null(const struct store_row *row, int col)
{
    if (store_row_is_null(row, col))
        return NULL;
    return strdup(store_row_text(row, col));
}

/* Fills *sub from a row (SUBMISSION_COLUMNS); with_manifest false leaves manifest NULL.
 * -1 when a column does not fit or memory ran out (sub is then cleared). */
static int read_submission(const struct store_row *row, struct submission *sub,
                           bool with_manifest)
{
    memset(sub, 0, sizeof *sub);
    if (store_row_copy(row, 0, sub->id, sizeof sub->id) < 0 ||
        store_row_copy(row, 1, sub->slug, sizeof sub->slug) < 0 ||
        store_row_copy(row, 2, sub->developer_id, sizeof sub->developer_id) < 0 ||
        store_row_copy(row, 3, sub->developer_name, sizeof sub->developer_name) < 0 ||
        store_row_copy(row, 5, sub->status, sizeof sub->status) < 0 ||
        store_row_copy(row, 9, sub->reviewed_at, sizeof sub->reviewed_at) < 0 ||
        store_row_copy(row, 10, sub->created_at, sizeof sub->created_at) < 0)
        goto fail;
    sub->version = store_row_int(row, 4);
    sub->checks = strdup(store_row_text(row, 7));
    sub->review_reason = dup_or_null(row, 8);
    if (with_manifest)
        sub->manifest = strdup(store_row_text(row, 6));
    if (!sub->checks || (with_manifest && !sub->manifest) ||
        (!store_row_is_null(row, 8) && !sub->review_reason))
        goto fail;
    return 0;
fail:
    store_submission_clear(sub);
    return -1;
}

struct submission_read {
    struct submission *out;
    bool found, failed;
};

static int read_one_submission(void *ctx, const struct store_row *row)
{
    struct submission_read *r = ctx;
    r->found = true;
    r->failed = read_submission(row, r->out, true) < 0;
    return 1;
}

static int read_int(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

struct text_read {
    char *text;
    bool found;
};

static int read_text(void *ctx, const struct store_row *row)
{
    struct text_read *t = ctx;
    t->found = true;
    t->text = strdup(store_row_text(row, 0));
    return 1;
}

int store_submission_insert(struct store *s, struct submission *sub, struct error *err)
{
    if (crypto_id_new("sub_", sub->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), sub->created_at);
    struct store_param claim[] = {P_TEXT(sub->slug), P_TEXT(sub->developer_id),
                                  P_TEXT(sub->created_at)};
    struct store_param slug[] = {P_TEXT(sub->slug)};
    struct text_read owner = {0};
    int64_t last = 0;
    struct store_conn *c = store_acquire(s);
    int rc = store_begin(s, c, err);
    /* The slug's first submitter gets it; the primary key decides between two at once. */
    if (rc == 0)
        rc = store_query(s, c,
                         "INSERT INTO connector_slugs (slug, developer_id, created_at) "
                         "VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING",
                         claim, N_PARAMS(claim), NULL, NULL, NULL, err);
    if (rc == 0)
        rc = store_query(s, c, "SELECT developer_id FROM connector_slugs WHERE slug = $1", slug,
                         N_PARAMS(slug), read_text, &owner, NULL, err);
    if (rc == 0 && (!owner.text || strcmp(owner.text, sub->developer_id) != 0))
        rc = error_set(err, ERR_CONFLICT, "the slug '%s' belongs to another developer",
                       sub->slug);
    if (rc == 0)
        rc = store_query(s, c,
                         "SELECT COALESCE(MAX(version), 0) FROM connector_submissions "
                         "WHERE slug = $1",
                         slug, N_PARAMS(slug), read_int, &last, NULL, err);
    sub->version = last + 1;
    struct store_param p[] = {P_TEXT(sub->id),       P_TEXT(sub->slug),
                              P_TEXT(sub->developer_id), P_INT(sub->version),
                              P_TEXT(sub->status),   P_TEXT(sub->manifest),
                              P_TEXT(sub->checks),   P_TEXT(sub->review_reason),
                              P_TEXT(sub->created_at)};
    /* UNIQUE (slug, version): of two versions submitted at once, one gets ERR_CONFLICT. */
    if (rc == 0)
        rc = store_query(s, c,
                         "INSERT INTO connector_submissions (id, slug, developer_id, version, "
                         "status, manifest, checks, review_reason, created_at) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                         p, N_PARAMS(p), NULL, NULL, NULL, err);
    rc = store_end(s, c, rc, err);
    free(owner.text);
    return rc;
}

int store_submission_get(struct store *s, const char *id, const char *developer_id,
                         struct submission *out, struct error *err)
{
    struct submission_read r = {.out = out};
    struct store_param p[] = {P_TEXT(id), P_TEXT(developer_id ? developer_id : "")};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT " SUBMISSION_COLUMNS SUBMISSION_FROM
                  "WHERE s.id = $1 AND ($2 = '' OR s.developer_id = $2)",
                  p, N_PARAMS(p), read_one_submission, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "submission %s could not be read", id);
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "no such submission");
}

struct submission_walk {
    int (*fn)(void *ctx, const struct submission *sub);
    void *ctx;
    bool with_manifest;
    int rc;
};

static int walk_submission(void *ctx, const struct store_row *row)
{
    struct submission_walk *w = ctx;
    struct submission sub;
    if (read_submission(row, &sub, w->with_manifest) < 0) {
        w->rc = -2;
        return 1;
    }
    w->rc = w->fn(w->ctx, &sub);
    store_submission_clear(&sub);
    return w->rc < 0;
}

static int walk_result(const struct submission_walk *w, struct error *err)
{
    if (w->rc == -2)
        return error_set(err, ERR_STORE, "a submission could not be read");
    return w->rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

int store_submission_page(struct store *s, const char *developer_id, const char *status,
                          const struct store_page *page,
                          int (*fn)(void *ctx, const struct submission *sub), void *ctx,
                          struct error *err)
{
    struct submission_walk w = {.fn = fn, .ctx = ctx, .with_manifest = true};
    struct store_param p[] = {P_TEXT(developer_id ? developer_id : ""),
                              P_TEXT(status ? status : ""),
                              P_TEXT(page->before ? page->before : "~"), P_INT(page->limit)};
    if (store_run(s,
                  "SELECT " SUBMISSION_COLUMNS SUBMISSION_FROM
                  "WHERE ($1 = '' OR s.developer_id = $1) AND ($2 = '' OR s.status = $2) "
                  "AND s.id < $3 ORDER BY s.id DESC LIMIT $4",
                  p, N_PARAMS(p), walk_submission, &w, NULL, err) < 0)
        return -1;
    return walk_result(&w, err);
}

int store_submission_versions(struct store *s, const char *slug,
                              int (*fn)(void *ctx, const struct submission *sub), void *ctx,
                              struct error *err)
{
    struct submission_walk w = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(slug)};
    if (store_run(s,
                  "SELECT " SUBMISSION_COLUMNS SUBMISSION_FROM
                  "WHERE s.slug = $1 ORDER BY s.version",
                  p, N_PARAMS(p), walk_submission, &w, NULL, err) < 0)
        return -1;
    return walk_result(&w, err);
}

int store_submission_review(struct store_tx *tx, const char *id, const char *status,
                            const char *reason, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(status), P_TEXT(reason), P_TEXT(now), P_TEXT(id)};
    struct store_param q[] = {P_TEXT(id)};
    struct text_read current = {0};
    int64_t changed = 0;
    if (store_tx_query(tx,
                       "UPDATE connector_submissions SET status = $1, review_reason = $2, "
                       "reviewed_at = $3 WHERE id = $4 AND status = 'pending_review'",
                       p, N_PARAMS(p), NULL, NULL, &changed, err) < 0)
        return -1;
    if (changed)
        return 0;
    if (store_tx_query(tx, "SELECT status FROM connector_submissions WHERE id = $1", q,
                       N_PARAMS(q), read_text, &current, NULL, err) < 0)
        return -1;
    int rc = current.found ? error_set(err, ERR_CONFLICT,
                                       "the submission is %s, not pending review",
                                       current.text ? current.text : "?")
                           : error_set(err, ERR_NOT_FOUND, "no such submission");
    free(current.text);
    return rc;
}

/* ---- published connectors ------------------------------------------------------------ */

#define PUBLISHED_COLUMNS                                                                     \
    "p.slug, p.version, p.submission_id, p.is_published, s.developer_id, d.name, "          \
    "p.published_at, p.unpublished_at, s.manifest"
#define PUBLISHED_FROM                                                                        \
    " FROM published_connectors p JOIN connector_submissions s ON s.id = p.submission_id "   \
    "JOIN developers d ON d.id = s.developer_id "

void store_published_clear(struct published_connector *p)
{
    free(p->manifest);
    memset(p, 0, sizeof *p);
}

static int read_published(const struct store_row *row, struct published_connector *p)
{
    memset(p, 0, sizeof *p);
    if (store_row_copy(row, 0, p->slug, sizeof p->slug) < 0 ||
        store_row_copy(row, 2, p->submission_id, sizeof p->submission_id) < 0 ||
        store_row_copy(row, 4, p->developer_id, sizeof p->developer_id) < 0 ||
        store_row_copy(row, 5, p->developer_name, sizeof p->developer_name) < 0 ||
        store_row_copy(row, 6, p->published_at, sizeof p->published_at) < 0 ||
        store_row_copy(row, 7, p->unpublished_at, sizeof p->unpublished_at) < 0)
        return -1;
    p->version = store_row_int(row, 1);
    p->is_published = store_row_int(row, 3) != 0;
    p->manifest = strdup(store_row_text(row, 8));
    return p->manifest ? 0 : -1;
}

int store_published_put(struct store_tx *tx, const struct submission *sub, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(sub->slug), P_INT(sub->version), P_TEXT(sub->id),
                              P_TEXT(now)};
    return store_tx_query(tx,
                          "INSERT INTO published_connectors (slug, version, submission_id, "
                          "is_published, published_at) VALUES ($1, $2, $3, 1, $4) "
                          "ON CONFLICT (slug) DO UPDATE SET version = excluded.version, "
                          "submission_id = excluded.submission_id, is_published = 1, "
                          "published_at = excluded.published_at, unpublished_at = NULL "
                          "WHERE published_connectors.version < excluded.version",
                          p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct published_read {
    struct published_connector *out;
    bool found, failed;
};

static int read_one_published(void *ctx, const struct store_row *row)
{
    struct published_read *r = ctx;
    r->found = true;
    r->failed = read_published(row, r->out) < 0;
    return 1;
}

int store_published_get(struct store *s, const char *slug, struct published_connector *out,
                        struct error *err)
{
    struct published_read r = {.out = out};
    struct store_param p[] = {P_TEXT(slug)};
    memset(out, 0, sizeof *out);
    if (store_run(s, "SELECT " PUBLISHED_COLUMNS PUBLISHED_FROM "WHERE p.slug = $1", p,
                  N_PARAMS(p), read_one_published, &r, NULL, err) < 0)
        return -1;
    if (r.failed) {
        store_published_clear(out);
        return error_set(err, ERR_STORE, "published connector %s could not be read", slug);
    }
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "no published connector '%s'", slug);
}

struct published_walk {
    int (*fn)(void *ctx, const struct published_connector *p);
    void *ctx;
    int rc;
};

static int walk_published(void *ctx, const struct store_row *row)
{
    struct published_walk *w = ctx;
    struct published_connector p;
    if (read_published(row, &p) < 0) {
        store_published_clear(&p);
        w->rc = -2;
        return 1;
    }
    w->rc = w->fn(w->ctx, &p);
    store_published_clear(&p);
    return w->rc < 0;
}

int store_published_list(struct store *s,
                         int (*fn)(void *ctx, const struct published_connector *p), void *ctx,
                         struct error *err)
{
    struct published_walk w = {.fn = fn, .ctx = ctx};
    if (store_run(s, "SELECT " PUBLISHED_COLUMNS PUBLISHED_FROM "ORDER BY p.slug", NULL, 0,
                  walk_published, &w, NULL, err) < 0)
        return -1;
    if (w.rc == -2)
        return error_set(err, ERR_STORE, "a published connector could not be read");
    return w.rc < 0 ? -1 : 0;
}

int store_published_manifest(struct store *s, const char *slug, int64_t version, char **out,
                             struct error *err)
{
    struct text_read t = {0};
    struct store_param p[] = {P_TEXT(slug), P_INT(version)};
    *out = NULL;
    if (store_run(s,
                  "SELECT manifest FROM connector_submissions "
                  "WHERE slug = $1 AND version = $2 AND status = 'approved'",
                  p, N_PARAMS(p), read_text, &t, NULL, err) < 0)
        return -1;
    if (!t.found)
        return error_set(err, ERR_NOT_FOUND, "no approved version %lld of '%s'",
                         (long long)version, slug);
    if (!t.text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *out = t.text;
    return 0;
}

int store_published_withdraw(struct store *s, const char *slug, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(now), P_TEXT(slug)};
    struct store_param q[] = {P_TEXT(slug)};
    int64_t changed = 0, exists = 0;
    if (store_run(s,
                  "UPDATE published_connectors SET is_published = 0, unpublished_at = $1 "
                  "WHERE slug = $2 AND is_published = 1",
                  p, N_PARAMS(p), NULL, NULL, &changed, err) < 0)
        return -1;
    if (changed)
        return 0;
    if (store_run(s, "SELECT COUNT(*) FROM published_connectors WHERE slug = $1", q,
                  N_PARAMS(q), read_int, &exists, NULL, err) < 0)
        return -1;
    return exists ? error_set(err, ERR_CONFLICT, "'%s' is unpublished already", slug)
                  : error_set(err, ERR_NOT_FOUND, "no published connector '%s'", slug);
}

/* ---- installs of outside connectors ------------------------------------------------- */

struct behind_walk {
    int (*fn)(void *ctx, const char *id, const char *tenant_id, const char *config,
              const char *secrets);
    void *ctx;
    int rc;
};

static int walk_behind(void *ctx, const struct store_row *row)
{
    struct behind_walk *w = ctx;
    w->rc = w->fn(w->ctx, store_row_text(row, 0), store_row_text(row, 1),
                  store_row_text(row, 2), store_row_text(row, 3));
    return w->rc < 0;
}

int store_installs_behind(struct store_tx *tx, const char *slug, int64_t version,
                          int (*fn)(void *ctx, const char *id, const char *tenant_id,
                                    const char *config, const char *secrets),
                          void *ctx, struct error *err)
{
    struct behind_walk w = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(slug), P_INT(version)};
    if (store_tx_query(tx,
                       "SELECT id, tenant_id, config, secrets FROM connector_installs "
                       "WHERE slug = $1 AND is_destination = 0 AND manifest_version < $2 "
                       "ORDER BY id",
                       p, N_PARAMS(p), walk_behind, &w, NULL, err) < 0)
        return -1;
    return w.rc < 0 ? -1 : 0;
}

int store_install_move_version(struct store_tx *tx, const char *tenant_id,
                               const char *install_id, int64_t version, struct error *err)
{
    char now[CLOCK_RFC3339_LEN], payload[2 * CRYPTO_ID_MAX + 2];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_INT(version), P_TEXT(now), P_TEXT(tenant_id),
                              P_TEXT(install_id)};
    if (store_tx_query(tx,
                       "UPDATE connector_installs SET manifest_version = $1, updated_at = $2, "
                       "version = version + 1 WHERE tenant_id = $3 AND id = $4",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    snprintf(payload, sizeof payload, "%s/%s", tenant_id, install_id);
    return store_notify_tx(tx, STORE_CHANNEL_INSTALLS, payload, err);
}
