// Installing a webhook connector before its secret exists: Stripe shows the whsec_ signing
// secret and PayPal the webhook ID only after the webhook URL has been registered with them,
// so the install may leave them out. It answers its webhook URL at once and is
// `awaiting_secret`; webhooks that arrive meanwhile are logged (failed, "awaiting secret")
// and answered 503 with Retry-After, so the provider sends them again; once PUT config saves
// the secret, the install is active and the same event books, once.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, invoicePaid, newSecret } = require('./lib/stripe');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

async function call(token, method, pathname, json) {
  return server.request(pathname, { method, token, json });
}

async function statusOf(token, slug) {
  const detail = await call(token, 'GET', `/api/connectors/${slug}`);
  assert.equal(detail.status, 200, detail.text);
  const list = await call(token, 'GET', '/api/connectors');
  assert.equal(list.status, 200, list.text);
  const entry = list.json.connectors.find((c) => c.slug === slug);
  assert.equal(entry.status, detail.json.status, 'the list and the detail agree');
  return detail.json.status;
}

describe('stripe installed without its webhook secret', () => {
  let t;
  let url;
  const secret = newSecret();
  const paid = invoicePaid({ amount: 4900 });

  before(async () => {
    t = new StripeTenant(server, await server.createTenant('Awaiting Stripe', 'pro'));
  });

  test('install answers 201 with the webhook URL at once, status awaiting_secret', async () => {
    const res = await call(t.token, 'POST', '/api/connectors/stripe/install',
                           { config: { autoPost: true } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.installed, true);
    assert.equal(res.json.status, 'awaiting_secret');
    assert.equal(res.json.config.webhookSecret, undefined);
    const m = /\/api\/payment-import\/stripe\/([A-Za-z0-9_-]{43})$/.exec(res.json.webhookUrl);
    assert.ok(m, res.json.webhookUrl);
    url = new URL(res.json.webhookUrl);
    t.path = url.pathname;
    assert.equal(await statusOf(t.token, 'stripe'), 'awaiting_secret');
    const field = res.json.settings.find((f) => f.key === 'webhookSecret');
    assert.equal(field.awaitable, true);
    assert.equal(field.required, true);
  });

  test('a webhook meanwhile: 503 awaiting_secret with Retry-After, logged as failed, nothing booked', async () => {
    const res = await t.send(paid.body, { secret });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.json.error.code, 'awaiting_secret');
    assert.match(res.json.error.message, /secret/);
    assert.match(res.headers.get('retry-after') || '', /^\d+$/);
    const logs = await t.logs();
    assert.equal(logs.length, 1);
    assert.equal(logs[0].status, 'failed');
    assert.match([logs[0].error, logs[0].detail].join(' '), /awaiting secret/);
    assert.deepEqual(await t.invoices(), []);
  });

  test('the test webhook says to save the secret first', async () => {
    const res = await call(t.token, 'POST', '/api/connectors/stripe/test-webhook', {});
    assert.equal(res.status, 409, res.text);
    assert.match(res.json.error.message, /webhook secret/);
  });

  test('PUT config saves the secret: active, and the provider\'s retry books once', async () => {
    const put = await call(t.token, 'PUT', '/api/connectors/stripe/config',
                           { config: { webhookSecret: secret } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.status, 'installed');
    assert.equal(put.json.webhookUrl, url.href, 'saving the secret keeps the URL');
    assert.equal(put.json.config.autoPost, true, 'fields left out are kept');
    assert.equal(await statusOf(t.token, 'stripe'), 'installed');

    const again = await t.send(paid.body, { secret });
    assert.equal(again.status, 200, again.text);
    const twice = await t.send(paid.body, { secret });
    assert.equal(twice.status, 200, twice.text);
    const invoices = await t.invoices();
    assert.equal(invoices.length, 1);
    assert.equal(invoices[0].externalId, paid.externalId);
    const counts = await t.logCounts();
    assert.equal(counts.failed, 1);
    assert.equal(counts.processed, 1);
    assert.equal(counts.duplicate, 1);
  });

  test('null takes the secret away again: awaiting, and webhooks get 503', async () => {
    const put = await call(t.token, 'PUT', '/api/connectors/stripe/config',
                           { config: { webhookSecret: null } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.status, 'awaiting_secret');
    const res = await t.send(invoicePaid().body, { secret });
    assert.equal(res.status, 503, res.text);
  });
});

describe('other connectors', () => {
  test('paypal without its webhook ID: awaiting, 503 until the ID is saved', async () => {
    const tenant = await server.createTenant('Awaiting PayPal', 'starter');
    const res = await call(tenant.token, 'POST', '/api/connectors/paypal/install', {});
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, 'awaiting_secret');
    const { pathname } = new URL(res.json.webhookUrl);
    const hook = await server.request(pathname, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} }),
    });
    assert.equal(hook.status, 503, hook.text);
    assert.equal(hook.json.error.code, 'awaiting_secret');
    assert.ok(hook.headers.get('retry-after'));
    const put = await call(tenant.token, 'PUT', '/api/connectors/paypal/config',
                           { config: { webhookId: 'WH-5GE95786RN0935541-0SU40366F' } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.status, 'installed');
  });

  test('a connector whose credentials exist before the URL cannot await them', async () => {
    const tenant = await server.createTenant('Not awaiting', 'pro');
    const res = await call(tenant.token, 'POST', '/api/connectors/mollie/install', {});
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.error.fields[0].field, 'apiKey');
    assert.equal(res.json.error.fields[0].code, 'required');
    // adyen awaits only the webhook's HMAC key, not its API key
    const adyen = await call(tenant.token, 'POST', '/api/connectors/adyen/install',
                             { config: { apiKey: 'AQE_not_a_real_key_1234' } });
    assert.equal(adyen.status, 201, adyen.text);
    assert.equal(adyen.json.status, 'awaiting_secret');
  });
});
