// The destinations of the store page in Chromium: each shows its name and its health (a
// destination the circuit breaker paused says so, with until when and why, instead of a
// green "Active"); the usage counts all projects and another project is one choice away;
// a destination is edited (name, config, event types, alerts); a pending
// delivery is sent now with "Retry now", a delivered one once more with "Resend"; and the
// attempts table shows the request that was sent, secrets masked, beside the answer.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer, waitFor } = require('./lib/server');
const { launchBrowser, screenshot } = require('./lib/browser');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

let server;
let browser;
let mock;
let p;

before(async () => {
  mock = await MockServices.start();
  server = await startServer({
    args: ['--breaker-failures', '2', '--breaker-open', '60000',
           '--retry-schedule', '1s,1s,1s,1s,1s,1s'],
  });
  browser = await launchBrowser();
  p = await Project.create(server, 'enterprise');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await mock?.stop();
});

async function signIn(token) {
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/connectors`);
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Connector store', exact: true }).waitFor();
  return page;
}

describe('destinations page', () => {
  let page;
  let hook;
  let slack;

  before(async () => {
    hook = mock.endpoint('zapier');
    slack = mock.endpoint('slack');
    const h = await p.req('POST', `${p.base}/connectors`,
                          { type: 'zapier', name: 'Orders hook', config: hook.config, eventTypes: ['payment.failed'] });
    assert.equal(h.status, 201, h.text);
    hook.connectorId = h.json.id;
    const s = await p.req('POST', `${p.base}/connectors`,
                          { type: 'slack', name: 'Team channel', config: slack.config, eventTypes: ['endpoint.created'] });
    assert.equal(s.status, 201, s.text);
    slack.connectorId = s.json.id;
    page = await signIn(p.token);
  });

  after(async () => {
    await page?.close();
  });

  test('a destination the breaker paused shows it, with until when and why', async () => {
    hook.always({ status: 503, body: 'down' });
    const data = { provider: 'stripe', amount: '12.00', currency: 'EUR' };
    await p.publish('payment.failed', data);
    await p.publish('payment.failed', data);
    await eventually(async () => (await p.connector(hook.connectorId)).status === 'paused', 'paused');
    await page.goto(`${server.baseUrl}/connectors#/destinations`);
    const item = page.locator(`li.dest[data-id="${hook.connectorId}"]`);
    await item.waitFor();
    assert.equal(await item.getByRole('link', { name: 'Orders hook' }).count(), 1);
    const state = item.locator('[data-state]');
    assert.equal(await state.getAttribute('data-state'), 'paused');
    assert.equal(await state.textContent(), 'Paused by the breaker');
    const health = await item.locator('.health').textContent();
    assert.match(health, /Paused until/);
    assert.match(health, /2 failures in a row, the last: HTTP 503/);
    assert.match(health, /Last success never/);
    assert.doesNotMatch(await item.textContent(), /Active|null|undefined/);
    const other = page.locator(`li.dest[data-id="${slack.connectorId}"]`);
    assert.equal(await other.locator('[data-state]').getAttribute('data-state'), 'active');
    await screenshot(page, 'destinations-health-desktop');
  });

  test("the usage counts the destinations of all the tenant's projects; enterprise has no limit", async () => {
    const pr = await p.req('POST', '/api/projects', { name: 'Second shop' });
    assert.equal(pr.status, 201, pr.text);
    const other = new Project(server, { tenantId: pr.json.id, token: p.token });
    await other.destination(mock.endpoint('discord'), ['payment.settled']);
    await page.goto(`${server.baseUrl}/connectors#/destinations`);
    await page.reload();
    const usage = page.locator('#destination-usage');
    await waitFor(async () => (await usage.textContent().catch(() => '')) ===
                  '3 in use (no limit on the Enterprise plan)', 'the usage of both projects', 8000);
    await page.locator(`li.dest[data-id="${hook.connectorId}"]`).waitFor();
    assert.equal(await page.locator('li.dest').count(), 2, 'the list is the default project\'s');
    assert.doesNotMatch(await page.locator('main, body').first().textContent(), /limit is reached/);
    // the other project's destinations, one choice away
    await page.getByLabel('Project').selectOption(pr.json.id);
    await page.locator('li.dest[data-type="discord"]').waitFor();
    assert.equal(await page.locator('li.dest').count(), 1);
    await page.locator('li.dest[data-type="discord"] a').first().click();
    await page.getByRole('heading', { level: 1, name: 'Discord', exact: true }).waitFor();
    await page.goto(`${server.baseUrl}/connectors#/destinations`);
    await page.getByLabel('Project').selectOption(p.id);
    await page.locator(`li.dest[data-id="${hook.connectorId}"]`).waitFor();
  });

  test('edit: name, event types and an alert, saved with one PATCH', async () => {
    await page.goto(`${server.baseUrl}/connectors#/destinations/${slack.connectorId}`);
    await page.getByRole('heading', { level: 1, name: 'Team channel', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('form.edit-destination');
    await form.waitFor();
    assert.equal(await form.getByLabel('Name').inputValue(), 'Team channel');
    assert.ok(await form.getByRole('checkbox', { name: /endpoint\.created/ }).isChecked());
    await form.getByLabel('Name').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.locator('[data-field="name"] .field-error').waitFor();
    assert.match(await form.locator('[data-field="name"] .field-error').textContent(), /name must be/);
    await form.getByLabel('Name').fill('Finance channel');
    await form.getByRole('checkbox', { name: /payment\.settled/ }).check();
    await form.getByRole('checkbox', { name: /destination\.paused/ }).check();
    await screenshot(page, 'destination-edit-desktop');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Finance channel', exact: true }).waitFor();
    assert.equal(await page.locator('form.edit-destination').count(), 0);
    const d = await p.connector(slack.connectorId);
    assert.equal(d.name, 'Finance channel');
    assert.deepEqual(d.eventTypes, ['payment.settled', 'endpoint.created', 'destination.paused']);
    assert.equal(d.config.webhookUrl.includes(slack.config.webhookUrl), false);
    // the secret left empty in the form was kept: deliveries still reach the same URL
    assert.match(await page.locator('dl.facts').textContent(), /destination\.paused/);
  });

  test('"Retry now" sends a pending delivery at once; "Resend" a delivered one again', async () => {
    slack.answer({ status: 503, headers: { 'retry-after': '3600' }, body: 'busy' });
    const ev = await p.publish('endpoint.created', { name: 'Weather API' });
    await eventually(async () => {
      const d = (await p.deliveries(slack.connectorId)).find((x) => x.eventId === ev.id);
      return d && d.status === 'pending' && d.attempts === 1;
    }, 'pending after a 503 with an hour to wait');
    await page.getByRole('button', { name: 'Refresh' }).click();
    const item = page.locator('li.delivery').first();
    await waitFor(async () => (await item.getAttribute('data-status')) === 'pending', 'shown pending');
    assert.match(await item.textContent(), /Next attempt/);
    await item.getByRole('button', { name: 'Retry now' }).click();
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await item.getAttribute('data-status').catch(() => null)) === 'delivered';
    }, 'delivered after Retry now', 8000);
    assert.equal(slack.requests.length, 2);

    await item.getByRole('button', { name: 'Resend' }).click();
    await slack.waitFor(3);
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await item.getAttribute('data-status').catch(() => null)) === 'delivered' &&
        /3 attempts/.test(await item.textContent());
    }, 'delivered again', 8000);

    // the request sent, beside the answer, the webhook URL (the secret) masked
    await item.getByRole('button', { name: 'Show attempts' }).click();
    const rows = item.locator('tr.attempt');
    await waitFor(async () => (await rows.count()) === 3, 'three attempts');
    assert.deepEqual(await item.locator('.attempt-status').allTextContents(), ['503', '200', '200']);
    const first = rows.first();
    assert.equal(await first.locator('.attempt-request summary').textContent(), 'POST \u2022\u2022\u2022\u2022');
    await first.locator('.attempt-request summary').click();
    assert.match(await first.locator('.request-headers').textContent(), /content-type: application\/json/i);
    assert.match(await first.locator('.request-body').textContent(), /Weather API/);
    assert.match(await first.textContent(), /busy/);
    const text = await item.textContent();
    const secretPath = new URL(slack.config.webhookUrl).pathname;
    assert.ok(!text.includes(secretPath), 'the webhook URL is shown');
    await screenshot(page, 'destination-attempts-request-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'destination-attempts-request-phone');
  });
});
