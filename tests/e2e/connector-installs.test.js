// Installing seed-000 connectors by slug: schema validation with field-level errors, the
// webhook URL and its token's life (install, uninstall, reinstall), config updates that keep
// omitted secrets, the audit trail, and secrets that never leave the server: not in a
// response, not in the log, not in plain text in the store file (the master key is used).
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const {
  BULLETS, Client, assertError, assertFieldError, assertNoSecrets, masked, remember, secret,
  serverOutput, validConfig,
} = require('./lib/connectors');
const { storeBytes } = require('./lib/store-file');

const PUBLIC_URL = 'https://connect.example.com';
const WEBHOOK_URL_RE = /^https:\/\/connect\.example\.com\/api\/payment-import\/([a-z-]+)\/([A-Za-z0-9_-]{43})$/;

let server;
const seen = [];

before(async () => {
  server = await startServer({ args: ['--public-url', PUBLIC_URL] });
});

after(async () => {
  await server?.stop();
});

async function tenantOn(plan) {
  const t = await server.createTenant(`Installs ${plan} ${Date.now()}`, plan);
  return { ...t, api: new Client(server, t.token, seen) };
}

// Every webhook token the server minted: shown in responses, but never logged and never
// stored in plain text.
const minted = [];

// The token of a webhook URL, after checking the URL's form.
function tokenOf(url, slug) {
  const m = WEBHOOK_URL_RE.exec(url || '');
  assert.ok(m, `not a webhook URL: ${url}`);
  assert.equal(m[1], slug);
  minted.push(m[2]);
  return m[2];
}

// Knocks on a webhook URL with an event no provider signed: a live token gets as far as the
// signature check (an error, but not 404); a dead or unknown one is 404.
async function knock(url) {
  const { pathname } = new URL(url);
  const res = await server.request(pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
    body: '{"id":"evt_test","object":"event","type":"invoice.paid"}',
  });
  seen.push(res.text);
  return res;
}

function assertLive(res) {
  assert.notEqual(res.status, 404, res.text);
  assert.ok(res.status >= 400 && res.status < 500, `an unsigned event was accepted: ${res.text}`);
}

async function auditEntries(api, limit = 50) {
  const res = await api.get(`/api/audit-log?limit=${limit}`);
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.json.entries));
  return res.json.entries;
}

describe('schema validation answers 422 with field-level errors', () => {
  let api;

  before(async () => {
    ({ api } = await tenantOn('enterprise'));
  });

  // Posts an install that must fail validation; afterwards the connector is still not
  // installed.
  async function rejected(slug, config) {
    const res = await api.post(`/api/connectors/${slug}/install`, { config });
    const d = await api.get(`/api/connectors/${slug}`);
    assert.equal(d.json.installed, false, `${slug} was installed by an invalid config`);
    return res;
  }

  test('a required field left out', async () => {
    const res = await rejected('mollie', {});
    const fields = assertFieldError(res, 'apiKey', 'required');
    assert.equal(fields.length, 1, res.text);
    assertFieldError(await rejected('mollie', { apiKey: '' }), 'apiKey', 'required');
    assertFieldError(await rejected('mollie', { apiKey: null }), 'apiKey', 'required');
    const { phoneNumberId, ...rest } = validConfig('whatsapp');
    assert.ok(phoneNumberId);
    assertFieldError(await rejected('whatsapp', rest), 'phoneNumberId', 'required');
  });

  test('a value of the wrong type', async () => {
    assertFieldError(await rejected('stripe', { webhookSecret: 12345678901234 }),
                     'webhookSecret', 'wrong_type');
    assertFieldError(await rejected('stripe', { ...validConfig('stripe'), autoPost: 'yes' }),
                     'autoPost', 'wrong_type');
    assertFieldError(await rejected('datev', { ...validConfig('datev'), accountLength: '6' }),
                     'accountLength', 'wrong_type');
    assertFieldError(await rejected('paypal', { webhookId: ['WH-1'] }), 'webhookId', 'wrong_type');
  });

  test('a URL that is not an http(s) URL', async () => {
    for (const bad of ['ftp://x', 'not a url', 'https://', 'javascript:alert(1)', 'http:///path']) {
      const res = await rejected('toggl', { ...validConfig('toggl'), apiBaseUrl: bad });
      assertFieldError(res, 'apiBaseUrl', 'invalid_url');
    }
    assertFieldError(await rejected('toggl', { ...validConfig('toggl'), apiBaseUrl: 42 }),
                     'apiBaseUrl', 'wrong_type');
  });

  test('a field the connector does not have', async () => {
    const res = await rejected('mollie', { ...validConfig('mollie'), webhookSecret: 'x' });
    const fields = assertFieldError(res, 'webhookSecret', 'unknown_field');
    assert.equal(fields.length, 1, res.text);
  });

  test('values outside the allowed set, format or range', async () => {
    assertFieldError(await rejected('stripe', { ...validConfig('stripe'), vatRate: '21' }),
                     'vatRate', 'not_allowed');
    assertFieldError(await rejected('stripe', { ...validConfig('stripe'), direction: 'sideways' }),
                     'direction', 'not_allowed');
    assertFieldError(await rejected('toggl', { ...validConfig('toggl'), workspaceId: 'abc' }),
                     'workspaceId', 'pattern_mismatch');
    assertFieldError(await rejected('datev', { ...validConfig('datev'), accountLength: 9 }),
                     'accountLength', 'out_of_range');
  });

  test('each message says in words what is expected: allowed values, format, type', async () => {
    const message = async (slug, config, field) => {
      const res = await rejected(slug, config);
      const f = res.json.error.fields.find((x) => x.field === field);
      assert.ok(f, `${field} not named: ${res.text}`);
      return f.message;
    };
    assert.equal(await message('stripe', { ...validConfig('stripe'), direction: 'sideways' }, 'direction'),
                 'direction must be one of: expense, revenue');
    assert.equal(await message('stripe', { ...validConfig('stripe'), expenseAccount: '12' }, 'expenseAccount'),
                 'expenseAccount must be 4 to 8 digits');
    assert.equal(await message('datev', { ...validConfig('datev'), accountLength: '6' }, 'accountLength'),
                 'accountLength must be a whole number from 4 to 8, not a string');
    assert.equal(await message('datev', { ...validConfig('datev'), accountLength: 9 }, 'accountLength'),
                 'accountLength must be a whole number from 4 to 8');
    assert.equal(await message('stripe', { ...validConfig('stripe'), autoPost: 'yes' }, 'autoPost'),
                 'autoPost must be true or false, not a string');
    assert.equal(await message('datev', { clientNumber: '1' }, 'consultantNumber'),
                 'consultantNumber is required: 4 to 7 digits');
    assert.match(await message('toggl', { ...validConfig('toggl'), apiBaseUrl: 'ftp://x' }, 'apiBaseUrl'),
                 /^apiBaseUrl must be an http\(s\) URL/);
    // the schema carries the same words for the page to show before anything is sent
    const d = await api.get('/api/connectors/stripe');
    assert.equal(d.json.settings.find((f) => f.key === 'expenseAccount').expected, '4 to 8 digits');
    assert.equal(d.json.settings.find((f) => f.key === 'expenseAccount').format, '4 to 8 digits');
  });

  test('every problem of one config is listed, each with field, code and message', async () => {
    const res = await rejected('klarna', { apiKey: 5, colour: 'red', apiBaseUrl: 'ftp://x' });
    const fields = assertFieldError(res, 'apiKey', 'wrong_type');
    assertFieldError(res, 'apiSecret', 'required');
    assertFieldError(res, 'colour', 'unknown_field');
    assertFieldError(res, 'apiBaseUrl', 'invalid_url');
    assert.equal(fields.length, 4, res.text);
  });

  test('the body itself: config must be an object, and nothing but config is taken', async () => {
    const notObject = await api.post('/api/connectors/stripe/install', { config: 'whsec_x' });
    assertError(notObject, 400, 'invalid_field');
    const extra = await api.post('/api/connectors/stripe/install',
                                 { config: validConfig('stripe'), plan: 'enterprise' });
    assertError(extra, 422, 'validation_failed');
    const d = await api.get('/api/connectors/stripe');
    assert.equal(d.json.installed, false);
  });

  test('a rejected config writes no audit record', async () => {
    assert.deepEqual(await auditEntries(api), []);
  });
});

describe('install → webhook URL → uninstall → the token is dead → reinstall → new token', () => {
  let t;
  let first;

  before(async () => {
    t = await tenantOn('pro');
  });

  test('install answers 201 with the entry, the masked config and the webhook URL', async () => {
    const config = validConfig('stripe');
    const res = await t.api.post('/api/connectors/stripe/install', { config });
    assert.equal(res.status, 201, res.text);
    const d = res.json;
    assert.equal(d.slug, 'stripe');
    assert.equal(d.installed, true);
    assert.equal(d.status, 'installed');
    assert.match(d.id, /^con_/);
    assert.match(d.installedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(d.updatedAt, d.installedAt);
    assert.deepEqual(d.config, { webhookSecret: masked(config.webhookSecret), autoPost: false,
                                 direction: 'expense' });
    assert.ok(Array.isArray(d.settings));
    first = { id: d.id, url: d.webhookUrl, token: tokenOf(d.webhookUrl, 'stripe'), config };
  });

  test('GET shows the same URL again (the token is kept, sealed, not just hashed)', async () => {
    const res = await t.api.get('/api/connectors/stripe');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.webhookUrl, first.url);
    assert.equal(res.json.id, first.id);
  });

  test('the webhook URL is live: its token reaches the signature check; other slugs or tokens do not', async () => {
    assertLive(await knock(first.url));
    assertError(await knock(first.url.replace('/stripe/', '/mollie/')), 404, 'not_found');
    assertError(await knock(first.url.slice(0, -1) + (first.url.endsWith('A') ? 'B' : 'A')),
                404, 'not_found');
  });

  test('installing again: 409 conflict, and the install is untouched', async () => {
    const res = await t.api.post('/api/connectors/stripe/install', { config: validConfig('stripe') });
    assertError(res, 409, 'conflict');
    const d = await t.api.get('/api/connectors/stripe');
    assert.equal(d.json.webhookUrl, first.url);
    assert.equal(d.json.config.webhookSecret, masked(first.config.webhookSecret));
  });

  test('uninstall answers 200 and the entry is available again, without id, config or URL', async () => {
    const res = await t.api.post('/api/connectors/stripe/uninstall', {});
    assert.equal(res.status, 200, res.text);
    const d = await t.api.get('/api/connectors/stripe');
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.installed, false);
    assert.equal(d.json.status, 'available');
    for (const key of ['id', 'config', 'webhookUrl']) assert.equal(d.json[key], undefined, key);
    assert.ok(!d.text.includes(first.token), 'the dead token is still shown');
    const list = await t.api.get('/api/connectors');
    assert.ok(!list.text.includes(first.token));
    assert.equal(list.json.connectors.find((c) => c.slug === 'stripe').installed, false);
  });

  test('the uninstalled token is dead at once: its webhook URL answers 404', async () => {
    assertError(await knock(first.url), 404, 'not_found');
  });

  test('uninstalling what is not installed: 404', async () => {
    assertError(await t.api.post('/api/connectors/stripe/uninstall', {}), 404, 'not_found');
    assertError(await t.api.post('/api/connectors/paypal/uninstall', {}), 404, 'not_found');
  });

  test('reinstalling yields a new install with a new token and URL', async () => {
    const res = await t.api.post('/api/connectors/stripe/install', { config: validConfig('stripe') });
    assert.equal(res.status, 201, res.text);
    const token = tokenOf(res.json.webhookUrl, 'stripe');
    assert.notEqual(token, first.token);
    assert.notEqual(res.json.webhookUrl, first.url);
    assert.notEqual(res.json.id, first.id);
    const d = await t.api.get('/api/connectors/stripe');
    assert.equal(d.json.webhookUrl, res.json.webhookUrl);
    assert.ok(!d.text.includes(first.token));
    assertLive(await knock(res.json.webhookUrl));
    assertError(await knock(first.url), 404, 'not_found');
  });

  test('hybrid kinds get a webhook URL, api kinds none', async () => {
    const revolut = await t.api.post('/api/connectors/revolut/install',
                                     { config: validConfig('revolut') });
    assert.equal(revolut.status, 201, revolut.text);
    tokenOf(revolut.json.webhookUrl, 'revolut');
    const toggl = await t.api.post('/api/connectors/toggl/install', { config: validConfig('toggl') });
    assert.equal(toggl.status, 201, toggl.text);
    assert.equal(toggl.json.webhookUrl, undefined);
    const d = await t.api.get('/api/connectors/toggl');
    assert.equal(d.json.webhookUrl, undefined);
    assert.equal(d.json.installed, true);
  });

  test('webhook tokens differ across tenants and installs', async () => {
    const tokens = new Set();
    for (let i = 0; i < 3; i++) {
      const other = await tenantOn('starter');
      const res = await other.api.post('/api/connectors/mollie/install',
                                       { config: validConfig('mollie') });
      assert.equal(res.status, 201, res.text);
      tokens.add(tokenOf(res.json.webhookUrl, 'mollie'));
    }
    assert.equal(tokens.size, 3);
  });
});

describe('PUT /api/connectors/:slug/config', () => {
  let t;
  let config;
  let url;

  before(async () => {
    t = await tenantOn('pro');
    config = validConfig('gocardless');
    const res = await t.api.post('/api/connectors/gocardless/install', { config });
    assert.equal(res.status, 201, res.text);
    url = res.json.webhookUrl;
    tokenOf(url, 'gocardless');
  });

  async function current() {
    const res = await t.api.get('/api/connectors/gocardless');
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  test('secrets left out keep their stored value; plain fields are replaced', async () => {
    const before_ = await current();
    assert.equal(before_.config.webhookSecret, masked(config.webhookSecret));
    assert.equal(before_.config.secretKey, masked(config.secretKey));
    const res = await t.api.put('/api/connectors/gocardless/config',
                                { config: { secretId: 'sid-rotated', autoPost: true,
                                            expenseAccount: '4400' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.webhookSecret, masked(config.webhookSecret));
    assert.equal(res.json.config.secretKey, masked(config.secretKey));
    assert.equal(res.json.config.secretId, 'sid-rotated');
    assert.equal(res.json.config.autoPost, true);
    assert.equal(res.json.config.expenseAccount, '4400');
    assert.equal(res.json.id, before_.id);
    assert.equal(res.json.webhookUrl, url, 'a config change must not change the webhook URL');
    assert.ok(res.json.updatedAt >= before_.updatedAt);
    assert.deepEqual((await current()).config, res.json.config);
  });

  test('an empty string for a secret also keeps it; plain fields left out keep theirs', async () => {
    const res = await t.api.put('/api/connectors/gocardless/config',
                                { config: { webhookSecret: '', secretKey: '' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.webhookSecret, masked(config.webhookSecret));
    assert.equal(res.json.config.secretKey, masked(config.secretKey));
    assert.equal(res.json.config.secretId, 'sid-rotated');
    assert.equal(res.json.config.autoPost, true, 'autoPost left out keeps its value');
    assert.equal(res.json.config.expenseAccount, '4400');
  });

  test('setting autoPost alone keeps direction and vatRate (they used to fall back)', async () => {
    let res = await t.api.put('/api/connectors/gocardless/config',
                              { config: { direction: 'revenue', vatRate: '20', autoPost: false } });
    assert.equal(res.status, 200, res.text);
    res = await t.api.put('/api/connectors/gocardless/config', { config: { autoPost: true } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.autoPost, true);
    assert.equal(res.json.config.direction, 'revenue');
    assert.equal(res.json.config.vatRate, '20');
    assert.equal(res.json.config.expenseAccount, '4400');
    assert.deepEqual((await current()).config, res.json.config);
  });

  test('null resets a field to its default, or to none when it has no default', async () => {
    const res = await t.api.put('/api/connectors/gocardless/config',
                                { config: { direction: null, vatRate: null, autoPost: null,
                                            expenseAccount: null } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.direction, 'expense');
    assert.equal(res.json.config.autoPost, false);
    assert.equal(res.json.config.vatRate, undefined);
    assert.equal(res.json.config.expenseAccount, undefined);
    assert.equal(res.json.config.secretId, 'sid-rotated', 'a field left out is kept');
    const audit = await auditEntries(t.api, 1);
    assert.deepEqual([...audit[0].fields].sort(),
                     ['autoPost', 'direction', 'expenseAccount', 'vatRate']);
  });

  test('a new secret replaces the stored one: the masked hint changes', async () => {
    const fresh = secret('gc_new_');
    const res = await t.api.put('/api/connectors/gocardless/config',
                                { config: { secretId: 'sid-rotated', webhookSecret: fresh } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.webhookSecret, masked(fresh));
    assert.notEqual(masked(fresh), masked(config.webhookSecret));
    assert.equal(res.json.config.secretKey, masked(config.secretKey));
    assert.equal((await current()).config.webhookSecret, masked(fresh));
    config.webhookSecret = fresh;
  });

  test('a short secret is masked without a hint', async () => {
    const short = secret('s'); // 25 characters; cut to 8 below
    const value = short.slice(0, 8);
    remember(value);
    const res = await t.api.put('/api/connectors/gocardless/config',
                                { config: { secretId: 'sid-rotated', secretKey: value } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.secretKey, BULLETS);
    config.secretKey = value;
  });

  test('an invalid config: 422 and the stored config is unchanged', async () => {
    const before_ = await current();
    const res = await t.api.put('/api/connectors/gocardless/config',
                                { config: { secretId: 7, direction: 'up', extra: true } });
    assertFieldError(res, 'secretId', 'wrong_type');
    assertFieldError(res, 'direction', 'not_allowed');
    assertFieldError(res, 'extra', 'unknown_field');
    const after_ = await current();
    assert.deepEqual(after_.config, before_.config);
    assert.equal(after_.updatedAt, before_.updatedAt);
  });

  test('an empty config changes nothing', async () => {
    const before_ = await current();
    const res = await t.api.put('/api/connectors/gocardless/config', { config: {} });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.config, before_.config);
  });

  test('a required field cannot be reset with null, a required secret neither', async () => {
    // sumup requires a plain field and a secret (gocardless's bank credentials depend on
    // its bankDriver, so they are optional)
    const installed = await t.api.post('/api/connectors/sumup/install',
                                       { config: validConfig('sumup') });
    assert.equal(installed.status, 201, installed.text);
    const before_ = (await t.api.get('/api/connectors/sumup')).json;
    const res = await t.api.put('/api/connectors/sumup/config',
                                { config: { merchantCode: null, apiKey: null } });
    const fields = assertFieldError(res, 'merchantCode', 'required');
    assertFieldError(res, 'apiKey', 'required');
    assert.equal(fields.length, 2, res.text);
    assert.match(fields[0].message, /cannot be reset/);
    assert.deepEqual((await t.api.get('/api/connectors/sumup')).json.config, before_.config);
  });

  test('a connector that is not installed: 404', async () => {
    const res = await t.api.put('/api/connectors/adyen/config', { config: validConfig('adyen') });
    assertError(res, 404, 'not_found');
    assertError(await t.api.put('/api/connectors/nope/config', { config: {} }), 404, 'not_found');
  });
});

describe('the audit log', () => {
  let t;

  before(async () => {
    t = await tenantOn('business');
  });

  test('install, config change and uninstall are recorded newest first, with the changed keys', async () => {
    const config = validConfig('slack-assistant');
    assert.equal((await t.api.post('/api/connectors/slack-assistant/install', { config })).status, 201);
    const put = await t.api.put('/api/connectors/slack-assistant/config',
                                { config: { signingSecret: secret('ss_new_') } });
    assert.equal(put.status, 200, put.text);
    assert.equal((await t.api.post('/api/connectors/slack-assistant/uninstall', {})).status, 200);

    const entries = await auditEntries(t.api);
    assert.deepEqual(entries.map((e) => e.action),
                     ['connector.uninstall', 'connector.config_update', 'connector.install']);
    const [uninstall, update, install] = entries;
    for (const e of entries) {
      assert.equal(e.target, 'slack-assistant');
      assert.match(e.id, /^aud_/);
      assert.match(e.tokenId, /^tok_/);
      assert.equal(e.tokenId, install.tokenId);
      assert.match(e.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Array.isArray(e.fields));
    }
    assert.deepEqual([...install.fields].sort(), ['botToken', 'signingSecret']);
    assert.deepEqual(update.fields, ['signingSecret']);
    assert.deepEqual(uninstall.fields, []);
    assert.ok(uninstall.createdAt >= update.createdAt && update.createdAt >= install.createdAt);
  });

  test('each token is named by its own id', async () => {
    const admin2 = await server.createToken(t.tenantId, 'admin');
    const api2 = new Client(server, admin2, seen);
    assert.equal((await api2.post('/api/connectors/trakro/install',
                                  { config: validConfig('trakro') })).status, 201);
    const [latest, previous] = await auditEntries(t.api);
    assert.equal(latest.action, 'connector.install');
    assert.equal(latest.target, 'trakro');
    assert.match(latest.tokenId, /^tok_/);
    assert.notEqual(latest.tokenId, previous.tokenId);
  });

  test('limit bounds the list and keeps the newest', async () => {
    const all = await auditEntries(t.api);
    assert.ok(all.length >= 4);
    const two = await auditEntries(t.api, 2);
    assert.deepEqual(two, all.slice(0, 2));
    for (const bad of ['0', '-1', 'abc', '100000'])
      assert.equal((await t.api.get(`/api/audit-log?limit=${bad}`)).status, 400, bad);
  });

  test('a tenant sees only its own records', async () => {
    const other = await tenantOn('business');
    assert.deepEqual(await auditEntries(other.api), []);
  });
});

describe('secrets never leave the server', () => {
  test('the audit log holds key names, never values', async () => {
    const { api } = await tenantOn('enterprise');
    const configs = {};
    for (const slug of ['whatsapp', 'finanzonline', 'klarna']) {
      configs[slug] = validConfig(slug);
      assert.equal((await api.post(`/api/connectors/${slug}/install`,
                                   { config: configs[slug] })).status, 201);
    }
    const res = await api.get('/api/audit-log?limit=100');
    assert.equal(res.status, 200, res.text);
    assertNoSecrets(res.text, 'the audit log');
    // Plain values are not there either: only keys.
    assert.ok(!res.text.includes(configs.finanzonline.participantId), res.text);
    assert.ok(res.json.entries.some((e) => e.fields.includes('pin')));
  });

  test('a malformed body is refused without echoing the secret it carried', async () => {
    const { api } = await tenantOn('starter');
    const value = secret('whsec_');
    const letters = 'whsec' + crypto.randomBytes(16).toString('hex').replace(/[0-9]/g, 'q');
    remember(letters);
    const [head, tail] = [value.slice(0, 16), value.slice(16)];
    // A secret pasted with its trailing newline, with a stray control character or a bad
    // escape inside, or without quotes: none is JSON, and the 400 must not quote it back.
    const bodies = [`{"config":{"webhookSecret":"${value}\n"}}`,
                    `{"config":{"webhookSecret":"${head}\u0001${tail}"}}`,
                    `{"config":{"webhookSecret":"${head}\\q${tail}"}}`,
                    `{"config":{"webhookSecret":${value}}}`,
                    `{"config":{"webhookSecret":${letters}}}`,
                    `{"config":{"webhookSecret":"${value}"}`];
    for (const body of bodies) {
      const res = await server.request('/api/connectors/stripe/install', {
        method: 'POST', token: api.token, headers: { 'content-type': 'application/json' }, body });
      seen.push(res.text);
      assertError(res, 400, 'invalid_json');
      for (const part of ['whsec', value.slice(6, 12), letters.slice(5, 11)])
        assert.ok(!res.text.includes(part), `the error quotes the secret: ${res.text}`);
    }
  });

  test('the server log holds none of them, nor a webhook token', () => {
    const log = serverOutput(server);
    assertNoSecrets(log, 'the server log');
    assert.ok(minted.length >= 5);
    for (const token of minted) assert.ok(!log.includes(token), `the log holds the token ${token}`);
  });

  test('the store file holds none of them in plain text, though it holds the installs', async () => {
    const t = await tenantOn('starter');
    const config = { ...validConfig('sumup'), merchantCode: 'MC' + Date.now() };
    const res = await t.api.post('/api/connectors/sumup/install', { config });
    assert.equal(res.status, 201, res.text);
    const token = tokenOf(res.json.webhookUrl, 'sumup');
    const bytes = storeBytes(server);
    // The rows are in these bytes: the plain field and the install's id can be found...
    assert.ok(bytes.includes(Buffer.from(config.merchantCode)), 'the install is not in the store bytes');
    assert.ok(bytes.includes(Buffer.from(res.json.id)));
    // ...but no secret, no webhook token and no webhook URL.
    assert.ok(!bytes.includes(Buffer.from(config.apiKey)), 'the API key is stored in plain text');
    assert.ok(!bytes.includes(Buffer.from(token)), 'the webhook token is stored in plain text');
    assert.ok(!bytes.includes(Buffer.from(res.json.webhookUrl)));
    assertNoSecrets(bytes, 'the store file');
    for (const t2 of minted)
      assert.ok(!bytes.includes(Buffer.from(t2)), `the store holds the token ${t2} in plain text`);
  });

  test('no response of this file holds a secret that was sent', () => {
    assert.ok(seen.length > 50);
    for (const text of seen) assertNoSecrets(text, 'a response body');
  });
});
