// tests/e2e/lib/raw.js - HTTP/1.1 over a bare socket, for requests fetch will not send
// (a Content-Length that the body never fills, a body sent in pieces on our own schedule).
'use strict';

const net = require('node:net');

// Parses one response from the bytes received so far; null while incomplete.
function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
  const status = Number(m[1]);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  if (status === 100) {
    const next = parseResponse(rest);
    return next;
  }
  const len = Number(headers['content-length'] || 0);
  if (rest.length < len) return null;
  const body = rest.subarray(0, len).toString('utf8');
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status, headers, body, json };
}

// Opens a connection; resolves a handle with write(data), response() (resolves the first
// complete response, or rejects if the connection ends first) and close().
function connect(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    let received = Buffer.alloc(0);
    let ended = false;
    let endError = null;
    const waiters = [];
    const settle = () => {
      let parsed = null;
      try {
        parsed = parseResponse(received);
      } catch (e) {
        endError = e;
      }
      while (waiters.length && (parsed || ended || endError)) {
        const w = waiters.shift();
        if (parsed) w.resolve(parsed);
        else w.reject(endError || new Error('connection closed before a complete response'));
      }
    };
    sock.on('data', (d) => {
      received = Buffer.concat([received, d]);
      settle();
    });
    sock.on('error', (e) => {
      endError = e;
      ended = true;
      settle();
    });
    sock.on('close', () => {
      ended = true;
      settle();
    });
    sock.once('connect', () => {
      sock.removeListener('error', reject);
      resolve({
        socket: sock,
        write: (data) => new Promise((res, rej) => sock.write(data, (e) => (e ? rej(e) : res()))),
        response: () => new Promise((res, rej) => {
          waiters.push({ resolve: res, reject: rej });
          settle();
        }),
        close: () => sock.destroy(),
        get closed() {
          return ended;
        },
      });
    });
    sock.once('error', reject);
  });
}

module.exports = { connect };
