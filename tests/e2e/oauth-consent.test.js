// The OAuth 2 consent flow of an installed connector (oauth/, api/oauth.c): the start URL
// carries the right parameters (and a PKCE challenge where the service takes one), the
// callback exchanges the code and stores the tokens sealed, a state is good once, for its
// own connector only, and no token or client secret ever shows in an API answer or a log.
// The service is a local mock authorization server (lib/oauth-mock.js).
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { OAuthMock } = require('./lib/oauth-mock');

let server;
let mock;
let tenant;

before(async () => {
  mock = await OAuthMock.start();
  server = await startServer();
  tenant = await server.createTenant(`OAuth ${Date.now()}`, 'enterprise');
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

const admin = (path, opts = {}) => server.request(path, { token: tenant.token, ...opts });

async function install(slug, config) {
  const res = await admin(`/api/connectors/${slug}/install`, { method: 'POST', json: { config } });
  assert.equal(res.status, 201, res.text);
}

async function start(slug) {
  const res = await admin(`/api/connectors/${slug}/oauth/start`);
  assert.equal(res.status, 200, res.text);
  return { url: new URL(res.json.authorizeUrl), body: res.json };
}

// What the service's redirect brings the admin's browser to.
function callback(slug, query, headers = {}) {
  return server.request(`/api/connectors/${slug}/oauth/callback?${new URLSearchParams(query)}`, { headers });
}

const answers = [];
function remember(res) {
  answers.push(res.text);
  return res;
}

test('Timely: start answers the consent URL, the callback exchanges the code and stores the grant', async () => {
  await install('timely', { clientId: mock.client.id, clientSecret: mock.client.secret,
                            apiBaseUrl: `${mock.base}/1.1` });
  const before = remember(await admin('/api/connectors/timely/oauth'));
  assert.equal(before.status, 200, before.text);
  assert.equal(before.json.connected, false);

  const { url, body } = await start('timely');
  answers.push(JSON.stringify(body));
  const redirect = `${server.baseUrl}/api/connectors/timely/oauth/callback`;
  assert.equal(url.origin + url.pathname, `${mock.base}/1.1/oauth/authorize`);
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('client_id'), mock.client.id);
  assert.equal(url.searchParams.get('redirect_uri'), redirect);
  assert.match(url.searchParams.get('state'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(url.searchParams.get('code_challenge'), null, 'Timely documents no PKCE');
  assert.equal(body.redirectUri, redirect);

  const code = mock.issueCode(redirect);
  const state = url.searchParams.get('state');
  const done = remember(await callback('timely', { code, state }));
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.connected, true);
  assert.equal(done.json.connector, 'timely');

  const exchange = mock.tokenRequests.at(-1);
  assert.equal(exchange.path, '/1.1/oauth/token');
  assert.equal(exchange.form.get('grant_type'), 'authorization_code');
  assert.equal(exchange.form.get('code'), code);
  assert.equal(exchange.form.get('redirect_uri'), redirect);
  assert.equal(exchange.form.get('client_id'), mock.client.id);

  const status = remember(await admin('/api/connectors/timely/oauth'));
  assert.equal(status.status, 200, status.text);
  assert.equal(status.json.connected, true);
  assert.equal(status.json.hasAccessToken, true);
  assert.ok(Date.parse(status.json.expiresAt) > Date.now() + 3000 * 1000, status.text);

  // the same state a second time: refused, and no second exchange
  const n = mock.tokenRequests.length;
  const again = remember(await callback('timely', { code: mock.issueCode(redirect), state }));
  assert.equal(again.status, 403, again.text);
  assert.equal(mock.tokenRequests.length, n);
});

test('a wrong, missing or foreign state is refused without a token request', async () => {
  const n = mock.tokenRequests.length;
  const redirect = `${server.baseUrl}/api/connectors/timely/oauth/callback`;
  const wrong = remember(await callback('timely', { code: mock.issueCode(redirect), state: 'x'.repeat(43) }));
  assert.equal(wrong.status, 403, wrong.text);
  assert.equal(wrong.json.error.code, 'forbidden');
  const missing = remember(await callback('timely', { code: 'c' }));
  assert.equal(missing.status, 400, missing.text);
  // a state started for Timely, brought back to another connector's callback
  const { url } = await start('timely');
  const foreign = remember(await callback('google-workspace', { code: 'c', state: url.searchParams.get('state') }));
  assert.equal(foreign.status, 403, foreign.text);
  // the service said no
  const denied = remember(await callback('timely', { error: 'access_denied', state: 'y'.repeat(43) }));
  assert.equal(denied.status, 403, denied.text);
  assert.equal(mock.tokenRequests.length, n);
  // start is for admins only
  const anon = await server.request('/api/connectors/timely/oauth/start');
  assert.equal(anon.status, 401, anon.text);
});

test('a browser gets a page back', async () => {
  const { url } = await start('timely');
  const redirect = url.searchParams.get('redirect_uri');
  const res = await callback('timely', { code: mock.issueCode(redirect), state: url.searchParams.get('state') },
                             { accept: 'text/html' });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.match(res.text, /timely is connected/);
  const bad = await callback('timely', { code: 'c', state: url.searchParams.get('state') }, { accept: 'text/html' });
  assert.equal(bad.status, 403);
  assert.match(bad.text, /Not connected/);
});

test('Google Workspace: PKCE challenge in the start URL, its verifier in the exchange', async () => {
  const clientId = '1234-abc.apps.googleusercontent.com';
  mock.client.id = clientId;
  try {
    await install('google-workspace', { clientId, clientSecret: mock.client.secret, oauthBaseUrl: mock.base });
    const { url } = await start('google-workspace');
    assert.equal(url.origin + url.pathname, `${mock.base}/o/oauth2/v2/auth`);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    const challenge = url.searchParams.get('code_challenge');
    assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('access_type'), 'offline');
    assert.match(url.searchParams.get('scope'), /calendar\.readonly/);
    const redirect = url.searchParams.get('redirect_uri');
    const done = remember(await callback('google-workspace', { code: mock.issueCode(redirect, challenge),
                                                                state: url.searchParams.get('state'),
                                                                scope: 'x' }));
    assert.equal(done.status, 200, done.text);
    assert.ok(mock.tokenRequests.at(-1).form.get('code_verifier'));
    assert.equal(mock.tokenRequests.at(-1).path, '/token');
  } finally {
    mock.client.id = 'client-1';
  }
});

test('no token and no client secret in any API answer or log line', async () => {
  const detail = await admin('/api/connectors/timely');
  answers.push(detail.text);
  const everything = answers.join('\n') + server.stdout + server.stderr;
  for (const secret of mock.allSecrets())
    assert.ok(!everything.includes(secret), `a secret (${secret.slice(0, 6)}...) was shown`);
});
