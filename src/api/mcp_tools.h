/* api/mcp_tools.h - private to api/: the tools the MCP server (mcp.c) offers.
 *
 * Two kinds, one list: the assistant's read queries over the books (assistant/queries.h,
 * the same figures the chat answers with), and tools that are REST routes of the routing
 * table, called in-process through the route's own handler, so a tool can never do what
 * the route would refuse (tenant scoping, validation, the least role). A tool is offered to
 * a token whose role reaches the tool's, and one that writes only to a token that is not
 * read-only. */
#ifndef CONNECTORD_API_MCP_TOOLS_H
#define CONNECTORD_API_MCP_TOOLS_H

#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"

/* The tools this principal may use, in a fixed order, as MCP tool definitions: {name,
 * title, description, inputSchema, outputSchema (when with_output), annotations}. New
 * reference; NULL when memory ran out. */
json_t *mcp_tools_list(const struct principal *p, bool with_output);

/* Whether a tool of this name exists at all (for anyone). */
bool mcp_tool_exists(const char *name);

/* Calls tool `name` with `args` (an object, or NULL) for the principal. Returns 0 with
 * *structured (an object, the caller's) on success; on a failure the model should see
 * (refused, bad arguments, not found, a store failure), returns -1 with a message for it in
 * `message`. Never a protocol error: the caller checked that the tool exists. */
int mcp_tool_call(struct app *app, const struct principal *p, const char *name,
                  const json_t *args, json_t **structured, char *message, size_t message_cap);

#endif
