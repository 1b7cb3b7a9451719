/* store/migrations.c - the schema, as numbered steps applied in order.
 *
 * Each step is portable SQL (TEXT, BIGINT, constraints) that SQLite and PostgreSQL both
 * accept; a step is never edited once released, a change is a new step. The applied steps
 * are recorded in schema_migrations; each step runs in its own write transaction that first
 * re-checks the table, so two processes starting together apply a step once. */
#include <stdbool.h>

#include "store/store_int.h"

struct migration {
    int64_t version;
    const char *name;
    const char *sql;
};

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
};

static int note_found(void *ctx, const struct store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 0;
}

int store_migrate(struct store *s, int *applied, struct error *err)
{
    int rc = -1, count = 0;
    struct store_conn *c = store_acquire(s);
    if (store_query(s, c,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                    NULL, 0, NULL, NULL, NULL, err) < 0)
        goto out;

    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
        const struct migration *m = &migrations[i];
        bool done = false;
        char now[CLOCK_RFC3339_LEN];
        struct store_param check[] = {P_INT(m->version)};
        if (store_begin(s, c, err) < 0)
            goto out;
        if (store_query(s, c, "SELECT 1 FROM schema_migrations WHERE version = $1", check,
                        N_PARAMS(check), note_found, &done, NULL, err) < 0)
            goto fail;
        if (done) {
            store_rollback(s, c);
            continue;
        }
        clock_format_rfc3339(clock_now_ms(), now);
        struct store_param record[] = {P_INT(m->version), P_TEXT(m->name), P_TEXT(now)};
        if (store_exec_script(s, c, m->sql, err) < 0 ||
            store_query(s, c,
                        "INSERT INTO schema_migrations (version, name, applied_at) "
                        "VALUES ($1, $2, $3)",
                        record, N_PARAMS(record), NULL, NULL, NULL, err) < 0 ||
            store_commit(s, c, err) < 0)
            goto fail;
        count++;
    }
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
