// The retention sweep (the "retention" job of src/jobs/jobs.def): as days pass (the server's
// clock moved on by CONNECTORD_CLOCK_OFFSET), raw webhook bodies go after --webhook-body-days,
// webhook log rows after --webhook-log-days, attempts' requests and answers after
// --delivery-body-days, delivered events with their deliveries and attempts after
// --event-days, answered chat messages with their replies after --chat-message-days
// (defaults 7, 90, 30, 90, 90). A failed delivery and its event stay, a chat message still
// waiting for its answer stays, and so do the books: invoices, journal entries, parties.
// /metrics counts what went.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { after, before, test } = require('node:test');
const { sleep, sqliteOnlyFile, startServer } = require('./lib/server');
const { StripeTenant, invoiceFailed, invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

if (sqliteOnlyFile('ages and counts rows in the store file with the sqlite3 shell')) return;

const DAY = 86400;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-e2e-retention-'));
let server;
let mock;
let t;
let ok;  // a destination that takes everything
let bad; // one that refuses (400: failed, no retry)
const phase1 = {};
const phase2 = {};
let books;

after(async () => {
  await server?.stop();
  await mock?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sql(statement) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', path.join(dir, 'connectord.db'),
                                  statement], { encoding: 'utf8' }).trim();
}

function list(statement) {
  const out = sql(statement);
  return out ? out.split('\n') : [];
}

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

// Starts the server with its clock `days` ahead and waits for the sweep of its first tick.
async function startAt(days, args = []) {
  await server?.stop();
  server = await startServer({ dir, expectDemo: false, args,
                               env: { CONNECTORD_CLOCK_OFFSET: String(days * DAY) } });
  t.server = server;
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = (await server.request('/metrics')).text;
    if (sample(text, 'connectord_job_runs_total{job="retention"}') >= 1) return text;
    await sleep(50);
  }
  assert.fail(`the retention job did not run:\n${text}`);
}

function swept(text, data) {
  return sample(text, `connectord_retention_swept_rows_total{data="${data}"}`) ?? 0;
}

function booksOf(id) {
  return ['invoices', 'journal_entries', 'journal_lines', 'parties']
    .map((table) => `${table} ${sql(`SELECT count(*) FROM ${table} WHERE tenant_id = '${id}'`)}`);
}

function where() {
  return `tenant_id = '${t.tenantId}'`;
}

// A chat message to the assistant received now, as the server queues it: its id drawn from
// the clock (milliseconds, a sequence, random bits), its status `status`; a pending one's
// next attempt is after every day these tests move to, so no worker answers it meanwhile.
function chatMessage(installId, status) {
  const now = Date.now();
  const id = `msg_${now.toString(16).padStart(12, '0')}0000${crypto.randomBytes(8).toString('hex')}`;
  const at = new Date(now).toISOString();
  sql(`INSERT INTO chat_messages (id, tenant_id, install_id, platform, message_id, chat_id, ` +
      `user_id, body, status, next_attempt_ms, reply, created_at, updated_at) VALUES ('${id}', ` +
      `'${t.tenantId}', '${installId}', 'telegram', '${id}', 'chat', 'user', 'revenue?', ` +
      `'${status}', ${status === 'pending' ? now + 1000 * DAY * 1000 : now}, ${status === 'sent' ? "'1,200.00 EUR'" : 'NULL'}, '${at}', '${at}')`);
  return id;
}

before(async () => {
  mock = await MockServices.start();
  server = await startServer({ dir });
  t = await StripeTenant.create(server, { autoPost: true });
  const project = new Project(server, { tenantId: t.tenantId, token: t.token });
  ok = mock.endpoint('slack');
  bad = mock.endpoint('slack').always({ status: 400, json: { ok: false, error: 'invalid_payload' } });
  await project.destination(ok, ['payment.settled']);
  const refused = await project.destination(bad, ['payment.failed']);

  // day 0: a payment (delivered) and a failed payment (its delivery fails)
  assert.equal((await t.send(invoicePaid().body)).status, 200);
  assert.equal((await t.send(invoiceFailed().body)).status, 200);
  await ok.waitFor(1);
  await bad.waitFor(1);
  await eventually(async () => sql(`SELECT count(*) FROM deliveries WHERE ${where()} ` +
                                   `AND status IN ('pending','delivering')`) === '0',
                   'every delivery settled');
  phase1.logs = list(`SELECT id FROM webhook_logs WHERE ${where()}`);
  phase1.events = list(`SELECT id FROM events WHERE ${where()}`);
  phase1.failedEvent = sql(`SELECT event_id FROM deliveries WHERE connector_id = '${refused.id}'`);
  phase1.delivered = list(`SELECT id FROM deliveries WHERE ${where()} AND status = 'delivered'`);
  assert.equal(phase1.logs.length, 2);
  assert.equal(phase1.delivered.length, 1);
  assert.equal(sql(`SELECT status FROM deliveries WHERE connector_id = '${refused.id}'`), 'failed');

  // day 0: two messages to the assistant, one answered, one still waiting for its answer
  const install = sql(`SELECT id FROM connector_installs WHERE ${where()} AND slug = 'stripe'`);
  phase1.answered = chatMessage(install, 'sent');
  phase1.waiting = chatMessage(install, 'pending');
});

test('after 60 days: the old raw bodies are forgotten, the rows stay', async () => {
  const text = await startAt(60);
  assert.equal(swept(text, 'webhook_bodies'), 2);
  assert.equal(swept(text, 'delivery_bodies'), 2);
  assert.equal(swept(text, 'webhook_logs'), 0);
  assert.equal(swept(text, 'events'), 0);
  assert.equal(swept(text, 'chat_messages'), 0);
  assert.match(text, /^# TYPE connectord_retention_swept_rows_total counter$/m);
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where()} AND body IS NULL`), '2');
  assert.equal(sql(`SELECT count(*) FROM delivery_attempts WHERE response_excerpt IS NOT NULL ` +
                   `OR request IS NOT NULL`), '0');
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where()}`), '2');

  // day 60: another payment, signed at the server's day
  const res = await t.send(invoicePaid().body, { timestamp: Math.floor(Date.now() / 1000) + 60 * DAY });
  assert.equal(res.status, 200, res.text);
  await ok.waitFor(2);
  await eventually(async () => sql(`SELECT count(*) FROM deliveries WHERE ${where()} ` +
                                   `AND status IN ('pending','delivering')`) === '0',
                   'the new delivery settled');
  phase2.logs = list(`SELECT id FROM webhook_logs WHERE ${where()}`)
    .filter((id) => !phase1.logs.includes(id));
  phase2.events = list(`SELECT id FROM events WHERE ${where()}`)
    .filter((id) => !phase1.events.includes(id));
  assert.equal(phase2.logs.length, 1);
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE id = '${phase2.logs[0]}' AND body IS NOT NULL`), '1');
  books = booksOf(t.tenantId);
});

// Rows of every tenant (the demo tenant's daily summaries too), for what /metrics counts;
// not the daily summaries a server started at day 100 adds after its sweep.
function totals() {
  const before99 = "created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+99 days')";
  return Object.fromEntries(['webhook_logs', 'events', 'deliveries', 'delivery_attempts',
                             'chat_messages']
    .map((table) => [table, Number(sql(`SELECT count(*) FROM ${table}` +
                                       (table === 'events' ? ` WHERE ${before99}` : '')))]));
}

test('after 100 days: day 0\'s log rows and delivered events go, the books and the rest stay', async () => {
  const before100 = totals();
  const text = await startAt(100);
  const after100 = totals();
  for (const table of Object.keys(before100))
    assert.equal(swept(text, table), before100[table] - after100[table], table);
  // webhook log rows older than 90 days
  assert.deepEqual(list(`SELECT id FROM webhook_logs WHERE ${where()}`), phase2.logs);
  assert.equal(swept(text, 'webhook_logs'), 2);
  // day 60's body is 40 days old: forgotten; its row is not
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE id = '${phase2.logs[0]}' AND body IS NULL`), '1');
  assert.equal(swept(text, 'webhook_bodies'), 1);
  // events of day 0 whose every delivery was delivered (or that had none) go with them
  const left = list(`SELECT id FROM events WHERE ${where()}`);
  assert.deepEqual(left.filter((id) => phase1.events.includes(id)), [phase1.failedEvent],
                   'only the event whose delivery failed is left of day 0');
  for (const id of phase2.events) assert.ok(left.includes(id), `day 60's event ${id} is kept`);
  assert.ok(swept(text, 'events') >= phase1.events.length - 1);
  assert.equal(swept(text, 'deliveries'), 1);
  assert.equal(swept(text, 'delivery_attempts'), 1);
  assert.equal(sql(`SELECT count(*) FROM deliveries WHERE id = '${phase1.delivered[0]}'`), '0');
  assert.equal(sql(`SELECT count(*) FROM delivery_attempts WHERE delivery_id = '${phase1.delivered[0]}'`), '0');
  assert.equal(sql(`SELECT status FROM deliveries WHERE event_id = '${phase1.failedEvent}'`), 'failed');
  // day 0's answered chat message goes with its reply; the one waiting for its answer stays
  assert.ok(swept(text, 'chat_messages') >= 1);
  assert.deepEqual(list(`SELECT id FROM chat_messages WHERE ${where()}`), [phase1.waiting]);
  // the books are all there, over the API too
  assert.deepEqual(booksOf(t.tenantId), books);
  const invoices = await server.request('/api/invoices', { token: t.token });
  assert.equal(invoices.json.invoices.length, 2);
  const logs = await server.request('/api/connectors/stripe/webhook-logs', { token: t.token });
  assert.deepEqual(logs.json.map((l) => l.id), phase2.logs);
});

test('the periods are settings: a shorter --webhook-log-days takes the newer rows too', async () => {
  const text = await startAt(100, ['--webhook-log-days', '30', '--event-days', '30']);
  assert.equal(swept(text, 'webhook_logs'), 1);
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where()}`), '0');
  const left = list(`SELECT id FROM events WHERE ${where()}`);
  for (const id of phase2.events) assert.ok(!left.includes(id) || id === phase1.failedEvent);
  assert.deepEqual(booksOf(t.tenantId), books);
  const r = await server.cli(['serve', '--webhook-log-days', '0']);
  assert.equal(r.code, 2);
});

test('a large sweep goes in batches while webhooks keep being answered', async () => {
  await server.stop();
  const N = 30000;
  sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N}) ` +
      `INSERT INTO webhook_logs (id, tenant_id, provider, status, body, received_at, processed_at) ` +
      `SELECT printf('whl_old%08d', i), '${t.tenantId}', 'stripe', 'processed', 'x', ` +
      `'2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z' FROM n`);
  server = await startServer({ dir, expectDemo: false,
                               env: { CONNECTORD_CLOCK_OFFSET: String(100 * DAY) } });
  t.server = server;
  const slowest = [];
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    const res = await t.send(invoicePaid().body, { timestamp: Math.floor(Date.now() / 1000) + 100 * DAY });
    assert.equal(res.status, 200, res.text);
    slowest.push(Date.now() - t0);
  }
  await eventually(async () => sql(`SELECT count(*) FROM webhook_logs WHERE id LIKE 'whl_old%'`) === '0',
                   'the old rows are swept', 30000);
  // the counter is added to once the batch's transaction has committed: a moment after the
  // rows are gone
  await eventually(async () => swept((await server.request('/metrics')).text, 'webhook_logs') >= N,
                   'the metrics count the sweep', 10000);
  assert.equal(swept((await server.request('/metrics')).text, 'webhook_logs'), N);
  assert.ok(Math.max(...slowest) < 2000, `webhooks waited ${slowest.join(', ')} ms`);
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where()} AND received_at > '2001'`), '20');
});

test('a stop signal ends a long sweep between two batches; the next start goes on', async () => {
  await server.stop();
  const N = 80000;
  sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N}) ` +
      `INSERT INTO webhook_logs (id, tenant_id, provider, status, body, received_at, processed_at) ` +
      `SELECT printf('whl_stop%08d', i), '${t.tenantId}', 'stripe', 'processed', NULL, ` +
      `'2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z' FROM n`);
  const count = () => Number(sql("SELECT count(*) FROM webhook_logs WHERE id LIKE 'whl_stop%'"));
  server = await startServer({ dir, expectDemo: false,
                               env: { CONNECTORD_CLOCK_OFFSET: String(100 * DAY) } });
  await eventually(async () => count() < N, 'the sweep began', 20000);
  const t0 = Date.now();
  const result = await server.stop();
  assert.equal(result.code, 0);
  assert.ok(Date.now() - t0 < 5000, `the stop took ${Date.now() - t0} ms`);
  const left = count();
  assert.ok(left > 0, 'the sweep ran to its end instead of stopping');
  server = await startServer({ dir, expectDemo: false,
                               env: { CONNECTORD_CLOCK_OFFSET: String(100 * DAY) } });
  await eventually(async () => count() < left, 'the next start goes on sweeping', 20000);
});
