// A destination's name and health, and its alerts: the API shows status active, paused
// (until when, why) or disabled, consecutive failures, last success and last failure; a
// destination the circuit breaker pauses or disables raises destination.paused /
// destination.disabled, which reaches the project's destinations that subscribed to it
// (never the one it is about, never through "*"), and the audit log records it. Each
// attempt shows the request that was sent, secrets masked; a pending delivery can be sent
// now, a delivered one once more.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

const OPEN_MS = 4000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

async function auditActions(project) {
  const res = await project.req('GET', '/api/audit-log?limit=100');
  assert.equal(res.status, 200, res.text);
  return res.json.entries ?? res.json;
}

describe('names, health and the destination.paused alert', () => {
  let server;
  let mock;
  let p;

  before(async () => {
    mock = await MockServices.start();
    server = await startServer({
      args: ['--breaker-failures', '2', '--breaker-open', String(OPEN_MS),
             '--retry-schedule', '1s,1s,1s,1s,1s,1s,1s,1s'],
    });
    p = await Project.create(server);
  });

  after(async () => {
    await server?.stop();
    await mock?.stop();
  });

  test('a destination is named on create and by PATCH; a bad name is refused', async () => {
    const ep = mock.endpoint('slack');
    const res = await p.req('POST', `${p.base}/connectors`,
                            { type: 'slack', name: 'Ops channel', config: ep.config, eventTypes: ['*'] });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.name, 'Ops channel');
    const renamed = await p.patch(res.json.id, { name: 'Finance channel' });
    assert.equal(renamed.name, 'Finance channel');
    assert.equal((await p.connector(res.json.id)).name, 'Finance channel');
    for (const name of ['', 42, 'x'.repeat(201)]) {
      const bad = await p.req('PATCH', `${p.base}/connectors/${res.json.id}`, { name });
      assert.equal(bad.status, 422, bad.text);
      assert.equal(bad.json.error.fields[0].field, 'name');
    }
    const audit = await auditActions(p);
    const update = audit.find((e) => e.action === 'destination.update' && e.target === res.json.id);
    assert.deepEqual(update.fields, ['name']);
    await p.req('DELETE', `${p.base}/connectors/${res.json.id}`);
  });

  test('paused by the breaker: status, until, why, failures; alert to the subscribers only', async () => {
    const failing = mock.endpoint('zapier');
    const alerts = mock.endpoint('slack');
    const star = mock.endpoint('discord');
    const f = await p.req('POST', `${p.base}/connectors`, {
      type: 'zapier', name: 'Orders hook', config: failing.config,
      eventTypes: ['endpoint.created', 'destination.paused'],
    });
    assert.equal(f.status, 201, f.text);
    failing.connectorId = f.json.id;
    failing.signingSecret = f.json.signingSecret;
    await p.destination(alerts, ['destination.paused', 'destination.disabled']);
    await p.destination(star, ['*']);
    const fresh = await p.connector(failing.connectorId);
    assert.equal(fresh.status, 'active');
    assert.equal(fresh.lastSuccessAt, null);
    assert.equal(fresh.lastFailureAt, null);

    failing.always({ status: 503, body: 'down for maintenance' });
    const t0 = Date.now();
    await p.publish('endpoint.created', { name: 'one' });
    await p.publish('endpoint.created', { name: 'two' });
    const paused = await eventually(async () => {
      const c = await p.connector(failing.connectorId);
      return c.status === 'paused' && c;
    }, 'the failing destination shows paused');
    assert.equal(paused.isActive, true);
    assert.equal(paused.consecutiveFailures, 2);
    assert.match(paused.statusReason, /2 failures in a row.*HTTP 503/);
    assert.match(paused.pausedUntil, ISO);
    const until = Date.parse(paused.pausedUntil);
    assert.ok(until > t0 && until <= Date.now() + OPEN_MS + 500, paused.pausedUntil);
    assert.match(paused.lastFailureAt, ISO);
    assert.equal(paused.lastSuccessAt, null);

    // the alert: to the destination that subscribed to it, naming the paused one
    await alerts.waitFor(1);
    const text = JSON.stringify(alerts.requests[0].json);
    assert.match(text, /Destination Orders hook paused until \d{4}-[^:]+:\d\d:[^:]+: 2 failures in a row, the last: HTTP 503/);
    alerts.assertAllOk();
    const events = await p.events();
    const alert = events.find((e) => e.type === 'destination.paused');
    assert.ok(alert, JSON.stringify(events.map((e) => e.type)));
    assert.equal(alert.projectId, p.id);
    assert.equal(alert.data.destinationId, failing.connectorId);
    assert.equal(alert.data.destinationType, 'zapier');
    assert.equal(alert.data.name, 'Orders hook');
    assert.equal(alert.data.until, paused.pausedUntil);
    assert.match(alert.data.reason, /HTTP 503/);
    assert.equal(alert.data.consecutiveFailures, 2);
    const toAlerts = await p.deliveries(alerts.connectorId);
    assert.deepEqual(toAlerts.map((d) => d.eventType), ['destination.paused']);
    // never to the destination it is about, even though it subscribed; not through "*"
    assert.equal((await p.deliveries(failing.connectorId)).filter((d) => d.eventType === 'destination.paused').length, 0);
    assert.equal((await p.deliveries(star.connectorId)).filter((d) => d.eventType.startsWith('destination.')).length, 0);
    // one alert per pause, and the audit log has it
    const audit = await auditActions(p);
    const rec = audit.filter((e) => e.action === 'destination.paused');
    assert.equal(rec.length, 1, JSON.stringify(audit));
    assert.equal(rec[0].target, failing.connectorId);

    // the service returns: the probe succeeds, the destination is active again
    failing.always(null);
    const back = await eventually(async () => {
      const c = await p.connector(failing.connectorId);
      return c.status === 'active' && c;
    }, 'the destination is active again', OPEN_MS + 8000);
    assert.equal(back.consecutiveFailures, 0);
    assert.equal(back.statusReason, null);
    assert.equal(back.pausedUntil, null);
    assert.match(back.lastSuccessAt, ISO);
    assert.match(back.lastFailureAt, ISO);
    assert.equal((await p.events()).filter((e) => e.type === 'destination.paused').length, 1);
  });

  test('alerts are subscribed by name and raised by the platform only', async () => {
    const res = await p.req('POST', `${p.base}/events`, {
      type: 'destination.paused',
      data: { destinationId: 'con_x', destinationType: 'slack', name: 'x', reason: 'x',
              until: '2026-01-01T00:00:00.000Z', consecutiveFailures: 1 },
    });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.error.fields[0].field, 'type');
    assert.doesNotMatch(res.json.error.message, /destination\.paused/);
  });

  test('each attempt shows the request sent, its secrets masked, beside the answer', async () => {
    const slack = mock.endpoint('slack');
    const email = mock.endpoint('email');
    await p.destination(slack, ['endpoint.pricing_changed']);
    await p.destination(email, ['endpoint.pricing_changed']);
    const ev = await p.publish('endpoint.pricing_changed', { name: 'Pro plan', price: '0.02' });
    for (const ep of [slack, email]) {
      const d = await p.settled(ep.connectorId, ev.id, 'delivered');
      const a = d.attempts[0];
      assert.equal(a.status, 200);
      assert.ok(a.response !== undefined);
      assert.equal(a.request.method, 'POST');
      assert.equal(typeof a.request.url, 'string');
      assert.ok(Array.isArray(a.request.headers), JSON.stringify(a.request));
      assert.match(a.request.body, /Pro plan/);
      assert.equal(a.request.bodyBytes, Buffer.byteLength(ep.requests[0].body));
      const shown = JSON.stringify(d);
      for (const [key, value] of Object.entries(ep.config))
        if (typeof value === 'string' && /hook|key/i.test(key))
          assert.ok(!shown.includes(value.split('/').pop()), `${ep.type}: ${key} shown in ${shown}`);
    }
    const s = (await p.deliveryOf(slack.connectorId, ev.id)).attempts[0].request;
    assert.equal(s.url, '\u2022\u2022\u2022\u2022', 'a Slack webhook URL is the secret: masked whole');
    const e = (await p.deliveryOf(email.connectorId, ev.id)).attempts[0].request;
    const auth = e.headers.find(([n]) => n.toLowerCase() === 'authorization');
    assert.deepEqual(auth, [auth[0], '\u2022\u2022\u2022\u2022']);
  });

  test('a secret inside the request is masked at each place it stands, the rest kept', async () => {
    const MASK = '\u2022\u2022\u2022\u2022';
    const ep = mock.endpoint('telegram');
    await p.destination(ep, ['endpoint.pricing_changed']);
    const token = ep.config.botToken;
    // twice back to back, once more after other text: three masks, the text between kept
    const ev = await p.publish('endpoint.pricing_changed',
                               { name: `a${token}${token} and ${token}z`, price: '1.00' });
    const d = await p.settled(ep.connectorId, ev.id, 'delivered');
    const shown = d.attempts[0].request;
    const [sent] = await ep.waitFor(1);
    assert.ok(sent.body.split(token).length - 1 >= 3, sent.body);
    assert.equal(shown.body, sent.body.split(token).join(MASK));
    assert.equal(shown.url, `${ep.config.apiBaseUrl}/bot${MASK}/sendMessage`);
    assert.ok(!JSON.stringify(d).includes(token.split(':')[1]));
  });

  test('a delivered one is sent once more, a pending one now instead of at its next retry', async () => {
    const ep = mock.endpoint('slack');
    await p.destination(ep, ['endpoint.created']);
    const ev = await p.publish('endpoint.created', { name: 'again' });
    const d = await p.settled(ep.connectorId, ev.id, 'delivered');
    const resend = await p.req('POST', `${p.base}/connectors/${ep.connectorId}/deliveries/${d.id}/retry`, {});
    assert.equal(resend.status, 200, resend.text);
    await ep.waitFor(2);
    const again = await eventually(async () => {
      const x = await p.delivery(ep.connectorId, d.id);
      return x.status === 'delivered' && x.attempts.length === 2 && x;
    }, 'delivered twice');
    assert.equal(again.attempts[1].status, 200);

    // an hour's Retry-After: the delivery waits; retry makes it due now
    ep.answer({ status: 503, headers: { 'retry-after': '3600' }, body: 'busy' });
    const later = await p.publish('endpoint.created', { name: 'later' });
    const pending = await eventually(async () => {
      const x = await p.deliveryOf(ep.connectorId, later.id);
      return x.status === 'pending' && x.attempts.length === 1 && x;
    }, 'pending after a 503');
    assert.ok(Date.parse(pending.nextAttemptAt) - Date.now() > 30 * 60 * 1000, pending.nextAttemptAt);
    const t0 = Date.now();
    const now = await p.req('POST', `${p.base}/connectors/${ep.connectorId}/deliveries/${pending.id}/retry`, {});
    assert.equal(now.status, 200, now.text);
    await p.settled(ep.connectorId, later.id, 'delivered', 5000);
    assert.ok(Date.now() - t0 < 4000);

    // while it is being sent, there is nothing to retry yet
    ep.answer({ status: 200, delayMs: 1500, body: 'ok' });
    const seen = ep.requests.length;
    const slow = await p.publish('endpoint.created', { name: 'slow' });
    await ep.waitFor(seen + 1);
    const sending = (await p.deliveries(ep.connectorId)).find((x) => x.eventId === slow.id);
    assert.equal(sending.status, 'delivering');
    const busy = await p.req('POST', `${p.base}/connectors/${ep.connectorId}/deliveries/${sending.id}/retry`, {});
    assert.equal(busy.status, 409, busy.text);
    assert.equal(busy.json.error.code, 'conflict');
    assert.match(busy.json.error.message, /being sent/);
    await p.settled(ep.connectorId, slow.id, 'delivered', 5000);
  });
});

describe('the destination.disabled alert', () => {
  let server;
  let mock;

  before(async () => {
    mock = await MockServices.start();
    server = await startServer({
      args: ['--breaker-failures', '3', '--breaker-open', '500', '--disable-after', '2',
             '--retry-schedule', '1s,1s,1s,1s,1s,1s,1s,1s'],
    });
  });

  after(async () => {
    await server?.stop();
    await mock?.stop();
  });

  test('a destination failing too long is disabled, says why, and the alert goes out', async () => {
    const p = await Project.create(server);
    const ep = mock.endpoint('slack');
    const ops = mock.endpoint('discord');
    await p.destination(ep, ['endpoint.created']);
    await p.destination(ops, ['destination.disabled']);
    ep.always({ status: 500 });
    for (let i = 0; i < 3; i++) await p.publish('endpoint.created', { n: i });
    const disabled = await eventually(async () => {
      const c = await p.connector(ep.connectorId);
      return c.status === 'disabled' && c;
    }, 'disabled', 10000);
    assert.equal(disabled.isActive, false);
    assert.match(disabled.statusReason, /failing since .*HTTP 500/);
    await ops.waitFor(1);
    ops.assertAllOk();
    assert.match(JSON.stringify(ops.requests[0].json), /Destination Slack turned off: failing since/);
    const alert = (await p.events()).find((e) => e.type === 'destination.disabled');
    assert.equal(alert.data.destinationId, ep.connectorId);
    assert.equal(alert.data.name, 'Slack');
    const audit = await auditActions(p);
    assert.equal(audit.filter((e) => e.action === 'destination.disabled').length, 1);

    // turned on again by hand: active, its failures behind it
    ep.always(null);
    const on = await p.patch(ep.connectorId, { isActive: true });
    assert.equal(on.status, 'active');
    assert.equal(on.consecutiveFailures, 0);
    assert.equal(on.statusReason, null);
  });
});
