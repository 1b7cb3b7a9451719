/* core/utf8.c - UTF-8 boundaries for cuts of outside text (see utf8.h). */
#include "core/utf8.h"

#include <string.h>

size_t utf8_seq_len(const char *str, size_t left)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    size_t n;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2; cp = c & 0x1f; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; cp = c & 0x0f; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; cp = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static bool is_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

size_t utf8_cut(const char *s, size_t max)
{
    if (!s)
        return 0;
    size_t len = strnlen(s, max);
    if (len < max || s[len] == '\0')
        return len; /* it fits: nothing is cut */
    /* The byte at len is the first one dropped; when it continues a character, the cut
     * moves back to that character's first byte (at most three steps in valid text). */
    size_t cut = len;
    for (int i = 0; i < 3 && cut > 0 && is_continuation((unsigned char)s[cut]); i++)
        cut--;
    return is_continuation((unsigned char)s[cut]) ? len : cut;
}

void utf8_copy(char *dst, size_t cap, const char *src)
{
    size_t n = utf8_cut(src, cap - 1);
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

const char *utf8_tail(const char *s, size_t n_chars)
{
    const char *p = s + strlen(s);
    while (n_chars > 0 && p > s) {
        p--;
        while (p > s && is_continuation((unsigned char)*p))
            p--;
        n_chars--;
    }
    return p;
}

void utf8_repair(char *s)
{
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        /* A lead byte whose continuation bytes run to the end: a truncated character. */
        size_t k = i + 1;
        while (k < len && is_continuation((unsigned char)s[k]))
            k++;
        unsigned char c = (unsigned char)s[i];
        size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (k == len && c >= 0xc2 && c <= 0xf4 && len - i < want) {
            s[i] = '\0';
            return;
        }
        s[i++] = '?';
    }
}

bool utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}
