'use strict';
// The load of bench/ingest-callgrind.sh: POSTs the events bench/ingest-sign.js signed (one
// file, "<Stripe-Signature>\t<body>" a line) to a webhook URL, CONCURRENCY at a time over
// kept-alive connections, each with X-Forwarded-Proto: https as bench/ingest.lua sends it.
// Every answer must be 200; prints "sent=N ok=N" and exits 1 otherwise.
//
//   node bench/ingest-callgrind.js URL EVENTS_FILE CONCURRENCY
const fs = require('node:fs');
const http = require('node:http');

const [url, file, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
if (!url || !file || !Number.isSafeInteger(concurrency) || concurrency < 1) {
  console.error('usage: node bench/ingest-callgrind.js URL EVENTS_FILE CONCURRENCY');
  process.exit(2);
}
const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(line) {
  const tab = line.indexOf('\t');
  const body = Buffer.from(line.slice(tab + 1));
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': body.length,
        'X-Forwarded-Proto': 'https',
        'Stripe-Signature': line.slice(0, tab),
      },
    }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  let next = 0;
  let ok = 0;
  async function worker() {
    while (next < lines.length) {
      const r = await post(lines[next++]);
      if (r.status !== 200)
        throw new Error(`answer ${r.status}: ${r.body}`);
      ok++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  console.log(`sent=${lines.length} ok=${ok}`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
