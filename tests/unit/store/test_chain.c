/* tests/unit/store/test_chain.c - the books' hash chains and append-only guard
 * (src/store/chain.c, src/store/guard.c).
 *
 * A golden vector pins the canonical serialization the README defines (computed outside
 * this code: Python's hashlib over the bytes spelled out below); the rest runs on a real
 * store (SQLite, or PostgreSQL when the run gives one: tests/unit/lib/teststore.h): entries booked in transactions verify, the triggers refuse an UPDATE or a
 * DELETE of a booked row, a row changed behind them is named by the verification, and an
 * entry linked after its commit (PostgreSQL) is linked before the caller goes on, or at the
 * next start when its process stopped in between. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/books.h"
#include "store/chain.h"
#include "store/installs.h"
#include "store/store.h"
#include "store/store_int.h"
#include "teststore.h"

struct fixture {
    struct teststore ts;
    struct store *store;
    struct tenant tenant;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f)
        return -1;
    if (teststore_open_tenant(&f->ts, "chain", "pro",
                              "00000000000000000000000000000000000000000000000000000000000000aa",
                              &f->tenant, &err) < 0) {
        free(f);
        return -1;
    }
    f->store = f->ts.store;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    teststore_close(&f->ts);
    free(f);
    return 0;
}

static void test_encoding(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(chain_text(&b, NULL), 0);
    assert_int_equal(chain_text(&b, ""), 0);
    assert_int_equal(chain_text(&b, "M\xc3\xbc"), 0);
    assert_int_equal(chain_int(&b, 1900), 0);
    assert_int_equal(chain_int(&b, -5), 0);
    assert_string_equal(b.data, "~;0:;3:M\xc3\xbc;4:1900;2:-5;");
    buf_free(&b);
}

/* Numbers are written without printf: the same text as "%lld", at the edges too, and a
 * length of many digits. */
static void test_encoding_numbers(void **state)
{
    (void)state;
    const int64_t values[] = {0, 9, 10, -1, 123456789, INT64_MAX, INT64_MIN, -1000000000000LL};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char text[32], want[64];
        snprintf(text, sizeof text, "%lld", (long long)values[i]);
        snprintf(want, sizeof want, "%zu:%s;", strlen(text), text);
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(chain_int(&b, values[i]), 0);
        assert_string_equal(b.data, want);
        buf_free(&b);
    }
    char *long_text = malloc(12346);
    assert_non_null(long_text);
    memset(long_text, 'x', 12345);
    long_text[12345] = '\0';
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(chain_text(&b, long_text), 0);
    assert_int_equal(b.len, 6 + 12345 + 1);
    assert_memory_equal(b.data, "12345:", 6);
    buf_free(&b);
    free(long_text);
}

/* The first link of a chain, over an entry written out field by field. */
static void test_golden_vector(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct buf head, lines, body;
    struct store_tx *tx;
    struct store *s;
    struct store_conn *c;
    int64_t seq = 0;
    char hash[STORE_CHAIN_HASH_LEN + 1];
    buf_init(&head, 0);
    buf_init(&lines, 0);
    buf_init(&body, 0);
    assert_int_equal(chain_journal_head(&head, "je_golden", "ten_golden", "2026-02-03",
                                        "Payment stripe M\xc3\xbc 1", NULL,
                                        "2026-02-03T12:00:00.000Z"),
                     0);
    /* The first line with its EUR amounts and a tax treatment, the second as a line in
     * another currency from before rates and treatments: every optional field NULL. */
    const int64_t book_debit = 11900, book_credit = 0, rate_bp = 1900;
    const struct chain_line first = {.line_no = 1,
                                     .account = "4964",
                                     .debit_minor = 11900,
                                     .currency = "EUR",
                                     .book_debit_minor = &book_debit,
                                     .book_credit_minor = &book_credit,
                                     .tax_treatment = "domestic",
                                     .tax_country = "DE",
                                     .tax_rate_bp = &rate_bp};
    const struct chain_line second = {
        .line_no = 2, .account = "1360", .credit_minor = 11900, .currency = "EUR"};
    assert_int_equal(chain_journal_line(&lines, &first), 0);
    assert_int_equal(chain_journal_line(&lines, &second), 0);
    assert_int_equal(chain_journal_body(&body, &head, 2, &lines), 0);
    assert_string_equal(body.data, "9:je_golden;10:ten_golden;10:2026-02-03;"
                                   "20:Payment stripe M\xc3\xbc 1;~;24:2026-02-03T12:00:00.000Z;"
                                   "1:2;1:1;4:4964;5:11900;1:0;3:EUR;~;1:0;"
                                   "5:11900;1:0;8:domestic;2:DE;4:1900;"
                                   "1:2;4:1360;1:0;5:11900;3:EUR;~;1:0;~;~;~;~;~;");
    assert_int_equal(store_tx_begin(f->store, &tx, &err), 0);
    s = store_tx_store(tx);
    c = store_tx_conn(tx);
    assert_int_equal(chain_link(s, c, f->tenant.id, STORE_CHAIN_JOURNAL, &body, &seq, hash, &err),
                     0);
    store_tx_rollback(tx);
    assert_int_equal(seq, 1);
    /* sha256(b"21:connectord.journal.v1;64:000...000;1:1;" + body) */
    assert_string_equal(hash, "ccd4ed21a9d93abbd1690268c6a1fbcff49c5f30efdf815769d63555bce6c4dd");
    buf_free(&head);
    buf_free(&lines);
    buf_free(&body);
}

static void book(struct fixture *f, int64_t amount, char id[CRYPTO_ID_MAX])
{
    struct error err = {0};
    struct store_tx *tx;
    const struct journal_line lines[] = {
        {.account = "4964", .debit_minor = amount, .currency = "EUR",
         .book_debit_minor = amount},
        {.account = "1360", .credit_minor = amount, .currency = "EUR",
         .book_credit_minor = amount},
    };
    assert_int_equal(store_tx_begin(f->store, &tx, &err), 0);
    assert_int_equal(store_journal_insert(tx, f->tenant.id, "2026-02-03", "Payment", NULL, lines,
                                          2, id, &err),
                     0);
    assert_int_equal(store_tx_commit(tx, &err), 0);
}

static int run(struct fixture *f, const char *sql, struct error *err)
{
    struct store_param p[] = {P_TEXT(f->tenant.id)};
    return store_run(f->store, sql, p, N_PARAMS(p), NULL, NULL, NULL, err);
}

static int read_int(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

static bool on_postgres(struct fixture *f)
{
    return strcmp(store_backend_name(f->store), "postgres") == 0;
}

/* A number that changes whenever a trigger is dropped or created: SQLite's schema cookie,
 * or on PostgreSQL the newest trigger's object id (a trigger made again gets a new one). */
static int64_t schema_version(struct fixture *f)
{
    struct error err = {0};
    int64_t v = -1;
    const char *sql = on_postgres(f)
        ? "SELECT COALESCE(MAX(CAST(oid AS BIGINT)), 0) FROM pg_trigger WHERE NOT tgisinternal"
        : "PRAGMA schema_version";
    assert_int_equal(store_run(f->store, sql, NULL, 0, read_int, &v, NULL, &err), 0);
    return v;
}

static void test_verify_guard_and_tamper(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct store_chain_check check;
    char ids[3][CRYPTO_ID_MAX];
    for (int i = 0; i < 3; i++)
        book(f, 1000 + i, ids[i]);
    assert_int_equal(store_chain_verify(f->store, f->tenant.id, STORE_CHAIN_JOURNAL, &check, &err),
                     0);
    assert_true(check.ok);
    assert_int_equal(check.rows, 3);
    assert_int_equal(check.head.seq, 3);

    /* The guard: a booked amount or date cannot be changed, a line not deleted. */
    assert_int_equal(run(f, "UPDATE journal_lines SET debit_minor = 1 WHERE tenant_id = $1 "
                            "AND debit_minor > 0", &err),
                     -1);
    assert_non_null(strstr(err.message, "append-only"));
    assert_int_equal(run(f, "UPDATE journal_entries SET entry_date = '2020-01-01' "
                            "WHERE tenant_id = $1", &err),
                     -1);
    assert_int_equal(run(f, "DELETE FROM journal_lines WHERE tenant_id = $1", &err), -1);

    /* Behind the guard: the second entry's amount changes, and is named. */
    struct store_param p[] = {P_TEXT(ids[1])};
    assert_int_equal(run(f, on_postgres(f) ? "DROP TRIGGER journal_lines_frozen ON journal_lines"
                                           : "DROP TRIGGER journal_lines_frozen",
                         &err),
                     0);
    assert_int_equal(store_run(f->store,
                               "UPDATE journal_lines SET debit_minor = debit_minor + 1 "
                               "WHERE entry_id = $1 AND line_no = 1",
                               p, N_PARAMS(p), NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(store_chain_verify(f->store, f->tenant.id, STORE_CHAIN_JOURNAL, &check, &err),
                     0);
    assert_false(check.ok);
    assert_string_equal(check.mismatch_id, ids[1]);
    assert_int_equal(check.mismatch_seq, 2);
    assert_int_equal(check.rows, 2);

    /* A migration (a start) puts the trigger back; one more leaves the schema alone. */
    assert_int_equal(store_migrate(f->store, NULL, &err), 0);
    assert_int_equal(run(f, "UPDATE journal_lines SET debit_minor = 1 WHERE tenant_id = $1 "
                            "AND debit_minor > 0", &err),
                     -1);
    int64_t before = schema_version(f), after;
    assert_int_equal(store_migrate(f->store, NULL, &err), 0);
    after = schema_version(f);
    assert_int_equal(before, after);
}

static int64_t count_of(struct fixture *f, const char *sql)
{
    struct error err = {0};
    int64_t n = -1;
    struct store_param p[] = {P_TEXT(f->tenant.id)};
    assert_int_equal(store_run(f->store, sql, p, N_PARAMS(p), read_int, &n, NULL, &err), 0);
    return n;
}

/* An entry written as a booking's transaction writes it, but with no link: named in
 * journal_pending (a process that committed and stopped before linking), or not (a row
 * inserted around the store). */
static void write_unlinked(struct fixture *f, bool named, char id[CRYPTO_ID_MAX])
{
    struct error err = {0};
    assert_int_equal(store_journal_id_new(id, &err), 0);
    struct store_param p[] = {P_TEXT(id), P_TEXT(f->tenant.id)};
    assert_int_equal(
        store_run(f->store,
                  "INSERT INTO journal_entries (id, tenant_id, entry_date, description, "
                  "created_at) VALUES ($1, $2, '2026-02-04', 'Payment', '2026-02-04T10:00:00Z')",
                  p, N_PARAMS(p), NULL, NULL, NULL, &err),
        0);
    assert_int_equal(
        store_run(f->store,
                  "INSERT INTO journal_lines (entry_id, line_no, tenant_id, account, "
                  "debit_minor, credit_minor, currency, vat_tax, book_debit_minor, "
                  "book_credit_minor) VALUES ($1, 1, $2, '4964', 500, 0, 'EUR', 0, 500, 0), "
                  "($1, 2, $2, '1360', 0, 500, 'EUR', 0, 0, 500)",
                  p, N_PARAMS(p), NULL, NULL, NULL, &err),
        0);
    if (named)
        assert_int_equal(store_run(f->store,
                                   "INSERT INTO journal_pending (entry_id, tenant_id, "
                                   "created_at) VALUES ($1, $2, '2026-02-04T10:00:00Z')",
                                   p, N_PARAMS(p), NULL, NULL, NULL, &err),
                         0);
}

/* The journal chain verifies, with `rows` entries linked up to the head and `pending`
 * named ones after them. */
static void assert_verifies(struct fixture *f, int64_t rows, int64_t pending)
{
    struct error err = {0};
    struct store_chain_check check;
    assert_int_equal(store_chain_verify(f->store, f->tenant.id, STORE_CHAIN_JOURNAL, &check, &err),
                     0);
    assert_true(check.ok);
    assert_int_equal(check.rows, rows);
    assert_int_equal(check.pending, pending);
    assert_int_equal(check.head.seq, rows);
}

/* On PostgreSQL a booking's entry is linked right after its commit, before the caller
 * goes on; on SQLite inside its transaction. Either way a committed entry is linked, and
 * an entry left named by a process that stopped in between is counted apart by the
 * verification and linked at the next start, while a row written around the store is still
 * named as such. */
static void test_linked_after_commit(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct store_chain_check check;
    char ids[3][CRYPTO_ID_MAX], named[CRYPTO_ID_MAX], around[CRYPTO_ID_MAX];
    for (int i = 0; i < 3; i++) {
        book(f, 2000 + i, ids[i]);
        assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_entries WHERE tenant_id = "
                                     "$1 AND chain_seq IS NULL"),
                         0);
        assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_pending WHERE tenant_id = $1"),
                         0);
    }
    assert_int_equal(count_of(f, "SELECT MAX(chain_seq) FROM journal_entries WHERE tenant_id = $1"),
                     3);
    /* Six entries in one transaction: more than a transaction keeps by id, so the rest
     * are linked by their tenant's names. */
    struct store_tx *tx;
    const struct journal_line lines[] = {
        {.account = "4964", .debit_minor = 700, .currency = "EUR", .book_debit_minor = 700},
        {.account = "1360", .credit_minor = 700, .currency = "EUR", .book_credit_minor = 700},
    };
    assert_int_equal(store_tx_begin(f->store, &tx, &err), 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(store_journal_insert(tx, f->tenant.id, "2026-02-03", "Payment", NULL,
                                              lines, 2, named, &err),
                         0);
    assert_int_equal(store_tx_commit(tx, &err), 0);
    assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_entries WHERE tenant_id = "
                                 "$1 AND chain_seq IS NULL"),
                     0);
    assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_pending WHERE tenant_id = $1"), 0);

    /* Seven left by a stopped process: linked at the next start. */
    for (int i = 0; i < 7; i++)
        write_unlinked(f, true, named);
    assert_verifies(f, 9, 7);

    /* The next start links them onto the head. */
    assert_int_equal(store_migrate(f->store, NULL, &err), 0);
    assert_verifies(f, 16, 0);
    assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_pending WHERE tenant_id = $1"), 0);

    /* A row nobody named stays unlinked and is reported, at a start and at the tenant's
     * next booking alike. */
    write_unlinked(f, false, around);
    assert_int_equal(store_migrate(f->store, NULL, &err), 0);
    book(f, 3000, ids[0]);
    assert_int_equal(store_chain_verify(f->store, f->tenant.id, STORE_CHAIN_JOURNAL, &check, &err),
                     0);
    assert_false(check.ok);
    assert_string_equal(check.mismatch_id, around);
    assert_int_equal(check.mismatch_seq, 0);
    assert_non_null(strstr(check.reason, "written behind the store"));
    assert_int_equal(check.head.seq, 17);
}

/* PostgreSQL: a round whose link fails leaves its entries named, and the tenant's next
 * round links them before its own. (SQLite links inside the booking: nothing to retry.) */
static void test_failed_link_retried(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char id[CRYPTO_ID_MAX], head[STORE_CHAIN_HASH_LEN + 1];
    if (!on_postgres(f))
        skip();
    book(f, 100, id);
    struct store_chain_head h;
    assert_int_equal(store_chain_head_get(f->store, f->tenant.id, STORE_CHAIN_JOURNAL, &h, &err),
                     0);
    memcpy(head, h.hash, sizeof head);
    /* a head that cannot be read: the booking commits, its link fails */
    assert_int_equal(run(f, "UPDATE chain_heads SET hash = 'broken' WHERE tenant_id = $1 AND "
                            "chain = 'journal'",
                         &err),
                     0);
    book(f, 200, id);
    assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_pending WHERE tenant_id = $1"), 1);
    struct store_param p[] = {P_TEXT(f->tenant.id), P_TEXT(head)};
    assert_int_equal(store_run(f->store,
                               "UPDATE chain_heads SET hash = $2 WHERE tenant_id = $1 AND "
                               "chain = 'journal'",
                               p, N_PARAMS(p), NULL, NULL, NULL, &err),
                     0);
    /* the tenant's next booking: its round links the one left behind, then its own */
    book(f, 300, id);
    assert_int_equal(count_of(f, "SELECT COUNT(*) FROM journal_pending WHERE tenant_id = $1"), 0);
    assert_verifies(f, 3, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_encoding_numbers),
        cmocka_unit_test_setup_teardown(test_golden_vector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_guard_and_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linked_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_link_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
