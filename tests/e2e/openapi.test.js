// The OpenAPI document: it is a valid OpenAPI 3.1 document, it names exactly the routes of
// the routing table (connectord routes) with their query parameters and public routes, its
// error codes are errors.def's, and the real answers of every route fit its schemas.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { runCli, startServer } = require('./lib/server');
const { OpenApiChecker, METHODS } = require('./lib/openapi');
const { StripeTenant, invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');
const { invoicingTenant, insertEntries, week } = require('./lib/invoicing');

let server;
let doc;
let checker;
let mock;

before(async () => {
  server = await startServer();
  mock = await MockServices.start();
  const res = await server.request('/api/openapi.json');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  doc = res.json;
  checker = new OpenApiChecker(doc);
});

after(async () => {
  await server?.stop();
  await mock?.stop?.();
});

async function routes() {
  const r = await runCli(['routes']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

// Every operation of the document: [{method, path, op}].
function operations() {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const m of METHODS) if (item[m]) out.push({ method: m.toUpperCase(), path: p, op: item[m] });
  return out;
}

describe('the document', () => {
  test('is served without a token, and is a valid OpenAPI 3.1 document', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const v = new Validator();
    const r = await v.validate(doc);
    assert.equal(r.valid, true, JSON.stringify(r.errors, null, 1)?.slice(0, 4000));
    assert.equal(v.version, '3.1');
    assert.equal(doc.openapi, '3.1.0');
    const version = fs.readFileSync(path.join(__dirname, '..', '..', 'VERSION'), 'utf8').trim();
    assert.equal(doc.info.version, version);
  });

  test('every $ref resolves', () => {
    const missing = [];
    const walk = (o) => {
      if (!o || typeof o !== 'object') return;
      if (typeof o.$ref === 'string' && checker.resolve({ $ref: o.$ref }) === undefined) missing.push(o.$ref);
      for (const v of Object.values(o)) walk(v);
    };
    walk(doc);
    assert.deepEqual(missing, []);
  });

  test('its error codes are those of src/core/errors.def', () => {
    const def = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'core', 'errors.def'), 'utf8');
    const codes = [...def.matchAll(/^ERR\(\w+,\s*\d+,\s*"([a-z_]+)"\)/gm)].map((m) => m[1])
      .filter((c) => c !== 'ok');
    assert.ok(codes.includes('plan_required'));
    assert.deepEqual(doc.components.schemas.ErrorCode.enum, codes);
  });

  test('names every route of the routing table, and no other', async () => {
    const table = await routes();
    assert.ok(table.length > 60, `only ${table.length} routes`);
    const documented = new Map(operations().map((o) => [`${o.method} ${o.path}`, o.op]));
    const missing = table.filter((r) => !documented.has(`${r.method} ${r.path}`))
      .map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(missing, [], 'routes the document does not describe');
    const routed = new Set(table.map((r) => `${r.method} ${r.path}`));
    const extra = [...documented.keys()].filter((k) => !routed.has(k));
    assert.deepEqual(extra, [], 'operations of the document that no route answers');
  });

  test('each operation declares the route\'s query parameters, its path parameters, its auth and errors', async () => {
    const problems = [];
    for (const r of await routes()) {
      const op = doc.paths[r.path][r.method.toLowerCase()];
      const where = `${r.method} ${r.path}`;
      const params = [...(doc.paths[r.path].parameters || []), ...(op.parameters || [])]
        .map((p) => checker.resolve(p));
      const query = params.filter((p) => p.in === 'query').map((p) => p.name).sort();
      if (JSON.stringify(query) !== JSON.stringify([...r.query].sort()))
        problems.push(`${where}: query ${query} but the route takes ${r.query}`);
      const inPath = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name).sort();
      if (JSON.stringify(inPath) !== JSON.stringify(pathParams))
        problems.push(`${where}: path parameters ${pathParams}, the path has ${inPath}`);
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      if (isPublic !== (r.role === 'none'))
        problems.push(`${where}: role ${r.role} but security ${JSON.stringify(op.security)}`);
      if (op['x-role'] !== undefined && op['x-role'] !== r.role)
        problems.push(`${where}: x-role ${op['x-role']} but the route needs ${r.role}`);
      const answers = Object.values(op.responses);
      if (!answers.some((a) => a.$ref === '#/components/responses/Error'))
        problems.push(`${where}: no #/components/responses/Error`);
      if (!op.operationId || !op.summary) problems.push(`${where}: no operationId or summary`);
    }
    assert.deepEqual(problems, []);
  });

  test('the check fails when a route is missing from the document', async () => {
    // The same comparison over a document with one route taken out.
    const cut = JSON.parse(JSON.stringify(doc));
    delete cut.paths['/readyz'];
    const have = new Set();
    for (const [p, item] of Object.entries(cut.paths))
      for (const m of METHODS) if (item[m]) have.add(`${m.toUpperCase()} ${p}`);
    const missing = (await routes()).filter((r) => !have.has(`${r.method} ${r.path}`));
    assert.deepEqual(missing.map((r) => r.path), ['/readyz']);
  });
});

// ---- every route, called for real, its answer held against the document --------------------
// A new route is called here too (the test fails on a route it did not call), through
// call(), which checks the answer.

describe('real answers fit the document', () => {
  const seen = new Map(); // "METHOD /path" -> statuses
  const problems = [];

  // One request; its answer is checked and the operation counted.
  async function call(method, pathname, { token, json, headers, body } = {}) {
    const res = await server.request(pathname, { method, token, json, headers, body });
    problems.push(...checker.check(method, pathname, res));
    const found = checker.operation(method, new URL(pathname, 'http://x').pathname);
    if (found) {
      const k = `${method} ${found.path}`;
      seen.set(k, [...(seen.get(k) || []), res.status]);
    }
    return res;
  }

  test('every route answers as the document says', async () => {
    const t = await StripeTenant.create(server, { autoPost: false });
    const tok = t.token;
    const pid = t.tenantId;
    await call('GET', '/healthz');
    await call('GET', '/readyz');
    await call('GET', '/metrics');
    await call('GET', '/api/openapi.json');
    await call('GET', '/api/schemas/connector-manifest.json');
    await call('GET', '/api/tenant', { token: tok });
    await call('GET', '/api/tenant');
    await call('PATCH', '/api/tenant', { token: tok, json: { name: 'Renamed GmbH' } });
    await call('GET', '/api/connectors', { token: tok });
    await call('GET', '/api/connectors/stripe', { token: tok });
    await call('GET', '/api/connectors/no-such', { token: tok });
    await call('PUT', '/api/connectors/stripe/config', { token: tok, json: { config: { autoPost: false } } });
    await call('POST', '/api/connectors/stripe/test-webhook', { token: tok, json: {} });
    await call('POST', '/api/connectors/paypal/install', { token: tok, json: { config: {} } });
    await call('POST', '/api/connectors/mollie/install', { token: tok, json: { config: { apiKey: 'test_' + 'a'.repeat(30) } } });
    await call('POST', '/api/connectors/mollie/uninstall', { token: tok, json: {} });
    // a payment through the webhook route: processed, then a duplicate, then a bad signature
    const paid = invoicePaid();
    const first = await t.send(paid.body);
    problems.push(...checker.check('POST', t.path, first));
    const dup = await t.send(paid.body);
    problems.push(...checker.check('POST', t.path, dup));
    await call('POST', t.path, { body: paid.body, headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' } });
    await call('POST', '/api/payment-import/stripe/nosuchtoken', { body: '{}', headers: { 'content-type': 'application/json' } });
    await call('GET', '/api/connectors/stripe/webhook-logs?limit=1', { token: tok });
    await call('GET', '/api/connectors/stripe/webhook-logs?status=duplicate', { token: tok });
    // what was booked
    const inv = await call('GET', '/api/invoices?limit=5', { token: tok });
    const invoiceId = inv.json.invoices[0].id;
    await call('GET', `/api/invoices/${invoiceId}`, { token: tok });
    await call('POST', `/api/invoices/${invoiceId}/post`, { token: tok, json: {} });
    await call('POST', `/api/invoices/${invoiceId}/post`, { token: tok, json: {} });
    await call('GET', '/api/suppliers', { token: tok });
    await call('GET', '/api/customers', { token: tok });
    await call('GET', '/api/ledger/entries?from=2020-01-01', { token: tok });
    await call('GET', '/api/ledger/balances', { token: tok });
    await call('GET', '/api/ledger/verify', { token: tok });
    await call('GET', '/api/audit-log', { token: tok });
    await call('GET', '/api/time-entries?limit=2', { token: tok });
    // settings, exports, returns
    await call('GET', '/api/settings', { token: tok });
    await call('PUT', '/api/settings', { token: tok, json: { chart: 'skr03', country: 'DE', vatNumber: 'DE123456789' } });
    await call('GET', '/api/exports/datev?from=2026-01-01&to=2026-12-31', { token: tok });
    await call('GET', '/api/exports/log', { token: tok });
    await call('GET', '/api/exports/tenant', { token: tok });
    await call('GET', '/api/vat-returns/de?period=2026-Q1', { token: tok });
    await call('PUT', '/api/settings', { token: tok, json: { chart: 'ekr', country: 'AT', vatNumber: 'ATU12345678' } });
    await call('GET', '/api/vat-returns/at?period=2026-03', { token: tok });
    await call('GET', '/api/vat-returns/at/xml?period=2026-03', { token: tok });
    await call('POST', '/api/vat-returns/at/submit', { token: tok, json: { period: '2026-03', test: true } });
    await call('GET', '/api/vat-returns/at/submissions', { token: tok });
    await call('GET', '/api/vat-returns/oss?period=2026-Q1', { token: tok });
    // sync and OAuth
    await call('POST', '/api/connectors/clockify/sync', { token: tok });
    await call('GET', '/api/connectors/clockify/sync-runs', { token: tok });
    await call('GET', '/api/connectors/timely/oauth', { token: tok });
    await call('GET', '/api/connectors/timely/oauth/start', { token: tok });
    await call('GET', '/api/connectors/timely/oauth/callback?code=x&state=y');
    // projects and destinations
    await call('GET', '/api/projects', { token: tok });
    await call('POST', '/api/projects', { token: tok, json: { name: 'Second' } });
    const ep = mock.endpoint('slack');
    const made = await call('POST', `/api/projects/${pid}/connectors`, { token: tok, json: { type: 'slack', config: ep.config, eventTypes: ['*'] } });
    const cid = made.json.id;
    await call('GET', `/api/projects/${pid}/connectors`, { token: tok });
    await call('GET', `/api/projects/nope/connectors`, { token: tok });
    await call('GET', `/api/projects/${pid}/connectors/${cid}`, { token: tok });
    await call('PATCH', `/api/projects/${pid}/connectors/${cid}`, { token: tok, json: { name: 'Team channel' } });
    await call('POST', `/api/projects/${pid}/connectors/${cid}/test`, { token: tok, json: {} });
    await call('POST', `/api/projects/${pid}/events`, { token: tok, json: { type: 'payment.settled', data: { provider: 'stripe', amount: '10.00', currency: 'EUR' } } });
    await call('POST', `/api/projects/${pid}/events`, { token: tok, json: { type: 'payment.settled', data: {} } });
    await call('GET', `/api/projects/${pid}/events`, { token: tok });
    await ep.waitFor(2);
    const deliveries = await call('GET', `/api/projects/${pid}/connectors/${cid}/deliveries`, { token: tok });
    const did = deliveries.json.deliveries[0]?.id || 'dlv_none';
    await call('GET', `/api/projects/${pid}/connectors/${cid}/deliveries/${did}`, { token: tok });
    await call('POST', `/api/projects/${pid}/connectors/${cid}/deliveries/${did}/retry`, { token: tok, json: {} });
    await call('POST', `/api/projects/${pid}/connectors/${cid}/replay`, { token: tok, json: { since: '2026-01-01' } });
    await call('DELETE', `/api/projects/${pid}/connectors/${cid}`, { token: tok });
    // invoicing from tracked time
    const it = await invoicingTenant(server);
    insertEntries(server, it, week());
    await call('GET', '/api/settings/invoicing', { token: it.token });
    await call('PUT', '/api/settings/invoicing', { token: it.token, json: it.profile });
    await call('POST', '/api/customers', { token: it.token, json: { name: 'Another AG', billing: { country: 'AT' } } });
    await call('POST', '/api/customers', { token: it.token, json: { name: 'Third AG', email: 'a@b.example', billing: { country: 'AT', street: 'Ring 1', postalCode: '1010', city: 'Wien' } } });
    await call('GET', `/api/customers/${it.customer.id}/billing`, { token: it.token });
    await call('PUT', `/api/customers/${it.customer.id}/billing`, { token: it.token, json: { country: 'AT', street: 'Ring 1', postalCode: '1010', city: 'Wien' } });
    const d1 = await call('POST', '/api/invoices/from-time-entries', { token: it.token, json: { client: it.customer.id, from: '2026-03-01', to: '2026-03-31', rate: '80.00', groupBy: 'project' } });
    await call('GET', `/api/invoices/${d1.json.id}`, { token: it.token });
    await call('GET', `/api/invoices/${d1.json.id}/pdf`, { token: it.token });
    const fin = await call('POST', `/api/invoices/${d1.json.id}/finalize`, { token: it.token, json: {} });
    await call('GET', `/api/invoices/${fin.json.id}/pdf`, { token: it.token });
    await call('GET', `/api/invoices/${fin.json.id}/xrechnung`, { token: it.token });
    await call('GET', `/api/invoices/${fin.json.id}`, { token: it.token });
    await call('DELETE', `/api/invoices/${d1.json.id}`, { token: it.token });
    insertEntries(server, it, [{ start: '2026-04-02T08:00:00.000Z', minutes: 60, project: 'Website' }]);
    const d2 = await call('POST', '/api/invoices/from-time-entries', { token: it.token, json: { client: it.customer.id, from: '2026-04-01', to: '2026-04-30', rate: '80.00', groupBy: 'entry' } });
    await call('DELETE', `/api/invoices/${d2.json.id}`, { token: it.token });
    await call('POST', '/api/invoices/from-time-entries', { token: it.token, json: { client: it.customer.id, from: '2026-03-01', to: '2026-03-31', rate: '80.00', groupBy: 'entry' } });
    // API tokens
    await call('POST', '/api/tokens', { token: tok, json: { name: 'ci' } });
    const biz = await server.createTenant('OpenAPI Business', 'business');
    const tk = await call('POST', '/api/tokens', { token: biz.token, json: { name: 'ci', readOnly: true, expiresAt: '2099-01-01T00:00:00Z' } });
    await call('GET', '/api/tokens', { token: biz.token });
    await call('DELETE', `/api/tokens/${tk.json.id}`, { token: biz.token });
    await call('DELETE', '/api/tokens/tok_nope', { token: biz.token });
    // MCP
    const mcpHeaders = { accept: 'application/json, text/event-stream' };
    const init = await call('POST', '/mcp', { token: biz.token, headers: mcpHeaders, json: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } } });
    const sid = init.headers.get('mcp-session-id');
    await call('POST', '/mcp', { token: biz.token, headers: { ...mcpHeaders, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, json: { jsonrpc: '2.0', method: 'notifications/initialized' } });
    await call('POST', '/mcp', { token: biz.token, headers: { ...mcpHeaders, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, json: { jsonrpc: '2.0', id: 2, method: 'tools/list' } });
    await call('POST', '/mcp', { token: biz.token, headers: mcpHeaders, json: { jsonrpc: '2.0', id: 3, method: 'ping' } });
    await call('POST', '/mcp', { token: biz.token, headers: { ...mcpHeaders, 'mcp-session-id': 'x.1.y.' + '0'.repeat(64) }, json: { jsonrpc: '2.0', id: 3, method: 'ping' } });
    await call('POST', '/mcp', { token: tok, headers: mcpHeaders, json: { jsonrpc: '2.0', id: 3, method: 'ping' } });
    // outside connectors: a developer submits, the operator reviews (issue 17)
    const op = JSON.parse((await server.cli(['operator', 'token', 'create'])).stdout).token;
    const made2 = await call('POST', '/api/operator/developers', { token: op, json: { name: 'OpenAPI Dev' } });
    const dev = made2.json.token;
    await call('GET', '/api/operator/developers', { token: op });
    await call('POST', '/api/developer/connectors', { token: dev, json: { manifestVersion: 1 } });
    await call('GET', '/api/developer/connectors', { token: dev });
    await call('GET', '/api/developer/connectors/sub_nope', { token: dev });
    await call('GET', '/api/operator/submissions?status=pending_review', { token: op });
    await call('GET', '/api/operator/submissions/sub_nope', { token: op });
    await call('POST', '/api/operator/submissions/sub_nope/approve', { token: op, json: {} });
    await call('POST', '/api/operator/submissions/sub_nope/reject', { token: op, json: { reason: 'no' } });
    await call('POST', '/api/operator/connectors/no-such/unpublish', { token: op, json: {} });
    // bank data (issue 18), on a tenant without a bank connector
    await call('GET', '/api/bank/institutions?country=AT', { token: tok });
    await call('POST', '/api/bank/connections', { token: tok, json: { country: 'AT', institutionId: 'X' } });
    await call('GET', '/api/bank/connections', { token: tok });
    await call('POST', '/api/bank/connections/bnk_nope/renew', { token: tok });
    await call('GET', '/api/bank/callback?state=nope');
    await call('GET', '/api/bank/accounts', { token: tok });
    await call('GET', '/api/bank/transactions', { token: tok });
    // matching and payouts (issue 18, part 2)
    await call('POST', '/api/bank/transactions/match', { token: tok });
    await call('POST', '/api/bank/transactions/btx_nope/match', { token: tok, json: { account: '6800' } });
    await call('GET', '/api/bank/rules', { token: tok });
    await call('DELETE', '/api/bank/rules/rul_nope', { token: tok });
    await call('GET', '/api/bank/reconciliation', { token: tok });
    await call('GET', '/api/payouts/movements', { token: tok });
    // documents (issue 19): one upload that is no document, the lists, unknown ids
    await call('POST', '/api/documents?filename=x.txt', { token: tok, body: 'not a document', headers: { 'content-type': 'text/plain' } });
    await call('GET', '/api/documents', { token: tok });
    await call('GET', '/api/documents/doc_nope', { token: tok });
    await call('GET', '/api/documents/doc_nope/file', { token: tok });
    await call('POST', '/api/documents/doc_nope/confirm', { token: tok, json: {} });
    await call('GET', '/api/dashboard/calendar?days=7', { token: tok });
    await call('GET', '/api/dashboard/mail', { token: tok });
    // the assistant's doors (issue 20): unsigned requests, the links
    await call('POST', '/api/chatbot/slack', { body: '{}', headers: { 'content-type': 'application/json' } });
    await call('POST', '/api/chatbot/telegram/nope', { body: '{}', headers: { 'content-type': 'application/json' } });
    await call('GET', '/api/chatbot/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1');
    await call('POST', '/api/chatbot/whatsapp', { body: '{}', headers: { 'content-type': 'application/json' } });
    await call('POST', '/api/chatbot/links', { token: tok, json: {} });
    await call('GET', '/api/chatbot/links', { token: tok });
    await call('DELETE', '/api/chatbot/links/lnk_nope', { token: tok });
    await call('GET', '/api/chatbot/messages', { token: tok });
    // the store page
    await call('GET', '/connectors');
    await call('GET', '/connectors/');
    await call('GET', '/connectors/app.js');
    await call('GET', '/connectors/nope.js');
    // errors of the HTTP layer
    await call('GET', '/api/invoices?bogus=1', { token: tok });
    await call('DELETE', '/api/tenant', { token: tok });

    assert.deepEqual(problems, [], 'answers that do not fit the document');
    const table = await routes();
    const unseen = table.map((r) => `${r.method} ${r.path}`).filter((k) => !seen.has(k));
    assert.deepEqual(unseen, [], 'routes this test did not call');
  });
});
