// The read APIs over what the pipeline books: invoices (filters, paging, seed 002's shape),
// suppliers and customers, journal entries, the trial balance, and a connector's webhook log.
// Data is made the way production makes it: signed Stripe webhooks (signatures from the
// official `stripe` package) into an installed connector. Every read is tenant-scoped: another
// tenant's ids answer 404 and its lists stay empty.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const Stripe = require('stripe');
const { startServer } = require('./lib/server');
const { daysBetween, importRates } = require('./lib/accounting');

const SECRET_A = 'whsec_BooksReadApiTenantA0000000000000001';
const SECRET_B = 'whsec_BooksReadApiTenantB0000000000000002';
const unix = (iso) => Math.floor(Date.parse(iso) / 1000);

let server;
let a; // expense direction: incoming invoices from suppliers, refunds as credit notes
let b; // revenue direction: outgoing invoices to customers
let empty; // a tenant with nothing booked

// An authenticated client for one token.
function client(token) {
  return {
    get: (path) => server.request(path, { token }),
    post: (path, json) => server.request(path, { method: 'POST', token, json }),
  };
}

async function tenant(name, config) {
  const t = await server.createTenant(name, 'pro');
  const admin = client(t.token);
  const member = client(await server.createToken(t.tenantId, 'member'));
  let hookPath = null;
  if (config) {
    const r = await admin.post('/api/connectors/stripe/install', { config });
    assert.equal(r.status, 201, r.text);
    hookPath = new URL(r.json.webhookUrl).pathname;
  }
  return { ...t, admin, member, hookPath, secret: config?.webhookSecret };
}

// Posts a Stripe event signed with the tenant's secret (or a given header).
async function deliver(t, event, { signature } = {}) {
  const payload = JSON.stringify(event);
  const header = signature ?? Stripe.webhooks.generateTestHeaderString({ payload, secret: t.secret });
  return server.request(t.hookPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });
}

// An invoice paid outside a payment intent (payment_intent: null, as API versions before
// basil say it), so it books under its own id at once; from basil on an invoice waits for
// invoice_payment.paid (stripe-one-payment.test.js).
function invoicePaid({ id, invoice, amount, currency, paidAt, account, accountName, number, customer }) {
  return {
    id, object: 'event', api_version: '2024-06-20', created: unix(paidAt), account,
    data: { object: {
      id: invoice, object: 'invoice', account_name: accountName, amount_due: amount,
      payment_intent: null,
      amount_paid: amount, amount_remaining: 0, currency, customer: customer ?? 'cus_Anon',
      customer_email: `${customer ?? 'anon'}@example.com`, customer_name: `Buyer ${customer ?? 'anon'}`,
      number, status: 'paid', created: unix(paidAt) - 100,
      status_transitions: { paid_at: unix(paidAt) },
    } },
    livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null },
    type: 'invoice.payment_succeeded',
  };
}

function chargeRefunded({ id, paymentIntent, amount, refunded, before = 0, currency, createdAt, customer }) {
  return {
    id, object: 'event', api_version: '2026-10-28.endive', created: unix(createdAt),
    data: {
      object: {
        id: `ch_${id}`, object: 'charge', amount, amount_captured: amount, amount_refunded: refunded,
        billing_details: { email: 'billing@example.com', name: 'Example Buyer GmbH' },
        created: unix(createdAt), currency, customer: customer ?? 'cus_Anon',
        payment_intent: paymentIntent, refunded: refunded === amount, status: 'succeeded',
      },
      previous_attributes: { amount_refunded: before, refunded: false },
    },
    livemode: false, pending_webhooks: 1, request: { id: `req_${id}`, idempotency_key: null },
    type: 'charge.refunded',
  };
}

// Walks every page of a list; asserts no id repeats and the order stays newest first.
async function walk(api, path, key, limit) {
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 100; pages++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json[key].length <= limit, `page longer than ${limit}`);
    items.push(...r.json[key]);
    cursor = r.json.nextCursor;
    if (cursor === null) break;
    assert.equal(cursor, r.json[key].at(-1).id, 'the cursor is the last id of the page');
  }
  const ids = items.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, `repeated ids while paging ${path}`);
  assert.deepEqual(ids, [...ids].sort().reverse(), `${path} is not newest first`);
  return items;
}

// Tenant A's events, in the order they are delivered (ids are time-ordered, so the lists
// come back in the reverse order).
const A_EVENTS = [
  invoicePaid({ id: 'evt_a1', invoice: 'in_a1', amount: 9900, currency: 'eur', paidAt: '2026-03-01T10:00:00Z',
                account: 'acct_alpha', accountName: 'Alpha Software GmbH', number: 'A-1' }),
  invoicePaid({ id: 'evt_a2', invoice: 'in_a2', amount: 4550, currency: 'eur', paidAt: '2026-03-10T10:00:00Z',
                account: 'acct_alpha', accountName: 'Alpha Software GmbH', number: 'A-2' }),
  invoicePaid({ id: 'evt_a3', invoice: 'in_a3', amount: 12000, currency: 'usd', paidAt: '2026-04-02T10:00:00Z',
                account: 'acct_beta', accountName: 'Beta Hosting Inc', number: 'B-1' }),
  invoicePaid({ id: 'evt_a4', invoice: 'in_a4', amount: 1500, currency: 'jpy', paidAt: '2026-04-15T10:00:00Z',
                account: 'acct_beta', accountName: 'Beta Hosting Inc', number: 'B-2' }),
  chargeRefunded({ id: 'evt_a5', paymentIntent: 'in_a1', amount: 9900, refunded: 9900, currency: 'eur',
                   createdAt: '2026-03-05T09:00:00Z' }),
  chargeRefunded({ id: 'evt_a6', paymentIntent: 'in_a3', amount: 12000, refunded: 2000, currency: 'usd',
                   createdAt: '2026-04-20T09:00:00Z' }),
];

before(async () => {
  server = await startServer();
  // USD and JPY bookings are posted at the ECB rate of their day: 1.25 USD and 150 JPY a euro.
  await importRates(server, daysBetween('2026-03-01', '2026-04-30'), { USD: '1.25', JPY: '150' });
  a = await tenant('Books A', { webhookSecret: SECRET_A, autoPost: true });
  b = await tenant('Books B', { webhookSecret: SECRET_B, autoPost: true, direction: 'revenue' });
  empty = await tenant('Books Empty', null);

  for (const e of A_EVENTS) {
    const r = await deliver(a, e);
    assert.equal(r.status, 200, `${e.id}: ${r.text}`);
  }
  // The webhook log's other outcomes: a duplicate, a bad signature, a malformed event, and
  // events that book nothing (a failed payment, a type that is not booked).
  assert.equal((await deliver(a, A_EVENTS[0])).status, 200);
  const t = Math.floor(Date.now() / 1000);
  assert.equal((await deliver(a, A_EVENTS[1], { signature: `t=${t},v1=${'0'.repeat(64)}` })).status, 400);
  const malformed = await deliver(a, { id: 'evt_bad', object: 'event', type: 'invoice.payment_succeeded' });
  assert.equal(malformed.status, 400, malformed.text);
  const failed = { ...invoicePaid({ id: 'evt_a7', invoice: 'in_a7', amount: 700, currency: 'eur',
                                     paidAt: '2026-04-21T10:00:00Z', account: 'acct_alpha',
                                     accountName: 'Alpha Software GmbH', number: 'A-7' }),
                   type: 'invoice.payment_failed' };
  assert.equal((await deliver(a, failed)).status, 200);
  assert.equal((await deliver(a, { id: 'evt_a8', object: 'event', type: 'customer.created',
                                   data: { object: { id: 'cus_X', object: 'customer' } } })).status, 200);

  for (const e of [
    invoicePaid({ id: 'evt_b1', invoice: 'in_b1', amount: 25000, currency: 'eur', paidAt: '2026-03-03T10:00:00Z',
                  account: 'acct_own', accountName: 'Books B', number: 'R-1', customer: 'cus_carol' }),
    chargeRefunded({ id: 'evt_b2', paymentIntent: 'in_b1', amount: 25000, refunded: 5000, currency: 'eur',
                     createdAt: '2026-03-04T10:00:00Z', customer: 'cus_carol' }),
  ]) {
    const r = await deliver(b, e);
    assert.equal(r.status, 200, `${e.id}: ${r.text}`);
  }
});

after(async () => {
  await server?.stop();
});

describe('GET /api/invoices', () => {
  let all;
  before(async () => {
    const r = await a.member.get('/api/invoices');
    assert.equal(r.status, 200, r.text);
    all = r.json.invoices;
    assert.equal(r.json.nextCursor, null);
  });

  const byExternal = (ext) => all.find((i) => i.externalId === ext);

  test('lists every booked invoice and credit note, newest first, nothing for failures or duplicates', () => {
    assert.deepEqual(all.map((i) => i.externalId), ['evt_a6', 'evt_a5', 'in_a4', 'in_a3', 'in_a2', 'in_a1']);
  });

  test("an incoming invoice in seed 002's shape", () => {
    const inv = byExternal('in_a1');
    assert.match(inv.id, /^inv_[0-9a-f]{32}$/);
    assert.match(inv.supplierId, /^sup_/);
    assert.match(inv.journalEntryId, /^je_/);
    assert.match(inv.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(inv, {
      id: inv.id, type: 'eingangsrechnung', supplierId: inv.supplierId, invoiceNumber: 'A-1',
      invoiceDate: '2026-03-01', totalGross: '99.00', currency: 'EUR', source: 'stripe',
      externalId: 'in_a1', journalEntryId: inv.journalEntryId, createdAt: inv.createdAt,
      totalTax: null, posted: true,
      fx: { bookAmount: '99.00', bookCurrency: 'EUR', rate: '1.000000', source: 'book',
            rateDate: '2026-03-01' },
      // its one line's tax treatment: an expense in Austria with no VAT on the document
      lines: [{ amount: '99.00', taxTreatment: 'domestic', taxCountry: 'AT', taxRate: null,
                vatId: null, taxNote: null }],
    });
  });

  test("amounts in the currency's own decimals", () => {
    assert.equal(byExternal('in_a2').totalGross, '45.50');
    assert.equal(byExternal('in_a3').totalGross, '120.00');
    assert.equal(byExternal('in_a4').totalGross, '1500');
    assert.equal(byExternal('in_a4').currency, 'JPY');
    assert.equal(byExternal('evt_a6').totalGross, '20.00');
  });

  test('a credit note names the original invoice and the same supplier', () => {
    const credit = byExternal('evt_a5');
    const original = byExternal('in_a1');
    assert.equal(credit.type, 'gutschrift');
    assert.equal(credit.relatedInvoiceId, original.id);
    assert.equal(credit.supplierId, original.supplierId);
    assert.equal(credit.customerId, undefined);
    assert.equal(credit.totalGross, '99.00');
    assert.match(credit.journalEntryId, /^je_/);
    assert.notEqual(credit.journalEntryId, original.journalEntryId);
  });

  test('GET /api/invoices/:id answers the same object', async () => {
    for (const inv of all) {
      const r = await a.member.get(`/api/invoices/${inv.id}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, inv);
    }
    const missing = await a.member.get('/api/invoices/inv_00000000000000000000000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'not_found');
  });

  test('filters: source, type, supplier, date range, and their combination', async () => {
    const ext = async (query) => {
      const r = await a.member.get(`/api/invoices?${query}`);
      assert.equal(r.status, 200, `${query}: ${r.text}`);
      return r.json.invoices.map((i) => i.externalId);
    };
    assert.equal((await ext('source=stripe')).length, 6);
    assert.deepEqual(await ext('source=paypal'), []);
    assert.deepEqual(await ext('type=gutschrift'), ['evt_a6', 'evt_a5']);
    assert.deepEqual(await ext('type=eingangsrechnung&limit=100'), ['in_a4', 'in_a3', 'in_a2', 'in_a1']);
    assert.deepEqual(await ext('type=ausgangsrechnung'), []);
    const alpha = byExternal('in_a1').supplierId;
    const beta = byExternal('in_a3').supplierId;
    assert.notEqual(alpha, beta);
    assert.deepEqual(await ext(`supplier=${alpha}`), ['evt_a5', 'in_a2', 'in_a1']);
    assert.deepEqual(await ext(`supplier=${beta}`), ['evt_a6', 'in_a4', 'in_a3']);
    assert.deepEqual(await ext(`supplier=${beta}&type=gutschrift`), ['evt_a6']);
    assert.deepEqual(await ext('from=2026-03-02&to=2026-03-31'), ['evt_a5', 'in_a2']);
    assert.deepEqual(await ext('to=2026-03-01'), ['in_a1']);
    assert.deepEqual(await ext('from=2026-04-15'), ['evt_a6', 'in_a4']);
    assert.deepEqual(await ext('from=2026-04-15&to=2026-04-15'), ['in_a4']);
    assert.deepEqual(await ext(`from=2026-03-01&to=2026-03-31&supplier=${alpha}&type=eingangsrechnung`),
                     ['in_a2', 'in_a1']);
  });

  test('the cursor walks every page exactly once, with and without filters', async () => {
    for (const limit of [1, 2, 4, 5, 6]) {
      const walked = await walk(a.member, '/api/invoices', 'invoices', limit);
      assert.deepEqual(walked, all, `limit ${limit}`);
    }
    const credits = await walk(a.member, '/api/invoices?type=gutschrift', 'invoices', 1);
    assert.deepEqual(credits.map((i) => i.externalId), ['evt_a6', 'evt_a5']);
    const last = await a.member.get(`/api/invoices?limit=2&cursor=${all[3].id}`);
    assert.deepEqual(last.json.invoices.map((i) => i.id), [all[4].id, all[5].id]);
    assert.equal(last.json.nextCursor, null, 'no next page after the oldest');
  });

  test('a revenue connector books outgoing invoices to customers, and credit notes name them too', async () => {
    const r = await b.member.get('/api/invoices');
    assert.equal(r.status, 200, r.text);
    const [credit, sale] = r.json.invoices;
    assert.equal(sale.type, 'ausgangsrechnung');
    assert.match(sale.customerId, /^cus_/);
    assert.equal(sale.supplierId, undefined);
    assert.equal(sale.totalGross, '250.00');
    assert.equal(credit.type, 'gutschrift');
    assert.equal(credit.customerId, sale.customerId);
    assert.equal(credit.supplierId, undefined);
    assert.equal(credit.relatedInvoiceId, sale.id);
    assert.equal(credit.totalGross, '50.00');
    const filtered = await b.member.get(`/api/invoices?customer=${sale.customerId}`);
    assert.equal(filtered.json.invoices.length, 2);
    const asSupplier = await b.member.get(`/api/invoices?supplier=${sale.customerId}`);
    assert.deepEqual(asSupplier.json.invoices, []);
  });
});

describe('GET /api/suppliers and /api/customers', () => {
  test('the suppliers the pipeline matched, newest first, paged', async () => {
    const r = await a.member.get('/api/suppliers');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.nextCursor, null);
    const [beta, alpha] = r.json.suppliers;
    assert.equal(r.json.suppliers.length, 2, 'one supplier per provider account, matched again later');
    assert.match(alpha.id, /^sup_/);
    assert.match(alpha.createdAt, /Z$/);
    assert.deepEqual(alpha, { id: alpha.id, name: 'Alpha Software GmbH', email: null, provider: 'stripe',
                              providerRef: 'acct_alpha', createdAt: alpha.createdAt });
    assert.equal(beta.name, 'Beta Hosting Inc');
    assert.equal(beta.providerRef, 'acct_beta');
    const invoices = (await a.member.get('/api/invoices')).json.invoices;
    assert.equal(invoices.find((i) => i.externalId === 'in_a1').supplierId, alpha.id);
    assert.deepEqual(await walk(a.member, '/api/suppliers', 'suppliers', 1), r.json.suppliers);
    const customers = await a.member.get('/api/customers');
    assert.equal(customers.status, 200, customers.text);
    assert.deepEqual(customers.json, { customers: [], nextCursor: null });
  });

  test('customers of a revenue connector', async () => {
    const r = await b.member.get('/api/customers');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.customers.length, 1);
    const [carol] = r.json.customers;
    assert.match(carol.id, /^cus_/);
    assert.equal(carol.providerRef, 'cus_carol');
    assert.equal(carol.email, 'cus_carol@example.com');
    assert.equal(carol.name, 'Buyer cus_carol');
    assert.deepEqual((await b.member.get('/api/suppliers')).json, { suppliers: [], nextCursor: null });
  });
});

describe('GET /api/ledger/entries', () => {
  let entries;
  before(async () => {
    const r = await a.member.get('/api/ledger/entries');
    assert.equal(r.status, 200, r.text);
    entries = r.json.entries;
    assert.equal(r.json.nextCursor, null);
  });

  test('one balanced entry per booked invoice, linked both ways', async () => {
    const invoices = (await a.member.get('/api/invoices')).json.invoices;
    assert.equal(entries.length, invoices.length);
    for (const inv of invoices) {
      const e = entries.find((x) => x.id === inv.journalEntryId);
      assert.ok(e, `entry of ${inv.externalId}`);
      assert.equal(e.invoiceId, inv.id);
      assert.equal(e.date, inv.invoiceDate);
      assert.equal(typeof e.description, 'string');
      assert.match(e.createdAt, /Z$/);
      assert.equal(e.lines.length, 2);
      const debit = e.lines.find((l) => l.debit !== zero(l.currency));
      const credit = e.lines.find((l) => l.credit !== zero(l.currency));
      assert.equal(debit.debit, inv.totalGross);
      assert.equal(credit.credit, inv.totalGross);
      assert.equal(debit.credit, zero(inv.currency));
      assert.equal(credit.debit, zero(inv.currency));
      assert.equal(debit.currency, inv.currency);
      assert.deepEqual(Object.keys(debit).sort(), ['account', 'bookCredit', 'bookDebit', 'credit',
                                                   'currency', 'debit', 'vatCode']);
      assert.equal(debit.vatCode, null, 'gross amounts without a vatRate carry no VAT code');
    }
    const payment = entries.find((e) => e.invoiceId === invoices.find((i) => i.externalId === 'in_a1').id);
    const refund = entries.find((e) => e.invoiceId === invoices.find((i) => i.externalId === 'evt_a5').id);
    assert.deepEqual(payment.lines.map((l) => [l.account, l.debit, l.credit]),
                     [['7990', '99.00', '0.00'], [payment.lines[1].account, '0.00', '99.00']]);
    assert.deepEqual(refund.lines.map((l) => [l.account, l.debit, l.credit]),
                     [['7990', '0.00', '99.00'], [payment.lines[1].account, '99.00', '0.00']],
                     'the refund reverses the payment, in the same line order');
  });

  test('paging and the date range', async () => {
    for (const limit of [1, 4, 100])
      assert.deepEqual(await walk(a.member, '/api/ledger/entries', 'entries', limit), entries);
    const march = await walk(a.member, '/api/ledger/entries?from=2026-03-01&to=2026-03-31', 'entries', 2);
    assert.deepEqual(march.map((e) => e.date).sort(), ['2026-03-01', '2026-03-05', '2026-03-10']);
    const april = await a.member.get('/api/ledger/entries?from=2026-04-16');
    assert.deepEqual(april.json.entries.map((e) => e.date), ['2026-04-20']);
  });
});

function zero(currency) {
  return currency === 'JPY' ? '0' : '0.00';
}

// Adds decimal strings exactly (as integers of minor units).
function minor(text) {
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const v = BigInt(whole + frac);
  return text.startsWith('-') ? -v : v;
}

describe('GET /api/ledger/balances', () => {
  test('a trial balance per account and currency that sums to zero per currency', async () => {
    const r = await a.member.get('/api/ledger/balances');
    assert.equal(r.status, 200, r.text);
    const { balances, totals } = r.json;
    const keys = balances.map((x) => `${x.account}/${x.currency}`);
    assert.deepEqual(keys, [...keys].sort(), 'ordered by account, then currency');
    assert.equal(new Set(keys).size, keys.length);
    const sums = {};
    for (const x of balances) {
      assert.equal(minor(x.balance), minor(x.debit) - minor(x.credit), `${x.account}/${x.currency}`);
      sums[x.currency] = (sums[x.currency] ?? 0n) + minor(x.balance);
    }
    assert.deepEqual(Object.keys(sums).sort(), ['EUR', 'JPY', 'USD']);
    for (const [cur, sum] of Object.entries(sums)) assert.equal(sum, 0n, `balances in ${cur} sum to zero`);
    assert.deepEqual(totals.map((t) => t.currency), ['EUR', 'JPY', 'USD']);
    for (const t of totals) assert.equal(t.debit, t.credit, `totals in ${t.currency}`);
    assert.deepEqual(totals, [
      { currency: 'EUR', debit: '243.50', credit: '243.50' },
      { currency: 'JPY', debit: '1500', credit: '1500' },
      { currency: 'USD', debit: '140.00', credit: '140.00' },
    ]);
    const expense = (cur) => balances.find((x) => x.account === '7990' && x.currency === cur);
    assert.deepEqual(expense('EUR'), { account: '7990', currency: 'EUR', debit: '144.50', credit: '99.00',
                                       balance: '45.50', bookDebit: '144.50', bookCredit: '99.00',
                                       bookBalance: '45.50', unrated: false });
    // 120.00 USD at 1.25 is 96.00 EUR, its refund of 20.00 USD 16.00 EUR; 1500 JPY at 150 10.00.
    assert.equal(expense('USD').bookBalance, '80.00');
    assert.equal(expense('JPY').bookBalance, '10.00');
    // EUR 243.50 on each side, USD 96.00 + 16.00 and JPY 10.00 in EUR on each side.
    assert.deepEqual(r.json.bookTotals, { currency: 'EUR', debit: '365.50', credit: '365.50',
                                          unrated: false });
    const clearingEur = balances.find((x) => x.account !== '7990' && x.currency === 'EUR');
    assert.equal(clearingEur.balance, '-45.50', 'a credit balance is negative');
    assert.equal(expense('USD').balance, '100.00');
  });

  test('an empty ledger has no rows and no totals', async () => {
    const r = await empty.member.get('/api/ledger/balances');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { balances: [], totals: [],
                               bookTotals: { currency: 'EUR', debit: '0.00', credit: '0.00',
                                             unrated: false } });
  });
});

describe('GET /api/connectors/:slug/webhook-logs', () => {
  let logs;
  before(async () => {
    const r = await a.admin.get('/api/connectors/stripe/webhook-logs?limit=100');
    assert.equal(r.status, 200, r.text);
    logs = r.json;
    assert.equal(r.headers.get('x-next-cursor'), null, 'no next page');
  });

  test("seed 002's shape: a JSON array, newest first, every outcome", () => {
    assert.ok(Array.isArray(logs));
    assert.equal(logs.length, 11);
    const ids = logs.map((l) => l.id);
    assert.deepEqual(ids, [...ids].sort().reverse());
    for (const l of logs) {
      assert.match(l.id, /^whl_/);
      assert.equal(l.provider, 'stripe');
      assert.match(l.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(l.processedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      for (const k of ['event', 'status', 'externalId']) assert.ok(k in l, `${k} in ${JSON.stringify(l)}`);
      assert.ok(!('body' in l), 'raw bodies are not shown');
    }
    const first = logs.at(-1);
    assert.deepEqual(first, { id: first.id, provider: 'stripe', event: 'invoice.payment_succeeded',
                              status: 'processed', action: 'booked', externalId: 'in_a1',
                              receivedAt: first.receivedAt, processedAt: first.processedAt });
    assert.deepEqual(logs.map((l) => l.status), [
      'processed', 'processed', 'failed', 'invalid_signature', 'duplicate',
      'processed', 'processed', 'processed', 'processed', 'processed', 'processed',
    ]);
    const [ignored, failedPayment, malformed, badSig, duplicate] = logs;
    assert.equal(duplicate.externalId, 'in_a1');
    assert.equal(duplicate.event, 'invoice.payment_succeeded');
    assert.equal(typeof badSig.error, 'string');
    assert.equal(badSig.externalId, null);
    assert.equal(typeof malformed.error, 'string');
    assert.equal(failedPayment.event, 'invoice.payment_failed');
    assert.equal(typeof failedPayment.detail, 'string');
    assert.equal(ignored.event, 'customer.created');
    assert.match(ignored.detail, /no action/);
    // what each did to the books: only bookings and credit notes say they did something
    for (const l of [ignored, failedPayment, malformed, badSig, duplicate])
      assert.equal(l.action, 'none', JSON.stringify(l));
    assert.deepEqual(logs.slice(5).map((l) => l.action).sort(),
                     ['booked', 'booked', 'booked', 'booked', 'credit_note', 'credit_note']);
    assert.ok(!('error' in first) && !('detail' in first), 'error and detail only when set');
  });

  test('the status filter', async () => {
    for (const status of ['processed', 'duplicate', 'failed', 'invalid_signature']) {
      const r = await a.admin.get(`/api/connectors/stripe/webhook-logs?status=${status}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, logs.filter((l) => l.status === status), status);
    }
    const bad = await a.admin.get('/api/connectors/stripe/webhook-logs?status=ok');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_field');
  });

  test('X-Next-Cursor pages through the log', async () => {
    const walked = [];
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const r = await a.admin.get(`/api/connectors/stripe/webhook-logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      walked.push(...r.json);
      cursor = r.headers.get('x-next-cursor');
      if (!cursor) break;
      assert.equal(cursor, r.json.at(-1).id);
    }
    assert.deepEqual(walked, logs);
    const processed = await a.admin.get('/api/connectors/stripe/webhook-logs?status=processed&limit=7');
    assert.equal(processed.json.length, 7);
    assert.equal(processed.headers.get('x-next-cursor'), processed.json[6].id);
    const rest = await a.admin.get(`/api/connectors/stripe/webhook-logs?status=processed&limit=7&cursor=${processed.json[6].id}`);
    assert.deepEqual(rest.json, logs.filter((l) => l.status === 'processed').slice(7));
    assert.equal(rest.headers.get('x-next-cursor'), null);
  });

  test('unknown slugs and connectors without webhooks answer 404; another provider has no log', async () => {
    for (const slug of ['nope', 'datev', 'slack']) {
      const r = await a.admin.get(`/api/connectors/${slug}/webhook-logs`);
      assert.equal(r.status, 404, `${slug}: ${r.text}`);
      assert.equal(r.json.error.code, 'not_found');
    }
    const paypal = await a.admin.get('/api/connectors/paypal/webhook-logs');
    assert.equal(paypal.status, 200, paypal.text);
    assert.deepEqual(paypal.json, []);
  });
});

describe('access', () => {
  test('members read the books but not the webhook log; no token is 401', async () => {
    for (const path of ['/api/invoices', '/api/suppliers', '/api/customers', '/api/ledger/entries',
                        '/api/ledger/balances'])
      assert.equal((await a.member.get(path)).status, 200, path);
    const r = await a.member.get('/api/connectors/stripe/webhook-logs');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'forbidden');
    assert.equal((await server.request('/api/invoices')).status, 401);
    assert.equal((await server.request('/api/ledger/balances')).status, 401);
  });

  test("another tenant's ids answer 404 and its lists never show them", async () => {
    const aInvoices = (await a.admin.get('/api/invoices')).json.invoices;
    const aSuppliers = (await a.admin.get('/api/suppliers')).json.suppliers;
    for (const inv of aInvoices) {
      const r = await b.admin.get(`/api/invoices/${inv.id}`);
      assert.equal(r.status, 404, r.text);
      assert.equal(r.json.error.code, 'not_found');
    }
    const bInvoices = (await b.admin.get('/api/invoices?limit=100')).json.invoices;
    assert.equal(bInvoices.length, 2);
    assert.ok(bInvoices.every((i) => !aInvoices.some((x) => x.id === i.id)));
    // A's supplier id or cursor used by B finds nothing of A's.
    const bySupplier = await b.admin.get(`/api/invoices?supplier=${aSuppliers[0].id}`);
    assert.deepEqual(bySupplier.json.invoices, []);
    const bEntries = (await b.admin.get('/api/ledger/entries')).json.entries;
    assert.equal(bEntries.length, 2);
    assert.ok(bEntries.every((e) => bInvoices.some((i) => i.id === e.invoiceId)));
    const bLogs = (await b.admin.get('/api/connectors/stripe/webhook-logs')).json;
    assert.deepEqual(bLogs.map((l) => l.externalId).sort(), ['evt_b2', 'in_b1']);
    const bBalances = (await b.admin.get('/api/ledger/balances')).json;
    assert.deepEqual(bBalances.totals, [{ currency: 'EUR', debit: '300.00', credit: '300.00' }]);

    for (const [path, key] of [['/api/invoices', 'invoices'], ['/api/suppliers', 'suppliers'],
                               ['/api/customers', 'customers'], ['/api/ledger/entries', 'entries']]) {
      const r = await empty.admin.get(path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.deepEqual(r.json, { [key]: [], nextCursor: null }, path);
    }
    assert.deepEqual((await empty.admin.get('/api/connectors/stripe/webhook-logs')).json, []);
  });
});

describe('bad query parameters answer 400 invalid_field', () => {
  const cases = [
    '/api/invoices?limit=0',
    '/api/invoices?limit=101',
    '/api/invoices?limit=abc',
    '/api/invoices?limit=-5',
    '/api/invoices?limit=10x',
    '/api/invoices?limit=',
    '/api/invoices?cursor=garbage',
    '/api/invoices?cursor=je_00000000000000000000000000000000',
    '/api/invoices?cursor=inv_0000',
    '/api/invoices?from=2026-3-01',
    '/api/invoices?from=20260301',
    '/api/invoices?from=2026-13-01',
    '/api/invoices?to=2026-02-30',
    '/api/invoices?to=2025-02-29',
    '/api/invoices?from=2026-04-01&to=2026-03-01',
    '/api/invoices?type=rechnung',
    '/api/invoices?source=',
    '/api/invoices?supplier=',
    '/api/suppliers?limit=500',
    '/api/suppliers?cursor=cus_00000000000000000000000000000000',
    '/api/customers?cursor=sup_00000000000000000000000000000000',
    '/api/ledger/entries?from=yesterday',
    '/api/ledger/entries?cursor=inv_00000000000000000000000000000000',
    '/api/ledger/entries?limit=1000',
    '/api/connectors/stripe/webhook-logs?limit=101',
    '/api/connectors/stripe/webhook-logs?status=PROCESSED',
    '/api/connectors/stripe/webhook-logs?cursor=inv_00000000000000000000000000000000',
  ];
  test('each names the parameter', async () => {
    for (const path of cases) {
      const r = await a.admin.get(path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal(r.json.error.code, 'invalid_field', `${path}: ${r.text}`);
      const name = new URL(path, 'http://x').searchParams.keys().next().value;
      assert.ok(r.json.error.message.includes(name), `${path}: ${r.json.error.message}`);
    }
  });

  test('valid edge values pass', async () => {
    for (const path of ['/api/invoices?limit=1', '/api/invoices?limit=100', '/api/invoices?to=2024-02-29',
                        '/api/invoices?from=2026-03-01&to=2026-03-01',
                        '/api/connectors/stripe/webhook-logs?limit=100'])
      assert.equal((await a.admin.get(path)).status, 200, path);
  });
});
