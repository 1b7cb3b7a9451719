// tests/e2e/lib/mock-payouts.js - one local HTTP server that plays the payment providers'
// reporting APIs the payout pulls read (payouts/ in the source): Stripe under /stripe
// (balance transactions, payouts, events), SumUp under /sumup (transaction history), PayPal
// under /paypal (OAuth client credentials, transaction search) and Klarna under /klarna
// (settlements: payouts and their transactions; order management: orders, acknowledge).
//
// Each keeps its objects in memory in the shape the provider documents, checks every request
// the way the real API would (the Bearer key, the window and paging parameters), records it
// with its problems, and pages as the provider does: Stripe newest first with has_more and
// starting_after, SumUp by a links[] entry with rel "next" whose href is the next query,
// PayPal by page and total_pages (at most 31 days a request), Klarna by offset and
// pagination.total. Each pages at most pageSize items, fewer than the clients ask for, so a
// test sees several pages.
// A test scripts failures: the next matching requests answer a given status and body.
'use strict';

const http = require('node:http');

const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

class MockPayouts {
  constructor() {
    this.requests = [];
    this.scripts = [];
    this.stripe = { key: 'rk_test_payouts_0001', pageSize: 2, balance: [], payouts: [], events: [] };
    this.sumup = { key: 'sup_sk_payouts_0001', merchant: 'MH4H92C7', pageSize: 2, items: [] };
    this.paypal = { clientId: 'AeP-client-0001', secret: 'EPp-secret-0001', token: 'A21AApaypal0001',
                    pageSize: 2, transactions: [], tokens: 0 };
    this.klarna = { user: 'K123456_abcdef', password: 'klarna-pass-0001', pageSize: 2, payouts: [],
                    transactions: [], orders: new Map(), acknowledged: [] };
  }

  async start() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    if (this.server) await new Promise((resolve) => this.server.close(resolve));
  }

  script(service, { pathPart = '', status, body = '', headers = {}, times = 1 }) {
    this.scripts.push({ service, pathPart, status, body, headers, times });
  }

  requestsOf(service) {
    return this.requests.filter((r) => r.service === service);
  }

  async handle(req, res) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url, this.base);
    const service = url.pathname.split('/')[1];
    const rec = { service, method: req.method, path: url.pathname,
                  query: Object.fromEntries(url.searchParams), headers: req.headers, body: raw, problems: [] };
    this.requests.push(rec);
    const send = (status, body, headers = {}) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const idx = this.scripts.findIndex((s) => s.service === service && url.pathname.includes(s.pathPart));
    if (idx >= 0) {
      const s = this.scripts[idx];
      if (--s.times <= 0) this.scripts.splice(idx, 1);
      return send(s.status, s.body, s.headers);
    }
    const handler = { stripe: this.stripeAnswer, sumup: this.sumupAnswer, paypal: this.paypalAnswer,
                      klarna: this.klarnaAnswer }[service];
    if (!handler) return send(404, { error: 'no such service' });
    const [status, body] = handler.call(this, rec, url);
    send(status, body);
  }

  // ---- Stripe ------------------------------------------------------------------------------

  stripeAnswer(rec, url) {
    const s = this.stripe;
    if (rec.method !== 'GET') rec.problems.push(`method ${rec.method}`);
    if (rec.headers.authorization !== `Bearer ${s.key}`)
      return [401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }];
    const gte = rec.query['created[gte]'];
    if (!/^\d+$/.test(gte || '')) rec.problems.push(`created[gte] ${gte}`);
    if (rec.query.limit !== '100') rec.problems.push(`limit ${rec.query.limit}`);
    const lists = { '/stripe/v1/balance_transactions': s.balance, '/stripe/v1/payouts': s.payouts,
                    '/stripe/v1/events': s.events };
    let list = lists[url.pathname];
    if (!list) return [404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } }];
    if (url.pathname.endsWith('/events')) {
      if (rec.query.delivery_success !== 'false') rec.problems.push('events without delivery_success=false');
      list = list.filter((e) => !e.delivered);
    }
    list = list.filter((o) => o.created >= Number(gte)).sort((a, b) => b.created - a.created ||
                                                                  (a.id < b.id ? 1 : -1));
    let start = 0;
    if (rec.query.starting_after) {
      start = list.findIndex((o) => o.id === rec.query.starting_after) + 1;
      if (start === 0) rec.problems.push(`unknown starting_after ${rec.query.starting_after}`);
    }
    const page = list.slice(start, start + s.pageSize).map((o) => {
      const { delivered, ...rest } = o;
      void delivered;
      return rest;
    });
    return [200, { object: 'list', url: url.pathname.replace('/stripe', ''), has_more: start + s.pageSize < list.length,
                   data: page }];
  }

  // ---- SumUp -------------------------------------------------------------------------------

  sumupAnswer(rec, url) {
    const s = this.sumup;
    if (rec.headers.authorization !== `Bearer ${s.key}`)
      return [401, { error_code: 'NOT_AUTHORIZED', message: 'Unauthorized' }];
    if (url.pathname !== `/sumup/v2.1/merchants/${s.merchant}/transactions/history`)
      return [404, { error_code: 'NOT_FOUND', message: 'Not found' }];
    if (!RFC3339_SECONDS.test(rec.query.oldest_time || '') && !rec.query.oldest_ref)
      rec.problems.push(`oldest_time ${rec.query.oldest_time}`);
    if (rec.query.order !== 'ascending') rec.problems.push(`order ${rec.query.order}`);
    const since = rec.query.oldest_time || '';
    let list = s.items.filter((i) => i.timestamp >= since.replace('Z', '.000Z'))
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
    let start = 0;
    if (rec.query.oldest_ref) {
      start = list.findIndex((i) => i.id === rec.query.oldest_ref) + 1;
      if (start === 0) rec.problems.push(`unknown oldest_ref ${rec.query.oldest_ref}`);
    }
    const page = list.slice(start, start + s.pageSize);
    const links = [];
    if (start + s.pageSize < list.length)
      links.push({ rel: 'next', href: `limit=${s.pageSize}&oldest_ref=${page[page.length - 1].id}&order=ascending` });
    return [200, { items: page, links }];
  }

  // ---- PayPal ------------------------------------------------------------------------------

  paypalAnswer(rec, url) {
    const p = this.paypal;
    if (url.pathname === '/paypal/v1/oauth2/token') {
      const basic = `Basic ${Buffer.from(`${p.clientId}:${p.secret}`).toString('base64')}`;
      if (rec.method !== 'POST' || rec.headers.authorization !== basic)
        return [401, { error: 'invalid_client', error_description: 'Client Authentication failed' }];
      if (rec.body !== 'grant_type=client_credentials') rec.problems.push(`token body ${rec.body}`);
      p.tokens++;
      return [200, { scope: 'https://uri.paypal.com/services/reporting/search/read', access_token: p.token,
                     token_type: 'Bearer', app_id: 'APP-80W284485P519543T', expires_in: 32400, nonce: 'n' }];
    }
    if (rec.headers.authorization !== `Bearer ${p.token}`)
      return [401, { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials' }];
    if (url.pathname !== '/paypal/v1/reporting/transactions')
      return [404, { name: 'RESOURCE_NOT_FOUND' }];
    const { start_date: start, end_date: end } = rec.query;
    if (!RFC3339_SECONDS.test(start || '') || !RFC3339_SECONDS.test(end || ''))
      rec.problems.push(`dates ${start} ${end}`);
    if (Date.parse(end) - Date.parse(start) > 31 * 86400000)
      return [400, { name: 'INVALID_REQUEST', message: 'Date range is greater than 31 days' }];
    if (rec.query.fields !== 'transaction_info') rec.problems.push(`fields ${rec.query.fields}`);
    const size = Math.min(Number(rec.query.page_size), p.pageSize);
    const page = Number(rec.query.page);
    const list = p.transactions.filter((t) => {
      const at = Date.parse(t.transaction_initiation_date);
      return at >= Date.parse(start) && at <= Date.parse(end);
    });
    const totalPages = Math.max(1, Math.ceil(list.length / size));
    return [200, { transaction_details: list.slice((page - 1) * size, page * size).map((t) => ({ transaction_info: t })),
                   account_number: 'XZXSPECYZ9ZGA', start_date: start, end_date: end, page,
                   total_items: list.length, total_pages: totalPages }];
  }

  // ---- Klarna ------------------------------------------------------------------------------

  klarnaAnswer(rec, url) {
    const k = this.klarna;
    const basic = `Basic ${Buffer.from(`${k.user}:${k.password}`).toString('base64')}`;
    if (rec.headers.authorization !== basic)
      return [401, { error_code: 'UNAUTHORIZED', error_messages: ['Unauthorized'] }];
    const order = /^\/klarna\/ordermanagement\/v1\/orders\/([^/]+)(\/acknowledge)?$/.exec(url.pathname);
    if (order) {
      const o = k.orders.get(order[1]);
      if (!o) return [404, { error_code: 'NO_SUCH_ORDER', error_messages: ['No such order'] }];
      if (order[2]) {
        k.acknowledged.push(order[1]);
        return [204, ''];
      }
      return [200, o];
    }
    const size = Math.min(Number(rec.query.size), k.pageSize);
    const offset = Number(rec.query.offset);
    if (!(size > 0) || !(offset >= 0)) rec.problems.push(`paging ${rec.query.size} ${rec.query.offset}`);
    let list, key;
    if (url.pathname === '/klarna/settlements/v1/payouts') {
      const { start_date: start, end_date: end } = rec.query;
      if (!RFC3339_SECONDS.test(start || '') || !RFC3339_SECONDS.test(end || ''))
        rec.problems.push(`dates ${start} ${end}`);
      list = k.payouts.filter((p) => p.payout_date >= start && p.payout_date <= end);
      key = 'payouts';
    } else if (url.pathname === '/klarna/settlements/v1/transactions') {
      list = k.transactions.filter((t) => t.payment_reference === rec.query.payment_reference);
      key = 'transactions';
    } else {
      return [404, { error_code: 'NOT_FOUND' }];
    }
    const page = list.slice(offset, offset + size);
    return [200, { [key]: page, pagination: { count: page.length, total: list.length, offset } }];
  }
}

module.exports = { MockPayouts };
