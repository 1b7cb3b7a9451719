/* config.c - the settings table and its three sources. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum setting_kind { SET_STRING, SET_BOOL, SET_LONG };

struct setting {
    const char *key;  /* flag without "--", file key */
    const char *env;  /* environment variable */
    enum setting_kind kind;
    size_t offset;
    const char *def;  /* NULL: unset */
    long min, max;    /* SET_LONG bounds */
    const char *help;
    unsigned scope;   /* CONFIG_FOR_*: the commands that take it as a flag */
};

#define STR(k, e, field, d, h) \
    {k, e, SET_STRING, offsetof(struct config, field), d, 0, 0, h, CONFIG_FOR_SERVE}
/* A setting the command-line tools take too (the store, the config file, the log). */
#define STR_ALL(k, e, field, d, h)                                                   \
    {k, e, SET_STRING, offsetof(struct config, field), d, 0, 0, h,                  \
     CONFIG_FOR_SERVE | CONFIG_FOR_TOOLS}
#define BOOL(k, e, field, d, h) \
    {k, e, SET_BOOL, offsetof(struct config, field), d, 0, 0, h, CONFIG_FOR_SERVE}
#define LONG(k, e, field, d, lo, hi, h) \
    {k, e, SET_LONG, offsetof(struct config, field), d, lo, hi, h, CONFIG_FOR_SERVE}

static const struct setting settings[] = {
    STR("listen", "CONNECTORD_LISTEN", listen, "127.0.0.1:8080", "address to listen on, HOST:PORT"),
    STR_ALL("db", "CONNECTORD_DB", db, "sqlite:var/connectord.db",
        "store: sqlite:PATH (embedded), or PostgreSQL (scale-out): postgres://USER:PASS@HOST:PORT/DB, postgresql://..., or libpq keywords \"host=... dbname=...\""),
    STR("public-url", "CONNECTORD_PUBLIC_URL", public_url, NULL,
        "external base URL, used in webhook URLs (default: from --listen)"),
    STR("tls-cert", "CONNECTORD_TLS_CERT", tls_cert, NULL, "PEM certificate file: serve HTTPS"),
    STR("tls-key", "CONNECTORD_TLS_KEY", tls_key, NULL, "PEM private key file for --tls-cert"),
    BOOL("dev", "CONNECTORD_DEV", dev, "false",
         "development mode: plain HTTP everywhere, generated master key, demo tenant"),
    STR_ALL("master-key-file", "CONNECTORD_MASTER_KEY_FILE", master_key_file, NULL,
        "file holding the 32-byte master key (64 hex characters); "
        "CONNECTORD_MASTER_KEY may hold the hex key itself"),
    STR_ALL("config", "CONNECTORD_CONFIG", config_file, NULL, "config file of `key = value` lines"),
    STR_ALL("log-level", "CONNECTORD_LOG_LEVEL", log_level, "info", "debug, info, warn or error"),
    STR("log-file", "CONNECTORD_LOG_FILE", log_file, NULL,
        "append the log to this file instead of stderr (reopened on SIGHUP, for log rotation)"),
    STR("trusted-proxy", "CONNECTORD_TRUSTED_PROXY", trusted_proxy, NULL,
        "comma-separated CIDRs of proxies whose X-Forwarded-Proto: https is believed"),
    STR("paypal-cert-prefix", "CONNECTORD_PAYPAL_CERT_PREFIX", paypal_cert_prefix, NULL,
        "an extra URL prefix PayPal certificates may be fetched from (besides PayPal's hosts)"),
    LONG("webhook-body-days", "CONNECTORD_WEBHOOK_BODY_DAYS", webhook_body_days, "7", 0, 3650,
         "days raw webhook bodies stay in the webhook log for debugging (0: not kept)"),
    LONG("webhook-log-days", "CONNECTORD_WEBHOOK_LOG_DAYS", webhook_log_days, "90", 1, 36500,
         "days webhook log rows are kept"),
    LONG("delivery-body-days", "CONNECTORD_DELIVERY_BODY_DAYS", delivery_body_days, "30", 1,
         36500, "days a delivery attempt keeps the request it sent and the answer's excerpt"),
    LONG("event-days", "CONNECTORD_EVENT_DAYS", event_days, "90", 1, 36500,
         "days a delivered event is kept, with its deliveries and attempts (failed and dead "
         "ones stay until replayed and delivered)"),
    LONG("chat-message-days", "CONNECTORD_CHAT_MESSAGE_DAYS", chat_message_days, "90", 1, 36500,
         "days a chat message to the accounting assistant is kept, with its reply (one still "
         "waiting for its answer stays)"),
    BOOL("allow-private-destinations", "CONNECTORD_ALLOW_PRIVATE_DESTINATIONS",
         allow_private_destinations, "false",
         "let destinations reach private, loopback and link-local addresses (--dev does too)"),
    LONG("delivery-concurrency", "CONNECTORD_DELIVERY_CONCURRENCY", delivery_concurrency, "64",
         1, 4096, "outbound deliveries in flight at most"),
    STR("retry-schedule", "CONNECTORD_RETRY_SCHEDULE", retry_schedule,
        "5s,30s,2m,10m,30m,1h,3h,6h,12h,24h", "waits before each delivery retry"),
    LONG("delivery-timeout", "CONNECTORD_DELIVERY_TIMEOUT", delivery_timeout, "15000", 100,
         600000, "milliseconds a delivery request may take"),
    LONG("delivery-connect-timeout", "CONNECTORD_DELIVERY_CONNECT_TIMEOUT",
         delivery_connect_timeout, "5000", 100, 600000, "milliseconds to connect"),
    LONG("delivery-lease", "CONNECTORD_DELIVERY_LEASE", delivery_lease, "60000", 500, 86400000,
         "milliseconds a claimed delivery is held before another worker (or this one, after "
         "a crash) may send it again; keep it above --delivery-timeout"),
    LONG("breaker-failures", "CONNECTORD_BREAKER_FAILURES", breaker_failures, "5", 1, 1000,
         "consecutive failures that pause a destination"),
    LONG("breaker-open", "CONNECTORD_BREAKER_OPEN", breaker_open, "30000", 100, 86400000,
         "milliseconds a paused destination rests before one probe"),
    LONG("disable-after", "CONNECTORD_DISABLE_AFTER", disable_after, "259200", 1, 31536000,
         "seconds of failing after which a destination is disabled"),
    BOOL("access-log", "CONNECTORD_ACCESS_LOG", access_log, "true", "one JSON line per request"),
    LONG("threads", "CONNECTORD_THREADS", threads, "0", 0, 256, "HTTP worker threads (0: one per core on SQLite, eight per core on PostgreSQL)"),
    LONG("max-body", "CONNECTORD_MAX_BODY", max_body, "1048576", 1024, 64L << 20,
         "largest request body in bytes (larger: 413)"),
    LONG("read-timeout", "CONNECTORD_READ_TIMEOUT", read_timeout, "30", 1, 3600,
         "seconds before an idle or slow connection is closed"),
    LONG("drain-timeout", "CONNECTORD_DRAIN_TIMEOUT", drain_timeout, "10000", 0, 600000,
         "milliseconds to finish requests in flight on shutdown"),
    /* The assistant's optional language model (chat/llm.c): an OpenAI-compatible
     * chat-completions endpoint; without a URL nothing leaves the server. */
    STR("llm-url", "CONNECTORD_LLM_URL", llm_url, NULL,
        "chat-completions URL of an OpenAI-compatible model for free-form chat questions"),
    STR("llm-model", "CONNECTORD_LLM_MODEL", llm_model, NULL, "the model's name for --llm-url"),
    STR("llm-key", "CONNECTORD_LLM_KEY", llm_key, NULL, "the API key (Bearer) for --llm-url"),
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* What a running server takes from a reload (SIGHUP); the others need a restart. */
static const char *const reloadable[] = {"log-level", "log-file", "access-log",
                                         "webhook-body-days", "webhook-log-days",
                                         "delivery-body-days", "event-days",
                                         "chat-message-days", "config"};

bool config_key_reloadable(const char *key)
{
    for (size_t i = 0; i < sizeof reloadable / sizeof reloadable[0]; i++)
        if (strcmp(reloadable[i], key) == 0)
            return true;
    return false;
}

static bool same_value(const struct config *a, const struct config *b, const struct setting *s)
{
    const char *pa = (const char *)a + s->offset, *pb = (const char *)b + s->offset;
    switch (s->kind) {
    case SET_STRING: {
        const char *x = *(char *const *)pa, *y = *(char *const *)pb;
        return (!x && !y) || (x && y && strcmp(x, y) == 0);
    }
    case SET_BOOL:
        return *(const bool *)pa == *(const bool *)pb;
    case SET_LONG:
        return *(const long *)pa == *(const long *)pb;
    }
    return true;
}

void config_each_changed(const struct config *a, const struct config *b,
                         void (*fn)(void *ctx, const char *key), void *ctx)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!same_value(a, b, &settings[i]))
            fn(ctx, settings[i].key);
}

static const struct setting *setting_find(const char *key)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

bool config_key_known(const char *key, unsigned scope)
{
    const struct setting *s = setting_find(key);
    return s && (s->scope & scope);
}

bool config_key_is_bool(const char *key)
{
    const struct setting *s = setting_find(key);
    return s && s->kind == SET_BOOL;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int apply(struct config *cfg, const struct setting *s, const char *value,
                 const char *origin, struct error *err)
{
    char *base = (char *)cfg;
    switch (s->kind) {
    case SET_STRING: {
        char **slot = (char **)(base + s->offset);
        char *copy = value ? strdup(value) : NULL;
        if (value && !copy)
            return error_set(err, ERR_INTERNAL, "out of memory");
        free(*slot);
        *slot = copy;
        return 0;
    }
    case SET_BOOL:
        if (parse_bool(value, (bool *)(base + s->offset)) < 0)
            return error_set(err, ERR_CONFIG,
                             "%s: %s must be true or false (or 1/0, yes/no, on/off), not '%.32s'",
                             origin, s->key, value);
        return 0;
    case SET_LONG: {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < s->min || v > s->max)
            return error_set(err, ERR_CONFIG, "%s: %s must be a number from %ld to %ld, not '%.32s'",
                             origin, s->key, s->min, s->max, value);
        *(long *)(base + s->offset) = v;
        return 0;
    }
    }
    return error_set(err, ERR_INTERNAL, "bad setting kind");
}

void config_init(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].def)
            apply(cfg, &settings[i], settings[i].def, "default", NULL);
}

void config_free(struct config *cfg)
{
    char *base = (char *)cfg;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (settings[i].kind == SET_STRING) {
            char **slot = (char **)(base + settings[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
}

int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
               struct error *err)
{
    const struct setting *s = setting_find(key);
    if (!s)
        return error_set(err, ERR_NOT_FOUND, "%s: unknown setting '%.64s'", origin, key);
    return apply(cfg, s, value, origin, err);
}

int config_load_env(struct config *cfg, struct error *err)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v && *v && apply(cfg, &settings[i], v, settings[i].env, err) < 0)
            return -1;
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int config_load_file(struct config *cfg, const char *path, struct error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return error_set(err, ERR_CONFIG, "cannot read config file %s: %s", path, strerror(errno));
    char line[4096];
    char origin[PATH_MAX + 32];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        /* A longer line would be read in pieces, and the tail of a comment taken for a
         * setting; refuse it instead. */
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n' && getc(f) != EOF) {
            rc = error_set(err, ERR_CONFIG, "%s: line is longer than %zu bytes", origin,
                           sizeof line - 2);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *text = trim(line);
        if (!*text)
            continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            rc = error_set(err, ERR_CONFIG, "%s: expected `key = value`", origin);
            break;
        }
        *eq = '\0';
        char *key = trim(text), *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        if (strcmp(key, "config") == 0) {
            rc = error_set(err, ERR_CONFIG, "%s: a config file cannot name another", origin);
            break;
        }
        rc = config_set(cfg, key, value, origin, err);
        if (rc < 0 && err && err->code == ERR_NOT_FOUND)
            err->code = ERR_CONFIG;
    }
    fclose(f);
    return rc;
}

void config_usage(FILE *out, unsigned scope)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (!(s->scope & scope))
            continue;
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s", s->key,
                 s->kind == SET_BOOL ? " [true|false]" : " VALUE");
        fprintf(out, "  %-26s %s\n  %-26s [env %s%s%s]\n", flag, s->help, "", s->env,
                s->def ? ", default " : "", s->def ? s->def : "");
    }
}
