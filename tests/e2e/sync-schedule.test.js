// sync-schedule.test.js - the schedule of the pulling connectors (issue 16): an installed
// connector is first synced by the periodic job one interval (syncIntervalMinutes, default
// 15) after it was installed, then every interval after its last run; the run is recorded
// with origin "schedule". The server is restarted with its clock moved on
// (CONNECTORD_CLOCK_OFFSET, in seconds) instead of waiting.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/server');
const { MockTimeTracking } = require('./lib/mock-timetracking');

const MIN = 60000;
let server, mock, dir, token;

before(async () => {
  mock = await new MockTimeTracking().start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-sync-schedule-'));
  server = await startServer({ dir });
  token = server.token;
  const start = new Date(Date.now() - 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  mock.clockify.entries.push({ id: 'sch1', description: 'Planning', billable: true, userId: 'u-77',
                               timeInterval: { start, end: start, duration: 'PT30M' },
                               project: { name: 'Ops', clientId: 'c1', clientName: 'Acme' } });
  const r = await server.request('/api/connectors/clockify/install', {
    method: 'POST', token,
    json: { config: { apiKey: mock.clockify.key, workspaceId: mock.clockify.workspace,
                      apiBaseUrl: `${mock.base}/clockify/api`, syncIntervalMinutes: 20 } },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await server?.stop();
  await mock?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function restartAt(offsetMs) {
  await server.stop();
  server = await startServer({ dir, expectDemo: false, env: { CONNECTORD_CLOCK_OFFSET: String(offsetMs / 1000) } });
}

async function runs() {
  return (await server.request('/api/connectors/clockify/sync-runs', { token })).json.runs;
}

async function waitForRuns(n) {
  for (let i = 0; i < 200; i++) {
    const list = await runs();
    if (list.length >= n && list.every((r) => r.status === 'succeeded' || r.status === 'failed')) return list;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no ${n} ended runs: ${JSON.stringify(await runs())}`);
}

test('nothing runs before the interval has passed since the install', async () => {
  await restartAt(10 * MIN);
  await new Promise((res) => setTimeout(res, 1500));
  assert.deepEqual(await runs(), []);
  assert.equal(mock.requests.length, 0);
});

test('one interval after the install the job runs it, then again an interval later', async () => {
  await restartAt(21 * MIN);
  const [first] = await waitForRuns(1);
  assert.equal(first.origin, 'schedule');
  assert.equal(first.status, 'succeeded', first.error);
  assert.equal(first.counts.new, 1);
  const detail = (await server.request('/api/connectors/clockify', { token })).json;
  assert.equal(detail.sync.intervalMinutes, 20);
  const next = Date.parse(detail.sync.nextRunAt) - Date.parse(first.finishedAt);
  assert.ok(Math.abs(next - 20 * MIN) < 5000, `next run ${next} ms after the last`);

  await restartAt(32 * MIN); // 11 minutes after the last run: not yet
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal((await runs()).length, 1);
  await restartAt(42 * MIN); // 21 minutes after it: again
  const list = await waitForRuns(2);
  assert.equal(list[0].origin, 'schedule');
  assert.deepEqual(list[0].counts, { new: 0, updated: 0, deleted: 0, skipped: 0 });
});
