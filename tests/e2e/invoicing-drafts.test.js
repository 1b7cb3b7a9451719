// Drafts of outgoing invoices from tracked time (POST /api/invoices/from-time-entries): a
// week of entries becomes one line per project with the exact total, minutes are rounded up
// per entry as the invoice profile says (none, 6, 15), rates come from the entry, the
// request or the customer's default (a 422 names the entries without one), each entry goes
// into one draft only (also when ten requests race), and deleting a draft frees its entries.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { assertError } = require('./lib/stripe');
const {
  draft, insertEntries, invoicingTenant, minor, rows, week,
} = require('./lib/invoicing');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// minutes * rate / 60, half up, in minor units (BigInt), as one line's net.
function lineNet(minutes, rateMinor) {
  return (BigInt(minutes) * BigInt(rateMinor) * 2n + 60n) / 120n;
}

function roundUp(minutes, unit) {
  return unit ? Math.ceil(minutes / unit) * unit : minutes;
}

describe('a draft from a week of time entries', () => {
  test('one line per project at the request\'s rate, exact net, VAT and gross', async () => {
    const t = await invoicingTenant(server);
    const ids = insertEntries(server, t, week());
    // Outside the period, unbillable, deleted upstream, another client: none is taken.
    insertEntries(server, t, [{ start: '2026-04-01T08:00:00.000Z', minutes: 60, project: 'Website' },
                              { start: '2026-03-03T08:00:00.000Z', minutes: 60, billable: false }]);
    insertEntries(server, t, [{ start: '2026-03-03T08:00:00.000Z', minutes: 60 }],
                  { client: 'Somebody Else' });
    const [gone] = insertEntries(server, t, [{ start: '2026-03-04T08:00:00.000Z', minutes: 60 }]);
    rows(server, `UPDATE time_entries SET deleted_at = '2026-03-05T00:00:00.000Z' WHERE id = '${gone}'`);

    const res = await draft(server, t, { rate: '80.00', from: '2026-03-02', to: '2026-03-06' });
    assert.equal(res.status, 201, res.text);
    const d = res.json;
    assert.match(d.id, /^drf_/);
    assert.equal(d.status, 'draft');
    assert.equal(d.customerId, t.customer.id);
    assert.deepEqual(d.period, { from: '2026-03-02', to: '2026-03-06' });
    assert.deepEqual(d.lines.map((l) => [l.description, l.minutes, l.rate, l.net, l.entries]), [
      ['Website', 520, '80.00', '693.33', 5],  // 90+97+104+111+118 min = 8 h 40 min
      ['Support', 335, '80.00', '446.67', 5],  // 45+56+67+78+89 min = 5 h 35 min
    ]);
    assert.equal(d.net, '1140.00');
    assert.equal(d.taxTreatment, 'domestic');
    assert.equal(d.taxRate, '20.00');
    assert.equal(d.tax, '228.00');
    assert.equal(d.gross, '1368.00');
    assert.equal(minor(d.net) + minor(d.tax), minor(d.gross));
    assert.equal(d.lines.reduce((s, l) => s + minor(l.net), 0n), minor(d.net));
    assert.deepEqual(d.entries.map((e) => e.id).sort(), [...ids].sort());

    const again = await server.request(`/api/invoices/${d.id}`, { token: t.token });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.gross, '1368.00');
  });

  test('groupBy entry: one line per entry, dated, with its description', async () => {
    const t = await invoicingTenant(server);
    insertEntries(server, t, week().slice(0, 3));
    const res = await draft(server, t, { rate: '100', groupBy: 'entry' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.lines.map((l) => [l.description, l.minutes, l.net]), [
      ['2026-03-02 Website: Relaunch day 1', 90, '150.00'],
      ['2026-03-02 Support: Tickets day 1', 45, '75.00'],
      ['2026-03-03 Website: Relaunch day 2', 97, '161.67'],
    ]);
    assert.equal(res.json.net, '386.67');
  });
});

describe('rounding of minutes per entry (invoice profile roundingMinutes)', () => {
  for (const unit of [0, 6, 15]) {
    test(`${unit === 0 ? 'none' : `${unit} minutes`}: each entry rounded up, then priced`, async () => {
      const t = await invoicingTenant(server, { profile: { roundingMinutes: unit } });
      const entries = week();
      insertEntries(server, t, entries);
      const res = await draft(server, t, { rate: '80.00' });
      assert.equal(res.status, 201, res.text);
      for (const project of ['Website', 'Support']) {
        const minutes = entries.filter((e) => e.project === project)
          .reduce((s, e) => s + roundUp(e.minutes, unit), 0);
        const line = res.json.lines.find((l) => l.description === project);
        assert.equal(line.minutes, minutes, `${project} minutes`);
        assert.equal(minor(line.net), lineNet(minutes, 8000), `${project} net`);
      }
      const expected = { 0: ['1140.00', '1368.00'], 6: ['1176.00', '1411.20'],
                         15: ['1200.00', '1440.00'] }[unit];
      assert.deepEqual([res.json.net, res.json.gross], expected);
      assert.equal(res.json.roundingMinutes, unit);
      const billed = res.json.entries.map((e) => e.billedMinutes).sort((a, b) => a - b);
      assert.deepEqual(billed, entries.map((e) => roundUp(e.minutes, unit)).sort((a, b) => a - b));
    });
  }

  test('the profile refuses a rounding other than 0, 6 or 15', async () => {
    const t = await invoicingTenant(server);
    const res = await server.request('/api/settings/invoicing', {
      method: 'PUT', token: t.token, json: { roundingMinutes: 10 },
    });
    assertError(res, 422, 'validation_failed');
    assert.equal(res.json.error.fields[0].field, 'roundingMinutes');
  });
});

describe('rates', () => {
  test('the entry\'s own rate wins, then the request\'s, then the customer\'s default', async () => {
    const t = await invoicingTenant(server, { billing: { defaultRate: '60.00' } });
    insertEntries(server, t, [
      { start: '2026-03-02T08:00:00.000Z', minutes: 60, project: 'A', rateMinor: 12000 },
      { start: '2026-03-02T10:00:00.000Z', minutes: 60, project: 'A' },
    ]);
    let res = await draft(server, t, {});
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.lines.map((l) => [l.description, l.rate, l.net]),
                     [['A', '120.00', '120.00'], ['A', '60.00', '60.00']]);
    await server.request(`/api/invoices/${res.json.id}`, { method: 'DELETE', token: t.token });
    res = await draft(server, t, { rate: '90.00' });
    assert.deepEqual(res.json.lines.map((l) => [l.rate, l.net]),
                     [['120.00', '120.00'], ['90.00', '90.00']]);
  });

  test('entries without any rate: 422 rate_missing naming each of them, nothing reserved', async () => {
    const t = await invoicingTenant(server);
    const [withRate, a, b] = insertEntries(server, t, [
      { start: '2026-03-02T08:00:00.000Z', minutes: 30, rateMinor: 5000 },
      { start: '2026-03-03T08:00:00.000Z', minutes: 30 },
      { start: '2026-03-04T08:00:00.000Z', minutes: 30, rateMinor: 7000, currency: 'USD' },
    ]);
    const res = await draft(server, t, {});
    assertError(res, 422, 'rate_missing');
    assert.deepEqual(res.json.error.entries.map((e) => e.id), [a, b]);
    assert.match(res.json.error.entries[1].reason, /currency/);
    assert.ok(!res.json.error.entries.some((e) => e.id === withRate));
    assert.deepEqual(rows(server, `SELECT COUNT(*) AS n FROM invoice_time_entries WHERE tenant_id = '${t.tenantId}'`),
                     [{ n: 0 }]);
  });

  test('a customer without billing details, a bad period, no entries: clear errors', async () => {
    const t = await invoicingTenant(server);
    let res = await server.request('/api/customers', {
      method: 'POST', token: t.token, json: { name: 'Bare', billing: { city: 'Graz' } },
    });
    assertError(res, 422, 'validation_failed');
    assert.deepEqual(res.json.error.fields.map((f) => f.field).sort(),
                     ['billing.country', 'billing.postalCode', 'billing.street']);
    res = await draft(server, t, { from: '2026-03-31', to: '2026-03-01' });
    assertError(res, 422, 'validation_failed');
    res = await draft(server, t, { rate: '80' });
    assertError(res, 422, 'nothing_to_invoice');
    res = await draft(server, t, { client: 'cus_unknown', rate: '80' });
    assertError(res, 404, 'not_found');
    res = await draft(server, t, { groupBy: 'client' });
    assertError(res, 422, 'validation_failed');
  });
});

describe('billing details and the invoice profile', () => {
  test('a customer\'s billing details are read back as saved; another tenant\'s customer is not found', async () => {
    const t = await invoicingTenant(server);
    const other = await invoicingTenant(server);
    const billing = { street: 'Ring 1', postalCode: '8010', city: 'Graz', country: 'AT',
                      defaultRate: '95.50', buyerReference: '04011000-12345-67' };
    let res = await server.request(`/api/customers/${t.customer.id}/billing`,
                                   { method: 'PUT', token: t.token, json: billing });
    assert.equal(res.status, 200, res.text);
    res = await server.request(`/api/customers/${t.customer.id}/billing`, { token: t.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.billing.defaultRate, '95.50');
    assert.equal(res.json.billing.buyerReference, '04011000-12345-67');
    assert.equal(res.json.billing.vatId, null);
    assertError(await server.request(`/api/customers/${t.customer.id}/billing`,
                                     { method: 'PUT', token: other.token, json: billing }), 404, 'not_found');
    assertError(await server.request(`/api/customers/${t.customer.id}/billing`, { token: other.token }),
                404, 'not_found');
    res = await server.request(`/api/customers/${t.customer.id}/billing`, {
      method: 'PUT', token: t.token, json: { ...billing, vatId: 'AT123', defaultRate: '-1', extra: 1 },
    });
    assertError(res, 422, 'validation_failed');
    assert.deepEqual(res.json.error.fields.map((f) => f.field).sort(), ['defaultRate', 'extra', 'vatId']);
    const member = await server.createToken(t.tenantId, 'member');
    assertError(await server.request(`/api/customers/${t.customer.id}/billing`,
                                     { method: 'PUT', token: member, json: billing }), 403, 'forbidden');
    assertError(await draft(server, { ...t, token: member }, { rate: '80' }), 403, 'forbidden');
  });

  test('the profile reads back as saved, with its defaults', async () => {
    const t = await invoicingTenant(server, { profile: { vatRate: '10', paymentDays: 30 } });
    const res = await server.request('/api/settings/invoicing', { token: t.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.vatRate, '10.00');
    assert.equal(res.json.paymentDays, 30);
    assert.equal(res.json.roundingMinutes, 0);
    assert.equal(res.json.currency, 'EUR');
    insertEntries(server, t, week().slice(0, 1));
    const d = await draft(server, t, { rate: '80.00' });
    assert.equal(d.json.taxRate, '10.00');
    assert.equal(d.json.tax, '12.00'); // 10 % of 120.00 (90 minutes)
  });
});

describe('an entry goes into one draft only', () => {
  test('a second draft of the same period finds nothing; deleting the first frees them', async () => {
    const t = await invoicingTenant(server);
    const ids = insertEntries(server, t, week());
    const first = await draft(server, t, { rate: '80.00' });
    assert.equal(first.status, 201, first.text);
    assertError(await draft(server, t, { rate: '80.00' }), 422, 'nothing_to_invoice');

    const del = await server.request(`/api/invoices/${first.json.id}`, { method: 'DELETE', token: t.token });
    assert.equal(del.status, 204, del.text);
    assertError(await server.request(`/api/invoices/${first.json.id}`, { token: t.token }), 404, 'not_found');
    const second = await draft(server, t, { rate: '80.00' });
    assert.equal(second.status, 201, second.text);
    assert.deepEqual(second.json.entries.map((e) => e.id).sort(), [...ids].sort());
    assert.equal(second.json.gross, '1368.00');
  });

  test('ten concurrent requests for the same customer: exactly one draft gets each entry', async () => {
    const t = await invoicingTenant(server);
    const ids = insertEntries(server, t, week());
    const answers = await Promise.all(Array.from({ length: 10 }, () => draft(server, t, { rate: '80.00' })));
    const made = answers.filter((r) => r.status === 201);
    for (const r of answers.filter((x) => x.status !== 201))
      assert.ok(['nothing_to_invoice', 'conflict'].includes(r.json.error.code), r.text);
    const taken = made.flatMap((r) => r.json.entries.map((e) => e.id));
    assert.equal(new Set(taken).size, taken.length, 'an entry is in two drafts');
    assert.deepEqual([...taken].sort(), [...ids].sort());
    const stored = rows(server, 'SELECT time_entry_id AS id, COUNT(*) AS n FROM invoice_time_entries ' +
                                `WHERE tenant_id = '${t.tenantId}' GROUP BY time_entry_id`);
    assert.equal(stored.length, ids.length);
    assert.ok(stored.every((r) => r.n === 1));
  });

  test('another tenant cannot see, delete or finalize a draft', async () => {
    const t = await invoicingTenant(server);
    const other = await invoicingTenant(server);
    insertEntries(server, t, week().slice(0, 2));
    const d = await draft(server, t, { rate: '80.00' });
    assert.equal(d.status, 201, d.text);
    assertError(await server.request(`/api/invoices/${d.json.id}`, { token: other.token }), 404, 'not_found');
    assertError(await server.request(`/api/invoices/${d.json.id}`, { method: 'DELETE', token: other.token }),
                404, 'not_found');
    assertError(await server.request(`/api/invoices/${d.json.id}/finalize`, { method: 'POST', token: other.token }),
                404, 'not_found');
  });
});
