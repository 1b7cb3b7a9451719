// bank-matching.test.js - issue 18's matching, review and reconciliation over HTTP. The bank's
// lines come the way they do in production: pulled by the bank connector (GoCardless, against
// lib/bank-mock.js); the open invoices are Stripe payments posted to the Stripe clearing
// account (webhooks), and the Stripe payouts come from its API (lib/mock-payouts.js).
//
// A bank pull matches at once what fits exactly: a line of an open invoice's amount that
// names its number pays it (bank against the Stripe clearing account), a line that names a
// pulled payout takes the payout's entry. A near miss (a cent off) and a line that names
// nothing wait in GET /api/bank/transactions?matched=false; a manual match books one to an
// account and saves the rule, which matches the counterparty's next line by itself; a manual
// match to an invoice of another amount is refused. The reconciliation names the unmatched
// line and the payout the bank has not shown yet, and nothing stays unexplained. Rules are
// listed and deleted; another tenant's ids are not found.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { BankMock } = require('./lib/bank-mock');
const { MockPayouts } = require('./lib/mock-payouts');
const { StripeTenant, invoicePaid, assertBalanced } = require('./lib/stripe');
const { syncNow } = require('./lib/mock-timetracking');
const { secret } = require('./lib/connectors');

let server, bank, payouts, t, account;
const DAY = 86400000;
const day = (offset) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
const IBAN = 'AT611904300234573201';

const api = (path, opts = {}) => server.request(path, { token: t.token, ...opts });

async function linkBank() {
  let res = await api('/api/connectors/gocardless/install', { method: 'POST', json: { config: {
    webhookSecret: secret('gc_'), secretId: bank.gc.secretId, secretKey: bank.gc.secretKey,
    apiBaseUrl: `${bank.base}/gc` } } });
  assert.equal(res.status, 201, res.text);
  res = await api('/api/bank/connections', { method: 'POST',
                                             json: { country: 'at', institutionId: 'ERSTE_GIBAATWW' } });
  assert.equal(res.status, 201, res.text);
  const link = await fetch(res.json.link, { redirect: 'manual' });
  const back = new URL(link.headers.get('location'));
  const done = await server.request(back.pathname + back.search);
  assert.equal(done.status, 200, done.text);
  const accounts = (await api('/api/bank/accounts')).json.accounts;
  assert.equal(accounts.length, 1);
  return accounts[0];
}

function booked(ref, amount, who, text, offset = -2) {
  const out = { transactionId: `unstable-${ref}`, entryReference: ref, bookingDate: day(offset),
                valueDate: day(offset), transactionAmount: { amount, currency: 'EUR' },
                remittanceInformationUnstructured: text };
  if (amount.startsWith('-')) out.creditorName = who;
  else out.debtorName = who;
  return out;
}

// The bank's entry reference as the driver keeps it (GoCardless's entryReference, tagged).
const refOf = (l) => l.entryReference.replace(/^r:/, '');

async function lines(query) {
  const res = await api(`/api/bank/transactions?limit=100${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json.transactions;
}

async function balances() {
  const r = await api('/api/ledger/balances');
  const out = {};
  for (const b of r.json.balances) out[b.account] = b.balance;
  return out;
}

let figmaId, nearId, nearInvoiceId;

before(async () => {
  bank = await BankMock.start();
  payouts = await new MockPayouts().start();
  server = await startServer();
  t = await StripeTenant.create(server, { direction: 'revenue', autoPost: true, apiKey: payouts.stripe.key,
                                          apiBaseUrl: `${payouts.base}/stripe` });
  account = await linkBank();
});

after(async () => {
  await server?.stop();
  await bank?.stop();
  await payouts?.stop();
});

test('a bank pull matches exact invoices and payouts at once, the rest waits for review', async () => {
  // two Stripe payments, posted: Stripe clearing (2880) debited, revenue credited
  const paid = invoicePaid({ amount: 25000 });
  const near = invoicePaid({ amount: 9900 });
  for (const p of [paid, near]) assert.equal((await t.send(p.body)).status, 200);
  const invoices = (await t.get('/api/invoices?limit=100')).json.invoices;
  nearInvoiceId = invoices.find((i) => i.invoiceNumber === near.number).id;

  // two payouts reported by Stripe's API: one the bank shows, one it has not shown yet
  const created = Math.floor(Date.now() / 1000) - 3 * 86400;
  payouts.stripe.payouts.push(
    { id: 'po_paid_R1', object: 'payout', amount: 19420, currency: 'eur', status: 'paid', created,
      arrival_date: created + 86400, statement_descriptor: 'STRIPE PAYOUT R1' },
    { id: 'po_paid_R2', object: 'payout', amount: 5000, currency: 'eur', status: 'paid', created: created + 1,
      arrival_date: created + 86400 },
  );
  const pull = await syncNow(server, t.token, 'stripe');
  assert.equal(pull.status, 'succeeded', pull.error);

  bank.gc.transactions.set(IBAN, { pending: [], booked: [
    booked('B-1', '250.00', 'Example Buyer GmbH', `Payment ${paid.number}`),
    booked('B-2', '98.99', 'Example Buyer GmbH', `Payment ${near.number}`),
    booked('B-3', '194.20', 'Stripe Payments Europe', 'STRIPE PAYOUT R1'),
    booked('B-4', '-12.34', 'Figma Inc', 'Subscription 11/2026'),
  ] });
  const run = await syncNow(server, t.token, 'gocardless');
  assert.equal(run.status, 'succeeded', run.error);

  const all = await lines('');
  const by = (ref) => all.find((l) => refOf(l) === ref);
  assert.equal(by('B-1').matchStatus, 'invoice');
  assert.ok(by('B-1').invoiceId && by('B-1').ledgerEntryId);
  assert.equal(by('B-3').matchStatus, 'payout');
  const payout = (await t.get('/api/payouts/movements?kind=payout')).json.movements
    .find((m) => m.externalId === 'po_paid_R1');
  assert.equal(by('B-3').ledgerEntryId, payout.ledgerEntryId, 'the payout\'s entry, not a second one');
  assert.equal(payout.bankTransactionId, by('B-3').id);

  const open = await lines('&matched=false');
  assert.deepEqual(open.map(refOf).sort(), ['B-2', 'B-4']);
  nearId = by('B-2').id;
  figmaId = by('B-4').id;
  const done = await lines('&matched=true');
  assert.deepEqual(done.map(refOf).sort(), ['B-1', 'B-3']);
  assert.equal((await api('/api/bank/transactions?matched=maybe')).status, 400);

  // bank 2800: 250.00 from the invoice, 194.20 + 50.00 from the payouts; the Stripe clearing
  // account keeps the near miss's 99.00 less what the payouts took out
  const b = await balances();
  assert.equal(b['2800'], '494.20');
  assert.equal(b['2880'], (99.00 - 194.20 - 50.00).toFixed(2));
  await assertBalanced(t);
});

test('a manual match books to an account and saves the rule for the counterparty', async () => {
  const res = await api(`/api/bank/transactions/${figmaId}/match`, { method: 'POST',
                                                                    json: { account: '6800', saveRule: true } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.transaction.matchStatus, 'account');
  assert.equal(res.json.transaction.amount, '-12.34');
  assert.equal(res.json.rule.counterparty, 'figma inc');
  assert.equal(res.json.rule.account, '6800');

  const again = await api(`/api/bank/transactions/${figmaId}/match`, { method: 'POST', json: { account: '6800' } });
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.error.code, 'conflict');

  const rules = (await api('/api/bank/rules')).json.rules;
  assert.deepEqual(rules.map((r) => [r.counterparty, r.account]), [['figma inc', '6800']]);
  assert.equal((await balances())['6800'], '12.34');

  // the counterparty's next line is matched by the rule as it arrives
  bank.gc.transactions.get(IBAN).booked.push(booked('B-5', '-20.00', 'FIGMA INC', 'Subscription 12/2026', -1));
  const run = await syncNow(server, t.token, 'gocardless');
  assert.equal(run.status, 'succeeded', run.error);
  const next = (await lines('')).find((l) => refOf(l) === 'B-5');
  assert.equal(next.matchStatus, 'rule');
  assert.equal((await balances())['6800'], '32.34');
  assert.deepEqual((await lines('&matched=false')).map(refOf), ['B-2']);
});

test('a manual match is checked', async () => {
  const post = (id, json) => api(`/api/bank/transactions/${id}/match`, { method: 'POST', json });
  // a cent off the invoice: refused, it stays for review
  let res = await post(nearId, { invoiceId: nearInvoiceId });
  assert.equal(res.status, 409, res.text);
  assert.match(res.json.error.message, /amount/);
  res = await post(nearId, { account: '68' });
  assert.equal(res.status, 422, res.text);
  res = await post(nearId, { invoiceId: nearInvoiceId, account: '6800' });
  assert.equal(res.status, 422, res.text);
  res = await post(nearId, { invoice: nearInvoiceId });
  assert.equal(res.status, 422, res.text);
  res = await post('btx_nope', { account: '6800' });
  assert.equal(res.status, 404, res.text);
  // another tenant sees none of it
  const other = await server.createTenant('Other', 'pro');
  res = await server.request(`/api/bank/transactions/${nearId}/match`, { method: 'POST', token: other.token,
                                                                         json: { account: '6800' } });
  assert.equal(res.status, 404, res.text);
  res = await server.request(`/api/bank/reconciliation?account=${account.id}`, { token: other.token });
  assert.equal(res.status, 404, res.text);
  assert.deepEqual((await lines('&matched=false')).map(refOf), ['B-2']);
});

test('the reconciliation explains the difference between bank and books', async () => {
  const res = await api(`/api/bank/reconciliation?account=${account.id}&to=${day(0)}`);
  assert.equal(res.status, 200, res.text);
  const r = res.json;
  // bank: 250.00 + 98.99 + 194.20 - 12.34 - 20.00; books: the same less the near miss, plus
  // the payout the bank has not shown
  assert.equal(r.bankBalance, '510.85');
  assert.equal(r.ledgerBalance, '461.86');
  assert.equal(r.difference, '48.99');
  assert.equal(r.ledgerAccount, '2800');
  assert.deepEqual(r.inBankNotInBooks.map((l) => [l.id, l.amount]), [[nearId, '98.99']]);
  assert.deepEqual(r.inBooksNotInBank.map((e) => e.amount), ['50.00']);
  assert.equal(r.unexplained, '0.00');
  assert.equal(r.reconciled, false);
  assert.equal((await api('/api/bank/reconciliation')).status, 400);
  assert.equal((await api(`/api/bank/reconciliation?account=${account.id}&to=tomorrow`)).status, 400);
});

test('rules are deleted once', async () => {
  const rules = (await api('/api/bank/rules')).json.rules;
  let res = await api(`/api/bank/rules/${rules[0].id}`, { method: 'DELETE' });
  assert.equal(res.status, 204, res.text);
  res = await api(`/api/bank/rules/${rules[0].id}`, { method: 'DELETE' });
  assert.equal(res.status, 404, res.text);
  assert.deepEqual((await api('/api/bank/rules')).json.rules, []);
});
