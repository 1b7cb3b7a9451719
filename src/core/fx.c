/* core/fx.c - exchange rates: parsing, conversion with explicit rounding, and the ECB's
 * reference-rate files (CSV and XML). See fx.h. */
#include "core/fx.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>


static int64_t pow10_i64(int n)
{
    int64_t v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

int fx_rate_parse(const char *text, size_t len, int64_t *rate, struct error *err)
{
    size_t i = 0;
    int64_t whole = 0, frac = 0;
    int digits = 0;
    if (len == 0 || !isdigit((unsigned char)text[0]))
        goto bad;
    for (; i < len && isdigit((unsigned char)text[i]); i++) {
        if (whole > FX_RATE_MAX / FX_RATE_SCALE)
            goto range;
        whole = whole * 10 + (text[i] - '0');
    }
    if (i < len && text[i] == '.') {
        if (++i >= len || !isdigit((unsigned char)text[i]))
            goto bad;
        for (; i < len && isdigit((unsigned char)text[i]); i++) {
            if (digits == FX_RATE_DECIMALS) {
                if (text[i] != '0')
                    return error_set(err, ERR_VALIDATION,
                                     "rate '%.*s' has more than %d decimals", (int)(len > 32 ? 32 : len),
                                     text, FX_RATE_DECIMALS);
                continue;
            }
            frac = frac * 10 + (text[i] - '0');
            digits++;
        }
    }
    if (i != len)
        goto bad;
    if (whole > FX_RATE_MAX / FX_RATE_SCALE)
        goto range;
    int64_t r = whole * FX_RATE_SCALE + frac * pow10_i64(FX_RATE_DECIMALS - digits);
    if (r <= 0 || r > FX_RATE_MAX)
        goto range;
    *rate = r;
    return 0;
bad:
    return error_set(err, ERR_VALIDATION, "rate '%.*s' is not a decimal number",
                     (int)(len > 32 ? 32 : len), text);
range:
    return error_set(err, ERR_VALIDATION, "rate '%.*s' is not above 0 and at most 10000000",
                     (int)(len > 32 ? 32 : len), text);
}

void fx_rate_format(int64_t rate, char sep, char out[FX_RATE_TEXT_MAX])
{
    if (rate < 0)
        rate = 0;
    snprintf(out, FX_RATE_TEXT_MAX, "%lld%c%06lld", (long long)(rate / FX_RATE_SCALE), sep,
             (long long)(rate % FX_RATE_SCALE));
}

/* num / den rounded half away from zero; den > 0. */
static __int128 div_half_up(__int128 num, __int128 den)
{
    __int128 mag = num < 0 ? -num : num;
    __int128 q = (2 * mag + den) / (2 * den);
    return num < 0 ? -q : q;
}

int fx_to_book(const struct money *amount, int64_t rate, struct money *out, struct error *err)
{
    int from = money_currency_decimals(amount->currency);
    int to = money_currency_decimals(FX_BOOK_CURRENCY);
    if (from < 0)
        return error_set(err, ERR_VALIDATION, "unknown currency '%.3s'", amount->currency);
    if (rate <= 0 || rate > FX_RATE_MAX)
        return error_set(err, ERR_VALIDATION, "an exchange rate must be above 0");
    if (amount->minor > MONEY_MAX_MINOR || amount->minor < -MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW, "an amount beyond 10^13 minor units");
    /* book = amount / 10^from * 10^to / (rate / SCALE); |amount| <= 2^63 and the factors
     * are <= 10^8, so the numerator stays far inside 128 bits. */
    __int128 num = (__int128)amount->minor * pow10_i64(to) * FX_RATE_SCALE;
    __int128 den = (__int128)rate * pow10_i64(from);
    __int128 q = div_half_up(num, den);
    if (q > MONEY_MAX_MINOR || q < -MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW,
                         "%s converted at this rate exceeds the maximum of 10^13 minor units",
                         amount->currency);
    out->minor = (int64_t)q;
    memcpy(out->currency, FX_BOOK_CURRENCY, sizeof out->currency);
    return 0;
}

int fx_rate_implied(const struct money *foreign, const struct money *book, int64_t *rate,
                    struct error *err)
{
    int from = money_currency_decimals(foreign->currency);
    int to = money_currency_decimals(book->currency);
    if (from < 0 || to < 0)
        return error_set(err, ERR_VALIDATION, "unknown currency");
    if (foreign->minor == 0 || book->minor == 0 || (foreign->minor < 0) != (book->minor < 0))
        return error_set(err, ERR_VALIDATION,
                         "a settlement amount must be non-zero and of the payment's sign");
    /* rate = (foreign / 10^from) / (book / 10^to) * SCALE */
    __int128 num = (__int128)foreign->minor * pow10_i64(to) * FX_RATE_SCALE;
    __int128 den = (__int128)book->minor * pow10_i64(from);
    if (den < 0) {
        num = -num;
        den = -den;
    }
    __int128 q = div_half_up(num, den);
    if (q <= 0 || q > FX_RATE_MAX)
        return error_set(err, ERR_VALIDATION,
                         "the settlement of %s implies a rate beyond 0..10000000",
                         foreign->currency);
    *rate = (int64_t)q;
    return 0;
}

#define FX_PROVIDER_DECIMALS 12

int fx_multiply(const struct money *amount, const char *rate_text, size_t len, const char *to,
                struct money *out, struct error *err)
{
    int from = money_currency_decimals(amount->currency), dto = money_currency_decimals(to);
    if (from < 0 || dto < 0)
        return error_set(err, ERR_VALIDATION, "unknown currency");
    if (amount->minor > MONEY_MAX_MINOR || amount->minor < -MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW, "an amount beyond 10^13 minor units");
    /* The rate as mantissa / 10^digits: at most 6 digits before the point and 12 after. */
    int64_t mant = 0;
    int digits = 0, whole = 0;
    size_t i = 0;
    bool point = false;
    for (; i < len; i++) {
        char c = rate_text[i];
        if (c == '.' && !point && i > 0) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9' || (point ? ++digits > FX_PROVIDER_DECIMALS : ++whole > 6))
            break;
        mant = mant * 10 + (c - '0');
    }
    if (i != len || len == 0 || mant <= 0 || (point && digits == 0))
        return error_set(err, ERR_VALIDATION, "exchange rate '%.*s' is not a positive decimal",
                         (int)(len > 32 ? 32 : len), rate_text);
    /* out = amount / 10^from * mant / 10^digits * 10^dto; |amount| * mant < 2^63 * 10^18 */
    __int128 num = (__int128)amount->minor * mant * pow10_i64(dto);
    __int128 den = (__int128)pow10_i64(digits) * pow10_i64(from);
    __int128 q = div_half_up(num, den);
    if (q > MONEY_MAX_MINOR || q < -MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW,
                         "%s converted at this rate exceeds the maximum of 10^13 minor units",
                         amount->currency);
    out->minor = (int64_t)q;
    return money_currency_set(out, to, err);
}

/* ---- the ECB's files --------------------------------------------------------------- */

struct parse {
    const char *p, *end;
    long line;
    int (*fn)(void *ctx, const struct fx_rate_row *row, struct error *err);
    void *ctx;
    struct fx_file_stats *stats;
    struct error *err;
};

static bool valid_ymd(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1999 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* "2026-03-20" or "20 March 2026" (the daily CSV) as YYYY-MM-DD. */
static bool read_date(const char *s, size_t n, char out[11])
{
    static const char *const months[] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};
    int y, m = 0, d;
    if (n == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) && all_digits(s + 5, 2) &&
        all_digits(s + 8, 2)) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[5] - '0') * 10 + (s[6] - '0');
        d = (s[8] - '0') * 10 + (s[9] - '0');
    } else {
        size_t i = 0;
        d = 0;
        while (i < n && i < 2 && isdigit((unsigned char)s[i]))
            d = d * 10 + (s[i++] - '0');
        if (i == 0 || i >= n || s[i++] != ' ')
            return false;
        size_t start = i;
        while (i < n && isalpha((unsigned char)s[i]))
            i++;
        for (int k = 0; k < 12; k++)
            if (strlen(months[k]) == i - start && strncmp(months[k], s + start, i - start) == 0)
                m = k + 1;
        if (!m || i + 5 != n || s[i] != ' ' || !all_digits(s + i + 1, 4))
            return false;
        const char *t = s + i + 1;
        y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
    }
    if (!valid_ymd(y, m, d))
        return false;
    char text[40];
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
    memcpy(out, text, 11);
    return true;
}

static int hand_on(struct parse *ps, const char *date, const char *cur, size_t cur_len,
                   const char *val, size_t val_len)
{
    struct fx_rate_row row = {0};
    /* ECB history lists currencies ISO 4217 has retired (CYP, SIT, ...) and "N/A" or
     * nothing on days without a rate: those are skipped, counted, not errors. */
    if (val_len == 0 || (val_len == 3 && memcmp(val, "N/A", 3) == 0)) {
        ps->stats->skipped++;
        return 0;
    }
    if (cur_len != 3)
        return error_set(ps->err, ERR_VALIDATION, "line %ld: '%.*s' is not a currency code",
                         ps->line, (int)(cur_len > 16 ? 16 : cur_len), cur);
    memcpy(row.currency, cur, 3);
    if (money_currency_decimals(row.currency) < 0) {
        ps->stats->skipped++;
        return 0;
    }
    if (strcmp(row.currency, FX_BOOK_CURRENCY) == 0)
        return error_set(ps->err, ERR_VALIDATION, "line %ld: a rate of EUR against itself",
                         ps->line);
    struct error rate_err;
    if (fx_rate_parse(val, val_len, &row.rate, &rate_err) < 0)
        return error_set(ps->err, ERR_VALIDATION, "line %ld, %s: %s", ps->line, row.currency,
                         rate_err.message);
    memcpy(row.date, date, sizeof row.date);
    ps->stats->rates++;
    return ps->fn(ps->ctx, &row, ps->err);
}

/* The next line of the file without its line end; false at the end. */
static bool next_line(struct parse *ps, const char **s, size_t *n)
{
    if (ps->p >= ps->end)
        return false;
    const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    const char *stop = nl ? nl : ps->end;
    *s = ps->p;
    *n = (size_t)(stop - ps->p);
    if (*n && (*s)[*n - 1] == '\r')
        (*n)--;
    ps->p = nl ? nl + 1 : ps->end;
    ps->line++;
    return true;
}

/* A line being cut into comma-separated cells. */
struct cells {
    const char *s, *end;
    bool done;
};

/* The next cell, trimmed of spaces; false when none is left. *last tells whether it was
 * the line's last (the ECB ends each line with a comma, so its last cell is empty). */
static bool next_cell(struct cells *c, const char **cell, size_t *n, bool *last)
{
    if (c->done)
        return false;
    const char *comma = memchr(c->s, ',', (size_t)(c->end - c->s));
    const char *stop = comma ? comma : c->end;
    const char *a = c->s, *b = stop;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    *cell = a;
    *n = (size_t)(b - a);
    if (comma)
        c->s = comma + 1;
    else
        c->done = true;
    *last = c->done;
    return true;
}

#define CSV_COLUMNS_MAX 128

static int parse_csv(struct parse *ps)
{
    const char *line, *cell;
    size_t len, n;
    const char *cols[CSV_COLUMNS_MAX];
    size_t col_len[CSV_COLUMNS_MAX], n_cols = 0;
    if (!next_line(ps, &line, &len))
        return error_set(ps->err, ERR_VALIDATION, "the file is empty");
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { /* a byte order mark */
        line += 3;
        len -= 3;
    }
    bool last;
    struct cells c = {.s = line, .end = line + len};
    if (!next_cell(&c, &cell, &n, &last) || n != 4 || memcmp(cell, "Date", 4) != 0)
        return error_set(ps->err, ERR_VALIDATION,
                         "line 1: not an ECB rates file (a CSV starts with 'Date, USD, ...', "
                         "an XML file with '<?xml' and a gesmes:Envelope)");
    while (next_cell(&c, &cell, &n, &last)) {
        if (n == 0 && last)
            break;
        if (n_cols == CSV_COLUMNS_MAX)
            return error_set(ps->err, ERR_VALIDATION, "line 1: more than %d currencies",
                             CSV_COLUMNS_MAX);
        cols[n_cols] = cell;
        col_len[n_cols++] = n;
    }
    if (n_cols == 0)
        return error_set(ps->err, ERR_VALIDATION, "line 1: no currency columns after 'Date'");
    while (next_line(ps, &line, &len)) {
        if (len == 0)
            continue;
        c = (struct cells){.s = line, .end = line + len};
        char date[11];
        next_cell(&c, &cell, &n, &last);
        if (!read_date(cell, n, date))
            return error_set(ps->err, ERR_VALIDATION,
                             "line %ld: '%.*s' is not a date (YYYY-MM-DD or '20 March 2026')",
                             ps->line, (int)(n > 32 ? 32 : n), cell);
        size_t k = 0;
        for (; k < n_cols && next_cell(&c, &cell, &n, &last); k++) {
            if (n == 0 && last)
                break; /* the comma that ends the line, not a value */
            if (hand_on(ps, date, cols[k], col_len[k], cell, n) < 0)
                return -1;
        }
        if (k < n_cols)
            return error_set(ps->err, ERR_VALIDATION, "line %ld: %zu values for %zu currencies",
                             ps->line, k, n_cols);
        if (next_cell(&c, &cell, &n, &last) && (n != 0 || !last))
            return error_set(ps->err, ERR_VALIDATION, "line %ld: more values than currencies",
                             ps->line);
    }
    return 0;
}

/* The value of attribute `name` inside the tag [s, end), quoted with ' or ". */
static bool xml_attr(const char *s, const char *end, const char *name, const char **v, size_t *n)
{
    size_t nl = strlen(name);
    for (const char *p = s; p + nl + 2 < end; p++) {
        if ((p == s || isspace((unsigned char)p[-1])) && memcmp(p, name, nl) == 0 &&
            p[nl] == '=' && (p[nl + 1] == '\'' || p[nl + 1] == '"')) {
            const char *a = p + nl + 2;
            const char *b = memchr(a, p[nl + 1], (size_t)(end - a));
            if (!b)
                return false;
            *v = a;
            *n = (size_t)(b - a);
            return true;
        }
    }
    return false;
}

static long line_of(const char *start, const char *p)
{
    long line = 1;
    for (const char *q = start; q < p; q++)
        line += *q == '\n';
    return line;
}

static int parse_xml(struct parse *ps)
{
    const char *start = ps->p;
    size_t total = (size_t)(ps->end - ps->p);
    if (!memmem(start, total, "gesmes:Envelope", 15))
        return error_set(ps->err, ERR_VALIDATION,
                         "an XML file that is not the ECB's (no gesmes:Envelope)");
    char date[11] = "";
    for (const char *p = start; (p = memmem(p, (size_t)(ps->end - p), "<Cube", 5));) {
        const char *tag_end = memchr(p, '>', (size_t)(ps->end - p));
        if (!tag_end)
            return error_set(ps->err, ERR_VALIDATION, "line %ld: a <Cube tag is not closed",
                             line_of(start, p));
        const char *v, *c;
        size_t n, cn;
        ps->line = line_of(start, p);
        if (xml_attr(p + 5, tag_end, "time", &v, &n)) {
            if (!read_date(v, n, date))
                return error_set(ps->err, ERR_VALIDATION, "line %ld: time '%.*s' is not a date",
                                 ps->line, (int)(n > 32 ? 32 : n), v);
        } else if (xml_attr(p + 5, tag_end, "currency", &c, &cn)) {
            if (!xml_attr(p + 5, tag_end, "rate", &v, &n))
                return error_set(ps->err, ERR_VALIDATION, "line %ld: a currency without a rate",
                                 ps->line);
            if (!date[0])
                return error_set(ps->err, ERR_VALIDATION,
                                 "line %ld: a rate outside a <Cube time='...'>", ps->line);
            if (hand_on(ps, date, c, cn, v, n) < 0)
                return -1;
        }
        p = tag_end + 1;
    }
    return 0;
}

int fx_file_parse(const char *text, size_t len,
                  int (*fn)(void *ctx, const struct fx_rate_row *row, struct error *err),
                  void *ctx, struct fx_file_stats *stats, struct error *err)
{
    struct fx_file_stats local = {0};
    struct parse ps = {.p = text, .end = text + len, .fn = fn, .ctx = ctx,
                       .stats = stats ? stats : &local, .err = err};
    *ps.stats = (struct fx_file_stats){0};
    if (len > FX_FILE_MAX)
        return error_set(err, ERR_VALIDATION, "the file is larger than %u MiB",
                         FX_FILE_MAX >> 20);
    if (memchr(text, '\0', len))
        return error_set(err, ERR_VALIDATION, "the file holds a NUL byte: not a rates file");
    size_t i = 0;
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    int rc = i < len && text[i] == '<' ? parse_xml(&ps) : parse_csv(&ps);
    if (rc < 0)
        return -1;
    if (ps.stats->rates == 0)
        return error_set(err, ERR_VALIDATION, "the file holds no exchange rate");
    return 0;
}
