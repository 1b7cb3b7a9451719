// API tokens for integrations (/api/tokens): named, shown once, listed without their text,
// with an expiry, revoked at once, scoped read-only, their last use kept; making one needs
// the Business plan (API access).
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer, sleep } = require('./lib/server');
const { sql } = require('./lib/store-file');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function assertError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
}

async function make(t, body) {
  return server.request('/api/tokens', { method: 'POST', token: t.token, json: body });
}

test('below Business, making an integration token is 403 plan_required; listing works', async () => {
  const t = await server.createTenant('Pro Tokens', 'pro');
  const res = await make(t, { name: 'ci' });
  assertError(res, 403, 'plan_required');
  assert.equal(res.json.error.requiredPlan, 'business');
  const list = await server.request('/api/tokens', { token: t.token });
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.tokens.length, 1);
  assert.equal(list.json.tokens[0].current, true);
});

test('a named token is shown once, listed without its text, and works', async () => {
  const t = await server.createTenant('Biz Tokens', 'business');
  const res = await make(t, { name: 'accounting export', role: 'member' });
  assert.equal(res.status, 201, res.text);
  assert.match(res.json.token, /^cdk_[A-Za-z0-9_-]{43}$/);
  assert.equal(res.json.name, 'accounting export');
  assert.equal(res.json.role, 'member');
  assert.equal(res.json.readOnly, false);
  assert.equal(res.json.expiresAt, null);
  assert.equal(res.json.lastUsedAt, null);
  assert.equal(res.json.status, 'active');
  const tok = res.json.token;

  const list = await server.request('/api/tokens', { token: t.token });
  assert.equal(list.status, 200, list.text);
  assert.ok(!list.text.includes(tok), 'the token text is never listed');
  assert.ok(!/"token"/.test(list.text));
  const row = list.json.tokens.find((x) => x.id === res.json.id);
  assert.equal(row.name, 'accounting export');
  assert.equal(row.lastUsedAt, null);

  const me = await server.request('/api/tenant', { token: tok });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.role, 'member');
  const after1 = await server.request('/api/tokens', { token: t.token });
  const used = after1.json.tokens.find((x) => x.id === res.json.id);
  assert.ok(used.lastUsedAt, 'the last use is kept');
  assert.ok(Date.now() - Date.parse(used.lastUsedAt) < 60000);
});

test('invalid requests say what is wrong', async () => {
  const t = await server.createTenant('Biz Invalid', 'business');
  assertError(await make(t, {}), 422, 'validation_failed');
  assertError(await make(t, { name: '' }), 422, 'validation_failed');
  assertError(await make(t, { name: 'x', role: 'owner' }), 422, 'validation_failed');
  assertError(await make(t, { name: 'x', expiresAt: '2001-01-01T00:00:00Z' }), 422, 'validation_failed');
  assertError(await make(t, { name: 'x', expiresAt: 'tomorrow' }), 422, 'validation_failed');
  assertError(await make(t, { name: 'x', readOnly: 'yes' }), 400, 'invalid_field');
  assertError(await make(t, { name: 'x', scope: 'all' }), 422, 'validation_failed');
  const member = await server.createToken(t.tenantId, 'member');
  assertError(await server.request('/api/tokens', { token: member }), 403, 'forbidden');
});

test('a revoked token stops working at once and stays listed', async () => {
  const t = await server.createTenant('Biz Revoke', 'business');
  const made = (await make(t, { name: 'to revoke', role: 'admin' })).json;
  assert.equal((await server.request('/api/tenant', { token: made.token })).status, 200);
  const res = await server.request(`/api/tokens/${made.id}`, { method: 'DELETE', token: t.token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'revoked');
  assert.ok(res.json.revokedAt);
  const denied = await server.request('/api/tenant', { token: made.token });
  assert.equal(denied.status, 401, denied.text);
  assert.match(denied.json.error.message, /revoked/);
  const again = await server.request(`/api/tokens/${made.id}`, { method: 'DELETE', token: t.token });
  assert.equal(again.status, 200);
  assert.equal(again.json.revokedAt, res.json.revokedAt);
  const list = await server.request('/api/tokens', { token: t.token });
  assert.equal(list.json.tokens.find((x) => x.id === made.id).status, 'revoked');
  // both changes are in the audit log, by the token that made them, once each
  const audit = await server.request('/api/audit-log', { token: t.token });
  const mine = audit.json.entries.filter((e) => e.target === made.id).map((e) => e.action);
  assert.deepEqual(mine, ['token.revoke', 'token.create']);
  // another tenant's token is not found
  const other = await server.createTenant('Biz Other', 'business');
  const theirs = (await make(other, { name: 'theirs' })).json;
  assertError(await server.request(`/api/tokens/${theirs.id}`, { method: 'DELETE', token: t.token }), 404, 'not_found');
  assert.equal((await server.request('/api/tenant', { token: theirs.token })).status, 200);
});

test('an expired token is refused', async () => {
  const t = await server.createTenant('Biz Expiry', 'business');
  const soon = new Date(Date.now() + 1500).toISOString();
  const made = (await make(t, { name: 'short', expiresAt: soon })).json;
  assert.equal(made.expiresAt, soon);
  assert.equal((await server.request('/api/tenant', { token: made.token })).status, 200);
  await sleep(1700);
  const res = await server.request('/api/tenant', { token: made.token });
  assert.equal(res.status, 401, res.text);
  assert.match(res.json.error.message, /expired/);
  const list = await server.request('/api/tokens', { token: t.token });
  assert.equal(list.json.tokens.find((x) => x.id === made.id).status, 'expired');
});

test('a read-only admin token reads everything and changes nothing', async () => {
  const t = await server.createTenant('Biz ReadOnly', 'business');
  const made = (await make(t, { name: 'dashboard', role: 'admin', readOnly: true })).json;
  assert.equal(made.readOnly, true);
  for (const p of ['/api/tenant', '/api/connectors', '/api/settings', '/api/tokens']) {
    const res = await server.request(p, { token: made.token });
    assert.equal(res.status, 200, `${p}: ${res.text}`);
  }
  const writes = [
    ['PATCH', '/api/tenant', { name: 'Hijacked' }],
    ['POST', '/api/connectors/mollie/install', { config: {} }],
    ['POST', '/api/tokens', { name: 'escalate' }],
    ['DELETE', `/api/tokens/${made.id}`],
  ];
  for (const [method, p, json] of writes) {
    const res = await server.request(p, { method, token: made.token, json });
    assertError(res, 403, 'forbidden');
    assert.match(res.json.error.message, /read-only/);
  }
  const me = await server.request('/api/tenant', { token: t.token });
  assert.equal(me.json.name, 'Biz ReadOnly');
});

test('tokens made before names (the command line) list with a null name', async () => {
  const t = await server.createTenant('Biz Old', 'business');
  const list = await server.request('/api/tokens', { token: t.token });
  assert.equal(list.json.tokens[0].name, null);
  assert.equal(list.json.tokens[0].readOnly, false);
  const rows = sql(server, `SELECT read_only FROM api_tokens WHERE tenant_id = '${t.tenantId}'`);
  assert.equal(rows.trim(), '0');
});

test('the command line makes named, read-only, expiring tokens with the same checks', async () => {
  const t = await server.createTenant('Biz Cli', 'business');
  const base = ['token', 'create', '--tenant', t.tenantId, '--role', 'admin'];
  const made = await server.cli([...base, '--name', 'nightly export', '--read-only', 'true',
                                 '--expires', '2099-01-01T00:00:00Z']);
  assert.equal(made.code, 0, made.stderr);
  const out = JSON.parse(made.stdout);
  assert.match(out.id, /^tok_/);
  assert.equal(out.name, 'nightly export');
  assert.match(out.token, /^cdk_/);
  const listed = (await server.request('/api/tokens', { token: t.token })).json.tokens
    .find((x) => x.id === out.id);
  assert.equal(listed.readOnly, true);
  assert.equal(listed.expiresAt, '2099-01-01T00:00:00.000Z');
  assert.equal((await server.request('/api/tenant', { token: out.token })).status, 200);
  const write = await server.request('/api/tenant', { method: 'PATCH', token: out.token,
                                                       json: { name: 'x' } });
  assertError(write, 403, 'forbidden');

  // what the API refuses, the command line refuses, with the same words
  const past = await server.cli([...base, '--name', 'old', '--expires', '2020-01-01T00:00:00Z']);
  assert.equal(past.code, 1);
  assert.match(past.stderr, /expires|future/);
  const blank = await server.cli([...base, '--name', '']);
  assert.equal(blank.code, 1);
  assert.match(blank.stderr, /name must be 1 to 100 bytes/);
  // options that only a named token has, and a flag's value, are checked before the store
  const unnamed = await server.cli([...base, '--read-only', 'true']);
  assert.equal(unnamed.code, 2);
  assert.match(unnamed.stderr, /give --name too/);
  const bad = await server.cli([...base, '--name', 'x', '--read-only', 'yes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--read-only must be true or false/);
  const nobody = await server.cli(['token', 'create', '--tenant', 'ten_nosuchtenant', '--role',
                                   'member', '--name', 'x']);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /tenant/);
  // without --name, an unnamed token as before
  const plain = await server.cli(base);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(Object.keys(JSON.parse(plain.stdout)), ['token']);
});
