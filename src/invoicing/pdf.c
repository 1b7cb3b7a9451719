/* invoicing/pdf.c - a finalized invoice as a printable A4 PDF, drawn with cairo's PDF
 * surface and its toy text API (fontconfig finds a sans-serif face; text is UTF-8).
 *
 * What it shows is what §11 UStG (AT) and §14 UStG (DE) ask an invoice to say: both
 * parties' names and addresses, the seller's VAT id (and the buyer's where the VAT moves to
 * it), the number, the date, the service period, per line the quantity (hours:minutes) and
 * the rate, the net per rate of tax, the tax, the gross, and the note of an exemption or
 * reverse charge. Lines that do not fit a page continue on the next one. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "core/utf8.h"
#include "invoicing/invoicing.h"

#define PAGE_W 595.28 /* A4 in points */
#define PAGE_H 841.89
#define MARGIN 56.0
#define BOTTOM (PAGE_H - 72.0)
#define FONT_SIZE 9.5
#define LEADING 13.0

struct page {
    cairo_t *cr;
    double y;
};

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
    return buf_append(closure, data, len) < 0 ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static void font(cairo_t *cr, bool bold, double size)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static void text_at(cairo_t *cr, double x, double y, const char *s)
{
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

/* Right-aligned at x. */
static void text_right(cairo_t *cr, double x, double y, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    text_at(cr, x - e.x_advance, y, s);
}

/* A new page when fewer than `need` points are left. */
static void room(struct page *p, double need)
{
    if (p->y + need <= BOTTOM)
        return;
    cairo_show_page(p->cr);
    p->y = MARGIN;
}

/* Writes s in lines no wider than width from x, breaking at spaces (or inside a word that
 * is wider than a line), advancing p->y by a line each. */
static void wrapped(struct page *p, double x, double width, const char *s)
{
    char line[512];
    while (*s) {
        size_t fit = 0, at_space = 0, i = 0;
        while (s[i]) {
            size_t step = utf8_seq_len(s + i, strlen(s + i));
            if (step == 0)
                step = 1;
            if (i + step >= sizeof line)
                break;
            memcpy(line, s, i + step);
            line[i + step] = '\0';
            cairo_text_extents_t e;
            cairo_text_extents(p->cr, line, &e);
            if (e.x_advance > width && fit > 0)
                break;
            i += step;
            fit = i;
            if (s[i] == ' ')
                at_space = i;
        }
        size_t take = s[fit] && at_space ? at_space : fit;
        memcpy(line, s, take);
        line[take] = '\0';
        room(p, LEADING);
        text_at(p->cr, x, p->y, line);
        p->y += LEADING;
        s += take;
        while (*s == ' ')
            s++;
    }
}

static void money_text(int64_t minor, const char *currency, char out[MONEY_TEXT_MAX + 8])
{
    struct money m = {.minor = minor};
    char t[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, t);
    snprintf(out, MONEY_TEXT_MAX + 8, "%s %s", t, currency);
}

static void address(struct page *p, double x, const struct invoicing_party *a, const char *vat_label)
{
    char line[512];
    font(p->cr, true, FONT_SIZE);
    text_at(p->cr, x, p->y, a->name);
    font(p->cr, false, FONT_SIZE);
    text_at(p->cr, x, p->y + LEADING, a->street);
    snprintf(line, sizeof line, "%s-%s %s", a->country, a->postal_code, a->city);
    text_at(p->cr, x, p->y + 2 * LEADING, line);
    if (a->vat_id[0]) {
        snprintf(line, sizeof line, "%s: %s", vat_label, a->vat_id);
        text_at(p->cr, x, p->y + 3 * LEADING, line);
    }
}

static void heading(struct page *p, const struct invoicing_document *d)
{
    char line[256];
    address(p, MARGIN, &d->seller, "UID / USt-IdNr.");
    p->y += 6 * LEADING;
    address(p, MARGIN, &d->buyer, "UID / USt-IdNr. des Leistungsempfängers");
    p->y += 6 * LEADING;
    font(p->cr, true, 16);
    snprintf(line, sizeof line, "Rechnung %s", d->inv.invoice_number);
    text_at(p->cr, MARGIN, p->y, line);
    p->y += 2 * LEADING;
    font(p->cr, false, FONT_SIZE);
    snprintf(line, sizeof line, "Rechnungsnummer: %s", d->inv.invoice_number);
    text_at(p->cr, MARGIN, p->y, line);
    snprintf(line, sizeof line, "Rechnungsdatum: %s", d->inv.invoice_date);
    text_at(p->cr, MARGIN, p->y + LEADING, line);
    snprintf(line, sizeof line, "Leistungszeitraum: %s bis %s", d->doc.period_from,
             d->doc.period_to);
    text_at(p->cr, MARGIN, p->y + 2 * LEADING, line);
    snprintf(line, sizeof line, "Fällig am: %s", d->doc.due_date);
    text_at(p->cr, MARGIN, p->y + 3 * LEADING, line);
    p->y += 5 * LEADING;
}

#define COL_POS MARGIN
#define COL_TEXT (MARGIN + 28)
#define COL_QTY 380.0
#define COL_RATE 460.0
#define COL_NET (PAGE_W - MARGIN)

static void table_head(struct page *p)
{
    font(p->cr, true, FONT_SIZE);
    text_at(p->cr, COL_POS, p->y, "Pos.");
    text_at(p->cr, COL_TEXT, p->y, "Leistung");
    text_right(p->cr, COL_QTY, p->y, "Menge (h:mm)");
    text_right(p->cr, COL_RATE, p->y, "Stundensatz");
    text_right(p->cr, COL_NET, p->y, "Netto");
    font(p->cr, false, FONT_SIZE);
    p->y += LEADING * 1.5;
}

static void table_line(struct page *p, const struct invoicing_document *d,
                       const struct store_draft_line *l)
{
    char pos[24], qty[32], rate[MONEY_TEXT_MAX + 8], net[MONEY_TEXT_MAX + 8];
    snprintf(pos, sizeof pos, "%lld", (long long)l->line_no);
    snprintf(qty, sizeof qty, "%lld:%02lld", (long long)(l->minutes / 60),
             (long long)(l->minutes % 60));
    money_text(l->rate_minor, d->inv.currency, rate);
    money_text(l->net_minor, d->inv.currency, net);
    room(p, LEADING);
    text_at(p->cr, COL_POS, p->y, pos);
    text_right(p->cr, COL_QTY, p->y, qty);
    text_right(p->cr, COL_RATE, p->y, rate);
    text_right(p->cr, COL_NET, p->y, net);
    wrapped(p, COL_TEXT, COL_QTY - COL_TEXT - 70, l->description);
}

static void totals(struct page *p, const struct invoicing_document *d)
{
    char text[MONEY_TEXT_MAX + 8], label[64];
    int rate = d->inv.tax_line.rate_bp > 0 ? d->inv.tax_line.rate_bp : 0;
    room(p, 6 * LEADING);
    p->y += LEADING / 2;
    money_text(d->doc.net_minor, d->inv.currency, text);
    text_at(p->cr, COL_RATE - 120, p->y, "Summe netto");
    text_right(p->cr, COL_NET, p->y, text);
    p->y += LEADING;
    snprintf(label, sizeof label, "USt %d,%02d %% auf %s", rate / 100, rate % 100, "netto");
    money_text(d->tax_minor, d->inv.currency, text);
    text_at(p->cr, COL_RATE - 120, p->y, label);
    text_right(p->cr, COL_NET, p->y, text);
    p->y += LEADING;
    font(p->cr, true, FONT_SIZE);
    money_text(d->inv.total_gross_minor, d->inv.currency, text);
    text_at(p->cr, COL_RATE - 120, p->y, "Gesamtbetrag brutto");
    text_right(p->cr, COL_NET, p->y, text);
    font(p->cr, false, FONT_SIZE);
    p->y += 2 * LEADING;
}

static void footer(struct page *p, const struct invoicing_document *d)
{
    char line[400];
    if (d->doc.note[0]) {
        font(p->cr, true, FONT_SIZE);
        wrapped(p, MARGIN, PAGE_W - 2 * MARGIN, d->doc.note);
        font(p->cr, false, FONT_SIZE);
        p->y += LEADING / 2;
    }
    snprintf(line, sizeof line, "Zahlbar bis %s ohne Abzug.", d->doc.due_date);
    wrapped(p, MARGIN, PAGE_W - 2 * MARGIN, line);
    if (d->seller.iban[0]) {
        snprintf(line, sizeof line, "Bankverbindung: IBAN %s%s%s", d->seller.iban,
                 d->seller.bic[0] ? ", BIC " : "", d->seller.bic);
        wrapped(p, MARGIN, PAGE_W - 2 * MARGIN, line);
    }
    if (d->seller.email[0] || d->seller.phone[0]) {
        snprintf(line, sizeof line, "Kontakt: %s %s %s", d->seller.contact_name,
                 d->seller.phone, d->seller.email);
        wrapped(p, MARGIN, PAGE_W - 2 * MARGIN, line);
    }
}

int invoicing_pdf(const struct invoicing_document *d, struct buf *out, struct error *err)
{
    cairo_surface_t *surface =
        cairo_pdf_surface_create_for_stream(write_out, out, PAGE_W, PAGE_H);
    cairo_t *cr = cairo_create(surface);
    struct page p = {.cr = cr, .y = MARGIN};
    char title[160];
    snprintf(title, sizeof title, "Rechnung %s", d->inv.invoice_number);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, d->seller.name);
    cairo_set_source_rgb(cr, 0, 0, 0);
    font(cr, false, FONT_SIZE);
    heading(&p, d);
    table_head(&p);
    for (size_t i = 0; i < d->n_lines; i++)
        table_line(&p, d, &d->lines[i]);
    totals(&p, d);
    footer(&p, d);
    cairo_show_page(cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (st != CAIRO_STATUS_SUCCESS)
        return error_set(err, ERR_INTERNAL, "the PDF could not be written: %s",
                         cairo_status_to_string(st));
    return 0;
}

void invoicing_shutdown(void)
{
    /* cairo's font caches hold fontconfig patterns; both are released once, at exit, so a
     * leak checker sees only what the process itself lost. */
    cairo_debug_reset_static_data();
    FcFini();
}
