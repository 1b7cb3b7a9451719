/* core/utf8.h - cutting and repairing text from outside on UTF-8 character boundaries.
 *
 * Every place that bounds outside text (a fixed-size field, a "%.64s" in a message) cuts
 * with these, never at a raw byte count: a cut inside a multi-byte character leaves bytes
 * that are not UTF-8, and JSON (jansson) refuses to hold them, so the answer that carries
 * the text could not be built at all. */
#ifndef CONNECTORD_CORE_UTF8_H
#define CONNECTORD_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s (left bytes readable), or 0 when the
 * bytes there are not one (overlong, surrogate, beyond U+10FFFF, truncated). */
size_t utf8_seq_len(const char *s, size_t left);

/* The number of bytes of s (NUL-terminated, may be NULL) to keep when it must fit in max
 * bytes: strlen(s) when it fits, else at most max, backed off so that no character is
 * split. For "%.*s": printf("%.*s", UTF8_CUT(64, s)), s evaluated twice, NULL as "". */
size_t utf8_cut(const char *s, size_t max);
#define UTF8_CUT(max, s) (int)utf8_cut((s), (max)), utf8_text(s)
static inline const char *utf8_text(const char *s)
{
    return s ? s : "";
}

/* Whether the len bytes at s are all valid UTF-8 (what jansson's strings must be). */
bool utf8_valid(const char *s, size_t len);

/* Copies src (NULL: "") into dst of cap bytes (cap > 0), cut with utf8_cut. */
void utf8_copy(char *dst, size_t cap, const char *src);

/* The last n_chars characters of s (NUL-terminated): a pointer into s on a character
 * boundary, s itself when it is shorter. */
const char *utf8_tail(const char *s, size_t n_chars);

/* Makes s (NUL-terminated) valid UTF-8 in place: drops a character left incomplete at the
 * end (as a truncating snprintf leaves it) and replaces any other invalid byte with '?'. */
void utf8_repair(char *s);

#endif
