/* store/keys.h - what the store keeps under the master key (q_keys.c): the key's check value
 * and every sealed secret, for `connectord keys rotate`, the start-up check and `store
 * restore`. Conventions as in store/store.h.
 *
 * A sealed value is bound (AES-GCM's additional data) to "tenant/owner/field"; the walk
 * hands each one over with those three parts, so a caller can open it and seal it again
 * under another key. This file is the one list of where sealed values live: a column that
 * starts holding them is added to store_sealed_each here. */
#ifndef CONNECTORD_STORE_KEYS_H
#define CONNECTORD_STORE_KEYS_H

#include <stdbool.h>

#include "core/error.h"
#include "store/store.h"

struct store_sealed {
    const char *place;     /* "connector_installs.secrets", "oauth_tokens.refresh_sealed" */
    const char *tenant_id; /* the additional data: tenant_id/owner_id/field */
    const char *owner_id;  /* the install (or destination) the secret belongs to */
    const char *field;     /* "webhookToken", "oauth-refresh", a setting's key */
    const char *sealed;    /* "v1." + base64url */
};

/* fn sees one sealed value; it may set *replacement to a new sealed text (malloc'd; the
 * walk frees it) to have it written in its place. A non-zero return stops the walk and is
 * returned. */
typedef int (*store_sealed_fn)(void *ctx, const struct store_sealed *v, char **replacement,
                               struct error *err);

/* Every sealed value of the store, inside tx (rows are read first, then written back). */
int store_sealed_each(struct store_tx *tx, store_sealed_fn fn, void *ctx, struct error *err);

/* The key's check value: *sealed a malloc'd copy, or NULL when the store has none yet. */
int store_key_check_get(struct store_tx *tx, char **sealed, struct error *err);
/* Writes it: replace=false keeps one that is already there (two processes starting at once
 * on a new store both write; the first one's stays). */
int store_key_check_put(struct store_tx *tx, const char *sealed, bool replace,
                        struct error *err);

#endif
