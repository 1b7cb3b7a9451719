/* catalog/schema.h - private to catalog/ (and tools/manifest_embed, which runs the same
 * check at build time): a validator for the part of JSON Schema (draft-07) that the
 * connector manifest's schema uses.
 *
 * It knows type, enum, const, properties, required, additionalProperties, items, minItems,
 * maxItems, minimum, maximum, minLength, maxLength, pattern (POSIX extended), oneOf and $ref
 * into #/definitions, and refuses a schema that uses any other keyword (a problem at the
 * schema's place), so the schema cannot promise a check that is not made. It depends on
 * jansson and libc only. */
#ifndef CONNECTORD_CATALOG_SCHEMA_H
#define CONNECTORD_CATALOG_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

/* Checks doc against root (a whole schema, whose "definitions" $ref names), appending to
 * `problems` (a JSON array) one {"pointer": "/settings/0/type", "message": "..."} per
 * problem, at most `max` in all. Returns the number of problems appended (0: doc fits, or
 * max was already reached). Within oneOf, the alternative meant is the one whose "type"
 * constant is doc's "type", else the one that knows most of doc's members, and only its
 * problems are reported. Thread-safe; nests at most 64 levels deep (deeper is a problem). */
size_t catalog_schema_check(const json_t *root, const json_t *doc, json_t *problems,
                            size_t max);

#endif
