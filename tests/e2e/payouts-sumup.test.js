// payouts-sumup.test.js - issue 18's SumUp pull: a sale at the card reader sends no webhook,
// so a sync run of the sumup install pages through SumUp's transaction history (mock, Bearer
// key, oldest_time, links rel=next) and books each successful POS sale once through the
// webhook pipeline (an invoice of the connector, its log row); online checkouts, failed
// sales and refunds are left to the webhooks; a second pull books nothing again.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { MockPayouts } = require('./lib/mock-payouts');
const { waitRun } = require('./lib/mock-timetracking');

let server, mock, tenant;

function iso(ms) {
  return new Date(ms).toISOString();
}

function item(id, o) {
  return { id, transaction_code: `T${id.slice(0, 9).toUpperCase()}`, amount: 10.1, currency: 'EUR',
           timestamp: iso(Date.now() - 86400000), status: 'SUCCESSFUL', payment_type: 'POS', type: 'PAYMENT',
           entry_mode: 'contactless', card_type: 'VISA', ...o };
}

async function pull() {
  const r = await server.request('/api/connectors/sumup/sync', { method: 'POST', token: tenant.token });
  assert.equal(r.status, 202, r.text);
  return waitRun(server, tenant.token, 'sumup', r.json.id);
}

async function invoices() {
  const r = await server.request('/api/invoices?limit=100', { token: tenant.token });
  assert.equal(r.status, 200, r.text);
  return r.json.invoices;
}

before(async () => {
  mock = await new MockPayouts().start();
  server = await startServer();
  tenant = await server.createTenant('Cafe with a card reader', 'pro');
  const r = await server.request('/api/connectors/sumup/install', {
    method: 'POST', token: tenant.token,
    json: { config: { apiKey: mock.sumup.key, merchantCode: mock.sumup.merchant, direction: 'revenue',
                      apiBaseUrl: `${mock.base}/sumup` } },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('a card-reader sale arrives only through the pull and is booked once', async () => {
  mock.sumup.items.push(
    item('6b425463-3e1b-431d-83fa-1e51c2925e99', { amount: 10.1 }),
    item('0f1e2d3c-0000-4000-8000-000000000002', { amount: 4.5, timestamp: iso(Date.now() - 3600000) }),
    item('0f1e2d3c-0000-4000-8000-000000000003', { payment_type: 'ECOM', entry_mode: 'customer entry' }),
    item('0f1e2d3c-0000-4000-8000-000000000004', { status: 'FAILED' }),
    item('0f1e2d3c-0000-4000-8000-000000000005', { type: 'REFUND', amount: 2 }),
  );
  const run = await pull();
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 2);
  assert.equal(run.counts.skipped, 3);

  const reqs = mock.requestsOf('sumup');
  assert.deepEqual(reqs.flatMap((r) => r.problems), []);
  assert.ok(reqs.every((r) => r.headers.authorization === `Bearer ${mock.sumup.key}`));
  assert.equal(reqs.length, 3, 'five items at two a page');
  assert.ok(reqs[0].query.oldest_time, 'the first page asks from the window start');
  assert.ok(reqs[1].query.oldest_ref && reqs[2].query.oldest_ref, 'the next pages follow links');

  const inv = await invoices();
  assert.equal(inv.length, 2);
  const sale = inv.find((i) => i.externalId === '6b425463-3e1b-431d-83fa-1e51c2925e99');
  assert.ok(sale, JSON.stringify(inv));
  assert.equal(sale.source, 'sumup');
  assert.equal(sale.totalGross, '10.10');
  assert.equal(sale.invoiceNumber, 'T6B425463-');
  assert.equal(sale.type, 'ausgangsrechnung');

  const logs = (await server.request('/api/connectors/sumup/webhook-logs?limit=100', { token: tenant.token })).json;
  assert.equal(logs.filter((l) => l.status === 'processed').length, 2);
});

test('a second pull books the same sales as duplicates only', async () => {
  const run = await pull();
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 0);
  assert.equal((await invoices()).length, 2);
});
