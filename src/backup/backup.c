/* backup/backup.c - backups of a SQLite store and their restore (see backup.h). */
#include "backup/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "keys/keys.h"
#include "store/backup.h"
#include "store/chain.h"
#include "store/store.h"

#define FORMAT "connectord-backup/1"
#define SQLITE_PREFIX "sqlite:"

/* The file of a sqlite:PATH store; NULL (and err) for any other kind. */
static const char *sqlite_path(const char *dsn, const char *what, struct error *err)
{
    if (strncmp(dsn, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) == 0 && dsn[strlen(SQLITE_PREFIX)])
        return dsn + strlen(SQLITE_PREFIX);
    error_set(err, ERR_CONFIG,
              "%s works on SQLite stores (sqlite:PATH); back up and restore PostgreSQL with its "
              "own tools (pg_dump --format=custom and pg_restore, or pg_basebackup), as "
              "docs/operating.md shows",
              what);
    return NULL;
}

static int sha256_file(const char *path, char hex[2 * CRYPTO_SHA256_LEN + 1], int64_t *bytes,
                       struct error *err)
{
    unsigned char digest[CRYPTO_SHA256_LEN];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, ERR_CONFIG, "cannot read %s: %s", path, strerror(errno));
    int rc = fstat(fd, &st) == 0 && crypto_sha256_fd(fd, digest) == 0 ? 0 : -1;
    close(fd);
    if (rc < 0)
        return error_set(err, ERR_INTERNAL, "cannot read %s to hash it", path);
    crypto_hex(digest, sizeof digest, hex);
    *bytes = (int64_t)st.st_size;
    return 0;
}

/* fsync of a file, then of the folder that names it: the name is durable too. */
static int sync_path(const char *path, struct error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    char *copy = strdup(path);
    int dir = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dir < 0 || fsync(dir) < 0)
        rc = -1;
    if (dir >= 0)
        close(dir);
    free(copy);
    return rc < 0 ? error_set(err, ERR_INTERNAL, "cannot sync %s: %s", path, strerror(errno))
                  : 0;
}

static int refuse_existing(const char *path, const char *why, struct error *err)
{
    if (access(path, F_OK) == 0)
        return error_set(err, ERR_CONFIG, "%s exists: %s", path, why);
    return 0;
}

/* Writes text to path through path.tmp, synced, renamed. */
static int write_durably(const char *path, const char *text, struct error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return error_set(err, ERR_CONFIG, "the path %s is too long", path);
    FILE *f = fopen(tmp, "wx");
    if (!f)
        return error_set(err, ERR_CONFIG, "cannot write %s: %s", tmp, strerror(errno));
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return error_set(err, ERR_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    }
    return sync_path(path, err);
}

static int describe_file(const char *path, json_t **out, struct error *err)
{
    char dsn[4096 + sizeof SQLITE_PREFIX];
    struct store *s = NULL;
    snprintf(dsn, sizeof dsn, "%s%s", SQLITE_PREFIX, path);
    int rc = store_open_single(dsn, &s, err) < 0 ? -1 : store_describe(s, out, err);
    store_close(s);
    return rc;
}

int backup_make(const char *dsn, const char *out_path, json_t **manifest, struct error *err)
{
    const char *path = sqlite_path(dsn, "store backup", err);
    char manifest_path[4096], hex[2 * CRYPTO_SHA256_LEN + 1], now[CLOCK_RFC3339_LEN];
    struct store *live = NULL;
    json_t *described = NULL;
    int64_t bytes = 0, found = 0;
    *manifest = NULL;
    if (!path)
        return -1;
    if (snprintf(manifest_path, sizeof manifest_path, "%s%s", out_path,
                 BACKUP_MANIFEST_SUFFIX) >= (int)sizeof manifest_path)
        return error_set(err, ERR_CONFIG, "the path %s is too long", out_path);
    if (access(path, F_OK) != 0)
        return error_set(err, ERR_CONFIG, "there is no store at %s", path);
    if (refuse_existing(out_path, "a backup never overwrites a file", err) < 0 ||
        refuse_existing(manifest_path, "a backup never overwrites a file", err) < 0)
        return -1;
    /* One read transaction on the live store: its writers go on while the copy is made. */
    if (store_open_single(dsn, &live, err) < 0 || store_vacuum_into(live, out_path, err) < 0)
        goto fail;
    store_close(live);
    live = NULL;
    if (sync_path(out_path, err) < 0 || describe_file(out_path, &described, err) < 0 ||
        sha256_file(out_path, hex, &bytes, err) < 0)
        goto fail;
    clock_format_rfc3339(clock_now_ms(), now);
    found = json_integer_value(json_object_get(described, "schemaVersion"));
    *manifest = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:O, s:O}", "format", FORMAT,
                          "file", out_path, "sha256", hex, "bytes", (json_int_t)bytes,
                          "createdAt", now, "version", CONNECTORD_VERSION, "schemaVersion",
                          (json_int_t)found, "tables", json_object_get(described, "tables"),
                          "chainHeads", json_object_get(described, "chainHeads"));
    json_decref(described);
    described = NULL;
    char *text = *manifest ? json_dumps(*manifest, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    int rc = text ? write_durably(manifest_path, text, err)
                  : error_set(err, ERR_INTERNAL, "out of memory");
    free(text);
    if (rc == 0)
        return 0;
fail:
    store_close(live);
    json_decref(described);
    json_decref(*manifest);
    *manifest = NULL;
    unlink(out_path);
    return -1;
}

/* ---- restore -------------------------------------------------------------------------- */

static int load_manifest(const char *from, json_t **out, struct error *err)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s%s", from, BACKUP_MANIFEST_SUFFIX);
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out)
        return error_set(err, ERR_VALIDATION,
                         "cannot read the backup's manifest %s: %s (a backup is the file and "
                         "its manifest beside it, as store backup wrote them)",
                         path, jerr.text);
    if (!json_is_object(*out) ||
        !json_is_string(json_object_get(*out, "format")) ||
        strcmp(json_string_value(json_object_get(*out, "format")), FORMAT) != 0 ||
        !json_is_string(json_object_get(*out, "sha256")) ||
        !json_is_integer(json_object_get(*out, "bytes")) ||
        !json_is_integer(json_object_get(*out, "schemaVersion")) ||
        !json_is_object(json_object_get(*out, "tables")) ||
        !json_is_array(json_object_get(*out, "chainHeads")))
        return error_set(err, ERR_VALIDATION,
                         "%s is not a connectord backup manifest (format " FORMAT
                         " with sha256, bytes, schemaVersion, tables, chainHeads)",
                         path);
    return 0;
}

static int copy_file(const char *from, const char *to, struct error *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    char chunk[1 << 16];
    ssize_t n = 0;
    int rc = in >= 0 && out >= 0 ? 0 : -1;
    while (rc == 0 && (n = read(in, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        for (ssize_t done = 0; rc == 0 && n > 0 && done < n;) {
            ssize_t w = write(out, chunk + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            rc = w > 0 ? 0 : -1;
            done += w > 0 ? w : 0;
        }
        if (n < 0)
            rc = -1;
    }
    if (rc == 0 && fsync(out) < 0)
        rc = -1;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc < 0 ? error_set(err, ERR_INTERNAL, "cannot copy %s to %s: %s", from, to,
                              strerror(errno))
                  : 0;
}

/* The copy's own description must be what the manifest promised. */
static int compare(const json_t *manifest, const json_t *found, struct error *err)
{
    int64_t want = json_integer_value(json_object_get(manifest, "schemaVersion"));
    int64_t got = json_integer_value(json_object_get(found, "schemaVersion"));
    if (want != got)
        return error_set(err, ERR_VALIDATION,
                         "the backup's schema is at version %lld, its manifest says %lld",
                         (long long)got, (long long)want);
    if (!json_equal(json_object_get(manifest, "tables"), json_object_get(found, "tables"))) {
        const char *name;
        json_t *rows;
        json_object_foreach(json_object_get(manifest, "tables"), name, rows) {
            json_t *have = json_object_get(json_object_get(found, "tables"), name);
            if (!have || !json_equal(have, rows))
                return error_set(err, ERR_VALIDATION,
                                 "the backup's table %s holds %lld rows, its manifest says %lld",
                                 name, (long long)json_integer_value(have),
                                 (long long)json_integer_value(rows));
        }
        return error_set(err, ERR_VALIDATION,
                         "the backup has tables its manifest does not list");
    }
    if (!json_equal(json_object_get(manifest, "chainHeads"), json_object_get(found, "chainHeads")))
        return error_set(err, ERR_VALIDATION,
                         "the backup's hash chain heads are not those of its manifest");
    return 0;
}

struct restore_counts {
    int64_t tenants, chain_rows, secrets, schema;
};

static int verify_chains(struct store *s, const json_t *heads, struct restore_counts *n,
                         struct error *err)
{
    size_t i;
    json_t *head;
    json_array_foreach(heads, i, head) {
        const char *tenant = json_string_value(json_object_get(head, "tenantId"));
        const char *chain = json_string_value(json_object_get(head, "chain"));
        for (int k = 0; tenant && chain && k < STORE_CHAIN_COUNT; k++) {
            struct store_chain_check check;
            if (strcmp(store_chain_name((enum store_chain)k), chain) != 0)
                continue;
            if (store_chain_verify(s, tenant, (enum store_chain)k, &check, err) < 0)
                return -1;
            if (!check.ok)
                return error_set(err, ERR_VALIDATION,
                                 "the backup's %s chain of tenant %s does not verify at row %s: "
                                 "%s",
                                 chain, tenant, check.mismatch_id[0] ? check.mismatch_id : "(head)",
                                 check.reason);
            n->chain_rows += check.rows;
        }
        if (strcmp(chain ? chain : "", "journal") == 0)
            n->tenants++;
    }
    return 0;
}

/* Every check on the copy at tmp (opened as a store). */
static int check_copy(const char *tmp, const json_t *manifest,
                      const unsigned char key[CRYPTO_KEY_LEN], struct restore_counts *n,
                      struct error *err)
{
    char dsn[4096 + sizeof SQLITE_PREFIX];
    struct store *s = NULL;
    json_t *found = NULL;
    snprintf(dsn, sizeof dsn, "%s%s", SQLITE_PREFIX, tmp);
    int64_t want = json_integer_value(json_object_get(manifest, "schemaVersion"));
    if (want > store_schema_latest())
        return error_set(err, ERR_CONFIG,
                         "the backup's schema is at version %lld, and this connectord (%s) "
                         "serves versions up to %lld: restore it with the connectord that made "
                         "it, or a newer one",
                         (long long)want, CONNECTORD_VERSION, (long long)store_schema_latest());
    int rc = store_open_single(dsn, &s, err);
    if (rc == 0)
        rc = store_describe(s, &found, err);
    if (rc == 0)
        rc = compare(manifest, found, err);
    if (rc == 0)
        rc = verify_chains(s, json_object_get(manifest, "chainHeads"), n, err);
    if (rc == 0 && keys_verify(s, key, &n->secrets, err) < 0) {
        char message[sizeof err->message];
        snprintf(message, sizeof message, "%s", err->message);
        rc = error_set(err, ERR_CONFIG, "the backup's secrets do not open with the configured "
                                        "master key: %s",
                       message);
    }
    n->schema = want;
    json_decref(found);
    store_close(s);
    return rc;
}

int backup_restore(const char *from, const char *dsn, const unsigned char key[CRYPTO_KEY_LEN],
                   json_t **report, struct error *err)
{
    const char *path = sqlite_path(dsn, "store restore", err);
    char tmp[4096], hex[2 * CRYPTO_SHA256_LEN + 1];
    json_t *manifest = NULL;
    int64_t bytes = 0, rows = 0;
    struct restore_counts n = {0};
    *report = NULL;
    if (!path)
        return -1;
    if (snprintf(tmp, sizeof tmp, "%s.restore-tmp", path) >= (int)sizeof tmp)
        return error_set(err, ERR_CONFIG, "the path %s is too long", path);
    if (refuse_existing(path, "restore into a new path (move the old store away first)", err) < 0 ||
        load_manifest(from, &manifest, err) < 0)
        goto fail;
    if (sha256_file(from, hex, &bytes, err) < 0)
        goto fail;
    if (bytes != json_integer_value(json_object_get(manifest, "bytes")) ||
        strcmp(hex, json_string_value(json_object_get(manifest, "sha256"))) != 0) {
        error_set(err, ERR_VALIDATION,
                  "the backup %s is damaged: its SHA-256 is %s (%lld bytes), its manifest says "
                  "%s (%lld bytes)",
                  from, hex, (long long)bytes, json_string_value(json_object_get(manifest, "sha256")),
                  (long long)json_integer_value(json_object_get(manifest, "bytes")));
        goto fail;
    }
    unlink(tmp);
    if (copy_file(from, tmp, err) < 0 || check_copy(tmp, manifest, key, &n, err) < 0)
        goto fail_tmp;
    const char *name;
    json_t *count;
    json_object_foreach(json_object_get(manifest, "tables"), name, count) rows +=
        json_integer_value(count);
    if (rename(tmp, path) < 0) {
        error_set(err, ERR_INTERNAL, "cannot move the checked copy to %s: %s", path,
                  strerror(errno));
        goto fail_tmp;
    }
    if (sync_path(path, err) < 0)
        goto fail;
    *report = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "from", from, "to", path,
                        "schemaVersion", (json_int_t)n.schema, "rows", (json_int_t)rows,
                        "tenants", (json_int_t)n.tenants, "chainRows", (json_int_t)n.chain_rows,
                        "secrets", (json_int_t)n.secrets);
    json_decref(manifest);
    return 0;
fail_tmp:
    unlink(tmp);
fail:
    json_decref(manifest);
    return -1;
}
