/* invoicing/cii.c - a finalized invoice as an EN 16931 e-invoice in the UN/CEFACT Cross
 * Industry Invoice syntax (D16B, the one EN 16931-3-3 binds), XRechnung 3.0 CIUS.
 *
 * The elements follow the CII schema's sequence (each aggregate's children in schema order),
 * business terms named beside them. What XRechnung adds to EN 16931 and this writes: the
 * buyer reference (BT-10, BR-DE-15; the customer's Leitweg-ID or reference, else its id
 * here), the seller's contact (BG-6: name, phone, e-mail), both parties' electronic
 * addresses (BT-34, BT-49, scheme EM), the payment instructions (BG-16, BR-DE-1) and the
 * specification identifier BT-24. Quantities are minutes (unit MIN) at an hourly price
 * (BT-146) per 60 minutes (BT-149, BT-150), so a line's net (BT-131) is exactly quantity
 * times price over base quantity, rounded once. Every text is XML-escaped; the writer reads
 * only the store's validated document. */
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "invoicing/invoicing.h"

#define CII_SPEC "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
#define CII_PROCESS "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

/* Appends s as XML character data: the five special characters as entities, control
 * characters (not allowed in XML 1.0) as spaces. */
static int xml_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        int rc;
        switch (*s) {
        case '&': rc = buf_append_str(b, "&amp;"); break;
        case '<': rc = buf_append_str(b, "&lt;"); break;
        case '>': rc = buf_append_str(b, "&gt;"); break;
        case '"': rc = buf_append_str(b, "&quot;"); break;
        case '\'': rc = buf_append_str(b, "&apos;"); break;
        default:
            rc = (unsigned char)*s < 0x20 || *s == 0x7f ? buf_append(b, " ", 1)
                                                         : buf_append(b, s, 1);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* <tag>text</tag>, nothing when text is empty (an optional term left out). */
static int element(struct buf *b, const char *tag, const char *text)
{
    if (!text || !*text)
        return 0;
    return buf_printf(b, "<%s>", tag) < 0 || xml_text(b, text) < 0 ||
                   buf_printf(b, "</%s>", tag) < 0
               ? -1
               : 0;
}

static void amount(int64_t minor, const char *currency, char out[MONEY_TEXT_MAX])
{
    struct money m = {.minor = minor};
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, out);
}

/* YYYY-MM-DD as format 102, YYYYMMDD. */
static int date102(struct buf *b, const char *tag, const char *date)
{
    return buf_printf(b, "<%s><udt:DateTimeString format=\"102\">%.4s%.2s%.2s</udt:DateTimeString></%s>",
                      tag, date, date + 5, date + 8, tag);
}

static void percent(int rate_bp, char out[16])
{
    snprintf(out, 16, "%d.%02d", rate_bp / 100, rate_bp % 100);
}

/* BG-4/BG-7 with the address (BG-5/BG-8), electronic address and VAT id. */
static int party(struct buf *b, const char *tag, const struct invoicing_party *p, bool seller,
                 bool with_vat_id)
{
    int rc = buf_printf(b, "<ram:%s>", tag) < 0 || element(b, "ram:Name", p->name) < 0;
    if (!rc && seller) {
        /* BG-6, XRechnung BR-DE-2: the seller's contact point. */
        rc = buf_append_str(b, "<ram:DefinedTradeContact>") < 0 ||
             element(b, "ram:PersonName", p->contact_name[0] ? p->contact_name : p->name) < 0;
        if (!rc && p->phone[0])
            rc = buf_append_str(b, "<ram:TelephoneUniversalCommunication>") < 0 ||
                 element(b, "ram:CompleteNumber", p->phone) < 0 ||
                 buf_append_str(b, "</ram:TelephoneUniversalCommunication>") < 0;
        if (!rc && p->email[0])
            rc = buf_append_str(b, "<ram:EmailURIUniversalCommunication>") < 0 ||
                 element(b, "ram:URIID", p->email) < 0 ||
                 buf_append_str(b, "</ram:EmailURIUniversalCommunication>") < 0;
        rc = rc || buf_append_str(b, "</ram:DefinedTradeContact>") < 0;
    }
    rc = rc || buf_append_str(b, "<ram:PostalTradeAddress>") < 0 ||
         element(b, "ram:PostcodeCode", p->postal_code) < 0 ||
         element(b, "ram:LineOne", p->street) < 0 || element(b, "ram:CityName", p->city) < 0 ||
         element(b, "ram:CountryID", p->country) < 0 ||
         buf_append_str(b, "</ram:PostalTradeAddress>") < 0;
    if (!rc && p->email[0])
        rc = buf_append_str(b, "<ram:URIUniversalCommunication><ram:URIID schemeID=\"EM\">") < 0 ||
             xml_text(b, p->email) < 0 ||
             buf_append_str(b, "</ram:URIID></ram:URIUniversalCommunication>") < 0;
    if (!rc && with_vat_id && p->vat_id[0])
        rc = buf_append_str(b, "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">") < 0 ||
             xml_text(b, p->vat_id) < 0 ||
             buf_append_str(b, "</ram:ID></ram:SpecifiedTaxRegistration>") < 0;
    return rc || buf_printf(b, "</ram:%s>", tag) < 0 ? -1 : 0;
}

/* The VAT of a line (BG-30) or of the breakdown (BG-23: with the amounts). */
static int trade_tax(struct buf *b, const struct invoicing_document *d, bool breakdown)
{
    const char *category = invoicing_vat_category(d->inv.tax_line.treatment);
    int rate_bp = d->inv.tax_line.rate_bp > 0 ? d->inv.tax_line.rate_bp : 0;
    const char *reason = d->doc.note;
    static const struct {
        const char *category, *code;
    } vatex[] = {{"AE", "VATEX-EU-AE"}, {"K", "VATEX-EU-IC"}, {"G", "VATEX-EU-G"},
                 {"O", "VATEX-EU-O"}};
    const char *reason_code = "";
    for (size_t i = 0; i < sizeof vatex / sizeof vatex[0]; i++)
        if (strcmp(vatex[i].category, category) == 0)
            reason_code = vatex[i].code;
    char tax[MONEY_TEXT_MAX], net[MONEY_TEXT_MAX], pct[16];
    amount(d->tax_minor, d->inv.currency, tax);
    amount(d->doc.net_minor, d->inv.currency, net);
    percent(rate_bp, pct);
    bool exempt = strcmp(category, "S") != 0;
    int rc = buf_append_str(b, "<ram:ApplicableTradeTax>") < 0;
    if (!rc && breakdown)
        rc = buf_printf(b, "<ram:CalculatedAmount>%s</ram:CalculatedAmount>", tax) < 0; /* BT-117 */
    rc = rc || buf_append_str(b, "<ram:TypeCode>VAT</ram:TypeCode>") < 0;
    if (!rc && breakdown && exempt)
        rc = element(b, "ram:ExemptionReason", reason) < 0; /* BT-120 */
    if (!rc && breakdown)
        rc = buf_printf(b, "<ram:BasisAmount>%s</ram:BasisAmount>", net) < 0; /* BT-116 */
    rc = rc || buf_printf(b, "<ram:CategoryCode>%s</ram:CategoryCode>", category) < 0;
    if (!rc && breakdown && exempt)
        rc = element(b, "ram:ExemptionReasonCode", reason_code) < 0; /* BT-121 */
    if (!rc && strcmp(category, "O") != 0) /* "not subject to VAT" has no rate (BR-O-05) */
        rc = buf_printf(b, "<ram:RateApplicablePercent>%s</ram:RateApplicablePercent>", pct) < 0;
    return rc || buf_append_str(b, "</ram:ApplicableTradeTax>") < 0 ? -1 : 0;
}

/* BG-25: one invoice line. */
static int line(struct buf *b, const struct invoicing_document *d,
                const struct store_draft_line *l)
{
    char price[MONEY_TEXT_MAX], net[MONEY_TEXT_MAX];
    amount(l->rate_minor, d->inv.currency, price);
    amount(l->net_minor, d->inv.currency, net);
    int rc = buf_printf(b,
                        "<ram:IncludedSupplyChainTradeLineItem>"
                        "<ram:AssociatedDocumentLineDocument><ram:LineID>%lld</ram:LineID>"
                        "</ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct>",
                        (long long)l->line_no) < 0 ||
             element(b, "ram:Name", l->description) < 0 ||
             buf_printf(b,
                        "</ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement>"
                        "<ram:NetPriceProductTradePrice><ram:ChargeAmount>%s</ram:ChargeAmount>"
                        "<ram:BasisQuantity unitCode=\"MIN\">60</ram:BasisQuantity>"
                        "</ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>"
                        "<ram:SpecifiedLineTradeDelivery>"
                        "<ram:BilledQuantity unitCode=\"MIN\">%lld</ram:BilledQuantity>"
                        "</ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement>",
                        price, (long long)l->minutes) < 0 ||
             trade_tax(b, d, false) < 0 ||
             buf_printf(b,
                        "<ram:SpecifiedTradeSettlementLineMonetarySummation>"
                        "<ram:LineTotalAmount>%s</ram:LineTotalAmount>"
                        "</ram:SpecifiedTradeSettlementLineMonetarySummation>"
                        "</ram:SpecifiedLineTradeSettlement>"
                        "</ram:IncludedSupplyChainTradeLineItem>",
                        net) < 0;
    return rc ? -1 : 0;
}

static int head(struct buf *b, const struct invoicing_document *d)
{
    int rc = buf_append_str(
                 b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<rsm:CrossIndustryInvoice "
                    "xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" "
                    "xmlns:ram=\"urn:un:unece:uncefact:data:standard:"
                    "ReusableAggregateBusinessInformationEntity:100\" "
                    "xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\" "
                    "xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">"
                    "<rsm:ExchangedDocumentContext>"
                    "<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>" CII_PROCESS
                    "</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>"
                    "<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>" CII_SPEC
                    "</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
                    "</rsm:ExchangedDocumentContext><rsm:ExchangedDocument>") < 0 ||
             element(b, "ram:ID", d->inv.invoice_number) < 0 ||               /* BT-1 */
             buf_append_str(b, "<ram:TypeCode>380</ram:TypeCode>") < 0 ||   /* BT-3 */
             date102(b, "ram:IssueDateTime", d->inv.invoice_date) < 0;      /* BT-2 */
    if (!rc && d->doc.note[0]) /* BT-22: the exemption or reverse-charge note */
        rc = buf_append_str(b, "<ram:IncludedNote>") < 0 ||
             element(b, "ram:Content", d->doc.note) < 0 ||
             buf_append_str(b, "</ram:IncludedNote>") < 0;
    return rc || buf_append_str(b, "</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>") < 0
               ? -1
               : 0;
}

static int settlement(struct buf *b, const struct invoicing_document *d)
{
    const struct invoicing_party *s = &d->seller;
    char net[MONEY_TEXT_MAX], tax[MONEY_TEXT_MAX], gross[MONEY_TEXT_MAX];
    amount(d->doc.net_minor, d->inv.currency, net);
    amount(d->tax_minor, d->inv.currency, tax);
    amount(d->inv.total_gross_minor, d->inv.currency, gross);
    int rc = buf_append_str(b, "<ram:ApplicableHeaderTradeSettlement>") < 0 ||
             element(b, "ram:InvoiceCurrencyCode", d->inv.currency) < 0 ||   /* BT-5 */
             buf_append_str(b, "<ram:SpecifiedTradeSettlementPaymentMeans>") < 0;
    /* BG-16: SEPA credit transfer (58) to the seller's account, else not defined (1). */
    if (!rc && s->iban[0])
        rc = buf_append_str(b, "<ram:TypeCode>58</ram:TypeCode>"
                               "<ram:PayeePartyCreditorFinancialAccount>") < 0 ||
             element(b, "ram:IBANID", s->iban) < 0 ||
             buf_append_str(b, "</ram:PayeePartyCreditorFinancialAccount>") < 0;
    else if (!rc)
        rc = buf_append_str(b, "<ram:TypeCode>1</ram:TypeCode>") < 0;
    rc = rc || buf_append_str(b, "</ram:SpecifiedTradeSettlementPaymentMeans>") < 0 ||
         trade_tax(b, d, true) < 0 ||
         buf_append_str(b, "<ram:BillingSpecifiedPeriod>") < 0 ||                /* BG-14 */
         date102(b, "ram:StartDateTime", d->doc.period_from) < 0 ||
         date102(b, "ram:EndDateTime", d->doc.period_to) < 0 ||
         buf_append_str(b, "</ram:BillingSpecifiedPeriod><ram:SpecifiedTradePaymentTerms>") < 0;
    char terms[64];
    snprintf(terms, sizeof terms, "Zahlbar bis %s ohne Abzug", d->doc.due_date);
    rc = rc || element(b, "ram:Description", terms) < 0 ||                      /* BT-20 */
         date102(b, "ram:DueDateDateTime", d->doc.due_date) < 0 ||              /* BT-9 */
         buf_printf(b,
                    "</ram:SpecifiedTradePaymentTerms>"
                    "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
                    "<ram:LineTotalAmount>%s</ram:LineTotalAmount>"              /* BT-106 */
                    "<ram:TaxBasisTotalAmount>%s</ram:TaxBasisTotalAmount>"      /* BT-109 */
                    "<ram:TaxTotalAmount currencyID=\"%s\">%s</ram:TaxTotalAmount>" /* BT-110 */
                    "<ram:GrandTotalAmount>%s</ram:GrandTotalAmount>"            /* BT-112 */
                    "<ram:DuePayableAmount>%s</ram:DuePayableAmount>"            /* BT-115 */
                    "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
                    "</ram:ApplicableHeaderTradeSettlement>",
                    net, net, d->inv.currency, tax, gross, gross) < 0;
    return rc ? -1 : 0;
}

int invoicing_cii(const struct invoicing_document *d, struct buf *out, struct error *err)
{
    bool outside = strcmp(invoicing_vat_category(d->inv.tax_line.treatment), "O") == 0;
    const char *reference = d->buyer.buyer_reference[0] ? d->buyer.buyer_reference
                                                        : d->inv.party_id;
    int rc = head(out, d) < 0;
    for (size_t i = 0; !rc && i < d->n_lines; i++)
        rc = line(out, d, &d->lines[i]) < 0;
    rc = rc || buf_append_str(out, "<ram:ApplicableHeaderTradeAgreement>") < 0 ||
         element(out, "ram:BuyerReference", reference) < 0 ||                   /* BT-10 */
         party(out, "SellerTradeParty", &d->seller, true, !outside) < 0 ||      /* BG-4 */
         party(out, "BuyerTradeParty", &d->buyer, false, true) < 0 ||          /* BG-7 */
         buf_append_str(out, "</ram:ApplicableHeaderTradeAgreement>"
                             "<ram:ApplicableHeaderTradeDelivery/>") < 0 ||
         settlement(out, d) < 0 ||
         buf_append_str(out, "</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>\n") < 0;
    return rc ? error_set(err, ERR_INTERNAL, "out of memory writing the e-invoice") : 0;
}
