// The periodic jobs (src/jobs/jobs.def), run by the server itself: every job runs when the
// server starts and shows its runs, failures, last start and duration in /metrics; the
// retention sweep forgets raw webhook bodies older than --webhook-body-days and keeps the
// newer ones and the log rows themselves.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const storeFile = require('./lib/store-file');
const { StripeTenant, invoicePaid } = require('./lib/stripe');

const JOBS = ['daily-summaries', 'retention', 'sync-runs', 'bank-matching'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-e2e-jobs-'));
let server;

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sql(statement) {
  return storeFile.sql(server, statement).trim();
}

// An RFC 3339 time this many days ago, as the server writes them.
function daysAgo(days) {
  return new Date(Date.now() - days * 86400000).toISOString();
}

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

// Polls /metrics until every job has run at least once (the first tick follows the start).
async function metricsAfterFirstRuns() {
  let text = '';
  for (let i = 0; i < 100; i++) {
    text = (await server.request('/metrics')).text;
    if (JOBS.every((j) => sample(text, `connectord_job_runs_total{job="${j}"}`) >= 1)) return text;
    await sleep(50);
  }
  assert.fail(`not every job ran:\n${text}`);
}

test('every job runs at start and reports its runs, failures, last run and duration', async () => {
  server = await startServer({ dir });
  const before = Date.now() / 1000;
  const text = await metricsAfterFirstRuns();
  assert.match(text, /^# TYPE connectord_job_runs_total counter$/m);
  assert.match(text, /^# TYPE connectord_job_failures_total counter$/m);
  assert.match(text, /^# TYPE connectord_job_last_run_timestamp_seconds gauge$/m);
  assert.match(text, /^# TYPE connectord_job_last_duration_seconds gauge$/m);
  for (const job of JOBS) {
    assert.equal(sample(text, `connectord_job_runs_total{job="${job}"}`), 1, job);
    assert.equal(sample(text, `connectord_job_failures_total{job="${job}"}`), 0, job);
    const last = sample(text, `connectord_job_last_run_timestamp_seconds{job="${job}"}`);
    assert.ok(Math.abs(last - before) < 30, `${job} last ran at ${last}, the test began at ${before}`);
    const took = sample(text, `connectord_job_last_duration_seconds{job="${job}"}`);
    assert.ok(took >= 0 && took < 10, `${job} took ${took} s`);
  }
});

test('the retention sweep forgets webhook bodies older than --webhook-body-days', async () => {
  const t = await StripeTenant.create(server);
  for (let i = 0; i < 2; i++)
    assert.equal((await t.send(invoicePaid().body)).status, 200);
  const where = `tenant_id = '${t.tenantId}'`;
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where} AND body IS NOT NULL`), '2');
  // One of the two was received 3 days ago; the server keeps bodies 2 days.
  sql(`UPDATE webhook_logs SET received_at = '${daysAgo(3)}' ` +
      `WHERE id = (SELECT min(id) FROM webhook_logs WHERE ${where})`);
  await server.stop();
  server = await startServer({ dir, expectDemo: false, args: ['--webhook-body-days', '2'] });
  await metricsAfterFirstRuns();
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where}`), '2', 'the rows stay');
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where} AND body IS NULL AND ` +
                   `received_at < '${daysAgo(2)}'`), '1');
  assert.equal(sql(`SELECT count(*) FROM webhook_logs WHERE ${where} AND body IS NOT NULL`), '1',
               'the newer body is kept');
});
