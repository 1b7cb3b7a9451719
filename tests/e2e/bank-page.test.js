// bank-page.test.js - the store page's bank accounts view (#/bank, web/bank.js) in Chromium
// against the real server and a local Enable Banking (lib/bank-mock.js): pick the country
// and the bank, follow the bank's link, come back through the callback to the page, see the
// linked account; the bank granted only a few days, so the consent is shown as about to end
// with a renew button, which runs the consent again for the same bank and account.
// Screenshots go to build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { BankMock } = require('./lib/bank-mock');
const { secret } = require('./lib/connectors');

let server, browser, mock;

before(async () => {
  server = await startServer();
  mock = await BankMock.start();
  browser = await launchBrowser();
  mock.eb.validUntil = new Date(Date.now() + 5 * 86400000 + 3600000).toISOString();
  const r = await server.request('/api/connectors/gocardless/install', {
    method: 'POST', token: server.token,
    json: { config: { webhookSecret: secret('gc_'), bankDriver: 'enablebanking',
                      applicationId: mock.eb.appId,
                      applicationKey: mock.eb.privatePem.replace(/\n/g, '\\n'),
                      apiBaseUrl: `${mock.base}/eb` } },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await mock?.stop();
  assert.deepEqual(browser ? browser.errors : [], []);
});

async function openBank() {
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(server.token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Bank accounts' }).click();
  await page.getByRole('heading', { level: 1, name: 'Bank accounts' }).waitFor();
  return page;
}

test('link a bank: country, bank, the bank\'s page, back to the linked account; renew a consent about to end', async () => {
  const page = await openBank();
  assert.equal(await page.locator('#bank-accounts-empty').count(), 1);
  await page.selectOption('#bank-country', 'AT');
  await page.getByRole('button', { name: 'Find banks' }).click();
  await page.locator('#bank-institution option').first().waitFor({ state: 'attached' });
  assert.deepEqual(await page.locator('#bank-institution option').allTextContents(),
                   ['Erste Bank und Sparkassen']);
  await page.getByRole('button', { name: 'Link account' }).click();
  // the bank's page sends the browser back through the callback to this view
  await page.waitForURL(`${server.baseUrl}/connectors#/bank`);
  await page.locator('#bank-accounts').waitFor();
  assert.match(await page.locator('#bank-accounts .bank-iban').first().textContent(), /DE89370400440532013000/);
  const consent = page.locator('#bank-consents li[data-status="linked"]');
  await consent.waitFor();
  assert.match(await consent.locator('.bank-renew-note').textContent(), /Access ends in 5 days/);
  await screenshot(page, 'bank-linked-renew');

  mock.eb.validUntil = null; // the renewal gets the full 90 days
  const first = await consent.getAttribute('data-id');
  await consent.getByRole('button', { name: 'Renew consent' }).click();
  await page.waitForURL(`${server.baseUrl}/connectors#/bank`);
  await page.locator(`#bank-consents li[data-id="${first}"][data-status="revoked"]`).waitFor();
  const renewed = page.locator('#bank-consents li[data-status="linked"]');
  assert.equal(await renewed.count(), 1);
  assert.equal(await renewed.locator('[data-renew]').count(), 0, 'a fresh consent needs no renewal');
  assert.equal(await page.locator('#bank-accounts tbody tr').count(), 1, 'still the one account');
  await screenshot(page, 'bank-renewed');
  assert.deepEqual(mock.problems, []);
  await page.close();
});
