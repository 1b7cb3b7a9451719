/* chat/answer.c - a query's result as a reply, in the language of the question.
 *
 * Every figure is a query result's amount, formatted for the locale ("1.234,56 €" in
 * German, "€1,234.56" in English) from its exact minor units; nothing is computed here but
 * the layout. Each reply names the query it came from. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assistant/queries.h"
#include "chat/chat_int.h"
#include "core/buf.h"
#include "core/money.h"
#include "core/utf8.h"

#define REPLY_MAX 3500 /* within every platform's message limit */
#define LIST_MAX 10

static const char *const month_en[] = {"January", "February", "March",     "April",
                                       "May",     "June",     "July",      "August",
                                       "September", "October", "November", "December"};
static const char *const month_de[] = {"Januar", "Februar", "März",      "April",
                                       "Mai",    "Juni",    "Juli",      "August",
                                       "September", "Oktober", "November", "Dezember"};

#define T(lang, en, de) ((lang) == CHAT_DE ? (de) : (en))

bool chat_format_amount(const json_t *amount, enum chat_lang lang, char *out, size_t cap)
{
    const json_t *minor = json_object_get(amount, "minor");
    const char *cur = json_string_value(json_object_get(amount, "currency"));
    struct money m;
    struct error ignored;
    char plain[MONEY_TEXT_MAX], grouped[2 * MONEY_TEXT_MAX];
    if (!json_is_integer(minor) || !cur || money_currency_set(&m, cur, &ignored) < 0)
        return false;
    m.minor = json_integer_value(minor);
    money_format(&m, plain); /* "-1234.56" */
    const char *digits = plain[0] == '-' ? plain + 1 : plain;
    const char *dot = strchr(digits, '.');
    size_t int_len = dot ? (size_t)(dot - digits) : strlen(digits);
    char thousands = lang == CHAT_DE ? '.' : ',', decimal = lang == CHAT_DE ? ',' : '.';
    size_t o = 0;
    for (size_t i = 0; i < int_len; i++) {
        if (i && (int_len - i) % 3 == 0)
            grouped[o++] = thousands;
        grouped[o++] = digits[i];
    }
    if (dot) {
        grouped[o++] = decimal;
        for (const char *p = dot + 1; *p; p++)
            grouped[o++] = *p;
    }
    grouped[o] = '\0';
    const char *sign = plain[0] == '-' ? "-" : "";
    bool euro = strcmp(m.currency, "EUR") == 0;
    if (lang == CHAT_DE)
        snprintf(out, cap, "%s%s %s", sign, grouped, euro ? "€" : m.currency);
    else if (euro)
        snprintf(out, cap, "%s€%s", sign, grouped);
    else
        snprintf(out, cap, "%s%s %s", sign, m.currency, grouped);
    return true;
}

static const char *amt(const json_t *amount, enum chat_lang lang, char *buf, size_t cap)
{
    if (!chat_format_amount(amount, lang, buf, cap))
        snprintf(buf, cap, "?");
    return buf;
}

/* "March 2026", "Q1 2026", "2026", "2026-03-01 – 2026-03-15"; "" without a period. */
static void period_label(const char *from, const char *to, enum chat_lang lang, char *out,
                         size_t cap)
{
    out[0] = '\0';
    if (!from || !to || strlen(from) != 10 || strlen(to) != 10)
        return;
    int y1 = atoi(from), m1 = atoi(from + 5), d1 = atoi(from + 8);
    int y2 = atoi(to), m2 = atoi(to + 5);
    bool month_end = strcmp(to + 8, "28") >= 0 && m2 >= 1 && m2 <= 12;
    if (y1 == y2 && d1 == 1 && month_end && m1 == 1 && m2 == 12)
        snprintf(out, cap, "%d", y1);
    else if (y1 == y2 && d1 == 1 && month_end && m1 == m2 && m1 >= 1 && m1 <= 12)
        snprintf(out, cap, "%s %d", lang == CHAT_DE ? month_de[m1 - 1] : month_en[m1 - 1], y1);
    else if (y1 == y2 && d1 == 1 && month_end && (m1 - 1) % 3 == 0 && m2 == m1 + 2)
        snprintf(out, cap, "Q%d %d", (m1 - 1) / 3 + 1, y1);
    else if (strcmp(from, to) == 0)
        snprintf(out, cap, "%s", from);
    else
        snprintf(out, cap, "%s – %s", from, to);
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void source(struct buf *b, const char *query, enum chat_lang lang)
{
    const struct assistant_query *q = assistant_query_find(query);
    if (q)
        buf_printf(b, T(lang, "\n(source: query “%s”)", "\n(Quelle: Abfrage „%s“)"),
                   T(lang, q->title_en, q->title_de));
}

/* "€1,234.56" or "€1,234.56 + USD 10.00" over a totals array; zero in EUR when empty. */
static void totals_text(const json_t *totals, enum chat_lang lang, struct buf *b, int64_t *count)
{
    size_t i;
    const json_t *t;
    char a[64];
    *count = 0;
    if (!json_array_size(totals)) {
        json_t *zero = json_pack("{sIss}", "minor", (json_int_t)0, "currency", "EUR");
        buf_append_str(b, amt(zero, lang, a, sizeof a));
        json_decref(zero);
        return;
    }
    json_array_foreach(totals, i, t) {
        buf_printf(b, "%s%s", i ? " + " : "", amt(t, lang, a, sizeof a));
        *count += json_integer_value(json_object_get(t, "count"));
    }
}

static void invoice_lines(struct buf *b, const json_t *rows, enum chat_lang lang, bool due)
{
    size_t i;
    const json_t *r;
    char a[64];
    json_array_foreach(rows, i, r) {
        if (i == LIST_MAX) {
            buf_printf(b, T(lang, "\n… and %zu more", "\n… und %zu weitere"),
                       json_array_size(rows) - LIST_MAX);
            break;
        }
        buf_printf(b, "\n• %.*s, %.*s, %s", UTF8_CUT(60, str(r, "number")),
                   UTF8_CUT(80, str(r, "party")), amt(json_object_get(r, "amount"), lang, a, sizeof a));
        if (due && *str(r, "dueDate"))
            buf_printf(b, T(lang, ", due %s", ", fällig %s"), str(r, "dueDate"));
        else
            buf_printf(b, T(lang, ", dated %s", ", vom %s"), str(r, "date"));
    }
}

static void answer_open(struct buf *b, const json_t *res, enum chat_lang lang, bool overdue)
{
    const json_t *rows = json_object_get(res, "invoices");
    int64_t count;
    struct buf total;
    buf_init(&total, 1024);
    totals_text(json_object_get(res, "totals"), lang, &total, &count);
    if (count == 0) {
        buf_append_str(b, overdue ? T(lang, "You have no overdue invoices.",
                                      "Sie haben keine überfälligen Rechnungen.")
                                  : T(lang, "You have no open invoices.",
                                      "Sie haben keine offenen Rechnungen."));
    } else {
        const char *what = overdue ? T(lang, count == 1 ? "overdue invoice" : "overdue invoices",
                                       count == 1 ? "überfällige Rechnung" : "überfällige Rechnungen")
                                   : T(lang, count == 1 ? "open invoice" : "open invoices",
                                       count == 1 ? "offene Rechnung" : "offene Rechnungen");
        buf_printf(b, T(lang, "You have %lld %s totalling %s:", "Sie haben %lld %s über insgesamt %s:"),
                   (long long)count, what, total.data ? total.data : "");
        invoice_lines(b, rows, lang, true);
    }
    buf_free(&total);
}

static void answer_totals(struct buf *b, const json_t *res, enum chat_lang lang, bool revenue)
{
    char label[64];
    int64_t count;
    period_label(str(res, "from"), str(res, "to"), lang, label, sizeof label);
    buf_printf(b, "%s", revenue ? T(lang, "Revenue", "Umsatz") : T(lang, "Expenses", "Ausgaben"));
    if (label[0])
        buf_printf(b, lang == CHAT_DE && !isdigit((unsigned char)label[0]) ? " im %s"
                      : lang == CHAT_DE                                   ? " %s"
                                                                          : " in %s",
                   label);
    buf_append_str(b, ": ");
    totals_text(json_object_get(res, "totals"), lang, b, &count);
    buf_printf(b, T(lang, " (gross, %lld %s).", " (brutto, %lld %s)."), (long long)count,
               T(lang, count == 1 ? "invoice" : "invoices", count == 1 ? "Rechnung" : "Rechnungen"));
}

static void answer_vat(struct buf *b, const json_t *res, enum chat_lang lang)
{
    char label[64], due[64], out[64], in[64];
    period_label(str(res, "from"), str(res, "to"), lang, label, sizeof label);
    buf_printf(b,
               T(lang, "VAT due for %s: %s (output VAT %s less input VAT %s).",
                 "Umsatzsteuer-Zahllast für %s: %s (Umsatzsteuer %s abzüglich Vorsteuer %s)."),
               label, amt(json_object_get(res, "due"), lang, due, sizeof due),
               amt(json_object_get(res, "outputVat"), lang, out, sizeof out),
               amt(json_object_get(res, "inputVat"), lang, in, sizeof in));
}

static void answer_top(struct buf *b, const json_t *res, enum chat_lang lang, bool suppliers)
{
    const json_t *rows = json_object_get(res, "parties");
    char label[64], a[64];
    size_t i;
    const json_t *r;
    period_label(str(res, "from"), str(res, "to"), lang, label, sizeof label);
    if (!json_array_size(rows)) {
        buf_printf(b, suppliers ? T(lang, "No supplier invoices in %s.", "Keine Lieferantenrechnungen %s.")
                                : T(lang, "No customer invoices in %s.", "Keine Kundenrechnungen %s."),
                   label);
        return;
    }
    buf_printf(b, suppliers ? T(lang, "Largest suppliers in %s:", "Größte Lieferanten %s:")
                            : T(lang, "Largest customers in %s:", "Größte Kunden %s:"),
               label);
    json_array_foreach(rows, i, r)
        buf_printf(b, "\n%zu. %.*s %s (%lld %s)", i + 1, UTF8_CUT(80, str(r, "name")),
                   amt(json_object_get(r, "total"), lang, a, sizeof a),
                   (long long)json_integer_value(json_object_get(r, "count")),
                   T(lang, json_integer_value(json_object_get(r, "count")) == 1 ? "invoice" : "invoices",
                     json_integer_value(json_object_get(r, "count")) == 1 ? "Rechnung" : "Rechnungen"));
}

static void answer_find(struct buf *b, const json_t *res, enum chat_lang lang)
{
    const json_t *rows = json_object_get(res, "invoices");
    size_t n = json_array_size(rows);
    if (!n) {
        buf_append_str(b, T(lang, "No invoice found.", "Keine Rechnung gefunden."));
        return;
    }
    buf_printf(b, T(lang, "Found %zu %s:", "%zu %s gefunden:"), n,
               T(lang, n == 1 ? "invoice" : "invoices", n == 1 ? "Rechnung" : "Rechnungen"));
    invoice_lines(b, rows, lang, false);
}

static void answer_webhooks(struct buf *b, const json_t *res, enum chat_lang lang)
{
    const json_t *rows = json_object_get(res, "webhooks");
    size_t i;
    const json_t *r;
    if (!json_array_size(rows)) {
        buf_append_str(b, T(lang, "No failed webhooks.", "Keine fehlgeschlagenen Webhooks."));
        return;
    }
    buf_append_str(b, T(lang, "Last failed webhooks:", "Letzte fehlgeschlagene Webhooks:"));
    json_array_foreach(rows, i, r)
        buf_printf(b, "\n• %.19s %.*s: %s%s%.*s", str(r, "receivedAt"), UTF8_CUT(40, str(r, "provider")),
                   str(r, "status"), *str(r, "error") ? " – " : "", UTF8_CUT(120, str(r, "error")));
}

static void answer_deliveries(struct buf *b, const json_t *res, enum chat_lang lang)
{
    const json_t *rows = json_object_get(res, "deliveries");
    size_t i;
    const json_t *r;
    if (!json_array_size(rows)) {
        buf_append_str(b, T(lang, "No failed deliveries.", "Keine fehlgeschlagenen Zustellungen."));
        return;
    }
    buf_append_str(b, T(lang, "Last failed deliveries:", "Letzte fehlgeschlagene Zustellungen:"));
    json_array_foreach(rows, i, r) {
        buf_printf(b, "\n• %.19s %.*s %s: %s, %lld %s", str(r, "updatedAt"),
                   UTF8_CUT(40, str(r, "connector")), str(r, "eventType"), str(r, "status"),
                   (long long)json_integer_value(json_object_get(r, "attempts")),
                   T(lang, "attempts", "Versuche"));
        if (json_is_integer(json_object_get(r, "lastStatus")))
            buf_printf(b, ", HTTP %lld", (long long)json_integer_value(json_object_get(r, "lastStatus")));
    }
}

static void answer_connectors(struct buf *b, const json_t *res, enum chat_lang lang)
{
    const json_t *rows = json_object_get(res, "connectors");
    size_t i;
    const json_t *r;
    if (!json_array_size(rows)) {
        buf_append_str(b, T(lang, "No connectors are installed.", "Es sind keine Konnektoren installiert."));
        return;
    }
    buf_printf(b, T(lang, "Installed connectors (%zu):", "Installierte Konnektoren (%zu):"),
               json_array_size(rows));
    json_array_foreach(rows, i, r) {
        buf_printf(b, "\n• %.*s", UTF8_CUT(48, str(r, "slug")));
        if (*str(r, "name"))
            buf_printf(b, " (%.*s)", UTF8_CUT(60, str(r, "name")));
        if (!json_is_true(json_object_get(r, "active")))
            buf_append_str(b, T(lang, ", turned off", ", ausgeschaltet"));
    }
}

static void answer_sync(struct buf *b, const json_t *res, enum chat_lang lang)
{
    const json_t *r = json_array_get(json_object_get(res, "runs"), 0);
    if (!r) {
        buf_append_str(b, T(lang, "No sync has run yet.", "Es gab noch keine Synchronisierung."));
        return;
    }
    const char *when = *str(r, "finishedAt") ? str(r, "finishedAt") : str(r, "createdAt");
    buf_printf(b, T(lang, "Last sync: %.*s %s at %.19s, %lld new, %lld updated, %lld deleted.",
                    "Letzte Synchronisierung: %.*s %s am %.19s, %lld neu, %lld geändert, %lld gelöscht."),
               UTF8_CUT(48, str(r, "connector")), str(r, "status"), when,
               (long long)json_integer_value(json_object_get(r, "new")),
               (long long)json_integer_value(json_object_get(r, "updated")),
               (long long)json_integer_value(json_object_get(r, "deleted")));
    if (*str(r, "error"))
        buf_printf(b, " %s %.*s", T(lang, "Error:", "Fehler:"), UTF8_CUT(160, str(r, "error")));
}

static void answer_open_all(struct buf *b, const json_t *res, enum chat_lang lang)
{
    answer_open(b, res, lang, false);
}

static void answer_overdue(struct buf *b, const json_t *res, enum chat_lang lang)
{
    answer_open(b, res, lang, true);
}

static void answer_revenue(struct buf *b, const json_t *res, enum chat_lang lang)
{
    answer_totals(b, res, lang, true);
}

static void answer_expenses(struct buf *b, const json_t *res, enum chat_lang lang)
{
    answer_totals(b, res, lang, false);
}

static void answer_suppliers(struct buf *b, const json_t *res, enum chat_lang lang)
{
    answer_top(b, res, lang, true);
}

static void answer_customers(struct buf *b, const json_t *res, enum chat_lang lang)
{
    answer_top(b, res, lang, false);
}

/* How each read query's result is said (assistant/queries.c names them). */
static const struct {
    const char *query;
    void (*say)(struct buf *b, const json_t *res, enum chat_lang lang);
} answers[] = {
    {"open_invoices", answer_open_all},     {"overdue_invoices", answer_overdue},
    {"revenue", answer_revenue},            {"expenses", answer_expenses},
    {"vat_due", answer_vat},                {"top_suppliers", answer_suppliers},
    {"top_customers", answer_customers},    {"find_invoice", answer_find},
    {"failed_webhooks", answer_webhooks},   {"failed_deliveries", answer_deliveries},
    {"connectors", answer_connectors},      {"last_sync", answer_sync},
};

char *chat_answer(const struct chat_question *q, const json_t *res)
{
    struct buf b;
    const char *name = str(res, "query");
    buf_init(&b, REPLY_MAX);
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        if (strcmp(answers[i].query, name) == 0)
            answers[i].say(&b, res, q->lang);
    source(&b, name, q->lang);
    char *out = buf_take(&b, NULL);
    return out ? out : strdup("…");
}

char *chat_help(enum chat_lang lang, bool not_understood)
{
    struct buf b;
    buf_init(&b, REPLY_MAX);
    if (not_understood)
        buf_append_str(&b, T(lang, "Sorry, I did not understand that. ",
                             "Das habe ich leider nicht verstanden. "));
    buf_append_str(&b, T(lang,
        "I answer from your books. You can ask, for example:\n"
        "• Which invoices are open? / Which are overdue?\n"
        "• What was our revenue in March? (also: last quarter, 2026-Q1, this month, last year)\n"
        "• What were the expenses last month?\n"
        "• How much VAT is due for 2026-Q1?\n"
        "• Who are our largest customers / suppliers this year?\n"
        "• Find invoice RE-2026-001 / invoices over 1,234.56 € / invoices from Acme\n"
        "• Failed webhooks? Failed deliveries? Installed connectors? Last sync?\n"
        "Send a photo or PDF of a receipt to file it as a draft.",
        "Ich antworte aus Ihrer Buchhaltung. Fragen Sie zum Beispiel:\n"
        "• Welche Rechnungen sind offen? / Welche sind überfällig?\n"
        "• Wie hoch war der Umsatz im März? (auch: letztes Quartal, 2026-Q1, diesen Monat, letztes Jahr)\n"
        "• Wie hoch waren die Ausgaben letzten Monat?\n"
        "• Wie hoch ist die Umsatzsteuer-Zahllast für 2026-Q1?\n"
        "• Wer sind unsere größten Kunden / Lieferanten dieses Jahr?\n"
        "• Rechnung RE-2026-001 / Rechnungen über 1.234,56 € / Rechnungen von Acme\n"
        "• Fehlgeschlagene Webhooks? Zustellungen? Installierte Konnektoren? Letzte Synchronisierung?\n"
        "Schicken Sie ein Foto oder PDF eines Belegs, um ihn als Entwurf abzulegen."));
    char *out = buf_take(&b, NULL);
    return out ? out : strdup("?");
}
