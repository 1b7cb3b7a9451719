// `connectord tenant delete`: refused while the tenant's books are inside the legal retention
// period (10 years after the year of the last booking) unless --force names the SHA-256 of
// an archive made of it; then every row of that tenant goes and nothing of another: the other
// tenant's answers are the same before and after, the deleted tenant's token answers 401 and
// its ids 404. The deletion is in the operator log, in tenant_erasures and in the log; the
// archive brings the tenant back. Once
// the period has passed (the clock moved on by CONNECTORD_CLOCK_OFFSET) no --force is needed.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { sqliteOnly, startServer } = require('./lib/server');
const { booksTenant, pay } = require('./lib/accounting');
const { invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

let server;
let mock;
let A; // deleted
let B; // kept
let aInvoice;

after(async () => {
  await server?.stop();
  await mock?.stop();
});

function sql(statement) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dir, 'connectord.db'),
                                  statement], { encoding: 'utf8' }).trim();
}

async function walk(token, url, key) {
  const all = [];
  let cursor = null;
  for (;;) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await server.request(`${url}${sep}limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(res.status, 200, `${url}: ${res.text}`);
    all.push(...(key ? res.json[key] : res.json));
    cursor = res.headers.get('x-next-cursor');
    if (!cursor) return all;
  }
}

// Everything the API answers a tenant, in full.
async function answers(t) {
  const one = async (url) => {
    const res = await server.request(url, { token: t.token });
    assert.equal(res.status, 200, `${url}: ${res.text}`);
    return res.json;
  };
  const base = `/api/projects/${t.tenantId}`;
  const destinations = (await one(`${base}/connectors`)).connectors;
  const out = {
    tenant: await one('/api/tenant'),
    settings: await one('/api/settings'),
    catalog: await one('/api/connectors'),
    stripe: await one('/api/connectors/stripe'),
    projects: await one('/api/projects'),
    destinations,
    invoices: await walk(t.token, '/api/invoices', 'invoices'),
    suppliers: await walk(t.token, '/api/suppliers', 'suppliers'),
    customers: await walk(t.token, '/api/customers', 'customers'),
    entries: await walk(t.token, '/api/ledger/entries', 'entries'),
    balances: await one('/api/ledger/balances'),
    audit: await walk(t.token, '/api/audit-log', 'entries'),
    webhookLogs: await walk(t.token, '/api/connectors/stripe/webhook-logs'),
    events: (await walk(t.token, `${base}/events`, 'events'))
      .filter((e) => e.type !== 'revenue.daily_summary'),
  };
  for (const d of destinations)
    out[`deliveries ${d.id}`] = await walk(t.token, `${base}/connectors/${d.id}/deliveries`, 'deliveries');
  return out;
}

async function tenantWithEverything() {
  const t = await booksTenant(server, { settings: { chart: 'skr03' } });
  const project = new Project(server, { tenantId: t.tenantId, token: t.token });
  const ep = mock.endpoint('slack');
  await project.destination(ep, ['payment.settled']);
  await pay(t, '2026-02-10', { amount: 5000, accountName: 'Café Zürich' });
  await ep.waitFor(1);
  return t;
}

before(async () => {
  mock = await MockServices.start();
  server = await startServer();
  A = await tenantWithEverything();
  B = await tenantWithEverything();
  aInvoice = (await walk(A.token, '/api/invoices', 'invoices'))[0].id;
});

test('a tenant with books inside the retention period is not deleted without --force', async () => {
  const r = await server.cli(['tenant', 'delete', '--tenant', A.tenantId]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /has books up to 2026-02-10, which the law keeps until the end of 2036/);
  assert.match(r.stderr, /--force/);
  assert.equal((await server.request('/api/tenant', { token: A.token })).status, 200);
});

test('--force takes only the hash of an archive made of this tenant', async () => {
  const other = JSON.parse((await server.cli(['tenant', 'export', '--tenant', B.tenantId, '--out',
                                               path.join(server.dir, 'b.jsonl')])).stdout);
  for (const hash of ['0'.repeat(64), other.sha256]) {
    const r = await server.cli(['tenant', 'delete', '--tenant', A.tenantId, '--force', hash]);
    assert.equal(r.code, 1, hash);
    assert.match(r.stderr, /is not the SHA-256 of an archive made of tenant/);
  }
  const r = await server.cli(['tenant', 'delete', '--tenant', A.tenantId, '--force', 'abc']);
  assert.equal(r.code, 2);
  assert.equal((await server.request('/api/tenant', { token: A.token })).status, 200);
});

test('with its archive\'s hash the tenant goes, and nothing of the other',
     sqliteOnly('adds a table and walks the schema in the store file with the sqlite3 shell'),
     async () => {
  const beforeB = await answers(B);
  // a table another step adds later: found by its tenant_id column, with no line for it
  sql('CREATE TABLE later_added (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, note TEXT)');
  sql(`INSERT INTO later_added VALUES ('la1', '${A.tenantId}', 'of A'), ('la2', '${B.tenantId}', 'of B')`);
  const file = path.join(server.dir, 'a.jsonl');
  const exp = await server.cli(['tenant', 'export', '--tenant', A.tenantId, '--out', file]);
  assert.equal(exp.code, 0, exp.stderr);
  const added = fs.readFileSync(file, 'utf8').split('\n')
    .filter((l) => l.includes('"table":"later_added"'));
  assert.deepEqual(added.map((l) => JSON.parse(l).row),
                   [{ id: 'la1', note: 'of A', tenant_id: A.tenantId }]);
  const { sha256 } = JSON.parse(exp.stdout);
  assert.equal(sha256, crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'));

  const r = await server.cli(['tenant', 'delete', '--tenant', A.tenantId, '--force', sha256]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.tenantId, A.tenantId);
  assert.equal(out.deleted, true);
  assert.equal(out.rows, JSON.parse(exp.stdout).rows);
  assert.match(r.stderr, new RegExp(`tenant ${A.tenantId} deleted: ${out.rows} rows removed`));

  // the deleted tenant: its token is gone, its ids are unknown
  for (const url of ['/api/tenant', '/api/invoices', `/api/invoices/${aInvoice}`]) {
    const res = await server.request(url, { token: A.token });
    assert.equal(res.status, 401, url);
  }
  assert.equal((await server.request(`/api/invoices/${aInvoice}`, { token: B.token })).status, 404);
  assert.equal((await server.request(`/api/projects/${A.tenantId}/connectors`, { token: B.token })).status, 404);
  const hook = await A.send(invoicePaid().body);
  assert.equal(hook.status, 404, 'the deleted tenant\'s webhook URL still answers');

  // the other tenant: every answer as before
  assert.deepEqual(await answers(B), beforeB);

  // no row names the deleted tenant, except the records of its deletion
  const tables = sql("SELECT name FROM sqlite_master WHERE type = 'table'").split('\n');
  for (const t of tables) {
    const cols = sql(`SELECT name FROM pragma_table_info('${t}')`).split('\n');
    if (!cols.includes('tenant_id') || ['operator_log', 'tenant_erasures'].includes(t)) continue;
    assert.equal(sql(`SELECT count(*) FROM ${t} WHERE tenant_id = '${A.tenantId}'`), '0', t);
  }
  assert.equal(sql(`SELECT count(*) FROM tenants WHERE id = '${A.tenantId}'`), '0');
  assert.notEqual(sql(`SELECT count(*) FROM tenants WHERE id = '${B.tenantId}'`), '0');
  assert.equal(sql(`SELECT count(*) FROM tenant_erasures WHERE tenant_id = '${A.tenantId}'`), '1');
  const log = sql(`SELECT archive_sha256 || ' ' || detail FROM operator_log ` +
                  `WHERE action = 'tenant_delete' AND tenant_id = '${A.tenantId}'`);
  assert.ok(log.startsWith(`${sha256} `), log);
  const detail = JSON.parse(log.slice(65));
  assert.equal(detail.rows, out.rows);
  assert.equal(detail.forced, true);
  assert.equal(detail.booksRetained, true);
  assert.ok(detail.tables.invoices >= 1 && detail.tables.journal_entries >= 1, log);
  assert.equal(detail.tables.later_added, 1);
  assert.equal(sql('SELECT group_concat(id) FROM later_added'), 'la2');

  const again = await server.cli(['tenant', 'delete', '--tenant', A.tenantId]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no such tenant/);

  // its archive brings it back, no longer marked for erasure
  const back = await server.cli(['tenant', 'import', '--in', file]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await server.request(`/api/invoices/${aInvoice}`, { token: A.token })).status, 200);
  assert.equal(sql(`SELECT count(*) FROM tenant_erasures WHERE tenant_id = '${A.tenantId}'`), '0');
  assert.deepEqual(await answers(B), beforeB);
});

test('once the retention period has passed, no --force is needed',
     sqliteOnly('reads the operator log in the store file with the sqlite3 shell'), async () => {
  const C = await tenantWithEverything();
  const years11 = String(11 * 366 * 86400);
  const r = await server.cli(['tenant', 'delete', '--tenant', C.tenantId],
                             { env: { CONNECTORD_CLOCK_OFFSET: years11 } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await server.request('/api/tenant', { token: C.token })).status, 401);
  const detail = JSON.parse(sql(`SELECT detail FROM operator_log WHERE action = 'tenant_delete' ` +
                                `AND tenant_id = '${C.tenantId}'`));
  assert.equal(detail.forced, false);
  assert.equal(detail.booksRetained, false);
  assert.equal((await server.request('/api/tenant', { token: B.token })).status, 200);
});
