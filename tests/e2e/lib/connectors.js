// tests/e2e/lib/connectors.js - what the connector tests share: the seeds' tables of the 39
// catalog entries, a valid config for each of them, secrets that can be found again, and
// the checks that those secrets never leave the server (responses, log, store file).
//
// Every secret a test sends is made by secret(), which remembers it; a test file ends by
// asserting that none of them appears in any response it received (a Client records them),
// in the server's stdout and stderr, or in the bytes of the SQLite store.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

// Seed 000: slug, category, kind, the lowest plan, and the connector's own settings as
// [key, secret?, required?]. Payment connectors add the booking fields (PAYMENT_FIELDS).
const SEED_000 = [
  { slug: 'stripe', category: 'payments', kind: 'webhook', plan: 'starter',
    fields: [['webhookSecret', true, true], ['apiKey', true, false]] },
  { slug: 'paypal', category: 'payments', kind: 'webhook', plan: 'starter',
    fields: [['webhookId', false, true], ['clientId', false, false], ['clientSecret', true, false]] },
  { slug: 'klarna', category: 'payments', kind: 'webhook', plan: 'starter',
    fields: [['apiKey', false, true], ['apiSecret', true, true]] },
  { slug: 'sumup', category: 'payments', kind: 'webhook', plan: 'starter',
    fields: [['apiKey', true, true], ['merchantCode', false, true]] },
  { slug: 'mollie', category: 'payments', kind: 'webhook', plan: 'starter',
    fields: [['apiKey', true, true]] },
  { slug: 'revolut', category: 'payments', kind: 'hybrid', plan: 'starter',
    fields: [['webhookSecret', true, true], ['apiKey', true, false], ['clientId', false, false],
             ['privateKey', true, false], ['pullsPerDay', false, false]] },
  { slug: 'adyen', category: 'payments', kind: 'webhook', plan: 'pro',
    fields: [['apiKey', true, true], ['hmacKey', true, true]] },
  { slug: 'gocardless', category: 'payments', kind: 'hybrid', plan: 'pro',
    fields: [['webhookSecret', true, true], ['secretId', false, false], ['secretKey', true, false],
             ['bankDriver', false, false], ['applicationId', false, false],
             ['applicationKey', true, false], ['pullsPerDay', false, false]] },
  { slug: 'finanzonline', category: 'accounting', kind: 'api', plan: 'pro',
    fields: [['participantId', false, true], ['userId', false, true], ['pin', true, true],
             ['taxNumber', false, true]] },
  { slug: 'datev', category: 'accounting', kind: 'api', plan: 'starter',
    fields: [['consultantNumber', false, true], ['clientNumber', false, true],
             ['accountLength', false, false]] },
  { slug: 'slack-assistant', category: 'communication', kind: 'hybrid', plan: 'pro',
    fields: [['botToken', true, true], ['signingSecret', true, true]] },
  { slug: 'telegram-assistant', category: 'communication', kind: 'hybrid', plan: 'pro',
    fields: [['botToken', true, true], ['botUsername', false, true]] },
  { slug: 'whatsapp', category: 'communication', kind: 'hybrid', plan: 'business',
    fields: [['accessToken', true, true], ['phoneNumberId', false, true],
             ['businessAccountId', false, true], ['appSecret', true, true],
             ['verifyToken', true, true]] },
  { slug: 'google-workspace', category: 'productivity', kind: 'api', plan: 'pro',
    fields: [['clientId', false, true], ['clientSecret', true, true], ['oauthBaseUrl', false, false]] },
  { slug: 'timely', category: 'productivity', kind: 'api', plan: 'pro',
    fields: [['clientId', false, true], ['clientSecret', true, true]] },
  { slug: 'toggl', category: 'productivity', kind: 'api', plan: 'starter',
    fields: [['apiToken', true, true], ['workspaceId', false, true]] },
  { slug: 'clockify', category: 'productivity', kind: 'api', plan: 'starter',
    fields: [['apiKey', true, true], ['workspaceId', false, true]] },
  { slug: 'mite', category: 'productivity', kind: 'api', plan: 'starter',
    fields: [['apiKey', true, true], ['subdomain', false, true]] },
  { slug: 'trakro', category: 'productivity', kind: 'api', plan: 'starter',
    fields: [['apiKey', true, true]] },
];

const PAYMENT_FIELDS = ['autoPost', 'direction', 'expenseAccount', 'revenueAccount',
                        'clearingAccount', 'defaultSupplierId', 'vatRate'];

// What the destinations whose access tokens are short-lived take besides (issue 16): a
// refresh token and its OAuth client, all optional (a static accessToken still works).
const OAUTH_REFRESH = [['refreshToken', true, false], ['clientId', false, false],
                       ['clientSecret', true, false]];

// Seed 001: the 20 destination types with their categories and fields; a webhook URL is a
// credential, so it counts as a secret.
const SEED_001 = [
  { slug: 'slack', category: 'communication', fields: [['webhookUrl', true, true]] },
  { slug: 'discord', category: 'communication', fields: [['webhookUrl', true, true]] },
  { slug: 'email', category: 'communication',
    fields: [['apiKey', true, true], ['from', false, true], ['to', false, true]] },
  { slug: 'telegram', category: 'communication',
    fields: [['botToken', true, true], ['chatId', false, true]] },
  { slug: 'teams', category: 'communication', fields: [['webhookUrl', true, true]] },
  { slug: 'segment', category: 'analytics', fields: [['writeKey', true, true]] },
  { slug: 'mixpanel', category: 'analytics', fields: [['projectToken', true, true]] },
  { slug: 'amplitude', category: 'analytics', fields: [['apiKey', true, true]] },
  { slug: 'ga4', category: 'analytics',
    fields: [['measurementId', false, true], ['apiSecret', true, true]] },
  { slug: 'zapier', category: 'automation', fields: [['webhookUrl', true, true]] },
  { slug: 'n8n', category: 'automation', fields: [['webhookUrl', true, true]] },
  { slug: 'make', category: 'automation', fields: [['webhookUrl', true, true]] },
  { slug: 'pagerduty', category: 'monitoring', fields: [['routingKey', true, true]] },
  { slug: 'datadog', category: 'monitoring',
    fields: [['apiKey', true, true], ['site', false, false]] },
  { slug: 'opsgenie', category: 'monitoring', fields: [['apiKey', true, true]] },
  { slug: 'bigquery', category: 'data',
    fields: [['projectId', false, true], ['datasetId', false, true], ['tableId', false, true],
             ['serviceAccountKey', true, false], ['accessToken', true, false],
             ['oauthBaseUrl', false, false]] },
  { slug: 'hubspot', category: 'crm', fields: [['accessToken', true, true]] },
  { slug: 'salesforce', category: 'crm',
    fields: [['instanceUrl', false, true], ['accessToken', true, false], ...OAUTH_REFRESH] },
  { slug: 'quickbooks', category: 'accounting',
    fields: [['accessToken', true, false], ['realmId', false, true], ...OAUTH_REFRESH,
             ['oauthBaseUrl', false, false]] },
  { slug: 'xero', category: 'accounting',
    fields: [['accessToken', true, false], ['tenantId', false, true], ...OAUTH_REFRESH,
             ['oauthBaseUrl', false, false]] },
];

const PLANS = ['starter', 'pro', 'business', 'enterprise'];
const EVENT_TYPES = ['payment.verified', 'payment.settled', 'payment.failed',
                     'customer.first_payment', 'customer.milestone', 'endpoint.created',
                     'endpoint.pricing_changed', 'revenue.daily_summary'];

// "••••" and the last four characters for a secret of 12 characters or more, else "••••".
const BULLETS = '\u2022\u2022\u2022\u2022';
function masked(value) {
  return value.length >= 12 ? BULLETS + value.slice(-4) : BULLETS;
}

function planRank(plan) {
  const i = PLANS.indexOf(plan);
  assert.ok(i >= 0, `unknown plan ${plan}`);
  return i;
}

// ---- secrets that can be found again ----------------------------------------------------

const issued = new Set();

// A new secret: prefix, then 24 random hex characters. Remembered for the leak checks.
function secret(prefix = 'sec_') {
  const value = prefix + crypto.randomBytes(12).toString('hex');
  issued.add(value);
  return value;
}

// A webhook URL that is a credential (Slack's carry the secret in the path).
function secretUrl(host = 'hooks.example.com') {
  const value = `https://${host}/services/${secret('T')}`;
  issued.add(value);
  return value;
}

// Remembers something else that must not leak (a webhook token the server minted).
function remember(value) {
  issued.add(value);
}

function secrets() {
  return [...issued];
}

// Fails when any remembered secret occurs in text (a string or a Buffer).
function assertNoSecrets(text, what) {
  const hay = Buffer.isBuffer(text) ? text : Buffer.from(String(text), 'utf8');
  assert.ok(issued.size > 0, 'no secrets were issued, so the check would prove nothing');
  for (const s of issued)
    assert.ok(!hay.includes(Buffer.from(s, 'utf8')), `${what} contains the secret ${s}`);
}

// ---- valid configs ----------------------------------------------------------------------

function hex(n) {
  return crypto.randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
}

// A config that passes the schema of `slug`, with fresh secrets.
function validConfig(slug) {
  switch (slug) {
  case 'stripe': return { webhookSecret: secret('whsec_') };
  case 'paypal': return { webhookId: 'WH-' + hex(12) };
  case 'klarna': return { apiKey: 'K' + hex(8), apiSecret: secret('kl_') };
  case 'sumup': return { apiKey: secret('sup_'), merchantCode: 'MH4H92C7' };
  case 'mollie': return { apiKey: secret('test_') };
  case 'revolut': return { webhookSecret: secret('wsk_') };
  case 'adyen': return { apiKey: secret('AQE'), hmacKey: secret('') };
  case 'gocardless':
    return { webhookSecret: secret('gc_'), secretId: 'sid-' + hex(8), secretKey: secret('gck_') };
  case 'finanzonline':
    return { participantId: 'TID' + hex(6), userId: 'USR' + hex(4), pin: secret('pin'),
             taxNumber: '12-345/6789' };
  case 'datev':
    return { consultantNumber: '12345', clientNumber: '101' };
  case 'slack-assistant': return { botToken: secret('xoxb-'), signingSecret: secret('ss') };
  case 'telegram-assistant':
    return { botToken: secret('123456789:AAE'), botUsername: 'AcmeBooksBot' };
  case 'whatsapp':
    return { accessToken: secret('EAAG'), phoneNumberId: '106540352242922',
             businessAccountId: '102290129340398', appSecret: secret('app'),
             verifyToken: secret('vt') };
  case 'google-workspace':
    return { clientId: '1234-abc.apps.googleusercontent.com', clientSecret: secret('GOCSPX-') };
  case 'timely': return { clientId: 'app-' + hex(8), clientSecret: secret('tm_') };
  case 'toggl': return { apiToken: secret('tg'), workspaceId: '4567890' };
  case 'clockify': return { apiKey: secret('ck'), workspaceId: hex(24) };
  case 'mite': return { apiKey: secret('mt'), subdomain: 'acme-books' };
  case 'trakro': return { apiKey: secret('tr_') };

  case 'slack':
  case 'discord':
  case 'teams':
  case 'zapier':
  case 'n8n':
  case 'make':
    return { webhookUrl: secretUrl(`${slug}.example.com`) };
  case 'email':
    return { apiKey: secret('SG.'), from: 'billing@example.com', to: ['ops@example.com'] };
  case 'telegram': return { botToken: secret('123456:ABC'), chatId: '-1001234567890' };
  case 'segment': return { writeKey: secret('wk') };
  case 'mixpanel': return { projectToken: secret('mp') };
  case 'amplitude': return { apiKey: secret('amp') };
  case 'ga4': return { measurementId: 'G-ABC123XYZ9', apiSecret: secret('ga') };
  case 'pagerduty': return { routingKey: secret('R0') };
  case 'datadog': return { apiKey: secret('dd'), site: 'datadoghq.eu' };
  case 'opsgenie': return { apiKey: secret('og') };
  case 'bigquery':
    return { projectId: 'my-gcp-project', datasetId: 'payment_events', tableId: 'events',
             accessToken: secret('ya29.') };
  case 'hubspot': return { accessToken: secret('pat-') };
  case 'salesforce':
    return { instanceUrl: 'https://acme.my.salesforce.com', accessToken: secret('00D') };
  case 'quickbooks': return { accessToken: secret('qb'), realmId: '9130350273624976' };
  case 'xero':
    return { accessToken: secret('xr'), tenantId: crypto.randomUUID() };
  default:
    throw new Error(`no valid config for ${slug}`);
  }
}

// ---- HTTP -------------------------------------------------------------------------------

// Requests as one token; every response text is kept in `seen` for the leak checks.
class Client {
  constructor(server, token, seen) {
    this.server = server;
    this.token = token;
    this.seen = seen;
  }

  async call(method, pathname, json) {
    const res = await this.server.request(pathname, { method, token: this.token, json });
    this.seen.push(res.text);
    return res;
  }

  get(p) { return this.call('GET', p); }
  post(p, json = {}) { return this.call('POST', p, json); }
  put(p, json) { return this.call('PUT', p, json); }
  patch(p, json) { return this.call('PATCH', p, json); }
  del(p) { return this.call('DELETE', p); }
}

// Asserts an error response: status and code, one JSON shape with a message.
function assertError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  assert.equal(typeof res.json.error.message, 'string');
}

// Asserts a 422 that names `field` with `code` among its field errors; returns the errors.
function assertFieldError(res, field, code) {
  assertError(res, 422, 'validation_failed');
  const fields = res.json.error.fields;
  assert.ok(Array.isArray(fields), `no field list: ${res.text}`);
  for (const f of fields) {
    assert.equal(typeof f.field, 'string');
    assert.equal(typeof f.code, 'string');
    assert.equal(typeof f.message, 'string');
  }
  assert.ok(fields.some((f) => f.field === field && (code === undefined || f.code === code)),
            `no error ${code} on ${field}: ${res.text}`);
  return fields;
}

// The whole log of a server so far, stdout and stderr.
function serverOutput(server) {
  return server.stdout + server.stderr;
}

module.exports = {
  BULLETS,
  Client,
  EVENT_TYPES,
  PAYMENT_FIELDS,
  PLANS,
  SEED_000,
  SEED_001,
  assertError,
  assertFieldError,
  assertNoSecrets,
  masked,
  planRank,
  remember,
  secret,
  secretUrl,
  secrets,
  serverOutput,
  validConfig,
};
