/* main.c - the command line: a table of subcommands, each with its own flags on top of the
 * shared settings (config.h), and the start and stop of the server.
 *
 * Exit codes: 0 success, 1 failure (the message says why), 2 usage error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "api/api.h"
#include "backup/backup.h"
#include "cli_connector.h"
#include "api/openapi.h"
#include "auth/auth.h"
#include "catalog/catalog.h"
#include "chat/chat.h"
#include "config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/crypto.h"
#include "events/events.h"
#include "core/fx.h"
#include "http/http.h"
#include "invoicing/invoicing.h"
#include "ledger/ledger.h"
#include "pipeline/pipeline.h"
#include "inbound/provider.h"
#include "outbound/destination.h"
#include "oauth/oauth.h"
#include "outbound/engine.h"
#include "httpc/httpc.h"
#include "jobs/jobs.h"
#include "keys/keys.h"
#include "settings/settings.h"
#include "store/books.h"
#include "store/copy.h"
#include "store/installs.h"
#include "store/store.h"
#include "sync/sync.h"
#include "tenancy/tenancy.h"

#define DEV_MASTER_KEY_PATH "var/master.key"

struct option {
    const char *name;   /* without "--" */
    const char **value; /* where the value goes */
    const char *help;
};

#define MAX_OPTIONS 5

struct command {
    const char *name; /* one word, or a group and a subcommand: "tenant create" */
    const char *summary;
    int (*run)(struct config *cfg, const char **values);
    unsigned settings; /* CONFIG_FOR_*: which settings it takes as flags */
    struct option options[MAX_OPTIONS];
};

static int cmd_serve(struct config *cfg, const char **values);
static int cmd_migrate(struct config *cfg, const char **values);
static int cmd_tenant_create(struct config *cfg, const char **values);
static int cmd_tenant_list(struct config *cfg, const char **values);
static int cmd_token_create(struct config *cfg, const char **values);
static int cmd_daily_summary(struct config *cfg, const char **values);
static int cmd_export_datev(struct config *cfg, const char **values);
static int cmd_tenant_export(struct config *cfg, const char **values);
static int cmd_tenant_import(struct config *cfg, const char **values);
static int cmd_tenant_delete(struct config *cfg, const char **values);
static int cmd_books_verify(struct config *cfg, const char **values);
static int cmd_rates_import(struct config *cfg, const char **values);
static int cmd_store_copy(struct config *cfg, const char **values);
static int cmd_store_backup(struct config *cfg, const char **values);
static int cmd_store_restore(struct config *cfg, const char **values);
static int cmd_keys_rotate(struct config *cfg, const char **values);

/* A setting given on the command line, kept for a reload (which reads the file again). */
struct pending_flag {
    const char *key; /* points into argv or name copies below */
    const char *value;
};
static const struct pending_flag *given_flags;
static size_t n_given_flags;
static int cmd_operator_token_create(struct config *cfg, const char **values);
static int cmd_developer_create(struct config *cfg, const char **values);
static int cmd_developer_token_create(struct config *cfg, const char **values);
static int cmd_routes(struct config *cfg, const char **values);

/* The values of command-specific options, by position in the command's option list, and
 * the positional argument of a command that takes one. */
static const char *opt_values[MAX_OPTIONS];
static const char *arg_value;

static int cmd_connector_validate(struct config *cfg, const char **values)
{
    (void)cfg;
    (void)values;
    return cli_connector_validate(arg_value);
}

static int cmd_connector_test(struct config *cfg, const char **values)
{
    (void)cfg;
    (void)values;
    return cli_connector_test(arg_value);
}
/* How this program was started (argv[0]), for commands it suggests. */
static const char *program = "connectord";

static const struct command commands[] = {
    {"serve", "run the HTTP server (migrates the store first)", cmd_serve, CONFIG_FOR_SERVE,
     {{0}}},
    {"migrate", "apply pending store migrations and exit", cmd_migrate, CONFIG_FOR_TOOLS, {{0}}},
    {"tenant create", "create a tenant and print {\"tenantId\", \"token\"} (a new admin token)",
     cmd_tenant_create, CONFIG_FOR_TOOLS,
     {{"name", &opt_values[0], "the tenant's name (required)"},
      {"plan", &opt_values[1], "starter|pro|business|enterprise (required)"}}},
    {"tenant list",
     "print every tenant, oldest first: one JSON object per line {\"id\", \"name\", \"plan\", "
     "\"createdAt\"}, or a table",
     cmd_tenant_list, CONFIG_FOR_TOOLS,
     {{"format", &opt_values[0], "json (one object per line, the default) or table"}}},
    {"tenant export",
     "write the archive of all of a tenant's data (JSON lines, see README) and print "
     "{\"file\", \"sha256\", \"rows\", \"bytes\"}",
     cmd_tenant_export, CONFIG_FOR_TOOLS,
     {{"tenant", &opt_values[0], "the tenant id (required)"},
      {"out", &opt_values[1], "the file to write (required; - for standard output)"}}},
    {"tenant import", "load a tenant archive into this store (the tenant must not exist in it)",
     cmd_tenant_import, CONFIG_FOR_TOOLS,
     {{"in", &opt_values[0], "the archive to read (required)"}}},
    {"tenant delete",
     "remove every row of a tenant; refused while its books are inside the legal retention "
     "period, unless --force names the SHA-256 of its archive",
     cmd_tenant_delete, CONFIG_FOR_TOOLS,
     {{"tenant", &opt_values[0], "the tenant id (required)"},
      {"force", &opt_values[1], "the SHA-256 that tenant export printed for its archive"}}},
    {"token create", "create an API token for a tenant and print {\"token\"}", cmd_token_create,
     CONFIG_FOR_TOOLS,
     {{"tenant", &opt_values[0], "the tenant id (required; see tenant list)"},
      {"role", &opt_values[1], "admin|member (required)"},
      {"name", &opt_values[2], "what the token is for, as GET /api/tokens lists it"},
      {"read-only", &opt_values[3], "true: reads only (needs --name); default false"},
      {"expires", &opt_values[4], "RFC 3339 time it stops working (needs --name); default never"}}},
    {"operator token create",
     "create a token for the platform's operator (reviews and publishes outside connectors) "
     "and print {\"token\"}",
     cmd_operator_token_create, CONFIG_FOR_TOOLS, {{0}}},
    {"developer create",
     "create a connector developer and print {\"developerId\", \"token\"} (its first token)",
     cmd_developer_create, CONFIG_FOR_TOOLS,
     {{"name", &opt_values[0], "the developer's name, shown as the publisher (required)"}}},
    {"developer token",
     "create another token for a developer and print {\"token\"}",
     cmd_developer_token_create, CONFIG_FOR_TOOLS,
     {{"developer", &opt_values[0], "the developer id (required)"}}},
    {"events daily-summary",
     "emit revenue.daily_summary for a day (default: yesterday), once per tenant and day",
     cmd_daily_summary, CONFIG_FOR_TOOLS,
     {{"date", &opt_values[0], "the local day, YYYY-MM-DD (default: yesterday)"},
      {"tenant", &opt_values[1], "only this tenant (default: all)"}}},
    {"export datev",
     "write a tenant's bookings of a period as a DATEV EXTF Buchungsstapel file (as GET "
     "/api/exports/datev does)",
     cmd_export_datev, CONFIG_FOR_TOOLS,
     {{"tenant", &opt_values[0], "the tenant id (required)"},
      {"from", &opt_values[1], "first day, YYYY-MM-DD (required)"},
      {"to", &opt_values[2], "last day, YYYY-MM-DD (required)"},
      {"out", &opt_values[3], "the file to write (required; - for standard output)"}}},
    {"books verify",
     "recompute a tenant's hash chains (journal, audit) and print the result as GET "
     "/api/ledger/verify does; exit 1 when a row does not match",
     cmd_books_verify, CONFIG_FOR_TOOLS,
     {{"tenant", &opt_values[0], "the tenant id (required)"}}},
    {"rates import",
     "load the ECB's euro reference rates from FILE (eurofxref.csv, eurofxref-hist.csv or "
     "their XML), keep new and corrected days, then rate and post the invoices that waited "
     "for a rate; prints {\"rates\", \"new\", \"unchanged\", \"updated\", \"skipped\", "
     "\"rated\", \"posted\", \"stillMissing\", \"failed\"}",
     cmd_rates_import, CONFIG_FOR_TOOLS, {{0}}},
    {"store copy",
     "copy every table of a STOPPED store into an EMPTY one (migrated to the same schema "
     "first) in one transaction, checked before it commits (row counts, every journal entry "
     "balanced, every tenant's hash chains); SQLite to PostgreSQL, back, or SQLite to SQLite. "
     "Prints {\"from\", \"to\", \"schemaVersion\", \"tables\", \"rows\", "
     "\"tenants\", \"journalEntries\", \"chainRows\", \"ms\"}. Exit 3: refused, nothing "
     "written (source in use or at another schema version, target not empty); exit 1: the "
     "copy failed and was rolled back",
     cmd_store_copy, 0,
     {{"from", &opt_values[0], "the store to copy: sqlite:PATH or postgres://... (required)"},
      {"to", &opt_values[1], "the empty store to fill: postgres://... or sqlite:PATH "
                             "(required)"}}},
    {"store backup",
     "copy the SQLite store (running or stopped; writers wait a moment at most) to FILE and "
     "write FILE.manifest.json beside it: schema version, rows per table, the books' chain "
     "heads, the file's SHA-256; prints the manifest. PostgreSQL: use pg_dump or "
     "pg_basebackup (docs/operating.md)",
     cmd_store_backup, CONFIG_FOR_TOOLS,
     {{"out", &opt_values[0], "the backup file to write (required; must not exist)"}}},
    {"store restore",
     "check a backup against its manifest (SHA-256, schema version, row counts, chain heads, "
     "every tenant's hash chains, every secret opening with the configured master key), then "
     "put it in place as the store --db names (a path that must not exist); prints "
     "{\"from\", \"to\", \"schemaVersion\", \"rows\", \"tenants\", \"chainRows\", "
     "\"secrets\"}. Exit 3: refused, nothing written",
     cmd_store_restore, CONFIG_FOR_TOOLS,
     {{"from", &opt_values[0], "the backup file (its FILE.manifest.json beside it; required)"}}},
    {"keys rotate",
     "re-seal every secret of the STOPPED store under a new master key, in one transaction; "
     "then start connectord with --master-key-file FILE. Prints {\"secrets\"}. Exit 3: "
     "refused, nothing changed",
     cmd_keys_rotate, CONFIG_FOR_TOOLS,
     {{"new-key-file", &opt_values[0],
       "the new key: 64 hex characters (required; make one with: head -c 32 /dev/urandom | "
       "od -An -tx1 | tr -d ' \\n' > FILE)"}}},
    /* connector developers (issue 17): see cli_connector.c */
    {"connector validate",
     "run the automated checks of a connector manifest FILE (schema, secrets, URLs, limits, "
     "each sample verified and mapped, each sample with one byte changed refused) and print "
     "each as {\"check\", \"ok\", \"message\"}, one per line; exit 1 when one fails",
     cmd_connector_validate, 0, {{0}}},
    {"connector test",
     "run the samples of a connector manifest FILE through the pipeline (verify, parse, "
     "book) for a scratch tenant in a scratch store, in a transaction that is rolled back, "
     "and print what each would have booked; exit 1 when one fails",
     cmd_connector_test, 0, {{0}}},
    {"routes",
     "print the routing table, one JSON object per route: {\"method\", \"path\" (OpenAPI-style, "
     "/api/x/{id}), \"role\" (none, member, admin), \"query\"} (what GET /api/openapi.json must "
     "describe)",
     cmd_routes, 0, {{0}}},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* The commands that take one positional argument, and its name for the usage. */
static const struct {
    const char *command;
    const char *name;
} arguments[] = {
    {"rates import", "FILE"},
    {"connector validate", "FILE"},
    {"connector test", "FILE"},
};

static const char *argument_of(const struct command *c)
{
    for (size_t i = 0; i < sizeof arguments / sizeof arguments[0]; i++)
        if (strcmp(arguments[i].command, c->name) == 0)
            return arguments[i].name;
    return NULL;
}

/* The length of a command's group word ("tenant" of "tenant create"); 0 for one word. */
static size_t group_len(const struct command *c)
{
    const char *space = strchr(c->name, ' ');
    return space ? (size_t)(space - c->name) : 0;
}

static bool in_group(const struct command *c, const char *group)
{
    size_t n = group_len(c);
    return n && strlen(group) == n && strncmp(c->name, group, n) == 0;
}

static void usage_all(FILE *out)
{
    fprintf(out, "usage: connectord COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-22s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  connectord COMMAND --help   the options of one command\n"
                 "  connectord GROUP --help     the commands of a group (tenant, token, events, "
                 "export, books, rates, store, keys, connector, operator, developer)\n"
                 "  connectord --version\n");
}

static void usage_group(FILE *out, const char *group)
{
    fprintf(out, "usage: connectord %s SUBCOMMAND [OPTIONS]\n\nsubcommands:\n", group);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (in_group(&commands[i], group))
            fprintf(out, "  %-22s %s\n", commands[i].name + group_len(&commands[i]) + 1,
                    commands[i].summary);
    fprintf(out, "\n  connectord %s SUBCOMMAND --help   the options of one\n", group);
}

static void usage_command(FILE *out, const struct command *c)
{
    fprintf(out, "usage: connectord %s [OPTIONS]%s%s\n\n%s\n\n", c->name,
            argument_of(c) ? " " : "", argument_of(c) ? argument_of(c) : "", c->summary);
    if (c->options[0].name) {
        fprintf(out, "options:\n");
        for (size_t i = 0; i < MAX_OPTIONS && c->options[i].name; i++) {
            char flag[64];
            snprintf(flag, sizeof flag, "--%s VALUE", c->options[i].name);
            fprintf(out, "  %-26s %s\n", flag, c->options[i].help);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "settings (flag > environment > config file > default; --config FILE may hold "
                 "any setting):\n");
    config_usage(out, c->settings);
}

/* ---- shared setup --------------------------------------------------------------------- */

/* The settings from the config file, the environment and the command line, in that order
 * (a flag wins over the environment, which wins over the file; the file may be named by a
 * flag or by the environment). At start, and again at a reload. ERR_VALIDATION: a flag's
 * value is wrong. */
static int build_config(struct config *cfg, struct error *err)
{
    const char *config_path = getenv("CONNECTORD_CONFIG");
    for (size_t i = 0; i < n_given_flags; i++)
        if (strcmp(given_flags[i].key, "config") == 0)
            config_path = given_flags[i].value;
    if (config_path && *config_path && config_load_file(cfg, config_path, err) < 0)
        return -1;
    if (config_load_env(cfg, err) < 0)
        return -1;
    for (size_t i = 0; i < n_given_flags; i++)
        if (config_set(cfg, given_flags[i].key, given_flags[i].value, "command line", err) < 0) {
            err->code = ERR_VALIDATION;
            return -1;
        }
    return 0;
}

static void apply_log_level(const struct config *cfg)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(cfg->log_level, names[i]) == 0)
            log_set_level((enum log_level)i);
}

/* Whether a stop signal waits (they are blocked and taken by sigtimedwait in serve's loop):
 * lets a long periodic job end early instead of holding up the stop. */
static bool stop_pending(void)
{
    sigset_t pending;
    return sigpending(&pending) == 0 &&
           (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}

/* Who hears the store's announcements: the delivery engine and the webhooks' cache. */
struct store_hearers {
    struct engine *engine;
    struct pipeline_cache *cache;
};

/* An announcement of this process, on the thread whose transaction made it, as it commits:
 * the webhooks' cache forgets what changed before the writer answers (ctx: the cache). */
static void on_own_notice(void *ctx, enum store_channel channel, const char *payload)
{
    pipeline_cache_heard(ctx, channel, payload);
}

/* An announcement of another process (or this one) on the shared store, on the store's
 * listener thread. The webhooks' cache heard this process's own at their commit
 * (on_own_notice): hearing them again, a moment later, would only drop what a webhook
 * read afresh meanwhile. */
static void on_store_notice(void *ctx, enum store_channel channel, const char *payload,
                            bool own)
{
    const struct store_hearers *h = ctx;
    struct engine *engine = h->engine;
    if (!own)
        pipeline_cache_heard(h->cache, channel, payload);
    if (channel == STORE_CHANNEL_DELIVERIES) {
        engine_wake(engine);
    } else if (channel == STORE_CHANNEL_INSTALLS) {
        char tenant[CRYPTO_ID_MAX];
        const char *slash = strchr(payload, '/');
        size_t n = slash ? (size_t)(slash - payload) : 0;
        if (slash && n < sizeof tenant) {
            memcpy(tenant, payload, n);
            tenant[n] = '\0';
            engine_install_changed(engine, tenant, slash + 1);
        } else {
            engine_install_changed(engine, NULL, NULL);
        }
    }
}

/* The listener lost the store for a while: what was announced meanwhile is unknown. */
static void on_store_reset(void *ctx)
{
    const struct store_hearers *h = ctx;
    pipeline_cache_forget(h->cache, NULL, NULL);
    engine_install_changed(h->engine, NULL, NULL);
    engine_wake(h->engine);
}

/* CONNECTORD_CLOCK_OFFSET: seconds (may be negative) added to the wall clock, so that tests
 * of retention periods can let days and years pass. Not a setting: nothing in production
 * should run on a shifted clock. */
static int apply_clock_offset(void)
{
    const char *text = getenv("CONNECTORD_CLOCK_OFFSET");
    char *end = NULL;
    if (!text || !*text)
        return 0;
    errno = 0;
    long long secs = strtoll(text, &end, 10);
    /* 1000 years either way keeps every computed time inside int64 milliseconds */
    if (errno || *end || secs > 31536000000LL || secs < -31536000000LL) {
        fprintf(stderr, "connectord: CONNECTORD_CLOCK_OFFSET must be whole seconds\n");
        return -1;
    }
    clock_set_offset_ms((int64_t)secs * 1000);
    return 0;
}

static int open_store(const struct config *cfg, int pool, struct store **out)
{
    struct error err = {0};
    int applied = 0;
    if (store_open(cfg->db, pool, out, &err) < 0 || store_migrate(*out, &applied, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        store_close(*out);
        *out = NULL;
        return -1;
    }
    if (applied)
        log_info("applied %d store migration(s)", applied);
    return 0;
}

static int read_file(const char *path, char **out, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *data = malloc(max + 1);
    size_t n = data ? fread(data, 1, max, f) : 0;
    int bad = ferror(f) || !data;
    fclose(f);
    if (bad) {
        free(data);
        return -1;
    }
    data[n] = '\0';
    *out = data;
    return (int)n;
}

/* Parses a key as 64 hex characters (surrounding whitespace allowed) or 32 raw bytes. */
static int parse_master_key(const char *data, size_t len, unsigned char key[CRYPTO_KEY_LEN])
{
    if (len == CRYPTO_KEY_LEN) {
        memcpy(key, data, CRYPTO_KEY_LEN);
        return 0;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
        len--;
    while (len && (*data == ' ' || *data == '\n')) {
        data++;
        len--;
    }
    return crypto_unhex(data, len, key, CRYPTO_KEY_LEN) == CRYPTO_KEY_LEN ? 0 : -1;
}

static int generate_dev_key(unsigned char key[CRYPTO_KEY_LEN])
{
    char hex[2 * CRYPTO_KEY_LEN + 2];
    if (crypto_random(key, CRYPTO_KEY_LEN) < 0)
        return -1;
    crypto_hex(key, CRYPTO_KEY_LEN, hex);
    strcat(hex, "\n");
    mkdir("var", 0700);
    int fd = open(DEV_MASTER_KEY_PATH, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, hex, strlen(hex));
    close(fd);
    return n == (ssize_t)strlen(hex) ? 0 : -1;
}

static int read_key_file(const char *path, unsigned char key[CRYPTO_KEY_LEN])
{
    char *data = NULL;
    int n = read_file(path, &data, 256);
    if (n < 0) {
        fprintf(stderr, "connectord: cannot read master key file %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = parse_master_key(data, (size_t)n, key);
    free(data);
    if (rc < 0)
        fprintf(stderr, "connectord: master key file %s must hold 64 hex characters\n", path);
    return rc;
}

static int load_master_key(const struct config *cfg, unsigned char key[CRYPTO_KEY_LEN])
{
    const char *direct = getenv("CONNECTORD_MASTER_KEY");
    if (direct && *direct) {
        if (parse_master_key(direct, strlen(direct), key) < 0) {
            fprintf(stderr, "connectord: CONNECTORD_MASTER_KEY must be 64 hex characters\n");
            return -1;
        }
        return 0;
    }
    const char *path = cfg->master_key_file;
    if (!path && cfg->dev) {
        path = DEV_MASTER_KEY_PATH;
        if (access(path, F_OK) != 0) {
            if (generate_dev_key(key) < 0) {
                fprintf(stderr, "connectord: cannot write %s: %s\n", path, strerror(errno));
                return -1;
            }
            log_info("generated a development master key in %s", path);
            return 0;
        }
    }
    if (!path) {
        fprintf(stderr,
                "connectord: no master key. Give --master-key-file FILE (64 hex characters; "
                "make one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE), "
                "set CONNECTORD_MASTER_KEY, or use --dev\n");
        return -1;
    }
    return read_key_file(path, key);
}

static void print_json(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(obj);
}

/* ---- commands ------------------------------------------------------------------------- */

static int cmd_migrate(struct config *cfg, const char **values)
{
    (void)values;
    struct store *store = NULL;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    store_close(store);
    return 0;
}

static int cmd_tenant_create(struct config *cfg, const char **values)
{
    const char *name = values[0], *plan = values[1];
    if (!name || !plan) {
        fprintf(stderr, "connectord: tenant create needs --name and --plan\n");
        return 2;
    }
    struct store *store = NULL;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    struct tenant t;
    struct error err = {0};
    char token[CRYPTO_TOKEN_LEN + 1];
    int rc = auth_tenant_create(store, name, plan, &t, token, &err);
    store_close(store);
    if (rc < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        return 1;
    }
    print_json(json_pack("{s:s, s:s}", "tenantId", t.id, "token", token));
    return 0;
}

static int print_tenant_json(void *ctx, const struct tenant *t)
{
    (void)ctx;
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s}", "id", t->id, "name", t->name, "plan",
                            t->plan, "createdAt", t->created_at);
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    int rc = text && printf("%s\n", text) >= 0 ? 0 : -1;
    free(text);
    return rc;
}

static int print_tenant_row(void *ctx, const struct tenant *t)
{
    (void)ctx;
    return printf("%-36s %-10s %-24s %s\n", t->id, t->plan, t->created_at, t->name) < 0 ? -1 : 0;
}

static int cmd_tenant_list(struct config *cfg, const char **values)
{
    const char *format = values[0] ? values[0] : "json";
    bool table = strcmp(format, "table") == 0;
    if (!table && strcmp(format, "json") != 0) {
        fprintf(stderr, "connectord: --format must be json or table, not '%.32s'\n", format);
        return 2;
    }
    struct store *store = NULL;
    struct error err = {0};
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    if (table)
        printf("%-36s %-10s %-24s %s\n", "ID", "PLAN", "CREATED", "NAME");
    int rc = store_tenant_list(store, table ? print_tenant_row : print_tenant_json, NULL, &err);
    store_close(store);
    if (rc < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "connectord: %s\n", rc < 0 ? err.message : strerror(errno));
        return 1;
    }
    return 0;
}

/* Without --name, an unnamed token as before names existed; with it, what POST /api/tokens
 * makes (the same checks), printed as {"id", "name", "token"}. */
static int cmd_token_create(struct config *cfg, const char **values)
{
    const char *tenant = values[0], *role = values[1], *name = values[2];
    const char *read_only = values[3], *expires = values[4];
    if (!tenant || !role) {
        fprintf(stderr, "connectord: token create needs --tenant and --role\n");
        return 2;
    }
    if (!name && (read_only || expires)) {
        fprintf(stderr, "connectord: --read-only and --expires make a named token: give --name "
                        "too\n");
        return 2;
    }
    if (read_only && strcmp(read_only, "true") != 0 && strcmp(read_only, "false") != 0) {
        fprintf(stderr, "connectord: --read-only must be true or false, not '%.32s'\n",
                read_only);
        return 2;
    }
    struct store *store = NULL;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    struct error err = {0};
    char token[CRYPTO_TOKEN_LEN + 1];
    struct api_token made;
    const struct auth_token_spec spec = {.name = name,
                                         .role = role,
                                         .expires_at = expires,
                                         .read_only = read_only && strcmp(read_only, "true") == 0};
    int rc = name ? auth_token_issue(store, tenant, &spec, NULL, &made, token, &err)
                  : auth_token_create(store, tenant, role, token, &err);
    store_close(store);
    if (rc < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        return 1;
    }
    print_json(name ? json_pack("{s:s, s:s, s:s}", "id", made.id, "name", made.name, "token",
                                token)
                    : json_pack("{s:s}", "token", token));
    explicit_bzero(token, sizeof token);
    return 0;
}

/* Prints {"token"} (and the developer's id) once made; the token is never shown again. */
static int print_made_token(int rc, const struct error *err, const char *developer_id,
                            const char *token)
{
    if (rc < 0) {
        fprintf(stderr, "connectord: %s\n", err->message);
        return 1;
    }
    print_json(developer_id ? json_pack("{s:s, s:s}", "developerId", developer_id, "token", token)
                            : json_pack("{s:s}", "token", token));
    return 0;
}

static int cmd_operator_token_create(struct config *cfg, const char **values)
{
    (void)values;
    struct store *store = NULL;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    struct error err = {0};
    char token[CRYPTO_TOKEN_LEN + 1];
    int rc = auth_operator_token_create(store, token, &err);
    store_close(store);
    return print_made_token(rc, &err, NULL, token);
}

static int cmd_developer_create(struct config *cfg, const char **values)
{
    if (!values[0]) {
        fprintf(stderr, "connectord: developer create needs --name\n");
        return 2;
    }
    struct store *store = NULL;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    struct error err = {0};
    char token[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_ID_MAX];
    int rc = auth_developer_create(store, values[0], id, token, &err);
    store_close(store);
    return print_made_token(rc, &err, id, token);
}

static int cmd_developer_token_create(struct config *cfg, const char **values)
{
    if (!values[0]) {
        fprintf(stderr, "connectord: developer token needs --developer\n");
        return 2;
    }
    struct store *store = NULL;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    struct error err = {0};
    char token[CRYPTO_TOKEN_LEN + 1];
    int rc = auth_developer_token_create(store, values[0], token, &err);
    store_close(store);
    return print_made_token(rc, &err, NULL, token);
}

static int cmd_routes(struct config *cfg, const char **values)
{
    (void)cfg;
    (void)values;
    json_t *routes = openapi_routes_json();
    size_t i;
    json_t *row;
    if (!routes) {
        fprintf(stderr, "connectord: out of memory\n");
        return 1;
    }
    json_array_foreach(routes, i, row) print_json(json_incref(row));
    json_decref(routes);
    return fflush(stdout) == 0 ? 0 : 1;
}

static bool valid_day(const char *s);

static int cmd_daily_summary(struct config *cfg, const char **values)
{
    const char *day = values[0], *tenant = values[1];
    struct store *store = NULL;
    struct error err = {0};
    int emitted = 0, rc;
    if (day && !valid_day(day)) {
        fprintf(stderr, "connectord: --date must be a day, YYYY-MM-DD\n");
        return 2;
    }
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    /* Without --date: yesterday, in each tenant's time zone. */
    if (tenant) {
        bool one = false;
        rc = events_daily_summary(store, tenant, day, &one, &err);
        emitted = one;
    } else if (day) {
        rc = events_daily_summaries_for(store, day, &emitted, &err);
    } else {
        rc = events_daily_summaries_due(store, clock_now_ms(), &emitted, &err);
    }
    store_close(store);
    if (rc < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        return 1;
    }
    print_json(json_pack("{s:i}", "emitted", emitted));
    return 0;
}

/* YYYY-MM-DD naming a day that exists. */
static bool valid_day(const char *s)
{
    struct tm tm = {0};
    char back[11];
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    struct tm norm;
    gmtime_r(&t, &norm);
    strftime(back, sizeof back, "%Y-%m-%d", &norm);
    return strcmp(back, s) == 0;
}

/* Writes the file next to its final name first, so a failed export leaves no half file. */
static int write_file(const char *path, const char *data, size_t len)
{
    if (strcmp(path, "-") == 0)
        return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

struct cli_datev_run {
    struct store *store;
    const struct ledger_datev_request *rq;
    struct buf *file;
    char *filename;
};

static int cli_datev_run(void *ctx, struct error *err)
{
    struct cli_datev_run *r = ctx;
    buf_reset(r->file);
    return ledger_datev_export(r->store, r->rq, r->file, r->filename, err);
}

/* "from..to", as the exports log names a period. */
static const char *period_text(const char *from, const char *to, char out[32])
{
    snprintf(out, 32, "%s..%s", from, to);
    return out;
}

static int cmd_export_datev(struct config *cfg, const char **values)
{
    char period[32];
    const char *tenant = values[0], *from = values[1], *to = values[2], *out = values[3];
    if (!tenant || !from || !to || !out) {
        fprintf(stderr, "connectord: export datev needs --tenant, --from, --to and --out\n");
        return 2;
    }
    if (!valid_day(from) || !valid_day(to) || strcmp(from, to) > 0) {
        fprintf(stderr, "connectord: --from and --to must be days as YYYY-MM-DD, from not "
                        "after to\n");
        return 2;
    }
    struct store *store = NULL;
    struct error err = {0};
    struct tenant t;
    struct tenant_settings ts;
    struct buf file;
    char filename[LEDGER_DATEV_FILENAME_MAX];
    int rc = 1;
    buf_init(&file, 0);
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    if (store_tenant_get(store, tenant, &t, &err) < 0 ||
        settings_load(store, tenant, &ts, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.code == ERR_NOT_FOUND ? "no such tenant" : err.message);
        goto out;
    }
    const struct ledger_datev_request rq = {.tenant_id = tenant,
                                            .from = from,
                                            .to = to,
                                            .chart = ts.chart,
                                            .tz = ts.time_zone,
                                            .fiscal_month = ts.fiscal_month,
                                            .fiscal_day = ts.fiscal_day,
                                            .now_ms = clock_now_ms()};
    struct cli_datev_run run = {.store = store, .rq = &rq, .file = &file, .filename = filename};
    struct store_chain_head head;
    if (ledger_export_at_head(store, tenant, cli_datev_run, &run, &head, &err) < 0 ||
        ledger_export_record(store, tenant, "datev", period_text(from, to, period), &head,
                             "cli", &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out;
    }
    if (write_file(out, file.data, file.len) < 0) {
        fprintf(stderr, "connectord: cannot write %s: %s\n", out, strerror(errno));
        goto out;
    }
    if (strcmp(out, "-") != 0)
        print_json(json_pack("{s:s, s:s, s:I, s:{s:I, s:s}}", "file", out, "datevName", filename,
                             "bytes", (json_int_t)file.len, "head", "seq", (json_int_t)head.seq,
                             "hash", head.hash));
    rc = 0;
out:
    buf_free(&file);
    store_close(store);
    return rc;
}

#define ARCHIVE_MAX ((size_t)1 << 30)

static int cmd_tenant_export(struct config *cfg, const char **values)
{
    const char *tenant = values[0], *out = values[1];
    if (!tenant || !out) {
        fprintf(stderr, "connectord: tenant export needs --tenant and --out\n");
        return 2;
    }
    struct store *store = NULL;
    struct error err = {0};
    struct buf archive;
    char sha256[TENANCY_SHA256_HEX];
    int64_t rows = 0;
    int rc = 1;
    buf_init(&archive, ARCHIVE_MAX);
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    if (tenancy_export(store, tenant, "cli", clock_now_ms(), &archive, sha256, &rows, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.code == ERR_NOT_FOUND ? "no such tenant" : err.message);
        goto out;
    }
    if (write_file(out, archive.data, archive.len) < 0) {
        fprintf(stderr, "connectord: cannot write %s: %s\n", out, strerror(errno));
        goto out;
    }
    if (strcmp(out, "-") == 0) /* the archive is on standard output: the report goes aside */
        log_info("tenant %s archived: %lld rows, sha256 %s", tenant, (long long)rows, sha256);
    else
        print_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "tenantId", tenant, "file", out,
                             "sha256", sha256, "rows", (json_int_t)rows, "bytes",
                             (json_int_t)archive.len));
    rc = 0;
out:
    buf_free(&archive);
    store_close(store);
    return rc;
}

/* The whole file in a capped buffer. */
static int read_archive(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    int rc = 0;
    if (!f)
        return -1;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(out, chunk, n) < 0) {
            errno = EFBIG;
            rc = -1;
        }
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc;
}

static int cmd_tenant_import(struct config *cfg, const char **values)
{
    const char *in = values[0];
    if (!in) {
        fprintf(stderr, "connectord: tenant import needs --in\n");
        return 2;
    }
    struct store *store = NULL;
    struct error err = {0};
    struct buf archive;
    char tenant[CRYPTO_ID_MAX];
    int64_t rows = 0;
    int rc = 1;
    buf_init(&archive, ARCHIVE_MAX);
    if (read_archive(in, &archive) < 0) {
        fprintf(stderr, "connectord: cannot read %s: %s\n", in, strerror(errno));
        goto out;
    }
    if (open_store(cfg, 1, &store) < 0)
        goto out;
    if (tenancy_import(store, archive.data ? archive.data : "", archive.len, tenant,
                       sizeof tenant, &rows, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out;
    }
    log_info("tenant %s imported from %s: %lld rows", tenant, in, (long long)rows);
    print_json(json_pack("{s:s, s:I}", "tenantId", tenant, "rows", (json_int_t)rows));
    rc = 0;
out:
    buf_free(&archive);
    store_close(store);
    return rc;
}

static int cmd_tenant_delete(struct config *cfg, const char **values)
{
    const char *tenant = values[0], *force = values[1];
    if (!tenant) {
        fprintf(stderr, "connectord: tenant delete needs --tenant\n");
        return 2;
    }
    if (force && (strlen(force) != 2 * CRYPTO_SHA256_LEN ||
                  strspn(force, "0123456789abcdef") != 2 * CRYPTO_SHA256_LEN)) {
        fprintf(stderr, "connectord: --force takes the archive's SHA-256, 64 lowercase hex "
                        "characters\n");
        return 2;
    }
    struct store *store = NULL;
    struct error err = {0};
    int64_t rows = 0;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    int rc = tenancy_delete(store, tenant, force, clock_now_ms(), &rows, &err);
    store_close(store);
    if (rc < 0) {
        fprintf(stderr, "connectord: %s\n", err.code == ERR_NOT_FOUND ? "no such tenant" : err.message);
        return 1;
    }
    log_info("tenant %s deleted: %lld rows removed%s (operator log: tenant_delete)", tenant,
             (long long)rows, force ? ", forced with its archive's hash" : "");
    print_json(json_pack("{s:s, s:b, s:I}", "tenantId", tenant, "deleted", 1, "rows",
                         (json_int_t)rows));
    return 0;
}

static int cmd_books_verify(struct config *cfg, const char **values)
{
    const char *tenant = values[0];
    if (!tenant) {
        fprintf(stderr, "connectord: books verify needs --tenant\n");
        return 2;
    }
    struct store *store = NULL;
    struct error err = {0};
    struct tenant t;
    json_t *result = NULL;
    int rc = 1;
    if (open_store(cfg, 1, &store) < 0)
        return 1;
    if (store_tenant_get(store, tenant, &t, &err) < 0 ||
        ledger_books_verify(store, tenant, &result, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.code == ERR_NOT_FOUND ? "no such tenant" : err.message);
        goto out;
    }
    rc = json_is_true(json_object_get(result, "ok")) ? 0 : 1;
    print_json(result);
out:
    store_close(store);
    return rc;
}

#define EXIT_REFUSED 3

/* An sqlite: store that is not there would be created empty by opening it: say so instead. */
static bool sqlite_store_missing(const char *dsn)
{
    return strncmp(dsn, "sqlite:", 7) == 0 && strcmp(dsn + 7, ":memory:") != 0 &&
           access(dsn + 7, F_OK) != 0;
}

static json_t *copy_report_json(const struct store *from, const struct store *to,
                                const struct store_copy_report *r, int64_t ms)
{
    json_t *tables = json_object();
    for (size_t i = 0; tables && i < r->n_tables; i++)
        json_object_set_new(tables, r->tables[i].name, json_integer((json_int_t)r->tables[i].rows));
    return json_pack("{s:s, s:s, s:I, s:o*, s:I, s:I, s:I, s:I, s:I}", "from",
                     store_backend_name(from), "to", store_backend_name(to), "schemaVersion",
                     (json_int_t)r->schema_version, "tables", tables, "rows", (json_int_t)r->rows,
                     "tenants", (json_int_t)r->tenants, "journalEntries", (json_int_t)r->entries,
                     "chainRows", (json_int_t)r->chain_rows, "ms", (json_int_t)ms);
}

static int cmd_store_copy(struct config *cfg, const char **values)
{
    const char *from = values[0], *to = values[1];
    (void)cfg;
    if (!from || !to) {
        fprintf(stderr, "connectord: store copy needs --from and --to\n");
        return 2;
    }
    if (strcmp(from, to) == 0) {
        fprintf(stderr, "connectord: --from and --to name the same store\n");
        return 2;
    }
    if (sqlite_store_missing(from)) {
        fprintf(stderr, "connectord: store copy refused: there is no store at %s\n", from + 7);
        return EXIT_REFUSED;
    }
    struct store *src = NULL, *dst = NULL;
    struct store_copy_report r = {0};
    struct error err = {0};
    int64_t start = clock_monotonic_us();
    int rc = 1;
    if (store_open_single(from, &src, &err) < 0 || store_open_single(to, &dst, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out;
    }
    if (store_copy(src, dst, &r, &err) < 0) {
        fprintf(stderr, "connectord: store copy %s: %s\n",
                r.refused ? "refused, nothing was written" : "failed and was rolled back",
                err.message);
        rc = r.refused ? EXIT_REFUSED : 1;
        goto out;
    }
    log_info("store copied from %s to %s: %lld rows in %zu tables, %lld tenants' chains verified",
             store_backend_name(src), store_backend_name(dst), (long long)r.rows, r.n_tables,
             (long long)r.tenants);
    print_json(copy_report_json(src, dst, &r, (clock_monotonic_us() - start) / 1000));
    rc = 0;
out:
    store_close(dst);
    store_close(src);
    store_copy_report_free(&r);
    return rc;
}

static int cmd_store_backup(struct config *cfg, const char **values)
{
    struct error err = {0};
    json_t *manifest = NULL;
    if (!values[0]) {
        fprintf(stderr, "connectord: store backup needs --out FILE\n");
        return 2;
    }
    int64_t start = clock_monotonic_us();
    if (backup_make(cfg->db, values[0], &manifest, &err) < 0) {
        fprintf(stderr, "connectord: store backup %s: %s\n",
                err.code == ERR_CONFIG ? "refused" : "failed", err.message);
        return err.code == ERR_CONFIG ? EXIT_REFUSED : 1;
    }
    log_info("store backed up to %s in %lld ms", values[0],
             (long long)((clock_monotonic_us() - start) / 1000));
    print_json(manifest);
    return 0;
}

static int cmd_store_restore(struct config *cfg, const char **values)
{
    struct error err = {0};
    unsigned char key[CRYPTO_KEY_LEN];
    json_t *report = NULL;
    if (!values[0]) {
        fprintf(stderr, "connectord: store restore needs --from FILE\n");
        return 2;
    }
    if (load_master_key(cfg, key) < 0)
        return 2;
    int rc = backup_restore(values[0], cfg->db, key, &report, &err);
    memset(key, 0, sizeof key);
    if (rc < 0) {
        fprintf(stderr, "connectord: store restore refused, nothing was written: %s\n",
                err.message);
        return EXIT_REFUSED;
    }
    log_info("store restored from %s", values[0]);
    print_json(report);
    return 0;
}

static int cmd_keys_rotate(struct config *cfg, const char **values)
{
    struct error err = {0};
    unsigned char old_key[CRYPTO_KEY_LEN], new_key[CRYPTO_KEY_LEN];
    struct store *store = NULL;
    int64_t moved = 0;
    int rc = EXIT_REFUSED;
    if (!values[0]) {
        fprintf(stderr, "connectord: keys rotate needs --new-key-file FILE\n");
        return 2;
    }
    if (load_master_key(cfg, old_key) < 0 || read_key_file(values[0], new_key) < 0)
        return 2;
    if (memcmp(old_key, new_key, sizeof old_key) == 0) {
        fprintf(stderr, "connectord: the new key is the key in use; nothing to rotate\n");
        goto out;
    }
    if (store_open_alone(cfg->db, &store, &err) < 0 || store_migrate(store, NULL, &err) < 0) {
        fprintf(stderr, "connectord: keys rotate refused, nothing changed: %s\n", err.message);
        goto out;
    }
    if (keys_rotate(store, old_key, new_key, &moved, &err) < 0) {
        fprintf(stderr, "connectord: keys rotate %s, nothing changed: %s\n",
                err.code == ERR_CONFIG ? "refused" : "failed", err.message);
        rc = err.code == ERR_CONFIG ? EXIT_REFUSED : 1;
        goto out;
    }
    log_info("%lld secrets re-sealed under the key in %s", (long long)moved, values[0]);
    print_json(json_pack("{s:I, s:s}", "secrets", (json_int_t)moved, "masterKeyFile", values[0]));
    rc = 0;
out:
    memset(old_key, 0, sizeof old_key);
    memset(new_key, 0, sizeof new_key);
    store_close(store);
    return rc;
}

/* Appends text to out as one shell word (quoted when it needs to be). */
static void shell_word(struct buf *out, const char *text)
{
    if (*text && strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                              "_-./:=@%+,") == strlen(text)) {
        buf_printf(out, " %s", text);
        return;
    }
    buf_append(out, " '", 2);
    for (const char *p = text; *p; p++)
        if (*p == '\'')
            buf_append(out, "'\\''", 4);
        else
            buf_append(out, p, 1);
    buf_append(out, "'", 1);
}

static int first_tenant(void *ctx, const struct tenant *t)
{
    struct tenant *first = ctx;
    if (!first->id[0])
        *first = *t;
    return 0;
}

/* A restart on a store that has tenants prints no token (a token is shown once, when made):
 * say how to make one, as a command to paste. */
static void suggest_token_command(struct store *store, const struct config *cfg)
{
    struct tenant first = {0};
    struct error err = {0};
    struct buf dsn, db, prog;
    if (store_tenant_list(store, first_tenant, &first, &err) < 0 || !first.id[0])
        return;
    buf_init(&dsn, 4096);
    buf_init(&db, 4096);
    buf_init(&prog, 4096);
    /* stdout often ends up in a log: the store's password stays out of it */
    int hidden = store_dsn_shown(cfg->db, &dsn);
    if (hidden >= 0)
        shell_word(&db, dsn.data);
    shell_word(&prog, program);
    if (db.data && prog.data)
        printf("\nconnectord: the store has tenants already, so no token is printed (a token is "
               "shown once, when it is made).\n"
               "  a new admin token for %s (%s):\n"
               "   %s token create --tenant %s --role admin --db%s\n"
               "  every tenant:\n"
               "   %s tenant list --db%s\n%s\n",
               first.name, first.id, prog.data, first.id, db.data, prog.data, db.data,
               hidden == 1 ? "  (PASSWORD: the store's password, left out here)\n" : "");
    fflush(stdout);
    buf_free(&prog);
    buf_free(&db);
    buf_free(&dsn);
}

/* On the first start in development mode the store is empty: make a tenant to play with. */
static void create_demo_tenant(struct store *store, const struct config *cfg,
                               const char *public_url)
{
    int64_t count = 0;
    struct error err = {0};
    if (store_tenant_count(store, &count, &err) < 0)
        return;
    if (count > 0) {
        suggest_token_command(store, cfg);
        return;
    }
    struct tenant t;
    char token[CRYPTO_TOKEN_LEN + 1];
    if (auth_tenant_create(store, "Demo", "business", &t, token, &err) < 0) {
        log_error("cannot create the demo tenant: %s", err.message);
        return;
    }
    printf("\nconnectord: created the demo tenant %s (plan business).\n"
           "  admin token (shown once): %s\n"
           "  API base URL:             %s/api\n"
           "  connector store page:     %s/connectors\n"
           "  try: curl -H 'Authorization: Bearer %s' %s/api/tenant\n\n",
           t.id, token, public_url, public_url, token, public_url);
    fflush(stdout);
}

static char *default_public_url(const struct config *cfg, unsigned port)
{
    char url[300];
    const char *listen = cfg->listen;
    const char *colon = strrchr(listen, ':');
    int hlen = colon ? (int)(colon - listen) : 0;
    const char *host = listen;
    if (hlen == 0 || (hlen == 7 && strncmp(listen, "0.0.0.0", 7) == 0) ||
        (hlen == 1 && listen[0] == '*')) {
        host = "127.0.0.1";
        hlen = 9;
    }
    snprintf(url, sizeof url, "%s://%.*s:%u", cfg->tls_cert ? "https" : "http", hlen, host, port);
    return strdup(url);
}

static void note_change(void *ctx, const char *key)
{
    (void)ctx;
    if (config_key_reloadable(key))
        log_info("reload: %s changed", key);
    else
        log_warn("reload: %s changed in the configuration; it takes effect at the next start",
                 key);
}

/* SIGHUP: the configuration is read again (file, environment, the same command line); what
 * can change at run time does (config_key_reloadable), and the log file is opened again
 * (after a rotation moved it away). Connections and requests in flight are not touched. A
 * configuration that does not load leaves everything as it was. */
static void reload(struct config *cfg, struct http_server *server, struct jobs_env *env)
{
    struct config next;
    struct error err = {0};
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
    config_init(&next);
    if (build_config(&next, &err) < 0) {
        log_error("reload refused, the running configuration stays: %s", err.message);
        goto out;
    }
    if (next.log_file && log_reopen(next.log_file, &err) < 0) {
        log_error("reload refused, the running configuration stays: %s", err.message);
        goto out;
    }
    config_each_changed(cfg, &next, note_change, NULL);
    apply_log_level(&next);
    http_server_set_access_log(server, next.access_log);
    env->webhook_body_keep_ms = (next.webhook_body_days > 0 ? next.webhook_body_days : 0) *
                                86400000LL;
    env->webhook_log_keep_ms = next.webhook_log_days * 86400000LL;
    env->delivery_body_keep_ms = next.delivery_body_days * 86400000LL;
    env->event_keep_ms = next.event_days * 86400000LL;
    env->chat_message_keep_ms = next.chat_message_days * 86400000LL;
    /* keep what now runs in cfg; the old texts go with next */
    char *swap = cfg->log_level;
    cfg->log_level = next.log_level;
    next.log_level = swap;
    swap = cfg->log_file;
    cfg->log_file = next.log_file;
    next.log_file = swap;
    cfg->access_log = next.access_log;
    cfg->webhook_body_days = next.webhook_body_days;
    cfg->webhook_log_days = next.webhook_log_days;
    cfg->delivery_body_days = next.delivery_body_days;
    cfg->event_days = next.event_days;
    cfg->chat_message_days = next.chat_message_days;
    log_info("reloaded the configuration");
out:
    config_free(&next);
    sd_notify(0, "READY=1\nSTATUS=serving");
}

static int cmd_serve(struct config *cfg, const char **values)
{
    (void)values;
    int rc = 1;
    struct app app = {.dev = cfg->dev,
                      .trusted_cert_prefix = cfg->paypal_cert_prefix,
                      .keep_webhook_bodies = cfg->webhook_body_days > 0};
    struct store *store = NULL;
    struct http_server *server = NULL;
    struct engine *engine = NULL;
    struct sync_worker *sync_worker = NULL;
    struct chat *chat = NULL;
    struct jobs *jobs = NULL;
    struct jobs_lease lease = {0};
    struct engine_config delivery;
    struct store_hearers hearers;
    char *cert = NULL, *key = NULL, *public_url = NULL;
    struct error err = {0};
    sigset_t stop_signals;

    /* Block the stop signals before any thread starts (the committer, the delivery engine,
     * the HTTP pool inherit the mask), so only the main thread's wait below takes them. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP); /* not a stop: a reload, taken by the same wait */
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cfg->log_file && log_reopen(cfg->log_file, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out;
    }
    if (!!cfg->tls_cert != !!cfg->tls_key) {
        fprintf(stderr, "connectord: --tls-cert and --tls-key go together\n");
        goto out;
    }
    if (cfg->tls_cert && (read_file(cfg->tls_cert, &cert, 1 << 20) < 0 ||
                          read_file(cfg->tls_key, &key, 1 << 20) < 0)) {
        fprintf(stderr, "connectord: cannot read the TLS certificate or key: %s\n", strerror(errno));
        goto out;
    }
    if (load_master_key(cfg, app.master_key) < 0)
        goto out;

    size_t n_routes = 0;
    const struct route *routes = api_routes(&n_routes);
    /* Metric labels: "METHOD pattern", one per route, alive until metrics_shutdown(). */
    const char **labels = calloc(n_routes, sizeof *labels);
    for (size_t i = 0; labels && i < n_routes; i++) {
        char label[256];
        snprintf(label, sizeof label, "%s %s", routes[i].method, routes[i].pattern);
        labels[i] = strdup(label);
    }
    metrics_set_schema(store_schema_latest());
    if (!labels || metrics_init(labels, n_routes) < 0) {
        fprintf(stderr, "connectord: cannot set up metrics\n");
        free(labels);
        goto out;
    }

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads
                                         : store_threads_for(cfg->db, cores > 0 ? (unsigned)cores : 1);
    /* one connection per HTTP thread, and those the server's own threads need */
    if (open_store(cfg, (int)threads + STORE_POOL_EXTRA, &store) < 0)
        goto out_labels;
    app.store = store;
    /* What every webhook reads, kept per process; forgotten as this process's changes
     * commit, and as other processes' are heard (below). */
    if (!(app.webhook_cache = pipeline_cache_new(PIPELINE_CACHE_CAPACITY))) {
        fprintf(stderr, "connectord: out of memory\n");
        goto out_labels;
    }
    store_observe(store, 1u << STORE_CHANNEL_INSTALLS | 1u << STORE_CHANNEL_SETTINGS,
                  on_own_notice, app.webhook_cache);
    /* Another key than the store's would fail on the first secret it opens: refuse now. */
    if (keys_check(store, app.master_key, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    if (store_batch_start(store, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    engine_config_defaults(&delivery);
    delivery.store = store;
    delivery.master_key = app.master_key;
    delivery.concurrency = (int)cfg->delivery_concurrency;
    delivery.allow_private = cfg->allow_private_destinations || cfg->dev;
    delivery.timeout_ms = cfg->delivery_timeout;
    delivery.connect_timeout_ms = cfg->delivery_connect_timeout;
    delivery.lease_ms = cfg->delivery_lease;
    delivery.breaker_failures = (int)cfg->breaker_failures;
    delivery.breaker_open_ms = cfg->breaker_open;
    delivery.disable_after_ms = cfg->disable_after * 1000;
    /* token URLs of OAuth services: private addresses as for destinations */
    oauth_configure(&(struct oauth_options){.allow_private = delivery.allow_private});
    if (engine_parse_schedule(&delivery, cfg->retry_schedule, &err) < 0 ||
        engine_start(&delivery, &engine, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    app.engine = engine;
    app.delivery = &delivery;
    /* What other processes on the store announce: new deliveries wake this engine, a
     * changed destination brings its breaker here in line, a changed install or tenant's
     * settings leaves the webhooks' cache (a no-op on SQLite). */
    bool listening = false;
    hearers = (struct store_hearers){.engine = engine, .cache = app.webhook_cache};
    if (store_listen(store,
                     &(struct store_listener){.on_notice = on_store_notice,
                                              .on_reset = on_store_reset,
                                              .ctx = &hearers},
                     &listening, &err) < 0) {
        fprintf(stderr, "connectord: cannot listen to the store's notifications: %s\n",
                err.message);
        goto out_labels;
    }
    if (listening)
        log_info("listening for the changes of other processes on the store");
    struct sync_env sync_env = {.store = store, .master_key = app.master_key,
                                .allow_private = cfg->allow_private_destinations || cfg->dev};
    if (sync_worker_start(&sync_env, &sync_worker, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    app.sync = sync_worker;


    struct http_server_config http_cfg = {
        .listen = cfg->listen,
        .threads = threads,
        .max_body = (size_t)cfg->max_body,
        .read_timeout_s = (unsigned)cfg->read_timeout,
        .tls_cert_pem = cert,
        .tls_key_pem = key,
        .access_log = cfg->access_log,
        .dev = cfg->dev,
        .trusted_proxy = cfg->trusted_proxy,
        .routes = routes,
        .n_routes = n_routes,
        .store = store,
        .app = &app,
    };
    if (http_server_start(&http_cfg, &server, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    unsigned port = http_server_port(server);
    public_url = cfg->public_url ? strdup(cfg->public_url) : default_public_url(cfg, port);
    if (!public_url)
        goto out_labels;
    size_t ulen = strlen(public_url);
    while (ulen && public_url[ulen - 1] == '/')
        public_url[--ulen] = '\0';
    app.public_url = public_url;
    oauth_set_public_url(public_url);
    log_info("connectord %s listening on %s port %u (%s, %u threads, store %s%s)",
             CONNECTORD_VERSION, cert ? "https" : "http", port, cfg->listen, threads,
             store_backend_name(store), cfg->dev ? ", development mode" : "");
    struct chat_config chat_cfg = {.store = store, .master_key = app.master_key,
                                   .public_url = public_url,
                                   .allow_private = cfg->allow_private_destinations || cfg->dev,
                                   .llm_url = cfg->llm_url, .llm_model = cfg->llm_model,
                                   .llm_key = cfg->llm_key};
    if (chat_start(&chat_cfg, &chat, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    app.chat = chat;
    if (cfg->dev)
        create_demo_tenant(store, cfg, public_url);

    /* The main thread waits for a stop signal and, meanwhile, runs the periodic jobs. */
    struct jobs_env jobs_env = {
        .store = store,
        .engine = engine,
        .master_key = app.master_key,
        .sync = sync_worker,
        .webhook_body_keep_ms = (cfg->webhook_body_days > 0 ? cfg->webhook_body_days : 0) *
                                86400000LL,
        .webhook_log_keep_ms = cfg->webhook_log_days * 86400000LL,
        .delivery_body_keep_ms = cfg->delivery_body_days * 86400000LL,
        .event_keep_ms = cfg->event_days * 86400000LL,
        .chat_message_keep_ms = cfg->chat_message_days * 86400000LL,
        .stopping = stop_pending};
    if (jobs_lease_init(&lease, store, &err) < 0 ||
        jobs_new(&(struct jobs_config){.env = &jobs_env, .claim = jobs_claim_lease,
                                       .claim_ctx = &lease},
                 &jobs, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        goto out_labels;
    }
    /* systemd (Type=notify) learns that the server answers; without NOTIFY_SOCKET a no-op */
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s port %u", cert ? "https" : "http", port);
    int sig = -1;
    while (sig < 0) {
        int64_t wait_ms = jobs_tick(jobs, clock_now_ms());
        struct timespec period = {.tv_sec = wait_ms / 1000, .tv_nsec = wait_ms % 1000 * 1000000};
        sig = sigtimedwait(&stop_signals, NULL, &period);
        if (sig == SIGHUP) {
            reload(cfg, server, &jobs_env);
            sig = -1;
        }
    }
    sd_notify(0, "STOPPING=1\nSTATUS=finishing requests in flight");
    log_info("received %s: finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_stop(server, (int)cfg->drain_timeout);
    server = NULL;
    /* Every request is answered: what is still queued for the store (withdrawn webhooks,
     * the delivery engine's bookkeeping) need not wait for a lock another process holds. */
    store_stop_waiting(store);
    jobs_lease_release(&lease);
    store_unlisten(store); /* before the engine it wakes goes */
    app.chat = NULL;
    chat_stop(chat);
    chat = NULL;
    sync_worker_stop(sync_worker);
    sync_worker = NULL;
    engine_stop(engine);
    engine = NULL;
    /* The store last: its committer finishes (or fails) what is still queued. */
    store_close(store);
    store = NULL;
    log_info("stopped");
    rc = 0;
out_labels:
    jobs_free(jobs);
    http_server_stop(server, 0);
    if (store)
        store_unlisten(store);
    app.chat = NULL;
    chat_stop(chat);
    sync_worker_stop(sync_worker);
    engine_stop(engine);
    metrics_shutdown();
    invoicing_shutdown();
    for (size_t i = 0; labels && i < n_routes; i++)
        free((char *)labels[i]);
    free(labels);
out:
    store_close(store);
    pipeline_cache_free(app.webhook_cache); /* after the store, which tells it of changes */
    free(cert);
    free(key);
    free(public_url);
    return rc;
}

/* Prints why a rates file was refused, with its name. */
static int rates_refused(const char *path, const struct error *err)
{
    fprintf(stderr, "connectord: %s: %s\n", path, err->message);
    return 1;
}

static int check_rate(void *ctx, const struct fx_rate_row *row, struct error *err)
{
    (void)ctx;
    (void)row;
    (void)err;
    return 0;
}

struct rates_import {
    struct store_tx *tx;
    int new_rows, same, changed;
};

static int keep_rate(void *ctx, const struct fx_rate_row *row, struct error *err)
{
    struct rates_import *ri = ctx;
    enum store_fx_put put;
    if (store_fx_rate_put(ri->tx, row->currency, row->date, row->rate, &put, err) < 0)
        return -1;
    ri->new_rows += put == STORE_FX_NEW;
    ri->same += put == STORE_FX_SAME;
    ri->changed += put == STORE_FX_CHANGED;
    return 0;
}

static int cmd_rates_import(struct config *cfg, const char **values)
{
    (void)values;
    const char *path = arg_value;
    if (!path) {
        fprintf(stderr, "connectord: rates import needs the FILE to read (the ECB's "
                        "eurofxref.csv, eurofxref-hist.csv or their XML)\n");
        return 2;
    }
    char *data = NULL;
    struct store *store = NULL;
    struct error err = {0};
    struct fx_file_stats stats;
    struct rates_import ri = {0};
    struct pipeline_rerate rr;
    int rc = 1;
    /* Read as large as the file is (bounded), not the bound every time. */
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "connectord: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (st.st_size > (off_t)FX_FILE_MAX) {
        fprintf(stderr, "connectord: %s: the file is larger than %u MiB\n", path,
                FX_FILE_MAX >> 20);
        return 1;
    }
    int n = read_file(path, &data, (size_t)st.st_size + 1);
    if (n < 0) {
        fprintf(stderr, "connectord: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    /* The whole file is parsed first: a malformed one changes nothing. */
    if (fx_file_parse(data, (size_t)n, check_rate, NULL, &stats, &err) < 0) {
        rc = rates_refused(path, &err);
        goto out;
    }
    if (open_store(cfg, 1, &store) < 0)
        goto out;
    if (store_tx_begin(store, &ri.tx, &err) < 0 ||
        fx_file_parse(data, (size_t)n, keep_rate, &ri, &stats, &err) < 0 ||
        store_tx_commit(ri.tx, &err) < 0) {
        if (err.code != ERR_VALIDATION)
            fprintf(stderr, "connectord: %s\n", err.message);
        else
            rates_refused(path, &err);
        goto out;
    }
    ri.tx = NULL;
    const struct pipeline_env env = {.store = store};
    if (pipeline_fx_rerate(&env, &rr, &err) < 0) {
        fprintf(stderr, "connectord: the rates are imported, but re-rating failed: %s\n",
                err.message);
        goto out;
    }
    print_json(json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "file", path,
                         "rates", (int)stats.rates, "new", ri.new_rows, "unchanged", ri.same,
                         "updated", ri.changed, "skipped", (int)stats.skipped, "rated", rr.rated,
                         "posted", rr.posted, "stillMissing", rr.missing, "failed", rr.failed));
    rc = 0;
out:
    if (ri.tx)
        store_tx_rollback(ri.tx);
    store_close(store);
    free(data);
    return rc;
}

/* ---- argument parsing ------------------------------------------------------------------ */

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static bool is_group(const char *word)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (in_group(&commands[i], word))
            return true;
    return false;
}

/* How many words of argv, from argv[2] on, spell sub ("create", or "token create" of
 * "operator token create"); 0 when they do not. */
static int subcommand_words(const char *sub, int argc, char **argv)
{
    int i = 2;
    while (*sub) {
        size_t len = strcspn(sub, " ");
        if (i >= argc || strlen(argv[i]) != len || strncmp(argv[i], sub, len) != 0)
            return 0;
        sub += len + (sub[len] == ' ');
        i++;
    }
    return i - 2;
}

/* Finds the command argv names (one, two or three words); *first_flag is the index after it. On
 * failure prints what is wrong and returns NULL with *status set (0: help was asked for). */
static const struct command *find_command(int argc, char **argv, int *first_flag, int *status)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *c = &commands[i];
        size_t n = group_len(c);
        if (!n && strcmp(argv[1], c->name) == 0) {
            *first_flag = 2;
            return c;
        }
        int words = n && in_group(c, argv[1]) ? subcommand_words(c->name + n + 1, argc, argv) : 0;
        if (words) {
            *first_flag = 2 + words;
            return c;
        }
    }
    *status = 2;
    if (!is_group(argv[1])) {
        fprintf(stderr, "connectord: unknown command '%s'\n\n", argv[1]);
        usage_all(stderr);
    } else if (argc >= 3 && is_help(argv[2])) {
        usage_group(stdout, argv[1]);
        *status = 0;
    } else if (argc >= 3) {
        fprintf(stderr, "connectord: unknown command '%s %s'\n\n", argv[1], argv[2]);
        usage_group(stderr, argv[1]);
    } else {
        fprintf(stderr, "connectord: '%s' needs a subcommand\n\n", argv[1]);
        usage_group(stderr, argv[1]);
    }
    return NULL;
}

/* The connector manifests parse, and they and the built-in handlers name each other: a
 * manifest naming a provider or destination the code lacks, or code no manifest names, is
 * a build defect, and no command runs on it. */
static int check_connectors(struct error *err)
{
    size_t np, nd;
    const struct provider *const *providers = provider_all(&np);
    const struct destination *const *destinations = destination_all(&nd);
    const char **names = calloc(np + nd + 1, sizeof *names);
    if (!names)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < np; i++)
        names[i] = providers[i]->slug;
    for (size_t i = 0; i < nd; i++)
        names[np + i] = destinations[i]->slug;
    struct catalog_handlers h = {.providers = names, .n_providers = np,
                                 .destinations = names + np, .n_destinations = nd};
    int rc = catalog_init(err) < 0 ? -1 : catalog_check_handlers(&h, err);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 1 && argv[0] && *argv[0])
        program = argv[0];
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("connectord %s (%s, store schema %lld)\n", CONNECTORD_VERSION,
               CONNECTORD_REVISION, (long long)store_schema_latest());
        return 0;
    }
    if (argc < 2 || is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }

    int first_flag = 2, status = 2;
    const struct command *cmd = find_command(argc, argv, &first_flag, &status);
    if (!cmd)
        return status;

    struct pending_flag *flags = calloc((size_t)argc, sizeof *flags);
    char(*names)[64] = calloc((size_t)argc, sizeof *names);
    size_t n_flags = 0;
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    if (!flags || !names) {
        status = 1;
        goto out;
    }

    for (int i = first_flag; i < argc; i++) {
        const char *arg = argv[i];
        if (is_help(arg)) {
            usage_command(stdout, cmd);
            status = 0;
            goto out;
        }
        if (strncmp(arg, "--", 2) != 0 && argument_of(cmd) && !arg_value) {
            arg_value = arg;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "connectord: unexpected argument '%s'\n\n", arg);
            usage_command(stderr, cmd);
            goto out;
        }
        char *name = names[n_flags];
        const char *eq = strchr(arg + 2, '=');
        size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (nlen >= sizeof names[0])
            nlen = sizeof names[0] - 1;
        memcpy(name, arg + 2, nlen);
        name[nlen] = '\0';
        const char *value = eq ? eq + 1 : NULL;

        const struct option *own = NULL;
        for (size_t k = 0; k < MAX_OPTIONS && cmd->options[k].name; k++)
            if (strcmp(cmd->options[k].name, name) == 0)
                own = &cmd->options[k];
        if (!own && !config_key_known(name, cmd->settings)) {
            fprintf(stderr, "connectord: unknown option '--%s'%s\n\n", name,
                    config_key_known(name, CONFIG_FOR_SERVE) ? " (a setting of serve only)" : "");
            usage_command(stderr, cmd);
            goto out;
        }
        if (!value) {
            /* A switch alone means true; a word after it is its value, checked with the
             * setting (no command takes positional arguments): --access-log false. */
            bool alone = i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0;
            if (!own && config_key_is_bool(name) && alone) {
                value = "true";
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                fprintf(stderr, "connectord: option '--%s' needs a value\n\n", name);
                usage_command(stderr, cmd);
                goto out;
            }
        }
        if (own)
            *own->value = value;
        else
            flags[n_flags++] = (struct pending_flag){.key = name, .value = value};
    }

    given_flags = flags;
    n_given_flags = n_flags;
    status = 1;
    if (build_config(&cfg, &err) < 0) {
        fprintf(stderr, "connectord: %s\n", err.message);
        status = err.code == ERR_VALIDATION ? 2 : 1;
        goto out;
    }
    apply_log_level(&cfg);
    if (apply_clock_offset() < 0)
        goto out;
    if (check_connectors(&err) < 0) {
        fprintf(stderr, "connectord: the connector catalog is broken: %s\n", err.message);
        goto out;
    }
    if (httpc_global_init() < 0) {
        fprintf(stderr, "connectord: cannot initialize the HTTP client library\n");
        goto out;
    }
    status = cmd->run(&cfg, opt_values);
    httpc_global_cleanup();
out:
    free(names);
    free(flags);
    config_free(&cfg);
    return status;
}
