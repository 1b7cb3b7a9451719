// The store page's three views of outside connectors, in Chromium against the real server:
// a developer's token shows "My submissions" with each version's check results; the
// operator's token shows the review queue, where a rejection needs a reason and Approve
// publishes; a tenant admin's catalog then shows the connector with its publisher and
// version. Screenshots go to build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { paddleManifest } = require('./lib/paddle');

let server;
let browser;
let operator;
let developer;
let failing;
let passing;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  operator = JSON.parse((await server.cli(['operator', 'token', 'create'])).stdout).token;
  const made = await server.request('/api/operator/developers',
                                    { method: 'POST', token: operator, json: { name: 'Acme Labs' } });
  assert.equal(made.status, 201, made.text);
  developer = made.json.token;
  const wrong = paddleManifest();
  wrong.samples[0].payments[0].currency = 'USD';
  failing = (await server.request('/api/developer/connectors',
                                  { method: 'POST', token: developer, json: wrong })).json;
  passing = (await server.request('/api/developer/connectors',
                                  { method: 'POST', token: developer, json: paddleManifest() })).json;
  assert.equal(failing.status, 'changes_requested');
  assert.equal(passing.status, 'pending_review');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(token, heading) {
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
  return page;
}

function submission(page, id) {
  return page.locator(`li.submission[data-id="${id}"]`);
}

describe('the store page for developers, the operator and tenants', () => {
  test('a developer token sees My submissions with the check results', async () => {
    const page = await signIn(developer, 'My submissions');
    assert.equal(await page.locator('#platform-role').textContent(), 'Connector developer');
    const bad = submission(page, failing.id);
    await bad.waitFor();
    assert.equal(await bad.locator('[data-status]').first().getAttribute('data-status'),
                 'changes_requested');
    const sample = bad.locator('li[data-check="sample 1"]');
    assert.equal(await sample.getAttribute('data-ok'), 'false');
    assert.match(await sample.textContent(), /currency is "EUR"/);
    const good = submission(page, passing.id);
    assert.equal(await good.locator('li[data-ok="false"]').count(), 0);
    assert.match(await good.textContent(), /version 2/);
    assert.equal(page.url().includes(developer), false, 'the token stays out of the URL');
    await screenshot(page, 'publishing-developer');
    assert.deepEqual(browser.errors, []);
    await page.close();
  });

  test('the operator token sees the review queue; a rejection needs a reason; Approve publishes', async () => {
    const page = await signIn(operator, 'Review queue');
    const queued = page.locator(`#queue li.submission[data-id="${passing.id}"]`);
    await queued.waitFor();
    assert.equal(await page.locator(`#queue li.submission[data-id="${failing.id}"]`).count(), 0,
                 'what failed its checks does not wait for review');
    await screenshot(page, 'publishing-operator');
    await queued.locator('button[data-action="reject"]').click();
    await queued.getByText('Say why it is rejected').waitFor();
    await queued.locator('button[data-action="approve"]').click();
    await page.locator('#queue-empty').waitFor();
    await page.locator(`#recent li.submission[data-id="${passing.id}"] [data-status="approved"]`).waitFor();
    const api = await server.request(`/api/operator/submissions/${passing.id}`, { token: operator });
    assert.equal(api.json.status, 'approved');
    assert.deepEqual(browser.errors, []);
    await page.close();
  });

  test('a tenant admin sees the published connector with its publisher and version', async () => {
    const page = await signIn(server.token, 'Connector store');
    const card = page.locator('li.card[data-slug="paddle"]');
    await card.waitFor();
    const line = card.locator('.card-publisher');
    assert.equal(await line.getAttribute('data-publisher'), 'Acme Labs');
    assert.match(await line.textContent(), /By Acme Labs · version 2/);
    await card.getByRole('link', { name: 'Paddle Billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Paddle Billing' }).waitFor();
    assert.match(await page.locator('.card-publisher').textContent(), /version 2/);
    await screenshot(page, 'publishing-tenant');
    assert.deepEqual(browser.errors, []);
    await page.close();
  });

  test('an install behind the published version says it needs input; unpublished, it says so', async () => {
    const installed = await server.request('/api/connectors/paddle/install', {
      method: 'POST', token: server.token, json: { config: { webhookSecret: 'pdl_ntfset_page_test' } },
    });
    assert.equal(installed.status, 201, installed.text);
    const v3 = paddleManifest();
    v3.settings.push({ key: 'sellerId', label: 'Seller ID', type: 'string', flags: ['required'] });
    const sub = await server.request('/api/developer/connectors', { method: 'POST', token: developer, json: v3 });
    const ok = await server.request(`/api/operator/submissions/${sub.json.id}/approve`,
                                    { method: 'POST', token: operator, json: {} });
    assert.equal(ok.json.installs.waitingForInput, 1, ok.text);
    const off = await server.request('/api/operator/connectors/paddle/unpublish',
                                     { method: 'POST', token: operator, json: {} });
    assert.equal(off.status, 200, off.text);

    const page = await signIn(server.token, 'Connector store');
    const card = page.locator('li.card[data-slug="paddle"]');
    await card.locator('[data-state="update"]').waitFor();
    await card.locator('[data-state="unpublished"]').waitFor();
    await card.getByRole('link', { name: 'Paddle Billing' }).click();
    await page.getByText('your settings do not fit it yet').waitFor();
    await page.getByText(/Unpublished on \d{4}-\d{2}-\d{2}/).waitFor();
    await screenshot(page, 'publishing-tenant-update');
    assert.deepEqual(browser.errors, []);
    await page.close();
  });

  test('the developer then sees the approval', async () => {
    const page = await signIn(developer, 'My submissions');
    await submission(page, passing.id).locator('[data-status="approved"]').waitFor();
    await page.close();
  });
});
