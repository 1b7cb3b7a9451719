/* api/web_assets.h - private to api/: the files of web/ compiled into the binary.
 *
 * The table is generated at build time by tools/web_embed into build/gen/web_assets.c, so
 * the connector store page ships inside connectord with no install step; web.c serves it. */
#ifndef CONNECTORD_API_WEB_ASSETS_H
#define CONNECTORD_API_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *name;         /* base name in web/: "app.js" */
    const unsigned char *data;
    size_t len;
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const char *etag;         /* quoted, e.g. "\"0123456789abcdef\"" */
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif
