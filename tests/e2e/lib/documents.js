// Documents the document store's tests send, built here from known figures: XRechnung in UBL
// and CII, ebInterface, PDFs (a text layer, a ZUGFeRD/Factur-X attachment) written object
// by object, and receipt photos rendered with ImageMagick from known German text and then
// degraded like a phone's picture (a few degrees of rotation, blur, noise, uneven light).
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// One invoice's figures, shared by every syntax below. Two rates, exact cents.
const INVOICE = {
  number: 'RE-2026-0815',
  issueDate: '2026-03-02',
  dueDate: '2026-04-01',
  currency: 'EUR',
  seller: { name: 'Kontorbedarf Müller GmbH', vatId: 'DE811907980' },
  buyer: { name: 'Beispiel Handel KG', vatId: 'DE999999999' },
  lines: [
    { name: 'Druckerpapier A4, 500 Blatt', quantity: '10', net: '45.90', rate: '19' },
    { name: 'Toner schwarz', quantity: '2', net: '119.80', rate: '19' },
    { name: 'Fachbuch Buchhaltung', quantity: '1', net: '39.90', rate: '7' },
  ],
  taxes: [
    { rate: '19', taxable: '165.70', tax: '31.48' },
    { rate: '7', taxable: '39.90', tax: '2.79' },
  ],
  net: '205.60',
  tax: '34.27',
  gross: '239.87',
};

function ubl(inv = INVOICE) {
  const cur = inv.currency;
  const lines = inv.lines.map((l, i) => `
  <cac:InvoiceLine>
    <cbc:ID>${i + 1}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">${l.quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="${cur}">${l.net}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>${esc(l.name)}</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>${l.rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="${cur}">1.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>`).join('');
  const subtotals = inv.taxes.map((t) => `
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="${cur}">${t.taxable}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="${cur}">${t.tax}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>${t.rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>${esc(inv.number)}</cbc:ID>
  <cbc:IssueDate>${inv.issueDate}</cbc:IssueDate>
  <cbc:DueDate>${inv.dueDate}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>${cur}</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>04011000-12345-03</cbc:BuyerReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Kontorbedarf</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cbc:CityName>Köln</cbc:CityName><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>${inv.seller.vatId}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>${esc(inv.seller.name)}</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyTaxScheme><cbc:CompanyID>${inv.buyer.vatId}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>${esc(inv.buyer.name)}</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="${cur}">${inv.tax}</cbc:TaxAmount>${subtotals}
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="${cur}">${inv.net}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="${cur}">${inv.net}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="${cur}">${inv.gross}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="${cur}">${inv.gross}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>${lines}
</ubl:Invoice>
`;
}

const ymd = (d) => d.replace(/-/g, '');

function cii(inv = INVOICE) {
  const cur = inv.currency;
  const lines = inv.lines.map((l, i) => `
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>${i + 1}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>${esc(l.name)}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>1.00</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">${l.quantity}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>${l.rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>${l.net}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>`).join('');
  const taxes = inv.taxes.map((t) => `
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>${t.tax}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>${t.taxable}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>${t.rate}</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
  xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>${esc(inv.number)}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">${ymd(inv.issueDate)}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>${lines}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>${esc(inv.seller.name)}</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">${inv.seller.vatId}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>${esc(inv.buyer.name)}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>${cur}</ram:InvoiceCurrencyCode>${taxes}
      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">${ymd(inv.dueDate)}</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>${inv.net}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>${inv.net}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="${cur}">${inv.tax}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>${inv.gross}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>${inv.gross}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`;
}

// ebInterface 6.1 (Austria): an Austrian seller, 20 % and 10 %.
const EB_INVOICE = {
  number: '2026/0042', issueDate: '2026-02-20', dueDate: '2026-03-20', currency: 'EUR',
  seller: { name: 'Wiener Werkzeug OG', vatId: 'ATU12345678' },
  lines: [
    { name: 'Schraubenzieher-Set', quantity: '4.00', net: '80.00', rate: '20' },
    { name: 'Handbuch', quantity: '1.00', net: '25.00', rate: '10' },
  ],
  taxes: [
    { rate: '20', taxable: '80.00', tax: '16.00' },
    { rate: '10', taxable: '25.00', tax: '2.50' },
  ],
  net: '105.00', tax: '18.50', gross: '123.50',
};

function ebinterface(inv = EB_INVOICE) {
  const lines = inv.lines.map((l, i) => `
      <ListLineItem>
        <PositionNumber>${i + 1}</PositionNumber>
        <Description>${esc(l.name)}</Description>
        <Quantity Unit="C62">${l.quantity}</Quantity>
        <UnitPrice>1.00</UnitPrice>
        <TaxItem><TaxableAmount>${l.net}</TaxableAmount><TaxPercent TaxCategoryCode="S">${l.rate}</TaxPercent><TaxAmount>0</TaxAmount></TaxItem>
        <LineItemAmount>${l.net}</LineItemAmount>
      </ListLineItem>`).join('');
  const taxes = inv.taxes.map((t) => `
    <TaxItem><TaxableAmount>${t.taxable}</TaxableAmount><TaxPercent TaxCategoryCode="S">${t.rate}</TaxPercent><TaxAmount>${t.tax}</TaxAmount></TaxItem>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="http://www.ebinterface.at/schema/6p1/" GeneratingSystem="test" DocumentType="Invoice" InvoiceCurrency="${inv.currency}" Language="de">
  <InvoiceNumber>${esc(inv.number)}</InvoiceNumber>
  <InvoiceDate>${inv.issueDate}</InvoiceDate>
  <Biller>
    <VATIdentificationNumber>${inv.seller.vatId}</VATIdentificationNumber>
    <Address><Name>${esc(inv.seller.name)}</Name><Street>Lassallestraße 5</Street><Town>Wien</Town><ZIP>1020</ZIP><Country CountryCode="AT">Österreich</Country></Address>
  </Biller>
  <InvoiceRecipient>
    <VATIdentificationNumber>ATU87654321</VATIdentificationNumber>
    <Address><Name>Kunde GmbH</Name><Town>Graz</Town><ZIP>8010</ZIP><Country CountryCode="AT">Österreich</Country></Address>
  </InvoiceRecipient>
  <Details><ItemList>${lines}
  </ItemList></Details>
  <Tax>${taxes}
  </Tax>
  <TotalGrossAmount>${inv.gross}</TotalGrossAmount>
  <PayableAmount>${inv.gross}</PayableAmount>
  <PaymentConditions><DueDate>${inv.dueDate}</DueDate></PaymentConditions>
</Invoice>
`;
}

// A PDF written object by object: one A4 page of Helvetica text lines (WinAnsi, so "ä" and
// "€" are single bytes), and optionally an embedded file as ZUGFeRD / Factur-X attach it
// (a Filespec in the catalog's EmbeddedFiles name tree and its /AF array).
function pdf(lines, { attachment } = {}) {
  const enc = (s) => Buffer.from(s.replace(/€/g, '\x80'), 'latin1');
  const pdfString = (s) => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
  const text = lines.map((l, i) => `BT /F1 11 Tf 56 ${790 - i * 16} Td (${pdfString(l)}) Tj ET`).join('\n');
  const content = enc(text);
  const objects = [];
  const af = attachment ? ' /Names << /EmbeddedFiles << /Names [(' + attachment.name + ') 6 0 R] >> >> /AF [6 0 R]' : '';
  objects.push(Buffer.from(`<< /Type /Catalog /Pages 2 0 R${af} >>`));
  objects.push(Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'));
  objects.push(Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>'));
  objects.push(Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'));
  objects.push(Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]));
  if (attachment) {
    const data = Buffer.from(attachment.data);
    objects.push(Buffer.from(`<< /Type /Filespec /F (${attachment.name}) /UF (${attachment.name}) /AFRelationship /Alternative /Desc (Factur-X) /EF << /F 7 0 R /UF 7 0 R >> >>`));
    objects.push(Buffer.concat([Buffer.from(`<< /Type /EmbeddedFile /Subtype /text#2Fxml /Length ${data.length} >>\nstream\n`), data, Buffer.from('\nendstream')]));
  }
  const parts = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0].length;
  const offsets = [];
  objects.forEach((body, i) => {
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets.push(offset);
    offset += obj.length;
    parts.push(obj);
  });
  const xref = ['xref', `0 ${objects.length + 1}`, '0000000000 65535 f ']
    .concat(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `)).join('\n');
  parts.push(Buffer.from(`${xref}\ntrailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return Buffer.concat(parts);
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

// A receipt photographed with a phone: the text rendered black on white, rotated by
// `degrees`, lit unevenly (a gradient multiplied over it), blurred and noisy; grey, as JPEG
// or PNG.
function receiptPhoto(lines, { degrees = 3, format = 'jpg', blur = 1.2, noise = 0.5 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receipt-'));
  const out = path.join(dir, `receipt.${format}`);
  try {
    execFileSync('convert', [
      '-size', '900x1300', 'xc:white', '-font', FONT, '-pointsize', '34', '-fill', 'black',
      '-annotate', '+60+100', lines.join('\n'),
      '-background', 'white', '-rotate', String(degrees), '-flatten',
      '(', '+clone', '-sparse-color', 'Barycentric', '0,0 gray100 %[fx:w],%[fx:h] gray55', ')',
      '-compose', 'multiply', '-composite',
      '-blur', `0x${blur}`, '-attenuate', String(noise), '+noise', 'Gaussian',
      '-colorspace', 'Gray', '-depth', '8', '-quality', '80', out,
    ]);
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { INVOICE, EB_INVOICE, ubl, cii, ebinterface, pdf, receiptPhoto };
