/* documents/sniff.c - a file's type by its content, never by its name.
 *
 * PDF ("%PDF-" within the first 1024 bytes, as readers tolerate leading junk), PNG (its
 * eight-byte signature), JPEG (SOI followed by a marker) and XML (an XML declaration or an
 * element first, after an optional UTF-8 byte order mark and white space). Anything else
 * is refused by the document store. */
#include <string.h>

#include "documents/documents.h"

static bool starts_with(const unsigned char *b, size_t len, const char *magic, size_t mlen)
{
    return len >= mlen && memcmp(b, magic, mlen) == 0;
}

static bool is_pdf(const unsigned char *b, size_t len)
{
    size_t window = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= window; i++)
        if (memcmp(b + i, "%PDF-", 5) == 0)
            return true;
    return false;
}

static bool is_name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static bool is_xml(const unsigned char *b, size_t len)
{
    size_t i = 0;
    if (starts_with(b, len, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i + 1 >= len || b[i] != '<')
        return false;
    if (starts_with(b + i, len - i, "<?xml", 5))
        return true;
    /* a comment before the root, or the root element itself */
    return starts_with(b + i, len - i, "<!--", 4) || is_name_start(b[i + 1]);
}

enum document_type document_sniff(const unsigned char *bytes, size_t len)
{
    if (!bytes || len == 0)
        return DOCUMENT_UNKNOWN;
    if (starts_with(bytes, len, "\x89PNG\r\n\x1a\n", 8))
        return DOCUMENT_PNG;
    if (len >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        return DOCUMENT_JPEG;
    if (is_pdf(bytes, len))
        return DOCUMENT_PDF;
    if (is_xml(bytes, len))
        return DOCUMENT_XML;
    return DOCUMENT_UNKNOWN;
}

const char *document_media_type(enum document_type t)
{
    switch (t) {
    case DOCUMENT_PDF: return "application/pdf";
    case DOCUMENT_PNG: return "image/png";
    case DOCUMENT_JPEG: return "image/jpeg";
    case DOCUMENT_XML: return "application/xml";
    case DOCUMENT_UNKNOWN: break;
    }
    return NULL;
}
