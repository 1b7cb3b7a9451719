/* config.h - connectord's settings: one table gives every setting its --flag, its
 * CONNECTORD_* environment variable, its config-file key, its default and its check.
 *
 * Precedence: command-line flag > environment > config file (--config FILE, lines of
 * `key = value`, '#' comments) > default. */
#ifndef CONNECTORD_CONFIG_H
#define CONNECTORD_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"

struct config {
    char *listen;
    char *db;
    char *public_url;
    char *tls_cert;
    char *tls_key;
    char *master_key_file;
    char *config_file;
    char *log_level;
    char *log_file;
    char *trusted_proxy;
    char *paypal_cert_prefix;
    char *retry_schedule;
    char *llm_url;   /* the assistant's model (chat/llm.c); NULL: none */
    char *llm_model;
    char *llm_key;
    bool dev;
    bool access_log;
    long threads;
    long max_body;
    long read_timeout;
    long drain_timeout;
    long webhook_body_days;
    long webhook_log_days;
    long delivery_body_days;
    long event_days;
    long chat_message_days;
    bool allow_private_destinations;
    long delivery_concurrency;
    long delivery_timeout;
    long delivery_connect_timeout;
    long delivery_lease;
    long breaker_failures;
    long breaker_open;
    long disable_after;
};

void config_init(struct config *cfg);
void config_free(struct config *cfg);

/* Sets one setting by key ("listen", "max-body", ...) from text; validates it. `origin`
 * names where the value came from, for the error message. ERR_CONFIG on a bad value,
 * ERR_NOT_FOUND when the key is unknown. */
int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
               struct error *err);
/* Which commands take a setting as a flag: the server all of them, the command-line tools
 * those of the store, the config file and the log (every command reads the environment and
 * the config file whole, so one file serves them all). */
#define CONFIG_FOR_SERVE 0x1u
#define CONFIG_FOR_TOOLS 0x2u
bool config_key_known(const char *key, unsigned scope);
bool config_key_is_bool(const char *key);

int config_load_env(struct config *cfg, struct error *err);

/* Whether a running server applies a new value of key at a reload (SIGHUP): the log's level
 * and file, the access log, the retention periods. */
bool config_key_reloadable(const char *key);
/* Calls fn with the key of every setting whose value differs between a and b. */
void config_each_changed(const struct config *a, const struct config *b,
                         void (*fn)(void *ctx, const char *key), void *ctx);
int config_load_file(struct config *cfg, const char *path, struct error *err);

/* Two lines per setting of scope: flag and help, then env and default. */
void config_usage(FILE *out, unsigned scope);

#endif
