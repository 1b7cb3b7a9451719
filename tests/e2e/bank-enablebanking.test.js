// Bank data through Enable Banking (src/bank/enablebanking.c), the gocardless connector's
// bankDriver for new installs, against a local mock (lib/bank-mock.js) that verifies every
// request's JWT with the application's public key (RS256, kid, iss, aud, iat, exp): the
// banks of a country, POST /auth and the bank's redirect with a code, POST /sessions and the
// accounts, transactions in pages joined by continuation_key with the sign from
// credit_debit_indicator, a pending entry booked since under the same reference, and an
// expired session.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
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
const api = (path, opts = {}) => server.request(path, { token: tenant.token, ...opts });

before(async () => {
  mock = await BankMock.start();
  server = await startServer();
  tenant = await server.createTenant(`Bank EB ${Date.now()}`, 'pro');
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

// A settings field holds one line: the PEM as a text field keeps it, line breaks dropped.
const oneLine = (pem) => pem.replace(/\n/g, '');

function entry(ref, cdi, amount, status, extra = {}) {
  return { entry_reference: ref, transaction_id: `tid-${crypto.randomBytes(4).toString('hex')}`,
           transaction_amount: { amount, currency: 'EUR' }, credit_debit_indicator: cdi, status,
           booking_date: status === 'BOOK' ? day(-1) : undefined, value_date: day(-1), ...extra };
}

test('a wrongly signed application JWT is refused by the service, and said so', async () => {
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    .export({ type: 'pkcs8', format: 'pem' });
  const t = await server.createTenant(`Bank EB wrong key ${Date.now()}`, 'pro');
  const res = await server.request('/api/connectors/gocardless/install', { token: t.token, method: 'POST', json: { config: {
    webhookSecret: secret('gc_'), bankDriver: 'enablebanking', applicationId: mock.eb.appId,
    applicationKey: oneLine(other), apiBaseUrl: `${mock.base}/eb` } } });
  assert.equal(res.status, 201, res.text);
  const inst = await server.request('/api/bank/institutions?country=AT', { token: t.token });
  assert.equal(inst.status, 422, inst.text);
  assert.equal(inst.json.error.code, 'service_refused');
  assert.match(mock.problems.join('\n'), /bad signature/);
  mock.problems.length = 0;
});

test('the consent flow: banks, /auth, the redirect back, /sessions', async () => {
  const res = await api('/api/connectors/gocardless/install', { method: 'POST', json: { config: {
    webhookSecret: secret('gc_'), bankDriver: 'enablebanking', applicationId: mock.eb.appId,
    applicationKey: oneLine(mock.eb.privatePem), apiBaseUrl: `${mock.base}/eb` } } });
  assert.equal(res.status, 201, res.text);
  const inst = await api('/api/bank/institutions?country=AT');
  assert.equal(inst.status, 200, inst.text);
  assert.deepEqual(inst.json.institutions.map((i) => i.id), ['Erste Bank und Sparkassen']);
  assert.equal(inst.json.institutions[0].maxAccessDays, 180);

  const started = await api('/api/bank/connections', { method: 'POST',
    json: { country: 'AT', institutionId: 'Erste Bank und Sparkassen' } });
  assert.equal(started.status, 201, started.text);
  assert.equal(started.json.driver, 'enablebanking');
  const auth = JSON.parse(mock.requests.find((r) => r.path === '/auth').body);
  assert.deepEqual(auth.aspsp, { name: 'Erste Bank und Sparkassen', country: 'AT' });
  assert.equal(auth.redirect_url, `${server.baseUrl}/api/bank/callback`);
  assert.equal(auth.psu_type, 'business');
  assert.ok(Date.parse(auth.access.valid_until) > Date.now() + 89 * DAY);

  const bank = await fetch(started.json.link, { redirect: 'manual' });
  const back = new URL(bank.headers.get('location'));
  assert.ok(back.searchParams.get('code'));
  assert.equal(back.searchParams.get('state'), auth.state);
  const done = await server.request(back.pathname + back.search);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.status, 'linked');
  assert.equal(done.json.accounts, 1);
  const accounts = (await api('/api/bank/accounts')).json.accounts;
  assert.equal(accounts[0].iban, 'DE89370400440532013000');
  assert.equal(accounts[0].driver, 'enablebanking');
  assert.ok(mock.eb.jwts.length >= 3, 'every call carried a JWT');
  assert.deepEqual(mock.problems, []);
});

test('a bank that allows shorter consents gets a valid_until within its maximum', async () => {
  const started = await api('/api/bank/connections', { method: 'POST',
    json: { country: 'DE', institutionId: 'Sparkasse KölnBonn' } });
  assert.equal(started.status, 201, started.text);
  const auth = JSON.parse(mock.requests.filter((r) => r.path === '/auth').at(-1).body);
  const days = (Date.parse(auth.access.valid_until) - Date.now()) / DAY;
  assert.ok(days > 29.9 && days <= 30, `${days} days`);
  assert.deepEqual(mock.problems, []);
});

test('pulls: pages by continuation_key, signs from CRDT/DBIT, pending booked under its reference', async () => {
  mock.eb.transactions.set('DE89370400440532013000', [
    entry('EB-1', 'DBIT', '119.00', 'BOOK', { creditor: { name: 'Figma Inc' },
      creditor_account: { iban: 'IE29AIBK93115212345678' }, remittance_information: ['RE2025-0042'] }),
    entry('EB-2', 'CRDT', '500.00', 'BOOK', { debtor: { name: 'Kunde AG' }, remittance_information: ['AR-2026-17', 'Danke'] }),
    entry('EB-3', 'DBIT', '0.10', 'BOOK'),
    entry('EB-4', 'CRDT', '42.00', 'PDNG', { debtor: { name: 'Pending GmbH' } }),
    entry('EB-5', 'DBIT', '10.00', 'CNCL'),
  ]);
  const first = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(first.status, 'succeeded', first.error);
  assert.equal(first.counts.new, 4, 'the cancelled one moved no money');
  const pages = mock.requests.filter((r) => r.service === 'eb' && /\/transactions$/.test(r.path));
  assert.deepEqual(pages.map((r) => r.query.get('continuation_key')), [null, 'ck-2', 'ck-4']);
  let list = (await api('/api/bank/transactions')).json.transactions;
  assert.equal(list.find((x) => x.entryReference === 'r:EB-1').amount, '-119.00');
  assert.equal(list.find((x) => x.entryReference === 'r:EB-1').counterpartyName, 'Figma Inc');
  assert.equal(list.find((x) => x.entryReference === 'r:EB-2').amount, '500.00');
  assert.equal(list.find((x) => x.entryReference === 'r:EB-2').remittance, 'AR-2026-17 Danke');
  assert.equal(list.find((x) => x.entryReference === 'r:EB-3').amount, '-0.10');
  assert.equal(list.find((x) => x.entryReference === 'r:EB-4').status, 'pending');
  assert.equal((await api('/api/bank/accounts')).json.accounts[0].balance, '-15.50', 'the booked closing balance');

  const all = mock.eb.transactions.get('DE89370400440532013000');
  all[3] = entry('EB-4', 'CRDT', '42.00', 'BOOK', { debtor: { name: 'Pending GmbH' } });
  const second = await syncNow(server, tenant.token, 'gocardless');
  assert.equal(second.status, 'succeeded', second.error);
  assert.equal(second.counts.new, 0);
  assert.equal(second.counts.updated, 1, 'the pending entry was booked');
  list = (await api('/api/bank/transactions')).json.transactions;
  assert.equal(list.length, 4);
  assert.equal(list.find((x) => x.entryReference === 'r:EB-4').status, 'booked');
  assert.deepEqual(mock.problems, []);
});

test('an expired session fails the pull and marks the consent expired', async () => {
  mock.eb.expired = true;
  const run = await syncNow(server, tenant.token, 'gocardless');
  mock.eb.expired = false;
  assert.equal(run.status, 'failed');
  assert.match(run.error, /expired/);
  const conns = (await api('/api/bank/connections')).json.connections
    .filter((c) => c.institutionId === 'Erste Bank und Sparkassen');
  assert.equal(conns.length, 1);
  assert.equal(conns[0].status, 'expired');
  assert.equal(conns[0].renewSoon, true);
  assert.deepEqual(mock.problems, []);
});
