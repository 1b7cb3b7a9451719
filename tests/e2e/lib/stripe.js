// tests/e2e/lib/stripe.js - Stripe webhooks as the end-to-end tests send them: a tenant with
// the stripe connector installed, events in the JSON shape Stripe posts, Stripe-Signature
// headers made by the official `stripe` package (so the server is checked against code this
// project did not write), and readers for what the pipeline booked, through the HTTP read
// APIs (invoices, parties, journal, trial balance, webhook log).
//
// Events are pinned to an API version whose invoices still carry `payment_intent`, so an
// invoice's externalId is its payment intent and a later charge.refunded can name it.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const Stripe = require('stripe');

const API_VERSION = '2024-06-20';

function nowS() {
  return Math.floor(Date.now() / 1000);
}

// A Stripe-like id: prefix and 20 random hex characters.
function sid(prefix) {
  return prefix + crypto.randomBytes(10).toString('hex');
}

function newSecret() {
  return 'whsec_' + crypto.randomBytes(24).toString('base64url');
}

// The Stripe-Signature header the official SDK makes for body (exact bytes) and secret.
function sign(body, secret, timestamp = nowS()) {
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
}

// The v1 signature alone, out of a header sign() made.
function v1Of(header) {
  const m = /(?:^|,)v1=([0-9a-f]+)/.exec(header);
  assert.ok(m, `no v1 in ${header}`);
  return m[1];
}

// An event envelope as Stripe posts it, as JSON text.
function eventBody(type, object, { id = sid('evt_'), created = nowS(), previous, account } = {}) {
  const ev = { id, object: 'event' };
  if (account) ev.account = account;
  ev.api_version = API_VERSION;
  ev.created = created;
  ev.data = { object };
  if (previous) ev.data.previous_attributes = previous;
  ev.livemode = false;
  ev.pending_webhooks = 1;
  ev.request = { id: null, idempotency_key: null };
  ev.type = type;
  return JSON.stringify(ev);
}

// An invoice object; `amount` in minor units, undefined fields are left out by JSON.
function invoiceObject(o) {
  return {
    id: o.invoiceId || sid('in_'),
    object: 'invoice',
    account_name: o.accountName,
    amount_due: o.amount,
    amount_paid: o.paid ? o.amount : 0,
    amount_remaining: o.paid ? 0 : o.amount,
    currency: o.currency,
    customer: o.customer,
    customer_email: o.email,
    customer_name: o.name,
    number: o.number,
    payment_intent: o.pi,
    status: o.paid ? 'paid' : 'open',
    created: o.paidAt - 100,
    status_transitions: o.paid ? { paid_at: o.paidAt } : undefined,
  };
}

const PAYMENT_DEFAULTS = {
  amount: 9900,
  currency: 'eur',
  accountName: 'ACME Software GmbH',
  customer: 'cus_TestCustomer01',
  email: 'billing@example.com',
  name: 'Example Buyer GmbH',
};

// A paid invoice: {body, externalId (the payment intent), number, eventId}. `type` may be
// invoice.paid, which Stripe sends for the same payment as invoice.payment_succeeded.
function invoicePaid(opts = {}) {
  const o = { ...PAYMENT_DEFAULTS, pi: sid('pi_'), number: `ACME-${crypto.randomInt(1e9)}`,
              paidAt: nowS(), eventId: sid('evt_'), type: 'invoice.payment_succeeded',
              ...opts, paid: true };
  const body = eventBody(o.type, invoiceObject(o), { id: o.eventId, account: o.account });
  return { body, externalId: o.pi, number: o.number, eventId: o.eventId };
}

// A failed invoice payment: {body, externalId}.
function invoiceFailed(opts = {}) {
  const o = { ...PAYMENT_DEFAULTS, pi: sid('pi_'), number: `ACME-${crypto.randomInt(1e9)}`,
              paidAt: nowS(), ...opts, paid: false };
  return { body: eventBody('invoice.payment_failed', invoiceObject(o)), externalId: o.pi };
}

// charge.refunded for the charge of payment intent `pi`: `refunded` is the charge's
// cumulative amount_refunded after this refund, `before` what it was before. {body, eventId}.
function chargeRefunded({ pi, amount = 9900, refunded = amount, before = 0, currency = 'eur',
                          customer = PAYMENT_DEFAULTS.customer,
                          email = PAYMENT_DEFAULTS.email, eventId = sid('evt_') }) {
  const object = {
    id: sid('ch_'),
    object: 'charge',
    amount,
    amount_captured: amount,
    amount_refunded: refunded,
    billing_details: { email, name: PAYMENT_DEFAULTS.name },
    created: nowS() - 60,
    currency,
    customer,
    payment_intent: pi,
    refunded: refunded === amount,
    status: 'succeeded',
  };
  const body = eventBody('charge.refunded', object,
                         { id: eventId, previous: { amount_refunded: before, refunded: false } });
  return { body, eventId };
}

// A tenant of its own (made with the CLI on the server's store) with the stripe connector.
class StripeTenant {
  constructor(server, tenant) {
    this.server = server;
    this.tenantId = tenant.tenantId;
    this.token = tenant.token;
    this.secret = null;
    this.path = null;
    this.webhookToken = null;
  }

  static async create(server, config = {}, name = `Stripe ${sid('')}`) {
    const t = new StripeTenant(server, await server.createTenant(name, 'pro'));
    await t.install(config);
    return t;
  }

  // Installs stripe with a fresh webhook secret plus `config`; keeps the URL's path.
  async install(config = {}) {
    const secret = newSecret();
    const res = await this.server.request('/api/connectors/stripe/install', {
      method: 'POST', token: this.token, json: { config: { webhookSecret: secret, ...config } },
    });
    assert.equal(res.status, 201, res.text);
    const url = new URL(res.json.webhookUrl);
    const m = /^\/api\/payment-import\/stripe\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    assert.ok(m, `not a stripe webhook URL: ${res.json.webhookUrl}`);
    this.secret = secret;
    this.path = url.pathname;
    this.webhookToken = m[1];
    return res.json;
  }

  async uninstall() {
    const res = await this.server.request('/api/connectors/stripe/uninstall', {
      method: 'POST', token: this.token, json: {},
    });
    assert.equal(res.status, 200, res.text);
  }

  // PUT the config: changes the fields given, keeps those left out (null resets one).
  async configure(config) {
    const res = await this.server.request('/api/connectors/stripe/config', {
      method: 'PUT', token: this.token, json: { config },
    });
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  // POSTs body to the webhook URL with exactly these headers (no signature unless given).
  post(body, { headers = {}, path = this.path } = {}) {
    return this.server.request(path, {
      method: 'POST', body, headers: { 'content-type': 'application/json', ...headers },
    });
  }

  // POSTs body signed by the SDK with the install's secret (or `secret`) at `timestamp`.
  send(body, { secret = this.secret, timestamp, headers = {}, path } = {}) {
    return this.post(body, { path,
                             headers: { 'stripe-signature': sign(body, secret, timestamp),
                                        ...headers } });
  }

  async get(pathname) {
    const res = await this.server.request(pathname, { token: this.token });
    assert.equal(res.status, 200, `GET ${pathname}: ${res.text}`);
    return res;
  }

  // Every page of a {<key>: [...], nextCursor} listing.
  async all(pathname, key, query = {}) {
    const out = [];
    let cursor = null;
    for (;;) {
      const q = new URLSearchParams({ ...query, limit: '100' });
      if (cursor) q.set('cursor', cursor);
      const { json } = await this.get(`${pathname}?${q}`);
      assert.ok(Array.isArray(json[key]), `${pathname}: no ${key} list`);
      out.push(...json[key]);
      if (!json.nextCursor) return out;
      cursor = json.nextCursor;
    }
  }

  invoices(query) { return this.all('/api/invoices', 'invoices', query); }
  suppliers() { return this.all('/api/suppliers', 'suppliers'); }
  customers() { return this.all('/api/customers', 'customers'); }
  entries() { return this.all('/api/ledger/entries', 'entries'); }

  async invoice(id) {
    return (await this.get(`/api/invoices/${id}`)).json;
  }

  async balances() {
    return (await this.get('/api/ledger/balances')).json;
  }

  // Every row of the stripe webhook log (a bare array; the cursor is in X-Next-Cursor).
  async logs(query = {}) {
    const out = [];
    let cursor = null;
    for (;;) {
      const q = new URLSearchParams({ ...query, limit: '100' });
      if (cursor) q.set('cursor', cursor);
      const res = await this.get(`/api/connectors/stripe/webhook-logs?${q}`);
      assert.ok(Array.isArray(res.json), res.text);
      out.push(...res.json);
      cursor = res.headers.get('x-next-cursor');
      if (!cursor) return out;
    }
  }

  // How many log rows have each status.
  async logCounts() {
    const counts = { processed: 0, duplicate: 0, failed: 0, invalid_signature: 0 };
    for (const row of await this.logs()) counts[row.status] = (counts[row.status] || 0) + 1;
    return counts;
  }
}

// Asserts an error answer: status and code.
function assertError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
}

// Asserts the trial balance of a tenant balances: per currency, the debit and credit totals
// are equal and the account balances sum to zero. Returns {"<account> <currency>": balance}.
async function assertBalanced(tenant) {
  const { balances, totals, bookTotals } = await tenant.balances();
  const byAccount = {};
  const sums = {};
  for (const b of balances) {
    byAccount[`${b.account} ${b.currency}`] = b.balance;
    sums[b.currency] = (sums[b.currency] || 0n) + minorOf(b.balance);
  }
  for (const [currency, sum] of Object.entries(sums))
    assert.equal(sum, 0n, `the balances in ${currency} sum to ${sum}, not zero`);
  for (const t of totals) assert.equal(t.debit, t.credit, `totals in ${t.currency} differ`);
  assert.deepEqual(totals.map((t) => t.currency).sort(), Object.keys(sums).sort());
  // Across currencies the books balance in EUR, every line carrying its EUR amount.
  let book = 0n;
  for (const b of balances) book += minorOf(b.bookBalance);
  assert.equal(book, 0n, `the balances in EUR sum to ${book}, not zero`);
  assert.equal(bookTotals.currency, 'EUR');
  assert.equal(bookTotals.debit, bookTotals.credit, 'the totals in EUR differ');
  assert.equal(bookTotals.unrated, false);
  return byAccount;
}

// A decimal string ("-12.345", "1500") as an integer of its smallest digits.
function minorOf(text) {
  assert.match(text, /^-?\d+(\.\d+)?$/);
  return BigInt(text.replace('.', ''));
}

module.exports = {
  StripeTenant,
  assertBalanced,
  assertError,
  chargeRefunded,
  eventBody,
  invoiceFailed,
  invoicePaid,
  newSecret,
  nowS,
  sid,
  sign,
  v1Of,
};
