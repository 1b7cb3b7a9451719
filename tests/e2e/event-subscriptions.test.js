// What a destination's eventTypes takes (src/events/subscription.c, used by
// events_publish(), the one way into the outbox): the types it names, exactly (a
// neighbouring name is another type), and "*" every business event; a destination that can
// use only some types keeps "*" as those. Each published event answers how many
// deliveries it made, and each destination's delivery list shows which it got.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

const PAYMENT = { provider: 'stripe', amount: '12.00', currency: 'EUR', amountMinor: 1200 };
const CUSTOMER = { id: 'cus_1', name: 'Ada', email: 'ada@example.com' };

describe('subscriptions decide which destinations take an event', () => {
  let server;
  let mock;
  let p;
  const ep = {};

  before(async () => {
    mock = await MockServices.start();
    server = await startServer();
    p = await Project.create(server);
    const subscriptions = {
      all: ['*'],
      settled: ['payment.settled'],
      verified: ['payment.verified'],
      host: ['endpoint.created', 'payment.failed'],
    };
    for (const [name, types] of Object.entries(subscriptions)) {
      ep[name] = mock.endpoint('make');
      await p.destination(ep[name], types);
    }
  });

  after(async () => {
    await server?.stop();
    await mock?.stop();
  });

  test('each event goes to the destinations that name it or hold "*"', async () => {
    const published = [
      ['payment.settled', PAYMENT, ['all', 'settled']],
      ['payment.verified', PAYMENT, ['all', 'verified']],
      ['payment.failed', { ...PAYMENT, reason: 'card_declined' }, ['all', 'host']],
      ['endpoint.created', { endpointId: 'ep_1', name: 'Weather API' }, ['all', 'host']],
      ['customer.milestone', { customer: CUSTOMER, threshold: '100.00', total: '120.00', currency: 'EUR' }, ['all']],
      ['endpoint.pricing_changed', { price: '0.10' }, ['all']],
    ];
    const expected = Object.fromEntries(Object.keys(ep).map((k) => [k, []]));
    for (const [type, data, takers] of published) {
      const ev = await p.publish(type, data);
      assert.equal(ev.deliveries, takers.length, `${type}: ${JSON.stringify(ev)}`);
      for (const t of takers) expected[t].push(type);
    }
    for (const [name, e] of Object.entries(ep)) {
      const got = (await p.deliveries(e.connectorId)).map((d) => d.eventType).sort();
      assert.deepEqual(got, expected[name].sort(), name);
    }
  });

  test('a changed subscription takes effect for the next event', async () => {
    await p.patch(ep.verified.connectorId, { eventTypes: ['*'] });
    const ev = await p.publish('customer.first_payment', { customer: CUSTOMER, amount: '12.00', currency: 'EUR' });
    assert.equal(ev.deliveries, 2);
    await p.patch(ep.verified.connectorId, { isActive: false });
    assert.equal((await p.publish('endpoint.created', {})).deliveries, 2); /* all, host */
  });

  test('"*" of a destination that can use only some types is stored as those', async () => {
    const xero = mock.endpoint('xero');
    const created = await p.destination(xero, ['*']);
    assert.deepEqual(created.eventTypes, ['payment.settled']);
    assert.equal((await p.publish('payment.verified', PAYMENT)).deliveries, 1); /* all: verified is off, xero takes only settled */
    assert.equal((await p.publish('payment.settled', PAYMENT)).deliveries, 3); /* all, settled, xero */
    const res = await p.req('PATCH', `${p.base}/connectors/${xero.connectorId}`,
                            { eventTypes: ['payment.failed'] });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.error.fields[0].code, 'invalid_event_type');
    assert.match(res.json.error.fields[0].message, /xero can use only payment\.settled; not payment\.failed/);
  });
});
