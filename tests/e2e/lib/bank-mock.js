// tests/e2e/lib/bank-mock.js - local mocks of the three bank data services connectord's
// bank drivers speak (src/bank/), on one port, each under its own prefix (its apiBaseUrl):
//
//   /gc  GoCardless Bank Account Data v2: secret id and key for tokens (24 h access, a
//        refresh token that renews it), institutions, end-user agreements, requisitions and
//        their link, accounts, details, transactions with the account-success rate-limit
//        headers: 4 successful calls per account and day, a 429 with the headers after that
//        or when the test says so; an expired agreement on request.
//   /eb  Enable Banking: every request's JWT is verified with the application's public key
//        (RS256, kid, iss, aud, iat, exp); /aspsps, POST /auth, the bank's page that sends
//        the browser back with a code, POST /sessions, transactions in pages joined by
//        continuation_key; an expired session on request.
//   /rv  Revolut Business: the consent page, POST /api/1.0/auth/token with the RS256 client
//        assertion verified (iss, sub, aud, exp), access tokens that expire, accounts, and
//        transactions newest first, at most `count`, between from (inclusive) and to
//        (exclusive).
//
// Every request is recorded with what the mock found wrong with it (`problems`); tests
// assert that list stays empty, so a request with bad auth or shape fails the test.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function keyPair() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }), publicKey };
}

// Verifies an RS256 JWT with publicKey; returns {header, claims} or throws with why.
function verifyJwt(token, publicKey) {
  const parts = (token || '').split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  if (header.alg !== 'RS256') throw new Error(`alg ${header.alg}`);
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKey,
                           Buffer.from(parts[2], 'base64url'));
  if (!ok) throw new Error('bad signature');
  const now = Math.floor(Date.now() / 1000);
  if (!(claims.exp > now)) throw new Error('expired');
  return { header, claims };
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function uuid() {
  return crypto.randomUUID();
}

class BankMock {
  constructor() {
    this.requests = [];   // { service, method, path, query, body, auth }
    this.problems = [];   // what was wrong with a request
    // GoCardless
    this.gc = {
      secretId: 'gc-secret-id', secretKey: 'gc-secret-key-' + crypto.randomBytes(8).toString('hex'),
      accessExpires: 86400, access: new Map(), refresh: new Map(),
      requisitions: new Map(), agreements: new Map(),
      accounts: new Map(),   // id -> { iban, name, currency, identity }
      ibanAccounts: [{ iban: 'AT611904300234573201', name: 'Acme GmbH Geschäftskonto', currency: 'EUR' }],
      transactions: new Map(), // iban -> { booked: [], pending: [] }
      calls: new Map(),      // account id -> successful transactions calls today
      limit: 4, rateLimitNext: false, expired: false, closingBooked: '1200.00',
    };
    // Enable Banking
    const eb = keyPair();
    this.eb = {
      appId: 'eb-app-' + crypto.randomBytes(4).toString('hex'), privatePem: eb.privatePem,
      publicKey: eb.publicKey, auths: new Map(), codes: new Map(), sessions: new Map(),
      accounts: [{ iban: 'DE89370400440532013000', name: 'Acme Operating', currency: 'EUR',
                   hash: 'ihash-' + crypto.randomBytes(6).toString('hex') }],
      transactions: new Map(), // iban -> [ transaction ] (pages of pageSize)
      pageSize: 2, expired: false, jwts: [],
      validUntil: null, // an ISO time the bank grants instead of what was asked (a shorter consent)
    };
    // Revolut
    const rv = keyPair();
    this.rv = {
      clientId: 'rv-client-' + crypto.randomBytes(4).toString('hex'), privatePem: rv.privatePem,
      publicKey: rv.publicKey, codes: new Map(), refresh: new Map(), access: new Map(),
      expiresIn: 2399, tokenRequests: [],
      accounts: [{ id: uuid(), name: 'Main EUR', currency: 'EUR', balance: 1000.5, state: 'active' }],
      transactions: [], // full transaction objects
    };
  }

  static async start() {
    const m = new BankMock();
    m.server = http.createServer((req, res) => {
      m.handle(req, res).catch((e) => {
        m.problems.push(`mock crashed: ${e.stack}`);
        send(res, 500, { error: 'mock' });
      });
    });
    await new Promise((resolve) => m.server.listen(0, '127.0.0.1', resolve));
    m.base = `http://127.0.0.1:${m.server.address().port}`;
    return m;
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  problem(service, req, what) {
    this.problems.push(`${service} ${req.method} ${req.url}: ${what}`);
  }

  async handle(req, res) {
    const url = new URL(req.url, this.base);
    const body = await readBody(req);
    const [, service] = url.pathname.split('/');
    const path = url.pathname.slice(service.length + 1);
    const rec = { service, method: req.method, path, query: url.searchParams, body,
                  auth: req.headers.authorization || null, at: Date.now() };
    this.requests.push(rec);
    if (service === 'gc') return this.gocardless(req, res, path, url.searchParams, body, rec);
    if (service === 'eb') return this.enablebanking(req, res, path, url.searchParams, body, rec);
    if (service === 'rv') return this.revolut(req, res, path, url.searchParams, body, rec);
    send(res, 404, { error: 'no such service' });
  }

  // ---- GoCardless ---------------------------------------------------------------------------

  gcTokens() {
    const access = 'gca-' + crypto.randomBytes(12).toString('hex');
    const refresh = 'gcr-' + crypto.randomBytes(12).toString('hex');
    this.gc.access.set(access, Date.now() + this.gc.accessExpires * 1000);
    this.gc.refresh.set(refresh, true);
    return { access, refresh };
  }

  gcAccountFor(iban) {
    const id = uuid();
    const spec = this.gc.ibanAccounts.find((a) => a.iban === iban);
    this.gc.accounts.set(id, spec);
    return id;
  }

  gcInstitutions() {
    const bank = (id, name, bic, country, days, access) => ({ id, name, bic, transaction_total_days: days,
      countries: [country], logo: 'https://cdn.example/logo.png', max_access_valid_for_days: access });
    return [bank('ERSTE_GIBAATWW', 'Erste Bank', 'GIBAATWW', 'AT', '730', '180'),
            bank('RAIFFEISEN_AT_RZBAATWW', 'Raiffeisen Bank International', 'RZBAATWW', 'AT', '730', '90'),
            bank('SPARKASSE_KOELNBONN_COKSDE33', 'Sparkasse KölnBonn', 'COKSDE33', 'DE', '30', '60')];
  }

  gcInstitution(id) {
    return this.gcInstitutions().find((b) => b.id === id);
  }

    async gocardless(req, res, path, q, body, rec) {
    const json = body ? JSON.parse(body) : null;
    if (req.method === 'GET' && path.startsWith('/link/')) { // the bank: consent given
      const r = this.gc.requisitions.get(path.slice(6));
      if (!r) return send(res, 404, {});
      r.status = 'LN';
      r.accounts = this.gc.ibanAccounts.map((a) => this.gcAccountFor(a.iban));
      res.writeHead(302, { location: `${r.redirect}?ref=${encodeURIComponent(r.reference)}` });
      return res.end();
    }
    if (req.method === 'POST' && path === '/api/v2/token/new/') {
      if (req.headers['content-type'] !== 'application/json') this.problem('gc', req, 'not JSON');
      if (json?.secret_id !== this.gc.secretId || json?.secret_key !== this.gc.secretKey)
        return send(res, 401, { summary: 'Authentication failed', status_code: 401 });
      const t = this.gcTokens();
      return send(res, 200, { access: t.access, access_expires: this.gc.accessExpires,
                              refresh: t.refresh, refresh_expires: 2592000 });
    }
    if (req.method === 'POST' && path === '/api/v2/token/refresh/') {
      if (!this.gc.refresh.has(json?.refresh))
        return send(res, 401, { summary: 'Invalid token', status_code: 401 });
      const t = this.gcTokens();
      return send(res, 200, { access: t.access, access_expires: this.gc.accessExpires });
    }
    const token = (rec.auth || '').replace(/^Bearer /, '');
    const until = this.gc.access.get(token);
    if (!until || until < Date.now()) {
      this.problem('gc', req, 'no valid access token');
      return send(res, 401, { summary: 'Invalid token', detail: 'Token is invalid or expired', status_code: 401 });
    }
    if (req.method === 'GET' && path === '/api/v2/institutions/') {
      const country = q.get('country');
      if (!/^[a-z]{2}$/.test(country || '')) this.problem('gc', req, 'country');
      return send(res, 200, this.gcInstitutions().filter((b) => b.countries[0] === (country || '').toUpperCase()));
    }
    const inst = /^\/api\/v2\/institutions\/([^/]+)\/$/.exec(path);
    if (req.method === 'GET' && inst) {
      const b = this.gcInstitution(inst[1]);
      return b ? send(res, 200, b) : send(res, 404, { summary: 'Not found' });
    }
    if (req.method === 'POST' && path === '/api/v2/agreements/enduser/') {
      const b = this.gcInstitution(json?.institution_id);
      // what the institution allows, at most 90 days: GoCardless refuses more
      const history = Math.min(90, Number(b?.transaction_total_days));
      const access = Math.min(90, Number(b?.max_access_valid_for_days));
      if (!b || json.max_historical_days !== history || json.access_valid_for_days !== access ||
          JSON.stringify(json.access_scope) !== '["balances","details","transactions"]')
        this.problem('gc', req, `agreement ${body}`);
      const id = uuid();
      this.gc.agreements.set(id, json);
      return send(res, 201, { id, created: new Date().toISOString(), ...json, accepted: null });
    }
    if (req.method === 'POST' && path === '/api/v2/requisitions/') {
      if (!json?.redirect || !json.institution_id || !json.reference || !this.gc.agreements.has(json.agreement))
        this.problem('gc', req, `requisition ${body}`);
      const id = uuid();
      const r = { id, status: 'CR', redirect: json.redirect, reference: json.reference,
                  institution_id: json.institution_id, agreement: json.agreement, accounts: [] };
      this.gc.requisitions.set(id, r);
      return send(res, 201, { ...r, link: this.gc.linkOverride || `${this.base}/gc/link/${id}` });
    }
    let m = /^\/api\/v2\/requisitions\/([^/]+)\/$/.exec(path);
    if (req.method === 'GET' && m) {
      const r = this.gc.requisitions.get(m[1]);
      return r ? send(res, 200, r) : send(res, 404, { summary: 'Not found' });
    }
    m = /^\/api\/v2\/accounts\/([^/]+)\/balances\/$/.exec(path);
    if (req.method === 'GET' && m) {
      if (!this.gc.accounts.get(m[1])) return send(res, 404, { summary: 'Account not found' });
      return send(res, 200, { balances: [
        { balanceAmount: { amount: '1234.56', currency: 'EUR' }, balanceType: 'interimAvailable' },
        { balanceAmount: { amount: this.gc.closingBooked, currency: 'EUR' }, balanceType: 'closingBooked',
          referenceDate: new Date().toISOString().slice(0, 10) }] });
    }
    m = /^\/api\/v2\/accounts\/([^/]+)\/(details\/|transactions\/)?$/.exec(path);
    if (req.method === 'GET' && m) {
      const spec = this.gc.accounts.get(m[1]);
      if (!spec) return send(res, 404, { summary: 'Account not found' });
      if (!m[2]) return send(res, 200, { id: m[1], iban: spec.iban, status: 'READY', owner_name: 'Acme GmbH' });
      if (m[2] === 'details/')
        return send(res, 200, { account: { iban: spec.iban, currency: spec.currency, name: spec.name } });
      if ((q.has('date_from') && !DATE_RE.test(q.get('date_from'))) || !DATE_RE.test(q.get('date_to') || ''))
        this.problem('gc', req, 'date_from/date_to');
      if (this.gc.expired)
        return send(res, 401, { summary: 'End User Agreement (EUA) has expired',
                                detail: 'EUA was valid for 90 days and it expired', status_code: 401 });
      const used = this.gc.calls.get(m[1]) || 0;
      if (this.gc.rateLimitNext || used >= this.gc.limit) {
        this.gc.rateLimitNext = false;
        this.gc.limited = (this.gc.limited || 0) + 1;
        return send(res, 429, { summary: 'Rate limit exceeded',
          detail: 'The rate limit for this resource is 4/day. Please try again in 85092 seconds',
          status_code: 429 }, {
          HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_LIMIT: String(this.gc.limit),
          HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING: '0',
          HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_RESET: '85092' });
      }
      this.gc.calls.set(m[1], used + 1);
      const tx = this.gc.transactions.get(spec.iban) || { booked: [], pending: [] };
      const from = q.get('date_from') || '0000-00-00', to = q.get('date_to');
      const inWindow = (t) => !t.bookingDate || (t.bookingDate >= from && t.bookingDate <= to);
      return send(res, 200, { transactions: { booked: tx.booked.filter(inWindow), pending: tx.pending },
                              last_updated: new Date().toISOString() }, {
        HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_LIMIT: String(this.gc.limit),
        HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING: String(this.gc.limit - used - 1),
        HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_RESET: '86000' });
    }
    this.problem('gc', req, 'unknown endpoint');
    return send(res, 404, { summary: 'Not found' });
  }

  // ---- Enable Banking -----------------------------------------------------------------------

  ebAuth(req, rec) {
    try {
      const token = (rec.auth || '').replace(/^Bearer /, '');
      const { header, claims } = verifyJwt(token, this.eb.publicKey);
      if (header.kid !== this.eb.appId) throw new Error(`kid ${header.kid}`);
      if (header.typ !== 'JWT') throw new Error('typ');
      if (claims.iss !== 'enablebanking.com' || claims.aud !== 'api.enablebanking.com')
        throw new Error(`iss/aud ${claims.iss} ${claims.aud}`);
      if (!(claims.iat <= Math.floor(Date.now() / 1000) + 5) || claims.exp - claims.iat > 86400)
        throw new Error('iat/exp');
      this.eb.jwts.push(token);
      return true;
    } catch (e) {
      this.problem('eb', req, `JWT: ${e.message}`);
      return false;
    }
  }

  ebBanks() {
    const bank = (name, country, bic, days) => ({ name, country, bic, logo: 'https://cdn.example/eb.png',
      psu_types: ['business', 'personal'], maximum_consent_validity: days * 86400, beta: false });
    return [bank('Erste Bank und Sparkassen', 'AT', 'GIBAATWW', 180), bank('Sparkasse KölnBonn', 'DE', 'COKSDE33', 30)];
  }

    async enablebanking(req, res, path, q, body, rec) {
    let m = /^\/bank\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) { // the bank's page: the user consents
      const a = this.eb.auths.get(m[1]);
      if (!a) return send(res, 404, {});
      const code = 'ebc-' + crypto.randomBytes(8).toString('hex');
      this.eb.codes.set(code, a);
      res.writeHead(302, { location: `${a.redirect_url}?code=${code}&state=${encodeURIComponent(a.state)}` });
      return res.end();
    }
    if (!this.ebAuth(req, rec)) return send(res, 401, { message: 'Invalid JWT', code: 401 });
    const json = body ? JSON.parse(body) : null;
    if (req.method === 'GET' && path === '/aspsps') {
      if (!/^[A-Z]{2}$/.test(q.get('country') || '')) this.problem('eb', req, 'country');
      return send(res, 200, { aspsps: this.ebBanks().filter((b) => b.country === q.get('country')) });
    }
    if (req.method === 'POST' && path === '/auth') {
      const until = Date.parse(json?.access?.valid_until || '');
      const bank = this.ebBanks().find((b) => b.name === json?.aspsp?.name && b.country === json?.aspsp?.country);
      if (!bank || until > Date.now() + bank.maximum_consent_validity * 1000)
        return send(res, 422, { message: 'valid_until is beyond the bank\'s maximum consent validity', code: 422 });
      if (!(until > Date.now()) || !json.aspsp?.name || !/^[A-Z]{2}$/.test(json.aspsp.country || '') ||
          !json.state || !json.redirect_url || !json.psu_type)
        this.problem('eb', req, `auth ${body}`);
      const id = uuid();
      this.eb.auths.set(id, json);
      return send(res, 200, { url: `${this.base}/eb/bank/${id}`, authorization_id: id });
    }
    if (req.method === 'POST' && path === '/sessions') {
      const a = this.eb.codes.get(json?.code);
      if (!a) return send(res, 422, { message: 'Invalid code', code: 422 });
      this.eb.codes.delete(json.code);
      const session = uuid();
      const accounts = this.eb.accounts.map((acc) => ({ uid: uuid(), account_id: { iban: acc.iban },
        name: acc.name, currency: acc.currency, cash_account_type: 'CACC', identification_hash: acc.hash }));
      this.eb.sessions.set(session, accounts);
      return send(res, 200, { session_id: session, accounts, aspsp: a.aspsp,
                              access: { valid_until: this.eb.validUntil || a.access.valid_until } });
    }
    m = /^\/accounts\/([^/]+)\/balances$/.exec(path);
    if (req.method === 'GET' && m)
      return send(res, 200, { balances: [
        { name: 'available', balance_amount: { amount: '980.10', currency: 'EUR' }, balance_type: 'ITAV' },
        { name: 'booked', balance_amount: { amount: '-15.50', currency: 'EUR' }, balance_type: 'CLBD',
          reference_date: new Date().toISOString().slice(0, 10) }] });
    m = /^\/accounts\/([^/]+)\/transactions$/.exec(path);
    if (req.method === 'GET' && m) {
      let account = null;
      for (const accounts of this.eb.sessions.values())
        for (const acc of accounts) if (acc.uid === m[1]) account = acc;
      if (!account) return send(res, 404, { message: 'Unknown account' });
      if (this.eb.expired)
        return send(res, 401, { message: 'Session expired', code: 401, error: 'EXPIRED_SESSION' });
      if (!DATE_RE.test(q.get('date_from') || '') || !DATE_RE.test(q.get('date_to') || ''))
        this.problem('eb', req, 'date_from/date_to');
      const all = this.eb.transactions.get(account.account_id.iban) || [];
      const start = q.get('continuation_key') ? Number(q.get('continuation_key').slice(3)) : 0;
      const page = all.slice(start, start + this.eb.pageSize);
      const next = start + this.eb.pageSize < all.length ? `ck-${start + this.eb.pageSize}` : undefined;
      return send(res, 200, { transactions: page, ...(next ? { continuation_key: next } : {}) });
    }
    this.problem('eb', req, 'unknown endpoint');
    return send(res, 404, { message: 'Not found' });
  }

  // ---- Revolut ------------------------------------------------------------------------------

  rvTokens() {
    const access = 'oa_' + crypto.randomBytes(12).toString('hex');
    const refresh = 'oa_r_' + crypto.randomBytes(12).toString('hex');
    this.rv.access.set(access, Date.now() + this.rv.expiresIn * 1000);
    this.rv.refresh.set(refresh, true);
    return { access, refresh };
  }

  async revolut(req, res, path, q, body, rec) {
    if (req.method === 'GET' && path === '/app-confirm') { // the Business app: consent given
      if (q.get('client_id') !== this.rv.clientId || q.get('response_type') !== 'code')
        this.problem('rv', req, 'consent parameters');
      const code = 'rvc-' + crypto.randomBytes(8).toString('hex');
      this.rv.codes.set(code, q.get('redirect_uri'));
      res.writeHead(302, { location: `${q.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(q.get('state'))}` });
      return res.end();
    }
    if (req.method === 'POST' && path === '/api/1.0/auth/token') {
      const form = new URLSearchParams(body);
      this.rv.tokenRequests.push(form);
      try {
        if (form.get('client_id') !== this.rv.clientId) throw new Error('client_id');
        if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
          throw new Error('client_assertion_type');
        const { claims } = verifyJwt(form.get('client_assertion'), this.rv.publicKey);
        if (claims.iss !== '127.0.0.1' || claims.sub !== this.rv.clientId || claims.aud !== 'https://revolut.com')
          throw new Error(`claims ${JSON.stringify(claims)}`);
      } catch (e) {
        this.problem('rv', req, `client assertion: ${e.message}`);
        return send(res, 401, { error: 'invalid_client' });
      }
      const grant = form.get('grant_type');
      if (grant === 'authorization_code') {
        if (!this.rv.codes.has(form.get('code'))) return send(res, 400, { error: 'invalid_grant' });
        this.rv.codes.delete(form.get('code'));
        const t = this.rvTokens();
        return send(res, 200, { access_token: t.access, token_type: 'bearer', expires_in: this.rv.expiresIn,
                                refresh_token: t.refresh });
      }
      if (grant === 'refresh_token') {
        if (!this.rv.refresh.has(form.get('refresh_token'))) return send(res, 400, { error: 'invalid_grant' });
        const t = this.rvTokens();
        return send(res, 200, { access_token: t.access, token_type: 'bearer', expires_in: this.rv.expiresIn });
      }
      this.problem('rv', req, `grant ${grant}`);
      return send(res, 400, { error: 'unsupported_grant_type' });
    }
    const token = (rec.auth || '').replace(/^Bearer /, '');
    const until = this.rv.access.get(token);
    if (!until || until < Date.now()) {
      this.problem('rv', req, 'no valid access token');
      return send(res, 401, { message: 'The request should be authorized.' });
    }
    if (req.method === 'GET' && path === '/api/1.0/accounts')
      return send(res, 200, this.rv.accounts.map((a) => ({ ...a, public: false,
        created_at: '2024-01-02T10:00:00.000Z', updated_at: '2026-01-02T10:00:00.000Z' })));
    const one = /^\/api\/1\.0\/accounts\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const a = this.rv.accounts.find((x) => x.id === one[1]);
      return a ? send(res, 200, { ...a, public: false }) : send(res, 404, { message: 'Not found' });
    }
    if (req.method === 'GET' && path === '/api/1.0/transactions') {
      const count = Number(q.get('count') || 100);
      const from = q.get('from'), to = q.get('to');
      if (!(count >= 1 && count <= 1000) || !DATE_RE.test(from || '') || !to)
        this.problem('rv', req, 'count/from/to');
      const fromMs = Date.parse(from), toMs = Date.parse(to);
      const list = this.rv.transactions
        .filter((t) => !q.get('account') || t.legs.some((l) => l.account_id === q.get('account')))
        .filter((t) => Date.parse(t.created_at) >= fromMs && Date.parse(t.created_at) < toMs)
        .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
        .slice(0, count);
      return send(res, 200, list);
    }
    this.problem('rv', req, 'unknown endpoint');
    return send(res, 404, { message: 'Not found' });
  }
}

module.exports = { BankMock, verifyJwt };
