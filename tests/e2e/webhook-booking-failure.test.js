// A verified webhook whose booking the books refuse (here: autoPost on, and the provider's
// tax is at no VAT rate of the tenant's chart) is answered with that reason, leaves nothing in
// the books, and is logged "failed" with the reason; many of them at once, mixed with
// webhooks that book, are each answered promptly and each logged, so writing a failure's log
// row never holds up the group commit that the others wait for.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, assertError, eventBody, invoicePaid, nowS, sid } = require('./lib/stripe');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// A paid invoice that names its payment intent (so it books at once) and says its VAT:
// 12.34 of 100.00, a rate no chart has.
function oddTaxInvoice() {
  const pi = sid('pi_');
  const paidAt = nowS();
  const body = eventBody('invoice.payment_succeeded', {
    id: sid('in_'), object: 'invoice', account_name: 'ACME Software GmbH',
    amount_due: 10000, amount_paid: 10000, amount_remaining: 0, currency: 'eur',
    customer: 'cus_Odd', customer_email: 'odd@example.com', customer_name: 'Odd Tax GmbH',
    number: `ODD-${sid('')}`, payment_intent: pi, status: 'paid', tax: 1234,
    created: paidAt - 100, status_transitions: { paid_at: paidAt },
  });
  return { body, externalId: pi };
}

describe('a booking the books refuse', () => {
  test('is answered 422 with the reason, books nothing and is logged failed', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const res = await t.send(oddTaxInvoice().body);
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /tax of 1234 in 10000 .* no VAT rate/, res.text);
    const logs = await t.logs();
    assert.equal(logs.length, 1, JSON.stringify(logs));
    assert.equal(logs[0].status, 'failed');
    assert.match(logs[0].error, /no VAT rate/);
    assert.deepEqual(await t.invoices(), []);
    assert.deepEqual(await t.suppliers(), []);
    assert.deepEqual(await t.entries(), []);
  });

  test('forty at once, half of them refused: every one answered within seconds and logged',
       async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const sends = [];
    const good = [];
    for (let i = 0; i < 20; i++) {
      const ok = invoicePaid();
      good.push(ok.externalId);
      sends.push(t.send(ok.body), t.send(oddTaxInvoice().body));
    }
    const t0 = Date.now();
    const answers = await Promise.all(sends);
    const took = Date.now() - t0;
    assert.ok(took < 4000, `answered in ${took} ms`);
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 20, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 422).length, 20, statuses.join(' '));
    const logs = await t.logs();
    assert.equal(logs.filter((l) => l.status === 'failed').length, 20);
    assert.equal(logs.filter((l) => l.status === 'processed').length, 20);
    const booked = (await t.invoices()).map((i) => i.externalId).sort();
    assert.deepEqual(booked, good.sort());
  });
});
