/* core/cp1252.c - UTF-8 to Windows-1252 (see cp1252.h). */
#include "core/cp1252.h"

/* The code points of bytes 0x80..0x9F; 0 where Windows-1252 assigns none. */
static const uint16_t high_block[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, /* 80-87 */
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,      /* 88-8F */
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, /* 90-97 */
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178, /* 98-9F */
};

int cp1252_byte(uint32_t cp)
{
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF))
        return (int)cp;
    for (int i = 0; i < 32; i++)
        if (high_block[i] && high_block[i] == cp)
            return 0x80 + i;
    return -1;
}

/* Decodes one UTF-8 character at s (n bytes available): its length, or 0 when the bytes
 * there are not a valid, shortest-form encoding of a scalar value. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int cp1252_from_utf8(struct buf *out, const char *s, size_t len, size_t *replaced)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(p + i, len - i, &cp);
        int byte = n ? cp1252_byte(cp) : -1;
        if (byte < 0) {
            byte = '?';
            if (replaced)
                (*replaced)++;
        }
        char c = (char)byte;
        if (buf_append(out, &c, 1) < 0)
            return -1;
        i += n ? n : 1;
    }
    return 0;
}
