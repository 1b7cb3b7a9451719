// Graceful shutdown: on SIGTERM/SIGINT the server stops accepting, finishes the requests in
// flight, closes the store and exits 0; a request that never finishes cannot hold it forever.
'use strict';

const assert = require('node:assert/strict');
const { after, describe, test } = require('node:test');
const { connect } = require('./lib/raw');
const fs = require('node:fs');
const { makeTempDir, portAccepts, sleep, startServer } = require('./lib/server');

const servers = [];
const dirs = [];

async function start(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

after(async () => {
  const failures = [];
  for (const s of servers) {
    try {
      await s.stop();
    } catch (e) {
      failures.push(e);
    }
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (failures.length) throw failures[0];
});

// Starts a PATCH /api/tenant whose Content-Length announces the whole body but sends only its
// first half; resolves {finish(), conn} once the server has seen the headers.
async function halfSentPatch(server, name) {
  const body = JSON.stringify({ name });
  const half = Math.floor(body.length / 2);
  const conn = await connect(server.port);
  await conn.write('PATCH /api/tenant HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
                   `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n` +
                   `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body.slice(0, half));
  return {
    conn,
    finish: async () => {
      await conn.write(body.slice(half));
      return conn.response();
    },
  };
}

describe('graceful shutdown', () => {
  test('SIGTERM: new connections are refused, the request in flight still gets its answer, exit 0',
    async () => {
      const server = await start();
      const slow = await halfSentPatch(server, 'Finished After SIGTERM');
      await sleep(200); // let the server read the headers: the request is now in flight
      server.terminate('SIGTERM');
      await sleep(300);

      assert.ok(server.running, 'the server exited with a request in flight');
      assert.equal(await portAccepts(server.port), false, 'a new connection was accepted');

      const res = await slow.finish();
      slow.conn.close();
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json.name, 'Finished After SIGTERM');

      const { code, signal } = await server.waitExit(10000);
      assert.equal(signal, null);
      assert.equal(code, 0, server.stderr);
      assert.match(server.stderr, /received SIGTERM/);
      assert.match(server.stderr, /"msg":"stopped"/);
      assert.doesNotMatch(server.stderr, /still in flight/);
      await server.stop(); // the sanitizer check
    });

  test('the renamed tenant is in the store after the shutdown', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const first = await start({ dir });
    const slow = await halfSentPatch(first, 'Durable');
    await sleep(200);
    first.terminate('SIGTERM');
    await sleep(100);
    const res = await slow.finish();
    slow.conn.close();
    assert.equal(res.status, 200, res.body);
    await first.waitExit(10000);
    await first.stop();

    // A new server on the same store sees the committed name.
    const second = await start({ dir, expectDemo: false });
    const check = await second.request('/api/tenant', { token: first.token });
    assert.equal(check.status, 200, check.text);
    assert.equal(check.json.name, 'Durable');
  });

  test('SIGINT is as graceful as SIGTERM', async () => {
    const server = await start();
    const slow = await halfSentPatch(server, 'Finished After SIGINT');
    await sleep(200);
    server.terminate('SIGINT');
    await sleep(300);
    assert.equal(await portAccepts(server.port), false);
    const res = await slow.finish();
    slow.conn.close();
    assert.equal(res.status, 200, res.body);
    const { code } = await server.waitExit(10000);
    assert.equal(code, 0, server.stderr);
    assert.match(server.stderr, /received SIGINT/);
    await server.stop();
  });

  test('an idle keep-alive connection does not delay the exit', async () => {
    const server = await start();
    const conn = await connect(server.port);
    try {
      await conn.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      assert.equal((await conn.response()).status, 200);
      const t0 = Date.now();
      server.terminate('SIGTERM');
      const { code } = await server.waitExit(10000);
      assert.equal(code, 0, server.stderr);
      // the drain timeout is 10 s; an idle connection must not be waited on
      assert.ok(Date.now() - t0 < 3000, `exit took ${Date.now() - t0} ms`);
    } finally {
      conn.close();
    }
    await server.stop();
  });

  test('a request that never completes is abandoned after --drain-timeout, still exit 0',
    async () => {
      const server = await start({ args: ['--drain-timeout', '500'] });
      const stuck = await halfSentPatch(server, 'Never Finished');
      try {
        await sleep(200);
        const t0 = Date.now();
        server.terminate('SIGTERM');
        const { code } = await server.waitExit(10000);
        const took = Date.now() - t0;
        assert.equal(code, 0, server.stderr);
        assert.ok(took >= 400, `exited after ${took} ms, before the drain timeout`);
        assert.ok(took < 5000, `exit took ${took} ms`);
        assert.match(server.stderr, /1 requests still in flight after 500 ms/);
      } finally {
        stuck.conn.close();
      }
      await server.stop();
    });
});
