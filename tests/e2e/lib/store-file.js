// tests/e2e/lib/store-file.js - reaching into a server's store behind its back, as someone with
// access to the disk or the database could: the SQLite file with the sqlite3 command-line
// shell, or the server's PostgreSQL database with psql (see lib/server.js for which).
//
// sql() runs a statement as is: the store's append-only triggers apply. behindTheStore()
// runs it the way a tamperer (or an earlier release's data) would get past them: the
// triggers of the named tables are put out of the way, the statement runs, and the triggers
// are back as they were, all in one transaction. Statements must be portable SQL.
'use strict';

const { execFileSync } = require('node:child_process');
const { BACKEND, pgTool } = require('./server');

function storeFile(server) {
  return server.db.replace(/^sqlite:/, '');
}

function psql(server, args, input) {
  return execFileSync(pgTool('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', server.db,
                                       ...args],
                      { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

// Runs SQL on the server's store, with foreign keys on as the server has them; returns the
// shell's output (one line per row, columns separated by "|"). A failure throws, with the
// shell's message in the error's stderr.
function sql(server, statement) {
  if (BACKEND === 'postgres') return psql(server, ['-A', '-t', '-F', '|'], statement);
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', '-cmd', 'PRAGMA foreign_keys=ON',
                                  storeFile(server), statement],
                      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// A timestamp as PostgreSQL's JSON writes it ("2026-02-03T10:00:00.12+00:00"), and as the
// server reads it back: RFC 3339 UTC with milliseconds.
const PG_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/;

// The rows of a query as objects (column name to value; NULL is null; times as the server
// reads them).
function rows(server, query) {
  if (BACKEND === 'postgres') {
    const out = psql(server, ['-A', '-t'],
                     `SELECT COALESCE(json_agg(q), '[]') FROM (${query.replace(/;?\s*$/, '')}) q`);
    return JSON.parse(out).map((row) => {
      for (const [k, v] of Object.entries(row))
        if (typeof v === 'string' && PG_TIME.test(v)) row[k] = new Date(v).toISOString();
      return row;
    });
  }
  const out = execFileSync('sqlite3', ['-json', '-cmd', '.timeout 10000', storeFile(server),
                                       query], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

function quote(text) {
  return `'${text.replace(/'/g, "''")}'`;
}

// Runs statement with the triggers on `tables` out of the way.
function behindTheStore(server, tables, statement) {
  const body = statement.replace(/;?\s*$/, ';');
  if (BACKEND === 'postgres') {
    // The user triggers only: the foreign keys' own triggers stay.
    return sql(server, ['BEGIN;',
      ...tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER;`),
      body,
      ...tables.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER;`),
      'COMMIT;'].join('\n'));
  }
  const list = tables.map(quote).join(', ');
  const triggers = rows(server, 'SELECT name, sql FROM sqlite_master ' +
                                `WHERE type = 'trigger' AND tbl_name IN (${list})`);
  const script = ['BEGIN IMMEDIATE;',
    ...triggers.map((t) => `DROP TRIGGER ${t.name};`),
    body,
    ...triggers.map((t) => `${t.sql};`),
    'COMMIT;'].join('\n');
  return sql(server, script);
}

// The store's content as bytes, for looking for what must not be in it in plain text: the
// SQLite file with its write-ahead log (recent commits live there until a checkpoint), or
// a dump of the PostgreSQL database's rows.
function storeBytes(server) {
  if (BACKEND === 'postgres')
    return execFileSync(pgTool('pg_dump'), ['--data-only', '-d', server.db],
                        { maxBuffer: 256 * 1024 * 1024 });
  const fs = require('node:fs');
  const file = storeFile(server);
  const parts = [fs.readFileSync(file)];
  for (const extra of ['-wal', '-journal'])
    if (fs.existsSync(file + extra)) parts.push(fs.readFileSync(file + extra));
  return Buffer.concat(parts);
}

module.exports = { behindTheStore, rows, sql, storeBytes };
