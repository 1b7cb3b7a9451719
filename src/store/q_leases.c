/* store/q_leases.c - leases among the processes that share the store (see leases.h). */
#include "store/leases.h"
#include "store/store_int.h"

int store_lease_claim(struct store *s, const char *name, const char *holder, int64_t now_ms,
                      int64_t lease_ms, bool *mine, struct error *err)
{
    int64_t changes = 0;
    int64_t until;
    *mine = false;
    if (lease_ms <= 0 || __builtin_add_overflow(now_ms, lease_ms, &until))
        return error_set(err, ERR_INTERNAL, "a lease needs a length");
    struct store_param p[] = {P_TEXT(name), P_TEXT(holder), P_INT(until), P_INT(now_ms)};
    /* An upsert whose update applies only when the lease is free or the asker's own: it
     * changes one row exactly when the asker holds the lease afterwards. Two processes
     * inserting the first row together meet at the primary key, and the second one's
     * condition then sees the first one's lease. */
    if (store_run(s,
                  "INSERT INTO job_leases (name, holder, until_ms) VALUES ($1, $2, $3) "
                  "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                  "until_ms = excluded.until_ms "
                  "WHERE job_leases.holder = excluded.holder OR job_leases.until_ms < $4 "
                  "OR job_leases.until_ms > excluded.until_ms",
                  p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *mine = changes == 1;
    return 0;
}

int store_lease_release_all(struct store *s, const char *holder, struct error *err)
{
    struct store_param p[] = {P_TEXT(holder)};
    return store_run(s, "UPDATE job_leases SET until_ms = 0 WHERE holder = $1", p, N_PARAMS(p),
                     NULL, NULL, NULL, err);
}
