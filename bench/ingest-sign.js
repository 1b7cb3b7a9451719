'use strict';
// Pre-signs Stripe invoice.payment_succeeded events for bench/ingest.sh and bench/ingest.lua.
//
//   node bench/ingest-sign.js SECRET COUNT TAG OUT_PREFIX FILES
//
// Writes FILES files OUT_PREFIX.0 .. OUT_PREFIX.<FILES-1> (one per wrk thread, events dealt
// round-robin), one event a line: "<Stripe-Signature value>\t<raw JSON body>". Every event has
// its own id, invoice id (the externalId) and number, made from TAG and its index, so events of
// different TAGs never collide in a store. The signature is Stripe's scheme
// (inbound-providers reference, section 1.1): t = now in unix seconds,
// v1 = lowercase hex HMAC-SHA256 keyed with the whole whsec_ secret over "<t>.<body>".
// Stripe rejects a t older than 300 s, so sign right before the load that sends them.
//
// The events carry a Connect account id from a pool of 100, so the supplier is usually found
// (by the provider's id for it) and sometimes created, as on a platform with many merchants.
const crypto = require('node:crypto');
const fs = require('node:fs');

const [secret, countText, tag, outPrefix, filesText] = process.argv.slice(2);
const count = Number(countText);
const files = Number(filesText);
if (!secret || !Number.isSafeInteger(count) || count < 1 || !/^[A-Za-z0-9]+$/.test(tag || '') ||
    !outPrefix || !Number.isSafeInteger(files) || files < 1) {
  console.error('usage: node bench/ingest-sign.js SECRET COUNT TAG OUT_PREFIX FILES');
  process.exit(2);
}

const t = Math.floor(Date.now() / 1000);
const fds = [];
const chunks = [];
for (let f = 0; f < files; f++) {
  fds.push(fs.openSync(`${outPrefix}.${f}`, 'w'));
  chunks.push([]);
}
const FLUSH_AT = 4096;

function flush(f) {
  if (chunks[f].length) {
    fs.writeSync(fds[f], chunks[f].join(''));
    chunks[f] = [];
  }
}

for (let i = 0; i < count; i++) {
  const n = `${tag}${String(i).padStart(9, '0')}`;
  const merchant = i % 100;
  const customer = i % 5000;
  const amount = 100 + ((i * 7919) % 99900);
  const created = t - 60;
  // Key order and shape follow a real invoice.payment_succeeded event (trimmed), of an API
  // version before 2025-03-31.basil: its invoice names its payment intent, so each webhook
  // books on its own (from basil on, a payment takes two webhooks, the invoice's and
  // invoice_payment.paid's, and this one would wait for the second).
  const body = `{"id":"evt_1${n}","object":"event","account":"acct_1Bench${merchant}",` +
    `"api_version":"2024-06-20","created":${t},"data":{"object":{"id":"in_1${n}",` +
    `"object":"invoice","account_country":"DE","account_name":"Bench Merchant ${merchant} GmbH",` +
    `"amount_due":${amount},"amount_paid":${amount},"amount_remaining":0,"currency":"eur",` +
    `"customer":"cus_Bench${customer}","customer_email":"billing${customer}@example.com",` +
    `"customer_name":"Bench Customer ${customer}","number":"BENCH-${n}",` +
    `"payment_intent":"pi_1${n}","status":"paid",` +
    `"created":${created},"status_transitions":{"paid_at":${t}}}},"livemode":false,` +
    `"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},` +
    `"type":"invoice.payment_succeeded"}`;
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const f = i % files;
  chunks[f].push(`t=${t},v1=${v1}\t${body}\n`);
  if (chunks[f].length >= FLUSH_AT)
    flush(f);
}
for (let f = 0; f < files; f++) {
  flush(f);
  fs.closeSync(fds[f]);
}
