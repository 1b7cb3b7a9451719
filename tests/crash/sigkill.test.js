// SIGKILL under load: signed webhooks of three providers arrive over 64 connections while the
// server is killed at random moments and restarted on the same store (CRASH_CYCLES times, 5 in
// make test, 20 in make crash), on the release and on the sanitizer build. The webhooks that
// got no 2xx are sent again after each restart, as providers do. Afterwards every acknowledged
// webhook is booked exactly once, nothing is half-booked, every entry balances, and every
// payment.settled event reaches the sink (duplicates allowed and counted).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, test } = require('node:test');
const { makeTempDir } = require('../e2e/lib/server');
const { eventually } = require('../e2e/lib/outbound');
const L = require('./lib');

const cleanup = [];
after(async () => {
  await L.stopLoads();
  for (const fn of cleanup.reverse()) await fn();
});

for (const [build, bin] of [['release', L.RELEASE_BIN], ['sanitizer', L.SANITIZER_BIN]]) {
  test(`${build} build: ${L.CYCLES} SIGKILLs under load lose and double nothing acknowledged`, async () => {
    const mock = await L.MockServices.start();
    const dir = makeTempDir();
    cleanup.push(() => mock.stop(), () => fs.rmSync(dir, { recursive: true, force: true }));
    let server = await L.start(bin, dir, { first: true });
    cleanup.push(() => server.kill());
    const world = await L.setupWorld(server, mock);
    const mark = L.randomMark();
    const ledger = L.newLedger();
    for (let cycle = 0; cycle < L.CYCLES; cycle++) {
      if (cycle > 0) server = await L.start(bin, dir);
      const load = new L.Load(server, world, mark, ledger, cycle).start();
      await L.randomMoment(ledger);
      await L.crash(server);
      await load.stop();
    }
    // a last start drains what the crashes left pending, then a clean stop
    server = await L.start(bin, dir);
    const base = `/api/projects/${world.tenantId}/connectors/${world.sink.connectorId}/deliveries`;
    await eventually(async () => {
      for (const status of ['pending', 'delivering']) {
        const r = await server.request(`${base}?status=${status}&limit=1`, { token: world.token });
        assert.equal(r.status, 200, r.text);
        if (r.json.deliveries.length) return false;
      }
      return true;
    }, 'every delivery to the sink delivered', 60000, 200);
    await server.stop();

    const c = L.checkBooks(dir, world.tenantId, mark, ledger);
    const sink = L.sinkCounts(world.sink);
    const settled = L.sql(dir, `SELECT id FROM events WHERE tenant_id='${world.tenantId}' AND type='payment.settled'`);
    const undelivered = settled.filter((e) => !sink.got.has(e.id)).map((e) => e.id);
    L.report(`sigkill ${build}`, {
      cycles: L.CYCLES, sent: ledger.sent.size, acknowledged: ledger.acked.size,
      booked: c.booked, lost: c.lost, duplicated: c.duplicated, events: settled.length,
      'sink-lost': undelivered.length, 'sink-duplicates': sink.duplicates,
    });
    assert.deepEqual(ledger.other, [], 'answers other than 2xx, 503 or a dropped connection');
    assert.ok(ledger.acked.size > 0, 'nothing was acknowledged: the test proves nothing');
    assert.ok(ledger.sent.size > ledger.acked.size || L.CYCLES === 0, 'no request was cut by a crash');
    assert.deepEqual(c.problems.slice(0, 20), [], `${c.problems.length} problems in the books`);
    assert.deepEqual(undelivered.slice(0, 20), [], `${undelivered.length} events never reached the sink`);
    world.sink.assertAllOk();
  });
}
