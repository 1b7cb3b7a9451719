// documents-page.test.js - the documents page (#/documents) in Chromium against the real
// server: documents waiting for review show a preview of the file beside what was read; a
// person corrects a field and confirms, and the incoming invoice is booked with the
// correction; an upload from the page is read and listed; Google Workspace's calendar and
// mail show beside them (a local Google mock). Screenshots go to build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { GoogleMock } = require('./lib/google-mock');
const docs = require('./lib/documents');

let server, browser, mock, tmp;

const upload = (body, filename) => server.request(`/api/documents?filename=${filename}`, {
  method: 'POST', token: server.token, headers: { 'content-type': 'application/octet-stream' }, body });

before(async () => {
  server = await startServer({ args: ['--max-body', String(10 << 20)] });
  mock = await GoogleMock.start();
  browser = await launchBrowser();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'documents-page-'));
  let r = await upload(docs.ubl(), 'xrechnung.xml');
  assert.equal(r.status, 201, r.text);
  r = await upload(docs.pdf(['Hosting Nord GmbH', 'Rechnungsnummer: HN-2026-117', 'Rechnungsdatum: 05.03.2026',
    'Gesamtbetrag 99,96 €']), 'hosting.pdf');
  assert.equal(r.status, 201, r.text);
  // Google Workspace, connected through the consent flow against the mock
  r = await server.request('/api/connectors/google-workspace/install', { method: 'POST', token: server.token,
    json: { config: { clientId: mock.client.id, clientSecret: mock.client.secret, oauthBaseUrl: mock.base } } });
  assert.equal(r.status, 201, r.text);
  const start = await server.request('/api/connectors/google-workspace/oauth/start', { token: server.token });
  const url = new URL(start.json.authorizeUrl);
  const code = mock.issueCode(url.searchParams.get('redirect_uri'), url.searchParams.get('code_challenge'));
  r = await server.request(`/api/connectors/google-workspace/oauth/callback?${new URLSearchParams({ code, state: url.searchParams.get('state') })}`);
  assert.equal(r.status, 200, r.text);
  mock.events.push({ id: 'ev1', status: 'confirmed', summary: 'Steuerberater', location: 'Kanzlei',
    start: { dateTime: new Date(Date.now() + 7200000).toISOString() }, end: { dateTime: new Date(Date.now() + 10800000).toISOString() } });
  mock.addMessage({ from: 'Hosting Nord <billing@hosting.example>', subject: 'Rechnung HN-2026-118',
    date: 'Thu, 05 Mar 2026 08:00:00 +0100', parts: [{ filename: 'rechnung.pdf', mimeType: 'application/pdf', data: docs.pdf(['x']) }] });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await mock?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  assert.deepEqual(browser ? browser.errors : [], []);
});

async function openDocuments() {
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(server.token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor();
  return page;
}

test('the review screen: preview beside what was read, corrected and confirmed into the books', async () => {
  const page = await openDocuments();
  const xml = page.locator('article[data-document]', { hasText: 'xrechnung.xml' });
  await xml.waitFor();
  // the file itself beside the reading: the XML's text, and the figures read from it
  await xml.locator('.doc-xml', { hasText: 'RE-2026-0815' }).waitFor();
  assert.equal(await xml.getByLabel('Supplier', { exact: true }).inputValue(), docs.INVOICE.seller.name);
  assert.equal(await xml.getByLabel('Total (gross)').inputValue(), docs.INVOICE.gross);
  assert.equal(await xml.getByLabel('Invoice date').inputValue(), docs.INVOICE.issueDate);
  assert.equal(await xml.locator('[data-reader]').getAttribute('data-reader'), 'ubl');
  assert.equal(await xml.locator('.doc-lines tbody tr').count(), docs.INVOICE.lines.length);

  const pdf = page.locator('article[data-document]', { hasText: 'hosting.pdf' });
  await pdf.locator('object[type="application/pdf"]').waitFor({ state: 'attached' });
  assert.equal(await pdf.getByLabel('Total (gross)').inputValue(), '99.96');
  await screenshot(page, 'documents-review-desktop');

  // correct the invoice number and confirm
  await xml.getByLabel('Invoice number').fill('RE-2026-0815-K');
  await xml.getByRole('button', { name: 'Confirm and book' }).click();
  await page.locator('.notice-ok', { hasText: 'booked as an incoming invoice' }).waitFor();
  assert.equal(await page.locator('article[data-document]', { hasText: 'xrechnung.xml' }).count(), 0);
  const booked = await server.request('/api/invoices?source=document', { token: server.token });
  assert.equal(booked.json.invoices.length, 1);
  assert.equal(booked.json.invoices[0].invoiceNumber, 'RE-2026-0815-K');
  assert.equal(booked.json.invoices[0].totalGross, docs.INVOICE.gross);

  // a wrong correction is refused with the server's words, and nothing is booked
  await pdf.getByLabel('Invoice date').fill('');
  await pdf.getByLabel('Invoice date').evaluate((el) => { el.type = 'text'; el.value = 'gestern'; });
  await pdf.getByRole('button', { name: 'Confirm and book' }).click();
  await pdf.locator('.notice-bad', { hasText: 'invoice date' }).waitFor();
  assert.equal((await server.request('/api/invoices?source=document', { token: server.token })).json.invoices.length, 1);
  await page.close();
});

test('an upload from the page is read and waits for review; the same file again is one document', async () => {
  const page = await openDocuments();
  const file = path.join(tmp, 'ebinterface.xml');
  fs.writeFileSync(file, docs.ebinterface());
  await page.locator('#upload input[type=file]').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload' }).click();
  const card = page.locator('article[data-document]', { hasText: 'ebinterface.xml' });
  await card.waitFor();
  assert.equal(await card.getByLabel('Supplier VAT ID').inputValue(), docs.EB_INVOICE.seller.vatId);
  await page.locator('#upload input[type=file]').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.locator('.notice-info', { hasText: 'same document' }).waitFor();
  assert.equal(await page.locator('article[data-document]', { hasText: 'ebinterface.xml' }).count(), 1);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'documents-review-phone');
  await page.close();
});

test('Google Workspace: the next days and the mail with invoices beside the documents', async () => {
  const page = await openDocuments();
  await page.locator('#calendar li[data-event="ev1"]', { hasText: 'Steuerberater' }).waitFor();
  await page.locator('#mail li', { hasText: 'Rechnung HN-2026-118' }).waitFor();
  assert.match(await page.locator('#mail li').first().textContent(), /rechnung\.pdf/);
  await screenshot(page, 'documents-google');
  await page.close();
});
