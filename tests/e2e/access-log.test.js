// The access log: one JSON line per request on stderr, naming the route pattern rather than
// the raw path, and never carrying a token.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { connect } = require('./lib/raw');
const { startServer, waitFor } = require('./lib/server');

let server;
let member;

before(async () => {
  server = await startServer();
  member = await server.createToken(server.tenantId, 'member');
});

after(async () => {
  await server?.stop();
});

let seq = 0;
function rid(label) {
  seq += 1;
  return `log-${label}-${process.pid}-${seq}`;
}

function requestLines(s = server) {
  return s.logLines().filter((l) => l.msg === 'request');
}

// Waits for the access-log line of one request id; fails if there are several.
async function lineFor(id) {
  const lines = await waitFor(() => {
    const found = requestLines().filter((l) => l.requestId === id);
    return found.length ? found : null;
  }, `access-log line for ${id}`);
  assert.equal(lines.length, 1, `more than one line for ${id}`);
  return lines[0];
}

describe('access log', () => {
  test('each request gets one JSON line with id, method, route pattern, status, duration, tenant',
    async () => {
      const cases = [
        { id: rid('health'), path: '/healthz', want: { method: 'GET', route: '/healthz', status: 200,
                                                       tenantId: null } },
        { id: rid('tenant'), path: '/api/tenant', token: server.token,
          want: { method: 'GET', route: '/api/tenant', status: 200, tenantId: server.tenantId } },
        { id: rid('member'), path: '/api/tenant', token: member,
          want: { method: 'GET', route: '/api/tenant', status: 200, tenantId: server.tenantId } },
        { id: rid('forbidden'), path: '/api/tenant', method: 'PATCH', token: member, json: { name: 'x' },
          want: { method: 'PATCH', route: '/api/tenant', status: 403, tenantId: server.tenantId } },
        { id: rid('patch'), path: '/api/tenant', method: 'PATCH', token: server.token,
          json: { name: 'Logged' },
          want: { method: 'PATCH', route: '/api/tenant', status: 200, tenantId: server.tenantId } },
        { id: rid('anon'), path: '/api/tenant',
          want: { method: 'GET', route: '/api/tenant', status: 401, tenantId: null } },
        { id: rid('notfound'), path: '/no/such/thing',
          want: { method: 'GET', route: null, status: 404, tenantId: null } },
        { id: rid('method'), path: '/api/tenant', method: 'DELETE',
          want: { method: 'DELETE', route: null, status: 405, tenantId: null } },
      ];
      for (const c of cases) {
        const res = await server.request(c.path, { method: c.method, token: c.token, json: c.json,
                                                   headers: { 'x-request-id': c.id } });
        assert.equal(res.status, c.want.status, `${c.id}: ${res.text}`);
        assert.equal(res.headers.get('x-request-id'), c.id);
      }
      for (const c of cases) {
        const line = await lineFor(c.id);
        assert.equal(line.level, 'info');
        assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        for (const [k, v] of Object.entries(c.want)) assert.equal(line[k], v, `${c.id} ${k}`);
        assert.ok(Number.isInteger(line.durationUs) && line.durationUs >= 0,
                  `${c.id} durationUs ${line.durationUs}`);
      }
    });

  test('a generated request id is the one logged', async () => {
    const res = await server.request('/healthz', { headers: { 'x-request-id': 'not sane!' } });
    const id = res.headers.get('x-request-id');
    assert.notEqual(id, 'not sane!');
    const line = await lineFor(id);
    assert.equal(line.route, '/healthz');
    assert.ok(!server.stderr.includes('not sane!'));
  });

  test('a 413 answered before the body is read is logged too', async () => {
    const id = rid('toolarge');
    const c = await connect(server.port);
    try {
      await c.write(`PATCH /api/tenant HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\n` +
                    'Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n');
      assert.equal((await c.response()).status, 413);
    } finally {
      c.close();
    }
    const line = await lineFor(id);
    assert.equal(line.status, 413);
    assert.equal(line.route, '/api/tenant');
  });

  test('no token text ever appears in the log, wherever the client put it', async () => {
    const bogus = 'cdk_' + 'Z'.repeat(43);
    const ids = [rid('secret1'), rid('secret2'), rid('secret3'), rid('secret4'), rid('secret5')];
    await server.request(`/api/tenant/${server.token}`, { token: server.token,
                                                          headers: { 'x-request-id': ids[0] } });
    await server.request(`/healthz?token=${server.token}&k=${member}`,
                         { headers: { 'x-request-id': ids[1] } });
    await server.request('/api/tenant', { token: bogus, headers: { 'x-request-id': ids[2] } });
    await server.request('/api/tenant', { method: 'PATCH', token: server.token,
                                          json: { name: server.token },
                                          headers: { 'x-request-id': ids[3] } });
    await server.request('/api/tenant', { method: 'PATCH', token: server.token,
                                          json: { [member]: 1 }, headers: { 'x-request-id': ids[4] } });
    for (const id of ids) await lineFor(id);
    for (const secret of [server.token, member, bogus, server.token.slice(4), member.slice(4)]) {
      assert.ok(!server.stderr.includes(secret), `a token appears in the log:\n${server.stderr}`);
    }
    assert.ok(!server.stderr.includes('cdk_'), `something token-like appears in the log`);
    // the unmatched path is logged without its raw path
    assert.equal((await lineFor(ids[0])).route, null);
    assert.equal((await lineFor(ids[1])).route, '/healthz');
  });

  test('every line on stderr is one JSON object', async () => {
    await server.request('/healthz');
    const lines = server.stderr.split('\n').filter((l) => l !== '');
    assert.ok(lines.length > 5);
    for (const line of lines) {
      const obj = JSON.parse(line);
      assert.equal(typeof obj.time, 'string');
      assert.ok(['debug', 'info', 'warn', 'error'].includes(obj.level), line);
      assert.equal(typeof obj.msg, 'string');
    }
  });
});

describe('access log switched off', () => {
  let quiet;

  before(async () => {
    quiet = await startServer({ args: ['--access-log=false'] });
  });

  after(async () => {
    await quiet?.stop();
  });

  test('--access-log=false writes no request lines but still serves', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await quiet.request('/api/tenant', { token: quiet.token })).status, 200);
    }
    assert.equal((await quiet.request('/nope')).status, 404);
    assert.deepEqual(requestLines(quiet), []);
    assert.match(quiet.stderr, /listening on http/);
  });
});
