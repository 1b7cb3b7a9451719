// A finalized invoice as documents: the EN 16931 e-invoice in CII syntax, XRechnung 3.0
// (GET /api/invoices/:id/xrechnung), read with fast-xml-parser: its required business terms
// and the arithmetic of its totals; and the PDF (GET /api/invoices/:id/pdf), read with
// pdftotext: what §11 UStG (AT) and §14 UStG (DE) require an invoice to say, including the
// reverse-charge and small-business notes where they apply.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { assertError } = require('./lib/stripe');
const {
  BUYER, SELLER, draft, finalize, insertEntries, invoicingTenant, minor, parseCii, pdfText,
  text, week,
} = require('./lib/invoicing');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// A finalized invoice of a week's entries; resolves {t, inv}.
async function issued(opts = {}, body = { rate: '80.00' }) {
  const t = await invoicingTenant(server, opts);
  insertEntries(server, t, week());
  const d = await draft(server, t, body);
  assert.equal(d.status, 201, d.text);
  const inv = await finalize(server, t, d.json.id);
  assert.equal(inv.status, 201, inv.text);
  return { t, inv: inv.json, draft: d.json };
}

async function xml(t, id) {
  const res = await server.request(`/api/invoices/${id}/xrechnung`, { token: t.token });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^application\/xml/);
  return { raw: res.text, doc: parseCii(res.text)['rsm:CrossIndustryInvoice'] };
}

async function pdf(t, id) {
  const res = await fetch(`${server.baseUrl}/api/invoices/${id}/pdf`,
                          { headers: { authorization: `Bearer ${t.token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  return pdfText(server, bytes);
}

function yyyymmdd(date) {
  return date.replaceAll('-', '');
}

describe('the XRechnung e-invoice (CII)', () => {
  test('carries the required business terms, XML-escaped', async () => {
    const { t, inv } = await issued();
    const { raw, doc } = await xml(t, inv.id);
    assert.match(raw, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    assert.ok(raw.includes('Kunde &amp; Söhne &lt;AG&gt;'), 'the buyer\'s name is escaped');

    const ctx = doc['rsm:ExchangedDocumentContext'];
    assert.equal(ctx['ram:GuidelineSpecifiedDocumentContextParameter']['ram:ID'],       // BT-24
                 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0');
    const head = doc['rsm:ExchangedDocument'];
    assert.equal(head['ram:ID'], inv.invoiceNumber);                                       // BT-1
    assert.equal(head['ram:TypeCode'], '380');                                             // BT-3
    const issue = head['ram:IssueDateTime']['udt:DateTimeString'];                        // BT-2
    assert.equal(issue['@_format'], '102');
    assert.equal(text(issue), yyyymmdd(inv.invoiceDate));

    const tx = doc['rsm:SupplyChainTradeTransaction'];
    const agreement = tx['ram:ApplicableHeaderTradeAgreement'];
    assert.equal(agreement['ram:BuyerReference'], BUYER.buyerReference);                   // BT-10
    const seller = agreement['ram:SellerTradeParty'];
    assert.equal(seller['ram:Name'], SELLER.sellerName);                                   // BT-27
    assert.deepEqual(seller['ram:PostalTradeAddress'], {                                   // BG-5
      'ram:PostcodeCode': SELLER.postalCode, 'ram:LineOne': SELLER.street,
      'ram:CityName': SELLER.city, 'ram:CountryID': 'AT' });
    assert.equal(text(seller['ram:SpecifiedTaxRegistration']['ram:ID']), 'ATU12345678');  // BT-31
    assert.equal(seller['ram:SpecifiedTaxRegistration']['ram:ID']['@_schemeID'], 'VA');
    assert.equal(text(seller['ram:URIUniversalCommunication']['ram:URIID']), SELLER.email); // BT-34
    const contact = seller['ram:DefinedTradeContact'];                                    // BG-6
    assert.equal(contact['ram:PersonName'], SELLER.contactName);
    assert.equal(contact['ram:TelephoneUniversalCommunication']['ram:CompleteNumber'], SELLER.phone);
    assert.equal(contact['ram:EmailURIUniversalCommunication']['ram:URIID'], SELLER.email);
    const buyer = agreement['ram:BuyerTradeParty'];
    assert.equal(buyer['ram:Name'], 'Kunde & Söhne <AG>');                                 // BT-44
    assert.equal(buyer['ram:PostalTradeAddress']['ram:CityName'], BUYER.city);            // BG-8
    assert.equal(buyer['ram:PostalTradeAddress']['ram:CountryID'], 'AT');
    assert.equal(text(buyer['ram:SpecifiedTaxRegistration']['ram:ID']), BUYER.vatId);     // BT-48
    assert.equal(text(buyer['ram:URIUniversalCommunication']['ram:URIID']), BUYER.email); // BT-49

    const settlement = tx['ram:ApplicableHeaderTradeSettlement'];
    assert.equal(settlement['ram:InvoiceCurrencyCode'], 'EUR');                           // BT-5
    const means = settlement['ram:SpecifiedTradeSettlementPaymentMeans'];                 // BG-16
    assert.equal(means['ram:TypeCode'], '58');
    assert.equal(means['ram:PayeePartyCreditorFinancialAccount']['ram:IBANID'], SELLER.iban);
    const period = settlement['ram:BillingSpecifiedPeriod'];                              // BG-14
    assert.equal(text(period['ram:StartDateTime']['udt:DateTimeString']), '20260301');
    assert.equal(text(period['ram:EndDateTime']['udt:DateTimeString']), '20260331');
    const due = settlement['ram:SpecifiedTradePaymentTerms'];                             // BT-9
    assert.equal(text(due['ram:DueDateDateTime']['udt:DateTimeString']), yyyymmdd(inv.dueDate));

    const lines = tx['ram:IncludedSupplyChainTradeLineItem'];                             // BG-25
    assert.equal(lines.length, 2);
    assert.deepEqual(lines.map((l) => l['ram:AssociatedDocumentLineDocument']['ram:LineID']), ['1', '2']);
    assert.deepEqual(lines.map((l) => l['ram:SpecifiedTradeProduct']['ram:Name']), ['Website', 'Support']);
    for (const l of lines) {
      const qty = l['ram:SpecifiedLineTradeDelivery']['ram:BilledQuantity'];            // BT-129/130
      assert.equal(qty['@_unitCode'], 'MIN');
      const tax = l['ram:SpecifiedLineTradeSettlement']['ram:ApplicableTradeTax'];       // BG-30
      assert.equal(tax['ram:CategoryCode'], 'S');
      assert.equal(tax['ram:RateApplicablePercent'], '20.00');
    }
  });

  test('its totals add up: lines to BT-106, BT-109 + BT-110 = BT-112 = BT-115, the VAT breakdown', async () => {
    const { t, inv } = await issued({ profile: { roundingMinutes: 6 } }, { rate: '87.35' });
    const { doc } = await xml(t, inv.id);
    const tx = doc['rsm:SupplyChainTradeTransaction'];
    const lines = tx['ram:IncludedSupplyChainTradeLineItem'];
    let sum = 0n;
    for (const l of lines) {
      const price = l['ram:SpecifiedLineTradeAgreement']['ram:NetPriceProductTradePrice'];
      const base = price['ram:BasisQuantity'];                                           // BT-149
      const qty = BigInt(text(l['ram:SpecifiedLineTradeDelivery']['ram:BilledQuantity']));
      const net = minor(l['ram:SpecifiedLineTradeSettlement']
        ['ram:SpecifiedTradeSettlementLineMonetarySummation']['ram:LineTotalAmount']);   // BT-131
      // BT-131 = BT-129 * BT-146 / BT-149, rounded half up to the cent.
      const exact = qty * minor(price['ram:ChargeAmount']);
      const baseQty = BigInt(text(base));
      assert.equal(net, (exact * 2n + baseQty) / (2n * baseQty));
      sum += net;
    }
    const settlement = tx['ram:ApplicableHeaderTradeSettlement'];
    const totals = settlement['ram:SpecifiedTradeSettlementHeaderMonetarySummation'];   // BG-22
    const bt106 = minor(totals['ram:LineTotalAmount']);
    const bt109 = minor(totals['ram:TaxBasisTotalAmount']);
    const bt110 = minor(text(totals['ram:TaxTotalAmount']));
    const bt112 = minor(totals['ram:GrandTotalAmount']);
    const bt115 = minor(totals['ram:DuePayableAmount']);
    assert.equal(totals['ram:TaxTotalAmount']['@_currencyID'], 'EUR');
    assert.equal(sum, bt106);
    assert.equal(bt109, bt106); // no document-level allowances or charges
    assert.equal(bt109 + bt110, bt112);
    assert.equal(bt115, bt112); // nothing prepaid
    const vat = settlement['ram:ApplicableTradeTax'];                                     // BG-23
    assert.equal(minor(vat['ram:BasisAmount']), bt109);                                   // BT-116
    assert.equal(minor(vat['ram:CalculatedAmount']), bt110);                              // BT-117
    assert.equal(vat['ram:CategoryCode'], 'S');                                           // BT-118
    assert.equal(vat['ram:RateApplicablePercent'], '20.00');                              // BT-119
    assert.equal(bt110, (bt109 * 2000n * 2n + 10000n) / 20000n);
    assert.equal(totals['ram:GrandTotalAmount'], inv.gross);
  });

  test('a business customer in another member state: reverse charge (AE), no VAT, the note', async () => {
    const { t, inv } = await issued({
      billing: { street: 'Unter den Linden 1', postalCode: '10117', city: 'Berlin',
                 country: 'DE', vatId: 'DE123456789' },
    });
    assert.equal(inv.taxTreatment, 'intra_eu_services');
    assert.deepEqual([inv.net, inv.tax, inv.gross], ['1140.00', '0.00', '1140.00']);
    const { doc } = await xml(t, inv.id);
    const settlement = doc['rsm:SupplyChainTradeTransaction']['ram:ApplicableHeaderTradeSettlement'];
    const vat = settlement['ram:ApplicableTradeTax'];
    assert.equal(vat['ram:CategoryCode'], 'AE');
    assert.equal(vat['ram:ExemptionReasonCode'], 'VATEX-EU-AE');
    assert.equal(vat['ram:CalculatedAmount'], '0.00');
    assert.match(vat['ram:ExemptionReason'], /Reverse Charge/);
    const totals = settlement['ram:SpecifiedTradeSettlementHeaderMonetarySummation'];
    assert.equal(totals['ram:GrandTotalAmount'], '1140.00');
    const words = await pdf(t, inv.id);
    assert.match(words, /Übergang der Steuerschuld auf den Leistungsempfänger/);
    assert.match(words, /DE123456789/);
  });

  test('a draft has no documents yet; another tenant\'s invoice is not found', async () => {
    const t = await invoicingTenant(server);
    insertEntries(server, t, week().slice(0, 1));
    const d = await draft(server, t, { rate: '80.00' });
    assertError(await server.request(`/api/invoices/${d.json.id}/xrechnung`, { token: t.token }),
                409, 'invoice_not_finalized');
    assertError(await server.request(`/api/invoices/${d.json.id}/pdf`, { token: t.token }),
                409, 'invoice_not_finalized');
    const inv = await finalize(server, t, d.json.id);
    const other = await invoicingTenant(server);
    assertError(await server.request(`/api/invoices/${inv.json.id}/xrechnung`, { token: other.token }),
                404, 'not_found');
  });
});

describe('the PDF', () => {
  test('says what §11 UStG / §14 UStG require', async () => {
    const { t, inv } = await issued();
    const words = await pdf(t, inv.id);
    for (const want of [
      SELLER.sellerName, SELLER.street, `AT-${SELLER.postalCode} ${SELLER.city}`, 'ATU12345678',
      'Kunde & Söhne <AG>', BUYER.street, `AT-${BUYER.postalCode} ${BUYER.city}`, BUYER.vatId,
      `Rechnungsnummer: ${inv.invoiceNumber}`, `Rechnungsdatum: ${inv.invoiceDate}`,
      'Leistungszeitraum: 2026-03-01 bis 2026-03-31', `Fällig am: ${inv.dueDate}`,
      'Website', '8:40', '693.33 EUR', 'Support', '5:35', '446.67 EUR', '80.00 EUR',
      'Summe netto', '1140.00 EUR', 'USt 20,00 %', '228.00 EUR', 'Gesamtbetrag brutto',
      '1368.00 EUR', SELLER.iban,
    ]) assert.ok(words.includes(want), `the PDF lacks "${want}":\n${words}`);
  });

  test('a small business (Kleinunternehmer) charges no VAT and says why', async () => {
    const { t, inv } = await issued({ settings: { smallBusiness: true, vatNumber: null } });
    assert.equal(inv.taxTreatment, 'small_business');
    assert.deepEqual([inv.tax, inv.gross], ['0.00', '1140.00']);
    const words = await pdf(t, inv.id);
    assert.match(words, /Kleinunternehmerregelung/);
    const { doc } = await xml(t, inv.id);
    const vat = doc['rsm:SupplyChainTradeTransaction']['ram:ApplicableHeaderTradeSettlement']['ram:ApplicableTradeTax'];
    assert.equal(vat['ram:CategoryCode'], 'E');
  });

  test('a German seller (SKR03): 19 %, and a long invoice continues on further pages', async () => {
    const t = await invoicingTenant(server, {
      settings: { chart: 'skr03', country: 'DE', vatNumber: 'DE987654321' },
      billing: { street: 'Marktplatz 1', postalCode: '80331', city: 'München', country: 'DE',
                 vatId: null },
    });
    const entries = Array.from({ length: 80 }, (_, i) => ({
      start: `2026-03-${String(2 + (i % 20)).padStart(2, '0')}T09:00:00.000Z`, minutes: 30 + i,
      project: `P${i}`, description: `Task ${i}` }));
    insertEntries(server, t, entries);
    const d = await draft(server, t, { rate: '95.00', groupBy: 'entry' });
    assert.equal(d.status, 201, d.text);
    const inv = await finalize(server, t, d.json.id);
    assert.equal(inv.status, 201, inv.text);
    assert.equal(inv.json.taxTreatment, 'domestic');
    const words = await pdf(t, inv.json.id);
    assert.ok(words.includes('USt 19,00 %'), words);
    assert.ok(words.split('\f').filter((p) => p.trim()).length >= 2, 'more than one page');
    assert.ok(words.includes(`${inv.json.gross} EUR`));
    const entry = (await server.request('/api/ledger/entries', { token: t.token })).json.entries
      .find((e) => e.invoiceId === inv.json.id);
    assert.deepEqual(entry.lines.map((l) => l.account), ['8400', '1776', '1400']);
  });
});
