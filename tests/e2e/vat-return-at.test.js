// The Austrian VAT return (U30): the Kennzahlen and the XML for a known month and quarter of
// bookings made through signed Stripe webhooks, and the submission through FinanzOnline's
// session and file upload web services, against a local SOAP stand-in that checks the
// login, upload and logout envelopes. Refusals come back with the service's rc and text and
// leave no record; a period is submitted once unless it is a correction.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { freePort, startServer } = require('./lib/server');
const { assertError } = require('./lib/stripe');
const { FonMock, booksTenant, field, pay, refund } = require('./lib/accounting');

let server;
let fon;
let T; // the tenant whose books the tests read

const PIN = 'pin&<4711>';

// The U30 document of March 2026 for T's books (PAKET_NR and the creation time vary).
function expectedXml(paket, zrvon, zrbis, kz) {
  const versteuert = [['KZ022', kz.KZ022], ['KZ029', kz.KZ029], ['KZ006', kz.KZ006]]
    .filter(([, v]) => v !== '0.00')
    .map(([k, v]) => `        <${k} type="kz">${v}</${k}>\n`).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ERKLAERUNGS_UEBERMITTLUNG>\n' +
    '  <INFO_DATEN>\n' +
    '    <ART_IDENTIFIKATIONSBEGRIFF>FASTNR</ART_IDENTIFIKATIONSBEGRIFF>\n' +
    '    <IDENTIFIKATIONSBEGRIFF>123456789</IDENTIFIKATIONSBEGRIFF>\n' +
    `    <PAKET_NR>${paket}</PAKET_NR>\n` +
    '    <DATUM_ERSTELLUNG type="datum">DATE</DATUM_ERSTELLUNG>\n' +
    '    <UHRZEIT_ERSTELLUNG type="uhrzeit">TIME</UHRZEIT_ERSTELLUNG>\n' +
    '    <ANZAHL_ERKLAERUNGEN>1</ANZAHL_ERKLAERUNGEN>\n' +
    '  </INFO_DATEN>\n' +
    '  <ERKLAERUNG art="U30">\n' +
    '    <SATZNR>1</SATZNR>\n' +
    '    <ALLGEMEINE_DATEN>\n' +
    '      <ANBRINGEN>U30</ANBRINGEN>\n' +
    `      <ZRVON type="jahrmonat">${zrvon}</ZRVON>\n` +
    `      <ZRBIS type="jahrmonat">${zrbis}</ZRBIS>\n` +
    '      <FASTNR>123456789</FASTNR>\n' +
    '    </ALLGEMEINE_DATEN>\n' +
    '    <LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n' +
    `      <KZ000 type="kz">${kz.KZ000}</KZ000>\n` +
    (versteuert ? `      <VERSTEUERT>\n${versteuert}      </VERSTEUERT>\n` : '') +
    '    </LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n' +
    (kz.KZ060 !== '0.00'
      ? `    <VORSTEUER>\n      <KZ060 type="kz">${kz.KZ060}</KZ060>\n    </VORSTEUER>\n` : '') +
    '  </ERKLAERUNG>\n' +
    '</ERKLAERUNGS_UEBERMITTLUNG>\n';
}

// The document with its creation date and time replaced, after checking their form.
function withoutTime(xml) {
  const date = /<DATUM_ERSTELLUNG type="datum">(\d{4}-\d{2}-\d{2})</.exec(xml);
  const time = /<UHRZEIT_ERSTELLUNG type="uhrzeit">(\d{2}:\d{2}:\d{2})</.exec(xml);
  assert.ok(date && time, xml);
  return xml.replace(date[1], 'DATE').replace(time[1], 'TIME');
}

const MARCH = { KZ000: '1200.00', KZ022: '900.00', KZ029: '300.00', KZ006: '0.00', KZ060: '40.00' };
const Q1 = { ...MARCH, KZ000: '1250.00', KZ022: '950.00' };

async function installFon(t, config = {}) {
  const res = await server.request('/api/connectors/finanzonline/install', {
    method: 'POST', token: t.token,
    json: { config: { participantId: 'T1234567ab', userId: 'WSUSER01', pin: PIN,
                      taxNumber: '12-345/6789', apiBaseUrl: fon.url, ...config } },
  });
  assert.equal(res.status, 201, res.text);
}

function submit(t, json) {
  return server.request('/api/vat-returns/at/submit', { method: 'POST', token: t.token, json });
}

async function submissions(t, period) {
  const res = await server.request(`/api/vat-returns/at/submissions${period ? `?period=${period}` : ''}`,
                                   { token: t.token });
  assert.equal(res.status, 200, res.text);
  return res.json.submissions;
}

// An EKR tenant with a VAT number and the booking of 2026:
//   02-10 revenue 60.00 incl. 20 %                    (Q1, not March)
//   03-05 revenue 1,200.00 incl. 20 %                 KZ022 +1,000.00
//   03-06 revenue 330.00 incl. 10 %                   KZ029 +300.00
//   03-08 expense 240.00 incl. 20 % Vorsteuer         KZ060 +40.00
//   03-09 expense 99.00 without a VAT rate            not in the return
//   03-20 refund of 120.00 of the 1,200.00            KZ022 -100.00
//   04-02 revenue 500.00 incl. 20 %                   (April)
before(async () => {
  server = await startServer();
  fon = await new FonMock().start();
  T = await booksTenant(server, { settings: { vatNumber: 'ATU12345678' },
                                  stripe: { direction: 'revenue', vatRate: '20' } });
  await pay(T, '2026-02-10', { amount: 6000 });
  const big = await pay(T, '2026-03-05', { amount: 120000 });
  await pay(T, '2026-04-02', { amount: 50000 });
  await T.configure({ autoPost: true, direction: 'revenue', vatRate: '10' });
  await pay(T, '2026-03-06', { amount: 33000 });
  await T.configure({ autoPost: true, direction: 'expense', vatRate: '20' });
  await pay(T, '2026-03-08', { amount: 24000 });
  await T.configure({ autoPost: true, direction: 'expense', vatRate: null });
  await pay(T, '2026-03-09', { amount: 9900 });
  await refund(T, '2026-03-20', { pi: big.externalId, amount: 120000, refunded: 12000 });
});

after(async () => {
  await fon?.stop();
  await server?.stop();
});

describe('GET /api/vat-returns/at: the Kennzahlen from the books', () => {
  test('a month', async () => {
    const res = await server.request('/api/vat-returns/at?period=2026-03', { token: T.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      period: '2026-03', from: '2026-03-01', to: '2026-03-31', currency: 'EUR', ...MARCH,
      KZ011: '0.00', KZ017: '0.00', KZ016: '0.00', KZ057: '0.00', KZ066: '0.00',
      tax: { KZ022: '180.00', KZ029: '30.00', KZ006: '0.00' }, KZ095: '170.00',
      outside: { oss: '0.00', intraEuServices: '0.00', nonEuServices: '0.00' },
      unclassified: [], unclassifiedCount: 0,
      submissions: [],
    });
  });

  test('a quarter, and a month without VAT bookings', async () => {
    const q = await server.request('/api/vat-returns/at?period=2026-Q1', { token: T.token });
    assert.equal(q.status, 200, q.text);
    assert.deepEqual([q.json.from, q.json.to], ['2026-01-01', '2026-03-31']);
    for (const [k, v] of Object.entries(Q1)) assert.equal(q.json[k], v, k);
    assert.equal(q.json.KZ095, '180.00');
    const jan = await server.request('/api/vat-returns/at?period=2026-01', { token: T.token });
    assert.equal(jan.json.KZ000, '0.00');
    assert.equal(jan.json.KZ095, '0.00');
  });

  test('the period is required and checked; the return needs the EKR chart', async () => {
    for (const q of ['', '?period=2026-13', '?period=2026-Q5', '?period=march'])
      assertError(await server.request(`/api/vat-returns/at${q}`, { token: T.token }), 400,
                  'invalid_field');
    const de = await booksTenant(server, { settings: { chart: 'skr03' } });
    const res = await server.request('/api/vat-returns/at?period=2026-03', { token: de.token });
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /EKR chart/);
    const member = await server.createToken(T.tenantId, 'member');
    assertError(await server.request('/api/vat-returns/at?period=2026-03', { token: member }), 403,
                'forbidden');
  });
});

describe('GET /api/vat-returns/at/xml: the U30 document', () => {
  test('without the finanzonline connector: 409 saying to install it', async () => {
    const res = await server.request('/api/vat-returns/at/xml?period=2026-03', { token: T.token });
    assertError(res, 409, 'connector_not_installed');
    assert.match(res.json.error.message, /install/);
  });

  test('the month\'s and the quarter\'s document, elements in the schema\'s order', async () => {
    await installFon(T);
    const res = await server.request('/api/vat-returns/at/xml?period=2026-03', { token: T.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/xml; charset=utf-8');
    assert.equal(withoutTime(res.text), expectedXml(1, '2026-03', '2026-03', MARCH));
    const q = await server.request('/api/vat-returns/at/xml?period=2026-Q1', { token: T.token });
    assert.equal(withoutTime(q.text), expectedXml(1, '2026-01', '2026-03', Q1));
    const jan = await server.request('/api/vat-returns/at/xml?period=2026-01', { token: T.token });
    assert.equal(withoutTime(jan.text), expectedXml(1, '2026-01', '2026-01',
      { KZ000: '0.00', KZ022: '0.00', KZ029: '0.00', KZ006: '0.00', KZ060: '0.00' }));
  });

  test('a period whose refunds exceed its sales cannot be sent', async () => {
    const t = await booksTenant(server, { settings: { vatNumber: 'ATU12345678' },
                                          stripe: { direction: 'revenue', vatRate: '13' } });
    await installFon(t);
    const p = await pay(t, '2026-04-28', { amount: 11300 });
    await refund(t, '2026-05-02', { pi: p.externalId, amount: 11300 });
    const may = await server.request('/api/vat-returns/at?period=2026-05', { token: t.token });
    assert.equal(may.json.KZ006, '-100.00');
    const res = await server.request('/api/vat-returns/at/xml?period=2026-05', { token: t.token });
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /negative/);
  });
});

describe('POST /api/vat-returns/at/submit against FinanzOnline', () => {
  test('login, upload, logout with the right fields; the submission is recorded', async () => {
    fon.reset();
    const res = await submit(T, { period: '2026-03', test: true, correction: false });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(fon.actions(), ['login', 'upload', 'logout']);
    const [login, upload, logout] = fon.requests;

    assert.equal(login.path, '/fonws/ws/session');
    assert.equal(login.contentType, 'text/xml;charset=UTF-8');
    assert.match(login.body, /xmlns:soapenv="http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/"/);
    assert.match(login.body, /xmlns:ses="https:\/\/finanzonline\.bmf\.gv\.at\/fon\/ws\/session"/);
    assert.match(login.body, /<ses:loginRequest>/);
    assert.equal(field(login.body, 'tid'), 'T1234567ab');
    assert.equal(field(login.body, 'benid'), 'WSUSER01');
    assert.equal(field(login.body, 'pin'), 'pin&amp;&lt;4711&gt;', 'the PIN, XML-escaped');
    assert.equal(field(login.body, 'herstellerid'), 'ATU12345678');

    assert.equal(upload.path, '/fon/ws/fileupload');
    assert.match(upload.body, /xmlns:fil="https:\/\/finanzonline\.bmf\.gv\.at\/fon\/ws\/fileupload"/);
    assert.match(upload.body, /<fil:fileuploadRequest>/);
    assert.equal(field(upload.body, 'tid'), 'T1234567ab');
    assert.equal(field(upload.body, 'benid'), 'WSUSER01');
    assert.equal(field(upload.body, 'id'), 'SESSION1', 'the session the login gave');
    assert.equal(field(upload.body, 'art'), 'U30');
    assert.equal(field(upload.body, 'uebermittlung'), 'T', 'test mode');
    assert.ok(!upload.body.includes('4711'), 'no PIN in the upload');
    const data = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(field(upload.body, 'data'));
    assert.ok(data, 'the document as CDATA');
    assert.equal(withoutTime(data[1]), expectedXml(1, '2026-03', '2026-03', MARCH));

    assert.equal(logout.path, '/fonws/ws/session');
    assert.match(logout.body, /<ses:logoutRequest>/);
    assert.equal(field(logout.body, 'tid'), 'T1234567ab');
    assert.equal(field(logout.body, 'benid'), 'WSUSER01');
    assert.equal(field(logout.body, 'id'), 'SESSION1');
    assert.ok(!logout.body.includes('4711'));

    const sub = res.json.submission;
    assert.match(sub.id, /^vsub_/);
    assert.equal(sub.country, 'AT');
    assert.equal(sub.period, '2026-03');
    assert.equal(sub.test, true);
    assert.equal(sub.correction, false);
    assert.equal(sub.packageNumber, 1);
    assert.match(sub.submittedAt, /Z$/);
    assert.equal(sub.figures.KZ022, '900.00');
    assert.deepEqual(sub.service, { rc: 0, message: '' });
    assert.deepEqual(await submissions(T, '2026-03'), [sub]);
    const figures = await server.request('/api/vat-returns/at?period=2026-03', { token: T.token });
    assert.deepEqual(figures.json.submissions, [sub]);
  });

  test('a second submission of the period is refused before anything is sent', async () => {
    fon.reset();
    const res = await submit(T, { period: '2026-03', test: true });
    assertError(res, 409, 'already_submitted');
    assert.match(res.json.error.message, /correction/);
    assert.deepEqual(fon.requests, []);
  });

  test('a correction is accepted and recorded as one, with the next package number', async () => {
    fon.reset();
    const res = await submit(T, { period: '2026-03', test: true, correction: true });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(fon.actions(), ['login', 'upload', 'logout']);
    assert.equal(res.json.submission.correction, true);
    assert.equal(res.json.submission.packageNumber, 2);
    assert.match(field(fon.requests[1].body, 'data'), /<PAKET_NR>2<\/PAKET_NR>/);
    assert.equal((await submissions(T, '2026-03')).length, 2);
  });

  test('the submissions page like every listing: limit, cursor, X-Next-Cursor', async () => {
    const all = await submissions(T, '2026-03');
    const get = (q) => server.request(`/api/vat-returns/at/submissions?period=2026-03&${q}`, { token: T.token });
    const first = await get('limit=1');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json.submissions, [all[0]]);
    assert.equal(first.json.nextCursor, all[0].id);
    assert.equal(first.headers.get('x-next-cursor'), all[0].id);
    const second = await get(`limit=1&cursor=${first.json.nextCursor}`);
    assert.deepEqual(second.json.submissions, [all[1]]);
    assert.equal(second.json.nextCursor, null);
    assert.equal(second.headers.get('x-next-cursor'), null);
  });

  test('test mode does not count for the real filing, which sends uebermittlung P', async () => {
    fon.reset();
    const res = await submit(T, { period: '2026-03', test: false });
    assert.equal(res.status, 201, res.text);
    assert.equal(field(fon.requests[1].body, 'uebermittlung'), 'P');
    assert.equal(res.json.submission.test, false);
    assertError(await submit(T, { period: '2026-03', test: false }), 409, 'already_submitted');
  });

  test('a failed login leaves no submission record; its rc and text come back', async () => {
    fon.reset({ login: { rc: -4, msg: 'Teilnehmer, Benutzer oder PIN ungültig' } });
    const res = await submit(T, { period: '2026-02', test: true });
    assertError(res, 422, 'service_refused');
    assert.deepEqual(res.json.error.service, { name: 'finanzonline', operation: 'login', rc: -4,
                                               message: 'Teilnehmer, Benutzer oder PIN ungültig' });
    assert.match(res.json.error.message, /rc -4.*PIN ungültig/);
    assert.deepEqual(fon.actions(), ['login'], 'no upload, no logout without a session');
    assert.deepEqual(await submissions(T, '2026-02'), []);

    fon.reset({ login: { rc: -6, msg: 'Benutzer gesperrt' } });
    const locked = await submit(T, { period: '2026-02', test: true });
    assertError(locked, 422, 'service_refused');
    assert.equal(locked.json.error.service.rc, -6);
    assert.match(locked.json.error.message, /locked/);

    // nothing was recorded, so the period goes through without "correction"
    fon.reset();
    const ok = await submit(T, { period: '2026-02', test: true });
    assert.equal(ok.status, 201, ok.text);
  });

  test('a refused upload still logs out, and records nothing', async () => {
    fon.reset({ upload: { rc: -27, msg: 'Schemafehler: KZ000 fehlt' } });
    const res = await submit(T, { period: '2026-Q1', test: true });
    assertError(res, 422, 'service_refused');
    assert.deepEqual(res.json.error.service, { name: 'finanzonline', operation: 'upload', rc: -27,
                                               message: 'Schemafehler: KZ000 fehlt' });
    assert.deepEqual(fon.actions(), ['login', 'upload', 'logout']);
    assert.deepEqual(await submissions(T, '2026-Q1'), []);
  });

  test('FinanzOnline\'s own failures are 502 with what it said', async () => {
    fon.reset({ login: { rc: -2, msg: 'Wartungsarbeiten' } });
    let res = await submit(T, { period: '2026-Q1', test: true });
    assertError(res, 502, 'service_failed');
    assert.match(res.json.error.message, /rc -2.*maintenance.*Wartungsarbeiten/);
    assert.equal(res.json.error.service.rc, -2);

    fon.reset({ upload: { fault: 'Unmarshalling Error' } });
    res = await submit(T, { period: '2026-Q1', test: true });
    assertError(res, 502, 'service_failed');
    assert.match(res.json.error.message, /HTTP 500.*Unmarshalling Error/);
    assert.equal(res.json.error.service.rc, null);
    assert.deepEqual(fon.actions(), ['login', 'upload', 'logout']);
    assert.deepEqual(await submissions(T, '2026-Q1'), []);
  });

  test('an unreachable service is 502 and records nothing', async () => {
    const t = await booksTenant(server, { settings: { vatNumber: 'ATU12345678' } });
    await installFon(t, { apiBaseUrl: `http://127.0.0.1:${await freePort()}` });
    const res = await submit(t, { period: '2026-03', test: true });
    assertError(res, 502, 'service_failed');
    assert.match(res.json.error.message, /could not be reached \(login\)/);
    assert.deepEqual(await submissions(t), []);
  });

  test('the request is checked before anything is sent', async () => {
    fon.reset();
    assertError(await submit(T, { period: '2026-03' }), 400, 'invalid_field'); // test required
    assertError(await submit(T, { test: true }), 400, 'invalid_field');
    assertError(await submit(T, { period: '2026-3', test: true }), 400, 'invalid_field');
    assertError(await submit(T, { period: '2026-03', test: 'yes' }), 400, 'invalid_field');
    assertError(await submit(T, { period: '2026-03', test: true, correction: 1 }), 400,
                'invalid_field');
    assertError(await submit(T, { period: '2026-03', test: true, paket: 3 }), 422,
                'validation_failed');
    const noVat = await booksTenant(server);
    await installFon(noVat);
    const res = await submit(noVat, { period: '2026-03', test: true });
    assertError(res, 422, 'validation_failed');
    assert.match(res.json.error.message, /vatNumber/);
    const noFon = await booksTenant(server, { settings: { vatNumber: 'ATU12345678' } });
    assertError(await submit(noFon, { period: '2026-03', test: true }), 409,
                'connector_not_installed');
    const member = await server.createToken(T.tenantId, 'member');
    assertError(await submit({ token: member }, { period: '2026-03', test: true }), 403,
                'forbidden');
    assert.deepEqual(fon.requests, []);
  });
});
