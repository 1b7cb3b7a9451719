/* tests/unit/lib/teststore.h - a fresh, empty store for one unit test, on the backend that the
 * test run chose.
 *
 * Without CONNECTORD_TEST_DB the store is an SQLite file in a new temporary folder. With
 * CONNECTORD_TEST_DB=postgres://USER@HOST:PORT/ (tests/run sets it for its PostgreSQL pass,
 * from tests/pg/cluster) it is a new PostgreSQL database of its own on that server, created
 * through libpq on the maintenance database "postgres" and dropped again by
 * teststore_close(). The same tests thus prove the same behaviour on both backends.
 * Header-only, because each unit test is built from one file. */
#ifndef CONNECTORD_TESTS_TESTSTORE_H
#define CONNECTORD_TESTS_TESTSTORE_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/installs.h"
#include "store/store.h"

struct teststore {
    struct store *store;
    char dir[64];   /* SQLite: the temporary folder */
    char file[96];  /* SQLite: the database file in it */
    char pgdb[64];  /* PostgreSQL: the database's name */
    char base[192]; /* PostgreSQL: the server's URL up to and with the path's slash */
    char dsn[256];  /* what store_open() was given */
};

/* The server part of CONNECTORD_TEST_DB ("postgres://u@h:p/"), or 0 when it is unset or
 * empty (SQLite). -1 when it is not a postgres:// URL: a mistake the test must report. */
static int teststore_pg_base(char *out, size_t cap)
{
    const char *url = getenv("CONNECTORD_TEST_DB");
    if (!url || !*url)
        return 0;
    const char *scheme = strstr(url, "://");
    if (!scheme || (strncmp(url, "postgres://", 11) != 0 && strncmp(url, "postgresql://", 13) != 0))
        return -1;
    const char *slash = strchr(scheme + 3, '/');
    size_t n = slash ? (size_t)(slash - url) : strlen(url);
    if (n + 2 > cap)
        return -1;
    memcpy(out, url, n);
    out[n] = '/';
    out[n + 1] = '\0';
    return 1;
}

static void teststore_pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "does not exist, skipping" and the like */
}

/* Runs one statement on the maintenance database; 0 or -1 with the server's message on
 * stderr. */
static int teststore_pg_admin(const char *base, const char *sql)
{
    char dsn[256];
    snprintf(dsn, sizeof dsn, "%spostgres", base);
    PGconn *c = PQconnectdb(dsn);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "teststore: %s: %s", dsn, PQerrorMessage(c));
    } else {
        PQsetNoticeProcessor(c, teststore_pg_quiet, NULL);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            rc = 0;
        else
            fprintf(stderr, "teststore: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

static void teststore_close(struct teststore *ts);

/* Opens a new, empty (not yet migrated) store with pool_size connections into ts->store.
 * tag names the test in the folder or database name ([a-z_] only). 0 or -1 (with a reason
 * in err, or on stderr for the set-up), when nothing is left behind. teststore_close() may
 * be called either way. */
static int teststore_open(struct teststore *ts, const char *tag, int pool_size, struct error *err)
{
    static unsigned serial;
    memset(ts, 0, sizeof *ts);
    int pg = teststore_pg_base(ts->base, sizeof ts->base);
    if (pg < 0) {
        fprintf(stderr, "teststore: CONNECTORD_TEST_DB is not a postgres:// URL\n");
        return -1;
    }
    if (pg) {
        char sql[128];
        snprintf(ts->pgdb, sizeof ts->pgdb, "unit_%s_%ld_%u", tag, (long)getpid(), serial++);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ts->pgdb);
        if (teststore_pg_admin(ts->base, sql) < 0)
            return -1;
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", ts->pgdb);
        if (teststore_pg_admin(ts->base, sql) < 0) {
            ts->pgdb[0] = '\0';
            return -1;
        }
        snprintf(ts->dsn, sizeof ts->dsn, "%s%s", ts->base, ts->pgdb);
    } else {
        snprintf(ts->dir, sizeof ts->dir, "/tmp/connectord-%s.XXXXXX", tag);
        if (!mkdtemp(ts->dir)) {
            perror("teststore: mkdtemp");
            ts->dir[0] = '\0';
            return -1;
        }
        snprintf(ts->file, sizeof ts->file, "%s/c.db", ts->dir);
        snprintf(ts->dsn, sizeof ts->dsn, "sqlite:%s", ts->file);
    }
    if (store_open(ts->dsn, pool_size, &ts->store, err) < 0) {
        teststore_close(ts);
        return -1;
    }
    return 0;
}

/* A new store, migrated, with one tenant of plan whose admin token hashes to token_hash (64
 * hex digits): what most store tests begin with. 0, or -1 with the store closed and err (or
 * stderr) saying why. */
__attribute__((unused)) static int teststore_open_tenant(struct teststore *ts, const char *tag,
                                                         const char *plan,
                                                         const char *token_hash,
                                                         struct tenant *out, struct error *err)
{
    struct api_token tok;
    if (teststore_open(ts, tag, 2, err) < 0)
        return -1;
    if (store_migrate(ts->store, NULL, err) < 0 ||
        store_tenant_create(ts->store, "Test GmbH", plan, token_hash, out, &tok, err) < 0) {
        fprintf(stderr, "teststore: %s\n", err->message);
        teststore_close(ts);
        return -1;
    }
    return 0;
}

/* Closes the store and removes it: the folder with the file and its log, or the database.
 * Safe to call twice, and after a failed teststore_open(). */
static void teststore_close(struct teststore *ts)
{
    store_close(ts->store);
    ts->store = NULL;
    if (ts->pgdb[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ts->pgdb);
        teststore_pg_admin(ts->base, sql);
        ts->pgdb[0] = '\0';
        return;
    }
    if (!ts->dir[0])
        return;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", "-changes"};
    char path[128];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", ts->file, suffixes[i]);
        unlink(path);
    }
    rmdir(ts->dir);
    ts->dir[0] = '\0';
}

#endif
