/* tests/unit/jobs/test_jobs.c - the table of periodic jobs (src/jobs/jobs.c).
 *
 * The table is driven with its own clock values, so each test says exactly when a job is
 * due, which period a run belongs to, and how a claim and a failure are counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "jobs/jobs.h"

static int calls_a, calls_b;
static int64_t seen_now;
static bool fail_next;

static int job_a(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    (void)env;
    calls_a++;
    seen_now = now_ms;
    if (fail_next) {
        fail_next = false;
        return error_set(err, ERR_STORE, "the store said no");
    }
    return 0;
}

static int job_b(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    (void)env;
    (void)now_ms;
    (void)err;
    calls_b++;
    return 0;
}

static const struct job table[] = {
    {.name = "every-minute", .every_ms = 60000, .run = job_a},
    {.name = "hourly-once", .every_ms = 3600000, .flags = JOB_ONCE, .run = job_b},
};

static struct jobs *new_table(int (*claim)(void *, const struct job *, int64_t, int64_t, bool *,
                                           struct error *),
                              void *ctx)
{
    static const struct jobs_env env = {0};
    struct jobs *j = NULL;
    struct error err = {0};
    struct jobs_config cfg = {.table = table, .n = 2, .env = &env, .claim = claim,
                              .claim_ctx = ctx};
    assert_int_equal(jobs_new(&cfg, &j, &err), 0);
    calls_a = calls_b = 0;
    fail_next = false;
    return j;
}

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z, the start of a minute and an hour */

static void test_first_tick_runs_every_job(void **state)
{
    struct jobs *j = new_table(NULL, NULL);
    int64_t wait = jobs_tick(j, T0 + 12345);
    assert_int_equal(calls_a, 1);
    assert_int_equal(calls_b, 1);
    assert_int_equal(seen_now, T0 + 12345);
    /* the next minute starts 47.655 s later */
    assert_int_equal(wait, 60000 - 12345);
    jobs_free(j);
}

static void test_due_once_per_aligned_period(void **state)
{
    struct jobs *j = new_table(NULL, NULL);
    struct job_stats st;
    jobs_tick(j, T0 + 59000);
    jobs_tick(j, T0 + 59999); /* same minute: nothing */
    assert_int_equal(calls_a, 1);
    jobs_tick(j, T0 + 60000); /* the next minute: due, though only 1 s passed */
    assert_int_equal(calls_a, 2);
    assert_int_equal(calls_b, 1); /* the hour is the same */
    assert_int_equal(jobs_stats(j, "every-minute", &st), 0);
    assert_int_equal(st.runs, 2);
    assert_int_equal(st.last_start_ms, T0 + 60000);
    assert_int_equal(st.next_due_ms, T0 + 120000);
    assert_int_equal(jobs_stats(j, "hourly-once", &st), 0);
    assert_int_equal(st.next_due_ms, T0 + 3600000);
    jobs_tick(j, T0 + 3600000 + 5);
    assert_int_equal(calls_b, 2);
    assert_int_equal(calls_a, 3);
    /* a tick late by several periods runs a job once, not once per missed period */
    jobs_tick(j, T0 + 3600000 + 10 * 60000 + 1);
    assert_int_equal(calls_a, 4);
    jobs_free(j);
}

static void test_wait_is_bounded(void **state)
{
    struct jobs *j = new_table(NULL, NULL);
    jobs_tick(j, T0 + 30000);
    /* the clock set back an hour: the table wakes within the shortest interval */
    int64_t wait = jobs_tick(j, T0 - 3600000);
    assert_int_equal(wait, 60000);
    assert_int_equal(calls_a, 1);
    /* exactly at a job's due time, it runs and the wait is the full interval */
    assert_int_equal(jobs_tick(j, T0 + 60000), 60000);
    assert_int_equal(calls_a, 2);
    jobs_free(j);
}

static void test_failures_counted_and_retried_next_period(void **state)
{
    struct jobs *j = new_table(NULL, NULL);
    struct job_stats st;
    fail_next = true;
    jobs_tick(j, T0);
    assert_int_equal(jobs_stats(j, "every-minute", &st), 0);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.failures, 1);
    jobs_tick(j, T0 + 1000); /* not again within the period */
    assert_int_equal(calls_a, 1);
    jobs_tick(j, T0 + 60000);
    assert_int_equal(jobs_stats(j, "every-minute", &st), 0);
    assert_int_equal(st.runs, 2);
    assert_int_equal(st.failures, 1);
    assert_int_equal(jobs_stats(j, "hourly-once", &st), 0);
    assert_int_equal(st.failures, 0);
    assert_int_equal(jobs_stats(j, "no-such-job", &st), -1);
    jobs_free(j);
}

/* A claim that grants each (name, period) to the first asker only, as a unique key on a
 * shared job_runs table would, and records what it was asked. */
struct claims {
    char names[8][32];
    int64_t periods[8];
    int n;
    bool broken;
};

static int claim_first(void *ctx, const struct job *job, int64_t now_ms, int64_t period_start,
                       bool *mine, struct error *err)
{
    struct claims *c = ctx;
    const char *name = job->name;
    if (c->broken)
        return error_set(err, ERR_STORE, "cannot reach the store");
    *mine = true;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0 && c->periods[i] == period_start)
            *mine = false;
    if (*mine && c->n < 8) {
        strcpy(c->names[c->n], name);
        c->periods[c->n++] = period_start;
    }
    return 0;
}

static void test_once_flag_claims_the_period(void **state)
{
    struct claims shared = {0};
    struct job_stats st;
    /* two processes sharing one claim table */
    struct jobs *p1 = new_table(claim_first, &shared);
    struct jobs *p2 = new_table(claim_first, &shared);
    jobs_tick(p1, T0 + 1000);
    jobs_tick(p2, T0 + 2000);
    /* the per-process job ran in both, the JOB_ONCE job once, for the hour's start */
    assert_int_equal(calls_a, 2);
    assert_int_equal(calls_b, 1);
    assert_int_equal(shared.n, 1);
    assert_string_equal(shared.names[0], "hourly-once");
    assert_int_equal(shared.periods[0], T0);
    assert_int_equal(jobs_stats(p2, "hourly-once", &st), 0);
    assert_int_equal(st.runs, 0);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.next_due_ms, T0 + 3600000); /* it does not ask again this hour */
    jobs_tick(p2, T0 + 3600000);
    assert_int_equal(calls_b, 2); /* the next hour is p2's */
    jobs_free(p1);
    jobs_free(p2);
}

static void test_claim_error_is_a_failure(void **state)
{
    struct claims shared = {.broken = true};
    struct job_stats st;
    struct jobs *j = new_table(claim_first, &shared);
    jobs_tick(j, T0);
    assert_int_equal(calls_b, 0);
    assert_int_equal(calls_a, 1); /* the others go on */
    assert_int_equal(jobs_stats(j, "hourly-once", &st), 0);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.runs, 0);
    jobs_free(j);
}

static void test_builtin_table(void **state)
{
    size_t n = 0;
    const struct job *jobs = jobs_builtin(&n);
    const char *want[] = {"daily-summaries", "retention", "sync-runs", "bank-matching"};
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(jobs[i].name, want[i]);
        assert_true(jobs[i].every_ms > 0);
        assert_non_null(jobs[i].run);
    }
    assert_int_equal(jobs[0].every_ms, 60000);
    assert_int_equal(jobs[1].every_ms, 3600000);
}

static void test_bad_table_refused(void **state)
{
    static const struct job bad[] = {{.name = "never", .every_ms = 0, .run = job_a}};
    struct jobs *j = NULL;
    struct error err = {0};
    struct jobs_config cfg = {.table = bad, .n = 1};
    assert_int_equal(jobs_new(&cfg, &j, &err), -1);
    assert_null(j);
    assert_int_equal(err.code, ERR_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_tick_runs_every_job),
        cmocka_unit_test(test_due_once_per_aligned_period),
        cmocka_unit_test(test_wait_is_bounded),
        cmocka_unit_test(test_failures_counted_and_retried_next_period),
        cmocka_unit_test(test_once_flag_claims_the_period),
        cmocka_unit_test(test_claim_error_is_a_failure),
        cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_bad_table_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
