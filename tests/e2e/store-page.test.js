// The connector store page at /connectors (issue 6), in a real browser (Chromium through
// playwright-core) against the real server: the page is served compiled in with a strict
// CSP; a wrong token is refused and a right one kept out of URLs; Stripe is found by search,
// installed with a webhook secret, its webhook URL copied from the page receives a webhook
// signed by Stripe's own SDK, the log shows it (processed, duplicate, invalid signature,
// newest first, load more) and uninstalling (after a confirm step) kills the URL; a field
// error from the API appears next to its field; a Slack destination against a local mock
// gets two event types, a test send, a failed delivery with its attempt and a retry, turning
// off and on, and is deleted; a Starter tenant sees what it cannot install and which plan
// would unlock it. Screenshots of each page at desktop and phone width go to
// build/test-output/screenshots/.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { after, before, describe, test } = require('node:test');
const { startServer, waitFor } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { invoicePaid, newSecret, sign } = require('./lib/stripe');

const PHONE = { width: 390, height: 844 };

let server;
let browser;
let mock;

// A stand-in for Slack's incoming webhooks: records each request and answers with `status`.
function startMock() {
  return new Promise((resolve) => {
    const m = { requests: [], status: 200 };
    m.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        m.requests.push({ method: req.method, url: req.url, body });
        res.writeHead(m.status, { 'content-type': 'text/plain' });
        res.end(m.status === 200 ? 'ok' : 'invalid_payload');
      });
    });
    m.server.listen(0, '127.0.0.1', () => {
      m.url = `http://127.0.0.1:${m.server.address().port}`;
      resolve(m);
    });
  });
}

before(async () => {
  server = await startServer();
  mock = await startMock();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (mock ? mock.server.close(resolve) : resolve()));
  await server?.stop();
});

// Opens the page in a new tab and signs in with the keyboard: the token field has focus.
async function signIn(token, viewport) {
  const page = await browser.newPage(viewport);
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  return page;
}

function card(page, slug) {
  return page.locator(`li.card[data-slug="${slug}"]`);
}

describe('the page as served', () => {
  test('GET /connectors and its files need no token and carry a strict CSP', async () => {
    const res = await server.request('/connectors');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html; charset=utf-8$/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(csp, /(^|; )default-src 'none'(;|$)/);
    assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    // No inline script, no inline handlers, nothing from another origin.
    assert.doesNotMatch(res.text, /<script(?![^>]*\ssrc=)[^>]*>/i);
    assert.doesNotMatch(res.text, /\son[a-z]+=/i);
    assert.doesNotMatch(res.text, /(src|href)="(https?:)?\/\//i);

    const slash = await server.request('/connectors/');
    assert.equal(slash.status, 200);
    assert.equal(slash.text, res.text);

    const js = await server.request('/connectors/app.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.match(js.headers.get('content-security-policy'), /script-src 'self'/);
    const css = await server.request('/connectors/style.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type'), /^text\/css/);

    const etag = js.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    const again = await server.request('/connectors/app.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');

    for (const missing of ['/connectors/nope.js', '/connectors/..%2fMakefile', '/connectors/app.js/x'])
      assert.equal((await server.request(missing)).status, 404, missing);
  });
});

describe('signing in', () => {
  test('a wrong token is refused with a message and not kept', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/connectors`);
    await page.getByLabel('Admin token').fill('cdk_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#token-error');
    await error.waitFor();
    assert.match(await error.textContent(), /not accepted/);
    assert.equal(await page.getByLabel('Admin token').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.getByRole('heading', { name: 'Connector store', exact: true }).count(), 0);
    await page.close();
  });

  test('a member token is refused: the store is admin-only', async () => {
    const member = await server.createToken(server.tenantId, 'member');
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/connectors`);
    await page.getByLabel('Admin token').fill(member);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#token-error').waitFor();
    assert.match(await page.locator('#token-error').textContent(), /member token/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.close();
  });

  test('the admin token is kept in sessionStorage and never put into a URL', async () => {
    const page = await signIn(server.token);
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('connectord.token')), server.token);
    assert.ok(urls.length > 0);
    for (const u of [...urls, page.url()]) assert.ok(!u.includes(server.token), u);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.close();
  });
});

describe('Stripe: install, webhook URL, signed webhooks, log, uninstall', () => {
  let page;
  let secret;
  let webhookUrl;

  before(async () => {
    page = await signIn(server.token);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'],
                                          { origin: server.baseUrl });
  });

  after(async () => {
    await page?.close();
  });

  test('the catalog groups seed 000 and seed 001 by category, with plan badges', async () => {
    const groups = await page.locator('section.category').evaluateAll((els) =>
      els.map((s) => [s.closest('.catalog-part').querySelector('h2').textContent,
                      s.querySelector('h3').textContent, s.querySelectorAll('li.card').length]));
    assert.deepEqual(groups, [
      ['Connectors', 'Payments', 8], ['Connectors', 'Accounting', 2],
      ['Connectors', 'Communication', 3], ['Connectors', 'Productivity', 6],
      ['Destinations', 'Communication', 5], ['Destinations', 'Analytics', 4],
      ['Destinations', 'Automation', 3], ['Destinations', 'Monitoring', 3],
      ['Destinations', 'Data', 1], ['Destinations', 'CRM', 2], ['Destinations', 'Accounting', 2],
    ]);
    assert.equal(await card(page, 'adyen').locator('.badge.plan').textContent(), 'Pro');
    assert.equal(await card(page, 'whatsapp').locator('.badge.plan').textContent(), 'Business');
    assert.equal(await card(page, 'stripe').locator('[data-state]').getAttribute('data-state'), 'available');
    assert.match(await page.locator('#catalog-usage').textContent(), /0 of 15 used/);
    await screenshot(page, 'catalog-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'catalog-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the search box finds Stripe; the category filter narrows the cards', async () => {
    await page.getByLabel('Search').fill('stripe');
    await waitFor(async () => !(await card(page, 'paypal').isVisible()), 'paypal hidden');
    assert.ok(await card(page, 'stripe').isVisible());
    assert.match(await page.locator('#catalog-count').textContent(), /^1 of 39 shown$/);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Category').selectOption('destination:analytics');
    const shown = await page.locator('li.card:visible').evaluateAll((els) => els.map((e) => e.dataset.slug));
    assert.deepEqual(shown.sort(), ['amplitude', 'ga4', 'mixpanel', 'segment']);
    await page.getByLabel('Category').selectOption('');
    await page.getByLabel('Search').fill('stripe');
    await card(page, 'stripe').getByRole('link', { name: 'Stripe' }).click();
    await page.getByRole('heading', { level: 1, name: 'Stripe', exact: true }).waitFor();
    assert.match(page.url(), /#\/connectors\/stripe$/);
    assert.equal(await page.locator('#auth-label').textContent(), 'Webhook Secret');
  });

  test('a field error from the API is shown next to its field, and nothing is installed', async () => {
    await page.getByLabel('Webhook signing secret').fill(newSecret());
    await page.getByLabel('Expense account').fill('12');
    await page.getByRole('button', { name: 'Install Stripe' }).click();
    const field = page.locator('[data-field="expenseAccount"]');
    await field.locator('.field-error').waitFor();
    // the API's message, which says what is expected, under the field; the help says it first
    assert.equal(await field.locator('.field-error').textContent(), 'expenseAccount must be 4 to 8 digits');
    assert.match(await field.locator('.help').textContent(), /Format: 4 to 8 digits\./);
    const input = page.getByLabel('Expense account');
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    // The error is tied to the input for screen readers, and focus went to it.
    const errId = await field.locator('.field-error').getAttribute('id');
    assert.ok((await input.getAttribute('aria-describedby')).split(' ').includes(errId));
    assert.ok(await input.evaluate((el) => el === document.activeElement));
    assert.equal(await page.locator('[data-field="webhookSecret"] .field-error').isVisible(), false);
    await screenshot(page, 'connector-field-error');
    const res = await server.request('/api/connectors/stripe', { token: server.token });
    assert.equal(res.json.installed, false);

    // A value of the wrong kind is named in words too.
    await page.getByLabel('Booking direction').selectOption('revenue');
    await page.getByLabel('Expense account').fill('');
    await page.getByLabel('Default supplier').fill('x'.repeat(5000));
    await page.getByRole('button', { name: 'Install Stripe' }).click();
    await page.locator('[data-field="defaultSupplierId"] .field-error').waitFor();
    assert.match(await page.locator('[data-field="defaultSupplierId"] .field-error').textContent(),
                 /defaultSupplierId must be at most 4096 characters/);
    await page.getByLabel('Default supplier').fill('');
    // The webhook secret may follow later: Stripe shows it once the URL is registered.
    assert.match(await page.locator('[data-field="webhookSecret"] label').textContent(),
                 /may follow later/);
  });

  test('install with a webhook secret shows the webhook URL; Copy puts it on the clipboard', async () => {
    secret = newSecret();
    await page.getByLabel('Webhook signing secret').fill(secret);
    await page.getByLabel('Expense account').fill('5000');
    await page.getByRole('switch', { name: 'Post automatically' }).check();
    await page.getByLabel('Booking direction').selectOption('revenue');
    await page.getByRole('button', { name: 'Install Stripe' }).click();
    await page.locator('.notice-ok').getByText('Stripe is installed.').waitFor();
    webhookUrl = await page.getByLabel('Webhook URL').inputValue();
    assert.match(webhookUrl, new RegExp(`^${server.baseUrl}/api/payment-import/stripe/[A-Za-z0-9_-]{43}$`));
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), webhookUrl);

    // The form now shows the stored settings; the secret only masked, as a placeholder.
    const secretInput = page.getByLabel('Webhook signing secret');
    assert.equal(await secretInput.inputValue(), '');
    assert.equal(await secretInput.getAttribute('type'), 'password');
    assert.match(await secretInput.getAttribute('placeholder'), new RegExp(`${secret.slice(-4)}$`));
    assert.ok(!(await page.content()).includes(secret));
    assert.equal(await page.getByLabel('Expense account').inputValue(), '5000');
    assert.equal(await page.getByLabel('Booking direction').inputValue(), 'revenue');
    assert.ok(await page.getByRole('switch', { name: 'Post automatically' }).isChecked());

    const res = await server.request('/api/connectors/stripe', { token: server.token });
    assert.equal(res.json.installed, true);
    assert.equal(res.json.webhookUrl, webhookUrl);
    assert.equal(res.json.config.expenseAccount, '5000');
    assert.equal(res.json.config.autoPost, true);
  });

  test('Send test webhook shows what the pipeline did', async () => {
    await page.getByRole('button', { name: 'Send test webhook' }).click();
    const report = page.locator('#test-webhook-result .test-report');
    await report.waitFor();
    assert.equal(await report.getAttribute('data-status'), 'processed');
    assert.match(await report.textContent(), /signature verified/);
    assert.match(await report.textContent(), /nothing was booked/);
  });

  test('webhooks signed by the Stripe SDK to the copied URL appear in the log, newest first', async () => {
    const paid = invoicePaid();
    const post = (body, key) => fetch(webhookUrl, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body, key) },
    });
    let res = await post(paid.body, secret);
    assert.equal(res.status, 200, await res.text());
    res = await post(paid.body, secret); // the same event again
    assert.equal(res.status, 200, await res.text());
    res = await post(invoicePaid().body, newSecret()); // signed with another secret
    assert.equal(res.status, 400, await res.text());

    await page.getByRole('button', { name: 'Refresh' }).click();
    const rows = page.locator('#webhook-log tbody tr');
    await waitFor(async () => (await rows.count()) === 3, 'three log rows');
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.status)),
                     ['invalid_signature', 'duplicate', 'processed']);
    const processed = page.locator('#webhook-log tr[data-status="processed"]');
    assert.match(await processed.textContent(), new RegExp(paid.externalId));
    assert.equal(await processed.locator('.badge[data-status]').textContent(), 'processed');
    assert.equal(await processed.locator('.badge[data-action]').textContent(), 'Booked');
    assert.equal(await page.locator('#webhook-log tr[data-status="invalid_signature"] .badge[data-status]').textContent(),
                 'invalid signature');
    await screenshot(page, 'connector-stripe-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'connector-stripe-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the log loads more pages; the status filter keeps one status', async () => {
    for (let i = 0; i < 20; i++) {
      const body = invoicePaid().body;
      const res = await fetch(webhookUrl, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'stripe-signature': sign(body, secret) },
      });
      assert.equal(res.status, 200);
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    const rows = page.locator('#webhook-log tbody tr');
    await waitFor(async () => (await rows.count()) === 20, 'a first page of 20');
    assert.ok(await page.getByRole('button', { name: 'Load more' }).isVisible());
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitFor(async () => (await rows.count()) === 23, 'all 23 rows');
    assert.ok(!(await page.getByRole('button', { name: 'Load more' }).isVisible()));
    const times = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('time').dateTime));
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    assert.equal(await rows.last().getAttribute('data-status'), 'processed');

    await page.getByLabel('Status').selectOption('duplicate');
    await waitFor(async () => (await rows.count()) === 1, 'one duplicate row');
    await page.getByLabel('Status').selectOption('');
    await waitFor(async () => (await rows.count()) === 20, 'back to a first page');
    await screenshot(page, 'webhook-log-desktop');
  });

  test('Save keeps a secret left empty', async () => {
    await page.getByLabel('Expense account').fill('5100');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.notice-ok').getByText('Settings saved.').waitFor();
    const res = await server.request('/api/connectors/stripe', { token: server.token });
    assert.equal(res.json.config.expenseAccount, '5100');
    assert.match(res.json.config.webhookSecret, new RegExp(`${secret.slice(-4)}$`));
    const body = invoicePaid().body;
    const posted = await fetch(webhookUrl, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body, secret) },
    });
    assert.equal(posted.status, 200, 'the kept secret still verifies');
  });

  test('Uninstall asks first, says the URL will stop working, and then it does', async () => {
    await page.getByRole('button', { name: 'Uninstall' }).click();
    const dialog = page.getByRole('dialog', { name: 'Uninstall Stripe?' });
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /webhook URL will stop working/);
    await screenshot(page, 'connector-uninstall-confirm');
    await page.keyboard.press('Escape'); // cancel with the keyboard
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await server.request('/api/connectors/stripe', { token: server.token })).json.installed, true);

    await page.getByRole('button', { name: 'Uninstall' }).click();
    await dialog.getByRole('button', { name: 'Uninstall' }).click();
    await page.locator('.notice-ok').getByText('Stripe was uninstalled.').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Install Stripe' }).isVisible());
    assert.equal(await page.getByLabel('Webhook URL').count(), 0);
    const body = invoicePaid().body;
    const res = await fetch(webhookUrl, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body, secret) },
    });
    assert.equal(res.status, 404);
  });
});

describe('destinations: Slack against a local mock', () => {
  let page;
  let dest;

  before(async () => {
    page = await signIn(server.token);
  });

  after(async () => {
    await page?.close();
  });

  test('the Slack card opens the create form with the limit shown', async () => {
    await card(page, 'slack').getByRole('link', { name: 'Slack' }).click();
    await page.getByRole('heading', { level: 1, name: 'New destination', exact: true }).waitFor();
    assert.equal(await page.locator('#destination-usage').textContent(), '0 of 15 used');
    assert.equal(await page.getByLabel('Type').inputValue(), 'slack');
    await page.getByLabel('Incoming webhook URL').waitFor();
  });

  test('no event type chosen: the error is shown at the event types', async () => {
    await page.getByLabel('Incoming webhook URL').fill(`${mock.url}/services/T1/B1/secret`);
    await page.getByRole('button', { name: 'Create destination' }).click();
    const err = page.locator('fieldset[data-field="eventTypes"] .field-error');
    await err.waitFor();
    assert.match(await err.textContent(), /eventTypes must be a non-empty list/);
    // "All events" stands for all of them: the single boxes are off while it is checked.
    await page.getByLabel('All events').check();
    assert.ok(await page.getByRole('checkbox', { name: /payment\.settled/ }).isDisabled());
    await page.getByLabel('All events').uncheck();
    assert.ok(await page.getByRole('checkbox', { name: /payment\.settled/ }).isEnabled());
    assert.equal(mock.requests.length, 0);
  });

  test('create with two event types', async () => {
    await page.getByRole('checkbox', { name: /payment\.settled/ }).check();
    await page.getByRole('checkbox', { name: /payment\.failed/ }).check();
    await page.setViewportSize(PHONE);
    await screenshot(page, 'destination-new-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: 'Create destination' }).click();
    await page.getByRole('heading', { level: 1, name: 'Slack', exact: true }).waitFor();
    const id = /#\/destinations\/(con_[0-9a-f]+)$/.exec(page.url())?.[1];
    assert.ok(id, page.url());
    const res = await server.request(`/api/projects/${server.tenantId}/connectors/${id}`,
                                     { token: server.token });
    assert.equal(res.status, 200);
    dest = res.json;
    assert.deepEqual(dest.eventTypes, ['payment.settled', 'payment.failed']);
    assert.equal(dest.isActive, true);
    // The config is shown by its label, masked as the API masks it.
    const facts = await page.locator('dl.facts').textContent();
    assert.match(facts, /Incoming webhook URL/);
    assert.ok(facts.includes(dest.config.webhookUrl) && !facts.includes('/services/T1/B1/secret'));
  });

  test('send test shows the answer of the mock', async () => {
    await page.getByRole('button', { name: 'Send test' }).click();
    const report = page.locator('.dest-result .test-report');
    await report.waitFor();
    assert.equal(await report.getAttribute('data-verdict'), 'delivered');
    assert.match(await report.textContent(), /HTTP 200/);
    assert.equal(mock.requests.length, 1);
    assert.equal(mock.requests[0].url, '/services/T1/B1/secret');
  });

  test('a failed delivery shows its attempt; Retry delivers it', async () => {
    mock.status = 400;
    const published = await server.request(`/api/projects/${server.tenantId}/events`, {
      method: 'POST', token: server.token,
      json: { type: 'payment.failed', data: { provider: 'stripe', amount: '12.00', currency: 'EUR' } },
    });
    assert.equal(published.status, 201, published.text);
    const item = page.locator('li.delivery').first();
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await item.getAttribute('data-status').catch(() => null)) === 'failed';
    }, 'the delivery failed', 10000);
    assert.match(await item.textContent(), /payment\.failed/);
    assert.match(await item.textContent(), /1 attempt · last HTTP 400/);
    await item.getByRole('button', { name: 'Show attempts' }).click();
    const attempt = item.locator('tr.attempt');
    await attempt.waitFor();
    assert.equal(await attempt.locator('.attempt-status').textContent(), '400');
    assert.equal(await item.getByRole('button', { name: 'Hide attempts' }).getAttribute('aria-expanded'), 'true');
    assert.match(await item.locator('.delivery-head').textContent(), /1 attempt · last HTTP 400/);
    assert.doesNotMatch(await item.textContent(), /null|undefined|\[object/);
    await screenshot(page, 'destination-deliveries-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'destination-deliveries-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    mock.status = 200;
    await item.getByRole('button', { name: 'Retry' }).click();
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await item.getAttribute('data-status').catch(() => null)) === 'delivered';
    }, 'the retried delivery delivered', 10000);
    await item.getByRole('button', { name: 'Show attempts' }).click();
    await waitFor(async () => (await item.locator('tr.attempt').count()) === 2, 'two attempts');
    assert.deepEqual(await item.locator('.attempt-status').allTextContents(), ['400', '200']);
    assert.equal(await item.getByRole('button', { name: 'Retry' }).count(), 0);
  });

  test('turn off and on set isActive', async () => {
    const api = () => server.request(`/api/projects/${server.tenantId}/connectors/${dest.id}`,
                                     { token: server.token });
    await page.getByRole('button', { name: 'Turn off' }).click();
    await page.locator('[data-state="disabled"]').waitFor();
    assert.equal((await api()).json.isActive, false);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('[data-state="active"]').waitFor();
    assert.equal((await api()).json.isActive, true);
  });

  test('the list shows the limit used; delete asks first', async () => {
    await page.getByRole('link', { name: 'Destinations', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Destinations', exact: true }).waitFor();
    assert.equal(await page.locator('#destination-usage').textContent(), '1 of 15 used');
    const item = page.locator(`li.dest[data-id="${dest.id}"]`);
    assert.match(await item.textContent(), /payment\.settled/);
    await screenshot(page, 'destinations-desktop');
    await item.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No destinations yet.').waitFor();
    assert.equal(await page.locator('#destination-usage').textContent(), '0 of 15 used');
    const res = await server.request(`/api/projects/${server.tenantId}/connectors/${dest.id}`,
                                     { token: server.token });
    assert.equal(res.status, 404);
  });
});

describe('destinations: a string list as a tag input', () => {
  test('email recipients are tags: Enter or comma adds, the button or Backspace removes', async () => {
    const page = await signIn(server.token);
    await page.goto(`${server.baseUrl}/connectors#/destinations/new`);
    await page.getByLabel('Type').selectOption('email');
    await page.getByLabel('API key').fill('re_' + crypto.randomBytes(12).toString('hex'));
    await page.getByLabel('Sender address').fill('books@example.com');
    const entry = page.getByLabel('Recipients');
    await entry.fill('not-an-email');
    await entry.press('Enter');
    await page.getByLabel('All events').check();
    await page.getByRole('button', { name: 'Create destination' }).click();
    const err = page.locator('[data-field="to"] .field-error');
    await err.waitFor();
    assert.equal(await err.textContent(),
                 'to must be a list of texts, each an email address such as name@example.com');

    await page.getByRole('button', { name: 'Remove not-an-email' }).click();
    await entry.pressSequentially('a@example.com');
    await entry.press('Enter');
    await entry.pressSequentially('b@example.com,c@example.com,');
    await page.getByRole('button', { name: 'Remove b@example.com' }).click();
    await entry.press('Backspace'); // on an empty entry: removes the last tag
    assert.deepEqual(await page.locator('[data-field="to"] .tag > span').allTextContents(), ['a@example.com']);
    await entry.pressSequentially('d@example.com'); // committed when the entry loses focus
    await entry.press('Tab');
    assert.deepEqual(await page.locator('[data-field="to"] .tag > span').allTextContents(),
                     ['a@example.com', 'd@example.com']);
    await screenshot(page, 'destination-new-email');
    await page.getByRole('button', { name: 'Create destination' }).click();
    await page.getByRole('heading', { level: 1, name: 'Email', exact: true }).waitFor();
    const id = /#\/destinations\/(con_[0-9a-f]+)$/.exec(page.url())?.[1];
    const base = `/api/projects/${server.tenantId}/connectors/${id}`;
    const res = await server.request(base, { token: server.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.config.to, ['a@example.com', 'd@example.com']);
    assert.deepEqual(res.json.eventTypes, ['*']);
    assert.equal((await server.request(base, { method: 'DELETE', token: server.token })).status, 204);
    await page.close();
  });
});

describe('Stripe installed before its webhook secret exists', () => {
  let t;
  let page;
  let url;
  const secret = newSecret();
  const paid = invoicePaid();
  const post = (key) => fetch(url, {
    method: 'POST', body: paid.body,
    headers: { 'content-type': 'application/json', 'stripe-signature': sign(paid.body, key) },
  });

  before(async () => {
    t = await server.createTenant(`Awaiting ${crypto.randomBytes(4).toString('hex')}`, 'pro');
    page = await signIn(t.token);
  });

  after(async () => {
    await page?.close();
  });

  test('install with the secret empty: the URL comes first, with Stripe\'s steps and Copy', async () => {
    await card(page, 'stripe').getByRole('link', { name: 'Stripe' }).click();
    await page.getByRole('heading', { level: 1, name: 'Stripe', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Install Stripe' }).click();
    await page.locator('.notice-ok').getByText('Stripe is installed.').waitFor();
    assert.equal(await page.locator('.badges [data-state]').getAttribute('data-state'), 'awaiting_secret');
    // the webhook panel is the first panel on the page, above the settings
    const first = await page.locator('.view .panel').first().getAttribute('id');
    assert.equal(first, 'webhook-panel');
    await page.getByRole('heading', { level: 2, name: 'Register this URL at Stripe' }).waitFor();
    const steps = await page.locator('#webhook-steps li').allTextContents();
    assert.equal(steps.length, 3);
    assert.match(steps[1], /Stripe Dashboard, open Developers > Webhooks/);
    assert.match(steps[2], /webhook signing secret.*“Webhook signing secret”.*save/);
    assert.match(await page.locator('#webhook-panel').textContent(), /503/);
    url = await page.getByLabel('Webhook URL').inputValue();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    assert.equal(await page.getByRole('button', { name: 'Send test webhook' }).count(), 0);
    await screenshot(page, 'connector-awaiting-secret');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'connector-awaiting-secret-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('Stripe\'s webhook meanwhile is answered 503 and logged as awaiting the secret', async () => {
    const res = await post(secret);
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.locator('#webhook-log tbody tr');
    await waitFor(async () => (await row.count()) === 1, 'one log row');
    assert.equal(await row.getAttribute('data-status'), 'failed');
    assert.match(await row.textContent(), /awaiting secret/);
  });

  test('saving the secret makes it active; Stripe\'s retry books', async () => {
    await page.getByLabel('Webhook signing secret').fill(secret);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.notice-ok').getByText('Settings saved.').waitFor();
    assert.equal(await page.locator('.badges [data-state]').getAttribute('data-state'), 'installed');
    await page.getByRole('heading', { level: 2, name: 'Webhook', exact: true }).waitFor();
    assert.equal(await page.locator('details.steps-details #webhook-steps').count(), 1);
    await page.getByRole('button', { name: 'Send test webhook' }).waitFor();
    const res = await post(secret);
    assert.equal(res.status, 200, await res.text());
  });
});

describe('settings that are URLs', () => {
  test('a URL field shows what is typed; only secret fields are masked', async () => {
    const page = await signIn(server.token);
    await page.goto(`${server.baseUrl}/connectors#/destinations/new/slack`);
    const hook = page.getByLabel('Incoming webhook URL');
    await hook.waitFor();
    assert.equal(await hook.getAttribute('type'), 'url');
    await page.goto(`${server.baseUrl}/connectors#/connectors/toggl`);
    await page.getByLabel('API base URL').waitFor();
    assert.equal(await page.getByLabel('API base URL').getAttribute('type'), 'url');
    assert.equal(await page.getByLabel('API token').getAttribute('type'), 'password');
    await page.close();
  });
});

describe('the page and the API agree on every entry\'s plan', () => {
  const NAMES = { starter: 'Starter', pro: 'Pro', business: 'Business', enterprise: 'Enterprise' };

  test('all 39 cards on all 4 plans: the plan badge is requiredPlan, locked exactly when planAllows is false', async () => {
    for (const plan of Object.keys(NAMES)) {
      const t = await server.createTenant(`Plans ${plan} ${crypto.randomBytes(4).toString('hex')}`, plan);
      const api = (await server.request('/api/connectors', { token: t.token })).json.connectors;
      assert.equal(api.length, 39);
      const page = await signIn(t.token);
      const cards = await page.locator('li.card').evaluateAll((els) => els.map((el) => ({
        slug: el.dataset.slug,
        plan: el.querySelector('.badge.plan').textContent,
        state: el.querySelector('[data-state]').dataset.state,
        text: el.textContent,
      })));
      assert.equal(cards.length, 39);
      for (const entry of api) {
        const c = cards.find((x) => x.slug === entry.slug);
        assert.equal(c.plan, NAMES[entry.requiredPlan], `${plan}/${entry.slug} badge`);
        assert.equal(c.state === 'locked', !entry.planAllows, `${plan}/${entry.slug} state ${c.state}`);
        if (!entry.planAllows)
          assert.ok(c.text.includes(`needs ${NAMES[entry.requiredPlan]}`), `${plan}/${entry.slug}: ${c.text}`);
      }
      await page.close();
    }
  });
});

describe('a Starter tenant', () => {
  test('sees locked connectors with the plan they need, and cannot install them', async () => {
    const t = await server.createTenant(`Starter ${crypto.randomBytes(4).toString('hex')}`, 'starter');
    const page = await signIn(t.token);
    const adyen = card(page, 'adyen');
    assert.equal(await adyen.locator('[data-state]').getAttribute('data-state'), 'locked');
    assert.match(await adyen.textContent(), /needs Pro/);
    assert.match(await card(page, 'whatsapp').textContent(), /needs Business/);
    assert.match(await card(page, 'slack').textContent(), /needs Pro/); // no destinations on Starter
    assert.equal(await card(page, 'stripe').locator('[data-state]').getAttribute('data-state'), 'available');
    assert.match(await page.locator('#catalog-usage').textContent(), /Starter plan includes no destinations/);
    // what apiAccess means, and that the admin REST API works on every plan
    const facts = await page.locator('#plan-facts').textContent();
    assert.match(facts, /API access \(MCP and integration tokens\) needs the Business plan/);
    assert.match(facts, /admin REST API, which this page uses, works on every plan/);
    await screenshot(page, 'catalog-starter');

    await adyen.getByRole('link', { name: 'Adyen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Adyen', exact: true }).waitFor();
    assert.match(await page.locator('.notice').textContent(), /Adyen needs the Pro plan/);
    assert.equal(await page.getByRole('button', { name: /Install/ }).count(), 0);
    await screenshot(page, 'connector-locked');
    await page.close();
  });
});

test('no page threw or logged an error', () => {
  assert.deepEqual(browser.errors, []);
});
