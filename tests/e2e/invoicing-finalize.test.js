// Finalizing a draft (POST /api/invoices/:id/finalize): the next number of the tenant's
// gap-free sequence for the fiscal year (1..20 under 20 concurrent finalizations, no gap, no
// duplicate), a booked ausgangsrechnung with its revenue entry (receivables debited, revenue
// and VAT credited), the time entries marked invoiced, invoice.created delivered to the
// destinations that take it; a finalized invoice is never changed (409 invoice_finalized).
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');
const { assertError } = require('./lib/stripe');
const {
  customer, draft, finalize, insertEntries, invoicingTenant, rows, week, BUYER,
} = require('./lib/invoicing');

let server;
let mock;

before(async () => {
  mock = await MockServices.start();
  server = await startServer();
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

function fiscalYear() {
  return String(new Date().getUTCFullYear());
}

describe('finalizing a draft', () => {
  test('a numbered, booked invoice with its revenue entry; the entries are invoiced', async () => {
    const t = await invoicingTenant(server);
    const ids = insertEntries(server, t, week());
    const d = await draft(server, t, { rate: '80.00' });
    assert.equal(d.status, 201, d.text);
    const res = await finalize(server, t, d.json.id);
    assert.equal(res.status, 201, res.text);
    const inv = res.json;
    assert.match(inv.id, /^inv_/);
    assert.equal(inv.invoiceNumber, `${fiscalYear()}-00001`);
    assert.equal(inv.draftId, d.json.id);
    assert.deepEqual([inv.net, inv.tax, inv.gross], ['1140.00', '228.00', '1368.00']);

    const booked = await server.request(`/api/invoices/${inv.id}`, { token: t.token });
    assert.equal(booked.status, 200, booked.text);
    assert.equal(booked.json.type, 'ausgangsrechnung');
    assert.equal(booked.json.customerId, t.customer.id);
    assert.equal(booked.json.totalGross, '1368.00');
    assert.equal(booked.json.totalTax, '228.00');
    assert.equal(booked.json.posted, true);
    assert.equal(booked.json.lines[0].taxTreatment, 'domestic');

    const entries = await server.request('/api/ledger/entries', { token: t.token });
    const entry = entries.json.entries.find((e) => e.id === booked.json.journalEntryId);
    assert.ok(entry, entries.text);
    // EKR: 2000 Lieferforderungen debited with the gross, 4000 Erlöse and 3500 USt credited.
    assert.deepEqual(entry.lines.map((l) => [l.account, l.debit, l.credit]), [
      ['4000', '0.00', '1140.00'], ['3500', '0.00', '228.00'], ['2000', '1368.00', '0.00'],
    ]);

    const invoiced = rows(server, 'SELECT time_entry_id AS id FROM invoice_time_entries ' +
                                  `WHERE invoice_id = '${inv.id}' ORDER BY time_entry_id`);
    assert.deepEqual(invoiced.map((r) => r.id), [...ids].sort());
    const shown = await server.request(`/api/invoices/${d.json.id}`, { token: t.token });
    assert.equal(shown.json.status, 'finalized');
    assert.equal(shown.json.invoiceId, inv.id);
    // Finalized entries are in no further draft.
    assertError(await draft(server, t, { rate: '80.00' }), 422, 'nothing_to_invoice');
  });

  test('a finalized invoice is never changed: finalize, DELETE of the draft and of the invoice answer 409', async () => {
    const t = await invoicingTenant(server);
    insertEntries(server, t, week().slice(0, 2));
    const d = await draft(server, t, { rate: '80.00' });
    const inv = await finalize(server, t, d.json.id);
    assert.equal(inv.status, 201, inv.text);
    assertError(await finalize(server, t, d.json.id), 409, 'invoice_finalized');
    assertError(await server.request(`/api/invoices/${d.json.id}`, { method: 'DELETE', token: t.token }),
                409, 'invoice_finalized');
    assertError(await server.request(`/api/invoices/${inv.json.id}`, { method: 'DELETE', token: t.token }),
                409, 'invoice_finalized');
    // The store refuses a change behind the API too.
    assert.throws(() => rows(server, `UPDATE invoice_lines SET net_minor = 1 WHERE invoice_id = '${inv.json.id}'`),
                  /append-only/);
    const after = await server.request(`/api/invoices/${inv.json.id}`, { token: t.token });
    assert.equal(after.json.totalGross, inv.json.gross);
  });

  test('an entry deleted upstream after the draft was made stops its finalization', async () => {
    const t = await invoicingTenant(server);
    const [first] = insertEntries(server, t, week().slice(0, 2));
    const d = await draft(server, t, { rate: '80.00' });
    rows(server, `UPDATE time_entries SET deleted_at = '2026-03-09T00:00:00.000Z' WHERE id = '${first}'`);
    assertError(await finalize(server, t, d.json.id), 409, 'conflict');
    const seq = rows(server, `SELECT COUNT(*) AS n FROM invoice_sequences WHERE tenant_id = '${t.tenantId}'`);
    assert.deepEqual(seq, [{ n: 0 }], 'the refused finalization used no number');
  });

  test('the seller\'s address must be set before an invoice is issued', async () => {
    const t = await invoicingTenant(server, { profile: { street: null } });
    insertEntries(server, t, week().slice(0, 1));
    const d = await draft(server, t, { rate: '80.00' });
    const res = await finalize(server, t, d.json.id);
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /street/);
  });
});

describe('gap-free numbering', () => {
  test('20 concurrent finalizations get the numbers 1 to 20, each once', async () => {
    const t = await invoicingTenant(server);
    const drafts = [];
    for (let i = 0; i < 20; i++) {
      const c = await customer(server, t, `Client ${i}`, BUYER);
      insertEntries(server, t, [{ start: '2026-03-02T08:00:00.000Z', minutes: 60 + i }],
                    { client: c.name });
      const d = await draft(server, t, { client: c.id, rate: '50.00' });
      assert.equal(d.status, 201, d.text);
      drafts.push(d.json.id);
    }
    const answers = await Promise.all(drafts.map((id) => finalize(server, t, id)));
    for (const a of answers) assert.equal(a.status, 201, a.text);
    const numbers = answers.map((a) => a.json.invoiceNumber);
    assert.ok(numbers.every((n) => n.startsWith(`${fiscalYear()}-`)), numbers.join(' '));
    const seq = numbers.map((n) => Number(n.split('-')[1])).sort((a, b) => a - b);
    assert.deepEqual(seq, Array.from({ length: 20 }, (_, i) => i + 1));
    // A later one continues the sequence.
    const c = await customer(server, t, 'Late client', BUYER);
    insertEntries(server, t, [{ start: '2026-03-03T08:00:00.000Z', minutes: 30 }], { client: c.name });
    const d = await draft(server, t, { client: c.id, rate: '50.00' });
    const last = await finalize(server, t, d.json.id);
    assert.equal(last.json.invoiceNumber, `${fiscalYear()}-00021`);
    // Another tenant has its own sequence.
    const u = await invoicingTenant(server);
    insertEntries(server, u, week().slice(0, 1));
    const ud = await draft(server, u, { rate: '50.00' });
    assert.equal((await finalize(server, u, ud.json.id)).json.invoiceNumber, `${fiscalYear()}-00001`);
  });
});

describe('invoice.created', () => {
  test('goes to the destinations subscribed to it, with the invoice\'s number and amount', async () => {
    const t = await invoicingTenant(server);
    const p = new Project(server, t);
    const ep = mock.endpoint('make');
    await p.destination(ep, ['invoice.created']);
    insertEntries(server, t, week());
    const d = await draft(server, t, { rate: '80.00' });
    const inv = await finalize(server, t, d.json.id);
    assert.equal(inv.status, 201, inv.text);
    const [req] = await ep.waitFor(1, 8000, 'invoice.created');
    assert.equal(req.json.type, 'invoice.created');
    const data = req.json.data;
    assert.equal(data.invoiceId, inv.json.id);
    assert.equal(data.invoiceNumber, inv.json.invoiceNumber);
    assert.equal(data.amount, '1368.00');
    assert.equal(data.amountMinor, 136800);
    assert.equal(data.currency, 'EUR');
    assert.deepEqual([data.from, data.to], ['2026-03-01', '2026-03-31']);
    assert.equal(data.party.id, t.customer.id);
    assert.equal(data.party.name, t.customer.name);
  });
});
