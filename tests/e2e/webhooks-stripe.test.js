// Stripe webhooks through the whole pipeline: a payment signed by the official SDK books an
// incoming invoice in seed 002's shape; anything not signed with the install's secret over
// the exact bytes, or older than 300 s, is refused and logged as invalid_signature; the same
// payment twice is booked once; amounts keep each currency's own decimals; bodies that cannot
// be booked are refused without a trace in the books; refunds book credit notes; autoPost,
// direction and defaultSupplierId decide the journal entry and the counterpart.
//
// Each behaviour gets a tenant of its own, so counts of invoices, parties, entries and log
// rows are exact.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const {
  StripeTenant, assertBalanced, assertError, chargeRefunded, eventBody, invoiceFailed,
  invoicePaid, newSecret, nowS, sid, sign, v1Of,
} = require('./lib/stripe');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// 2026-03-22T14:30:00Z, the paid_at of the seed's example.
const SEED_PAID_AT = 1774189800;

// The lines of a journal entry as {account: [debit, credit]} in minor units, as numbers.
function linesOf(entry) {
  const out = {};
  for (const l of entry.lines) {
    const minor = (s) => Number(s.replace('.', ''));
    const [d, c] = out[l.account] || [0, 0];
    out[l.account] = [d + minor(l.debit), c + minor(l.credit)];
  }
  return out;
}

// The answer to one booked payment: 200, processed, one result; returns the result.
function assertBooked(res, event = 'invoice.payment_succeeded') {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'processed', res.text);
  assert.ok(Array.isArray(res.json.results) && res.json.results.length === 1, res.text);
  const r = res.json.results[0];
  assert.equal(r.event, event);
  assert.equal(r.status, 'processed');
  assert.match(r.invoiceId, /^inv_/, res.text);
  return r;
}

describe('a paid Stripe invoice', () => {
  test('books an eingangsrechnung in seed 002\'s shape and answers 200 processed', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid({ paidAt: SEED_PAID_AT, number: 'ACME-1001' });
    const res = await t.send(pay.body);
    const r = assertBooked(res);
    assert.equal(r.externalId, pay.externalId);
    assert.equal(r.invoiceType, 'eingangsrechnung');
    assert.equal(r.totalGross, '99.00');
    assert.equal(r.currency, 'EUR');
    assert.match(r.partyId, /^sup_/);
    assert.equal(r.journalEntryId, undefined, 'autoPost is off by default');

    const inv = await t.invoice(r.invoiceId);
    const seed = {
      type: 'eingangsrechnung',
      supplierId: r.partyId,
      invoiceNumber: 'ACME-1001',
      invoiceDate: '2026-03-22',
      totalGross: '99.00',
      currency: 'EUR',
      source: 'stripe',
      externalId: pay.externalId,
    };
    for (const [k, v] of Object.entries(seed)) assert.equal(inv[k], v, `invoice.${k}`);
    assert.equal(inv.journalEntryId, null);

    const invoices = await t.invoices();
    assert.deepEqual(invoices.map((i) => i.id), [r.invoiceId]);
    const suppliers = await t.suppliers();
    assert.equal(suppliers.length, 1);
    assert.equal(suppliers[0].id, r.partyId);
    assert.equal(suppliers[0].name, 'ACME Software GmbH');
    assert.deepEqual(await t.customers(), [], 'an expense books no customer');
    assert.deepEqual(await t.entries(), [], 'autoPost off: no journal entry');

    const logs = await t.logs();
    assert.equal(logs.length, 1);
    assert.equal(logs[0].provider, 'stripe');
    assert.equal(logs[0].event, 'invoice.payment_succeeded');
    assert.equal(logs[0].status, 'processed');
    assert.equal(logs[0].externalId, pay.externalId);
    assert.match(logs[0].receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(logs[0].processedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('an invoice without a number is numbered by its externalId', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid({ number: undefined });
    const r = assertBooked(await t.send(pay.body));
    assert.equal((await t.invoice(r.invoiceId)).invoiceNumber, pay.externalId);
  });

  test('the same payment again is a duplicate: 200, nothing new booked, logged duplicate',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const pay = invoicePaid();
      const first = assertBooked(await t.send(pay.body));
      // a redelivery of the same event, freshly signed as Stripe does on a retry
      const again = await t.send(pay.body);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.status, 'duplicate');
      assert.equal(again.json.results.length, 1);
      assert.equal(again.json.results[0].status, 'duplicate');
      assert.equal(again.json.results[0].externalId, pay.externalId);
      assert.equal(again.json.results[0].invoiceId, undefined);
      // Stripe also sends invoice.paid for the same payment: the same externalId
      const paid = invoicePaid({ type: 'invoice.paid', pi: pay.externalId, number: pay.number });
      const third = await t.send(paid.body);
      assert.equal(third.status, 200, third.text);
      assert.equal(third.json.status, 'duplicate');

      assert.deepEqual((await t.invoices()).map((i) => i.id), [first.invoiceId]);
      assert.equal((await t.suppliers()).length, 1, 'a duplicate leaves no supplier behind');
      assert.equal((await t.entries()).length, 1, 'one journal entry');
      const logs = await t.logs();
      assert.deepEqual(logs.map((l) => l.status), ['duplicate', 'duplicate', 'processed']);
      assert.ok(logs.every((l) => l.externalId === pay.externalId));
    });
});

describe('Stripe signatures', () => {
  // Sends a request the signature check must refuse; asserts 400 invalid_signature, one
  // more invalid_signature log row, and nothing booked.
  async function assertRefused(t, send, what) {
    const before = (await t.logs({ status: 'invalid_signature' })).length;
    const res = await send();
    assertError(res, 400, 'invalid_signature');
    const rows = await t.logs({ status: 'invalid_signature' });
    assert.equal(rows.length, before + 1, `${what}: one invalid_signature log row`);
    assert.equal(rows[0].provider, 'stripe');
    assert.equal(typeof rows[0].error, 'string', `${what}: the log row says why`);
    assert.deepEqual(await t.invoices(), [], `${what}: nothing booked`);
    assert.deepEqual(await t.suppliers(), [], `${what}: no supplier`);
  }

  test('a wrong secret is refused: 400 invalid_signature, logged', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid();
    await assertRefused(t, () => t.send(pay.body, { secret: newSecret() }), 'wrong secret');
  });

  test('a changed body byte is refused', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid();
    const header = sign(pay.body, t.secret);
    const changed = pay.body.replace('"amount_paid":9900', '"amount_paid":9901');
    assert.notEqual(changed, pay.body);
    assert.equal(Buffer.byteLength(changed), Buffer.byteLength(pay.body));
    await assertRefused(t, () => t.post(changed, { headers: { 'stripe-signature': header } }),
                        'changed byte');
    // one byte more, at the end
    await assertRefused(t, () => t.post(pay.body + ' ',
                                        { headers: { 'stripe-signature': header } }), 'extra byte');
  });

  test('a stale timestamp (301 s old) is a replay and refused', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid();
    await assertRefused(t, () => t.send(pay.body, { timestamp: nowS() - 301 }), 'stale');
  });

  test('a missing or empty Stripe-Signature header is refused', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid();
    await assertRefused(t, () => t.post(pay.body), 'missing header');
    await assertRefused(t, () => t.post(pay.body, { headers: { 'stripe-signature': '' } }),
                        'empty header');
  });

  test('signatures the SDK would not accept are refused: uppercase hex, only v0, no t',
    async () => {
      const t = await StripeTenant.create(server);
      const pay = invoicePaid();
      const ts = nowS();
      const sig = v1Of(sign(pay.body, t.secret, ts));
      await assertRefused(t, () => t.post(pay.body, {
        headers: { 'stripe-signature': `t=${ts},v1=${sig.toUpperCase()}` } }), 'uppercase');
      await assertRefused(t, () => t.post(pay.body, {
        headers: { 'stripe-signature': `t=${ts},v0=${sig}` } }), 'v0 only');
      await assertRefused(t, () => t.post(pay.body, {
        headers: { 'stripe-signature': `v1=${sig}` } }), 'no t');
      await assertRefused(t, () => t.post(pay.body, {
        headers: { 'stripe-signature': `t=${ts}, v1=${sig}` } }), 'space after the comma');
    });

  test('a refused request leaves nothing that stops the genuine one from booking', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid();
    await assertRefused(t, () => t.send(pay.body, { secret: newSecret() }), 'wrong secret');
    assertBooked(await t.send(pay.body));
    // a timestamp well inside the tolerance is fine too
    assertBooked(await t.send(invoicePaid().body, { timestamp: nowS() - 240 }));
    assert.equal((await t.invoices()).length, 2);
  });

  test('secret rotation: two v1 signatures, the right one second, is accepted', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid();
    const ts = nowS();
    const retired = newSecret();
    // only the retired secret's signature is not enough
    await assertRefused(t, () => t.post(pay.body, {
      headers: { 'stripe-signature': `t=${ts},v1=${v1Of(sign(pay.body, retired, ts))}` } }),
                        'retired secret only');
    const header = `t=${ts},v1=${v1Of(sign(pay.body, retired, ts))}` +
                   `,v1=${v1Of(sign(pay.body, t.secret, ts))}`;
    const r = assertBooked(await t.post(pay.body, { headers: { 'stripe-signature': header } }));
    assert.equal(r.externalId, pay.externalId);
    assert.equal((await t.invoices()).length, 1);
  });
});

describe('Stripe amounts and bodies that cannot be booked', () => {
  test('JPY has no decimals: amount_paid 1500 is "1500"', async () => {
    const t = await StripeTenant.create(server);
    const r = assertBooked(await t.send(invoicePaid({ amount: 1500, currency: 'jpy' }).body));
    assert.equal(r.totalGross, '1500');
    assert.equal(r.currency, 'JPY');
    const inv = await t.invoice(r.invoiceId);
    assert.equal(inv.totalGross, '1500');
    assert.equal(inv.currency, 'JPY');
  });

  test('KWD has three decimals: amount_paid 12345 is "12.345"', async () => {
    const t = await StripeTenant.create(server);
    const r = assertBooked(await t.send(invoicePaid({ amount: 12345, currency: 'kwd' }).body));
    assert.equal(r.totalGross, '12.345');
    const inv = await t.invoice(r.invoiceId);
    assert.equal(inv.totalGross, '12.345');
    assert.equal(inv.currency, 'KWD');
    const small = assertBooked(await t.send(invoicePaid({ amount: 5, currency: 'eur' }).body));
    assert.equal(small.totalGross, '0.05');
  });

  test('an unknown currency is 400 invalid_payload, logged failed, nothing booked', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const pay = invoicePaid({ currency: 'xyz' });
    assertError(await t.send(pay.body), 400, 'invalid_payload');
    const logs = await t.logs();
    assert.equal(logs.length, 1);
    assert.equal(logs[0].status, 'failed');
    assert.match(logs[0].error, /currency/i);
    assert.deepEqual(await t.invoices(), []);
    assert.deepEqual(await t.suppliers(), []);
    assert.deepEqual(await t.entries(), []);
  });

  test('a malformed JSON body with a valid signature is 400 invalid_payload, nothing booked',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      for (const body of ['{"id":"evt_1","type":"invoice.payment_succeeded","data":{"object":{',
                          'not json at all', '[]',
                          '{"id":"evt_2","type":"invoice.payment_succeeded"}']) {
        assertError(await t.send(body), 400, 'invalid_payload');
      }
      const logs = await t.logs();
      assert.equal(logs.length, 4);
      assert.ok(logs.every((l) => l.status === 'failed' && typeof l.error === 'string'),
                JSON.stringify(logs));
      assert.deepEqual(await t.invoices(), []);
      assert.deepEqual(await t.suppliers(), []);
      assert.deepEqual(await t.entries(), []);
    });

  test('a paid invoice without amount_paid is invalid_payload', async () => {
    const t = await StripeTenant.create(server);
    const body = eventBody('invoice.payment_succeeded',
                           { id: sid('in_'), object: 'invoice', currency: 'eur',
                             payment_intent: sid('pi_'), status: 'paid' });
    assertError(await t.send(body), 400, 'invalid_payload');
    assert.deepEqual(await t.invoices(), []);
  });

  test('an event type that is not booked is 200 processed with a detail', async () => {
    const t = await StripeTenant.create(server);
    const body = eventBody('customer.created',
                           { id: sid('cus_'), object: 'customer', email: 'new@example.com' });
    const res = await t.send(body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'processed');
    assert.equal(res.json.results.length, 1);
    const r = res.json.results[0];
    assert.equal(r.event, 'customer.created');
    assert.equal(r.status, 'processed');
    assert.equal(r.invoiceId, undefined);
    assert.equal(typeof r.detail, 'string');
    assert.ok(r.detail.length > 0);
    const logs = await t.logs();
    assert.equal(logs.length, 1);
    assert.equal(logs[0].status, 'processed');
    assert.equal(logs[0].event, 'customer.created');
    assert.equal(logs[0].detail, r.detail);
    assert.deepEqual(await t.invoices(), []);
    assert.deepEqual(await t.customers(), []);
  });

  test('invoice.payment_failed is 200 processed and books no invoice', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const fail = invoiceFailed({ amount: 4900 });
    const res = await t.send(fail.body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'processed');
    const r = res.json.results[0];
    assert.equal(r.event, 'invoice.payment_failed');
    assert.equal(r.invoiceId, undefined);
    assert.equal(typeof r.detail, 'string');
    const logs = await t.logs();
    assert.equal(logs.length, 1);
    assert.equal(logs[0].status, 'processed');
    assert.equal(logs[0].event, 'invoice.payment_failed');
    assert.deepEqual(await t.invoices(), []);
    assert.deepEqual(await t.suppliers(), []);
    assert.deepEqual(await t.entries(), []);
    // the payment may still succeed later, and then it books
    const later = invoicePaid({ pi: fail.externalId, amount: 4900 });
    assertBooked(await t.send(later.body));
  });
});

describe('Stripe refunds and the ledger', () => {
  test('autoPost on: a balanced entry, debit expenseAccount, credit clearingAccount', async () => {
    const t = await StripeTenant.create(server, { autoPost: true, expenseAccount: '6815',
                                                  clearingAccount: '1361' });
    const r = assertBooked(await t.send(invoicePaid({ amount: 9900 }).body));
    assert.match(r.journalEntryId, /^je_/);
    const entries = await t.entries();
    assert.equal(entries.length, 1);
    assert.equal(entries[0].id, r.journalEntryId);
    assert.equal(entries[0].invoiceId, r.invoiceId);
    assert.deepEqual(linesOf(entries[0]), { 6815: [9900, 0], 1361: [0, 9900] });
    assert.ok(entries[0].lines.every((l) => l.currency === 'EUR'));
    assert.equal((await t.invoice(r.invoiceId)).journalEntryId, r.journalEntryId);
    const bal = await assertBalanced(t);
    assert.equal(bal['6815 EUR'], '99.00');
    assert.equal(bal['1361 EUR'], '-99.00');
  });

  test('autoPost on without accounts: the default chart (EKR), debit 7990, credit 2880',
    async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const r = assertBooked(await t.send(invoicePaid({ amount: 1250 }).body));
    const [entry] = await t.entries();
    assert.equal(entry.id, r.journalEntryId);
    assert.deepEqual(linesOf(entry), { 7990: [1250, 0], 2880: [0, 1250] });
  });

  test('autoPost on, a zero-amount paid invoice (a trial) books the invoice and no entry',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const pay = invoicePaid({ amount: 0 });
      const r = assertBooked(await t.send(pay.body));
      assert.equal(r.totalGross, '0.00');
      assert.equal(r.journalEntryId, undefined);
      assert.equal((await t.invoice(r.invoiceId)).journalEntryId, null);
      assert.deepEqual(await t.entries(), []);
      assert.deepEqual(await t.logCounts(),
                       { processed: 1, duplicate: 0, failed: 0, invalid_signature: 0 });
      // its refund of nothing is a credit note without an entry too
      const cn = assertBooked(await t.send(chargeRefunded({ pi: pay.externalId, amount: 0,
                                                            refunded: 0 }).body),
                              'charge.refunded');
      assert.equal(cn.totalGross, '0.00');
      assert.deepEqual(await t.entries(), []);
      // and the next paid invoice posts as usual
      const next = assertBooked(await t.send(invoicePaid({ amount: 100 }).body));
      assert.match(next.journalEntryId, /^je_/);
      await assertBalanced(t);
    });

  test('autoPost off: the invoice is booked, no journal entry', async () => {
    const t = await StripeTenant.create(server, { autoPost: false, expenseAccount: '6815' });
    const pay = invoicePaid();
    const r = assertBooked(await t.send(pay.body));
    assert.equal(r.journalEntryId, undefined);
    assert.equal((await t.invoice(r.invoiceId)).journalEntryId, null);
    // the refund books its credit note, but no reversal of an entry that does not exist
    const refund = chargeRefunded({ pi: pay.externalId });
    const res = await t.send(refund.body);
    const cn = assertBooked(res, 'charge.refunded');
    assert.equal(cn.invoiceType, 'gutschrift');
    assert.equal(cn.journalEntryId, undefined);
    assert.deepEqual(await t.entries(), []);
    assert.deepEqual((await t.balances()).balances, []);
  });

  test('charge.refunded books a gutschrift against the original and the reversing entry',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true, expenseAccount: '6815' });
      const pay = invoicePaid({ amount: 9900 });
      const orig = assertBooked(await t.send(pay.body));
      const refund = chargeRefunded({ pi: pay.externalId, amount: 9900 });
      const res = await t.send(refund.body);
      const cn = assertBooked(res, 'charge.refunded');
      assert.equal(cn.invoiceType, 'gutschrift');
      assert.equal(cn.totalGross, '99.00');
      assert.equal(cn.partyId, orig.partyId);
      assert.match(cn.journalEntryId, /^je_/);

      const note = await t.invoice(cn.invoiceId);
      assert.equal(note.type, 'gutschrift');
      assert.equal(note.relatedInvoiceId, orig.invoiceId);
      assert.equal(note.supplierId, orig.partyId);
      assert.equal(note.totalGross, '99.00');
      assert.equal(note.currency, 'EUR');
      assert.equal(note.source, 'stripe');
      assert.equal(note.externalId, refund.eventId);
      assert.equal(note.journalEntryId, cn.journalEntryId);

      const entries = await t.entries();
      assert.equal(entries.length, 2);
      const reversal = entries.find((e) => e.id === cn.journalEntryId);
      assert.equal(reversal.invoiceId, cn.invoiceId);
      assert.deepEqual(linesOf(reversal), { 6815: [0, 9900], 2880: [9900, 0] });
      const bal = await assertBalanced(t);
      assert.equal(bal['6815 EUR'], '0.00');
      assert.equal(bal['2880 EUR'], '0.00');

      // the refund event again is a duplicate
      const again = await t.send(refund.body);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.status, 'duplicate');
      assert.equal((await t.invoices({ type: 'gutschrift' })).length, 1);
      assert.equal((await t.entries()).length, 2);
    });

  test('partial refunds: each event credits the growth of amount_refunded', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    const pay = invoicePaid({ amount: 9900 });
    assertBooked(await t.send(pay.body));
    const first = assertBooked(await t.send(chargeRefunded({ pi: pay.externalId, amount: 9900,
                                                              refunded: 3000, before: 0 }).body),
                               'charge.refunded');
    const second = assertBooked(await t.send(chargeRefunded({ pi: pay.externalId, amount: 9900,
                                                               refunded: 9900, before: 3000 }).body),
                                'charge.refunded');
    assert.equal(first.totalGross, '30.00');
    assert.equal(second.totalGross, '69.00');
    const bal = await assertBalanced(t);
    assert.equal(bal['7990 EUR'], '0.00');
    assert.equal(bal['2880 EUR'], '0.00');
  });

  test('a refund of a payment never booked here is 200 with a detail and books nothing',
    async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const res = await t.send(chargeRefunded({ pi: sid('pi_') }).body);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.status, 'processed');
      assert.equal(res.json.results[0].invoiceId, undefined);
      assert.equal(typeof res.json.results[0].detail, 'string');
      assert.deepEqual(await t.invoices(), []);
      assert.deepEqual(await t.entries(), []);
    });
});

describe('Stripe with direction "revenue"', () => {
  test('books an ausgangsrechnung for the customer: debit clearing, credit revenue', async () => {
    const t = await StripeTenant.create(server, { autoPost: true, direction: 'revenue',
                                                  revenueAccount: '8401' });
    const a = assertBooked(await t.send(invoicePaid({ customer: 'cus_A', email: 'a@example.com',
                                                      name: 'Anna Example', amount: 2000 }).body));
    assert.equal(a.invoiceType, 'ausgangsrechnung');
    assert.match(a.partyId, /^cus_/);
    const inv = await t.invoice(a.invoiceId);
    assert.equal(inv.type, 'ausgangsrechnung');
    assert.equal(inv.customerId, a.partyId);
    assert.equal(inv.supplierId, undefined);
    assert.deepEqual(linesOf((await t.entries())[0]), { 2880: [2000, 0], 8401: [0, 2000] });

    // matched by the Stripe customer id (another email), then by email (another customer id)
    const byId = assertBooked(await t.send(invoicePaid({ customer: 'cus_A',
                                                         email: 'other@example.com' }).body));
    const byEmail = assertBooked(await t.send(invoicePaid({ customer: 'cus_B',
                                                            email: 'a@example.com' }).body));
    assert.equal(byId.partyId, a.partyId);
    assert.equal(byEmail.partyId, a.partyId);
    // neither matches: a new customer
    const fresh = assertBooked(await t.send(invoicePaid({ customer: 'cus_C',
                                                          email: 'c@example.com',
                                                          name: 'Carl Example' }).body));
    assert.notEqual(fresh.partyId, a.partyId);

    const customers = await t.customers();
    assert.equal(customers.length, 2);
    const anna = customers.find((c) => c.id === a.partyId);
    assert.equal(anna.name, 'Anna Example');
    assert.equal(anna.email, 'a@example.com');
    assert.equal(anna.provider, 'stripe');
    assert.equal(anna.providerRef, 'cus_A');
    const carl = customers.find((c) => c.id === fresh.partyId);
    assert.equal(carl.providerRef, 'cus_C');
    assert.deepEqual(await t.suppliers(), [], 'revenue books no supplier');

    const bal = await assertBalanced(t);
    assert.equal(bal['2880 EUR'], '317.00');
    assert.equal(bal['8401 EUR'], '-317.00');
  });

  test('a refund of a customer payment reverses it: debit revenue, credit clearing', async () => {
    const t = await StripeTenant.create(server, { autoPost: true, direction: 'revenue' });
    const pay = invoicePaid({ amount: 5000 });
    const orig = assertBooked(await t.send(pay.body));
    const cn = assertBooked(await t.send(chargeRefunded({ pi: pay.externalId, amount: 5000 }).body),
                            'charge.refunded');
    const note = await t.invoice(cn.invoiceId);
    assert.equal(note.type, 'gutschrift');
    assert.equal(note.customerId, orig.partyId);
    assert.equal(note.relatedInvoiceId, orig.invoiceId);
    const reversal = (await t.entries()).find((e) => e.id === cn.journalEntryId);
    assert.deepEqual(linesOf(reversal), { 4000: [5000, 0], 2880: [0, 5000] });
    const bal = await assertBalanced(t);
    assert.equal(bal['4000 EUR'], '0.00');
  });
});

describe('Stripe with defaultSupplierId', () => {
  test('an existing default supplier is used when no supplier matches; a match still wins',
    async () => {
      const t = await StripeTenant.create(server);
      // no default yet: every unmatched payment creates its supplier
      const alpha = assertBooked(await t.send(invoicePaid({ accountName: 'Alpha GmbH' }).body));
      const connect = assertBooked(await t.send(invoicePaid({ accountName: 'Connected GmbH',
                                                              account: 'acct_1Connected' }).body));
      assert.notEqual(alpha.partyId, connect.partyId);
      assert.equal((await t.suppliers()).length, 2);

      // the default is set; the webhook secret, omitted, is kept
      const view = await t.configure({ defaultSupplierId: alpha.partyId });
      assert.equal(view.config.defaultSupplierId, alpha.partyId);
      const beta = assertBooked(await t.send(invoicePaid({ accountName: 'Beta GmbH' }).body));
      assert.equal(beta.partyId, alpha.partyId, 'the default supplier is used');
      const again = assertBooked(await t.send(invoicePaid({ accountName: 'Connected GmbH',
                                                            account: 'acct_1Connected' }).body));
      assert.equal(again.partyId, connect.partyId, 'a supplier matched by id wins over the default');
      const suppliers = await t.suppliers();
      assert.equal(suppliers.length, 2, 'no supplier was created');
      assert.equal((await t.invoice(beta.invoiceId)).supplierId, alpha.partyId);

      // a default that names no supplier of this tenant is not used
      await t.configure({ defaultSupplierId: 'sup_00000000000000000000000000000000' });
      const gamma = assertBooked(await t.send(invoicePaid({ accountName: 'Gamma GmbH' }).body));
      assert.ok(![alpha.partyId, connect.partyId].includes(gamma.partyId));
      assert.equal((await t.suppliers()).length, 3);
    });
});
