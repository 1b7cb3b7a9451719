/* tests/fuzz/fuzz_bank.c - what the bank drivers read from a service: one page of
 * transactions (bank_parse_transactions: GoCardless's booked and pending lists, Enable
 * Banking's page, Revolut's list for one account), down to the rows that would be stored.
 *
 * Input: the driver on the first line ("gocardless", "enablebanking", or "revolut ACCOUNT"),
 * the page after it. Seeds: pages as the services document them (tests/fuzz/corpus/bank).
 * Promises: every entry has a dedup key of the known forms ("r:" the bank's reference, "h:"
 * or "p:" a content digest) that fits its column, a known currency, an amount within
 * +-MONEY_MAX_MINOR, dates that are "" or YYYY-MM-DD, a booked entry a booking date, and
 * texts that are valid UTF-8; no two entries of a page share a digest key; a failure is
 * ERR_SERVICE_FAILED or ERR_VALIDATION with a UTF-8 message. */
#include "bank/bank.h"
#include "core/money.h"
#include "fuzz.h"

#define SEEN_MAX 4096

struct seen {
    char keys[SEEN_MAX][BANK_ENTRY_REF_MAX];
    size_t n;
};

static bool date_ok(const char *d)
{
    return d[0] == '\0' || (strlen(d) == 10 && d[4] == '-' && d[7] == '-');
}

static bool text_ok(const char *s)
{
    return !s || (s[0] && valid_utf8(s));
}

static int check(void *ctx, const struct bank_tx_in *t)
{
    struct seen *seen = ctx;
    size_t n = strnlen(t->entry_ref, sizeof t->entry_ref);
    must(n >= 3 && n < sizeof t->entry_ref);
    must(t->entry_ref[1] == ':' && strchr("rhp", t->entry_ref[0]));
    must(money_currency_decimals(t->currency) >= 0);
    must(t->amount_minor <= MONEY_MAX_MINOR && t->amount_minor >= -MONEY_MAX_MINOR);
    must(date_ok(t->booking_date) && date_ok(t->value_date));
    must(!t->booked || t->booking_date[0]);
    must(text_ok(t->counterparty_name) && text_ok(t->counterparty_iban) &&
         text_ok(t->remittance) && text_ok(t->reference));
    must(valid_utf8(t->bank_tx_id));
    if (t->entry_ref[0] != 'r') {
        for (size_t i = 0; i < seen->n; i++)
            must(strcmp(seen->keys[i], t->entry_ref) != 0);
        if (seen->n < SEEN_MAX)
            memcpy(seen->keys[seen->n++], t->entry_ref, sizeof seen->keys[0]);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct seen seen;
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *rest = text;
    char *driver = fuzz_field(&rest, false);
    char *account = strchr(driver, ' ');
    if (account)
        *account++ = '\0';
    size_t body_len = size - (size_t)(rest - text);
    char *body = malloc(body_len + 1); /* exactly the page, so ASan sees a read past it */
    if (!body) {
        free(text);
        return 0;
    }
    memcpy(body, rest, body_len);
    body[body_len] = '\0';
    struct error err = {0};
    seen.n = 0;
    int rc = bank_parse_transactions(driver, body, body_len, account, check, &seen, &err);
    if (rc < 0) {
        must(err.code == ERR_SERVICE_FAILED || err.code == ERR_VALIDATION);
        must(valid_utf8_n(err.message, strlen(err.message)));
    }
    free(body);
    free(text);
    return 0;
}
