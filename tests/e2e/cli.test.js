// The command line: tenant and token creation and the tenant list next to a running server,
// usage and exit codes (each command's help and flags its own, groups' help), boolean flags,
// a busy port, the token hint of a restarted dev server, migrations, the master key, and
// flag > environment > config file precedence.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const {
  BACKEND, TOKEN_RE, freePort, makeTempDir, portAccepts, runCli, sleep, startServer, waitFor,
} = require('./lib/server');

const servers = [];
const dirs = [];

function tempDir() {
  const d = makeTempDir();
  dirs.push(d);
  return d;
}

async function start(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

after(async () => {
  const failures = [];
  for (const s of servers) {
    try {
      await s.stop();
    } catch (e) {
      failures.push(e);
    }
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (failures.length) throw failures[0];
});

describe('tenant create', () => {
  let server;

  before(async () => {
    server = await start();
  });

  test('prints exactly one JSON object {tenantId, token} and exits 0', async () => {
    const r = await server.cli(['tenant', 'create', '--name', 'Acme', '--plan', 'pro']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stdout);
    const out = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(out).sort(), ['tenantId', 'token']);
    assert.equal(typeof out.tenantId, 'string');
    assert.ok(out.tenantId.length > 0);
    assert.match(out.token, new RegExp(`^${TOKEN_RE.source}$`));
  });

  test('its token works at once on the server running on the same store', async () => {
    const r = await server.cli(['tenant', 'create', '--name', 'Live Co', '--plan', 'enterprise']);
    assert.equal(r.code, 0, r.stderr);
    const { tenantId, token } = JSON.parse(r.stdout);
    const res = await server.request('/api/tenant', { token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, tenantId);
    assert.equal(res.json.name, 'Live Co');
    assert.equal(res.json.plan, 'enterprise');
    assert.equal(res.json.role, 'admin');
  });

  test('each tenant gets its own id and token', async () => {
    const a = await server.createTenant('Same Name', 'starter');
    const b = await server.createTenant('Same Name', 'starter');
    assert.notEqual(a.tenantId, b.tenantId);
    assert.notEqual(a.token, b.token);
  });

  test('every plan is accepted', async () => {
    for (const plan of ['starter', 'pro', 'business', 'enterprise']) {
      const { token } = await server.createTenant(`Plan ${plan}`, plan);
      const res = await server.request('/api/tenant', { token });
      assert.equal(res.json.plan, plan);
    }
  });

  test('an unknown plan exits 1 and names the plans', async () => {
    const r = await server.cli(['tenant', 'create', '--name', 'Bad Plan', '--plan', 'platinum']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /platinum/);
    assert.match(r.stderr, /starter\|pro\|business\|enterprise/);
  });

  test('a bad name exits 1 with a message', async () => {
    const r = await server.cli(['tenant', 'create', '--name', '', '--plan', 'pro']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /name/);
  });

  test('a missing --name or --plan is a usage error (exit 2)', async () => {
    const r1 = await server.cli(['tenant', 'create', '--name', 'No Plan']);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /--plan/);
    const r2 = await server.cli(['tenant', 'create', '--plan', 'pro']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--name/);
    assert.equal(r1.stdout + r2.stdout, '');
  });

  test('token create prints exactly {token}', async () => {
    const r = await server.cli(['token', 'create', '--tenant', server.tenantId, '--role', 'member']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['token']);
    assert.match(out.token, new RegExp(`^${TOKEN_RE.source}$`));
    const res = await server.request('/api/tenant', { token: out.token });
    assert.equal(res.json.id, server.tenantId);
    assert.equal(res.json.role, 'member');
  });
});

describe('usage', () => {
  const commands = [['serve'], ['migrate'], ['tenant', 'create'], ['tenant', 'list'],
                    ['tenant', 'export'], ['tenant', 'import'], ['tenant', 'delete'],
                    ['token', 'create'], ['events', 'daily-summary'], ['export', 'datev']];

  test('--help on every command exits 0 and prints its usage on stdout', async () => {
    for (const cmd of commands) {
      const r = await runCli([...cmd, '--help']);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`usage: connectord ${cmd.join(' ')} `), r.stdout);
      assert.match(r.stdout, /--db VALUE/);
    }
    const tenant = await runCli(['tenant', 'create', '--help']);
    assert.match(tenant.stdout, /--name VALUE/);
    assert.match(tenant.stdout, /--plan VALUE/);
    const token = await runCli(['token', 'create', '--help']);
    assert.match(token.stdout, /--tenant VALUE/);
    assert.match(token.stdout, /--role VALUE/);
  });

  test('a command\'s help shows its own flags only: the server\'s settings only for serve',
    async () => {
      const serverOnly = [/--listen/, /--access-log/, /--max-body/, /--drain-timeout/, /--dev/,
                          /--tls-cert/, /--delivery-timeout/];
      for (const cmd of commands.filter((c) => c[0] !== 'serve')) {
        const r = await runCli([...cmd, '--help']);
        for (const flag of serverOnly)
          assert.doesNotMatch(r.stdout, flag, `${cmd.join(' ')} --help`);
        assert.match(r.stdout, /--config VALUE/);
      }
      const serve = await runCli(['serve', '--help']);
      for (const flag of serverOnly) assert.match(serve.stdout, flag);
      assert.doesNotMatch(serve.stdout, /--name VALUE|--tenant VALUE/);
      const list = await runCli(['tenant', 'list', '--help']);
      assert.match(list.stdout, /--format VALUE/);
      assert.doesNotMatch(list.stdout, /--name VALUE|--plan VALUE/);
    });

  test('a server setting given to a tool is refused (exit 2), naming it', async () => {
    const r = await runCli(['token', 'create', '--tenant', 'ten_x', '--role', 'admin',
                            '--listen', '127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown option '--listen' \(a setting of serve only\)/);
  });

  test('GROUP --help lists its subcommands and exits 0; a group alone or with an unknown ' +
       'subcommand exits 2', async () => {
    const groups = { tenant: ['create', 'list', 'export', 'import', 'delete'], token: ['create'], events: ['daily-summary'],
                     export: ['datev'] };
    for (const [group, subs] of Object.entries(groups)) {
      const r = await runCli([group, '--help']);
      assert.equal(r.code, 0, `${group} --help: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`usage: connectord ${group} SUBCOMMAND`), r.stdout);
      for (const sub of subs) assert.match(r.stdout, new RegExp(`^  ${sub} `, 'm'));
    }
    const alone = await runCli(['tenant']);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /'tenant' needs a subcommand/);
    assert.match(alone.stderr, /^  list /m);
    const unknown = await runCli(['tenant', 'rename']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'tenant rename'/);
  });

  test('--help alone lists every command and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of commands) assert.match(r.stdout, new RegExp(`^  ${cmd.join(' ')} `, 'm'));
  });

  test('--version prints the version and exits 0', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    const version = fs.readFileSync(path.join(__dirname, '..', '..', 'VERSION'), 'utf8').trim();
    assert.match(r.stdout, new RegExp(`^connectord ${version.replace(/\./g, '\\.')} \\(`));
    // the schema this build migrates a store to, as the highest migration step names it
    const steps = [...fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'store', 'migrations.c'), 'utf8')
      .matchAll(/^\s*\{(\d+), "/gm)].map((m) => Number(m[1]));
    assert.match(r.stdout, new RegExp(`store schema ${Math.max(...steps)}\\)$`, 'm'));
  });

  test('an unknown flag prints usage to stderr and exits 2', async () => {
    for (const cmd of commands) {
      const r = await runCli([...cmd, '--no-such-flag', 'x']);
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /unknown option '--no-such-flag'/);
      assert.match(r.stderr, new RegExp(`usage: connectord ${cmd.join(' ')} `));
    }
  });

  test('an unknown command, a stray argument or a flag without its value exits 2', async () => {
    for (const args of [['frobnicate'], ['tenant'], ['migrate', 'now'], ['migrate', '--db']]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /usage: connectord/);
    }
  });

  test('no arguments at all prints usage to stderr and exits 2', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^usage: connectord COMMAND/);
  });

  test('a setting with a bad value is refused with its name', async () => {
    const r = await runCli(['serve', '--threads', 'many']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /threads/);
    const e = await runCli(['migrate'], { env: { CONNECTORD_MAX_BODY: '-5' } });
    assert.equal(e.code, 1);
    assert.match(e.stderr, /CONNECTORD_MAX_BODY/);
  });
});

describe('retry schedule', () => {
  // Found by tests/fuzz/fuzz_config.c: a wait of 2^63-1 hours overflowed once in ms.
  test('a wait beyond a year is refused at start with a message, not multiplied', async () => {
    const dir = tempDir();
    const r = await runCli(['serve', '--dev', '--listen', `127.0.0.1:${await freePort()}`,
                            '--db', `sqlite:${path.join(dir, 'c.db')}`,
                            '--retry-schedule', '5s,9223372036854775807h'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /retry schedule '5s,9223372036854775807h': a wait is at most 8760h/);
  });
});

describe('migrate', () => {
  test('migrate applies the migrations once, and again is a no-op that exits 0', async () => {
    const dir = tempDir();
    const db = `sqlite:${path.join(dir, 'store.db')}`;
    const first = await runCli(['migrate', '--db', db], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /applied \d+ store migration/);
    assert.ok(fs.existsSync(path.join(dir, 'store.db')));
    const second = await runCli(['migrate', '--db', db], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /applied/);
    // The migrated store is usable.
    const t = await runCli(['tenant', 'create', '--name', 'After Migrate', '--plan', 'pro', '--db', db],
                           { cwd: dir });
    assert.equal(t.code, 0, t.stderr);
    assert.doesNotMatch(t.stderr, /applied/);
  });

  test('a store path that cannot be opened exits 1 with a message', async () => {
    const dir = tempDir();
    const r = await runCli(['migrate', '--db', `sqlite:${path.join(dir, 'missing', 'dir', 'x.db')}`],
                           { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^connectord: /m);
  });
});

describe('master key', () => {
  test('serve without --dev and without a master key exits 1 and says how to give one', async () => {
    const dir = tempDir();
    const port = await freePort();
    const r = await runCli(['serve', '--listen', `127.0.0.1:${port}`,
                            '--db', `sqlite:${path.join(dir, 'c.db')}`], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no master key/);
    assert.match(r.stderr, /--master-key-file/);
    assert.match(r.stderr, /CONNECTORD_MASTER_KEY/);
    assert.ok(!fs.existsSync(path.join(dir, 'var', 'master.key')));
  });

  test('a malformed master key file exits 1 with a message', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'bad.key'), 'not hex at all\n');
    const r = await runCli(['serve', '--listen', `127.0.0.1:${await freePort()}`,
                            '--master-key-file', path.join(dir, 'bad.key'),
                            '--db', `sqlite:${path.join(dir, 'c.db')}`], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /master key file .* must hold 64 hex characters/);
  });

  test('serve starts without --dev given a master key file, and makes no demo tenant', async () => {
    const keyDir = tempDir();
    const keyFile = path.join(keyDir, 'master.key');
    fs.writeFileSync(keyFile, 'ab'.repeat(32) + '\n', { mode: 0o600 });
    const s = await start({ dev: false, args: ['--master-key-file', keyFile] });
    assert.equal((await s.request('/healthz')).status, 200);
    assert.doesNotMatch(s.stdout, /demo tenant/);
    assert.ok(!fs.existsSync(path.join(s.dir, 'var', 'master.key')));
  });

  test('serve starts without --dev given CONNECTORD_MASTER_KEY', async () => {
    const s = await start({ dev: false, env: { CONNECTORD_MASTER_KEY: '0f'.repeat(32) } });
    assert.equal((await s.request('/readyz')).status, 200);
  });

  test('--dev writes var/master.key (mode 0600) once and keeps it across restarts', async () => {
    const dir = tempDir();
    const first = await start({ dir });
    const keyPath = path.join(dir, 'var', 'master.key');
    const key = fs.readFileSync(keyPath, 'utf8');
    assert.match(key, /^[0-9a-f]{64}\n$/);
    assert.equal(fs.statSync(keyPath).mode & 0o777, 0o600);
    await first.stop();

    const second = await start({ dir, expectDemo: false });
    assert.equal(fs.readFileSync(keyPath, 'utf8'), key);
    // The store has a tenant now: no second demo tenant, and the first token still works.
    assert.doesNotMatch(second.stdout, /demo tenant/);
    const res = await second.request('/api/tenant', { token: first.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, first.tenantId);
  });
});

describe('settings precedence: flag > environment > config file', () => {
  let ports;
  let configFile;

  before(async () => {
    ports = [await freePort(), await freePort(), await freePort()];
    assert.equal(new Set(ports).size, 3);
    configFile = path.join(tempDir(), 'connectord.conf');
    fs.writeFileSync(configFile, `# test settings\nlisten = 127.0.0.1:${ports[0]}\n` +
                                 'log-level = "info"\n');
  });

  async function whoAnswers(s) {
    const open = [];
    for (const p of ports) if (await portAccepts(p)) open.push(p);
    await s.stop();
    return open;
  }

  test('the flag beats the environment and the config file', async () => {
    const s = await start({ port: ports[2], args: ['--config', configFile],
                            env: { CONNECTORD_LISTEN: `127.0.0.1:${ports[1]}` } });
    assert.deepEqual(await whoAnswers(s), [ports[2]]);
  });

  test('the environment beats the config file', async () => {
    const s = await start({ port: ports[1], listenFlag: false, args: ['--config', configFile],
                            env: { CONNECTORD_LISTEN: `127.0.0.1:${ports[1]}` } });
    assert.deepEqual(await whoAnswers(s), [ports[1]]);
  });

  test('the config file beats the default', async () => {
    const s = await start({ port: ports[0], listenFlag: false, args: ['--config', configFile] });
    assert.deepEqual(await whoAnswers(s), [ports[0]]);
  });

  test('the config file may be named by CONNECTORD_CONFIG', async () => {
    const s = await start({ port: ports[0], listenFlag: false,
                            env: { CONNECTORD_CONFIG: configFile } });
    assert.deepEqual(await whoAnswers(s), [ports[0]]);
  });

  test('a config file with an unknown key or a bad line is refused with its line', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'bad.conf');
    fs.writeFileSync(bad, 'listen = 127.0.0.1:1\nwhat = ever\n');
    const r = await runCli(['migrate', '--config', bad, '--db', `sqlite:${path.join(dir, 'x.db')}`],
                           { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}:2`));
    assert.match(r.stderr, /what/);
    fs.writeFileSync(bad, 'listen 127.0.0.1:1\n');
    const r2 = await runCli(['migrate', '--config', bad, '--db', `sqlite:${path.join(dir, 'x.db')}`],
                            { cwd: dir });
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /:1: expected `key = value`/);
  });

  test('a missing config file is an error, not silently ignored', async () => {
    const dir = tempDir();
    const r = await runCli(['migrate', '--config', path.join(dir, 'nope.conf'),
                            '--db', `sqlite:${path.join(dir, 'x.db')}`], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.conf/);
  });
});

describe('boolean flags', () => {
  // The server's log lines of request handling.
  async function requestLines(s) {
    assert.equal((await s.request('/healthz')).status, 200);
    await sleep(100);
    return s.logLines().filter((l) => l.msg === 'request').length;
  }

  test('take true/false, 1/0, yes/no as the next word or after =; alone they mean true',
    async () => {
      for (const [args, logged] of [[['--access-log', 'false'], false], [['--access-log=0'], false],
                                    [['--access-log', 'no'], false], [['--access-log', 'true'], true],
                                    [['--access-log', 'yes', '--dev'], true]]) {
        const s = await start({ args });
        assert.equal((await requestLines(s)) > 0, logged, args.join(' '));
        await s.stop();
      }
    });

  test('anything else is refused with the setting\'s name and the words it takes (exit 2)',
    async () => {
      for (const args of [['--access-log', 'maybe'], ['--dev=2'], ['--access-log', '']]) {
        const r = await runCli(['serve', ...args, '--listen', `127.0.0.1:${await freePort()}`]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /(access-log|dev) must be true or false \(or 1\/0, yes\/no/);
      }
    });
});

describe('a busy port', () => {
  test('names the address in use and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    try {
      const dir = tempDir();
      const r = await runCli(['serve', '--dev', '--listen', `127.0.0.1:${port}`,
                              '--db', `sqlite:${path.join(dir, 'c.db')}`], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: ` +
                                        'Address already in use'));
      assert.doesNotMatch(r.stderr, /port 0/);
    } finally {
      blocker.close();
    }
  });
});

describe('tenant list', () => {
  test('prints every tenant as a JSON line (id, name, plan, createdAt), oldest first, or a ' +
       'table', async () => {
    const server = await start();
    const a = await server.createTenant('Listed One', 'starter');
    const b = await server.createTenant('Listed "Two"', 'enterprise');
    const r = await server.cli(['tenant', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((t) => t.id), [server.tenantId, a.tenantId, b.tenantId]);
    for (const t of rows) {
      assert.deepEqual(Object.keys(t).sort(), ['createdAt', 'id', 'name', 'plan']);
      assert.match(t.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    }
    assert.deepEqual(rows.map((t) => [t.name, t.plan]),
                     [['Demo', 'business'], ['Listed One', 'starter'],
                      ['Listed "Two"', 'enterprise']]);

    const table = await server.cli(['tenant', 'list', '--format', 'table']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^ID\s+PLAN\s+CREATED\s+NAME$/);
    assert.equal(lines.length, 4);
    assert.match(lines[3], new RegExp(`^${b.tenantId}\\s+enterprise\\s+\\S+\\s+Listed "Two"$`));

    const bad = await server.cli(['tenant', 'list', '--format', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be json or table/);
  });

  test('an empty store lists nothing and exits 0', async () => {
    const dir = tempDir();
    const r = await runCli(['tenant', 'list', '--db', `sqlite:${path.join(dir, 'e.db')}`],
                           { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });
});

describe('a restarted dev server', () => {
  test('prints no token but the exact command that makes one, and that command works',
    async () => {
      const dir = tempDir();
      const first = await start({ dir });
      await first.stop();
      const second = await start({ dir, expectDemo: false });
      // The hint follows the listener's start: wait for it rather than read stdout at once.
      const hint = /^ +(\S+) (token create --tenant (\S+) --role admin --db \S+)$/m;
      const m = await waitFor(() => hint.exec(second.stdout),
                              `the token command on stdout:\n${second.stdout}`, 5000);
      assert.doesNotMatch(second.stdout, /admin token \(shown once\)/);
      assert.equal(m[3], first.tenantId);
      assert.match(second.stdout, /tenant list --db/);
      const r = await runCli(m[2].split(' '), { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const { token } = JSON.parse(r.stdout);
      const res = await second.request('/api/tenant', { token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.id, first.tenantId);
      assert.equal(res.json.role, 'admin');
    });

  test('leaves the store\'s password out of the command it prints',
    BACKEND === 'postgres' ? {} : { skip: 'PostgreSQL only: a SQLite store has no password' },
    async () => {
      const dir = tempDir();
      const first = await start({ dir });
      await first.stop();
      // the test cluster trusts its local users: any password opens the store
      const withPassword = first.db.replace('://postgres@', '://postgres:hunter2@')
        .replace(/\/([^/?]+)$/, '/$1?sslmode=disable&password=hunter3');
      assert.notEqual(withPassword, first.db);
      const second = await start({ dir, db: withPassword, expectDemo: false });
      const hint = /^ +\S+ token create --tenant \S+ --role admin --db (\S+)$/m;
      const m = await waitFor(() => hint.exec(second.stdout),
                              `the token command on stdout:\n${second.stdout}`, 5000);
      const shown = withPassword.replace('hunter2', 'PASSWORD').replace('hunter3', 'PASSWORD');
      assert.equal(m[1], `'${shown}'`); // quoted for the shell: it holds '?' and '&'
      assert.doesNotMatch(second.stdout + second.stderr, /hunter/);
      assert.match(second.stdout, /PASSWORD: the store's password, left out here/);
    });
});
