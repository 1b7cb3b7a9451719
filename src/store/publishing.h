/* store/publishing.h - outside connectors in the store (q_publishing.c): developers and the
 * platform's tokens (operator, developer), slugs given to developers, submissions (one per
 * version of a slug) with their checks and review, and the published connectors that every
 * tenant's catalog lists. None of these rows belongs to a tenant. Conventions as in
 * store/store.h. */
#ifndef CONNECTORD_STORE_PUBLISHING_H
#define CONNECTORD_STORE_PUBLISHING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

struct developer {
    char id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX];
    char created_at[CLOCK_RFC3339_LEN];
};

#define STORE_PLATFORM_ROLE_MAX 16

struct platform_token {
    char id[CRYPTO_ID_MAX];
    char role[STORE_PLATFORM_ROLE_MAX]; /* "operator", "developer" */
    char developer_id[CRYPTO_ID_MAX];   /* "" for the operator */
    char token_hash[2 * CRYPTO_SHA256_LEN + 1];
    char last_used_at[CLOCK_RFC3339_LEN]; /* "" when never used */
};

/* A developer and its first token (stored by hash) in one transaction; out is filled. */
int store_developer_create(struct store *s, const char *name, const char *token_hash,
                           struct developer *out, struct error *err);
int store_developer_get(struct store *s, const char *id, struct developer *out,
                        struct error *err);
/* Calls fn for every developer, oldest first. */
int store_developer_list(struct store *s, int (*fn)(void *ctx, const struct developer *d),
                         void *ctx, struct error *err);
/* A platform token by hash; developer_id NULL for the operator. */
int store_platform_token_create(struct store *s, const char *role, const char *developer_id,
                                const char *token_hash, struct error *err);
int store_platform_token_find(struct store *s, const char *token_hash,
                              struct platform_token *out, struct error *err);
int store_platform_token_touch(struct store *s, const char *id, int64_t now_ms,
                               struct error *err);

/* ---- submissions ------------------------------------------------------------------- */

#define STORE_SUBMISSION_STATUS_MAX 24

struct submission {
    char id[CRYPTO_ID_MAX];
    char slug[STORE_SLUG_MAX];
    char developer_id[CRYPTO_ID_MAX];
    char developer_name[STORE_NAME_MAX];
    int64_t version; /* 1, 2, ... per slug */
    char status[STORE_SUBMISSION_STATUS_MAX]; /* pending_review, changes_requested,
                                                 approved, rejected */
    char *manifest;      /* JSON text as submitted; owned */
    char *checks;        /* JSON array of the automated checks' results; owned */
    char *review_reason; /* the reviewer's words, or NULL; owned */
    char reviewed_at[CLOCK_RFC3339_LEN]; /* "" when not reviewed */
    char created_at[CLOCK_RFC3339_LEN];
};

void store_submission_clear(struct submission *sub);

/* Gives sub->slug to sub->developer_id when no developer has it yet and stores the
 * submission as the slug's next version, in one transaction (id, version and created_at
 * are filled in). ERR_CONFLICT when another developer has the slug. */
int store_submission_insert(struct store *s, struct submission *sub, struct error *err);
/* One submission (ERR_NOT_FOUND when none; developer_id, when not NULL, must be its
 * developer's, else ERR_NOT_FOUND too). */
int store_submission_get(struct store *s, const char *id, const char *developer_id,
                         struct submission *out, struct error *err);
/* A page of submissions, newest first: one developer's (developer_id), or all (NULL);
 * status NULL for every status. The submission passed to fn lives during the call. */
int store_submission_page(struct store *s, const char *developer_id, const char *status,
                          const struct store_page *page,
                          int (*fn)(void *ctx, const struct submission *sub), void *ctx,
                          struct error *err);
/* Calls fn for each version of a slug, oldest first (fn's submission lives during the
 * call; its manifest is not read: NULL). */
int store_submission_versions(struct store *s, const char *slug,
                              int (*fn)(void *ctx, const struct submission *sub), void *ctx,
                              struct error *err);

/* Inside tx: a pending submission becomes `status` (approved, rejected) with the reason
 * (may be NULL). ERR_NOT_FOUND when there is no such submission, ERR_CONFLICT when it is
 * not pending review. */
int store_submission_review(struct store_tx *tx, const char *id, const char *status,
                            const char *reason, struct error *err);

/* ---- published connectors ----------------------------------------------------------- */

struct published_connector {
    char slug[STORE_SLUG_MAX];
    int64_t version;
    char submission_id[CRYPTO_ID_MAX];
    bool is_published; /* false: unpublished, kept for the installs that have it */
    char developer_id[CRYPTO_ID_MAX];
    char developer_name[STORE_NAME_MAX];
    char published_at[CLOCK_RFC3339_LEN];
    char unpublished_at[CLOCK_RFC3339_LEN]; /* "" while published */
    char *manifest; /* the JSON of `version`; owned */
};

void store_published_clear(struct published_connector *p);

/* Inside tx: the slug is published at the approved submission's version (a first
 * publication, a new version, or a connector published again after it was withdrawn);
 * nothing changes when a later version is published already. */
int store_published_put(struct store_tx *tx, const struct submission *sub, struct error *err);
/* One published (or unpublished) connector with its current manifest (ERR_NOT_FOUND). */
int store_published_get(struct store *s, const char *slug, struct published_connector *out,
                        struct error *err);
/* Every published or unpublished connector, by slug; fn's connector lives during the call. */
int store_published_list(struct store *s,
                         int (*fn)(void *ctx, const struct published_connector *p), void *ctx,
                         struct error *err);
/* The manifest of an approved version of a slug; *out is the caller's (ERR_NOT_FOUND). */
int store_published_manifest(struct store *s, const char *slug, int64_t version, char **out,
                             struct error *err);
/* Marks it unpublished (ERR_NOT_FOUND when not published, ERR_CONFLICT when already
 * unpublished). */
int store_published_withdraw(struct store *s, const char *slug, struct error *err);

/* Inside tx: calls fn for every install of slug (any tenant) whose manifest_version is
 * below `version`, with its id, tenant, stored config and secrets (JSON texts). */
int store_installs_behind(struct store_tx *tx, const char *slug, int64_t version,
                          int (*fn)(void *ctx, const char *id, const char *tenant_id,
                                    const char *config, const char *secrets),
                          void *ctx, struct error *err);
/* Inside tx: the install now runs `version` of its outside connector (announced to every
 * process like any change of an install). */
int store_install_move_version(struct store_tx *tx, const char *tenant_id,
                               const char *install_id, int64_t version, struct error *err);

#endif
