/* sync/manifest.h - the declarative connector manifests (the JSON files of connectors/, compiled in):
 * what the sync engine needs to pull from a service without C code of its own: how to
 * authenticate, what to look up first, which request to page through and how, where the
 * records are and how each maps to the common time entry, and the service's limits.
 *
 * The build checked every manifest against the format's JSON Schema (served at
 * GET /api/schemas/connector-manifest.json), so the engine reads a manifest's api block as
 * the schema describes it. Manifests are parsed once, on first use, and live as long as the
 * process; every function here is thread-safe. */
#ifndef CONNECTORD_SYNC_MANIFEST_H
#define CONNECTORD_SYNC_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum sync_auth_type { SYNC_AUTH_HEADER, SYNC_AUTH_BASIC, SYNC_AUTH_OAUTH2 };

/* An OAuth 2 authorization-code service's endpoints and which of the install's settings
 * hold the client's id and secret (the oauth module reads these). */
struct sync_oauth2 {
    const char *authorize_url;
    const char *token_url;
    const char *scopes; /* space-separated, "" when none */
    const char *client_id_setting;
    const char *client_secret_setting;
};

struct sync_manifest {
    const char *slug;
    const char *name;
    bool available;             /* false: no API the engine can call (the reason says why) */
    const char *reason;         /* why it is unavailable, or NULL */
    enum sync_auth_type auth;
    struct sync_oauth2 oauth2;  /* SYNC_AUTH_OAUTH2 only */
    const json_t *api;          /* the api block as written (borrowed, never freed) */
};

/* The manifest of a connector, or NULL when it has none (not a pulling connector). */
const struct sync_manifest *sync_manifest_find(const char *slug);
/* Every manifest with an api block, in catalog order. */
const struct sync_manifest *sync_manifest_at(size_t i); /* NULL past the end */
/* The format's JSON Schema as text (NUL-terminated). */
const char *sync_manifest_schema(void);

#endif
