// Posting what waits for review: with autoPost off a booked payment has no journal entry,
// GET /api/invoices?posted=false lists it, and POST /api/invoices/:id/post writes the entry
// autoPost would have written (same accounts, VAT code and amounts), once; a second post
// is 409 already_posted, another tenant's invoice 404, a member 403. A credit note posts
// only after its original, and mirrors it. With autoPost on, each invoice and credit note
// is stored naming the entry posted with it.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, assertBalanced, assertError, chargeRefunded, invoicePaid } =
  require('./lib/stripe');
const { datevExport, installDatev } = require('./lib/accounting');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function post(t, id, token = t.token) {
  return server.request(`/api/invoices/${id}/post`, { method: 'POST', token, json: {} });
}

// An entry's lines without ids, comparable across tenants.
function shape(entry) {
  return entry.lines.map((l) => ({ account: l.account, debit: l.debit, credit: l.credit,
                                   currency: l.currency, vatCode: l.vatCode }));
}

async function ids(t, posted) {
  return (await t.invoices({ posted })).map((i) => i.id).sort();
}

describe('POST /api/invoices/:id/post', () => {
  test('posts a waiting invoice exactly as autoPost would have, once', async () => {
    const config = { expenseAccount: '7600', vatRate: '20' };
    const manual = await StripeTenant.create(server, config);
    const auto = await StripeTenant.create(server, { ...config, autoPost: true });
    const pay = invoicePaid({ amount: 12000 });
    const booked = (await manual.send(pay.body)).json.results[0];
    assert.equal(booked.journalEntryId, undefined);
    const autoBooked = (await auto.send(pay.body)).json.results[0];
    assert.match(autoBooked.journalEntryId, /^je_/);

    assert.deepEqual(await ids(manual, 'false'), [booked.invoiceId]);
    assert.deepEqual(await ids(manual, 'true'), []);
    assert.equal((await manual.invoice(booked.invoiceId)).posted, false);
    assert.deepEqual(await manual.entries(), [], 'nothing in the journal before posting');

    const res = await post(manual, booked.invoiceId);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, booked.invoiceId);
    assert.equal(res.json.posted, true);
    assert.match(res.json.journalEntryId, /^je_/);

    const [entry] = await manual.entries();
    const [autoEntry] = await auto.entries();
    assert.equal(entry.id, res.json.journalEntryId);
    assert.equal(entry.invoiceId, booked.invoiceId);
    assert.equal((await manual.invoice(booked.invoiceId)).journalEntryId, entry.id,
                 'the posted invoice names its entry');
    // autoPost stores the invoice naming its entry: the same link, both ways
    assert.equal(autoEntry.id, autoBooked.journalEntryId);
    assert.equal(autoEntry.invoiceId, autoBooked.invoiceId);
    assert.equal((await auto.invoice(autoBooked.invoiceId)).journalEntryId, autoEntry.id);
    assert.equal((await auto.invoice(autoBooked.invoiceId)).posted, true);
    assert.equal(entry.date, autoEntry.date);
    assert.deepEqual(shape(entry), shape(autoEntry));
    assert.deepEqual(shape(entry).map((l) => l.vatCode), ['VSt20', 'VSt20', null]);
    await assertBalanced(manual);

    assert.deepEqual(await ids(manual, 'false'), []);
    assert.deepEqual(await ids(manual, 'true'), [booked.invoiceId]);

    const again = await post(manual, booked.invoiceId);
    assertError(again, 409, 'already_posted');
    assert.equal((await manual.entries()).length, 1, 'a second post writes nothing');
    assertError(await post(auto, autoBooked.invoiceId), 409, 'already_posted');
  });

  test('another tenant\'s invoice is 404, an unknown id 404, a member 403, a bad filter 400',
    async () => {
      const a = await StripeTenant.create(server);
      const b = await StripeTenant.create(server);
      const booked = (await a.send(invoicePaid().body)).json.results[0];
      assertError(await post(b, booked.invoiceId), 404, 'not_found');
      assertError(await post(a, 'inv_doesnotexist'), 404, 'not_found');
      const member = await server.createToken(a.tenantId, 'member');
      assertError(await post(a, booked.invoiceId, member), 403, 'forbidden');
      const bad = await server.request('/api/invoices?posted=maybe', { token: a.token });
      assertError(bad, 400, 'invalid_field');
      assert.equal((await a.invoice(booked.invoiceId)).posted, false, 'still waiting');
      assert.deepEqual(await a.entries(), []);
    });

  test('a credit note posts after its original, mirroring it', async () => {
    const t = await StripeTenant.create(server, { vatRate: '20' });
    const pay = invoicePaid({ amount: 6000 });
    const orig = (await t.send(pay.body)).json.results[0];
    const cn = (await t.send(chargeRefunded({ pi: pay.externalId, amount: 6000 }).body))
      .json.results[0];
    assert.equal(cn.invoiceType, 'gutschrift');
    assert.deepEqual(await ids(t, 'false'), [orig.invoiceId, cn.invoiceId].sort());

    const early = await post(t, cn.invoiceId);
    assertError(early, 409, 'conflict');
    assert.match(early.json.error.message, new RegExp(`post ${orig.invoiceId} first`));

    assert.equal((await post(t, orig.invoiceId)).status, 200);
    const res = await post(t, cn.invoiceId);
    assert.equal(res.status, 200, res.text);
    const entries = await t.entries();
    assert.equal(entries.length, 2);
    const { balances } = await t.balances();
    assert.ok(balances.every((b) => /^-?0\.00$/.test(b.balance)), JSON.stringify(balances));
    await assertBalanced(t);
  });

  test('until posted a payment is in no VAT return and no DATEV export; then it is',
    async () => {
      const paidAt = Math.floor(Date.parse('2026-03-10T12:00:00Z') / 1000);
      // the Austrian return, from an EKR tenant
      const at = await StripeTenant.create(server, { direction: 'revenue', vatRate: '20' });
      const atPay = (await at.send(invoicePaid({ amount: 12000, paidAt }).body)).json.results[0];
      const vat = async () => (await at.get('/api/vat-returns/at?period=2026-03')).json.tax.KZ022;
      assert.equal(await vat(), '0.00');
      assert.equal((await post(at, atPay.invoiceId)).status, 200);
      assert.equal(await vat(), '20.00');

      // the DATEV export, from an SKR03 tenant
      const de = await StripeTenant.create(server, { direction: 'revenue', vatRate: '19' });
      const settings = await server.request('/api/settings', { method: 'PUT', token: de.token,
                                                               json: { chart: 'skr03' } });
      assert.equal(settings.status, 200, settings.text);
      await installDatev(server, de.token);
      const dePay = (await de.send(invoicePaid({ amount: 11900, paidAt, number: 'WAIT-1' }).body))
        .json.results[0];
      const datev = async () => {
        const res = await datevExport(server, de.token, '2026-03-01', '2026-03-31');
        assert.equal(res.status, 200, res.bytes.toString('utf8'));
        return res.bytes.toString('latin1');
      };
      assert.doesNotMatch(await datev(), /WAIT-1/);
      assert.equal((await post(de, dePay.invoiceId)).status, 200);
      assert.match(await datev(), /WAIT-1/);
    });

  test('autoPost: a payment and its refund each name their own entry, duplicates add none, ' +
       'a zero payment names none', async () => {
    const t = await StripeTenant.create(server, { vatRate: '20', autoPost: true });
    const pay = invoicePaid({ amount: 12000 });
    const refund = chargeRefunded({ pi: pay.externalId, amount: 12000 });
    const zero = invoicePaid({ amount: 0 });
    const results = [];
    for (const body of [pay.body, pay.body, refund.body, refund.body, zero.body]) {
      const res = await t.send(body);
      assert.equal(res.status, 200, res.text);
      results.push(res.json.results[0]);
    }
    const [orig, , cn, cnAgain, nothing] = results;
    assert.equal(cn.invoiceType, 'gutschrift');
    assert.equal(cnAgain.journalEntryId, undefined, 'a duplicate posts nothing');
    assert.equal(nothing.journalEntryId, undefined, 'a zero payment has no entry');
    const entries = await t.entries();
    assert.equal(entries.length, 2, JSON.stringify(entries));
    for (const r of [orig, cn]) {
      assert.match(r.journalEntryId, /^je_/);
      const entry = entries.find((e) => e.id === r.journalEntryId);
      assert.ok(entry, `entry ${r.journalEntryId} of ${r.invoiceId} is in the journal`);
      assert.equal(entry.invoiceId, r.invoiceId);
      const inv = await t.invoice(r.invoiceId);
      assert.equal(inv.journalEntryId, r.journalEntryId);
      assert.equal(inv.posted, true);
    }
    const zeroInvoice = await t.invoice(nothing.invoiceId);
    assert.equal(zeroInvoice.posted, false);
    assert.equal(zeroInvoice.journalEntryId, null);
    assertError(await post(t, orig.invoiceId), 409, 'already_posted');
    await assertBalanced(t);
  });

  test('a zero invoice waits for nothing: not listed as waiting, and nothing to post',
    async () => {
      const t = await StripeTenant.create(server);
      const zero = (await t.send(invoicePaid({ amount: 0 }).body)).json.results[0];
      assert.deepEqual(await ids(t, 'false'), []);
      assertError(await post(t, zero.invoiceId), 409, 'conflict');
    });
});
