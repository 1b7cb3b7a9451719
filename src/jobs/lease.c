/* jobs/lease.c - the claim that makes a JOB_ONCE job run in one process of all those that
 * share the store (see jobs.h): a lease row per job, held for one interval and renewed by
 * its holder at each of its ticks. */
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
    (void)period_start_ms; /* the holder runs every period while it holds the lease */
    return store_lease_claim(lease->store, job->name, lease->holder, now_ms, job->every_ms, mine,
                             err);
}

void jobs_lease_release(struct jobs_lease *lease)
{
    struct error err = {0};
    if (lease->store && store_lease_release_all(lease->store, lease->holder, &err) < 0)
        log_warn("cannot give up the jobs' leases (other processes take them over when they "
                 "run out): %s", err.message);
}
