/* api/openapi.h - the OpenAPI 3.1 document of every route, compiled in.
 *
 * tools/openapi_embed assembles it at build time from openapi/base.json and
 * the area files of openapi/paths/ into build/gen/openapi.c; GET /api/openapi.json serves it and
 * tests/e2e/openapi.test.js holds it against the routing table (connectord routes). */
#ifndef CONNECTORD_API_OPENAPI_H
#define CONNECTORD_API_OPENAPI_H

#include <stddef.h>

#include "api/api.h"

/* The document: compact JSON text, openapi_document_len bytes (NUL-terminated). */
extern const char *const openapi_document;
extern const size_t openapi_document_len;

/* A route pattern written OpenAPI-style: "/api/x/:id/y" -> "/api/x/{id}/y". Returns 0, or
 * -1 when it does not fit in cap bytes. */
int openapi_path(const char *pattern, char *out, size_t cap);

/* The routing table as JSON: [{"method", "path" (OpenAPI-style), "role" ("none", "member",
 * "admin"), "query": [names]}], in table order; NULL when memory ran out. */
json_t *openapi_routes_json(void);

#endif
