// The order of fsyncs and answers, under load: an LD_PRELOAD shim (tests/crash/shim.c, built
// by the Makefile) logs every WAL write that carries a webhook's id, every commit frame, every
// fsync/fdatasync of the store's files and every HTTP answer leaving on a socket, in one
// global order. No 2xx to a webhook may leave before an fsync of the WAL that began after the
// commit holding that webhook returned. SIGKILL cannot see this (the kernel keeps unsynced
// writes), so this is the proof that an answer never runs ahead of its durability.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, test } = require('node:test');
const { makeTempDir, sleep } = require('../e2e/lib/server');
const L = require('./lib');

const cleanup = [];
after(async () => {
  await L.stopLoads();
  for (const fn of cleanup.reverse()) await fn();
});

test('the checker fails an answer that left before its fsync', () => {
  const ok = 'M 1 x1\nC 3\nS 4 6 wal\nA 7 200 x1\n';
  assert.deepEqual(L.fsyncOrder(ok, ['x1']).violations, []);
  const early = 'M 1 x1\nC 3\nA 4 200 x1\nS 5 6 wal\n';
  assert.match(L.fsyncOrder(early, ['x1']).violations[0], /no fsync of the WAL/);
  const syncBeforeCommit = 'S 1 2 wal\nM 3 x1\nC 4\nA 5 200 x1\n';
  assert.match(L.fsyncOrder(syncBeforeCommit, ['x1']).violations[0], /no fsync of the WAL/);
  const dbSyncOnly = 'M 1 x1\nC 2\nS 3 4 db\nA 5 200 x1\n';
  assert.match(L.fsyncOrder(dbSyncOnly, ['x1']).violations[0], /no fsync of the WAL/);
  const unseen = 'A 5 200 x1\n';
  assert.match(L.fsyncOrder(unseen, ['x1']).violations[0], /never written/);
});

for (const [build, bin] of [['release', L.RELEASE_BIN], ['sanitizer', L.SANITIZER_BIN]]) {
  test(`${build} build: no 2xx to a webhook leaves before the fsync that made it durable`, async () => {
    assert.ok(fs.existsSync(L.SHIM), `${L.SHIM} is missing: make ${path.relative(process.cwd(), L.SHIM)}`);
    const mock = await L.MockServices.start();
    const dir = makeTempDir();
    cleanup.push(() => mock.stop(), () => fs.rmSync(dir, { recursive: true, force: true }));
    const mark = L.randomMark();
    const log = path.join(dir, 'order.log');
    const env = L.shimEnv(dir, { CRASHSHIM_LOG: log, CRASHSHIM_MARK: mark });
    const server = await L.start(bin, dir, { first: true, env });
    cleanup.push(() => server.kill());
    const world = await L.setupWorld(server, mock);
    const ledger = L.newLedger();
    const load = new L.Load(server, world, mark, ledger, 0).start();
    await sleep(build === 'release' ? 3000 : 4000);
    await load.stop();
    await server.stop();

    const r = L.fsyncOrder(fs.readFileSync(log, 'utf8'), [...ledger.acked.keys()]);
    L.report(`fsync-order ${build}`, {
      acknowledged: ledger.acked.size, proven: r.matched, commits: r.commits,
      'wal-syncs': r.syncs, violations: r.violations.length,
    });
    assert.ok(ledger.acked.size > 50, `only ${ledger.acked.size} webhooks acknowledged`);
    assert.deepEqual(r.violations.slice(0, 20), [], `${r.violations.length} answers ran ahead of their fsync`);
    assert.equal(r.matched, ledger.acked.size);
  });
}
