// sync-manifest-schema.test.js - the connector manifests' JSON Schema: the build's checker
// (tools/manifest_embed, which `make` runs before compiling the manifests in) refuses a
// manifest that does not fit it, naming the file, the place and what is wrong, and writes
// nothing; it refuses a manifest the catalog's order (connectors/catalog.list) leaves out
// and a listed one that is missing; the manifests in connectors/ pass; the server serves
// the schema.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/server');

const ROOT = path.resolve(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'build', 'tools', 'manifest_embed');
const SCHEMA = path.join(ROOT, 'connectors', 'schema', 'connector-manifest.json');
let dir, server;

before(() => {
  execFileSync('make', ['--no-print-directory', 'build/tools/manifest_embed'], { cwd: ROOT });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifests-'));
});

after(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await server?.stop();
});

// order: the catalog's order file to use (default: the files' slugs, in the order given)
function check(files, order) {
  const out = path.join(dir, 'out.c');
  const list = path.join(dir, 'order.list');
  fs.rmSync(out, { force: true });
  fs.writeFileSync(list, order ?? files.map((f) => path.basename(f, '.json')).join('\n') + '\n');
  const r = spawnSync(TOOL, [out, list, SCHEMA, ...files], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, wrote: fs.existsSync(out) };
}

// clockify.json with one change, written under the same name in the temporary folder
function broken(change) {
  const m = JSON.parse(fs.readFileSync(path.join(ROOT, 'connectors', 'clockify.json'), 'utf8'));
  change(m);
  const file = path.join(dir, 'clockify.json');
  fs.writeFileSync(file, JSON.stringify(m));
  return file;
}

test('every manifest in connectors/ fits the schema', () => {
  const files = fs.readdirSync(path.join(ROOT, 'connectors')).filter((f) => f.endsWith('.json'))
    .map((f) => path.join(ROOT, 'connectors', f));
  assert.equal(files.length, 39);
  const r = check(files, fs.readFileSync(path.join(ROOT, 'connectors', 'catalog.list'), 'utf8'));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.wrote);
  // the texts are embedded in the catalog's order
  const text = fs.readFileSync(path.join(dir, 'out.c'), 'utf8');
  assert.ok(text.indexOf('{"stripe", text_1,') > 0, 'stripe comes first');
  assert.ok(text.indexOf('{"xero", text_39,') > 0, 'xero comes last');
});

test('the catalog\'s order lists every manifest once and names no other', () => {
  const clockify = path.join(ROOT, 'connectors', 'clockify.json');
  const mite = path.join(ROOT, 'connectors', 'mite.json');
  let r = check([clockify, mite], 'clockify\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /mite\.json: not listed in .*order\.list/);
  r = check([clockify], '# a comment\nclockify\nnowhere\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nowhere has no manifest connectors\/nowhere\.json/);
  r = check([clockify], 'clockify\nclockify\n');
  assert.match(r.stderr, /clockify is listed twice/);
  assert.equal(r.wrote, false);
});

test('a broken manifest fails the build with where and what', () => {
  const cases = [
    [(m) => { m.api.paginator.type = 'pages'; }, /at \/api\/paginator\/type: must be one of "none", "page"/],
    [(m) => { delete m.api.auth.setting; }, /at \/api\/auth: the member "setting" is required/],
    [(m) => { m.api.paginator.size = '200'; }, /at \/api\/paginator\/size: must be of type integer/],
    [(m) => { m.api.records.fields.minutes = '/x'; }, /at \/api\/records\/fields: the member "minutes" is not allowed/],
    [(m) => { m.api.window.lookbackDays = -1; }, /at \/api\/window\/lookbackDays: must be at least 0/],
    [(m) => { m.api.baseUrl = 'ftp://example.com'; }, /at \/api\/baseUrl: "ftp:\/\/example.com" does not match/],
    [(m) => { m.slug = 'clockify2'; }, /the slug "clockify2" is not the file's name/],
    // the catalog entry and settings the manifest carries are checked the same way
    [(m) => { delete m.settings[0].key; }, /at \/settings\/0: the member "key" is required/],
    [(m) => { m.settings[1].type = 'text'; }, /at \/settings\/1\/type: must be one of \["string",/],
    [(m) => { delete m.authLabel; }, /at \/: the member "authLabel" is required/],
    [(m) => { m.builtin = { provider: 'Clockify!' }; }, /at \/builtin\/provider: "Clockify!" does not match/],
    [(m) => { m.settings[0].help = 'x'.repeat(1001); }, /at \/settings\/0\/help: is too long \(at most 1000 characters\)/],
  ];
  for (const [change, message] of cases) {
    const r = check([broken(change)]);
    assert.equal(r.code, 1, `accepted: ${message}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /clockify\.json/);
    assert.equal(r.wrote, false, 'nothing is written for a refused manifest');
  }
  const notJson = path.join(dir, 'mite.json');
  fs.writeFileSync(notJson, '{"manifestVersion": 1,');
  assert.match(check([notJson]).stderr, /mite\.json:\d+: not JSON/);
});

test('make refuses to build with a broken manifest in connectors/', () => {
  const file = path.join(ROOT, 'connectors', 'zz-broken-test.json');
  fs.writeFileSync(file, JSON.stringify({ manifestVersion: 1, slug: 'zz-broken-test', name: 'Broken',
                                          api: { baseUrl: 'https://example.com' } }));
  try {
    // the generated file is written through a temporary one and a rename: a refused build
    // leaves the last good one, and the next build (the list of files changed) redoes it
    const r = spawnSync('make', ['--no-print-directory', 'build/gen/manifests.c'], { cwd: ROOT, encoding: 'utf8' });
    assert.notEqual(r.status, 0, 'make accepted a broken manifest');
    assert.match(r.stderr, /zz-broken-test\.json: at \/api: the member "auth" is required/);
  } finally {
    fs.rmSync(file, { force: true });
  }
  const again = spawnSync('make', ['--no-print-directory', 'build/gen/manifests.c'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
});

test('the server serves the schema', async () => {
  server = await startServer();
  const r = await server.request('/api/schemas/connector-manifest.json');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/schema\+json/);
  assert.equal(r.json.title, 'connectord connector manifest');
  assert.deepEqual(r.json, JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
});
