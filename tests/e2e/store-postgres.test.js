// The PostgreSQL driver as an operator meets it (runs when CONNECTORD_TEST_DB is a
// postgres URL, as `make test`'s PostgreSQL pass sets it): the three DSN forms, a clear
// error for a database that cannot be reached, the schema in PostgreSQL's types
// (timestamptz, bigint minor units), timestamps in the API in the same RFC 3339 form as on
// SQLite, and the books' append-only triggers refusing changes made at the SQL prompt.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { after, before, describe, test } = require('node:test');
const { runCli, startServer } = require('./lib/server');
const { StripeTenant, invoicePaid } = require('./lib/stripe');

const BASE = process.env.CONNECTORD_TEST_DB || '';
const ON_PG = /^postgres(ql)?:\/\//.test(BASE);
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function psql(dsn, sql) {
  return execFileSync('psql', [dsn, '-v', 'ON_ERROR_STOP=1', '-AtXqc', sql],
                      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// A database of its own on the harness's cluster: its name and its URL.
function freshDatabase(tag) {
  const name = `cd_${tag}_${process.pid}_${Date.now()}`;
  psql(BASE, `CREATE DATABASE ${name}`);
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), host: url.hostname, port: url.port || '5432',
           user: decodeURIComponent(url.username || 'postgres') };
}

describe('the PostgreSQL store', { skip: ON_PG ? false : 'CONNECTORD_TEST_DB is not a postgres URL' }, () => {
  const made = [];
  let server;
  let db;

  before(async () => {
    server = await startServer(); // on a database of its own, which the harness made
    assert.match(server.db, /^postgres(ql)?:\/\//, 'the harness did not give the server a PostgreSQL store');
    db = { url: server.db };
  });

  after(async () => {
    await server?.stop();
    for (const name of made) {
      try {
        psql(BASE, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch {
        // a database left behind goes with the throwaway cluster
      }
    }
  });

  test('postgres://, postgresql:// and libpq keywords all reach the same database', async () => {
    const d = freshDatabase('dsn');
    made.push(d.name);
    const keywords = `host=${d.host} port=${d.port} user=${d.user} dbname=${d.name}`;
    let r = await runCli(['migrate', '--db', d.url]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(['tenant', 'create', '--name', 'Keyword GmbH', '--plan', 'pro', '--db', keywords]);
    assert.equal(r.code, 0, r.stderr);
    const { tenantId } = JSON.parse(r.stdout);
    r = await runCli(['tenant', 'list', '--db', d.url.replace(/^postgres:/, 'postgresql:')]);
    assert.equal(r.code, 0, r.stderr);
    const listed = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(listed.map((t) => t.id), [tenantId]);
    assert.match(listed[0].createdAt, RFC3339_MS);
  });

  test('a database that cannot be reached is a clear error at start, not a crash', async () => {
    const r = await runCli(['migrate', '--db', 'postgres://postgres@127.0.0.1:1/nowhere']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot connect to the PostgreSQL store/);
    const unknown = await runCli(['migrate', '--db', 'mysql://root@localhost/x']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /expected sqlite:PATH, postgres:\/\//);
  });

  test('times are timestamptz, amounts bigint minor units, and the API shows RFC 3339', async () => {
    const wrong = psql(db.url, "SELECT table_name || '.' || column_name || ' ' || data_type " +
                               "FROM information_schema.columns WHERE table_schema = current_schema() " +
                               "AND column_name LIKE '%\\_at' AND table_name <> 'schema_migrations' " +
                               "AND data_type <> 'timestamp with time zone' ORDER BY 1");
    assert.equal(wrong, '', `columns of times that are not timestamptz:\n${wrong}`);
    const money = psql(db.url, "SELECT data_type FROM information_schema.columns " +
                               "WHERE table_name = 'invoices' AND column_name = 'total_gross_minor'");
    assert.equal(money, 'bigint');

    const res = await server.request('/api/tenant', { token: server.token });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.createdAt, RFC3339_MS);
    const stored = psql(db.url, "SELECT to_char(created_at AT TIME ZONE 'UTC', " +
                                "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM tenants " +
                                `WHERE id = '${server.tenantId}'`);
    assert.equal(res.json.createdAt, stored);
  });

  test('the books are append-only in PostgreSQL too: the triggers refuse changes at the SQL prompt', async () => {
    const stripe = new StripeTenant(server, await server.createTenant(`Triggers ${Date.now()}`, 'enterprise'));
    await stripe.install({ autoPost: true });
    const res = await stripe.send(invoicePaid({ amount: 9900, currency: 'eur' }).body);
    assert.equal(res.status, 200, res.text);
    const refused = (sql) => assert.throws(() => psql(db.url, sql), /books are append-only/, sql);
    refused(`UPDATE invoices SET total_gross_minor = 1 WHERE tenant_id = '${stripe.tenantId}'`);
    refused(`UPDATE journal_lines SET debit_minor = debit_minor + 1 WHERE tenant_id = '${stripe.tenantId}'`);
    refused(`DELETE FROM journal_entries WHERE tenant_id = '${stripe.tenantId}'`);
    assert.equal(psql(db.url, `SELECT count(*) FROM invoices WHERE tenant_id = '${stripe.tenantId}'`), '1');

    // a second migration finds the triggers as listed and leaves them alone
    const oids = "SELECT string_agg(oid::text, ',' ORDER BY oid) FROM pg_trigger WHERE NOT tgisinternal";
    const before = psql(db.url, oids);
    const r = await server.cli(['migrate']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(psql(db.url, oids), before);
  });
});
