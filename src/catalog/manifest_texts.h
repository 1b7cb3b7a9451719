/* catalog/manifest_texts.h - private to catalog/: the built-in connector manifests of
 * connectors/ as the build embedded them (tools/manifest_embed writes build/gen/manifests.c
 * after checking each against connectors/schema/connector-manifest.json, which is embedded
 * too), in the catalog's order (connectors/catalog.list). */
#ifndef CONNECTORD_CATALOG_MANIFEST_TEXTS_H
#define CONNECTORD_CATALOG_MANIFEST_TEXTS_H

#include <stddef.h>

struct manifest_text {
    const char *slug; /* the file's name: "clockify" */
    const char *text; /* the JSON as written */
    size_t len;
};

extern const struct manifest_text manifest_texts[];
extern const size_t manifest_texts_count;
extern const char *const manifest_schema_text;

#endif
