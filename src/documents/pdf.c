/* documents/pdf.c - what a PDF holds, with poppler's GLib API: the e-invoice a ZUGFeRD /
 * Factur-X / XRechnung PDF/A-3 carries as an attachment (factur-x.xml, zugferd-invoice.xml,
 * xrechnung.xml, or any XML attachment that reads as an e-invoice), its text layer, and its
 * first pages rendered (cairo) at 300 dpi for OCR when it has no text. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "documents/documents_int.h"
#include "documents/libs.h"

#define ATTACHMENT_MAX (5u << 20)

static PopplerDocument *open_pdf(const struct doc_libs *L, const unsigned char *pdf, size_t len,
                                 GBytes **bytes)
{
    *bytes = L->g_bytes_new(pdf, len);
    GError *gerr = NULL;
    PopplerDocument *doc = L->poppler_document_new_from_bytes(*bytes, NULL, &gerr);
    if (gerr)
        L->g_error_free(gerr);
    if (!doc) {
        L->g_bytes_unref(*bytes);
        *bytes = NULL;
    }
    return doc;
}

static void close_pdf(const struct doc_libs *L, PopplerDocument *doc, GBytes *bytes)
{
    if (doc)
        L->g_object_unref(doc);
    if (bytes)
        L->g_bytes_unref(bytes);
}

/* An attachment past ATTACHMENT_MAX stops the save (poppler then reports failure). */
static gboolean collect(const gchar *data, gsize count, gpointer ctx, GError **gerr)
{
    (void)gerr;
    return buf_append(ctx, data, count) == 0;
}

/* Known names first: a PDF may carry other XML files beside its invoice. */
static int name_rank(const char *name)
{
    static const char *const known[] = {"factur-x.xml", "zugferd-invoice.xml",
                                        "ZUGFeRD-invoice.xml", "xrechnung.xml"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (name && strcasecmp(name, known[i]) == 0)
            return 0;
    size_t n = name ? strlen(name) : 0;
    return n > 4 && strcasecmp(name + n - 4, ".xml") == 0 ? 1 : 2;
}

json_t *pdf_embedded_einvoice(const unsigned char *pdf, size_t len)
{
    struct error err;
    const struct doc_libs *L = doc_libs(&err);
    GBytes *bytes;
    PopplerDocument *doc = L ? open_pdf(L, pdf, len, &bytes) : NULL;
    if (!doc)
        return NULL;
    json_t *draft = NULL;
    GList *atts = L->poppler_document_has_attachments(doc)
                      ? L->poppler_document_get_attachments(doc)
                      : NULL;
    for (int rank = 0; rank < 2 && !draft; rank++) {
        for (GList *l = atts; l && !draft; l = l->next) {
            PopplerAttachment *a = l->data;
            if (name_rank(a->name) != rank)
                continue;
            struct buf b;
            buf_init(&b, ATTACHMENT_MAX);
            if (L->poppler_attachment_save_to_callback(a, collect, &b, NULL) && b.len > 0)
                draft = einvoice_read((const unsigned char *)b.data, b.len, READER_ZUGFERD);
            buf_free(&b);
        }
    }
    L->g_list_free_full(atts, L->g_object_unref);
    close_pdf(L, doc, bytes);
    return draft;
}

/* Whether text has letters or digits at all (a scanned PDF's pages give only white space). */
static bool has_words(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        if (((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) &&
            ++n >= 8)
            return true;
    return false;
}

/* One character of a page with where it is (PDF points, y growing downwards). */
struct glyph {
    double x, y, h;
    char bytes[5];
};

/* -1, 0, 1: a's line is above, the same as, below b's; the same line when their middles
 * are within half a character's height. */
static int line_order(const struct glyph *a, const struct glyph *b)
{
    double tol = (a->h < b->h ? a->h : b->h) / 2;
    return a->y < b->y - tol ? -1 : a->y > b->y + tol;
}

static int by_line_then_x(const void *pa, const void *pb)
{
    const struct glyph *a = pa, *b = pb;
    int line = line_order(a, b);
    if (line)
        return line;
    return a->x < b->x ? -1 : a->x > b->x;
}

/* The page's text in reading order by position: poppler's own order follows the content
 * stream, which puts a right-aligned column of amounts after all of its labels; sorted by
 * line and x, "Gesamtbetrag" and its "99,96" are one line again, as on paper. */
static void page_text(const struct doc_libs *L, PopplerPage *page, struct buf *out)
{
    char *text = L->poppler_page_get_text(page);
    PopplerRectangle *rects = NULL;
    guint n_rects = 0;
    if (!text || !L->poppler_page_get_text_layout(page, &rects, &n_rects)) {
        L->g_free(text);
        L->g_free(rects);
        return;
    }
    size_t cap = n_rects, n = 0;
    struct glyph *g = cap ? calloc(cap, sizeof *g) : NULL;
    const char *p = text;
    for (guint i = 0; g && i < n_rects && *p; i++) {
        size_t len = utf8_seq_len(p, strlen(p));
        if (len == 0)
            len = 1;
        if (*p != '\n' && *p != '\r' && len < sizeof g[n].bytes) {
            memcpy(g[n].bytes, p, len);
            g[n].x = rects[i].x1;
            g[n].h = rects[i].y2 - rects[i].y1 > 0.5 ? rects[i].y2 - rects[i].y1 : 0.5;
            g[n].y = (rects[i].y1 + rects[i].y2) / 2;
            n++;
        }
        p += len;
    }
    if (n > 1)
        qsort(g, n, sizeof *g, by_line_then_x);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            if (line_order(&g[i], &g[i - 1]) != 0)
                buf_append_str(out, "\n");
            else if (g[i].x - g[i - 1].x > g[i].h * 1.2 && strcmp(g[i - 1].bytes, " ") != 0 &&
                     strcmp(g[i].bytes, " ") != 0)
                buf_append_str(out, " ");
        }
        buf_append_str(out, g[i].bytes);
    }
    buf_append_str(out, "\n");
    free(g);
    L->g_free(rects);
    L->g_free(text);
}

char *pdf_text(const unsigned char *pdf, size_t len, bool *readable)
{
    struct error err;
    const struct doc_libs *L = doc_libs(&err);
    GBytes *bytes;
    PopplerDocument *doc = L ? open_pdf(L, pdf, len, &bytes) : NULL;
    *readable = doc != NULL;
    if (!doc)
        return NULL;
    struct buf b;
    buf_init(&b, 1u << 20);
    int pages = L->poppler_document_get_n_pages(doc);
    for (int i = 0; i < pages && i < 20; i++) {
        PopplerPage *page = L->poppler_document_get_page(doc, i);
        if (!page)
            continue;
        page_text(L, page, &b);
        L->g_object_unref(page);
    }
    close_pdf(L, doc, bytes);
    char *text = buf_take(&b, NULL);
    if (text && !has_words(text)) {
        free(text);
        text = NULL;
    }
    return text;
}

static cairo_status_t png_out(void *ctx, const unsigned char *data, unsigned int len)
{
    return buf_append(ctx, data, len) < 0 ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* One page as a 300 dpi PNG on white (at most 4000 pixels a side). */
static int render_page(const struct doc_libs *L, PopplerPage *page, struct buf *png)
{
    double w, h;
    L->poppler_page_get_size(page, &w, &h);
    double scale = 300.0 / 72.0;
    if (w * scale > 4000 || h * scale > 4000)
        scale = 4000.0 / (w > h ? w : h);
    int pw = (int)(w * scale), ph = (int)(h * scale);
    if (pw < 1 || ph < 1)
        return -1;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, scale, scale);
    L->poppler_page_render_for_printing(page, cr);
    cairo_destroy(cr);
    cairo_status_t st = cairo_surface_write_to_png_stream(surface, png_out, png);
    cairo_surface_destroy(surface);
    return st == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

int pdf_render_pages(const unsigned char *pdf, size_t len, unsigned char **pngs,
                     size_t *png_lens, size_t *n, struct error *err)
{
    *n = 0;
    const struct doc_libs *L = doc_libs(err);
    if (!L)
        return -1;
    GBytes *bytes;
    PopplerDocument *doc = open_pdf(L, pdf, len, &bytes);
    if (!doc)
        return error_set(err, ERR_VALIDATION, "the PDF cannot be opened");
    int pages = L->poppler_document_get_n_pages(doc);
    for (int i = 0; i < pages && *n < PDF_OCR_PAGES_MAX; i++) {
        PopplerPage *page = L->poppler_document_get_page(doc, i);
        struct buf b;
        buf_init(&b, 64u << 20);
        if (page && render_page(L, page, &b) == 0) {
            png_lens[*n] = b.len;
            pngs[(*n)++] = (unsigned char *)buf_take(&b, NULL);
        }
        buf_free(&b);
        if (page)
            L->g_object_unref(page);
    }
    close_pdf(L, doc, bytes);
    return 0;
}
