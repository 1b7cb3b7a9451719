// Bookings in other currencies than EUR: ECB reference rates loaded with `connectord rates
// import` (the ECB's XML, daily CSV and history CSV), every booking in EUR beside its own
// amount with the rate and its source, the provider's settlement preferred over the ECB rate,
// a booking without a rate flagged (booked, not posted, listed by ?fx=missing) and posted
// once its rate is imported, a realised exchange difference when the provider settles a
// payment booked at the ECB rate, the DATEV fields WKZ Umsatz / Kurs / Basis-Umsatz / WKZ
// Basis-Umsatz, and what the import command refuses. Every EUR figure is worked out here
// by hand: amount / rate, rounded half up to the cent.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const zlib = require('node:zlib');
const { CertServer, ProviderTenant } = require('./lib/providers');
const { startServer } = require('./lib/server');
const { eventBody, sid } = require('./lib/stripe');
const {
  booksTenant, datevExport, installDatev, noon, parseExtf, pay, ratesImport,
} = require('./lib/accounting');

let server;
const cert = new CertServer();

after(async () => {
  try {
    await server?.stop();
  } finally {
    await cert.stop();
  }
});

// The ECB's eurofxref-daily.xml for Friday 2026-03-20 (attributes in single quotes, as the
// ECB writes them).
const XML_0320 = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
\t\t<Cube time='2026-03-20'>
\t\t\t<Cube currency='USD' rate='1.0800'/>
\t\t\t<Cube currency='JPY' rate='160.00'/>
\t\t\t<Cube currency='CHF' rate='0.9500'/>
\t\t</Cube>
\t</Cube>
</gesmes:Envelope>
`;

// The ECB's eurofxref.csv (one day, "Date, USD, ...", a comma at the end of each line).
const CSV_0323 = 'Date, USD, JPY, CHF, \n23 March 2026, 1.2500, 150.00, 0.8000, \n';

// A charge.succeeded of payment intent `pi` with its balance transaction expanded: what
// Stripe credited in EUR (`eur`, minor units) for `amount` in `currency`.
function chargeSettled({ pi, amount, currency, day, eur, rate }) {
  return eventBody('charge.succeeded', {
    id: sid('ch_'), object: 'charge', amount, amount_captured: amount, currency,
    created: noon(day), payment_intent: pi, status: 'succeeded', paid: true,
    customer: 'cus_TestCustomer01',
    billing_details: { email: 'billing@example.com', name: 'Example Buyer GmbH' },
    balance_transaction: {
      id: sid('txn_'), object: 'balance_transaction', amount: eur, currency: 'eur',
      exchange_rate: rate, fee: 0, net: eur, type: 'charge',
    },
  });
}

describe('connectord rates import', () => {
  before(async () => {
    await cert.start();
    server = await startServer({ args: ['--paypal-cert-prefix', cert.prefix] });
  });

  test('the ECB XML, then the same file again (idempotent), then the daily CSV', async () => {
    const first = await ratesImport(server, XML_0320, 'eurofxref-daily.xml');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.json, {
      file: first.file, rates: 3, new: 3, unchanged: 0, updated: 0, skipped: 0,
      rated: 0, posted: 0, stillMissing: 0, failed: 0,
    });
    const again = await ratesImport(server, XML_0320, 'eurofxref-daily.xml');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.new, 0);
    assert.equal(again.json.unchanged, 3);
    const csv = await ratesImport(server, CSV_0323, 'eurofxref.csv');
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.json.rates, 3);
    assert.equal(csv.json.new, 3);
  });

  test('the history CSV: N/A cells and retired currencies are skipped and counted', async () => {
    const hist = 'Date,USD,CYP,CHF,\n2026-03-19,1.0700,N/A,0.9400,\n2026-03-18,1.0600,N/A,N/A,\n';
    const r = await ratesImport(server, hist, 'eurofxref-hist.csv');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.rates, 3);
    assert.equal(r.json.new, 3);
    assert.equal(r.json.skipped, 3); // two CYP cells (no longer in ISO 4217) and one N/A
  });

  test('bad files are refused with the file, the line and what is wrong; nothing is kept',
    async () => {
      const cases = [
        ['hello world\n', /not an ECB rates file/],
        ['', /empty/],
        ['Date,USD,\n2026-03-20,1.08x,\n', /line 2, USD: rate '1\.08x' is not a decimal number/],
        ['Date,USD,\n2026-02-30,1.08,\n', /line 2: '2026-02-30' is not a date/],
        ['Date,USD,\n2026-03-20,0,\n', /line 2, USD: rate '0' is not above 0/],
        ['Date,USD,\n2026-03-20,1.1234567,\n', /more than 6 decimals/],
        ['Date,USD,JPY,\n2026-03-20,1.08,\n', /line 2: 1 values for 2 currencies/],
        ['<?xml version="1.0"?><rates/>', /not the ECB's \(no gesmes:Envelope\)/],
        ['Date,USD,\n', /holds no exchange rate/],
      ];
      for (const [text, message] of cases) {
        const r = await ratesImport(server, text);
        assert.equal(r.code, 1, `${JSON.stringify(text)}: ${r.stdout}`);
        assert.match(r.stderr, message, JSON.stringify(text));
        assert.ok(r.stderr.includes(r.file), 'the message names the file');
      }
      // A file whose last line is bad keeps none of its good lines.
      const partial = await ratesImport(server, 'Date,SEK,\n2026-03-20,11.50,\n2026-03-21,x,\n');
      assert.equal(partial.code, 1);
      const after = await ratesImport(server, 'Date,SEK,\n2026-03-20,11.50,\n');
      assert.equal(after.json.new, 1, 'the refused file left nothing behind');

      const missing = await server.cli(['rates', 'import', `${server.dir}/no-such-file.csv`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read .*no-such-file\.csv/);
      const none = await server.cli(['rates', 'import']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /needs the FILE/);
    });
});

describe('bookings in EUR, USD, CHF and JPY at the ECB rates', () => {
  let A;
  const ids = {};
  let flagged;

  before(async () => {
    // SKR03, expenses to 4964 through the Stripe clearing account 1360, no VAT.
    A = await booksTenant(server, { settings: { chart: 'skr03' },
                                    stripe: { expenseAccount: '4964' } });
    await installDatev(server, A.token);
    ids.eur = (await pay(A, '2026-03-20', { amount: 11900, number: 'EUR-1' })).externalId;
    ids.usd = (await pay(A, '2026-03-20', { amount: 10000, currency: 'usd', number: 'USD-1' })).externalId;
    ids.chf = (await pay(A, '2026-03-21', { amount: 5000, currency: 'chf', number: 'CHF-1' })).externalId;
    ids.jpy = (await pay(A, '2026-03-22', { amount: 1500, currency: 'jpy', number: 'JPY-1' })).externalId;
    ids.usd2 = (await pay(A, '2026-03-23', { amount: 1000, currency: 'usd', number: 'USD-2' })).externalId;
    flagged = await pay(A, '2026-03-20', { amount: 2000, currency: 'gbp', number: 'GBP-1' });
    ids.gbp = flagged.externalId;
    // Stripe credited 90.00 EUR for 100.00 USD: its balance transaction wins over the ECB.
    const pi = sid('pi_');
    const r = await A.send(chargeSettled({ pi, amount: 10000, currency: 'usd', day: '2026-03-20',
                                           eur: 9000, rate: 0.9 }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.results[0].status, 'processed', r.text);
    ids.stripe = pi;
  });

  async function invoice(externalId) {
    const all = await A.invoices();
    const inv = all.find((i) => i.externalId === externalId);
    assert.ok(inv, `no invoice ${externalId}`);
    return inv;
  }

  test('EUR rates itself', async () => {
    assert.deepEqual((await invoice(ids.eur)).fx, {
      bookAmount: '119.00', bookCurrency: 'EUR', rate: '1.000000', source: 'book',
      rateDate: '2026-03-20',
    });
  });

  test('USD 100.00 at 1.08 is 92.59 EUR (92.592... rounded down)', async () => {
    const inv = await invoice(ids.usd);
    assert.equal(inv.totalGross, '100.00');
    assert.equal(inv.currency, 'USD');
    assert.deepEqual(inv.fx, { bookAmount: '92.59', bookCurrency: 'EUR', rate: '1.080000',
                               source: 'ecb', rateDate: '2026-03-20' });
    assert.equal(inv.posted, true);
  });

  test('a Saturday takes Friday\'s rate: CHF 50.00 at 0.95 is 52.63 EUR', async () => {
    assert.deepEqual((await invoice(ids.chf)).fx, {
      bookAmount: '52.63', bookCurrency: 'EUR', rate: '0.950000', source: 'ecb',
      rateDate: '2026-03-20',
    });
  });

  test('JPY has no decimals: 1500 at 160 is 9.375, rounded half up to 9.38 EUR', async () => {
    const inv = await invoice(ids.jpy);
    assert.equal(inv.totalGross, '1500');
    assert.deepEqual(inv.fx, { bookAmount: '9.38', bookCurrency: 'EUR', rate: '160.000000',
                               source: 'ecb', rateDate: '2026-03-20' });
  });

  test('Monday\'s own rate (daily CSV): USD 10.00 at 1.25 is 8.00 EUR', async () => {
    assert.equal((await invoice(ids.usd2)).fx.bookAmount, '8.00');
  });

  test("the provider's settlement wins over the ECB rate", async () => {
    const inv = await invoice(ids.stripe);
    // 100.00 USD for 90.00 EUR implies 1.111111 USD a euro
    assert.deepEqual(inv.fx, { bookAmount: '90.00', bookCurrency: 'EUR', rate: '1.111111',
                               source: 'stripe', rateDate: '2026-03-20' });
  });

  test('the journal lines carry the original amount and the EUR amount', async () => {
    const inv = await invoice(ids.jpy);
    const entry = (await A.entries()).find((e) => e.id === inv.journalEntryId);
    assert.deepEqual(entry.lines.map((l) => [l.account, l.debit, l.credit, l.currency,
                                             l.bookDebit, l.bookCredit]), [
      ['4964', '1500', '0', 'JPY', '9.38', '0.00'],
      ['1360', '0', '1500', 'JPY', '0.00', '9.38'],
    ]);
  });

  test('a booking with no rate is booked and flagged, named by ?fx=missing, not posted',
    async () => {
      assert.equal(flagged.result.status, 'processed');
      const inv = await invoice(ids.gbp);
      assert.deepEqual(inv.fx, { missing: true, currency: 'GBP' });
      assert.equal(inv.posted, false);
      assert.equal(inv.journalEntryId, null);
      const listed = await A.invoices({ fx: 'missing' });
      assert.deepEqual(listed.map((i) => i.externalId), [ids.gbp]);
      const bad = await server.request('/api/invoices?fx=maybe', { token: A.token });
      assert.equal(bad.status, 400, bad.text);
      // Posting it by hand says which rate is missing.
      const post = await server.request(`/api/invoices/${inv.id}/post`,
                                        { method: 'POST', token: A.token, json: {} });
      assert.equal(post.status, 409, post.text);
      assert.equal(post.json.error.code, 'exchange_rate_missing');
      assert.match(post.json.error.message, /GBP.*2026-03-20.*rates import/);
    });

  test('the ledger balances per currency and in EUR', async () => {
    const { balances, totals, bookTotals } = await A.balances();
    for (const t of totals) assert.equal(t.debit, t.credit, t.currency);
    const row = (account, currency) => balances.find((b) => b.account === account &&
                                                          b.currency === currency);
    assert.equal(row('4964', 'USD').debit, '210.00');
    // 92.59 + 8.00 + 90.00
    assert.equal(row('4964', 'USD').bookDebit, '190.59');
    assert.equal(row('1360', 'USD').bookBalance, '-190.59');
    // 119.00 + 92.59 + 52.63 + 9.38 + 8.00 + 90.00
    assert.deepEqual(bookTotals, { currency: 'EUR', debit: '371.60', credit: '371.60',
                                   unrated: false });
  });

  test('DATEV: a USD booking carries WKZ Umsatz, Kurs, Basis-Umsatz and WKZ Basis-Umsatz',
    async () => {
      const res = await datevExport(server, A.token, '2026-03-01', '2026-03-31');
      assert.equal(res.status, 200, res.bytes.toString());
      const { lines } = parseExtf(res.bytes);
      const row = (doc) => lines.slice(2).find((l) => l.values[10] === doc);
      const usd = row('USD-1');
      assert.deepEqual(usd.values.slice(0, 11), ['100,00', 'S', 'USD', '1,080000', '92,59', 'EUR',
                                                 '4964', '1360', '', '2003', 'USD-1']);
      // WKZ Umsatz and WKZ Basis-Umsatz are text (quoted), Kurs and Basis-Umsatz numbers (bare)
      assert.deepEqual(usd.quoted.slice(2, 6), [true, false, false, true]);
      assert.equal(usd.values.length, 125);
      assert.deepEqual(row('JPY-1').values.slice(0, 6),
                       ['1500,00', 'S', 'JPY', '160,000000', '9,38', 'EUR']);
      assert.deepEqual(row('CHF-1').values.slice(0, 6),
                       ['50,00', 'S', 'CHF', '0,950000', '52,63', 'EUR']);
      // EUR bookings leave Kurs, Basis-Umsatz and its WKZ empty
      assert.deepEqual(row('EUR-1').values.slice(0, 6), ['119,00', 'S', 'EUR', '', '', '']);
      assert.equal(row('GBP-1'), undefined, 'the flagged booking is in no export yet');
    });

  test('importing the missing rate rates and posts the flagged booking; amounts unchanged',
    async () => {
      const r = await ratesImport(server, 'Date,GBP,\n2026-03-20,0.8000,\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.rated, 1);
      assert.equal(r.json.posted, 1);
      assert.equal(r.json.stillMissing, 0);
      const inv = await invoice(ids.gbp);
      assert.equal(inv.totalGross, '20.00');
      assert.equal(inv.currency, 'GBP');
      // 20.00 GBP at 0.80 is 25.00 EUR
      assert.deepEqual(inv.fx, { bookAmount: '25.00', bookCurrency: 'EUR', rate: '0.800000',
                                 source: 'ecb', rateDate: '2026-03-20' });
      assert.equal(inv.posted, true);
      assert.deepEqual(await A.invoices({ fx: 'missing' }), []);
      // a later import changes no rate already booked
      const again = await ratesImport(server, 'Date,GBP,\n2026-03-20,0.9000,\n');
      assert.equal(again.json.updated, 1);
      assert.equal((await invoice(ids.gbp)).fx.bookAmount, '25.00');
    });
});

describe('a realised exchange difference', () => {
  let B;
  let pi;

  before(async () => {
    // Revenue in USD on SKR03: booked at the ECB rate of Monday 2026-03-23 (1.25).
    B = await booksTenant(server, { settings: { chart: 'skr03' },
                                    stripe: { direction: 'revenue', revenueAccount: '8338' } });
    await installDatev(server, B.token);
    pi = (await pay(B, '2026-03-23', { amount: 20000, currency: 'usd', number: 'US-7' })).externalId;
  });

  test('Stripe settles 200.00 USD at 158.50 EUR, booked at 160.00: a loss of 1.50 to 2150',
    async () => {
      const res = await B.send(chargeSettled({ pi, amount: 20000, currency: 'usd',
                                               day: '2026-03-25', eur: 15850, rate: 0.7925 }));
      assert.equal(res.status, 200, res.text);
      const result = res.json.results[0];
      assert.equal(result.status, 'processed', res.text);
      const logs = await B.logs();
      assert.match(logs[0].detail, /exchange difference/);
      const entries = await B.entries();
      assert.equal(entries.length, 2);
      const diff = entries.find((e) => e.description.startsWith('Exchange difference'));
      assert.equal(diff.date, '2026-03-25');
      assert.deepEqual(diff.lines.map((l) => [l.account, l.debit, l.credit, l.currency]), [
        ['2150', '1.50', '0.00', 'EUR'],
        ['1360', '0.00', '1.50', 'EUR'],
      ]);
      const { balances, bookTotals } = await B.balances();
      const clearing = balances.filter((b) => b.account === '1360');
      // 160.00 EUR booked in USD, less the 1.50 realised: what Stripe credited
      const book = clearing.reduce((s, b) => s + Number(b.bookBalance.replace('.', '')), 0);
      assert.equal(book, 15850);
      assert.equal(bookTotals.debit, bookTotals.credit);
      assert.equal(balances.find((b) => b.account === '2150').bookBalance, '1.50');
    });

  test('a second settlement of the same payment books nothing more', async () => {
    const res = await B.send(chargeSettled({ pi, amount: 20000, currency: 'usd',
                                             day: '2026-03-26', eur: 15700, rate: 0.785 }));
    assert.equal(res.status, 200, res.text);
    assert.equal((await B.entries()).length, 2);
  });

  test('DATEV writes the difference as an EUR booking on 2150 against 1360', async () => {
    const res = await datevExport(server, B.token, '2026-03-01', '2026-03-31');
    assert.equal(res.status, 200, res.bytes.toString());
    const { lines } = parseExtf(res.bytes);
    const rows = lines.slice(2).map((l) => l.values.slice(0, 10));
    assert.deepEqual(rows, [
      ['200,00', 'H', 'USD', '1,250000', '160,00', 'EUR', '8338', '1360', '', '2303'],
      ['1,50', 'S', 'EUR', '', '', '', '2150', '1360', '', '2503'],
    ]);
  });
});

describe("PayPal's seller_receivable_breakdown", () => {
  // A capture of 100.00 USD that PayPal credits in EUR at 0.9205 EUR a dollar.
  function captureUsd(webhookId) {
    const id = crypto.randomUUID();
    const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const capture = `CAP${crypto.randomBytes(7).toString('hex').toUpperCase()}`;
    const body = JSON.stringify({
      id: `WH-${capture}`, event_version: '1.0', create_time: '2026-03-20T14:30:00.000Z',
      resource_type: 'capture', resource_version: '2.0', event_type: 'PAYMENT.CAPTURE.COMPLETED',
      resource: {
        id: capture, status: 'COMPLETED', amount: { currency_code: 'USD', value: '100.00' },
        final_capture: true,
        seller_receivable_breakdown: {
          gross_amount: { currency_code: 'USD', value: '100.00' },
          paypal_fee: { currency_code: 'USD', value: '3.70' },
          net_amount: { currency_code: 'USD', value: '96.30' },
          receivable_amount: { currency_code: 'EUR', value: '88.64' },
          exchange_rate: { source_currency: 'USD', target_currency: 'EUR', value: '0.9205' },
        },
        invoice_id: 'PP-USD-1',
        payee: { email_address: 'merchant@example.com', merchant_id: 'MERCHANT0001' },
        create_time: '2026-03-20T14:29:58Z', update_time: '2026-03-20T14:29:58Z',
      },
    });
    const message = `${id}|${time}|${webhookId}|${zlib.crc32(Buffer.from(body))}`;
    const sig = crypto.sign('sha256', Buffer.from(message), cert.keyPem).toString('base64');
    return {
      capture,
      req: {
        body,
        headers: { 'content-type': 'application/json', 'paypal-transmission-id': id,
                   'paypal-transmission-time': time, 'paypal-transmission-sig': sig,
                   'paypal-cert-url': `${cert.prefix}CERT-connectord-e2e`,
                   'paypal-auth-algo': 'SHA256withRSA' },
      },
    };
  }

  test('the gross in EUR at PayPal\'s rate wins over the ECB rate of the day', async () => {
    const webhookId = `WH${crypto.randomBytes(8).toString('hex')}`;
    const t = await ProviderTenant.create(server, 'paypal', { webhookId, autoPost: true });
    const { capture, req } = captureUsd(webhookId);
    const res = await t.send(req);
    assert.equal(res.status, 200, res.text);
    const inv = (await t.invoices()).find((i) => i.externalId === capture);
    assert.equal(inv.totalGross, '100.00');
    assert.equal(inv.currency, 'USD');
    // 100.00 x 0.9205 = 92.05 EUR (the ECB's 1.08 would give 92.59); 100 / 92.05 = 1.0863661..
    assert.deepEqual(inv.fx, { bookAmount: '92.05', bookCurrency: 'EUR', rate: '1.086366',
                               source: 'paypal', rateDate: '2026-03-20' });
    assert.equal(inv.posted, true);
  });
});

describe('the U30 sums EUR amounts', () => {
  test('a USD sale at 20 % is in KZ022 with its EUR base', async () => {
    // EKR, revenue with 20 % VAT contained in the gross amounts.
    const T = await booksTenant(server, { stripe: { direction: 'revenue', vatRate: '20' } });
    await pay(T, '2026-03-23', { amount: 12000, currency: 'usd', number: 'AT-USD' });
    await pay(T, '2026-03-23', { amount: 6000, number: 'AT-EUR' });
    const res = await server.request('/api/vat-returns/at?period=2026-03', { token: T.token });
    assert.equal(res.status, 200, res.text);
    // USD 120.00 at 1.25 = 96.00 EUR gross; its tax 20.00 USD = 16.00 EUR; base 80.00 EUR.
    // EUR 60.00 gross: base 50.00. KZ022 = 80.00 + 50.00.
    assert.equal(res.json.KZ022, '130.00');
    assert.equal(res.json.KZ000, '130.00');
    assert.equal(res.json.tax.KZ022, '26.00');
  });
});
