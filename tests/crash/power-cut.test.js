// A power cut: the shim (tests/crash/shim.c, CRASHSHIM_DURABLE=1) keeps beside the store and
// its WAL the image a disk would hold, where a write counts only once an fsync of its file
// returned. At a random moment under load the server is SIGKILLed, every write not yet
// fsynced is thrown away (the images replace the files, the shared-memory index goes), and
// the server restarts on what is left, CRASH_CYCLES times. Every acknowledged webhook must
// be found, booked once, with the same checks as the SIGKILL test.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, test } = require('node:test');
const { makeTempDir, sleep } = require('../e2e/lib/server');
const { eventually } = require('../e2e/lib/outbound');
const L = require('./lib');

const cleanup = [];
after(async () => {
  await L.stopLoads();
  for (const fn of cleanup.reverse()) await fn();
});

// How many 4 KiB blocks of a differ from b (a block beyond the shorter one's end differs).
function blocksDiffering(a, b) {
  const x = fs.readFileSync(a);
  const y = fs.existsSync(b) ? fs.readFileSync(b) : Buffer.alloc(0);
  let n = 0;
  for (let off = 0; off < Math.max(x.length, y.length); off += 4096)
    if (!x.subarray(off, off + 4096).equals(y.subarray(off, off + 4096))) n++;
  return n;
}

// What the disk holds after the cut: each file as its last fsync left it. Returns how many
// 4 KiB blocks written since were thrown away.
function cutPower(dir) {
  const db = path.join(dir, 'connectord.db');
  let discarded = 0;
  for (const f of [db, `${db}-wal`]) {
    const image = `${f}.durable`;
    if (fs.existsSync(image)) {
      if (fs.existsSync(f)) discarded += blocksDiffering(f, image);
      fs.renameSync(image, f);
    } else {
      fs.rmSync(f, { force: true });
    }
  }
  fs.rmSync(`${db}-shm`, { force: true });
  return discarded;
}

// The release build only: it commits fast enough that a random moment finds writes not yet
// synced (the sanitizer build is mostly between them, and the SIGKILL test runs it).
for (const [build, bin] of [['release', L.RELEASE_BIN]]) {
  test(`${build} build: ${L.CYCLES} power cuts under load lose no acknowledged webhook`, async () => {
    assert.ok(fs.existsSync(L.SHIM), `${L.SHIM} is missing`);
    const mock = await L.MockServices.start();
    const dir = makeTempDir();
    cleanup.push(() => mock.stop(), () => fs.rmSync(dir, { recursive: true, force: true }));
    // the world is made first, without the shim (the command line writes the tenant), and
    // stopped cleanly: from then on the shim's images start from what is on disk
    let server = await L.start(bin, dir, { first: true });
    cleanup.push(() => server.kill());
    const world = await L.setupWorld(server, mock);
    await server.stop();
    const env = L.shimEnv(dir, { CRASHSHIM_DURABLE: '1' });
    const mark = L.randomMark();
    const ledger = L.newLedger();
    let discarded = 0;
    for (let cycle = 0; cycle < L.CYCLES; cycle++) {
      server = await L.start(bin, dir, { env });
      const load = new L.Load(server, world, mark, ledger, cycle).start();
      await L.randomMoment(ledger);
      await L.crash(server);
      await load.stop();
      discarded += cutPower(dir);
    }
    server = await L.start(bin, dir);
    const base = `/api/projects/${world.tenantId}/connectors/${world.sink.connectorId}/deliveries`;
    await eventually(async () => {
      for (const status of ['pending', 'delivering']) {
        const r = await server.request(`${base}?status=${status}&limit=1`, { token: world.token });
        if (r.status !== 200 || r.json.deliveries.length) return false;
      }
      return true;
    }, 'every delivery to the sink delivered', 60000, 200);
    await server.stop();

    const c = L.checkBooks(dir, world.tenantId, mark, ledger);
    const integrity = L.sql(dir, 'PRAGMA integrity_check');
    L.report(`power-cut ${build}`, {
      cycles: L.CYCLES, sent: ledger.sent.size, acknowledged: ledger.acked.size, booked: c.booked,
      lost: c.lost, duplicated: c.duplicated, 'blocks-discarded': discarded,
    });
    assert.deepEqual(integrity, [{ integrity_check: 'ok' }]);
    assert.ok(ledger.acked.size > 0, 'nothing was acknowledged: the test proves nothing');
    assert.deepEqual(ledger.other, [], 'answers other than 2xx, 503 or a dropped connection');
    assert.deepEqual(c.problems.slice(0, 20), [], `${c.problems.length} problems in the books`);
  });
}

// A failed fsync: the writes it was to make durable are gone from the disk but still in the
// cache, so the process sees that batch as booked. A webhook of that batch (answered 503) that
// comes again must not be acknowledged as a duplicate of a booking the disk does not hold, and
// nothing after it may be acknowledged on a log with a hole; after a power cut, every
// acknowledged webhook is found.
test('release build: after a failed fsync nothing is acknowledged that a power cut loses', async () => {
  assert.ok(fs.existsSync(L.SHIM), `${L.SHIM} is missing`);
  const mock = await L.MockServices.start();
  const dir = makeTempDir();
  cleanup.push(() => mock.stop(), () => fs.rmSync(dir, { recursive: true, force: true }));
  let server = await L.start(L.RELEASE_BIN, dir, { first: true });
  cleanup.push(() => server.kill());
  const world = await L.setupWorld(server, mock);
  await server.stop();
  const mark = L.randomMark();
  const ledger = L.newLedger();
  server = await L.start(L.RELEASE_BIN, dir, { env: L.shimEnv(dir, { CRASHSHIM_DURABLE: '1', CRASHSHIM_FAIL_SYNC: '20' }) });
  const load = new L.Load(server, world, mark, ledger, 0).start();
  await L.randomMoment(ledger);
  await eventually(() => ledger.retryAfter.length > 0, 'the failed fsync answered 503', 20000);
  // the refused ones come again: cut the power as soon as one is acknowledged (before a
  // checkpoint copies the cached pages into the database file), or after 1.5 s
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline && ![...ledger.refused].some((id) => ledger.acked.has(id))) await sleep(5);
  const ready = await server.request('/readyz');
  await L.crash(server);
  await load.stop();
  cutPower(dir);
  server = await L.start(L.RELEASE_BIN, dir);
  await server.stop();
  const c = L.checkBooks(dir, world.tenantId, mark, ledger);
  L.report('failed-fsync release', {
    sent: ledger.sent.size, acknowledged: ledger.acked.size, refused: ledger.refused.size,
    'refused-then-acknowledged': [...ledger.refused].filter((id) => ledger.acked.has(id)).length,
    booked: c.booked, lost: c.lost, duplicated: c.duplicated,
  });
  assert.ok(ledger.refused.size > 0, 'the failed fsync refused nothing: the test proves nothing');
  assert.deepEqual([...ledger.refused].filter((id) => ledger.acked.has(id)), [],
                   'refused after the failed fsync, then acknowledged');
  assert.equal(ready.status, 503, `/readyz after a failed fsync: ${ready.text}`);
  assert.deepEqual(c.problems.slice(0, 20), [], `${c.problems.length} problems in the books`);
});
