/* tests/fuzz/fuzz.h - what every libFuzzer harness of tests/fuzz/ shares: the promise check
 * (a broken promise abort()s, which libFuzzer and the corpus replay of `make test` both
 * report as a crash), a UTF-8 validity test, and cutting an input into fields.
 *
 * Each harness is one file, built with clang -fsanitize=fuzzer,address,undefined against
 * the same objects as the server (Makefile: build/fuzz/). Header-only, since each harness is
 * built from one file. */
#ifndef CONNECTORD_TESTS_FUZZ_H
#define CONNECTORD_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are skipped: every outside input the harnesses stand for is
 * capped below it (request bodies by max-body, config lines at 4 KiB), and small inputs
 * keep the executions per second high. */
#define FUZZ_INPUT_MAX (64 * 1024)

static inline void must(bool promise)
{
    if (!promise)
        abort();
}

static inline bool valid_utf8_n(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

static inline bool valid_utf8(const char *s)
{
    return valid_utf8_n(s, strlen(s));
}

/* The input as a NUL-terminated copy the harness may change (caller frees); the length
 * stays the input's, which may hold NULs. NULL when out of memory. */
static inline char *fuzz_text_copy(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return NULL;
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Cuts the next field off *rest at the first '\n' (NUL-terminating it in place) and
 * returns it; the last field is the rest of the input, newlines and all. "" when the
 * input ran out. */
static inline char *fuzz_field(char **rest, bool last)
{
    char *field = *rest;
    if (last) {
        *rest = field + strlen(field);
        return field;
    }
    char *nl = strchr(field, '\n');
    if (!nl) {
        *rest = field + strlen(field);
        return field;
    }
    *nl = '\0';
    *rest = nl + 1;
    return field;
}

#endif
