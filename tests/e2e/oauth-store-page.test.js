// The store page's OAuth connection (web/oauth.js), in Chromium against the real server and
// a mock authorization server whose consent screen approves at once: an installed Timely
// shows "Not connected" and the redirect URI to register; "Connect to Timely" goes to the
// service's consent URL, the service sends the browser back to the callback, whose page
// says Timely is connected; the connector's page then shows it connected, with the access
// token's expiry. Screenshots go to build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { OAuthMock } = require('./lib/oauth-mock');

let server;
let browser;
let mock;

before(async () => {
  mock = await OAuthMock.start();
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await mock?.stop();
});

test('Timely is connected from its page through the service\'s consent and back', async () => {
  const tenant = await server.createTenant(`OAuth page ${Date.now()}`, 'enterprise');
  const res = await server.request('/api/connectors/timely/install', {
    method: 'POST', token: tenant.token,
    json: { config: { clientId: mock.client.id, clientSecret: mock.client.secret, apiBaseUrl: `${mock.base}/1.1` } },
  });
  assert.equal(res.status, 201, res.text);

  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(tenant.token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  await page.goto(`${server.baseUrl}/connectors#/connectors/timely`);
  const panel = page.locator('#oauth-panel');
  await panel.getByRole('heading', { name: 'Connection to Timely' }).waitFor();
  await panel.locator('[data-state="disconnected"]').waitFor();
  assert.equal(await page.locator('#oauth-redirect').textContent(),
               `${server.baseUrl}/api/connectors/timely/oauth/callback`);
  await screenshot(page, 'oauth-timely-not-connected');

  await page.getByRole('button', { name: 'Connect to Timely' }).click();
  await page.waitForURL(/\/api\/connectors\/timely\/oauth\/callback\?/);
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  assert.match(await page.textContent('body'), /timely is connected/);
  assert.equal(mock.authorizeRequests, 1);
  assert.equal(mock.tokenRequests.at(-1).form.get('grant_type'), 'authorization_code');

  await page.goto(`${server.baseUrl}/connectors#/connectors/timely`);
  await page.locator('#oauth-panel [data-state="connected"]').waitFor();
  assert.match(await page.locator('#oauth-state').textContent(), /valid until/);
  await page.getByRole('button', { name: 'Connect to Timely again' }).waitFor();
  await screenshot(page, 'oauth-timely-connected');
  assert.deepEqual(browser.errors, []);
  await page.close();
});
