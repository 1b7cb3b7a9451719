// What the delivery engine does with each kind of answer: 5xx, timeouts and dropped
// connections retry on the schedule until delivered or dead; 429 waits for Retry-After;
// other 4xx fail at once; every attempt is recorded; a failed or dead delivery can be retried
// one by one (a delivered one sent once more) or replayed since a time. The server runs with --retry-schedule 1s,1s,1s (three
// retries, a second apart, +-20 % jitter) and --delivery-timeout 1500.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { sleep, startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

let server;
let mock;

before(async () => {
  mock = await MockServices.start();
  server = await startServer({ args: ['--retry-schedule', '1s,1s,1s', '--delivery-timeout', '1500'] });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

// A destination of `type` on the mock, subscribed to endpoint.created, in a project of its
// own (so no other test's events reach it) unless `in_` names one.
async function destination(type = 'slack', in_ = null) {
  const p = in_ || await Project.create(server);
  const ep = mock.endpoint(type);
  await p.destination(ep, ['endpoint.created']);
  ep.project = p;
  return ep;
}

function publish(ep, name) {
  return ep.project.publish('endpoint.created', { name });
}

function gaps(requests) {
  return requests.slice(1).map((r, i) => r.at - requests[i].at);
}

describe('retries', { concurrency: true }, () => {
  test('500 twice, then 200: delivered on the third attempt, every attempt recorded', async () => {
    const ep = await destination('slack');
    ep.answer({ status: 500, body: 'rollup_error' }, { status: 500, body: 'rollup_error' });
    const ev = await publish(ep, '500 then 200');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.attempt), [1, 2, 3]);
    assert.deepEqual(d.attempts.map((a) => a.status), [500, 500, 200]);
    assert.deepEqual(d.attempts.map((a) => a.response), ['rollup_error', 'rollup_error', 'ok']);
    assert.ok(d.attempts.every((a) => a.error === null), JSON.stringify(d.attempts));
    assert.ok(d.attempts.every((a) => Number.isInteger(a.durationMs) && a.durationMs >= 0));
    assert.equal(d.attempts.length, 3);
    assert.equal(d.lastStatus, 200);
    assert.ok(d.deliveredAt);
    assert.equal(ep.requests.length, 3);
    ep.assertAllOk();
    // the same request each time, a second apart (the schedule, with jitter)
    assert.equal(new Set(ep.requests.map((r) => r.body)).size, 1);
    for (const g of gaps(ep.requests)) assert.ok(g >= 750 && g < 3000, `retry after ${g} ms`);
  });

  test('429 with Retry-After: 2 waits two seconds, not the schedule\'s one', async () => {
    const ep = await destination('segment');
    ep.answer({ status: 429, headers: { 'retry-after': '2' }, json: { error: 'rate limited' } });
    const ev = await publish(ep, 'rate limited');
    await ep.waitFor(1);
    const pending = await ep.project.deliveryOf(ep.connectorId, ev.id);
    if (pending.status === 'pending') {
      const next = Date.parse(pending.nextAttemptAt) - ep.requests[0].at;
      assert.ok(next >= 1900 && next <= 2600, `nextAttemptAt is ${next} ms after the 429`);
    }
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.status), [429, 200]);
    const [g] = gaps(ep.requests);
    assert.ok(g >= 1950, `the retry came ${g} ms after Retry-After: 2`);
    assert.ok(g < 4000, `the retry came only ${g} ms after Retry-After: 2`);
  });

  test('429 with Retry-After: 1 is not retried earlier than a second', async () => {
    const ep = await destination('discord');
    ep.answer({ status: 429, headers: { 'retry-after': '1' },
                json: { message: 'You are being rate limited.', retry_after: 1, global: false } });
    const ev = await publish(ep, 'rate limited for a second');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.status), [429, 200]);
    const [g] = gaps(ep.requests);
    assert.ok(g >= 980 && g < 3000, `the retry came ${g} ms after Retry-After: 1`);
  });

  test('a wait named only in the body counts: Telegram\'s parameters.retry_after, Discord\'s retry_after', async () => {
    const tg = await destination('telegram');
    tg.answer({ status: 429, json: { ok: false, error_code: 429,
                                     description: 'Too Many Requests: retry after 2',
                                     parameters: { retry_after: 2 } } });
    const dc = await destination('discord');
    dc.answer({ status: 429, json: { message: 'You are being rate limited.', retry_after: 2.5,
                                     global: false } });
    const [evTg, evDc] = [await publish(tg, 'telegram flood control'), await publish(dc, 'discord 429')];
    const dTg = await tg.project.settled(tg.connectorId, evTg.id, 'delivered', 10000);
    const dDc = await dc.project.settled(dc.connectorId, evDc.id, 'delivered', 10000);
    assert.deepEqual(dTg.attempts.map((a) => a.status), [429, 200]);
    assert.deepEqual(dDc.attempts.map((a) => a.status), [429, 200]);
    const [gTg] = gaps(tg.requests);
    const [gDc] = gaps(dc.requests);
    assert.ok(gTg >= 1950 && gTg < 4500, `Telegram was retried ${gTg} ms after retry_after: 2`);
    assert.ok(gDc >= 2450 && gDc < 5000, `Discord was retried ${gDc} ms after retry_after: 2.5`);
  });

  test('Retry-After: 0 still waits a second (no spinning on an eager service)', async () => {
    const ep = await destination('slack');
    ep.answer({ status: 429, headers: { 'retry-after': '0' }, body: 'rate_limited' });
    const ev = await publish(ep, 'retry after zero');
    await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    const [g] = gaps(ep.requests);
    assert.ok(g >= 950, `retried ${g} ms after Retry-After: 0`);
  });

  test('Retry-After as an HTTP date is honoured too', async () => {
    const ep = await destination('teams');
    const at = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    ep.answer({ status: 503, headers: { 'retry-after': new Date(at).toUTCString() } });
    const ev = await publish(ep, 'retry at a date');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered', 10000);
    assert.deepEqual(d.attempts.map((a) => a.status), [503, 202]);
    assert.ok(ep.requests[1].at >= at - 20,
              `retried ${at - ep.requests[1].at} ms before the Retry-After date`);
  });

  test('a dropped connection retries; the attempt has no status and says why', async () => {
    const ep = await destination('n8n');
    // (libcurl itself sends once more when a reused connection dies, so drop every
    // connection until the engine has recorded a failed attempt)
    ep.always({ dead: true });
    const ev = await publish(ep, 'dropped');
    const pending = await eventually(async () => {
      const d = await ep.project.deliveryOf(ep.connectorId, ev.id);
      return d.attempts.length >= 1 && d;
    }, 'a first attempt');
    ep.always(null);
    assert.equal(pending.attempts[0].status, null);
    assert.equal(typeof pending.attempts[0].error, 'string');
    assert.ok(pending.attempts[0].error.length > 0);
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.equal(d.attempts.at(-1).status, 200);
    assert.ok(d.attempts.slice(0, -1).every((a) => a.status === null && a.error), JSON.stringify(d.attempts));
  });

  test('an answer slower than --delivery-timeout counts as a timeout and retries', async () => {
    const ep = await destination('make');
    ep.answer({ status: 200, delayMs: 2500, body: 'Accepted' });
    const ev = await publish(ep, 'slow');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered', 10000);
    assert.equal(d.attempts.length, 2);
    assert.equal(d.attempts[0].status, null);
    assert.match(d.attempts[0].error, /time/i);
    assert.ok(d.attempts[0].durationMs >= 1400 && d.attempts[0].durationMs < 2500,
              `the timed-out attempt took ${d.attempts[0].durationMs} ms`);
  });

  test('400 fails at once: status failed, one attempt, no retry', async () => {
    const ep = await destination('slack');
    ep.always({ status: 400, body: 'invalid_payload' });
    const ev = await publish(ep, 'bad request');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'failed');
    assert.equal(d.attempts.length, 1);
    assert.equal(d.attempts[0].status, 400);
    assert.equal(d.attempts[0].response, 'invalid_payload');
    assert.equal(d.lastStatus, 400);
    assert.equal(d.deliveredAt, null);
    assert.equal(d.nextAttemptAt, undefined);
    await sleep(2500);
    assert.equal(ep.requests.length, 1, 'a permanent error was retried');
    assert.equal((await ep.project.delivery(ep.connectorId, d.id)).status, 'failed');
  });

  for (const status of [401, 403, 404, 410, 422]) {
    test(`${status} is permanent too`, async () => {
      const ep = await destination('discord');
      ep.always({ status, json: { message: 'no' } });
      const ev = await publish(ep, `answer ${status}`);
      const d = await ep.project.settled(ep.connectorId, ev.id, 'failed');
      assert.deepEqual(d.attempts.map((a) => a.status), [status]);
    });
  }

  test('408 and 502 retry like 5xx', async () => {
    const ep = await destination('zapier');
    ep.answer({ status: 408 }, { status: 502 });
    const ev = await publish(ep, '408 then 502');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.status), [408, 502, 200]);
  });

  test('after the last retry the delivery is dead: 1 + 3 attempts, then no more', async () => {
    const ep = await destination('teams');
    ep.always({ status: 503, body: 'down' });
    const ev = await publish(ep, 'always 503');
    const d = await ep.project.settled(ep.connectorId, ev.id, 'dead', 10000);
    assert.deepEqual(d.attempts.map((a) => a.status), [503, 503, 503, 503]);
    assert.equal(d.lastStatus, 503);
    await sleep(1600);
    assert.equal(ep.requests.length, 4, 'a dead delivery was sent again');
  });
});

describe('retry and replay through the API', { concurrency: true }, () => {
  test('POST .../deliveries/:id/retry sends a failed delivery again', async () => {
    const ep = await destination('slack');
    ep.answer({ status: 400, body: 'invalid_payload' });
    const ev = await publish(ep, 'retry me');
    const failed = await ep.project.settled(ep.connectorId, ev.id, 'failed');
    const res = await ep.project.req('POST',
      `${ep.project.base}/connectors/${ep.connectorId}/deliveries/${failed.id}/retry`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, failed.id);
    assert.ok(['pending', 'delivering', 'delivered'].includes(res.json.status), res.text);
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.status), [400, 200]);
    assert.equal(ep.requests.length, 2);
    assert.equal(ep.requests[0].body, ep.requests[1].body);
  });

  test('a dead delivery can be retried too; a delivered one is sent once more', async () => {
    const ep = await destination('segment');
    ep.always({ status: 500 });
    const ev = await publish(ep, 'dead, then retried');
    const dead = await ep.project.settled(ep.connectorId, ev.id, 'dead', 10000);
    ep.always(null);
    const url = `${ep.project.base}/connectors/${ep.connectorId}/deliveries/${dead.id}/retry`;
    const res = await ep.project.req('POST', url, {});
    assert.equal(res.status, 200, res.text);
    const d = await ep.project.settled(ep.connectorId, ev.id, 'delivered');
    assert.equal(d.attempts.length, 5);
    assert.equal(d.attempts[4].status, 200);
    const again = await ep.project.req('POST', url, {});
    assert.equal(again.status, 200, again.text);
    await ep.waitFor(6);
    const resent = await eventually(async () => {
      const x = await ep.project.delivery(ep.connectorId, dead.id);
      return x.status === 'delivered' && x.attempts.length === 6 && x;
    }, 'delivered once more');
    assert.equal(resent.attempts[5].status, 200);
  });

  test('retry of an unknown delivery, or through another connector, is 404', async () => {
    const project = await Project.create(server);
    const a = await destination('slack', project);
    const b = await destination('slack', project);
    a.always({ status: 400 });
    b.always({ status: 400 });
    const ev = await publish(a, 'wrong connector');
    const failed = await project.settled(a.connectorId, ev.id, 'failed');
    const viaB = await project.req('POST',
      `${project.base}/connectors/${b.connectorId}/deliveries/${failed.id}/retry`, {});
    assert.equal(viaB.status, 404, viaB.text);
    const unknown = await project.req('POST',
      `${project.base}/connectors/${a.connectorId}/deliveries/dlv_${'0'.repeat(32)}/retry`, {});
    assert.equal(unknown.status, 404, unknown.text);
    const other = await Project.create(server);
    const foreign = await other.req('POST',
      `${project.base}/connectors/${a.connectorId}/deliveries/${failed.id}/retry`, {});
    assert.equal(foreign.status, 404, foreign.text);
  });

  test('POST .../replay {"since"} re-sends the failed and dead deliveries since then', async () => {
    const ep = await destination('n8n');
    ep.always({ status: 400 });
    const old = await publish(ep, 'failed before since');
    await ep.project.settled(ep.connectorId, old.id, 'failed');
    await sleep(20);
    const since = new Date().toISOString();
    await sleep(20);
    const failed = await publish(ep, 'failed after since');
    await ep.project.settled(ep.connectorId, failed.id, 'failed');
    ep.always(null);
    const ok = await publish(ep, 'delivered after since');
    await ep.project.settled(ep.connectorId, ok.id, 'delivered');
    ep.always({ status: 503 });
    const dead = await publish(ep, 'dead after since');
    await ep.project.settled(ep.connectorId, dead.id, 'dead', 10000);
    ep.always(null);
    const before = ep.requests.length;

    const res = await ep.project.req('POST', `${ep.project.base}/connectors/${ep.connectorId}/replay`, { since });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.replayed, 2);
    assert.equal(res.json.since, since);
    await ep.project.settled(ep.connectorId, failed.id, 'delivered');
    await ep.project.settled(ep.connectorId, dead.id, 'delivered');
    await sleep(300);
    const resent = ep.requests.slice(before).map((r) => r.json.id).sort();
    assert.deepEqual(resent, [failed.id, dead.id].sort());
    assert.equal((await ep.project.deliveryOf(ep.connectorId, old.id)).status, 'failed');
    assert.equal((await ep.project.deliveryOf(ep.connectorId, ok.id)).attempts.length, 1);

    const nothing = await ep.project.req('POST', `${ep.project.base}/connectors/${ep.connectorId}/replay`, { since });
    assert.equal(nothing.status, 200, nothing.text);
    assert.equal(nothing.json.replayed, 0);
  });

  test('replay takes a date too, and refuses anything else with 422', async () => {
    const ep = await destination('slack');
    const base = `${ep.project.base}/connectors/${ep.connectorId}/replay`;
    const today = new Date().toISOString().slice(0, 10);
    const res = await ep.project.req('POST', base, { since: today });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.since, `${today}T00:00:00.000Z`);
    for (const since of [undefined, 12, 'yesterday', '2026-03-22 10:00', '2026-03-22T10:00:00+01:00']) {
      const bad = await ep.project.req('POST', base, since === undefined ? {} : { since });
      assert.equal(bad.status, 422, `${since}: ${bad.text}`);
    }
  });
});

describe('the deliveries list', () => {
  test('filters by status and event type, pages with a cursor, newest first', async () => {
    const ep = mock.endpoint('slack');
    const project = await Project.create(server);
    await project.destination(ep, ['endpoint.created', 'endpoint.pricing_changed']);
    ep.answer({ status: 400 });
    const bad = await project.publish('endpoint.created', { name: 'fails' });
    await project.settled(ep.connectorId, bad.id, 'failed');
    const good = await project.publish('endpoint.created', { name: 'works' });
    const priced = await project.publish('endpoint.pricing_changed', { name: 'works too' });
    await project.settled(ep.connectorId, good.id, 'delivered');
    await project.settled(ep.connectorId, priced.id, 'delivered');

    const all = await project.deliveries(ep.connectorId);
    assert.equal(all.length, 3);
    assert.deepEqual(all.map((d) => d.eventId), [priced.id, good.id, bad.id]);
    for (const d of all) {
      assert.match(d.id, /^dlv_/);
      assert.ok(['eventId', 'eventType', 'status', 'attempts', 'createdAt', 'updatedAt', 'lastStatus',
                 'lastError', 'deliveredAt'].every((k) => k in d), JSON.stringify(d));
    }
    const failed = await project.deliveries(ep.connectorId, { status: 'failed' });
    assert.deepEqual(failed.map((d) => d.eventId), [bad.id]);
    const created = await project.deliveries(ep.connectorId, { eventType: 'endpoint.created' });
    assert.deepEqual(created.map((d) => d.eventId), [good.id, bad.id]);
    const both = await project.deliveries(ep.connectorId, { status: 'delivered', eventType: 'endpoint.created' });
    assert.deepEqual(both.map((d) => d.eventId), [good.id]);

    const base = `${project.base}/connectors/${ep.connectorId}/deliveries`;
    const page = await project.req('GET', `${base}?limit=2`);
    assert.equal(page.json.deliveries.length, 2);
    assert.equal(page.json.nextCursor, page.json.deliveries[1].id);
    const rest = await project.req('GET', `${base}?limit=2&cursor=${page.json.nextCursor}`);
    assert.deepEqual(rest.json.deliveries.map((d) => d.eventId), [bad.id]);
    assert.equal(rest.json.nextCursor, null);

    const wrong = await project.req('GET', `${base}?status=lost`);
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.json.error.code, 'invalid_field');
  });
});
