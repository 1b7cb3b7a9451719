// tests/e2e/lib/providers.js - what the end-to-end tests of the payment providers other than
// Stripe share: a tenant with one provider installed (the read-API helpers are Stripe's),
// mock provider APIs on 127.0.0.1 that check credentials and record every request, and a
// local server for PayPal's certificate, made with the `openssl` command.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { StripeTenant, sid } = require('./stripe');

// ---- mock APIs --------------------------------------------------------------------------

// A provider's API as the fetch-back providers ask it: GET routes that answer only to one
// Authorization header (the account's credential: 401 otherwise, as the real APIs answer a
// wrong key) and 404 for anything unknown. Every request is recorded.
class MockApi {
  constructor(name) {
    this.name = name;
    this.routes = new Map();
    this.requests = [];
    this.server = null;
    this.base = null;
  }

  async start() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.server = null;
  }

  // `method` `url` (path and query, as sent) answers `body` (an object, sent as JSON, or
  // text sent as it is) when the request carries `Authorization: <auth>`.
  set(url, auth, body, status = 200, method = 'GET') {
    this.routes.set(`${method} ${url}`, { auth, body, status });
  }

  // The requests whose URL starts with prefix.
  received(prefix = '') {
    return this.requests.filter((r) => r.url.startsWith(prefix));
  }

  handle(req, res) {
    req.resume();
    req.on('end', () => {
      this.requests.push({ method: req.method, url: req.url, headers: req.headers });
      const route = this.routes.get(`${req.method} ${req.url}`);
      let status = 404;
      let text = JSON.stringify({ status: 404, title: 'Not Found' });
      if (route && req.headers.authorization !== route.auth) {
        status = 401;
        text = JSON.stringify({ status: 401, title: 'Unauthorized' });
      } else if (route) {
        status = route.status;
        text = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    });
  }
}

// ---- PayPal's certificate -----------------------------------------------------------------

// A self-signed RSA-2048 certificate and its key, made by `openssl` in a temporary folder,
// served by a local server under /certs/. Every request is recorded.
class CertServer {
  constructor() {
    this.requests = [];
    this.server = null;
  }

  async start() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-paypal-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                               '-keyout', path.join(dir, 'key.pem'),
                               '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj',
                               '/O=connectord tests (not PayPal)/CN=paypal-webhook-test.invalid'],
                   { stdio: 'pipe' });
      this.keyPem = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
      this.certPem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    this.server = http.createServer((req, res) => {
      req.resume();
      this.requests.push({ method: req.method, url: req.url });
      if (req.method === 'GET' && req.url.startsWith('/certs/CERT-')) {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        res.end(this.certPem);
      } else if (req.method === 'GET' && req.url.startsWith('/other/')) {
        // the same certificate outside the trusted prefix: its URL decides, not its bytes
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        res.end(this.certPem);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    this.prefix = `${this.base}/certs/`;
    return this;
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.server = null;
  }
}

// ---- a tenant with one provider -----------------------------------------------------------

// A tenant of its own with provider `slug` installed; the readers (invoices, suppliers,
// entries, balances, ...) are StripeTenant's, the webhook log is this provider's.
class ProviderTenant extends StripeTenant {
  constructor(server, tenant, slug) {
    super(server, tenant);
    this.slug = slug;
    this.config = null;
  }

  static async create(server, slug, config, name = `${slug} ${sid('')}`) {
    const t = new ProviderTenant(server, await server.createTenant(name, 'pro'), slug);
    await t.install(config);
    return t;
  }

  async install(config) {
    const res = await this.server.request(`/api/connectors/${this.slug}/install`, {
      method: 'POST', token: this.token, json: { config },
    });
    assert.equal(res.status, 201, res.text);
    const url = new URL(res.json.webhookUrl);
    const m = new RegExp(`^/api/payment-import/${this.slug}/([A-Za-z0-9_-]+)$`).exec(url.pathname);
    assert.ok(m, `not a ${this.slug} webhook URL: ${res.json.webhookUrl}`);
    this.config = config;
    this.path = url.pathname;
    this.webhookToken = m[1];
    return res.json;
  }

  // POSTs a request {body, headers, query} to the webhook URL, headers exactly as given.
  send({ body = '', headers = {}, query } = {}) {
    const q = query ? `?${new URLSearchParams(query)}` : '';
    return this.server.request(this.path + q, { method: 'POST', body, headers });
  }

  async logs(query = {}) {
    const out = [];
    let cursor = null;
    for (;;) {
      const q = new URLSearchParams({ ...query, limit: '100' });
      if (cursor) q.set('cursor', cursor);
      const res = await this.get(`/api/connectors/${this.slug}/webhook-logs?${q}`);
      assert.ok(Array.isArray(res.json), res.text);
      out.push(...res.json);
      cursor = res.headers.get('x-next-cursor');
      if (!cursor) return out;
    }
  }

  // How many rows the read APIs show: invoices, suppliers, customers, entries, log rows.
  async counts() {
    return {
      invoices: (await this.invoices()).length,
      suppliers: (await this.suppliers()).length,
      customers: (await this.customers()).length,
      entries: (await this.entries()).length,
      logs: (await this.logs()).length,
    };
  }

  testWebhook() {
    return this.server.request(`/api/connectors/${this.slug}/test-webhook`, {
      method: 'POST', token: this.token, json: {},
    });
  }
}

module.exports = { CertServer, MockApi, ProviderTenant };
