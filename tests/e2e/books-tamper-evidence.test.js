// Tamper-evident books: booked rows are append-only in the store itself (triggers refuse an
// UPDATE or DELETE, except a tenant being erased), journal entries and audit records are
// hash-chained per tenant, GET /api/ledger/verify and `connectord books verify` name the
// first row that no longer matches, and every export records the chain head it was made from
// (X-Books-Chain-Head, GET /api/exports/log). The store is reached behind the server's back
// (lib/store-file.js: the sqlite3 shell on the file, or psql on PostgreSQL), as someone with
// the disk or the database in hand could.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { behindTheStore, rows, sql } = require('./lib/store-file');
const { assertError } = require('./lib/stripe');
const {
  FonMock, booksTenant, datevExport, daysBetween, importRates, installDatev, pay, refund,
} = require('./lib/accounting');

let server;
let fon;

before(async () => {
  server = await startServer();
  fon = await new FonMock().start();
});

after(async () => {
  await server?.stop();
  await fon?.stop();
});

async function verify(t) {
  const res = await server.request('/api/ledger/verify', { token: t.token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

// A tenant with three payments (one refunded) booked and posted.
async function bookedTenant(settings = { chart: 'skr03' }, vatRate = '19') {
  const t = await booksTenant(server, { settings, stripe: { vatRate } });
  const a = await pay(t, '2026-02-03', { amount: 11900 });
  await pay(t, '2026-02-04', { amount: 2380 });
  await pay(t, '2026-02-05', { amount: 5950 });
  await refund(t, '2026-02-06', { pi: a.externalId, amount: 11900 });
  return t;
}

// Books a payment of 100.00 USD on 2026-02-07 at an imported ECB rate; its entry is the
// tenant's next in the chain, its invoice has a row in invoice_fx.
async function payInUsd(t) {
  await importRates(server, daysBetween('2026-02-01', '2026-02-10'), { USD: '1.0823' });
  return pay(t, '2026-02-07', { amount: 10000, currency: 'usd' });
}

// The id of the tenant's row at chain_seq in a table.
function rowAt(t, table, seq, on = server) {
  return sql(on, `SELECT id FROM ${table} WHERE tenant_id = '${t.tenantId}' ` +
                     `AND chain_seq = ${seq}`).trim();
}

function refused(statement, pattern = /books are append-only/) {
  assert.throws(() => sql(server, statement), (e) => {
    assert.match(String(e.stderr), pattern);
    return true;
  }, statement);
}

describe('the hash chains', () => {
  test('untouched books verify: every entry and audit record, up to the head', async () => {
    const t = await bookedTenant();
    const v = await verify(t);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.firstMismatch, null);
    assert.equal(v.head.journal.seq, 4);              // three payments and one Storno
    assert.ok(v.head.audit.seq >= 1, JSON.stringify(v)); // the stripe install
    assert.equal(v.rowsChecked, v.head.journal.seq + v.head.audit.seq);
    assert.match(v.head.journal.hash, /^[0-9a-f]{64}$/);
    const stored = sql(server, `SELECT chain_hash FROM journal_entries WHERE tenant_id = ` +
                               `'${t.tenantId}' AND chain_seq = 4`).trim();
    assert.equal(v.head.journal.hash, stored);

    const cli = await server.cli(['books', 'verify', '--tenant', t.tenantId]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).head, v.head);
  });

  test('a row\'s hash is the SHA-256 of the serialization the README defines', async () => {
    const t = await bookedTenant();
    await payInUsd(t);
    // The README's encoding, written again here: length ":" bytes ";", NULL "~;".
    const v = (x) => (x === null ? '~;'
      : `${Buffer.byteLength(String(x))}:${String(x)};`);
    const w = `tenant_id = '${t.tenantId}'`;
    const entries = rows(server, `SELECT * FROM journal_entries WHERE ${w} ORDER BY chain_seq`);
    let prev = '0'.repeat(64);
    for (const e of entries) {
      const lines = rows(server, `SELECT * FROM journal_lines WHERE entry_id = '${e.id}' ` +
                                 'ORDER BY line_no');
      const text = [v('connectord.journal.v1'), v(prev), v(e.chain_seq), v(e.id),
        v(e.tenant_id), v(e.entry_date), v(e.description), v(e.invoice_id), v(e.created_at),
        v(lines.length),
        ...lines.flatMap((l) => [v(l.line_no), v(l.account), v(l.debit_minor),
                                 v(l.credit_minor), v(l.currency), v(l.vat_code),
                                 v(l.vat_tax), v(l.book_debit_minor), v(l.book_credit_minor),
                                 v(l.tax_treatment), v(l.tax_country),
                                 v(l.tax_rate_bp)])].join('');
      const hash = crypto.createHash('sha256').update(text, 'utf8').digest('hex');
      assert.equal(e.chain_hash, hash, `entry ${e.chain_seq}: ${text}`);
      prev = hash;
    }
    assert.equal(entries.length, 5);
    const all = rows(server, `SELECT * FROM journal_lines WHERE ${w}`);
    assert.ok(all.some((l) => l.currency === 'USD' && l.book_debit_minor !== null &&
                              l.book_debit_minor !== l.debit_minor), 'a line in USD with EUR');
    assert.ok(all.some((l) => l.tax_treatment !== null && l.tax_country !== null &&
                              l.tax_rate_bp !== null), 'a line with its treatment');
    prev = '0'.repeat(64);
    for (const a of rows(server, `SELECT * FROM audit_log WHERE ${w} ORDER BY chain_seq`)) {
      const text = [v('connectord.audit.v1'), v(prev), v(a.chain_seq), v(a.id), v(a.tenant_id),
        v(a.token_id), v(a.action), v(a.target), v(a.fields), v(a.created_at)].join('');
      const hash = crypto.createHash('sha256').update(text, 'utf8').digest('hex');
      assert.equal(a.chain_hash, hash, `audit ${a.chain_seq}: ${text}`);
      prev = hash;
    }
    assert.equal((await verify(t)).head.audit.hash, prev);
  });

  test('bookings made at the same moment are chained in order, without gaps', async () => {
    const t = await booksTenant(server, { settings: { chart: 'skr03' } });
    await Promise.all(Array.from({ length: 16 }, (_, i) =>
      pay(t, '2026-03-01', { amount: 1000 + i })));
    const v = await verify(t);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.head.journal.seq, 16);
  });

  test('one amount changed in the store file: verification fails at exactly that entry',
       async () => {
    const t = await bookedTenant();
    const other = await bookedTenant();
    const target = rowAt(t, 'journal_entries', 2);
    assert.match(target, /^je_/);
    behindTheStore(server, ['journal_lines'],
                   `UPDATE journal_lines SET debit_minor = debit_minor + 100 ` +
                   `WHERE entry_id = '${target}' AND line_no = 1`);

    const v = await verify(t);
    assert.equal(v.ok, false);
    assert.deepEqual({ chain: v.firstMismatch.chain, id: v.firstMismatch.id,
                       seq: v.firstMismatch.seq },
                     { chain: 'journal', id: target, seq: 2 });
    assert.match(v.firstMismatch.reason, /changed/);
    assert.equal(v.chains.find((c) => c.chain === 'journal').rowsChecked, 2);

    const cli = await server.cli(['books', 'verify', '--tenant', t.tenantId]);
    assert.equal(cli.code, 1, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).firstMismatch.id, target);

    assert.equal((await verify(other)).ok, true, 'another tenant\'s books are untouched');
  });

  test('a line\'s EUR amount or tax treatment changed in the store file: verification fails ' +
       'at exactly that entry', async () => {
    const changes = {
      book_debit_minor: 'book_debit_minor = book_debit_minor + 1',
      tax_treatment: "tax_treatment = 'export'",
    };
    for (const [column, set] of Object.entries(changes)) {
      const t = await bookedTenant();
      await payInUsd(t);
      const target = rowAt(t, 'journal_entries', 2);
      const line = `entry_id = '${target}' AND line_no = 1`;
      assert.equal(sql(server, `SELECT count(*) FROM journal_lines WHERE ${line} ` +
                               `AND ${column} IS NOT NULL`).trim(), '1',
                   `${column} is set on the line changed`);
      behindTheStore(server, ['journal_lines'], `UPDATE journal_lines SET ${set} WHERE ${line}`);

      const v = await verify(t);
      assert.equal(v.ok, false, column);
      assert.deepEqual({ chain: v.firstMismatch.chain, id: v.firstMismatch.id,
                         seq: v.firstMismatch.seq },
                       { chain: 'journal', id: target, seq: 2 }, column);
      assert.match(v.firstMismatch.reason, /changed/);
      assert.equal(v.chains.find((c) => c.chain === 'journal').rowsChecked, 2, column);
    }
  });

  test('an audit record changed, or the last entry removed, is named too', async () => {
    const t = await bookedTenant();
    const audit = rowAt(t, 'audit_log', 1);
    behindTheStore(server, ['audit_log'],
                   `UPDATE audit_log SET target = 'something else' WHERE id = '${audit}'`);
    let v = await verify(t);
    assert.equal(v.ok, false);
    assert.equal(v.firstMismatch.chain, 'audit');
    assert.equal(v.firstMismatch.id, audit);

    const u = await bookedTenant();
    const last = rowAt(u, 'journal_entries', 4);
    behindTheStore(server, ['journal_entries', 'journal_lines', 'invoices'],
                   `UPDATE invoices SET journal_entry_id = NULL WHERE journal_entry_id = '${last}';` +
                   `DELETE FROM journal_entries WHERE id = '${last}'`);
    v = await verify(u);
    assert.equal(v.ok, false);
    assert.equal(v.firstMismatch.chain, 'journal');
    assert.equal(v.firstMismatch.id, null);
    assert.match(v.firstMismatch.reason, /head names row 4, but the rows end at 3/);
  });

  test('an entry committed but not yet linked (its process stopped in between) is counted ' +
       'apart and linked at the next start; a row nobody named stays reported', async () => {
    // On PostgreSQL a booking's entry is linked right after its commit, before the answer;
    // the entry is named in journal_pending meanwhile. A process that stops in that moment
    // leaves such an entry, which is written here as the booking would have written it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cd-chain-pending-'));
    let own = await startServer({ dir });
    try {
      const t = await booksTenant(own);
      await pay(t, '2026-02-03', { amount: 11900 });
      await pay(t, '2026-02-04', { amount: 2380 });
      const check = async () => {
        const res = await own.request('/api/ledger/verify', { token: t.token });
        assert.equal(res.status, 200, res.text);
        return res.json;
      };
      let v = await check();
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(v.head.journal.seq, 2);
      assert.equal(v.pendingLinks, 0);

      const unlinked = (id, named) =>
        `INSERT INTO journal_entries (id, tenant_id, entry_date, description, created_at) ` +
        `VALUES ('${id}', '${t.tenantId}', '2026-02-05', 'Payment', '2026-02-05T10:00:00.000Z');` +
        `INSERT INTO journal_lines (entry_id, line_no, tenant_id, account, debit_minor, ` +
        `credit_minor, currency, vat_tax, book_debit_minor, book_credit_minor) VALUES ` +
        `('${id}', 1, '${t.tenantId}', '1360', 500, 0, 'EUR', 0, 500, 0), ` +
        `('${id}', 2, '${t.tenantId}', '8400', 0, 500, 'EUR', 0, 0, 500);` +
        (named ? `INSERT INTO journal_pending (entry_id, tenant_id, created_at) VALUES ` +
                 `('${id}', '${t.tenantId}', '2026-02-05T10:00:00.000Z');` : '');
      const named = `je_${crypto.randomBytes(16).toString('hex')}`;
      sql(own, unlinked(named, true));
      v = await check();
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(v.pendingLinks, 1);
      assert.equal(v.head.journal.seq, 2);
      assert.equal(v.chains.find((c) => c.chain === 'journal').rowsChecked, 2);

      await own.stop();
      own = await startServer({ dir, expectDemo: false });
      v = await check();
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(v.pendingLinks, 0);
      assert.equal(v.head.journal.seq, 3);
      assert.equal(rowAt(t, 'journal_entries', 3, own), named);
      assert.equal(sql(own, `SELECT count(*) FROM journal_pending`).trim(), '0');

      // The tenant's next booking links after the entry the start linked.
      t.server = own;
      await pay(t, '2026-02-06', { amount: 5950 });
      v = await check();
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(v.head.journal.seq, 4);

      // An entry nobody named is no booking's: never linked, and named by the check.
      const around = `je_${crypto.randomBytes(16).toString('hex')}`;
      sql(own, unlinked(around, false));
      await own.stop();
      own = await startServer({ dir, expectDemo: false });
      v = await check();
      assert.equal(v.ok, false);
      assert.equal(v.firstMismatch.id, around);
      assert.match(v.firstMismatch.reason, /written behind the store/);
      assert.equal(v.head.journal.seq, 4);
    } finally {
      await own.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('verification is for admins', async () => {
    const t = await booksTenant(server);
    const member = await server.createToken(t.tenantId, 'member');
    assertError(await server.request('/api/ledger/verify', { token: member }), 403, 'forbidden');
    const cli = await server.cli(['books', 'verify', '--tenant', 'ten_nosuchtenant']);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /no such tenant/);
  });
});

describe('the store refuses changes to booked rows', () => {
  test('UPDATE of an amount, a date, an account, a party, and DELETE: refused by triggers',
       async () => {
    const t = await bookedTenant();
    const w = `WHERE tenant_id = '${t.tenantId}'`;
    refused(`UPDATE journal_lines SET debit_minor = 1 ${w} AND debit_minor > 0`);
    refused(`UPDATE journal_lines SET account = '9999' ${w}`);
    refused(`UPDATE journal_entries SET entry_date = '2026-01-01' ${w}`);
    refused(`UPDATE invoices SET total_gross_minor = 1 ${w}`);
    refused(`UPDATE invoices SET party_id = 'sup_other' ${w}`);
    refused(`UPDATE invoices SET currency = 'USD' ${w}`);
    refused(`UPDATE audit_log SET action = 'none' ${w}`);
    refused(`UPDATE journal_entries SET chain_hash = 'x' ${w}`);
    // posting is the one change an invoice takes, once
    refused(`UPDATE invoices SET journal_entry_id = 'je_other' ${w}`);
    refused(`DELETE FROM journal_lines ${w}`);
    refused(`DELETE FROM journal_entries ${w}`);
    refused(`DELETE FROM invoices ${w}`);
    refused(`DELETE FROM audit_log ${w}`);
    refused(`DELETE FROM tenants WHERE id = '${t.tenantId}'`);
    assert.equal((await verify(t)).ok, true);
  });

  test('the rate of an invoice in another currency, an invoice\'s tax treatment and a line\'s ' +
       'EUR amount: refused', async () => {
    const t = await bookedTenant();
    await payInUsd(t);
    const w = `WHERE tenant_id = '${t.tenantId}'`;
    assert.equal(sql(server, `SELECT COUNT(*) FROM invoice_fx ${w}`).trim(), '1');
    refused(`UPDATE invoice_fx SET rate = rate + 1 ${w}`);
    refused(`UPDATE invoices SET tax_treatment = 'export' ${w}`);
    refused(`UPDATE journal_lines SET book_debit_minor = 1 ${w} AND book_debit_minor > 0`);
    // A line from before rates keeps its missing EUR amount: it is chained as it is.
    const line = rows(server, `SELECT entry_id, line_no FROM journal_lines ${w} ` +
                              "AND currency = 'USD' AND debit_minor > 0")[0];
    const at = `WHERE entry_id = '${line.entry_id}' AND line_no = ${line.line_no}`;
    behindTheStore(server, ['journal_lines'],
                   `UPDATE journal_lines SET book_debit_minor = NULL ${at}`);
    refused(`UPDATE journal_lines SET book_debit_minor = 9240 ${at}`);
  });

  test('a tenant listed in tenant_erasures can be removed, and only that tenant', async () => {
    const gone = await bookedTenant();
    const kept = await bookedTenant();
    sql(server, `INSERT INTO tenant_erasures (tenant_id, requested_at) VALUES ` +
                `('${gone.tenantId}', '2026-12-06T00:00:00Z')`);
    sql(server, `DELETE FROM tenants WHERE id = '${gone.tenantId}'`);
    assert.equal(sql(server, `SELECT COUNT(*) FROM journal_entries WHERE tenant_id = ` +
                             `'${gone.tenantId}'`).trim(), '0');
    refused(`DELETE FROM journal_entries WHERE tenant_id = '${kept.tenantId}'`);
    assert.equal((await verify(kept)).ok, true);
  });
});

describe('exports record the chain head they were made from', () => {
  test('DATEV: the head in a header, not in the file; booking more gives a new head; ' +
       'the log lists both', async () => {
    const t = await bookedTenant();
    await installDatev(server, t.token);
    const first = await datevExport(server, t.token, '2026-02-01', '2026-02-28');
    assert.equal(first.status, 200);
    const head1 = first.headers.get('x-books-chain-head');
    assert.equal(head1, (await verify(t)).head.journal.hash);
    assert.equal(first.headers.get('x-books-chain-seq'), '4');
    assert.ok(!first.bytes.toString('latin1').includes(head1), 'the file does not carry it');

    await pay(t, '2026-02-07', { amount: 1190 });
    const second = await datevExport(server, t.token, '2026-02-01', '2026-02-28');
    const head2 = second.headers.get('x-books-chain-head');
    assert.match(head2, /^[0-9a-f]{64}$/);
    assert.notEqual(head2, head1);
    assert.equal(second.headers.get('x-books-chain-seq'), '5');

    const log = await server.request('/api/exports/log', { token: t.token });
    assert.equal(log.status, 200, log.text);
    assert.deepEqual(log.json.exports.map((e) => [e.kind, e.period, e.head.seq, e.head.hash]), [
      ['datev', '2026-02-01..2026-02-28', 5, head2],
      ['datev', '2026-02-01..2026-02-28', 4, head1],
    ]);
    assert.match(log.json.exports[0].by, /^tok_/);

    const cli = await server.cli(['export', 'datev', '--tenant', t.tenantId, '--from',
                                  '2026-02-01', '--to', '2026-02-28', '--out',
                                  `${server.dir}/EXTF.csv`]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).head.hash, head2);
    const all = await server.request('/api/exports/log', { token: t.token });
    assert.deepEqual(all.json.exports.map((e) => e.by)[0], 'cli');
    assert.equal(all.json.exports.length, 3);

    const member = await server.createToken(t.tenantId, 'member');
    assertError(await server.request('/api/exports/log', { token: member }), 403, 'forbidden');
  });

  test('U30: the document and a filed return answer and log their head', async () => {
    const t = await bookedTenant({ chart: 'ekr', vatNumber: 'ATU12345678' }, '20');
    const install = await server.request('/api/connectors/finanzonline/install', {
      method: 'POST', token: t.token,
      json: { config: { participantId: 'T1234567ab', userId: 'WSUSER01', pin: 'pin12345',
                        taxNumber: '12-345/6789', apiBaseUrl: fon.url } },
    });
    assert.equal(install.status, 201, install.text);
    const res = await server.request('/api/vat-returns/at/xml?period=2026-02', { token: t.token });
    assert.equal(res.status, 200, res.text);
    const head = res.headers.get('x-books-chain-head');
    assert.equal(head, (await verify(t)).head.journal.hash);
    assert.ok(!res.text.includes(head));

    await pay(t, '2026-02-09', { amount: 1200 });
    const filed = await server.request('/api/vat-returns/at/submit', {
      method: 'POST', token: t.token, json: { period: '2026-02', test: true },
    });
    assert.equal(filed.status, 201, filed.text);
    const later = filed.headers.get('x-books-chain-head');
    assert.equal(later, (await verify(t)).head.journal.hash);
    assert.notEqual(later, head);
    assert.ok(!fon.requests.some((r) => r.body.includes(later)), 'nothing of it is sent');

    const log = await server.request('/api/exports/log', { token: t.token });
    assert.deepEqual(log.json.exports.map((e) => [e.kind, e.period, e.head.seq, e.head.hash]),
                     [['u30-test', '2026-02', 5, later], ['u30', '2026-02', 4, head]]);
  });
});
