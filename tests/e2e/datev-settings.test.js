// DATEV takes the chart of accounts and the fiscal year start from the tenant's settings
// (GET/PUT /api/settings), the one place they live: installing `datev` needs only what seed
// 000 names (Berater-Nr. + Mandanten-Nr.), the account length is optional, and a fiscal year
// start is written one way everywhere (MM-DD). An install made by the previous release, which
// kept fiscalYearStart ("MMDD") and chart in its config, keeps working: the store's migration
// step 7 moves its fiscal year start into the settings.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { booksTenant, datevExport, installDatev, parseExtf, pay } = require('./lib/accounting');
const { sql } = require('./lib/store-file');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

async function call(token, method, pathname, json) {
  return server.request(pathname, { method, token, json });
}

describe('installing datev', () => {
  test('needs only the consultant and client numbers; the account length is optional', async () => {
    const t = await server.createTenant('Datev install', 'starter');
    const detail = await call(t.token, 'GET', '/api/connectors/datev');
    assert.deepEqual(detail.json.settings.map((f) => [f.key, f.required]),
                     [['consultantNumber', true], ['clientNumber', true], ['accountLength', false]]);
    const res = await call(t.token, 'POST', '/api/connectors/datev/install',
                           { config: { consultantNumber: '29098', clientNumber: '55003' } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.config, { consultantNumber: '29098', clientNumber: '55003',
                                        accountLength: 4 });
  });

  test('the chart and the fiscal year start are not the connector\'s settings', async () => {
    const t = await server.createTenant('Datev old fields', 'starter');
    const res = await call(t.token, 'POST', '/api/connectors/datev/install',
                           { config: { consultantNumber: '29098', clientNumber: '55003',
                                       fiscalYearStart: '0701', chart: 'skr03' } });
    assert.equal(res.status, 422, res.text);
    assert.deepEqual(res.json.error.fields.map((f) => [f.field, f.code]).sort(),
                     [['chart', 'unknown_field'], ['fiscalYearStart', 'unknown_field']]);
  });
});

describe('the export follows the settings', () => {
  test('PUT /api/settings fiscalYearStart (MM-DD) moves WJ-Beginn and the fiscal-year check', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr04' } });
    await installDatev(server, t.token);
    await pay(t, '2026-08-03', { amount: 1190 });
    let res = await datevExport(server, t.token, '2026-07-01', '2026-08-31');
    assert.equal(res.status, 200);
    assert.equal(parseExtf(res.bytes).lines[0].values[12], '20260101');
    assert.equal(parseExtf(res.bytes).lines[0].values[26], '04', 'the settings\' chart');

    const put = await call(t.token, 'PUT', '/api/settings', { chart: 'skr04', fiscalYearStart: '07-01' });
    assert.equal(put.status, 200, put.text);
    res = await datevExport(server, t.token, '2026-07-01', '2026-08-31');
    assert.equal(res.status, 200);
    assert.equal(parseExtf(res.bytes).lines[0].values[12], '20260701');
    const spans = await datevExport(server, t.token, '2026-06-01', '2026-07-31');
    assert.equal(spans.status, 422);
    assert.match(spans.json.error.message, /they start on 07-01/);
  });
});

describe('an install of the previous release, with fiscalYearStart and chart in its config', () => {
  let dir;
  let old;
  let t;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-datev-upgrade-'));
    old = await startServer({ dir });
    t = await old.createTenant('Datev upgrade', 'pro');
    const settings = await old.request('/api/settings', { method: 'PUT', token: t.token,
                                                          json: { chart: 'skr03' } });
    assert.equal(settings.status, 200, settings.text);
    const install = await old.request('/api/connectors/datev/install', {
      method: 'POST', token: t.token,
      json: { config: { consultantNumber: '29098', clientNumber: '55003' } },
    });
    assert.equal(install.status, 201, install.text);
    await old.stop();
    // The row as the previous release wrote it, and the store as it was before step 7.
    const legacy = '{"consultantNumber":"29098","clientNumber":"55003","fiscalYearStart":"0701",' +
                   '"accountLength":4,"chart":"skr03"}';
    sql(old, `UPDATE connector_installs SET config = '${legacy}' WHERE slug = 'datev';` +
             'DELETE FROM schema_migrations WHERE version = 7;');
    old = await startServer({ dir, expectDemo: false });
  });

  after(async () => {
    await old?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the migration moved its fiscal year start into the settings', async () => {
    const res = await old.request('/api/settings', { token: t.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.fiscalYearStart, '07-01');
    assert.equal(res.json.chart, 'skr03');
  });

  test('the export answers as before: WJ-Beginn July, SKR03, the advisor\'s numbers', async () => {
    const res = await datevExport(old, t.token, '2026-07-01', '2026-12-31');
    assert.equal(res.status, 200, res.bytes.toString());
    const head = parseExtf(res.bytes).lines[0].values;
    assert.equal(head[10], '29098');
    assert.equal(head[11], '55003');
    assert.equal(head[12], '20260701');
    assert.equal(head[13], '4');
    assert.equal(head[26], '03');
  });

  test('the connector shows and saves only today\'s fields', async () => {
    const d = await old.request('/api/connectors/datev', { token: t.token });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json.config, { consultantNumber: '29098', clientNumber: '55003',
                                      accountLength: 4 });
    const put = await old.request('/api/connectors/datev/config', {
      method: 'PUT', token: t.token, json: { config: { accountLength: 6 } } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.config, { consultantNumber: '29098', clientNumber: '55003',
                                        accountLength: 6 });
  });
});
