// The MCP server at /mcp: the official TypeScript SDK client (streamable HTTP, protocol
// 2025-11-25 with initialize and a session) lists and calls every tool; members and
// read-only tokens get read tools only; plans below Business get 403 plan_required; a bad
// token 401. The stateless revision 2026-07-28 is spoken by hand, header by header, as its
// specification says: server/discover, resultType, MCP-Protocol-Version / Mcp-Method /
// Mcp-Name checked against the body.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, invoicePaid } = require('./lib/stripe');
const { MockServices } = require('./lib/mock-services');

let server;
let mock;
let sdk;
let biz; // a Business tenant with a booked payment, a destination and a delivery
let member;
let readOnly;
let connectorId;
let deliveryId;

const QUERY_TOOLS = ['open_invoices', 'overdue_invoices', 'revenue', 'expenses', 'vat_due',
                     'top_suppliers', 'top_customers', 'find_invoice', 'failed_webhooks',
                     'failed_deliveries', 'connectors', 'last_sync'];
const ADMIN_READ_TOOLS = ['webhook_logs', 'deliveries'];
const WRITE_TOOLS = ['retry_delivery', 'start_sync'];

before(async () => {
  server = await startServer();
  mock = await MockServices.start();
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  sdk = { Client, StreamableHTTPClientTransport };

  const t = await server.createTenant('MCP Business', 'business');
  biz = new StripeTenant(server, t);
  await biz.install({ autoPost: true });
  const paid = invoicePaid();
  assert.equal((await biz.send(paid.body)).status, 200);
  biz.paid = paid;
  await biz.post('{"not":"signed"}'); // a failed webhook in the log
  const ep = mock.endpoint('slack');
  let res = await server.request(`/api/projects/${t.tenantId}/connectors`, {
    method: 'POST', token: t.token, json: { type: 'slack', config: ep.config, eventTypes: ['*'] },
  });
  assert.equal(res.status, 201, res.text);
  connectorId = res.json.id;
  res = await server.request(`/api/projects/${t.tenantId}/events`, {
    method: 'POST', token: t.token,
    json: { type: 'payment.settled', data: { provider: 'stripe', amount: '10.00', currency: 'EUR' } },
  });
  assert.equal(res.status, 201, res.text);
  await ep.waitFor(1);
  for (let i = 0; i < 100 && !deliveryId; i++) {
    res = await server.request(`/api/projects/${t.tenantId}/connectors/${connectorId}/deliveries`, { token: t.token });
    const d = res.json.deliveries.find((x) => x.status === 'delivered');
    if (d) deliveryId = d.id;
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(deliveryId, 'a delivered delivery');
  res = await server.request('/api/connectors/clockify/install', {
    method: 'POST', token: t.token,
    json: { config: { apiKey: 'ck_' + 'a'.repeat(40), workspaceId: 'a'.repeat(24), apiBaseUrl: `${mock.url}/nowhere` } },
  });
  assert.equal(res.status, 201, res.text);
  member = await server.createToken(t.tenantId, 'member');
  res = await server.request('/api/tokens', { method: 'POST', token: t.token, json: { name: 'ro', role: 'admin', readOnly: true } });
  assert.equal(res.status, 201, res.text);
  readOnly = res.json.token;
});

after(async () => {
  await server?.stop();
  await mock?.stop?.();
});

async function connect(token) {
  const transport = new sdk.StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new sdk.Client({ name: 'connectord-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function text(result) {
  return result.content.map((c) => c.text).join('\n');
}

describe('the SDK client (2025-11-25, initialize and a session)', () => {
  test('initialize negotiates 2025-11-25 and names the server', async () => {
    const { client, transport } = await connect(biz.token);
    assert.equal(client.getServerVersion().name, 'connectord');
    assert.ok(client.getServerCapabilities().tools);
    assert.match(client.getInstructions() || '', /books/);
    assert.ok(transport.sessionId, 'a session id was minted');
    assert.equal(transport.protocolVersion, '2025-11-25');
    await client.ping();
    await client.close();
  });

  test('an admin token lists every tool, each with input and output schemas', async () => {
    const { client } = await connect(biz.token);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.deepEqual(names, [...QUERY_TOOLS, ...ADMIN_READ_TOOLS, ...WRITE_TOOLS]);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.outputSchema?.type, 'object', t.name);
      assert.equal(typeof t.description, 'string');
      assert.equal(t.annotations.readOnlyHint, !WRITE_TOOLS.includes(t.name), t.name);
    }
    await client.close();
  });

  test('every tool answers with structured content', async () => {
    const { client } = await connect(biz.token);
    const calls = {
      open_invoices: {}, overdue_invoices: {}, revenue: { period: String(new Date().getUTCFullYear()) },
      expenses: { period: String(new Date().getUTCFullYear()) }, vat_due: { period: String(new Date().getUTCFullYear()) },
      top_suppliers: { period: String(new Date().getUTCFullYear()) }, top_customers: {},
      find_invoice: { amount: '99.00' }, failed_webhooks: {}, failed_deliveries: {}, connectors: {},
      last_sync: {}, webhook_logs: { slug: 'stripe' }, deliveries: { connectorId },
      retry_delivery: { connectorId, deliveryId }, start_sync: { slug: 'clockify' },
    };
    assert.deepEqual(Object.keys(calls).sort(), [...QUERY_TOOLS, ...ADMIN_READ_TOOLS, ...WRITE_TOOLS].sort());
    const out = {};
    for (const [name, args] of Object.entries(calls)) {
      const r = await client.callTool({ name, arguments: args });
      assert.equal(r.isError, false, `${name}: ${text(r)}`);
      assert.equal(typeof r.structuredContent, 'object', name);
      assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent, name);
      out[name] = r.structuredContent;
    }
    // what the books hold, as the REST API shows it
    assert.equal(out.expenses.query, 'expenses');
    assert.match(JSON.stringify(out.expenses), /"value":"99.00"/);
    assert.ok(out.find_invoice.invoices?.length >= 1, JSON.stringify(out.find_invoice));
    assert.ok(out.webhook_logs.logs.some((l) => l.status === 'processed'));
    assert.ok(out.webhook_logs.logs.some((l) => l.status === 'invalid_signature'));
    assert.ok(out.deliveries.deliveries.some((d) => d.id === deliveryId));
    assert.equal(out.retry_delivery.id, deliveryId);
    assert.equal(out.start_sync.status, 'queued');
    assert.ok(out.connectors.connectors.some((c) => JSON.stringify(c).includes('stripe')));
    await client.close();
  });

  test('tool failures are isError results with a clear text', async () => {
    const { client } = await connect(biz.token);
    let r = await client.callTool({ name: 'revenue', arguments: { period: 'last week-ish' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /period/);
    r = await client.callTool({ name: 'webhook_logs', arguments: { slug: 'no-such' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /not_found/);
    r = await client.callTool({ name: 'deliveries', arguments: {} });
    assert.equal(r.isError, true);
    assert.match(text(r), /connectorId/);
    r = await client.callTool({ name: 'retry_delivery', arguments: { connectorId, deliveryId: 'dlv_nope' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /not found/);
    // an unknown tool is a protocol error
    await assert.rejects(client.callTool({ name: 'drop_tables', arguments: {} }), /unknown tool/i);
    await client.close();
  });

  test('a member token gets the read tools only and is refused the others', async () => {
    const { client } = await connect(member);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), QUERY_TOOLS);
    const ok = await client.callTool({ name: 'open_invoices', arguments: {} });
    assert.equal(ok.isError, false, text(ok));
    for (const name of [...ADMIN_READ_TOOLS, ...WRITE_TOOLS]) {
      const r = await client.callTool({ name, arguments: { connectorId, deliveryId, slug: 'clockify' } });
      assert.equal(r.isError, true, name);
      assert.match(text(r), /needs an admin token/, name);
    }
    await client.close();
  });

  test('a read-only admin token reads but cannot retry or sync', async () => {
    const { client } = await connect(readOnly);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), [...QUERY_TOOLS, ...ADMIN_READ_TOOLS]);
    const r = await client.callTool({ name: 'retry_delivery', arguments: { connectorId, deliveryId } });
    assert.equal(r.isError, true);
    assert.match(text(r), /read-only/);
    const logs = await client.callTool({ name: 'webhook_logs', arguments: { slug: 'stripe' } });
    assert.equal(logs.isError, false, text(logs));
    await client.close();
  });

  test('plans below Business are refused 403 plan_required', async () => {
    const pro = await server.createTenant('MCP Pro', 'pro');
    await assert.rejects(connect(pro.token), /403|plan_required/);
    const res = await server.request('/mcp', {
      method: 'POST', token: pro.token, headers: { accept: 'application/json, text/event-stream' },
      json: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } },
    });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.error.code, 'plan_required');
    assert.equal(res.json.error.requiredPlan, 'business');
  });

  test('a bad token is 401 with a Bearer challenge', async () => {
    await assert.rejects(connect('cdk_' + 'x'.repeat(43)), /401|nauthorized/);
    const res = await server.request('/mcp', { method: 'POST', json: { jsonrpc: '2.0', id: 1, method: 'ping' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /^Bearer/);
  });
});

// ---- the legacy transport by hand: sessions and headers -------------------------------------

function rpc(token, body, headers = {}) {
  return server.request('/mcp', {
    method: 'POST', token, json: body,
    headers: { accept: 'application/json, text/event-stream', ...headers },
  });
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize',
               params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('2025-11-25 and earlier, by hand', () => {
  test('initialize negotiates: a supported version is kept, an unknown one gets the newest', async () => {
    let res = await rpc(biz.token, INIT);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.protocolVersion, '2025-06-18');
    assert.equal(res.json.result.resultType, undefined);
    assert.ok(res.headers.get('mcp-session-id'));
    res = await rpc(biz.token, { ...INIT, params: { ...INIT.params, protocolVersion: '2024-01-01' } });
    assert.equal(res.json.result.protocolVersion, '2025-11-25');
  });

  test('the session id is required, checked, and bound to the token', async () => {
    const init = await rpc(biz.token, INIT);
    const sid = init.headers.get('mcp-session-id');
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    let res = await rpc(biz.token, ping, { 'mcp-protocol-version': '2025-06-18' });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, -32600);
    res = await rpc(biz.token, ping, { 'mcp-session-id': sid.slice(0, -1) + (sid.endsWith('0') ? '1' : '0'), 'mcp-protocol-version': '2025-06-18' });
    assert.equal(res.status, 404, res.text);
    res = await rpc(member, ping, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(res.status, 404, 'another token cannot use the session');
    res = await rpc(biz.token, ping, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(res.status, 400, res.text);
    res = await rpc(biz.token, ping, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { jsonrpc: '2.0', id: 2, result: {} });
    res = await rpc(biz.token, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    // 2025-03-26 (no header) has no structured output
    res = await rpc(biz.token, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': sid });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.result.tools.every((t) => !t.outputSchema));
  });

  test('GET and DELETE are 405: there is no server stream and sessions end by themselves', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await server.request('/mcp', { method, token: biz.token, headers: { accept: 'text/event-stream' } });
      assert.equal(res.status, 405, method);
      assert.match(res.headers.get('allow'), /POST/);
    }
  });
});

// ---- the stateless revision 2026-07-28 ----------------------------------------------------------

const V = '2026-07-28';
function modern(method, params = {}, { id = 1, headers = {}, token = biz.token, version = V } = {}) {
  const body = { jsonrpc: '2.0', method, params: { ...params, _meta: {
    'io.modelcontextprotocol/protocolVersion': version,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } } } };
  if (id !== null) body.id = id;
  const h = { 'mcp-protocol-version': version, 'mcp-method': method, ...headers };
  if (method === 'tools/call' && !('mcp-name' in h)) h['mcp-name'] = params.name;
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return rpc(token, body, h);
}

describe('2026-07-28, stateless', () => {
  test('server/discover names the versions, the capabilities and the server', async () => {
    const res = await modern('server/discover');
    assert.equal(res.status, 200, res.text);
    const r = res.json.result;
    assert.equal(r.resultType, 'complete');
    assert.ok(r.supportedVersions.includes(V));
    assert.ok(r.supportedVersions.includes('2025-11-25'));
    assert.deepEqual(r.capabilities, { tools: {} });
    assert.equal(r.cacheScope, 'public');
    assert.ok(r.ttlMs > 0);
    assert.equal(r._meta['io.modelcontextprotocol/serverInfo'].name, 'connectord');
    assert.equal(res.headers.get('mcp-session-id'), null, 'no sessions');
  });

  test('tools/list and tools/call carry resultType; lists are private to the token', async () => {
    let res = await modern('tools/list', {}, { headers: { 'mcp-session-id': 'ignored' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.resultType, 'complete');
    assert.equal(res.json.result.cacheScope, 'private');
    assert.equal(res.json.result.tools.length, QUERY_TOOLS.length + ADMIN_READ_TOOLS.length + WRITE_TOOLS.length);
    res = await modern('tools/list', {}, { token: member });
    assert.equal(res.json.result.tools.length, QUERY_TOOLS.length);
    res = await modern('tools/call', { name: 'open_invoices', arguments: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.resultType, 'complete');
    assert.equal(res.json.result.isError, false);
    assert.equal(res.json.result.structuredContent.query, 'open_invoices');
    res = await modern('tools/call', { name: 'start_sync', arguments: { slug: 'clockify' } }, { token: member });
    assert.equal(res.json.result.isError, true);
  });

  test('headers must match the body: 400 HeaderMismatch (-32020)', async () => {
    const cases = [
      { 'mcp-protocol-version': undefined },
      { 'mcp-protocol-version': '2025-11-25' },
      { 'mcp-method': undefined },
      { 'mcp-method': 'tools/list' },
      { 'mcp-name': undefined },
      { 'mcp-name': 'revenue' },
    ];
    for (const headers of cases) {
      const res = await modern('tools/call', { name: 'open_invoices', arguments: {} }, { headers });
      assert.equal(res.status, 400, `${JSON.stringify(headers)}: ${res.text}`);
      assert.equal(res.json.error.code, -32020, JSON.stringify(headers));
    }
    // a name that is not plain ASCII travels base64-encoded
    const enc = `=?base64?${Buffer.from('open_invoices').toString('base64')}?=`;
    const res = await modern('tools/call', { name: 'open_invoices', arguments: {} }, { headers: { 'mcp-name': enc } });
    assert.equal(res.status, 200, res.text);
  });

  test('an unsupported version is 400 -32022 with the supported ones', async () => {
    const res = await modern('tools/list', {}, { version: '2027-01-01' });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, -32022);
    assert.equal(res.json.error.data.requested, '2027-01-01');
    assert.ok(res.json.error.data.supported.includes(V));
  });

  test('unknown methods (ping, initialize\'s era) are 404 -32601; notifications 202', async () => {
    for (const m of ['ping', 'resources/list']) {
      const res = await modern(m);
      assert.equal(res.status, 404, res.text);
      assert.equal(res.json.error.code, -32601);
    }
    const note = await modern('notifications/cancelled', { requestId: 1 }, { id: null });
    assert.equal(note.status, 202);
    const noCaps = await rpc(biz.token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': V } } },
                             { 'mcp-protocol-version': V, 'mcp-method': 'tools/list' });
    assert.equal(noCaps.status, 400, noCaps.text);
  });

  test('SSE only when the client asks for it alone', async () => {
    const res = await fetch(`${server.baseUrl}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${biz.token}`, 'content-type': 'application/json', accept: 'text/event-stream',
                 'mcp-protocol-version': V, 'mcp-method': 'server/discover' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'server/discover', params: { _meta: {
        'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    const body = await res.text();
    const m = /^event: message\ndata: (.*)\n\n$/.exec(body);
    assert.ok(m, body);
    assert.equal(JSON.parse(m[1]).id, 7);
    const json = await modern('server/discover');
    assert.equal(json.headers.get('content-type'), 'application/json');
  });

  test('a body that is not one JSON-RPC request is refused', async () => {
    let res = await rpc(biz.token, [{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, -32600);
    res = await server.request('/mcp', { method: 'POST', token: biz.token, body: '{oops', headers: { 'content-type': 'application/json', accept: 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, -32700);
    res = await server.request('/mcp', { method: 'POST', token: biz.token, json: { jsonrpc: '2.0', id: 1, method: 'ping' }, headers: { origin: 'https://evil.example' } });
    assert.equal(res.status, 403);
  });
});
