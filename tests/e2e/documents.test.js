// The document store: a file uploaded as the raw body is kept byte for byte (its SHA-256,
// its type by content), read into a draft by the most trusted reader that understands it,
// and booked as an incoming invoice only once a person confirms it. E-invoices (XRechnung in
// UBL and CII, a ZUGFeRD PDF, ebInterface) are read exactly; a text PDF is read by poppler;
// receipt photos (rendered here from known text and degraded like a phone's picture) by
// Tesseract, to the right total and date.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const docs = require('./lib/documents');

let server;
let a; // admin and member of one tenant
let other;

function client(token) {
  return {
    get: (p) => server.request(p, { token }),
    post: (p, json) => server.request(p, { method: 'POST', token, json }),
    upload: (bytes, { filename, type = 'application/octet-stream' } = {}) =>
      server.request(`/api/documents${filename ? `?filename=${encodeURIComponent(filename)}` : ''}`, {
        method: 'POST', token, headers: { 'content-type': type }, body: bytes,
      }),
  };
}

async function tenant(name) {
  const t = await server.createTenant(name, 'pro');
  return { ...t, admin: client(t.token), member: client(await server.createToken(t.tenantId, 'member')) };
}

// What every e-invoice reader must give for INVOICE, exactly.
function assertInvoiceRead(reading, inv = docs.INVOICE) {
  assert.equal(reading.supplier.name, inv.seller.name);
  assert.equal(reading.supplier.vatId, inv.seller.vatId);
  assert.equal(reading.invoiceNumber, inv.number);
  assert.equal(reading.invoiceDate, inv.issueDate);
  assert.equal(reading.dueDate, inv.dueDate);
  assert.equal(reading.currency, inv.currency);
  assert.deepEqual(reading.lines.map((l) => [l.description, l.quantity, l.netAmount, l.taxRate]),
    inv.lines.map((l) => [l.name, l.quantity, l.net, l.rate]));
  assert.deepEqual(reading.taxes.map((t) => [t.taxRate, t.taxableAmount, t.taxAmount]),
    inv.taxes.map((t) => [t.rate, t.taxable, t.tax]));
  assert.equal(reading.totals.net, inv.net);
  assert.equal(reading.totals.tax, inv.tax);
  assert.equal(reading.totals.gross, inv.gross);
  assert.equal(reading.problems, undefined, JSON.stringify(reading.problems));
  assert.equal(reading.confidence, 100);
}

before(async () => {
  // uploads are bounded by the server's --max-body (and the store's 10 MB)
  server = await startServer({ args: ['--max-body', String(10 << 20)] });
  a = await tenant('Documents A');
  other = await tenant('Documents B');
});
after(() => server?.stop());

describe('e-invoices are read exactly', () => {
  test('XRechnung in UBL', async () => {
    const r = await a.admin.upload(docs.ubl(), { filename: 'xrechnung-ubl.xml', type: 'application/xml' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.reader, 'ubl');
    assert.equal(r.json.mediaType, 'application/xml');
    assert.equal(r.json.status, 'review');
    assert.equal(r.json.source, 'upload');
    assert.equal(r.json.filename, 'xrechnung-ubl.xml');
    assert.equal(r.json.duplicate, false);
    assertInvoiceRead(r.json.reading);
  });

  test('XRechnung in CII', async () => {
    const r = await a.admin.upload(docs.cii(), { filename: 'xrechnung-cii.xml' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.reader, 'cii');
    assertInvoiceRead(r.json.reading);
  });

  test('ZUGFeRD / Factur-X: the CII XML embedded in the PDF wins over its text', async () => {
    const xml = docs.cii({ ...docs.INVOICE, number: 'ZF-2026-0001' });
    const bytes = docs.pdf(['Kontorbedarf Müller GmbH', 'Rechnung Nr. ZF-2026-0001', 'Summe 239,87 €'],
      { attachment: { name: 'factur-x.xml', data: xml } });
    const r = await a.admin.upload(bytes, { filename: 'zugferd.pdf', type: 'application/pdf' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.reader, 'zugferd');
    assert.equal(r.json.mediaType, 'application/pdf');
    assertInvoiceRead(r.json.reading, { ...docs.INVOICE, number: 'ZF-2026-0001' });
  });

  test('ebInterface (Austria)', async () => {
    const r = await a.admin.upload(docs.ebinterface(), { filename: 'ebinterface.xml' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.reader, 'ebinterface');
    const inv = docs.EB_INVOICE;
    const reading = r.json.reading;
    assert.equal(reading.supplier.name, inv.seller.name);
    assert.equal(reading.supplier.vatId, inv.seller.vatId);
    assert.equal(reading.invoiceNumber, inv.number);
    assert.equal(reading.invoiceDate, inv.issueDate);
    assert.equal(reading.dueDate, inv.dueDate);
    assert.deepEqual(reading.lines.map((l) => [l.description, l.quantity, l.netAmount, l.taxRate]),
      inv.lines.map((l) => [l.name, l.quantity, l.net, l.rate]));
    assert.deepEqual(reading.taxes.map((t) => [t.taxRate, t.taxableAmount, t.taxAmount]),
      inv.taxes.map((t) => [t.rate, t.taxable, t.tax]));
    assert.deepEqual(reading.totals, { net: inv.net, tax: inv.tax, gross: inv.gross, payable: inv.gross });
  });

  test('XML that is no e-invoice is kept, unread, for a person to type in', async () => {
    const r = await a.admin.upload('<?xml version="1.0"?><note><to>Tove</to></note>');
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.reader, 'none');
    assert.equal(r.json.confidence, 0);
    assert.match(r.json.reading.problems[0], /not an e-invoice/);
  });
});

describe('PDFs and photos are read to a proposal', () => {
  test('a PDF with text is read by poppler: supplier, VAT id, number, date, total, VAT', async () => {
    const bytes = docs.pdf([
      'Hosting Nord GmbH', 'Speicherstraße 4, 20457 Hamburg', 'USt-IdNr.: DE287654321', '',
      'Rechnung', 'Rechnungsnummer: HN-2026-117', 'Rechnungsdatum: 05.03.2026', '',
      'Server M, März 2026              84,00 €', 'Nettobetrag                      84,00 €',
      'MwSt 19%                         15,96 €', 'Gesamtbetrag                     99,96 €',
    ]);
    const r = await a.admin.upload(bytes, { filename: 'hosting.pdf' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.reader, 'pdf-text');
    const g = r.json.reading;
    assert.equal(g.supplier.name, 'Hosting Nord GmbH');
    assert.equal(g.supplier.vatId, 'DE287654321');
    assert.equal(g.invoiceNumber, 'HN-2026-117');
    assert.equal(g.invoiceDate, '2026-03-05');
    assert.equal(g.currency, 'EUR');
    assert.equal(g.totals.gross, '99.96');
    assert.equal(g.totals.tax, '15.96');
    assert.equal(g.taxes[0].rate, '19');
    assert.match(g.text, /Gesamtbetrag/);
  });

  const receipt = [
    'Bäckerei Sonnenschein GmbH', 'Hauptstraße 12, 10115 Berlin', 'USt-IdNr. DE123456789', '',
    'Datum: 14.03.2026  09:41', 'Beleg-Nr. 4711', '',
    '2x Brötchen          1,20', '1x Kaffee gross      3,40', '1x Croissant         2,10', '',
    'Summe EUR            6,70', 'MwSt 7% Netto 6,26   0,44', 'Gegeben bar         10,00',
    'Rückgeld             3,30',
  ];
  for (const [what, opts] of [
    ['a JPEG photo, rotated 3 degrees', { degrees: 3, format: 'jpg' }],
    ['a PNG photo, rotated -2 degrees, more noise', { degrees: -2, format: 'png', noise: 0.8 }],
  ]) {
    test(`a receipt photo is read by OCR to its total and date: ${what}`, async () => {
      const r = await a.admin.upload(docs.receiptPhoto(receipt, opts), { filename: `receipt.${opts.format}` });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.reader, 'ocr');
      assert.equal(r.json.mediaType, opts.format === 'png' ? 'image/png' : 'image/jpeg');
      const g = r.json.reading;
      assert.equal(g.totals.gross, '6.70', g.text);
      assert.equal(g.invoiceDate, '2026-03-14', g.text);
      assert.ok(r.json.confidence > 40 && r.json.confidence <= 100, String(r.json.confidence));
    });
  }
});

describe('the store itself', () => {
  test('the same file twice is one document', async () => {
    const bytes = docs.ubl({ ...docs.INVOICE, number: 'DUP-1' });
    const first = await a.admin.upload(bytes);
    assert.equal(first.status, 201, first.text);
    const second = await a.admin.upload(bytes, { filename: 'again.xml' });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.duplicate, true);
    assert.equal(second.json.id, first.json.id);
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.equal(first.json.sha256, sha);
    const list = await a.member.get('/api/documents?limit=100');
    assert.equal(list.json.documents.filter((d) => d.sha256 === sha).length, 1);
    // another tenant may have the same file as its own document
    const theirs = await other.admin.upload(bytes);
    assert.equal(theirs.status, 201, theirs.text);
    assert.notEqual(theirs.json.id, first.json.id);
  });

  test('a file that is not PDF, PNG, JPEG or XML by its content is refused, whatever its name', async () => {
    for (const [body, type] of [
      ['PK\x03\x04 not really a zip', 'application/pdf'],
      ['just some text, named .pdf', 'application/pdf'],
      [Buffer.from('GIF89a\x01\x00\x01\x00'), 'image/png'],
    ]) {
      const r = await a.admin.upload(body, { filename: 'invoice.pdf', type });
      assert.equal(r.status, 415, r.text);
      assert.equal(r.json.error.code, 'unsupported_media_type');
    }
    const empty = await a.admin.upload('');
    assert.equal(empty.status, 422, empty.text);
  });

  test('the original bytes go to admins only; members read what was read', async () => {
    const bytes = docs.pdf(['Hosting Nord GmbH', 'Summe 10,00 €', 'Datum 01.02.2026']);
    const up = await a.admin.upload(bytes);
    assert.equal(up.status, 201, up.text);
    const path = `/api/documents/${up.json.id}/file`;
    const res = await fetch(server.baseUrl + path, { headers: { authorization: `Bearer ${a.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    const member = await a.member.get(path);
    assert.equal(member.status, 403, member.text);
    const shown = await a.member.get(`/api/documents/${up.json.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.json.reading.totals.gross, '10.00');
    assert.equal((await other.admin.get(`/api/documents/${up.json.id}`)).status, 404);
    assert.equal((await other.admin.get(path)).status, 404);
    const memberUpload = await a.member.upload(bytes);
    assert.equal(memberUpload.status, 403);
  });

  test('listing by status pages newest first', async () => {
    const r = await a.member.get('/api/documents?status=review&limit=2');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.documents.length, 2);
    assert.ok(r.json.nextCursor);
    const next = await a.member.get(`/api/documents?status=review&limit=2&cursor=${r.json.nextCursor}`);
    assert.equal(next.status, 200);
    assert.ok(next.json.documents.every((d) => d.id < r.json.documents[1].id));
    assert.equal((await a.member.get('/api/documents?status=lost')).status, 400);
  });
});

describe('confirming books the draft once', () => {
  test('an e-invoice becomes an incoming invoice; the supplier is matched by VAT id, then by name', async () => {
    const one = await a.admin.upload(docs.ubl({ ...docs.INVOICE, number: 'BOOK-1' }));
    const c1 = await a.admin.post(`/api/documents/${one.json.id}/confirm`, {});
    assert.equal(c1.status, 200, c1.text);
    assert.equal(c1.json.status, 'confirmed');
    const invoiceId = c1.json.invoiceId;
    const inv = await a.member.get(`/api/invoices/${invoiceId}`);
    assert.equal(inv.status, 200, inv.text);
    assert.equal(inv.json.type, 'eingangsrechnung');
    assert.equal(inv.json.invoiceNumber, 'BOOK-1');
    assert.equal(inv.json.invoiceDate, docs.INVOICE.issueDate);
    assert.equal(inv.json.totalGross, docs.INVOICE.gross);
    assert.equal(inv.json.source, 'document');
    assert.equal(inv.json.externalId, one.json.id);
    assert.equal(inv.json.journalEntryId, null);
    const supplierId = inv.json.supplierId;

    // the same VAT id under another name: the same supplier
    const two = await a.admin.upload(docs.cii({ ...docs.INVOICE, number: 'BOOK-2', seller: { name: 'Müller Kontorbedarf', vatId: docs.INVOICE.seller.vatId } }));
    const c2 = await a.admin.post(`/api/documents/${two.json.id}/confirm`, {});
    assert.equal(c2.status, 200, c2.text);
    assert.equal((await a.member.get(`/api/invoices/${c2.json.invoiceId}`)).json.supplierId, supplierId);

    // a second confirm books nothing
    const again = await a.admin.post(`/api/documents/${one.json.id}/confirm`, {});
    assert.equal(again.status, 409, again.text);
    const list = await a.member.get('/api/invoices?source=document&limit=100');
    assert.equal(list.json.invoices.filter((i) => i.externalId === one.json.id).length, 1);
  });

  test('a receipt is confirmed with corrections, and refused while a figure is missing', async () => {
    const up = await a.admin.upload(docs.pdf(['Kiosk am Markt', 'Danke für Ihren Einkauf']));
    assert.equal(up.status, 201, up.text);
    const missing = await a.admin.post(`/api/documents/${up.json.id}/confirm`, {});
    assert.equal(missing.status, 422, missing.text);
    assert.match(missing.json.error.message, /gross total|invoice date/);
    const bad = await a.admin.post(`/api/documents/${up.json.id}/confirm`, { totalGross: 12 });
    assert.equal(bad.status, 400, bad.text);
    const unknown = await a.admin.post(`/api/documents/${up.json.id}/confirm`, { amount: '1.00' });
    assert.equal(unknown.status, 422, unknown.text);
    assert.match(unknown.json.error.message, /unknown field 'amount'/);
    const ok = await a.admin.post(`/api/documents/${up.json.id}/confirm`, {
      supplierName: 'Kiosk am Markt', invoiceDate: '2026-03-09', totalGross: '12.40', taxAmount: '0.81', taxRate: '7',
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.reading.booked.totalGross, '12.40');
    const inv = await a.member.get(`/api/invoices/${ok.json.invoiceId}`);
    assert.equal(inv.json.totalGross, '12.40');
    assert.equal(inv.json.invoiceDate, '2026-03-09');
    // by name: a later receipt of "kiosk am markt" finds the same supplier
    const later = await a.admin.upload(docs.pdf(['KIOSK AM MARKT', 'Summe 3,00 €', 'Datum 10.03.2026']));
    const c = await a.admin.post(`/api/documents/${later.json.id}/confirm`, { supplierName: 'kiosk am markt' });
    assert.equal(c.status, 200, c.text);
    assert.equal((await a.member.get(`/api/invoices/${c.json.invoiceId}`)).json.supplierId, inv.json.supplierId);
    assert.equal((await a.member.post(`/api/documents/${later.json.id}/confirm`, {})).status, 403);
    assert.equal((await other.admin.post(`/api/documents/${later.json.id}/confirm`, {})).status, 404);
  });
});
