/* publishing/publishing.c - submissions, their automated checks, review and publication of
 * outside connectors (publishing.h says what an outside connector may be and why). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "inbound/declarative.h"
#include "publishing/publishing.h"
#include "store/installs.h"

#define REASON_MAX 2000 /* bytes of a reviewer's reason or comment */

/* ---- manifests ------------------------------------------------------------------------ */

void publishing_manifest_clear(struct outside_manifest *om)
{
    json_decref(om->doc);
    catalog_manifest_free(om->m);
    memset(om, 0, sizeof *om);
}

/* Parses a stored manifest (it passed the checks when it was submitted; a later, stricter
 * schema may refuse it, which the caller hears as ERR_VALIDATION). */
static int manifest_parse(const char *text, int64_t version, struct outside_manifest *out,
                          struct error *err)
{
    json_t *errors = NULL;
    memset(out, 0, sizeof *out);
    out->doc = json_loads(text, 0, NULL);
    if (!out->doc)
        return error_set(err, ERR_STORE, "a stored manifest is not JSON");
    if (catalog_manifest_parse(out->doc, &out->m, &errors, err) < 0) {
        json_decref(errors);
        publishing_manifest_clear(out);
        return -1;
    }
    out->version = version;
    return 0;
}

int publishing_manifest_load(struct store *s, const char *slug, int64_t version,
                             struct outside_manifest *out, struct error *err)
{
    char *text = NULL;
    memset(out, 0, sizeof *out);
    if (store_published_manifest(s, slug, version, &text, err) < 0)
        return -1;
    int rc = manifest_parse(text, version, out, err);
    free(text);
    return rc;
}

void publishing_connector_clear(struct outside_connector *oc)
{
    store_published_clear(&oc->row);
    publishing_manifest_clear(&oc->manifest);
}

int publishing_find(struct store *s, const char *slug, struct outside_connector *out,
                    struct error *err)
{
    memset(out, 0, sizeof *out);
    if (store_published_get(s, slug, &out->row, err) < 0)
        return -1;
    if (manifest_parse(out->row.manifest, out->row.version, &out->manifest, err) < 0) {
        publishing_connector_clear(out);
        return -1;
    }
    return 0;
}

struct list_ctx {
    int (*fn)(void *ctx, const struct outside_connector *oc);
    void *ctx;
};

static int list_one(void *ctx, const struct published_connector *p)
{
    struct list_ctx *l = ctx;
    struct outside_connector oc = {.row = *p};
    struct error err = {0};
    if (manifest_parse(p->manifest, p->version, &oc.manifest, &err) < 0) {
        log_warn("outside connector %s version %lld is skipped: %s", p->slug,
                 (long long)p->version, err.message);
        return 0;
    }
    int rc = l->fn(l->ctx, &oc);
    publishing_manifest_clear(&oc.manifest); /* the row is the store's walk's */
    return rc;
}

int publishing_list(struct store *s, int (*fn)(void *ctx, const struct outside_connector *oc),
                    void *ctx, struct error *err)
{
    struct list_ctx l = {.fn = fn, .ctx = ctx};
    return store_published_list(s, list_one, &l, err);
}

/* ---- the automated checks -------------------------------------------------------------- */

static int check_add(json_t *checks, const char *name, bool ok, const char *message)
{
    return json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", name, "ok", ok,
                                                   "message", message));
}

bool publishing_checks_passed(const json_t *checks)
{
    size_t i;
    const json_t *c;
    if (!json_is_array(checks))
        return false;
    json_array_foreach(checks, i, c)
        if (!json_is_true(json_object_get(c, "ok")))
            return false;
    return true;
}

/* The slug: a catalog slug's shape, never a built-in's. "" in slug when the manifest names
 * none. Whether another developer has it, the store decides (store_submission_insert). */
static bool check_slug(const json_t *doc, json_t *checks, char slug[STORE_SLUG_MAX])
{
    const char *s = json_string_value(json_object_get(doc, "slug"));
    char message[160];
    size_t len = s ? strlen(s) : 0;
    bool ok = len >= 2 && len < STORE_SLUG_MAX && s[0] != '-';
    for (size_t i = 0; ok && i < len; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
    slug[0] = '\0';
    if (!ok) {
        check_add(checks, "slug", false,
                  "the manifest needs a slug of 2 to 47 lowercase letters, digits and '-'");
        return false;
    }
    if (catalog_find(s)) {
        snprintf(message, sizeof message, "'%s' is a built-in connector's slug", s);
        check_add(checks, "slug", false, message);
        return false;
    }
    memcpy(slug, s, len + 1);
    check_add(checks, "slug", true, "the slug is free");
    return true;
}

/* What only an outside connector must be: a webhook connector with a webhook block that
 * names no built-in code and no API block (both would run more than its manifest). The
 * schema and the manifest rules are the evaluator's "schema" check (declarative_check runs
 * catalog_manifest_parse, the one validation of every manifest). */
static void check_kind(const json_t *doc, json_t *checks)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (!kind || strcmp(kind, "webhook") != 0 || json_object_get(doc, "builtin") ||
        json_object_get(doc, "api") || !json_is_object(json_object_get(doc, "webhook")))
        check_add(checks, "kind", false,
                  "an outside connector is a webhook connector with a webhook block, and names "
                  "no built-in handler and no api block");
    else
        check_add(checks, "kind", true, "a webhook connector described by its manifest alone");
}

/* Every check, in a stable order: size, JSON, slug, kind, then the declarative evaluator's
 * (the schema and manifest rules, limits, secrets, URLs, samples). Returns the checks (new) or NULL when
 * memory ran out; *doc_out the parsed manifest (NULL when not JSON). */
static json_t *run_checks(const char *text, size_t len, json_t **doc_out,
                          char slug[STORE_SLUG_MAX])
{
    json_t *checks = json_array(), *doc = NULL;
    char message[160];
    *doc_out = NULL;
    slug[0] = '\0';
    if (!checks)
        return NULL;
    bool small = len <= DECLARATIVE_MANIFEST_MAX;
    snprintf(message, sizeof message, "%zu bytes (at most %d)", len, DECLARATIVE_MANIFEST_MAX);
    check_add(checks, "size", small, message);
    if (!small)
        return checks;
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    check_add(checks, "json", json_is_object(doc),
              json_is_object(doc) ? "a JSON object" : "the manifest is not a JSON object");
    if (!json_is_object(doc)) {
        json_decref(doc);
        return checks;
    }
    *doc_out = doc;
    if (!check_slug(doc, checks, slug))
        return checks;
    check_kind(doc, checks);
    json_t *more = declarative_check(text, len);
    if (!more || json_array_extend(checks, more) < 0) {
        json_decref(more);
        json_decref(checks);
        json_decref(doc);
        *doc_out = NULL;
        return NULL;
    }
    json_decref(more);
    return checks;
}

json_t *publishing_checks(const char *text, size_t len, char slug[STORE_SLUG_MAX])
{
    json_t *doc = NULL;
    json_t *checks = run_checks(text, len, &doc, slug);
    json_decref(doc);
    return checks;
}

int publishing_submit(struct store *s, const char *developer_id, const char *text, size_t len,
                      struct submission *out, json_t **checks_out, struct error *err)
{
    json_t *doc = NULL;
    char slug[STORE_SLUG_MAX];
    int rc = -1;
    memset(out, 0, sizeof *out);
    *checks_out = NULL;
    json_t *checks = run_checks(text, len, &doc, slug);
    if (!checks)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (!slug[0]) {
        error_set(err, ERR_VALIDATION, "the manifest was refused before review: %s",
                  json_string_value(json_object_get(
                      json_array_get(checks, json_array_size(checks) - 1), "message")));
        goto out;
    }
    snprintf(out->slug, sizeof out->slug, "%s", slug);
    snprintf(out->developer_id, sizeof out->developer_id, "%s", developer_id);
    snprintf(out->status, sizeof out->status, "%s",
             publishing_checks_passed(checks) ? "pending_review" : "changes_requested");
    out->manifest = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    out->checks = json_dumps(checks, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!out->manifest || !out->checks) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (store_submission_insert(s, out, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(doc);
    if (rc < 0) {
        store_submission_clear(out);
        *checks_out = checks;
    } else {
        json_decref(checks);
    }
    return rc;
}

/* ---- review -------------------------------------------------------------------------- */

bool publishing_config_fits(const struct connector_manifest *m, const char *config,
                            const char *secrets)
{
    json_t *plain = json_loads(config, 0, NULL), *sealed = json_loads(secrets, 0, NULL);
    json_t *errors = NULL;
    struct error err = {0};
    /* The stored plain values given again as the change: each is checked against the new
     * schema (a field gone, a type or pattern changed), secrets must still be stored. */
    bool fits = plain && sealed &&
                catalog_config_validate(m, plain, plain, sealed, &errors, &err) == 0;
    json_decref(errors);
    json_decref(plain);
    json_decref(sealed);
    return fits;
}

struct move_ctx {
    struct store_tx *tx;
    const char *by;
    const struct connector_manifest *m;
    struct publishing_approval *out;
    struct error *err;
};

static int move_install(void *ctx, const char *id, const char *tenant_id, const char *config,
                        const char *secrets)
{
    struct move_ctx *mv = ctx;
    if (!publishing_config_fits(mv->m, config, secrets)) {
        mv->out->installs_waiting++;
        return 0;
    }
    mv->out->installs_moved++;
    /* The tenant's audit log says who moved its install, as for its own changes. */
    struct audit_entry audit = {.token_id = mv->by, .action = "connector.version_update",
                                .target = mv->m->slug, .fields = "[\"manifestVersion\"]"};
    if (store_tx_audit(mv->tx, tenant_id, &audit, mv->err) < 0)
        return -1;
    return store_install_move_version(mv->tx, tenant_id, id, mv->out->version, mv->err);
}

static int reason_check(const char *reason, bool required, struct error *err)
{
    if (!reason)
        return required ? error_set(err, ERR_INVALID_FIELD, "'reason' is required") : 0;
    size_t len = strlen(reason);
    if ((required && len == 0) || len > REASON_MAX)
        return error_set(err, ERR_INVALID_FIELD, "'reason' must be 1 to %d bytes", REASON_MAX);
    return 0;
}

int publishing_approve(struct store *s, const char *id, const char *comment, const char *by,
                       struct publishing_approval *out, struct error *err)
{
    struct submission sub;
    struct outside_manifest om = {0};
    struct store_tx *tx = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (reason_check(comment, false, err) < 0 || store_submission_get(s, id, NULL, &sub, err) < 0)
        return -1;
    if (manifest_parse(sub.manifest, sub.version, &om, err) < 0)
        goto out;
    out->version = sub.version;
    if (store_tx_begin(s, &tx, err) < 0)
        goto out;
    struct move_ctx mv = {.tx = tx, .by = by, .m = om.m, .out = out, .err = err};
    if (store_submission_review(tx, id, "approved", comment, err) < 0 ||
        store_published_put(tx, &sub, err) < 0 ||
        store_installs_behind(tx, sub.slug, sub.version, move_install, &mv, err) < 0)
        goto out;
    rc = store_tx_commit(tx, err);
    tx = NULL;
out:
    store_tx_rollback(tx);
    publishing_manifest_clear(&om);
    store_submission_clear(&sub);
    return rc;
}

int publishing_reject(struct store *s, const char *id, const char *reason, struct error *err)
{
    struct store_tx *tx = NULL;
    if (reason_check(reason, true, err) < 0 || store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_submission_review(tx, id, "rejected", reason, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    return store_tx_commit(tx, err);
}

int publishing_unpublish(struct store *s, const char *slug, struct error *err)
{
    return store_published_withdraw(s, slug, err);
}
