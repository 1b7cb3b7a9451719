// One Stripe payment, many events: a subscription payment arrives as invoice.paid,
// invoice.payment_succeeded, invoice_payment.paid, payment_intent.succeeded, charge.succeeded
// and checkout.session.completed, in any order, and is booked as exactly one invoice, in
// both shapes Stripe sends: API versions before 2025-03-31.basil put payment_intent on the
// invoice; basil and later do not, and only invoice_payment.paid ties in_ to pi_. Its refund
// (charge.refunded, which names only the payment intent) finds that invoice. Checkout and
// Payment Links (checkout.session.completed + payment_intent.succeeded + charge.succeeded)
// book once too. The VAT Stripe reports is booked instead of the connector's vatRate, and
// the webhook log says which event booked (action) and which did nothing.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, assertBalanced, chargeRefunded, nowS, sid, sign } =
  require('./lib/stripe');
const { Project } = require('./lib/outbound');

const OLD = '2024-06-20';
const BASIL = '2025-03-31.basil';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function envelope(type, object, apiVersion) {
  return JSON.stringify({
    id: sid('evt_'), object: 'event', api_version: apiVersion, created: nowS(),
    data: { object }, livemode: false, pending_webhooks: 1,
    request: { id: null, idempotency_key: null }, type,
  });
}

// Every event of one subscription payment of 120.00 EUR, of which Stripe computed 20.00 VAT,
// in the shape of `apiVersion`: {ids, events: {name: body}}.
function subscriptionPayment(apiVersion) {
  const basil = apiVersion === BASIL;
  const ids = { in: sid('in_'), pi: sid('pi_'), ch: sid('ch_'), cs: sid('cs_'),
                number: `SUB-${crypto.randomInt(1e9)}` };
  const paidAt = nowS() - 30;
  const invoice = {
    id: ids.in, object: 'invoice', account_name: 'ACME Software GmbH', amount_due: 12000,
    amount_paid: 12000, amount_remaining: 0, currency: 'eur', customer: 'cus_Sub01',
    customer_email: 'subscriber@example.com', customer_name: 'Subscriber GmbH',
    number: ids.number, status: 'paid', created: paidAt - 60,
    status_transitions: { paid_at: paidAt },
  };
  if (basil) {
    invoice.total_taxes = [{ amount: 2000, tax_behavior: 'inclusive', taxable_amount: 10000,
                             type: 'tax_rate_details' }];
  } else {
    invoice.payment_intent = ids.pi;
    invoice.charge = ids.ch;
    invoice.tax = 2000;
    invoice.total_tax_amounts = [{ amount: 2000, inclusive: true, tax_rate: 'txr_20' }];
  }
  const invoicePayment = {
    id: sid('inpay_'), object: 'invoice_payment', amount_paid: 12000, amount_requested: 12000,
    currency: 'eur', invoice: ids.in, is_default: true,
    payment: { type: 'payment_intent', payment_intent: ids.pi }, status: 'paid',
    status_transitions: { paid_at: paidAt, canceled_at: null }, created: paidAt,
  };
  const intent = {
    id: ids.pi, object: 'payment_intent', amount: 12000, amount_received: 12000,
    currency: 'eur', customer: 'cus_Sub01', latest_charge: ids.ch, status: 'succeeded',
    created: paidAt - 5,
  };
  const charge = {
    id: ids.ch, object: 'charge', amount: 12000, amount_captured: 12000, amount_refunded: 0,
    billing_details: { email: 'subscriber@example.com', name: 'Subscriber GmbH' },
    currency: 'eur', customer: 'cus_Sub01', payment_intent: ids.pi, status: 'succeeded',
    created: paidAt - 5,
  };
  if (!basil) {
    intent.invoice = ids.in;
    charge.invoice = ids.in;
  }
  const session = {
    id: ids.cs, object: 'checkout.session', mode: 'subscription', invoice: ids.in,
    subscription: sid('sub_'), payment_intent: null, payment_status: 'paid', status: 'complete',
    amount_total: 12000, currency: 'eur', customer: 'cus_Sub01',
    customer_details: { email: 'subscriber@example.com', name: 'Subscriber GmbH' },
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 2000 },
    created: paidAt - 90,
  };
  const events = {
    'invoice.paid': envelope('invoice.paid', invoice, apiVersion),
    'invoice.payment_succeeded': envelope('invoice.payment_succeeded', invoice, apiVersion),
    'invoice_payment.paid': envelope('invoice_payment.paid', invoicePayment, apiVersion),
    'payment_intent.succeeded': envelope('payment_intent.succeeded', intent, apiVersion),
    'charge.succeeded': envelope('charge.succeeded', charge, apiVersion),
    'checkout.session.completed': envelope('checkout.session.completed', session, apiVersion),
  };
  return { ids, events };
}

const NAMES = ['invoice.paid', 'invoice.payment_succeeded', 'invoice_payment.paid',
               'payment_intent.succeeded', 'charge.succeeded', 'checkout.session.completed'];

// The orders tried: as Stripe usually sends them, reversed, the ones that matter for the
// link (invoice before invoice_payment.paid and after it, the payment intent first and
// last), and a few shuffles.
function orders() {
  const list = [
    ['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded',
     'invoice.paid', 'invoice.payment_succeeded', 'invoice_payment.paid'],
    [...NAMES].reverse(),
    ['invoice.paid', 'invoice_payment.paid', 'payment_intent.succeeded', 'charge.succeeded',
     'invoice.payment_succeeded', 'checkout.session.completed'],
    ['invoice_payment.paid', 'payment_intent.succeeded', 'invoice.payment_succeeded',
     'charge.succeeded', 'invoice.paid', 'checkout.session.completed'],
    ['invoice.payment_succeeded', 'charge.succeeded', 'invoice_payment.paid', 'invoice.paid',
     'checkout.session.completed', 'payment_intent.succeeded'],
  ];
  for (let i = 0; i < 3; i++) {
    const o = [...NAMES];
    for (let k = o.length - 1; k > 0; k--) {
      const j = crypto.randomInt(k + 1);
      [o[k], o[j]] = [o[j], o[k]];
    }
    list.push(o);
  }
  return list;
}

async function sendAll(t, events, order) {
  for (const name of order) {
    const res = await t.send(events[name]);
    assert.equal(res.status, 200, `${name}: ${res.text}`);
  }
}

for (const [shape, version] of [['before basil', OLD], ['basil and later', BASIL]]) {
  describe(`a subscription payment, API ${shape} (${version})`, () => {
    test('all its events, in any order, book exactly one invoice; its refund finds it',
      async () => {
        const t = await StripeTenant.create(server);
        for (const order of orders()) {
          const before = await t.invoices();
          const { ids, events } = subscriptionPayment(version);
          await sendAll(t, events, order);
          const made = (await t.invoices()).filter((i) => !before.some((b) => b.id === i.id));
          assert.equal(made.length, 1, `order ${order.join(', ')}: ${JSON.stringify(made)}`);
          const [inv] = made;
          assert.equal(inv.type, 'eingangsrechnung');
          assert.equal(inv.externalId, ids.pi, `order ${order.join(', ')}`);
          assert.equal(inv.totalGross, '120.00');
          // every event again: all of them duplicates or no action
          await sendAll(t, events, order);
          assert.equal((await t.invoices()).length, before.length + 1);

          const refund = chargeRefunded({ pi: ids.pi, amount: 12000 });
          const res = await t.send(refund.body);
          assert.equal(res.status, 200, res.text);
          const [r] = res.json.results;
          assert.equal(r.action, 'credit_note', res.text);
          const note = await t.invoice(r.invoiceId);
          assert.equal(note.type, 'gutschrift');
          assert.equal(note.relatedInvoiceId, inv.id);
        }
        // one booking per payment in the log; every other event says it did nothing
        const logs = await t.logs();
        const n = orders().length;
        assert.equal(logs.filter((l) => l.action === 'booked').length, n);
        assert.equal(logs.filter((l) => l.action === 'credit_note').length, n);
        assert.ok(logs.every((l) => ['booked', 'credit_note', 'none'].includes(l.action)));
      });

    test('the invoice\'s own VAT is booked, not the connector\'s vatRate', async () => {
      const t = await StripeTenant.create(server, { autoPost: true, vatRate: '10' });
      const { ids, events } = subscriptionPayment(version);
      await sendAll(t, events, ['invoice.paid', 'invoice_payment.paid',
                                'payment_intent.succeeded', 'charge.succeeded']);
      const [inv] = await t.invoices();
      assert.equal(inv.externalId, ids.pi);
      assert.equal(inv.invoiceNumber, ids.number, 'the invoice\'s details are kept');
      assert.equal(inv.totalTax, '20.00');
      const [entry] = await t.entries();
      const lines = entry.lines.map((l) => [l.account, l.debit, l.credit, l.vatCode]);
      assert.deepEqual(lines, [['7990', '100.00', '0.00', 'VSt20'],
                               ['2500', '20.00', '0.00', 'VSt20'],
                               ['2880', '0.00', '120.00', null]]);
      const [supplier] = await t.suppliers();
      assert.equal(supplier.name, 'ACME Software GmbH');
      // its events name what was booked: the invoice with the details the invoice's own
      // event brought, and the supplier
      const project = new Project(server, { tenantId: t.tenantId, token: t.token });
      const published = await project.events({ limit: '100' });
      for (const type of ['payment.settled', 'payment.verified']) {
        const made = published.filter((e) => e.type === type);
        assert.equal(made.length, 1, `${type}: ${JSON.stringify(published)}`);
        assert.equal(made[0].data.invoiceId, inv.id, type);
        assert.equal(made[0].data.invoiceNumber, ids.number, type);
        assert.equal(made[0].data.party.id, supplier.id, type);
        assert.equal(made[0].data.party.name, 'ACME Software GmbH', type);
      }
      // the refund takes back exactly that tax
      await t.send(chargeRefunded({ pi: ids.pi, amount: 12000 }).body);
      const { balances } = await t.balances();
      assert.ok(balances.every((b) => /^-?0\.00$/.test(b.balance)), JSON.stringify(balances));
      await assertBalanced(t);
    });
  });
}

describe('Checkout and Payment Links', () => {
  function checkoutPayment() {
    const ids = { pi: sid('pi_'), ch: sid('ch_'), cs: sid('cs_') };
    const created = nowS() - 20;
    const session = {
      id: ids.cs, object: 'checkout.session', mode: 'payment', payment_intent: ids.pi,
      payment_link: sid('plink_'), payment_status: 'paid', status: 'complete',
      amount_total: 5900, currency: 'eur', customer: null,
      customer_details: { email: 'buyer@example.com', name: 'Buyer KG' },
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 983 },
      created,
    };
    const intent = { id: ids.pi, object: 'payment_intent', amount: 5900, amount_received: 5900,
                     currency: 'eur', customer: null, latest_charge: ids.ch,
                     status: 'succeeded', created };
    const charge = { id: ids.ch, object: 'charge', amount: 5900, amount_captured: 5900,
                     amount_refunded: 0, billing_details: { email: 'buyer@example.com' },
                     currency: 'eur', payment_intent: ids.pi, status: 'succeeded', created };
    return {
      ids,
      events: {
        session: envelope('checkout.session.completed', session, BASIL),
        intent: envelope('payment_intent.succeeded', intent, BASIL),
        charge: envelope('charge.succeeded', charge, BASIL),
      },
    };
  }

  test('a Payment Link payment books once, in any order, with its tax and customer',
    async () => {
      const t = await StripeTenant.create(server, { direction: 'revenue', vatRate: '10' });
      const orders = [['session', 'intent', 'charge'], ['intent', 'charge', 'session'],
                      ['charge', 'session', 'intent']];
      for (const order of orders) {
        const { ids, events } = checkoutPayment();
        const results = [];
        for (const name of order) {
          const res = await t.send(events[name]);
          assert.equal(res.status, 200, res.text);
          results.push(res.json.results[0]);
        }
        assert.deepEqual(results.map((r) => r.action), ['booked', 'none', 'none']);
        const inv = await t.invoice(results[0].invoiceId);
        assert.equal(inv.externalId, ids.pi);
        assert.equal(inv.type, 'ausgangsrechnung');
      }
      assert.equal((await t.invoices()).length, orders.length);
      // the session, when it came first, says who paid and the VAT
      const [first] = (await t.invoices()).slice(-1);
      assert.equal(first.totalTax, '9.83');
      const customers = await t.customers();
      assert.ok(customers.some((c) => c.email === 'buyer@example.com'), JSON.stringify(customers));
    });

  test('an unpaid session (a delayed payment method) books nothing and says so', async () => {
    const t = await StripeTenant.create(server);
    const body = envelope('checkout.session.completed', {
      id: sid('cs_'), object: 'checkout.session', mode: 'payment', payment_intent: sid('pi_'),
      payment_status: 'unpaid', amount_total: 5900, currency: 'eur', created: nowS(),
    }, BASIL);
    const res = await t.send(body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.results[0].action, 'none');
    assert.match(res.json.results[0].detail, /not paid/);
    assert.deepEqual(await t.invoices(), []);
    const [log] = await t.logs();
    assert.equal(log.status, 'processed');
    assert.equal(log.action, 'none');
  });
});

// sign is used through StripeTenant.send; keep the import honest for readers of the file.
void sign;
