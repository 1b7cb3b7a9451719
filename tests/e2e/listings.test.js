// One paging convention for every listing, and no silently ignored query parameters.
//
// Every GET route of the routing table (read from src/api/routes.c, so a new route is walked
// without editing this file) answers 400 unknown_parameter, naming it, for a query parameter
// it does not declare, and takes each one it declares. Every listing takes ?limit= (1..100)
// and ?cursor=, and hands out the next page's cursor the same way: in the X-Next-Cursor
// header, and beside the list as nextCursor (seed 002's webhook log, a bare array, has only
// the header). Walking a listing one row at a time sees every row once.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { REPO_ROOT, startServer } = require('./lib/server');
const { StripeTenant, invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { Project, eventually } = require('./lib/outbound');

let server;
let mock;
let shop; // a StripeTenant with bookings, destinations, deliveries and events
let project;
const ids = {};

// Every route of the table: method, pattern and the query parameters it declares.
function routeTable() {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'src/api/routes.c'), 'utf8');
  const page = /#define PAGE "([^"]*)"/.exec(text)[1];
  const routes = [];
  for (const m of text.matchAll(/^\s*\{"([A-Z]+)",\s*"([^"]+)",\s*\w+,\s*(\w+),\s*[\w|]+,\s*(.*)\},?\s*$/gm)) {
    const decl = m[4].trim();
    const query = decl === 'NULL' ? '' : decl.replace(/\bPAGE\b/, `"${page}"`).replace(/"\s*"/g, '').replace(/"/g, '');
    routes.push({ method: m[1], pattern: m[2], role: m[3], query: query.split(/\s+/).filter(Boolean) });
  }
  return routes;
}

function fill(pattern) {
  return pattern.replace(/:(\w+)/g, (_, name) => {
    const v = { slug: 'stripe', projectId: shop.tenantId, connectorId: ids.destination,
                deliveryId: ids.delivery, id: ids.invoice, file: 'app.js', provider: 'stripe',
                token: shop.webhookToken }[name];
    assert.ok(v, `no value for :${name} in ${pattern}`);
    return v;
  });
}

// A payment from (or to) a party of its own, so each makes a supplier or customer.
const party = (i) => ({ amount: 1000 + i, currency: 'eur', account: `acct_Listings${i}`,
                        accountName: `Seller ${i} GmbH`, customer: `cus_Listings${i}`,
                        email: `buyer${i}@example.com`, name: `Buyer ${i}` });

const get = (pathname, role) => server.request(pathname, { token: tokenFor(role) });
// A route's own kind of token: the platform's routes open to no tenant token.
const platform = {};
const tokenFor = (role) => ({ AUTH_ROLE_OPERATOR: platform.operator,
                              AUTH_ROLE_DEVELOPER: platform.developer }[role] || shop.token);

before(async () => {
  mock = await MockServices.start();
  server = await startServer();
  shop = new StripeTenant(server, await server.createTenant(`Listings ${Date.now()}`, 'enterprise'));
  await shop.install({ autoPost: true });
  platform.operator = JSON.parse((await server.cli(['operator', 'token', 'create'])).stdout).token;
  platform.developer = JSON.parse((await server.cli(['developer', 'create', '--name', 'Listings Dev'])).stdout).token;
  project = new Project(server, { tenantId: shop.tenantId, token: shop.token });
  const slack = mock.endpoint('slack');
  ids.destination = (await project.destination(slack, ['*'])).id;
  await project.destination(mock.endpoint('slack'), ['endpoint.created']);
  for (let i = 0; i < 3; i++) {
    const res = await shop.send(invoicePaid(party(i)).body);
    assert.equal(res.status, 200, res.text);
  }
  await shop.configure({ direction: 'revenue', autoPost: true });
  for (let i = 0; i < 2; i++) {
    const res = await shop.send(invoicePaid(party(10 + i)).body);
    assert.equal(res.status, 200, res.text);
  }
  await project.publish('endpoint.created', { name: 'listings' });
  ids.invoice = (await shop.invoices())[0].id;
  const deliveries = await eventually(async () => {
    const list = await project.deliveries(ids.destination);
    return list.length >= 3 && list.every((d) => d.status === 'delivered') && list;
  }, 'deliveries to the slack mock');
  ids.delivery = deliveries[0].id;
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

// The listings and the key of their list (null: a bare array), with at least two rows each.
const LISTINGS = () => [
  ['/api/invoices', 'invoices'],
  ['/api/suppliers', 'suppliers'],
  ['/api/customers', 'customers'],
  ['/api/ledger/entries', 'entries'],
  ['/api/connectors/stripe/webhook-logs', null],
  [`/api/projects/${shop.tenantId}/connectors`, 'connectors'],
  [`/api/projects/${shop.tenantId}/connectors/${ids.destination}/deliveries`, 'deliveries'],
  [`/api/projects/${shop.tenantId}/events`, 'events'],
  ['/api/audit-log', 'entries'],
];

function rowsOf(res, key) {
  assert.equal(res.status, 200, res.text);
  const rows = key ? res.json[key] : res.json;
  assert.ok(Array.isArray(rows), `${key ?? 'bare array'}: ${res.text}`);
  return rows;
}

describe('one paging convention', () => {
  test('every listing pages with limit and cursor, the next cursor in X-Next-Cursor and the body', async () => {
    for (const [pathname, key] of LISTINGS()) {
      const all = rowsOf(await get(`${pathname}?limit=100`), key).map((r) => r.id);
      assert.ok(all.length >= 2, `${pathname} has ${all.length} rows; the test needs two`);
      const seen = [];
      let cursor = null;
      for (let pages = 0; pages <= all.length; pages++) {
        const res = await get(`${pathname}?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        const rows = rowsOf(res, key);
        assert.equal(rows.length, 1, `${pathname}: a page of limit=1 has ${rows.length} rows`);
        seen.push(rows[0].id);
        const header = res.headers.get('x-next-cursor');
        if (key) assert.equal(res.json.nextCursor, header, `${pathname}: body and header disagree`);
        cursor = header;
        if (!cursor) break;
        assert.equal(cursor, rows[0].id, `${pathname}: the cursor is the page's last id`);
      }
      assert.deepEqual(seen, all, `${pathname}: one row at a time sees every row once, in order`);
      const last = await get(`${pathname}?limit=100`);
      assert.equal(last.headers.get('x-next-cursor'), null, `${pathname}: a last page has no X-Next-Cursor`);
      if (key) assert.equal(last.json.nextCursor, null, pathname);
    }
  });

  test('a page exactly as long as the listing is its last; one row shorter hands out the cursor', async () => {
    for (const [pathname, key] of LISTINGS()) {
      const all = rowsOf(await get(`${pathname}?limit=100`), key).map((r) => r.id);
      const exact = await get(`${pathname}?limit=${all.length}`);
      assert.deepEqual(rowsOf(exact, key).map((r) => r.id), all, pathname);
      assert.equal(exact.headers.get('x-next-cursor'), null, `${pathname}: a full last page has no next page`);
      if (key) assert.equal(exact.json.nextCursor, null, pathname);
      const short = await get(`${pathname}?limit=${all.length - 1}`);
      const rows = rowsOf(short, key).map((r) => r.id);
      assert.deepEqual(rows, all.slice(0, -1), pathname);
      assert.equal(short.headers.get('x-next-cursor'), rows[rows.length - 1], pathname);
      const rest = await get(`${pathname}?limit=100&cursor=${rows[rows.length - 1]}`);
      assert.deepEqual(rowsOf(rest, key).map((r) => r.id), all.slice(-1), `${pathname}: the next page is the rest`);
    }
  });

  test('every listing has the same limit range and refuses a cursor it did not hand out', async () => {
    const listings = [...LISTINGS(), ['/api/vat-returns/at/submissions', 'submissions']];
    for (const [pathname, key] of listings) {
      for (const bad of ['0', '101', '-1', 'ten', '']) {
        const res = await get(`${pathname}?limit=${bad}`);
        assert.equal(res.status, 400, `${pathname}?limit=${bad}: ${res.text}`);
        assert.equal(res.json.error.code, 'invalid_field');
        assert.match(res.json.error.message, /limit must be a number from 1 to 100/);
      }
      rowsOf(await get(`${pathname}?limit=100`), key);
      const res = await get(`${pathname}?cursor=nonsense`);
      assert.equal(res.status, 400, `${pathname}?cursor=nonsense: ${res.text}`);
      assert.match(res.json.error.message, /cursor/);
    }
    // the default page is 50 rows, everywhere: no listing hands out more without asking
    const sub = await get('/api/vat-returns/at/submissions');
    assert.deepEqual(rowsOf(sub, 'submissions'), []);
    assert.equal(sub.json.nextCursor, null);
  });
});

describe('unknown query parameters', () => {
  test('every GET route refuses a parameter it does not take, naming it', async () => {
    const gets = routeTable().filter((r) => r.method === 'GET');
    assert.ok(gets.length >= 25, `only ${gets.length} GET routes read from routes.c`);
    for (const r of gets) {
      const res = await get(`${fill(r.pattern)}?limt=5`, r.role);
      assert.equal(res.status, 400, `GET ${r.pattern}?limt=5: ${res.status} ${res.text}`);
      assert.equal(res.json.error.code, 'unknown_parameter', r.pattern);
      assert.match(res.json.error.message, /'limt'/, r.pattern);
      if (r.query.length)
        assert.ok(res.json.error.message.includes(r.query.join(', ')),
                  `${r.pattern}: the message lists what it takes: ${res.json.error.message}`);
    }
  });

  test('every GET route takes each parameter it declares', async () => {
    for (const r of routeTable().filter((x) => x.method === 'GET')) {
      for (const name of r.query) {
        const res = await get(`${fill(r.pattern)}?${name}=x`, r.role);
        assert.notEqual(res.json?.error?.code, 'unknown_parameter', `GET ${r.pattern}?${name}: ${res.text}`);
      }
    }
  });

  test('the invoices listing takes its filters, including posted', async () => {
    for (const q of ['source=stripe', 'type=eingangsrechnung', 'from=2020-01-01&to=2030-12-31', 'limit=2']) {
      const res = await get(`/api/invoices?${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
    }
    const res = await get('/api/invoices?posted=true');
    assert.notEqual(res.json?.error?.code, 'unknown_parameter', res.text);
  });

  test('routes that change state and public routes refuse them too', async () => {
    const cases = [
      ['GET', '/healthz?verbose=1', undefined],
      ['GET', '/metrics?format=json', undefined],
      ['PATCH', '/api/tenant?dryRun=true', { name: 'Listings' }],
      ['POST', `${shop.path}?foo=bar`, {}],
      ['POST', `/api/projects/${shop.tenantId}/events?async=1`, { type: 'endpoint.created', data: { name: 'x' } }],
    ];
    for (const [method, pathname, json] of cases) {
      const res = await server.request(pathname, { method, token: shop.token, json });
      assert.equal(res.status, 400, `${method} ${pathname}: ${res.text}`);
      assert.equal(res.json.error.code, 'unknown_parameter');
    }
    // Klarna puts its order id in the query of the webhook URL: the webhook route takes that
    const klarna = await server.request(`${shop.path}?klarna_order_id=abc`, { method: 'POST', body: '{}',
                                          headers: { 'content-type': 'application/json' } });
    assert.notEqual(klarna.json?.error?.code, 'unknown_parameter', klarna.text);
  });

  test('a name that is not plain ASCII is named percent-encoded, in valid JSON', async () => {
    const res = await get(`/api/invoices?${encodeURIComponent('état')}=1&${'x'.repeat(300)}=2`);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, 'unknown_parameter');
    assert.match(res.json.error.message, /'%C3%A9tat'/);
    const long = await get(`/api/invoices?${'y'.repeat(300)}=1`);
    assert.equal(long.status, 400);
    assert.ok(long.json.error.message.length < 256, long.json.error.message);
    assert.match(long.json.error.message, /'y+\.\.\.'/);
  });
});
