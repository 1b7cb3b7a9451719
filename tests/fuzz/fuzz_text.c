/* tests/fuzz/fuzz_text.c - the text primitives every outside string passes: cutting and
 * repairing UTF-8 (src/core/utf8.c), UTF-8 to Windows-1252 for DATEV files
 * (src/core/cp1252.c), and error messages that quote outside text (src/core/error.c).
 *
 * The input is the text. Promises: a cut never exceeds its limit nor splits a character,
 * so a cut of valid text stays valid; a tail starts on a character boundary; a repair
 * leaves valid UTF-8 and keeps valid text as it was; Windows-1252 gets exactly one byte per
 * character and one per invalid byte (the same reading of UTF-8 as utf8_seq_len), '?' for
 * each replacement, and valid text of Latin-1 and ASCII only is never replaced; a message
 * that quotes any text is valid UTF-8. */
#include <stdio.h>

#include "fuzz.h"
#include "core/buf.h"
#include "core/cp1252.h"
#include "core/error.h"

static void fuzz_cuts(const char *text, size_t len, bool valid)
{
    char copy[64];
    for (size_t max = 0; max <= len + 1 && max < sizeof copy; max++) {
        size_t cut = utf8_cut(text, max);
        must(cut <= max && cut <= strlen(text));
        if (valid)
            must(valid_utf8_n(text, cut));
        if (max > 0) {
            utf8_copy(copy, max, text);
            must(strlen(copy) < max);
            if (valid)
                must(valid_utf8(copy));
        }
        const char *tail = utf8_tail(text, max);
        must(tail >= text && tail <= text + strlen(text));
        if (valid)
            must(valid_utf8(tail));
    }
}

static void fuzz_cp1252(const char *text, size_t len)
{
    size_t chars = 0;
    bool latin1 = true;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(text + i, len - i);
        unsigned char c = (unsigned char)text[i];
        latin1 &= n == 1 || (n == 2 && c <= 0xc3); /* ASCII or U+0080..U+00FF */
        /* U+0080..U+009F are C1 controls, which Windows-1252 uses for other characters */
        if (n == 2 && c == 0xc2 && (unsigned char)text[i + 1] < 0xa0)
            latin1 = false;
        i += n ? n : 1;
        chars++;
    }
    struct buf out;
    size_t replaced = 0;
    buf_init(&out, 0);
    must(cp1252_from_utf8(&out, text, len, &replaced) == 0);
    must(out.len == chars);
    must(replaced <= chars);
    if (latin1)
        must(replaced == 0);
    size_t questions = 0;
    for (size_t i = 0; i < out.len; i++)
        questions += out.data[i] == '?';
    must(questions >= replaced);
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    /* Outside strings that reach these functions are C strings: up to the first NUL. */
    size_t len = strlen(text);
    bool valid = valid_utf8(text);
    fuzz_cuts(text, len, valid);
    fuzz_cp1252(text, len);
    struct error err;
    error_set(&err, ERR_VALIDATION, "'%.40s' and %s", text, text);
    must(valid_utf8(err.message));
    char *repaired = strdup(text);
    if (repaired) {
        utf8_repair(repaired);
        must(valid_utf8(repaired));
        if (valid)
            must(strcmp(repaired, text) == 0);
        free(repaired);
    }
    free(text);
    return 0;
}
