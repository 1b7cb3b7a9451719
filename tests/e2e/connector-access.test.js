// Who may reach connectors: every connector endpoint of both seeds is admin-only (a member
// token gets 403 and changes nothing), and tenants are isolated (tenant B's token gets 404
// on tenant A's project and connector ids, and never sees A's installs or audit records).
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const {
  Client, assertError, assertNoSecrets, serverOutput, validConfig,
} = require('./lib/connectors');

let server;
const seen = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

async function tenantOn(plan, name) {
  const t = await server.createTenant(name, plan);
  return { ...t, api: new Client(server, t.token, seen), base: `/api/projects/${t.tenantId}/connectors` };
}

describe('a member token gets 403 on every connector endpoint', () => {
  let a;
  let member;
  let dest;
  let stripeBefore;

  before(async () => {
    a = await tenantOn('business', 'Members Ltd');
    member = new Client(server, await server.createToken(a.tenantId, 'member'), seen);
    const stripe = await a.api.post('/api/connectors/stripe/install', { config: validConfig('stripe') });
    assert.equal(stripe.status, 201, stripe.text);
    stripeBefore = stripe.json;
    const d = await a.api.post(a.base, { type: 'slack', config: validConfig('slack'), eventTypes: ['*'] });
    assert.equal(d.status, 201, d.text);
    dest = d.json;
  });

  function assertForbidden(res, what) {
    assert.equal(res.status, 403, `${what}: ${res.text}`);
    assert.equal(res.json?.error?.code, 'forbidden', `${what}: ${res.text}`);
  }

  test('writes: install, uninstall, config, and project POST, PATCH, DELETE', async () => {
    assertForbidden(await member.post('/api/connectors/mollie/install', { config: validConfig('mollie') }),
                    'install');
    assertForbidden(await member.post('/api/connectors/stripe/install', { config: validConfig('stripe') }),
                    'install of an installed one');
    assertForbidden(await member.post('/api/connectors/stripe/uninstall', {}), 'uninstall');
    assertForbidden(await member.put('/api/connectors/stripe/config', { config: validConfig('stripe') }),
                    'config');
    assertForbidden(await member.post(a.base, { type: 'slack', config: validConfig('slack'), eventTypes: ['*'] }),
                    'project POST');
    assertForbidden(await member.patch(`${a.base}/${dest.id}`, { isActive: false }), 'project PATCH');
    assertForbidden(await member.del(`${a.base}/${dest.id}`), 'project DELETE');
  });

  test('reads too: the seeds make every connector endpoint admin-only', async () => {
    assertForbidden(await member.get('/api/connectors'), 'catalog list');
    assertForbidden(await member.get('/api/connectors/stripe'), 'catalog entry');
    assertForbidden(await member.get(a.base), 'project list');
    assertForbidden(await member.get(`${a.base}/${dest.id}`), 'project connector');
  });

  test('no response to the member carried config, URL or connector data', () => {
    const memberTexts = seen.filter((t) => t.includes('"forbidden"'));
    assert.ok(memberTexts.length >= 11);
    for (const t of memberTexts) {
      assert.ok(!t.includes(dest.id) && !t.includes('webhookUrl') && !t.includes('payment-import'), t);
    }
  });

  test('nothing the member tried changed anything, and no audit record names it', async () => {
    const stripe = await a.api.get('/api/connectors/stripe');
    assert.equal(stripe.json.installed, true);
    assert.equal(stripe.json.webhookUrl, stripeBefore.webhookUrl);
    assert.deepEqual(stripe.json.config, stripeBefore.config);
    assert.equal(stripe.json.updatedAt, stripeBefore.updatedAt);
    assert.equal((await a.api.get('/api/connectors/mollie')).json.installed, false);
    const d = await a.api.get(`${a.base}/${dest.id}`);
    assert.deepEqual(d.json, dest);
    const list = await a.api.get(a.base);
    assert.equal(list.json.connectors.length, 1);
    const audit = await a.api.get('/api/audit-log');
    assert.deepEqual(audit.json.entries.map((e) => e.action), ['destination.create', 'connector.install']);
  });

  test('a second admin token of the tenant may do all of it', async () => {
    const admin2 = new Client(server, await server.createToken(a.tenantId, 'admin'), seen);
    assert.equal((await admin2.get('/api/connectors')).status, 200);
    assert.equal((await admin2.patch(`${a.base}/${dest.id}`, { isActive: false })).status, 200);
    const res = await admin2.post('/api/connectors/mollie/install', { config: validConfig('mollie') });
    assert.equal(res.status, 201, res.text);
  });
});

describe('tenant isolation', () => {
  let a;
  let b;
  let aDest;
  let aStripe;

  before(async () => {
    a = await tenantOn('pro', 'Tenant A');
    b = await tenantOn('pro', 'Tenant B');
    const stripe = await a.api.post('/api/connectors/stripe/install', { config: validConfig('stripe') });
    assert.equal(stripe.status, 201, stripe.text);
    aStripe = stripe.json;
    const adyen = await a.api.post('/api/connectors/adyen/install', { config: validConfig('adyen') });
    assert.equal(adyen.status, 201, adyen.text);
    const d = await a.api.post(a.base, { type: 'discord', config: validConfig('discord'),
                                         eventTypes: ['payment.settled'] });
    assert.equal(d.status, 201, d.text);
    aDest = d.json;
  });

  test('B gets 404 on A\'s project: list and create', async () => {
    assertError(await b.api.get(a.base), 404, 'not_found');
    assertError(await b.api.post(a.base, { type: 'slack', config: validConfig('slack'), eventTypes: ['*'] }),
                404, 'not_found');
  });

  test('B gets 404 on A\'s connector id, under A\'s project id and under its own', async () => {
    for (const base of [a.base, b.base]) {
      const url = `${base}/${aDest.id}`;
      assertError(await b.api.get(url), 404, 'not_found');
      assertError(await b.api.patch(url, { isActive: false, eventTypes: ['*'] }), 404, 'not_found');
      assertError(await b.api.patch(url, { config: validConfig('discord') }), 404, 'not_found');
      assertError(await b.api.del(url), 404, 'not_found');
    }
    // A's seed-000 install id is no door either.
    assertError(await b.api.get(`${b.base}/${aStripe.id}`), 404, 'not_found');
    assertError(await b.api.del(`${b.base}/${aStripe.id}`), 404, 'not_found');
  });

  test('the 404 for another tenant\'s project is the one for a project that does not exist', async () => {
    const made = await b.api.get(a.base);
    const unknown = await b.api.get('/api/projects/ten_doesnotexist/connectors');
    assert.equal(unknown.status, made.status);
    assert.deepEqual(unknown.json, made.json);
  });

  test('A\'s connector is untouched by all of that', async () => {
    const res = await a.api.get(`${a.base}/${aDest.id}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, aDest);
    assert.equal((await a.api.get('/api/connectors/stripe')).json.installed, true);
  });

  test('B never sees A\'s installs: catalog list, entries, project list', async () => {
    const list = await b.api.get('/api/connectors');
    assert.equal(list.status, 200, list.text);
    for (const c of list.json.connectors) {
      assert.equal(c.installed, false, c.slug);
      assert.notEqual(c.status, 'installed', c.slug);
      if (c.kind === 'destination') assert.equal(c.installedCount, 0, c.slug);
    }
    for (const slug of ['stripe', 'adyen', 'discord']) {
      const d = await b.api.get(`/api/connectors/${slug}`);
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.id, undefined);
      assert.equal(d.json.config, undefined);
      assert.equal(d.json.webhookUrl, undefined);
      assert.ok(!d.text.includes(aStripe.id) && !d.text.includes(aStripe.webhookUrl));
    }
    const projects = await b.api.get(b.base);
    assert.deepEqual(projects.json.connectors, []);
  });

  test('B cannot uninstall or reconfigure A\'s install by slug: it is not B\'s', async () => {
    assertError(await b.api.post('/api/connectors/stripe/uninstall', {}), 404, 'not_found');
    assertError(await b.api.put('/api/connectors/stripe/config', { config: validConfig('stripe') }),
                404, 'not_found');
    const mine = await a.api.get('/api/connectors/stripe');
    assert.equal(mine.json.webhookUrl, aStripe.webhookUrl);
    assert.deepEqual(mine.json.config, aStripe.config);
  });

  test('B installs the same connector with its own token; A\'s stays as it was', async () => {
    const res = await b.api.post('/api/connectors/stripe/install', { config: validConfig('stripe') });
    assert.equal(res.status, 201, res.text);
    assert.notEqual(res.json.webhookUrl, aStripe.webhookUrl);
    assert.notEqual(res.json.id, aStripe.id);
    const mine = await a.api.get('/api/connectors/stripe');
    assert.equal(mine.json.webhookUrl, aStripe.webhookUrl);
    assert.equal(mine.json.id, aStripe.id);
  });

  test('each tenant\'s audit log holds only its own records', async () => {
    const aAudit = (await a.api.get('/api/audit-log')).json.entries;
    const bAudit = (await b.api.get('/api/audit-log')).json.entries;
    assert.deepEqual(aAudit.map((e) => e.target), [aDest.id, 'adyen', 'stripe']);
    assert.deepEqual(bAudit.map((e) => e.action), ['connector.install']);
    assert.ok(!bAudit.some((e) => e.target === aDest.id));
    assert.ok(!aAudit.some((e) => bAudit.some((x) => x.id === e.id)));
  });
});

test('no response of this file and no log line holds a secret that was sent', () => {
  for (const text of seen) assertNoSecrets(text, 'a response body');
  assertNoSecrets(serverOutput(server), 'the server log');
});
