// Graceful shutdown: on SIGTERM/SIGINT the server stops accepting, answers a request that
// arrives after the signal 503 (Retry-After), closes keep-alive connections after their
// answer, finishes the requests in flight, closes the store and exits 0; a request that never
// finishes cannot hold it forever, and a webhook parked for a group commit that cannot happen
// (the store locked by another process) is answered and does not abort the stop.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const { after, describe, test } = require('node:test');
const path = require('node:path');
const { connect } = require('./lib/raw');
const fs = require('node:fs');
const { StripeTenant, invoicePaid, sign } = require('./lib/stripe');
const {
  makeTempDir, portAccepts, sleep, sqliteOnly, startServer, waitFor,
} = require('./lib/server');

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

// The stop's answer to a request it will not process.
function assertStopping(res) {
  assert.equal(res.status, 503, res.body);
  assert.equal(res.json?.error?.code, 'unavailable', res.body);
  assert.match(res.headers['retry-after'], /^\d+$/);
  assert.equal(res.headers.connection, 'close');
}

// Holds the SQLite store's write lock from another process (the sqlite3 shell in a
// BEGIN IMMEDIATE transaction, waiting up to waitMs for it) until release(). The shell stops
// at the first error (.bail), so 'locked' is printed only once the lock is held.
async function holdWriteLock(dbFile, waitMs = 30000) {
  const proc = spawn('sqlite3', ['-bail', dbFile]);
  let out = '';
  let err = '';
  let gone = false;
  proc.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise((resolve) => proc.on('close', () => resolve((gone = true))));
  const release = async () => {
    if (!gone) proc.stdin.end('ROLLBACK;\n');
    await exited;
  };
  proc.stdin.write(`PRAGMA busy_timeout = ${waitMs};\nBEGIN IMMEDIATE;\nSELECT 'locked';\n`);
  try {
    await waitFor(() => out.includes('locked') || gone, 'the sqlite3 shell to take the lock',
                  waitMs + 5000);
    assert.ok(out.includes('locked'), `the sqlite3 shell could not lock the store: ${err}`);
  } catch (e) {
    proc.kill('SIGKILL');
    await exited;
    throw e;
  }
  return { release };
}

describe('stopping under load', () => {
  test('a request arriving after SIGTERM on a keep-alive connection gets 503 and ' +
       'Connection: close; the answer in flight carries Connection: close too', async () => {
    const server = await start();
    const idle = await connect(server.port);
    try {
      await idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const first = await idle.response();
      assert.equal(first.status, 200);
      assert.notEqual(first.headers.connection, 'close');
      // raw.js parses the first response of a connection: the next one goes on a new handle
      // that reads the same socket's later bytes.
      idle.socket.removeAllListeners('data');
      let later = Buffer.alloc(0);
      idle.socket.on('data', (d) => (later = Buffer.concat([later, d])));

      const slow = await halfSentPatch(server, 'Answered While Stopping');
      await sleep(200);
      server.terminate('SIGTERM');
      await sleep(200);
      await idle.write(`GET /api/tenant HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
                       `Authorization: Bearer ${server.token}\r\n\r\n`);
      await waitFor(() => /\r\n\r\n[\s\S]*\}/.test(later.toString()), 'the 503', 3000);
      const [head, body] = later.toString().split('\r\n\r\n');
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      assertStopping({ status: Number(head.split(' ')[1]), headers, body,
                       json: JSON.parse(body) });

      const res = await slow.finish();
      slow.conn.close();
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers.connection, 'close');
      const { code } = await server.waitExit(10000);
      assert.equal(code, 0, server.stderr);
      assert.match(server.stderr, /"msg":"stopped"/);
    } finally {
      idle.close();
    }
    await server.stop();
  });

  test('a webhook parked while another process holds the store\'s write lock: SIGTERM with a ' +
       'short drain timeout answers it 503 and exits 0 with the lock still held; sent again ' +
       'later, it is booked', sqliteOnly('holds the store file\'s write lock with the sqlite3 shell'),
  async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const server = await start({ dir, args: ['--drain-timeout', '300'] });
    const tenant = await StripeTenant.create(server);
    const { body, externalId } = invoicePaid();
    const lock = await holdWriteLock(path.join(dir, 'connectord.db'));
    try {
      const pending = tenant.send(body);
      await sleep(400); // read, verified, parked behind the lock
      assert.equal(server.running, true);
      const t0 = Date.now();
      server.terminate('SIGTERM');
      const answer = await pending;
      const took = Date.now() - t0;
      // Answered at the drain timeout: its commit had not begun.
      assert.ok(took < 3000, `answered ${took} ms after SIGTERM`);
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.json?.error?.code, 'unavailable');
      assert.match(answer.headers.get('retry-after'), /^\d+$/);
      // The exit does not wait for the lock either: nobody waits for what is still queued.
      const { code, signal } = await server.waitExit(20000);
      assert.ok(Date.now() - t0 < 5000, `exited ${Date.now() - t0} ms after SIGTERM`);
      assert.equal(signal, null, server.stderr);
      assert.equal(code, 0, server.stderr);
    } finally {
      await lock.release();
    }
    assert.match(server.stderr, /still in flight after 300 ms/);
    assert.match(server.stderr, /"msg":"stopped"/);
    assert.doesNotMatch(server.stderr, /suspended connections/);
    await server.stop();

    // The provider sends it again: nothing was lost.
    const again = await start({ dir, expectDemo: false });
    tenant.server = again;
    const res = await tenant.send(body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'processed');
    const booked = await tenant.invoices();
    assert.deepEqual(booked.map((i) => i.externalId), [externalId]);
  });

  // One keep-alive client: signed webhooks one after the other on one connection until the
  // server says Connection: close (or refuses a new connection). Records what was
  // acknowledged and every request left unanswered on a connection the server had not
  // announced to close.
  async function webhookClient(server, tenant, record) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (;;) {
        if (record.gate) await record.gate; // paused while the test takes the store's lock
        const { body, externalId } = invoicePaid();
        let res;
        let reused = false;
        try {
          res = await new Promise((resolve, reject) => {
            const req = http.request({
              host: '127.0.0.1', port: server.port, path: tenant.path, method: 'POST', agent,
              headers: { 'content-type': 'application/json',
                         'stripe-signature': sign(body, tenant.secret) },
            }, (r) => {
              let text = '';
              r.setEncoding('utf8').on('data', (d) => (text += d));
              r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, text }));
            });
            req.on('socket', () => (reused = req.reusedSocket));
            req.on('error', reject);
            req.end(body);
          });
        } catch (e) {
          if (e.code !== 'ECONNREFUSED' && reused) record.unanswered.push(`${e.code || e.message}`);
          else if (e.code !== 'ECONNREFUSED') record.freshFailures.push(e.code || e.message);
          return;
        }
        if (res.status === 200) record.acked.push(externalId);
        else if (res.status === 503) record.refused++;
        else record.other.push(`${res.status} ${res.text}`);
        if (res.headers.connection === 'close') return;
      }
    } finally {
      agent.destroy();
    }
  }

  // Rounds: [number, --drain-timeout, whether another process locks the store just before
  // the signal, so that the drain timeout passes with every webhook parked].
  for (const [round, drain, locked] of [[1, 10000, false], [2, 300, false], [3, 10000, false],
                                        [4, 300, false], [5, 10000, false], [6, 300, true]]) {
    test(`round ${round}: SIGTERM while 64 keep-alive clients send webhooks (drain ${drain} ms` +
         `${locked ? ', the store locked' : ''}): exit 0, every acknowledged webhook booked, ` +
         'no request left unanswered',
    locked ? sqliteOnly('holds the store file\'s write lock with the sqlite3 shell') : {}, async () => {
      const dir = makeTempDir();
      dirs.push(dir);
      const server = await start({ dir, args: ['--drain-timeout', String(drain)],
                                  env: { CONNECTORD_ACCESS_LOG: 'false' } });
      const tenant = await StripeTenant.create(server);
      const record = { acked: [], refused: 0, other: [], unanswered: [], freshFailures: [] };
      const clients = [];
      for (let i = 0; i < 64; i++) clients.push(webhookClient(server, tenant, record));
      await waitFor(() => record.acked.length >= 100, 'the first 100 acknowledged', 10000);
      await sleep(200 * (round % 5));
      // Under full load the sqlite3 shell might wait long for the lock: the clients pause
      // while it takes it, then go on, and their webhooks park behind it.
      let lock = null;
      if (locked) {
        let go;
        record.gate = new Promise((resolve) => (go = resolve));
        try {
          lock = await holdWriteLock(path.join(dir, 'connectord.db'));
        } finally {
          record.gate = null;
          go();
        }
      }
      try {
        if (lock) await sleep(300);
        server.terminate('SIGTERM');
        await Promise.all(clients);
        if (lock) assert.ok(record.refused > 0, 'no parked webhook was answered 503');
      } finally {
        if (lock) await lock.release();
      }
      const { code, signal } = await server.waitExit(15000);
      assert.equal(signal, null, server.stderr.slice(-2000));
      assert.equal(code, 0, server.stderr.slice(-2000));
      assert.match(server.stderr, /"msg":"stopped"/);
      assert.deepEqual(record.unanswered, [], 'requests reset on a connection kept alive');
      assert.deepEqual(record.other, []);
      await server.stop();

      const again = await start({ dir, expectDemo: false });
      tenant.server = again;
      const booked = new Set((await tenant.invoices()).map((i) => i.externalId));
      const lost = record.acked.filter((id) => !booked.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${record.acked.length} acknowledged ` +
                                 'webhooks are not in the store');
      await again.stop();
    });
  }
});
