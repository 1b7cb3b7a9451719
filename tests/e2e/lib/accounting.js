// tests/e2e/lib/accounting.js - what the accounting tests share: a tenant whose books are
// filled through signed Stripe webhooks on chosen days, a reader for DATEV EXTF files (bytes
// kept as they are: the file is Windows-1252, read here as latin1 so every byte is one
// character of the same value), and a local FinanzOnline that speaks the session and file
// upload SOAP services and records what it was sent.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { StripeTenant, eventBody, invoicePaid, sid } = require('./stripe');

// Seconds at noon UTC of a day ("2026-03-10"), so the booking date is that day.
function noon(day) {
  return Math.floor(Date.parse(`${day}T12:00:00Z`) / 1000);
}

// A Stripe tenant with settings (PUT /api/settings) and the stripe connector's config.
async function booksTenant(server, { settings, stripe = {} } = {}) {
  const t = await StripeTenant.create(server, { autoPost: true, ...stripe });
  if (settings) {
    const res = await server.request('/api/settings', { method: 'PUT', token: t.token,
                                                        json: settings });
    assert.equal(res.status, 200, res.text);
  }
  return t;
}

// Books a paid invoice on `day`; resolves {externalId, number, result}.
async function pay(t, day, opts = {}) {
  const p = invoicePaid({ paidAt: noon(day), ...opts });
  const res = await t.send(p.body);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.results[0].status, 'processed', res.text);
  return { ...p, result: res.json.results[0] };
}

// Books a refund of `pi` on `day`: the charge's amount_refunded grows from before to refunded.
async function refund(t, day, { pi, amount, refunded = amount, before = 0, currency = 'eur' }) {
  const object = {
    id: sid('ch_'), object: 'charge', amount, amount_captured: amount,
    amount_refunded: refunded, created: noon(day), currency, payment_intent: pi,
    refunded: refunded === amount, status: 'succeeded',
  };
  const body = eventBody('charge.refunded', object,
                         { previous: { amount_refunded: before, refunded: false } });
  const res = await t.send(body);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.results[0].invoiceType, 'gutschrift', res.text);
  return res.json.results[0];
}

// ---- exchange rates --------------------------------------------------------------------

// Every day from `from` to `to` (YYYY-MM-DD, inclusive).
function daysBetween(from, to) {
  const out = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86400000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

// The days from `before` days ago to tomorrow (UTC): what payments booked "now" are dated.
function recentDays(before = 10) {
  const today = Date.now();
  return daysBetween(new Date(today - before * 86400000).toISOString().slice(0, 10),
                     new Date(today + 86400000).toISOString().slice(0, 10));
}

// The ECB's eurofxref-hist.csv layout: "Date,USD,JPY,...," then one row per day, newest first.
function ecbHistCsv(days, rates) {
  const cur = Object.keys(rates);
  return `Date,${cur.join(',')},\n` +
    [...days].reverse().map((d) => `${d},${cur.map((c) => rates[c]).join(',')},\n`).join('');
}

// Writes `text` to a file in the server's directory and runs `connectord rates import` on it;
// resolves {code, stdout, stderr, json}.
async function ratesImport(server, text, name = `rates-${crypto.randomUUID()}.csv`) {
  const file = path.join(server.dir, name);
  fs.writeFileSync(file, text);
  const r = await server.cli(['rates', 'import', file]);
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { ...r, json, file };
}

// Imports `rates` ({USD: '1.0823', ...}) for each of `days`; resolves the command's JSON.
async function importRates(server, days, rates) {
  const r = await ratesImport(server, ecbHistCsv(days, rates));
  assert.equal(r.code, 0, r.stderr);
  return r.json;
}

async function installDatev(server, token, config = {}) {
  const res = await server.request('/api/connectors/datev/install', {
    method: 'POST', token,
    json: { config: { consultantNumber: '29098', clientNumber: '55003', ...config } },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

// GET the DATEV export as bytes; resolves {status, headers, bytes, json}.
async function datevExport(server, token, from, to) {
  const q = new URLSearchParams();
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  const res = await fetch(`${server.baseUrl}/api/exports/datev?${q}`,
                          { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, json };
}

// One line of an EXTF file split into fields: {values, quoted}. '""' inside quotes is '"'.
function splitLine(line) {
  const values = [];
  const quoted = [];
  let i = 0;
  for (;;) {
    let v = '';
    let q = false;
    if (line[i] === '"') {
      q = true;
      i++;
      for (;;) {
        assert.ok(i < line.length, `unterminated quote in ${line}`);
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else {
          v += line[i++];
        }
      }
    } else {
      while (i < line.length && line[i] !== ';') v += line[i++];
    }
    values.push(v);
    quoted.push(q);
    if (i >= line.length) break;
    assert.equal(line[i], ';', `a field must end at ';' in ${line}`);
    i++;
  }
  return { values, quoted };
}

// The file's lines (every one ends in CRLF), split. Texts are latin1: one char per byte.
function parseExtf(bytes) {
  const text = bytes.toString('latin1');
  assert.ok(text.endsWith('\r\n'), 'the last line ends in CRLF too');
  const raw = text.slice(0, -2).split('\r\n');
  for (const l of raw) assert.ok(!l.includes('\n') && !l.includes('\r'), 'CRLF only');
  return { raw, lines: raw.map(splitLine) };
}

// ---- a FinanzOnline stand-in ----------------------------------------------------------

// The text of <prefix:name> in an envelope (the first one), or undefined.
function field(xml, name) {
  const m = new RegExp(`<(?:\\w+:)?${name}>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(xml);
  return m ? m[1] : undefined;
}

function soap(ns, response, members) {
  const inner = Object.entries(members).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>' +
    `<${response} xmlns="${ns}">${inner}</${response}></S:Body></S:Envelope>`;
}

const NS_SESSION = 'https://finanzonline.bmf.gv.at/fon/ws/session';
const NS_UPLOAD = 'https://finanzonline.bmf.gv.at/fon/ws/fileupload';

// Answers login, upload and logout as FinanzOnline does, and keeps every request:
// {path, action, contentType, body}. `behaviour` picks the answers: login/upload/logout
// {rc, msg} (rc 0 by default), or {fault: "text"} for a SOAP fault with HTTP 500.
class FonMock {
  constructor() {
    this.requests = [];
    this.behaviour = {};
    this.sessions = 0;
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => this.answer(req, res, body));
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  reset(behaviour = {}) {
    this.requests = [];
    this.behaviour = behaviour;
  }

  answer(req, res, body) {
    const action = req.headers.soapaction;
    this.requests.push({ path: req.url, action, contentType: req.headers['content-type'], body });
    const send = (status, xml) => {
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(xml);
    };
    const b = this.behaviour[action] || {};
    if (b.fault) {
      send(500, '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>' +
                `<S:Fault><faultcode>S:Server</faultcode><faultstring>${b.fault}</faultstring>` +
                '</S:Fault></S:Body></S:Envelope>');
      return;
    }
    const rc = b.rc ?? 0;
    const members = { rc };
    if (b.msg) members.msg = b.msg;
    if (req.url === '/fonws/ws/session' && action === 'login') {
      if (rc === 0) members.id = `SESSION${++this.sessions}`;
      send(200, soap(NS_SESSION, 'loginResponse', members));
    } else if (req.url === '/fonws/ws/session' && action === 'logout') {
      send(200, soap(NS_SESSION, 'logoutResponse', members));
    } else if (req.url === '/fon/ws/fileupload' && action === 'upload') {
      send(200, soap(NS_UPLOAD, 'fileuploadResponse', members));
    } else {
      send(404, 'no such service');
    }
  }

  // The requests as [action, ...] in order.
  actions() {
    return this.requests.map((r) => r.action);
  }
}

module.exports = {
  FonMock,
  booksTenant,
  datevExport,
  daysBetween,
  ecbHistCsv,
  importRates,
  ratesImport,
  recentDays,
  field,
  installDatev,
  noon,
  parseExtf,
  pay,
  refund,
  splitLine,
};
