// Events reach the destinations that subscribe to them: a settled Stripe webhook (signed by
// the official SDK) becomes a Slack message and a Segment track call with the right amount;
// eventTypes filter, "*" matches all, inactive destinations get nothing; events the host
// application publishes are delivered and listed; generic webhooks verify with the
// `standardwebhooks` package; the test endpoint returns the destination's answer.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { Webhook } = require('standardwebhooks');
const { sleep, startServer } = require('./lib/server');
const { StripeTenant, invoiceFailed, invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

let server;
let mock;

before(async () => {
  mock = await MockServices.start();
  server = await startServer({ args: ['--retry-schedule', '1s,1s,1s'] });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

// Events of the project of `type`, newest first.
async function eventsOf(project, type) {
  return (await project.events({ limit: '100' })).filter((e) => e.type === type);
}

describe('a settled Stripe payment', () => {
  let stripe;
  let project;
  const ep = {};
  let payment;
  let settled;
  let verified;

  before(async () => {
    stripe = new StripeTenant(server, await server.createTenant(`Shop ${Date.now()}`, 'enterprise'));
    await stripe.install({ direction: 'revenue' });
    project = new Project(server, { tenantId: stripe.tenantId, token: stripe.token });
    for (const t of ['slack', 'segment', 'zapier', 'discord', 'teams']) ep[t] = mock.endpoint(t);
    await project.destination(ep.slack, ['payment.settled', 'payment.verified']);
    await project.destination(ep.segment, ['payment.settled']);
    await project.destination(ep.zapier, ['*']);
    await project.destination(ep.discord, ['payment.failed']);
    const teams = await project.destination(ep.teams, ['*']);
    const off = await project.patch(teams.id, { isActive: false });
    assert.equal(off.isActive, false);

    payment = invoicePaid({ amount: 9900, currency: 'eur' });
    const res = await stripe.send(payment.body);
    assert.equal(res.status, 200, res.text);
    [settled] = await eventsOf(project, 'payment.settled');
    [verified] = await eventsOf(project, 'payment.verified');
    assert.ok(settled && verified, 'the webhook made no payment.settled and payment.verified events');
  });

  test('Slack gets a message saying 99.00 EUR, for payment.settled and payment.verified', async () => {
    const reqs = await ep.slack.waitFor(2);
    ep.slack.assertAllOk();
    const texts = reqs.map((r) => r.json.text);
    const settledText = texts.find((t) => /settled/i.test(t));
    const verifiedText = texts.find((t) => /verified/i.test(t));
    assert.ok(settledText, `no settled message among ${JSON.stringify(texts)}`);
    assert.ok(verifiedText, `no verified message among ${JSON.stringify(texts)}`);
    assert.match(settledText, /99\.00 EUR/);
    assert.match(verifiedText, /99\.00 EUR/);
    assert.match(settledText, /Example Buyer GmbH/);
    // the blocks say it too, not only the notification fallback
    assert.match(JSON.stringify(reqs[0].json.blocks), /99\.00 EUR/);
  });

  test('Segment gets one track call with the amount, revenue and currency as numbers', async () => {
    const [call] = await ep.segment.waitFor(1);
    ep.segment.assertAllOk();
    assert.equal(call.json.type, 'track');
    assert.equal(call.json.event, 'payment.settled');
    assert.equal(call.json.messageId, settled.id, 'messageId is not the event id (dedupe key)');
    assert.equal(call.json.userId, settled.data.party.id);
    assert.equal(call.json.timestamp, settled.createdAt);
    const props = call.json.properties;
    assert.equal(props.amount, 99);
    assert.equal(props.revenue, 99);
    assert.equal(props.currency, 'EUR');
    assert.equal(props.externalId, payment.externalId);
    assert.ok(!('amountMinor' in props) && !('party' in props), JSON.stringify(props));
    assert.match(call.body, /"amount":99(\.0+)?[,}]/, 'the amount is not a JSON number');
    // a payment.verified is not tracked where only payment.settled is subscribed
    await sleep(300);
    assert.equal(ep.segment.requests.length, 1);
  });

  test('both deliveries are recorded as delivered with one 2xx attempt', async () => {
    const slack = await project.settled(ep.slack.connectorId, settled.id, 'delivered');
    assert.equal(slack.attempts.length, 1);
    assert.equal(slack.attempts[0].status, 200);
    assert.equal(slack.attempts[0].response, 'ok');
    assert.equal(slack.eventType, 'payment.settled');
    assert.ok(slack.deliveredAt);
    const segment = await project.settled(ep.segment.connectorId, settled.id, 'delivered');
    assert.equal(segment.attempts.length, 1);
    assert.equal(segment.attempts[0].status, 200);
  });

  test('"*" gets every event of the payment: verified, settled and the first payment', async () => {
    const [firstPayment] = await eventsOf(project, 'customer.first_payment');
    assert.ok(firstPayment, 'no customer.first_payment for a new customer');
    const reqs = await ep.zapier.waitFor(3);
    ep.zapier.assertAllOk();
    assert.deepEqual(reqs.map((r) => r.json.type).sort(),
                     ['customer.first_payment', 'payment.settled', 'payment.verified']);
    const body = reqs.find((r) => r.json.type === 'payment.settled').json;
    assert.deepEqual(body, settled, 'the envelope posted is not the event as listed');
  });

  test('a destination subscribed to other types and an inactive one get nothing', async () => {
    await ep.zapier.waitFor(3);
    await sleep(500);
    assert.equal(ep.discord.requests.length, 0);
    assert.equal(ep.teams.requests.length, 0);
    assert.deepEqual(await project.deliveries(ep.discord.connectorId), []);
    assert.deepEqual(await project.deliveries(ep.teams.connectorId), []);
  });

  test('a payment.failed reaches the destination that subscribes to it', async () => {
    const failed = invoiceFailed({ amount: 4900, currency: 'eur' });
    const res = await stripe.send(failed.body);
    assert.equal(res.status, 200, res.text);
    const [req] = await ep.discord.waitFor(1);
    ep.discord.assertAllOk();
    assert.match(req.json.content, /49\.00 EUR/);
    assert.equal(req.json.embeds[0].title, 'Payment failed');
  });

  test('a destination made active again gets the events from then on, not the missed ones', async () => {
    await project.patch(ep.teams.connectorId, { isActive: true });
    const ev = await project.publish('endpoint.created', { name: 'after reactivation' });
    assert.equal(ev.deliveries, 2, 'zapier (*) and teams (*) should get it');
    const [req] = await ep.teams.waitFor(1);
    ep.teams.assertAllOk();
    assert.match(JSON.stringify(req.json), /after reactivation/);
    await sleep(300);
    assert.equal(ep.teams.requests.length, 1);
  });
});

describe('events the host application publishes', () => {
  let project;
  let n8n;
  let make;
  let published;

  before(async () => {
    project = await Project.create(server);
    n8n = mock.endpoint('n8n');
    make = mock.endpoint('make');
    await project.destination(n8n, ['endpoint.created']);
    await project.destination(make, ['endpoint.pricing_changed', 'payment.settled']);
  });

  test('POST /events answers 201 with the envelope and the number of deliveries', async () => {
    const data = { endpointId: 'ep_123', name: 'Weather API', url: 'https://api.example.com/weather',
                   price: { amount: '0.01', currency: 'EUR' } };
    const res = await project.req('POST', `${project.base}/events`, { type: 'endpoint.created', data });
    assert.equal(res.status, 201, res.text);
    published = res.json;
    assert.match(published.id, /^evt_/);
    assert.equal(published.type, 'endpoint.created');
    assert.equal(published.projectId, project.id);
    assert.deepEqual(published.data, data);
    assert.match(published.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(published.deliveries, 1);
  });

  test('the subscribed destination gets the event, exactly as published', async () => {
    const [req] = await n8n.waitFor(1);
    n8n.assertAllOk();
    const { deliveries, ...envelope } = published;
    assert.ok(deliveries);
    assert.deepEqual(req.json, envelope);
    assert.equal(req.headers['webhook-id'], published.id);
    await project.settled(n8n.connectorId, published.id, 'delivered');
    await sleep(300);
    assert.equal(make.requests.length, 0, 'make does not subscribe to endpoint.created');
  });

  test('GET /events lists published events, newest first, with paging', async () => {
    const second = await project.publish('endpoint.pricing_changed', { endpointId: 'ep_123', price: '0.02' });
    assert.equal(second.deliveries, 1);
    const list = await project.events();
    assert.deepEqual(list.map((e) => e.id), [second.id, published.id]);
    const page = await project.req('GET', `${project.base}/events?limit=1`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json.events.length, 1);
    assert.equal(page.json.nextCursor, second.id);
    const rest = await project.req('GET', `${project.base}/events?limit=1&cursor=${page.json.nextCursor}`);
    assert.deepEqual(rest.json.events.map((e) => e.id), [published.id]);
    const [req] = await make.waitFor(1);
    assert.equal(req.json.id, second.id);
  });

  test('an unknown type is refused with 422 and makes no event', async () => {
    const before = (await project.events()).length;
    const res = await project.req('POST', `${project.base}/events`, { type: 'payment.teleported', data: {} });
    assert.equal(res.status, 422, res.text);
    assert.equal((await project.events()).length, before);
  });

  test("another project's id answers 404", async () => {
    const other = await Project.create(server);
    const res = await other.req('POST', `${project.base}/events`, { type: 'endpoint.created', data: {} });
    assert.equal(res.status, 404, res.text);
    const list = await other.req('GET', `${project.base}/events`);
    assert.equal(list.status, 404, list.text);
  });
});

describe('Standard Webhooks signatures (zapier, n8n, make)', () => {
  for (const type of ['zapier', 'n8n', 'make']) {
    test(`${type}: the request verifies with the standardwebhooks package and the signingSecret`, async () => {
      const project = await Project.create(server);
      const ep = mock.endpoint(type);
      const created = await project.destination(ep, ['endpoint.created']);
      assert.match(created.signingSecret, /^whsec_[A-Za-z0-9+/]{32}$/, 'a 24-byte whsec_ secret');
      // shown once: reading the destination again does not reveal it
      const again = await project.connector(created.id);
      assert.ok(!JSON.stringify(again).includes(created.signingSecret.slice(6)));

      const ev = await project.publish('endpoint.created', { name: `signed for ${type}` });
      const [req] = await ep.waitFor(1);
      ep.assertAllOk();
      const payload = new Webhook(created.signingSecret).verify(req.body, req.headers);
      assert.equal(payload.id, ev.id);
      assert.equal(req.headers['webhook-id'], ev.id);
      // a different secret, or a changed body, does not verify
      const other = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
      assert.throws(() => new Webhook(other).verify(req.body, req.headers));
      assert.throws(() => new Webhook(created.signingSecret)
        .verify(req.body.replace(`signed for ${type}`, 'tampered'), req.headers));
    });
  }

  test('each destination has its own secret; a retry keeps the webhook-id', async () => {
    const project = await Project.create(server);
    const a = mock.endpoint('zapier');
    const b = mock.endpoint('zapier');
    const ca = await project.destination(a, ['endpoint.created']);
    const cb = await project.destination(b, ['endpoint.created']);
    assert.notEqual(ca.signingSecret, cb.signingSecret);
    b.answer({ status: 503 });
    const ev = await project.publish('endpoint.created', { name: 'two receivers' });
    await a.waitFor(1);
    const [first, second] = await b.waitFor(2);
    a.assertAllOk();
    b.assertAllOk();
    assert.throws(() => new Webhook(ca.signingSecret).verify(b.requests[0].body, b.requests[0].headers));
    assert.equal(first.headers['webhook-id'], ev.id);
    assert.equal(second.headers['webhook-id'], ev.id);
    new Webhook(cb.signingSecret).verify(second.body, second.headers);
  });
});

describe('POST .../connectors/:id/test', () => {
  let project;

  before(async () => {
    project = await Project.create(server);
  });

  test("sends a sample payment.settled now and returns the destination's answer", async () => {
    const ep = mock.endpoint('slack');
    const c = await project.destination(ep, ['payment.failed']);
    const res = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 200);
    assert.equal(res.json.response, 'ok');
    assert.equal(res.json.verdict, 'delivered');
    assert.equal(ep.requests.length, 1, 'the test request did not reach the service');
    ep.assertAllOk();
    assert.match(ep.requests[0].json.text, /99\.00 EUR/);
    // outside the outbox: no delivery row
    assert.deepEqual(await project.deliveries(c.id), []);
  });

  test('an error answer comes back as it is, with the verdict', async () => {
    const ep = mock.endpoint('discord');
    const c = await project.destination(ep, ['*']);
    ep.answer({ status: 404, json: { message: 'Unknown Webhook', code: 10015 } });
    const res = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 404);
    assert.equal(res.json.verdict, 'failed');
    assert.deepEqual(JSON.parse(res.json.response), { message: 'Unknown Webhook', code: 10015 });

    ep.answer({ status: 503, body: 'upstream down' });
    const retry = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    assert.equal(retry.json.status, 503);
    assert.equal(retry.json.verdict, 'retry');
    assert.equal(retry.json.response, 'upstream down');
  });

  test('a service that does not answer: status null and the transport error', async () => {
    const ep = mock.endpoint('segment');
    const c = await project.destination(ep, ['*']);
    ep.answer({ status: 200, dead: true });
    const res = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, null);
    assert.equal(res.json.verdict, 'retry');
    assert.equal(typeof res.json.error, 'string');
    assert.ok(res.json.error.length > 0);
  });

  test('the answer does not reveal the credential in the webhook URL', async () => {
    const ep = mock.endpoint('slack');
    const c = await project.destination(ep, ['*']);
    const res = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    assert.equal(res.status, 200, res.text);
    const secretPart = new URL(ep.config.webhookUrl).pathname.split('/').pop();
    assert.ok(!res.text.includes(secretPart), `the test answer shows the webhook URL: ${res.text}`);
  });

  test('another project cannot test this destination', async () => {
    const ep = mock.endpoint('slack');
    const c = await project.destination(ep, ['*']);
    const other = await Project.create(server);
    const res = await other.req('POST', `${other.base}/connectors/${c.id}/test`, {});
    assert.equal(res.status, 404, res.text);
    await sleep(100);
    assert.equal(ep.requests.length, 0);
  });
});

describe('fan-out', () => {
  test('one event makes one delivery per subscribed active destination, all delivered', async () => {
    const project = await Project.create(server);
    const eps = ['slack', 'discord', 'teams', 'segment', 'n8n'].map((t) => mock.endpoint(t));
    for (const ep of eps) await project.destination(ep, ['endpoint.created']);
    const ev = await project.publish('endpoint.created', { name: 'fan-out' });
    assert.equal(ev.deliveries, eps.length);
    for (const ep of eps) {
      await ep.waitFor(1);
      ep.assertAllOk();
      await project.settled(ep.connectorId, ev.id, 'delivered');
    }
    await eventually(async () => eps.every((ep) => ep.requests.length === 1), 'one request each');
  });
});
