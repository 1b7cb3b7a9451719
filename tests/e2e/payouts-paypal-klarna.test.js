// payouts-paypal-klarna.test.js - issue 18's pulls from PayPal and Klarna, end to end against
// local mocks of their APIs (lib/mock-payouts.js), which check the credentials and paging.
//
// PayPal: a client-credentials token (Basic with the REST app's id and secret), then the
// transaction search page by page: each sale's fee is booked once as a fee, a withdrawal to
// the bank moves the PayPal clearing account to the bank, a pending one waits; a second pull
// books nothing again.
// Klarna: an order pushed and acknowledged long ago is refunded; Klarna sends no push for
// that. The settlements API's payout names it among its transactions: the pull books the
// payout (its payment reference is what the bank shows), the fees Klarna kept, and the refund
// as a credit note through the webhook pipeline, each once; the clearing account is then
// settled to zero.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { MockPayouts } = require('./lib/mock-payouts');
const { waitRun } = require('./lib/mock-timetracking');

let server, mock, tenant;
const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function pull(slug) {
  const r = await server.request(`/api/connectors/${slug}/sync`, { method: 'POST', token: tenant.token });
  assert.equal(r.status, 202, r.text);
  return waitRun(server, tenant.token, slug, r.json.id);
}

async function get(path) {
  const r = await server.request(path, { token: tenant.token });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
}

async function balances() {
  const out = {};
  for (const b of (await get('/api/ledger/balances')).balances) out[b.account] = b.balance;
  return out;
}

async function install(slug, config) {
  const r = await server.request(`/api/connectors/${slug}/install`, { method: 'POST', token: tenant.token,
                                                                     json: { config } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

before(async () => {
  mock = await new MockPayouts().start();
  server = await startServer();
  tenant = await server.createTenant('Shop with PayPal and Klarna', 'pro');
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('PayPal: fees and withdrawals from the transaction search, once', async () => {
  const p = mock.paypal;
  await install('paypal', { webhookId: 'WH-PAYOUTS-0001', clientId: p.clientId, clientSecret: p.secret,
                            clearingAccount: '2881', apiBaseUrl: `${mock.base}/paypal` });
  const t0 = Date.now() - 5 * DAY;
  const tx = (id, code, amount, fee, status = 'S', offset = 0) => ({
    transaction_id: id, transaction_event_code: code, transaction_initiation_date: iso(t0 + offset),
    transaction_updated_date: iso(t0 + offset), transaction_amount: { currency_code: 'EUR', value: amount },
    ...(fee ? { fee_amount: { currency_code: 'EUR', value: fee } } : {}), transaction_status: status,
  });
  p.transactions.push(
    tx('5TY05013RG002845M', 'T0006', '100.00', '-3.20', 'S', 1000),
    tx('8MC585209K746392H', 'T0006', '50.00', '-1.85', 'S', 2000),
    tx('1HG00117YU5567436', 'T0006', '20.00', '-0.90', 'P', 3000),
    tx('9XH24937CK1182305', 'T0400', '-144.95', null, 'S', 4000),
  );
  const run = await pull('paypal');
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 3, JSON.stringify(run.counts));
  assert.equal(run.counts.skipped, 1);
  const reqs = mock.requestsOf('paypal');
  assert.deepEqual(reqs.flatMap((r) => r.problems), []);
  assert.equal(p.tokens, 1);
  assert.deepEqual(reqs.filter((r) => r.path.endsWith('/transactions')).map((r) => r.query.page), ['1', '2']);

  const moves = (await get('/api/payouts/movements?limit=100')).movements.filter((m) => m.provider === 'paypal');
  assert.deepEqual(moves.map((m) => [m.kind, m.externalId, m.amount]).sort(),
                   [['fee', '5TY05013RG002845M', '3.20'], ['fee', '8MC585209K746392H', '1.85'],
                    ['payout', '9XH24937CK1182305', '144.95']]);
  const b = await balances();
  assert.equal(b['2881'], '-150.00', 'the PayPal clearing account gave up fees and the withdrawal');
  assert.equal(b['7790'], '5.05');
  assert.equal(b['2800'], '144.95');

  const again = await pull('paypal');
  assert.equal(again.status, 'succeeded', again.error);
  assert.equal(again.counts.new, 0);
  assert.equal((await balances())['2800'], '144.95');

  // wrong credentials: the run fails, nothing booked
  mock.script('paypal', { pathPart: '/oauth2/token', status: 401, body: { error: 'invalid_client' } });
  const refused = await pull('paypal');
  assert.equal(refused.status, 'failed');
  assert.match(refused.error, /refused/);
});

test('Klarna: a settlement\'s payout, its fees and the refund of an acknowledged order, once', async () => {
  const k = mock.klarna;
  const created = await install('klarna', { apiKey: k.user, apiSecret: k.password, direction: 'revenue',
                                            autoPost: true, apiBaseUrl: `${mock.base}/klarna` });
  const orderId = 'f3392f8b-6116-4073-ab96-e330819e2c07';
  const order = { order_id: orderId, status: 'CAPTURED', fraud_status: 'ACCEPTED', order_amount: 15000,
                  original_order_amount: 15000, captured_amount: 15000, refunded_amount: 0,
                  purchase_currency: 'EUR', purchase_country: 'AT', created_at: iso(Date.now() - 9 * DAY),
                  merchant_reference1: 'SHOP-4711', billing_address: { email: 'kunde@example.com',
                                                                       given_name: 'Eva', family_name: 'Kunde' },
                  refunds: [] };
  k.orders.set(orderId, order);
  // the push, long ago: booked and acknowledged
  const hook = new URL(created.webhookUrl);
  const push = await server.request(`${hook.pathname}?klarna_order_id=${orderId}`, { method: 'POST', body: '' });
  assert.equal(push.status, 200, push.text);
  assert.deepEqual(k.acknowledged, [orderId]);

  // since then refunded in the merchant portal: no push; the settlement names it
  order.refunded_amount = 1000;
  order.refunds = [{ refund_id: 'b2cb4f8a-7d8c-4c3e-9a23-5d2f4b7e0f11', refunded_amount: 1000,
                     refunded_at: iso(Date.now() - 4 * DAY), description: 'Returned item' }];
  const payoutDate = iso(Date.now() - 3 * DAY);
  k.payouts.push({ totals: { settlement_amount: 13500, fee_amount: 500, sale_amount: 15000, return_amount: 1000,
                             commission_amount: 0, holdback_amount: 0, tax_amount: 0 },
                   payment_reference: 'XISA93DJ', payout_date: payoutDate, currency_code: 'EUR',
                   merchant_settlement_type: 'NET', merchant_id: 'K123456' });
  k.transactions.push(
    { type: 'SALE', amount: 15000, currency_code: 'EUR', order_id: orderId, capture_id: 'cap-1',
      payment_reference: 'XISA93DJ', sale_date: iso(Date.now() - 9 * DAY) },
    { type: 'RETURN', amount: -1000, currency_code: 'EUR', order_id: orderId,
      refund_id: 'b2cb4f8a-7d8c-4c3e-9a23-5d2f4b7e0f11', payment_reference: 'XISA93DJ',
      sale_date: iso(Date.now() - 9 * DAY) },
    { type: 'FEE', amount: -500, currency_code: 'EUR', order_id: orderId, payment_reference: 'XISA93DJ',
      sale_date: iso(Date.now() - 9 * DAY) },
  );
  const run = await pull('klarna');
  assert.equal(run.status, 'succeeded', run.error);
  // the fee, the payout, the credit note
  assert.equal(run.counts.new, 3, JSON.stringify(run.counts));
  assert.deepEqual(mock.requestsOf('klarna').flatMap((r) => r.problems), []);
  const tx = mock.requestsOf('klarna').filter((r) => r.path.endsWith('/settlements/v1/transactions'));
  assert.deepEqual(tx.map((r) => r.query.offset), ['0', '2'], 'three transactions at two a page');
  assert.deepEqual(k.acknowledged, [orderId], 'a pulled order is not acknowledged again');

  const invoices = (await get('/api/invoices?limit=100')).invoices.filter((i) => i.source === 'klarna');
  assert.deepEqual(invoices.map((i) => [i.type, i.totalGross]).sort(),
                   [['ausgangsrechnung', '150.00'], ['gutschrift', '10.00']]);
  const moves = (await get('/api/payouts/movements?limit=100')).movements.filter((m) => m.provider === 'klarna');
  assert.deepEqual(moves.map((m) => [m.kind, m.externalId, m.amount]).sort(),
                   [['fee', 'XISA93DJ', '5.00'], ['payout', 'XISA93DJ', '135.00']]);
  // the Klarna clearing account (the chart's 2880) is settled: 150 in, 10 refunded, 5 fees,
  // 135 paid out
  assert.equal((await balances())['2880'], '0.00');

  const again = await pull('klarna');
  assert.equal(again.status, 'succeeded', again.error);
  assert.equal(again.counts.new, 0);
  assert.equal((await get('/api/invoices?limit=100')).invoices.filter((i) => i.source === 'klarna').length, 2);
});
