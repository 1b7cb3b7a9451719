// What /metrics tells an operator about the traffic itself: webhooks by provider and outcome,
// signature failures by provider, delivery attempts by destination type and outcome, the
// delivery backlog and its oldest age, and destinations per state (active, paused by the
// circuit breaker, disabled). Webhooks are signed with the official Stripe SDK (lib/stripe),
// destinations are the local mock services; every number is read back from the Prometheus
// text, as a difference to what it was before.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const { StripeTenant, invoicePaid, newSecret } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

let server;
let mock;

before(async () => {
  mock = await MockServices.start();
  // one retry a second apart, and a breaker that opens after 2 failures for a minute
  server = await startServer({ args: ['--retry-schedule', '1s', '--breaker-failures', '2',
                                      '--breaker-open', '60000'] });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

// Every sample of the text as {"name{labels}": value}; checks HELP and TYPE come first.
async function scrape() {
  const res = await server.request('/metrics');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const samples = {};
  const typed = new Set();
  for (const line of res.text.split('\n')) {
    const t = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (t) typed.add(t[1]);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample: ${line}`);
    assert.ok(typed.has(m[1].replace(/_(bucket|sum|count)$/, '')) || typed.has(m[1]),
              `${m[1]} has no TYPE line before it`);
    samples[m[1] + (m[2] || '')] = Number(m[3]);
  }
  return { samples, text: res.text };
}

const value = (s, series) => s.samples[series] ?? 0;

describe('webhooks', () => {
  test('counted by provider and outcome, signature failures by provider', async () => {
    const before = await scrape();
    for (const name of ['connectord_webhooks_total', 'connectord_webhook_signature_failures_total'])
      assert.match(before.text, new RegExp(`# HELP ${name} .+\\n# TYPE ${name} counter`));
    const shop = await StripeTenant.create(server);
    const first = invoicePaid();
    assert.equal((await shop.send(first.body)).status, 200);
    assert.equal((await shop.send(invoicePaid().body)).status, 200);
    assert.equal((await shop.send(first.body)).status, 200); // the same event again: duplicate
    const forged = await shop.send(invoicePaid().body, { secret: newSecret() });
    assert.equal(forged.status, 400, forged.text);
    const broken = await shop.send('{"id": "evt_broken", "type": "invoice.payment_succeeded"}');
    assert.equal(broken.status, 400, broken.text);
    // a request to no install is no tenant's webhook and is not counted
    assert.equal((await shop.send(invoicePaid().body, { path: '/api/payment-import/stripe/nope' })).status, 404);

    const now = await scrape();
    const delta = (outcome) => value(now, `connectord_webhooks_total{provider="stripe",outcome="${outcome}"}`) -
                               value(before, `connectord_webhooks_total{provider="stripe",outcome="${outcome}"}`);
    assert.equal(delta('processed'), 2, now.text);
    assert.equal(delta('duplicate'), 1, now.text);
    assert.equal(delta('invalid_signature'), 1, now.text);
    assert.equal(delta('failed'), 1, now.text);
    const sig = 'connectord_webhook_signature_failures_total{provider="stripe"}';
    assert.equal(value(now, sig) - value(before, sig), 1, now.text);
    // the webhook log agrees with the counters
    const logs = (await shop.get('/api/connectors/stripe/webhook-logs?limit=100')).json;
    assert.deepEqual(logs.map((l) => l.status).sort(),
                     ['duplicate', 'failed', 'invalid_signature', 'processed', 'processed']);
  });
});

describe('deliveries', () => {
  let project;
  const ep = {};
  let before;

  test('attempts counted by destination type and outcome; the breaker shows as paused', async () => {
    before = await scrape();
    for (const name of ['connectord_deliveries_total'])
      assert.match(before.text, new RegExp(`# TYPE ${name} counter`));
    for (const name of ['connectord_delivery_backlog', 'connectord_delivery_backlog_oldest_age_seconds',
                        'connectord_destinations'])
      assert.match(before.text, new RegExp(`# HELP ${name} .+\\n# TYPE ${name} gauge`));
    project = await Project.create(server);
    ep.slack = mock.endpoint('slack');
    ep.discord = mock.endpoint('discord').always({ status: 400, json: { message: 'Invalid Webhook Token' } });
    ep.teams = mock.endpoint('teams').always({ status: 503, body: 'busy' });
    ep.segment = mock.endpoint('segment');
    for (const e of Object.values(ep)) await project.destination(e, ['endpoint.created']);
    await project.patch(ep.segment.connectorId, { isActive: false });

    const ev = await project.publish('endpoint.created', { name: 'metrics' });
    await project.settled(ep.slack.connectorId, ev.id, 'delivered');
    await project.settled(ep.discord.connectorId, ev.id, 'failed');
    await project.settled(ep.teams.connectorId, ev.id, 'dead', 10000);

    const now = await scrape();
    const delta = (type, outcome) => {
      const series = `connectord_deliveries_total{destination_type="${type}",outcome="${outcome}"}`;
      return value(now, series) - value(before, series);
    };
    assert.equal(delta('slack', 'delivered'), 1, now.text);
    assert.equal(delta('discord', 'failed'), 1, now.text);
    assert.equal(delta('teams', 'retry'), 1, now.text);
    assert.equal(delta('teams', 'dead'), 1, now.text);
    assert.equal(delta('segment', 'delivered'), 0, now.text);
    // teams failed twice in a row: its breaker is open, so it is paused; segment is disabled
    const state = (s, name) => value(s, `connectord_destinations{state="${name}"}`);
    assert.equal(state(now, 'paused') - state(before, 'paused'), 1, now.text);
    assert.equal(state(now, 'disabled') - state(before, 'disabled'), 1, now.text);
    assert.equal(state(now, 'active') - state(before, 'active'), 2, now.text);
  });

  test('the backlog: deliveries waiting, and how long the oldest has waited', async () => {
    const start = await scrape();
    // the paused destination holds its new deliveries for the minute its breaker is open
    const ev = await project.publish('endpoint.created', { name: 'held' });
    const d = await eventually(async () => {
      const list = (await project.deliveries(ep.teams.connectorId)).filter((x) => x.eventId === ev.id);
      return list.length === 1 && list[0];
    }, 'the held delivery');
    assert.equal(d.status === 'pending' || d.status === 'delivering', true, JSON.stringify(d));
    await sleep(2100);
    const now = await scrape();
    assert.equal(value(now, 'connectord_delivery_backlog') - value(start, 'connectord_delivery_backlog'), 1,
                 now.text);
    const age = value(now, 'connectord_delivery_backlog_oldest_age_seconds');
    assert.ok(age >= 2 && age < 60, `oldest age ${age} s, expected 2 s or a little more`);
    assert.equal(ep.teams.requests.length, 2, 'the paused destination was not sent the held delivery');
  });
});
