// sync-services.test.js - the other time-tracking manifests against local mocks of their
// services: mite (X-MiteApiKey, {"time_entry": ...} rows, minutes, cents, the account's
// currency), Toggl Track (Reports API v3 over Basic auth, paged by X-Next-ID /
// X-Next-Row-Number, the window cut into ranges the service accepts, 402 when the quota is
// spent deferring the run instead of failing it), Timely (OAuth 2: the consent's code
// exchanged, the bearer token renewed after a 401), and Trakro, which has no public API.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { MockTimeTracking, waitRun, syncNow, allEntries } = require('./lib/mock-timetracking');

let server, mock, token;
const DAY = 86400000;

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

async function install(slug, config) {
  const r = await server.request(`/api/connectors/${slug}/install`, { method: 'POST', token, json: { config } });
  assert.equal(r.status, 201, r.text);
}

before(async () => {
  mock = await new MockTimeTracking().start();
  server = await startServer();
  token = server.token;
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('mite: wrapped rows, minutes and cents, two pages, the account currency', async () => {
  const now = Date.now();
  for (let i = 0; i < 150; i++)
    mock.mite.entries.push({ id: 1000 + i, minutes: 30 + i % 4 * 15, date_at: isoDay(now - (i % 10 + 1) * DAY),
                             note: `Review ${i}`, billable: true, locked: false, revenue: null,
                             hourly_rate: 8550, user_id: 3, user_name: 'Grace', project_id: 5,
                             project_name: 'Migration', customer_id: 77, customer_name: 'Umbrella KG',
                             service_id: 1, service_name: 'Dev', created_at: '2026-01-01T10:00:00+01:00',
                             updated_at: '2026-01-01T10:00:00+01:00' });
  mock.mite.entries.push({ ...mock.mite.entries[0], id: 9999, tracking: { minutes: 12, since: '2026-01-01T10:00:00+01:00' } });
  await install('mite', { apiKey: mock.mite.key, subdomain: 'acme', apiBaseUrl: `${mock.base}/mite` });
  const run = await syncNow(server, token, 'mite');
  assert.equal(run.status, 'succeeded', run.error);
  assert.deepEqual(run.counts, { new: 150, updated: 0, deleted: 0, skipped: 1 });
  const reqs = mock.requestsOf('mite');
  assert.deepEqual(reqs.flatMap((r) => r.problems), []);
  assert.deepEqual(reqs.filter((r) => r.path === '/mite/time_entries.json').map((r) => r.query.page), ['1', '2']);
  const entries = (await allEntries(server, token)).filter((e) => e.source === 'mite');
  assert.equal(entries.length, 150);
  const e = entries.find((x) => x.externalId === '1001');
  assert.equal(e.minutes, 45);
  assert.equal(e.hourlyRate, '85.50');
  assert.equal(e.currency, 'EUR');
  assert.equal(e.client, 'Umbrella KG');
  assert.match(e.start, /T00:00:00\.000Z$/);
  const customers = (await server.request('/api/customers?limit=100', { token })).json.customers;
  assert.equal(customers.filter((c) => c.name === 'Umbrella KG').length, 1);
});

function togglRow(i, start) {
  return { user_id: 1, username: 'Linus', project_id: 10, project_name: 'Kernel', client_name: 'Hooli Inc',
           billable: i % 2 === 0, description: `Patch ${i}`, hourly_rate_in_cents: 12000, currency: 'USD',
           time_entries: [{ id: 500000 + i, seconds: 3600 + 60 * (i % 3), start, stop: start, at: start }] };
}

test('toggl: Reports API pages by header cursor, the window in ranges, Basic auth', async () => {
  const now = Date.now();
  for (let i = 0; i < 120; i++)
    mock.toggl.rows.push(togglRow(i, new Date(now - (i % 25 + 1) * DAY).toISOString()));
  // a timer still running (no stop) is skipped
  mock.toggl.rows.push({ ...togglRow(999, new Date(now - 2 * DAY).toISOString()),
                         time_entries: [{ id: 999999, seconds: 60, start: new Date(now - 2 * DAY).toISOString(), stop: null }] });
  await install('toggl', { apiToken: mock.toggl.token, workspaceId: mock.toggl.workspace,
                           apiBaseUrl: `${mock.base}/toggl` });
  const run = await syncNow(server, token, 'toggl');
  assert.equal(run.status, 'succeeded', run.error);
  assert.deepEqual(run.counts, { new: 120, updated: 0, deleted: 0, skipped: 1 });
  const reqs = mock.requestsOf('toggl');
  assert.deepEqual(reqs.flatMap((r) => r.problems), []);
  // a year back in ranges of at most 92 days, each day once
  const ranges = [...new Set(reqs.map((r) => `${r.json.start_date}..${r.json.end_date}`))];
  assert.ok(ranges.length >= 4, ranges.join(' '));
  for (const r of reqs) {
    const days = (Date.parse(r.json.end_date) - Date.parse(r.json.start_date)) / DAY + 1;
    assert.ok(days <= 92, `${r.json.start_date}..${r.json.end_date}`);
  }
  // the last range was paged: first_id / first_row_number from the headers
  const paged = reqs.filter((r) => r.json.first_row_number);
  assert.deepEqual(paged.map((r) => r.json.first_row_number), [51, 101]);
  assert.ok(paged.every((r) => typeof r.json.first_id === 'number'));
  // about one request a second
  for (let i = 1; i < reqs.length; i++)
    assert.ok(reqs[i].at - reqs[i - 1].at >= 900, `requests ${i - 1} and ${i} too close`);
  const e = (await allEntries(server, token, 'client=Hooli+Inc')).find((x) => x.externalId === '500001');
  assert.equal(e.minutes, 61);
  assert.equal(e.hourlyRate, '120.00');
  assert.equal(e.currency, 'USD');
  assert.equal(e.billable, false);
  assert.equal(e.project, 'Kernel');
});

test('toggl: a spent quota (402) defers the run until it resets; it does not fail', async () => {
  mock.toggl.rows.push(togglRow(200, new Date(Date.now() - DAY).toISOString()));
  mock.script('toggl', { status: 402, headers: { 'X-Toggl-Quota-Remaining': '0', 'X-Toggl-Quota-Resets-In': '2' },
                         body: '"You have hit your hourly limit for API calls."' });
  const r = await server.request('/api/connectors/toggl/sync', { method: 'POST', token });
  assert.equal(r.status, 202);
  // deferred: queued again, with the reason, and the install's next run at the reset
  let deferred;
  for (let i = 0; i < 50 && !deferred; i++) {
    const runs = (await server.request('/api/connectors/toggl/sync-runs', { token })).json.runs;
    const run = runs.find((x) => x.id === r.json.id);
    if (run.status === 'queued' && run.error) deferred = run;
    else await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(deferred, 'the run was not deferred');
  assert.match(deferred.error, /quota is spent \(HTTP 402\).*2 s/);
  const again = await server.request('/api/connectors/toggl/sync', { method: 'POST', token });
  assert.equal(again.json.id, r.json.id, 'the deferred run is the install\'s run');
  const run = await waitRun(server, token, 'toggl', r.json.id);
  assert.equal(run.status, 'succeeded', run.error);
  assert.equal(run.counts.new, 1);
});

test('timely: OAuth 2 consent, bearer token, renewal after a 401', async () => {
  const now = Date.now();
  for (let i = 0; i < 30; i++)
    mock.timely.entries.push({ id: 7000 + i, uid: `u${i}`, day: isoDay(now - (i % 5 + 1) * DAY),
                               note: `Call ${i}`, estimated: false, billed: false,
                               duration: { hours: 1, minutes: 15, total_minutes: 75, total_seconds: 4500, formatted: '01:15' },
                               hour_rate: 99.0, hour_rate_in_cents: 9900, user: { id: 1, name: 'Ada' },
                               project: { id: 3, name: 'Support', billable: true, client: { id: 44, name: 'Wayne Ltd' } } });
  mock.timely.entries.push({ ...mock.timely.entries[0], id: 7999, estimated: true });
  await install('timely', { clientId: mock.timely.clientId, clientSecret: mock.timely.clientSecret,
                            apiBaseUrl: `${mock.base}/timely/1.1` });
  // not connected yet: the run fails and says so
  const early = await syncNow(server, token, 'timely');
  assert.equal(early.status, 'failed');
  const start = await server.request('/api/connectors/timely/oauth/start', { token });
  assert.equal(start.status, 200, start.text);
  const state = new URL(start.json.authorizeUrl).searchParams.get('state');
  const cb = await server.request(`/api/connectors/timely/oauth/callback?code=${mock.timely.code}&state=${encodeURIComponent(state)}`,
                                  { headers: { accept: 'application/json' } });
  assert.equal(cb.status, 200, cb.text);
  const run = await syncNow(server, token, 'timely');
  assert.equal(run.status, 'succeeded', run.error);
  assert.deepEqual(run.counts, { new: 30, updated: 0, deleted: 0, skipped: 1 });
  const e = (await allEntries(server, token, 'client=Wayne+Ltd'))[0];
  assert.equal(e.minutes, 75);
  assert.equal(e.hourlyRateMinor, 9900);
  assert.equal(e.billable, true);
  // the service revokes the access token: one renewal, one retry, the run succeeds
  mock.timely.token = 'revoked-elsewhere';
  const before = mock.requests.length;
  const renewed = await syncNow(server, token, 'timely');
  assert.equal(renewed.status, 'succeeded', renewed.error);
  const after = mock.requests.slice(before);
  assert.ok(after.some((r) => r.form && r.form.grant_type === 'refresh_token'));
  assert.deepEqual(after.flatMap((r) => r.problems), []);
});

test('trakro: no public API, so no runs, and the catalog says why', async () => {
  const entry = (await server.request('/api/connectors/trakro', { token })).json;
  assert.match(entry.description, /no API documentation/);
  await install('trakro', { apiKey: 'trk-1' });
  const r = await server.request('/api/connectors/trakro/sync', { method: 'POST', token });
  assert.equal(r.status, 409);
  assert.match(r.json.error.message, /publishes no API documentation/);
  const detail = (await server.request('/api/connectors/trakro', { token })).json;
  assert.equal(detail.sync.available, false);
});
