// The books balance after a mixed run of Stripe webhooks: payments in three currencies with
// different decimals, duplicates sent at once, partial and full refunds (and their
// redeliveries), failed payments, bad signatures, bodies that cannot be booked and events
// that are not booked. Per currency the trial balance's debits equal its credits, and each
// account holds exactly what the accepted payments minus their refunds put there.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { importRates, recentDays } = require('./lib/accounting');
const {
  StripeTenant, assertBalanced, chargeRefunded, eventBody, invoiceFailed, invoicePaid, newSecret,
  sid,
} = require('./lib/stripe');

let server;

before(async () => {
  server = await startServer();
  // Payments in JPY and KWD are posted once their day has a rate (ECB-format file).
  await importRates(server, recentDays(), { JPY: '161.50', KWD: '0.3571' });
});

after(async () => {
  await server?.stop();
});

// Decimal string of minor units in a currency with `decimals` decimals.
function decimal(minor, decimals) {
  const neg = minor < 0;
  const digits = String(Math.abs(minor)).padStart(decimals + 1, '0');
  const text = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  return (neg ? '-' : '') + text;
}

const DECIMALS = { eur: 2, jpy: 0, kwd: 3 };

// Runs the mixed workload against one tenant; returns the net amount booked per currency
// (payments minus refunds) in minor units, and how many invoices and log rows to expect.
async function mixedRun(t) {
  const net = { eur: 0, jpy: 0, kwd: 0 };
  const payments = [
    { amount: 9900, currency: 'eur' }, { amount: 1, currency: 'eur' },
    { amount: 123456, currency: 'eur' }, { amount: 1500, currency: 'jpy' },
    { amount: 7, currency: 'jpy' }, { amount: 12345, currency: 'kwd' },
    { amount: 1000, currency: 'kwd' },
  ].map((p) => ({ ...p, pay: invoicePaid(p) }));
  for (const p of payments) net[p.currency] += p.amount;

  // phase 1, all at once: each payment three times, and everything that must book nothing
  const sends = [];
  for (let i = 0; i < 3; i++)
    for (const p of payments) sends.push(t.send(p.pay.body).then((r) => ['pay', r]));
  const noise = [
    ['failed', () => t.send(invoiceFailed({ amount: 5000 }).body)],
    ['failed', () => t.send(invoiceFailed({ amount: 300, currency: 'jpy' }).body)],
    ['ignored', () => t.send(eventBody('customer.created', { id: sid('cus_'), object: 'customer' }))],
    ['badsig', () => t.send(invoicePaid({ amount: 777 }).body, { secret: newSecret() })],
    ['badsig', () => t.post(invoicePaid({ amount: 888 }).body)],
    ['badcur', () => t.send(invoicePaid({ currency: 'xyz' }).body)],
    ['badjson', () => t.send('{"type":"invoice.payment_succeeded",')],
    ['orphan', () => t.send(chargeRefunded({ pi: sid('pi_'), amount: 100 }).body)],
  ];
  for (const [kind, send] of noise) sends.push(send().then((r) => [kind, r]));
  const phase1 = await Promise.all(sends);
  const want = { pay: 200, failed: 200, ignored: 200, orphan: 200, badsig: 400, badcur: 400,
                 badjson: 400 };
  for (const [kind, res] of phase1) assert.equal(res.status, want[kind], `${kind}: ${res.text}`);
  const payStatuses = phase1.filter(([k]) => k === 'pay').map(([, r]) => r.json.status);
  assert.equal(payStatuses.filter((s) => s === 'processed').length, payments.length);
  assert.equal(payStatuses.filter((s) => s === 'duplicate').length, 2 * payments.length);

  // phase 2, all at once: refunds (a full one, two partial ones of one charge, a full one in
  // JPY and a partial one in KWD), each sent twice
  const [eurBig, , eurHuge, jpyA, , kwdA] = payments;
  const refunds = [
    { pi: eurBig.pay.externalId, amount: 9900, refunded: 9900, before: 0, currency: 'eur' },
    { pi: eurHuge.pay.externalId, amount: 123456, refunded: 20000, before: 0, currency: 'eur' },
    { pi: eurHuge.pay.externalId, amount: 123456, refunded: 50000, before: 20000,
      currency: 'eur' },
    { pi: jpyA.pay.externalId, amount: 1500, refunded: 1500, before: 0, currency: 'jpy' },
    { pi: kwdA.pay.externalId, amount: 12345, refunded: 345, before: 0, currency: 'kwd' },
  ].map((r) => ({ ...r, event: chargeRefunded(r) }));
  for (const r of refunds) net[r.currency] -= r.refunded - r.before;
  const phase2 = await Promise.all([...refunds, ...refunds].map((r) => t.send(r.event.body)));
  for (const res of phase2) assert.equal(res.status, 200, res.text);
  assert.equal(phase2.filter((r) => r.json.status === 'processed').length, refunds.length);
  assert.equal(phase2.filter((r) => r.json.status === 'duplicate').length, refunds.length);

  return {
    net,
    invoices: payments.length + refunds.length,
    logs: {
      processed: payments.length + 4 /* 2 failed, 1 ignored, 1 orphan refund */ + refunds.length,
      duplicate: 2 * payments.length + refunds.length,
      failed: 2,
      invalid_signature: 2,
    },
  };
}

describe('the trial balance after a mixed run', () => {
  test('expense direction: debits equal credits; expense and clearing hold the net',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true, expenseAccount: '6815' });
      const run = await mixedRun(t);
      const bal = await assertBalanced(t);
      for (const [cur, minor] of Object.entries(run.net)) {
        const C = cur.toUpperCase();
        assert.equal(bal[`6815 ${C}`], decimal(minor, DECIMALS[cur]), `6815 ${C}`);
        assert.equal(bal[`2880 ${C}`], decimal(-minor, DECIMALS[cur]), `2880 ${C}`);
      }
      assert.equal(Object.keys(bal).length, 6, JSON.stringify(bal));
      assert.equal((await t.invoices()).length, run.invoices);
      assert.equal((await t.entries()).length, run.invoices, 'one entry per invoice');
      assert.deepEqual(await t.logCounts(), run.logs);
    });

  test('revenue direction: debits equal credits; clearing and revenue hold the net',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true, direction: 'revenue',
                                                    clearingAccount: '1361' });
      const run = await mixedRun(t);
      const bal = await assertBalanced(t);
      for (const [cur, minor] of Object.entries(run.net)) {
        const C = cur.toUpperCase();
        assert.equal(bal[`1361 ${C}`], decimal(minor, DECIMALS[cur]), `1361 ${C}`);
        assert.equal(bal[`4000 ${C}`], decimal(-minor, DECIMALS[cur]), `4000 ${C}`);
      }
      assert.equal(Object.keys(bal).length, 6, JSON.stringify(bal));
      assert.equal((await t.invoices({ type: 'ausgangsrechnung' })).length, 7);
      assert.equal((await t.invoices({ type: 'gutschrift' })).length, 5);
      assert.deepEqual(await t.logCounts(), run.logs);
    });
});
