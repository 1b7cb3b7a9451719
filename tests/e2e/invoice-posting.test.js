// Posting what waits for review: with autoPost off a booked payment has no journal entry,
// GET /api/invoices?posted=false lists it, and POST /api/invoices/:id/post writes the entry
// autoPost would have written (same accounts, VAT code and amounts), once; a second post
// is 409 already_posted, another tenant's invoice 404, a member 403. A credit note posts
// only after its original, and mirrors it.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, assertBalanced, assertError, chargeRefunded, invoicePaid } =
  require('./lib/stripe');

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

  test('a zero invoice waits for nothing: not listed as waiting, and nothing to post',
    async () => {
      const t = await StripeTenant.create(server);
      const zero = (await t.send(invoicePaid({ amount: 0 }).body)).json.results[0];
      assert.deepEqual(await ids(t, 'false'), []);
      assertError(await post(t, zero.invoiceId), 409, 'conflict');
    });
});
