// Tenant settings (GET/PUT /api/settings): the defaults, validation with field-level errors,
// admins only, and what the pipeline books with them: the chart's default accounts (a
// connector's own accounts still win), VAT codes when the connector names its VAT rate,
// and the tenant's customer milestones.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { assertBalanced, assertError } = require('./lib/stripe');
const { booksTenant, pay, refund } = require('./lib/accounting');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function put(t, json) {
  return server.request('/api/settings', { method: 'PUT', token: t.token, json });
}

// The field errors of a 422 as {field: code}.
function fieldErrors(res) {
  assertError(res, 422, 'validation_failed');
  return Object.fromEntries(res.json.error.fields.map((f) => [f.field, f.code]));
}

// The lines of an entry as [account, debit, credit, vatCode].
function lines(entry) {
  return entry.lines.map((l) => [l.account, l.debit, l.credit, l.vatCode]);
}

describe('GET and PUT /api/settings', () => {
  test('a new tenant has the defaults: EKR, Europe/Vienna, 01-01, no VAT number', async () => {
    const t = await booksTenant(server);
    const res = await server.request('/api/settings', { token: t.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      chart: 'ekr', timeZone: 'Europe/Vienna', fiscalYearStart: '01-01', vatNumber: null,
      milestones: [100, 1000, 10000], country: 'AT', smallBusiness: false, oneStopShop: false,
      supplies: 'services',
      accounts: { bank: '2800', clearing: '2880', expense: '7990', revenue: '4000',
                  inputVat: '2500', outputVat: '3500' },
    });
  });

  test('PUT replaces them; GET reads them back; fields left out take their defaults',
    async () => {
      const t = await booksTenant(server);
      const want = { chart: 'skr04', timeZone: 'Europe/Berlin', fiscalYearStart: '07-01',
                     vatNumber: 'DE123456789', milestones: [5000, 50] };
      const res = await put(t, want);
      assert.equal(res.status, 200, res.text);
      const got = (await server.request('/api/settings', { token: t.token })).json;
      assert.deepEqual(got, { ...want, milestones: [50, 5000], country: 'DE',
                              smallBusiness: false, oneStopShop: false, supplies: 'services',
                              accounts: { bank: '1800', clearing: '1460', expense: '6300',
                                          revenue: '4400', inputVat: '1406',
                                          outputVat: '3806' } });
      const partial = await put(t, { chart: 'skr03' });
      assert.equal(partial.status, 200, partial.text);
      assert.equal(partial.json.timeZone, 'Europe/Vienna');
      assert.equal(partial.json.vatNumber, null);
      assert.deepEqual(partial.json.milestones, [100, 1000, 10000]);
      assert.equal(partial.json.accounts.clearing, '1360');
      assert.deepEqual((await put(t, { milestones: [] })).json.milestones, []);
    });

  test('every field is validated; all errors come at once', async () => {
    const t = await booksTenant(server);
    assert.deepEqual(fieldErrors(await put(t, {
      chart: 'skr05', timeZone: 'Mars/Olympus_Mons', fiscalYearStart: '02-29',
      vatNumber: 'ATU1234567', milestones: [100, 0], color: 'blue',
    })), { chart: 'not_allowed', timeZone: 'not_allowed', fiscalYearStart: 'pattern_mismatch',
           vatNumber: 'pattern_mismatch', milestones: 'out_of_range', color: 'unknown_field' });
    assert.deepEqual(fieldErrors(await put(t, { chart: 3, milestones: '100' })),
                     { chart: 'wrong_type', milestones: 'wrong_type' });
    assert.deepEqual(fieldErrors(await put(t, { timeZone: 'vienna' })),
                     { timeZone: 'pattern_mismatch' });
    assert.deepEqual(fieldErrors(await put(t, { timeZone: 'America/New_York' })),
                     { timeZone: 'not_allowed' }, 'a real zone outside the EU rule');
    for (const bad of ['13-01', '1-1', '0101', '04-31'])
      assert.deepEqual(fieldErrors(await put(t, { fiscalYearStart: bad })),
                       { fiscalYearStart: 'pattern_mismatch' }, bad);
    for (const bad of ['atu12345678', 'ATU 12345678', 'DE12345678', 'US123456789', 'ATU123456789'])
      assert.deepEqual(fieldErrors(await put(t, { vatNumber: bad })),
                       { vatNumber: 'pattern_mismatch' }, bad);
    for (const bad of [[100, 100], [1.5], ['100'], [-1], Array.from({ length: 11 }, (_, i) => i + 1)])
      assert.ok(fieldErrors(await put(t, { milestones: bad })).milestones, JSON.stringify(bad));
    for (const ok of ['ATU12345678', 'DE123456789', 'FRXX123456789', 'NL123456789B01', 'EL123456789'])
      assert.equal((await put(t, { vatNumber: ok })).status, 200, ok);
    for (const ok of ['UTC', 'Europe/London', 'Europe/Helsinki', 'Europe/Vienna'])
      assert.equal((await put(t, { timeZone: ok })).status, 200, ok);
    // a refused PUT changed nothing
    await put(t, { chart: 'skr03' });
    await put(t, { chart: 'nope' });
    assert.equal((await server.request('/api/settings', { token: t.token })).json.chart, 'skr03');
  });

  test('the tax settings: the country is the chart\'s, Kleinunternehmer and one-stop shop',
    async () => {
      const t = await booksTenant(server);
      const res = await put(t, { chart: 'skr03', country: 'DE', oneStopShop: true,
                                 supplies: 'goods' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.country, 'DE');
      assert.equal(res.json.oneStopShop, true);
      assert.equal(res.json.smallBusiness, false);
      assert.equal(res.json.supplies, 'goods');
      const got = (await server.request('/api/settings', { token: t.token })).json;
      assert.equal(got.oneStopShop, true);
      assert.equal(got.supplies, 'goods');
      assert.deepEqual(fieldErrors(await put(t, { chart: 'ekr', country: 'DE' })),
                       { country: 'not_allowed' }, 'a German tenant books in SKR');
      assert.deepEqual(fieldErrors(await put(t, { country: 'FR' })), { country: 'not_allowed' });
      assert.deepEqual(fieldErrors(await put(t, { smallBusiness: 'yes', supplies: 'both' })),
                       { smallBusiness: 'wrong_type', supplies: 'not_allowed' });
      assert.deepEqual(fieldErrors(await put(t, { smallBusiness: true, oneStopShop: true })),
                       { oneStopShop: 'not_allowed' });
      assert.equal((await put(t, { smallBusiness: true })).json.smallBusiness, true);
    });

  test('the body must be a JSON object; members may not read or write settings', async () => {
    const t = await booksTenant(server);
    assertError(await server.request('/api/settings', {
      method: 'PUT', token: t.token, body: '[1]', headers: { 'content-type': 'application/json' },
    }), 400, 'bad_request');
    const member = await server.createToken(t.tenantId, 'member');
    assertError(await server.request('/api/settings', { token: member }), 403, 'forbidden');
    assertError(await put({ token: member }, { chart: 'skr03' }), 403, 'forbidden');
    assertError(await server.request('/api/settings'), 401, 'unauthorized');
  });
});

describe('the pipeline books with the tenant\'s chart', () => {
  test('SKR03: debit 4900, credit 1360; the connector\'s own accounts still win', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr03' } });
    await pay(t, '2026-03-02', { amount: 1000 });
    await t.configure({ autoPost: true, expenseAccount: '4964' });
    await pay(t, '2026-03-03', { amount: 2000 });
    const entries = await t.entries();
    assert.deepEqual(entries.map(lines), [
      [['4964', '20.00', '0.00', null], ['1360', '0.00', '20.00', null]],
      [['4900', '10.00', '0.00', null], ['1360', '0.00', '10.00', null]],
    ]);
  });

  test('SKR04 revenue: debit 1460, credit 4400', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr04' },
                                          stripe: { direction: 'revenue' } });
    await pay(t, '2026-03-02', { amount: 5000 });
    assert.deepEqual(lines((await t.entries())[0]),
                     [['4400', '0.00', '50.00', null], ['1460', '50.00', '0.00', null]]);
  });

  test('a vatRate splits the tax out to the chart\'s VAT account, both lines coded', async () => {
    const t = await booksTenant(server, { stripe: { vatRate: '20' } });
    const p = await pay(t, '2026-03-02', { amount: 12000 });
    assert.deepEqual(lines((await t.entries())[0]), [
      ['7990', '100.00', '0.00', 'VSt20'], ['2500', '20.00', '0.00', 'VSt20'],
      ['2880', '0.00', '120.00', null],
    ]);
    // a partial refund mirrors it: the same accounts and code, sides swapped
    const cn = await refund(t, '2026-03-05', { pi: p.externalId, amount: 12000, refunded: 6000 });
    const reversal = (await t.entries()).find((e) => e.id === cn.journalEntryId);
    assert.deepEqual(lines(reversal), [
      ['7990', '0.00', '50.00', 'VSt20'], ['2500', '0.00', '10.00', 'VSt20'],
      ['2880', '60.00', '0.00', null],
    ]);
    const bal = await assertBalanced(t);
    assert.equal(bal['2500 EUR'], '10.00');

    const rev = await booksTenant(server, { settings: { chart: 'skr03' },
                                            stripe: { direction: 'revenue', vatRate: '7' } });
    await pay(rev, '2026-03-02', { amount: 10700 });
    assert.deepEqual(lines((await rev.entries())[0]), [
      ['8400', '0.00', '100.00', 'USt7'], ['1771', '0.00', '7.00', 'USt7'],
      ['1360', '107.00', '0.00', null],
    ]);
  });

  test('a refund keeps the original\'s accounts when the chart changed in between', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr03' } });
    const p = await pay(t, '2026-03-02', { amount: 3000 });
    assert.equal((await put(t, { chart: 'ekr' })).status, 200);
    const cn = await refund(t, '2026-03-05', { pi: p.externalId, amount: 3000 });
    const reversal = (await t.entries()).find((e) => e.id === cn.journalEntryId);
    assert.deepEqual(lines(reversal), [['4900', '0.00', '30.00', null],
                                       ['1360', '30.00', '0.00', null]]);
  });

  test('a vatRate the chart does not have fails the webhook with a message, books nothing',
    async () => {
      const t = await booksTenant(server, { stripe: { vatRate: '19' } }); // EKR has no 19 %
      const res = await t.send(require('./lib/stripe').invoicePaid({ amount: 500 }).body);
      assertError(res, 422, 'validation_failed');
      assert.match(res.json.error.message, /vatRate 19 %.*ekr/);
      assert.deepEqual(await t.invoices(), []);
      assert.equal((await t.logCounts()).failed, 1);
    });

  test('customer milestones come from the settings', async () => {
    const t = await booksTenant(server, { settings: { milestones: [50, 120] },
                                          stripe: { direction: 'revenue' } });
    await pay(t, '2026-03-02', { amount: 4000, customer: 'cus_M1' });
    await pay(t, '2026-03-03', { amount: 4000, customer: 'cus_M1' });
    await pay(t, '2026-03-04', { amount: 9000, customer: 'cus_M1' });
    const res = await server.request(`/api/projects/${t.tenantId}/events?limit=100`,
                                     { token: t.token });
    assert.equal(res.status, 200, res.text);
    const crossed = res.json.events.filter((e) => e.type === 'customer.milestone')
      .map((e) => e.data.threshold).sort();
    assert.deepEqual(crossed, ['120.00', '50.00']);
  });
});
