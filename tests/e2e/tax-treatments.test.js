// Tax treatments of invoice lines and the returns that read them: an Austrian tenant with
// the one-stop shop (U30 and OSS list), a German one (UStVA and DATEV lines), a
// Kleinunternehmer, and a Stripe fee from Ireland under reverse charge. Every figure below
// is worked out by hand from the bookings listed above each tenant.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { assertError, eventBody, sid } = require('./lib/stripe');
const { booksTenant, datevExport, installDatev, noon, parseExtf, refund } =
  require('./lib/accounting');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// A paid Stripe invoice (API before basil: it names its payment intent, so it books at once)
// with what Stripe says about the customer and the tax: customer_address.country,
// customer_tax_ids [{type: eu_vat}], tax, and the receiving account's account_country.
function invoiceEvent({ day, amount, tax, country, vatId, accountCountry, accountName }) {
  const number = `TX-${sid('').slice(0, 10)}`;
  const pi = sid('pi_');
  const object = {
    id: sid('in_'), object: 'invoice', account_name: accountName || 'ACME Software GmbH',
    account_country: accountCountry, amount_due: amount, amount_paid: amount,
    amount_remaining: 0, currency: 'eur', customer: sid('cus_'),
    customer_email: `${sid('c')}@example.com`, customer_name: 'Customer',
    customer_address: country ? { country } : undefined,
    customer_tax_ids: vatId ? [{ type: 'eu_vat', value: vatId }] : [],
    number, payment_intent: pi, status: 'paid', tax,
    created: noon(day) - 100, status_transitions: { paid_at: noon(day) },
  };
  return { body: eventBody('invoice.payment_succeeded', object), number, pi };
}

// Books it; resolves {invoiceId, number}. Every one is accepted, classifiable or not.
async function book(t, opts) {
  const ev = invoiceEvent(opts);
  const res = await t.send(ev.body);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.results[0].status, 'processed', res.text);
  return { invoiceId: res.json.results[0].invoiceId, number: ev.number, pi: ev.pi };
}

async function installFon(t) {
  const res = await server.request('/api/connectors/finanzonline/install', {
    method: 'POST', token: t.token,
    json: { config: { participantId: 'T1234567ab', userId: 'WSUSER01', pin: 'pin-12345',
                      taxNumber: '12-345/6789' } },
  });
  assert.equal(res.status, 201, res.text);
}

async function get(t, path) {
  return server.request(path, { token: t.token });
}

// The invoice's one line as {treatment, country, rate, vatId, note}.
async function lineOf(t, invoiceId) {
  const inv = await t.invoice(invoiceId);
  assert.equal(inv.lines.length, 1, JSON.stringify(inv));
  const l = inv.lines[0];
  assert.equal(l.amount, inv.totalGross);
  return { treatment: l.taxTreatment, country: l.taxCountry, rate: l.taxRate, vatId: l.vatId,
           note: l.taxNote };
}

// An Austrian tenant (EKR) that sells goods and uses the one-stop shop; February 2026:
//   02-02 AT consumer, 120.00 incl. 20.00 VAT         domestic 20 %: KZ022 100.00
//   02-03 DE business DE123456789, 500.00, no VAT     intra-EU goods: KZ017 500.00
//   02-04 DE consumer, 119.00 incl. 19.00 VAT         OSS DE 19 %: net 100.00, tax 19.00
//   02-05 IT consumer, 110.00 incl. 10.00 VAT         OSS IT 10 %: net 100.00, tax 10.00
//   02-06 CH customer, 300.00, no VAT                 export: KZ011 300.00
//   02-07 AT customer, 50.00, no VAT figure at all    unclassified, named
//   02-08 expense: Stripe (account_country IE) 15.00  reverse charge: KZ057 = KZ066 = 3.00
//   02-20 refund of 59.50 of the DE consumer's 119.00 OSS DE: net -50.00, tax -9.50
// KZ000 = 100 + 500 + 300 = 900.00; KZ095 = 20.00 + 3.00 - 3.00 = 20.00; OSS 150.00 outside.
describe('an Austrian tenant with the one-stop shop', () => {
  let A;
  const booked = {};

  before(async () => {
    A = await booksTenant(server, {
      settings: { vatNumber: 'ATU12345678', oneStopShop: true, supplies: 'goods' },
      stripe: { direction: 'revenue' },
    });
    booked.domestic = await book(A, { day: '2026-02-02', amount: 12000, tax: 2000, country: 'AT' });
    booked.b2b = await book(A, { day: '2026-02-03', amount: 50000, tax: 0, country: 'DE',
                                 vatId: 'DE123456789' });
    booked.ossDe = await book(A, { day: '2026-02-04', amount: 11900, tax: 1900, country: 'DE' });
    booked.ossIt = await book(A, { day: '2026-02-05', amount: 11000, tax: 1000, country: 'IT' });
    booked.export = await book(A, { day: '2026-02-06', amount: 30000, country: 'CH' });
    booked.unknown = await book(A, { day: '2026-02-07', amount: 5000, country: 'AT' });
    await A.configure({ direction: 'expense' });
    booked.fee = await book(A, { day: '2026-02-08', amount: 1500, tax: 0, accountCountry: 'IE',
                                 accountName: 'Stripe Payments Europe, Ltd.' });
    booked.refund = await refund(A, '2026-02-20', { pi: booked.ossDe.pi, amount: 11900,
                                                    refunded: 5950 });
  });

  test('every invoice line has its treatment, listed in the invoice JSON', async () => {
    assert.deepEqual(await lineOf(A, booked.domestic.invoiceId),
                     { treatment: 'domestic', country: 'AT', rate: '20.00', vatId: null, note: null });
    assert.deepEqual(await lineOf(A, booked.b2b.invoiceId),
                     { treatment: 'intra_eu_goods', country: 'DE', rate: '0.00',
                       vatId: 'DE123456789', note: null });
    assert.deepEqual(await lineOf(A, booked.ossDe.invoiceId),
                     { treatment: 'oss', country: 'DE', rate: '19.00', vatId: null, note: null });
    assert.deepEqual(await lineOf(A, booked.ossIt.invoiceId),
                     { treatment: 'oss', country: 'IT', rate: '10.00', vatId: null, note: null });
    assert.deepEqual(await lineOf(A, booked.export.invoiceId),
                     { treatment: 'export', country: 'CH', rate: '0.00', vatId: null, note: null });
    const unknown = await lineOf(A, booked.unknown.invoiceId);
    assert.equal(unknown.treatment, 'unclassified');
    assert.match(unknown.note, /neither the payload nor the connector/);
    assert.deepEqual(await lineOf(A, booked.refund.invoiceId),
                     { treatment: 'oss', country: 'DE', rate: '19.00', vatId: null, note: null },
                     'a credit note corrects under its invoice\'s treatment');
    assert.deepEqual(await lineOf(A, booked.fee.invoiceId),
                     { treatment: 'reverse_charge_received', country: 'IE', rate: '20.00',
                       vatId: null, note: null });
  });

  test('the U30 fills each treatment\'s Kennzahl and names what it cannot classify', async () => {
    const res = await get(A, '/api/vat-returns/at?period=2026-02');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      period: '2026-02', from: '2026-02-01', to: '2026-02-28', currency: 'EUR',
      KZ000: '900.00', KZ011: '300.00', KZ017: '500.00', KZ016: '0.00',
      KZ022: '100.00', KZ029: '0.00', KZ006: '0.00', KZ057: '3.00',
      KZ060: '0.00', KZ066: '3.00',
      tax: { KZ022: '20.00', KZ029: '0.00', KZ006: '0.00' }, KZ095: '20.00',
      // the German 19 % never lands in a domestic Kennzahl
      outside: { oss: '150.00', intraEuServices: '0.00', nonEuServices: '0.00' },
      unclassified: [{ invoiceId: booked.unknown.invoiceId,
                       reason: 'neither the payload nor the connector (vatRate) says the VAT of this sale' }],
      unclassifiedCount: 1,
      submissions: [],
    });
  });

  test('the OSS list: per member state and rate, net and tax; quarters only', async () => {
    const res = await get(A, '/api/vat-returns/oss?period=2026-Q1');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      period: '2026-Q1', from: '2026-01-01', to: '2026-03-31', currency: 'EUR',
      lines: [{ country: 'DE', rate: '19.00', net: '50.00', tax: '9.50' },
              { country: 'IT', rate: '10.00', net: '100.00', tax: '10.00' }],
      totalTax: '19.50', unclassified: [], unclassifiedCount: 0,
    });
    assertError(await get(A, '/api/vat-returns/oss?period=2026-02'), 400, 'invalid_field');
    assertError(await get(A, '/api/vat-returns/oss'), 400, 'invalid_field');
    const member = await server.createToken(A.tenantId, 'member');
    assertError(await server.request('/api/vat-returns/oss?period=2026-Q1', { token: member }),
                403, 'forbidden');
  });

  test('the U30 document is not made while a booking is unclassified', async () => {
    await installFon(A);
    const res = await get(A, '/api/vat-returns/at/xml?period=2026-02');
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message,
                 new RegExp(`1 booking\\(s\\) of 2026-02 cannot be classified \\(first: invoice ${booked.unknown.invoiceId}`));
  });

  test('the German return is for German charts', async () => {
    const res = await get(A, '/api/vat-returns/de?period=2026-02');
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /German chart/);
  });
});

// A German tenant (SKR03) that sells services and uses the one-stop shop; January 2026:
//   01-05 DE consumer, 119.00 incl. 19.00 VAT         KZ81 100.00 (tax 19.00); 8400, no BU
//   01-06 FR business FRXX123456789, 400.00, no VAT    KZ21 400.00; 8336, its VAT id
//   01-07 AT consumer, 120.00 incl. 20.00 VAT         OSS AT 20 %; 8320, BU 10, AT, 20,00
//   01-08 US customer, 250.00, no VAT                 KZ45 250.00; 8338
//   01-09 expense: Stripe (IE) 15.00, no VAT          KZ46 15.00, KZ47 2.85, KZ67 2.85; BU 46
// KZ83 = 19.00 + 2.85 - 0.00 - 2.85 = 19.00.
describe('a German tenant: UStVA and DATEV lines', () => {
  let D;
  const booked = {};

  before(async () => {
    D = await booksTenant(server, { settings: { chart: 'skr03', vatNumber: 'DE123456789',
                                                oneStopShop: true },
                                    stripe: { direction: 'revenue' } });
    await installDatev(server, D.token);
    booked.domestic = await book(D, { day: '2026-01-05', amount: 11900, tax: 1900, country: 'DE' });
    booked.b2b = await book(D, { day: '2026-01-06', amount: 40000, tax: 0, country: 'FR',
                                 vatId: 'FRXX123456789' });
    booked.oss = await book(D, { day: '2026-01-07', amount: 12000, tax: 2000, country: 'AT' });
    booked.abroad = await book(D, { day: '2026-01-08', amount: 25000, country: 'US' });
    await D.configure({ direction: 'expense' });
    booked.fee = await book(D, { day: '2026-01-09', amount: 1500, tax: 0, accountCountry: 'IE',
                                 accountName: 'Stripe Payments Europe, Ltd.' });
  });

  test('GET /api/vat-returns/de: the UStVA figures', async () => {
    const res = await get(D, '/api/vat-returns/de?period=2026-01');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      period: '2026-01', from: '2026-01-01', to: '2026-01-31', currency: 'EUR',
      KZ81: '100.00', KZ81tax: '19.00', KZ86: '0.00', KZ86tax: '0.00', KZ41: '0.00',
      KZ21: '400.00', KZ43: '0.00', KZ45: '250.00', KZ46: '15.00', KZ47: '2.85',
      KZ84: '0.00', KZ85: '0.00', KZ66: '0.00', KZ67: '2.85', KZ83: '19.00',
      outside: { oss: '100.00', smallBusiness: '0.00' },
      unclassified: [], unclassifiedCount: 0,
    });
    const oss = await get(D, '/api/vat-returns/oss?period=2026-Q1');
    assert.deepEqual(oss.json.lines, [{ country: 'AT', rate: '20.00', net: '100.00', tax: '20.00' }]);
    assertError(await get(D, '/api/vat-returns/at?period=2026-01'), 422, 'validation_failed');
  });

  test('DATEV lines carry the BU-Schlüssel and EU fields of each treatment', async () => {
    const res = await datevExport(server, D.token, '2026-01-01', '2026-01-31');
    assert.equal(res.status, 200, res.bytes.toString('utf8'));
    const { lines } = parseExtf(res.bytes);
    const rows = lines.slice(2);
    assert.equal(rows.length, 5);
    for (const r of rows) assert.equal(r.values.length, 125);
    // [Umsatz, S/H, WKZ, Konto, Gegenkonto, BU, Belegdatum, EU-Land u. UStID, EU-Steuersatz]
    const pick = (number) => {
      const r = rows.find((l) => l.values[10] === number);
      assert.ok(r, `no DATEV line for ${number}`);
      const v = r.values;
      return [v[0], v[1], v[2], v[6], v[7], v[8], v[9], v[39], v[40]];
    };
    assert.deepEqual(pick(booked.domestic.number),
                     ['119,00', 'H', 'EUR', '8400', '1360', '', '0501', '', '']);
    assert.deepEqual(pick(booked.b2b.number),
                     ['400,00', 'H', 'EUR', '8336', '1360', '', '0601', 'FRXX123456789', '']);
    assert.deepEqual(pick(booked.oss.number),
                     ['120,00', 'H', 'EUR', '8320', '1360', '10', '0701', 'AT', '20,00']);
    assert.deepEqual(pick(booked.abroad.number),
                     ['250,00', 'H', 'EUR', '8338', '1360', '', '0801', '', '']);
    assert.deepEqual(pick(booked.fee.number),
                     ['15,00', 'S', 'EUR', '4900', '1360', '46', '0901', '', '']);
  });
});

// A Kleinunternehmer in Austria; March 2026:
//   03-02 AT customer, 50.00, no VAT                  KZ016 50.00, in KZ000
//   03-03 expense: Stripe (IE) 10.00                  KZ057 2.00 owed, no KZ066
// KZ095 = 2.00.
describe('a Kleinunternehmer', () => {
  test('sells exempt (KZ016) and owes reverse-charge tax without deducting it', async () => {
    const K = await booksTenant(server, { settings: { smallBusiness: true },
                                          stripe: { direction: 'revenue' } });
    const sale = await book(K, { day: '2026-03-02', amount: 5000, country: 'AT' });
    assert.equal((await lineOf(K, sale.invoiceId)).treatment, 'small_business');
    await K.configure({ direction: 'expense' });
    await book(K, { day: '2026-03-03', amount: 1000, accountCountry: 'IE' });
    const res = await get(K, '/api/vat-returns/at?period=2026-03');
    assert.equal(res.status, 200, res.text);
    const pickKz = ({ KZ000, KZ016, KZ022, KZ057, KZ060, KZ066, KZ095 }) =>
      ({ KZ000, KZ016, KZ022, KZ057, KZ060, KZ066, KZ095 });
    assert.deepEqual(pickKz(res.json), { KZ000: '50.00', KZ016: '50.00', KZ022: '0.00',
                                         KZ057: '2.00', KZ060: '0.00', KZ066: '0.00',
                                         KZ095: '2.00' });
    assert.deepEqual(res.json.unclassified, []);
    await installFon(K);
    const xml = (await get(K, '/api/vat-returns/at/xml?period=2026-03')).text;
    assert.match(xml, /<KZ000 type="kz">50\.00<\/KZ000>\n {6}<STEUERFREI>\n {8}<KZ016 type="kz">50\.00<\/KZ016>\n {6}<\/STEUERFREI>\n {6}<VERSTEUERT>\n {8}<KZ057 type="kz">2\.00<\/KZ057>\n {6}<\/VERSTEUERT>\n/);
    assert.doesNotMatch(xml, /VORSTEUER|KZ066/);
  });
});
