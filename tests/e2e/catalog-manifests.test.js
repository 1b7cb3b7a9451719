// The catalog built from the connector manifests (connectors/*.json) answers exactly what the
// catalog answered when it was a C table: GET /api/connectors and GET /api/connectors/:slug
// for all 39 connectors, on a starter and an enterprise tenant (plan gating), compared with
// tests/fixtures/catalog/snapshot.json, which was recorded from the table-built binary.
// UPDATE_SNAPSHOT=1 writes the file instead (read the diff before committing it). And what
// each manifest file says is what the API answers for it, in the order of
// connectors/catalog.list, with the schema the server serves.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');

const SNAPSHOT = path.join(__dirname, '..', 'fixtures', 'catalog', 'snapshot.json');
const CONNECTORS = path.join(__dirname, '..', '..', 'connectors');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

async function get(token, p) {
  const res = await server.request(p, { token });
  assert.equal(res.status, 200, `${p}: ${res.text}`);
  return res.json;
}

// What a tenant on `plan` sees of the catalog: the list and every entry by itself. The
// tenant's id is in no answer (a fresh tenant has no installs, so no webhook URLs).
async function seen(plan) {
  const t = await server.createTenant(`Snapshot ${plan}`, plan);
  const list = await get(t.token, '/api/connectors');
  const entries = {};
  for (const c of list.connectors)
    entries[c.slug] = await get(t.token, `/api/connectors/${c.slug}`);
  return { list, entries };
}

test('GET /api/connectors and /api/connectors/:slug answer as the recorded catalog', async () => {
  const now = { starter: await seen('starter'), enterprise: await seen('enterprise') };
  if (process.env.UPDATE_SNAPSHOT) {
    fs.writeFileSync(SNAPSHOT, JSON.stringify(now, null, 1) + '\n');
    return;
  }
  const recorded = JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8'));
  assert.equal(Object.keys(now.enterprise.entries).length, 39);
  // The order of the list is part of the answer.
  assert.deepEqual(now.enterprise.list.connectors.map((c) => c.slug),
                   recorded.enterprise.list.connectors.map((c) => c.slug));
  for (const plan of ['starter', 'enterprise']) {
    assert.deepEqual(now[plan].list, recorded[plan].list, `${plan}: GET /api/connectors`);
    for (const slug of Object.keys(recorded[plan].entries))
      assert.deepEqual(now[plan].entries[slug], recorded[plan].entries[slug],
                       `${plan}: GET /api/connectors/${slug}`);
  }
});

test('each connector is its manifest: the API answers what connectors/SLUG.json says', async () => {
  const t = await server.createTenant('Manifests', 'enterprise');
  const list = await get(t.token, '/api/connectors');
  const order = fs.readFileSync(path.join(CONNECTORS, 'catalog.list'), 'utf8').split('\n')
    .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(list.connectors.map((c) => c.slug), order);
  const files = fs.readdirSync(CONNECTORS).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 39);
  for (const slug of order) {
    const m = JSON.parse(fs.readFileSync(path.join(CONNECTORS, `${slug}.json`), 'utf8'));
    const c = await get(t.token, `/api/connectors/${slug}`);
    assert.equal(c.name, m.name, slug);
    assert.equal(c.description, m.description, slug);
    assert.equal(c.kind, m.kind, slug);
    assert.equal(c.category, m.category, slug);
    // a destination needs a plan whose destination limit is above 0 as well (starter's is 0)
    if (m.kind !== 'destination') assert.equal(c.requiredPlan, m.minPlan, slug);
    assert.equal(c.authLabel, m.authLabel, slug);
    assert.equal(c.webhookSetup, m.webhookSetup, slug);
    assert.deepEqual(c.webhookEvents, m.webhookEvents, slug);
    // its own settings first, in order, with their flags; then the ones its caps add
    const own = c.settings.slice(0, (m.settings || []).length);
    assert.deepEqual(own.map((f) => f.key), (m.settings || []).map((f) => f.key), slug);
    for (const [i, f] of (m.settings || []).entries()) {
      assert.equal(own[i].label, f.label, `${slug}.${f.key}`);
      assert.equal(own[i].required, (f.flags || []).includes('required'), `${slug}.${f.key}`);
      assert.equal(own[i].awaitable, (f.flags || []).includes('awaitable'), `${slug}.${f.key}`);
      assert.deepEqual(own[i].default, f.default, `${slug}.${f.key}`);
      assert.deepEqual(own[i].allowed, f.allowed, `${slug}.${f.key}`);
      assert.equal(own[i].pattern, f.pattern, `${slug}.${f.key}`);
      assert.equal(own[i].help, f.help, `${slug}.${f.key}`);
    }
    const shared = c.settings.slice(own.length).map((f) => f.key);
    assert.equal(shared.includes('autoPost'), (m.caps || []).includes('payment'), slug);
    assert.equal(shared.includes('apiBaseUrl'), (m.caps || []).includes('api'), slug);
    assert.equal(shared.includes('syncIntervalMinutes'), (m.caps || []).includes('sync'), slug);
  }
});

test('the served schema is the one format: catalog entry required, handlers named', async () => {
  const res = await server.request('/api/schemas/connector-manifest.json');
  assert.equal(res.status, 200);
  for (const key of ['kind', 'category', 'minPlan', 'authLabel', 'description'])
    assert.ok(res.json.required.includes(key), key);
  assert.ok(!res.json.required.includes('api'), 'a connector that does not pull has no api block');
  assert.ok(res.json.properties.builtin.oneOf.length === 2);
  assert.equal(res.json.properties.settings.maxItems, 64);
});
