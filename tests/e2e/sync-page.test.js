// sync-page.test.js - the store page's sync panel (issue 16) in Chromium against the real
// server and a local Clockify: an installed pulling connector shows when it last synced and
// its schedule, "Sync now" queues a run that the page follows to its end (the runs table
// gets the run with its counts), refused credentials show as a sync error on the connector
// until a run succeeds, and Trakro, which has no public API, says so instead of a button.
// Screenshots go to build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { MockTimeTracking } = require('./lib/mock-timetracking');

let server, browser, mock;

before(async () => {
  server = await startServer();
  mock = await new MockTimeTracking().start();
  browser = await launchBrowser();
  const now = Date.now();
  for (let i = 0; i < 12; i++) {
    const start = new Date(now - (i + 1) * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    mock.clockify.entries.push({ id: `pg${i}`, description: `Design ${i}`, billable: true, userId: 'u-77',
                                 timeInterval: { start, end: start, duration: 'PT45M' },
                                 hourlyRate: { amount: 9000, currency: 'EUR' },
                                 project: { name: 'Brand', clientId: 'c9', clientName: 'Stark Industries' } });
  }
  const r = await server.request('/api/connectors/clockify/install', {
    method: 'POST', token: server.token,
    json: { config: { apiKey: mock.clockify.key, workspaceId: mock.clockify.workspace,
                      apiBaseUrl: `${mock.base}/clockify/api` } },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await mock?.stop();
  assert.deepEqual(browser ? browser.errors : [], []);
});

async function openConnector(slug) {
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(server.token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  await page.goto(`${server.baseUrl}/connectors#/connectors/${slug}`);
  return page;
}

test('Sync now runs the connector and the page shows the run and the last sync', async () => {
  const page = await openConnector('clockify');
  const panel = page.locator('#sync-panel');
  await panel.getByRole('heading', { name: 'Sync' }).waitFor();
  assert.equal(await page.locator('#sync-last').textContent(), 'Never');
  assert.match(await panel.textContent(), /Every 15 minutes/);
  await page.locator('#sync-panel .empty:not([hidden])').waitFor();

  await page.getByRole('button', { name: 'Sync now' }).click();
  // the page follows the run and re-reads the connector when it ends
  await page.locator('.notice-ok', { hasText: 'Sync finished: 12 new, 0 updated, 0 deleted.' }).waitFor();
  const row = page.locator('#sync-runs tbody tr[data-status="succeeded"]');
  await row.waitFor();
  assert.equal(await row.locator('td[data-label="New"]').textContent(), '12');
  assert.equal(await row.locator('td[data-label="Trigger"]').textContent(), 'Sync now');
  assert.notEqual(await page.locator('#sync-last').textContent(), 'Never');
  await screenshot(page, 'sync-panel-desktop');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'sync-panel-phone');
  await page.close();
});

test('refused credentials show as a sync error until a sync succeeds', async () => {
  let r = await server.request('/api/connectors/clockify/config', {
    method: 'PUT', token: server.token, json: { config: { apiKey: 'not-the-key' } } });
  assert.equal(r.status, 200);
  const page = await openConnector('clockify');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.locator('.notice-bad', { hasText: /Sync failed: .*refused the credentials/ }).waitFor();
  await page.locator('.badge[data-state="error"]', { hasText: 'Sync error' }).waitFor();
  assert.match(await page.locator('#sync-error').textContent(), /refused the credentials \(HTTP 401/);
  await page.locator('#sync-runs tbody tr[data-status="failed"]').waitFor();
  await screenshot(page, 'sync-panel-error');

  r = await server.request('/api/connectors/clockify/config', {
    method: 'PUT', token: server.token, json: { config: { apiKey: mock.clockify.key } } });
  assert.equal(r.status, 200);
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.locator('.notice-ok', { hasText: 'Sync finished' }).waitFor();
  assert.equal(await page.locator('#sync-error').count(), 0);
  assert.equal(await page.locator('.badge[data-state="error"]').count(), 0);
  assert.equal(await page.locator('#sync-runs tbody tr').count(), 3);
  await page.close();
});

test('a connector without a public API says so and offers no Sync now', async () => {
  const r = await server.request('/api/connectors/trakro/install', {
    method: 'POST', token: server.token, json: { config: { apiKey: 'trk-key' } } });
  assert.equal(r.status, 201, r.text);
  const page = await openConnector('trakro');
  await page.locator('#sync-panel').waitFor();
  assert.match(await page.locator('#sync-panel').textContent(), /publishes no API documentation/);
  assert.equal(await page.getByRole('button', { name: 'Sync now' }).count(), 0);
  await page.close();
});
