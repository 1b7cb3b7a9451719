// payouts-schedule.test.js - the payment connectors' pulls on the schedule (issue 18): a
// Stripe install with its restricted key is pulled by the periodic sync-runs job one interval
// after it was installed (a run with origin "schedule", which books the fee Stripe's API
// reports), and an install without a key is left alone. The server is restarted with its
// clock moved on (CONNECTORD_CLOCK_OFFSET, in seconds) instead of waiting.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/server');
const { MockPayouts } = require('./lib/mock-payouts');
const { StripeTenant } = require('./lib/stripe');

let server, mock, dir, withKey, withoutKey;

before(async () => {
  mock = await new MockPayouts().start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-payouts-schedule-'));
  server = await startServer({ dir });
  withKey = await StripeTenant.create(server, { apiKey: mock.stripe.key, apiBaseUrl: `${mock.base}/stripe` });
  withoutKey = await StripeTenant.create(server, {});
  mock.stripe.balance.push({ id: 'txn_sched_1', object: 'balance_transaction', amount: 5000, fee: 175,
                             currency: 'eur', type: 'charge', source: 'ch_sched_1',
                             created: Math.floor(Date.now() / 1000) - 3600 });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function runs(t) {
  const r = await server.request('/api/connectors/stripe/sync-runs', { token: t.token });
  assert.equal(r.status, 200, r.text);
  return r.json.runs;
}

test('a keyed install is pulled one interval after the install; one without a key is not', async () => {
  assert.deepEqual(await runs(withKey), []);
  await server.stop();
  server = await startServer({ dir, expectDemo: false, env: { CONNECTORD_CLOCK_OFFSET: String(16 * 60) } });
  let list = [];
  for (let i = 0; i < 300; i++) {
    list = await runs(withKey);
    if (list.length && list.every((r) => r.status === 'succeeded' || r.status === 'failed')) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(list.length, 1, JSON.stringify(list));
  assert.equal(list[0].origin, 'schedule');
  assert.equal(list[0].status, 'succeeded', list[0].error);
  assert.equal(list[0].counts.new, 1);
  const fees = (await server.request('/api/payouts/movements?kind=fee', { token: withKey.token })).json.movements;
  assert.deepEqual(fees.map((m) => [m.externalId, m.amount]), [['txn_sched_1', '1.75']]);
  assert.deepEqual(await runs(withoutKey), []);
});
