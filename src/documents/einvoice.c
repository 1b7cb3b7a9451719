/* documents/einvoice.c - structured e-invoices read exactly, with libxml2:
 *   UBL 2.1 Invoice / CreditNote (XRechnung, Peppol BIS: EN 16931's UBL syntax),
 *   UN/CEFACT CII CrossIndustryInvoice D16B (XRechnung's CII syntax, ZUGFeRD 2.x and
 *   Factur-X, whose PDF carries it as an attachment),
 *   ebInterface (Austria, the root's namespace http://www.ebinterface.at/schema/<v>/).
 * Each syntax is a table of XPath expressions for the same draft fields (supplier name and
 * VAT id, number, dates, currency, lines, tax per rate, totals), so adding a syntax is a
 * table, not code. The parser loads no DTD, substitutes no entities and never touches the
 * network; amounts are taken as written (documents_int.h's draft_amount). */
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "documents/documents_int.h"

#define NS_UBL_INVOICE "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_UBL_CREDIT "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CBC "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define NS_CAC "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define NS_RSM "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_RAM "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
#define NS_UDT "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
#define NS_EB_PREFIX "http://www.ebinterface.at/schema/"

/* One syntax: where each field is, relative to the root (or to a line / tax item). */
struct syntax {
    const char *reader;
    const char *supplier_name[3]; /* first that has text wins */
    const char *supplier_vat;
    const char *number, *issue_date, *due_date, *currency;
    const char *lines;      /* the line elements */
    const char *line_description, *line_quantity, *line_net, *line_rate;
    const char *taxes;      /* the tax breakdown per rate */
    const char *tax_taxable, *tax_amount, *tax_rate, *tax_category;
    const char *total_net, *total_tax, *total_gross, *total_payable;
};

static const struct syntax ubl = {
    .reader = READER_UBL,
    .supplier_name = {"cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
                      "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name"},
    .supplier_vat = "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme"
                    "[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
    .number = "cbc:ID", .issue_date = "cbc:IssueDate",
    .due_date = "cbc:DueDate | cac:PaymentMeans/cbc:PaymentDueDate",
    .currency = "cbc:DocumentCurrencyCode",
    .lines = "cac:InvoiceLine | cac:CreditNoteLine",
    .line_description = "cac:Item/cbc:Name",
    .line_quantity = "cbc:InvoicedQuantity | cbc:CreditedQuantity",
    .line_net = "cbc:LineExtensionAmount",
    .line_rate = "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
    .taxes = "cac:TaxTotal[cbc:TaxAmount/@currencyID = /*/cbc:DocumentCurrencyCode]/cac:TaxSubtotal",
    .tax_taxable = "cbc:TaxableAmount", .tax_amount = "cbc:TaxAmount",
    .tax_rate = "cac:TaxCategory/cbc:Percent", .tax_category = "cac:TaxCategory/cbc:ID",
    .total_net = "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
    .total_tax = "cac:TaxTotal/cbc:TaxAmount[@currencyID = /*/cbc:DocumentCurrencyCode]",
    .total_gross = "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    .total_payable = "cac:LegalMonetaryTotal/cbc:PayableAmount",
};

#define CII_AGREEMENT "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
#define CII_SETTLEMENT "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
#define CII_SUMS CII_SETTLEMENT "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
static const struct syntax cii = {
    .reader = READER_CII,
    .supplier_name = {CII_AGREEMENT "ram:SellerTradeParty/ram:Name"},
    .supplier_vat = CII_AGREEMENT "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
    .number = "rsm:ExchangedDocument/ram:ID",
    .issue_date = "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
    .due_date = CII_SETTLEMENT "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
    .currency = CII_SETTLEMENT "ram:InvoiceCurrencyCode",
    .lines = "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem",
    .line_description = "ram:SpecifiedTradeProduct/ram:Name",
    .line_quantity = "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
    .line_net = "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
    .line_rate = "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
    .taxes = CII_SETTLEMENT "ram:ApplicableTradeTax",
    .tax_taxable = "ram:BasisAmount", .tax_amount = "ram:CalculatedAmount",
    .tax_rate = "ram:RateApplicablePercent", .tax_category = "ram:CategoryCode",
    .total_net = CII_SUMS "ram:TaxBasisTotalAmount",
    .total_tax = CII_SUMS "ram:TaxTotalAmount[not(@currencyID) or @currencyID = "
                 "/*/" CII_SETTLEMENT "ram:InvoiceCurrencyCode]",
    .total_gross = CII_SUMS "ram:GrandTotalAmount",
    .total_payable = CII_SUMS "ram:DuePayableAmount",
};

static const struct syntax ebinterface = {
    .reader = READER_EBINTERFACE,
    .supplier_name = {"eb:Biller/eb:Address/eb:Name"},
    .supplier_vat = "eb:Biller/eb:VATIdentificationNumber",
    .number = "eb:InvoiceNumber", .issue_date = "eb:InvoiceDate",
    .due_date = "eb:PaymentConditions/eb:DueDate",
    .currency = "@InvoiceCurrency",
    .lines = "eb:Details/eb:ItemList/eb:ListLineItem",
    .line_description = "eb:Description", .line_quantity = "eb:Quantity",
    .line_net = "eb:LineItemAmount", .line_rate = "eb:TaxItem/eb:TaxPercent",
    .taxes = "eb:Tax/eb:TaxItem",
    .tax_taxable = "eb:TaxableAmount", .tax_amount = "eb:TaxAmount",
    .tax_rate = "eb:TaxPercent", .tax_category = "eb:TaxPercent/@TaxCategoryCode",
    .total_gross = "eb:TotalGrossAmount", .total_payable = "eb:PayableAmount",
};

/* The text of the first node expr selects under node, trimmed by the draft helpers;
 * "" when none. */
static void text_at(xmlXPathContextPtr x, xmlNodePtr node, const char *expr, char *out,
                    size_t cap)
{
    out[0] = '\0';
    if (!expr)
        return;
    x->node = node;
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)expr, x);
    if (r && r->nodesetval && r->nodesetval->nodeNr > 0) {
        xmlChar *c = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
        if (c) {
            snprintf(out, cap, "%s", (const char *)c);
            xmlFree(c);
        }
    }
    xmlXPathFreeObject(r);
}

static void set_rate(json_t *draft, json_t *obj, const char *text)
{
    char rate[16];
    if (!text[0])
        return;
    if (draft_rate(text, rate))
        json_object_set_new(obj, "taxRate", json_string(rate));
    else
        draft_problem(draft, "taxRate: \"%.20s\" is not a VAT rate", text);
}

static void read_lines(xmlXPathContextPtr x, xmlNodePtr root, const struct syntax *sx,
                       json_t *draft, const char *currency)
{
    x->node = root;
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)sx->lines, x);
    json_t *lines = draft_array(draft, "lines");
    char text[1024];
    for (int i = 0; r && r->nodesetval && i < r->nodesetval->nodeNr; i++) {
        if (i == DRAFT_LINES_MAX) {
            draft_problem(draft, "more than %d lines: the rest are not shown", DRAFT_LINES_MAX);
            break;
        }
        xmlNodePtr n = r->nodesetval->nodeTab[i];
        json_t *line = json_object();
        text_at(x, n, sx->line_description, text, sizeof text);
        draft_text(line, "description", text);
        text_at(x, n, sx->line_quantity, text, sizeof text);
        draft_text(line, "quantity", text);
        text_at(x, n, sx->line_net, text, sizeof text);
        draft_amount(draft, line, "netAmount", text, currency);
        text_at(x, n, sx->line_rate, text, sizeof text);
        set_rate(draft, line, text);
        json_array_append_new(lines, line);
    }
    xmlXPathFreeObject(r);
}

static void read_taxes(xmlXPathContextPtr x, xmlNodePtr root, const struct syntax *sx,
                       json_t *draft, const char *currency)
{
    x->node = root;
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)sx->taxes, x);
    json_t *taxes = draft_array(draft, "taxes");
    char text[256];
    for (int i = 0; r && r->nodesetval && i < r->nodesetval->nodeNr && i < DRAFT_TAXES_MAX;
         i++) {
        xmlNodePtr n = r->nodesetval->nodeTab[i];
        json_t *tax = json_object();
        text_at(x, n, sx->tax_rate, text, sizeof text);
        set_rate(draft, tax, text);
        text_at(x, n, sx->tax_category, text, sizeof text);
        draft_text(tax, "category", text);
        text_at(x, n, sx->tax_taxable, text, sizeof text);
        draft_amount(draft, tax, "taxableAmount", text, currency);
        text_at(x, n, sx->tax_amount, text, sizeof text);
        draft_amount(draft, tax, "taxAmount", text, currency);
        json_array_append_new(taxes, tax);
    }
    xmlXPathFreeObject(r);
}

/* The tax total of an ebInterface invoice is not an element: the sum of its tax items. */
static void sum_taxes(json_t *draft, const char *currency)
{
    json_t *taxes = json_object_get(draft, "taxes");
    if (!json_array_size(taxes))
        return;
    struct money sum = {0}, part;
    struct error e;
    if (money_from_minor(0, currency, &sum, &e) < 0)
        return;
    size_t i;
    json_t *t;
    json_array_foreach(taxes, i, t) {
        const char *a = json_string_value(json_object_get(t, "taxAmount"));
        if (!a)
            continue;
        if (money_parse_decimal(a, strlen(a), currency, &part, &e) < 0 ||
            money_add(&sum, &part, &sum, &e) < 0)
            return;
    }
    char out[MONEY_TEXT_MAX];
    money_format(&sum, out);
    json_object_set_new(draft_object(draft, "totals"), "tax", json_string(out));
}

static void read_syntax(xmlXPathContextPtr x, xmlNodePtr root, const struct syntax *sx,
                        json_t *draft)
{
    char text[1024], currency[8];
    json_t *supplier = draft_object(draft, "supplier");
    for (size_t i = 0; i < 3 && sx->supplier_name[i] && !json_object_get(supplier, "name"); i++) {
        text_at(x, root, sx->supplier_name[i], text, sizeof text);
        draft_text(supplier, "name", text);
    }
    text_at(x, root, sx->supplier_vat, text, sizeof text);
    draft_text(supplier, "vatId", text);
    text_at(x, root, sx->number, text, sizeof text);
    draft_text(draft, "invoiceNumber", text);
    const char *date_keys[] = {"invoiceDate", "dueDate"};
    const char *date_exprs[] = {sx->issue_date, sx->due_date};
    for (int i = 0; i < 2; i++) {
        char day[11];
        text_at(x, root, date_exprs[i], text, sizeof text);
        if (draft_date(text, day))
            json_object_set_new(draft, date_keys[i], json_string(day));
        else if (text[0])
            draft_problem(draft, "%s: \"%.20s\" is not a date", date_keys[i], text);
    }
    text_at(x, root, sx->currency, text, sizeof text);
    snprintf(currency, sizeof currency, "%.3s", text);
    if (money_currency_decimals(currency) < 0) {
        draft_problem(draft, "currency: \"%.8s\" is not an ISO 4217 code", text);
        return;
    }
    json_object_set_new(draft, "currency", json_string(currency));
    read_lines(x, root, sx, draft, currency);
    read_taxes(x, root, sx, draft, currency);
    json_t *totals = draft_object(draft, "totals");
    const char *keys[] = {"net", "tax", "gross", "payable"};
    const char *exprs[] = {sx->total_net, sx->total_tax, sx->total_gross, sx->total_payable};
    for (int i = 0; i < 4; i++) {
        text_at(x, root, exprs[i], text, sizeof text);
        draft_amount(draft, totals, keys[i], text, currency);
    }
    if (!sx->total_tax)
        sum_taxes(draft, currency);
    if (!sx->total_net) {
        /* ebInterface: net = gross - tax, both exact */
        const char *g = json_string_value(json_object_get(totals, "gross"));
        const char *t = json_string_value(json_object_get(totals, "tax"));
        struct money gm, tm, nm;
        struct error e;
        if (g && t && money_parse_decimal(g, strlen(g), currency, &gm, &e) == 0 &&
            money_parse_decimal(t, strlen(t), currency, &tm, &e) == 0 &&
            money_negate(&tm, &tm, &e) == 0 && money_add(&gm, &tm, &nm, &e) == 0) {
            char out[MONEY_TEXT_MAX];
            money_format(&nm, out);
            json_object_set_new(totals, "net", json_string(out));
        }
    }
}

static bool ns_is(xmlNodePtr n, const char *href)
{
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, href) == 0;
}

static const struct syntax *syntax_of(xmlNodePtr root, xmlXPathContextPtr x)
{
    const char *name = (const char *)root->name;
    if ((strcmp(name, "Invoice") == 0 && ns_is(root, NS_UBL_INVOICE)) ||
        (strcmp(name, "CreditNote") == 0 && ns_is(root, NS_UBL_CREDIT))) {
        xmlXPathRegisterNs(x, BAD_CAST "cbc", BAD_CAST NS_CBC);
        xmlXPathRegisterNs(x, BAD_CAST "cac", BAD_CAST NS_CAC);
        return &ubl;
    }
    if (strcmp(name, "CrossIndustryInvoice") == 0 && ns_is(root, NS_RSM)) {
        xmlXPathRegisterNs(x, BAD_CAST "rsm", BAD_CAST NS_RSM);
        xmlXPathRegisterNs(x, BAD_CAST "ram", BAD_CAST NS_RAM);
        xmlXPathRegisterNs(x, BAD_CAST "udt", BAD_CAST NS_UDT);
        return &cii;
    }
    if (strcmp(name, "Invoice") == 0 && root->ns && root->ns->href &&
        strncmp((const char *)root->ns->href, NS_EB_PREFIX, strlen(NS_EB_PREFIX)) == 0) {
        xmlXPathRegisterNs(x, BAD_CAST "eb", root->ns->href);
        return &ebinterface;
    }
    return NULL;
}

json_t *einvoice_read(const unsigned char *xml, size_t len, const char *reader)
{
    if (len > DOCUMENT_MAX_BYTES || len > (size_t)INT32_MAX)
        return NULL;
    /* no DTD loading, no entity substitution, no network: XML from outside */
    xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)len, "document.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return NULL;
    json_t *draft = NULL;
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    const struct syntax *sx = x && root ? syntax_of(root, x) : NULL;
    if (sx) {
        draft = draft_new(reader ? reader : sx->reader, 100);
        if (draft)
            read_syntax(x, root, sx, draft);
    }
    xmlXPathFreeContext(x);
    xmlFreeDoc(doc);
    return draft;
}
