/* tests/fuzz/fuzz_rates.c - a fuzz target for the reader of the ECB's rates files
 * (fx_file_parse in src/core/fx.c), which `connectord rates import` feeds with an
 * operator's file: the daily and history CSV and the XML envelope.
 *
 * The target checks the promises, not just that nothing crashes: every rate handed on is
 * within 0 < rate <= FX_RATE_MAX for a known ISO 4217 code other than EUR on a real day
 * (YYYY-MM-DD, 1999..9999); the count of rates matches what was handed on; a refusal is
 * ERR_VALIDATION with a message that is valid UTF-8; and every rate converts an amount at
 * the bound without wrapping (fx_to_book either fits or says ERR_AMOUNT_OVERFLOW). A
 * broken promise abort()s, which libFuzzer and the replay test both report.
 *
 * Built two ways: with libFuzzer (`make fuzz-rates`, clang) and, in `make test`, by
 * tests/unit/core/test_fx_fuzz_replay.c, which replays tests/fuzz/corpus/rates/ and
 * deterministic mutations of it under ASan and UBSan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fx.h"
#include "core/money.h"
#include "core/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(bool promise)
{
    if (!promise)
        abort();
}

static bool valid_day(const char *d)
{
    if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    int m = (d[5] - '0') * 10 + (d[6] - '0'), day = (d[8] - '0') * 10 + (d[9] - '0');
    return strncmp(d, "1999", 4) >= 0 && m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

static int check_row(void *ctx, const struct fx_rate_row *row, struct error *err)
{
    (void)err;
    size_t *seen = ctx;
    (*seen)++;
    must(row->rate > 0 && row->rate <= FX_RATE_MAX);
    must(strlen(row->currency) == 3 && money_currency_decimals(row->currency) >= 0);
    must(strcmp(row->currency, "EUR") != 0);
    must(valid_day(row->date));
    struct money top = {.minor = MONEY_MAX_MINOR}, out;
    struct error conv;
    memcpy(top.currency, row->currency, sizeof top.currency);
    int rc = fx_to_book(&top, row->rate, &out, &conv);
    must(rc == 0 ? out.minor > 0 && out.minor <= MONEY_MAX_MINOR
                 : conv.code == ERR_AMOUNT_OVERFLOW);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t seen = 0;
    struct fx_file_stats stats;
    struct error err = {0};
    int rc = fx_file_parse((const char *)data, size, check_row, &seen, &stats, &err);
    if (rc == 0) {
        must(seen == stats.rates && seen > 0);
    } else {
        must(err.code == ERR_VALIDATION);
        size_t len = strlen(err.message);
        for (size_t i = 0; i < len;) {
            size_t n = utf8_seq_len(err.message + i, len - i);
            must(n > 0);
            i += n;
        }
    }
    return 0;
}
