// Bank data through GoCardless Bank Account Data (src/bank/gocardless.c), against a local
// mock of its API (lib/bank-mock.js) that checks every request's token and shape: the
// consent flow (institutions, agreement, requisition, the bank's link, the callback, the
// accounts), the first pull and an incremental one, a pending entry that is booked later,
// duplicates across pulls, the day's limit of the account's calls with a 429 that makes the
// next pull wait without calling, and an expired consent renewed for the same account.
'use strict';

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startServer } = require('./lib/server');
const { BankMock } = require('./lib/bank-mock');
const { syncNow } = require('./lib/mock-timetracking');
const { secret } = require('./lib/connectors');

let server;
let mock;
let tenant;

const DAY = 86400000;
const day = (offset) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

before(async () => {
  mock = await BankMock.start();
  server = await startServer();
  tenant = await server.createTenant(`Bank GC ${Date.now()}`, 'pro');
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

const api = (t, path, opts = {}) => server.request(path, { token: t.token, ...opts });

async function install(t) {
  const res = await api(t, '/api/connectors/gocardless/install', { method: 'POST', json: { config: {
    webhookSecret: secret('gc_'), secretId: mock.gc.secretId, secretKey: mock.gc.secretKey,
    apiBaseUrl: `${mock.base}/gc` } } });
  assert.equal(res.status, 201, res.text);
}

// Starts a consent, opens the bank's link as the browser would and follows its redirect
// back to the callback; resolves the callback's answer.
async function link(t, start) {
  const started = await start();
  assert.equal(started.status, 201, started.text);
  assert.equal(started.json.status, 'pending');
  assert.match(started.json.link, new RegExp(`^${mock.base}/gc/link/`));
  const bank = await fetch(started.json.link, { redirect: 'manual' });
  assert.equal(bank.status, 302);
  const back = new URL(bank.headers.get('location'));
  assert.equal(back.origin + back.pathname, `${server.baseUrl}/api/bank/callback`);
  const done = await server.request(back.pathname + back.search);
  assert.equal(done.status, 200, done.text);
  return { started: started.json, done: done.json };
}

async function transactions(t, query = '') {
  const res = await api(t, `/api/bank/transactions?limit=100${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json.transactions;
}

const txCalls = () => mock.requests.filter((r) => r.service === 'gc' && /\/transactions\/$/.test(r.path));

test('the consent flow links the bank\'s accounts', async () => {
  await install(tenant);
  const inst = await api(tenant, '/api/bank/institutions?country=AT');
  assert.equal(inst.status, 200, inst.text);
  assert.equal(inst.json.connector, 'gocardless');
  assert.ok(inst.json.institutions.some((i) => i.id === 'ERSTE_GIBAATWW' && i.name === 'Erste Bank'));
  const bad = await api(tenant, '/api/bank/institutions?country=Austria');
  assert.equal(bad.status, 400);

  const { started, done } = await link(tenant, () => api(tenant, '/api/bank/connections', {
    method: 'POST', json: { country: 'at', institutionId: 'ERSTE_GIBAATWW' } }));
  assert.equal(started.driver, 'gocardless');
  assert.equal(started.country, 'AT');
  assert.equal(done.status, 'linked');
  assert.equal(done.accounts, 1);
  const req = mock.requests.find((r) => r.path === '/api/v2/requisitions/' && r.method === 'POST');
  assert.equal(JSON.parse(req.body).redirect, `${server.baseUrl}/api/bank/callback`);

  // the state is good once
  const ref = JSON.parse(req.body).reference;
  const again = await server.request(`/api/bank/callback?ref=${encodeURIComponent(ref)}`);
  assert.equal(again.status, 403, again.text);

  const accounts = (await api(tenant, '/api/bank/accounts')).json.accounts;
  assert.equal(accounts.length, 1);
  assert.equal(accounts[0].iban, 'AT611904300234573201');
  assert.equal(accounts[0].currency, 'EUR');
  assert.equal(accounts[0].consentStatus, 'linked');
  const expires = Date.parse(accounts[0].consentExpiresAt);
  assert.ok(Math.abs(expires - (Date.now() + 90 * DAY)) < DAY, accounts[0].consentExpiresAt);
  const conns = (await api(tenant, '/api/bank/connections')).json.connections;
  assert.equal(conns[0].status, 'linked');
  assert.equal(conns[0].renewSoon, false);
  assert.equal(conns[0].link, null, 'a linked consent shows no link');
  assert.deepEqual(mock.problems, []);
});

test('a consent the user cancelled at the bank is rejected, and its state is spent', async () => {
  const started = await api(tenant, '/api/bank/connections', { method: 'POST',
    json: { country: 'AT', institutionId: 'RAIFFEISEN_AT_RZBAATWW' } });
  assert.equal(started.status, 201, started.text);
  const ref = JSON.parse(mock.requests.filter((r) => r.path === '/api/v2/requisitions/').at(-1).body).reference;
  const back = await server.request(`/api/bank/callback?ref=${encodeURIComponent(ref)}` +
                                    '&error=UserCancelledSession&details=User+cancelled+the+session.');
  assert.equal(back.status, 403, back.text);
  assert.match(back.json.error.message, /UserCancelledSession/);
  const conns = (await api(tenant, '/api/bank/connections')).json.connections;
  assert.equal(conns.find((c) => c.id === started.json.id).status, 'rejected');
  const again = await server.request(`/api/bank/callback?ref=${encodeURIComponent(ref)}`);
  assert.equal(again.status, 403);
  assert.equal((await api(tenant, '/api/bank/accounts')).json.accounts.length, 1);
});

test('a consent link that is no web address is refused, never handed to the page', async () => {
  mock.gc.linkOverride = 'javascript:alert(document.cookie)';
  const res = await api(tenant, '/api/bank/connections', { method: 'POST',
    json: { country: 'AT', institutionId: 'ERSTE_GIBAATWW' } });
  mock.gc.linkOverride = null;
  assert.equal(res.status, 502, res.text);
  assert.equal(res.json.error.code, 'service_failed');
  assert.ok(!res.text.includes('javascript:'));
});

test('first pull, an incremental one, pending booked since, and no duplicates', async () => {
  mock.gc.transactions.set('AT611904300234573201', {
    booked: [
      { transactionId: 'unstable-1', entryReference: 'E-2026-001', bookingDate: day(-3), valueDate: day(-3),
        transactionAmount: { amount: '-119.00', currency: 'EUR' }, creditorName: 'Figma Inc',
        creditorAccount: { iban: 'IE29AIBK93115212345678' }, remittanceInformationUnstructured: 'RE2025-0042' },
      { transactionId: 'unstable-2', entryReference: 'E-2026-002', bookingDate: day(-2), valueDate: day(-2),
        transactionAmount: { amount: '500.00', currency: 'EUR' }, debtorName: 'Kunde AG',
        debtorAccount: { iban: 'AT483200000012345864' },
        remittanceInformationUnstructuredArray: ['Rechnung', 'AR-2026-17'] },
    ],
    pending: [{ transactionAmount: { amount: '-99.20', currency: 'EUR' }, valueDate: day(0),
                remittanceInformationUnstructured: 'Card 1234 Cafe' }],
  });
  const first = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(first.status, 'succeeded', first.error);
  assert.equal(first.counts.new, 3);
  let list = await transactions(tenant);
  assert.equal(list.length, 3);
  const figma = list.find((x) => x.counterpartyName === 'Figma Inc');
  assert.equal(figma.amount, '-119.00');
  assert.equal(figma.status, 'booked');
  assert.equal(figma.bookingDate, day(-3));
  assert.equal(figma.counterpartyIban, 'IE29AIBK93115212345678');
  assert.equal(figma.remittance, 'RE2025-0042');
  assert.equal(figma.matchStatus, 'unmatched');
  const kunde = list.find((x) => x.counterpartyName === 'Kunde AG');
  assert.equal(kunde.amount, '500.00');
  assert.equal(kunde.remittance, 'Rechnung AR-2026-17');
  assert.equal(list.find((x) => x.status === 'pending').amount, '-99.20');
  assert.equal(txCalls()[0].query.get('date_from'), null, 'the first pull reads all the agreement gives');
  assert.equal(txCalls()[0].query.get('date_to'), day(0));

  // the card payment is booked now, under its own reference; the rest comes again
  const tx = mock.gc.transactions.get('AT611904300234573201');
  tx.pending = [];
  tx.booked.push({ transactionId: 'unstable-3', entryReference: 'E-2026-003', bookingDate: day(0),
                   valueDate: day(0), transactionAmount: { amount: '-99.20', currency: 'EUR' },
                   creditorName: 'Cafe Central', remittanceInformationUnstructured: 'Card 1234 Cafe' });
  tx.booked[0].transactionId = 'changed-id'; // not the key: nothing new comes of it
  const second = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(second.status, 'succeeded', second.error);
  assert.equal(second.counts.new, 1);
  assert.equal(second.counts.deleted, 1, 'the pending entry gave way');
  assert.equal(txCalls()[1].query.get('date_from'), day(-7), 'incremental: a week back from the last pull');
  list = await transactions(tenant);
  assert.equal(list.length, 3);
  assert.ok(list.every((x) => x.status === 'booked'));
  assert.equal(list.find((x) => x.counterpartyName === 'Cafe Central').amount, '-99.20');

  const third = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(third.status, 'succeeded', third.error);
  assert.equal(third.counts.new, 0, 'the same entries again: nothing new');
  assert.equal((await transactions(tenant)).length, 3);
  assert.equal((await transactions(tenant, '&status=pending')).length, 0);
  assert.equal((await transactions(tenant, `&from=${day(-2)}&to=${day(0)}`)).length, 2);
  const accounts = (await api(tenant, '/api/bank/accounts')).json.accounts;
  assert.equal(accounts[0].pullsToday, 3);
  assert.equal(accounts[0].pullLimit, 4, 'the limit the headers said');
  assert.equal(accounts[0].balance, '1200.00', 'the booked closing balance');
  assert.deepEqual(mock.problems, []);
});

test('a 429 with its headers makes the next pull wait; the day\'s calls are never exceeded', async () => {
  mock.gc.rateLimitNext = true;
  const limited = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(limited.status, 'failed');
  assert.match(limited.error, /spent/);
  const calls = txCalls().length;
  let account = (await api(tenant, '/api/bank/accounts')).json.accounts[0];
  const wait = Date.parse(account.nextPullAt) - Date.now();
  assert.ok(wait > 85000 * 1000 && wait <= 85092 * 1000, account.nextPullAt);
  assert.match(account.error, /spent/);

  const next = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(next.status, 'succeeded', next.error);
  assert.equal(next.counts.skipped, 1, 'the account waits');
  assert.equal(txCalls().length, calls, 'no call was spent on the waiting account');
  account = (await api(tenant, '/api/bank/accounts')).json.accounts[0];
  assert.ok(account.pullsToday <= 4);
  assert.deepEqual(mock.problems, []);
});

test('an expired consent is shown, renewed, and the same account pulls again', async () => {
  const t = await server.createTenant(`Bank GC expired ${Date.now()}`, 'pro');
  await install(t);
  mock.gc.accessExpires = 30; // shorter than the margin: every call renews the token
  const { done } = await link(t, () => api(t, '/api/bank/connections', {
    method: 'POST', json: { connector: 'gocardless', country: 'DE', institutionId: 'SPARKASSE_KOELNBONN_COKSDE33' } }));
  assert.ok(mock.requests.some((r) => r.path === '/api/v2/token/refresh/'), 'the access token was refreshed');
  // Sparkasse KölnBonn gives 30 days of history and 60 of access: the agreement asks no more
  const agreement = JSON.parse(mock.requests.filter((r) => r.path === '/api/v2/agreements/enduser/').at(-1).body);
  assert.equal(agreement.max_historical_days, 30);
  assert.equal(agreement.access_valid_for_days, 60);
  const expiresIn = Date.parse((await api(t, '/api/bank/connections')).json.connections[0].expiresAt) - Date.now();
  assert.ok(Math.abs(expiresIn - 60 * DAY) < DAY, 'the consent ends when the bank\'s access does');
  const account = (await api(t, '/api/bank/accounts')).json.accounts[0];

  mock.gc.expired = true;
  const failed = await syncNow(server, t.token, 'gocardless');
  mock.gc.expired = false;
  assert.equal(failed.status, 'failed');
  assert.match(failed.error, /expired/);
  let conns = (await api(t, '/api/bank/connections')).json.connections;
  assert.equal(conns[0].status, 'expired');
  assert.equal(conns[0].renewSoon, true);

  const renewed = await link(t, () => api(t, `/api/bank/connections/${done.id}/renew`, { method: 'POST' }));
  assert.equal(renewed.started.renewsId, done.id);
  assert.equal(renewed.started.institutionId, 'SPARKASSE_KOELNBONN_COKSDE33');
  conns = (await api(t, '/api/bank/connections')).json.connections;
  assert.equal(conns.find((c) => c.id === done.id).status, 'revoked');
  assert.equal(conns.find((c) => c.id === renewed.done.id).status, 'linked');
  const accounts = (await api(t, '/api/bank/accounts')).json.accounts;
  assert.equal(accounts.length, 1, 'the same account, found by its IBAN');
  assert.equal(accounts[0].id, account.id);
  assert.equal(accounts[0].connectionId, renewed.done.id);
  const run = await syncNow(server, t.token, 'gocardless');
  assert.equal(run.status, 'succeeded', run.error);
  mock.gc.accessExpires = 86400;
  assert.deepEqual(mock.problems, []);
});

test('the day\'s plan: pullsPerDay caps the pulls; the headers\' remaining 0 waits for their reset', async () => {
  const t = await server.createTenant(`Bank GC plan ${Date.now()}`, 'pro');
  await install(t);
  await link(t, () => api(t, '/api/bank/connections', {
    method: 'POST', json: { country: 'AT', institutionId: 'ERSTE_GIBAATWW' } }));
  const put = await api(t, '/api/connectors/gocardless/config', { method: 'PUT', json: { config: { pullsPerDay: 2 } } });
  assert.equal(put.status, 200, put.text);
  const before_ = txCalls().length;
  for (let i = 0; i < 2; i++)
    assert.equal((await syncNow(server, t.token, 'gocardless')).status, 'succeeded');
  const third = await syncNow(server, t.token, 'gocardless');
  assert.equal(third.counts.skipped, 1, 'the day\'s two pulls are spent');
  assert.equal(txCalls().length, before_ + 2);
  let account = (await api(t, '/api/bank/accounts')).json.accounts[0];
  const midnight = new Date(); midnight.setUTCHours(24, 0, 0, 0);
  assert.equal(Date.parse(account.nextPullAt), midnight.getTime(), 'waits for the next day');

  // the service's own count: after the fourth call its headers say 0 remain, reset in 86000 s
  const t2 = await server.createTenant(`Bank GC headers ${Date.now()}`, 'pro');
  await install(t2);
  mock.gc.ibanAccounts.push({ iban: 'AT022050302101023600', name: 'Acme Rücklagen', currency: 'EUR' });
  await link(t2, () => api(t2, '/api/bank/connections', {
    method: 'POST', json: { country: 'AT', institutionId: 'ERSTE_GIBAATWW' } }));
  mock.gc.ibanAccounts.pop();
  for (let i = 0; i < 4; i++)
    assert.equal((await syncNow(server, t2.token, 'gocardless')).status, 'succeeded');
  const accounts = (await api(t2, '/api/bank/accounts')).json.accounts;
  assert.equal(accounts.length, 2);
  for (const a of accounts) {
    assert.equal(a.pullsToday, 4);
    const wait = Date.parse(a.nextPullAt) - Date.now();
    assert.ok(wait > 85000 * 1000 && wait <= 86000 * 1000, `${a.iban}: ${a.nextPullAt}`);
  }
  const calls = txCalls().length;
  assert.equal((await syncNow(server, t2.token, 'gocardless')).counts.skipped, 2);
  assert.equal(txCalls().length, calls, 'no fifth call');
  assert.deepEqual(mock.problems, []);
});

test('another tenant sees none of it; members read, only admins link', async () => {
  const other = await server.createTenant(`Bank GC other ${Date.now()}`, 'pro');
  assert.equal((await transactions(other)).length, 0);
  assert.deepEqual((await api(other, '/api/bank/accounts')).json.accounts, []);
  const none = await api(other, '/api/bank/institutions?country=AT');
  assert.equal(none.status, 409);
  assert.equal(none.json.error.code, 'connector_not_installed');
  const conns = (await api(tenant, '/api/bank/connections')).json.connections;
  const renew = await api(other, `/api/bank/connections/${conns[0].id}/renew`, { method: 'POST' });
  assert.equal(renew.status, 404);
});
