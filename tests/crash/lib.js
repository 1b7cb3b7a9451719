// tests/crash/lib.js - what the crash-consistency proofs share: the binaries, a tenant with
// three payment providers and a local sink, a load client that sends signed webhooks over 64
// connections and records every answer, and the checks of a store after the crashes.
//
// Every webhook carries an id made of MARK, the cycle and a counter (in its external id and in
// its X-Request-Id), so a row in the store, a line of the fsync shim's log and an answer on the
// wire can be matched to the request that caused it.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const { REPO_ROOT, assertNoSanitizerReport, sleep, startServer } = require('../e2e/lib/server');
const { MockServices } = require('../e2e/lib/mock-services');
// the providers' SDKs are the end-to-end tests' (tests/e2e/node_modules)
const { hmacValidator } = require(require.resolve('@adyen/api-library',
                                                  { paths: [path.join(__dirname, '../e2e')] }));

const RELEASE_BIN = path.join(REPO_ROOT, 'build/connectord');
const SANITIZER_BIN = path.join(REPO_ROOT, 'build/test/connectord');
const SHIM = path.join(REPO_ROOT, 'build/crash/shim.so');
// The long form (make crash) sets CRASH_CYCLES=20; make test runs the short form.
const CYCLES = Number(process.env.CRASH_CYCLES || 5);
const CONNECTIONS = 64;
const PROVIDERS = ['stripe', 'revolut', 'adyen'];
const adyen = new hmacValidator();

// Prints a figure line the closing note can quote: "crash: <what> k=v ...".
function report(what, figures) {
  const text = Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ');
  process.stdout.write(`crash: ${what}: ${text}\n`);
}

function randomMark() {
  return `crsh${crypto.randomBytes(3).toString('hex')}`;
}

// ---- the signed webhooks ------------------------------------------------------------------

// A request {provider, body, headers} for id, signed as the provider signs it.
function signedWebhook(provider, id, secret) {
  const t = Math.floor(Date.now() / 1000);
  const amount = 100 + (crypto.randomInt(99900));
  if (provider === 'stripe') {
    // invoice.payment_succeeded of an API version that names the payment intent: books alone
    const body = `{"id":"evt_${id}","object":"event","api_version":"2024-06-20","created":${t},` +
      `"data":{"object":{"id":"in_${id}","object":"invoice","account_country":"DE",` +
      `"account_name":"Crash Merchant GmbH","amount_due":${amount},"amount_paid":${amount},` +
      `"amount_remaining":0,"currency":"eur","customer":"cus_crash",` +
      `"customer_email":"billing@example.com","customer_name":"Crash Customer",` +
      `"number":"CR-${id}","payment_intent":"pi_${id}","status":"paid","created":${t - 60},` +
      `"status_transitions":{"paid_at":${t}}}},"livemode":false,"pending_webhooks":1,` +
      `"request":{"id":null,"idempotency_key":null},"type":"invoice.payment_succeeded"}`;
    const v1 = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    return { body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` } };
  }
  if (provider === 'revolut') {
    const ts = Date.now();
    const body = '{"event":"TransactionCreated","timestamp":"2026-03-22T14:30:00.000000Z",' +
      `"data":{"id":"${id}","type":"card_payment","state":"completed","request_id":"",` +
      '"created_at":"2026-03-22T14:29:58.000000Z","updated_at":"2026-03-22T14:30:00.000000Z",' +
      `"completed_at":"2026-03-22T14:30:00.000000Z","reference":"CR-${id}",` +
      '"merchant":{"name":"ACME Software GmbH","city":"Vienna","category_code":"5734",' +
      '"country":"AUT"},' +
      `"legs":[{"leg_id":"${id}","account_id":"acc_crash","amount":-${(amount / 100).toFixed(2)},` +
      '"currency":"EUR","description":"ACME Software GmbH","balance":1234.56}]}}';
    const sig = crypto.createHmac('sha256', secret).update(`v1.${ts}.${body}`).digest('hex');
    return { body, headers: { 'content-type': 'application/json', 'revolut-signature': `v1=${sig}`,
                              'revolut-request-timestamp': String(ts) } };
  }
  const item = { amount: { currency: 'EUR', value: amount }, eventCode: 'AUTHORISATION',
                 eventDate: '2026-03-22T14:30:00+01:00', merchantAccountCode: 'AcmeCOM',
                 merchantReference: `order-${id}`, paymentMethod: 'visa', pspReference: id,
                 reason: '', success: 'true' };
  item.additionalData = { hmacSignature: adyen.calculateHmac(item, secret) };
  const body = JSON.stringify({ live: 'false', notificationItems: [{ NotificationRequestItem: item }] });
  return { body, headers: { 'content-type': 'application/json' } };
}

// ---- the world: a tenant, its installs, a sink --------------------------------------------

// Makes, on a running server, a tenant with stripe, revolut and adyen (autoPost on) and a
// zapier destination on the mock sink that takes payment.settled. Resolves what a restarted
// server needs to go on: {tenantId, token, hooks: {provider: {path, secret}}, sink}.
async function setupWorld(server, mock) {
  const tenant = await server.createTenant(`Crash ${Date.now()}`, 'enterprise');
  const configs = {
    stripe: { webhookSecret: `whsec_${crypto.randomBytes(24).toString('base64url')}`, autoPost: true },
    revolut: { webhookSecret: `wsk_${crypto.randomBytes(24).toString('hex')}`, autoPost: true },
    adyen: { apiKey: `AQE${crypto.randomBytes(20).toString('hex')}`,
             hmacKey: crypto.randomBytes(32).toString('hex').toUpperCase(), autoPost: true },
  };
  const hooks = {};
  for (const p of PROVIDERS) {
    const res = await server.request(`/api/connectors/${p}/install`, {
      method: 'POST', token: tenant.token, json: { config: configs[p] },
    });
    assert.equal(res.status, 201, `install ${p}: ${res.text}`);
    const secret = p === 'stripe' || p === 'revolut' ? configs[p].webhookSecret : configs[p].hmacKey;
    hooks[p] = { path: new URL(res.json.webhookUrl).pathname, secret };
  }
  const sink = mock.endpoint('zapier');
  const res = await server.request(`/api/projects/${tenant.tenantId}/connectors`, {
    method: 'POST', token: tenant.token,
    json: { type: 'zapier', config: sink.config, eventTypes: ['payment.settled'] },
  });
  assert.equal(res.status, 201, `create the sink: ${res.text}`);
  sink.signingSecret = res.json.signingSecret;
  sink.connectorId = res.json.id;
  return { ...tenant, hooks, sink };
}

// Server arguments of every crash test: fast redelivery after a crash, quiet log.
const SERVER_ARGS = ['--delivery-lease', '3000', '--retry-schedule', '1s,1s,1s,1s,1s,1s,1s,1s',
                     '--access-log', 'false', '--log-level', 'error'];

// Starts bin on dir's store (dev mode; the first start makes the demo tenant).
async function start(bin, dir, { first = false, env = {}, args = [] } = {}) {
  return startServer({ bin, dir, env, args: [...SERVER_ARGS, ...args], expectDemo: first });
}

// The environment that preloads the shim for the store in dir.
function shimEnv(dir, extra = {}) {
  return {
    LD_PRELOAD: SHIM,
    CRASHSHIM_DB: path.join(dir, 'connectord.db'),
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:verify_asan_link_order=0',
    ...extra,
  };
}

// Waits for a random moment of a cycle under load: once the server has acknowledged a few
// webhooks of this cycle (a slow sanitizer build needs a while to get going), then 0-1 s.
async function randomMoment(ledger) {
  const from = ledger.acked.size;
  const deadline = Date.now() + 20000;
  while (ledger.acked.size < from + 10 && Date.now() < deadline) await sleep(20);
  await sleep(crypto.randomInt(1000));
}

// SIGKILL; the server must have been running until then, without a sanitizer report.
async function crash(server) {
  assertNoSanitizerReport(server.stderr, 'connectord before its SIGKILL');
  await server.kill();
  assert.equal(server.exitSignal, 'SIGKILL', `the server was not killed but ended (${server.exitCode})\n${server.stderr}`);
}

// ---- the load client ----------------------------------------------------------------------

// Sends webhooks to server over CONNECTIONS keep-alive connections until stop() or until the
// server is gone. Every request is recorded in ledger: ledger.sent (id -> provider),
// ledger.acked (id -> status of its 2xx), ledger.answers (status -> count).
class Load {
  constructor(server, world, mark, ledger, cycle) {
    this.server = server;
    this.world = world;
    this.mark = mark;
    this.ledger = ledger;
    this.cycle = cycle;
    this.n = 0;
    this.stopped = false;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    // what the provider sends again: the earlier cycles' webhooks that got no 2xx
    this.retries = [...ledger.sent.keys()].filter((id) => !ledger.acked.has(id));
  }

  nextId() {
    if (this.retries.length) return this.retries.pop();
    const id = `${this.mark}c${this.cycle}n${this.n++}`;
    this.ledger.sent.set(id, PROVIDERS[this.n % PROVIDERS.length]);
    return id;
  }

  post(id) {
    const provider = this.ledger.sent.get(id);
    const hook = this.world.hooks[provider];
    const req = signedWebhook(provider, id, hook.secret);
    return new Promise((resolve) => {
      const r = http.request(`${this.server.baseUrl}${hook.path}`, {
        method: 'POST', agent: this.agent,
        headers: { ...req.headers, 'x-request-id': id, 'content-length': Buffer.byteLength(req.body) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
        res.on('error', () => resolve({ status: 0 }));
      });
      r.on('error', () => resolve({ status: 0 }));
      r.end(req.body);
    });
  }

  async worker() {
    while (!this.stopped) {
      const id = this.nextId();
      const res = await this.post(id);
      const key = res.status || 'none';
      this.ledger.answers[key] = (this.ledger.answers[key] || 0) + 1;
      if (res.status >= 200 && res.status < 300) {
        this.ledger.acked.set(id, res.status);
      } else if (res.status === 0) {
        await sleep(20); // the server is gone (or going): do not spin
      } else if (res.status === 503) {
        // the provider comes again (after Retry-After; sooner here)
        this.ledger.retryAfter.push(res.headers['retry-after']);
        this.ledger.refused.add(id);
        this.retries.unshift(id);
        await sleep(20);
      } else {
        this.ledger.other.push(`${res.status} ${id}: ${res.text}`);
      }
    }
  }

  start() {
    this.done = Promise.all(Array.from({ length: CONNECTIONS }, () => this.worker()));
    running.add(this);
    return this;
  }

  async stop() {
    this.stopped = true;
    await this.done;
    this.agent.destroy();
    running.delete(this);
  }
}

// Loads not stopped yet: a test that failed midway leaves its own, which stopLoads() (in
// every file's after hook) ends, so the test process can exit.
const running = new Set();
async function stopLoads() {
  for (const load of [...running]) await load.stop();
}

function newLedger() {
  return { sent: new Map(), acked: new Map(), refused: new Set(), answers: {}, retryAfter: [], other: [] };
}

// ---- the checks ---------------------------------------------------------------------------

// Runs SQL on the store file with the sqlite3 command (the server is stopped); JSON rows.
function sql(dir, query) {
  const out = execFileSync('sqlite3', ['-json', path.join(dir, 'connectord.db'), query],
                           { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return out.trim() ? JSON.parse(out) : [];
}

// The id a row's external id carries (pi_<id> for Stripe), or null.
function idOf(text, mark) {
  const m = new RegExp(`${mark}c\\d+n\\d+`).exec(text || '');
  return m ? m[0] : null;
}

// Checks the books of tenantId in the store in dir against ledger; resolves the figures.
// Every acknowledged webhook is booked exactly once (an invoice, its balanced entry, its
// payment.settled event); nothing is half-booked; every journal entry balances; every event
// has its delivery, which is delivered or pending.
function checkBooks(dir, tenantId, mark, ledger) {
  const t = tenantId.replace(/'/g, "''");
  const invoices = sql(dir, `SELECT id, external_id, journal_entry_id FROM invoices WHERE tenant_id='${t}'`);
  const entries = sql(dir, `SELECT e.id, e.invoice_id, COUNT(l.line_no) AS lines,
      SUM(l.debit_minor) AS debit, SUM(l.credit_minor) AS credit
      FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
      WHERE e.tenant_id='${t}' GROUP BY e.id`);
  const unbalancedByCurrency = sql(dir, `SELECT entry_id, currency FROM journal_lines
      WHERE tenant_id='${t}' GROUP BY entry_id, currency HAVING SUM(debit_minor) <> SUM(credit_minor)`);
  const events = sql(dir, `SELECT id, type, data FROM events WHERE tenant_id='${t}'`);
  const deliveries = sql(dir, `SELECT event_id, status FROM deliveries WHERE tenant_id='${t}'`);

  const booked = new Map(); // id -> number of invoices
  for (const inv of invoices) {
    const id = idOf(inv.external_id, mark);
    if (id) booked.set(id, (booked.get(id) || 0) + 1);
  }
  const entryById = new Map(entries.map((e) => [e.id, e]));
  const problems = [];
  let lost = 0;
  let duplicated = 0;
  for (const id of ledger.acked.keys()) {
    const n = booked.get(id) || 0;
    if (n === 0) {
      lost++;
      problems.push(`acknowledged ${id} is not booked`);
    } else if (n > 1) {
      duplicated++;
      problems.push(`acknowledged ${id} is booked ${n} times`);
    }
  }
  for (const [id, n] of booked) {
    if (!ledger.sent.has(id)) problems.push(`booked ${id} was never sent`);
    if (n > 1 && !ledger.acked.has(id)) problems.push(`${id} booked ${n} times`);
  }
  // nothing half-booked: an invoice has its entry (autoPost), the entry its invoice and lines
  for (const inv of invoices) {
    const e = inv.journal_entry_id && entryById.get(inv.journal_entry_id);
    if (!e) problems.push(`invoice ${inv.id} (${inv.external_id}) has no journal entry`);
    else if (e.invoice_id !== inv.id) problems.push(`entry ${e.id} does not name invoice ${inv.id}`);
  }
  for (const e of entries) {
    if (e.lines < 2) problems.push(`entry ${e.id} has ${e.lines} lines`);
    if (e.debit !== e.credit) problems.push(`entry ${e.id} does not balance: ${e.debit} vs ${e.credit}`);
  }
  for (const u of unbalancedByCurrency) problems.push(`entry ${u.entry_id} does not balance in ${u.currency}`);
  // every booking wrote its payment.settled event, and every event its delivery
  const settled = new Set();
  for (const ev of events)
    if (ev.type === 'payment.settled') settled.add(idOf(ev.data, mark));
  for (const id of booked.keys())
    if (!settled.has(id)) problems.push(`booked ${id} has no payment.settled event`);
  const deliveryOf = new Map();
  for (const d of deliveries) deliveryOf.set(d.event_id, d.status);
  let pending = 0;
  for (const ev of events) {
    if (ev.type !== 'payment.settled') continue;
    const st = deliveryOf.get(ev.id);
    if (!st) problems.push(`event ${ev.id} has no delivery`);
    else if (!['pending', 'delivering', 'delivered'].includes(st)) problems.push(`event ${ev.id} is ${st}`);
    else if (st !== 'delivered') pending++;
  }
  return { problems, lost, duplicated, booked: booked.size, invoices: invoices.length,
           entries: entries.length, events: events.length, pending };
}

// The events the sink received, by event id: {got: Map(id -> times), duplicates}.
function sinkCounts(sink) {
  const got = new Map();
  for (const r of sink.requests) got.set(r.json.id, (got.get(r.json.id) || 0) + 1);
  let duplicates = 0;
  for (const n of got.values()) duplicates += n - 1;
  return { got, duplicates };
}

module.exports = {
  CYCLES, CONNECTIONS, Load, MockServices, PROVIDERS, RELEASE_BIN, SANITIZER_BIN, SHIM,
  checkBooks, crash, idOf, randomMoment, newLedger, randomMark, report, setupWorld, shimEnv, signedWebhook,
  sinkCounts, sql, start, stopLoads,
};

// ---- the fsync shim's order log -----------------------------------------------------------

// Reads the shim's log (see shim.c) and returns, for every acknowledged id, why its 2xx left
// too early, if it did: the answer must come after an fsync of the WAL that began after the
// commit frame of the transaction that first wrote the id. Also returns what it matched, so a
// test can tell a vacuous pass (ids never seen in the WAL) from a real one.
function fsyncOrder(logText, ackedIds) {
  const firstWrite = new Map(); // id -> seq
  const commits = [];           // seqs of commit frames, ascending
  const syncs = [];             // [begin, end] of WAL syncs
  const answers = new Map();    // id -> [seq, status] of its 2xx
  for (const line of logText.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'M') {
      const seq = Number(f[1]);
      for (const id of f.slice(2)) if (!firstWrite.has(id)) firstWrite.set(id, seq);
    } else if (f[0] === 'C') {
      commits.push(Number(f[1]));
    } else if (f[0] === 'S' && f[3] === 'wal') {
      syncs.push([Number(f[1]), Number(f[2])]);
    } else if (f[0] === 'A' && f.length >= 4) {
      const status = Number(f[2]);
      if (status >= 200 && status < 300 && !answers.has(f[3])) answers.set(f[3], [Number(f[1]), status]);
    }
  }
  commits.sort((a, b) => a - b);
  const violations = [];
  let matched = 0;
  for (const id of ackedIds) {
    const a = answers.get(id);
    const w = firstWrite.get(id);
    if (!a) { violations.push(`${id}: its 2xx was not seen leaving`); continue; }
    if (w === undefined) { violations.push(`${id}: answered 2xx but never written to the WAL`); continue; }
    const c = commits.find((s) => s >= w);
    if (c === undefined || c > a[0]) {
      violations.push(`${id}: answered ${a[1]} (at ${a[0]}) before its commit frame (${c})`);
      continue;
    }
    if (!syncs.some(([begin, end]) => begin > c && end < a[0])) {
      violations.push(`${id}: answered ${a[1]} (at ${a[0]}) with no fsync of the WAL between its commit (${c}) and the answer`);
      continue;
    }
    matched++;
  }
  return { violations, matched, commits: commits.length, syncs: syncs.length, answers: answers.size };
}

module.exports.fsyncOrder = fsyncOrder;
