/* api/api.h - the request handlers and THE routing table.
 *
 * One file per resource (health.c, tenant.c, ...); routes.c lists every route with its
 * method, pattern, handler, least role and flags. Handlers reach the rest of the system
 * through struct app, which main() fills and hands to the HTTP server. */
#ifndef CONNECTORD_API_H
#define CONNECTORD_API_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/crypto.h"
#include "http/http.h"
#include "outbound/engine.h"

struct store;
struct sync_worker;

struct chat;
struct pipeline_cache;

struct app {
    struct store *store;
    const char *public_url; /* "https://connect.example.com", no trailing slash */
    bool dev;
    unsigned char master_key[CRYPTO_KEY_LEN];
    const char *trusted_cert_prefix; /* PayPal certificates: an extra trusted URL prefix */
    bool keep_webhook_bodies;        /* keep raw webhook bodies in the log for debugging */
    struct engine *engine;                 /* the delivery engine, woken by new events */
    struct pipeline_cache *webhook_cache;  /* what webhooks read, per process (pipeline.h) */
    const struct engine_config *delivery;  /* its settings, for test sends */
    struct sync_worker *sync;              /* runs queued sync runs; woken by requests */
    struct chat *chat;                     /* the assistant (chat/chat.h); NULL while starting */
};

const struct route *api_routes(size_t *count);

/* chatbot.c: the assistant's platforms and its linked people (issue 20) */
int api_chatbot_slack(struct http_request *req, struct http_response *res, struct error *err);
int api_chatbot_telegram(struct http_request *req, struct http_response *res, struct error *err);
int api_chatbot_whatsapp(struct http_request *req, struct http_response *res, struct error *err);
int api_chatbot_link_create(struct http_request *req, struct http_response *res,
                            struct error *err);
int api_chatbot_links_list(struct http_request *req, struct http_response *res,
                           struct error *err);
int api_chatbot_link_delete(struct http_request *req, struct http_response *res,
                            struct error *err);
int api_chatbot_messages(struct http_request *req, struct http_response *res, struct error *err);

/* Handlers, grouped by the file that holds them. */
int api_healthz(struct http_request *req, struct http_response *res, struct error *err);
int api_readyz(struct http_request *req, struct http_response *res, struct error *err);
int api_metrics(struct http_request *req, struct http_response *res, struct error *err);
int api_tenant_get(struct http_request *req, struct http_response *res, struct error *err);
int api_tenant_update(struct http_request *req, struct http_response *res, struct error *err);
int api_connectors_list(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_get(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_install(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_uninstall(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_configure(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_sync(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_sync_runs(struct http_request *req, struct http_response *res, struct error *err);
int api_time_entries_list(struct http_request *req, struct http_response *res, struct error *err);
int api_schema_connector_manifest(struct http_request *req, struct http_response *res,
                                  struct error *err);
/* oauth.c: connecting an install with OAuth 2 */
int api_oauth_start(struct http_request *req, struct http_response *res, struct error *err);
int api_oauth_callback(struct http_request *req, struct http_response *res, struct error *err);
int api_oauth_status(struct http_request *req, struct http_response *res, struct error *err);
/* bank.c: linking bank accounts (bank/), their transactions */
int api_bank_institutions(struct http_request *req, struct http_response *res, struct error *err);
int api_bank_connection_create(struct http_request *req, struct http_response *res,
                               struct error *err);
int api_bank_connections_list(struct http_request *req, struct http_response *res,
                              struct error *err);
int api_bank_connection_renew(struct http_request *req, struct http_response *res,
                              struct error *err);
int api_bank_callback(struct http_request *req, struct http_response *res, struct error *err);
int api_bank_accounts(struct http_request *req, struct http_response *res, struct error *err);
int api_bank_transactions(struct http_request *req, struct http_response *res,
                          struct error *err);
int api_projects_list(struct http_request *req, struct http_response *res, struct error *err);
int api_project_create(struct http_request *req, struct http_response *res, struct error *err);
/* The :projectId of the path is one of the caller's projects; else ERR_NOT_FOUND naming
 * the ones that exist (also in res->error_extra). */
int api_project_check(struct http_request *req, struct http_response *res, struct error *err);
int api_project_connectors_list(struct http_request *req, struct http_response *res,
                                struct error *err);
int api_project_connector_create(struct http_request *req, struct http_response *res,
                                 struct error *err);
int api_project_connector_get(struct http_request *req, struct http_response *res,
                              struct error *err);
int api_project_connector_update(struct http_request *req, struct http_response *res,
                                 struct error *err);
int api_project_connector_delete(struct http_request *req, struct http_response *res,
                                 struct error *err);
int api_webhook_test(struct http_request *req, struct http_response *res, struct error *err);
int api_webhook_receive(struct http_request *req, struct http_response *res, struct error *err);
int api_events_publish(struct http_request *req, struct http_response *res, struct error *err);
int api_events_list(struct http_request *req, struct http_response *res, struct error *err);
int api_deliveries_list(struct http_request *req, struct http_response *res, struct error *err);
int api_delivery_get(struct http_request *req, struct http_response *res, struct error *err);
int api_delivery_retry(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_replay(struct http_request *req, struct http_response *res, struct error *err);
int api_connector_send_test(struct http_request *req, struct http_response *res,
                            struct error *err);
int api_audit_list(struct http_request *req, struct http_response *res, struct error *err);
/* publishing.c: outside connectors, for developers and the operator */
int api_developer_submit(struct http_request *req, struct http_response *res, struct error *err);
int api_developer_submissions(struct http_request *req, struct http_response *res,
                              struct error *err);
int api_developer_submission(struct http_request *req, struct http_response *res,
                             struct error *err);
int api_operator_developer_create(struct http_request *req, struct http_response *res,
                                  struct error *err);
int api_operator_developers(struct http_request *req, struct http_response *res,
                            struct error *err);
int api_operator_submissions(struct http_request *req, struct http_response *res,
                             struct error *err);
int api_operator_submission(struct http_request *req, struct http_response *res,
                            struct error *err);
int api_operator_approve(struct http_request *req, struct http_response *res, struct error *err);
int api_operator_reject(struct http_request *req, struct http_response *res, struct error *err);
int api_operator_unpublish(struct http_request *req, struct http_response *res,
                           struct error *err);
/* GET /api/ledger/verify (ledger.c): recomputes the tenant's hash chains. */
int api_ledger_verify(struct http_request *req, struct http_response *res, struct error *err);
/* tokens.c: the tenant's API tokens */
int api_tokens_list(struct http_request *req, struct http_response *res, struct error *err);
int api_token_create(struct http_request *req, struct http_response *res, struct error *err);
int api_token_revoke(struct http_request *req, struct http_response *res, struct error *err);
/* POST /mcp (mcp.c): the MCP server, both revisions. */
int api_mcp(struct http_request *req, struct http_response *res, struct error *err);
/* GET /api/openapi.json (openapi.c): the OpenAPI document. */
int api_openapi(struct http_request *req, struct http_response *res, struct error *err);

/* The read APIs over the books (invoices.c, parties.c, ledger.c, webhook_logs.c). */
int api_invoices_list(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_get(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_post(struct http_request *req, struct http_response *res, struct error *err);
/* invoicing.c */
int api_invoice_profile_get(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_profile_put(struct http_request *req, struct http_response *res, struct error *err);
int api_customer_create(struct http_request *req, struct http_response *res, struct error *err);
int api_customer_billing_get(struct http_request *req, struct http_response *res, struct error *err);
int api_customer_billing_put(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_draft_get(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_from_time_entries(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_finalize(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_delete(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_pdf(struct http_request *req, struct http_response *res, struct error *err);
int api_invoice_xrechnung(struct http_request *req, struct http_response *res, struct error *err);
int api_suppliers_list(struct http_request *req, struct http_response *res, struct error *err);
int api_customers_list(struct http_request *req, struct http_response *res, struct error *err);
int api_ledger_entries(struct http_request *req, struct http_response *res, struct error *err);
int api_ledger_balances(struct http_request *req, struct http_response *res, struct error *err);
int api_webhook_logs_list(struct http_request *req, struct http_response *res,
                          struct error *err);

/* The connector store page, compiled in from web/ (web.c). */
int api_web_index(struct http_request *req, struct http_response *res, struct error *err);
int api_web_asset(struct http_request *req, struct http_response *res, struct error *err);

/* Tenant settings, exports and VAT returns (settings.c, exports.c, vat_returns.c). */
int api_settings_get(struct http_request *req, struct http_response *res, struct error *err);
int api_settings_put(struct http_request *req, struct http_response *res, struct error *err);
int api_export_datev(struct http_request *req, struct http_response *res, struct error *err);
int api_export_tenant(struct http_request *req, struct http_response *res, struct error *err);
int api_exports_log(struct http_request *req, struct http_response *res, struct error *err);
/* For every export (exports.c): records in the exports log that the caller made an export of
 * `kind` and `period` from `head`, and answers the head in X-Books-Chain-Head and
 * X-Books-Chain-Seq. */
struct store_chain_head;
int api_export_head(struct http_request *req, struct http_response *res, const char *kind,
                    const char *period, const struct store_chain_head *head, struct error *err);
int api_vat_return_at(struct http_request *req, struct http_response *res, struct error *err);
int api_vat_return_oss(struct http_request *req, struct http_response *res, struct error *err);
int api_vat_return_de(struct http_request *req, struct http_response *res, struct error *err);
int api_vat_return_at_xml(struct http_request *req, struct http_response *res,
                          struct error *err);
int api_vat_return_at_submit(struct http_request *req, struct http_response *res,
                             struct error *err);
int api_vat_return_at_submissions(struct http_request *req, struct http_response *res,
                                  struct error *err);

/* The document store (documents.c): files in, drafts read from them, confirmed into the
 * books. */
int api_documents_list(struct http_request *req, struct http_response *res, struct error *err);
int api_document_get(struct http_request *req, struct http_response *res, struct error *err);
int api_document_file(struct http_request *req, struct http_response *res, struct error *err);
int api_document_upload(struct http_request *req, struct http_response *res, struct error *err);
int api_document_confirm(struct http_request *req, struct http_response *res,
                         struct error *err);
/* Google Workspace on the dashboard (dashboard.c). */
int api_dashboard_calendar(struct http_request *req, struct http_response *res,
                           struct error *err);
int api_dashboard_mail(struct http_request *req, struct http_response *res, struct error *err);

/* issue 18, payouts (bank_review.c) */
int api_bank_transactions_automatch(struct http_request *req, struct http_response *res,
                                    struct error *err);
int api_bank_transaction_match(struct http_request *req, struct http_response *res, struct error *err);
int api_bank_rules_list(struct http_request *req, struct http_response *res, struct error *err);
int api_bank_rule_delete(struct http_request *req, struct http_response *res, struct error *err);
int api_bank_reconciliation(struct http_request *req, struct http_response *res, struct error *err);
int api_payout_movements(struct http_request *req, struct http_response *res, struct error *err);

#endif
