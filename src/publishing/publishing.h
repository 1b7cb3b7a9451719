/* publishing/publishing.h - outside connectors: a developer submits a manifest, automated
 * checks run at once, the operator approves or rejects, and an approved version is in every
 * tenant's catalog until it is unpublished.
 *
 * An outside connector is a webhook connector described by its manifest alone (the same
 * format and the same validation as a built-in's, catalog_manifest_parse; its webhook block
 * evaluated by inbound/declarative.h): it names no built-in handler and no API block, so
 * nothing in it runs code or reaches another host. Each submission is one version of its
 * slug; a slug belongs to the developer who first submitted it and is never a built-in's.
 * A tenant's install runs the version it was installed or last updated at; an approved
 * version moves every install whose stored config it still accepts, the others wait for
 * their admin's input (PUT config).
 *
 * Published connectors are read from the store whenever they are needed (never cached), so
 * every process sees a publication, a new version or a withdrawal at its next request. */
#ifndef CONNECTORD_PUBLISHING_H
#define CONNECTORD_PUBLISHING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "core/error.h"
#include "store/publishing.h"

/* A manifest of an outside connector, parsed: its JSON and its runtime form. */
struct outside_manifest {
    json_t *doc;                  /* owned */
    struct connector_manifest *m; /* owned (catalog_manifest_free) */
    int64_t version;              /* the published version it is */
};
void publishing_manifest_clear(struct outside_manifest *om);
/* The manifest of an approved version of slug (ERR_NOT_FOUND when there is none). */
int publishing_manifest_load(struct store *s, const char *slug, int64_t version,
                             struct outside_manifest *out, struct error *err);

/* A published (or unpublished) connector with its current version's manifest. */
struct outside_connector {
    struct published_connector row;
    struct outside_manifest manifest;
};
void publishing_connector_clear(struct outside_connector *oc);
/* ERR_NOT_FOUND when no outside connector has this slug. */
int publishing_find(struct store *s, const char *slug, struct outside_connector *out,
                    struct error *err);
/* Calls fn for every published or unpublished outside connector, by slug (the connector
 * lives during the call); a manifest that no longer parses is skipped with a log line. */
int publishing_list(struct store *s, int (*fn)(void *ctx, const struct outside_connector *oc),
                    void *ctx, struct error *err);

/* A developer submits a manifest (JSON text of len bytes): the automated checks run, and
 * the submission is stored as the slug's next version, pending review when every check
 * passed, else changes_requested. *out is the stored submission (clear it). Refused before
 * anything is stored (-1, *checks_out a new array of the checks that ran, or NULL):
 * ERR_VALIDATION when the text is no manifest naming a slug of its own (a built-in's slug
 * too), ERR_CONFLICT when another developer has the slug. */
int publishing_submit(struct store *s, const char *developer_id, const char *text, size_t len,
                      struct submission *out, json_t **checks_out, struct error *err);

/* What an approval did to the installs of the connector. */
struct publishing_approval {
    int64_t version;
    int installs_moved;   /* now on this version */
    int installs_waiting; /* their config does not fit it: they wait for input */
};
/* The operator approves a pending submission: published at its version (unless a later
 * version is published already), installs moved as above (each with a record in its
 * tenant's audit log by the token `by`), all in one transaction. comment may be NULL.
 * ERR_NOT_FOUND, ERR_CONFLICT (not pending review). */
int publishing_approve(struct store *s, const char *id, const char *comment, const char *by,
                       struct publishing_approval *out, struct error *err);
/* The operator rejects a pending submission with a reason (required). */
int publishing_reject(struct store *s, const char *id, const char *reason, struct error *err);
/* Withdraws a published connector: not installable any more; installs keep working. */
int publishing_unpublish(struct store *s, const char *slug, struct error *err);

/* Whether a tenant's stored config (plain values and sealed secrets, JSON texts) is one
 * that manifest m accepts as it is. */
bool publishing_config_fits(const struct connector_manifest *m, const char *config,
                            const char *secrets);

/* The automated checks of a manifest alone (no store: whether another developer has the
 * slug is the submission's to find out): a new array of {"check", "ok", "message"}, NULL
 * when memory ran out; slug receives the manifest's own slug, or "" when it names none
 * that an outside connector may have. Thread-safe. */
json_t *publishing_checks(const char *text, size_t len, char slug[STORE_SLUG_MAX]);

/* The checks' results as the API shows them ({"check", "ok", "message"} each) pass? */
bool publishing_checks_passed(const json_t *checks);

#endif
