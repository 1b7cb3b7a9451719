// revenue.daily_summary: `connectord events daily-summary --date D` on the store of a
// running server emits one summary per tenant and local day (in the tenant's time zone,
// Europe/Vienna by default) with the day's revenue per currency and its top customers; a
// second run, or two runs at once, add none; the running server delivers it to the
// destinations that subscribe to it.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const { StripeTenant, invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

let server;
let mock;
let shop;
let quiet;
let eps;

// The local day in Vienna of a time, YYYY-MM-DD.
function viennaDay(date = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Vienna', year: 'numeric',
                                            month: '2-digit', day: '2-digit' }).format(date);
}

async function summaries(project, day) {
  return (await project.events({ limit: '100' }))
    .filter((e) => e.type === 'revenue.daily_summary' && e.data.date === day);
}

async function runSummary(args) {
  const r = await server.cli(['events', 'daily-summary', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const DAY = viennaDay();

before(async () => {
  mock = await MockServices.start();
  server = await startServer();
  // a shop with two customers' payments today, and a tenant with none
  const stripe = new StripeTenant(server, await server.createTenant(`Daily ${Date.now()}`, 'enterprise'));
  await stripe.install({ direction: 'revenue' });
  shop = new Project(server, { tenantId: stripe.tenantId, token: stripe.token });
  eps = { slack: mock.endpoint('slack'), n8n: mock.endpoint('n8n'), segment: mock.endpoint('segment') };
  await shop.destination(eps.slack, ['revenue.daily_summary']);
  await shop.destination(eps.n8n, ['revenue.daily_summary']);
  await shop.destination(eps.segment, ['payment.settled']);
  for (const p of [invoicePaid({ amount: 9900, currency: 'eur' }),
                   invoicePaid({ amount: 4900, currency: 'eur', customer: 'cus_Second', name: 'Second Buyer AG',
                                 email: 'second@example.com' }),
                   invoicePaid({ amount: 120000, currency: 'jpy' })]) {
    const res = await stripe.send(p.body);
    assert.equal(res.status, 200, res.text);
  }
  quiet = await Project.create(server);
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('one summary per tenant for the day, with the totals per currency and the top customers', async () => {
  const out = await runSummary(['--date', DAY]);
  assert.ok(out.emitted >= 2, JSON.stringify(out));
  const [summary, ...more] = await summaries(shop, DAY);
  assert.equal(more.length, 0);
  assert.ok(summary, 'no summary for the shop');
  assert.equal(summary.data.date, DAY);
  assert.equal(summary.data.timeZone, 'Europe/Vienna');
  const totals = Object.fromEntries(summary.data.totals.map((t) => [t.currency, t]));
  assert.deepEqual(Object.keys(totals).sort(), ['EUR', 'JPY']);
  assert.equal(totals.EUR.amount, '148.00');
  assert.equal(totals.EUR.count, 2);
  assert.equal(totals.JPY.amount, '120000');
  assert.equal(totals.JPY.count, 1);
  const names = summary.data.topCustomers.map((c) => c.name);
  assert.ok(names.includes('Example Buyer GmbH') && names.includes('Second Buyer AG'), JSON.stringify(names));

  const [none, ...extra] = await summaries(quiet, DAY);
  assert.equal(extra.length, 0);
  assert.ok(none, 'a tenant without payments gets a summary too');
  assert.deepEqual(none.data.totals, []);
  assert.deepEqual(none.data.topCustomers, []);
});

test('running it again, for all tenants or one, emits nothing more', async () => {
  assert.deepEqual(await runSummary(['--date', DAY]), { emitted: 0 });
  assert.deepEqual(await runSummary(['--date', DAY, '--tenant', shop.id]), { emitted: 0 });
  assert.equal((await summaries(shop, DAY)).length, 1);
  assert.equal((await summaries(quiet, DAY)).length, 1);
});

test('two runs at once for a new day emit each tenant\'s summary exactly once', async () => {
  const day = '2026-01-15';
  const [a, b] = await Promise.all([runSummary(['--date', day]), runSummary(['--date', day])]);
  const tenants = a.emitted + b.emitted;
  assert.ok(tenants >= 2, JSON.stringify([a, b]));
  assert.equal((await summaries(shop, day)).length, 1);
  assert.equal((await summaries(quiet, day)).length, 1);
  assert.deepEqual(await runSummary(['--date', day]), { emitted: 0 });
});

test('the running server delivers the summary to the destinations that subscribe to it', async () => {
  const [summary] = await summaries(shop, DAY);
  const slack = (await eps.slack.waitFor(2)).find((r) => r.json.text.includes(DAY));
  eps.slack.assertAllOk();
  assert.ok(slack, 'no Slack message for the day');
  assert.match(slack.json.text, /Daily revenue summary/);
  assert.match(slack.json.text, /148\.00 EUR \(2 payments\)/);
  assert.match(slack.json.text, /120000 JPY \(1 payment\)/);
  const n8n = (await eps.n8n.waitFor(2)).find((r) => r.json.id === summary.id);
  eps.n8n.assertAllOk();
  assert.deepEqual(n8n.json, summary);
  await shop.settled(eps.n8n.connectorId, summary.id, 'delivered');
  await sleep(200);
  // one each for DAY and 2026-01-15 (the server's own scheduler may add yesterday's), and
  // no summary where it is not subscribed
  const days = (reqs, dayOf) => reqs.map(dayOf).filter((d) => d === DAY || d === '2026-01-15').sort();
  assert.deepEqual(days(eps.slack.requests, (r) => /for (\d{4}-\d\d-\d\d)/.exec(r.json.text)?.[1]),
                   ['2026-01-15', DAY].sort());
  assert.deepEqual(days(eps.n8n.requests, (r) => r.json.data.date), ['2026-01-15', DAY].sort());
  assert.ok(eps.segment.requests.every((r) => r.json.event === 'payment.settled'));
});

test('--date must be a date', async () => {
  const r = await server.cli(['events', 'daily-summary', '--date', 'yesterday']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /YYYY-MM-DD/);
});

test('each tenant\'s day is a day in its own time zone (settings timeZone)', async () => {
  // Bounds of the same dates in three zones: winter, summer, and the day the clocks go
  // forward (2026-03-29, 23 hours long in Europe).
  const cases = [
    ['Europe/London', '2026-01-15', '2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z'],
    ['Europe/London', '2026-07-01', '2026-06-30T23:00:00.000Z', '2026-07-01T23:00:00.000Z'],
    ['Europe/Helsinki', '2026-07-01', '2026-06-30T21:00:00.000Z', '2026-07-01T21:00:00.000Z'],
    ['Europe/Helsinki', '2026-03-29', '2026-03-28T22:00:00.000Z', '2026-03-29T21:00:00.000Z'],
    ['Europe/Vienna', '2026-03-29', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
  ];
  for (const [zone, day, from, to] of cases) {
    const p = await Project.create(server);
    const put = await p.req('PUT', '/api/settings', { timeZone: zone });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await runSummary(['--date', day, '--tenant', p.id]), { emitted: 1 });
    const [summary] = await summaries(p, day);
    assert.ok(summary, `no summary for ${zone} ${day}`);
    assert.equal(summary.data.timeZone, zone);
    assert.equal(summary.data.from, from, `${zone} ${day}`);
    assert.equal(summary.data.to, to, `${zone} ${day}`);
  }
});

test('without --date, yesterday is the day before today in each tenant\'s zone', async () => {
  const p = await Project.create(server);
  const put = await p.req('PUT', '/api/settings', { timeZone: 'Europe/Helsinki' });
  assert.equal(put.status, 200, put.text);
  const r = await runSummary(['--tenant', p.id]);
  assert.ok(r.emitted <= 1, JSON.stringify(r)); // the server's scheduler may have been first
  const helsinkiToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric',
                                                          month: '2-digit', day: '2-digit' }).format(new Date());
  const yesterday = new Date(`${helsinkiToday}T12:00:00Z`);
  yesterday.setUTCDate(yesterday.getUTCDate() - 1);
  const day = yesterday.toISOString().slice(0, 10);
  const found = await summaries(p, day);
  assert.equal(found.length, 1, `expected one summary for ${day}`);
  assert.equal(found[0].data.timeZone, 'Europe/Helsinki');
});

// The server's own scheduler sends yesterday's summary only to tenants that existed
// yesterday: a tenant made today is not told it earned nothing on a day before it was there,
// and gets its first summary the day after it was made.
test('the scheduler sends no summary of a day that ended before the tenant was made', async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const DAY_S = 86400;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-e2e-summary-'));
  let own;
  // Starts a server on dir with its clock moved by `days`, and waits for the summary job.
  async function startAndTick(days) {
    own = await startServer({ dir, expectDemo: false,
                              env: { CONNECTORD_CLOCK_OFFSET: String(days * DAY_S) } });
    for (let i = 0; i < 200; i++) {
      const text = (await own.request('/metrics')).text;
      if (/^connectord_job_runs_total\{job="daily-summaries"\} [1-9]/m.test(text)) return;
      await sleep(50);
    }
    assert.fail('the daily-summaries job did not run');
  }
  try {
    own = await startServer({ dir, expectDemo: false });
    const made = await own.createTenant(`New ${Date.now()}`, 'enterprise');
    await own.stop();

    await startAndTick(0);
    let p = new Project(own, made);
    assert.deepEqual((await p.events({ limit: '100' })).filter((e) => e.type === 'revenue.daily_summary'), []);
    await own.stop();

    // a day later, today (the day it was made) is yesterday: one summary, of that day
    await startAndTick(1);
    p = new Project(own, made);
    const sent = (await p.events({ limit: '100' })).filter((e) => e.type === 'revenue.daily_summary');
    assert.equal(sent.length, 1, JSON.stringify(sent));
    assert.equal(sent[0].data.date, viennaDay(new Date(Date.now())));
  } finally {
    await own?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
