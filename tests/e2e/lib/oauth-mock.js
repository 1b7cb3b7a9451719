// tests/e2e/lib/oauth-mock.js - a local OAuth 2 authorization server plus the two APIs the
// OAuth tests deliver to (Xero's BankTransactions, BigQuery's insertAll), on one port.
//
// The consent screen (GET .../authorize) approves at once and redirects back with a code.
// The token endpoint (POST any path ending in /token, or Intuit's /tokens/bearer) speaks
// RFC 6749: authorization_code (a code the test registered with mock.issueCode, checked
// against client, redirect_uri and the PKCE verifier), refresh_token (rotating when the
// mock is set so: each use spends the token and hands out the next one; presenting a spent
// token is counted in `reused` and refused with invalid_grant, as Xero does) and RFC 7523's
// jwt-bearer (the assertion is verified with the public half of mock.jwtKey: RS256, iss,
// aud, scope, iat/exp). Access tokens it issued are valid at the APIs until they expire or
// the test revokes them; anything else gets 401. Every token request and API request is
// recorded.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

class OAuthMock {
  constructor() {
    this.client = { id: 'client-1', secret: 'client-secret-1' };
    this.clientAuth = 'form';   // or 'basic'
    this.rotating = true;
    this.expiresIn = 3600;      // seconds, or null: the answer carries no expires_in
    this.tokenDelayMs = 0;
    this.codes = new Map();     // code -> { redirectUri, challenge, refresh }
    this.refreshTokens = new Map(); // live refresh token -> true
    this.spent = new Set();
    this.access = new Map();    // access token -> expires (ms)
    this.tokenRequests = [];    // { path, form, authorization }
    this.apiRequests = [];      // { method, path, authorization, status }
    this.reused = 0;
    this.refreshes = 0;
    this.jwtKey = null;         // { publicKey, email, audience, scope }
    this.alwaysUnauthorized = false;
  }

  static async start() {
    const m = new OAuthMock();
    m.server = http.createServer((req, res) => m.handle(req, res));
    await new Promise((resolve) => m.server.listen(0, '127.0.0.1', resolve));
    m.base = `http://127.0.0.1:${m.server.address().port}`;
    return m;
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  newRefresh() {
    const t = `rt-${crypto.randomBytes(12).toString('hex')}`;
    this.refreshTokens.set(t, true);
    return t;
  }

  issueCode(redirectUri, challenge = null) {
    const code = `code-${crypto.randomBytes(8).toString('hex')}`;
    this.codes.set(code, { redirectUri, challenge });
    return code;
  }

  revokeAllAccess() {
    this.access.clear();
  }

  liveAccessTokens() {
    return [...this.access.keys()];
  }

  allSecrets() {
    return [this.client.secret, ...this.refreshTokens.keys(), ...this.spent, ...this.access.keys()];
  }

  tokens(withRefresh) {
    const access = `at-${crypto.randomBytes(16).toString('hex')}`;
    this.access.set(access, Date.now() + (this.expiresIn ?? 3600) * 1000);
    const body = { access_token: access, token_type: 'Bearer' };
    if (this.expiresIn !== null) body.expires_in = this.expiresIn;
    if (withRefresh) body.refresh_token = this.newRefresh();
    return body;
  }

  clientOk(req, form) {
    if (this.clientAuth === 'basic') {
      const want = 'Basic ' + Buffer.from(`${this.client.id}:${this.client.secret}`).toString('base64');
      return req.headers.authorization === want && !form.get('client_secret');
    }
    return form.get('client_id') === this.client.id && form.get('client_secret') === this.client.secret;
  }

  verifyAssertion(jwt) {
    const [h, c, s] = jwt.split('.');
    const header = b64urlJson(h);
    const claims = b64urlJson(c);
    const k = this.jwtKey;
    const ok = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${c}`), k.publicKey, Buffer.from(s, 'base64url'));
    const now = Math.floor(Date.now() / 1000);
    return ok && header.alg === 'RS256' && claims.iss === k.email && claims.aud === k.audience &&
      claims.scope === k.scope && Math.abs(claims.iat - now) < 60 && claims.exp - claims.iat === 3600;
  }

  async token(req, res, body) {
    const form = new URLSearchParams(body);
    this.tokenRequests.push({ path: req.url, form, authorization: req.headers.authorization });
    if (this.tokenDelayMs) await new Promise((r) => setTimeout(r, this.tokenDelayMs));
    const send = (status, json) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const grant = form.get('grant_type');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      let ok = false;
      try { ok = this.verifyAssertion(form.get('assertion') ?? ''); } catch { ok = false; }
      return ok ? send(200, this.tokens(false)) : send(400, { error: 'invalid_grant' });
    }
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded' || !this.clientOk(req, form))
      return send(401, { error: 'invalid_client' });
    if (grant === 'authorization_code') {
      const c = this.codes.get(form.get('code'));
      this.codes.delete(form.get('code'));
      if (!c || c.redirectUri !== form.get('redirect_uri')) return send(400, { error: 'invalid_grant' });
      if (c.challenge) {
        const v = form.get('code_verifier') ?? '';
        if (crypto.createHash('sha256').update(v).digest('base64url') !== c.challenge)
          return send(400, { error: 'invalid_grant' });
      }
      return send(200, this.tokens(true));
    }
    if (grant === 'refresh_token') {
      const t = form.get('refresh_token');
      if (this.spent.has(t)) this.reused++;
      if (!this.refreshTokens.has(t)) return send(400, { error: 'invalid_grant' });
      this.refreshes++;
      if (this.rotating) {
        this.refreshTokens.delete(t);
        this.spent.add(t);
      }
      return send(200, this.tokens(this.rotating));
    }
    return send(400, { error: 'unsupported_grant_type' });
  }

  api(req, res, body) {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expires = this.access.get(token);
    const ok = !this.alwaysUnauthorized && expires !== undefined && expires > Date.now();
    const status = ok ? 200 : 401;
    this.apiRequests.push({ method: req.method, path: req.url, token, status, body });
    res.writeHead(status, { 'content-type': 'application/json' });
    if (!ok) return res.end(JSON.stringify({ Title: 'Unauthorized', Status: 401 }));
    if (req.url.includes('/bigquery/')) return res.end(JSON.stringify({ kind: 'bigquery#tableDataInsertAllResponse' }));
    res.end(JSON.stringify({ Status: 'OK', BankTransactions: [{ BankTransactionID: crypto.randomUUID() }] }));
  }

  // The consent screen, approved at once: back to redirect_uri with a code and the state.
  authorize(req, res) {
    const q = new URL(req.url, this.base).searchParams;
    const redirect = q.get('redirect_uri');
    this.authorizeRequests = (this.authorizeRequests ?? 0) + 1;
    if (q.get('client_id') !== this.client.id || q.get('response_type') !== 'code' || !redirect) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return res.end('bad authorization request');
    }
    const back = new URL(redirect);
    back.searchParams.set('code', this.issueCode(redirect, q.get('code_challenge')));
    back.searchParams.set('state', q.get('state'));
    res.writeHead(302, { location: back.toString() });
    res.end();
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const pathname = req.url.split('?')[0];
      if (req.method === 'POST' && /\/(token|bearer)$/.test(pathname))
        return this.token(req, res, body);
      if (req.method === 'GET' && /\/(authorize|auth)$/.test(pathname))
        return this.authorize(req, res);
      return this.api(req, res, body);
    });
  }
}

module.exports = { OAuthMock };
