// The API reference page: the connector store links to it, the binary serves it (no CDN:
// every request the page makes goes to the server itself), and it renders every operation
// of GET /api/openapi.json with its parameters, body and answers, the shared schemas linked.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { runCli, startServer } = require('./lib/server');
const fs = require('node:fs');
const path = require('node:path');
const { SCREENSHOT_DIR, launchBrowser } = require('./lib/browser');

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the store page links to a rendering of the OpenAPI document, served by the binary', async () => {
  const page = await browser.newPage();
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${server.baseUrl}/connectors`);
  await page.getByRole('link', { name: 'API reference' }).click();
  await page.waitForURL(/\/connectors\/api\.html$/);
  await page.getByRole('heading', { level: 1, name: /connectord API/ }).waitFor();

  const routes = (await runCli(['routes'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
  const shown = await page.locator('section.op h3').evaluateAll((els) => els
    .filter((e) => e.querySelector('.method'))
    .map((e) => `${e.querySelector('.method').textContent} ${e.querySelector('.op-path').textContent}`));
  assert.deepEqual(shown.slice().sort(), routes.map((r) => `${r.method} ${r.path}`).sort());

  // one operation in full: its parameters, body and answers; the Error schema is linked
  const op = page.locator('section.op', { has: page.locator('.op-path', { hasText: /^\/api\/tokens$/ }) })
    .filter({ has: page.locator('.method', { hasText: 'POST' }) });
  await assert.doesNotReject(op.getByText('make a token for an integration').waitFor());
  await op.getByText('Request body').waitFor();
  assert.ok(await op.getByText('expiresAt').count() >= 1);
  await op.getByRole('link', { name: 'Error' }).first().click();
  await page.locator('#schema-Error').waitFor();
  assert.ok(await page.locator('#schema-Error').getByText('plan_required').count() >= 1);

  // the table of contents jumps to an operation
  await page.getByRole('navigation', { name: 'Operations' }).getByRole('link', { name: 'POST /mcp' }).click();
  await page.locator('section.op', { has: page.locator('.op-path', { hasText: /^\/mcp$/ }) }).waitFor();

  const foreign = requested.filter((u) => !u.startsWith(server.baseUrl) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'the page loads nothing from elsewhere');
  assert.ok(requested.some((u) => u.endsWith('/api/openapi.json')));
  assert.deepEqual(browser.errors, []);
  // the page is long: the first screen is what a reader sees
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'api-reference.png') });
});
