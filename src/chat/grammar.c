/* chat/grammar.c - what a question asks, without any outside service: a small grammar of
 * intents, periods and parties in German and English.
 *
 * The text is folded (lower case, German capitals with umlauts too, punctuation to spaces
 * except inside numbers) and cut into words. Intents are recognised by word stems in a
 * fixed order of precedence (VAT before revenue, since "Umsatzsteuer" starts with "Umsatz";
 * overdue before open), so many wordings of one question reach one query. A period is a
 * canonical one (2026, 2026-03, 2026-Q1), a month name with or without its year ("im März":
 * the last March that has begun), or a relative one (this/last month, quarter, year; in
 * both languages). Invoice numbers, amounts (1.234,56 or 1,234.56, with € or EUR) and
 * parties ("from Acme", "von Müller") are read for the invoice search. Everything is
 * bounded: at most CHAT_QUESTION_MAX bytes and MAX_WORDS words are read. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assistant/queries.h"
#include "chat/chat_int.h"
#include "core/utf8.h"

#define MAX_WORDS 64
#define WORD_MAX 64

struct words {
    char w[MAX_WORDS][WORD_MAX];
    int n;
};

/* ---- folding and words ------------------------------------------------------------------ */

/* Lower case, with the German capitals Ä Ö Ü (UTF-8 C3 84/96/9C) folded too. Other bytes of
 * multi-byte characters are kept as they are. */
static void fold(const char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == 0xC3 && i + 1 < len &&
            ((unsigned char)in[i + 1] == 0x84 || (unsigned char)in[i + 1] == 0x96 ||
             (unsigned char)in[i + 1] == 0x9C)) {
            out[i] = in[i];
            out[i + 1] = (char)((unsigned char)in[i + 1] + 0x20);
            i++;
            continue;
        }
        out[i] = ch < 0x80 ? (char)tolower(ch) : (char)ch;
    }
    out[len] = '\0';
}

/* A byte that belongs to a word: letters, digits, UTF-8 bytes, and the marks of numbers,
 * dates, amounts and invoice numbers. */
static bool word_byte(unsigned char ch)
{
    return isalnum(ch) || ch >= 0x80 || ch == '-' || ch == '/' || ch == '#' || ch == '.' ||
           ch == ',' || ch == '_';
}

static void split(const char *text, struct words *ws)
{
    ws->n = 0;
    const char *p = text;
    while (*p && ws->n < MAX_WORDS) {
        while (*p && !word_byte((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p && word_byte((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - start);
        /* A word's trailing sentence marks are no part of it ("März." "ok,"). */
        while (len && (start[len - 1] == '.' || start[len - 1] == ',' || start[len - 1] == '-' ||
                       start[len - 1] == '/'))
            len--;
        if (!len)
            continue;
        if (len >= WORD_MAX) { /* cut on a character's boundary */
            char tmp[WORD_MAX];
            memcpy(tmp, start, WORD_MAX - 1);
            tmp[WORD_MAX - 1] = '\0';
            len = utf8_cut(tmp, WORD_MAX - 1);
        }
        memcpy(ws->w[ws->n], start, len);
        ws->w[ws->n][len] = '\0';
        ws->n++;
    }
}

static bool starts(const char *w, const char *stem)
{
    return strncmp(w, stem, strlen(stem)) == 0;
}

/* The index of the first word starting with one of stems (NULL-terminated), or -1. */
static int find_stem(const struct words *ws, const char *const *stems)
{
    for (int i = 0; i < ws->n; i++)
        for (const char *const *s = stems; *s; s++)
            if (starts(ws->w[i], *s))
                return i;
    return -1;
}

static bool has(const struct words *ws, const char *const *stems)
{
    return find_stem(ws, stems) >= 0;
}

static bool has_word(const struct words *ws, const char *word)
{
    for (int i = 0; i < ws->n; i++)
        if (strcmp(ws->w[i], word) == 0)
            return true;
    return false;
}

/* ---- language ------------------------------------------------------------------------- */

static const char *const german_words[] = {
    "wie", "viel", "was", "welche", "welcher", "im", "letzten", "letztes", "letzter", "umsatz",
    "ausgaben", "rechnung", "rechnungen", "offen", "offene", "offenen", "lieferanten",
    "lieferant", "kunden", "kunde", "größte", "größten", "habe", "ich", "ist", "sind", "zeig",
    "zeige", "mir", "monat", "jahr", "quartal", "diesen", "dieses", "dieser", "umsatzsteuer",
    "mwst", "zahllast", "hilfe", "passt", "für", "von", "und", "wer", "wurde", "wann", "der",
    "die", "das", "den", "dem", "mein", "meine", "unsere", "haben", "wir", "gibt", "es", "noch",
    "überfällig", "überfällige", "überfälligen", "fehlgeschlagene", "fehlgeschlagen",
    "zustellungen", "konnektoren", "installiert", "vorjahr", "heuer", "bitte", "nr", "nummer",
    "betrag", "über", "mit", "eine", "ein", "ust", "erlöse", "zeigen", "liste", "einnahmen", "kosten", "schulden", "schuldet", NULL};
static const char *const english_words[] = {
    "how", "much", "what", "which", "in", "last", "this", "revenue", "expenses", "invoice",
    "invoices", "open", "unpaid", "suppliers", "supplier", "customers", "customer", "largest",
    "biggest", "have", "i", "is", "are", "show", "me", "month", "year", "quarter", "vat",
    "due", "help", "for", "from", "and", "who", "was", "when", "the", "my", "our", "we", "any",
    "overdue", "failed", "deliveries", "connectors", "installed", "please", "number", "amount",
    "over", "with", "an", "a", "sales", "income", "spent", "costs", "owes", "owe", "did", "do",
    NULL};

static int count_in(const struct words *ws, const char *const *list)
{
    int n = 0;
    for (int i = 0; i < ws->n; i++)
        for (const char *const *w = list; *w; w++)
            if (strcmp(ws->w[i], *w) == 0) {
                n++;
                break;
            }
    return n;
}

static enum chat_lang lang_of(const struct words *ws)
{
    int de = count_in(ws, german_words), en = count_in(ws, english_words);
    /* Umlauts and ß say German on their own. */
    for (int i = 0; i < ws->n; i++)
        if (strstr(ws->w[i], "\xc3\xa4") || strstr(ws->w[i], "\xc3\xb6") ||
            strstr(ws->w[i], "\xc3\xbc") || strstr(ws->w[i], "\xc3\x9f"))
            de++;
    return de > en ? CHAT_DE : CHAT_EN;
}

static void words_of(const char *text, struct words *ws)
{
    char folded[CHAT_QUESTION_MAX + 1];
    size_t len = text ? strlen(text) : 0;
    if (len > CHAT_QUESTION_MAX)
        len = utf8_cut(text, CHAT_QUESTION_MAX);
    fold(text ? text : "", len, folded);
    split(folded, ws);
}

enum chat_lang chat_guess_lang(const char *text)
{
    struct words ws;
    words_of(text, &ws);
    return lang_of(&ws);
}

/* ---- periods ---------------------------------------------------------------------------- */

struct day {
    int y, m, d;
};

static struct day day_of(const char *ymd)
{
    return (struct day){atoi(ymd), atoi(ymd + 5), atoi(ymd + 8)};
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[m - 1];
}

/* YYYY-MM-DD; the parts are in range by construction, the modulos tell the compiler so. */
static void format_day(char *out, size_t size, int y, int m, int d)
{
    snprintf(out, size, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

static void set_span(struct chat_question *q, int y1, int m1, int d1, int y2, int m2, int d2)
{
    format_day(q->from, sizeof q->from, y1, m1, d1);
    format_day(q->to, sizeof q->to, y2, m2, d2);
}

static void set_months(struct chat_question *q, int y, int m1, int m2)
{
    set_span(q, y, m1, 1, y, m2, month_days(y, m2));
}

struct month_name {
    const char *stem;
    int month;
};

/* Stems that name one month in either language (and no other word a question uses). */
static const struct month_name months[] = {
    {"januar", 1}, {"january", 1}, {"jänner", 1}, {"jaenner", 1}, {"jan", 1},
    {"februar", 2}, {"february", 2}, {"feb", 2},
    {"märz", 3}, {"maerz", 3}, {"march", 3}, {"mär", 3},
    {"april", 4}, {"apr", 4},
    {"mai", 5}, {"may", 5},
    {"juni", 6}, {"june", 6}, {"jun", 6},
    {"juli", 7}, {"july", 7}, {"jul", 7},
    {"august", 8}, {"aug", 8},
    {"september", 9}, {"sept", 9}, {"sep", 9},
    {"oktober", 10}, {"october", 10}, {"okt", 10}, {"oct", 10},
    {"november", 11}, {"nov", 11},
    {"dezember", 12}, {"december", 12}, {"dez", 12}, {"dec", 12},
};

static int month_of(const char *w)
{
    for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
        size_t n = strlen(months[i].stem);
        /* A short stem must be the whole word ("mai", "jan"), a long one may be followed
         * by an inflection ("märz", "januars"). */
        if (strcmp(w, months[i].stem) == 0 || (n >= 5 && starts(w, months[i].stem)))
            return months[i].month;
    }
    return 0;
}

static int year_of(const char *w)
{
    if (strlen(w) == 4 && isdigit((unsigned char)w[0]) && isdigit((unsigned char)w[1]) &&
        isdigit((unsigned char)w[2]) && isdigit((unsigned char)w[3])) {
        int y = atoi(w);
        return y >= 1990 && y <= 2100 ? y : 0;
    }
    return 0;
}

static bool is_this(const char *w)
{
    static const char *const words[] = {"this", "current", "diesen", "dieses", "dieser", "diesem",
                                        "aktuellen", "aktuelles", "aktueller", "laufenden",
                                        "laufendes", NULL};
    for (const char *const *p = words; *p; p++)
        if (strcmp(w, *p) == 0)
            return true;
    return false;
}

static bool is_last(const char *w)
{
    static const char *const words[] = {"last", "previous", "prior", "letzten", "letztes",
                                        "letzter", "letztem", "vorigen", "voriges", "vergangenen",
                                        "vergangenes", NULL};
    for (const char *const *p = words; *p; p++)
        if (strcmp(w, *p) == 0)
            return true;
    return false;
}

enum unit { UNIT_NONE, UNIT_MONTH, UNIT_QUARTER, UNIT_YEAR };

static enum unit unit_of(const char *w)
{
    if (starts(w, "month") || starts(w, "monat"))
        return UNIT_MONTH;
    if (starts(w, "quarter") || starts(w, "quartal"))
        return UNIT_QUARTER;
    if (strcmp(w, "year") == 0 || strcmp(w, "jahr") == 0 || strcmp(w, "jahres") == 0)
        return UNIT_YEAR;
    return UNIT_NONE;
}

static void relative(struct chat_question *q, struct day t, enum unit u, bool last)
{
    if (u == UNIT_MONTH) {
        int y = t.y, m = t.m - (last ? 1 : 0);
        if (m < 1) {
            m = 12;
            y--;
        }
        set_months(q, y, m, m);
    } else if (u == UNIT_QUARTER) {
        int y = t.y, qn = (t.m - 1) / 3 + 1 - (last ? 1 : 0);
        if (qn < 1) {
            qn = 4;
            y--;
        }
        set_months(q, y, 3 * qn - 2, 3 * qn);
    } else {
        set_months(q, t.y - (last ? 1 : 0), 1, 12);
    }
}

/* Reads the first period the words name into q; false when they name none. */
static bool read_period(const struct words *ws, struct day t, struct chat_question *q)
{
    /* The canonical forms first (2026-Q1, 2026-03, 2026-03-15): they say the most. */
    for (int i = 0; i < ws->n; i++) {
        char from[11], to[11];
        if (strlen(ws->w[i]) >= 7 && assistant_period_parse(ws->w[i], from, to)) {
            memcpy(q->from, from, 11);
            memcpy(q->to, to, 11);
            return true;
        }
    }
    for (int i = 0; i < ws->n; i++) {
        const char *w = ws->w[i];
        /* "1. Quartal 2026", "2 quarter": an ordinal before the unit */
        if (w[0] >= '1' && w[0] <= '4' && w[1] == '\0' && i + 1 < ws->n &&
            unit_of(ws->w[i + 1]) == UNIT_QUARTER) {
            int y = i + 2 < ws->n ? year_of(ws->w[i + 2]) : 0;
            int qn = w[0] - '0';
            set_months(q, y ? y : t.y, 3 * qn - 2, 3 * qn);
            return true;
        }
        /* Q1 2026, q1/2026, Q1 (this year) */
        if (w[0] == 'q' && w[1] >= '1' && w[1] <= '4' && (w[2] == '\0' || w[2] == '/' || w[2] == '-')) {
            int y = w[2] ? year_of(w + 3) : (i + 1 < ws->n ? year_of(ws->w[i + 1]) : 0);
            int qn = w[1] - '0';
            set_months(q, y ? y : t.y, 3 * qn - 2, 3 * qn);
            return true;
        }
        int m = month_of(w);
        if (m) {
            int y = i + 1 < ws->n ? year_of(ws->w[i + 1]) : 0;
            if (!y) /* the last such month that has begun */
                y = m <= t.m ? t.y : t.y - 1;
            set_months(q, y, m, m);
            return true;
        }
        if ((is_this(w) || is_last(w)) && i + 1 < ws->n && unit_of(ws->w[i + 1]) != UNIT_NONE) {
            relative(q, t, unit_of(ws->w[i + 1]), is_last(w));
            return true;
        }
        if (strcmp(w, "vormonat") == 0 || strcmp(w, "vorquartal") == 0 || strcmp(w, "vorjahr") == 0) {
            relative(q, t, w[3] == 'm' ? UNIT_MONTH : w[3] == 'q' ? UNIT_QUARTER : UNIT_YEAR, true);
            return true;
        }
        if (strcmp(w, "heuer") == 0 || strcmp(w, "ytd") == 0) {
            relative(q, t, UNIT_YEAR, false);
            return true;
        }
        if (strcmp(w, "today") == 0 || strcmp(w, "heute") == 0) {
            set_span(q, t.y, t.m, t.d, t.y, t.m, t.d);
            return true;
        }
        int y = year_of(w);
        if (y) {
            set_months(q, y, 1, 12);
            return true;
        }
    }
    return false;
}

/* ---- amounts, numbers, parties ---------------------------------------------------------- */

static bool currency_word(const char *w)
{
    return strcmp(w, "€") == 0 || strcmp(w, "eur") == 0 || strcmp(w, "euro") == 0 ||
           strcmp(w, "euros") == 0;
}

/* "1.234,56", "1,234.56", "1234.56", "99,90", "€12.50", "12,50€": into "1234.56". Needs a
 * decimal part, a currency mark or a currency word beside it. */
static bool read_amount(const struct words *ws, int i, char out[32])
{
    const char *w = ws->w[i];
    char digits[40];
    size_t n = 0;
    bool euro = false;
    if (starts(w, "\xe2\x82\xac")) { /* € */
        w += 3;
        euro = true;
    }
    size_t len = strlen(w);
    if (len >= 3 && strcmp(w + len - 3, "\xe2\x82\xac") == 0) {
        len -= 3;
        euro = true;
    }
    if (!len || !isdigit((unsigned char)w[0]))
        return false;
    const char *last_sep = NULL;
    for (size_t k = 0; k < len; k++) {
        if (w[k] == '.' || w[k] == ',')
            last_sep = w + k;
        else if (!isdigit((unsigned char)w[k]))
            return false;
    }
    bool decimals = last_sep && (size_t)(w + len - last_sep - 1) == 2;
    if (!euro && !decimals && !(i + 1 < ws->n && currency_word(ws->w[i + 1])) &&
        !(i > 0 && currency_word(ws->w[i - 1])))
        return false;
    for (size_t k = 0; k < len && n + 2 < sizeof digits; k++) {
        if (isdigit((unsigned char)w[k]))
            digits[n++] = w[k];
        else if (decimals && w + k == last_sep)
            digits[n++] = '.';
    }
    digits[n] = '\0';
    if (n == 0 || n > 16)
        return false;
    memcpy(out, digits, n + 1);
    return true;
}

static bool has_digit(const char *w)
{
    for (; *w; w++)
        if (isdigit((unsigned char)*w))
            return true;
    return false;
}

static bool has_alpha(const char *w)
{
    for (; *w; w++)
        if (isalpha((unsigned char)*w))
            return true;
    return false;
}

/* An invoice number: after "nr", "no", "number", "nummer" or "#", or a word that mixes
 * letters and digits ("re-2026-001", "inv42"). */
static bool read_number(const struct words *ws, struct chat_question *q)
{
    for (int i = 0; i < ws->n; i++) {
        const char *w = ws->w[i];
        if ((strcmp(w, "nr") == 0 || strcmp(w, "no") == 0 || strcmp(w, "number") == 0 ||
             strcmp(w, "nummer") == 0 || strcmp(w, "#") == 0) && i + 1 < ws->n &&
            has_digit(ws->w[i + 1])) {
            snprintf(q->number, sizeof q->number, "%s", ws->w[i + 1]);
            return true;
        }
        if (w[0] == '#' && has_digit(w)) {
            snprintf(q->number, sizeof q->number, "%s", w + 1);
            return true;
        }
        char f[11], t[11];
        if (has_digit(w) && has_alpha(w) && !month_of(w) && !(w[0] == 'q' && strlen(w) <= 7) &&
            !assistant_period_parse(w, f, t) && !strstr(w, "\xe2\x82\xac")) {
            snprintf(q->number, sizeof q->number, "%s", w);
            return true;
        }
    }
    return false;
}

static bool stop_word(const char *w)
{
    static const char *const stops[] = {
        "in", "im", "for", "für", "from", "von", "of", "the", "der", "die", "das", "den",
        "dem", "des", "this", "last", "letzten", "letztes", "diesen", "dieses", "an", "to",
        "with", "mit", "über", "over", "invoice", "invoices", "rechnung", "rechnungen", "and",
        "und", "please", "bitte", "eur", "euro", "€", NULL};
    for (const char *const *s = stops; *s; s++)
        if (strcmp(w, *s) == 0)
            return true;
    return month_of(w) || year_of(w) || unit_of(w) != UNIT_NONE || has_digit(w);
}

/* The party after "from", "von", "for", "für", "by", "bei", "an", "to": the words up to
 * the next word that is no name, as many whole words as fit (snprintf would keep the part of
 * the next one that fits, cut inside a character perhaps). */
static bool read_party(const struct words *ws, struct chat_question *q)
{
    static const char *const marks[] = {"from", "von", "for", "für", "by", "bei", "an", "to",
                                        "vom", "party", NULL};
    for (int i = 0; i + 1 < ws->n; i++) {
        bool mark = false;
        for (const char *const *m = marks; *m; m++)
            mark = mark || strcmp(ws->w[i], *m) == 0;
        if (!mark)
            continue;
        size_t o = 0;
        for (int j = i + 1; j < ws->n && !stop_word(ws->w[j]); j++) {
            int n = snprintf(q->party + o, sizeof q->party - o, "%s%s", o ? " " : "", ws->w[j]);
            if (n < 0 || (size_t)n >= sizeof q->party - o) {
                q->party[o] = '\0';
                break;
            }
            o += (size_t)n;
        }
        if (o)
            return true;
    }
    return false;
}

/* ---- intents ---------------------------------------------------------------------------- */

static const char *const s_vat[] = {"vat", "ust", "umsatzsteuer", "mwst", "mehrwertsteuer",
                                    "zahllast", "vorsteuer", "tax", "steuer", NULL};
static const char *const s_overdue[] = {"overdue", "überfällig", "ueberfällig", "ueberfaellig",
                                        "late", "verspätet", "past-due", "säumig", NULL};
static const char *const s_open[] = {"open", "offen", "unpaid", "unbezahlt", "outstanding",
                                     "ausstehend", "owe", "owes", "schulde", NULL};
static const char *const s_webhook[] = {"webhook", NULL};
static const char *const s_delivery[] = {"deliver", "zustell", "auslieferung", "destination",
                                         "benachrichtigung", "notification", NULL};
static const char *const s_sync[] = {"sync", "synchron", "abgleich", NULL};
static const char *const s_connector[] = {"connector", "konnektor", "integration", "installed",
                                          "installiert", "apps", "verbindungen", NULL};
static const char *const s_supplier[] = {"supplier", "lieferant", "vendor", "kreditor",
                                         "zulieferer", NULL};
static const char *const s_customer[] = {"customer", "kunde", "kunden", "client", "debitor",
                                         NULL};
static const char *const s_revenue[] = {"revenue", "sales", "income", "turnover", "earn",
                                        "umsatz", "umsätze", "erlös", "einnahm", "verdien",
                                        "eingenommen", NULL};
static const char *const s_expenses[] = {"expense", "spent", "spend", "cost", "ausgabe",
                                         "kosten", "aufwand", "aufwände", "ausgegeben", NULL};
static const char *const s_invoice[] = {"invoice", "rechnung", "beleg", "bill", NULL};
static const char *const s_help[] = {"help", "hilfe", "/help", "/start", "/hilfe", NULL};

/* The read query a question asks for, or NULL. */
static const char *query_of(const struct words *ws)
{
    if (has(ws, s_vat) && !has(ws, s_webhook))
        return "vat_due";
    if (has(ws, s_webhook))
        return "failed_webhooks";
    if (has(ws, s_delivery))
        return "failed_deliveries";
    if (has(ws, s_sync))
        return "last_sync";
    if (has(ws, s_connector))
        return "connectors";
    if (has(ws, s_overdue))
        return "overdue_invoices";
    if (has(ws, s_open))
        return "open_invoices";
    if (has(ws, s_supplier) && !has(ws, s_invoice))
        return "top_suppliers";
    if (has(ws, s_customer) && !has(ws, s_invoice))
        return "top_customers";
    if (has(ws, s_revenue))
        return "revenue";
    if (has(ws, s_expenses))
        return "expenses";
    if (has(ws, s_invoice))
        return "find_invoice";
    return NULL;
}

static bool is_confirm(const struct words *ws)
{
    static const char *const yes[] = {"ok", "okay", "passt", "yes", "ja", "confirm",
                                      "bestätigen", "bestätigt", "stimmt", "correct", NULL};
    if (ws->n == 0 || ws->n > 3)
        return false;
    for (const char *const *y = yes; *y; y++)
        if (strcmp(ws->w[0], *y) == 0)
            return true;
    return false;
}

/* "/link CODE" (the slash is not a word byte at the start: "link" is the first word). */
static bool read_link(const char *text, struct chat_question *q)
{
    while (*text == ' ' || *text == '\t' || *text == '\n')
        text++;
    if (*text == '/')
        text++;
    if (strncmp(text, "link", 4) != 0 && strncmp(text, "Link", 4) != 0)
        return false;
    text += 4;
    if (*text != ' ' && *text != '\t')
        return false;
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = 0;
    while (n + 1 < sizeof q->code && isalnum((unsigned char)text[n])) {
        q->code[n] = (char)toupper((unsigned char)text[n]);
        n++;
    }
    q->code[n] = '\0';
    return n > 0;
}

void chat_understand(const char *text, const char *today, struct chat_question *q)
{
    struct words ws;
    memset(q, 0, sizeof *q);
    words_of(text, &ws);
    q->lang = lang_of(&ws);
    if (text && read_link(text, q)) {
        q->intent = CHAT_INTENT_LINK;
        return;
    }
    if (is_confirm(&ws)) {
        q->intent = CHAT_INTENT_CONFIRM;
        return;
    }
    if (has(&ws, s_help) || (ws.n <= 3 && (has_word(&ws, "start") || has_word(&ws, "hallo") ||
                                           has_word(&ws, "hello") || has_word(&ws, "hi")))) {
        q->intent = CHAT_INTENT_HELP;
        return;
    }
    q->query = query_of(&ws);
    if (!q->query)
        return;
    q->intent = CHAT_INTENT_QUERY;
    struct day t = day_of(today);
    bool period = read_period(&ws, t, q);
    const struct assistant_query *aq = assistant_query_find(q->query);
    if (!period && aq && (aq->args & ASSISTANT_ARG_PERIOD)) /* this year so far */
        relative(q, t, strcmp(q->query, "vat_due") == 0 ? UNIT_MONTH : UNIT_YEAR, false);
    if (strcmp(q->query, "find_invoice") == 0) {
        bool any = false;
        for (int i = 0; i < ws.n && !any; i++)
            any = read_amount(&ws, i, q->amount);
        if (!any)
            any = read_number(&ws, q);
        if (!any)
            any = read_party(&ws, q);
        if (!any)
            q->query = "open_invoices"; /* "my invoices": the ones that still matter */
        q->from[0] = q->to[0] = '\0';
    }
}
