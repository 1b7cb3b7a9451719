// The HTTP layer's refusals: 404, 405, 413, 415, 400 and 422, each in the one JSON error
// shape, each with an X-Request-Id, and none of them a 500.
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { after, before, describe, test } = require('node:test');
const { connect } = require('./lib/raw');
const { startServer } = require('./lib/server');

const MAX_BODY = 1024 * 1024;

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

function assertError(res, status, code) {
  assert.equal(res.status, status, res.text ?? res.body);
  const json = res.json;
  assert.ok(json && typeof json === 'object', `not JSON: ${res.text ?? res.body}`);
  assert.deepEqual(Object.keys(json), ['error']);
  assert.equal(json.error.code, code);
  assert.equal(typeof json.error.message, 'string');
  assert.ok(json.error.message.length > 0);
}

function patch(body, headers = { 'content-type': 'application/json' }) {
  return server.request('/api/tenant', { method: 'PATCH', token: server.token, headers, body });
}

async function currentName() {
  const res = await server.request('/api/tenant', { token: server.token });
  assert.equal(res.status, 200, res.text);
  return res.json.name;
}

// Sends a chunked PATCH /api/tenant of `total` bytes in 64 KiB pieces; resolves the response.
function chunkedPatch(total, { prefix = '' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.baseUrl}/api/tenant`, {
      method: 'PATCH',
      agent: false,
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json',
                 'transfer-encoding': 'chunked' },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    let sent = 0;
    const first = Buffer.from(prefix);
    req.write(first);
    sent += first.length;
    const piece = Buffer.alloc(64 * 1024, 0x20);
    while (sent < total) {
      const n = Math.min(piece.length, total - sent);
      req.write(piece.subarray(0, n));
      sent += n;
    }
    req.end();
  });
}

describe('routing', () => {
  test('an unknown path gets 404 in the JSON error shape', async () => {
    for (const p of ['/nope', '/api', '/api/tenant/', '/api/tenant/extra', '/API/TENANT', '/healthz/x']) {
      const res = await server.request(p, { token: server.token });
      assertError(res, 404, 'not_found');
      assert.equal(res.headers.get('content-type'), 'application/json');
    }
  });

  test('a known path with the wrong method gets 405 with Allow', async () => {
    for (const method of ['DELETE', 'POST', 'PUT']) {
      const res = await server.request('/api/tenant', { method, token: server.token });
      assertError(res, 405, 'method_not_allowed');
      assert.equal(res.headers.get('allow'), 'GET, PATCH');
    }
    const res = await server.request('/healthz', { method: 'POST' });
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'GET');
  });
});

describe('body size limit (1 MiB)', () => {
  test('an announced body over 1 MiB gets 413 before the body is sent', async () => {
    const c = await connect(server.port);
    try {
      await c.write('PATCH /api/tenant HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
                    `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n` +
                    `Content-Length: ${MAX_BODY + 1}\r\n\r\n`);
      const res = await c.response();
      assertError(res, 413, 'payload_too_large');
      assert.ok(res.headers['x-request-id']);
    } finally {
      c.close();
    }
    assert.equal(await currentName(), 'Demo');
  });

  test('an announced oversized body gets 413 even without a token', async () => {
    const c = await connect(server.port);
    try {
      await c.write('PATCH /api/tenant HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
                    `Content-Type: application/json\r\nContent-Length: ${64 * MAX_BODY}\r\n\r\n`);
      assertError(await c.response(), 413, 'payload_too_large');
    } finally {
      c.close();
    }
  });

  test('a chunked body that grows past 1 MiB gets 413 and changes nothing', async () => {
    const res = await chunkedPatch(MAX_BODY + 1, { prefix: '{"name":"Chunked"}' });
    assertError(res, 413, 'payload_too_large');
    assert.ok(res.headers['x-request-id']);
    assert.equal(await currentName(), 'Demo');
  });

  test('a chunked body of exactly 1 MiB is accepted', async () => {
    const res = await chunkedPatch(MAX_BODY, { prefix: '{"name":"Chunked Exact"}' });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.name, 'Chunked Exact');
    await patch(JSON.stringify({ name: 'Demo' }));
  });

  test('a body of exactly 1 MiB with Content-Length is accepted', async () => {
    const json = '{"name":"Exactly One MiB"}';
    const body = json + ' '.repeat(MAX_BODY - json.length);
    assert.equal(Buffer.byteLength(body), MAX_BODY);
    const res = await patch(body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, 'Exactly One MiB');
    await patch(JSON.stringify({ name: 'Demo' }));
  });
});

describe('content type', () => {
  test('a non-JSON content type on PATCH /api/tenant gets 415', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx',
                      'multipart/form-data; boundary=x']) {
      const res = await patch('{"name":"Plain"}', { 'content-type': ct });
      assertError(res, 415, 'unsupported_media_type');
    }
    assert.equal(await currentName(), 'Demo');
  });

  test('a body without any Content-Type gets 415', async () => {
    const body = '{"name":"Untyped"}';
    const c = await connect(server.port);
    try {
      await c.write('PATCH /api/tenant HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
                    `Authorization: Bearer ${server.token}\r\nContent-Length: ${body.length}\r\n\r\n` +
                    body);
      assertError(await c.response(), 415, 'unsupported_media_type');
    } finally {
      c.close();
    }
    assert.equal(await currentName(), 'Demo');
  });

  test('JSON content types with parameters or a +json suffix are accepted', async () => {
    for (const ct of ['application/json; charset=utf-8', 'Application/JSON',
                      'application/merge-patch+json']) {
      const res = await patch(JSON.stringify({ name: `Typed ${ct.length}` }), { 'content-type': ct });
      assert.equal(res.status, 200, `${ct}: ${res.text}`);
      assert.equal(res.json.name, `Typed ${ct.length}`);
    }
    await patch(JSON.stringify({ name: 'Demo' }));
  });
});

describe('request bodies', () => {
  test('malformed JSON gets 400 invalid_json', async () => {
    for (const body of ['{', '{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x"} trailing',
                        '\u00ff\u00fe']) {
      assertError(await patch(body), 400, 'invalid_json');
    }
  });

  test('an empty body gets 400 invalid_json', async () => {
    assertError(await patch(''), 400, 'invalid_json');
  });

  test('duplicate keys get 400 invalid_json', async () => {
    assertError(await patch('{"name":"A","name":"B"}'), 400, 'invalid_json');
  });

  test('deeply nested JSON gets 400, not a crash', async () => {
    assertError(await patch('['.repeat(100000) + ']'.repeat(100000)), 400, 'invalid_json');
  });

  test('a JSON array body gets 400 bad_request', async () => {
    for (const body of ['[]', '[{"name":"x"}]']) {
      assertError(await patch(body), 400, 'bad_request');
    }
  });

  test('a bare JSON scalar body gets 400', async () => {
    for (const body of ['"Demo"', '42', 'null', 'true']) {
      const res = await patch(body);
      assert.equal(res.status, 400, `${body}: ${res.text}`);
      assert.ok(['bad_request', 'invalid_json'].includes(res.json?.error?.code), res.text);
    }
    assert.equal(await currentName(), 'Demo');
  });

  test('an unknown field gets 422 and names the field', async () => {
    const res = await patch(JSON.stringify({ name: 'X', plan: 'enterprise' }));
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /plan/);
    assert.equal(await currentName(), 'Demo');
  });

  test('a missing or null name gets 422', async () => {
    assertError(await patch('{}'), 422, 'validation_failed');
    assertError(await patch('{"name":null}'), 422, 'validation_failed');
  });

  test('a non-string name gets 400 invalid_field', async () => {
    for (const v of [5, true, [], {}, ['Demo']]) {
      assertError(await patch(JSON.stringify({ name: v })), 400, 'invalid_field');
    }
  });

  test('an empty, too long or control-character name gets 422', async () => {
    for (const name of ['', 'x'.repeat(201), 'a\nb', 'tab\there', 'del\u007f']) {
      const res = await patch(JSON.stringify({ name }));
      assertError(res, 422, 'validation_failed');
    }
    assertError(await patch('{"name":"nul\\u0000byte"}'), 400, 'invalid_json');
    assert.equal(await currentName(), 'Demo');
  });

  test('the name limit is 200 bytes of UTF-8, and such a name reads back unchanged', async () => {
    const name = '\u00fc'.repeat(100); // 100 characters, 200 bytes
    assert.equal(Buffer.byteLength(name), 200);
    const res = await patch(JSON.stringify({ name }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, name);
    assert.equal(await currentName(), name);
    assertError(await patch(JSON.stringify({ name: name + 'a' })), 422, 'validation_failed');
    assert.equal(await currentName(), name);
    await patch(JSON.stringify({ name: 'Demo' }));
  });
});

describe('X-Request-Id', () => {
  test('every response carries one, successes and errors alike', async () => {
    const responses = [
      await server.request('/healthz'),
      await server.request('/api/tenant', { token: server.token }),
      await server.request('/api/tenant'),
      await server.request('/nope'),
      await server.request('/api/tenant', { method: 'DELETE' }),
      await patch('{'),
      await patch('{}', { 'content-type': 'text/plain' }),
    ];
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) assert.match(id || '', /^[A-Za-z0-9._:-]{1,64}$/);
    assert.equal(new Set(ids).size, ids.length, `ids repeat: ${ids}`);
  });

  test('a sane client id is echoed', async () => {
    for (const id of ['abc-123', 'trace_7.2:span-9', 'x'.repeat(64)]) {
      const res = await server.request('/healthz', { headers: { 'x-request-id': id } });
      assert.equal(res.headers.get('x-request-id'), id);
      const err = await server.request('/nope', { headers: { 'x-request-id': id } });
      assert.equal(err.headers.get('x-request-id'), id);
    }
  });

  test('an insane client id is replaced by a fresh one', async () => {
    for (const id of ['has spaces', 'x'.repeat(200), 'x'.repeat(65), 'a/b', '<script>', 'id;drop', '"q"']) {
      const res = await server.request('/healthz', { headers: { 'x-request-id': id } });
      assert.equal(res.status, 200);
      const got = res.headers.get('x-request-id');
      assert.notEqual(got, id);
      assert.match(got || '', /^[A-Za-z0-9._:-]{1,64}$/);
    }
  });
});

describe('robustness', () => {
  test('odd requests never get a 5xx', async () => {
    const cases = [
      ['GET', '/api/tenant?x=1&y=%00'],
      ['GET', '/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '//api//tenant'],
      ['GET', '/' + 'a/'.repeat(500)],
      ['GET', '/api/tenant#frag'],
      ['OPTIONS', '/api/tenant'],
      ['PATCH', '/healthz'],
      ['GET', '/metrics/'],
    ];
    for (const [method, p] of cases) {
      const res = await server.request(p, { method, token: server.token });
      assert.ok(res.status < 500, `${method} ${p} -> ${res.status} ${res.text}`);
      assert.ok(res.headers.get('x-request-id'));
    }
  });

  // Each connection has 16 KiB for its request's headers (CONNECTION_MEMORY in
  // src/http/server.c): headers of 8 KiB, nginx's default limit for one line, pass; larger
  // ones are refused with 431 and the connection's next requests are answered as before.
  test('headers of 8 KiB are read; larger ones get 431, and the server goes on', async () => {
    const c = await connect(server.port);
    try {
      const pad = 'x'.repeat(8 * 1024);
      await c.write(`GET /api/tenant HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.token}\r\n` +
                    `X-Padding: ${pad}\r\n\r\n`);
      const ok = await c.response();
      assert.equal(ok.status, 200, ok.body);
      assert.equal(typeof ok.json.name, 'string');
    } finally {
      c.close();
    }
    const big = await connect(server.port);
    try {
      await big.write(`GET /api/tenant HTTP/1.1\r\nHost: x\r\nX-Padding: ${'y'.repeat(24 * 1024)}\r\n\r\n`);
      const res = await big.response();
      assert.equal(res.status, 431, res.body);
    } finally {
      big.close();
    }
    assert.equal((await server.request('/api/tenant', { token: server.token })).status, 200);
  });

  test('a request line the server cannot parse does not take it down', async () => {
    const c = await connect(server.port);
    try {
      await c.write('THIS IS NOT HTTP\r\n\r\n');
      const res = await c.response().catch(() => null);
      if (res) assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    } finally {
      c.close();
    }
    const health = await server.request('/healthz');
    assert.equal(health.status, 200);
  });
});
