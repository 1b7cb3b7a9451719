/* store/oauth.h - the store's OAuth grants of installs and pending consent states
 * (q_oauth.c, migration 16). Only oauth/ calls these; tokens arrive and leave sealed (the
 * store never sees a token in clear). Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_OAUTH_H
#define CONNECTORD_STORE_OAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

struct oauth_grant {
    char tenant_id[CRYPTO_ID_MAX];
    char install_id[CRYPTO_ID_MAX];
    char *refresh_sealed; /* owned; NULL when none */
    char *access_sealed;  /* owned; NULL when none (never fetched, or invalidated) */
    char expires_at[CLOCK_RFC3339_LEN]; /* "" with access_sealed NULL */
    char scope[512];
    char source_hash[2 * CRYPTO_SHA256_LEN + 1]; /* "" for a grant from the consent flow */
    int64_t generation;
    char updated_at[CLOCK_RFC3339_LEN];
};
void store_oauth_grant_clear(struct oauth_grant *g);

/* The install's grant (ERR_NOT_FOUND when it has none). */
int store_oauth_get(struct store *s, const char *tenant_id, const char *install_id,
                    struct oauth_grant *out, struct error *err);

/* Makes sure the grant exists and was seeded from the credential whose SHA-256 is
 * source_hash (the install's refreshToken or key setting): inserts it, or, when the stored
 * grant came from another credential (the setting was changed), replaces its tokens.
 * refresh_sealed may be NULL (a service-account key: no refresh token). */
int store_oauth_seed(struct store *s, const char *tenant_id, const char *install_id,
                     const char *refresh_sealed, const char *source_hash, struct error *err);

/* Stores what a finished consent flow obtained, replacing any earlier grant. */
int store_oauth_connect(struct store *s, const char *tenant_id, const char *install_id,
                        const char *refresh_sealed, const char *access_sealed,
                        const char *expires_at, const char *scope, struct error *err);

/* Takes the install's refresh lease for lease_id until until_ms, when nobody holds it (or
 * the holder's lease ran out). *taken says whether this caller now holds it. */
int store_oauth_lease(struct store *s, const char *tenant_id, const char *install_id,
                      const char *lease_id, int64_t now_ms, int64_t until_ms, bool *taken,
                      struct error *err);
/* Stores refreshed tokens and gives the lease back, only while lease_id holds it
 * (ERR_CONFLICT when it lost the lease: another process may refresh meanwhile).
 * refresh_sealed NULL keeps the stored refresh token. */
int store_oauth_refreshed(struct store *s, const char *tenant_id, const char *install_id,
                          const char *lease_id, const char *refresh_sealed,
                          const char *access_sealed, const char *expires_at, const char *scope,
                          struct error *err);
/* Gives the lease back without storing anything (the refresh failed). */
int store_oauth_release(struct store *s, const char *tenant_id, const char *install_id,
                        const char *lease_id, struct error *err);
/* Forgets the access token; the refresh token stays. No grant: nothing to do (0). */
int store_oauth_invalidate(struct store *s, const char *tenant_id, const char *install_id,
                           struct error *err);

/* ---- consent states ------------------------------------------------------------------ */

struct oauth_state {
    char tenant_id[CRYPTO_ID_MAX];
    char install_id[CRYPTO_ID_MAX];
    char *verifier_sealed; /* owned; NULL without PKCE */
    char redirect_uri[1024];
    char expires_at[CLOCK_RFC3339_LEN];
};
void store_oauth_state_clear(struct oauth_state *st);

/* Records a started consent flow, found later by the SHA-256 (hex) of its state; states
 * that expired before now_at are swept on the way. */
int store_oauth_state_insert(struct store *s, const char *state_hash,
                             const struct oauth_state *st, const char *now_at,
                             struct error *err);
/* Takes (reads and deletes, in one statement) the state: a second take of the same state
 * finds nothing (ERR_NOT_FOUND), so a state is used once even under concurrent callbacks.
 * The caller checks expires_at. */
int store_oauth_state_take(struct store *s, const char *state_hash, struct oauth_state *out,
                           struct error *err);

#endif
