// tests/e2e/lib/mock-timetracking.js - one local HTTP server that plays the time-tracking
// services the sync engine pulls from (Clockify, mite, Toggl Track, Timely), each under a
// path prefix (/clockify/api, /mite, /toggl, /timely/1.1) that the install's apiBaseUrl
// points at.
//
// Each service keeps its entries in memory in the shape its API documents, checks every
// request the way the real API would (auth header or Basic credentials, the window
// parameters' format, the paging parameters) and records it with its problems, so a test
// can assert that connectord asked correctly. It pages as the service does (Clockify page +
// page-size, mite page + limit over {"time_entry": ...} rows, Toggl's Reports API v3 with
// X-Next-ID / X-Next-Row-Number, Timely page + per_page). A test scripts failures per
// service: the next matching requests answer a given status, headers and body (a 429 with
// Retry-After, a 500, a 402 quota), and a delay slows every answer.
'use strict';

const http = require('node:http');

const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const DATE = /^\d{4}-\d\d-\d\d$/;

class MockTimeTracking {
  constructor() {
    this.requests = [];
    this.scripts = [];
    this.delayMs = 0;
    this.clockify = { key: 'clk-key-1', workspace: 'a1b2c3d4e5f6a1b2c3d4e5f6', userId: 'u-77', entries: [] };
    this.mite = { key: 'mite-key-1', currency: 'EUR', entries: [] };
    this.toggl = { token: 'tgl-token-1', workspace: '4242', rows: [] };
    this.timely = { token: 'timely-access-1', account: 9001, entries: [], clientId: 'timely-app-1',
                    clientSecret: 'timely-secret-1', code: 'consent-code-1', issued: 1 };
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

  // The next `times` requests of service whose path includes pathPart answer this instead.
  script(service, { pathPart = '', status, headers = {}, body = '', times = 1, when }) {
    this.scripts.push({ service, pathPart, status, headers, body, times, when });
  }

  requestsOf(service) {
    return this.requests.filter((r) => r.service === service);
  }

  async handle(req, res) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url, this.base);
    const service = url.pathname.split('/')[1];
    const rec = { service, method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
                  headers: req.headers, body: raw, problems: [], at: Date.now() };
    this.requests.push(rec);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const send = (status, body, headers = {}) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const idx = this.scripts.findIndex((s) => s.service === service && url.pathname.includes(s.pathPart) &&
                                              (!s.when || s.when(rec)));
    if (idx >= 0) {
      const s = this.scripts[idx];
      if (--s.times <= 0) this.scripts.splice(idx, 1);
      rec.scripted = true;
      return send(s.status, s.body, s.headers);
    }
    const handler = { clockify: this.clockifyAnswer, mite: this.miteAnswer, toggl: this.togglAnswer,
                      timely: this.timelyAnswer }[service];
    if (!handler) return send(404, { message: 'no such service' });
    const [status, body, headers] = handler.call(this, rec, url);
    send(status, body, headers);
  }

  // ---- Clockify: X-Api-Key; GET /api/v1/user; time entries of the user, page + page-size,
  // start/end as RFC 3339 with seconds and Z. Entries: {id, description, billable, userId,
  // timeInterval{start, end, duration}, hourlyRate{amount, currency}, project{name, clientId, clientName}}.
  clockifyAnswer(rec, url) {
    const c = this.clockify;
    if (rec.headers['x-api-key'] !== c.key)
      return [401, { message: 'Full authentication is required to access this resource', code: 1000 }];
    if (url.pathname === '/clockify/api/v1/user')
      return [200, { id: c.userId, email: 'ada@example.com', name: 'Ada', activeWorkspace: c.workspace }];
    const m = url.pathname.match(/^\/clockify\/api\/v1\/workspaces\/([^/]+)\/user\/([^/]+)\/time-entries$/);
    if (!m) return [404, { message: 'not found' }];
    const p = rec.problems;
    if (m[1] !== c.workspace) p.push(`workspace ${m[1]}`);
    if (m[2] !== c.userId) p.push(`user ${m[2]}`);
    const { start, end, page = '1', hydrated } = rec.query;
    const size = Number(rec.query['page-size'] || 50);
    if (!RFC3339_SECONDS.test(start || '')) p.push(`start ${start}`);
    if (!RFC3339_SECONDS.test(end || '')) p.push(`end ${end}`);
    if (hydrated !== 'true') p.push('not hydrated');
    if (!(size >= 1 && size <= 5000)) p.push(`page-size ${size}`);
    if (p.length) return [400, { message: p.join('; ') }];
    const inWindow = c.entries.filter((e) => e.timeInterval.start >= start && e.timeInterval.start <= end)
      .sort((a, b) => (a.timeInterval.start < b.timeInterval.start ? 1 : -1));
    const from = (Number(page) - 1) * size;
    return [200, inWindow.slice(from, from + size)];
  }

  // ---- mite: X-MiteApiKey and a User-Agent; /account.json; /time_entries.json?from&to
  // (dates) &limit&page; rows {"time_entry": {...}}; money in cents.
  miteAnswer(rec, url) {
    const m = this.mite;
    if (rec.headers['x-miteapikey'] !== m.key) return [401, { error: 'Access denied. Please pass correct API key.' }];
    if (!rec.headers['user-agent']) rec.problems.push('no User-Agent');
    if (url.pathname === '/mite/account.json')
      return [200, { account: { id: 1, name: 'acme', currency: m.currency } }];
    if (url.pathname !== '/mite/time_entries.json') return [404, { error: 'not found' }];
    const { from, to } = rec.query;
    const limit = Number(rec.query.limit || 0), page = Number(rec.query.page || 1);
    if (!DATE.test(from || '') || !DATE.test(to || '')) rec.problems.push(`window ${from}..${to}`);
    if (!(limit >= 1)) rec.problems.push(`limit ${rec.query.limit}`);
    if (rec.problems.length) return [400, { error: rec.problems.join('; ') }];
    const rows = m.entries.filter((e) => e.date_at >= from && e.date_at <= to)
      .map((e) => ({ time_entry: e }));
    return [200, rows.slice((page - 1) * limit, page * limit)];
  }

  // ---- Toggl Reports API v3: Basic <token>:api_token; POST
  // /reports/api/v3/workspace/{wid}/search/time_entries {start_date, end_date, page_size,
  // first_id?, first_row_number?}; rows grouped by user/project with time_entries[]; the next
  // page's start in X-Next-ID and X-Next-Row-Number.
  togglAnswer(rec, url) {
    const t = this.toggl;
    const want = 'Basic ' + Buffer.from(`${t.token}:api_token`).toString('base64');
    if (rec.headers.authorization !== want) return [403, 'Incorrect username and/or password'];
    const m = url.pathname.match(/^\/toggl\/reports\/api\/v3\/workspace\/([^/]+)\/search\/time_entries$/);
    if (!m || rec.method !== 'POST') return [404, 'not found'];
    let body;
    try {
      body = JSON.parse(rec.body);
    } catch {
      return [400, 'body is not JSON'];
    }
    rec.json = body;
    if (m[1] !== t.workspace) rec.problems.push(`workspace ${m[1]}`);
    if (!DATE.test(body.start_date || '') || !DATE.test(body.end_date || '')) rec.problems.push('dates');
    const days = (Date.parse(body.end_date) - Date.parse(body.start_date)) / 86400000;
    if (days > 366) rec.problems.push(`range of ${days} days`);
    if (rec.problems.length) return [400, rec.problems.join('; ')];
    const size = body.page_size || 50;
    const rows = t.rows.filter((r) => r.time_entries[0].start.slice(0, 10) >= body.start_date &&
                                      r.time_entries[0].start.slice(0, 10) <= body.end_date);
    const startRow = body.first_row_number ? body.first_row_number - 1 : 0;
    if (body.first_row_number && rows[startRow] && rows[startRow].time_entries[0].id !== body.first_id)
      rec.problems.push(`first_id ${body.first_id} is not row ${body.first_row_number}`);
    const slice = rows.slice(startRow, startRow + size);
    const next = rows[startRow + size];
    const headers = next ? { 'X-Next-ID': String(next.time_entries[0].id),
                             'X-Next-Row-Number': String(startRow + size + 1) } : {};
    return [200, slice, headers];
  }

  // ---- Timely: Bearer access token; GET /1.1/accounts; /1.1/{account}/events?since&upto
  // (dates) &page&per_page.
  timelyAnswer(rec, url) {
    const t = this.timely;
    if (url.pathname === '/timely/1.1/oauth/token' && rec.method === 'POST') {
      const form = Object.fromEntries(new URLSearchParams(rec.body));
      rec.form = form;
      const client = form.client_id === t.clientId && form.client_secret === t.clientSecret;
      if (!client) return [401, { error: 'invalid_client' }];
      if (form.grant_type === 'authorization_code' && form.code === t.code) {
        t.refresh = 'timely-refresh-1';
        return [200, { access_token: t.token, token_type: 'bearer', refresh_token: t.refresh, expires_in: 7200 }];
      }
      if (form.grant_type === 'refresh_token' && form.refresh_token === t.refresh) {
        t.token = `timely-access-${++t.issued}`;
        return [200, { access_token: t.token, token_type: 'bearer', expires_in: 7200 }];
      }
      return [400, { error: 'invalid_grant' }];
    }
    if (rec.headers.authorization !== `Bearer ${t.token}`) return [401, { error: 'invalid_token' }];
    if (url.pathname === '/timely/1.1/accounts') return [200, [{ id: t.account, name: 'Acme' }]];
    if (url.pathname !== `/timely/1.1/${t.account}/events`) return [404, { error: 'not found' }];
    const { since, upto } = rec.query;
    const per = Number(rec.query.per_page || 0), page = Number(rec.query.page || 1);
    if (!DATE.test(since || '') || !DATE.test(upto || '')) rec.problems.push(`window ${since}..${upto}`);
    if (!(per >= 1)) rec.problems.push(`per_page ${rec.query.per_page}`);
    if (rec.problems.length) return [400, { error: rec.problems.join('; ') }];
    const list = t.entries.filter((e) => e.day >= since && e.day <= upto);
    return [200, list.slice((page - 1) * per, page * per)];
  }
}

// Polls the connector's runs until run `id` has ended; resolves the run.
async function waitRun(server, token, slug, id, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await server.request(`/api/connectors/${slug}/sync-runs?limit=100`, { token });
    const run = (r.json.runs || []).find((x) => x.id === id);
    if (run && (run.status === 'succeeded' || run.status === 'failed')) return run;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`run ${id} of ${slug} did not end within ${timeoutMs} ms`);
}

// Starts a run and waits for its end.
async function syncNow(server, token, slug) {
  const r = await server.request(`/api/connectors/${slug}/sync`, { method: 'POST', token });
  if (r.status !== 202) throw new Error(`sync ${slug}: ${r.status} ${r.text}`);
  return waitRun(server, token, slug, r.json.id);
}

// Every time entry of the tenant (all pages), with the query given.
async function allEntries(server, token, query = '') {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '100');
    if (cursor) q.set('cursor', cursor);
    const r = await server.request(`/api/time-entries?${q}`, { token });
    if (r.status !== 200) throw new Error(`time-entries: ${r.status} ${r.text}`);
    out.push(...r.json.timeEntries);
    cursor = r.json.nextCursor;
  } while (cursor);
  return out;
}

module.exports = { MockTimeTracking, waitRun, syncNow, allEntries };
