// sync-clockify.test.js - issue 16's sync runs, end to end against a local Clockify: the
// first sync pages through every entry, a second imports nothing twice and asks only for the
// window since the last run, an entry changed upstream is updated and one deleted upstream is
// marked deleted, a 429 with Retry-After in the middle of paging is waited out, a failing API
// fails the run and imports nothing of it, refused credentials show on the install until a
// run succeeds, two sync requests at once get one run, and clients become customers.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { MockTimeTracking, waitRun, syncNow, allEntries } = require('./lib/mock-timetracking');

let server, mock, token;
const DAY = 86400000;

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// n entries over the last days, 90 minutes each (PT1H30M), 50.00 EUR an hour, two clients.
function makeEntries(n, prefix) {
  const out = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const start = now - (i % 20 + 1) * DAY - i * 60000;
    out.push({
      id: `${prefix}${String(i).padStart(5, '0')}`,
      description: `Work item ${i}`,
      billable: i % 5 !== 0,
      projectId: 'p1',
      userId: 'u-77',
      workspaceId: 'a1b2c3d4e5f6a1b2c3d4e5f6',
      timeInterval: { start: iso(start), end: iso(start + 90 * 60000), duration: 'PT1H30M' },
      hourlyRate: { amount: 5000, currency: 'EUR' },
      project: { name: i % 2 ? 'Website' : 'Audit', clientId: i % 2 ? 'cl-1' : 'cl-2',
                 clientName: i % 2 ? 'Globex GmbH' : 'Initech AG' },
    });
  }
  return out;
}

before(async () => {
  mock = await new MockTimeTracking().start();
  server = await startServer();
  token = server.token;
  const r = await server.request('/api/connectors/clockify/install', {
    method: 'POST', token,
    json: { config: { apiKey: mock.clockify.key, workspaceId: mock.clockify.workspace,
                      apiBaseUrl: `${mock.base}/clockify/api` } },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('the first sync pages through every entry and imports each once, in one shape', async () => {
  mock.clockify.entries = makeEntries(450, 'e');
  // a running timer (no end) is skipped
  mock.clockify.entries.push({ ...makeEntries(1, 'run')[0],
                               timeInterval: { start: iso(Date.now() - 3600000), end: null, duration: null } });
  const run = await syncNow(server, token, 'clockify');
  assert.equal(run.status, 'succeeded', run.error);
  assert.deepEqual(run.counts, { new: 450, updated: 0, deleted: 0, skipped: 1 });
  assert.equal(run.origin, 'manual');
  assert.ok(run.durationMs >= 0 && run.startedAt && run.finishedAt);

  const reqs = mock.requestsOf('clockify');
  assert.deepEqual(reqs.flatMap((r) => r.problems), []);
  const pages = reqs.filter((r) => r.path.endsWith('/time-entries')).map((r) => r.query.page);
  assert.deepEqual(pages, ['1', '2', '3'], 'three pages of 200');
  assert.ok(reqs.every((r) => r.headers['x-api-key'] === mock.clockify.key));

  const entries = await allEntries(server, token);
  assert.equal(entries.length, 450);
  const e = entries.find((x) => x.externalId === 'e00001');
  assert.equal(e.source, 'clockify');
  assert.equal(e.minutes, 90);
  assert.equal(e.hourlyRate, '50.00');
  assert.equal(e.currency, 'EUR');
  assert.equal(e.client, 'Globex GmbH');
  assert.equal(e.project, 'Website');
  assert.equal(e.description, 'Work item 1');
  assert.equal(e.invoiced, false);
  assert.equal(e.start, mock.clockify.entries[1].timeInterval.start.replace('Z', '.000Z'));

  const filtered = await allEntries(server, token, 'client=Initech+AG&billable=false');
  assert.ok(filtered.length > 0 && filtered.every((x) => x.client === 'Initech AG' && !x.billable));

  // the clients became customers, once each
  const customers = (await server.request('/api/customers?limit=100', { token })).json.customers;
  for (const name of ['Globex GmbH', 'Initech AG'])
    assert.equal(customers.filter((c) => c.name === name).length, 1, name);

  const detail = (await server.request('/api/connectors/clockify', { token })).json;
  assert.equal(detail.status, 'installed');
  assert.equal(detail.sync.lastRun.id, run.id);
  assert.ok(detail.sync.lastSuccessAt);
  assert.equal(detail.sync.intervalMinutes, 15);
});

test('a second sync imports nothing twice and asks only from the last run on', async () => {
  const firstEnd = Date.now();
  const before = mock.requests.length;
  const run = await syncNow(server, token, 'clockify');
  assert.equal(run.status, 'succeeded', run.error);
  assert.deepEqual(run.counts, { new: 0, updated: 0, deleted: 0, skipped: 1 });
  const req = mock.requests.slice(before).find((r) => r.path.endsWith('/time-entries'));
  const start = Date.parse(req.query.start);
  // the manifest's lookback is 14 days, from the start of that day
  assert.ok(start >= firstEnd - 15 * DAY && start <= firstEnd - 13 * DAY, req.query.start);
  assert.equal((await allEntries(server, token)).length, 450);
});

test('an entry changed upstream is updated, one deleted upstream is marked deleted', async () => {
  const changed = mock.clockify.entries.find((e) => e.id === 'e00002');
  changed.description = 'Work item 2, corrected';
  changed.timeInterval.duration = 'PT2H15M';
  mock.clockify.entries = mock.clockify.entries.filter((e) => e.id !== 'e00003');
  const run = await syncNow(server, token, 'clockify');
  assert.equal(run.status, 'succeeded', run.error);
  assert.deepEqual(run.counts, { new: 0, updated: 1, deleted: 1, skipped: 1 });
  const live = await allEntries(server, token);
  assert.equal(live.length, 449);
  const e2 = live.find((x) => x.externalId === 'e00002');
  assert.equal(e2.minutes, 135);
  assert.equal(e2.description, 'Work item 2, corrected');
  const gone = await allEntries(server, token, 'deleted=true');
  assert.deepEqual(gone.map((x) => x.externalId), ['e00003']);
  assert.ok(gone[0].deletedAt);
});

test('a 429 with Retry-After in the middle of paging is waited out', async () => {
  const before = mock.requests.length;
  mock.script('clockify', { pathPart: '/time-entries', when: (r) => r.query.page === '2', status: 429,
                            headers: { 'Retry-After': '1' }, body: { message: 'Too many requests' } });
  const t0 = Date.now();
  const run = await syncNow(server, token, 'clockify');
  assert.equal(run.status, 'succeeded', run.error);
  const pages = mock.requests.slice(before).filter((r) => r.path.endsWith('/time-entries'));
  // (the window is the last 14 days now: two pages)
  assert.deepEqual(pages.map((r) => `${r.query.page}:${r.status}`), ['1:200', '2:429', '2:200']);
  const retry = pages[2].at - pages[1].at;
  assert.ok(retry >= 950, `retried after ${retry} ms, not after Retry-After`);
  assert.ok(Date.now() - t0 >= 1000);
});

test('a failing API fails the run with its reason and imports nothing of it', async () => {
  mock.clockify.entries.push(...makeEntries(5, 'new'));
  mock.script('clockify', { pathPart: '/time-entries', when: (r) => r.query.page === '2', status: 500,
                            body: { message: 'Internal Server Error' }, times: 5 });
  const run = await syncNow(server, token, 'clockify');
  assert.equal(run.status, 'failed');
  assert.match(run.error, /HTTP 500/);
  mock.scripts.length = 0;
  // the first page had the new entries (newest first); none of them was imported
  const live = await allEntries(server, token);
  assert.equal(live.length, 449);
  assert.ok(!live.some((x) => x.externalId.startsWith('new')));

  // a malformed page fails the same way
  mock.script('clockify', { pathPart: '/time-entries', status: 200, body: '{"not": "a list"' });
  const bad = await syncNow(server, token, 'clockify');
  assert.equal(bad.status, 'failed');
  assert.match(bad.error, /malformed page/);
  assert.equal((await allEntries(server, token)).length, 449);

  // a service that cannot be reached: the reason once, whole (the transport's own words)
  const put = (base) => server.request('/api/connectors/clockify/config', {
    method: 'PUT', token, json: { config: { apiBaseUrl: base } } });
  assert.equal((await put('http://127.0.0.1:9/api')).status, 200);
  const down = await syncNow(server, token, 'clockify');
  assert.equal(down.status, 'failed');
  assert.match(down.error, /^Clockify did not answer GET \/api\/v1\/user: .*Couldn't connect to server$/);
  assert.equal(down.error.split('did not answer').length, 2, down.error);
  assert.equal((await put(`${mock.base}/clockify/api`)).status, 200);

  const ok = await syncNow(server, token, 'clockify');
  assert.equal(ok.status, 'succeeded', ok.error);
  assert.equal(ok.counts.new, 5);
});

test('refused credentials show on the install until a run succeeds', async () => {
  let r = await server.request('/api/connectors/clockify/config', {
    method: 'PUT', token, json: { config: { apiKey: 'wrong-key' } } });
  assert.equal(r.status, 200, r.text);
  const run = await syncNow(server, token, 'clockify');
  assert.equal(run.status, 'failed');
  assert.match(run.error, /refused the credentials \(HTTP 401/);
  let detail = (await server.request('/api/connectors/clockify', { token })).json;
  assert.equal(detail.status, 'error');
  assert.match(detail.statusMessage, /refused the credentials/);
  assert.ok(!JSON.stringify(detail).includes('wrong-key'));

  r = await server.request('/api/connectors/clockify/config', {
    method: 'PUT', token, json: { config: { apiKey: mock.clockify.key } } });
  assert.equal(r.status, 200, r.text);
  const good = await syncNow(server, token, 'clockify');
  assert.equal(good.status, 'succeeded', good.error);
  detail = (await server.request('/api/connectors/clockify', { token })).json;
  assert.equal(detail.status, 'installed');
  assert.equal(detail.sync.error, null);
});

test('two sync requests at once get one run', async () => {
  mock.delayMs = 300;
  try {
    const [a, b] = await Promise.all([
      server.request('/api/connectors/clockify/sync', { method: 'POST', token }),
      server.request('/api/connectors/clockify/sync', { method: 'POST', token }),
    ]);
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(a.json.id, b.json.id);
    assert.deepEqual([a.json.created, b.json.created].sort(), [false, true]);
    const run = await waitRun(server, token, 'clockify', a.json.id);
    assert.equal(run.status, 'succeeded', run.error);
  } finally {
    mock.delayMs = 0;
  }
});

test('members may list time entries; only admins start runs; unknown connectors are 404', async () => {
  const member = await server.createToken(server.tenantId, 'member');
  assert.equal((await server.request('/api/time-entries', { token: member })).status, 200);
  assert.equal((await server.request('/api/connectors/clockify/sync', { method: 'POST', token: member })).status, 403);
  assert.equal((await server.request('/api/connectors/mollie/sync', { method: 'POST', token })).status, 404); // mollie pulls nothing
  const notInstalled = await server.request('/api/connectors/mite/sync', { method: 'POST', token });
  assert.equal(notInstalled.status, 409);
  assert.equal(notInstalled.json.error.code, 'connector_not_installed');
  assert.equal((await server.request('/api/time-entries?billable=maybe', { token })).status, 400);
});
