// The payment providers other than Stripe through the whole pipeline, one table entry each
// (PayPal, Mollie, Revolut, Adyen, GoCardless, Klarna, SumUp): a genuine event books an
// incoming invoice in seed 002's shape; a request signed with the wrong secret, with a byte
// changed, too old (where the scheme has a timestamp) or without its signature is 400
// invalid_signature with a log row; the same event again is 200 duplicate; a refund books a
// credit note linked to its payment where the provider reports refunds; and test-webhook
// (Stripe's too) books its sample in a rolled-back transaction, leaving every count as it
// was.
//
// Signatures come from the providers' official packages where one exists (Adyen's
// hmacValidator; GoCardless's webhooks.parse checks ours), else from node's crypto exactly as
// the provider documents it (Revolut; PayPal, with a certificate made by `openssl` and served
// locally through --paypal-cert-prefix). Mollie, Klarna, SumUp and GoCardless are asked back
// by the server; their APIs are mocks here that check the credential and record requests.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { after, before, describe, test } = require('node:test');
const { hmacValidator } = require('@adyen/api-library');
const gcWebhooks = require('gocardless-nodejs/webhooks');
const { startServer } = require('./lib/server');
const { assertBalanced, assertError, invoicePaid, newSecret, sign: stripeSign } =
  require('./lib/stripe');
const { CertServer, MockApi, ProviderTenant } = require('./lib/providers');

let server;
const cert = new CertServer();
const apis = {
  mollie: new MockApi('mollie'),
  revolut: new MockApi('revolut'),
  gocardless: new MockApi('gocardless'),
  klarna: new MockApi('klarna'),
  sumup: new MockApi('sumup'),
};

before(async () => {
  await cert.start();
  for (const api of Object.values(apis)) await api.start();
  server = await startServer({ args: ['--paypal-cert-prefix', cert.prefix] });
});

after(async () => {
  try {
    await server?.stop();
  } finally {
    await cert.stop();
    for (const api of Object.values(apis)) await api.stop();
  }
});

// ---- ids and small helpers --------------------------------------------------------------

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

// n random characters of `alphabet`.
function rand(n, alphabet = ALNUM) {
  let out = '';
  for (const b of crypto.randomBytes(n)) out += alphabet[b % alphabet.length];
  return out;
}

function hexKey(bytes = 32) {
  return crypto.randomBytes(bytes).toString('hex').toUpperCase();
}

// An id with its last character changed: one byte of the request differs.
function changeLast(id) {
  return id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');
}

// Text with its first occurrence of `from` replaced by `to` (same length), asserted changed.
function changeByte(text, from, to) {
  assert.equal(from.length, to.length);
  assert.ok(text.includes(from), `"${from}" not in ${text}`);
  const out = text.replace(from, to);
  assert.notEqual(out, text);
  return out;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

// ---- the providers ------------------------------------------------------------------------
//
// Each entry: slug; config() for a new install (fresh secrets; autoPost on, so the ledger is
// part of every booking); paid(t) a genuine settled payment {req, expect} of t's account
// (registering with the mock API what it would answer); forgeries: [what, why, (t, paid) =>
// req], requests that must be refused, `why` matching the reason their log row gives;
// refund(t, paid) {req, expect} where the provider reports refunds; ack: the body of a 2xx
// when the provider wants its own; api: the mock it fetches from. A req is {body, headers,
// query}; expect names what the invoice must show.

// PayPal: RSA-SHA256 over "<transmission id>|<time>|<webhook id>|<CRC-32 of the body>".
function paypalKit() {
  const wrongKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const certUrl = () => `${cert.prefix}CERT-connectord-e2e`;

  function signed(t, body, { key = cert.keyPem, webhookId = t.config.webhookId, url = certUrl(),
                             id = crypto.randomUUID(),
                             time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } = {}) {
    const message = `${id}|${time}|${webhookId}|${zlib.crc32(Buffer.from(body))}`;
    const sig = crypto.sign('sha256', Buffer.from(message), key).toString('base64');
    return {
      body,
      headers: { ...JSON_HEADERS, 'paypal-transmission-id': id, 'paypal-transmission-time': time,
                 'paypal-transmission-sig': sig, 'paypal-cert-url': url,
                 'paypal-auth-algo': 'SHA256withRSA' },
    };
  }

  function without(req, header) {
    const headers = { ...req.headers };
    delete headers[header];
    return { ...req, headers };
  }

  return {
    slug: 'paypal',
    config: () => ({ webhookId: rand(17), autoPost: true }),
    paid(t, opts = {}) {
      const capture = rand(17);
      const invoice = `ACME-${rand(6, '0123456789')}`;
      const eventId = `WH-${rand(17)}-${rand(17)}`;
      const body = JSON.stringify({
        id: eventId, event_version: '1.0', create_time: '2026-03-22T14:30:00.000Z',
        resource_type: 'capture', resource_version: '2.0', event_type: 'PAYMENT.CAPTURE.COMPLETED',
        summary: 'Payment completed for EUR 99.0 EUR',
        resource: {
          id: capture, status: 'COMPLETED', amount: { currency_code: 'EUR', value: '99.00' },
          final_capture: true,
          seller_receivable_breakdown: {
            gross_amount: { currency_code: 'EUR', value: '99.00' },
            paypal_fee: { currency_code: 'EUR', value: '3.70' },
            net_amount: { currency_code: 'EUR', value: '95.30' },
          },
          invoice_id: invoice, custom_id: 'order-1001',
          supplementary_data: { related_ids: { order_id: rand(17) } },
          payee: { email_address: 'merchant@example.com', merchant_id: rand(13) },
          create_time: '2026-03-22T14:29:58Z', update_time: '2026-03-22T14:29:58Z',
        },
        links: [{ href: `https://api.paypal.com/v1/notifications/webhooks-events/${eventId}`,
                  rel: 'self', method: 'GET' }],
      });
      return {
        body, capture, req: signed(t, body, opts), resign: (o) => signed(t, body, o),
        expect: { event: 'PAYMENT.CAPTURE.COMPLETED', externalId: capture, invoiceNumber: invoice,
                  invoiceDate: '2026-03-22', totalGross: '99.00', currency: 'EUR',
                  supplierName: 'merchant@example.com' },
      };
    },
    forgeries: [
      ['signed with another key than the certificate\'s', /does not match the certificate/,
       (t, p) => p.resign({ key: wrongKey })],
      ['signed for another webhook id', /does not match the certificate/,
       (t, p) => p.resign({ webhookId: rand(17) })],
      ['a changed body byte', /does not match the certificate/,
       (t, p) => ({ ...p.req, body: changeByte(p.body, '"99.00"', '"99.01"') })],
      ['no PAYPAL-TRANSMISSION-SIG header', /missing header PAYPAL-TRANSMISSION-SIG/,
       (t, p) => without(p.req, 'paypal-transmission-sig')],
      ['no PAYPAL-CERT-URL header', /missing header PAYPAL-CERT-URL/,
       (t, p) => without(p.req, 'paypal-cert-url')],
      ['a certificate URL outside PayPal\'s hosts and the trusted prefix', /not on PayPal's hosts/,
       (t, p) => p.resign({ url: `${cert.base}/other/CERT-connectord-e2e` })],
    ],
    // no stale-timestamp case: PayPal documents no replay window; duplicates catch replays
    refund(t, p) {
      const refundId = rand(17);
      const body = JSON.stringify({
        id: `WH-${rand(17)}-${rand(17)}`, event_version: '1.0',
        create_time: '2026-03-23T09:00:01.000Z', resource_type: 'refund', resource_version: '2.0',
        event_type: 'PAYMENT.CAPTURE.REFUNDED',
        summary: 'A EUR 99.00 EUR capture payment was refunded',
        resource: {
          id: refundId, status: 'COMPLETED', amount: { currency_code: 'EUR', value: '99.00' },
          seller_payable_breakdown: { gross_amount: { currency_code: 'EUR', value: '99.00' } },
          invoice_id: p.expect.invoiceNumber,
          create_time: '2026-03-23T09:00:00Z', update_time: '2026-03-23T09:00:00Z',
          links: [
            { href: `https://api.paypal.com/v2/payments/refunds/${refundId}`, rel: 'self',
              method: 'GET' },
            { href: `https://api.paypal.com/v2/payments/captures/${p.capture}`, rel: 'up',
              method: 'GET' },
          ],
        },
      });
      return { req: signed(t, body),
               expect: { event: 'PAYMENT.CAPTURE.REFUNDED', externalId: refundId,
                         totalGross: '99.00', invoiceDate: '2026-03-23' } };
    },
  };
}

// Mollie: the body is only "id=tr_..."; the server fetches the payment with the API key.
function mollieKit() {
  const api = apis.mollie;
  const auth = (key) => `Bearer ${key}`;

  function payment(id, over = {}) {
    return {
      resource: 'payment', id, mode: 'test', createdAt: '2026-03-22T14:29:00+00:00',
      amount: { value: '99.00', currency: 'EUR' }, description: 'Order ACME-1001',
      method: 'creditcard', metadata: null, status: 'paid', paidAt: '2026-03-22T14:30:00+00:00',
      amountRefunded: { value: '0.00', currency: 'EUR' },
      amountRemaining: { value: '99.00', currency: 'EUR' }, locale: 'de_AT',
      profileId: 'pfl_QkEhN94Ba', sequenceType: 'oneoff',
      redirectUrl: 'https://shop.example.com/ok',
      details: { cardHolder: 'Example Buyer', cardNumber: '1234' },
      _links: { self: { href: `https://api.mollie.com/v2/payments/${id}`,
                        type: 'application/hal+json' } },
      ...over,
    };
  }
  const form = (id) => ({ body: `id=${id}`,
                          headers: { 'content-type': 'application/x-www-form-urlencoded',
                                     'user-agent': 'Mollie HTTP client/1.0' } });

  return {
    slug: 'mollie',
    api,
    config: () => ({ apiKey: `test_${rand(30)}`, apiBaseUrl: api.base, autoPost: true }),
    paid(t, { key = t.config.apiKey } = {}) {
      const id = `tr_${rand(10)}`;
      api.set(`/v2/payments/${id}`, auth(key), payment(id));
      return {
        id, req: form(id),
        expect: { event: 'payment.paid', externalId: id, invoiceNumber: id,
                  invoiceDate: '2026-03-22', totalGross: '99.00', currency: 'EUR',
                  supplierName: 'mollie' },
      };
    },
    forgeries: [
      // the payment exists, but for another account's key: Mollie answers 401 to this one
      ['an API key the payment\'s account does not have', /HTTP 401/,
       (t) => kits.mollie.paid(t, { key: `test_${rand(30)}` }).req],
      ['a changed body byte (an id Mollie does not know)', /HTTP 404/,
       (t, p) => form(changeLast(p.id))],
      ['no payment id in the body', /no payment id/, () => ({ ...form(''), body: '' })],
      ['a refund id where a payment id belongs', /not a Mollie payment id/,
       () => form(`re_${rand(10)}`)],
    ],
    refund(t, p) {
      const refundId = `re_${rand(10)}`;
      // a refunded payment stays paid; the refund is found through its refunds list
      api.set(`/v2/payments/${p.id}`, auth(t.config.apiKey),
              payment(p.id, { amountRefunded: { value: '99.00', currency: 'EUR' },
                              amountRemaining: { value: '0.00', currency: 'EUR' } }));
      api.set(`/v2/payments/${p.id}/refunds`, auth(t.config.apiKey), {
        count: 1,
        _embedded: { refunds: [{ resource: 'refund', id: refundId, mode: 'test',
                                 amount: { value: '99.00', currency: 'EUR' }, status: 'pending',
                                 createdAt: '2026-03-23T09:00:00+00:00', description: 'Return',
                                 paymentId: p.id }] },
        _links: {},
      });
      return { req: form(p.id), alsoDuplicate: 'payment.paid',
               expect: { event: 'refund.created', externalId: refundId, totalGross: '99.00',
                         invoiceDate: '2026-03-23' } };
    },
    fetched(t, p) {
      const got = api.received(`/v2/payments/${p.id}`);
      assert.ok(got.length >= 1, 'the server asked Mollie for the payment');
      for (const r of got) assert.equal(r.headers.authorization, `Bearer ${t.config.apiKey}`);
    },
  };
}

// Revolut: HMAC-SHA256 over "v1.<timestamp ms>.<body>", 5 minutes of tolerance.
function revolutSigned(secret, body, ts = Date.now()) {
  const sig = crypto.createHmac('sha256', secret).update(`v1.${ts}.${body}`).digest('hex');
  return { body, headers: { ...JSON_HEADERS, 'revolut-signature': `v1=${sig}`,
                            'revolut-request-timestamp': String(ts) } };
}

function revolutKit() {
  function without(req, header) {
    const headers = { ...req.headers };
    delete headers[header];
    return { ...req, headers };
  }
  return {
    slug: 'revolut',
    config: () => ({ webhookSecret: `wsk_${rand(32)}`, autoPost: true }),
    paid(t) {
      const id = crypto.randomUUID();
      const reference = `INV-${rand(6, '0123456789')}`;
      // the amount as Revolut writes it, "-99.00": the text decides, not a double
      const body = '{"event":"TransactionCreated","timestamp":"2026-03-22T14:30:00.000000Z",' +
        `"data":{"id":"${id}","type":"card_payment","state":"completed","request_id":"",` +
        '"created_at":"2026-03-22T14:29:58.000000Z","updated_at":"2026-03-22T14:30:00.000000Z",' +
        `"completed_at":"2026-03-22T14:30:00.000000Z","reference":"${reference}",` +
        '"merchant":{"name":"ACME Software GmbH","city":"Vienna","category_code":"5734",' +
        '"country":"AUT"},' +
        `"legs":[{"leg_id":"${id}","account_id":"${crypto.randomUUID()}","amount":-99.00,` +
        '"currency":"EUR","description":"ACME Software GmbH","balance":1234.56}]}}';
      return {
        body, id, req: revolutSigned(t.config.webhookSecret, body),
        expect: { event: 'payment_completed', externalId: id, invoiceNumber: reference,
                  invoiceDate: '2026-03-22', totalGross: '99.00', currency: 'EUR',
                  supplierName: 'ACME Software GmbH' },
      };
    },
    forgeries: [
      ['signed with another secret', /no v1 signature matches/,
       (t, p) => revolutSigned(`wsk_${rand(32)}`, p.body)],
      ['a changed body byte', /no v1 signature matches/,
       (t, p) => ({ ...p.req, body: changeByte(p.body, '-99.00', '-99.01') })],
      ['a stale timestamp (5 minutes and 1 s old)', /outside the tolerance/,
       (t, p) => revolutSigned(t.config.webhookSecret, p.body, Date.now() - 301000)],
      ['a timestamp 5 minutes and 1 s ahead', /outside the tolerance/,
       (t, p) => revolutSigned(t.config.webhookSecret, p.body, Date.now() + 301000)],
      ['a timestamp header other than the signed one', /no v1 signature matches/,
       (t, p) => {
         const signedTs = Number(p.req.headers['revolut-request-timestamp']);
         return { ...p.req, headers: { ...p.req.headers,
                                       'revolut-request-timestamp': String(signedTs + 1) } };
       }],
      ['no Revolut-Signature header', /missing Revolut-Signature/,
       (t, p) => without(p.req, 'revolut-signature')],
      ['no Revolut-Request-Timestamp header', /Revolut-Request-Timestamp header/,
       (t, p) => without(p.req, 'revolut-request-timestamp')],
    ],
    // Revolut's webhooks do not link a refund to its payment, so there is no refund case
  };
}

// Adyen: each notification item carries its HMAC; signed and checked by the official SDK.
function adyenKit() {
  const validator = new hmacValidator();
  const sign = (item, key) => ({
    ...item,
    additionalData: { ...item.additionalData, hmacSignature: validator.calculateHmac(item, key) },
  });
  const batch = (...items) => JSON.stringify({
    live: 'false', notificationItems: items.map((i) => ({ NotificationRequestItem: i })),
  });
  function authorisation(over = {}) {
    return { amount: { currency: 'EUR', value: 9900 }, eventCode: 'AUTHORISATION',
             eventDate: '2026-03-22T14:30:00+01:00', merchantAccountCode: 'AcmeCOM',
             merchantReference: `order-${rand(6, '0123456789')}`, paymentMethod: 'visa',
             pspReference: rand(16), reason: '', success: 'true', ...over };
  }
  return {
    slug: 'adyen',
    ack: '[accepted]',
    config: () => ({ apiKey: `AQE${rand(40)}`, hmacKey: hexKey(), autoPost: true }),
    paid(t) {
      const item = sign(authorisation(), t.config.hmacKey);
      assert.equal(validator.validateHMAC(item, t.config.hmacKey), true, 'the SDK accepts it');
      const body = batch(item);
      return {
        body, item, req: { body, headers: JSON_HEADERS },
        expect: { event: 'AUTHORISATION', externalId: item.pspReference,
                  invoiceNumber: item.merchantReference, invoiceDate: '2026-03-22',
                  totalGross: '99.00', currency: 'EUR', supplierName: 'adyen' },
      };
    },
    forgeries: [
      ['signed with another HMAC key', /item 1: the hmacSignature does not match/, (t, p) => {
        const item = sign(authorisation({ pspReference: p.item.pspReference,
                                          merchantReference: p.item.merchantReference }), hexKey());
        assert.equal(validator.validateHMAC(item, t.config.hmacKey), false);
        return { body: batch(item), headers: JSON_HEADERS };
      }],
      ['a changed body byte (the amount)', /item 1: the hmacSignature does not match/, (t, p) => {
        const body = changeByte(p.body, '"value":9900', '"value":9901');
        const item = JSON.parse(body).notificationItems[0].NotificationRequestItem;
        assert.equal(validator.validateHMAC(item, t.config.hmacKey), false, 'the SDK refuses it');
        return { body, headers: JSON_HEADERS };
      }],
      ['no hmacSignature', /item 1: no hmacSignature/,
       (t, p) => ({ body: batch({ ...p.item, additionalData: {} }), headers: JSON_HEADERS })],
      ['a forged item riding along with a genuine one', /item 2: the hmacSignature does not match/,
       (t, p) => ({ body: batch(p.item, sign(authorisation(), hexKey())), headers: JSON_HEADERS })],
    ],
    refund(t, p) {
      const item = sign(authorisation({ eventCode: 'REFUND', eventDate: '2026-03-23T09:00:00+01:00',
                                        originalReference: p.item.pspReference,
                                        pspReference: rand(16),
                                        merchantReference: p.item.merchantReference }),
                        t.config.hmacKey);
      return { req: { body: batch(item), headers: JSON_HEADERS },
               expect: { event: 'REFUND', externalId: item.pspReference, totalGross: '99.00',
                         invoiceDate: '2026-03-23' } };
    },
  };
}

// GoCardless: Webhook-Signature is the hex HMAC of the body; events carry ids only, so the
// server fetches payments and refunds with the access token.
function gocardlessKit() {
  const api = apis.gocardless;
  // Signs as GoCardless does, and has the official SDK confirm it.
  function signed(secret, body, sdkSecret = secret) {
    const sig = crypto.createHmac('sha256', secret).update(body).digest('hex');
    return { body, headers: { ...JSON_HEADERS, 'webhook-signature': sig }, sdkSecret };
  }
  function event(over) {
    return { id: `EV${rand(12)}`, created_at: '2026-03-22T14:30:00.000Z', metadata: {}, ...over };
  }
  const envelope = (...events) => JSON.stringify({ events, meta: { webhook_id: `WB${rand(12)}` } });

  return {
    slug: 'gocardless',
    api,
    config: () => ({ webhookSecret: rand(40), secretId: `sid-${rand(8)}`,
                     secretKey: `live_${rand(40)}`, apiBaseUrl: api.base, autoPost: true }),
    paid(t) {
      const id = `PM${rand(12)}`;
      const reference = `ACME-${rand(6, '0123456789')}`;
      api.set(`/payments/${id}`, `Bearer ${t.config.secretKey}`, { payments: {
        id, created_at: '2026-03-18T10:00:00.000Z', charge_date: '2026-03-22', amount: 9900,
        description: 'Subscription March', currency: 'EUR', status: 'confirmed', amount_refunded: 0,
        reference, metadata: {}, retry_if_possible: true,
        links: { mandate: `MD${rand(12)}`, creditor: `CR${rand(12)}` },
      } });
      const body = envelope(event({
        resource_type: 'payments', action: 'confirmed', links: { payment: id },
        details: { origin: 'gocardless', cause: 'payment_confirmed',
                   description: 'Enough time has passed since the payment was submitted.' },
      }));
      const req = signed(t.config.webhookSecret, body);
      const events = gcWebhooks.parse(body, t.config.webhookSecret,
                                      req.headers['webhook-signature']);
      assert.equal(events.length, 1, 'the SDK accepts the signed batch');
      return {
        body, id, req,
        expect: { event: 'payments.confirmed', externalId: id, invoiceNumber: reference,
                  invoiceDate: '2026-03-22', totalGross: '99.00', currency: 'EUR',
                  supplierName: 'gocardless' },
      };
    },
    forgeries: [
      ['signed with another secret', /Webhook-Signature does not match/, (t, p) => {
        const req = signed(rand(40), p.body);
        assert.throws(() => gcWebhooks.verifySignature(p.body, t.config.webhookSecret,
                                                       req.headers['webhook-signature']));
        return req;
      }],
      ['a changed body byte', /Webhook-Signature does not match/, (t, p) => {
        const body = changeByte(p.body, '"confirmed"', '"Confirmed"');
        assert.throws(() => gcWebhooks.verifySignature(body, t.config.webhookSecret,
                                                       p.req.headers['webhook-signature']));
        return { ...p.req, body };
      }],
      ['no Webhook-Signature header', /missing Webhook-Signature/,
       (t, p) => ({ body: p.body, headers: JSON_HEADERS })],
    ],
    refund(t, p) {
      const refundId = `RF${rand(12)}`;
      api.set(`/refunds/${refundId}`, `Bearer ${t.config.secretKey}`, { refunds: {
        id: refundId, created_at: '2026-03-23T08:00:00.000Z', amount: 9900, currency: 'EUR',
        reference: `R-${p.expect.invoiceNumber}`, status: 'paid', metadata: {},
        links: { payment: p.id, mandate: `MD${rand(12)}` },
      } });
      const body = envelope(event({
        created_at: '2026-03-23T09:00:00.000Z', resource_type: 'refunds', action: 'paid',
        links: { refund: refundId, payment: p.id },
        details: { origin: 'gocardless', cause: 'refund_paid',
                   description: 'The refund has been paid.' },
      }));
      return { req: signed(t.config.webhookSecret, body),
               expect: { event: 'refunds.paid', externalId: refundId, totalGross: '99.00',
                         invoiceDate: '2026-03-23' } };
    },
    fetched(t, p) {
      const got = api.received(`/payments/${p.id}`);
      assert.ok(got.length >= 1, 'the server asked GoCardless for the payment');
      for (const r of got) {
        assert.equal(r.headers.authorization, `Bearer ${t.config.secretKey}`);
        assert.equal(r.headers['gocardless-version'], '2015-07-06');
      }
    },
  };
}

// Klarna: a Checkout push is an empty POST with the order id in the query; the server fetches
// the order from Order Management with HTTP Basic.
function klarnaKit() {
  const api = apis.klarna;
  const basic = (user, password) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  function order(id, reference, over = {}) {
    return {
      order_id: id, status: 'AUTHORIZED', fraud_status: 'ACCEPTED', order_amount: 9900,
      original_order_amount: 9900, captured_amount: 0, refunded_amount: 0,
      remaining_authorized_amount: 9900, purchase_currency: 'EUR', purchase_country: 'DE',
      locale: 'de-DE', created_at: '2026-03-22T14:30:00.000Z',
      expires_at: '2026-04-19T14:30:00.000Z',
      klarna_reference: rand(8), merchant_reference1: reference,
      billing_address: { given_name: 'Erika', family_name: 'Mustermann', email: 'erika@example.com',
                         country: 'DE' },
      order_lines: [{ type: 'physical', name: 'Coffee grinder', quantity: 1, unit_price: 9900,
                      tax_rate: 1900, total_amount: 9900, total_tax_amount: 1581 }],
      captures: [], refunds: [], ...over,
    };
  }
  const push = (id) => ({ body: '', query: { klarna_order_id: id } });

  return {
    slug: 'klarna',
    api,
    config: () => ({ apiKey: `K${rand(8)}_${rand(6)}`, apiSecret: rand(30), apiBaseUrl: api.base,
                     autoPost: true }),
    paid(t, { password = t.config.apiSecret } = {}) {
      const id = crypto.randomUUID();
      const reference = `ORDER-${rand(6, '0123456789')}`;
      api.set(`/ordermanagement/v1/orders/${id}`, basic(t.config.apiKey, password),
              order(id, reference));
      api.set(`/ordermanagement/v1/orders/${id}/acknowledge`, basic(t.config.apiKey, password), '',
              204, 'POST');
      return {
        id, reference, req: push(id),
        expect: { event: 'payment.paid', externalId: id, invoiceNumber: reference,
                  invoiceDate: '2026-03-22', totalGross: '99.00', currency: 'EUR',
                  supplierName: 'klarna' },
      };
    },
    forgeries: [
      ['an API password the order\'s account does not have', /HTTP 401/,
       (t) => kits.klarna.paid(t, { password: rand(30) }).req],
      ['a changed byte of the order id', /HTTP 404/, (t, p) => push(changeLast(p.id))],
      ['no order id', /no order id/, () => ({ body: '' })],
    ],
    refund(t, p) {
      const refundId = crypto.randomUUID();
      api.set(`/ordermanagement/v1/orders/${p.id}`, basic(t.config.apiKey, t.config.apiSecret),
              order(p.id, p.reference, {
                status: 'CAPTURED', captured_amount: 9900, refunded_amount: 9900,
                remaining_authorized_amount: 0,
                captures: [{ capture_id: crypto.randomUUID(), captured_amount: 9900,
                             captured_at: '2026-03-22T15:00:00.000Z', refunded_amount: 9900 }],
                refunds: [{ refund_id: refundId, refunded_amount: 9900,
                            refunded_at: '2026-03-23T09:00:00.000Z', reference: 'R-1',
                            description: 'Returned' }],
              }));
      // Klarna pushes nothing for refunds; the next notification for the order carries it
      return { req: { body: JSON.stringify({ order_id: p.id, event_type: 'FRAUD_RISK_ACCEPTED' }),
                      headers: JSON_HEADERS },
               alsoDuplicate: 'payment.paid',
               expect: { event: 'refund.created', externalId: refundId, totalGross: '99.00',
                         invoiceDate: '2026-03-23' } };
    },
    fetched(t, p) {
      const got = api.received(`/ordermanagement/v1/orders/${p.id}`);
      assert.ok(got.length >= 1, 'the server asked Klarna for the order');
      for (const r of got)
        assert.equal(r.headers.authorization, basic(t.config.apiKey, t.config.apiSecret));
      // a Checkout push is acknowledged once booked (POST, no body), with the same account
      const acks = got.filter((r) => r.method === 'POST');
      assert.ok(acks.length >= 1, 'the order was not acknowledged');
      for (const r of acks) assert.equal(r.url, `/ordermanagement/v1/orders/${p.id}/acknowledge`);
    },
  };
}

// SumUp: {"event_type":"CHECKOUT_STATUS_CHANGED","id":...}; the server fetches the checkout.
function sumupKit() {
  const api = apis.sumup;
  function checkout(t, id, txn, reference, over = {}, txnStatus = 'SUCCESSFUL') {
    // amounts are JSON numbers in major units, written as SumUp writes them
    return JSON.stringify({
      checkout_reference: reference, amount: 99.5, currency: 'EUR',
      merchant_code: t.config.merchantCode, description: 'Coffee beans', id, status: 'PAID',
      date: '2026-03-22T14:29:00.000+00:00', valid_until: null,
      transactions: [{ id: txn, transaction_code: rand(10), amount: 99.5, currency: 'EUR',
                       timestamp: '2026-03-22T14:30:00.000Z', status: txnStatus,
                       payment_type: 'ECOM', installments_count: 1,
                       merchant_code: t.config.merchantCode, vat_amount: 0, tip_amount: 0,
                       entry_mode: 'CUSTOMER_ENTRY', auth_code: rand(6, '0123456789') }],
      ...over,
    });
  }
  const note = (id) => ({ body: JSON.stringify({ event_type: 'CHECKOUT_STATUS_CHANGED', id }),
                          headers: JSON_HEADERS });

  return {
    slug: 'sumup',
    api,
    config: () => ({ apiKey: `sup_sk_${rand(30)}`, merchantCode: `M${rand(7)}`,
                     apiBaseUrl: api.base, autoPost: true }),
    paid(t, { key = t.config.apiKey, merchant } = {}) {
      const id = crypto.randomUUID();
      const txn = crypto.randomUUID();
      const reference = `ACME-${rand(6, '0123456789')}`;
      const over = merchant ? { merchant_code: merchant } : {};
      api.set(`/v0.1/checkouts/${id}`, `Bearer ${key}`, checkout(t, id, txn, reference, over));
      return {
        id, txn, reference, req: note(id),
        expect: { event: 'payment.paid', externalId: id, invoiceNumber: reference,
                  invoiceDate: '2026-03-22', totalGross: '99.50', currency: 'EUR',
                  supplierName: 'sumup' },
      };
    },
    forgeries: [
      ['an API key the checkout\'s account does not have', /HTTP 401/,
       (t) => kits.sumup.paid(t, { key: `sup_sk_${rand(30)}` }).req],
      ['a changed byte of the checkout id', /HTTP 404/, (t, p) => note(changeLast(p.id))],
      ['no checkout id', /no checkout id/,
       () => ({ body: '{"event_type":"CHECKOUT_STATUS_CHANGED"}', headers: JSON_HEADERS })],
      ['a checkout of another merchant', /belongs to merchant/,
       (t) => kits.sumup.paid(t, { merchant: `M${rand(7)}` }).req],
    ],
    refund(t, p) {
      api.set(`/v0.1/checkouts/${p.id}`, `Bearer ${t.config.apiKey}`,
              checkout(t, p.id, p.txn, p.reference, {}, 'REFUNDED'));
      return { req: note(p.id), alsoDuplicate: 'payment.paid',
               expect: { event: 'refund.created', externalId: p.txn, totalGross: '99.50',
                         invoiceDate: '2026-03-22' } };
    },
    fetched(t, p) {
      const got = api.received(`/v0.1/checkouts/${p.id}`);
      assert.ok(got.length >= 1, 'the server asked SumUp for the checkout');
      for (const r of got) assert.equal(r.headers.authorization, `Bearer ${t.config.apiKey}`);
    },
  };
}

const kits = {
  paypal: paypalKit(),
  mollie: mollieKit(),
  revolut: revolutKit(),
  adyen: adyenKit(),
  gocardless: gocardlessKit(),
  klarna: klarnaKit(),
  sumup: sumupKit(),
};

// ---- assertions -------------------------------------------------------------------------

// A 200 answer: the provider's own acknowledgement, or the JSON status with one result per
// event. Returns the results (none for an acknowledgement body).
function assertAnswered(kit, res, status) {
  assert.equal(res.status, 200, res.text);
  if (kit.ack) {
    assert.equal(res.text, kit.ack);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    return [];
  }
  assert.equal(res.json?.status, status, res.text);
  assert.ok(Array.isArray(res.json.results) && res.json.results.length >= 1, res.text);
  return res.json.results;
}

// The invoice fields seed 002 shows, checked one by one.
function assertSeedShape(inv, expect, slug, type) {
  const want = { type, invoiceDate: expect.invoiceDate, totalGross: expect.totalGross,
                 currency: expect.currency || 'EUR', source: slug, externalId: expect.externalId };
  if (expect.invoiceNumber) want.invoiceNumber = expect.invoiceNumber;
  for (const [k, v] of Object.entries(want)) assert.equal(inv[k], v, `invoice.${k}`);
  assert.match(inv.supplierId, /^sup_/);
}

// ---- the table ----------------------------------------------------------------------------

for (const kit of Object.values(kits)) {
  describe(`${kit.slug} webhooks`, () => {
    test('a genuine event books an eingangsrechnung in seed 002\'s shape', async () => {
      const t = await ProviderTenant.create(server, kit.slug, kit.config());
      const p = kit.paid(t);
      const results = assertAnswered(kit, await t.send(p.req), 'processed');
      if (!kit.ack) {
        const r = results.find((x) => x.externalId === p.expect.externalId);
        assert.ok(r, JSON.stringify(results));
        assert.equal(r.event, p.expect.event);
        assert.equal(r.status, 'processed');
        assert.equal(r.invoiceType, 'eingangsrechnung');
        assert.equal(r.totalGross, p.expect.totalGross);
        assert.match(r.journalEntryId, /^je_/);
      }

      const invoices = await t.invoices();
      assert.equal(invoices.length, 1, JSON.stringify(invoices));
      assertSeedShape(invoices[0], p.expect, kit.slug, 'eingangsrechnung');
      assert.deepEqual(await t.invoice(invoices[0].id), invoices[0]);
      const suppliers = await t.suppliers();
      assert.equal(suppliers.length, 1);
      assert.equal(suppliers[0].id, invoices[0].supplierId);
      assert.equal(suppliers[0].name, p.expect.supplierName);
      const entries = await t.entries();
      assert.equal(entries.length, 1, 'autoPost: one journal entry');
      assert.equal(entries[0].invoiceId, invoices[0].id);
      await assertBalanced(t);

      const logs = await t.logs();
      assert.equal(logs.length, 1, JSON.stringify(logs));
      assert.equal(logs[0].provider, kit.slug);
      assert.equal(logs[0].event, p.expect.event);
      assert.equal(logs[0].status, 'processed');
      assert.equal(logs[0].externalId, p.expect.externalId);
      kit.fetched?.(t, p);
    });

    test('forged or altered requests are 400 invalid_signature, logged, nothing booked',
      async () => {
        const t = await ProviderTenant.create(server, kit.slug, kit.config());
        const p = kit.paid(t);
        for (const [what, why, forge] of kit.forgeries) {
          const before = (await t.logs({ status: 'invalid_signature' })).length;
          const res = await t.send(forge(t, p));
          assertError(res, 400, 'invalid_signature');
          const rows = await t.logs({ status: 'invalid_signature' });
          assert.equal(rows.length, before + 1, `${what}: one invalid_signature log row`);
          assert.equal(rows[0].provider, kit.slug);
          assert.match(rows[0].error, why, `${what}: the row says why`);
          assert.deepEqual(await t.invoices(), [], `${what}: nothing booked`);
          assert.deepEqual(await t.suppliers(), [], `${what}: no supplier`);
          assert.deepEqual(await t.entries(), [], `${what}: no entry`);
        }
        // only invalid_signature rows; the genuine request still books afterwards
        const logs = await t.logs();
        assert.equal(logs.length, kit.forgeries.length);
        assert.ok(logs.every((l) => l.status === 'invalid_signature'), JSON.stringify(logs));
        assertAnswered(kit, await t.send(p.req), 'processed');
        assert.equal((await t.invoices()).length, 1);
      });

    test('the same event again is 200 duplicate and books nothing more', async () => {
      const t = await ProviderTenant.create(server, kit.slug, kit.config());
      const p = kit.paid(t);
      assertAnswered(kit, await t.send(p.req), 'processed');
      const results = assertAnswered(kit, await t.send(p.req), 'duplicate');
      for (const r of results) {
        assert.equal(r.status, 'duplicate');
        assert.equal(r.externalId, p.expect.externalId);
        assert.equal(r.invoiceId, undefined);
      }
      assert.equal((await t.invoices()).length, 1);
      assert.equal((await t.suppliers()).length, 1, 'a duplicate leaves no supplier behind');
      assert.equal((await t.entries()).length, 1);
      const logs = await t.logs();
      assert.deepEqual(logs.map((l) => l.status), ['duplicate', 'processed']);
      for (const l of logs) {
        assert.equal(l.externalId, p.expect.externalId);
        assert.equal(l.event, p.expect.event);
      }
    });

    if (kit.refund) {
      test('a refund books a gutschrift linked to its payment, and the reversing entry',
        async () => {
          const t = await ProviderTenant.create(server, kit.slug, kit.config());
          const p = kit.paid(t);
          assertAnswered(kit, await t.send(p.req), 'processed');
          const [original] = await t.invoices();
          const refund = kit.refund(t, p);
          const results = assertAnswered(kit, await t.send(refund.req), 'processed');
          if (!kit.ack) {
            const r = results.find((x) => x.externalId === refund.expect.externalId);
            assert.ok(r, JSON.stringify(results));
            assert.equal(r.event, refund.expect.event);
            assert.equal(r.invoiceType, 'gutschrift');
            if (refund.alsoDuplicate) {
              // fetch-back providers report the payment again with its refund
              const again = results.find((x) => x.externalId === p.expect.externalId);
              assert.equal(again?.status, 'duplicate', JSON.stringify(results));
            }
          }
          const [note] = await t.invoices({ type: 'gutschrift' });
          assert.ok(note, 'a credit note was booked');
          assertSeedShape(note, refund.expect, kit.slug, 'gutschrift');
          assert.equal(note.relatedInvoiceId, original.id);
          assert.equal(note.supplierId, original.supplierId);
          assert.equal((await t.invoices()).length, 2);
          assert.equal((await t.suppliers()).length, 1);
          const entries = await t.entries();
          assert.equal(entries.length, 2, 'the payment\'s entry and its reversal');
          assert.ok(entries.some((e) => e.invoiceId === note.id && e.id === note.journalEntryId));
          const balances = await assertBalanced(t);
          for (const [account, balance] of Object.entries(balances))
            assert.equal(balance, '0.00', `${account} is back to zero after the full refund`);

          // the refund again is a duplicate
          const again = await t.send(refund.req);
          assertAnswered(kit, again, 'duplicate');
          assert.equal((await t.invoices()).length, 2);
          assert.equal((await t.entries()).length, 2);
        });
    }
  });
}

// ---- provider-specific behaviour ------------------------------------------------------------

describe('PayPal certificates', () => {
  test('the certificate is fetched from the trusted prefix once and then cached', async () => {
    const kit = kits.paypal;
    const t = await ProviderTenant.create(server, 'paypal', kit.config());
    const url = `${cert.prefix}CERT-${rand(12)}`;
    const first = kit.paid(t, { url });
    assertAnswered(kit, await t.send(first.req), 'processed');
    assertAnswered(kit, await t.send(kit.paid(t, { url }).req), 'processed');
    const path = new URL(url).pathname;
    assert.equal(cert.requests.filter((r) => r.url === path).length, 1,
                 'one download for two webhooks');
    assert.equal((await t.invoices()).length, 2);
  });
});

describe('Revolut with an API token', () => {
  test('TransactionStateChanged fetches the transaction with the token and books it', async () => {
    const api = apis.revolut;
    const config = { webhookSecret: `wsk_${rand(32)}`, apiKey: `oa_prod_${rand(30)}`,
                     apiBaseUrl: api.base, autoPost: true };
    const t = await ProviderTenant.create(server, 'revolut', config);
    const created = kits.revolut.paid(t);
    const tx = JSON.parse(created.body).data;
    api.set(`/api/1.0/transaction/${tx.id}`, `Bearer ${config.apiKey}`, JSON.stringify(tx));
    const body = JSON.stringify({
      data: { id: tx.id, new_state: 'completed', old_state: 'pending', request_id: '' },
      event: 'TransactionStateChanged', timestamp: '2026-03-22T14:30:00.000000Z',
    });
    const res = await t.send(revolutSigned(config.webhookSecret, body));
    const [r] = assertAnswered(kits.revolut, res, 'processed');
    assert.equal(r.event, 'payment_completed');
    assert.equal(r.externalId, tx.id);
    assert.equal(r.totalGross, '99.00');
    const got = api.received(`/api/1.0/transaction/${tx.id}`);
    assert.equal(got.length, 1);
    assert.equal(got[0].headers.authorization, `Bearer ${config.apiKey}`);
    const [inv] = await t.invoices();
    assertSeedShape(inv, created.expect, 'revolut', 'eingangsrechnung');

    // TransactionCreated for the same transaction is the same payment: a duplicate
    assertAnswered(kits.revolut, await t.send(created.req), 'duplicate');
    assert.equal((await t.invoices()).length, 1);
  });
});

describe('batches (Adyen, GoCardless): one request, several payments', () => {
  test('Adyen: an authorisation and its refund in one notification book both, linked',
    async () => {
      const kit = kits.adyen;
      const t = await ProviderTenant.create(server, 'adyen', kit.config());
      const p = kit.paid(t);
      const refund = kit.refund(t, p);
      const items = [p.body, refund.req.body]
        .map((b) => JSON.parse(b).notificationItems[0]);
      const body = JSON.stringify({ live: 'false', notificationItems: items });
      assertAnswered(kit, await t.send({ body, headers: JSON_HEADERS }), 'processed');
      const [note] = await t.invoices({ type: 'gutschrift' });
      const [original] = await t.invoices({ type: 'eingangsrechnung' });
      assert.equal(original.externalId, p.expect.externalId);
      assert.equal(note.externalId, refund.expect.externalId);
      assert.equal(note.relatedInvoiceId, original.id);
      const logs = await t.logs();
      assert.deepEqual(logs.map((l) => l.status), ['processed', 'processed']);
      assert.deepEqual(logs.map((l) => l.event).sort(), ['AUTHORISATION', 'REFUND']);
      // the whole batch again: both items are duplicates
      assertAnswered(kit, await t.send({ body, headers: JSON_HEADERS }), 'duplicate');
      assert.equal((await t.invoices()).length, 2);
      assert.equal((await t.logs({ status: 'duplicate' })).length, 2);
    });

  test('GoCardless: a payment confirmed and its refund paid in one batch book both, linked',
    async () => {
      const kit = kits.gocardless;
      const t = await ProviderTenant.create(server, 'gocardless', kit.config());
      const p = kit.paid(t);
      const refund = kit.refund(t, p);
      const events = [p.body, refund.req.body].map((b) => JSON.parse(b).events[0]);
      const body = JSON.stringify({ events, meta: { webhook_id: `WB${rand(12)}` } });
      const sig = crypto.createHmac('sha256', t.config.webhookSecret).update(body).digest('hex');
      assert.equal(gcWebhooks.parse(body, t.config.webhookSecret, sig).length, 2);
      const res = await t.send({ body, headers: { ...JSON_HEADERS, 'webhook-signature': sig } });
      const results = assertAnswered(kit, res, 'processed');
      assert.deepEqual(results.map((r) => [r.event, r.status]),
                       [['payments.confirmed', 'processed'], ['refunds.paid', 'processed']]);
      const [note] = await t.invoices({ type: 'gutschrift' });
      const [original] = await t.invoices({ type: 'eingangsrechnung' });
      assert.equal(note.relatedInvoiceId, original.id);
      assert.equal(note.externalId, refund.expect.externalId);
      await assertBalanced(t);
    });
});

// ---- test-webhook ---------------------------------------------------------------------------

const stripeKit = {
  slug: 'stripe',
  config: () => ({ webhookSecret: newSecret(), autoPost: true }),
  paid(t) {
    const pay = invoicePaid();
    const signature = stripeSign(pay.body, t.config.webhookSecret);
    return { req: { body: pay.body, headers: { ...JSON_HEADERS, 'stripe-signature': signature } } };
  },
};

describe('POST /api/connectors/:slug/test-webhook', () => {
  for (const kit of [stripeKit, ...Object.values(kits)]) {
    test(`${kit.slug}: books its signed sample in a rolled-back transaction, the store unchanged`,
      async () => {
        const t = await ProviderTenant.create(server, kit.slug, kit.config());
        assertAnswered(kit, await t.send(kit.paid(t).req), 'processed'); // something to count
        const before = await t.counts();
        assert.equal(before.invoices, 1);
        const apiCalls = kit.api?.requests.length;

        const res = await t.testWebhook();
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.dryRun, true);
        assert.equal(res.json.verified, true, res.text);
        assert.equal(res.json.status, 'processed', res.text);
        assert.equal(res.json.results.length, 1, res.text);
        const [r] = res.json.results;
        assert.equal(r.status, 'processed');
        assert.equal(r.invoiceType, 'eingangsrechnung');
        assert.equal(r.totalGross, '99.00');
        assert.equal(r.currency, 'EUR');
        assert.match(r.invoiceId, /^inv_/);
        assert.match(r.journalEntryId, /^je_/, 'autoPost: the entry was made, then undone');

        assert.deepEqual(await t.counts(), before, 'invoices, parties, entries, log rows');
        const gone = await t.server.request(`/api/invoices/${r.invoiceId}`, { token: t.token });
        assert.equal(gone.status, 404, 'the sample invoice was rolled back');
        if (kit.api) assert.equal(kit.api.requests.length, apiCalls, 'the sample asks no API');

        // a second run books a fresh sample again: its ids are new each time
        const second = await t.testWebhook();
        assert.equal(second.json.status, 'processed', second.text);
        assert.notEqual(second.json.results[0].externalId, r.externalId);
        assert.deepEqual(await t.counts(), before);
      });
  }
});
