/* jobs/lease.c - the claim that makes a JOB_ONCE job run in one process of all those that
 * share the store (see jobs.h): a lease row per job, held for two intervals and renewed
 * by its holder at each of its ticks. */
#include <stdio.h>

#include "crypto/crypto.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "store/leases.h"

int jobs_lease_init(struct jobs_lease *lease, struct store *store, struct error *err)
{
    char id[CRYPTO_ID_MAX];
    if (crypto_id_new("prc_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    lease->store = store;
    snprintf(lease->holder, sizeof lease->holder, "%s", id);
    return 0;
}

int jobs_claim_lease(void *ctx, const struct job *job, int64_t now_ms, int64_t period_start_ms,
                     bool *mine, struct error *err)
{
    struct jobs_lease *lease = ctx;
    int64_t hold_ms;
    (void)period_start_ms; /* the holder runs every period while it holds the lease */
    /* Two intervals: the holder's next tick renews it even when that tick comes later in
     * its period than the last one did, so the job does not wander between processes; a
     * holder that died hands over within two intervals. */
    if (__builtin_mul_overflow(job->every_ms, 2, &hold_ms))
        hold_ms = job->every_ms;
    return store_lease_claim(lease->store, job->name, lease->holder, now_ms, hold_ms, mine, err);
}

void jobs_lease_release(struct jobs_lease *lease)
{
    struct error err = {0};
    if (lease->store && store_lease_release_all(lease->store, lease->holder, &err) < 0)
        log_warn("cannot give up the jobs' leases (other processes take them over when they "
                 "run out): %s", err.message);
}
