// Time tracked in Clockify to an invoice, end to end through the real import path: a sync
// run pulls a week of entries from a local Clockify (lib/mock-timetracking.js), the client
// becomes a customer, a draft bills the entries at their own hourly rates with the exact
// total, the finalized invoice marks them invoiced (GET /api/time-entries?invoiced=true), and
// an entry deleted or changed upstream afterwards is flagged for review instead of touched.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { MockTimeTracking, syncNow, allEntries } = require('./lib/mock-timetracking');
const { BUYER, SELLER, finalize, minor } = require('./lib/invoicing');

const DAY = 86400000;
let server;
let mock;
let t;

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function day(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// Ten entries on five days 10 to 6 days ago, 60 + 7i minutes each, 80.00 EUR an hour (in
// cents, as Clockify's hourlyRate.amount), for the client Globex GmbH.
function week() {
  const base = Date.parse(`${day(Date.now() - 10 * DAY)}T08:00:00Z`);
  return Array.from({ length: 10 }, (_, i) => {
    const start = base + Math.floor(i / 2) * DAY + (i % 2) * 5 * 3600000;
    const minutes = 60 + 7 * i;
    return {
      id: `inv-e${i}`, description: `Task ${i}`, billable: true, projectId: i % 2 ? 'p2' : 'p1',
      userId: 'u-77', workspaceId: mock.clockify.workspace,
      timeInterval: { start: iso(start), end: iso(start + minutes * 60000),
                      duration: `PT${Math.floor(minutes / 60)}H${minutes % 60}M` },
      hourlyRate: { amount: 8000, currency: 'EUR' },
      project: { name: i % 2 ? 'Support' : 'Website', clientId: 'cl-9', clientName: 'Globex GmbH' },
    };
  });
}

before(async () => {
  mock = await new MockTimeTracking().start();
  server = await startServer();
  t = await server.createTenant('Clockify invoicing', 'pro');
  const put = (path, json) => server.request(path, { method: 'PUT', token: t.token, json });
  assert.equal((await put('/api/settings', { vatNumber: 'ATU12345678' })).status, 200);
  assert.equal((await put('/api/settings/invoicing', SELLER)).status, 200);
  const r = await server.request('/api/connectors/clockify/install', {
    method: 'POST', token: t.token,
    json: { config: { apiKey: mock.clockify.key, workspaceId: mock.clockify.workspace,
                      apiBaseUrl: `${mock.base}/clockify/api` } },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('a synced week of Clockify entries becomes an invoice with the exact total', async () => {
  mock.clockify.entries = week();
  const run = await syncNow(server, t.token, 'clockify');
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 10);

  const customers = (await server.request('/api/customers?limit=100', { token: t.token })).json.customers;
  const globex = customers.find((c) => c.name === 'Globex GmbH');
  assert.ok(globex, JSON.stringify(customers));
  const billing = await server.request(`/api/customers/${globex.id}/billing`, {
    method: 'PUT', token: t.token, json: BUYER,
  });
  assert.equal(billing.status, 200, billing.text);

  const from = day(Date.now() - 12 * DAY);
  const to = day(Date.now() - 3 * DAY);
  const d = await server.request('/api/invoices/from-time-entries', {
    method: 'POST', token: t.token, json: { client: globex.id, from, to },
  });
  assert.equal(d.status, 201, d.text);
  // Website: 60+74+88+102+116 = 440 min, Support: 67+81+95+109+123 = 475 min, at 80.00/h.
  assert.deepEqual(d.json.lines.map((l) => [l.description, l.minutes, l.rate, l.net]), [
    ['Website', 440, '80.00', '586.67'], ['Support', 475, '80.00', '633.33'],
  ]);
  assert.deepEqual([d.json.net, d.json.tax, d.json.gross], ['1220.00', '244.00', '1464.00']);
  assert.equal(minor(d.json.net) + minor(d.json.tax), minor(d.json.gross));

  const inv = await finalize(server, t, d.json.id);
  assert.equal(inv.status, 201, inv.text);
  const invoiced = await allEntries(server, t.token, 'invoiced=true');
  assert.equal(invoiced.length, 10);
  assert.equal((await allEntries(server, t.token, 'invoiced=false')).length, 0);
});

test('after invoicing, an entry deleted or changed upstream is flagged for review, not changed', async () => {
  const entries = week();
  entries.shift(); // inv-e0 deleted upstream
  entries[0].description = 'Task 1, renamed after invoicing';
  mock.clockify.entries = entries;
  const run = await syncNow(server, t.token, 'clockify');
  assert.equal(run.status, 'succeeded', run.error);
  const all = await allEntries(server, t.token);
  const gone = all.find((e) => e.externalId === 'inv-e0');
  assert.match(gone.reviewReason, /deleted upstream after it was invoiced/, JSON.stringify(gone));
  assert.equal(gone.deletedAt, null, 'an invoiced entry is not marked deleted');
  const changed = all.find((e) => e.externalId === 'inv-e1');
  assert.match(changed.reviewReason, /invoiced/, JSON.stringify(changed));
  assert.equal((await allEntries(server, t.token, 'invoiced=true')).length, 10);
});
