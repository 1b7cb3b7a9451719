// The books on a payment connector's page, in Chromium against the real server: the
// provider events to enable (from the catalog entry), the webhook log's action column that
// says "No action" plainly for a webhook that booked nothing, and the payments waiting for
// review (autoPost off) with the note that they are in no DATEV export and no VAT return
// until posted, and a Post button that posts one and takes it off the list.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { StripeTenant, eventBody, invoicePaid, sid } = require('./lib/stripe');

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

async function openConnector(token, slug, viewport) {
  const page = await browser.newPage(viewport);
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  await page.goto(`${server.baseUrl}/connectors#/connectors/${slug}`);
  await page.getByRole('heading', { level: 2, name: 'Webhook log' }).waitFor();
  return page;
}

describe('a payment connector\'s page', () => {
  test('lists the events to enable, says "No action", and posts what waits for review',
    async () => {
      const t = await StripeTenant.create(server);
      const first = invoicePaid({ number: 'REVIEW-1', amount: 4200 });
      const second = invoicePaid({ number: 'REVIEW-2', amount: 1000 });
      assert.equal((await t.send(first.body)).status, 200);
      assert.equal((await t.send(second.body)).status, 200);
      const ignored = eventBody('customer.created', { id: sid('cus_'), object: 'customer' });
      assert.equal((await t.send(ignored)).status, 200);

      const page = await openConnector(t.token, 'stripe');
      const events = await page.locator('#webhook-events li').allTextContents();
      const { json: entry } = await t.get('/api/connectors/stripe');
      assert.deepEqual(events, entry.webhookEvents);
      assert.ok(events.includes('checkout.session.completed'));

      const rows = page.locator('#webhook-log tbody tr');
      await rows.nth(2).waitFor();
      const noAction = page.locator('#webhook-log tbody tr', { hasText: 'customer.created' });
      assert.equal((await noAction.locator('[data-action]').textContent()).trim(), 'No action');
      assert.equal(await page.locator('#webhook-log [data-action="booked"]').count(), 2);

      const note = await page.locator('#review-note').textContent();
      assert.match(note, /no export \(DATEV\) and no VAT return/);
      const waiting = page.locator('#review-list tbody tr');
      await waiting.nth(1).waitFor();
      assert.equal(await waiting.count(), 2);
      await screenshot(page, 'review-desktop');

      const [inv] = (await t.invoices()).filter((i) => i.invoiceNumber === 'REVIEW-1');
      await page.locator(`#review-list button[data-post="${inv.id}"]`).click();
      await page.locator('#review .notice-ok').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('#review-list tbody tr').length === 1);
      assert.equal((await t.invoice(inv.id)).posted, true);
      assert.equal((await t.entries()).length, 1);
      const left = await page.locator('#review-list tbody tr').textContent();
      assert.match(left, /REVIEW-2/);
      await page.close();

      const phone = await openConnector(t.token, 'stripe', { width: 390, height: 844 });
      await phone.locator('#review-list tbody tr').first().waitFor();
      await screenshot(phone, 'review-phone');
      await phone.close();
    });
});
