// The connector developer flow over HTTP, end to end: a developer submits a manifest whose
// sample fails (changes requested), submits again, the operator approves, a tenant installs
// the published connector and a signed webhook is booked once, a new version reaches the
// installs whose config it accepts and waits for the others' input, and the connector is
// unpublished (no new installs; existing ones keep working). Then the role rules.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { paddleManifest, sign, transactionCompleted } = require('./lib/paddle');

let server;
let operator;
let acme; // {id, token}: the developer of the Paddle connector
let other; // another developer
let tenantB; // a second tenant ({tenantId, token}), starter plan

before(async () => {
  server = await startServer();
  const r = await server.cli(['operator', 'token', 'create']);
  assert.equal(r.code, 0, r.stderr);
  operator = JSON.parse(r.stdout).token;
  assert.match(operator, /^cdk_[A-Za-z0-9_-]{43}$/);
  const made = await server.request('/api/operator/developers',
                                    { method: 'POST', token: operator, json: { name: 'Acme Labs' } });
  assert.equal(made.status, 201, made.text);
  acme = { id: made.json.developer.id, token: made.json.token };
  const cli = await server.cli(['developer', 'create', '--name', 'Other Dev']);
  assert.equal(cli.code, 0, cli.stderr);
  other = JSON.parse(cli.stdout);
  tenantB = await server.createTenant('Second GmbH', 'starter');
});

after(async () => {
  await server?.stop();
});

function submit(token, manifest) {
  return server.request('/api/developer/connectors', { method: 'POST', token, json: manifest });
}

function check(sub, name) {
  const c = sub.checks.find((x) => x.check === name);
  assert.ok(c, `no check ${name} in ${JSON.stringify(sub.checks)}`);
  return c;
}

// A signed Paddle notification to a webhook URL (its path), signed with secret now.
function postPaddle(url, secret, body, { tamper = false } = {}) {
  const ts = Math.floor(Date.now() / 1000);
  const signature = sign(secret, body, ts);
  const path = new URL(url).pathname;
  return server.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'paddle-signature': signature },
    body: tamper ? body.replace('1190', '1191') : body,
  });
}

function catalogEntry(list, slug) {
  return list.json.connectors.find((c) => c.slug === slug);
}

describe('submit, review, publish, install, book, update, unpublish', () => {
  let first; // the submission whose sample fails
  let second; // the one approved
  let install; // the demo tenant's install
  const tenantSecret = 'pdl_ntfset_01hvtenantsecretkey0000000000_Zq8t1Lw2'; // the tenant's own

  test('a submission whose sample maps to another payment stays changes_requested, with the reason', async () => {
    const wrong = paddleManifest();
    wrong.samples[0].payments[0].amount = '12.00'; // the body says 11.90
    const res = await submit(acme.token, wrong);
    assert.equal(res.status, 201, res.text);
    first = res.json;
    assert.equal(first.status, 'changes_requested');
    assert.equal(first.slug, 'paddle');
    assert.equal(first.version, 1);
    assert.equal(first.checksPassed, false);
    assert.deepEqual(first.developer, { id: acme.id, name: 'Acme Labs' });
    const sample = check(first, 'sample 1');
    assert.equal(sample.ok, false);
    assert.match(sample.message, /amount is "11\.90"/);
    for (const name of ['size', 'json', 'slug', 'kind', 'schema', 'secrets', 'urls', 'limits'])
      assert.equal(check(first, name).ok, true, name);
  });

  test('the operator cannot approve what failed its checks', async () => {
    const res = await server.request(`/api/operator/submissions/${first.id}/approve`,
                                     { method: 'POST', token: operator, json: {} });
    assert.equal(res.status, 409, res.text);
    assert.equal(res.json.error.code, 'conflict');
  });

  test('the corrected manifest is the next version, pending review', async () => {
    const res = await submit(acme.token, paddleManifest());
    assert.equal(res.status, 201, res.text);
    second = res.json;
    assert.equal(second.version, 2);
    assert.equal(second.status, 'pending_review');
    assert.equal(second.checksPassed, true);
    assert.ok(second.checks.every((c) => c.ok), JSON.stringify(second.checks));
    assert.equal(check(second, 'sample 1 changed').ok, true);
  });

  test('the developer sees its submissions, versions and checks', async () => {
    const list = await server.request('/api/developer/connectors', { token: acme.token });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.submissions.map((s) => s.id), [second.id, first.id]);
    const one = await server.request(`/api/developer/connectors/${first.id}`, { token: acme.token });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json.versions.map((v) => [v.version, v.status]),
                     [[1, 'changes_requested'], [2, 'pending_review']]);
    assert.equal(one.json.manifest.slug, 'paddle');
    assert.equal(one.json.published, null);
  });

  test('the review queue lists what waits, and nothing is in a tenant catalog before approval', async () => {
    const queue = await server.request('/api/operator/submissions?status=pending_review',
                                       { token: operator });
    assert.equal(queue.status, 200, queue.text);
    assert.deepEqual(queue.json.submissions.map((s) => s.id), [second.id]);
    const catalog = await server.request('/api/connectors', { token: server.token });
    assert.equal(catalogEntry(catalog, 'paddle'), undefined);
    const bad = await server.request('/api/operator/submissions?status=maybe', { token: operator });
    assert.equal(bad.status, 400);
  });

  test('approved, it is in every tenant catalog with its publisher and version', async () => {
    const res = await server.request(`/api/operator/submissions/${second.id}/approve`,
                                     { method: 'POST', token: operator, json: { comment: 'Looks good' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'approved');
    assert.equal(res.json.review.reason, 'Looks good');
    for (const token of [server.token, tenantB.token]) {
      const catalog = await server.request('/api/connectors', { token });
      const entry = catalogEntry(catalog, 'paddle');
      assert.ok(entry, catalog.text);
      assert.equal(entry.outside, true);
      assert.deepEqual(entry.publisher, { id: acme.id, name: 'Acme Labs' });
      assert.equal(entry.version, 2);
      assert.equal(entry.status, 'available');
      assert.equal(entry.requiredPlan, 'starter');
      assert.equal(entry.kind, 'webhook');
    }
    const again = await server.request(`/api/operator/submissions/${second.id}/approve`,
                                       { method: 'POST', token: operator, json: {} });
    assert.equal(again.status, 409, 'approved twice');
  });

  test('a tenant installs it and a signed webhook is booked once', async () => {
    const res = await server.request('/api/connectors/paddle/install', {
      method: 'POST', token: server.token, json: { config: { webhookSecret: tenantSecret } },
    });
    assert.equal(res.status, 201, res.text);
    install = res.json;
    assert.match(install.webhookUrl, /\/api\/payment-import\/paddle\/[A-Za-z0-9_-]+$/);
    assert.equal(install.installedVersion, 2);
    assert.equal(install.config.webhookSecret.includes(tenantSecret), false, 'the secret is masked');

    const body = transactionCompleted({ id: 'txn_01hvflowfirst000000000000' });
    const booked = await postPaddle(install.webhookUrl, tenantSecret, body);
    assert.equal(booked.status, 200, booked.text);
    assert.equal(booked.json.status, 'processed');
    assert.equal(booked.json.results[0].externalId, 'txn_01hvflowfirst000000000000');
    assert.equal(booked.json.results[0].totalGross, '11.90');
    const dup = await postPaddle(install.webhookUrl, tenantSecret, body);
    assert.equal(dup.status, 200, dup.text);
    assert.equal(dup.json.status, 'duplicate');

    const forged = await postPaddle(install.webhookUrl, tenantSecret, body, { tamper: true });
    assert.equal(forged.status, 400, forged.text);
    assert.equal(forged.json.error.code, 'invalid_signature');
    const otherKey = await postPaddle(install.webhookUrl, 'pdl_ntfset_not_the_tenants_key', body);
    assert.equal(otherKey.status, 400);

    const invoices = await server.request('/api/invoices?source=paddle', { token: server.token });
    assert.equal(invoices.status, 200, invoices.text);
    const list = invoices.json.invoices;
    assert.equal(list.length, 1, invoices.text);
    assert.equal(list[0].externalId, 'txn_01hvflowfirst000000000000');

    const logs = await server.request('/api/connectors/paddle/webhook-logs', { token: server.token });
    assert.equal(logs.status, 200, logs.text);
    assert.deepEqual(logs.json.map((l) => l.status).sort(),
                     ['duplicate', 'invalid_signature', 'invalid_signature', 'processed']);
  });

  test('its test webhook runs its first sample through the pipeline and books nothing', async () => {
    const res = await server.request('/api/connectors/paddle/test-webhook',
                                     { method: 'POST', token: server.token, json: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.dryRun, true);
    assert.equal(res.json.status, 'processed');
    assert.equal(res.json.results[0].externalId, 'txn_01hv8wptq8987qeep44cyrewp9');
    const invoices = await server.request('/api/invoices?source=paddle', { token: server.token });
    assert.equal(invoices.json.invoices.length, 1);
  });

  test('a new version whose settings the install fits moves it; one that needs a new setting waits for input', async () => {
    // version 3: an optional setting more; the install's config fits it.
    const v3 = paddleManifest();
    v3.settings.push({ key: 'accountLabel', label: 'Account label', type: 'string' });
    const s3 = await submit(acme.token, v3);
    assert.equal(s3.json.status, 'pending_review', s3.text);
    const a3 = await server.request(`/api/operator/submissions/${s3.json.id}/approve`,
                                    { method: 'POST', token: operator, json: {} });
    assert.equal(a3.status, 200, a3.text);
    assert.deepEqual(a3.json.installs, { moved: 1, waitingForInput: 0 });
    const audit = await server.request('/api/audit-log', { token: server.token });
    const moved = audit.json.entries.find((e) => e.action === 'connector.version_update');
    assert.ok(moved, audit.text);
    assert.equal(moved.target, 'paddle');
    const chains = await server.request('/api/ledger/verify', { token: server.token });
    assert.equal(chains.json?.ok, true, chains.text);
    let entry = await server.request('/api/connectors/paddle', { token: server.token });
    assert.equal(entry.json.version, 3);
    assert.equal(entry.json.installedVersion, 3);
    assert.equal(entry.json.updateNeedsInput, false);

    // version 4: a required setting without a default: the install stays on 3.
    const v4 = paddleManifest();
    v4.settings.push({ key: 'sellerId', label: 'Seller ID', type: 'string', flags: ['required'] });
    const s4 = await submit(acme.token, v4);
    assert.equal(s4.json.status, 'pending_review', s4.text);
    const a4 = await server.request(`/api/operator/submissions/${s4.json.id}/approve`,
                                    { method: 'POST', token: operator, json: {} });
    assert.deepEqual(a4.json.installs, { moved: 0, waitingForInput: 1 });
    entry = await server.request('/api/connectors/paddle', { token: server.token });
    assert.equal(entry.json.version, 4);
    assert.equal(entry.json.installedVersion, 3);
    assert.equal(entry.json.updateNeedsInput, true);
    // Still on version 3, it books as before.
    const body = transactionCompleted({ id: 'txn_01hvflowsecond00000000000' });
    const booked = await postPaddle(install.webhookUrl, tenantSecret, body);
    assert.equal(booked.json?.status, 'processed', booked.text);

    // The admin's input: the new setting. Refused without it, then the install is on 4.
    const missing = await server.request('/api/connectors/paddle/config',
                                         { method: 'PUT', token: server.token, json: { config: {} } });
    assert.equal(missing.status, 422, missing.text);
    const given = await server.request('/api/connectors/paddle/config', {
      method: 'PUT', token: server.token, json: { config: { sellerId: '12345' } },
    });
    assert.equal(given.status, 200, given.text);
    assert.equal(given.json.installedVersion, 4);
    assert.equal(given.json.updateNeedsInput, false);
  });

  test('unpublished, it cannot be installed again; the existing install keeps working and sees a notice', async () => {
    const res = await server.request('/api/operator/connectors/paddle/unpublish',
                                     { method: 'POST', token: operator, json: {} });
    assert.equal(res.status, 200, res.text);
    const twice = await server.request('/api/operator/connectors/paddle/unpublish',
                                       { method: 'POST', token: operator, json: {} });
    assert.equal(twice.status, 409);

    const catalogB = await server.request('/api/connectors', { token: tenantB.token });
    assert.equal(catalogEntry(catalogB, 'paddle'), undefined, 'gone from catalogs without it');
    const detailB = await server.request('/api/connectors/paddle', { token: tenantB.token });
    assert.equal(detailB.status, 404, detailB.text);
    const installB = await server.request('/api/connectors/paddle/install', {
      method: 'POST', token: tenantB.token, json: { config: { webhookSecret: 'pdl_ntfset_b' } },
    });
    assert.equal(installB.status, 409, installB.text);

    const mine = await server.request('/api/connectors', { token: server.token });
    const entry = catalogEntry(mine, 'paddle');
    assert.ok(entry, 'still listed where installed');
    assert.equal(entry.published, false);
    assert.equal(entry.status, 'installed');
    assert.match(entry.notice, /Unpublished/);
    const body = transactionCompleted({ id: 'txn_01hvflowthird000000000000' });
    const booked = await postPaddle(install.webhookUrl, tenantSecret, body);
    assert.equal(booked.status, 200, booked.text);
    assert.equal(booked.json.status, 'processed');

    const detail = await server.request(`/api/developer/connectors/${second.id}`, { token: acme.token });
    assert.equal(detail.json.published.isPublished, false);
    assert.equal(detail.json.published.version, 4);
  });

  test('a rejection carries the reviewer\'s reason to the developer', async () => {
    const res = await submit(acme.token, paddleManifest({ slug: 'paddle-classic' }));
    assert.equal(res.json.status, 'pending_review', res.text);
    const noReason = await server.request(`/api/operator/submissions/${res.json.id}/reject`,
                                          { method: 'POST', token: operator, json: {} });
    assert.equal(noReason.status, 400, noReason.text);
    const rejected = await server.request(`/api/operator/submissions/${res.json.id}/reject`, {
      method: 'POST', token: operator, json: { reason: 'Paddle Classic is retired; submit Billing only' },
    });
    assert.equal(rejected.status, 200, rejected.text);
    const seen = await server.request(`/api/developer/connectors/${res.json.id}`, { token: acme.token });
    assert.equal(seen.json.status, 'rejected');
    assert.equal(seen.json.review.reason, 'Paddle Classic is retired; submit Billing only');
  });
});

describe('versions and slugs under concurrency', () => {
  test('approving an older version after a newer one leaves the newer published', async () => {
    const v1 = await submit(acme.token, paddleManifest({ slug: 'paddle-order' }));
    const v2 = await submit(acme.token, paddleManifest({ slug: 'paddle-order' }));
    assert.deepEqual([v1.json.version, v2.json.version], [1, 2]);
    for (const id of [v2.json.id, v1.json.id]) {
      const res = await server.request(`/api/operator/submissions/${id}/approve`,
                                       { method: 'POST', token: operator, json: {} });
      assert.equal(res.status, 200, res.text);
    }
    const entry = await server.request('/api/connectors/paddle-order', { token: server.token });
    assert.equal(entry.json.version, 2, entry.text);
  });

  test('two developers submitting one new slug at once: exactly one gets it', async () => {
    const results = await Promise.all([acme.token, other.token, acme.token, other.token]
      .map((t) => submit(t, paddleManifest({ slug: 'paddle-race' }))));
    const owners = new Set(results.filter((r) => r.status === 201).map((r) => r.json.developer.id));
    assert.equal(owners.size, 1, results.map((r) => r.text).join('\n'));
    for (const r of results) assert.ok([201, 409].includes(r.status), r.text);
    const versions = results.filter((r) => r.status === 201).map((r) => r.json.version).sort();
    assert.deepEqual(versions, versions.map((_, i) => i + 1), 'versions are numbered without gaps');
  });
});

describe('role rules', () => {
  test('a developer cannot review, approve or publish', async () => {
    for (const [method, path] of [['GET', '/api/operator/submissions'],
                                  ['POST', '/api/operator/submissions/sub_x/approve'],
                                  ['POST', '/api/operator/submissions/sub_x/reject'],
                                  ['POST', '/api/operator/connectors/paddle/unpublish'],
                                  ['POST', '/api/operator/developers']]) {
      const res = await server.request(path, { method, token: acme.token,
                                               json: method === 'POST' ? {} : undefined });
      assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.error.code, 'forbidden');
    }
  });

  test('a tenant admin cannot submit, nor see submissions', async () => {
    const res = await submit(server.token, paddleManifest({ slug: 'tenant-try' }));
    assert.equal(res.status, 403, res.text);
    for (const path of ['/api/developer/connectors', '/api/operator/submissions']) {
      const r = await server.request(path, { token: server.token });
      assert.equal(r.status, 403, path);
    }
  });

  test('platform tokens open no tenant route', async () => {
    for (const token of [operator, acme.token]) {
      for (const path of ['/api/tenant', '/api/connectors', '/api/invoices']) {
        const r = await server.request(path, { token });
        assert.equal(r.status, 403, `${path}: ${r.text}`);
      }
    }
    const operatorSubmits = await submit(operator, paddleManifest({ slug: 'op-try' }));
    assert.equal(operatorSubmits.status, 403);
  });

  test('one developer cannot see or take another\'s submissions or slug', async () => {
    const mine = await server.request('/api/developer/connectors', { token: acme.token });
    const id = mine.json.submissions[0].id;
    const peek = await server.request(`/api/developer/connectors/${id}`, { token: other.token });
    assert.equal(peek.status, 404, peek.text);
    // (the other developer may own the slug it won in the race above: only its own shows)
    const list = await server.request('/api/developer/connectors', { token: other.token });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json.submissions.every((x) => x.developer.id === other.developerId && x.id !== id),
              list.text);
    const taken = await submit(other.token, paddleManifest());
    assert.equal(taken.status, 409, taken.text);
    assert.equal(taken.json.error.code, 'conflict');
  });

  test('developer tokens are made by the operator, shown once, stored hashed', async () => {
    const token = await server.cli(['developer', 'token', '--developer', acme.id]);
    assert.equal(token.code, 0, token.stderr);
    const second = JSON.parse(token.stdout).token;
    const list = await server.request('/api/developer/connectors', { token: second });
    assert.equal(list.status, 200);
    assert.ok(list.json.submissions.length > 0, 'the same developer');
    const unknown = await server.cli(['developer', 'token', '--developer', 'dev_nobody']);
    assert.equal(unknown.code, 1);
    const devs = await server.request('/api/operator/developers', { token: operator });
    assert.deepEqual(devs.json.developers.map((d) => d.name), ['Acme Labs', 'Other Dev']);
    assert.equal(devs.text.includes(acme.token), false);
  });
});
