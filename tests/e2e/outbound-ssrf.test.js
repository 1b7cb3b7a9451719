// Destinations cannot reach private addresses: outside development mode, without
// --allow-private-destinations, a delivery to a loopback address is refused when the
// connection is made (so a name that resolves there is refused too): it fails with an error
// saying the address is not allowed, and the service gets nothing. With the flag the same
// destination is reached.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

const masterKey = crypto.randomBytes(32).toString('hex');
let mock;
const servers = [];

before(async () => {
  mock = await MockServices.start();
});

after(async () => {
  for (const s of servers) await s.stop();
  await mock?.stop();
});

async function production(extraArgs = []) {
  const s = await startServer({ dev: false, env: { CONNECTORD_MASTER_KEY: masterKey },
                                args: ['--retry-schedule', '1s,1s', ...extraArgs] });
  servers.push(s);
  return s;
}

const NOT_ALLOWED = /not allowed/i;

describe('a server without --dev and without --allow-private-destinations', () => {
  let server;
  let project;

  before(async () => {
    server = await production();
    project = await Project.create(server);
  });

  test('does not send to 127.0.0.1: the delivery fails, saying the address is not allowed', async () => {
    const ep = mock.endpoint('slack');
    await project.destination(ep, ['endpoint.created']);
    const ev = await project.publish('endpoint.created', { name: 'to loopback' });
    assert.equal(ev.deliveries, 1);
    const d = await project.settled(ep.connectorId, ev.id, 'dead', 10000);
    assert.equal(d.attempts.length, 3);
    for (const a of d.attempts) {
      assert.equal(a.status, null);
      assert.match(a.error, NOT_ALLOWED);
    }
    assert.equal(ep.requests.length, 0, 'the private address was reached');
  });

  test('nor to a host name that resolves to loopback, nor to [::1], nor through apiBaseUrl', async () => {
    const cases = [];
    const byName = mock.endpoint('discord');
    const url = new URL(byName.config.webhookUrl);
    url.hostname = 'localhost';
    await project.destination(byName, ['endpoint.pricing_changed'], { webhookUrl: url.toString() });
    cases.push(byName);
    const v6 = mock.endpoint('teams');
    const u6 = new URL(v6.config.webhookUrl);
    u6.hostname = '[::1]';
    await project.destination(v6, ['endpoint.pricing_changed'], { webhookUrl: u6.toString() });
    cases.push(v6);
    const viaBase = mock.endpoint('segment');
    await project.destination(viaBase, ['endpoint.pricing_changed']);
    cases.push(viaBase);
    const ev = await project.publish('endpoint.pricing_changed', { name: 'sneaky' });
    for (const ep of cases) {
      const d = await project.settled(ep.connectorId, ev.id, 'dead', 10000);
      assert.match(d.lastError, NOT_ALLOWED);
      assert.equal(ep.requests.length, 0, `${ep.type} was reached`);
    }
  });

  test('the test endpoint is refused the same way', async () => {
    const ep = mock.endpoint('zapier');
    const c = await project.destination(ep, ['customer.milestone']);
    const res = await project.req('POST', `${project.base}/connectors/${c.id}/test`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, null);
    assert.match(res.json.error, NOT_ALLOWED);
    await sleep(100);
    assert.equal(ep.requests.length, 0);
  });
});

describe('a server with --allow-private-destinations', () => {
  test('delivers to the same loopback service', async () => {
    const server = await production(['--allow-private-destinations']);
    const project = await Project.create(server);
    const ep = mock.endpoint('slack');
    await project.destination(ep, ['endpoint.created']);
    const ev = await project.publish('endpoint.created', { name: 'allowed' });
    await project.settled(ep.connectorId, ev.id, 'delivered');
    assert.equal(ep.requests.length, 1);
    ep.assertAllOk();
  });
});
