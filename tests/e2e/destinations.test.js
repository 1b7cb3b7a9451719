// Outbound destinations through the project API of seed 001 (/api/projects/:projectId/
// connectors): create, list, read, update, delete; config and eventTypes validation; the
// per-plan limits (0/5/15/unlimited), also under parallel creates; the audit trail; and
// credentials (webhook URLs included) kept out of responses, the log and the store file.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const {
  BULLETS, Client, EVENT_TYPES, SEED_001, assertError, assertFieldError, assertNoSecrets, masked,
  secretUrl, serverOutput, validConfig,
} = require('./lib/connectors');
const { storeBytes } = require('./lib/store-file');

const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let server;
const seen = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// A new tenant on `plan` with helpers bound to its project.
async function project(plan) {
  const t = await server.createTenant(`Destinations ${plan} ${Date.now()}`, plan);
  const api = new Client(server, t.token, seen);
  const base = `/api/projects/${t.tenantId}/connectors`;
  return {
    ...t,
    api,
    base,
    create: (body) => api.post(base, body),
    list: async () => {
      const res = await api.get(base);
      assert.equal(res.status, 200, res.text);
      assert.ok(Array.isArray(res.json.connectors), res.text);
      return res.json.connectors;
    },
    get: (id) => api.get(`${base}/${id}`),
    patch: (id, body) => api.patch(`${base}/${id}`, body),
    del: (id) => api.del(`${base}/${id}`),
  };
}

function slackBody(eventTypes = ['payment.settled', 'payment.failed']) {
  return { type: 'slack', config: validConfig('slack'), eventTypes };
}

describe('create, read, list', () => {
  let p;
  let created;
  let body;

  before(async () => {
    p = await project('pro');
  });

  test('POST answers 201 with id, project, type, name, masked config, eventTypes, isActive, health and timestamps', async () => {
    body = slackBody();
    const res = await p.create(body);
    assert.equal(res.status, 201, res.text);
    created = res.json;
    assert.deepEqual(Object.keys(created).sort(),
                     ['config', 'consecutiveFailures', 'createdAt', 'eventTypes', 'id', 'isActive',
                      'lastFailureAt', 'lastSuccessAt', 'name', 'pausedUntil', 'projectId', 'status',
                      'statusReason', 'type', 'updatedAt']);
    assert.equal(created.name, 'Slack', 'named after its type until named');
    assert.equal(created.status, 'active');
    assert.equal(created.consecutiveFailures, 0);
    assert.match(created.id, /^con_/);
    assert.equal(created.type, 'slack');
    assert.deepEqual(created.config, { webhookUrl: masked(body.config.webhookUrl) });
    assert.deepEqual(created.eventTypes, ['payment.settled', 'payment.failed']);
    assert.equal(created.isActive, true);
    assert.match(created.createdAt, TIME_RE);
    assert.equal(created.updatedAt, created.createdAt);
  });

  test('GET by id shows the same; the list holds it', async () => {
    const res = await p.get(created.id);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, created);
    assert.deepEqual(await p.list(), [created]);
  });

  test('several connectors of one type are allowed', async () => {
    const second = await p.create(slackBody(['*']));
    assert.equal(second.status, 201, second.text);
    assert.notEqual(second.json.id, created.id);
    const list = await p.list();
    assert.equal(list.length, 2);
    assert.deepEqual(list.map((c) => c.type), ['slack', 'slack']);
  });

  test('a connector id that does not exist: 404 on GET, PATCH and DELETE', async () => {
    const missing = 'con_' + '0'.repeat(32);
    assertError(await p.get(missing), 404, 'not_found');
    assertError(await p.patch(missing, { isActive: false }), 404, 'not_found');
    assertError(await p.del(missing), 404, 'not_found');
  });

  test('a seed-000 install is not a destination and cannot be reached by id here', async () => {
    const res = await p.api.post('/api/connectors/mollie/install', { config: validConfig('mollie') });
    assert.equal(res.status, 201, res.text);
    assertError(await p.get(res.json.id), 404, 'not_found');
    assertError(await p.del(res.json.id), 404, 'not_found');
    assert.ok(!(await p.list()).some((c) => c.id === res.json.id));
  });
});

describe('config validation answers 422 with field-level errors', () => {
  let p;

  before(async () => {
    p = await project('enterprise');
  });

  test('a bad URL', async () => {
    for (const bad of ['ftp://x', 'not a url', 'hooks.slack.com/services/T/B/x', 'https://']) {
      const res = await p.create({ type: 'slack', config: { webhookUrl: bad }, eventTypes: ['*'] });
      assertFieldError(res, 'webhookUrl', 'invalid_url');
    }
    const sf = await p.create({ type: 'salesforce', eventTypes: ['*'],
                                config: { ...validConfig('salesforce'), instanceUrl: 'acme.my.salesforce.com' } });
    assertFieldError(sf, 'instanceUrl', 'invalid_url');
  });

  test('a required field left out', async () => {
    assertFieldError(await p.create({ type: 'slack', config: {}, eventTypes: ['*'] }),
                     'webhookUrl', 'required');
    const { to, ...noTo } = validConfig('email');
    assert.ok(to);
    assertFieldError(await p.create({ type: 'email', config: noTo, eventTypes: ['*'] }), 'to', 'required');
    assertFieldError(await p.create({ type: 'email', config: { ...noTo, to: [] }, eventTypes: ['*'] }),
                     'to', 'required');
  });

  test('a value of the wrong type', async () => {
    assertFieldError(await p.create({ type: 'email', eventTypes: ['*'],
                                      config: { ...validConfig('email'), to: 'ops@example.com' } }),
                     'to', 'wrong_type');
    assertFieldError(await p.create({ type: 'telegram', eventTypes: ['*'],
                                      config: { ...validConfig('telegram'), chatId: -100123 } }),
                     'chatId', 'wrong_type');
    assertFieldError(await p.create({ type: 'slack', config: { webhookUrl: true }, eventTypes: ['*'] }),
                     'webhookUrl', 'wrong_type');
  });

  test('a field the type does not have', async () => {
    const res = await p.create({ type: 'slack', eventTypes: ['*'],
                                 config: { ...validConfig('slack'), channel: '#payments' } });
    const fields = assertFieldError(res, 'channel', 'unknown_field');
    assert.equal(fields.length, 1, res.text);
  });

  test('other formats: enum and pattern', async () => {
    assertFieldError(await p.create({ type: 'datadog', eventTypes: ['*'],
                                      config: { ...validConfig('datadog'), site: 'datadoghq.mars' } }),
                     'site', 'not_allowed');
    assertFieldError(await p.create({ type: 'email', eventTypes: ['*'],
                                      config: { ...validConfig('email'), to: ['not-an-address'] } }),
                     'to', 'pattern_mismatch');
  });

  test('the type must be one of the 20 destination types', async () => {
    for (const type of ['fax', 'stripe', 'SLACK', 42]) {
      const res = await p.create({ type, config: {}, eventTypes: ['*'] });
      assertFieldError(res, 'type');
    }
    assertFieldError(await p.create({ config: {}, eventTypes: ['*'] }), 'type', 'required');
  });

  test('the body: config must be an object, unknown keys are refused', async () => {
    assertError(await p.create({ type: 'slack', config: 'https://x.example', eventTypes: ['*'] }),
                400, 'invalid_field');
    assertError(await p.create({ type: 'slack', eventTypes: ['*'] }), 422, 'validation_failed');
    assertError(await p.create({ ...slackBody(), isActive: false, extra: 1 }), 422, 'validation_failed');
  });

  test('nothing was created by any of these', async () => {
    assert.deepEqual(await p.list(), []);
  });
});

describe('eventTypes validation', () => {
  let p;

  before(async () => {
    p = await project('enterprise');
  });

  test('an empty list, an unknown type, a non-array, a non-string, a repeat or none at all: 422 on eventTypes', async () => {
    const bad = [[], ['payment.refunded'], 'payment.settled', { '*': true }, [5], ['*', '*'],
                 ['payment.settled', 'payment.settled'], ['payment.settled', 'PAYMENT.FAILED'],
                 ['all'], null];
    for (const eventTypes of bad) {
      const res = await p.create({ type: 'slack', config: validConfig('slack'), eventTypes });
      const fields = assertFieldError(res, 'eventTypes');
      assert.equal(fields.length, 1, `${JSON.stringify(eventTypes)}: ${res.text}`);
    }
    const missing = await p.create({ type: 'slack', config: validConfig('slack') });
    assertFieldError(missing, 'eventTypes');
    assert.deepEqual(await p.list(), []);
  });

  test('a bad config and bad eventTypes are reported together', async () => {
    const res = await p.create({ type: 'slack', config: { webhookUrl: 'ftp://x' }, eventTypes: [] });
    const fields = assertFieldError(res, 'eventTypes');
    assertFieldError(res, 'webhookUrl', 'invalid_url');
    assert.equal(fields.length, 2, res.text);
  });

  test('"*" is accepted, as is every one of the eight types', async () => {
    const star = await p.create(slackBody(['*']));
    assert.equal(star.status, 201, star.text);
    assert.deepEqual(star.json.eventTypes, ['*']);
    const all = await p.create(slackBody(EVENT_TYPES));
    assert.equal(all.status, 201, all.text);
    assert.deepEqual(all.json.eventTypes, EVENT_TYPES);
    for (const type of EVENT_TYPES) {
      const one = await p.create(slackBody([type]));
      assert.equal(one.status, 201, `${type}: ${one.text}`);
      assert.deepEqual(one.json.eventTypes, [type]);
    }
  });
});

describe('PATCH changes eventTypes, isActive and config', () => {
  let p;
  let c;
  let url;

  before(async () => {
    p = await project('pro');
    const body = slackBody(['payment.settled']);
    url = body.config.webhookUrl;
    const res = await p.create(body);
    assert.equal(res.status, 201, res.text);
    c = res.json;
  });

  async function current() {
    const res = await p.get(c.id);
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  test('eventTypes and isActive', async () => {
    const res = await p.patch(c.id, { eventTypes: ['payment.failed', 'customer.milestone'],
                                      isActive: false });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.eventTypes, ['payment.failed', 'customer.milestone']);
    assert.equal(res.json.isActive, false);
    assert.equal(res.json.id, c.id);
    assert.equal(res.json.type, 'slack');
    assert.equal(res.json.createdAt, c.createdAt);
    assert.ok(res.json.updatedAt >= c.updatedAt);
    assert.deepEqual(res.json.config, c.config);
    assert.deepEqual(await current(), res.json);
    const back = await p.patch(c.id, { isActive: true });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.isActive, true);
    assert.deepEqual(back.json.eventTypes, ['payment.failed', 'customer.milestone']);
  });

  test('isActive of the wrong type: 422 on isActive, nothing changes', async () => {
    const before_ = await current();
    for (const isActive of ['false', 0, null, [true]]) {
      const res = await p.patch(c.id, { isActive });
      assertFieldError(res, 'isActive', 'wrong_type');
    }
    assert.deepEqual(await current(), before_);
  });

  test('bad eventTypes: 422 on eventTypes, nothing changes', async () => {
    const before_ = await current();
    for (const eventTypes of [[], ['payment.unknown'], 'payment.failed']) {
      const res = await p.patch(c.id, { eventTypes });
      assertFieldError(res, 'eventTypes');
    }
    assert.deepEqual(await current(), before_);
  });

  test('config without the webhook URL keeps it; a new URL replaces it', async () => {
    const kept = await p.patch(c.id, { config: {} });
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.json.config.webhookUrl, masked(url));
    const fresh = secretUrl('hooks.slack.com');
    const replaced = await p.patch(c.id, { config: { webhookUrl: fresh } });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.json.config.webhookUrl, masked(fresh));
    assert.notEqual(masked(fresh), masked(url));
    assert.equal((await current()).config.webhookUrl, masked(fresh));
    url = fresh;
  });

  test('an invalid config: 422 on the field, nothing changes', async () => {
    const before_ = await current();
    assertFieldError(await p.patch(c.id, { config: { webhookUrl: 'ftp://x' } }), 'webhookUrl', 'invalid_url');
    assertFieldError(await p.patch(c.id, { config: { token: 'x' } }), 'token', 'unknown_field');
    assertError(await p.patch(c.id, { config: [] }), 400, 'invalid_field');
    assert.deepEqual(await current(), before_);
  });

  test('keys other than config, eventTypes and isActive: 422', async () => {
    const before_ = await current();
    assertError(await p.patch(c.id, { type: 'discord' }), 422, 'validation_failed');
    assertError(await p.patch(c.id, { id: 'con_x', isActive: false }), 422, 'validation_failed');
    assert.deepEqual(await current(), before_);
  });

  test('a secret of another type stays masked and kept across a PATCH of a plain field', async () => {
    const config = validConfig('datadog');
    const res = await p.create({ type: 'datadog', config, eventTypes: ['*'] });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.config, { apiKey: masked(config.apiKey), site: 'datadoghq.eu' });
    const patched = await p.patch(res.json.id, { config: { site: 'us5.datadoghq.com' } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json.config, { apiKey: masked(config.apiKey), site: 'us5.datadoghq.com' });
  });
});

describe('DELETE', () => {
  test('answers 204 without a body; the connector is gone', async () => {
    const p = await project('pro');
    const a = (await p.create(slackBody())).json;
    const b = (await p.create(slackBody())).json;
    const res = await p.del(a.id);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assertError(await p.get(a.id), 404, 'not_found');
    assertError(await p.del(a.id), 404, 'not_found');
    assertError(await p.patch(a.id, { isActive: false }), 404, 'not_found');
    assert.deepEqual((await p.list()).map((c) => c.id), [b.id]);
  });
});

describe('limits: starter 0, pro 5, business 15, enterprise unlimited', () => {
  // Creates n destinations one after another; all must succeed.
  async function fill(p, n) {
    const ids = [];
    for (let i = 0; i < n; i++) {
      const res = await p.create(slackBody());
      assert.equal(res.status, 201, `create #${i + 1}: ${res.text}`);
      ids.push(res.json.id);
    }
    return ids;
  }

  function assertLimit(res, limit, plan) {
    assertError(res, 403, 'limit_reached');
    if (limit !== undefined) {
      assert.equal(res.json.error.limit, limit, res.text);
      assert.equal(res.json.error.plan, plan, res.text);
    }
  }

  test('starter: the first destination is refused with limit_reached', async () => {
    const p = await project('starter');
    assertLimit(await p.create(slackBody()), 0, 'starter');
    assertLimit(await p.create({ type: 'bigquery', config: validConfig('bigquery'), eventTypes: ['*'] }),
                0, 'starter');
    assert.deepEqual(await p.list(), []);
    // Seed-000 connectors are not destinations and are not limited by this.
    const stripe = await p.api.post('/api/connectors/stripe/install', { config: validConfig('stripe') });
    assert.equal(stripe.status, 201, stripe.text);
  });

  test('pro: five succeed, the sixth is refused; deleting one makes room for one', async () => {
    const p = await project('pro');
    assert.equal((await p.api.post('/api/connectors/toggl/install',
                                   { config: validConfig('toggl') })).status, 201);
    const ids = await fill(p, 5);
    assertLimit(await p.create(slackBody()), 5, 'pro');
    assertLimit(await p.create({ type: 'discord', config: validConfig('discord'), eventTypes: ['*'] }),
                5, 'pro');
    assert.equal((await p.list()).length, 5);
    assert.equal((await p.del(ids[2])).status, 204);
    assert.equal((await p.create(slackBody())).status, 201);
    assertLimit(await p.create(slackBody()), 5, 'pro');
    assert.equal((await p.list()).length, 5);
  });

  test('business: fifteen succeed, the sixteenth is refused', async () => {
    const p = await project('business');
    await fill(p, 15);
    assertLimit(await p.create(slackBody()), 15, 'business');
    assert.equal((await p.list()).length, 15);
  });

  test('enterprise: unlimited; one of each of the 20 types, and more', async () => {
    const p = await project('enterprise');
    for (const e of SEED_001) {
      const config = validConfig(e.slug);
      const res = await p.create({ type: e.slug, config, eventTypes: ['*'] });
      assert.equal(res.status, 201, `${e.slug}: ${res.text}`);
      assert.equal(res.json.type, e.slug);
      for (const [key, isSecret] of e.fields) {
        if (!(key in config)) continue;
        const want = isSecret ? masked(config[key]) : config[key];
        assert.deepEqual(res.json.config[key], want, `${e.slug}.${key}`);
      }
    }
    await fill(p, 5);
    assert.equal((await p.list()).length, 25);
  });

  test('twenty parallel creates on a pro tenant: exactly five succeed', async () => {
    const p = await project('pro');
    const results = await Promise.all(Array.from({ length: 20 }, () => p.create(slackBody())));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 403);
    assert.equal(created.length, 5, results.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.equal(refused.length, 15);
    for (const r of refused) assertLimit(r, 5, 'pro');
    const list = await p.list();
    assert.deepEqual(list.map((c) => c.id).sort(), created.map((r) => r.json.id).sort());
  });

  test('twenty parallel creates on a business tenant holding ten: exactly five succeed', async () => {
    const p = await project('business');
    await fill(p, 10);
    const results = await Promise.all(Array.from({ length: 20 }, () => p.create(slackBody())));
    assert.equal(results.filter((r) => r.status === 201).length, 5,
                 results.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.equal(results.filter((r) => r.status === 403).length, 15);
    assert.equal((await p.list()).length, 15);
  });
});

describe('the audit log', () => {
  test('create, update and delete are recorded newest first with the changed keys', async () => {
    const p = await project('pro');
    const c = (await p.create(slackBody(['payment.settled']))).json;
    assert.equal((await p.patch(c.id, { eventTypes: ['*'], isActive: false })).status, 200);
    assert.equal((await p.patch(c.id, { config: { webhookUrl: secretUrl() } })).status, 200);
    assert.equal((await p.del(c.id)).status, 204);

    const res = await p.api.get('/api/audit-log?limit=10');
    assert.equal(res.status, 200, res.text);
    const entries = res.json.entries;
    assert.deepEqual(entries.map((e) => e.action),
                     ['destination.delete', 'destination.update', 'destination.update',
                      'destination.create']);
    for (const e of entries) {
      assert.equal(e.target, c.id);
      assert.match(e.tokenId, /^tok_/);
      assert.match(e.createdAt, TIME_RE);
    }
    assert.deepEqual(entries[0].fields, []);
    assert.deepEqual(entries[1].fields, ['webhookUrl']);
    assert.deepEqual([...entries[2].fields].sort(), ['eventTypes', 'isActive']);
    assert.deepEqual(entries[3].fields, ['webhookUrl']);
    assertNoSecrets(res.text, 'the audit log');
  });

  test('refused creates and updates write no record', async () => {
    const p = await project('starter');
    assertError(await p.create(slackBody()), 403, 'limit_reached');
    assertError(await p.create({ type: 'slack', config: {}, eventTypes: [] }), 422, 'validation_failed');
    const res = await p.api.get('/api/audit-log');
    assert.deepEqual(res.json.entries, []);
  });
});

describe('credentials never leave the server', () => {
  test('webhook URLs and secrets are stored sealed: the store file holds none in plain text', async () => {
    const p = await project('pro');
    const body = { type: 'bigquery', config: validConfig('bigquery'), eventTypes: ['revenue.daily_summary'] };
    body.config.tableId = `events_${Date.now()}`;
    const res = await p.create(body);
    assert.equal(res.status, 201, res.text);
    const bytes = storeBytes(server);
    assert.ok(bytes.includes(Buffer.from(body.config.tableId)), 'the row is not in the store bytes');
    assert.ok(bytes.includes(Buffer.from(res.json.id)));
    assert.ok(!bytes.includes(Buffer.from(body.config.accessToken)));
    assertNoSecrets(bytes, 'the store file');
  });

  test('the masked form shows at most the last four characters', async () => {
    const p = await project('pro');
    const shortKey = 'k'.repeat(11);
    const res = await p.create({ type: 'opsgenie', config: { apiKey: shortKey }, eventTypes: ['*'] });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.config.apiKey, BULLETS);
  });

  test('no response of this file and no log line holds a secret that was sent', () => {
    assert.ok(seen.length > 100);
    for (const text of seen) assertNoSecrets(text, 'a response body');
    assertNoSecrets(serverOutput(server), 'the server log');
  });
});
