// Health, readiness and the Prometheus metrics: what an operator's probes and scraper see.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

async function scrape() {
  const res = await server.request('/metrics');
  assert.equal(res.status, 200, res.text);
  return res;
}

// Sample value of the series `name{labels}` (labels given exactly as rendered), or undefined.
function sample(text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

// Every sample line of the exposition: {name, labels, value}; fails on a line that is neither
// a comment, blank, nor a well-formed sample.
function parseExposition(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    assert.ok(!Number.isNaN(Number(m[3])), `bad value in ${line}`);
    out.push({ name: m[1], labels: m[2] || '', value: Number(m[3]) });
  }
  return out;
}

describe('health', () => {
  test('/healthz answers 200 {"status":"ok"} without a token', async () => {
    const res = await server.request('/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(res.json, { status: 'ok' });
  });

  test('/readyz answers 200 when the store answers', async () => {
    const res = await server.request('/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ready' });
  });

  test('health routes ignore a bad token rather than refusing it', async () => {
    const res = await server.request('/healthz', { token: 'cdk_nonsense' });
    assert.equal(res.status, 200);
  });
});

describe('metrics', () => {
  test('/metrics is Prometheus text with build info', async () => {
    const res = await scrape();
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    parseExposition(res.text);
    assert.match(res.text, /^# TYPE connectord_build_info gauge$/m);
    assert.match(res.text, /^connectord_build_info\{version="[^"]+",revision="[^"]+",schema="[1-9][0-9]*"\} 1$/m);
    assert.match(res.text, /^# TYPE connectord_http_requests_total counter$/m);
    assert.match(res.text, /^# TYPE connectord_http_request_duration_seconds histogram$/m);
    assert.match(res.text, /^# TYPE connectord_store_commit_duration_seconds histogram$/m);
  });

  test('requests are counted by route pattern and status', async () => {
    const before = (await scrape()).text;
    const key = 'connectord_http_requests_total{route="GET /api/tenant",status="200"}';
    const key401 = 'connectord_http_requests_total{route="GET /api/tenant",status="401"}';
    const n200 = sample(before, key) ?? 0;
    const n401 = sample(before, key401) ?? 0;
    for (let i = 0; i < 3; i++) {
      assert.equal((await server.request('/api/tenant', { token: server.token })).status, 200);
    }
    assert.equal((await server.request('/api/tenant')).status, 401);
    const afterText = (await scrape()).text;
    assert.equal(sample(afterText, key), n200 + 3);
    assert.equal(sample(afterText, key401), n401 + 1);
  });

  test('unmatched paths are counted under one label, never by their raw path', async () => {
    const secretPath = `/api/tenant/${server.token}`;
    const secretQuery = `/healthz?token=${server.token}`;
    assert.equal((await server.request(secretPath)).status, 404);
    // an undeclared query parameter is refused, and its value is echoed nowhere
    const refused = await server.request(secretQuery);
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.code, 'unknown_parameter');
    assert.ok(!refused.text.includes(server.token), refused.text);
    assert.equal((await server.request('/api/tenant', { method: 'DELETE' })).status, 405);
    const text = (await scrape()).text;
    assert.ok(!text.includes(server.token), 'a token appears in /metrics');
    assert.ok(!text.includes('cdk_'), 'something token-like appears in /metrics');
    assert.ok(sample(text, 'connectord_http_requests_total{route="unmatched",status="404"}') >= 1);
    assert.ok(sample(text, 'connectord_http_requests_total{route="unmatched",status="405"}') >= 1);
    for (const { name, labels } of parseExposition(text)) {
      if (name !== 'connectord_http_requests_total') continue;
      const route = /route="([^"]*)"/.exec(labels)[1];
      assert.ok(route === 'unmatched' || /^(GET|PATCH|POST|PUT|DELETE) \/[a-z/:A-Z_-]*$/.test(route),
                `route label is not a pattern: ${route}`);
    }
  });

  test('the latency histogram is cumulative and counts every request', async () => {
    const before = parseExposition((await scrape()).text);
    const count0 = before.find((s) => s.name === 'connectord_http_request_duration_seconds_count').value;
    for (let i = 0; i < 5; i++) await server.request('/healthz');
    const samples = parseExposition((await scrape()).text);
    const buckets = samples.filter((s) => s.name === 'connectord_http_request_duration_seconds_bucket');
    assert.ok(buckets.length >= 2);
    assert.equal(buckets.at(-1).labels, '{le="+Inf"}');
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets must not decrease');
    }
    const count = samples.find((s) => s.name === 'connectord_http_request_duration_seconds_count').value;
    const sum = samples.find((s) => s.name === 'connectord_http_request_duration_seconds_sum').value;
    assert.equal(buckets.at(-1).value, count);
    // the 5 health checks and the scrape before them, at least
    assert.ok(count >= count0 + 6, `count ${count}, before ${count0}`);
    assert.ok(sum > 0);
  });

  test('store commits are timed', async () => {
    // Starting in dev mode commits at least once (migrations, the demo tenant and its token).
    const samples = parseExposition((await scrape()).text);
    const count = samples.find((s) => s.name === 'connectord_store_commit_duration_seconds_count');
    const sum = samples.find((s) => s.name === 'connectord_store_commit_duration_seconds_sum');
    const inf = samples.find((s) => s.name === 'connectord_store_commit_duration_seconds_bucket' &&
                                    s.labels === '{le="+Inf"}');
    assert.ok(count && count.value >= 1, `commit count: ${count?.value}`);
    assert.equal(inf.value, count.value);
    assert.ok(sum.value > 0);
  });
});
