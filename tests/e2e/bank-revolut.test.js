// Bank data through the Revolut Business API (src/bank/revolut.c, OAuth through oauth/)
// against a local mock (lib/bank-mock.js): the consent link in the Business app, the code
// exchanged with an RS256 client assertion the mock verifies (iss, sub, aud, exp), the
// short-lived access token refreshed with a new assertion, the accounts, and transactions
// paged by created_at (at most 1000 a request, the next page ending where the last one's
// oldest began), their amounts exact, pending ones completed later.
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
let account;

const api = (path, opts = {}) => server.request(path, { token: tenant.token, ...opts });

before(async () => {
  mock = await BankMock.start();
  server = await startServer();
  tenant = await server.createTenant(`Bank RV ${Date.now()}`, 'starter');
  account = mock.rv.accounts[0].id;
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

function tx(i, amount, state = 'completed', extra = {}) {
  const created = new Date(Date.now() - (i + 1) * 60000).toISOString();
  return { id: crypto.randomUUID(), type: 'transfer', state, created_at: created,
           updated_at: created, completed_at: state === 'completed' ? created : undefined,
           reference: `Ref ${i}`,
           legs: [{ leg_id: crypto.randomUUID(), account_id: account, amount, currency: 'EUR',
                    description: `To Counterparty ${i}`, balance: 1000 }], ...extra };
}

test('the consent link, the code exchanged with a signed client assertion, the accounts', async () => {
  mock.rv.expiresIn = 30; // shorter than the margin: each use refreshes, as after 40 minutes
  const res = await api('/api/connectors/revolut/install', { method: 'POST', json: { config: {
    webhookSecret: secret('wsk_'), clientId: mock.rv.clientId,
    privateKey: mock.rv.privatePem.replace(/\n/g, '\\n'), apiBaseUrl: `${mock.base}/rv` } } });
  assert.equal(res.status, 201, res.text);
  const inst = await api('/api/bank/institutions?country=AT&connector=revolut');
  assert.equal(inst.status, 200, inst.text);
  assert.equal(inst.json.institutions[0].id, 'revolut-business');

  const started = await api('/api/bank/connections', { method: 'POST',
    json: { connector: 'revolut', country: 'AT', institutionId: 'revolut-business' } });
  assert.equal(started.status, 201, started.text);
  const link = new URL(started.json.link);
  assert.equal(link.origin + link.pathname, `${mock.base}/rv/app-confirm`);
  assert.equal(link.searchParams.get('client_id'), mock.rv.clientId);
  assert.equal(link.searchParams.get('redirect_uri'), `${server.baseUrl}/api/bank/callback`);
  const consent = await fetch(started.json.link, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location'));
  const done = await server.request(back.pathname + back.search);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.status, 'linked');
  assert.equal(done.json.accounts, 1);
  const exchange = mock.rv.tokenRequests[0];
  assert.equal(exchange.get('grant_type'), 'authorization_code');
  assert.equal(exchange.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  const accounts = (await api('/api/bank/accounts')).json.accounts;
  assert.equal(accounts[0].identity, `revolut:${account}`);
  assert.equal(accounts[0].name, 'Main EUR');
  assert.deepEqual(mock.problems, []);
});

test('pulls page by created_at, keep amounts exact, and complete pending ones', async () => {
  const list = [];
  for (let i = 0; i < 1003; i++) list.push(tx(i, i % 2 ? -(i + 0.34) : i + 0.1));
  list[5] = tx(5, -12.34, 'pending');
  list[6] = tx(6, -99, 'declined');
  mock.rv.transactions = list;
  const first = await syncNow(server, tenant.token, 'revolut');
  assert.equal(first.status, 'succeeded', first.error);
  assert.equal(first.counts.new, 1002, 'all but the declined one');
  const pages = mock.requests.filter((r) => r.service === 'rv' && r.path === '/api/1.0/transactions');
  assert.equal(pages.length, 2);
  assert.equal(pages[0].query.get('count'), '1000');
  assert.equal(pages[0].query.get('account'), account);
  const oldestOfFirst = [...list].filter((t) => t.state !== 'x')
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[999].created_at;
  assert.equal(pages[1].query.get('to'), oldestOfFirst, 'the next page ends where the first one\'s oldest began');
  const refreshes = mock.rv.tokenRequests.filter((f) => f.get('grant_type') === 'refresh_token');
  assert.ok(refreshes.length >= 1, 'the access token was refreshed with a client assertion');

  const byRef = async (ref) => {
    const r = await api('/api/bank/transactions?limit=100');
    let rows = r.json.transactions;
    let cursor = r.json.nextCursor;
    while (!rows.some((x) => x.reference === ref) && cursor) {
      const n = await api(`/api/bank/transactions?limit=100&cursor=${cursor}`);
      rows = n.json.transactions;
      cursor = n.json.nextCursor;
    }
    return rows.find((x) => x.reference === ref);
  };
  const pending = await byRef('Ref 5');
  assert.equal(pending.status, 'pending');
  assert.equal(pending.amount, '-12.34');
  assert.equal((await byRef('Ref 2')).amount, '2.10');
  assert.equal((await byRef('Ref 3')).amount, '-3.34');
  assert.equal((await api('/api/bank/accounts')).json.accounts[0].balance, '1000.50');

  list[5] = { ...list[5], state: 'completed', completed_at: new Date().toISOString() };
  const second = await syncNow(server, tenant.token, 'revolut');
  assert.equal(second.status, 'succeeded', second.error);
  assert.equal(second.counts.new, 0, 'nothing twice');
  assert.equal(second.counts.updated, 1);
  assert.equal((await byRef('Ref 5')).status, 'booked');
  assert.deepEqual(mock.problems, []);
});
