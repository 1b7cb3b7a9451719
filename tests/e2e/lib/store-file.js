// tests/e2e/lib/store-file.js - reaching into a server's SQLite store file with the sqlite3
// command-line shell, as someone with access to the disk could.
//
// sql() runs a statement as is: the store's append-only triggers apply. behindTheStore()
// runs it the way a tamperer (or an earlier release's data) would get past them: the
// triggers of the named tables are dropped, the statement runs, and the triggers are put
// back exactly as they were, all in one transaction.
'use strict';

const { execFileSync } = require('node:child_process');

function storeFile(server) {
  return server.db.replace(/^sqlite:/, '');
}

// Runs SQL on the server's store, with foreign keys on as the server has them; returns the
// shell's output (one line per row, columns separated by "|"). A failure throws, with the
// shell's message in the error's stderr.
function sql(server, statement) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', '-cmd', 'PRAGMA foreign_keys=ON',
                                  storeFile(server), statement],
                      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// The rows of a query as objects (column name to value; NULL is null).
function rows(server, query) {
  const out = execFileSync('sqlite3', ['-json', '-cmd', '.timeout 10000', storeFile(server),
                                       query], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

function quote(text) {
  return `'${text.replace(/'/g, "''")}'`;
}

// Runs statement with the triggers on `tables` out of the way.
function behindTheStore(server, tables, statement) {
  const list = tables.map(quote).join(', ');
  const triggers = rows(server, 'SELECT name, sql FROM sqlite_master ' +
                                `WHERE type = 'trigger' AND tbl_name IN (${list})`);
  const script = ['BEGIN IMMEDIATE;',
    ...triggers.map((t) => `DROP TRIGGER ${t.name};`),
    statement.replace(/;?\s*$/, ';'),
    ...triggers.map((t) => `${t.sql};`),
    'COMMIT;'].join('\n');
  return sql(server, script);
}

module.exports = { behindTheStore, rows, sql };
