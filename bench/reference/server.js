'use strict';
// The reference receiver bench/ingest.sh measures connectord against: a Stripe webhook endpoint
// written the way most teams write one. Fastify, the official stripe SDK verifying the raw body
// (stripe.webhooks.constructEvent), better-sqlite3, one process, one transaction per request,
// the 200 sent after the commit. The store has the same durability as connectord's (WAL,
// synchronous = FULL, foreign keys on) and the subset of its schema the booking touches, with
// the same keys and indexes; each request does the same work: find or create the supplier,
// insert the invoice (deduplicated by the unique key), post a balanced two-line journal entry,
// write the webhook log row with the raw body.
//
//   PORT=3000 DB_PATH=/tmp/ref.db STRIPE_WEBHOOK_SECRET=whsec_... node server.js
//
// Listens on 127.0.0.1 only. One JSON access-log line per request goes to stdout (Fastify's
// pino logger), as connectord writes one per request to stderr.
const crypto = require('node:crypto');
const Fastify = require('fastify');
const Stripe = require('stripe');
const Database = require('better-sqlite3');

const port = Number(process.env.PORT || 3000);
const dbPath = process.env.DB_PATH;
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
if (!dbPath || !webhookSecret) {
  console.error('server.js: DB_PATH and STRIPE_WEBHOOK_SECRET are required');
  process.exit(2);
}
// The API key is not used: verifying a webhook needs only the endpoint's secret.
const stripe = new Stripe(process.env.STRIPE_API_KEY || 'sk_test_unused');

const TENANT_ID = 'ten_reference';
const PROVIDER = 'stripe';
const EXPENSE_ACCOUNT = '4900';
const CLEARING_ACCOUNT = '1360';

const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.exec(`
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parties (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('supplier','customer')),
  name TEXT NOT NULL,
  email TEXT,
  provider TEXT,
  provider_ref TEXT,
  created_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS parties_provider_ref
  ON parties(tenant_id, role, provider, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS parties_email ON parties(tenant_id, role, email);
CREATE TABLE IF NOT EXISTS invoices (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  party_id TEXT NOT NULL REFERENCES parties(id),
  invoice_number TEXT NOT NULL,
  invoice_date TEXT NOT NULL,
  total_gross_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  source TEXT NOT NULL,
  external_id TEXT NOT NULL,
  journal_entry_id TEXT,
  created_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS invoices_dedupe ON invoices(tenant_id, source, external_id);
CREATE INDEX IF NOT EXISTS invoices_tenant ON invoices(tenant_id, id);
CREATE TABLE IF NOT EXISTS journal_entries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  entry_date TEXT NOT NULL,
  description TEXT NOT NULL,
  invoice_id TEXT REFERENCES invoices(id),
  created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS journal_entries_tenant ON journal_entries(tenant_id, id);
CREATE TABLE IF NOT EXISTS journal_lines (
  entry_id TEXT NOT NULL REFERENCES journal_entries(id) ON DELETE CASCADE,
  line_no BIGINT NOT NULL,
  tenant_id TEXT NOT NULL,
  account TEXT NOT NULL,
  debit_minor BIGINT NOT NULL CHECK (debit_minor >= 0),
  credit_minor BIGINT NOT NULL CHECK (credit_minor >= 0),
  currency TEXT NOT NULL,
  PRIMARY KEY (entry_id, line_no));
CREATE INDEX IF NOT EXISTS journal_lines_tenant ON journal_lines(tenant_id, account, currency);
CREATE TABLE IF NOT EXISTS webhook_logs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  event TEXT,
  status TEXT NOT NULL CHECK (status IN ('processed','duplicate','failed','invalid_signature')),
  external_id TEXT,
  error TEXT,
  detail TEXT,
  body TEXT,
  received_at TEXT NOT NULL,
  processed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhook_logs_tenant ON webhook_logs(tenant_id, provider, id);
`);
db.prepare('INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?, ?, ?)')
  .run(TENANT_ID, 'Reference', new Date().toISOString());

const q = {
  partyByRef: db.prepare(`SELECT id FROM parties WHERE tenant_id = ? AND role = 'supplier'
                          AND provider = ? AND provider_ref = ?`),
  partyByEmail: db.prepare(`SELECT id FROM parties WHERE tenant_id = ? AND role = 'supplier'
                            AND email = ? ORDER BY id LIMIT 1`),
  partyInsert: db.prepare(`INSERT INTO parties (id, tenant_id, role, name, email, provider,
                           provider_ref, created_at) VALUES (?, ?, 'supplier', ?, ?, ?, ?, ?)`),
  invoiceInsert: db.prepare(`INSERT INTO invoices (id, tenant_id, type, party_id, invoice_number,
                             invoice_date, total_gross_minor, currency, source, external_id,
                             created_at) VALUES (?, ?, 'eingangsrechnung', ?, ?, ?, ?, ?, ?, ?, ?)
                             ON CONFLICT (tenant_id, source, external_id) DO NOTHING`),
  entryInsert: db.prepare(`INSERT INTO journal_entries (id, tenant_id, entry_date, description,
                           invoice_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
  lineInsert: db.prepare(`INSERT INTO journal_lines (entry_id, line_no, tenant_id, account,
                          debit_minor, credit_minor, currency) VALUES (?, ?, ?, ?, ?, ?, ?)`),
  invoiceSetEntry: db.prepare('UPDATE invoices SET journal_entry_id = ? WHERE tenant_id = ? AND id = ?'),
  logInsert: db.prepare(`INSERT INTO webhook_logs (id, tenant_id, provider, event, status,
                         external_id, error, detail, body, received_at, processed_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
};

const newId = (prefix) => prefix + crypto.randomUUID().replace(/-/g, '');

function writeLog(event, status, externalId, error, detail, body, receivedAt) {
  q.logInsert.run(newId('whl_'), TENANT_ID, PROVIDER, event, status, externalId, error, detail,
                  body, receivedAt, new Date().toISOString());
}

function findOrCreateSupplier(event, invoice) {
  const ref = event.account || null;
  const email = null; // Stripe's invoice names the receiving account, not its email
  if (ref) {
    const row = q.partyByRef.get(TENANT_ID, PROVIDER, ref);
    if (row) return row.id;
  }
  if (email) {
    const row = q.partyByEmail.get(TENANT_ID, email);
    if (row) return row.id;
  }
  const id = newId('sup_');
  q.partyInsert.run(id, TENANT_ID, invoice.account_name || PROVIDER, email, PROVIDER, ref,
                    new Date().toISOString());
  return id;
}

// Everything one webhook causes, in one transaction: supplier, invoice, entry, log row.
const bookPayment = db.transaction((event, body, receivedAt) => {
  const inv = event.data.object;
  const externalId = inv.payment_intent || inv.id;
  const paidAt = (inv.status_transitions && inv.status_transitions.paid_at) || inv.created || event.created;
  const date = new Date(paidAt * 1000).toISOString().slice(0, 10);
  const amount = inv.amount_paid;
  const currency = String(inv.currency).toUpperCase();
  if (!Number.isSafeInteger(amount) || amount < 0 || !/^[A-Z]{3}$/.test(currency)) {
    throw Object.assign(new Error('invalid amount or currency'), { statusCode: 422 });
  }
  const supplierId = findOrCreateSupplier(event, inv);
  const invoiceId = newId('inv_');
  const now = new Date().toISOString();
  const inserted = q.invoiceInsert.run(invoiceId, TENANT_ID, supplierId, inv.number || '', date,
                                       amount, currency, PROVIDER, externalId, now).changes === 1;
  if (!inserted) {
    writeLog(event.type, 'duplicate', externalId, null, null, body, receivedAt);
    return { status: 'duplicate', externalId };
  }
  const entryId = newId('je_');
  q.entryInsert.run(entryId, TENANT_ID, date, `Payment ${PROVIDER} ${inv.number || ''} (${externalId})`,
                    invoiceId, now);
  q.lineInsert.run(entryId, 1, TENANT_ID, EXPENSE_ACCOUNT, amount, 0, currency);
  q.lineInsert.run(entryId, 2, TENANT_ID, CLEARING_ACCOUNT, 0, amount, currency);
  q.invoiceSetEntry.run(entryId, TENANT_ID, invoiceId);
  writeLog(event.type, 'processed', externalId, null, null, body, receivedAt);
  return { status: 'processed', externalId, invoiceId, partyId: supplierId, journalEntryId: entryId };
});

// One access-log line per request, when it completes (Fastify's default writes two).
class AccessLog extends Fastify.LogController {
  incomingRequest() {}

  requestCompleted(error, request, reply) {
    reply.log[error ? 'error' : 'info']({ method: request.method, route: request.routeOptions.url,
                                          status: reply.statusCode, durationMs: reply.elapsedTime,
                                          err: error || undefined }, 'request');
  }
}

const app = Fastify({ logger: true, logController: new AccessLog(), bodyLimit: 1 << 20 });

// Stripe signs the raw bytes: keep the body as a Buffer instead of parsing it.
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
  done(null, body);
});

app.get('/healthz', () => ({ status: 'ok' }));

app.post('/webhooks/stripe', (request, reply) => {
  const receivedAt = new Date().toISOString();
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const body = raw.toString('utf8');
  let event;
  try {
    event = stripe.webhooks.constructEvent(raw, request.headers['stripe-signature'], webhookSecret);
  } catch (err) {
    writeLog(null, 'invalid_signature', null, err.message, null, body, receivedAt);
    return reply.code(400).send({ error: 'invalid_signature' });
  }
  if (event.type !== 'invoice.payment_succeeded' && event.type !== 'invoice.paid') {
    writeLog(event.type, 'processed', null, null, 'not booked; no action taken', body, receivedAt);
    return reply.send({ status: 'processed', detail: 'not booked; no action taken' });
  }
  let result;
  try {
    result = bookPayment(event, body, receivedAt);
  } catch (err) {
    const status = err.statusCode || 500;
    request.log.error({ err }, 'booking failed');
    writeLog(event.type, 'failed', null, status === 500 ? 'internal error' : err.message, null, body,
             receivedAt);
    return reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  }
  return reply.send(result);
});

app.listen({ host: '127.0.0.1', port }).catch((err) => {
  console.error(err);
  process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    app.close().finally(() => {
      db.close();
      process.exit(0);
    });
  });
}
