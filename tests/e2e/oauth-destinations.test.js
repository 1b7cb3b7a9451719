// Destinations whose services issue short-lived tokens (oauth/, the engine's token step):
// xero from a refresh token in its settings (renewed before expiry, rotated, a 401 answered
// by one refresh and one resend), the refresh serialized so concurrent senders (threads of
// one server, and two servers on one store) never spend a rotating refresh token twice, and
// bigquery's service-account key signing its own RS256 assertion, which the mock verifies
// with the key's public half. Nothing secret shows in an answer, a recorded attempt or a
// log line. quickbooks (client in HTTP Basic) and salesforce (client in the form, tokens
// without an expiry, renewed on a 401) go the same way at their own token URLs.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { OAuthMock } = require('./lib/oauth-mock');
const { Project } = require('./lib/outbound');

const PAYMENT = { provider: 'stripe', amount: '12.00', currency: 'EUR', amountMinor: 1200,
                  externalId: 'pi_1', party: { id: 'cus_1', name: 'Ada', role: 'customer' } };

let server;
let mock;
const shown = [];
const projects = [];

before(async () => {
  mock = await OAuthMock.start();
  mock.clientAuth = 'basic'; // as Xero's identity server takes it
  server = await startServer({ args: ['--retry-schedule', '1s,1s,1s'] });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

async function newProject() {
  const project = await Project.create(server);
  projects.push(project);
  return project;
}

// Each destination in a project of its own: an event reaches only it.
async function xero() {
  const ep = {
    project: await newProject(),
    type: 'xero',
    config: { refreshToken: mock.newRefresh(), clientId: mock.client.id, clientSecret: mock.client.secret,
              tenantId: crypto.randomUUID(), apiBaseUrl: mock.base, oauthBaseUrl: mock.base },
  };
  const created = await ep.project.destination(ep, ['payment.settled']);
  shown.push(JSON.stringify(created));
  return ep;
}

async function deliver(ep, status = 'delivered') {
  const ev = await ep.project.publish('payment.settled', PAYMENT);
  const d = await ep.project.settled(ep.connectorId, ev.id, status);
  shown.push(JSON.stringify(d));
  return d;
}

const xeroCalls = () => mock.apiRequests.filter((r) => r.path.startsWith('/api.xro/'));

test('xero: the access token is renewed when it expires within a minute, with the rotated refresh token', async () => {
  const ep = await xero();
  mock.expiresIn = 30;
  const first = mock.refreshes;
  await deliver(ep);
  assert.equal(mock.refreshes, first + 1);
  const t1 = xeroCalls().at(-1).token;
  const rotated = mock.tokenRequests.at(-1);
  assert.equal(rotated.path, '/connect/token');
  assert.equal(rotated.form.get('grant_type'), 'refresh_token');
  assert.equal(rotated.form.get('refresh_token'), ep.config.refreshToken);

  await deliver(ep); // t1 lasts 30 s: renewed first, with the refresh token the first answer rotated in
  assert.equal(mock.refreshes, first + 2);
  assert.notEqual(xeroCalls().at(-1).token, t1);
  assert.notEqual(mock.tokenRequests.at(-1).form.get('refresh_token'), ep.config.refreshToken);
  assert.equal(mock.reused, 0, 'a spent refresh token was presented');

  mock.expiresIn = 3600;
  await deliver(ep);
  await deliver(ep); // the hour-long token is used as it is
  assert.equal(mock.refreshes, first + 3);
  assert.equal(xeroCalls().at(-1).token, xeroCalls().at(-2).token);
});

test('xero: a 401 is answered by one refresh and one resend, and the delivery succeeds', async () => {
  const ep = await xero();
  await deliver(ep);
  const refreshes = mock.refreshes;
  const calls = xeroCalls().length;
  mock.revokeAllAccess(); // the stored token still looks valid for an hour
  const d = await deliver(ep);
  assert.equal(d.attempts.length, 1, JSON.stringify(d.attempts));
  assert.equal(d.attempts[0].status, 200);
  assert.equal(mock.refreshes, refreshes + 1);
  assert.deepEqual(xeroCalls().slice(calls).map((r) => r.status), [401, 200]);
});

test('xero: a second 401 after the refresh fails the delivery without another refresh', async () => {
  const ep = await xero();
  await deliver(ep);
  const refreshes = mock.refreshes;
  const calls = xeroCalls().length;
  mock.alwaysUnauthorized = true;
  try {
    const d = await deliver(ep, 'failed');
    assert.equal(d.attempts.length, 1);
    assert.equal(d.attempts[0].status, 401);
  } finally {
    mock.alwaysUnauthorized = false;
  }
  assert.equal(mock.refreshes, refreshes + 1);
  assert.deepEqual(xeroCalls().slice(calls).map((r) => r.status), [401, 401]);
});

test('xero: concurrent senders refresh once and never present a spent refresh token', async () => {
  const ep = await xero();
  const refreshes = mock.refreshes;
  const reused = mock.reused;
  mock.tokenDelayMs = 300; // a wide window for a second refresh to start
  try {
    const sends = await Promise.all(Array.from({ length: 8 }, () =>
      ep.project.req('POST', `${ep.project.base}/connectors/${ep.connectorId}/test`, {})));
    for (const res of sends) {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.verdict, 'delivered', res.text);
      shown.push(res.text);
    }
  } finally {
    mock.tokenDelayMs = 0;
  }
  assert.equal(mock.reused, reused, 'a rotated refresh token was used twice');
  assert.equal(mock.refreshes, refreshes + 1, 'the waiting senders should use the token the first one stored');
});

test('xero: two processes on one store refresh once between them', async () => {
  const ep = await xero();
  const other = await startServer({ dir: server.dir, expectDemo: false });
  const refreshes = mock.refreshes;
  const reused = mock.reused;
  mock.tokenDelayMs = 300;
  try {
    const path = `${ep.project.base}/connectors/${ep.connectorId}/test`;
    const sends = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      (i % 2 ? other : server).request(path, { method: 'POST', token: ep.project.token, json: {} })));
    for (const res of sends) {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.verdict, 'delivered', res.text);
    }
  } finally {
    mock.tokenDelayMs = 0;
    await other.stop();
    shown.push(other.stdout, other.stderr);
  }
  assert.equal(mock.reused, reused, 'a rotated refresh token was used twice');
  assert.equal(mock.refreshes, refreshes + 1);
});

test('quickbooks and salesforce renew their tokens at their own token URLs; salesforce\'s, without an expiry, on a 401', async () => {
  const qb = { type: 'quickbooks', project: await newProject(),
               config: { refreshToken: mock.newRefresh(), clientId: mock.client.id, clientSecret: mock.client.secret,
                         realmId: '9130350273624976', apiBaseUrl: mock.base, oauthBaseUrl: mock.base } };
  shown.push(JSON.stringify(await qb.project.destination(qb, ['payment.settled'])));
  await deliver(qb);
  const asked = mock.tokenRequests.at(-1);
  assert.equal(asked.path, '/oauth2/v1/tokens/bearer');
  assert.match(asked.authorization, /^Basic /);

  mock.clientAuth = 'form'; // Salesforce takes the client in the form
  mock.expiresIn = null;    // and says nothing of how long the token lasts
  try {
    const sf = { type: 'salesforce', project: await newProject(),
                 config: { refreshToken: mock.newRefresh(), clientId: mock.client.id,
                           clientSecret: mock.client.secret, instanceUrl: mock.base } };
    shown.push(JSON.stringify(await sf.project.destination(sf, ['payment.settled'])));
    const refreshes = mock.refreshes;
    await deliver(sf);
    assert.equal(mock.tokenRequests.at(-1).path, '/services/oauth2/token');
    assert.equal(mock.tokenRequests.at(-1).form.get('client_id'), mock.client.id);
    await deliver(sf); // no expiry: the token is kept
    assert.equal(mock.refreshes, refreshes + 1);
    mock.revokeAllAccess(); // the org's session timed out
    const d = await deliver(sf);
    assert.equal(d.attempts.length, 1);
    assert.equal(mock.refreshes, refreshes + 2);
  } finally {
    mock.clientAuth = 'basic';
    mock.expiresIn = 3600;
  }
});

function rsaKey(dir, name) {
  const file = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file], { stdio: 'ignore' });
  const pub = execFileSync('openssl', ['pkey', '-in', file, '-pubout'], { encoding: 'utf8' });
  return { privatePem: fs.readFileSync(file, 'utf8'), publicPem: pub };
}

test('bigquery: the service-account key signs an RS256 assertion the token URL verifies; the token is cached', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cd-oauth-'));
  const key = rsaKey(dir, 'sa');
  const other = rsaKey(dir, 'other');
  fs.rmSync(dir, { recursive: true, force: true });
  const email = 'events@my-gcp-project.iam.gserviceaccount.com';
  mock.jwtKey = { publicKey: key.publicPem, email, audience: `${mock.base}/token`,
                  scope: 'https://www.googleapis.com/auth/bigquery.insertdata' };
  const keyFile = (pem) => JSON.stringify({ type: 'service_account', project_id: 'my-gcp-project',
                                            private_key_id: 'k1', private_key: pem, client_email: email,
                                            token_uri: 'https://oauth2.googleapis.com/token' });
  const config = { projectId: 'my-gcp-project', datasetId: 'payments', tableId: 'events',
                   apiBaseUrl: mock.base, oauthBaseUrl: mock.base };
  const ep = { type: 'bigquery', project: await newProject(),
               config: { ...config, serviceAccountKey: keyFile(key.privatePem) } };
  shown.push(JSON.stringify(await ep.project.destination(ep, ['payment.settled'])));
  const before = mock.tokenRequests.length;
  await deliver(ep);
  await deliver(ep);
  const asked = mock.tokenRequests.slice(before);
  assert.equal(asked.length, 1, 'the token lasts an hour: asked once');
  assert.equal(asked[0].form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  const inserts = mock.apiRequests.filter((r) => r.path.includes('/insertAll'));
  assert.equal(inserts.length, 2);
  assert.ok(inserts.every((r) => r.status === 200));

  // a key whose signature does not verify: the token URL refuses, the delivery fails
  const forged = { type: 'bigquery', project: await newProject(),
                   config: { ...config, serviceAccountKey: keyFile(other.privatePem) } };
  shown.push(JSON.stringify(await forged.project.destination(forged, ['payment.settled'])));
  const d = await deliver(forged, 'failed');
  assert.match(d.attempts[0].error, /refused/);
  assert.equal(mock.apiRequests.filter((r) => r.path.includes('/insertAll')).length, 2);
  mock.secretsExtra = [key.privatePem.split('\n')[1], other.privatePem.split('\n')[1]];
});

test('no token, refresh token, client secret or key shows in answers, attempts or logs', async () => {
  for (const project of projects) {
    const list = await project.req('GET', `${project.base}/connectors`);
    assert.equal(list.status, 200, list.text);
    shown.push(list.text);
  }
  const everything = shown.join('\n') + server.stdout + server.stderr;
  const secrets = [...mock.allSecrets(), ...(mock.secretsExtra ?? [])];
  assert.ok(secrets.length > 10);
  for (const s of secrets) assert.ok(!everything.includes(s), `a secret (${s.slice(0, 6)}...) was shown`);
});
