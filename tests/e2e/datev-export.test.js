// The DATEV export (GET /api/exports/datev and `connectord export datev`): an EXTF v700
// Buchungsstapel whose header and title lines match accounting-and-sync.md §1.3/§1.4 field by
// field, Windows-1252 bytes, CRLF, the quoting of text fields, one line per booking built
// from bookings made through signed Stripe webhooks (VAT key, refunds with the opposite S/H
// flag, Belegfeld 1 and Buchungstext cut to DATEV's limits), and the periods DATEV refuses.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { assertError } = require('./lib/stripe');
const {
  booksTenant, datevExport, installDatev, parseExtf, pay, refund,
} = require('./lib/accounting');

let server;

after(async () => {
  await server?.stop();
});

// Line 2 as the reference lists it (§1.4), DATEV's spelling, in Windows-1252 (latin1 here).
const TITLES = [
  'Umsatz (ohne Soll/Haben-Kz)', 'Soll/Haben-Kennzeichen', 'WKZ Umsatz', 'Kurs', 'Basis-Umsatz',
  'WKZ Basis-Umsatz', 'Konto', 'Gegenkonto (ohne BU-Schlüssel)', 'BU-Schlüssel', 'Belegdatum',
  'Belegfeld 1', 'Belegfeld 2', 'Skonto', 'Buchungstext', 'Postensperre', 'Diverse Adressnummer',
  'Geschäftspartnerbank', 'Sachverhalt', 'Zinssperre', 'Beleglink',
  ...Array.from({ length: 8 }, (_, i) => [`Beleginfo - Art ${i + 1}`, `Beleginfo - Inhalt ${i + 1}`]).flat(),
  'KOST1 - Kostenstelle', 'KOST2 - Kostenstelle', 'Kost-Menge', 'EU-Land u. UStID (Bestimmung)',
  'EU-Steuersatz (Bestimmung)', 'Abw. Versteuerungsart', 'Sachverhalt L+L', 'Funktionsergänzung L+L',
  'BU 49 Hauptfunktionstyp', 'BU 49 Hauptfunktionsnummer', 'BU 49 Funktionsergänzung',
  ...Array.from({ length: 20 }, (_, i) => [`Zusatzinformation - Art ${i + 1}`,
                                           `Zusatzinformation- Inhalt ${i + 1}`]).flat(),
  'Stück', 'Gewicht', 'Zahlweise', 'Forderungsart', 'Veranlagungsjahr', 'Zugeordnete Fälligkeit',
  'Skontotyp', 'Auftragsnummer', 'Buchungstyp', 'USt-Schlüssel (Anzahlungen)', 'EU-Land (Anzahlungen)',
  'Sachverhalt L+L (Anzahlungen)', 'EU-Steuersatz (Anzahlungen)', 'Erlöskonto (Anzahlungen)',
  'Herkunft-Kz', 'Buchungs GUID', 'KOST-Datum', 'SEPA-Mandatsreferenz', 'Skontosperre',
  'Gesellschaftername', 'Beteiligtennummer', 'Identifikationsnummer', 'Zeichnernummer',
  'Postensperre bis', 'Bezeichnung SoBil-Sachverhalt', 'Kennzeichen SoBil-Buchung', 'Festschreibung',
  'Leistungsdatum', 'Datum Zuord. Steuerperiode', 'Fälligkeit', 'Generalumkehr (GU)', 'Steuersatz',
  'Land', 'Abrechnungsreferenz', 'BVV-Position', 'EU-Land u. UStID (Ursprung)',
  'EU-Steuersatz (Ursprung)', 'Abw. Skontokonto',
];

// The text columns of DATEV's sample (§1.4), 1-based.
const TEXT_COLUMNS = new Set([2, 3, 6, 9, 11, 12, 14, 16,
  ...Array.from({ length: 19 }, (_, i) => 20 + i), 40, 42,
  ...Array.from({ length: 40 }, (_, i) => 48 + i), 91, 95, 96, 98, 102, 103, 105, 107, 109, 110,
  112, 118, 120, 121, 123]);

const SUPPLIER = 'Müller Bäckerei Größe';          // ü ä ö ß
const LONG_SUPPLIER = 'Internationale Handelsgesellschaft für Softwarelizenzen und Cloud-Dienste mbH';

// A tenant on SKR03 with datev installed and February 2026 booked:
//   02-03 a 119.00 payment with 19 % Vorsteuer to 4964 (supplier with umlauts)
//   02-10 a 50.00 payment without VAT (a supplier name far over 60 characters)
//   02-20 the full refund of the first payment
let A;
let first;
let second;

before(async () => {
  server = await startServer();
  A = await booksTenant(server, { settings: { chart: 'skr03' },
                                  stripe: { vatRate: '19', expenseAccount: '4964' } });
  await installDatev(server, A.token);
  first = await pay(A, '2026-02-03', { amount: 11900, accountName: SUPPLIER,
                                       number: 'RE_2026.0042' });
  // PUT config keeps what it leaves out; null puts vatRate and expenseAccount back to none
  await A.configure({ autoPost: true, vatRate: null, expenseAccount: null });
  second = await pay(A, '2026-02-10', { amount: 5000, accountName: LONG_SUPPLIER,
                                        number: 'INV-7' });
  await refund(A, '2026-02-20', { pi: first.externalId, amount: 11900 });
});

describe('GET /api/exports/datev: the file', () => {
  test('an attachment named as DATEV names them, text/csv in Windows-1252', async () => {
    const res = await datevExport(server, A.token, '2026-02-01', '2026-02-28');
    assert.equal(res.status, 200, res.bytes.toString());
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=windows-1252');
    assert.equal(res.headers.get('content-disposition'),
                 'attachment; filename="EXTF_Buchungsstapel_20260201_20260228.csv"');
  });

  test('line 1: the 31 header fields in DATEV\'s order', async () => {
    const { lines } = parseExtf((await datevExport(server, A.token, '2026-02-01', '2026-02-28')).bytes);
    const { values, quoted } = lines[0];
    assert.equal(values.length, 31);
    const want = [
      ['EXTF', true], ['700', false], ['21', false], ['Buchungsstapel', true], ['13', false],
      [null, false] /* Erzeugt am */, ['', false], ['RE', true], ['', true], ['', true],
      ['29098', false], ['55003', false], ['20260101', false], ['4', false], ['20260201', false],
      ['20260228', false], [null, true] /* Bezeichnung */, ['', true], ['1', false], ['0', false],
      ['0', false], ['EUR', true], ['', false], ['', true], ['', false], ['', false], ['03', true],
      ['', false], ['', false], ['', true], ['', true],
    ];
    want.forEach(([value, isQuoted], i) => {
      if (value !== null) assert.equal(values[i], value, `header field ${i + 1}`);
      assert.equal(quoted[i], isQuoted, `header field ${i + 1} quoting`);
    });
    assert.match(values[5], /^20\d{15}$/, 'Erzeugt am: YYYYMMDDHHMMSSFFF');
    assert.ok(values[16].length <= 30 && values[16].length > 0, 'Bezeichnung <= 30');
  });

  test('line 2: the 125 column titles exactly, unquoted, in Windows-1252', async () => {
    const res = await datevExport(server, A.token, '2026-02-01', '2026-02-28');
    const { lines, raw } = parseExtf(res.bytes);
    assert.equal(TITLES.length, 125);
    assert.deepEqual(lines[1].values, TITLES);
    assert.ok(lines[1].quoted.every((q) => !q));
    assert.equal(raw[1], TITLES.join(';'));
    // "BU-Schlüssel": ü as the single byte FC
    const bytesOfLine2 = res.bytes.subarray(res.bytes.indexOf('\r\n') + 2);
    assert.ok(bytesOfLine2.includes(Buffer.from('BU-Schl\xfcssel', 'latin1')));
    assert.ok(!res.bytes.includes(Buffer.from('ü', 'utf8')), 'no UTF-8 anywhere');
  });

  test('one line per booking, 125 fields each, text fields quoted, numbers bare', async () => {
    const { lines } = parseExtf((await datevExport(server, A.token, '2026-02-01', '2026-02-28')).bytes);
    assert.equal(lines.length, 2 + 3);
    for (const { values, quoted } of lines.slice(2)) {
      assert.equal(values.length, 125);
      quoted.forEach((q, i) => assert.equal(q, TEXT_COLUMNS.has(i + 1), `column ${i + 1}`));
    }
    const rows = lines.slice(2).map((l) => l.values);
    // the payment with 19 % Vorsteuer: gross, S, BU key 9, its document number cleaned
    assert.deepEqual(rows[0].slice(0, 14), ['119,00', 'S', 'EUR', '', '', '', '4964', '1360', '9',
                                            '0302', 'RE20260042', '', '',
                                            `${SUPPLIER} RE_2026.0042`]);
    // the payment without VAT: no BU key
    assert.deepEqual(rows[1].slice(0, 11), ['50,00', 'S', 'EUR', '', '', '', '4900', '1360', '',
                                            '1002', 'INV-7']);
    // the refund: the same accounts and key, the opposite flag, the invoice's number
    assert.deepEqual(rows[2].slice(0, 14), ['119,00', 'H', 'EUR', '', '', '', '4964', '1360', '9',
                                            '2002', 'RE20260042', '', '',
                                            `Gutschrift ${SUPPLIER} RE_2026.0042`]);
    for (const r of rows) assert.ok(r.slice(14).every((v) => v === ''));
  });

  test('umlauts are Windows-1252 bytes: ä ö ü ß are E4 F6 FC DF', async () => {
    const { bytes } = await datevExport(server, A.token, '2026-02-01', '2026-02-28');
    const text = Buffer.from('"M\xfcller B\xe4ckerei Gr\xf6\xdfe RE_2026.0042"', 'latin1');
    assert.ok(bytes.includes(text), 'the Buchungstext in Windows-1252');
    const at = bytes.indexOf(text);
    assert.deepEqual([...bytes.subarray(at + 2, at + 3)], [0xfc]);         // ü
    assert.deepEqual([...bytes.subarray(at + 9, at + 10)], [0xe4]);        // ä
    assert.deepEqual([...bytes.subarray(at + 19, at + 21)], [0xf6, 0xdf]); // ö ß
  });

  test('a Buchungstext over 60 characters is cut, not refused', async () => {
    const { lines } = parseExtf((await datevExport(server, A.token, '2026-02-10', '2026-02-10')).bytes);
    assert.equal(lines.length, 3);
    const text = lines[2].values[13];
    assert.equal(text.length, 60);
    assert.equal(text, `${LONG_SUPPLIER} INV-7`.slice(0, 60)); // latin1: ü is one byte
  });

  test('CRLF after every line, semicolons only between fields', async () => {
    const { bytes } = await datevExport(server, A.token, '2026-02-01', '2026-02-28');
    const text = bytes.toString('latin1');
    assert.equal(text.split('\r\n').length, 5 + 1);
    assert.equal(text.replace(/\r\n/g, '').includes('\n'), false);
  });
});

describe('periods and preconditions', () => {
  test('an empty period is a valid file with no booking lines', async () => {
    const { status, bytes } = await datevExport(server, A.token, '2026-05-01', '2026-05-31');
    assert.equal(status, 200);
    const { lines } = parseExtf(bytes);
    assert.equal(lines.length, 2);
    assert.equal(lines[0].values[14], '20260501');
    assert.equal(lines[0].values[15], '20260531');
  });

  test('a period over two fiscal years is refused with a clear message', async () => {
    const res = await datevExport(server, A.token, '2025-12-01', '2026-01-31');
    assertError({ status: res.status, json: res.json, text: res.bytes.toString() }, 422,
                'validation_failed');
    assert.match(res.json.error.message, /two fiscal years/);

    // the fiscal year start is the tenant's setting, the one place it lives
    const b = await booksTenant(server, { settings: { chart: 'skr04', fiscalYearStart: '07-01' } });
    await installDatev(server, b.token);
    const spans = await datevExport(server, b.token, '2026-06-01', '2026-07-31');
    assert.equal(spans.status, 422);
    assert.match(spans.json.error.message, /two fiscal years \(they start on 07-01\)/);
    // inside one fiscal year that starts in July, WJ-Beginn is that July
    const ok = await datevExport(server, b.token, '2026-07-01', '2026-12-31');
    assert.equal(ok.status, 200);
    const head = parseExtf(ok.bytes).lines[0].values;
    assert.equal(head[12], '20260701');
    assert.equal(head[26], '04');
    const earlier = await datevExport(server, b.token, '2026-01-01', '2026-06-30');
    assert.equal(parseExtf(earlier.bytes).lines[0].values[12], '20250701');
    // one fiscal year, but two calendar years: the document date (DDMM) could not tell
    const calendar = await datevExport(server, b.token, '2025-12-01', '2026-01-31');
    assert.equal(calendar.status, 422);
    assert.match(calendar.json.error.message, /two calendar years/);
  });

  test('from and to are required dates, from not after to', async () => {
    for (const [from, to] of [[null, '2026-01-31'], ['2026-01-01', null], ['2026-02-30', '2026-03-01'],
                              ['2026-03-01', '2026-02-01']]) {
      const res = await datevExport(server, A.token, from, to);
      assert.equal(res.status, 400, `${from}..${to}`);
      assert.equal(res.json.error.code, 'invalid_field');
    }
  });

  test('without the datev connector: 409 saying to install it', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr03' } });
    const res = await datevExport(server, t.token, '2026-01-01', '2026-01-31');
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'connector_not_installed');
    assert.match(res.json.error.message, /install/);
  });

  test('a tenant chart that is not a DATEV chart (EKR) is refused, naming the setting', async () => {
    const t = await booksTenant(server); // EKR
    await installDatev(server, t.token);
    const res = await datevExport(server, t.token, '2026-01-01', '2026-01-31');
    assert.equal(res.status, 422);
    assert.match(res.json.error.message, /books in ekr, which is not a DATEV chart.*PUT \/api\/settings/);
  });

  test('a booking in another currency without a rate does not refuse the period', async () => {
    // (fx-currencies.test.js checks the lines of rated foreign bookings field by field)
    const t = await booksTenant(server, { settings: { chart: 'skr03' } });
    await installDatev(server, t.token);
    await pay(t, '2026-01-05', { amount: 2500, currency: 'usd' });
    await pay(t, '2026-01-06', { amount: 1000, number: 'E-1' });
    const res = await datevExport(server, t.token, '2026-01-01', '2026-01-31');
    assert.equal(res.status, 200, res.bytes.toString());
    const { lines } = parseExtf(res.bytes);
    assert.deepEqual(lines.slice(2).map((l) => l.values[10]), ['E-1'],
                     'the USD booking waits, flagged, for its rate');
  });

  test('revenue on an Automatikkonto (SKR03 8400) carries no BU key', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr03' },
                                          stripe: { direction: 'revenue', vatRate: '19' } });
    await installDatev(server, t.token);
    await pay(t, '2026-01-05', { amount: 23800, number: 'A-1', name: 'Kunde AG' });
    const { lines } = parseExtf((await datevExport(server, t.token, '2026-01-01', '2026-01-31')).bytes);
    assert.deepEqual(lines[2].values.slice(0, 11),
                     ['238,00', 'H', 'EUR', '', '', '', '8400', '1360', '', '0501', 'A-1']);
  });

  test('members may not export', async () => {
    const member = await server.createToken(A.tenantId, 'member');
    const res = await datevExport(server, member, '2026-02-01', '2026-02-28');
    assert.equal(res.status, 403);
  });
});

describe('connectord export datev', () => {
  test('writes the same file as the API (but for the time it was made)', async () => {
    const out = path.join(server.dir, 'export.csv');
    const r = await server.cli(['export', 'datev', '--tenant', A.tenantId, '--from', '2026-02-01',
                                '--to', '2026-02-28', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const res = await datevExport(server, A.token, '2026-02-01', '2026-02-28');
    // both name the head of the books they were made from (books-tamper-evidence.test.js)
    assert.deepEqual(JSON.parse(r.stdout), { file: out, datevName:
      'EXTF_Buchungsstapel_20260201_20260228.csv', bytes: fs.statSync(out).size,
    head: { seq: 3, hash: res.headers.get('x-books-chain-head') } });
    const cli = fs.readFileSync(out);
    const api = res.bytes;
    const withoutTime = (b) => b.toString('latin1').replace(/^("EXTF";700;21;"Buchungsstapel";13;)\d{17};/, '$1;');
    assert.notEqual(withoutTime(cli), cli.toString('latin1'), 'the time field was found');
    assert.equal(withoutTime(cli), withoutTime(api));
  });

  test('refuses what the API refuses, with the message and exit code 1', async () => {
    const r = await server.cli(['export', 'datev', '--tenant', A.tenantId, '--from', '2025-12-01',
                                '--to', '2026-01-31', '--out', path.join(server.dir, 'x.csv')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /two fiscal years/);
    assert.equal(fs.existsSync(path.join(server.dir, 'x.csv')), false);
    const usage = await server.cli(['export', 'datev', '--tenant', A.tenantId, '--from', '2026-02-01']);
    assert.equal(usage.code, 2);
    const unknown = await server.cli(['export', 'datev', '--tenant', 'ten_nope', '--from', '2026-02-01',
                                      '--to', '2026-02-02', '--out', '-']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no such tenant/);
  });
});
