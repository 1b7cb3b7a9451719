// Exactly once under concurrency: the same signed Stripe webhook sent many times at once
// makes one invoice (the store's unique key decides, not the timing), and the others are
// answered 200 "duplicate"; many distinct webhooks at once, booked together in group
// commits, all make their invoice, and every 200 answer stands for a row in the store.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, assertBalanced, invoicePaid, sign } = require('./lib/stripe');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function countBy(items, key) {
  const out = {};
  for (const it of items) out[key(it)] = (out[key(it)] || 0) + 1;
  return out;
}

describe('parallel webhooks', () => {
  test('50 identical signed webhooks at once: one invoice, 1 processed and 49 duplicate',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const pay = invoicePaid({ amount: 4200 });
      const header = sign(pay.body, t.secret);
      const answers = await Promise.all(Array.from({ length: 50 }, () =>
        t.post(pay.body, { headers: { 'stripe-signature': header } })));

      for (const a of answers) assert.equal(a.status, 200, a.text);
      assert.deepEqual(countBy(answers, (a) => a.json.status), { processed: 1, duplicate: 49 });
      const booked = answers.find((a) => a.json.status === 'processed').json.results[0];
      for (const a of answers.filter((x) => x.json.status === 'duplicate')) {
        assert.equal(a.json.results[0].status, 'duplicate');
        assert.equal(a.json.results[0].externalId, pay.externalId);
        assert.equal(a.json.results[0].invoiceId, undefined);
      }

      const invoices = await t.invoices();
      assert.equal(invoices.length, 1);
      assert.equal(invoices[0].id, booked.invoiceId);
      assert.equal(invoices[0].externalId, pay.externalId);
      assert.equal(invoices[0].totalGross, '42.00');
      assert.equal((await t.suppliers()).length, 1, 'the losers left no supplier behind');
      assert.equal((await t.entries()).length, 1, 'one journal entry');

      const logs = await t.logs();
      assert.equal(logs.length, 50);
      assert.deepEqual(countBy(logs, (l) => l.status), { processed: 1, duplicate: 49 });
      assert.ok(logs.every((l) => l.externalId === pay.externalId));
      const bal = await assertBalanced(t);
      assert.equal(bal['7990 EUR'], '42.00');
    });

  test('200 distinct webhooks at once all book: invoices == 200 answers', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const pays = Array.from({ length: 200 }, (_, i) => invoicePaid({ amount: 100 + i }));
    const answers = await Promise.all(pays.map((p) => t.send(p.body)));

    const ok = answers.filter((a) => a.status === 200);
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assert.ok(ok.every((a) => a.json.status === 'processed'));
    const invoices = await t.invoices();
    assert.equal(invoices.length, ok.length);
    assert.deepEqual(new Set(invoices.map((i) => i.externalId)),
                     new Set(pays.map((p) => p.externalId)));
    // each answer names the invoice it booked
    assert.deepEqual(new Set(ok.map((a) => a.json.results[0].invoiceId)),
                     new Set(invoices.map((i) => i.id)));

    const logs = await t.logs();
    assert.equal(logs.length, 200);
    assert.ok(logs.every((l) => l.status === 'processed'));
    assert.equal((await t.entries()).length, 200);
    // 100 + 101 + ... + 299 cents
    const bal = await assertBalanced(t);
    assert.equal(bal['7990 EUR'], '399.00');
    assert.equal(bal['2880 EUR'], '-399.00');
  });

  test('10 payments of one new customer at once make one customer (direction revenue)',
    async () => {
      const t = await StripeTenant.create(server, { direction: 'revenue' });
      const pays = Array.from({ length: 10 }, () =>
        invoicePaid({ customer: 'cus_ParallelOne', email: 'parallel@example.com' }));
      const answers = await Promise.all(pays.map((p) => t.send(p.body)));
      for (const a of answers) assert.equal(a.status, 200, a.text);
      const customers = await t.customers();
      assert.equal(customers.length, 1);
      assert.ok(answers.every((a) => a.json.results[0].partyId === customers[0].id));
      assert.equal((await t.invoices({ customer: customers[0].id })).length, 10);
    });

  test('the same payment at two tenants is no duplicate: each books it once', async () => {
    const a = await StripeTenant.create(server);
    const b = await StripeTenant.create(server);
    const pay = invoicePaid();
    const answers = await Promise.all([a, b, a, b].map((t) => t.send(pay.body)));
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200]);
    for (const t of [a, b]) {
      const invoices = await t.invoices();
      assert.equal(invoices.length, 1);
      assert.equal(invoices[0].externalId, pay.externalId);
      assert.deepEqual(countBy(await t.logs(), (l) => l.status), { processed: 1, duplicate: 1 });
    }
  });

  test('20 payments, each sent 5 times, all at once: 20 invoices, 80 duplicates', async () => {
    const t = await StripeTenant.create(server);
    const pays = Array.from({ length: 20 }, () => invoicePaid());
    const sends = [];
    for (let round = 0; round < 5; round++)
      for (const p of pays) sends.push(t.send(p.body));
    const answers = await Promise.all(sends);
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assert.deepEqual(countBy(answers, (a) => a.json.status), { processed: 20, duplicate: 80 });
    // one processed answer per payment
    const processed = answers.filter((a) => a.json.status === 'processed');
    assert.deepEqual(new Set(processed.map((a) => a.json.results[0].externalId)),
                     new Set(pays.map((p) => p.externalId)));
    assert.equal((await t.invoices()).length, 20);
    assert.deepEqual(countBy(await t.logs(), (l) => l.status), { processed: 20, duplicate: 80 });
  });
});
