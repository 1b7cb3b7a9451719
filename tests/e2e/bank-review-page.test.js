// bank-review-page.test.js - the store page's review of bank transactions (#/bank/review,
// web/bank-review.js) in Chromium against the real server, with lines pulled by the bank
// connector from a local GoCardless (lib/bank-mock.js) and an open Stripe payment (webhook):
// the list shows what matching left; one line is matched to the invoice of its amount, one is
// booked to an account with "always book here", which saves the rule; an account that is no
// account is refused in place; the rule is listed and deleted. Screenshots go to
// build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { BankMock } = require('./lib/bank-mock');
const { StripeTenant, invoicePaid } = require('./lib/stripe');
const { syncNow } = require('./lib/mock-timetracking');
const { secret } = require('./lib/connectors');

let server, browser, bank, t;
const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

before(async () => {
  server = await startServer();
  bank = await BankMock.start();
  browser = await launchBrowser();
  t = await StripeTenant.create(server, { direction: 'revenue', autoPost: true });
  const paid = invoicePaid({ amount: 50000 });
  assert.equal((await t.send(paid.body)).status, 200);

  let r = await server.request('/api/connectors/gocardless/install', { method: 'POST', token: t.token,
    json: { config: { webhookSecret: secret('gc_'), secretId: bank.gc.secretId, secretKey: bank.gc.secretKey,
                      apiBaseUrl: `${bank.base}/gc` } } });
  assert.equal(r.status, 201, r.text);
  r = await server.request('/api/bank/connections', { method: 'POST', token: t.token,
                                                      json: { country: 'at', institutionId: 'ERSTE_GIBAATWW' } });
  assert.equal(r.status, 201, r.text);
  const link = await fetch(r.json.link, { redirect: 'manual' });
  const back = new URL(link.headers.get('location'));
  assert.equal((await server.request(back.pathname + back.search)).status, 200);
  bank.gc.transactions.set('AT611904300234573201', { pending: [], booked: [
    { transactionId: 'u-1', entryReference: 'PG-1', bookingDate: day(-2), valueDate: day(-2),
      transactionAmount: { amount: '500.00', currency: 'EUR' }, debtorName: 'Example Buyer GmbH',
      remittanceInformationUnstructured: 'Sammelzahlung Dezember' },
    { transactionId: 'u-2', entryReference: 'PG-2', bookingDate: day(-1), valueDate: day(-1),
      transactionAmount: { amount: '-12.34', currency: 'EUR' }, creditorName: 'Figma Inc',
      remittanceInformationUnstructured: 'Subscription 11/2026' },
  ] });
  const run = await syncNow(server, t.token, 'gocardless');
  assert.equal(run.status, 'succeeded', run.error);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await bank?.stop();
  assert.deepEqual(browser ? browser.errors : [], []);
});

async function openReview() {
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(t.token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Bank review' }).click();
  await page.getByRole('heading', { level: 1, name: 'Bank transactions to review' }).waitFor();
  return page;
}

test('review: match to an invoice, book to an account with a rule, delete the rule', async () => {
  const page = await openReview();
  const rows = page.locator('#bank-review tbody tr');
  assert.equal(await rows.count(), 2);
  assert.equal(await page.locator('#rules-empty').count(), 1);
  await screenshot(page, 'bank-review');

  // the payment of 500.00 is the open invoice of that amount
  const buyer = rows.filter({ hasText: 'Example Buyer GmbH' });
  assert.match(await buyer.locator('select').innerText(), /500\.00 EUR/);
  await buyer.getByRole('button', { name: 'Match invoice' }).click();
  await page.locator('#review-status').getByText(/paid invoice/).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#bank-review tbody tr').length === 1);

  // an account that is none is refused in place
  const figma = page.locator('#bank-review tbody tr').filter({ hasText: 'Figma Inc' });
  await figma.getByRole('textbox', { name: 'Account for Figma Inc' }).fill('68');
  await figma.getByRole('button', { name: 'Book' }).click();
  await figma.getByText('A ledger account has 4 to 8 digits.').waitFor();

  await figma.getByRole('textbox', { name: 'Account for Figma Inc' }).fill('6800');
  await figma.getByLabel('Always book Figma Inc here').check();
  await figma.getByRole('button', { name: 'Book' }).click();
  await page.locator('#bank-review-empty').waitFor();
  await page.locator('#review-status').getByText(/Rule saved: figma inc → 6800/).waitFor();
  assert.match(await page.locator('#rules').innerText(), /figma inc → account 6800/);
  await screenshot(page, 'bank-review-done');

  // what the page did is in the books
  const lines = (await server.request('/api/bank/transactions?matched=true', { token: t.token })).json.transactions;
  assert.deepEqual(lines.map((l) => l.matchStatus).sort(), ['account', 'invoice']);

  await page.getByRole('button', { name: 'Delete rule for figma inc' }).click();
  await page.locator('#rules-empty').waitFor();
  assert.deepEqual((await server.request('/api/bank/rules', { token: t.token })).json.rules, []);
  await page.close();
});
