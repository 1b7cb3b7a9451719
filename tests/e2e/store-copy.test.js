// `connectord store copy`: a stopped store with every kind of row (tenants, settings, installs
// with sealed secrets, invoices, journal entries, events, deliveries and their attempts,
// webhook logs, the audit log and the chains) copied into an empty store in one checked
// transaction; a server on the copy answers the API as the original did. The copy refuses a
// store in use, a target with rows and a schema it does not know. And no command starts on a
// schema newer than the binary's.
//
// SQLite to SQLite always; SQLite to PostgreSQL and back when CONNECTORD_TEST_DB is a
// postgres:// URL (a database is created for each target and dropped at the end).
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { makeTempDir, runCli, startServer } = require('./lib/server');
const { booksTenant, installDatev, pay, refund } = require('./lib/accounting');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

const PG = /^postgres(ql)?:\/\//.test(process.env.CONNECTORD_TEST_DB || '')
  ? process.env.CONNECTORD_TEST_DB : null;

let mock;
let source; // the original server, stopped after the data is in
let A;
let B;
let expected; // the API's answers on the original
const dirs = [];
const pgDatabases = [];

function tempDir() {
  const d = makeTempDir();
  dirs.push(d);
  return d;
}

function sql(file, statement) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', file, statement],
                      { encoding: 'utf8' }).trim();
}

function storeFile(dir) {
  return path.join(dir, 'connectord.db');
}

// Every table's row count in an SQLite store (schema_migrations aside).
function counts(file) {
  const out = {};
  const tables = sql(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT " +
                           "LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
    .split('\n');
  for (const t of tables) out[t] = Number(sql(file, `SELECT count(*) FROM ${t}`));
  return out;
}

// Every page of a listing.
async function walk(srv, token, url, key) {
  const all = [];
  let cursor = null;
  for (;;) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await srv.request(`${url}${sep}limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(res.status, 200, `${url}: ${res.text}`);
    all.push(...(key ? res.json[key] : res.json));
    cursor = res.headers.get('x-next-cursor');
    if (!cursor) return all;
  }
}

const PAGES = [
  ['/api/tenant'], ['/api/settings'], ['/api/connectors'], ['/api/ledger/balances'],
  ['/api/ledger/verify'], ['/api/vat-returns/at?period=2026-02'], ['/api/exports/log'],
];
const LISTINGS = [
  ['/api/invoices', 'invoices'], ['/api/suppliers', 'suppliers'], ['/api/customers', 'customers'],
  ['/api/ledger/entries', 'entries'], ['/api/audit-log', 'entries'],
  ['/api/connectors/stripe/webhook-logs'],
];

// What a tenant's token sees through the API: single answers as text (byte for byte),
// listings walked page by page.
async function answers(srv, t) {
  const out = {};
  for (const [url] of PAGES) {
    const res = await srv.request(url, { token: t.token });
    out[url] = `${res.status} ${res.text}`;
  }
  for (const [url, key] of LISTINGS) out[url] = await walk(srv, t.token, url, key);
  // a server started on the copy may emit yesterday's summary that the original had not
  out.events = (await walk(srv, t.token, `/api/projects/${t.tenantId}/events`, 'events'))
    .filter((e) => e.type !== 'revenue.daily_summary');
  out.destinations = (await srv.request(`/api/projects/${t.tenantId}/connectors`,
                                        { token: t.token })).json;
  return out;
}

async function copy(from, to) {
  return runCli(['store', 'copy', '--from', from, '--to', to], { cwd: tempDir(), timeoutMs: 60000 });
}

// A server on a copied store, with the original's master key (the secrets are sealed by it).
async function serveCopy(db) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'var'), { recursive: true });
  fs.copyFileSync(path.join(source.dir, 'var', 'master.key'), path.join(dir, 'var', 'master.key'));
  return startServer({ dir, expectDemo: false, db });
}

function psql(url, statement) {
  return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', url, '-c', statement],
                      { encoding: 'utf8' }).trim();
}

// A new, empty PostgreSQL database on the test cluster; its URL.
function pgDatabase() {
  const name = `copy_${crypto.randomBytes(6).toString('hex')}`;
  psql(PG, `CREATE DATABASE ${name}`);
  pgDatabases.push(name);
  const u = new URL(PG);
  u.pathname = `/${name}`;
  return u.toString();
}

after(async () => {
  await source?.stop();
  await mock?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  for (const name of pgDatabases) {
    try { psql(PG, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* reported above */ }
  }
});

before(async () => {
  mock = await MockServices.start();
  const dir = tempDir();
  source = await startServer({ dir, db: `sqlite:${storeFile(dir)}` }); // SQLite in both passes
  A = await booksTenant(source, { settings: { chart: 'skr03' } });
  await installDatev(source, A.token);
  const ep = mock.endpoint('slack');
  await new Project(source, { tenantId: A.tenantId, token: A.token })
    .destination(ep, ['payment.settled']);
  const first = await pay(A, '2025-11-03', { amount: 11900, accountName: 'Müller Bäckerei' });
  await pay(A, '2026-02-10', { amount: 5000, accountName: 'Café Zürich' });
  await refund(A, '2026-02-12', { pi: first.externalId, amount: 11900 });
  await ep.waitFor(2);
  B = await booksTenant(source, {});
  const epB = mock.endpoint('slack');
  await new Project(source, { tenantId: B.tenantId, token: B.token })
    .destination(epB, ['payment.settled']);
  await pay(B, '2026-01-05', { amount: 700 });
  await epB.waitFor(1);
  expected = { A: await answers(source, A), B: await answers(source, B) };
});

describe('sqlite to sqlite', () => {
  let target;
  let report;

  test('a store in use by a running server is refused, and nothing is written', async () => {
    target = storeFile(tempDir());
    const r = await copy(source.db, `sqlite:${target}`);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /store copy refused, nothing was written: the source store is in use/);
    const res = await source.request('/api/tenant', { token: A.token });
    assert.equal(res.status, 200, 'the server goes on');
  });

  test('the stopped store is copied, with every table counted', async () => {
    await source.stop();
    const r = await copy(source.db, `sqlite:${target}`);
    assert.equal(r.code, 0, r.stderr);
    report = JSON.parse(r.stdout);
    assert.equal(report.from, 'sqlite');
    assert.equal(report.to, 'sqlite');
    const original = counts(storeFile(source.dir));
    for (const t of ['tenants', 'tenant_settings', 'api_tokens', 'connector_installs', 'audit_log',
                     'parties', 'invoices', 'journal_entries', 'journal_lines', 'webhook_logs',
                     'events', 'deliveries', 'delivery_attempts', 'chain_heads', 'projects'])
      assert.ok(original[t] > 0, `the original has no rows in ${t}`);
    assert.deepEqual(counts(target), original);
    const listed = Object.fromEntries(Object.entries(original).filter(([, n]) => n > 0));
    assert.deepEqual(Object.fromEntries(Object.entries(report.tables).filter(([, n]) => n > 0)),
                     listed);
    assert.equal(report.rows, Object.values(original).reduce((a, b) => a + b, 0));
    assert.equal(report.tenants, Number(sql(target, 'SELECT count(*) FROM tenants')));
    assert.equal(report.journalEntries, original.journal_entries);
    assert.ok(report.chainRows >= original.journal_entries + original.audit_log);
    assert.equal(report.schemaVersion,
                 Number(sql(storeFile(source.dir), 'SELECT max(version) FROM schema_migrations')));
  });

  test('the rows are the same, byte for byte, sealed secrets and hashes included', () => {
    for (const t of ['connector_installs', 'journal_entries', 'journal_lines', 'audit_log',
                     'invoices', 'api_tokens', 'chain_heads', 'deliveries'])
      assert.equal(sql(target, `SELECT * FROM ${t} ORDER BY 1, 2`),
                   sql(storeFile(source.dir), `SELECT * FROM ${t} ORDER BY 1, 2`), t);
  });

  test('a server on the copy answers as the original did', async () => {
    const srv = await serveCopy(`sqlite:${target}`);
    try {
      assert.deepEqual(await answers(srv, A), expected.A);
      assert.deepEqual(await answers(srv, B), expected.B);
      // the sealed webhook secret opens with the same master key: a webhook is booked
      A.server = srv;
      try {
        await pay(A, '2026-03-01', { amount: 300 });
      } finally {
        A.server = source;
      }
    } finally {
      await srv.stop();
    }
  });

  test('a target with rows is refused, and left as it was', async () => {
    const before = counts(target);
    const r = await copy(source.db, `sqlite:${target}`);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /refused, nothing was written: the target is not empty \(table \w+ has rows\)/);
    assert.deepEqual(counts(target), before);
  });

  test('a missing source is refused', async () => {
    const r = await copy(`sqlite:${path.join(tempDir(), 'nothing.db')}`,
                         `sqlite:${storeFile(tempDir())}`);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /there is no store at/);
  });

  // A copy of the original with `statement` run behind the store's back (the triggers on
  // `table` dropped for it), copied: the copy must fail with `reason`, leaving nothing.
  async function brokenCopy(table, statement, reason) {
    const broken = tempDir();
    fs.copyFileSync(storeFile(source.dir), storeFile(broken));
    const triggers = JSON.parse(execFileSync('sqlite3', ['-json', storeFile(broken),
      `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '${table}'`],
                                              { encoding: 'utf8' }) || '[]');
    sql(storeFile(broken), ['BEGIN;', ...triggers.map((t) => `DROP TRIGGER ${t.name};`),
      statement, ...triggers.map((t) => `${t.sql};`), 'COMMIT;'].join('\n'));
    const into = storeFile(tempDir());
    const r = await copy(`sqlite:${storeFile(broken)}`, `sqlite:${into}`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, reason);
    assert.equal(sql(into, 'SELECT count(*) FROM tenants'), '0');
  }

  test('a copy whose books do not balance is rolled back', async () => {
    await brokenCopy('journal_lines',
                     'UPDATE journal_lines SET debit_minor = debit_minor + 1, book_debit_minor = ' +
                     'book_debit_minor + 1 WHERE rowid = (SELECT min(rowid) FROM journal_lines ' +
                     'WHERE debit_minor > 0);',
                     /failed and was rolled back: journal entry \S+ does not balance in EUR/);
  });

  test('a copy whose hash chain does not verify is rolled back', async () => {
    await brokenCopy('journal_entries',
                     "UPDATE journal_entries SET description = 'changed' WHERE rowid = " +
                     '(SELECT min(rowid) FROM journal_entries);',
                     /failed and was rolled back: tenant \S+: the journal chain does not verify at row \S+: its contents do not match its hash/);
  });

  test('the help says it goes both ways', async () => {
    const r = await runCli(['store', 'copy', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /SQLite to PostgreSQL, back, or SQLite to SQLite/);
  });
});

describe('a schema newer than the binary', () => {
  let dir;

  before(() => {
    dir = tempDir();
    fs.copyFileSync(storeFile(source.dir), storeFile(dir));
    sql(storeFile(dir), "INSERT INTO schema_migrations (version, name, applied_at) VALUES " +
                        "(999, 'from the future', '2030-01-01T00:00:00.000Z')");
  });

  test('migrate refuses it, naming the version found and the one known', async () => {
    const r = await runCli(['migrate', '--db', `sqlite:${storeFile(dir)}`], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /schema is at version 999, and this connectord knows versions up to \d+/);
  });

  test('serve and the other commands refuse to start on it', async () => {
    for (const args of [['serve', '--dev', '--listen', '127.0.0.1:0'], ['tenant', 'list']]) {
      const r = await runCli([...args, '--db', `sqlite:${storeFile(dir)}`], { cwd: dir });
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /version 999/);
    }
    assert.equal(sql(storeFile(dir), 'SELECT max(version) FROM schema_migrations'), '999');
  });

  test('store copy refuses it as a source', async () => {
    const r = await copy(`sqlite:${storeFile(dir)}`, `sqlite:${storeFile(tempDir())}`);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /refused.*version 999/);
  });
});

describe('sqlite to postgresql and back', { skip: !PG && 'CONNECTORD_TEST_DB is no postgres:// URL' }, () => {
  let pgUrl;

  test('the stopped store is copied into an empty PostgreSQL database', async () => {
    pgUrl = pgDatabase();
    const r = await copy(source.db, pgUrl);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.to, 'postgres');
    assert.deepEqual(Object.fromEntries(Object.entries(report.tables).filter(([, n]) => n > 0)),
                     Object.fromEntries(Object.entries(counts(storeFile(source.dir)))
                       .filter(([, n]) => n > 0)));
  });

  test('a server on PostgreSQL answers as the original did; its store is in use', async () => {
    const srv = await serveCopy(pgUrl);
    try {
      assert.deepEqual(await answers(srv, A), expected.A);
      assert.deepEqual(await answers(srv, B), expected.B);
      const r = await copy(pgUrl, `sqlite:${storeFile(tempDir())}`);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /the source store is in use .*other session\(s\) are connected/);
    } finally {
      await srv.stop();
    }
  });

  test('a PostgreSQL target with rows is refused', async () => {
    const r = await copy(source.db, pgUrl);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /the target is not empty/);
  });

  test('and back to SQLite, the same answers again', async () => {
    const back = storeFile(tempDir());
    const r = await copy(pgUrl, `sqlite:${back}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).from, 'postgres');
    const srv = await serveCopy(`sqlite:${back}`);
    try {
      assert.deepEqual(await answers(srv, A), expected.A);
    } finally {
      await srv.stop();
    }
  });
});
