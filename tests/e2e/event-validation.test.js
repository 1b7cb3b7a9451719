// POST /api/projects/:id/events checks data against the event type's fields (one table,
// src/events/types.def): a 422 validation_failed names each field that is missing or of
// the wrong kind, so {"type": "payment.verified"} without data never reaches Slack as
// "Payment verified: ?".
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

const PAYMENT = {
  provider: 'stripe', externalId: 'pi_1', amount: '99.00', currency: 'EUR', amountMinor: 9900,
};

describe('event data is checked against its type', () => {
  let server;
  let mock;
  let p;
  let slack;

  before(async () => {
    mock = await MockServices.start();
    server = await startServer();
    p = await Project.create(server);
    slack = mock.endpoint('slack');
    await p.destination(slack, ['*']);
  });

  after(async () => {
    await server?.stop();
    await mock?.stop();
  });

  async function refused(type, data, expected) {
    const body = data === undefined ? { type } : { type, data };
    const res = await p.req('POST', `${p.base}/events`, body);
    assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.json.error.code, 'validation_failed');
    assert.deepEqual(res.json.error.fields.map((f) => [f.field, f.code]), expected);
    for (const f of res.json.error.fields) assert.match(f.message, new RegExp(f.field.replace('.', '\\.')));
    return res.json.error;
  }

  test('payment.verified without data names every required field, and nothing is sent', async () => {
    const err = await refused('payment.verified', undefined, [
      ['data.provider', 'required'], ['data.amount', 'required'], ['data.currency', 'required'],
    ]);
    assert.match(err.message, /payment\.verified data: data\.provider is required/);
    await sleep(300);
    assert.equal(slack.requests.length, 0);
    assert.equal((await p.events()).length, 0);
  });

  test('a field of the wrong kind says what is expected', async () => {
    const err = await refused('payment.settled', { ...PAYMENT, amount: 99, currency: 'euro' },
                              [['data.amount', 'wrong_type'], ['data.currency', 'wrong_type']]);
    assert.match(err.fields[0].message, /decimal string such as "99\.00"/);
    assert.match(err.fields[1].message, /ISO 4217/);
    await refused('payment.failed', { ...PAYMENT, amountMinor: '9900' }, [['data.amountMinor', 'wrong_type']]);
    await refused('customer.milestone', { customer: 'cus_1', threshold: '100.00', total: '120.00', currency: 'EUR' },
                  [['data.customer', 'wrong_type']]);
    await refused('revenue.daily_summary', { date: '2026-03-22' }, [['data.totals', 'required']]);
    await refused('endpoint.pricing_changed', { price: 'cheap' }, [['data.price', 'wrong_type']]);
  });

  test('valid data, with members of its own beside the listed ones, is published', async () => {
    const ev = await p.publish('payment.verified', { ...PAYMENT, note: 'extra members are kept' });
    assert.equal(ev.data.note, 'extra members are kept');
    await p.settled(slack.connectorId, ev.id, 'delivered');
    assert.match(JSON.stringify(slack.requests[0].json), /99\.00 EUR/);
    await p.publish('endpoint.created', {});
  });

  test('the answer, the listing and the delivered envelope hold the data as it was sent', async () => {
    const zapier = mock.endpoint('zapier');
    await p.destination(zapier, ['endpoint.created']);
    const data = {
      name: 'Pro \u00fc\u20ac\ud83d\ude00 "quoted" \\ back\tslash', ratio: 0.1, tiny: 1e-7,
      whole: -42, nested: { list: [1, 2.5, null, true, 'x'], empty: {} },
    };
    const ev = await p.publish('endpoint.created', data);
    assert.deepEqual(ev.data, data);
    assert.equal(ev.deliveries, 2); // the suite's slack ("*") and this zapier
    const { deliveries, ...envelope } = ev;
    assert.deepEqual(Object.keys(envelope), ['id', 'type', 'createdAt', 'projectId', 'data']);
    const listed = (await p.events()).find((e) => e.id === ev.id);
    assert.deepEqual(listed, envelope);
    await p.settled(zapier.connectorId, ev.id, 'delivered');
    assert.deepEqual(zapier.requests[0].json, envelope);
    const none = await p.publish('endpoint.created');
    assert.deepEqual(none.data, {});
  });
});
