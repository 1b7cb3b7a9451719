// The catalog built from the connector manifests (connectors/*.json) answers exactly what the
// catalog answered when it was a C table: GET /api/connectors and GET /api/connectors/:slug
// for all 39 connectors, on a starter and an enterprise tenant (plan gating), compared with
// tests/fixtures/catalog/snapshot.json, which was recorded from the table-built binary.
// UPDATE_SNAPSHOT=1 writes the file instead (read the diff before committing it).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');

const SNAPSHOT = path.join(__dirname, '..', 'fixtures', 'catalog', 'snapshot.json');

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
