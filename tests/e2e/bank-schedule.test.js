// bank-schedule.test.js - linked bank accounts are pulled by the schedule (the sync-runs
// job, under its lease, queues a run of the bank install): first one interval after the
// install, then as the day's plan spreads the pulls (24 h / pullsPerDay: every 6 hours for
// the 4 pulls PSD2 banks allow), never sooner. An install without linked accounts is not
// scheduled at all. The server is restarted with its clock moved on
// (CONNECTORD_CLOCK_OFFSET, in seconds) instead of waiting. A consent started and not
// finished within a day is refused at the callback.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { BankMock } = require('./lib/bank-mock');
const { secret } = require('./lib/connectors');

const MIN = 60000;
const HOUR = 60 * MIN;
let server, mock, dir, token, stale;

before(async () => {
  mock = await BankMock.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-bank-schedule-'));
  server = await startServer({ dir });
  token = server.token;
  for (const slug of ['gocardless', 'revolut']) {
    const config = slug === 'gocardless'
      ? { webhookSecret: secret('gc_'), secretId: mock.gc.secretId, secretKey: mock.gc.secretKey,
          apiBaseUrl: `${mock.base}/gc` }
      : { webhookSecret: secret('wsk_') }; // installed, never linked
    const r = await server.request(`/api/connectors/${slug}/install`, { method: 'POST', token, json: { config } });
    assert.equal(r.status, 201, r.text);
  }
  const started = await server.request('/api/bank/connections', { method: 'POST', token,
    json: { connector: 'gocardless', country: 'AT', institutionId: 'ERSTE_GIBAATWW' } });
  assert.equal(started.status, 201, started.text);
  const bank = await fetch(started.json.link, { redirect: 'manual' });
  const back = new URL(bank.headers.get('location'));
  assert.equal((await server.request(back.pathname + back.search)).status, 200);
  // a second consent, left at the bank's page
  const left = await server.request('/api/bank/connections', { method: 'POST', token,
    json: { connector: 'gocardless', country: 'AT', institutionId: 'RAIFFEISEN_AT_RZBAATWW' } });
  assert.equal(left.status, 201, left.text);
  stale = left.json;
  mock.gc.transactions.set('AT611904300234573201', { booked: [
    { entryReference: 'S-1', bookingDate: new Date().toISOString().slice(0, 10),
      transactionAmount: { amount: '-5.00', currency: 'EUR' } }], pending: [] });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function restartAt(offsetMs) {
  await server.stop();
  server = await startServer({ dir, expectDemo: false,
                               env: { CONNECTORD_CLOCK_OFFSET: String(offsetMs / 1000) } });
}

async function runs(slug = 'gocardless') {
  return (await server.request(`/api/connectors/${slug}/sync-runs`, { token })).json.runs;
}

async function waitForRuns(n) {
  for (let i = 0; i < 200; i++) {
    const list = await runs();
    if (list.length >= n && list.every((r) => r.status === 'succeeded' || r.status === 'failed')) return list;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no ${n} ended runs: ${JSON.stringify(await runs())}`);
}

const txCalls = () => mock.requests.filter((r) => /\/transactions\/$/.test(r.path)).length;

test('the schedule pulls linked accounts, then spreads the day\'s pulls', async () => {
  await restartAt(16 * MIN);
  const [first] = await waitForRuns(1);
  assert.equal(first.origin, 'schedule');
  assert.equal(first.status, 'succeeded', first.error);
  assert.equal(first.counts.new, 1);
  assert.equal(txCalls(), 1);
  assert.deepEqual(await runs('revolut'), [], 'no linked account: nothing scheduled');

  await restartAt(16 * MIN + 3 * HOUR); // half way to the next planned pull
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal((await runs()).length, 1);
  assert.equal(txCalls(), 1);

  await restartAt(16 * MIN + 6 * HOUR + 5 * MIN);
  const list = await waitForRuns(2);
  assert.equal(list[0].origin, 'schedule');
  assert.equal(list[0].status, 'succeeded', list[0].error);
  assert.equal(list[0].counts.new, 0, 'the same entry: stored once');
  assert.equal(txCalls(), 2);
  assert.deepEqual(mock.problems, []);
});

test('a consent left unfinished for more than a day is refused at the callback', async () => {
  await restartAt(26 * HOUR);
  const bank = await fetch(stale.link, { redirect: 'manual' });
  const back = new URL(bank.headers.get('location'));
  const late = await server.request(back.pathname + back.search);
  assert.equal(late.status, 403, late.text);
  assert.match(late.json.error.message, /more than a day ago/);
  const conns = (await server.request('/api/bank/connections', { token })).json.connections;
  assert.equal(conns.find((c) => c.id === stale.id).status, 'rejected');
});
