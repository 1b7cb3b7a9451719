// Running it for years (issue 23): backups of a running store and their restore, the restore
// drill under load, the master key's rotation and the refusal of a wrong key, migrations that
// fail leaving the store as it was, and a downgrade refused with both versions named.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, describe, test } = require('node:test');
const { BACKEND, makeTempDir, runCli, sqliteOnly, startServer } = require('./lib/server');
const { StripeTenant, assertBalanced, invoicePaid } = require('./lib/stripe');
const { rows, sql } = require('./lib/store-file');

const servers = [];
const dirs = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// A server in a directory of the test's (kept after stop, for the store's next life).
async function serve(opts = {}) {
  const s = await startServer({ dir: opts.dir || tempDir(), ...opts });
  servers.push(s);
  return s;
}

function tempDir() {
  const d = makeTempDir();
  dirs.push(d);
  return d;
}

function newKeyFile(dir, name) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  return file;
}

// Every sealed value ("v1." + base64url) anywhere in the store's text, as a set.
function sealedValues(server) {
  const tables = BACKEND === 'postgres'
    ? rows(server, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")
    : rows(server, "SELECT name FROM sqlite_master WHERE type = 'table'");
  const found = new Set();
  for (const { name } of tables) {
    for (const row of rows(server, `SELECT * FROM ${name}`))
      for (const v of Object.values(row))
        if (typeof v === 'string') for (const m of v.matchAll(/v1\.[A-Za-z0-9_-]{20,}/g)) found.add(m[0]);
  }
  return found;
}

describe('store backup and restore', () => {
  test('a backup taken under load holds every webhook acknowledged before it began, once; ' +
       'restored, the books balance and a webhook sent again is a duplicate only if it was in the backup',
       sqliteOnly('store backup copies SQLite stores; PostgreSQL has pg_dump'), async () => {
    const server = await serve();
    const tenant = await StripeTenant.create(server);
    const acked = []; // {payment, at} of every 2xx, with the time it came back
    let stop = false;
    const load = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const batch = Array.from({ length: 4 }, () => invoicePaid({ amount: 1000 + i }));
        const answers = await Promise.all(batch.map((p) => tenant.send(p.body)));
        answers.forEach((res, k) => {
          assert.equal(res.status, 200, res.text);
          acked.push({ payment: batch[k], at: process.hrtime.bigint() });
        });
      }
    })();
    while (acked.length < 40) await new Promise((r) => setTimeout(r, 20));
    const backupFile = path.join(server.dir, 'backup.db');
    const began = process.hrtime.bigint();
    const b = await server.cli(['store', 'backup', '--out', backupFile]);
    assert.equal(b.code, 0, b.stderr);
    const manifest = JSON.parse(b.stdout);
    // ingest goes on after the backup: more webhooks acknowledged that the backup lacks
    const countAtEnd = acked.length;
    while (acked.length < countAtEnd + 40) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await load;

    assert.equal(manifest.format, 'connectord-backup/1');
    assert.equal(manifest.schemaVersion, Number((await runCli(['--version'])).stdout.match(/schema (\d+)/)[1]));
    const onDisk = JSON.parse(fs.readFileSync(`${backupFile}.manifest.json`, 'utf8'));
    assert.deepEqual(onDisk, manifest);
    assert.equal(manifest.sha256, crypto.createHash('sha256').update(fs.readFileSync(backupFile)).digest('hex'));
    assert.ok(manifest.tables.invoices >= 40, JSON.stringify(manifest.tables));
    assert.ok(manifest.chainHeads.some((h) => h.tenantId === tenant.tenantId), JSON.stringify(manifest.chainHeads));

    // restore into a new store, and serve it with the same key
    const restoredDir = tempDir();
    fs.mkdirSync(path.join(restoredDir, 'var'));
    fs.copyFileSync(path.join(server.dir, 'var', 'master.key'), path.join(restoredDir, 'var', 'master.key'));
    const restoredDb = `sqlite:${path.join(restoredDir, 'restored.db')}`;
    const r = await runCli(['store', 'restore', '--from', backupFile, '--db', restoredDb,
                            '--master-key-file', path.join(restoredDir, 'var', 'master.key')]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.schemaVersion, manifest.schemaVersion);
    assert.ok(report.secrets >= 2, r.stdout); // the stripe secret and the webhook token
    assert.ok(report.chainRows > 0);
    await server.stop();

    const restored = await serve({ dir: restoredDir, db: restoredDb, expectDemo: false });
    const again = new StripeTenant(restored, tenant);
    again.path = tenant.path;
    again.secret = tenant.secret;
    const invoices = await again.invoices();
    const byExternal = new Map();
    for (const inv of invoices) byExternal.set(inv.externalId, (byExternal.get(inv.externalId) || 0) + 1);
    const before = acked.filter((a) => a.at < began);
    assert.ok(before.length >= 40);
    for (const a of before)
      assert.equal(byExternal.get(a.payment.externalId), 1, `${a.payment.externalId} acknowledged before the backup`);
    for (const n of byExternal.values()) assert.equal(n, 1);
    await assertBalanced(again);

    const missing = acked.filter((a) => !byExternal.has(a.payment.externalId));
    assert.ok(missing.length > 0, 'webhooks acknowledged after the backup are not in it');
    const counts = await again.logCounts();
    const dup = await again.send(before[0].payment.body);
    assert.equal(dup.status, 200, dup.text);
    assert.equal((await again.logCounts()).duplicate, counts.duplicate + 1);
    assert.equal((await again.invoices()).length, invoices.length);
    const booked = await again.send(missing[0].payment.body);
    assert.equal(booked.status, 200, booked.text);
    assert.equal((await again.logCounts()).processed, counts.processed + 1);
    assert.equal((await again.invoices()).length, invoices.length + 1);
  });

  test('a damaged backup, a wrong key, an existing target and a missing manifest are refused, and nothing is written',
       sqliteOnly('store backup copies SQLite stores'), async () => {
    const server = await serve();
    await StripeTenant.create(server);
    const file = path.join(server.dir, 'b.db');
    assert.equal((await server.cli(['store', 'backup', '--out', file])).code, 0);
    const again = await server.cli(['store', 'backup', '--out', file]);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /exists: a backup never overwrites a file/);

    const dir = tempDir();
    const key = path.join(server.dir, 'var', 'master.key');
    const target = path.join(dir, 'r.db');
    const restore = (from, extra = []) =>
      runCli(['store', 'restore', '--from', from, '--db', `sqlite:${target}`, '--master-key-file', key, ...extra]);

    const wrongKey = await runCli(['store', 'restore', '--from', file, '--db', `sqlite:${target}`,
                                   '--master-key-file', newKeyFile(dir, 'other.key')]);
    assert.equal(wrongKey.code, 3);
    assert.match(wrongKey.stderr, /secrets do not open with the configured master key/);
    assert.equal(fs.existsSync(target), false);

    const damaged = path.join(dir, 'damaged.db');
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(damaged, bytes);
    fs.copyFileSync(`${file}.manifest.json`, `${damaged}.manifest.json`);
    const d = await restore(damaged);
    assert.equal(d.code, 3);
    assert.match(d.stderr, /is damaged: its SHA-256 is [0-9a-f]{64}/);
    assert.equal(fs.existsSync(target), false);

    // a manifest that lies about the rows (its hash made to match the file) is caught too
    const lying = JSON.parse(fs.readFileSync(`${file}.manifest.json`, 'utf8'));
    lying.tables.invoices += 1;
    const lyingFile = path.join(dir, 'lying.db');
    fs.copyFileSync(file, lyingFile);
    fs.writeFileSync(`${lyingFile}.manifest.json`, JSON.stringify(lying));
    const l = await restore(lyingFile);
    assert.equal(l.code, 3);
    assert.match(l.stderr, /table invoices holds \d+ rows, its manifest says \d+/);
    assert.equal(fs.existsSync(target), false);
    assert.equal(fs.existsSync(`${target}.restore-tmp`), false);

    const noManifest = path.join(dir, 'alone.db');
    fs.copyFileSync(file, noManifest);
    const n = await restore(noManifest);
    assert.equal(n.code, 3);
    assert.match(n.stderr, /cannot read the backup's manifest/);

    assert.equal((await restore(file)).code, 0);
    const exists = await restore(file);
    assert.equal(exists.code, 3);
    assert.match(exists.stderr, /exists: restore into a new path/);
  });

  test('on PostgreSQL, backup and restore point to pg_dump and pg_basebackup', async () => {
    const r = await runCli(['store', 'backup', '--db', 'postgres://nobody@127.0.0.1:1/none', '--out', 'x.db']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /pg_dump --format=custom/);
    assert.match(r.stderr, /pg_basebackup/);
    const s = await runCli(['store', 'restore', '--db', 'postgres://nobody@127.0.0.1:1/none', '--from', 'x.db'],
                           { env: { CONNECTORD_MASTER_KEY: '00'.repeat(32) } });
    assert.equal(s.code, 3);
    assert.match(s.stderr, /pg_restore/);
  });
});

describe('the master key', () => {
  test('keys rotate re-seals every secret in one go; the old key is then refused at start, the new one serves the same webhooks', async () => {
    const server = await serve();
    const tenant = await StripeTenant.create(server);
    assert.equal((await tenant.send(invoicePaid().body)).status, 200);
    // a destination whose sensitive URL is sealed too
    const dest = await server.request(`/api/projects/${tenant.tenantId}/connectors`, {
      method: 'POST', token: tenant.token,
      json: { type: 'slack', config: { webhookUrl: 'https://hooks.slack.com/services/T1/B2/c3' }, eventTypes: ['*'] },
    });
    assert.equal(dest.status, 201, dest.text);
    const before = sealedValues(server);
    assert.ok(before.size >= 3, `sealed values found: ${before.size}`);
    await server.stop();

    const oldKey = path.join(server.dir, 'var', 'master.key');
    const newKey = newKeyFile(server.dir, 'new.key');
    // refused while the store is in use (SQLite: another process has it open)
    const rot = await server.cli(['keys', 'rotate', '--master-key-file', oldKey, '--new-key-file', newKey]);
    assert.equal(rot.code, 0, rot.stderr);
    // every sealed value of the store moved: the secrets and the key's own check value
    assert.equal(JSON.parse(rot.stdout).secrets + 1, before.size);
    const afterRotation = sealedValues(server);
    assert.equal(afterRotation.size, before.size);
    for (const v of afterRotation) assert.ok(!before.has(v), 'a sealed value was left under the old key');

    const withOld = await runCli(['serve', '--db', server.db, '--listen', '127.0.0.1:1', '--master-key-file', oldKey],
                                 { cwd: server.dir });
    assert.notEqual(withOld.code, 0);
    assert.match(withOld.stderr, /the master key is not this store's key/);

    const restarted = await serve({ dir: server.dir, db: server.db, expectDemo: false,
                                    args: ['--master-key-file', newKey] });
    const again = new StripeTenant(restarted, tenant);
    again.path = tenant.path;
    again.secret = tenant.secret;
    const res = await again.send(invoicePaid().body);
    assert.equal(res.status, 200, res.text);
    assert.equal((await again.logCounts()).processed, 2);
    const shown = await restarted.request('/api/connectors/stripe', { token: tenant.token });
    assert.equal(new URL(shown.json.webhookUrl).pathname, tenant.path);

    // the wrong key for a rotation changes nothing
    await restarted.stop();
    const bad = await runCli(['keys', 'rotate', '--db', server.db, '--master-key-file', oldKey,
                              '--new-key-file', newKeyFile(server.dir, 'third.key')], { cwd: server.dir });
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /not this store's key/);
    assert.deepEqual(sealedValues(server), afterRotation);
  });

  test('keys rotate refuses a store in use', sqliteOnly('SQLite keeps other processes out with its lock'), async () => {
    const server = await serve();
    const newKey = newKeyFile(server.dir, 'new.key');
    const r = await server.cli(['keys', 'rotate', '--master-key-file', path.join(server.dir, 'var', 'master.key'),
                                '--new-key-file', newKey]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /the store is in use/);
  });
});

describe('migrations and versions', () => {
  test('a migration that fails leaves the store as it was, at its earlier version', async () => {
    const server = await serve();
    await server.stop();
    // Take the store back to before steps 16 and 23, but leave 23's table in the way:
    // step 16 would apply, 23 fails, and nothing of either may remain.
    sql(server, 'DROP TABLE oauth_states; DROP TABLE oauth_tokens; ' +
                'DELETE FROM schema_migrations WHERE version IN (16, 23);');
    const left = Math.max(...rows(server, 'SELECT version FROM schema_migrations').map((x) => Number(x.version)));
    const r = await server.cli(['migrate']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /store migration 23 \(.*\) failed, and the store was left as it was, at schema version (\d+)/);
    assert.equal(Number(r.stderr.match(/at schema version (\d+)/)[1]), left);
    const versions = rows(server, 'SELECT version FROM schema_migrations').map((x) => Number(x.version));
    assert.ok(!versions.includes(16) && !versions.includes(23), versions.join(','));
    const tables = BACKEND === 'postgres'
      ? rows(server, "SELECT table_name AS name FROM information_schema.tables WHERE table_name = 'oauth_tokens'")
      : rows(server, "SELECT name FROM sqlite_master WHERE name = 'oauth_tokens'");
    assert.equal(tables.length, 0, 'step 16 was rolled back with the failed step 23');
    // out of the way, the same migration applies
    sql(server, 'DROP TABLE store_keys;');
    const ok = await server.cli(['migrate']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /applied 2 store migration/);
  });

  test('a store of a newer schema is refused, naming both versions', async () => {
    const server = await serve();
    await server.stop();
    sql(server, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00.000Z');");
    const r = await runCli(['serve', '--db', server.db, '--dev', '--listen', '127.0.0.1:1'], { cwd: server.dir });
    assert.notEqual(r.code, 0);
    const latest = Number((await runCli(['--version'])).stdout.match(/schema (\d+)/)[1]);
    assert.match(r.stderr, new RegExp(`schema is at version 999, and this connectord knows versions up to ${latest}`));
    sql(server, 'DELETE FROM schema_migrations WHERE version = 999;');
  });
});
