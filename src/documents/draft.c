/* documents/draft.c - the draft a reader fills: text cut on character boundaries, amounts
 * taken exactly as written, rates and dates checked. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "core/utf8.h"
#include "documents/documents_int.h"

json_t *draft_new(const char *reader, int confidence)
{
    return json_pack("{s:s, s:i}", "reader", reader, "confidence", confidence);
}

json_t *draft_object(json_t *obj, const char *key)
{
    json_t *o = json_object_get(obj, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(obj, key, o);
    }
    return o;
}

json_t *draft_array(json_t *obj, const char *key)
{
    json_t *a = json_object_get(obj, key);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(obj, key, a);
    }
    return a;
}

void draft_problem(json_t *draft, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_repair(msg);
    json_t *list = draft_array(draft, "problems");
    if (json_array_size(list) < 20)
        json_array_append_new(list, json_string(msg));
}

/* Trimmed copy of text with runs of white space (line breaks in XML) made one space. */
static void squeeze(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    bool space = false;
    for (const char *p = text; *p && n + 1 < cap; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < cap)
            out[n++] = ' ';
        space = false;
        out[n++] = *p;
    }
    out[n] = '\0';
}

void draft_text(json_t *obj, const char *key, const char *text)
{
    if (!obj || !text)
        return;
    char tmp[4 * DRAFT_FIELD_MAX];
    squeeze(text, tmp, sizeof tmp);
    utf8_repair(tmp);
    tmp[utf8_cut(tmp, DRAFT_FIELD_MAX)] = '\0';
    if (tmp[0])
        json_object_set_new(obj, key, json_string(tmp));
}

void draft_amount(json_t *draft, json_t *obj, const char *key, const char *text,
                  const char *currency)
{
    if (!obj || !text)
        return;
    char tmp[64];
    squeeze(text, tmp, sizeof tmp);
    if (!tmp[0])
        return;
    struct money m;
    struct error e;
    if (!currency || money_parse_decimal(tmp, strlen(tmp), currency, &m, &e) < 0) {
        utf8_repair(tmp);
        draft_problem(draft, "%s: \"%.40s\" is not an amount in %s", key, tmp,
                      currency ? currency : "a known currency");
        return;
    }
    char out[MONEY_TEXT_MAX];
    money_format(&m, out);
    json_object_set_new(obj, key, json_string(out));
}

bool draft_rate(const char *text, char out[16])
{
    char tmp[32];
    squeeze(text ? text : "", tmp, sizeof tmp);
    const char *p = tmp;
    long whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        whole = whole * 10 + (*p - '0');
    if (digits == 0)
        return false;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (fdigits == 2 && *p != '0')
                return false; /* more precision than a VAT rate has */
            if (fdigits < 2)
                frac = frac * 10 + (*p - '0'), fdigits++;
        }
    }
    if (*p || whole > 100)
        return false;
    while (fdigits < 2)
        frac *= 10, fdigits++;
    if (whole == 100 && frac)
        return false;
    int w = (int)whole % 1000, f = (int)frac % 100; /* whole <= 100, frac < 100 */
    if (f == 0)
        snprintf(out, 16, "%d", w);
    else if (f % 10 == 0)
        snprintf(out, 16, "%d.%d", w, f / 10);
    else
        snprintf(out, 16, "%d.%02d", w, f);
    return true;
}

static bool real_day(int y, int m, int d)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool draft_date(const char *text, char out[11])
{
    char tmp[32];
    squeeze(text ? text : "", tmp, sizeof tmp);
    int y, m, d;
    size_t n = strlen(tmp);
    if (n == 10 && tmp[4] == '-' && tmp[7] == '-' && all_digits(tmp, 4) &&
        all_digits(tmp + 5, 2) && all_digits(tmp + 8, 2)) {
        y = atoi(tmp), m = atoi(tmp + 5), d = atoi(tmp + 8);
    } else if (n == 8 && all_digits(tmp, 8)) {
        d = atoi(tmp + 6);
        tmp[6] = '\0';
        m = atoi(tmp + 4);
        tmp[4] = '\0';
        y = atoi(tmp);
    } else {
        return false;
    }
    if (!real_day(y, m, d))
        return false;
    char tmp2[32];
    snprintf(tmp2, sizeof tmp2, "%04d-%02d-%02d", y, m, d);
    memcpy(out, tmp2, 11);
    return true;
}
