// Who may knock on /api/payment-import/{provider}/{token}: only a live install's token, under
// its own provider. An uninstalled, unknown or foreign token is 404 and leaves no trace in any
// webhook log, even with a valid signature; reinstalling mints a new URL. Outside development
// mode a webhook over plain HTTP is refused (403 https_required) unless a trusted proxy says
// the client spoke HTTPS. The access log names the tenant of a webhook but never its token.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const { startServer, waitFor } = require('./lib/server');
const { validConfig } = require('./lib/connectors');
const { StripeTenant, assertError, invoicePaid } = require('./lib/stripe');

let server;
const servers = [];
// Every webhook token minted in this file: none may ever appear in a server's output.
const tokens = [];

before(async () => {
  server = await startServer();
  servers.push(server);
});

after(async () => {
  for (const s of servers) await s.stop();
});

async function stripeTenant(s = server, config = {}) {
  const t = await StripeTenant.create(s, config);
  tokens.push(t.webhookToken);
  return t;
}

// Every webhook log row of the tenant, across the providers it may have received.
async function allLogs(t, slugs = ['stripe']) {
  const rows = [];
  for (const slug of slugs) {
    const res = await t.server.request(`/api/connectors/${slug}/webhook-logs?limit=100`,
                                       { token: t.token });
    assert.equal(res.status, 200, res.text);
    rows.push(...res.json);
  }
  return rows;
}

function assertNotFound(res) {
  assertError(res, 404, 'not_found');
}

describe('webhook URLs', () => {
  test('after uninstall the old URL answers 404 and logs nothing; a reinstall gets a new URL',
    async () => {
      const t = await stripeTenant();
      const oldPath = t.path;
      const oldSecret = t.secret;
      assert.equal((await t.send(invoicePaid().body)).status, 200);
      await t.uninstall();
      const logsBefore = await allLogs(t);
      const invoicesBefore = await t.invoices();

      // a genuine delivery, signed with the old secret, to the old URL
      const late = invoicePaid();
      assertNotFound(await t.send(late.body, { path: oldPath, secret: oldSecret }));
      assertNotFound(await t.post('{}', { path: oldPath }));
      assert.deepEqual(await allLogs(t), logsBefore, 'nothing logged for a dead URL');
      assert.deepEqual(await t.invoices(), invoicesBefore);

      await t.install();
      tokens.push(t.webhookToken);
      assert.notEqual(t.path, oldPath, 'a reinstall mints a new URL');
      const res = await t.send(late.body);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.status, 'processed');
      // the old URL stays dead, for the old secret and the new one
      assertNotFound(await t.send(invoicePaid().body, { path: oldPath }));
      assertNotFound(await t.send(invoicePaid().body, { path: oldPath, secret: oldSecret }));
      assert.equal((await allLogs(t)).length, logsBefore.length + 1);
    });

  test('an unknown token is 404 and logs nothing', async () => {
    const t = await stripeTenant();
    const pay = invoicePaid();
    const forged = crypto.randomBytes(32).toString('base64url');
    // the real token with its last character changed
    const last = t.webhookToken.slice(-1);
    const near = t.webhookToken.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    for (const token of [forged, near, 'x', t.webhookToken + 'x', t.webhookToken.slice(0, 20)])
      assertNotFound(await t.send(pay.body, { path: `/api/payment-import/stripe/${token}` }));
    // and a provider the platform does not know, with a live token
    assertNotFound(await t.send(pay.body, { path: `/api/payment-import/nosuch/${t.webhookToken}` }));
    assert.deepEqual(await allLogs(t), []);
    assert.deepEqual(await t.invoices(), []);
  });

  test('another provider\'s token under /stripe/ is 404, and a Stripe token under it too',
    async (ctx) => {
      const t = await stripeTenant();
      // the first of these that this build receives webhooks for
      let other = null;
      for (const slug of ['paypal', 'mollie', 'revolut', 'gocardless', 'adyen']) {
        const res = await server.request(`/api/connectors/${slug}/install`, {
          method: 'POST', token: t.token, json: { config: validConfig(slug) } });
        if (res.status !== 201 || !res.json.webhookUrl) continue;
        const path = new URL(res.json.webhookUrl).pathname;
        const token = path.split('/').pop();
        tokens.push(token);
        // a live token gets past the token step at its own provider (an error, not 404)
        const knock = await server.request(path, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        if (knock.status !== 404) {
          other = { slug, path, token };
          break;
        }
        await server.request(`/api/connectors/${slug}/uninstall`,
                             { method: 'POST', token: t.token, json: {} });
      }
      if (!other) {
        ctx.skip('no provider besides stripe receives webhooks in this build');
        return;
      }
      const logsBefore = await allLogs(t, ['stripe', other.slug]);
      const pay = invoicePaid();
      assertNotFound(await t.send(pay.body, { path: `/api/payment-import/stripe/${other.token}` }));
      assertNotFound(await t.send(pay.body,
                                  { path: `/api/payment-import/${other.slug}/${t.webhookToken}` }));
      assert.deepEqual(await allLogs(t, ['stripe', other.slug]), logsBefore);
      assert.deepEqual(await t.invoices(), []);
      // the Stripe URL itself still works
      assert.equal((await t.send(pay.body)).status, 200);
    });
});

describe('HTTPS outside development mode', () => {
  const masterKey = crypto.randomBytes(32).toString('hex');

  test('a plain-HTTP webhook is refused with 403 https_required, and nothing is logged',
    async () => {
      const s = await startServer({ dev: false, env: { CONNECTORD_MASTER_KEY: masterKey } });
      servers.push(s);
      const t = await stripeTenant(s);
      const pay = invoicePaid();
      assertError(await t.send(pay.body), 403, 'https_required');
      // without a trusted proxy, X-Forwarded-Proto is not believed
      assertError(await t.send(pay.body, { headers: { 'x-forwarded-proto': 'https' } }),
                  403, 'https_required');
      assert.deepEqual(await allLogs(t), []);
      assert.deepEqual(await t.invoices(), []);
      // the management API is not affected
      assert.equal((await s.request('/api/connectors/stripe', { token: t.token })).status, 200);
    });

  test('through a trusted proxy that says https, the webhook is accepted', async () => {
    const s = await startServer({ dev: false, env: { CONNECTORD_MASTER_KEY: masterKey },
                                  args: ['--trusted-proxy', '127.0.0.1/32'] });
    servers.push(s);
    const t = await stripeTenant(s);
    const pay = invoicePaid();
    assertError(await t.send(pay.body), 403, 'https_required');
    assertError(await t.send(pay.body, { headers: { 'x-forwarded-proto': 'http' } }),
                403, 'https_required');
    const res = await t.send(pay.body, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'processed');
    const invoices = await t.invoices();
    assert.equal(invoices.length, 1);
    assert.equal(invoices[0].externalId, pay.externalId);
  });
});

describe('the log of webhook requests', () => {
  test('the access log line of a webhook names its tenant; the token never appears', async () => {
    const t = await stripeTenant();
    const id = (label) => `wh-${label}-${crypto.randomBytes(6).toString('hex')}`;
    const cases = [
      { id: id('ok'), send: (h) => t.send(invoicePaid().body, { headers: h }), status: 200,
        tenantId: t.tenantId },
      { id: id('badsig'), send: (h) => t.post(invoicePaid().body,
                                              { headers: { ...h, 'stripe-signature': 't=1,v1=00' } }),
        status: 400, tenantId: t.tenantId },
      { id: id('unknown'), send: (h) => t.send(invoicePaid().body, {
        headers: h, path: `/api/payment-import/stripe/${crypto.randomBytes(32).toString('base64url')}` }),
        status: 404, tenantId: null },
    ];
    for (const c of cases) {
      const res = await c.send({ 'x-request-id': c.id });
      assert.equal(res.status, c.status, res.text);
    }
    for (const c of cases) {
      const line = await waitFor(() => server.logLines().find((l) => l.msg === 'request' &&
                                                                     l.requestId === c.id),
                                 `access-log line ${c.id}`);
      assert.equal(line.status, c.status);
      assert.equal(line.method, 'POST');
      assert.equal(line.route, '/api/payment-import/:provider/:token');
      assert.equal(line.tenantId, c.tenantId, c.id);
    }
  });

  test('no webhook token minted here appears in any server\'s stdout or stderr', async () => {
    assert.ok(tokens.length >= 5, `only ${tokens.length} tokens were minted`);
    for (const s of servers) {
      const out = s.stdout + s.stderr;
      for (const token of tokens)
        assert.ok(!out.includes(token), `a webhook token appears in the server output:\n${out}`);
      assert.ok(!out.includes('/api/payment-import/stripe/'), 'a webhook URL appears in the log');
    }
  });
});
