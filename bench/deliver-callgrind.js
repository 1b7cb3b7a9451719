// Driver for bench/deliver-callgrind.sh: a webhook sink that fails every FAIL_EVERY-th request
// and a publisher of EVENTS payment.settled events, so that a connectord under valgrind does
// the same bounded work in every run.
//
//   node bench/deliver-callgrind.js sink PORT_FILE FAIL_EVERY
//       listens on 127.0.0.1 (a free port, written to PORT_FILE once listening) and answers
//       POST /hook/<n>: 500 to every FAIL_EVERY-th request it receives (counted over all
//       requests, first attempts and retries alike; none when FAIL_EVERY is 0), 200 to the
//       others. SIGTERM stops it and
//       prints "sink: requests=N failed=N delivered=N" (delivered: distinct (event, path)
//       pairs answered 200).
//   node bench/deliver-callgrind.js publish API TOKEN EVENTS CONCURRENCY SINK_PORT_FILE PAIRS
//       POSTs EVENTS events to API (.../api/projects/:projectId/events), CONCURRENCY at a
//       time, each distinct, with the data bench/deliver.lua sends; then waits until the sink
//       has answered 200 for PAIRS (event, destination) pairs (it asks the sink's GET /count).
//       Exits 1 when an event is not answered 201.
//
// Node's own http module only: no packages to install.
'use strict';
const http = require('node:http');
const fs = require('node:fs');

function sink(portFile, failEvery) {
  let requests = 0;
  let failed = 0;
  const delivered = new Set();
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/count') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ requests, failed, delivered: delivered.size }));
      return;
    }
    req.resume();
    req.on('end', () => {
      requests++;
      if (failEvery > 0 && requests % failEvery === 0) {
        failed++;
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"bench"}');
        return;
      }
      delivered.add(`${req.headers['webhook-id']} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 600000;
  server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(`${portFile}.tmp`, String(server.address().port));
    fs.renameSync(`${portFile}.tmp`, portFile);
  });
  process.on('SIGTERM', () => {
    console.log(`sink: requests=${requests} failed=${failed} delivered=${delivered.size}`);
    process.exit(0);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function eventBody(i) {
  const minor = 1000 + ((i * 7919) % 99000);
  const c = String(i % 100).padStart(3, '0');
  return JSON.stringify({
    type: 'payment.settled',
    data: {
      provider: 'stripe', event: 'invoice.payment_succeeded', externalId: `in_cg_${i}`,
      amount: `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`,
      currency: 'EUR', amountMinor: minor, invoiceId: `inv_cg_${i}`, invoiceNumber: `CG-${i}`,
      invoiceDate: '2026-03-22', direction: 'revenue',
      party: { id: `cus_bench${c}`, name: `Bench Customer ${c} GmbH`,
               email: `billing${c}@example.com`, role: 'customer' },
    },
  });
}

async function publish(api, token, events, concurrency, sinkPortFile, pairs) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let next = 0;
  let bad = 0;
  async function worker() {
    while (next < events) {
      const i = next++;
      const r = await request(api, 'POST', headers, eventBody(i));
      if (r.status !== 201 && bad++ === 0)
        console.error(`publish: event ${i} answered ${r.status}: ${r.text}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (bad) {
    console.error(`publish: ${bad} of ${events} events not answered 201`);
    process.exit(1);
  }
  console.log('publish: published'); // the backlog run lets the sink go now
  const count = `http://127.0.0.1:${fs.readFileSync(sinkPortFile, 'utf8')}/count`;
  for (;;) {
    const c = JSON.parse((await request(count, 'GET', {})).text);
    if (c.delivered >= pairs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`publish: events=${events}`);
  agent.destroy();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'sink') {
  sink(args[0], Number(args[1]));
} else if (mode === 'publish') {
  publish(args[0], args[1], Number(args[2]), Number(args[3]), args[4], Number(args[5])).catch(
    (e) => {
      console.error(`publish: ${e.message}`);
      process.exit(1);
    });
} else {
  console.error('usage: deliver-callgrind.js sink PORT_FILE FAIL_EVERY | publish API TOKEN ' +
                'EVENTS CONCURRENCY SINK_PORT_FILE PAIRS');
  process.exit(2);
}
