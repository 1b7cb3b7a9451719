// Which provider events to enable: GET /api/connectors/:slug names them (webhookEvents) for
// each of the 8 payment connectors and for no other entry, and for Stripe every event named
// is one the pipeline acts on (an event it does not book answers "is not booked"), while one
// it does not name is logged with action none.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, eventBody, nowS, sid } = require('./lib/stripe');

const PAYMENT = ['stripe', 'paypal', 'klarna', 'sumup', 'mollie', 'revolut', 'adyen', 'gocardless'];

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// A minimal object Stripe would send with each event type.
function objectFor(type) {
  const pi = sid('pi_');
  const base = { amount: 1000, amount_received: 1000, amount_paid: 1000, amount_due: 1000,
                 amount_refunded: 1000, amount_total: 1000, currency: 'eur', created: nowS() };
  if (type.startsWith('invoice_payment.'))
    return { id: sid('inpay_'), object: 'invoice_payment', ...base, invoice: sid('in_'),
             payment: { type: 'payment_intent', payment_intent: pi } };
  if (type.startsWith('invoice.'))
    return { id: sid('in_'), object: 'invoice', ...base, payment_intent: pi, number: 'N-1' };
  if (type.startsWith('checkout.'))
    return { id: sid('cs_'), object: 'checkout.session', ...base, mode: 'payment',
             payment_status: 'paid', payment_intent: pi };
  if (type.startsWith('payment_intent.'))
    return { id: pi, object: 'payment_intent', ...base };
  return { id: sid('ch_'), object: 'charge', ...base, payment_intent: pi };
}

describe('webhookEvents', () => {
  test('every payment connector names the events to enable, and only those do', async () => {
    const t = await StripeTenant.create(server);
    const { json: catalog } = await t.get('/api/connectors');
    const entries = catalog.connectors ?? catalog;
    assert.equal(entries.length, 39);
    for (const c of entries) {
      const { json } = await t.get(`/api/connectors/${c.slug}`);
      if (PAYMENT.includes(c.slug)) {
        assert.ok(Array.isArray(json.webhookEvents) && json.webhookEvents.length > 0, c.slug);
        assert.ok(json.webhookEvents.every((e) => typeof e === 'string' && e.length), c.slug);
      } else {
        assert.equal(json.webhookEvents, undefined, c.slug);
      }
    }
  });

  test('Stripe: every event named is acted on; one not named is logged with no action',
    async () => {
      const t = await StripeTenant.create(server);
      const { json } = await t.get('/api/connectors/stripe');
      assert.ok(json.webhookEvents.includes('checkout.session.completed'));
      assert.ok(json.webhookEvents.includes('payment_intent.succeeded'));
      assert.ok(json.webhookEvents.includes('invoice_payment.paid'));
      for (const type of json.webhookEvents) {
        const body = eventBody(type, objectFor(type),
                               type === 'charge.refunded' ? { previous: { amount_refunded: 0 } }
                                                          : {});
        const res = await t.send(body);
        assert.equal(res.status, 200, `${type}: ${res.text}`);
        const [r] = res.json.results;
        assert.doesNotMatch(r.detail || '', /is not booked/, `${type}: ${res.text}`);
      }
      const other = await t.send(eventBody('customer.updated', { id: sid('cus_'),
                                                                  object: 'customer' }));
      assert.equal(other.json.results[0].action, 'none');
      assert.match(other.json.results[0].detail, /is not booked/);
    });
});
