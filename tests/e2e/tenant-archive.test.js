// A tenant's archive (GET /api/exports/tenant, `connectord tenant export`) and its import
// (`connectord tenant import`): one stream of JSON lines with every row of the tenant, table
// by table, the DATEV file of each fiscal year with bookings and an end line that counts the
// rows; its SHA-256 in X-Archive-SHA256 and the operator log. Re-imported into an empty store
// it gives back every table's rows, and the tenant's token answers there as it did before.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { makeTempDir, runCli, sqliteOnly, startServer, storeFor } = require('./lib/server');
const storeFile = require('./lib/store-file');
const { booksTenant, installDatev, pay } = require('./lib/accounting');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

let server;
let mock;
let A; // the archived tenant: books in 2025 and 2026, DATEV, a destination, events
let B; // another tenant of the same store, whose rows must stay out of A's archive
const dirs = [];

after(async () => {
  await server?.stop();
  await mock?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

// Runs SQL on a store given as its --db value (lib/store-file.js: either backend).
function sql(db, statement) {
  return storeFile.sql({ db }, statement).trim();
}

function parseArchive(text) {
  assert.ok(text.endsWith('\n'), 'every line ends in a newline');
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
}

// The row lines of an archive as sorted text per table: what must be equal after a round trip.
function rowsByTable(lines) {
  const out = {};
  for (const l of lines.filter((x) => x.table)) (out[l.table] ??= []).push(JSON.stringify(l.row));
  for (const t of Object.keys(out)) out[t].sort();
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
    const list = key ? res.json[key] : res.json;
    all.push(...list);
    cursor = res.headers.get('x-next-cursor');
    if (!cursor) return all;
  }
}

const LISTINGS = [
  ['/api/tenant'], ['/api/settings'], ['/api/invoices', 'invoices'], ['/api/suppliers', 'suppliers'],
  ['/api/customers', 'customers'], ['/api/ledger/entries', 'entries'], ['/api/ledger/balances'],
  ['/api/audit-log', 'entries'], ['/api/connectors/stripe/webhook-logs'],
];

async function answers(srv, t) {
  const out = {};
  for (const [url, key] of LISTINGS) {
    if (key || url.includes('webhook-logs')) out[url] = await walk(srv, t.token, url, key);
    else out[url] = (await srv.request(url, { token: t.token })).json;
  }
  // a server started on the copy may emit yesterday's summary the original had not yet
  out.events = (await walk(srv, t.token, `/api/projects/${t.tenantId}/events`, 'events'))
    .filter((e) => e.type !== 'revenue.daily_summary');
  return out;
}

before(async () => {
  mock = await MockServices.start();
  server = await startServer();
  A = await booksTenant(server, { settings: { chart: 'skr03' } });
  await installDatev(server, A.token);
  const project = new Project(server, { tenantId: A.tenantId, token: A.token });
  const ep = mock.endpoint('slack');
  await project.destination(ep, ['payment.settled']);
  await pay(A, '2025-11-03', { amount: 11900, accountName: 'Müller Bäckerei' });
  await pay(A, '2026-02-10', { amount: 5000, accountName: 'Café Zürich' });
  await ep.waitFor(2);
  B = await booksTenant(server, {});
  const epB = mock.endpoint('slack');
  await new Project(server, { tenantId: B.tenantId, token: B.token }).destination(epB, ['payment.settled']);
  await pay(B, '2026-01-05', { amount: 700 });
  await epB.waitFor(1);
});

describe('the archive', () => {
  let res;
  let lines;

  before(async () => {
    res = await server.request('/api/exports/tenant', { token: A.token });
  });

  test('GET /api/exports/tenant answers JSON lines with their SHA-256 and a file name', () => {
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^application\/x-ndjson/);
    assert.equal(res.headers.get('content-disposition'),
                 `attachment; filename="tenant-${A.tenantId}.jsonl"`);
    assert.equal(res.headers.get('x-archive-sha256'), sha256(Buffer.from(res.text, 'utf8')));
    lines = parseArchive(res.text);
  });

  test('the head names the format, the tenant and the schema', () => {
    const head = lines[0];
    assert.equal(head.format, 'connectord-tenant-archive');
    assert.equal(head.version, 1);
    assert.equal(head.tenantId, A.tenantId);
    assert.ok(head.schemaVersion >= 12);
    assert.match(head.createdAt, /^\d{4}-\d\d-\d\dT/);
  });

  test('every table of the tenant is in it, with its own rows only', () => {
    const tables = rowsByTable(lines);
    for (const t of ['tenants', 'tenant_settings', 'projects', 'api_tokens', 'connector_installs',
                     'audit_log', 'parties', 'invoices', 'journal_entries', 'journal_lines',
                     'webhook_logs', 'events', 'deliveries', 'delivery_attempts'])
      assert.ok(tables[t]?.length > 0, `no rows of ${t}`);
    assert.equal(tables.invoices.length, 2);
    assert.ok(!res.text.includes(B.tenantId), 'a row of the other tenant is in the archive');
    for (const l of lines.filter((x) => x.table && 'tenant_id' in x.row))
      assert.equal(l.row.tenant_id, A.tenantId);
  });

  test('secrets are as stored: sealed credentials and token hashes, never the token', () => {
    assert.ok(!res.text.includes(A.token), 'the token itself is in the archive');
    const tokens = lines.filter((l) => l.table === 'api_tokens');
    assert.ok(tokens.every((l) => /^[0-9a-f]{64}$/.test(l.row.token_hash)));
    const stripe = lines.find((l) => l.table === 'connector_installs' && l.row.slug === 'stripe');
    assert.ok(!stripe.row.secrets.includes(A.secret), 'a webhook secret in plain text');
  });

  test('the DATEV file of each fiscal year with bookings, Windows-1252 in base64', () => {
    const datev = lines.filter((l) => l.datev).map((l) => l.datev);
    assert.deepEqual(datev.map((d) => [d.fiscalYear, d.from, d.to]),
                     [[2025, '2025-01-01', '2025-12-31'], [2026, '2026-01-01', '2026-12-31']]);
    for (const d of datev) {
      assert.equal(d.error, undefined, JSON.stringify(d.error));
      assert.equal(d.encoding, 'windows-1252');
      assert.match(d.name, /^EXTF_/);
      const text = Buffer.from(d.base64, 'base64').toString('latin1');
      assert.match(text, /^"EXTF";700;21;"Buchungsstapel"/);
    }
    const y2025 = Buffer.from(datev[0].base64, 'base64').toString('latin1');
    assert.ok(y2025.includes('Müller Bäckerei'.slice(0, 6)) || y2025.includes('119,00'),
              'the 2025 file holds the 2025 booking');
  });

  test('the end line counts the rows per table', () => {
    const end = lines[lines.length - 1].end;
    const rows = lines.filter((l) => l.table);
    assert.equal(end.rows, rows.length);
    for (const [t, list] of Object.entries(rowsByTable(lines)))
      assert.equal(end.tables[t], list.length, t);
  });

  test('the archive is recorded in the operator log with its hash', () => {
    const n = sql(server.db, `SELECT count(*) FROM operator_log WHERE action = 'tenant_export' ` +
                              `AND tenant_id = '${A.tenantId}' AND archive_sha256 = ` +
                              `'${res.headers.get('x-archive-sha256')}'`);
    assert.equal(n, '1');
  });

  test('a member token may not take it', async () => {
    const member = await server.createToken(A.tenantId, 'member');
    const r = await server.request('/api/exports/tenant', { token: member });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'forbidden');
  });
});

describe('connectord tenant export and import', () => {
  let file;
  let printed;
  let before;

  test('tenant export writes the archive and prints its hash', async () => {
    before = await answers(server, A);
    file = path.join(server.dir, 'a.jsonl');
    const r = await server.cli(['tenant', 'export', '--tenant', A.tenantId, '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    printed = JSON.parse(r.stdout);
    const bytes = fs.readFileSync(file);
    assert.equal(printed.sha256, sha256(bytes));
    assert.equal(printed.bytes, bytes.length);
    assert.equal(printed.tenantId, A.tenantId);
    assert.equal(printed.rows, parseArchive(bytes.toString('utf8')).filter((l) => l.table).length);
  });

  test('an unknown tenant is refused', async () => {
    const r = await server.cli(['tenant', 'export', '--tenant', 'ten_nope', '--out',
                                path.join(server.dir, 'x.jsonl')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such tenant/);
  });

  test('imported into an empty store, every table has the same rows', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const db = await storeFor(dir);
    const imp = await runCli(['tenant', 'import', '--in', file, '--db', db], { cwd: dir });
    assert.equal(imp.code, 0, imp.stderr);
    assert.deepEqual(JSON.parse(imp.stdout), { tenantId: A.tenantId, rows: printed.rows });
    const again = await runCli(['tenant', 'export', '--tenant', A.tenantId, '--out',
                                path.join(dir, 'b.jsonl'), '--db', db], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    const original = parseArchive(fs.readFileSync(file, 'utf8'));
    const copy = parseArchive(fs.readFileSync(path.join(dir, 'b.jsonl'), 'utf8'));
    assert.deepEqual(rowsByTable(copy), rowsByTable(original));
    assert.deepEqual(copy.filter((l) => l.datev).map((l) => l.datev.base64.length),
                     original.filter((l) => l.datev).map((l) => l.datev.base64.length));
    assert.equal(sql(db, `SELECT count(*) FROM operator_log WHERE action = 'tenant_import'`), '1');

    // The same master key opens the imported secrets; the tenant's token answers as before.
    fs.mkdirSync(path.join(dir, 'var'), { recursive: true });
    fs.copyFileSync(path.join(server.dir, 'var', 'master.key'), path.join(dir, 'var', 'master.key'));
    const copyServer = await startServer({ dir, expectDemo: false });
    try {
      assert.deepEqual(await answers(copyServer, A), before);
    } finally {
      await copyServer.stop();
    }

    const twice = await runCli(['tenant', 'import', '--in', file, '--db', db], { cwd: dir });
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /exists in this store already/);
  });

  test('an archive cut short loads nothing', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const cut = path.join(dir, 'cut.jsonl');
    const text = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(cut, `${text.slice(0, text.length - 2).join('\n')}\n`); // no end line
    const db = await storeFor(dir);
    const r = await runCli(['tenant', 'import', '--in', cut, '--db', db], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cut short/);
    assert.equal(sql(db, 'SELECT count(*) FROM tenants'), '0');
    assert.equal(sql(db, 'SELECT count(*) FROM invoices'), '0');
  });

  test('a row attached to another tenant\'s row through its parent loads nothing', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const db = await storeFor(dir);
    const bFile = path.join(dir, 'b.jsonl');
    const bExp = await server.cli(['tenant', 'export', '--tenant', B.tenantId, '--out', bFile]);
    assert.equal(bExp.code, 0, bExp.stderr);
    assert.equal((await runCli(['tenant', 'import', '--in', bFile, '--db', db], { cwd: dir })).code, 0);
    const bDelivery = sql(db, 'SELECT id FROM deliveries LIMIT 1');
    assert.ok(bDelivery, 'B has a delivery');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"table":"delivery_attempts"'));
    const attempt = JSON.parse(lines[i]);
    attempt.row.delivery_id = bDelivery;
    attempt.row.attempt_no = 99;
    lines[i] = JSON.stringify(attempt);
    const doctored = path.join(dir, 'doctored.jsonl');
    fs.writeFileSync(doctored, lines.join('\n'));
    const r = await runCli(['tenant', 'import', '--in', doctored, '--db', db], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /1 of the rows of delivery_attempts belong to another tenant/);
    assert.equal(sql(db, `SELECT count(*) FROM tenants WHERE id = '${A.tenantId}'`), '0');
    assert.equal(sql(db, 'SELECT count(*) FROM delivery_attempts WHERE attempt_no = 99'), '0');
  });

  test('a line that is not of an archive is named', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const bad = path.join(dir, 'bad.jsonl');
    const text = fs.readFileSync(file, 'utf8').split('\n');
    text[3] = '{"table": "schema_migrations", "row": {"version": 99}}';
    fs.writeFileSync(bad, text.join('\n'));
    const db = await storeFor(dir);
    const r = await runCli(['tenant', 'import', '--in', bad, '--db', db], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 4: table schema_migrations holds no tenant data/);
    assert.equal(sql(db, 'SELECT count(*) FROM tenants'), '0');
  });
});

test('a fiscal year from July gives a DATEV file per calendar year it spans', async () => {
  const C = await booksTenant(server, { settings: { chart: 'skr04', fiscalYearStart: '07-01' } });
  await installDatev(server, C.token);
  await pay(C, '2025-11-03', { amount: 2000 });
  await pay(C, '2026-08-10', { amount: 3000 });
  const res = await server.request('/api/exports/tenant', { token: C.token });
  assert.equal(res.status, 200, res.text);
  const datev = parseArchive(res.text).filter((l) => l.datev).map((l) => l.datev);
  assert.deepEqual(datev.map((d) => [d.fiscalYear, d.from, d.to, d.error]), [
    [2025, '2025-07-01', '2025-12-31', undefined], [2025, '2026-01-01', '2026-06-30', undefined],
    [2026, '2026-07-01', '2026-12-31', undefined],
  ]);
});

test('without the datev connector each year says why it has no file', async () => {
  const res = await server.request('/api/exports/tenant', { token: B.token });
  const datev = parseArchive(res.text).filter((l) => l.datev).map((l) => l.datev);
  assert.equal(datev.length, 1);
  assert.equal(datev[0].error.code, 'connector_not_installed');
  assert.equal(datev[0].base64, undefined);
});

test('every table of the schema is a tenant\'s (listed or by its tenant_id) or named shared',
     sqliteOnly('walks the schema in the store file with the sqlite3 shell'), () => {
  const def = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'store', 'tenant_tables.def'), 'utf8');
  const listed = [...def.matchAll(/^(?:TENANT|SHARED)_TABLE\("([a-z_0-9]+)"/gm)].map((m) => m[1]);
  const tables = sql(server.db, "SELECT name FROM sqlite_master WHERE type = 'table' " +
                                 "AND name NOT LIKE 'sqlite_%'").split('\n');
  for (const t of tables) {
    const cols = sql(server.db, `SELECT name FROM pragma_table_info('${t}')`).split('\n');
    assert.ok(listed.includes(t) || cols.includes('tenant_id'),
              `table ${t} has no tenant_id column: add a line for it to src/store/tenant_tables.def ` +
              '(TENANT_TABLE with the condition that finds a tenant\'s rows, or SHARED_TABLE)');
  }
  for (const t of listed) assert.ok(tables.includes(t), `tenant_tables.def names ${t}, which is no table`);
});
