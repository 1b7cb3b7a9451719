// SIGKILL while the delivery engine drains a backlog: webhooks fill the outbox while the sink
// answers slowly, then the server is killed at random moments as it drains to the sink and
// restarted on the same store (CRASH_CYCLES times). Every event reaches the sink at least once
// (none lost); an event sent but not yet recorded when the process died is sent again, so
// duplicates are allowed, counted and printed.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { after, test } = require('node:test');
const { makeTempDir, sleep } = require('../e2e/lib/server');
const { eventually } = require('../e2e/lib/outbound');
const L = require('./lib');

// webhooks (one payment.settled event each) in the backlog
const BACKLOG = 300;
const cleanup = [];
after(async () => {
  await L.stopLoads();
  for (const fn of cleanup.reverse()) await fn();
});

async function backlog(server, world) {
  const r = await server.request(
    `/api/projects/${world.tenantId}/connectors/${world.sink.connectorId}/deliveries?status=pending&limit=1`,
    { token: world.token });
  assert.equal(r.status, 200, r.text);
  return r.json.deliveries.length;
}

for (const [build, bin] of [['release', L.RELEASE_BIN], ['sanitizer', L.SANITIZER_BIN]]) {
  test(`${build} build: ${L.CYCLES} SIGKILLs while draining a backlog lose no event`, async () => {
    const mock = await L.MockServices.start();
    const dir = makeTempDir();
    cleanup.push(() => mock.stop(), () => fs.rmSync(dir, { recursive: true, force: true }));
    let server = await L.start(bin, dir, { first: true });
    cleanup.push(() => server.kill());
    const world = await L.setupWorld(server, mock);
    const mark = L.randomMark();
    const ledger = L.newLedger();

    // the backlog: the sink takes 2 s per request while the webhooks come in
    world.sink.always({ status: 200, delayMs: 2000 });
    const load = new L.Load(server, world, mark, ledger, 0).start();
    await eventually(() => ledger.acked.size >= BACKLOG, `${BACKLOG} webhooks acknowledged`, 60000);
    await load.stop();
    assert.ok(await backlog(server, world) > 0, 'no backlog: the test proves nothing');

    // drain with crashes: the sink answers after 1 s now (64 at a time), so a drain
    // outlasts the cycles
    world.sink.always({ status: 200, delayMs: 1000 });
    let killedWithBacklog = 0;
    for (let cycle = 0; cycle < L.CYCLES; cycle++) {
      if (cycle > 0) server = await L.start(bin, dir);
      await sleep(200 + crypto.randomInt(800));
      if (await backlog(server, world) > 0) killedWithBacklog++;
      await L.crash(server);
    }
    world.sink.always(null);
    server = await L.start(bin, dir);
    await eventually(async () => (await backlog(server, world)) === 0 &&
      (await server.request(`/api/projects/${world.tenantId}/connectors/${world.sink.connectorId}/deliveries?status=delivering&limit=1`,
                            { token: world.token })).json.deliveries.length === 0,
    'the backlog drained', 90000, 200);
    await server.stop();

    const events = L.sql(dir, `SELECT e.id, d.status FROM events e JOIN deliveries d ON d.event_id = e.id
                               WHERE e.tenant_id='${world.tenantId}' AND e.type='payment.settled'`);
    const sink = L.sinkCounts(world.sink);
    const lost = events.filter((e) => !sink.got.has(e.id)).map((e) => e.id);
    const notDelivered = events.filter((e) => e.status !== 'delivered').map((e) => `${e.id} ${e.status}`);
    L.report(`drain ${build}`, {
      cycles: L.CYCLES, 'killed-with-backlog': killedWithBacklog, events: events.length,
      delivered: sink.got.size, lost: lost.length, duplicated: sink.duplicates,
    });
    assert.ok(killedWithBacklog > 0, 'no crash hit a backlog: the test proves nothing');
    assert.ok(events.length >= ledger.acked.size, 'fewer events than acknowledged webhooks');
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} events never reached the sink`);
    assert.deepEqual(notDelivered.slice(0, 20), [], 'deliveries not recorded as delivered');
    world.sink.assertAllOk();
  });
}
