/* catalog/catalog.h - the registry of every connector type connectord knows.
 *
 * A connector is a manifest: a JSON document (one file per connector in connectors/, the
 * built-in ones compiled in) checked against one JSON Schema
 * (connectors/schema/connector-manifest.json, served at
 * GET /api/schemas/connector-manifest.json). It carries the catalog entry (slug, name,
 * kind, category, the lowest plan that may install it, an auth label, the webhook setup
 * text and events), the settings schema, and what the connector does: the built-in handler
 * it names (a payment provider of inbound/, a destination of outbound/), the sync engine's
 * api block, or the blocks other modules read from the document itself.
 * catalog_manifest_parse() is the one validation for built-in and outside manifests; the
 * catalog is the built-in manifests, parsed with it once at startup, in the order of
 * connectors/catalog.list. Fields every payment connector shares (autoPost, direction,
 * accounts, defaultSupplierId), the apiBaseUrl override and the sync schedule are added by
 * capability flags (the manifest's "caps"), defined once in fields.c, not repeated.
 *
 * settings.c validates a tenant's config against a schema (field-level errors), splits it
 * into plain values and secrets, and masks secrets for display. */
#ifndef CONNECTORD_CATALOG_H
#define CONNECTORD_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

enum setting_type {
    SETTING_STRING,
    SETTING_SECRET, /* a string, encrypted at rest, never returned (masked) */
    SETTING_URL,    /* http(s) URL; with SETTING_SENSITIVE it is stored like a secret */
    SETTING_BOOL,
    SETTING_INT,
    SETTING_ENUM,
    SETTING_STRING_LIST,
};

#define SETTING_REQUIRED 0x1u
#define SETTING_SENSITIVE 0x2u /* any type: encrypted at rest and masked (a webhook URL) */
/* A required credential that the provider hands out only once the connector's webhook URL
 * is registered there (Stripe's whsec_, PayPal's webhook ID): the install may leave it out
 * and then awaits it; webhooks to an awaiting install are answered 503 until it is saved. */
#define SETTING_AWAITABLE 0x4u

struct setting_field {
    const char *key;   /* "webhookSecret" */
    const char *label; /* "Webhook signing secret" */
    enum setting_type type;
    unsigned flags;
    const char *default_value;  /* JSON text of the default ("false", "\"expense\""), or NULL */
    const char *const *allowed; /* SETTING_ENUM: NULL-terminated list */
    const char *pattern;        /* POSIX extended regex the whole value must match, or NULL */
    const char *format;         /* the pattern in words ("4 to 8 digits"); set with pattern */
    long min, max;              /* SETTING_INT bounds (both 0: unbounded) */
    const char *help;
};

enum connector_kind { KIND_WEBHOOK, KIND_API, KIND_HYBRID, KIND_DESTINATION };

#define CATALOG_CAP_PAYMENT 0x1u      /* adds the payment booking fields */
#define CATALOG_CAP_API_BASE_URL 0x2u /* adds the optional apiBaseUrl override */
#define CATALOG_CAP_SYNC 0x4u /* pulls on a schedule (sync/): adds syncIntervalMinutes */

struct connector_manifest {
    const char *slug;
    const char *name;
    const char *description;
    enum connector_kind kind;
    const char *category;  /* seed 000: payments, accounting, communication, productivity;
                              seed 001: communication, analytics, automation, monitoring,
                              data, crm, accounting */
    const char *min_plan;  /* "starter", "pro", "business", "enterprise" */
    const char *auth_label;
    const char *webhook_setup; /* where, at the provider, the webhook URL is registered and
                                  which events to choose (webhook kinds; NULL: not known) */
    const struct setting_field *fields; /* the connector's own fields */
    size_t n_fields;
    unsigned caps;
    /* Payment connectors: the provider's event types to enable at the provider, as the
     * provider names them, exactly those its file in inbound/providers/ books (settles,
     * fails or refunds); NULL-terminated. NULL for the others. */
    const char *const *webhook_events;
    /* The built-in code that runs it ("builtin" in the manifest), by its registry's name:
     * a payment provider (inbound/providers.def) or a destination
     * (outbound/destinations.def); NULL when it names none. */
    const char *builtin_provider;
    const char *builtin_destination;
    /* The manifest as parsed: its own copy, which every string above points into and which
     * lives as long as the manifest. Blocks the catalog does not interpret (the sync
     * engine's "api", a declarative webhook) are read from here. */
    const json_t *doc;
    struct catalog_manifest_store *store; /* private: what the manifest owns */
};

/* ---- manifests (manifest.c) ---------------------------------------------------------- */

/* Validates a connector manifest and builds its runtime form. The checks: the JSON Schema
 * (types, required members, enums, patterns, limits), then what a schema cannot say (a
 * setting key used twice or by a shared field, a default that does not fit its field, a
 * pattern that does not compile or is too costly to compile (nested repetition counts,
 * back-references), min above max, webhook members on a connector without webhooks, a
 * handler of the wrong kind or name). Whether a named handler exists is the registry's
 * check (catalog_check_handlers); an outside manifest should name none. doc is not kept
 * (the manifest takes a copy).
 * On success returns 0 and *out, owned by the caller (catalog_manifest_free). A refused
 * manifest returns -1 with err ERR_VALIDATION and *errors a new JSON array of
 * {"pointer": "/settings/2/default", "message": "..."}, every problem found (at most 50);
 * other failures return -1 with err and *errors NULL. Thread-safe. */
int catalog_manifest_parse(const json_t *doc, struct connector_manifest **out, json_t **errors,
                           struct error *err);
void catalog_manifest_free(struct connector_manifest *m); /* NULL is fine */
/* The manifest format's JSON Schema as text (NUL-terminated, static). */
const char *catalog_manifest_schema(void);

/* ---- the catalog (registry.c) --------------------------------------------------------- */

/* Parses the built-in manifests once (later calls return the first answer). Fails, with the
 * manifest and its problems in err, when one is refused: a build defect, the server must
 * not start. catalog_all() and catalog_find() call it on first use. */
int catalog_init(struct error *err);

/* The built-in handlers there are, by registry: the startup check that every manifest's
 * builtin names one, and that every one of them has a manifest naming it. */
struct catalog_handlers {
    const char *const *providers; /* provider slugs, n_providers of them */
    size_t n_providers;
    const char *const *destinations;
    size_t n_destinations;
};
/* 0 when manifests and handlers match; else -1, ERR_INTERNAL, the first mismatch in err. */
int catalog_check_handlers(const struct catalog_handlers *h, struct error *err);

/* The table: the built-in manifests in catalog order (connectors/catalog.list), parsed by
 * catalog_manifest_parse; an array that lives as long as the process. */
const struct connector_manifest *catalog_all(size_t *count);
const struct connector_manifest *catalog_find(const char *slug); /* NULL when unknown */
const char *catalog_kind_name(enum connector_kind kind);         /* "webhook", ... */
bool catalog_kind_has_webhook(enum connector_kind kind);         /* webhook and hybrid */

/* The whole schema of a connector: its own fields, then the shared ones its caps add.
 * Returns the i-th field or NULL past the end. */
const struct setting_field *catalog_field_at(const struct connector_manifest *m, size_t i);
const struct setting_field *catalog_field_find(const struct connector_manifest *m,
                                               const char *key);
bool catalog_field_is_secret(const struct setting_field *f);

/* The schema as JSON for the API: [{key, label, type, required, secret, awaitable,
 * default, allowed, pattern, format, expected, min, max, help}]; `expected` is what a value
 * must be, in words, as the field errors say it. */
json_t *catalog_schema_json(const struct connector_manifest *m);

/* What a value of f must be, in words: "one of: expense, revenue", "4 to 8 digits",
 * "a whole number from 4 to 8". Writes at most size bytes (cut on a character boundary). */
void catalog_field_expected(const struct setting_field *f, char *out, size_t size);

/* Validates `config` (a JSON object) as a change to the stored values prev_plain and
 * prev_secrets (both may be NULL: a new install). A field left out keeps its stored value;
 * a field given as null (or "", []) is reset to its default, which for a required field
 * without a default is an error unless the field is awaitable. On failure returns -1,
 * err = ERR_VALIDATION, and *field_errors a new JSON array of {field, code, message}
 * (codes: required, unknown_field, wrong_type, invalid_url, not_allowed, pattern_mismatch,
 * out_of_range); each message says what is expected. */
int catalog_config_validate(const struct connector_manifest *m, const json_t *config,
                            const json_t *prev_plain, const json_t *prev_secrets,
                            json_t **field_errors, struct error *err);

/* Null, "" for text fields and [] for lists: the value says "none" (reset to default). */
bool catalog_value_empty(const struct setting_field *f, const json_t *v);
/* Absent, or "" for a secret (a form's empty password box): the stored value stays. */
bool catalog_value_left_out(const struct setting_field *f, const json_t *v);

/* Whether the stored config still lacks an awaitable credential: the install answers
 * webhooks 503 until it is saved. plain and secrets as stored (may be NULL). */
bool catalog_config_awaiting(const struct connector_manifest *m, const json_t *plain,
                             const json_t *secrets);

/* ---- config as stored and shown (config.c) ------------------------------------------ */

/* Builds the stored form of a validated config. Secrets given are sealed under `key` bound
 * to "<aad_prefix>/<field>" (aad_prefix is "<tenant id>/<connector id>"). A field left out
 * keeps its value from prev_plain / prev_secrets (both may be NULL), or takes its default
 * when there is none; a field given as null ("", []) takes its default (a secret: none).
 * changed_out lists the keys whose stored value changed (a given secret counts as
 * changed). Three new references on success. */
int catalog_config_store(const struct connector_manifest *m, const json_t *input,
                         const json_t *prev_plain, const json_t *prev_secrets,
                         const unsigned char key[32], const char *aad_prefix,
                         json_t **plain_out, json_t **secrets_out, json_t **changed_out,
                         struct error *err);
/* The config as the API shows it: plain values and secrets masked. New reference. */
json_t *catalog_config_view(const struct connector_manifest *m, const json_t *plain,
                            const json_t *secrets);
/* Decrypts one stored secret into out. */
struct buf;
int catalog_secret_open(const json_t *secrets, const char *field, const unsigned char key[32],
                        const char *aad_prefix, struct buf *out, struct error *err);

#endif
