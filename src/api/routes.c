/* api/routes.c - every route the server answers, in one table.
 *
 * role: the least role that may call it (AUTH_ROLE_NONE: no token). Members may read;
 * everything that changes state is admin-only. ROUTE_JSON: a body must be JSON (415).
 * ROUTE_HTTPS_ONLY: plain HTTP refused outside development mode, unless a trusted proxy
 * says the client spoke HTTPS. The last column names the query parameters a route takes;
 * the server answers 400 unknown_parameter for any other. Every listing takes PAGE (see
 * api/listing.h and the README's "Listings"). */
#include "api/api.h"

#define PAGE "limit cursor "

static const struct route routes[] = {
    {"GET",   "/healthz",    api_healthz,       AUTH_ROLE_NONE,   0, NULL},
    {"GET",   "/readyz",     api_readyz,        AUTH_ROLE_NONE,   0, NULL},
    {"GET",   "/metrics",    api_metrics,       AUTH_ROLE_NONE,   0, NULL},
    {"GET",   "/api/tenant", api_tenant_get,    AUTH_ROLE_MEMBER, 0, NULL},
    {"PATCH", "/api/tenant", api_tenant_update, AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},

    /* seed 000: the connector store, by slug; every endpoint admin-only */
    {"GET",  "/api/connectors",                  api_connectors_list,     AUTH_ROLE_ADMIN, 0, NULL},
    {"GET",  "/api/connectors/:slug",            api_connector_get,       AUTH_ROLE_ADMIN, 0, NULL},
    {"POST", "/api/connectors/:slug/install",    api_connector_install,   AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"POST", "/api/connectors/:slug/uninstall",  api_connector_uninstall, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"PUT",  "/api/connectors/:slug/config",     api_connector_configure, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"POST", "/api/connectors/:slug/test-webhook", api_webhook_test,      AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    /* issue 16: the pulling connectors' runs (executed by the sync worker, not here) */
    {"POST", "/api/connectors/:slug/sync",       api_connector_sync,      AUTH_ROLE_ADMIN, 0, NULL},
    {"GET",  "/api/connectors/:slug/sync-runs",  api_connector_sync_runs, AUTH_ROLE_ADMIN, 0, PAGE},
    {"GET",  "/api/schemas/connector-manifest.json", api_schema_connector_manifest, AUTH_ROLE_NONE, 0, NULL},
    /* OAuth 2 consent (oauth/): the callback is the service's redirect of the admin's
     * browser; the state it brings back authenticates it. The extra query parameters are
     * those the services add to their redirects. */
    {"GET",  "/api/connectors/:slug/oauth",          api_oauth_status,   AUTH_ROLE_ADMIN, 0, NULL},
    {"GET",  "/api/connectors/:slug/oauth/start",    api_oauth_start,    AUTH_ROLE_ADMIN, 0, NULL},
    {"GET",  "/api/connectors/:slug/oauth/callback", api_oauth_callback, AUTH_ROLE_NONE,  ROUTE_HTTPS_ONLY,
     "code state error error_description error_uri scope session_state realmId authuser prompt hd iss"},

    /* a tenant's projects (its default project's id is the tenant's; at most 100, one
     * document), and seed 001's outbound destinations of a project, by id */
    {"GET",    "/api/projects",                                    api_projects_list,            AUTH_ROLE_ADMIN, 0, NULL},
    {"POST",   "/api/projects",                                    api_project_create,           AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",    "/api/projects/:projectId/connectors",              api_project_connectors_list,  AUTH_ROLE_ADMIN, 0, PAGE},
    {"POST",   "/api/projects/:projectId/connectors",              api_project_connector_create, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",    "/api/projects/:projectId/connectors/:connectorId", api_project_connector_get,    AUTH_ROLE_ADMIN, 0, NULL},
    {"PATCH",  "/api/projects/:projectId/connectors/:connectorId", api_project_connector_update, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"DELETE", "/api/projects/:projectId/connectors/:connectorId", api_project_connector_delete, AUTH_ROLE_ADMIN, 0, NULL},
    {"POST",   "/api/projects/:projectId/connectors/:connectorId/test",   api_connector_send_test, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"POST",   "/api/projects/:projectId/connectors/:connectorId/replay", api_connector_replay,    AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",    "/api/projects/:projectId/connectors/:connectorId/deliveries",                   api_deliveries_list, AUTH_ROLE_ADMIN, 0, PAGE "status eventType"},
    {"GET",    "/api/projects/:projectId/connectors/:connectorId/deliveries/:deliveryId",       api_delivery_get,    AUTH_ROLE_ADMIN, 0, NULL},
    {"POST",   "/api/projects/:projectId/connectors/:connectorId/deliveries/:deliveryId/retry", api_delivery_retry,  AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"POST",   "/api/projects/:projectId/events", api_events_publish, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",    "/api/projects/:projectId/events", api_events_list,    AUTH_ROLE_ADMIN, 0, PAGE},

    {"GET", "/api/audit-log", api_audit_list, AUTH_ROLE_ADMIN, 0, PAGE},

    /* seed 002: payment providers post here; the token in the path is the credential.
     * Klarna pushes its order id in the query of the URL the merchant registered. */
    {"POST", "/api/payment-import/:provider/:token", api_webhook_receive, AUTH_ROLE_NONE, ROUTE_HTTPS_ONLY, "klarna_order_id"},

    /* seed 002: what was booked, for members; the webhook log of a connector, for admins */
    {"GET", "/api/invoices",                       api_invoices_list,     AUTH_ROLE_MEMBER, 0, PAGE "source supplier customer type from to posted fx"},
    {"GET", "/api/invoices/:id",                   api_invoice_get,       AUTH_ROLE_MEMBER, 0, NULL},
    {"POST", "/api/invoices/:id/post",             api_invoice_post,      AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    /* issue 16: tracked time to outgoing invoices (api/invoicing.c) */
    {"POST",   "/api/invoices/from-time-entries", api_invoice_from_time_entries, AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"POST",   "/api/invoices/:id/finalize",      api_invoice_finalize,          AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"DELETE", "/api/invoices/:id",               api_invoice_delete,            AUTH_ROLE_ADMIN,  0, NULL},
    {"GET",    "/api/invoices/:id/pdf",           api_invoice_pdf,               AUTH_ROLE_MEMBER, 0, NULL},
    {"GET",    "/api/invoices/:id/xrechnung",     api_invoice_xrechnung,         AUTH_ROLE_MEMBER, 0, NULL},
    {"POST",   "/api/customers",                  api_customer_create,           AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"GET",    "/api/customers/:id/billing",      api_customer_billing_get,      AUTH_ROLE_ADMIN,  0, NULL},
    {"PUT",    "/api/customers/:id/billing",      api_customer_billing_put,      AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"GET",    "/api/settings/invoicing",         api_invoice_profile_get,       AUTH_ROLE_ADMIN,  0, NULL},
    {"PUT",    "/api/settings/invoicing",         api_invoice_profile_put,       AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"GET", "/api/suppliers",                      api_suppliers_list,    AUTH_ROLE_MEMBER, 0, PAGE},
    {"GET", "/api/customers",                      api_customers_list,    AUTH_ROLE_MEMBER, 0, PAGE},
    {"GET", "/api/time-entries",                   api_time_entries_list, AUTH_ROLE_MEMBER, 0, PAGE "client project from to billable invoiced deleted"},
    {"GET", "/api/ledger/entries",                 api_ledger_entries,    AUTH_ROLE_MEMBER, 0, PAGE "from to"},
    {"GET", "/api/ledger/balances",                api_ledger_balances,   AUTH_ROLE_MEMBER, 0, NULL},
    {"GET", "/api/ledger/verify",                  api_ledger_verify,     AUTH_ROLE_ADMIN,  0, NULL},
    {"GET", "/api/connectors/:slug/webhook-logs",  api_webhook_logs_list, AUTH_ROLE_ADMIN,  0, PAGE "status"},

    /* the tenant's settings; the books as files and returns for outside parties */
    {"GET",  "/api/settings",                    api_settings_get,              AUTH_ROLE_ADMIN, 0, NULL},
    {"PUT",  "/api/settings",                    api_settings_put,              AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",  "/api/exports/datev",               api_export_datev,              AUTH_ROLE_ADMIN, 0, "from to"},
    {"GET",  "/api/exports/tenant",              api_export_tenant,             AUTH_ROLE_ADMIN, 0, NULL},
    {"GET",  "/api/exports/log",                 api_exports_log,               AUTH_ROLE_ADMIN, 0, PAGE},
    {"GET",  "/api/vat-returns/at",              api_vat_return_at,             AUTH_ROLE_ADMIN, 0, "period"},
    {"GET",  "/api/vat-returns/at/xml",          api_vat_return_at_xml,         AUTH_ROLE_ADMIN, 0, "period"},
    {"POST", "/api/vat-returns/at/submit",       api_vat_return_at_submit,      AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",  "/api/vat-returns/at/submissions",  api_vat_return_at_submissions, AUTH_ROLE_ADMIN, 0, PAGE "period"},
    {"GET",  "/api/vat-returns/oss",             api_vat_return_oss,            AUTH_ROLE_ADMIN, 0, "period"},
    {"GET",  "/api/vat-returns/de",              api_vat_return_de,             AUTH_ROLE_ADMIN, 0, "period"},

    /* seed 000: the connector store page; static, it asks for the token in the browser */
    {"GET", "/connectors",       api_web_index, AUTH_ROLE_NONE, 0, NULL},
    {"GET", "/connectors/",      api_web_index, AUTH_ROLE_NONE, 0, NULL},
    {"GET", "/connectors/:file", api_web_asset, AUTH_ROLE_NONE, 0, NULL},

    /* issue 17: outside connectors (api/publishing.c). A developer submits manifests and
     * sees its own submissions; the operator makes developers, reviews and publishes. Their
     * tokens belong to no tenant and open only these routes. */
    {"POST", "/api/developer/connectors",                  api_developer_submit,           AUTH_ROLE_DEVELOPER, ROUTE_JSON, NULL},
    {"GET",  "/api/developer/connectors",                  api_developer_submissions,      AUTH_ROLE_DEVELOPER, 0, PAGE "status"},
    {"GET",  "/api/developer/connectors/:id",              api_developer_submission,       AUTH_ROLE_DEVELOPER, 0, NULL},
    {"POST", "/api/operator/developers",                   api_operator_developer_create,  AUTH_ROLE_OPERATOR,  ROUTE_JSON, NULL},
    {"GET",  "/api/operator/developers",                   api_operator_developers,        AUTH_ROLE_OPERATOR,  0, NULL},
    {"GET",  "/api/operator/submissions",                  api_operator_submissions,       AUTH_ROLE_OPERATOR,  0, PAGE "status"},
    {"GET",  "/api/operator/submissions/:id",              api_operator_submission,        AUTH_ROLE_OPERATOR,  0, NULL},
    {"POST", "/api/operator/submissions/:id/approve",      api_operator_approve,           AUTH_ROLE_OPERATOR,  ROUTE_JSON, NULL},
    {"POST", "/api/operator/submissions/:id/reject",       api_operator_reject,            AUTH_ROLE_OPERATOR,  ROUTE_JSON, NULL},
    {"POST", "/api/operator/connectors/:slug/unpublish",   api_operator_unpublish,         AUTH_ROLE_OPERATOR,  ROUTE_JSON, NULL},
    /* issue 18: bank data (bank/): linking accounts, their transactions. The callback is
     * the bank's redirect of the user's browser; the state it brings back authenticates
     * it (GoCardless calls it ref). */
    {"GET",  "/api/bank/institutions",             api_bank_institutions,      AUTH_ROLE_ADMIN,  0, "country connector"},
    {"POST", "/api/bank/connections",              api_bank_connection_create, AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"GET",  "/api/bank/connections",              api_bank_connections_list,  AUTH_ROLE_ADMIN,  0, NULL},
    {"POST", "/api/bank/connections/:id/renew",    api_bank_connection_renew,  AUTH_ROLE_ADMIN,  0, NULL},
    {"GET",  "/api/bank/callback",                 api_bank_callback,          AUTH_ROLE_NONE,   ROUTE_HTTPS_ONLY,
     "state ref code error error_description details"},
    {"GET",  "/api/bank/accounts",                 api_bank_accounts,          AUTH_ROLE_MEMBER, 0, NULL},
    {"GET",  "/api/bank/transactions",             api_bank_transactions,      AUTH_ROLE_MEMBER, 0, PAGE "account status from to matched"},
    /* issue 19: the document store (api/documents.c); an upload is the file as the raw
     * body, typed by its content; the file itself only to admins */
    {"GET",  "/api/documents",             api_documents_list,   AUTH_ROLE_MEMBER, 0, PAGE "status"},
    {"POST", "/api/documents",             api_document_upload,  AUTH_ROLE_ADMIN,  0, "filename"},
    {"GET",  "/api/documents/:id",         api_document_get,     AUTH_ROLE_MEMBER, 0, NULL},
    {"GET",  "/api/documents/:id/file",    api_document_file,    AUTH_ROLE_ADMIN,  0, NULL},
    {"POST", "/api/documents/:id/confirm", api_document_confirm, AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    /* issue 19: Google Workspace on the dashboard, read live (api/dashboard.c) */
    {"GET",  "/api/dashboard/calendar",    api_dashboard_calendar, AUTH_ROLE_MEMBER, 0, "days"},
    {"GET",  "/api/dashboard/mail",        api_dashboard_mail,     AUTH_ROLE_MEMBER, 0, NULL},

    /* issue 20: the accounting assistant on Slack, Telegram and WhatsApp (api/chatbot.c);
     * the platforms' doors are public, their signatures or tokens authenticate them */
    {"POST",   "/api/chatbot/slack",           api_chatbot_slack,       AUTH_ROLE_NONE,  ROUTE_HTTPS_ONLY, NULL},
    {"POST",   "/api/chatbot/telegram/:token", api_chatbot_telegram,    AUTH_ROLE_NONE,  ROUTE_HTTPS_ONLY, NULL},
    {"GET",    "/api/chatbot/whatsapp",        api_chatbot_whatsapp,    AUTH_ROLE_NONE,  ROUTE_HTTPS_ONLY, "hub.mode hub.verify_token hub.challenge"},
    {"POST",   "/api/chatbot/whatsapp",        api_chatbot_whatsapp,    AUTH_ROLE_NONE,  ROUTE_HTTPS_ONLY, NULL},
    {"POST",   "/api/chatbot/links",           api_chatbot_link_create, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"GET",    "/api/chatbot/links",           api_chatbot_links_list,  AUTH_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/api/chatbot/links/:id",       api_chatbot_link_delete, AUTH_ROLE_ADMIN, 0, NULL},
    {"GET",    "/api/chatbot/messages",        api_chatbot_messages,    AUTH_ROLE_ADMIN, 0, NULL},
    /* issue 21: the OpenAPI document (api/openapi.c); API tokens for integrations
     * (api/tokens.c); the MCP server (api/mcp.c: reads unless the tool writes, which it
     * checks per call, so read-only tokens pass here) */
    {"GET",    "/api/openapi.json", api_openapi,      AUTH_ROLE_NONE,  0, NULL},
    {"GET",    "/api/tokens",       api_tokens_list,  AUTH_ROLE_ADMIN, 0, PAGE},
    {"POST",   "/api/tokens",       api_token_create, AUTH_ROLE_ADMIN, ROUTE_JSON, NULL},
    {"DELETE", "/api/tokens/:id",   api_token_revoke, AUTH_ROLE_ADMIN, 0, NULL},
    {"POST",   "/mcp",              api_mcp,          AUTH_ROLE_MEMBER, ROUTE_JSON | ROUTE_READS, NULL},

    /* issue 18, payouts: the bank's transactions matched against invoices, payouts and rules,
     * reviewed by hand, reconciled with the books; what payment providers paid out and kept */
    {"POST",   "/api/bank/transactions/match",     api_bank_transactions_automatch, AUTH_ROLE_ADMIN,  0, NULL},
    {"POST",   "/api/bank/transactions/:id/match", api_bank_transaction_match,      AUTH_ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"GET",    "/api/bank/rules",                  api_bank_rules_list,             AUTH_ROLE_MEMBER, 0, NULL},
    {"DELETE", "/api/bank/rules/:id",              api_bank_rule_delete,            AUTH_ROLE_ADMIN,  0, NULL},
    {"GET",    "/api/bank/reconciliation",         api_bank_reconciliation,         AUTH_ROLE_MEMBER, 0, "account to"},
    {"GET",    "/api/payouts/movements",           api_payout_movements,            AUTH_ROLE_MEMBER, 0, PAGE "kind"},
};

const struct route *api_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0];
    return routes;
}
