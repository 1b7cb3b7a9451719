// Three connectord processes on one store, sharing nothing in memory: one SQLite file in
// tests/run's first pass, one PostgreSQL database in its second (CONNECTORD_TEST_DB).
//
// What must hold across processes: a once-across-processes job (jobs.def) runs in one of
// them; the same payment sent to two processes at the same instant books one invoice and
// both answer success (processed / duplicate); an uninstall or a new webhook secret saved
// through one process is in force at another for the very next request, and a webhook
// verified an instant before such a change is not booked by the stale reading; deliveries
// are shared out (each process sends some), and a process killed with SIGKILL mid-send
// loses nothing: the others send what it had claimed once its lease (--delivery-lease) ran
// out, and every event is delivered at least once. Payments of one tenant booked by all of
// them at once leave its journal's hash chain whole. On PostgreSQL also: each process listens
// for the others' announcements, and listens again after its connection was lost.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const { after, describe, test } = require('node:test');
const { BACKEND, makeTempDir, pgTool, sleep, sqliteOnly, startServer } = require('./lib/server');
const { StripeTenant, invoicePaid, sign } = require('./lib/stripe');
const { Project, eventually } = require('./lib/outbound');

const ONCE_JOBS = ['daily-summaries', 'retention', 'sync-runs', 'bank-matching'];
const LEASE_MS = 3000;

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

async function metrics(server) {
  return (await server.request('/metrics')).text;
}

// Each once-across-processes job ran in exactly one process, and every other process
// skipped it (it asked for the job's lease and was refused).
async function assertJobsRanOnce(servers) {
  let texts = [];
  await eventually(async () => {
    texts = await Promise.all(servers.map(metrics));
    return ONCE_JOBS.every((job) => texts.every((t) =>
      sample(t, `connectord_job_runs_total{job="${job}"}`) +
      sample(t, `connectord_job_skipped_total{job="${job}"}`) >= 1));
  }, 'every process ticked every job', 20000);
  for (const job of ONCE_JOBS) {
    const ran = texts.filter((t) => sample(t, `connectord_job_runs_total{job="${job}"}`) > 0);
    assert.equal(ran.length, 1, `${job} ran in ${ran.length} of ${servers.length} processes`);
    const skipped = texts.filter((t) => sample(t, `connectord_job_skipped_total{job="${job}"}`) > 0);
    assert.equal(skipped.length, servers.length - 1, `${job}: the others skipped it`);
  }
}

// The same payment, signed once, sent to two processes at the same instant, for each of n
// payments (pairs taken round the processes): one invoice per payment, and of each pair one
// answer processed, the other duplicate.
async function assertSameEventAtTwoProcesses(servers, n) {
  const t = await StripeTenant.create(servers[0], { autoPost: true });
  const pays = Array.from({ length: n }, () => invoicePaid({ amount: 1500 }));
  const answers = await Promise.all(pays.map((pay, i) => {
    const header = sign(pay.body, t.secret);
    const pair = [servers[i % servers.length], servers[(i + 1) % servers.length]];
    return Promise.all(pair.map((s) => s.request(t.path, {
      method: 'POST', body: pay.body,
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
    })));
  }));
  for (const pair of answers) {
    for (const a of pair) assert.equal(a.status, 200, a.text);
    assert.deepEqual(pair.map((a) => a.json.status).sort(), ['duplicate', 'processed']);
  }
  const invoices = await t.invoices();
  assert.equal(invoices.length, n, 'one invoice per payment');
  assert.deepEqual(new Set(invoices.map((i) => i.externalId)), new Set(pays.map((p) => p.externalId)));
  assert.equal((await t.entries()).length, n, 'one journal entry per payment');
}

// Distinct payments of one tenant sent to all processes at once, in waves: each booking
// links its journal entry to the tenant's chain head, which the processes move under one
// another's feet (on PostgreSQL at the same instant). The chain must come out whole: one
// entry per payment, each at its own position, every hash on its predecessor's.
async function assertChainWholeAcrossProcesses(servers, waves, perWave) {
  const t = await StripeTenant.create(servers[0], { autoPost: true });
  for (let w = 0; w < waves; w++) {
    const answers = await Promise.all(Array.from({ length: perWave }, (_, i) => {
      const pay = invoicePaid({ amount: 1000 + w * perWave + i });
      return servers[i % servers.length].request(t.path, {
        method: 'POST', body: pay.body,
        headers: { 'content-type': 'application/json',
                   'stripe-signature': sign(pay.body, t.secret) },
      });
    }));
    for (const a of answers) assert.equal(a.status, 200, a.text);
  }
  const n = waves * perWave;
  assert.equal((await t.entries()).length, n, 'one journal entry per payment');
  for (const s of servers) {
    const res = await s.request('/api/ledger/verify', { token: t.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.ok, true, res.text);
    assert.equal(res.json.head.journal.seq, n, res.text);
  }
}

// A change saved through one process is in force at another for the next request.
async function assertChangesSeenAtOnce(a, b) {
  const t = await StripeTenant.create(a);
  t.server = b;
  assert.equal((await t.send(invoicePaid().body)).status, 200, 'B books before the change');
  // a new webhook secret through A: B refuses the old signature at once, takes the new one
  t.server = a;
  const secret = 'whsec_' + crypto.randomBytes(24).toString('base64url');
  await t.configure({ webhookSecret: secret });
  t.server = b;
  assert.equal((await t.send(invoicePaid().body)).status, 400, 'the old secret is refused');
  t.secret = secret;
  assert.equal((await t.send(invoicePaid().body)).status, 200, 'the new secret is taken');
  // uninstalled through A: B refuses the very next webhook, and books nothing
  t.server = a;
  const before = (await t.invoices()).length;
  await t.uninstall();
  t.server = b;
  const refused = await t.send(invoicePaid().body);
  assert.equal(refused.status, 404, refused.text);
  t.server = a;
  assert.equal((await t.invoices()).length, before, 'nothing booked after the uninstall');
}

// A destination's receiver: answers every request after delayMs, and records each event
// id it received, when, and whether its sender went away before the answer (killed).
// The local TCP ports of a process's sockets (/proc/PID/fd's socket inodes, looked up in
// /proc/net/tcp): which of a receiver's requests came from that process.
function tcpPortsOf(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set();
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16));
  }
  return ports;
}

async function startReceiver(delayMs) {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let id = null;
      try {
        id = JSON.parse(Buffer.concat(chunks).toString('utf8')).id;
      } catch {
        // not an envelope: recorded without an id
      }
      const rec = { id, at: Date.now(), aborted: false, answered: false,
                    port: req.socket.remotePort };
      got.push(rec);
      res.on('close', () => {
        if (!res.writableFinished) rec.aborted = true;
      });
      setTimeout(() => {
        if (rec.aborted || req.socket.destroyed) {
          rec.aborted = true;
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}', () => (rec.answered = true));
      }, delayMs);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  }));
  return { got, url: `http://127.0.0.1:${server.address().port}` };
}

describe(`three processes on one ${BACKEND} store`, () => {
  let servers;
  test('start', async () => {
    const dir = makeTempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const args = ['--delivery-lease', String(LEASE_MS), '--retry-schedule', '1s,1s,1s,1s,1s',
                  '--delivery-timeout', '10000'];
    servers = [];
    // one directory: one store (the SQLite file in it, or its PostgreSQL database) and one
    // master key for all three
    for (let i = 0; i < 3; i++) {
      const s = await startServer({ dir, args, expectDemo: i === 0 });
      cleanups.push(() => (s.killed ? s.kill() : s.stop()));
      servers.push(s);
    }
  });

  test('a once-across-processes job runs in one process only', async () => {
    await assertJobsRanOnce(servers);
  });

  test('the same payment at two processes at once: one invoice, both answer success', async () => {
    await assertSameEventAtTwoProcesses(servers, 30);
  });

  test('one tenant\'s payments at three processes at once: its journal chain stays whole',
       async () => {
    await assertChainWholeAcrossProcesses(servers, 4, 24);
  });

  test('a change through one process is in force at another for the next request', async () => {
    await assertChangesSeenAtOnce(servers[0], servers[1]);
    await assertChangesSeenAtOnce(servers[2], servers[0]);
  });

  // The race the booking transaction's version check closes: B has read and verified the
  // install, and its booking waits for the store, when the change commits. A writer outside
  // connectord holds the write lock, lets B's webhook come in behind it, then commits.
  for (const [what, change, status] of [
    ['uninstalled', 'is_active = 0, version = version + 1', 404],
    ['changed', 'version = version + 1', 503],
  ]) {
    test(`a webhook verified just before its install was ${what} elsewhere is not booked`,
      sqliteOnly('an outside writer holds the SQLite file\'s write lock'), async () => {
      const [a, b] = servers;
      const t = await StripeTenant.create(a);
      const file = b.db.slice('sqlite:'.length);
      const id = execFileSync('sqlite3', ['-cmd', '.timeout 10000', file,
        `SELECT id FROM connector_installs WHERE tenant_id = '${t.tenantId}' AND slug = 'stripe'`],
      { encoding: 'utf8' }).trim();
      const writer = spawn('sqlite3', [file]);
      let out = '';
      writer.stdout.setEncoding('utf8').on('data', (d) => (out += d));
      const done = new Promise((resolve) => writer.on('close', resolve));
      writer.stdin.write(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
      await eventually(() => out.includes('locked'), 'the outside writer holds the lock', 5000, 10);

      t.server = b;
      const answer = t.send(invoicePaid().body);
      await sleep(500); // B read the install and verified the signature; its booking waits
      writer.stdin.write(`UPDATE connector_installs SET ${change} WHERE id = '${id}';\nCOMMIT;\n.quit\n`);
      await done;
      const res = await answer;
      assert.equal(res.status, status, res.text);
      t.server = a;
      assert.equal((await t.invoices()).length, 0, 'nothing booked');
      if (status === 503) {
        assert.ok(res.headers.get('retry-after'), 'the provider is told to send it again');
        const logs = await t.logs();
        assert.equal(logs.length, 1, JSON.stringify(logs));
        assert.equal(logs[0].status, 'failed');
        assert.match(logs[0].error, /settings changed/);
      }
    });
  }

  test('a listener that lost its connection listens again',
    BACKEND === 'postgres' ? {} : { skip: 'SQLite has no notifications to listen for' }, async () => {
    const psql = (sql) => execFileSync(pgTool('psql'), ['-X', '-Atc', sql, servers[0].db],
                                       { encoding: 'utf8' }).trim();
    const mine = "application_name = 'connectord-listen' AND datname = current_database()";
    const listeners = () => Number(psql(`SELECT count(*) FROM pg_stat_activity WHERE ${mine}`));
    assert.equal(listeners(), 3, 'one listener per process');
    psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${mine}`);
    await eventually(() => listeners() === 3, 'every process listens again', 10000, 100);
    for (const s of servers) assert.equal((await s.request('/healthz')).status, 200);
  });

  test('deliveries are shared out, and a killed process loses none of its claims', async () => {
    const receiver = await startReceiver(2500); // slow: deliveries stay in flight a while
    const project = await Project.create(servers[0]);
    const dest = await project.destination({ type: 'zapier', config: { webhookUrl: `${receiver.url}/hook` } },
                                           ['endpoint.created']);
    const DELIVERED = 'connectord_deliveries_total{destination_type="zapier",outcome="delivered"}';
    const base = await Promise.all(servers.map(async (s) => sample(await metrics(s), DELIVERED)));

    // Events keep coming through the two processes that live on; each wakes every engine.
    const events = [];
    const publishers = servers.slice(0, 2).map((s) => new Project(s, { tenantId: project.id, token: project.token }));
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        events.push((await publishers[i % 2].publish('endpoint.created', { n: i })).id);
        await sleep(25);
      }
    })();

    // The victim delivered some and has more in flight: killed before it records them.
    const victim = servers[2];
    const victimSent = await eventually(async () => {
      const n = sample(await metrics(victim), DELIVERED) - base[2];
      return n > 0 ? n : 0;
    }, 'the third process delivered some', 20000, 100);
    // and has requests of its own at the receiver, unanswered (the receiver is slow)
    await eventually(() => {
      const ports = tcpPortsOf(victim.proc.pid);
      return receiver.got.some((r) => !r.answered && !r.aborted && ports.has(r.port));
    }, 'the third process has a request in flight', 20000, 50);
    victim.killed = true;
    await victim.kill();
    assert.equal(victim.exitSignal, 'SIGKILL');
    await sleep(1000);
    publishing = false;
    await publisher;

    await eventually(async () => {
      const rows = await project.deliveries(dest.id, { status: 'delivered' });
      return new Set(rows.map((d) => d.eventId)).size === events.length;
    }, 'every event delivered', 60000, 250).catch(async (e) => {
      const rows = await project.deliveries(dest.id);
      const by = {};
      for (const d of rows) by[d.status] = (by[d.status] || 0) + 1;
      throw new Error(`${e.message}: ${events.length} events, deliveries ${JSON.stringify(by)}\n` +
                      servers.slice(0, 2).map((s) => s.stderr.split('\n').slice(-15).join('\n')).join('\n--\n'));
    });

    // at least once: every event reached the receiver and was answered
    const answered = new Set(receiver.got.filter((r) => r.answered).map((r) => r.id));
    for (const id of events) assert.ok(answered.has(id), `event ${id} never answered`);
    // what the victim had in flight went again, from a survivor, once its lease was over
    const cut = receiver.got.filter((r) => r.aborted);
    assert.ok(cut.length > 0, 'the victim had deliveries in flight when it was killed');
    for (const r of cut) {
      const again = receiver.got.find((x) => x.id === r.id && x.answered && x.at > r.at);
      assert.ok(again, `event ${r.id}, cut off by the kill, was not sent again`);
      assert.ok(again.at >= r.at + LEASE_MS - 500,
                `event ${r.id} was sent again ${again.at - r.at} ms later, within the lease`);
    }
    // every process sent some
    const survivors = await Promise.all(servers.slice(0, 2).map(async (s, i) =>
      sample(await metrics(s), DELIVERED) - base[i]));
    for (const n of survivors) assert.ok(n > 0, `a process delivered nothing: ${survivors}, ${victimSent}`);
  });
});
