/* api/sync_view.h - private to api/: the sync part of a pulling connector's detail
 * (api/sync.c), which the connector store's GET /api/connectors/:slug shows. */
#ifndef CONNECTORD_API_SYNC_VIEW_H
#define CONNECTORD_API_SYNC_VIEW_H

#include <jansson.h>

#include "core/error.h"
#include "store/installs.h"

/* {available, intervalMinutes, lastSuccessAt, nextRunAt, lastRun, error} for an install of
 * a connector with a manifest, JSON null for any other; NULL with err when the store
 * failed. Sets *status to "error" while the install's credentials are refused. */
json_t *sync_detail_json(struct store *s, const struct install *in, const char **status,
                         struct error *err);

#endif
