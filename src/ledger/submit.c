/* ledger/submit.c - one VAT return, from the books to FinanzOnline and into the record.
 *
 * The order keeps the record true: the figures are computed and checked first; then the
 * period is claimed (a pending row: a second submission, or a parallel one, is refused
 * before anything is sent); then login, upload, logout; only an accepted upload turns the
 * claim into a submission, anything else removes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ledger/ledger.h"
#include "store/accounting.h"

/* A claim older than this belongs to a process that died mid-submission. */
#define CLAIM_STALE_MS (10 * 60 * 1000)

/* The figures of the return, made from one known chain head (ledger_export_at_head). */
struct figures_run {
    struct store *s;
    const char *tenant_id;
    const struct ledger_u30_period *period;
    bool small_business;
    struct ledger_u30 *figures;
};

static int figures_run(void *ctx, struct error *err)
{
    struct figures_run *r = ctx;
    if (ledger_u30_compute(r->s, r->tenant_id, r->period, r->small_business, r->figures, err) < 0)
        return -1;
    return ledger_u30_check(r->figures, err);
}

int ledger_u30_submit(struct store *s, const struct ledger_u30_submit_request *rq,
                      json_t **result, struct ledger_fon_answer *answer, struct error *err)
{
    struct ledger_u30_period period;
    struct ledger_u30 figures;
    struct ledger_fon_account account;
    struct buf xml;
    char id[CRYPTO_ID_MAX] = "";
    char *figures_text = NULL;
    int64_t package_no = 0;
    int rc = -1;
    *result = NULL;
    memset(answer, 0, sizeof *answer);
    buf_init(&xml, 0);
    memset(&account, 0, sizeof account);

    if (ledger_u30_period_parse(rq->period, &period, err) < 0)
        goto out;
    if (!rq->vendor_id || !*rq->vendor_id) {
        error_set(err, ERR_VALIDATION,
                  "FinanzOnline needs the submitter's VAT number (herstellerid); set vatNumber "
                  "in the settings (PUT /api/settings)");
        goto out;
    }
    struct figures_run run = {.s = s, .tenant_id = rq->tenant_id, .period = &period,
                              .small_business = rq->small_business, .figures = &figures};
    if (ledger_fon_account_load(s, rq->tenant_id, rq->master_key, true, &account, err) < 0 ||
        ledger_export_at_head(s, rq->tenant_id, figures_run, &run, rq->head, err) < 0)
        goto out;
    json_t *figures_json = ledger_u30_json(&figures);
    figures_text = figures_json ? json_dumps(figures_json, JSON_COMPACT) : NULL;
    json_decref(figures_json);
    if (!figures_text) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }

    int64_t now = clock_now_ms();
    if (store_vat_submission_claim(s, rq->tenant_id, "AT", period.text, rq->test, rq->correction,
                                   now - CLAIM_STALE_MS, id, &package_no, err) < 0) {
        id[0] = '\0';
        goto out;
    }
    struct ledger_u30_info info = {.tax_number = account.tax_number, .package_no = package_no};
    tz_local_time(rq->tz, now, &info.created);
    if (ledger_u30_xml(&xml, &figures, &info, err) < 0 ||
        ledger_fon_send(&account, rq->vendor_id, rq->test, xml.data, rq->allow_private, answer,
                        err) < 0)
        goto out;
    char submitted[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), submitted);
    if (store_vat_submission_accept(s, rq->tenant_id, id, figures_text, xml.data, answer->rc,
                                    answer->message, submitted, err) < 0) {
        /* Sent and accepted, but not recorded: say so loudly, the claim stays pending. */
        log_error("VAT return %s of tenant %s was accepted by FinanzOnline (package %lld) but "
                  "could not be recorded: %s",
                  period.text, rq->tenant_id, (long long)package_no, err->message);
        id[0] = '\0';
        goto out;
    }
    struct vat_submission sub = {.test = rq->test,
                                 .correction = rq->correction,
                                 .package_no = package_no,
                                 .figures = figures_text,
                                 .service_rc = answer->rc,
                                 .service_message = answer->message};
    snprintf(sub.id, sizeof sub.id, "%s", id);
    snprintf(sub.country, sizeof sub.country, "AT");
    snprintf(sub.period, sizeof sub.period, "%s", period.text);
    snprintf(sub.submitted_at, sizeof sub.submitted_at, "%s", submitted);
    *result = ledger_u30_submission_json(&sub);
    id[0] = '\0';
    rc = *result ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
out:
    if (id[0]) {
        struct error abandon_err = {0};
        if (store_vat_submission_abandon(s, rq->tenant_id, id, &abandon_err) < 0)
            log_error("cannot remove the claim of a failed VAT return: %s", abandon_err.message);
    }
    ledger_fon_account_wipe(&account);
    free(figures_text);
    buf_free(&xml);
    return rc;
}

json_t *ledger_u30_submission_json(const struct vat_submission *sub)
{
    json_t *figures = sub->figures ? json_loads(sub->figures, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:s, s:o, s:{s:I, s:s?}}", "id", sub->id,
                     "country", sub->country, "period", sub->period, "test", sub->test,
                     "correction", sub->correction, "packageNumber",
                     (json_int_t)sub->package_no, "submittedAt", sub->submitted_at, "figures",
                     figures ? figures : json_null(), "service", "rc",
                     (json_int_t)sub->service_rc, "message", sub->service_message);
}
