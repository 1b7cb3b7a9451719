// tests/e2e/lib/server.js - starts the real connectord binary for end-to-end tests.
//
// Each server runs `serve` in a fresh temporary directory (its cwd, so var/master.key lands
// there) with a store of its own, on a free loopback port. The store is a SQLite file in that
// directory, or, when CONNECTORD_TEST_DB names a PostgreSQL server (tests/run's second pass,
// tests/pg/cluster), a database on that server whose name is derived from the directory: a
// restart on the same directory finds the same database, and it is dropped when the
// directory is removed (stop() of a server that made its own, else when the test file ends).
// Tests that are SQLite by nature (they read the store file, or run an older release) pass
// sqliteOnly(why) as their options and are skipped on PostgreSQL with that reason. The binary is the
// sanitizer build, so stop() checks more than the exit code: a clean SIGTERM must exit 0 and
// leave no AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report on stderr.
// Every test file stops its servers in an `after` hook, so that check always runs.
'use strict';

const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.resolve(REPO_ROOT, process.env.CONNECTORD_BIN || 'build/test/connectord');

const SANITIZER_MARKS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];
const START_TIMEOUT_MS = 15000;
const OPENAPI_CHECK = process.env.CONNECTORD_OPENAPI_CHECK === '1';
const STOP_TIMEOUT_MS = 15000;

// The PostgreSQL server of this run ("postgres://user@host:port/", a database name follows),
// or null: SQLite.
const PG_BASE = pgBase(process.env.CONNECTORD_TEST_DB);
const BACKEND = PG_BASE ? 'postgres' : 'sqlite';

function pgBase(url) {
  if (!url) return null;
  const m = /^(postgres(?:ql)?:\/\/[^/?#]+)/.exec(url);
  if (!m) throw new Error(`CONNECTORD_TEST_DB is not a postgres:// URL: ${url}`);
  return `${m[1]}/`;
}

// A test's options when it is SQLite by nature: on PostgreSQL it is skipped, saying why.
//   test('reads the file', sqliteOnly('opens the store file with sqlite3'), async () => ...)
function sqliteOnly(why) {
  return BACKEND === 'postgres' ? { skip: `SQLite only: ${why}` } : {};
}

// For a file that is SQLite by nature throughout: on PostgreSQL it registers one skipped test
// that says why and answers true, and the file stops there.
//   if (sqliteOnlyFile('runs a release that knows no PostgreSQL')) return;
function sqliteOnlyFile(why) {
  if (BACKEND !== 'postgres') return false;
  require('node:test').test('the whole file', sqliteOnly(why), () => {});
  return true;
}

// A client program of the newest installed PostgreSQL (psql, pg_dump): Debian keeps them in
// /usr/lib/postgresql/<v>/bin; /usr/bin/psql is a wrapper that picks one too, slower.
function pgTool(name) {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(root, v, 'bin', name);
    if (fs.existsSync(bin)) return bin;
  }
  return name;
}

// Runs SQL on the maintenance database; resolves psql's output (unaligned, tuples only).
function pgAdmin(sql) {
  return new Promise((resolve, reject) => {
    execFile(pgTool('psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', `${PG_BASE}postgres`,
                       '-c', sql], { encoding: 'utf8', timeout: 60000 },
    (e, stdout, stderr) => (e ? reject(new Error(`psql: ${sql}: ${stderr || e.message}`))
                              : resolve(stdout)));
  });
}

// The database of a server directory: a name from the directory's full path.
function pgDatabaseName(dir) {
  return `e2e_${crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 24)}`;
}

// Databases this process made and has not dropped yet; dropped when the file's tests end.
const pgDatabases = new Set();

async function pgDrop(name) {
  pgDatabases.delete(name);
  await pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

process.on('beforeExit', () => {
  const left = [...pgDatabases];
  if (left.length === 0) return;
  // beforeExit comes again once these are done, with the set empty.
  Promise.all(left.map((name) => pgDrop(name).catch((e) => {
    process.stderr.write(`${e.message}\n`);
  })));
});

// The store of a server directory as a --db value, made ready to open: the SQLite file in
// it (created by the server), or its PostgreSQL database (created here if missing).
async function storeFor(dir) {
  if (BACKEND === 'sqlite') return `sqlite:${path.join(dir, 'connectord.db')}`;
  const name = pgDatabaseName(dir);
  if (!pgDatabases.has(name)) {
    const found = await pgAdmin(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
    if (found.trim() !== '1') await pgAdmin(`CREATE DATABASE ${name}`);
    pgDatabases.add(name);
  }
  return PG_BASE + name;
}

// Removes a server directory and, on PostgreSQL, its database.
async function removeStore(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  if (BACKEND === 'postgres') await pgDrop(pgDatabaseName(dir));
}

// A token as the server mints them: "cdk_" and 43 base64url characters (32 bytes).
const TOKEN_RE = /cdk_[A-Za-z0-9_-]{43}/;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A port that was free a moment ago: bind port 0, read the port, close.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// The environment for the binary: the caller's, minus any CONNECTORD_* setting (a developer's
// shell must not change what a test sees), plus sanitizer options that make reports fatal.
function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('CONNECTORD_')) env[k] = v;
  env.ASAN_OPTIONS = process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0';
  env.UBSAN_OPTIONS = process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1';
  return { ...env, ...extra };
}

function assertNoSanitizerReport(stderr, what) {
  for (const mark of SANITIZER_MARKS)
    assert.ok(!stderr.includes(mark), `${what}: sanitizer report ("${mark}") on stderr:\n${stderr}`);
}

function makeTempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-e2e-'));
}

// Runs the binary once with args and waits for it. Resolves {code, signal, stdout, stderr};
// a sanitizer report on stderr fails the calling test. Without a cwd it runs in a new
// temporary directory, removed when it ends. bin: another connectord binary (an older release).
function runCli(args, { cwd, env = {}, timeoutMs = 15000, bin = BIN } = {}) {
  return new Promise((resolve, reject) => {
    const ownDir = cwd ? null : makeTempDir();
    const child = spawn(bin, args, { cwd: cwd || ownDir, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
      try {
        assert.equal(signal, null, `connectord ${args.join(' ')} was killed by ${signal}\n${stderr}`);
        assertNoSanitizerReport(stderr, `connectord ${args.join(' ')}`);
      } catch (e) {
        reject(e);
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Starts `connectord serve`.
//   args:       extra command-line arguments
//   env:        extra environment variables
//   dev:        pass --dev (default true)
//   expectDemo: wait for the demo tenant's admin token on stdout and keep it as .token
//               (default: dev; false when restarting on a store that has tenants already)
//   port:       the port to expect the server on (default: a free one)
//   listenFlag: pass --listen 127.0.0.1:PORT (default true); false when the port comes from
//               the environment or a config file
//   dir:        working directory (default: a new temporary one, removed by stop())
//   scheme:     'http' or 'https' (https only changes baseUrl; the readiness probe adapts)
//   ca:         certificate to trust for the https readiness probe
//   bin:        another connectord binary to run (an older release; default the test build)
//   db:         the --db to use instead of the pass's own store for dir (e.g. SQLite in both passes)
async function startServer(opts = {}) {
  const { args = [], env = {}, dev = true, listenFlag = true, scheme = 'http', ca, bin = BIN } = opts;
  const expectDemo = opts.expectDemo ?? dev;
  const ownDir = !opts.dir;
  const dir = opts.dir || makeTempDir();
  const db = opts.db || (await storeFor(dir)); // opts.db: a store of the test's choosing
  let lastError;
  // A port found free can be taken by someone else before the server binds it; retry then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port || (await freePort());
    const argv = ['serve', '--db', db];
    if (dev) argv.push('--dev');
    if (listenFlag) argv.push('--listen', `127.0.0.1:${port}`);
    argv.push(...args);
    const server = new Server({ dir, ownDir, db, port, argv, env: childEnv(env), scheme, ca, bin });
    try {
      await server.waitReady({ wantToken: expectDemo });
      return server;
    } catch (e) {
      lastError = e;
      await server.kill();
      if (opts.port || !/cannot listen/.test(server.stderr)) break;
    }
  }
  if (ownDir) await removeStore(dir);
  throw lastError;
}

class Server {
  constructor({ dir, ownDir, db, port, argv, env, scheme, ca, bin }) {
    this.bin = bin;
    this.dir = dir;
    this.ownDir = ownDir;
    this.db = db;
    this.port = port;
    this.baseUrl = `${scheme}://127.0.0.1:${port}`;
    this.scheme = scheme;
    this.ca = ca;
    this.stdout = '';
    this.stderr = '';
    this.token = null;
    this.tenantId = null;
    this.exitCode = undefined;
    this.exitSignal = undefined;
    this.terminated = false;
    this.stopResult = null;
    this.proc = spawn(bin, argv, { cwd: dir, env });
    this.proc.stdout.setEncoding('utf8').on('data', (d) => (this.stdout += d));
    this.proc.stderr.setEncoding('utf8').on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve({ code, signal });
      });
      this.proc.on('error', (e) => {
        this.spawnError = e;
        resolve({ code: null, signal: null });
      });
    });
  }

  get running() {
    return this.exitCode === undefined && !this.spawnError;
  }

  async waitReady({ wantToken }) {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let healthy = false;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`connectord exited early (code ${this.exitCode}, signal ${this.exitSignal})` +
                        `${this.spawnError ? ': ' + this.spawnError.message : ''}\n${this.stderr}`);
      if (!healthy) healthy = (await this.probe()) === 200;
      if (healthy) {
        if (!wantToken) return;
        // The demo tenant is made just after the listener opens, so wait for its token too.
        const m = this.stdout.match(/admin token \(shown once\): (cdk_[A-Za-z0-9_-]+)/);
        const t = this.stdout.match(/created the demo tenant (\S+) /);
        if (m && t) {
          this.token = m[1];
          this.tenantId = t[1];
          return;
        }
      }
      await sleep(50);
    }
    throw new Error(`connectord did not become ready within ${START_TIMEOUT_MS} ms\n` +
                    `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  // GET /healthz once; resolves the status, or 0 when nothing answered.
  probe() {
    const lib = this.scheme === 'https' ? require('node:https') : require('node:http');
    return new Promise((resolve) => {
      const req = lib.get(`${this.baseUrl}/healthz`, { agent: false, ca: this.ca, timeout: 1000 },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
  }

  // An HTTP request with fetch. token: sent as a bearer token. json: sent as the body with
  // Content-Type application/json. Resolves {status, headers, text, json}.
  async request(pathname, { method = 'GET', token, headers = {}, json, body } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (json !== undefined) {
      body = JSON.stringify(json);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
        h['content-type'] = 'application/json';
    }
    const res = await fetch(this.baseUrl + pathname, { method, headers: h, body });
    const text = await res.text();
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const answer = { status: res.status, headers: res.headers, text, json: parsed };
    if (OPENAPI_CHECK) await this.checkOpenApi(method, pathname, answer);
    return answer;
  }

  // CONNECTORD_OPENAPI_CHECK=1: every answer a test gets through request() is held against
  // the server's own OpenAPI document (lib/openapi.js); stop() fails on any that does not fit.
  async checkOpenApi(method, pathname, answer) {
    if (!this.openapi) {
      const { OpenApiChecker } = require('./openapi');
      const res = await fetch(`${this.baseUrl}/api/openapi.json`);
      this.openapi = new OpenApiChecker(await res.json());
      this.openapiProblems = [];
    }
    this.openapiProblems.push(...this.openapi.check(method, pathname, answer));
  }

  // Runs another subcommand of the same binary on the same store (and working directory):
  // `--db` is added. Resolves {code, stdout, stderr}.
  cli(args, { env } = {}) {
    return runCli([...args, '--db', this.db], { cwd: this.dir, env, bin: this.bin });
  }

  // `tenant create` on this server's store; resolves {tenantId, token}.
  async createTenant(name, plan = 'pro') {
    const r = await this.cli(['tenant', 'create', '--name', name, '--plan', plan]);
    assert.equal(r.code, 0, `tenant create failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  // `token create` on this server's store; resolves the token.
  async createToken(tenantId, role) {
    const r = await this.cli(['token', 'create', '--tenant', tenantId, '--role', role]);
    assert.equal(r.code, 0, `token create failed: ${r.stderr}`);
    return JSON.parse(r.stdout).token;
  }

  // Sends a signal once (SIGTERM by default); later calls are no-ops.
  terminate(signal = 'SIGTERM') {
    if (this.terminated || !this.running) return;
    this.terminated = true;
    this.proc.kill(signal);
  }

  // Resolves {code, signal} when the process is gone, or rejects after timeoutMs.
  async waitExit(timeoutMs = STOP_TIMEOUT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connectord did not exit within ${timeoutMs} ms`)),
                         timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Kills without judging: for servers that failed to start.
  async kill() {
    if (this.running) this.proc.kill('SIGKILL');
    await this.exited;
  }

  // SIGTERM, wait, then assert a clean exit: code 0 and no sanitizer report. Safe to call
  // more than once and after the test sent SIGTERM itself.
  async stop() {
    if (this.stopResult) return this.stopResult;
    try {
      this.terminate('SIGTERM');
      let result;
      try {
        result = await this.waitExit();
      } catch (e) {
        await this.kill();
        throw new Error(`${e.message}\nstderr:\n${this.stderr}`);
      }
      assert.equal(result.signal, null,
                   `connectord was killed by ${result.signal}\nstderr:\n${this.stderr}`);
      assert.equal(result.code, 0, `connectord exited with ${result.code}\nstderr:\n${this.stderr}`);
      assertNoSanitizerReport(this.stderr, 'connectord serve');
      if (this.openapiProblems)
        assert.deepEqual(this.openapiProblems, [], 'answers that do not fit /api/openapi.json');
      this.stopResult = result;
      return result;
    } finally {
      if (this.ownDir) await removeStore(this.dir);
    }
  }

  // The JSON lines of stderr (the server's log), parsed; other lines are skipped.
  logLines() {
    const out = [];
    for (const line of this.stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // a line still being written
      }
    }
    return out;
  }
}

// Resolves whether anything accepts a TCP connection on 127.0.0.1:port.
function portAccepts(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

// Waits until predicate() is true, polling; fails with message after timeoutMs.
async function waitFor(predicate, message, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message}`);
    await sleep(20);
  }
}

module.exports = {
  BACKEND,
  BIN,
  REPO_ROOT,
  TOKEN_RE,
  assertNoSanitizerReport,
  freePort,
  makeTempDir,
  pgTool,
  portAccepts,
  runCli,
  removeStore,
  sleep,
  sqliteOnly,
  sqliteOnlyFile,
  startServer,
  storeFor,
  waitFor,
};
