// Each automated check of a submitted manifest refuses what it should: one broken manifest
// per check, each otherwise the correct Paddle connector (tests/e2e/lib/paddle.js). What
// cannot name a slug of its own is refused before anything is stored (422 with the checks);
// the rest is stored as changes_requested with the failing check's reason.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT, startServer } = require('./lib/server');
const { SAMPLE_SECRET, paddleManifest, sign, transactionCompleted } = require('./lib/paddle');

let server;
let dev;
let n = 0;

before(async () => {
  server = await startServer();
  const r = await server.cli(['developer', 'create', '--name', 'Checks Dev']);
  assert.equal(r.code, 0, r.stderr);
  dev = JSON.parse(r.stdout).token;
});

after(async () => {
  await server?.stop();
});

// A fresh slug per case, so each is version 1 of its own connector.
function manifest(change) {
  const m = paddleManifest({ slug: `paddle-check-${++n}` });
  change(m);
  return m;
}

function submitText(text) {
  return server.request('/api/developer/connectors', {
    method: 'POST', token: dev, headers: { 'content-type': 'application/json' }, body: text,
  });
}

// Submits; expects it stored as changes_requested with `name` failing (and only the names in
// alsoFailing besides it). Returns the failing check.
async function expectFailing(m, name, alsoFailing = []) {
  const res = await submitText(JSON.stringify(m));
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.status, 'changes_requested', res.text);
  assert.equal(res.json.checksPassed, false);
  const failing = res.json.checks.filter((c) => !c.ok).map((c) => c.check).sort();
  assert.deepEqual(failing, [name, ...alsoFailing].sort(), JSON.stringify(res.json.checks));
  return res.json.checks.find((c) => c.check === name);
}

async function expectRefused(text, name) {
  const res = await submitText(text);
  assert.equal(res.status, 422, res.text);
  assert.equal(res.json.error.code, 'validation_failed');
  const c = res.json.error.checks.find((x) => x.check === name);
  assert.ok(c && !c.ok, JSON.stringify(res.json.error.checks));
  return c;
}

describe('each automated check refuses what it should', () => {
  test('the correct manifest passes every check', async () => {
    const res = await submitText(JSON.stringify(manifest(() => {})));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, 'pending_review');
    assert.deepEqual(res.json.checks.map((c) => c.check),
                     ['size', 'json', 'slug', 'kind', 'schema', 'limits', 'secrets', 'urls',
                      'sample 1', 'sample 1 changed']);
  });

  test('the worked example of docs/connectors.md is this manifest, and passes', async () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'connectors.md'), 'utf8');
    const block = /```json\n([\s\S]*?)\n```/.exec(doc);
    assert.ok(block, 'docs/connectors.md has its example');
    assert.deepEqual(JSON.parse(block[1]), paddleManifest());
  });

  test('size: more than 256 KiB', async () => {
    const big = manifest((m) => { m.documentation = 'https://developer.paddle.com/' + 'x'.repeat(270000); });
    const c = await expectRefused(JSON.stringify(big), 'size');
    assert.match(c.message, /at most 262144/);
  });

  test('json: not a JSON object', async () => {
    await expectRefused('[1, 2, 3]', 'json');
  });

  test('slug: a built-in connector\'s, or not a slug', async () => {
    const c = await expectRefused(JSON.stringify(manifest((m) => { m.slug = 'stripe'; })), 'slug');
    assert.match(c.message, /built-in/);
    await expectRefused(JSON.stringify(manifest((m) => { m.slug = 'Not A Slug'; })), 'slug');
    await expectRefused(JSON.stringify(manifest((m) => { delete m.slug; })), 'slug');
  });

  test('schema: the connector manifest format and its rules', async () => {
    const c = await expectFailing(manifest((m) => { m.minPlan = 'gold'; }), 'schema');
    assert.match(c.message, /minPlan/);
  });

  test('schema: a setting pattern that would take the compiler all memory is refused unread', async () => {
    // regcomp writes x+ as xx*, so each + doubles what it repeats: forty of them took
    // gigabytes before the manifest rules counted them.
    const c = await expectFailing(manifest((m) => {
      m.settings.push({ key: 'accountId', label: 'Account', type: 'string',
                        pattern: `^9${'+'.repeat(40)}$`, format: 'digits' });
    }), 'schema');
    assert.match(c.message, /expands too far/);
    const health = await server.request('/healthz');
    assert.equal(health.status, 200);
  });

  test('kind: an outside connector is a webhook connector and names no built-in code', async () => {
    await expectFailing(manifest((m) => { m.kind = 'hybrid'; }), 'kind');
    // A built-in handler: refused as an outside connector, and by the manifest rules too.
    const c = await expectFailing(manifest((m) => { m.builtin = { provider: 'stripe' }; }), 'kind',
                                  ['schema']);
    assert.match(c.message, /built-in handler/);
  });

  test('secrets: the signing secret is typed secret', async () => {
    const c = await expectFailing(manifest((m) => { m.settings[0].type = 'string'; }), 'secrets');
    assert.match(c.message, /webhookSecret/);
  });

  test('urls: public and https', async () => {
    await expectFailing(manifest((m) => { m.documentation = 'http://developer.paddle.com/webhooks'; }),
                        'urls');
    await expectFailing(manifest((m) => { m.documentation = 'https://192.168.1.10/docs'; }), 'urls');
  });

  test('limits: at most 128 event types', async () => {
    const m = manifest((x) => {
      for (let i = 0; i < 130; i++) x.webhook.events.types[`transaction.kind_${i}`] = { kind: 'settled' };
    });
    const res = await submitText(JSON.stringify(m));
    assert.equal(res.json.status, 'changes_requested', res.text);
    const bad = res.json.checks.filter((c) => !c.ok).map((c) => c.check);
    assert.ok(bad.includes('limits') || bad.includes('schema'), JSON.stringify(res.json.checks));
  });

  test('sample: it must verify with its own secret', async () => {
    const c = await expectFailing(manifest((m) => { m.samples[0].secret = 'pdl_ntfset_another_key'; }),
                                  'sample 1', []);
    assert.match(c.message, /does not verify/);
  });

  test('sample: it must map to exactly the expected payment', async () => {
    const c = await expectFailing(manifest((m) => { m.samples[0].payments[0].externalId = 'txn_other'; }),
                                  'sample 1');
    assert.match(c.message, /externalId/);
  });

  test('sample changed: a signature that does not cover the body is refused', async () => {
    const m = manifest((x) => {
      x.webhook.signature.signedContent = '{timestamp}';
      const ts = 1712917129;
      x.samples[0].headers['Paddle-Signature'] =
        `ts=${ts};h1=${require('node:crypto').createHmac('sha256', SAMPLE_SECRET).update(String(ts)).digest('hex')}`;
    });
    const c = await expectFailing(m, 'sample 1 changed');
    assert.match(c.message, /still verifies/);
  });

  test('a sample signed for another body does not verify', async () => {
    const body = transactionCompleted({ total: '999' });
    const c = await expectFailing(manifest((m) => {
      m.samples[0].headers['Paddle-Signature'] = sign(SAMPLE_SECRET, body, 1712917129);
    }), 'sample 1');
    assert.match(c.message, /does not verify/);
  });
});
