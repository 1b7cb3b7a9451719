// The circuit breaker: a destination that keeps failing is paused (no requests while the
// breaker is open), then tested with one probe at a time; when the service answers again the
// breaker closes and the deliveries that waited arrive. A destination that fails for longer
// than --disable-after is disabled (isActive false) with an audit record.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, before, describe, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

// CPU seconds (user + system) the process has used so far.
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
}

const OPEN_MS = 2000;

describe('the breaker opens on a dead service and closes when it returns', () => {
  let server;
  let mock;
  let project;
  let ep;
  const events = [];

  before(async () => {
    mock = await MockServices.start();
    server = await startServer({
      args: ['--breaker-failures', '3', '--breaker-open', String(OPEN_MS),
             '--retry-schedule', '1s,1s,1s,1s,1s,1s,1s,1s,1s,1s'],
    });
    project = await Project.create(server);
    ep = mock.endpoint('zapier');
    await project.destination(ep, ['endpoint.created']);
  });

  after(async () => {
    await server?.stop();
    await mock?.stop();
  });

  test('three failures in a row open it: nothing is sent while it is open', async () => {
    ep.always({ status: 503, body: 'down' });
    // the probe that comes when the breaker half-opens answers slowly
    ep.answer({ status: 503 }, { status: 503 }, { status: 503 },
              { status: 503, delayMs: 1500, body: 'still down' });
    for (let i = 0; i < 3; i++) events.push(await project.publish('endpoint.created', { n: i }));
    await ep.waitFor(3);
    const opened = ep.requests[2].at;
    // more events while it is open, and the three waiting for their retry
    for (let i = 3; i < 6; i++) events.push(await project.publish('endpoint.created', { n: i }));
    // Looked at shortly before the breaker half-opens, counted from when it opened (the
    // publishing above may take a while on a loaded machine).
    await sleep(Math.max(0, opened + OPEN_MS - 300 - Date.now()));
    assert.equal(ep.requests.length, 3,
                 `requests while the breaker was open: ${ep.requests.slice(3).map((r) => r.at - opened)}`);
    for (const ev of events) {
      const d = await project.deliveryOf(ep.connectorId, ev.id);
      assert.equal(d.status === 'pending' || d.status === 'delivering', true, JSON.stringify(d));
      assert.ok(d.attempts.length <= 1, `${ev.id} was attempted ${d.attempts.length} times`);
    }
  });

  test('when it half-opens, one probe goes out, and only one while it is in flight', async () => {
    await ep.waitFor(4, 3000, 'the probe');
    const probe = ep.requests[3];
    assert.ok(probe.at - ep.requests[2].at >= OPEN_MS - 100,
              `the probe came ${probe.at - ep.requests[2].at} ms after the breaker opened`);
    // the probe hangs for 1.5 s: the other deliveries wait, without a request and without
    // the engine spinning on them
    const pid = server.proc.pid;
    const cpuBefore = cpuSeconds(pid);
    await sleep(1200);
    const spent = cpuSeconds(pid) - cpuBefore;
    assert.equal(ep.requests.length, 4, 'a second request went out while the probe was in flight');
    assert.ok(spent < 0.1, `the server used ${spent.toFixed(2)} s of CPU in 1.2 s while waiting for the probe`);
    // the probe failed: the breaker is open again for OPEN_MS
    await sleep(OPEN_MS - 700);
    assert.equal(ep.requests.length, 4, 'requests after the failed probe, while open again');
  });

  test('the service answers again: the next probe closes it and the waiting deliveries arrive', async () => {
    ep.always(null);
    for (const ev of events) await project.settled(ep.connectorId, ev.id, 'delivered', 10000);
    ep.assertAllOk();
    const ok = ep.requests.filter((r) => r.answer.status === 200);
    assert.deepEqual(ok.map((r) => r.json.id).sort(), events.map((e) => e.id).sort(),
                     'each event arrives once after the recovery');
    // closed: a new event goes out at once
    const t0 = Date.now();
    const fresh = await project.publish('endpoint.created', { n: 'after' });
    await project.settled(ep.connectorId, fresh.id, 'delivered');
    assert.ok(Date.now() - t0 < 1500, 'a new delivery waited although the breaker is closed');
    assert.equal((await project.connector(ep.connectorId)).isActive, true);
  });

  test('a destination that can use only some event types gets only those', async () => {
    // xero books settled payments only: "*" subscribes it to payment.settled, and other
    // events make no delivery that could fail or pause it
    const xero = mock.endpoint('xero');
    const p = await Project.create(server);
    await p.destination(xero, ['*']);
    assert.deepEqual((await p.connector(xero.connectorId)).eventTypes, ['payment.settled']);
    for (let i = 0; i < 6; i++) await p.publish('endpoint.created', { n: i });
    const t0 = Date.now();
    const settled = await p.publish('payment.settled', {
      provider: 'stripe', event: 'invoice.payment_succeeded', externalId: 'pi_1', amount: '99.00',
      currency: 'EUR', amountMinor: 9900, invoiceNumber: 'ACME-1', invoiceDate: '2026-03-22',
      direction: 'revenue', invoiceId: 'inv_1',
      party: { id: 'cus_1', name: 'Example Buyer GmbH', email: 'b@example.com', role: 'customer' },
    });
    await p.settled(xero.connectorId, settled.id, 'delivered', 5000);
    assert.ok(Date.now() - t0 < 1500, `the settled payment waited ${Date.now() - t0} ms`);
    assert.equal((await p.deliveries(xero.connectorId)).length, 1);
    assert.equal(xero.requests.length, 1);
    xero.assertAllOk();
    // naming a type it cannot use is refused with the field and the reason
    for (const body of [{ eventTypes: ['payment.failed'] }, { eventTypes: ['payment.settled', 'endpoint.created'] }]) {
      const r = await p.req('PATCH', `${p.base}/connectors/${xero.connectorId}`, body);
      assert.equal(r.status, 422, r.text);
      const field = r.json.error.fields.find((f) => f.field === 'eventTypes');
      assert.equal(field.code, 'invalid_event_type');
      assert.match(field.message, /xero can use only payment\.settled/);
    }
  });

  test("one destination's breaker does not pause another's", async () => {
    const dead = mock.endpoint('slack');
    const alive = mock.endpoint('slack');
    await project.destination(dead, ['endpoint.pricing_changed']);
    await project.destination(alive, ['endpoint.pricing_changed']);
    dead.always({ status: 500 });
    const evs = [];
    for (let i = 0; i < 5; i++) evs.push(await project.publish('endpoint.pricing_changed', { n: i }));
    for (const ev of evs) await project.settled(alive.connectorId, ev.id, 'delivered');
    assert.equal(alive.requests.length, 5);
    dead.always(null);
  });
});

describe('a destination failing longer than --disable-after is disabled', () => {
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

  test('isActive becomes false, an audit record says destination.disabled, nothing more is sent', async () => {
    const project = await Project.create(server);
    const ep = mock.endpoint('slack');
    const healthy = mock.endpoint('discord');
    await project.destination(ep, ['endpoint.created']);
    await project.destination(healthy, ['endpoint.created']);
    ep.always({ status: 503 });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await project.publish('endpoint.created', { n: i });
    await eventually(async () => !(await project.connector(ep.connectorId)).isActive,
                     'the failing destination is disabled', 8000);
    const disabledAfter = Date.now() - started;
    assert.ok(disabledAfter >= 1900, `disabled after ${disabledAfter} ms of failing, before --disable-after`);
    assert.equal((await project.connector(healthy.connectorId)).isActive, true);

    const audit = await project.req('GET', '/api/audit-log?limit=50');
    assert.equal(audit.status, 200, audit.text);
    const entries = audit.json.entries ?? audit.json;
    const disabled = entries.filter((e) => e.action === 'destination.disabled');
    assert.equal(disabled.length, 1, JSON.stringify(entries));
    assert.equal(disabled[0].target, ep.connectorId);

    // disabled: its waiting deliveries are not sent, new events make none for it
    const hits = ep.requests.length;
    const ev = await project.publish('endpoint.created', { n: 'after' });
    assert.equal(ev.deliveries, 1);
    await healthy.waitFor(4);
    await sleep(1500);
    assert.equal(ep.requests.length, hits, 'a disabled destination still got requests');
  });
});
