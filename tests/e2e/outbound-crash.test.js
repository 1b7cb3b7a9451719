// Crash safety of the outbox: the server is killed with SIGKILL while deliveries are in
// flight (the services answer slowly), restarted on the same store, and every event still
// reaches every destination at least once; none is missing. Claims of the killed process
// expire after --delivery-lease (3 s here) and are taken again.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, test } = require('node:test');
const { makeTempDir, sleep, startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

const ARGS = ['--delivery-lease', '3000', '--retry-schedule', '1s,1s,1s,1s,1s', '--delivery-timeout', '10000'];
const EVENTS = 60;

let mock;
let dir;
const servers = [];

after(async () => {
  for (const s of servers) {
    if (s.killed) await s.kill();
    else await s.stop();
  }
  await mock?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// SIGKILL: no chance to finish requests in flight or to record their answers.
async function crash(server) {
  server.killed = true;
  await server.kill();
  assert.equal(server.exitSignal, 'SIGKILL');
}

test('SIGKILL mid-delivery, restart on the same store: every event arrives at least once', async () => {
  mock = await MockServices.start();
  dir = makeTempDir();
  const first = await startServer({ dir, args: ARGS });
  servers.push(first);
  const project = await Project.create(first);
  const eps = [mock.endpoint('zapier'), mock.endpoint('segment')];
  for (const ep of eps) {
    await project.destination(ep, ['endpoint.created']);
    ep.always({ status: 200, delayMs: 2000 }); // the services are slow: requests stay in flight
  }
  const events = [];
  for (let i = 0; i < EVENTS; i++) events.push(await project.publish('endpoint.created', { n: i }));

  // a first batch is answered and recorded, the next is in flight at the mock
  await eventually(async () => (await project.deliveries(eps[0].connectorId, { status: 'delivered' })).length > 0,
                   'some deliveries recorded before the crash', 10000);
  const total = () => eps.reduce((n, ep) => n + ep.requests.length, 0);
  const firstBatch = total();
  await eventually(() => total() > firstBatch, 'the second batch in flight', 5000);
  await sleep(200);
  const before = {};
  for (const ep of eps) before[ep.connectorId] = new Set(
    (await project.deliveries(ep.connectorId, { status: 'delivered' })).map((d) => d.eventId));
  const sentBeforeCrash = total();
  await crash(first);
  const recorded = Object.values(before).reduce((n, s) => n + s.size, 0);
  assert.ok(recorded < EVENTS * eps.length,
            'everything was delivered before the crash, so the test proves nothing');
  assert.ok(sentBeforeCrash > recorded, 'no request was in flight at the crash');

  // the services answer fast now; the same store, a new process
  for (const ep of eps) ep.always(null);
  const second = await startServer({ dir, args: ARGS, expectDemo: false });
  servers.push(second);
  const again = new Project(second, { tenantId: project.id, token: project.token });
  for (const ep of eps) {
    await eventually(async () => {
      const list = await again.deliveries(ep.connectorId);
      return list.length === EVENTS && list.every((d) => d.status === 'delivered');
    }, `all ${EVENTS} deliveries to ${ep.type} delivered after the restart`, 20000, 200);
  }
  for (const ep of eps) {
    ep.assertAllOk();
    const got = new Map();
    for (const r of ep.requests) {
      const id = ep.type === 'segment' ? r.json.messageId : r.json.id;
      got.set(id, (got.get(id) || 0) + 1);
    }
    const missing = events.filter((e) => !got.has(e.id)).map((e) => e.id);
    assert.deepEqual(missing, [], `${ep.type}: events that never arrived`);
    assert.equal(got.size, EVENTS);
    // what was recorded as delivered before the crash is not sent again
    for (const id of before[ep.connectorId])
      assert.equal(got.get(id), 1, `${ep.type}: ${id} was delivered before the crash and sent again`);
  }
  // the restarted server answers and stops cleanly (stop() checks for sanitizer reports)
  await second.stop();
});
