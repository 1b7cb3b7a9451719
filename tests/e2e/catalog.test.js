// The connector catalog over HTTP: all 39 entries as the seeds list them, their settings
// schemas, and plan gating both ways (what each plan may install, and the 403 that names
// the plan needed for the rest).
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const {
  Client, EVENT_TYPES, PAYMENT_FIELDS, PLANS, SEED_000, SEED_001, assertError, assertNoSecrets,
  planRank, serverOutput, validConfig,
} = require('./lib/connectors');

const SETTING_TYPES = ['string', 'secret', 'url', 'bool', 'int', 'enum', 'string[]'];
const ALL_SLUGS = [...SEED_000.map((e) => e.slug), ...SEED_001.map((e) => e.slug)];

let server;
const seen = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// An admin client of a new tenant on `plan`.
async function tenantOn(plan) {
  const t = await server.createTenant(`Catalog ${plan} ${Date.now()}`, plan);
  return { ...t, api: new Client(server, t.token, seen) };
}

async function listBySlug(api) {
  const res = await api.get('/api/connectors');
  assert.equal(res.status, 200, res.text);
  return new Map(res.json.connectors.map((c) => [c.slug, c]));
}

describe('GET /api/connectors lists the whole catalog', () => {
  let list;
  let tenant;

  before(async () => {
    tenant = await tenantOn('enterprise');
    const res = await tenant.api.get('/api/connectors');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/json');
    list = res.json;
  });

  test('exactly the 19 connectors of seed 000 and the 20 destinations of seed 001, each once', () => {
    assert.equal(SEED_000.length, 19);
    assert.equal(SEED_001.length, 20);
    const slugs = list.connectors.map((c) => c.slug);
    assert.equal(slugs.length, 39);
    assert.equal(new Set(slugs).size, 39, `a slug is listed twice: ${slugs}`);
    assert.deepEqual([...slugs].sort(), [...ALL_SLUGS].sort());
  });

  test('the body names the tenant\'s plan', () => {
    assert.equal(list.plan, 'enterprise');
  });

  test('every entry has its name, description, kind, category, auth label and plan', () => {
    for (const c of list.connectors) {
      for (const key of ['name', 'description', 'authLabel'])
        assert.ok(typeof c[key] === 'string' && c[key].length > 0, `${c.slug}.${key}: ${c[key]}`);
      assert.ok(PLANS.includes(c.requiredPlan), `${c.slug}: ${c.requiredPlan}`);
      assert.equal(typeof c.planAllows, 'boolean');
      assert.equal(typeof c.installed, 'boolean');
      assert.ok(['installed', 'awaiting_secret', 'available', 'locked'].includes(c.status),
                `${c.slug}: ${c.status}`);
    }
  });

  test('seed 000: kind, category and plan as its tables say', () => {
    const bySlug = new Map(list.connectors.map((c) => [c.slug, c]));
    for (const e of SEED_000) {
      const c = bySlug.get(e.slug);
      assert.equal(c.kind, e.kind, `${e.slug} kind`);
      assert.equal(c.category, e.category, `${e.slug} category`);
      assert.equal(c.requiredPlan, e.plan, `${e.slug} plan`);
      assert.equal(c.installedCount, undefined, `${e.slug} is not a destination`);
    }
  });

  test('seed 001: every destination has kind destination, its category and a count', () => {
    const bySlug = new Map(list.connectors.map((c) => [c.slug, c]));
    for (const e of SEED_001) {
      const c = bySlug.get(e.slug);
      assert.equal(c.kind, 'destination', `${e.slug} kind`);
      assert.equal(c.category, e.category, `${e.slug} category`);
      assert.equal(c.installedCount, 0, `${e.slug} installedCount`);
    }
  });

  test('a fresh tenant has nothing installed', () => {
    for (const c of list.connectors) {
      assert.equal(c.installed, false, c.slug);
      assert.notEqual(c.status, 'installed', c.slug);
    }
  });
});

describe('GET /api/connectors/:slug shows an entry with its settings schema', () => {
  let api;

  before(async () => {
    ({ api } = await tenantOn('enterprise'));
  });

  async function detail(slug) {
    const res = await api.get(`/api/connectors/${slug}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.slug, slug);
    assert.ok(Array.isArray(res.json.settings), `${slug}: no settings array`);
    return res.json;
  }

  // The schema as {key: field}, after checking every field's shape.
  function schemaOf(d) {
    const byKey = new Map();
    for (const f of d.settings) {
      assert.equal(typeof f.key, 'string');
      assert.ok(typeof f.label === 'string' && f.label.length > 0, `${d.slug}.${f.key} label`);
      assert.ok(SETTING_TYPES.includes(f.type), `${d.slug}.${f.key} type ${f.type}`);
      assert.equal(typeof f.required, 'boolean');
      assert.equal(typeof f.secret, 'boolean');
      assert.ok(!byKey.has(f.key), `${d.slug}: ${f.key} twice`);
      byKey.set(f.key, f);
    }
    return byKey;
  }

  // The connector's own fields are exactly the seed's, with its secrets and required ones;
  // beyond them only the shared payment fields and the optional apiBaseUrl may appear.
  const SYNC_SLUGS = ['timely', 'toggl', 'clockify', 'mite', 'trakro'];
  function assertFields(d, fields, extra) {
    const schema = schemaOf(d);
    for (const [key, isSecret, required] of fields) {
      const f = schema.get(key);
      assert.ok(f, `${d.slug}: no setting ${key}`);
      assert.equal(f.secret, isSecret, `${d.slug}.${key} secret`);
      assert.equal(f.required, required, `${d.slug}.${key} required`);
      if (isSecret) assert.ok(['secret', 'url'].includes(f.type), `${d.slug}.${key} ${f.type}`);
      assert.ok(!('default' in f) || !isSecret, `${d.slug}.${key}: a secret with a default`);
    }
    const own = new Set(fields.map(([k]) => k));
    for (const key of schema.keys()) {
      if (own.has(key) || extra.includes(key)) continue;
      // the pulling connectors' schedule (issue 16)
      if (key === 'syncIntervalMinutes' && SYNC_SLUGS.includes(d.slug)) continue;
      assert.equal(key, 'apiBaseUrl', `${d.slug}: unexpected setting ${key}`);
      const f = schema.get(key);
      assert.equal(f.type, 'url');
      assert.equal(f.required, false);
    }
    return schema;
  }

  test('each seed-000 connector has the seed\'s fields; payment ones add the booking fields', async () => {
    for (const e of SEED_000) {
      const d = await detail(e.slug);
      const payment = e.category === 'payments';
      const schema = assertFields(d, e.fields, payment ? PAYMENT_FIELDS : []);
      for (const key of PAYMENT_FIELDS)
        assert.equal(schema.has(key), payment, `${e.slug}.${key}`);
      if (!payment) continue;
      const autoPost = schema.get('autoPost');
      assert.equal(autoPost.type, 'bool');
      assert.equal(autoPost.default, false);
      const direction = schema.get('direction');
      assert.equal(direction.type, 'enum');
      assert.deepEqual(direction.allowed, ['expense', 'revenue']);
      assert.equal(direction.default, 'expense');
      for (const key of PAYMENT_FIELDS) assert.equal(schema.get(key).required, false, key);
    }
  });

  test('each destination has exactly the seed\'s fields; webhook URLs are secrets', async () => {
    for (const e of SEED_001) {
      const d = await detail(e.slug);
      assert.equal(d.kind, 'destination');
      const schema = assertFields(d, e.fields, []);
      if (schema.has('webhookUrl')) assert.equal(schema.get('webhookUrl').type, 'url');
    }
    const email = schemaOf(await detail('email'));
    assert.equal(email.get('to').type, 'string[]');
  });

  test('enums list their allowed values', async () => {
    const stripe = schemaOf(await detail('stripe'));
    assert.equal(stripe.get('direction').type, 'enum');
    assert.deepEqual(stripe.get('direction').allowed, ['expense', 'revenue']);
    assert.equal(stripe.get('direction').expected, 'one of: expense, revenue');
    const datev = schemaOf(await detail('datev'));
    assert.equal(datev.get('accountLength').type, 'int');
    assert.equal(datev.get('accountLength').expected, 'a whole number from 4 to 8');
    assert.equal(datev.get('consultantNumber').expected, '4 to 7 digits');
    const datadog = schemaOf(await detail('datadog'));
    assert.equal(datadog.get('site').type, 'enum');
    assert.ok(datadog.get('site').allowed.includes('datadoghq.eu'));
  });

  test('an entry that is not installed has no id, config or webhook URL', async () => {
    const d = await detail('stripe');
    assert.equal(d.status, 'available');
    assert.equal(d.installed, false);
    for (const key of ['id', 'config', 'webhookUrl', 'installedAt'])
      assert.equal(d[key], undefined, key);
  });

  test('a slug that is not in the catalog: 404', async () => {
    for (const slug of ['nope', 'STRIPE', 'stripe2', 'payment.settled']) {
      const res = await api.get(`/api/connectors/${slug}`);
      assertError(res, 404, 'not_found');
    }
    assertError(await api.post('/api/connectors/nope/install', { config: {} }), 404, 'not_found');
  });
});

describe('plan gating', () => {
  // Installs all 19 seed-000 connectors as `plan` and checks each answer against the seed's
  // plans table; then the list must show exactly the allowed ones installed.
  async function installEverything(plan) {
    const { api } = await tenantOn(plan);
    const before_ = await listBySlug(api);
    for (const e of SEED_000) {
      const allowed = planRank(plan) >= planRank(e.plan);
      assert.equal(before_.get(e.slug).planAllows, allowed, `${plan}/${e.slug} planAllows`);
      assert.equal(before_.get(e.slug).status, allowed ? 'available' : 'locked',
                   `${plan}/${e.slug} status`);
      const res = await api.post(`/api/connectors/${e.slug}/install`,
                                 { config: validConfig(e.slug) });
      if (allowed) {
        assert.equal(res.status, 201, `${plan} installing ${e.slug}: ${res.text}`);
        assert.equal(res.json.slug, e.slug);
        assert.equal(res.json.status, 'installed');
      } else {
        assertError(res, 403, 'plan_required');
        assert.equal(res.json.error.requiredPlan, e.plan, `${plan}/${e.slug}: ${res.text}`);
      }
    }
    const after_ = await listBySlug(api);
    for (const e of SEED_000) {
      const allowed = planRank(plan) >= planRank(e.plan);
      const c = after_.get(e.slug);
      assert.equal(c.installed, allowed, `${plan}/${e.slug} installed`);
      assert.equal(c.status, allowed ? 'installed' : 'locked', `${plan}/${e.slug} status`);
    }
    for (const e of SEED_001) {
      const c = after_.get(e.slug);
      assert.equal(c.planAllows, plan !== 'starter', `${plan}/${e.slug}: destinations need room`);
      assert.equal(c.status, plan === 'starter' ? 'locked' : 'available', `${plan}/${e.slug}`);
    }
    return api;
  }

  test('starter: installs the starter connectors; adyen, whatsapp and the other pro ones are refused', async () => {
    const api = await installEverything('starter');
    const adyen = await api.post('/api/connectors/adyen/install', { config: validConfig('adyen') });
    assertError(adyen, 403, 'plan_required');
    assert.equal(adyen.json.error.requiredPlan, 'pro');
    const whatsapp = await api.get('/api/connectors/whatsapp');
    assert.equal(whatsapp.json.status, 'locked');
    assert.equal(whatsapp.json.requiredPlan, 'business');
    assert.equal(whatsapp.json.installed, false);
  });

  test('pro: adyen and the pro connectors install; whatsapp needs business', async () => {
    const api = await installEverything('pro');
    const res = await api.get('/api/connectors/adyen');
    assert.equal(res.json.installed, true);
    const whatsapp = await api.post('/api/connectors/whatsapp/install',
                                    { config: validConfig('whatsapp') });
    assertError(whatsapp, 403, 'plan_required');
    assert.equal(whatsapp.json.error.requiredPlan, 'business');
  });

  test('business: whatsapp installs too', async () => {
    const api = await installEverything('business');
    const res = await api.get('/api/connectors/whatsapp');
    assert.equal(res.json.status, 'installed');
  });

  test('enterprise: every connector installs', async () => {
    await installEverything('enterprise');
  });

  test('a refused install stores nothing and writes no audit record', async () => {
    const { api } = await tenantOn('starter');
    assertError(await api.post('/api/connectors/gocardless/install',
                               { config: validConfig('gocardless') }), 403, 'plan_required');
    const d = await api.get('/api/connectors/gocardless');
    assert.equal(d.json.installed, false);
    assert.equal(d.json.status, 'locked');
    const audit = await api.get('/api/audit-log');
    assert.equal(audit.status, 200, audit.text);
    assert.deepEqual(audit.json.entries, []);
  });

  test('destinations are not installed by slug: 400 use_projects_api on install, uninstall and config', async () => {
    const { api } = await tenantOn('enterprise');
    for (const e of SEED_001) {
      const config = validConfig(e.slug);
      assertError(await api.post(`/api/connectors/${e.slug}/install`, { config }),
                  400, 'use_projects_api');
      assertError(await api.post(`/api/connectors/${e.slug}/uninstall`, {}), 400, 'use_projects_api');
      assertError(await api.put(`/api/connectors/${e.slug}/config`, { config }),
                  400, 'use_projects_api');
    }
    const list = await listBySlug(api);
    for (const e of SEED_001) assert.equal(list.get(e.slug).installedCount, 0, e.slug);
  });
});

describe('install status in the list', () => {
  test('an install turns its entry installed; destinations show how many exist', async () => {
    const t = await tenantOn('pro');
    const res = await t.api.post('/api/connectors/mollie/install', { config: validConfig('mollie') });
    assert.equal(res.status, 201, res.text);
    for (let i = 0; i < 2; i++) {
      const d = await t.api.post(`/api/projects/${t.tenantId}/connectors`,
                                 { type: 'slack', config: validConfig('slack'),
                                   eventTypes: [EVENT_TYPES[i]] });
      assert.equal(d.status, 201, d.text);
    }
    const list = await listBySlug(t.api);
    assert.equal(list.get('mollie').status, 'installed');
    assert.equal(list.get('mollie').installed, true);
    assert.equal(list.get('slack').status, 'installed');
    assert.equal(list.get('slack').installedCount, 2);
    assert.equal(list.get('discord').installedCount, 0);
    assert.equal(list.get('discord').status, 'available');
    assert.equal(list.get('stripe').status, 'available');
    const slack = await t.api.get('/api/connectors/slack');
    assert.equal(slack.json.installedCount, 2);
  });
});

test('no secret sent in this file came back in a response or reached the log', () => {
  for (const text of seen) assertNoSecrets(text, 'a response body');
  assertNoSecrets(serverOutput(server), 'the server log');
});

// requiredPlan is the lowest plan whose planAllows is true, so the catalog never says
// "starter" for an entry a Starter tenant finds locked (the destinations: Starter has no
// destination slots). Every entry on every plan, in the list and in the detail.
describe('requiredPlan, planAllows and status agree for all 39 entries on all 4 plans', () => {
  const lists = {};

  before(async () => {
    for (const plan of PLANS) {
      const t = await tenantOn(plan);
      lists[plan] = { api: t.api, bySlug: await listBySlug(t.api) };
    }
  });

  test('planAllows is true exactly from requiredPlan up; status is locked exactly when not', () => {
    for (const slug of ALL_SLUGS) {
      const required = lists.starter.bySlug.get(slug).requiredPlan;
      for (const plan of PLANS) {
        const c = lists[plan].bySlug.get(slug);
        assert.equal(c.requiredPlan, required, `${plan}/${slug}: requiredPlan depends on nothing`);
        const allowed = planRank(plan) >= planRank(required);
        assert.equal(c.planAllows, allowed, `${plan}/${slug}: requiredPlan ${required}`);
        assert.equal(c.status, allowed ? 'available' : 'locked', `${plan}/${slug}`);
      }
      // the lowest such plan: the one below it does not allow it
      if (required !== 'starter') {
        const below = PLANS[planRank(required) - 1];
        assert.equal(lists[below].bySlug.get(slug).planAllows, false, `${below}/${slug}`);
      }
    }
  });

  test('destinations need Pro (Starter has no destination slots); seed 000 keeps its plans', () => {
    for (const e of SEED_001)
      assert.equal(lists.starter.bySlug.get(e.slug).requiredPlan, 'pro', e.slug);
    for (const e of SEED_000)
      assert.equal(lists.starter.bySlug.get(e.slug).requiredPlan, e.plan, e.slug);
  });

  test('each entry\'s detail says the same as the list', async () => {
    for (const plan of PLANS) {
      for (const slug of ALL_SLUGS) {
        const d = await lists[plan].api.get(`/api/connectors/${slug}`);
        assert.equal(d.status, 200, d.text);
        const c = lists[plan].bySlug.get(slug);
        for (const key of ['requiredPlan', 'planAllows', 'status'])
          assert.equal(d.json[key], c[key], `${plan}/${slug}.${key}`);
      }
    }
  });

  test('a Starter tenant creating a Slack destination is refused, as its status says', async () => {
    const t = await tenantOn('starter');
    const res = await t.api.post(`/api/projects/${t.tenantId}/connectors`,
                                 { type: 'slack', config: validConfig('slack'), eventTypes: ['*'] });
    assert.equal(res.status, 403, res.text);
    const pro = await tenantOn('pro');
    const ok = await pro.api.post(`/api/projects/${pro.tenantId}/connectors`,
                                  { type: 'slack', config: validConfig('slack'), eventTypes: ['*'] });
    assert.equal(ok.status, 201, ok.text);
  });
});

// apiAccess is seed 000's "API access (MCP)" of the Business plan: MCP and integration tokens,
// Business and above. The admin REST API itself works on every plan.
describe('apiAccess and the admin REST API on every plan', () => {
  test('apiAccess from Business up; the admin API answers an admin of every plan', async () => {
    for (const plan of PLANS) {
      const t = await tenantOn(plan);
      const tenant = await t.api.get('/api/tenant');
      assert.equal(tenant.status, 200, tenant.text);
      assert.equal(tenant.json.limits.apiAccess, planRank(plan) >= planRank('business'), plan);
      assert.equal((await t.api.get('/api/connectors')).status, 200, plan);
      const install = await t.api.post('/api/connectors/stripe/install',
                                       { config: validConfig('stripe') });
      assert.equal(install.status, 201, `${plan}: ${install.text}`);
      assert.equal((await t.api.get('/api/settings')).status, 200, plan);
    }
  });
});
