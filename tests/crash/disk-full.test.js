// The store's disk full: the store lives on a small tmpfs, a filler file takes the space that
// is left, and signed webhooks keep coming over 64 connections. A webhook that cannot be
// stored is answered 503 with Retry-After (never 2xx, never a 500), nothing acknowledged is
// missing, and once the filler is removed the server books again by itself, without a
// restart. Needs root to mount the tmpfs (CI runs as root); skipped with a message otherwise.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { after, test } = require('node:test');
const { makeTempDir, sleep } = require('../e2e/lib/server');
const L = require('./lib');

const cleanup = [];
after(async () => {
  await L.stopLoads();
  for (const fn of cleanup.reverse()) await fn();
});

// Mounts a tmpfs of sizeMb on a new directory; resolves it, or null with the reason.
function mountTmpfs(sizeMb) {
  const dir = makeTempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { reason: `cannot mount a tmpfs (${String(e.stderr || e.message).trim()})` };
  }
  cleanup.push(() => {
    try { execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); } catch { /* already gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
}

// Fills the file system of dir up to its last byte; returns the filler's path.
function fill(dir) {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  try {
    for (let chunk = 1 << 20; chunk >= 512; ) {
      try {
        fs.writeSync(fd, Buffer.alloc(chunk));
      } catch (e) {
        if (e.code !== 'ENOSPC') throw e;
        chunk >>= 1;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

test('disk full: 503 with Retry-After, nothing acknowledged unstored, recovery without a restart', async (t) => {
  const m = process.getuid && process.getuid() === 0 ? mountTmpfs(48) : { reason: 'not root' };
  if (!m.dir) {
    process.stdout.write(`crash: disk-full: SKIPPED: ${m.reason}; run as root (CI does)\n`);
    t.skip(m.reason);
    return;
  }
  const dir = m.dir;
  const mock = await L.MockServices.start();
  cleanup.push(() => mock.stop());
  const server = await L.start(L.SANITIZER_BIN, dir, { first: true });
  cleanup.push(() => server.kill());
  const world = await L.setupWorld(server, mock);
  const mark = L.randomMark();
  const ledger = L.newLedger();

  // full: the webhooks that still fit (in the WAL's space) are booked, the rest refused
  const filler = fill(dir);
  let load = new L.Load(server, world, mark, ledger, 0).start();
  await sleep(3000);
  await load.stop();
  const full = { ...ledger.answers };
  const ackedWhileFull = ledger.acked.size;
  const retryAfter = [...ledger.retryAfter];
  const probe = await server.request('/readyz');

  // space is back: the same process books again
  fs.rmSync(filler);
  ledger.answers = {};
  load = new L.Load(server, world, mark, ledger, 1).start();
  await sleep(2000);
  await load.stop();
  const after = { ...ledger.answers };
  await server.stop();

  const c = L.checkBooks(dir, world.tenantId, mark, ledger);
  L.report('disk-full', {
    'full-2xx': (full[200] || 0), 'full-503': full[503] || 0, 'full-other': Object.keys(full).filter((k) => k !== '200' && k !== '503').join(',') || 'none',
    'after-2xx': after[200] || 0, 'after-503': after[503] || 0, acknowledged: ledger.acked.size,
    lost: c.lost, duplicated: c.duplicated,
  });
  assert.ok(full[503] > 0, `the full disk refused nothing: ${JSON.stringify(full)}`);
  assert.deepEqual(Object.keys(full).filter((k) => !['200', '503'].includes(k)), [],
                   `answers other than 200 and 503 while full: ${JSON.stringify(full)} ${ledger.other.slice(0, 3)}`);
  assert.ok(retryAfter.length > 0 && retryAfter.every((v) => /^\d+$/.test(v || '')),
            `a 503 without Retry-After: ${JSON.stringify(retryAfter.slice(0, 5))}`);
  assert.ok(probe.status === 200 || probe.status === 503, `readyz answered ${probe.status}`);
  assert.ok((after[200] || 0) > 0, `no webhook booked once space was back: ${JSON.stringify(after)}`);
  assert.ok(ledger.acked.size > ackedWhileFull);
  assert.deepEqual(ledger.other, []);
  assert.deepEqual(c.problems.slice(0, 20), [], `${c.problems.length} problems in the books`);
});
