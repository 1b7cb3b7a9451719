// HTTPS with --tls-cert/--tls-key, using a self-signed certificate made here with openssl.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { freePort, makeTempDir, runCli, startServer } = require('./lib/server');

let certDir;
let cert;
let server;

function makeCertificate(dir) {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'),
    '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'pipe' });
  return fs.readFileSync(path.join(dir, 'cert.pem'));
}

function get(lib, url, options = {}) {
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { agent: false, timeout: 5000, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body,
                                    socket: res.socket }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

before(async () => {
  certDir = makeTempDir();
  cert = makeCertificate(certDir);
  server = await startServer({
    scheme: 'https',
    ca: cert,
    args: ['--tls-cert', path.join(certDir, 'cert.pem'), '--tls-key', path.join(certDir, 'key.pem')],
  });
});

after(async () => {
  try {
    await server?.stop();
  } finally {
    fs.rmSync(certDir, { recursive: true, force: true });
  }
});

describe('HTTPS', () => {
  test('GET /healthz over TLS, verified against the self-signed certificate, answers 200', async () => {
    const res = await get(https, `https://127.0.0.1:${server.port}/healthz`, { ca: cert });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { status: 'ok' });
    assert.ok(res.headers['x-request-id']);
  });

  test('an authenticated API call works over TLS', async () => {
    const res = await get(https, `https://127.0.0.1:${server.port}/api/tenant`,
                          { ca: cert, headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).id, server.tenantId);
  });

  test('the server presents the certificate it was given', async () => {
    const peer = await new Promise((resolve, reject) => {
      const req = https.get(`https://127.0.0.1:${server.port}/healthz`,
                            { agent: false, rejectUnauthorized: false }, (res) => {
        const c = res.socket.getPeerCertificate();
        res.resume();
        res.on('end', () => resolve(c));
      });
      req.on('error', reject);
    });
    const mine = new (require('node:crypto').X509Certificate)(cert);
    assert.equal(peer.fingerprint256, mine.fingerprint256);
  });

  test('a client that does not trust the certificate refuses the connection', async () => {
    await assert.rejects(get(https, `https://127.0.0.1:${server.port}/healthz`),
                         /self[- ]signed|certificate/i);
  });

  test('plain HTTP on the TLS port is not served', async () => {
    let status = null;
    try {
      status = (await get(http, `http://127.0.0.1:${server.port}/healthz`)).status;
    } catch {
      status = null; // the connection was reset or closed: not served, as it should be
    }
    assert.notEqual(status, 200);
    // and the server still serves TLS afterwards
    const res = await get(https, `https://127.0.0.1:${server.port}/healthz`, { ca: cert });
    assert.equal(res.status, 200);
  });

  test('the demo tenant banner names an https base URL', async () => {
    assert.match(server.stdout, new RegExp(`https://127\\.0\\.0\\.1:${server.port}/api`));
  });
});

describe('TLS misconfiguration', () => {
  test('--tls-cert without --tls-key exits 1 with a message', async () => {
    const dir = makeTempDir();
    try {
      const r = await runCli(['serve', '--dev', '--listen', `127.0.0.1:${await freePort()}`,
                              '--db', `sqlite:${path.join(dir, 'c.db')}`,
                              '--tls-cert', path.join(certDir, 'cert.pem')], { cwd: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--tls-cert and --tls-key go together/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unreadable certificate file exits 1 with a message', async () => {
    const dir = makeTempDir();
    try {
      const r = await runCli(['serve', '--dev', '--listen', `127.0.0.1:${await freePort()}`,
                              '--db', `sqlite:${path.join(dir, 'c.db')}`,
                              '--tls-cert', path.join(dir, 'missing.pem'),
                              '--tls-key', path.join(certDir, 'key.pem')], { cwd: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot read the TLS certificate or key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that is not a certificate exits 1 instead of serving', async () => {
    const dir = makeTempDir();
    try {
      fs.writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate\n');
      const r = await runCli(['serve', '--dev', '--listen', `127.0.0.1:${await freePort()}`,
                              '--db', `sqlite:${path.join(dir, 'c.db')}`,
                              '--tls-cert', path.join(dir, 'junk.pem'),
                              '--tls-key', path.join(certDir, 'key.pem')], { cwd: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /connectord: cannot listen/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
