/* chat/receipt.c - a receipt sent to the bot: a photo, PDF or e-invoice from a linked person
 * goes into the document store (documents/documents.h) exactly as an upload or a mailed
 * attachment does, and is read there into a draft; the reply says what was read and where
 * the draft is confirmed, and "ok" / "passt" in the chat confirms it too. No second store,
 * no second reader: the draft's reading is what the document store kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/money.h"
#include "core/utf8.h"
#include "documents/documents.h"
#include "store/documents.h"

#define T(lang, en, de) ((lang) == CHAT_DE ? (de) : (en))
#define REPLY_MAX 2000

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* "1.234,56 €" from the reading's decimal text and currency, or the text as it is. */
static void reading_amount(const char *decimal, const char *currency, enum chat_lang lang,
                           char *out, size_t cap)
{
    struct money m;
    struct error ignored;
    snprintf(out, cap, "%s %s", decimal, currency);
    if (money_parse_decimal(decimal, strlen(decimal), currency[0] ? currency : "EUR", &m,
                            &ignored) < 0)
        return;
    json_t *a = json_pack("{sIss}", "minor", (json_int_t)m.minor, "currency", m.currency);
    if (a && !chat_format_amount(a, lang, out, cap))
        snprintf(out, cap, "%s %s", decimal, currency);
    json_decref(a);
}

static char *describe(const struct chat *c, const struct document_record *d, bool duplicate,
                      enum chat_lang lang)
{
    json_t *r = d->reading ? json_loads(d->reading, 0, NULL) : NULL;
    const char *supplier = str(json_object_get(r, "supplier"), "name");
    const char *gross = str(json_object_get(r, "totals"), "gross");
    char amount[64] = "";
    struct buf b;
    buf_init(&b, REPLY_MAX);
    if (duplicate)
        buf_append_str(&b, T(lang, "I have this receipt already. ", "Diesen Beleg habe ich schon. "));
    buf_append_str(&b, T(lang, "Receipt filed as a draft", "Beleg als Entwurf abgelegt"));
    if (*supplier || *gross) {
        buf_append_str(&b, T(lang, ". I read: ", ". Gelesen: "));
        if (*supplier)
            buf_printf(&b, "%.*s", UTF8_CUT(80, supplier));
        if (*gross) {
            reading_amount(gross, str(r, "currency"), lang, amount, sizeof amount);
            buf_printf(&b, "%s%s", *supplier ? ", " : "", amount);
        }
        if (*str(r, "invoiceDate"))
            buf_printf(&b, T(lang, ", dated %s", ", vom %s"), str(r, "invoiceDate"));
        if (*str(r, "invoiceNumber"))
            buf_printf(&b, T(lang, ", number %.*s", ", Nr. %.*s"), UTF8_CUT(40, str(r, "invoiceNumber")));
    } else {
        buf_append_str(&b, T(lang, "; I could not read its figures, please enter them",
                             "; die Beträge konnte ich nicht lesen, bitte tragen Sie sie ein"));
    }
    buf_printf(&b, T(lang, ".\nConfirm it at %s/connectors#/documents (document %s) or reply “ok”.",
                     ".\nBestätigen unter %s/connectors#/documents (Dokument %s) oder mit „passt“ antworten."),
               c->public_url, d->id);
    json_decref(r);
    char *out = buf_take(&b, NULL);
    return out ? out : strdup("…");
}

char *chat_receipt(struct chat *c, const struct chat_install *ci, const struct chat_platform *p,
                   const struct chat_message *m, const struct chat_link *link,
                   enum chat_lang lang, bool *retry, struct error *err)
{
    struct buf file;
    struct document_record d = {0};
    char id[CRYPTO_ID_MAX];
    bool duplicate = false, have_doc = false;
    char *reply = NULL;
    buf_init(&file, CHAT_FILE_MAX);
    if (p->fetch(ci, m, &file, retry, err) < 0) {
        if (!*retry) /* it will not come: say so rather than stay silent */
            reply = strdup(T(lang, "I could not fetch this file from the chat. Please send it again.",
                             "Diese Datei konnte ich nicht aus dem Chat holen. Bitte senden Sie sie noch einmal."));
        goto out;
    }
    struct error ing = {0};
    if (document_ingest_ref(c->store, m->tenant_id,
                            (const unsigned char *)(file.data ? file.data : ""), file.len, p->name,
                            m->message_id, m->file_name[0] ? m->file_name : NULL, id, &duplicate,
                            &ing) < 0) {
        if (ing.code == ERR_UNSUPPORTED_MEDIA || ing.code == ERR_PAYLOAD_TOO_LARGE ||
            ing.code == ERR_VALIDATION) {
            reply = strdup(T(lang, "I can file photos (JPEG, PNG), PDFs and e-invoices (XML) up to 10 MB; this file is none of them.",
                             "Ich kann Fotos (JPEG, PNG), PDFs und E-Rechnungen (XML) bis 10 MB ablegen; diese Datei ist keins davon."));
            goto out;
        }
        *err = ing;
        goto out;
    }
    if (store_document_get(c->store, m->tenant_id, id, &d, err) < 0)
        goto out;
    have_doc = true;
    if (store_chat_link_pending(c->store, m->tenant_id, link->id,
                                strcmp(d.status, "confirmed") == 0 ? NULL : id, err) < 0)
        goto out;
    reply = describe(c, &d, duplicate, lang);
out:
    if (have_doc)
        store_document_free(&d);
    buf_free(&file);
    return reply;
}

char *chat_receipt_confirm(struct chat *c, const struct chat_message *m,
                           const struct chat_link *link, enum chat_lang lang,
                           struct error *err)
{
    char invoice[CRYPTO_ID_MAX];
    struct error conf = {0};
    if (!link->pending_document_id[0])
        return strdup(T(lang, "No receipt is waiting for your confirmation.",
                        "Es wartet kein Beleg auf Ihre Bestätigung."));
    /* the audit log names the chat link of the person who confirmed */
    if (document_confirm(c->store, m->tenant_id, link->pending_document_id, NULL, link->id,
                         invoice, &conf) < 0) {
        if (conf.code == ERR_VALIDATION || conf.code == ERR_CONFLICT || conf.code == ERR_NOT_FOUND) {
            char *out = malloc(REPLY_MAX);
            if (out)
                snprintf(out, REPLY_MAX,
                         T(lang, "The draft cannot be booked as it is (%s). Please complete it at %s/connectors#/documents (document %s).",
                           "Der Entwurf kann so nicht gebucht werden (%s). Bitte vervollständigen unter %s/connectors#/documents (Dokument %s)."),
                         conf.message, c->public_url, link->pending_document_id);
            if (conf.code != ERR_VALIDATION)
                store_chat_link_pending(c->store, m->tenant_id, link->id, NULL, err);
            return out;
        }
        *err = conf;
        return NULL;
    }
    if (store_chat_link_pending(c->store, m->tenant_id, link->id, NULL, err) < 0)
        return NULL;
    char *out = malloc(REPLY_MAX);
    if (out)
        snprintf(out, REPLY_MAX, T(lang, "Booked as incoming invoice %s.", "Als Eingangsrechnung %s gebucht."),
                 invoice);
    return out;
}
