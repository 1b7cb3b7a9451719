/* core/cp1252.h - UTF-8 to Windows-1252, for files that outside software reads as "ANSI".
 *
 * DATEV reads its EXTF files as Windows-1252. That code page is Latin-1 (U+00A0..U+00FF
 * and ASCII map to the same byte) plus 27 typographic characters in 0x80..0x9F (the euro
 * sign, curly quotes, dashes, Š, Ž, Œ, ...); five bytes there are unassigned. Everything
 * else cannot be written: such a character, and every byte that is not part of valid UTF-8,
 * becomes '?', counted so a caller can tell. */
#ifndef CONNECTORD_CORE_CP1252_H
#define CONNECTORD_CORE_CP1252_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* The Windows-1252 byte of a Unicode code point, or -1 when there is none. */
int cp1252_byte(uint32_t code_point);

/* Appends the len bytes of UTF-8 text s to out as Windows-1252, one byte per character.
 * *replaced (may be NULL) is increased by the number of '?' written for characters that
 * have no byte and for invalid UTF-8 (one '?' per offending byte). -1 when out is full. */
int cp1252_from_utf8(struct buf *out, const char *s, size_t len, size_t *replaced);

#endif
