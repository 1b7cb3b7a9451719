// Correctly signed webhooks with hostile payloads (what a buggy integration or a leaked secret
// can send), and hostile request paths. Each case here once crashed the sanitizer build,
// booked nonsense, answered 500, or bricked a tenant's books:
//   - dates near the limits of 64-bit integers, or outside 1970-01-01 .. 9999-12-31;
//   - a refund delta from INT64_MIN;
//   - amounts beyond the documented maximum (10^13 minor units), and books that an earlier
//     release filled with maximal amounts, whose sums no longer fit 64 bits;
//   - text cut in the middle of a UTF-8 character;
//   - a NUL or another control byte in a path.
// Every refusal is the JSON error shape; the tenant keeps booking afterwards.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { hmacValidator } = require('@adyen/api-library');
const { after, before, describe, test } = require('node:test');
const { ProviderTenant } = require('./lib/providers');
const { startServer } = require('./lib/server');
const { behindTheStore } = require('./lib/store-file');
const { StripeTenant, assertError, chargeRefunded, eventBody, invoicePaid, nowS, sid } =
  require('./lib/stripe');

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';
const MAX_MINOR = 10_000_000_000_000; // 10^13, src/core/money.h's MONEY_MAX_MINOR

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// JSON.stringify cannot write integers beyond 2^53 exactly: a placeholder number is
// replaced by the exact digits in the text.
function withNumber(body, placeholder, digits) {
  assert.ok(body.includes(String(placeholder)), `no ${placeholder} in the body`);
  return body.split(String(placeholder)).join(digits);
}

// A paid-invoice event whose status_transitions.paid_at / created are given as text.
function paidInvoiceWithTimes({ paidAt, created, amount = 9900 }) {
  const object = {
    id: sid('in_'), object: 'invoice', amount_paid: amount, currency: 'eur',
    customer: 'cus_hostile', number: `H-${sid('')}`, payment_intent: sid('pi_'), status: 'paid',
  };
  if (created !== undefined) object.created = 111111111;
  if (paidAt !== undefined) object.status_transitions = { paid_at: 222222222 };
  let body = eventBody('invoice.payment_succeeded', object, { created: 333333333 });
  if (created !== undefined) body = withNumber(body, 111111111, created);
  if (paidAt !== undefined) body = withNumber(body, 222222222, paidAt);
  return body;
}

// The tenant still books an ordinary payment, and its balances answer 200.
async function assertStillBooks(t) {
  const res = await t.send(invoicePaid().body);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.results[0].status, 'processed', res.text);
  const bal = await server.request('/api/ledger/balances', { token: t.token });
  assert.equal(bal.status, 200, bal.text);
}

// An answer that is JSON (so every string in it was valid UTF-8).
function assertJsonAnswer(res) {
  assert.ok(res.json && typeof res.json === 'object', `not JSON: ${res.text}`);
  assert.ok(!res.text.includes('\ufffd'), `a replacement character in ${res.text}`);
}

describe('dates outside 1970-01-01 .. 9999-12-31', () => {
  const cases = [
    ['paid_at at INT64_MAX', { paidAt: INT64_MAX }, 'paid_at'],
    ['paid_at at INT64_MIN', { paidAt: INT64_MIN }, 'paid_at'],
    ['created at INT64_MAX', { created: INT64_MAX }, 'created'],
    ['paid_at of 10000-01-01', { paidAt: '253402300800' }, 'paid_at'],
    ['paid_at before 1970', { paidAt: '-1' }, 'paid_at'],
  ];
  for (const [name, times, field] of cases) {
    test(`${name} is a 400 invalid_payload naming ${field}`, async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const res = await t.send(paidInvoiceWithTimes(times));
      assertError(res, 400, 'invalid_payload');
      assert.match(res.json.error.message, new RegExp(field), res.text);
      assert.equal((await t.invoices()).length, 0);
      await assertStillBooks(t);
    });
  }

  test('the last day, 9999-12-31, is booked as that day', async () => {
    const t = await StripeTenant.create(server);
    const res = await t.send(paidInvoiceWithTimes({ paidAt: '253402300799' }));
    assert.equal(res.status, 200, res.text);
    const inv = await t.invoice(res.json.results[0].invoiceId);
    assert.equal(inv.invoiceDate, '9999-12-31');
  });
});

// Adyen's ISO dates and amounts, signed by Adyen's own library (eventDate is not signed;
// the amount is, as the digits the payload carries).
describe('Adyen: ISO dates and amounts from outside', () => {
  const validator = new hmacValidator();
  function item(hmacKey, over = {}) {
    const i = { amount: { currency: 'EUR', value: 9900 }, eventCode: 'AUTHORISATION',
                eventDate: '2026-03-22T14:30:00+01:00', merchantAccountCode: 'AcmeCOM',
                merchantReference: `order-${sid('')}`, paymentMethod: 'visa',
                pspReference: crypto.randomBytes(8).toString('hex').toUpperCase(), reason: '',
                success: 'true', ...over };
    return { ...i, additionalData: { hmacSignature: validator.calculateHmac(i, hmacKey) } };
  }
  function body(i) {
    return JSON.stringify({ live: 'false', notificationItems: [{ NotificationRequestItem: i }] });
  }
  async function tenant() {
    return ProviderTenant.create(server, 'adyen', {
      apiKey: `AQE${sid('')}`, hmacKey: crypto.randomBytes(32).toString('hex').toUpperCase(),
      autoPost: true });
  }
  const send = (t, text) => t.send({ body: text, headers: { 'content-type': 'application/json' } });

  for (const eventDate of ['10000-01-01T00:00:00Z', '2026-02-30T10:00:00Z', '1969-12-31T23:59:59Z',
                           '0000-01-01T00:00:00Z', '2026-13-01T00:00:00Z']) {
    test(`eventDate ${eventDate} is a 400 invalid_payload naming eventDate`, async () => {
      const t = await tenant();
      const res = await send(t, body(item(t.config.hmacKey, { eventDate })));
      assertError(res, 400, 'invalid_payload');
      assert.match(res.json.error.message, /eventDate/, res.text);
      assert.equal((await t.invoices()).length, 0);
      const ok = await send(t, body(item(t.config.hmacKey)));
      assert.equal(ok.status, 200, ok.text);
    });
  }

  test('an amount of INT64_MAX minor units is a 400 invalid_payload', async () => {
    const t = await tenant();
    const i = item(t.config.hmacKey, { amount: { currency: 'EUR', value: INT64_MAX } });
    const text = body(i).replace(`"value":"${INT64_MAX}"`, `"value":${INT64_MAX}`);
    assert.ok(text.includes(`"value":${INT64_MAX}`));
    const res = await send(t, text);
    assertError(res, 400, 'invalid_payload');
    assert.match(res.json.error.message, /maximum/, res.text);
  });
});

describe('a refund whose previous amount_refunded is hostile', () => {
  for (const [name, before] of [['INT64_MIN', INT64_MIN], ['larger than the total', '5000']]) {
    test(`previous_attributes.amount_refunded ${name} is a 400 invalid_payload`, async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const pay = invoicePaid();
      assert.equal((await t.send(pay.body)).status, 200);
      const { body } = chargeRefunded({ pi: pay.externalId, refunded: 100, before: 777777 });
      const res = await t.send(withNumber(body, 777777, before));
      assertError(res, 400, 'invalid_payload');
      assert.match(res.json.error.message, /amount_refunded/, res.text);
      assert.equal((await t.invoices()).length, 1);
      await assertStillBooks(t);
    });
  }
});

describe('amounts beyond the maximum', () => {
  for (const [name, digits] of [['INT64_MAX', INT64_MAX], ['10^13 + 1', String(MAX_MINOR + 1)],
                                 ['a negative INT64_MIN', INT64_MIN]]) {
    test(`amount_paid ${name} is a 400 invalid_payload`, async () => {
      const t = await StripeTenant.create(server, { autoPost: true });
      const res = await t.send(withNumber(invoicePaid({ amount: 424242 }).body, 424242, digits));
      assertError(res, 400, 'invalid_payload');
      assert.equal((await t.invoices()).length, 0);
      await assertStillBooks(t);
    });
  }

  test('the maximum itself is booked, many times, and the books stay readable', async () => {
    const t = await StripeTenant.create(server, { autoPost: true });
    for (let i = 0; i < 3; i++) {
      const res = await t.send(invoicePaid({ amount: MAX_MINOR }).body);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.results[0].totalGross, '100000000000.00');
    }
    const { totals } = await t.balances();
    assert.deepEqual(totals, [{ currency: 'EUR', debit: '300000000000.00',
                                credit: '300000000000.00' }]);
  });

  for (const [name, data, field] of [
    ['amountMinor INT64_MAX',
     `{"provider":"stripe","amount":"1.00","currency":"EUR","amountMinor":${INT64_MAX}}`,
     'amountMinor'],
    ['amountMinor 10^13 + 1',
     `{"provider":"stripe","amount":"1.00","currency":"EUR","amountMinor":${MAX_MINOR + 1}}`,
     'amountMinor'],
    ['amount 92233720368547758.07',
     '{"provider":"stripe","amount":"92233720368547758.07","currency":"EUR"}', 'amount'],
  ]) {
    test(`an event published with ${name} is a 400 invalid_field naming data.${field}`,
         async () => {
      const t = await StripeTenant.create(server);
      const res = await server.request(`/api/projects/${t.tenantId}/events`, {
        method: 'POST', token: t.token, headers: { 'content-type': 'application/json' },
        body: `{"type":"payment.verified","data":${data}}`,
      });
      assertError(res, 400, 'invalid_field');
      assert.match(res.json.error.message, new RegExp(`data\\.${field}`), res.text);
    });
  }
});

// Books an earlier release filled with maximal amounts: their sums no longer fit 64 bits.
// Reports say so plainly; webhooks keep booking. (Booked rows are append-only now, so the
// amounts are written past the store's triggers.)
describe('books holding amounts whose sums overflow', () => {
  function sql(statement) {
    behindTheStore(server, ['journal_lines', 'invoices'], statement);
  }

  test('balances answer a clear error, and later webhooks of that customer still book',
       async () => {
    const t = await StripeTenant.create(server, { autoPost: true, direction: 'revenue' });
    for (let i = 0; i < 2; i++)
      assert.equal((await t.send(invoicePaid({ customer: 'cus_big' }).body)).status, 200);
    sql(`UPDATE journal_lines SET debit_minor = ${INT64_MAX} WHERE tenant_id = '${t.tenantId}' ` +
        'AND debit_minor > 0');
    sql(`UPDATE journal_lines SET credit_minor = ${INT64_MAX} WHERE tenant_id = ` +
        `'${t.tenantId}' AND credit_minor > 0`);
    sql(`UPDATE invoices SET total_gross_minor = ${INT64_MAX} WHERE tenant_id = '${t.tenantId}'`);

    const bal = await server.request('/api/ledger/balances', { token: t.token });
    assertError(bal, 422, 'amount_overflow');
    assert.match(bal.json.error.message, /EUR/);

    const res = await t.send(invoicePaid({ customer: 'cus_big' }).body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.results[0].status, 'processed', res.text);

    // The daily summary of that tenant's day says what overflowed; the CLI does not crash.
    // the tenant's day is Vienna's (its default zone), not UTC's: they differ an hour a day
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Vienna', year: 'numeric',
                                                   month: '2-digit', day: '2-digit' }).format(new Date());
    const r = await server.cli(['events', 'daily-summary', '--date', day]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the sum of the revenue in EUR does not fit 64-bit minor units/);

    for (const path of ['/api/vat-returns/at?year=2026&month=1',
                        `/api/exports/datev?from=2026-01-01&to=2026-12-31`]) {
      const r = await server.request(path, { token: t.token });
      assert.ok(r.status !== 500, `${path}: ${r.status} ${r.text}`);
    }
  });
});

describe('text cut on UTF-8 character boundaries', () => {
  test('a full-width currency code is a 400 invalid_payload, not a 500', async () => {
    const t = await StripeTenant.create(server);
    const res = await t.send(invoicePaid({ currency: 'ＥＵＲ' }).body);
    assertError(res, 400, 'invalid_payload');
    assertJsonAnswer(res);
    assert.match(res.json.error.message, /currency/);
  });

  test('a 300-emoji invoice number is booked, cut on a character boundary', async () => {
    const t = await StripeTenant.create(server);
    const number = '😀'.repeat(300);
    const res = await t.send(invoicePaid({ number }).body);
    assert.equal(res.status, 200, res.text);
    assertJsonAnswer(res);
    const inv = await t.invoice(res.json.results[0].invoiceId);
    assert.ok(inv.invoiceNumber.length > 0 && number.startsWith(inv.invoiceNumber),
              inv.invoiceNumber);
    assertJsonAnswer(await server.request('/api/invoices', { token: t.token }));
  });

  test('a 50-emoji payment intent id is booked, cut on a character boundary', async () => {
    const t = await StripeTenant.create(server);
    const pi = '🦄'.repeat(50);
    const res = await t.send(invoicePaid({ pi }).body);
    assert.equal(res.status, 200, res.text);
    assertJsonAnswer(res);
    assert.ok(pi.startsWith(res.json.results[0].externalId), res.text);
    assertJsonAnswer(await server.request('/api/connectors/stripe/webhook-logs',
                                          { token: t.token }));
  });

  test('a secret ending in multi-byte characters shows a whole-character hint', async () => {
    const t = await StripeTenant.create(server);
    const res = await server.request('/api/connectors/stripe/config', {
      method: 'PUT', token: t.token,
      json: { config: { webhookSecret: 'whsec_' + '€'.repeat(12) } },
    });
    assert.equal(res.status, 200, res.text);
    assertJsonAnswer(res);
    const got = await server.request('/api/connectors/stripe', { token: t.token });
    assert.equal(got.status, 200, got.text);
    assertJsonAnswer(got);
    assert.match(got.text, /€/);
  });

  test('an event type of emojis is not booked, and its detail is whole characters', async () => {
    const t = await StripeTenant.create(server);
    const res = await t.send(eventBody('👾'.repeat(40), { id: sid('ch_'), object: 'charge',
                                                          created: nowS() }));
    assert.equal(res.status, 200, res.text);
    assertJsonAnswer(res);
    assertJsonAnswer(await server.request('/api/connectors/stripe/webhook-logs',
                                          { token: t.token }));
  });
});

describe('control bytes in a path', () => {
  for (const path of ['/connectors/app.js%00.png', '/connectors/app.js%00', '/connectors/app%01.js',
                      '/connectors/app.js%0a', '/api/invoices/%00', '/connectors/%7f']) {
    test(`GET ${path} is a 400 bad_request`, async () => {
      const res = await server.request(path);
      assertError(res, 400, 'bad_request');
    });
  }

  test('the page\'s files are still served', async () => {
    const res = await server.request('/connectors/app.js');
    assert.equal(res.status, 200);
  });
});
