// payouts-stripe.test.js - issue 18's provider pulls for Stripe, end to end against a local
// mock of Stripe's API: with a restricted key in the connector's settings, a sync run of the
// stripe install pages through balance transactions, payouts and the events whose webhooks
// failed. Fees per payment are booked once as fees (reverse charge: they show in the VAT
// return's KZ057/KZ066), a paid payout moves the Stripe clearing account to the bank once, a
// payout in transit waits, an event Stripe stopped retrying is booked once through the
// webhook pipeline and one that was delivered after all is not booked again; a second pull
// books nothing and asks only from the last run on (less the lookback); a wrong key fails
// the run and books nothing.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { MockPayouts } = require('./lib/mock-payouts');
const { StripeTenant, invoicePaid, assertBalanced } = require('./lib/stripe');
const { waitRun } = require('./lib/mock-timetracking');

let server, mock, t;
const DAY = 86400;
const now = Math.floor(Date.now() / 1000);

function period(unixS) {
  return new Date(unixS * 1000).toISOString().slice(0, 7);
}

async function pull() {
  const r = await server.request('/api/connectors/stripe/sync', { method: 'POST', token: t.token });
  assert.equal(r.status, 202, r.text);
  return waitRun(server, t.token, 'stripe', r.json.id);
}

async function balances() {
  const r = await t.get('/api/ledger/balances');
  const out = {};
  for (const b of r.json.balances) out[b.account] = b;
  return out;
}

before(async () => {
  mock = await new MockPayouts().start();
  server = await startServer();
  t = await StripeTenant.create(server, { apiKey: mock.stripe.key, apiBaseUrl: `${mock.base}/stripe` });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('the key is a secret: masked in the connector, never shown', async () => {
  const r = await t.get('/api/connectors/stripe');
  assert.ok(!r.text.includes(mock.stripe.key), 'the key is not shown');
});

test('a pull books fees and a paid payout once, and recovers a missed event', async () => {
  // a payment delivered by webhook, and one whose webhooks all failed
  const delivered = invoicePaid({ amount: 10000 });
  const missed = invoicePaid({ amount: 10000 });
  const sent = await t.send(delivered.body);
  assert.equal(sent.status, 200, sent.text);

  const s = mock.stripe;
  const created = now - 2 * DAY;
  s.balance.push(
    { id: 'txn_fee_0001', object: 'balance_transaction', amount: 10000, fee: 320, net: 9680, currency: 'eur',
      type: 'charge', source: 'ch_0001', created, status: 'available',
      fee_details: [{ amount: 320, currency: 'eur', type: 'stripe_fee', description: 'Stripe processing fees' }] },
    { id: 'txn_fee_0002', object: 'balance_transaction', amount: 10000, fee: 260, net: 9740, currency: 'eur',
      type: 'charge', source: 'ch_0002', created: created + 10, status: 'available',
      fee_details: [{ amount: 260, currency: 'eur', type: 'stripe_fee', description: 'Stripe processing fees' }] },
    { id: 'txn_payout_0001', object: 'balance_transaction', amount: -19420, fee: 0, net: -19420, currency: 'eur',
      type: 'payout', source: 'po_paid_0001', created: created + 20, status: 'available' },
  );
  s.payouts.push(
    { id: 'po_paid_0001', object: 'payout', amount: 19420, currency: 'eur', status: 'paid', created: created + 20,
      arrival_date: created + DAY, statement_descriptor: 'STRIPE PAYOUT 0001', balance_transaction: 'txn_payout_0001' },
    { id: 'po_transit_0002', object: 'payout', amount: 5000, currency: 'eur', status: 'in_transit',
      created: created + 30, arrival_date: now + DAY },
  );
  s.events.push(
    { ...JSON.parse(delivered.body), created: created + 40 },
    { ...JSON.parse(missed.body), created: created + 50 },
  );

  const run = await pull();
  assert.equal(run.status, 'succeeded', run.error);
  // two fees, one payout, one recovered payment
  assert.equal(run.counts.new, 4, JSON.stringify(run.counts));

  const reqs = mock.requestsOf('stripe');
  assert.deepEqual(reqs.flatMap((r) => r.problems), []);
  assert.ok(reqs.every((r) => r.headers.authorization === `Bearer ${s.key}`));
  // three balance transactions at two a page: two pages, the second after the first's last
  const bt = reqs.filter((r) => r.path === '/stripe/v1/balance_transactions');
  assert.equal(bt.length, 2);
  assert.equal(bt[0].query.starting_after, undefined);
  assert.equal(bt[1].query.starting_after, 'txn_fee_0002');
  assert.ok(reqs.some((r) => r.path === '/stripe/v1/events' && r.query.delivery_success === 'false'));

  const fees = (await t.get('/api/payouts/movements?kind=fee')).json.movements;
  assert.deepEqual(fees.map((m) => [m.externalId, m.amount, m.currency, m.reference]).sort(),
                   [['txn_fee_0001', '3.20', 'EUR', 'ch_0001'], ['txn_fee_0002', '2.60', 'EUR', 'ch_0002']]);
  const payouts = (await t.get('/api/payouts/movements?kind=payout')).json.movements;
  assert.equal(payouts.length, 1, 'the payout in transit waits');
  assert.equal(payouts[0].externalId, 'po_paid_0001');
  assert.equal(payouts[0].amount, '194.20');
  assert.equal(payouts[0].reference, 'STRIPE PAYOUT 0001');
  assert.ok(payouts[0].ledgerEntryId);

  // fees: 7790 (EKR Spesen des Geldverkehrs) against the Stripe clearing account 2880; the
  // payout: bank 2800 against clearing
  const b = await balances();
  assert.equal(b['7790'].debit, '5.80');
  assert.equal(b['2800'].debit, '194.20');
  assert.equal(b['2880'].credit, '200.00');
  await assertBalanced(t);

  // the fees are a service received under reverse charge: base 5.80, 20 % owed and deducted
  const vat = await server.request(`/api/vat-returns/at?period=${period(created)}`, { token: t.token });
  assert.equal(vat.status, 200, vat.text);
  assert.equal(vat.json.KZ057, '1.16');
  assert.equal(vat.json.KZ066, '1.16');

  // the missed payment is booked once; the delivered one was not booked again
  const invoices = (await t.get('/api/invoices?limit=100')).json.invoices;
  const ids = invoices.map((i) => i.externalId).sort();
  assert.deepEqual(ids, [delivered.externalId, missed.externalId].sort());
  // through the webhook pipeline: its log shows the recovered payment booked, the other a
  // duplicate
  const logs = (await t.get('/api/connectors/stripe/webhook-logs?limit=100')).json;
  const of = (id) => logs.filter((l) => l.externalId === id).map((l) => l.status);
  assert.deepEqual(of(missed.externalId), ['processed']);
  assert.deepEqual(of(delivered.externalId).sort(), ['duplicate', 'processed']);
});

test('a second pull books nothing again and starts from the last run less the lookback', async () => {
  const before = mock.requests.length;
  const t0 = Math.floor(Date.now() / 1000);
  const run = await pull();
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 0, JSON.stringify(run.counts));
  const reqs = mock.requests.slice(before);
  const gte = Number(reqs.find((r) => r.path === '/stripe/v1/balance_transactions').query['created[gte]']);
  assert.ok(gte >= t0 - 7 * DAY - 120 && gte <= t0 - 7 * DAY + 120, `created[gte] ${gte}`);
  assert.equal((await t.get('/api/payouts/movements')).json.movements.length, 3);
  assert.equal((await t.get('/api/invoices?limit=100')).json.invoices.length, 2);
  // an event fed once is not fed again: no new log row
  const logs = (await t.get('/api/connectors/stripe/webhook-logs?limit=100')).json;
  assert.equal(logs.length, 3);
  const b = await balances();
  assert.equal(b['7790'].debit, '5.80');
  assert.equal(b['2800'].debit, '194.20');
});

test('a paid payout that arrives later is booked by the next pull', async () => {
  const p = mock.stripe.payouts.find((x) => x.id === 'po_transit_0002');
  p.status = 'paid';
  const run = await pull();
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 1);
  const b = await balances();
  assert.equal(b['2800'].debit, '244.20');
});

test('a refused key fails the run and books nothing', async () => {
  mock.script('stripe', { pathPart: '/v1/balance_transactions', status: 401,
                          body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } });
  const run = await pull();
  assert.equal(run.status, 'failed');
  assert.match(run.error, /refused the API key/);
  assert.equal((await t.get('/api/payouts/movements')).json.movements.length, 4);
});

test('without a key the stripe install does not pull', async () => {
  const other = await StripeTenant.create(server, {});
  const r = await server.request('/api/connectors/stripe/sync', { method: 'POST', token: other.token });
  assert.equal(r.status, 202, r.text);
  const run = await waitRun(server, other.token, 'stripe', r.json.id);
  assert.equal(run.status, 'failed');
  assert.match(run.error, /apiKey/);
});
