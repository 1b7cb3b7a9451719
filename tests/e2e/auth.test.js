// Bearer tokens: who gets in, who is turned away and how, roles, and tenant isolation.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// A 401 as the API promises it: the Bearer challenge and the one JSON error shape.
function assertUnauthorized(res) {
  assert.equal(res.status, 401, res.text);
  assert.match(res.headers.get('www-authenticate') || '', /^Bearer\b/);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.json?.error?.code, 'unauthorized', res.text);
  assert.equal(typeof res.json.error.message, 'string');
  assert.ok(res.json.error.message.length > 0);
}

describe('requests without a valid token get 401 with a Bearer challenge', () => {
  test('no Authorization header', async () => {
    assertUnauthorized(await server.request('/api/tenant'));
  });

  test('an empty bearer token', async () => {
    assertUnauthorized(await server.request('/api/tenant', { headers: { authorization: 'Bearer ' } }));
  });

  test('a token that is not token-shaped', async () => {
    for (const bad of ['abc', 'cdk_short', 'cdk_' + 'A'.repeat(42) + '!', 'xyz_' + 'A'.repeat(43),
                       'cdk_' + 'A'.repeat(44), server.token + 'x']) {
      const res = await server.request('/api/tenant', { headers: { authorization: `Bearer ${bad}` } });
      assertUnauthorized(res);
    }
  });

  test('a well-formed token the store does not know', async () => {
    const unknown = 'cdk_' + 'Q'.repeat(42) + 'A';
    assert.notEqual(unknown, server.token);
    assertUnauthorized(await server.request('/api/tenant', { token: unknown }));
  });

  test('a real token under another scheme', async () => {
    for (const scheme of ['Basic', 'Token', 'Bearer:']) {
      const res = await server.request('/api/tenant',
                                       { headers: { authorization: `${scheme} ${server.token}` } });
      assertUnauthorized(res);
    }
  });

  test('the token alone, without a scheme', async () => {
    assertUnauthorized(await server.request('/api/tenant', { headers: { authorization: server.token } }));
  });

  test('a token of a tenant on another server (another store)', async () => {
    const other = await startServer();
    try {
      assertUnauthorized(await server.request('/api/tenant', { token: other.token }));
    } finally {
      await other.stop();
    }
  });

  test('PATCH without a token is refused before its body is looked at', async () => {
    const res = await server.request('/api/tenant', { method: 'PATCH', json: { name: 'Nope' } });
    assertUnauthorized(res);
    const check = await server.request('/api/tenant', { token: server.token });
    assert.equal(check.json.name, 'Demo');
  });
});

describe('a valid token', () => {
  test('the demo admin token reads its tenant', async () => {
    const res = await server.request('/api/tenant', { token: server.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, server.tenantId);
    assert.equal(res.json.name, 'Demo');
    assert.equal(res.json.plan, 'business');
    assert.equal(res.json.role, 'admin');
    assert.deepEqual(res.json.limits, { maxDestinations: 15, apiAccess: true });
    assert.match(res.json.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('the scheme name is case-insensitive', async () => {
    const res = await server.request('/api/tenant',
                                     { headers: { authorization: `bearer ${server.token}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, server.tenantId);
  });
});

describe('roles', () => {
  let tenant;
  let member;

  before(async () => {
    tenant = await server.createTenant('Roles Ltd', 'pro');
    member = await server.createToken(tenant.tenantId, 'member');
  });

  test('a member token reads its tenant', async () => {
    const res = await server.request('/api/tenant', { token: member });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, tenant.tenantId);
    assert.equal(res.json.role, 'member');
  });

  test('a member token gets 403 on PATCH /api/tenant and changes nothing', async () => {
    const res = await server.request('/api/tenant', { method: 'PATCH', token: member,
                                                      json: { name: 'Taken Over' } });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json?.error?.code, 'forbidden');
    assert.equal(typeof res.json.error.message, 'string');
    const check = await server.request('/api/tenant', { token: tenant.token });
    assert.equal(check.json.name, 'Roles Ltd');
  });

  test('an admin token of the same tenant may PATCH /api/tenant', async () => {
    const res = await server.request('/api/tenant', { method: 'PATCH', token: tenant.token,
                                                      json: { name: 'Roles Renamed' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, 'Roles Renamed');
    const viaMember = await server.request('/api/tenant', { token: member });
    assert.equal(viaMember.json.name, 'Roles Renamed');
  });

  test('a second admin token made with token create works as admin', async () => {
    const admin2 = await server.createToken(tenant.tenantId, 'admin');
    assert.notEqual(admin2, tenant.token);
    const res = await server.request('/api/tenant', { token: admin2 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.role, 'admin');
  });

  test('token create for an unknown tenant fails with exit 1 and says why', async () => {
    const r = await server.cli(['token', 'create', '--tenant', 'ten_doesnotexist', '--role', 'admin']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /not found|does not exist/i);
  });

  test('token create with an unknown role fails with exit 1 and says why', async () => {
    const r = await server.cli(['token', 'create', '--tenant', tenant.tenantId, '--role', 'owner']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /role/);
  });
});

describe('tenant isolation', () => {
  test('two tenants each see only their own tenant', async () => {
    const a = await server.createTenant('Alpha GmbH', 'starter');
    const b = await server.createTenant('Beta BV', 'enterprise');
    assert.notEqual(a.tenantId, b.tenantId);
    assert.notEqual(a.token, b.token);

    const ra = await server.request('/api/tenant', { token: a.token });
    const rb = await server.request('/api/tenant', { token: b.token });
    assert.equal(ra.status, 200, ra.text);
    assert.equal(rb.status, 200, rb.text);
    assert.equal(ra.json.id, a.tenantId);
    assert.equal(ra.json.name, 'Alpha GmbH');
    assert.equal(ra.json.plan, 'starter');
    assert.deepEqual(ra.json.limits, { maxDestinations: 0, apiAccess: false });
    assert.equal(rb.json.id, b.tenantId);
    assert.equal(rb.json.name, 'Beta BV');
    assert.equal(rb.json.plan, 'enterprise');
    assert.deepEqual(rb.json.limits, { maxDestinations: null, apiAccess: true });
    assert.ok(!ra.text.includes(b.tenantId) && !rb.text.includes(a.tenantId));
  });

  test('renaming one tenant leaves the other as it was', async () => {
    const a = await server.createTenant('Gamma', 'pro');
    const b = await server.createTenant('Delta', 'pro');
    const res = await server.request('/api/tenant', { method: 'PATCH', token: a.token,
                                                      json: { name: 'Gamma Two' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, a.tenantId);
    const rb = await server.request('/api/tenant', { token: b.token });
    assert.equal(rb.json.name, 'Delta');
  });
});
