// The Debian package and the service (issue 23): `make deb` builds it (make test does, and
// names it in CONNECTORD_DEB), lintian finds no error in it, it holds what it promises, and
// `make install` lays out the same with PREFIX and DESTDIR. As root, the package is installed
// for real: its maintainer scripts make the connectord user, /var/lib/connectord (0700) and a
// master key (0600), and enable the unit; systemd-analyze verify accepts the installed unit;
// the binary started with the unit's command line, user, directory and environment tells
// systemd's notification socket READY, RELOADING and STOPPING, answers /readyz, reloads its
// configuration on SIGHUP without dropping a connection, and stops cleanly. Then it is purged.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { after, describe, test } = require('node:test');
const { REPO_ROOT, freePort, makeTempDir, sqliteOnlyFile } = require('./lib/server');

if (sqliteOnlyFile('the package is the same for both stores; the service runs on its SQLite default')) return;

const DEB = process.env.CONNECTORD_DEB ? path.resolve(REPO_ROOT, process.env.CONNECTORD_DEB) : null;
const VERSION = fs.readFileSync(path.join(REPO_ROOT, 'VERSION'), 'utf8').trim();
const dirs = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return r;
}

function debOrSkip() {
  if (!DEB || !fs.existsSync(DEB)) return { skip: 'no package: run through make test (CONNECTORD_DEB), after make deb' };
  return {};
}

describe('the Debian package', () => {
  test('lintian finds no error in it', debOrSkip(), () => {
    const r = run('lintian', ['--fail-on', 'error', '--no-tag-display-limit', DEB]);
    assert.equal(r.status, 0, `lintian:\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /^E: /m, r.stdout);
  });

  test('it holds the binary, the manual page, the unit, the configuration and the maintainer scripts', debOrSkip(), () => {
    const contents = execFileSync('dpkg-deb', ['--contents', DEB], { encoding: 'utf8' });
    const files = new Map(contents.trim().split('\n').map((l) => {
      const f = l.split(/\s+/);
      return [f[5].replace(/^\.\//, '/'), f[0]];
    }));
    for (const [file, mode] of [['/usr/sbin/connectord', '-rwxr-xr-x'],
                                ['/usr/share/man/man8/connectord.8.gz', '-rw-r--r--'],
                                ['/lib/systemd/system/connectord.service', '-rw-r--r--'],
                                ['/etc/connectord/connectord.conf', '-rw-r--r--'],
                                ['/usr/share/doc/connectord/copyright', '-rw-r--r--'],
                                ['/usr/share/doc/connectord/changelog.gz', '-rw-r--r--']])
      assert.equal(files.get(file), mode, `${file} in:\n${contents}`);
    const field = (name) => execFileSync('dpkg-deb', ['-f', DEB, name], { encoding: 'utf8' }).trim();
    assert.equal(field('Package'), 'connectord');
    assert.equal(field('Version'), VERSION);
    assert.match(field('Depends'), /\badduser\b/);
    assert.match(field('Depends'), /\blibsystemd0\b/);
    assert.match(field('Depends'), /\blibsqlite3-0\b/);
    // loaded with dlopen, so named by packaging/build-deb rather than found by dpkg-shlibdeps
    assert.match(field('Depends'), /\blibpoppler-glib8\b/);
    assert.match(field('Depends'), /\blibtesseract5\b/);
    const control = makeTempDir();
    dirs.push(control);
    execFileSync('dpkg-deb', ['--control', DEB, control]);
    assert.equal(fs.readFileSync(path.join(control, 'conffiles'), 'utf8').trim(), '/etc/connectord/connectord.conf');
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const file = path.join(control, script);
      assert.equal(fs.statSync(file).mode & 0o777, 0o755, script);
      assert.equal(run('sh', ['-n', file]).status, 0, `${script} does not parse`);
    }
    const postinst = fs.readFileSync(path.join(control, 'postinst'), 'utf8');
    assert.match(postinst, /adduser --system --group/);
    assert.match(postinst, /install -d -m 0700 -o connectord -g connectord \/var\/lib\/connectord/);
    assert.match(postinst, /deb-systemd-helper enable connectord.service/);
  });

  test('the manual page is the binary\'s own help', debOrSkip(), () => {
    const tree = makeTempDir();
    dirs.push(tree);
    execFileSync('dpkg-deb', ['-x', DEB, tree]);
    const page = execFileSync('gzip', ['-dc', path.join(tree, 'usr/share/man/man8/connectord.8.gz')], { encoding: 'utf8' });
    assert.match(page, /^\.TH CONNECTORD 8 /m);
    const help = execFileSync(path.join(tree, 'usr/sbin/connectord'), ['--help'], { encoding: 'utf8' });
    for (const m of help.matchAll(/^ {2}([a-z]+(?: [a-z-]+)?) {2,}/gm))
      assert.match(page, new RegExp(`^\\.SS "connectord ${m[1]}"$`, 'm'), `${m[1]} is not in the manual page`);
    assert.match(page, /\\fB\\-\\-master\\-key\\-file VALUE\\fR/);
    assert.match(page, /CONNECTORD_LOG_FILE/);
    const rendered = run('man', ['--warnings', '-l', '-Tutf8', path.join(tree, 'usr/share/man/man8/connectord.8.gz')]);
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.equal(rendered.stderr, '', 'man warns about the page');
  });
});

describe('make install', () => {
  test('lays out the binary, the page, the unit (naming where the binary went) and an example configuration under DESTDIR and PREFIX', () => {
    const dest = makeTempDir();
    dirs.push(dest);
    const r = run('make', ['--no-print-directory', '-C', REPO_ROOT, 'install', `DESTDIR=${dest}`, 'PREFIX=/opt/cd']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const f of ['opt/cd/sbin/connectord', 'opt/cd/share/man/man8/connectord.8',
                     'opt/cd/lib/systemd/system/connectord.service',
                     'opt/cd/share/doc/connectord/connectord.conf.example'])
      assert.ok(fs.existsSync(path.join(dest, f)), `${f} missing`);
    const unit = fs.readFileSync(path.join(dest, 'opt/cd/lib/systemd/system/connectord.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/opt\/cd\/sbin\/connectord serve$/m);
  });
});

// The notification socket systemd gives a Type=notify service, stood in for by python3: every
// datagram it receives is one line of its output (newlines inside shown as |).
function notifySocket(dir) {
  const socket = path.join(dir, 'notify.sock');
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    `s.bind(${JSON.stringify(socket)})`,
    'import os; os.chmod(sys.argv[1], 0o777)',
    'print("bound", flush=True)',
    'while True:',
    '    d = s.recv(4096).decode()',
    '    print(d.replace("\\n", "|"), flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', script, socket]);
  const lines = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop();
    lines.push(...parts);
  });
  return { socket, child, lines };
}

async function until(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function get(port, pathname, agent) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

// The unit's [Service] lines as a map (Environment= collected into an object).
function unitService(text) {
  const out = { Environment: {} };
  let inService = false;
  for (const line of text.split('\n')) {
    if (/^\[/.test(line)) inService = line === '[Service]';
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!inService || !m) continue;
    if (m[1] === 'Environment') {
      const [k, ...v] = m[2].split('=');
      out.Environment[k] = v.join('=');
    } else {
      out[m[1]] = m[2];
    }
  }
  return out;
}

describe('the installed service', () => {
  const installable = () => {
    if (debOrSkip().skip) return debOrSkip();
    if (os.userInfo().uid !== 0) return { skip: 'installing a package needs root' };
    if (run('dpkg-query', ['-W', 'connectord']).status === 0) return { skip: 'a connectord package is installed on this machine already' };
    return {};
  };

  test('dpkg installs it: user, state folder, key, enabled unit; the unit verifies; started as the unit starts it, it notifies, serves, reloads and stops',
       installable(), async () => {
    const purge = () => {
      run('dpkg', ['--purge', 'connectord']);
      fs.rmSync('/var/lib/connectord', { recursive: true, force: true });
      fs.rmSync('/etc/connectord', { recursive: true, force: true });
      run('deluser', ['--quiet', '--system', 'connectord']);
    };
    const installed = run('dpkg', ['-i', DEB], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    try {
      assert.equal(installed.status, 0, installed.stdout + installed.stderr);
      const user = execFileSync('getent', ['passwd', 'connectord'], { encoding: 'utf8' }).trim().split(':');
      assert.equal(user[5], '/var/lib/connectord');
      const uid = Number(user[2]);
      const state = fs.statSync('/var/lib/connectord');
      assert.equal(state.mode & 0o777, 0o700);
      assert.equal(state.uid, uid);
      const key = fs.statSync('/etc/connectord/master.key');
      assert.equal(key.mode & 0o777, 0o600);
      assert.equal(key.uid, uid);
      assert.match(fs.readFileSync('/etc/connectord/master.key', 'utf8'), /^[0-9a-f]{64}$/);
      assert.equal(fs.statSync('/etc/connectord/connectord.conf').mode & 0o777, 0o600);
      assert.ok(fs.existsSync('/etc/systemd/system/multi-user.target.wants/connectord.service'), 'the unit is enabled');
      const verify = run('systemd-analyze', ['verify', '/lib/systemd/system/connectord.service']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);

      // Started as systemd would: its user, directory, environment and command line.
      const unit = unitService(fs.readFileSync('/lib/systemd/system/connectord.service', 'utf8'));
      assert.equal(unit.Type, 'notify');
      assert.equal(unit.User, 'connectord');
      assert.equal(unit.ProtectSystem, 'strict');
      assert.equal(unit.ReadWritePaths, '/var/lib/connectord');
      assert.equal(unit.SystemCallFilter, '@system-service');
      assert.equal(unit.CapabilityBoundingSet, '');
      const dir = makeTempDir();
      dirs.push(dir);
      fs.chmodSync(dir, 0o755);
      const notify = notifySocket(dir);
      await until('the notify socket', () => notify.lines.includes('bound'));
      const port = await freePort();
      const [exe, ...args] = unit.ExecStart.split(' ');
      // the configuration as the package installed it, plus a log file and a free port
      fs.appendFileSync('/etc/connectord/connectord.conf', `\nlisten = 127.0.0.1:${port}\n`);
      const child = spawn('setpriv', ['--reuid=connectord', '--regid=connectord', '--init-groups', exe, ...args], {
        cwd: unit.WorkingDirectory,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...unit.Environment, NOTIFY_SOCKET: notify.socket },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      try {
        await until(`READY=1 (stderr: ${stderr})`, () => notify.lines.some((l) => l.startsWith('READY=1')));
        assert.equal((await get(port, '/readyz')).status, 200);
        assert.ok(fs.existsSync('/var/lib/connectord/connectord.db'), 'the store is in the state folder');

        // A reload: a new log level and a log file; a kept-alive connection stays open.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        assert.equal((await get(port, '/healthz', agent)).status, 200);
        fs.appendFileSync('/etc/connectord/connectord.conf',
                          'log-level = debug\nlog-file = /var/lib/connectord/connectord.log\nthreads = 3\n');
        const readyBefore = notify.lines.filter((l) => l.startsWith('READY=1')).length;
        child.kill('SIGHUP');
        await until('RELOADING=1', () => notify.lines.some((l) => l.startsWith('RELOADING=1')));
        await until('READY=1 again', () => notify.lines.filter((l) => l.startsWith('READY=1')).length > readyBefore);
        assert.equal((await get(port, '/healthz', agent)).status, 200);
        const log = await until('the log file', () => fs.existsSync('/var/lib/connectord/connectord.log') &&
                                                      fs.readFileSync('/var/lib/connectord/connectord.log', 'utf8'));
        assert.match(log, /"reload: threads changed in the configuration; it takes effect at the next start"/);
        assert.match(log, /"reload: log-level changed"/);
        assert.match(log, /"reloaded the configuration"/);
        agent.destroy();
        child.kill('SIGTERM');
        const { code, signal } = await exited;
        assert.equal(signal, null);
        assert.equal(code, 0, stderr);
        await until('STOPPING=1', () => notify.lines.some((l) => l.startsWith('STOPPING=1')));
        assert.match(fs.readFileSync('/var/lib/connectord/connectord.log', 'utf8'), /"stopped"/);
      } finally {
        child.kill('SIGKILL');
        notify.child.kill('SIGKILL');
      }
    } finally {
      purge();
    }
  });
});
