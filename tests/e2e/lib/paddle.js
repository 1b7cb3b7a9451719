// A Paddle Billing webhook connector written as a manifest alone (no C): the outside
// connector the developer-flow tests submit, review, publish, install and post to.
//
// Paddle signs each notification with its endpoint's secret key: the header
//   Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<raw body>">
// (several h1 while a secret rotates). Amounts are strings in the currency's lowest
// denomination; transaction.completed is a settled payment, transaction.payment_failed
// a failed one. docs/connectors.md walks through the same manifest.
'use strict';

const crypto = require('node:crypto');

// A secret key of Paddle's shape (pdl_ntfset_...), made up for the tests.
const SAMPLE_SECRET = 'pdl_ntfset_01hv8wqvm4k6tpfmb0w6a0ng2e_xK0J8wC4WDk4yz2Xm7jSEpU1cAvhFlUb';
const SAMPLE_TS = 1712917129;

function sign(secret, body, ts) {
  const h1 = crypto.createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');
  return `ts=${ts};h1=${h1}`;
}

// A transaction.completed notification, as Paddle sends it (shortened to what is mapped).
function transactionCompleted({ id = 'txn_01hv8wptq8987qeep44cyrewp9', total = '1190',
                                currency = 'EUR', billedAt = '2024-04-12T10:18:48.294633Z' } = {}) {
  return JSON.stringify({
    event_id: `evt_${id.slice(4)}`,
    event_type: 'transaction.completed',
    occurred_at: billedAt,
    notification_id: `ntf_${id.slice(4)}`,
    data: {
      id,
      status: 'completed',
      customer_id: 'ctm_01hv6y1jedq4p1n0yqn5ba3ky4',
      currency_code: currency,
      billed_at: billedAt,
      details: { totals: { subtotal: '1000', tax: '190', total, grand_total: total } },
      invoice_number: '325-10566',
    },
  });
}

// The manifest. overrides: members replaced at the top level (a later version, a broken
// one); sample: the first sample's {body, header, payments} instead of the correct one.
function paddleManifest({ slug = 'paddle', overrides = {}, sample } = {}) {
  const body = transactionCompleted();
  const good = {
    name: 'transaction.completed',
    nowMs: SAMPLE_TS * 1000 + 2000,
    secret: SAMPLE_SECRET,
    headers: { 'Paddle-Signature': sign(SAMPLE_SECRET, body, SAMPLE_TS) },
    body,
    payments: [{
      kind: 'settled',
      event: 'transaction.completed',
      eventId: 'evt_01hv8wptq8987qeep44cyrewp9',
      externalId: 'txn_01hv8wptq8987qeep44cyrewp9',
      reference: '325-10566',
      customerId: 'ctm_01hv6y1jedq4p1n0yqn5ba3ky4',
      amount: '11.90',
      currency: 'EUR',
      date: '2024-04-12',
    }],
  };
  return {
    manifestVersion: 1,
    slug,
    name: 'Paddle Billing',
    description: 'Import Paddle Billing transactions',
    kind: 'webhook',
    category: 'payments',
    minPlan: 'starter',
    authLabel: 'Webhook secret key',
    caps: ['payment'],
    webhookSetup: 'Paddle > Developer tools > Notifications > New destination: paste the webhook URL, choose transaction.completed and transaction.payment_failed, then copy the secret key here.',
    webhookEvents: ['transaction.completed', 'transaction.payment_failed'],
    documentation: 'https://developer.paddle.com/webhooks/signature-verification',
    settings: [
      { key: 'webhookSecret', label: 'Secret key', type: 'secret', flags: ['required', 'awaitable'],
        help: "The notification destination's secret key (pdl_ntfset_...)" },
    ],
    webhook: {
      signature: {
        algorithm: 'sha256',
        secretSetting: 'webhookSecret',
        secretEncoding: 'utf8',
        header: 'Paddle-Signature',
        format: 'pairs',
        separator: ';',
        signatureKeys: ['h1'],
        timestampKey: 'ts',
        timestampUnit: 's',
        encoding: 'hex',
        signedContent: '{timestamp}:{body}',
        toleranceSeconds: 300,
      },
      events: {
        type: '/event_type',
        map: {
          eventId: '/event_id',
          externalId: '/data/id',
          reference: '/data/invoice_number',
          customerId: '/data/customer_id',
          currency: '/data/currency_code',
          amount: '/data/details/totals/grand_total',
          amountUnit: 'minor',
          date: ['/data/billed_at', '/occurred_at'],
          dateFormat: 'rfc3339',
        },
        types: {
          'transaction.completed': { kind: 'settled' },
          'transaction.payment_failed': { kind: 'failed' },
        },
      },
    },
    samples: [{ ...good, ...(sample || {}) }],
    ...overrides,
  };
}

module.exports = { SAMPLE_SECRET, sign, transactionCompleted, paddleManifest };
