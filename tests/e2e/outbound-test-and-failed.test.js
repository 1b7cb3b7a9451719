// Messages that must not be misread: every "Send test" (POST .../connectors/:id/test) to
// each of the 20 destination types says it is a test ("[Test]" in text for people, a
// `test: true` member in structured payloads), and payment.verified of a failed Stripe
// payment says that the payment failed (it was verified, not paid).
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, invoiceFailed } = require('./lib/stripe');
const { MockServices, TYPES } = require('./lib/mock-services');
const { Project, registeredDestinations } = require('./lib/outbound');

const registered = registeredDestinations();

let server;
let mock;

before(async () => {
  mock = await MockServices.start();
  server = await startServer();
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

// A request marked as a test: "[Test]" in its text, or the data's test member set (true;
// GA4 parameters take 1 for true; BigQuery's payload column holds the envelope as text).
function markedAsTest(body) {
  return /\[Test\]/.test(body) || /\\?"test\\?"\s*:\s*(true|1)\b/.test(body);
}

describe('Send test', () => {
  let project;

  before(async () => {
    project = await Project.create(server);
  });

  for (const type of TYPES) {
    test(`${type}: the sample is marked as a test`,
      { skip: registered.has(type) ? false : `${type} is not registered` }, async () => {
        const ep = mock.endpoint(type);
        const c = await project.destination(ep, type === 'xero' ? ['payment.settled'] : ['*']);
        const res = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
        assert.equal(res.status, 200, res.text);
        const reqs = await ep.waitFor(1, 8000);
        const body = reqs.map((r) => r.body).join('\n');
        assert.ok(markedAsTest(body), `${type}: ${body}`);
      });
  }

  test('chat text starts with [Test]', async () => {
    const ep = mock.endpoint('slack');
    const c = await project.destination(ep, ['*']);
    await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    const [req] = await ep.waitFor(1, 8000);
    assert.match(req.json.text, /^\[Test\] Payment settled: 99\.00 EUR/);
  });
});

describe('payment.verified of a failed payment', () => {
  test('says that the payment failed', async () => {
    const stripe = new StripeTenant(server, await server.createTenant(`Failed ${Date.now()}`,
                                                                      'enterprise'));
    await stripe.install();
    const project = new Project(server, { tenantId: stripe.tenantId, token: stripe.token });
    const ep = mock.endpoint('slack');
    await project.destination(ep, ['payment.verified']);
    const res = await stripe.send(invoiceFailed({ amount: 4900 }).body);
    assert.equal(res.status, 200, res.text);
    const [req] = await ep.waitFor(1, 8000);
    assert.match(req.json.text, /^Payment failed \(verified\): 49\.00 EUR/);
    assert.doesNotMatch(req.json.text, /^Payment verified/);
    const [ev] = (await project.events()).filter((e) => e.type === 'payment.verified');
    assert.equal(ev.data.outcome, 'failed');
  });
});
