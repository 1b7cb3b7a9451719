// What a webhook reads of its install and its tenant (the install's secret, autoPost and
// accounts, the tenant's chart) is kept per process, so the next webhook of the same token
// reads nothing from the store. A change through the API is in force for the very next
// webhook all the same: in the process that made it, and in another process on the same
// store (SQLite: one file; PostgreSQL: one database), to which the webhooks go. The cache's
// hits and misses are counted in /metrics.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { after, describe, test } = require('node:test');
const { BACKEND, makeTempDir, startServer } = require('./lib/server');
const { StripeTenant, invoicePaid } = require('./lib/stripe');

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

async function cacheCounts(server) {
  const text = (await server.request('/metrics')).text;
  return {
    hit: sample(text, 'connectord_webhook_cache_lookups_total{result="hit"}'),
    miss: sample(text, 'connectord_webhook_cache_lookups_total{result="miss"}'),
  };
}

// Sends a new paid invoice to `to` and returns the booked result (status 200, processed).
async function book(t, to, amount = 1000) {
  t.server = to;
  const res = await t.send(invoicePaid({ amount }).body);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'processed', res.text);
  return res.json.results[0];
}

// The accounts [debit, credit] of a journal entry, read through `server`.
async function accountsOf(t, server, entryId) {
  t.server = server;
  const entry = (await t.entries()).find((e) => e.id === entryId);
  assert.ok(entry, `entry ${entryId} not found`);
  const debit = entry.lines.filter((l) => l.debit !== '0.00').map((l) => l.account);
  const credit = entry.lines.filter((l) => l.credit !== '0.00').map((l) => l.account);
  return [debit, credit];
}

// Every change made through `a` is in force for the very next webhook sent to `b`, which
// had the install in its cache (two webhooks before each change: the second is a hit).
async function assertChangesInForce(a, b) {
  const t = await StripeTenant.create(a, { autoPost: true });
  const warm = async () => {
    await book(t, b);
    return book(t, b);
  };

  // the default chart (EKR) and the connector's own expense account
  let r = await warm();
  assert.deepEqual(await accountsOf(t, a, r.journalEntryId), [['7990'], ['2880']]);
  t.server = a;
  await t.configure({ expenseAccount: '7600' });
  r = await book(t, b);
  assert.deepEqual(await accountsOf(t, a, r.journalEntryId), [['7600'], ['2880']],
                   'the new expense account');

  // autoPost off: booked, not posted; on again: posted
  await warm();
  t.server = a;
  await t.configure({ autoPost: false });
  r = await book(t, b);
  assert.equal(r.journalEntryId, undefined, 'autoPost is off: nothing posted');
  await warm();
  t.server = a;
  await t.configure({ autoPost: true });
  r = await book(t, b);
  assert.ok(r.journalEntryId, 'autoPost is on again: posted');

  // the tenant's chart: SKR03's default accounts (the connector's expense account stays)
  t.server = a;
  await t.configure({ expenseAccount: null });
  await warm();
  t.server = a;
  const put = await a.request('/api/settings', { method: 'PUT', token: t.token,
                                                 json: { chart: 'skr03' } });
  assert.equal(put.status, 200, put.text);
  r = await book(t, b);
  assert.deepEqual(await accountsOf(t, a, r.journalEntryId), [['4900'], ['1360']],
                   'the tenant\'s new chart');

  // a new webhook secret: the old signature is refused at once, the new one taken
  await warm();
  const secret = 'whsec_' + crypto.randomBytes(24).toString('base64url');
  t.server = a;
  await t.configure({ webhookSecret: secret });
  t.server = b;
  const old = await t.send(invoicePaid().body);
  assert.equal(old.status, 400, old.text);
  t.secret = secret;
  await book(t, b);

  // uninstalled: the very next webhook is refused, nothing booked
  await warm();
  t.server = a;
  const before = (await t.invoices()).length;
  await t.uninstall();
  t.server = b;
  const refused = await t.send(invoicePaid().body);
  assert.equal(refused.status, 404, refused.text);
  t.server = a;
  assert.equal((await t.invoices()).length, before, 'nothing booked after the uninstall');
}

describe(`one process on ${BACKEND}`, () => {
  let server;
  test('start', async () => {
    server = await startServer();
    cleanups.push(() => server.stop());
  });

  test('a known token is a hit; a change makes the next webhook a miss', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const c0 = await cacheCounts(server);
    await book(t, server);
    const c1 = await cacheCounts(server);
    assert.deepEqual([c1.hit - c0.hit, c1.miss - c0.miss], [0, 1], 'the first reads the store');
    await book(t, server);
    await book(t, server);
    const c2 = await cacheCounts(server);
    assert.deepEqual([c2.hit - c1.hit, c2.miss - c1.miss], [2, 0], 'the next ones do not');
    await t.configure({ autoPost: false });
    assert.equal((await book(t, server)).journalEntryId, undefined);
    await book(t, server);
    const c3 = await cacheCounts(server);
    assert.deepEqual([c3.hit - c2.hit, c3.miss - c2.miss], [1, 1], 'read again after a change');
    // an unknown token is never kept: each one is a miss and a 404
    const res = await server.request('/api/payment-import/stripe/nosuchtoken', {
      method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 404, res.text);
  });

  test('changes through the API are in force for the next webhook', async () => {
    await assertChangesInForce(server, server);
  });
});

describe(`two processes on one ${BACKEND} store`, () => {
  let a, b;
  test('start', async () => {
    const dir = makeTempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    a = await startServer({ dir, expectDemo: true });
    cleanups.push(() => a.stop());
    b = await startServer({ dir, expectDemo: false });
    cleanups.push(() => b.stop());
  });

  test('a change through one process is in force at the other for the next webhook',
    async () => {
      await assertChangesInForce(a, b);
      await assertChangesInForce(b, a);
    });
});
