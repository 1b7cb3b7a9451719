// Google Workspace (issue 19): the consent flow's code exchange (PKCE, offline access), the
// dashboard's calendar and mail read live with paging, access tokens refreshed when Google
// refuses an expired one, Gmail attachments taken into the document store by sync runs
// (Gmail's history id as the cursor, so a mailed e-invoice becomes a draft with nobody
// downloading it), and the grant revoked at Google on uninstall. Google is a local mock
// (lib/google-mock.js) that checks tokens and request shapes.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { GoogleMock } = require('./lib/google-mock');
const { waitRun, syncNow } = require('./lib/mock-timetracking');
const docs = require('./lib/documents');

let server;
let dir;
let mock;
let tenant;
let member;

const get = (path, token = tenant.token) => server.request(path, { token });

before(async () => {
  mock = await GoogleMock.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-google-'));
  server = await startServer({ dir });
  tenant = await server.createTenant(`Google ${Date.now()}`, 'pro');
  member = await server.createToken(tenant.tenantId, 'member');
  const soon = (h) => new Date(Date.now() + h * 3600000).toISOString();
  mock.events.push(
    { id: 'ev1', status: 'confirmed', summary: 'Steuerberater', location: 'Kanzlei', htmlLink: 'https://calendar.example/ev1', start: { dateTime: soon(2) }, end: { dateTime: soon(3) } },
    { id: 'ev2', status: 'confirmed', summary: 'Team-Meeting', start: { dateTime: soon(26) }, end: { dateTime: soon(27) } },
    { id: 'ev3', status: 'cancelled', summary: 'Abgesagt', start: { dateTime: soon(30) }, end: { dateTime: soon(31) } },
    { id: 'ev4', status: 'confirmed', summary: 'Messe', start: { date: soon(72).slice(0, 10) }, end: { date: soon(96).slice(0, 10) } },
    { id: 'ev5', status: 'confirmed', summary: 'In zwei Wochen', start: { dateTime: soon(24 * 14) }, end: { dateTime: soon(24 * 14 + 1) } },
  );
  mock.addMessage({ from: 'Kontorbedarf Müller <rechnung@mueller.example>', subject: 'Ihre Rechnung RE-2026-0815',
    date: 'Mon, 02 Mar 2026 09:12:00 +0100', parts: [{ filename: 'xrechnung.xml', mimeType: 'application/xml', data: docs.cii() }] });
  mock.addMessage({ from: 'Newsletter <news@example.com>', subject: 'Neuigkeiten', date: 'Tue, 03 Mar 2026 10:00:00 +0100', parts: [] });
  mock.addMessage({ from: 'Hosting Nord <billing@hosting.example>', subject: 'Rechnung HN-2026-117',
    date: 'Thu, 05 Mar 2026 08:00:00 +0100',
    parts: [{ filename: 'rechnung.pdf', mimeType: 'application/pdf', data: docs.pdf(['Hosting Nord GmbH', 'Rechnungsnummer: HN-2026-117', 'Rechnungsdatum: 05.03.2026', 'Gesamtbetrag 99,96 €']) },
            { filename: 'agb.txt', mimeType: 'text/plain', data: 'AGB' }] });
  mock.addMessage({ from: 'Anna <anna@example.com>', subject: 'Foto vom Beleg', date: 'Fri, 06 Mar 2026 18:00:00 +0100',
    parts: [{ filename: 'IMG_2041.txt', mimeType: 'text/plain', data: 'not an image' }] });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('before Google Workspace is connected, the dashboard says so', async () => {
  const r = await get('/api/dashboard/calendar');
  assert.equal(r.status, 409, r.text);
  assert.equal(r.json.error.code, 'connector_not_installed');
});

test('connecting: the code is exchanged with its PKCE verifier for an offline grant', async () => {
  const inst = await server.request('/api/connectors/google-workspace/install', { method: 'POST', token: tenant.token,
    json: { config: { clientId: mock.client.id, clientSecret: mock.client.secret, oauthBaseUrl: mock.base } } });
  assert.equal(inst.status, 201, inst.text);
  const s = await get('/api/connectors/google-workspace/oauth/start');
  assert.equal(s.status, 200, s.text);
  const url = new URL(s.json.authorizeUrl);
  assert.equal(url.searchParams.get('access_type'), 'offline');
  assert.match(url.searchParams.get('scope'), /gmail\.readonly/);
  const redirect = url.searchParams.get('redirect_uri');
  const code = mock.issueCode(redirect, url.searchParams.get('code_challenge'));
  const cb = await server.request(`/api/connectors/google-workspace/oauth/callback?${new URLSearchParams({ code, state: url.searchParams.get('state') })}`);
  assert.equal(cb.status, 200, cb.text);
  const exchange = mock.tokenRequests.at(-1).form;
  assert.equal(exchange.get('grant_type'), 'authorization_code');
  assert.ok(exchange.get('code_verifier'));
  assert.equal(mock.refreshTokens.size, 1);
});

test('the calendar: upcoming events of the next days, every page, cancelled ones left out', async () => {
  const r = await get('/api/dashboard/calendar?days=7', member);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.events.map((e) => e.summary), ['Steuerberater', 'Team-Meeting', 'Messe']);
  assert.equal(r.json.events[0].location, 'Kanzlei');
  assert.equal(r.json.events[2].allDay, true);
  const calls = mock.googleRequests.filter((x) => x.path.startsWith('/calendar/'));
  assert.ok(calls.length >= 2, 'the second page was asked for');
  assert.equal(calls.at(-1).query.get('pageToken'), '2');
  const q = calls[0].query;
  assert.equal(Date.parse(q.get('timeMax')) - Date.parse(q.get('timeMin')), 7 * 86400000);
  assert.equal((await get('/api/dashboard/calendar?days=90')).status, 400);
});

test('mail: recent messages with an invoice-like attachment, with sender, subject and date', async () => {
  const r = await get('/api/dashboard/mail', member);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.messages.map((m) => m.subject).sort(), ['Ihre Rechnung RE-2026-0815', 'Rechnung HN-2026-117']);
  const hosting = r.json.messages.find((m) => m.subject === 'Rechnung HN-2026-117');
  assert.equal(hosting.from, 'Hosting Nord <billing@hosting.example>');
  assert.equal(hosting.date, 'Thu, 05 Mar 2026 08:00:00 +0100');
  assert.deepEqual(hosting.attachments, ['rechnung.pdf']);
  const lists = mock.googleRequests.filter((x) => x.path === '/gmail/v1/users/me/messages');
  assert.match(lists[0].query.get('q'), /has:attachment/);
});

test('an access token Google no longer takes is refreshed with the stored refresh token', async () => {
  const before = mock.refreshes;
  mock.revokeAllAccess();
  const r = await get('/api/dashboard/calendar?days=2');
  assert.equal(r.status, 200, r.text);
  assert.equal(mock.refreshes, before + 1);
  assert.equal(mock.tokenRequests.at(-1).form.get('grant_type'), 'refresh_token');
});

test('a sync run takes the mailed attachments into the document store; the next one reads the history', async () => {
  const run = await syncNow(server, tenant.token, 'google-workspace');
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  let list = await get('/api/documents?limit=100');
  const gmail = list.json.documents.filter((d) => d.source === 'gmail');
  assert.equal(gmail.length, 2, JSON.stringify(gmail.map((d) => d.filename)));
  const einvoice = gmail.find((d) => d.filename === 'xrechnung.xml');
  assert.equal(einvoice.reader, 'cii');
  assert.equal(einvoice.status, 'review');
  assert.equal(einvoice.reading.totals.gross, docs.INVOICE.gross);
  assert.match(einvoice.sourceRef, /^gmail:[0-9a-f]+\/1$/);
  assert.equal(gmail.find((d) => d.filename === 'rechnung.pdf').reading.totals.gross, '99.96');

  const profileHistory = String(mock.historyId);
  mock.addMessage({ from: 'Wiener Werkzeug <office@werkzeug.example>', subject: 'Rechnung 2026/0042', date: 'Mon, 09 Mar 2026 11:00:00 +0100',
    parts: [{ filename: 'ebinterface.xml', mimeType: 'text/xml', data: docs.ebinterface() }] });
  const second = await syncNow(server, tenant.token, 'google-workspace');
  assert.equal(second.status, 'succeeded', JSON.stringify(second));
  const history = mock.googleRequests.filter((x) => x.path === '/gmail/v1/users/me/history');
  assert.equal(history.at(-1).query.get('startHistoryId'), profileHistory);
  list = await get('/api/documents?limit=100');
  const now = list.json.documents.filter((d) => d.source === 'gmail');
  assert.equal(now.length, 3);
  assert.equal(now.find((d) => d.filename === 'ebinterface.xml').reader, 'ebinterface');

  // nothing new: a third run imports nothing twice
  const third = await syncNow(server, tenant.token, 'google-workspace');
  assert.equal(third.status, 'succeeded');
  assert.equal((await get('/api/documents?limit=100')).json.documents.filter((d) => d.source === 'gmail').length, 3);
});

test('a history Gmail no longer has starts over from the list, importing nothing twice', async () => {
  mock.oldestHistoryId = mock.historyId + 1;
  const run = await syncNow(server, tenant.token, 'google-workspace');
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  assert.equal((await get('/api/documents?limit=100')).json.documents.filter((d) => d.source === 'gmail').length, 3);
  mock.oldestHistoryId = 0;
});

test('the schedule runs the import by itself: a mailed e-invoice becomes a draft with nobody asking', async () => {
  mock.addMessage({ from: 'Kontorbedarf Müller <rechnung@mueller.example>', subject: 'Rechnung RE-2026-0900',
    date: 'Tue, 10 Mar 2026 09:00:00 +0100',
    parts: [{ filename: 'factur-x.pdf', mimeType: 'application/pdf',
              data: docs.pdf(['Rechnung RE-2026-0900'], { attachment: { name: 'factur-x.xml', data: docs.cii({ ...docs.INVOICE, number: 'RE-2026-0900' }) } }) }] });
  // the default interval is 15 minutes after the last run: the server's clock moves on 16
  await server.stop();
  server = await startServer({ dir, expectDemo: false, env: { CONNECTORD_CLOCK_OFFSET: String(16 * 60) } });
  let found;
  for (let i = 0; i < 300 && !found; i++) {
    const list = (await get('/api/documents?limit=100')).json.documents;
    found = list.find((d) => d.reading?.invoiceNumber === 'RE-2026-0900');
    if (!found) await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(found, 'the scheduled run imported the attachment');
  assert.equal(found.reader, 'zugferd');
  assert.equal(found.status, 'review');
  const runs = (await get('/api/connectors/google-workspace/sync-runs')).json.runs;
  assert.equal(runs[0].origin, 'schedule');
});

test('uninstalling revokes the grant at Google', async () => {
  const [refresh] = [...mock.refreshTokens.keys()];
  assert.ok(refresh);
  const r = await server.request('/api/connectors/google-workspace/uninstall', { method: 'POST', token: tenant.token, json: {} });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(mock.revoked, [refresh]);
  assert.equal(mock.refreshTokens.size, 0);
  const everything = server.stdout + server.stderr;
  assert.ok(!everything.includes(refresh), 'the refresh token is never logged');
});
