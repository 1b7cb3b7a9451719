/* store/migrations.c - the schema, as numbered steps applied in order.
 *
 * Each step is portable SQL (TEXT, BIGINT, constraints) that SQLite and PostgreSQL both
 * accept; a step is never edited once released, a change is a new step. The applied steps
 * are recorded in schema_migrations. The pending steps run in ONE write transaction that
 * re-checks the table step by step (two processes starting together apply a step once), so
 * a step that fails leaves the store as it was, at its earlier version. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/store_int.h"

struct migration {
    int64_t version;
    const char *name;
    const char *sql;
};

/* Data steps: C that runs after a step's SQL, in the same transaction, for a change that
 * portable SQL cannot make (values inside a JSON column); it too uses only portable
 * statements, with parameters. */
static int datev_fiscal_year_to_settings(struct store *s, struct store_conn *c,
                                         struct error *err);

static const struct {
    int64_t version;
    int (*run)(struct store *s, struct store_conn *c, struct error *err);
} data_steps[] = {
    {7, datev_fiscal_year_to_settings},
    {11, chain_backfill},
};

static int run_data_step(struct store *s, struct store_conn *c, int64_t version,
                         struct error *err)
{
    for (size_t i = 0; i < sizeof data_steps / sizeof data_steps[0]; i++)
        if (data_steps[i].version == version && data_steps[i].run(s, c, err) < 0)
            return -1;
    return 0;
}

static const struct migration migrations[] = {
    {1, "tenants and api tokens",
     "CREATE TABLE tenants ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  plan TEXT NOT NULL CHECK (plan IN ('starter','pro','business','enterprise')),"
     "  created_at TEXT NOT NULL);"
     "CREATE TABLE api_tokens ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  role TEXT NOT NULL CHECK (role IN ('admin','member')),"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  created_at TEXT NOT NULL,"
     "  last_used_at TEXT);"
     "CREATE INDEX api_tokens_tenant ON api_tokens(tenant_id);"},
    {2, "connector installs and the audit log",
     /* One table for both surfaces: seed 000's installs (one per slug and tenant, by the
      * partial unique index) and seed 001's destinations (many per type). config holds
      * the plain values as JSON; secrets maps each secret key to its sealed value and a
      * display hint; the webhook token is found by hash and kept sealed for display. */
     "CREATE TABLE connector_installs ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  slug TEXT NOT NULL,"
     "  is_destination BIGINT NOT NULL,"
     "  config TEXT NOT NULL,"
     "  secrets TEXT NOT NULL,"
     "  event_types TEXT,"
     "  is_active BIGINT NOT NULL DEFAULT 1,"
     "  webhook_token_hash TEXT UNIQUE,"
     "  webhook_token_sealed TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX connector_installs_one_per_slug"
     "  ON connector_installs(tenant_id, slug) WHERE is_destination = 0;"
     "CREATE INDEX connector_installs_tenant ON connector_installs(tenant_id, is_destination);"
     "CREATE TABLE audit_log ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  token_id TEXT,"
     "  action TEXT NOT NULL,"
     "  target TEXT NOT NULL,"
     "  fields TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id);"},
    {3, "the books: suppliers, customers, invoices, journal, webhook log",
     /* A supplier or customer is matched by the provider's id for it, then by email;
      * provider_ref is unique per provider so two requests cannot create the same one.
      * invoices_dedupe is what "exactly once" rests on: the same (tenant, source,
      * external_id) can exist once, whatever the timing. Amounts are minor units. */
     "CREATE TABLE parties ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  role TEXT NOT NULL CHECK (role IN ('supplier','customer')),"
     "  name TEXT NOT NULL,"
     "  email TEXT,"
     "  provider TEXT,"
     "  provider_ref TEXT,"
     "  created_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX parties_provider_ref ON parties(tenant_id, role, provider, provider_ref)"
     "  WHERE provider_ref IS NOT NULL;"
     "CREATE INDEX parties_email ON parties(tenant_id, role, email);"
     "CREATE TABLE invoices ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  type TEXT NOT NULL CHECK (type IN ('eingangsrechnung','ausgangsrechnung','gutschrift')),"
     "  party_id TEXT NOT NULL REFERENCES parties(id),"
     "  invoice_number TEXT NOT NULL,"
     "  invoice_date TEXT NOT NULL,"
     "  total_gross_minor BIGINT NOT NULL,"
     "  currency TEXT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  external_id TEXT NOT NULL,"
     "  related_invoice_id TEXT REFERENCES invoices(id),"
     "  journal_entry_id TEXT,"
     "  created_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX invoices_dedupe ON invoices(tenant_id, source, external_id);"
     "CREATE INDEX invoices_tenant ON invoices(tenant_id, id);"
     "CREATE TABLE journal_entries ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  entry_date TEXT NOT NULL,"
     "  description TEXT NOT NULL,"
     "  invoice_id TEXT REFERENCES invoices(id),"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX journal_entries_tenant ON journal_entries(tenant_id, id);"
     "CREATE TABLE journal_lines ("
     "  entry_id TEXT NOT NULL REFERENCES journal_entries(id) ON DELETE CASCADE,"
     "  line_no BIGINT NOT NULL,"
     "  tenant_id TEXT NOT NULL,"
     "  account TEXT NOT NULL,"
     "  debit_minor BIGINT NOT NULL CHECK (debit_minor >= 0),"
     "  credit_minor BIGINT NOT NULL CHECK (credit_minor >= 0),"
     "  currency TEXT NOT NULL,"
     "  PRIMARY KEY (entry_id, line_no));"
     "CREATE INDEX journal_lines_tenant ON journal_lines(tenant_id, account, currency);"
     "CREATE TABLE webhook_logs ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  provider TEXT NOT NULL,"
     "  event TEXT,"
     "  status TEXT NOT NULL CHECK (status IN ('processed','duplicate','failed','invalid_signature')),"
     "  external_id TEXT,"
     "  error TEXT,"
     "  detail TEXT,"
     "  body TEXT,"
     "  received_at TEXT NOT NULL,"
     "  processed_at TEXT NOT NULL);"
     "CREATE INDEX webhook_logs_tenant ON webhook_logs(tenant_id, provider, id);"},
    {4, "events, the delivery outbox, attempts and daily summaries",
     /* deliveries is the outbox: written in the same transaction as its event, claimed by
      * the engine with a lease (lease_until), so a process that dies mid-send leaves rows
      * that the next claim takes again: at least once. Times the engine compares are epoch
      * milliseconds. daily_summaries' key makes the summary of a day exactly-once. */
     "CREATE TABLE events ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  type TEXT NOT NULL,"
     "  data TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX events_tenant ON events(tenant_id, id);"
     "CREATE TABLE deliveries ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
     "  connector_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  event_type TEXT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN ('pending','delivering','delivered','failed','dead')),"
     "  attempts BIGINT NOT NULL DEFAULT 0,"
     "  next_attempt_ms BIGINT NOT NULL,"
     "  lease_until_ms BIGINT NOT NULL DEFAULT 0,"
     "  last_status BIGINT,"
     "  last_error TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  delivered_at TEXT);"
     "CREATE INDEX deliveries_due ON deliveries(status, next_attempt_ms);"
     "CREATE INDEX deliveries_connector ON deliveries(connector_id, id);"
     "CREATE TABLE delivery_attempts ("
     "  delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,"
     "  attempt_no BIGINT NOT NULL,"
     "  started_at TEXT NOT NULL,"
     "  duration_ms BIGINT NOT NULL,"
     "  http_status BIGINT,"
     "  response_excerpt TEXT,"
     "  error TEXT,"
     "  PRIMARY KEY (delivery_id, attempt_no));"
     "CREATE TABLE daily_summaries ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  day TEXT NOT NULL,"
     "  event_id TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, day));"},
    {5, "tenant settings, VAT codes on journal lines, VAT return submissions",
     /* A tenant without a settings row has the defaults (settings/settings.c). A journal
      * line's vat_code names the VAT of its booking (ledger/charts.c), on the base line
      * and on the tax line (vat_tax = 1); lines without VAT keep NULL. A submission is
      * claimed as 'pending' before anything is sent (the partial unique index lets one be
      * in flight per period and mode) and kept only once the tax office accepted it. */
     "CREATE TABLE tenant_settings ("
     "  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,"
     "  chart TEXT NOT NULL CHECK (chart IN ('skr03','skr04','ekr')),"
     "  time_zone TEXT NOT NULL,"
     "  fiscal_year_start TEXT NOT NULL,"
     "  vat_number TEXT,"
     "  milestones TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "ALTER TABLE journal_lines ADD COLUMN vat_code TEXT;"
     "ALTER TABLE journal_lines ADD COLUMN vat_tax BIGINT NOT NULL DEFAULT 0;"
     "CREATE TABLE vat_submissions ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  country TEXT NOT NULL,"
     "  period TEXT NOT NULL,"
     "  test BIGINT NOT NULL,"
     "  correction BIGINT NOT NULL,"
     "  package_no BIGINT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN ('pending','accepted')),"
     "  figures TEXT,"
     "  document TEXT,"
     "  service_rc BIGINT,"
     "  service_message TEXT,"
     "  created_at TEXT NOT NULL,"
     "  submitted_at TEXT);"
     "CREATE UNIQUE INDEX vat_submissions_in_flight ON vat_submissions(tenant_id, country, period, test)"
     "  WHERE status = 'pending';"
     "CREATE INDEX vat_submissions_tenant ON vat_submissions(tenant_id, country, period);"},
    {6, "invoice tax from the provider, webhook log actions, payment links",
     /* tax_minor: the VAT the provider itself reported for the payment (Stripe's invoice
      * tax), NULL when it said none; posting books that instead of the connector's rate.
      * action: what a processed webhook did to the books (booked, credit_note, none); NULL
      * for rows from before it was recorded. payment_links: one provider payment can be
      * named by several ids (Stripe's in_, pi_, ch_, cs_); each alias maps to the
      * external_id its invoice is booked under, or holds (parked) the details of an event
      * that cannot be booked until another event names its payment. */
     "ALTER TABLE invoices ADD COLUMN tax_minor BIGINT;"
     "ALTER TABLE webhook_logs ADD COLUMN action TEXT"
     "  CHECK (action IS NULL OR action IN ('booked','credit_note','none'));"
     "CREATE TABLE payment_links ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  source TEXT NOT NULL,"
     "  alias TEXT NOT NULL,"
     "  external_id TEXT,"
     "  parked TEXT,"
     "  created_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, source, alias));"},
    {7, "the fiscal year start lives in the tenant settings only",
     /* Installs of datev kept fiscalYearStart ("MMDD") and chart in their config; the
      * settings now own both. The fiscal year start moves into the settings row (as
      * "MM-DD"); the chart needs no move, because the export refused a chart that
      * differed from the settings'. A tenant without a settings row could not export
      * (EKR is no DATEV chart) and gets none. The old keys stay in the config, unread. */
     "" /* data step: datev_fiscal_year_to_settings */},
    {8, "projects, destination names and health, alert events, attempted requests",
     /* A tenant's destinations and events belong to projects; each tenant has a default
      * project whose id is the tenant's id, so the /api/projects/<tenant id>/... URLs of
      * before keep working. A destination's health is what its circuit breaker last saw:
      * consecutive failures, paused_until_ms while the breaker is open (NULL when closed),
      * why it was paused or disabled, and its last success and failure. An event with
      * project_id NULL (a booking, a daily summary) goes to the destinations of every
      * project. An attempt keeps the request it sent, its secrets masked. */
     "CREATE TABLE projects ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  name TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX projects_tenant ON projects(tenant_id, id);"
     "INSERT INTO projects (id, tenant_id, name, created_at)"
     "  SELECT id, id, name, created_at FROM tenants;"
     "ALTER TABLE connector_installs ADD COLUMN project_id TEXT;"
     "UPDATE connector_installs SET project_id = tenant_id WHERE is_destination = 1;"
     "ALTER TABLE connector_installs ADD COLUMN name TEXT;"
     "ALTER TABLE connector_installs ADD COLUMN consecutive_failures BIGINT NOT NULL DEFAULT 0;"
     "ALTER TABLE connector_installs ADD COLUMN paused_until_ms BIGINT;"
     "ALTER TABLE connector_installs ADD COLUMN status_reason TEXT;"
     "ALTER TABLE connector_installs ADD COLUMN last_success_at TEXT;"
     "ALTER TABLE connector_installs ADD COLUMN last_failure_at TEXT;"
     "CREATE INDEX connector_installs_project ON connector_installs(tenant_id, project_id);"
     "ALTER TABLE events ADD COLUMN project_id TEXT;"
     "ALTER TABLE delivery_attempts ADD COLUMN request TEXT;"},
    {9, "exchange rates, invoices in the book currency, journal lines in EUR",
     /* fx_rates: the ECB's reference rates as `connectord rates import` loads them, units
      * of the currency for one euro in millionths (core/fx.h); shared by every tenant.
      * invoice_fx: an invoice in another currency in EUR, with the rate and where it came
      * from (the provider's settlement, or the ECB rate of rate_date); written once, never
      * changed, so an invoice without a row waits for a rate (it is flagged, and posted
      * once rated). A journal line keeps its original amount and currency and carries
      * its amount in EUR (book_*); lines of EUR entries from before carry their own
      * amount, lines in other currencies from before stay NULL (unrated). */
     "CREATE TABLE fx_rates ("
     "  currency TEXT NOT NULL,"
     "  rate_date TEXT NOT NULL,"
     "  rate BIGINT NOT NULL CHECK (rate > 0),"
     "  imported_at TEXT NOT NULL,"
     "  PRIMARY KEY (currency, rate_date));"
     "CREATE TABLE invoice_fx ("
     "  invoice_id TEXT PRIMARY KEY REFERENCES invoices(id) ON DELETE CASCADE,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  book_gross_minor BIGINT NOT NULL,"
     "  rate BIGINT NOT NULL CHECK (rate > 0),"
     "  source TEXT NOT NULL,"
     "  rate_date TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX invoice_fx_tenant ON invoice_fx(tenant_id, invoice_id);"
     "ALTER TABLE journal_lines ADD COLUMN book_debit_minor BIGINT;"
     "ALTER TABLE journal_lines ADD COLUMN book_credit_minor BIGINT;"
     "UPDATE journal_lines SET book_debit_minor = debit_minor, book_credit_minor = credit_minor"
     "  WHERE currency = 'EUR';"},
    {10, "tax treatments of invoice lines, the tenant's tax settings",
     /* An invoice line's tax treatment (ledger/tax.c: domestic, oss, intra_eu_services,
      * ...) with the country its VAT is due in, the rate in basis points (NULL: none
      * charged or known), the counterparty's VAT id and, when unclassified, why. Journal
      * lines carry the treatment, country and rate of the booking they belong to (base and
      * tax line), so the returns read them from the books. Rows from before have NULL:
      * their VAT code alone says what they are. The tenant's country (its chart's when
      * NULL), Kleinunternehmer and one-stop-shop flags, and whether it supplies goods. */
     "ALTER TABLE invoices ADD COLUMN tax_treatment TEXT;"
     "ALTER TABLE invoices ADD COLUMN tax_country TEXT;"
     "ALTER TABLE invoices ADD COLUMN tax_rate_bp BIGINT;"
     "ALTER TABLE invoices ADD COLUMN tax_vat_id TEXT;"
     "ALTER TABLE invoices ADD COLUMN tax_note TEXT;"
     "ALTER TABLE journal_lines ADD COLUMN tax_treatment TEXT;"
     "ALTER TABLE journal_lines ADD COLUMN tax_country TEXT;"
     "ALTER TABLE journal_lines ADD COLUMN tax_rate_bp BIGINT;"
     "ALTER TABLE tenant_settings ADD COLUMN country TEXT;"
     "ALTER TABLE tenant_settings ADD COLUMN small_business BIGINT NOT NULL DEFAULT 0;"
     "ALTER TABLE tenant_settings ADD COLUMN oss BIGINT NOT NULL DEFAULT 0;"
     "ALTER TABLE tenant_settings ADD COLUMN supplies TEXT NOT NULL DEFAULT 'services';"},
    {11, "tamper-evident books: hash chains, chain heads, the exports log, tenant erasures",
     /* Journal entries and audit records carry their link in a per-tenant hash chain
      * (store/chain.c defines the serialization); chain_heads holds each chain's last
      * link, one row per tenant and chain, updated in the transaction that appends. Rows
      * from before are linked by this step's data step (chain_backfill), in the order they
      * were written. exports_log records which head each export was made from.
      * tenant_erasures is the contract with tenant deletion: the append-only triggers
      * (store/guard.c, installed after every migration) let a booked row be deleted only
      * when its tenant_id is listed here; `connectord tenant delete` inserts the row in its
      * delete transaction. */
     "ALTER TABLE journal_entries ADD COLUMN chain_seq BIGINT;"
     "ALTER TABLE journal_entries ADD COLUMN chain_hash TEXT;"
     "CREATE UNIQUE INDEX journal_entries_chain ON journal_entries(tenant_id, chain_seq);"
     "ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;"
     "ALTER TABLE audit_log ADD COLUMN chain_hash TEXT;"
     "CREATE UNIQUE INDEX audit_log_chain ON audit_log(tenant_id, chain_seq);"
     "CREATE TABLE chain_heads ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  chain TEXT NOT NULL CHECK (chain IN ('journal','audit')),"
     "  seq BIGINT NOT NULL,"
     "  hash TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, chain));"
     "CREATE TABLE exports_log ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  kind TEXT NOT NULL,"
     "  period TEXT NOT NULL,"
     "  chain_seq BIGINT NOT NULL,"
     "  chain_head TEXT NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX exports_log_tenant ON exports_log(tenant_id, id);"
     "CREATE TABLE IF NOT EXISTS tenant_erasures ("
     "  tenant_id TEXT PRIMARY KEY,"
     "  requested_at TEXT NOT NULL);"},
    {12, "retention indexes, the operator log, tenant erasures",
     /* The retention sweep finds what is past its time by these indexes, a small batch at
      * a time. The operator log records what an operator did to a tenant as a whole
      * (archive made with its SHA-256, import, deletion); it belongs to no tenant, so it
      * outlives the tenant it names. tenant_erasures lists the tenants whose deletion was
      * requested: the books' append-only triggers let a tenant's booked rows go only when
      * its id is here, and a deletion inserts it in its own transaction first. The same
      * definition may exist already (IF NOT EXISTS), from the step that adds those triggers. */
     "CREATE TABLE IF NOT EXISTS tenant_erasures ("
     "  tenant_id TEXT PRIMARY KEY,"
     "  requested_at TEXT NOT NULL);"
     "CREATE TABLE operator_log ("
     "  id TEXT PRIMARY KEY,"
     "  action TEXT NOT NULL CHECK (action IN ('tenant_export','tenant_import','tenant_delete')),"
     "  tenant_id TEXT NOT NULL,"
     "  archive_sha256 TEXT,"
     "  detail TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX operator_log_tenant ON operator_log(tenant_id, action, archive_sha256);"
     "CREATE INDEX webhook_logs_received ON webhook_logs(received_at, id);"
     "CREATE INDEX webhook_logs_body_received ON webhook_logs(received_at, id)"
     "  WHERE body IS NOT NULL;"
     "CREATE INDEX events_created ON events(created_at, id);"
     "CREATE INDEX deliveries_event ON deliveries(event_id);"
     "CREATE INDEX delivery_attempts_body_started"
     "  ON delivery_attempts(started_at, delivery_id, attempt_no)"
     "  WHERE response_excerpt IS NOT NULL OR request IS NOT NULL;"},
    {13, "many processes on one store: job leases, install versions",
     /* job_leases: which process runs a periodic job that must run once across processes
      * (jobs/jobs.def), and until when its lease holds; a process claims a job with one
      * conditional upsert, so of several processes ticking together exactly one gets it,
      * on SQLite and PostgreSQL alike. connector_installs.version grows with every change
      * of an install (settings, secrets, token, active): the booking transaction compares
      * the version its webhook was verified against with the stored one, so a webhook that
      * another process verified an instant before an uninstall or a change is refused. */
     "CREATE TABLE job_leases ("
     "  name TEXT PRIMARY KEY,"
     "  holder TEXT NOT NULL,"
     "  until_ms BIGINT NOT NULL);"
     "ALTER TABLE connector_installs ADD COLUMN version BIGINT NOT NULL DEFAULT 1;"},
    {14, "pulling connectors: sync runs, their state per install, imported time entries",
     /* A sync run of an installed API connector: queued, running, then succeeded or failed,
      * with what it did and why it failed; the partial unique index lets one run per install
      * be queued or running at a time (a second request finds the first). sync_state holds
      * what an install's next run starts from (the cursor or window the last committed run
      * reached) and the install's sync health; it moves only when a run commits.
      * time_entries: tracked time from every source in one shape, unique per (tenant,
      * source, external_id) so a second pull imports nothing twice; minutes and the hourly
      * rate in minor units as the service gave them; deleted_at when the service no longer
      * has it; review_reason when it changed or went upstream after it was invoiced. */
     "CREATE TABLE sync_runs ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  slug TEXT NOT NULL,"
     "  origin TEXT NOT NULL CHECK (origin IN ('schedule','manual')),"
     "  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),"
     "  new_count BIGINT NOT NULL DEFAULT 0,"
     "  updated_count BIGINT NOT NULL DEFAULT 0,"
     "  deleted_count BIGINT NOT NULL DEFAULT 0,"
     "  skipped_count BIGINT NOT NULL DEFAULT 0,"
     "  error TEXT,"
     "  created_at TEXT NOT NULL,"
     "  started_at TEXT,"
     "  finished_at TEXT,"
     "  duration_ms BIGINT);"
     "CREATE UNIQUE INDEX sync_runs_one_active ON sync_runs(install_id)"
     "  WHERE status IN ('queued','running');"
     "CREATE INDEX sync_runs_install ON sync_runs(tenant_id, install_id, id);"
     "CREATE TABLE sync_state ("
     "  install_id TEXT PRIMARY KEY REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  cursor TEXT,"
     "  last_run_id TEXT,"
     "  last_success_at TEXT,"
     "  next_run_at TEXT,"
     "  error TEXT,"
     "  updated_at TEXT NOT NULL);"
     "CREATE TABLE time_entries ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT,"
     "  source TEXT NOT NULL,"
     "  external_id TEXT NOT NULL,"
     "  started_at TEXT NOT NULL,"
     "  minutes BIGINT NOT NULL CHECK (minutes >= 0),"
     "  billable BIGINT NOT NULL,"
     "  description TEXT,"
     "  project TEXT,"
     "  client TEXT,"
     "  client_external_id TEXT,"
     "  user_name TEXT,"
     "  rate_minor BIGINT,"
     "  currency TEXT,"
     "  upstream_hash TEXT NOT NULL,"
     "  deleted_at TEXT,"
     "  review_reason TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX time_entries_dedupe ON time_entries(tenant_id, source, external_id);"
     "CREATE INDEX time_entries_tenant ON time_entries(tenant_id, client, started_at);"},
    {15, "invoicing from time entries: drafts, reservations, numbers, invoice documents",
     /* invoice_settings: what a tenant's outgoing invoices say about it (seller name,
      * address, contact, bank account, payment days) and how they are made (rounding of
      * minutes, VAT rate), as one validated JSON document (invoicing/profile.c).
      * party_billing: a customer's invoice address, VAT id, buyer reference and default
      * hourly rate. invoice_drafts and their lines are not the books: a draft may be deleted
      * until it is finalized, and then it only records which invoice it became.
      * invoice_time_entries reserves each time entry for one draft: its primary key is what
      * "never invoiced twice" rests on, whatever the timing; the draft's deletion releases
      * its entries (cascade), its finalization fills invoice_id, which marks them invoiced.
      * invoice_sequences holds the last number of each fiscal year, bumped in the
      * finalizing transaction, so numbers are gap-free and never reused. invoice_documents
      * and invoice_lines are the finalized invoice's content beside its invoices row (who,
      * what, when), booked and append-only (store/guard.c). */
     "CREATE TABLE invoice_settings ("
     "  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,"
     "  document TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE TABLE party_billing ("
     "  party_id TEXT PRIMARY KEY REFERENCES parties(id) ON DELETE CASCADE,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  document TEXT NOT NULL,"
     "  default_rate_minor BIGINT,"
     "  currency TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE TABLE invoice_drafts ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  party_id TEXT NOT NULL REFERENCES parties(id),"
     "  status TEXT NOT NULL CHECK (status IN ('draft','finalized')),"
     "  period_from TEXT NOT NULL,"
     "  period_to TEXT NOT NULL,"
     "  group_by TEXT NOT NULL CHECK (group_by IN ('project','entry')),"
     "  rounding BIGINT NOT NULL,"
     "  currency TEXT NOT NULL,"
     "  net_minor BIGINT NOT NULL,"
     "  tax_minor BIGINT NOT NULL,"
     "  gross_minor BIGINT NOT NULL,"
     "  tax_treatment TEXT NOT NULL,"
     "  tax_country TEXT NOT NULL,"
     "  tax_rate_bp BIGINT NOT NULL,"
     "  invoice_id TEXT REFERENCES invoices(id),"
     "  created_at TEXT NOT NULL,"
     "  finalized_at TEXT);"
     "CREATE INDEX invoice_drafts_tenant ON invoice_drafts(tenant_id, id);"
     "CREATE UNIQUE INDEX invoice_drafts_invoice ON invoice_drafts(invoice_id)"
     "  WHERE invoice_id IS NOT NULL;"
     "CREATE TABLE invoice_draft_lines ("
     "  draft_id TEXT NOT NULL REFERENCES invoice_drafts(id) ON DELETE CASCADE,"
     "  line_no BIGINT NOT NULL,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  description TEXT NOT NULL,"
     "  minutes BIGINT NOT NULL CHECK (minutes >= 0),"
     "  rate_minor BIGINT NOT NULL CHECK (rate_minor >= 0),"
     "  net_minor BIGINT NOT NULL CHECK (net_minor >= 0),"
     "  entries BIGINT NOT NULL,"
     "  PRIMARY KEY (draft_id, line_no));"
     "CREATE TABLE invoice_time_entries ("
     "  time_entry_id TEXT PRIMARY KEY REFERENCES time_entries(id),"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  draft_id TEXT NOT NULL REFERENCES invoice_drafts(id) ON DELETE CASCADE,"
     "  line_no BIGINT NOT NULL,"
     "  billed_minutes BIGINT NOT NULL,"
     "  invoice_id TEXT REFERENCES invoices(id),"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX invoice_time_entries_draft ON invoice_time_entries(draft_id);"
     "CREATE TABLE invoice_sequences ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  fiscal_year TEXT NOT NULL,"
     "  last_number BIGINT NOT NULL CHECK (last_number > 0),"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, fiscal_year));"
     "CREATE TABLE invoice_documents ("
     "  invoice_id TEXT PRIMARY KEY REFERENCES invoices(id),"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  draft_id TEXT NOT NULL,"
     "  sequence_no BIGINT NOT NULL,"
     "  fiscal_year TEXT NOT NULL,"
     "  period_from TEXT NOT NULL,"
     "  period_to TEXT NOT NULL,"
     "  due_date TEXT NOT NULL,"
     "  net_minor BIGINT NOT NULL,"
     "  seller TEXT NOT NULL,"
     "  buyer TEXT NOT NULL,"
     "  note TEXT,"
     "  created_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX invoice_documents_number ON invoice_documents(tenant_id, fiscal_year,"
     "  sequence_no);"
     "CREATE TABLE invoice_lines ("
     "  invoice_id TEXT NOT NULL REFERENCES invoices(id),"
     "  line_no BIGINT NOT NULL,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  description TEXT NOT NULL,"
     "  minutes BIGINT NOT NULL,"
     "  rate_minor BIGINT NOT NULL,"
     "  net_minor BIGINT NOT NULL,"
     "  PRIMARY KEY (invoice_id, line_no));"},
    {16, "OAuth 2 for installs: tokens per install, pending consent states",
     /* oauth_tokens: an install's OAuth grant, its tokens sealed under the master key (bound
      * to the tenant, the install and the token's kind): the refresh token (from the
      * consent flow, or seeded from the install's refreshToken setting, whose SHA-256 is
      * source_hash so a changed setting seeds again), the current access token and when it
      * expires. A refresh is serialized per install across processes by a lease: the
      * process whose conditional UPDATE set lease_id refreshes, the others wait and read
      * what it stored, so a rotating refresh token is never spent twice. generation counts
      * the stored tokens. oauth_states: a consent flow started and not yet finished,
      * found by the SHA-256 of its state parameter, used once, expiring; the PKCE
      * verifier sealed. */
     "CREATE TABLE oauth_tokens ("
     "  install_id TEXT PRIMARY KEY REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  refresh_sealed TEXT,"
     "  access_sealed TEXT,"
     "  expires_at TEXT,"
     "  scope TEXT,"
     "  source_hash TEXT,"
     "  generation BIGINT NOT NULL DEFAULT 0,"
     "  lease_id TEXT,"
     "  lease_until_ms BIGINT,"
     "  updated_at TEXT NOT NULL);"
     "CREATE INDEX oauth_tokens_tenant ON oauth_tokens(tenant_id);"
     "CREATE TABLE oauth_states ("
     "  state_hash TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  verifier_sealed TEXT,"
     "  redirect_uri TEXT NOT NULL,"
     "  expires_at TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX oauth_states_expires ON oauth_states(expires_at);"},
    {17, "outside connectors: developers, platform tokens, submissions, publishing",
     /* Platform roles belong to no tenant: the operator reviews, developers submit.
      * platform_tokens holds their tokens by hash like api_tokens (a developer's names
      * the developer). connector_slugs gives a slug to the developer who first submitted
      * it, by its primary key, so two developers racing for one slug cannot both get it.
      * Each submission is one version of its slug (UNIQUE (slug, version)), with the
      * manifest as submitted, the automated checks' results and the review. A published
      * connector points at its approved version; unpublished it stays for the installs
      * that have it. connector_installs.manifest_version is the version an install of an
      * outside connector runs (NULL: a built-in). */
     "CREATE TABLE developers ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE TABLE platform_tokens ("
     "  id TEXT PRIMARY KEY,"
     "  role TEXT NOT NULL CHECK (role IN ('operator','developer')),"
     "  developer_id TEXT REFERENCES developers(id) ON DELETE CASCADE,"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  created_at TEXT NOT NULL,"
     "  last_used_at TEXT,"
     "  CHECK ((role = 'developer') = (developer_id IS NOT NULL)));"
     "CREATE TABLE connector_slugs ("
     "  slug TEXT PRIMARY KEY,"
     "  developer_id TEXT NOT NULL REFERENCES developers(id),"
     "  created_at TEXT NOT NULL);"
     "CREATE TABLE connector_submissions ("
     "  id TEXT PRIMARY KEY,"
     "  slug TEXT NOT NULL REFERENCES connector_slugs(slug),"
     "  developer_id TEXT NOT NULL REFERENCES developers(id),"
     "  version BIGINT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN "
     "    ('pending_review','changes_requested','approved','rejected')),"
     "  manifest TEXT NOT NULL,"
     "  checks TEXT NOT NULL,"
     "  review_reason TEXT,"
     "  reviewed_at TEXT,"
     "  created_at TEXT NOT NULL,"
     "  UNIQUE (slug, version));"
     "CREATE INDEX connector_submissions_developer ON connector_submissions(developer_id, id);"
     "CREATE INDEX connector_submissions_status ON connector_submissions(status, id);"
     "CREATE TABLE published_connectors ("
     "  slug TEXT PRIMARY KEY REFERENCES connector_slugs(slug),"
     "  version BIGINT NOT NULL,"
     "  submission_id TEXT NOT NULL REFERENCES connector_submissions(id),"
     "  is_published BIGINT NOT NULL,"
     "  published_at TEXT NOT NULL,"
     "  unpublished_at TEXT);"
     "ALTER TABLE connector_installs ADD COLUMN manifest_version BIGINT;"},
    {18, "bank data: consents, accounts by their stable identity, transactions stored once",
     /* bank_connections: one consent at a bank through a driver (gocardless, enablebanking,
      * revolut) of an install: started (pending, with the bank's link and the SHA-256 of the
      * state that the callback brings back), linked, expired, rejected or revoked; the
      * driver's handle on it (requisition, session) and when the consent ends (expires_at).
      * bank_accounts: an account as the bank identifies it for good (identity: the IBAN,
      * Enable Banking's identification hash, Revolut's account id), unique per tenant, so a
      * renewed consent finds the same row; external_id is the driver's current handle,
      * which a new consent changes. The pull plan per account (the day's pulls spent, the
      * bank's limit, when the next may start) and the cursor of the last pull live here.
      * No foreign key to bank_connections: a tenant's archive loads tables in name order.
      * bank_transactions: unique per (account, entry_ref), the bank's entry reference (or,
      * where the bank gives none, a digest of the entry's content), never the bank's
      * transaction id, which is not stable; amount_minor signed (credit +, debit -);
      * a pending entry is replaced by its booked one. match_status, invoice_id and
      * ledger_entry_id are the matching's (unmatched until it decides). */
     "CREATE TABLE bank_connections ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  driver TEXT NOT NULL,"
     "  country TEXT NOT NULL,"
     "  institution_id TEXT NOT NULL,"
     "  institution_name TEXT,"
     "  status TEXT NOT NULL CHECK (status IN ('pending','linked','expired','rejected',"
     "'revoked')),"
     "  state_hash TEXT NOT NULL UNIQUE,"
     "  external_id TEXT,"
     "  agreement_id TEXT,"
     "  link TEXT,"
     "  error TEXT,"
     "  renews_id TEXT,"
     "  expires_at TEXT,"
     "  linked_at TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE INDEX bank_connections_tenant ON bank_connections(tenant_id, id);"
     "CREATE TABLE bank_accounts ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  connection_id TEXT NOT NULL,"
     "  driver TEXT NOT NULL,"
     "  identity TEXT NOT NULL,"
     "  external_id TEXT NOT NULL,"
     "  iban TEXT,"
     "  name TEXT,"
     "  currency TEXT,"
     "  ledger_account TEXT,"
     "  balance_minor BIGINT,"
     "  balance_date TEXT,"
     "  cursor TEXT,"
     "  pull_day TEXT,"
     "  pulls_used BIGINT NOT NULL DEFAULT 0,"
     "  pull_limit BIGINT,"
     "  last_pull_at TEXT,"
     "  next_pull_at TEXT,"
     "  error TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX bank_accounts_identity ON bank_accounts(tenant_id, identity);"
     "CREATE INDEX bank_accounts_connection ON bank_accounts(connection_id);"
     "CREATE TABLE bank_transactions ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  account_id TEXT NOT NULL REFERENCES bank_accounts(id) ON DELETE CASCADE,"
     "  entry_ref TEXT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN ('pending','booked')),"
     "  booking_date TEXT,"
     "  value_date TEXT,"
     "  amount_minor BIGINT NOT NULL,"
     "  currency TEXT NOT NULL,"
     "  counterparty_name TEXT,"
     "  counterparty_iban TEXT,"
     "  remittance TEXT,"
     "  reference TEXT,"
     "  bank_tx_id TEXT,"
     "  match_status TEXT NOT NULL DEFAULT 'unmatched',"
     "  invoice_id TEXT,"
     "  ledger_entry_id TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX bank_transactions_entry ON bank_transactions(account_id, entry_ref);"
     "CREATE INDEX bank_transactions_tenant ON bank_transactions(tenant_id, id);"
     "CREATE INDEX bank_transactions_match ON bank_transactions(tenant_id, match_status);"},
    {19, "provider payouts and fees, bank matching rules, invoices paid through the bank",
     /* provider_movements: what a payment provider's API reports beside its webhooks and
      * the books take once: a fee it kept (per payment) or a payout it sent to the bank,
      * unique per (tenant, provider, kind, external_id) so a pull that sees one again
      * books nothing; ledger_entry_id its entry, bank_transaction_id the bank's line a
      * payout was matched to. bank_match_rules: "this counterparty always to this
      * account", one per counterparty and tenant. invoice_payments: an open invoice paid
      * by a bank transaction, once per invoice and once per transaction. */
     "CREATE TABLE provider_movements ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  provider TEXT NOT NULL,"
     "  kind TEXT NOT NULL CHECK (kind IN ('fee','payout','event')),"
     "  external_id TEXT NOT NULL,"
     "  amount_minor BIGINT NOT NULL,"
     "  currency TEXT NOT NULL,"
     "  occurred_on TEXT NOT NULL,"
     "  reference TEXT,"
     "  ledger_entry_id TEXT,"
     "  bank_transaction_id TEXT,"
     "  created_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX provider_movements_key ON provider_movements(tenant_id, provider, "
     "kind, external_id);"
     "CREATE TABLE bank_match_rules ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  counterparty TEXT NOT NULL,"
     "  account TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE UNIQUE INDEX bank_match_rules_key ON bank_match_rules(tenant_id, counterparty);"
     "CREATE TABLE invoice_payments ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  invoice_id TEXT NOT NULL,"
     "  bank_transaction_id TEXT NOT NULL UNIQUE,"
     "  ledger_entry_id TEXT,"
     "  paid_on TEXT NOT NULL,"
     "  created_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, invoice_id));"},
    {20, "the document store: original files, what was read from them, drafts to confirm",
     /* documents: one row per file a tenant received, unique per (tenant, SHA-256 of its
      * bytes), so the same file twice is one document whatever the timing. source says
      * where it came from ("upload", "gmail", "whatsapp", ...), source_ref the channel's own
      * id for it (a Gmail message and attachment). reader names the reader that understood
      * it (ubl, cii, zugferd, ebinterface, pdf-text, ocr, none), reading is its JSON result
      * (supplier, VAT id, number, dates, lines, tax per rate, totals, confidence), status
      * review until a person confirms it (then invoice_id is the booked incoming invoice).
      * document_files: the original bytes as base64 TEXT, apart so that listings never
      * read them; TEXT keeps the same column on SQLite and PostgreSQL and goes into the
      * tenant's archive like every other row. */
     "CREATE TABLE documents ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  sha256 TEXT NOT NULL,"
     "  media_type TEXT NOT NULL,"
     "  size_bytes BIGINT NOT NULL,"
     "  filename TEXT,"
     "  source TEXT NOT NULL,"
     "  source_ref TEXT,"
     "  reader TEXT NOT NULL,"
     "  reading TEXT NOT NULL,"
     "  confidence BIGINT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN ('review','confirmed')),"
     "  invoice_id TEXT REFERENCES invoices(id),"
     "  created_at TEXT NOT NULL,"
     "  confirmed_at TEXT);"
     "CREATE UNIQUE INDEX documents_sha256 ON documents(tenant_id, sha256);"
     "CREATE INDEX documents_tenant ON documents(tenant_id, status, id);"
     "CREATE TABLE document_files ("
     "  document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  content_b64 TEXT NOT NULL);"},
    {21, "the accounting assistant: chat routes, linked users, link codes, messages",
     /* chat_routes: how a platform's request finds its install when its URL names none
      * (Slack's team id, WhatsApp's phone number id and the hash of its verify token),
      * written when the install is made and gone with it. chat_links: the people of a tenant
      * who may read its books from a chat, one per (tenant, platform, user); revoking deletes
      * the row. chat_link_codes: one-time codes an admin made, by hash, used once.
      * chat_messages is the queue of received messages and their replies: its unique key
      * (install_id, message_id) is what "a message delivered twice is answered once" rests
      * on; a worker claims a row with a lease (lease_until_ms), stores the reply it
      * computed, then sends it, retrying with backoff. chat_refusals: the one polite refusal
      * an unknown user gets, once. */
     "CREATE TABLE chat_routes ("
     "  platform TEXT NOT NULL,"
     "  route_key TEXT NOT NULL,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  created_at TEXT NOT NULL,"
     "  PRIMARY KEY (platform, route_key));"
     "CREATE INDEX chat_routes_install ON chat_routes(install_id);"
     "CREATE TABLE chat_links ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  platform TEXT NOT NULL,"
     "  user_id TEXT NOT NULL,"
     "  user_name TEXT,"
     "  pending_document_id TEXT,"
     "  created_at TEXT NOT NULL,"
     "  UNIQUE (tenant_id, platform, user_id));"
     "CREATE TABLE chat_link_codes ("
     "  code_hash TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  created_at TEXT NOT NULL,"
     "  expires_at TEXT NOT NULL,"
     "  used_at TEXT);"
     "CREATE TABLE chat_refusals ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  platform TEXT NOT NULL,"
     "  user_id TEXT NOT NULL,"
     "  created_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, platform, user_id));"
     "CREATE TABLE chat_messages ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
     "  install_id TEXT NOT NULL REFERENCES connector_installs(id) ON DELETE CASCADE,"
     "  platform TEXT NOT NULL,"
     "  message_id TEXT NOT NULL,"
     "  chat_id TEXT NOT NULL,"
     "  user_id TEXT NOT NULL,"
     "  user_name TEXT,"
     "  thread TEXT,"
     "  body TEXT,"
     "  file_id TEXT,"
     "  file_mime TEXT,"
     "  file_name TEXT,"
     "  status TEXT NOT NULL CHECK (status IN ('pending','sent','failed','ignored')),"
     "  attempts BIGINT NOT NULL DEFAULT 0,"
     "  next_attempt_ms BIGINT NOT NULL,"
     "  lease_until_ms BIGINT NOT NULL DEFAULT 0,"
     "  reply TEXT,"
     "  error TEXT,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  UNIQUE (install_id, message_id));"
     "CREATE INDEX chat_messages_due ON chat_messages(status, next_attempt_ms);"
     "CREATE INDEX chat_messages_tenant ON chat_messages(tenant_id, id);"},
    {22, "API tokens for integrations: names, expiry, revocation, read-only scope",
     /* A token is never deleted: a revoked one stays listed with revoked_at, so the audit
      * log's token ids keep naming something. read_only (0/1) caps what the token may do
      * at reading, whatever its role. */
     "ALTER TABLE api_tokens ADD COLUMN name TEXT;"
     "ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;"
     "ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;"
     "ALTER TABLE api_tokens ADD COLUMN read_only BIGINT NOT NULL DEFAULT 0;"},
    {23, "the master key's check value",
     /* A value sealed under the master key when the store first met it (and again by every
      * rotation): a server started with another key finds out before it serves anything,
      * and a backup is checked against the configured key before it is restored. */
     "CREATE TABLE store_keys ("
     "  name TEXT PRIMARY KEY,"
     "  sealed TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"},
    {24, "a webhook log row is in one of the two retention indexes, not both",
     /* Every booked webhook writes one webhook_logs row, and each index on it is a b-tree
      * update on the committer's thread. The indexes on the books' hot tables, each checked
      * against the queries of src/store/ (EXPLAIN QUERY PLAN on SQLite):
      *   webhook_logs_received (received_at, id): dropped. Only the retention sweep of
      *     whole rows read it; it now reads the two partial indexes below, one statement
      *     each (store/q_retention.c), so each row is in exactly one of them.
      *   webhook_logs_bodiless_received (received_at, id) WHERE body IS NULL: new; the rows
      *     kept without their body (--webhook-body-days 0, or swept already), for the sweep
      *     of whole rows.
      *   webhook_logs_body_received (kept): the rows with a body, for the body sweep (which
      *     moves a row to the other index) and the sweep of whole rows.
      *   webhook_logs_tenant (tenant_id, provider, id) (kept): the webhook log listing (its
      *     order and cursor are the id), the assistant's failed webhooks, a tenant's export
      *     and erasure.
      *   events_tenant, events_created (kept): the event listing by id; the event sweep by
      *     created_at, which ids (drawn at the insert, not at created_at) cannot bound.
      *     (Step 26 drops events_created: the ids do bound it, with created_at checked.)
      *   invoices_dedupe (kept): the unique key every booking's insert and duplicate check
      *     relies on. invoices_tenant (kept): the invoice listing's order and cursor (id).
      *   journal_entries_tenant (kept): the journal listing by id; journal_entries_chain
      *     (kept): unique, it refuses a second row at one chain position, and verification
      *     reads the chain in its order.
      *   journal_lines_tenant (kept): balances, trial balance and returns per account. */
     "DROP INDEX webhook_logs_received;"
     "CREATE INDEX webhook_logs_bodiless_received ON webhook_logs(received_at, id)"
     "  WHERE body IS NULL;"},
    {25, "CHECK constraints without IN lists on SQLite",
     /* No SQL of its own: applying it has the driver's after_migrations run on stores that
      * were migrated before it existed (SQLite rewrites its tables' `col IN (...)` checks
      * as comparisons; see driver_sqlite.c for why). */
     ""},
    {26, "the event sweep reads the events' ids, not an index of their times",
     /* Every booked webhook writes two events rows, and events_created (created_at, id)
      * was a b-tree update for each on the committer's thread, read only by the retention
      * sweep. An event's id is drawn right after its created_at is set, from the same
      * clock, and ids are time-ordered (crypto_id_new; every store a kept release wrote
      * has such ids), so the sweep bounds its scan of the primary key by the id of the
      * cutoff's time and still checks created_at (store/q_retention.c). */
     "DROP INDEX events_created;"},
    {27, "journal entries linked into their chain after the commit, on PostgreSQL",
     /* On PostgreSQL each booking is its own transaction, and one that moved the tenant's
      * journal chain head held the head's row lock until its commit was flushed, so one
      * tenant's bookings committed one flush at a time. There a booking now writes its
      * entry without a link and names it here, in its own transaction; right after the
      * commit, and before the booking is answered, the process links every named entry
      * of the tenant in one transaction and deletes their rows (store/chain.c,
      * chain_link_pending). An entry whose process stopped in between is linked at the
      * next start. Only a named entry is ever linked later: an unlinked entry without a
      * row here was written around the store, and verification still says so. SQLite's
      * committer links inside its batch and never writes here. */
     /* One index, the key, read by tenant; a row goes with its entry (and so with its
      * tenant), and the table holds only the moment's bookings, so the cascade from an
      * entry needs no index of its own. */
     "CREATE TABLE journal_pending ("
     "  tenant_id TEXT NOT NULL,"
     "  entry_id TEXT NOT NULL REFERENCES journal_entries(id) ON DELETE CASCADE,"
     "  created_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, entry_id));"},
};

/* ---- step 7 ----------------------------------------------------------------------------- */

struct fy_moves {
    struct {
        char tenant_id[CRYPTO_ID_MAX];
        char month_day[6]; /* "MM-DD" */
    } *rows;
    size_t n, cap;
    bool failed;
};

/* "MMDD" of a day every year has, as "MM-DD"; false for anything else. */
static bool legacy_month_day(const char *text, char out[6])
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!text || strlen(text) != 4 || strspn(text, "0123456789") != 4)
        return false;
    int m = (text[0] - '0') * 10 + (text[1] - '0');
    int d = (text[2] - '0') * 10 + (text[3] - '0');
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    out[0] = text[0];
    out[1] = text[1];
    out[2] = '-';
    out[3] = text[2];
    out[4] = text[3];
    out[5] = '\0';
    return true;
}

static int collect_fy(void *ctx, const struct store_row *row)
{
    struct fy_moves *mv = ctx;
    json_t *config = json_loads(store_row_text(row, 1), 0, NULL);
    char md[6];
    if (legacy_month_day(json_string_value(json_object_get(config, "fiscalYearStart")), md)) {
        if (mv->n == mv->cap) {
            size_t cap = mv->cap ? mv->cap * 2 : 16;
            void *grown = realloc(mv->rows, cap * sizeof *mv->rows);
            if (!grown) {
                mv->failed = true;
                json_decref(config);
                return 1;
            }
            mv->rows = grown;
            mv->cap = cap;
        }
        if (store_row_copy(row, 0, mv->rows[mv->n].tenant_id,
                           sizeof mv->rows[mv->n].tenant_id) < 0)
            mv->failed = true;
        memcpy(mv->rows[mv->n].month_day, md, sizeof md);
        mv->n++;
    }
    json_decref(config);
    return mv->failed ? 1 : 0;
}

static int datev_fiscal_year_to_settings(struct store *s, struct store_conn *c,
                                         struct error *err)
{
    struct fy_moves mv = {0};
    int rc = -1;
    if (store_query(s, c,
                    "SELECT tenant_id, config FROM connector_installs "
                    "WHERE slug = 'datev' AND is_destination = 0",
                    NULL, 0, collect_fy, &mv, NULL, err) < 0)
        goto out;
    if (mv.failed) {
        error_set(err, ERR_STORE, "cannot gather the datev installs' fiscal year starts");
        goto out;
    }
    for (size_t i = 0; i < mv.n; i++) {
        struct store_param p[] = {P_TEXT(mv.rows[i].tenant_id), P_TEXT(mv.rows[i].month_day)};
        if (store_query(s, c,
                        "UPDATE tenant_settings SET fiscal_year_start = $2 WHERE tenant_id = $1",
                        p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(mv.rows);
    return rc;
}

static int note_found(void *ctx, const struct store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 0;
}

int64_t store_schema_latest(void)
{
    int64_t latest = 0;
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++)
        if (migrations[i].version > latest)
            latest = migrations[i].version;
    return latest;
}

static bool known_version(int64_t version)
{
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++)
        if (migrations[i].version == version)
            return true;
    return false;
}

struct schema_seen {
    int64_t found, unknown;
};

static int note_version(void *ctx, const struct store_row *row)
{
    struct schema_seen *seen = ctx;
    int64_t v = store_row_int(row, 0);
    if (v > seen->found)
        seen->found = v;
    if (!known_version(v) && v > seen->unknown)
        seen->unknown = v;
    return 0;
}

int store_schema_read(struct store *s, struct store_conn *c, int64_t *found, int64_t *unknown,
                      struct error *err)
{
    struct schema_seen seen = {0};
    int rc = store_query(s, c, "SELECT version FROM schema_migrations", NULL, 0, note_version,
                         &seen, NULL, err);
    *found = seen.found;
    *unknown = seen.unknown;
    return rc;
}

int store_schema_refuse_unknown(int64_t found, int64_t unknown, struct error *err)
{
    if (!unknown)
        return 0;
    return error_set(err, ERR_CONFIG,
                     "the store's schema is at version %lld, and this connectord knows versions "
                     "up to %lld only (version %lld is not one of its migrations): the store "
                     "was migrated by a newer connectord; run that one on it",
                     (long long)found, (long long)store_schema_latest(), (long long)unknown);
}

int store_migrate(struct store *s, int *applied, struct error *err)
{
    int rc = -1, count = 0;
    int64_t found = 0, unknown = 0;
    struct store_conn *c = store_acquire(s);
    if (store_query(s, c,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                    NULL, 0, NULL, NULL, NULL, err) < 0)
        goto out;
    /* A schema with a step this binary lacks is a newer one: its code may read and write
     * what this one does not know, so nothing starts on it (and nothing is applied). */
    if (store_schema_read(s, c, &found, &unknown, err) < 0 ||
        store_schema_refuse_unknown(found, unknown, err) < 0)
        goto out;

    /* Every pending step in ONE transaction: a step that fails leaves
     * the store exactly as it was, at the version it had, never half way. */
    if (store_begin(s, c, err) < 0)
        goto out;
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
        const struct migration *m = &migrations[i];
        bool done = false;
        char now[CLOCK_RFC3339_LEN];
        struct store_param check[] = {P_INT(m->version)};
        if (store_query(s, c, "SELECT 1 FROM schema_migrations WHERE version = $1", check,
                        N_PARAMS(check), note_found, &done, NULL, err) < 0)
            goto fail;
        if (done)
            continue;
        clock_format_rfc3339(clock_now_ms(), now);
        struct store_param record[] = {P_INT(m->version), P_TEXT(m->name), P_TEXT(now)};
        if ((m->sql[0] && store_exec_script(s, c, m->sql, err) < 0) ||
            run_data_step(s, c, m->version, err) < 0 ||
            store_query(s, c,
                        "INSERT INTO schema_migrations (version, name, applied_at) "
                        "VALUES ($1, $2, $3)",
                        record, N_PARAMS(record), NULL, NULL, NULL, err) < 0) {
            char message[sizeof err->message];
            snprintf(message, sizeof message, "%s", err->message);
            error_set(err, err->code,
                      "store migration %lld (%s) failed, and the store was left as it was, at "
                      "schema version %lld: %s",
                      (long long)m->version, m->name, (long long)found, message);
            goto fail;
        }
        count++;
    }
    if (count > 0 && store_after_migrations(s, c, err) < 0) {
        char message[sizeof err->message];
        snprintf(message, sizeof message, "%s", err->message);
        error_set(err, err->code,
                  "store migration failed after its steps, and the store was left as it was, "
                  "at schema version %lld: %s",
                  (long long)found, message);
        goto fail;
    }
    if (store_commit(s, c, err) < 0)
        goto fail;
    /* The append-only triggers, from the current list of protected columns (guard.c); a
     * store whose triggers are as listed is left alone, so this is done again at any start
     * where it did not finish. */
    if (store_guard_install(s, c, err) < 0)
        goto out;
    /* Entries a process booked and stopped before linking (migration 27). */
    if (chain_link_pending(s, c, NULL, err) < 0)
        goto out;
    rc = 0;
    goto out;
fail:
    store_rollback(s, c);
out:
    store_release(s, c);
    if (applied)
        *applied = count;
    return rc;
}
