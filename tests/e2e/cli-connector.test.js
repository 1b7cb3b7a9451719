// `connectord connector validate FILE` and `connectord connector test FILE`: the automated
// checks a connector manifest gets, and its samples run through the pipeline, on manifests
// whose samples are signed by the providers' own libraries (stripe, standardwebhooks), so
// the declarative verifier is checked against code nobody here wrote. Each check is shown
// refusing what it should: a sample that maps to another payment, a changed byte that still
// verifies (a scheme that does not sign the body), a secret setting not typed secret, a
// plain-http or private URL, each size limit, and an unreadable file. No store is involved
// (the test command uses a scratch one), so this file runs the same on both backends.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, describe, test } = require('node:test');
const Stripe = require('stripe');
const { Webhook } = require('standardwebhooks');
const { makeTempDir, runCli } = require('./lib/server');

const ROOT = path.resolve(__dirname, '..', '..');
const STRIPE_MANIFEST = path.join(ROOT, 'tests/fixtures/declarative/stripe.json');
const REVOLUT_MANIFEST = path.join(ROOT, 'tests/fixtures/declarative/revolut.json');

const dir = makeTempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function write(manifest) {
  const file = path.join(dir, `m${++counter}.json`);
  fs.writeFileSync(file, typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  return file;
}

function lines(stdout) {
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

async function validate(file) {
  const r = await runCli(['connector', 'validate', file]);
  return { ...r, results: r.code === 2 ? [] : lines(r.stdout) };
}

function result(results, check) {
  const found = results.find((r) => r.check === check);
  assert.ok(found, `no ${check} check in ${JSON.stringify(results)}`);
  return found;
}

// A fresh Stripe event, signed by the stripe library at `nowS`.
function stripeSample(nowS, { amount = 4200, secret = 'whsec_e2eDeclarativeSecret0001' } = {}) {
  const body = JSON.stringify({
    id: 'evt_e2e_0001', object: 'event', type: 'charge.succeeded', created: nowS,
    data: { object: { id: 'ch_e2e_0001', object: 'charge', amount, currency: 'eur',
      payment_intent: 'pi_e2e_0001', created: nowS,
      billing_details: { email: 'payer@example.com', name: 'Payer GmbH' } } },
  });
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: nowS });
  return {
    name: 'a charge signed by the stripe library',
    nowMs: nowS * 1000 + 5000,
    secret,
    headers: { 'Stripe-Signature': header },
    body,
    payments: [{
      kind: 'settled', event: 'charge.succeeded', eventId: 'evt_e2e_0001', externalId: 'pi_e2e_0001',
      date: new Date(nowS * 1000).toISOString().slice(0, 10),
      amount: (amount / 100).toFixed(2), currency: 'EUR',
      customerEmail: 'payer@example.com', customerName: 'Payer GmbH',
    }],
  };
}

function stripeManifest(sample) {
  const m = JSON.parse(fs.readFileSync(STRIPE_MANIFEST, 'utf8'));
  m.samples = [sample];
  return m;
}

// A connector for a provider that signs as Standard Webhooks does (whsec_ + base64 key,
// "{id}.{timestamp}.{body}", space-separated "v1,<base64>" signatures), not built in.
function standardManifest() {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const nowS = 1774189800;
  const body = JSON.stringify({ type: 'payment.succeeded', data: {
    id: 'pay_9001', amount: '12.50', currency: 'EUR', paid_at: '2026-03-22T14:30:00Z',
    customer: { name: 'Kunde GmbH', email: 'kunde@example.com' }, reference: 'R-9001' } });
  const signature = new Webhook(secret).sign('msg_0001', new Date(nowS * 1000), body);
  return {
    manifestVersion: 1, slug: 'acme-pay', name: 'Acme Pay', description: 'Acme Pay payments',
    kind: 'webhook', category: 'payments', minPlan: 'starter', authLabel: 'Signing Secret',
    documentation: 'https://docs.example.com/webhooks',
    settings: [{ key: 'signingSecret', label: 'Signing secret', type: 'secret', flags: ['required'] }],
    webhook: {
      signature: {
        algorithm: 'sha256', secretSetting: 'signingSecret', secretPrefix: 'whsec_',
        secretEncoding: 'base64', header: 'webhook-signature', format: 'plain', separator: ' ',
        prefix: 'v1,', encoding: 'base64', timestampHeader: 'webhook-timestamp',
        signedContent: '{header:webhook-id}.{timestamp}.{body}', toleranceSeconds: 300,
        futureToleranceSeconds: 300,
      },
      events: {
        type: '/type',
        map: { externalId: '/data/id', amount: '/data/amount', amountUnit: 'major',
          currency: '/data/currency', date: '/data/paid_at', dateFormat: 'rfc3339',
          customerName: '/data/customer/name', customerEmail: '/data/customer/email',
          reference: '/data/reference' },
        types: { 'payment.succeeded': { kind: 'settled' }, 'payment.failed': { kind: 'failed' } },
      },
    },
    samples: [{
      name: 'a payment signed by the standardwebhooks library', nowMs: nowS * 1000 + 1000, secret,
      headers: { 'webhook-id': 'msg_0001', 'webhook-timestamp': String(nowS),
        'webhook-signature': `v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsIQ== ${signature}` },
      body,
      payments: [{ kind: 'settled', event: 'payment.succeeded', externalId: 'pay_9001',
        amount: '12.50', currency: 'EUR', date: '2026-03-22', customerName: 'Kunde GmbH',
        customerEmail: 'kunde@example.com', reference: 'R-9001' }],
    }],
  };
}

describe('connector validate', () => {
  test('the declarative Stripe manifest passes every check', async () => {
    const r = await validate(STRIPE_MANIFEST);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.results.map((x) => x.check),
      ['schema', 'limits', 'secrets', 'urls', 'sample 1', 'sample 1 changed']);
    for (const x of r.results) {
      assert.equal(x.ok, true, JSON.stringify(x));
      assert.equal(typeof x.message, 'string');
    }
  });

  test('a sample signed by the stripe library verifies and maps to its payment', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const r = await validate(write(stripeManifest(stripeSample(nowS))));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(result(r.results, 'sample 1').message, /1 expected payment/);
  });

  test('a connector that is not built in, signed by the standardwebhooks library (rotation: the second signature matches)', async () => {
    const r = await validate(write(standardManifest()));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(result(r.results, 'sample 1 changed').ok, true);
  });

  test('a sample that maps to another payment than it expects fails, naming the field', async () => {
    const s = stripeSample(1774189800);
    s.payments[0].amount = '42.01';
    const r = await validate(write(stripeManifest(s)));
    assert.equal(r.code, 1);
    const check = result(r.results, 'sample 1');
    assert.equal(check.ok, false);
    assert.match(check.message, /amount is "42.00"/);
  });

  test('a sample whose signature is not the secret\'s fails', async () => {
    const s = stripeSample(1774189800, { secret: 'whsec_another' });
    s.secret = 'whsec_e2eDeclarativeSecret0001';
    const r = await validate(write(stripeManifest(s)));
    assert.equal(r.code, 1);
    assert.match(result(r.results, 'sample 1').message, /does not verify: no signature/);
  });

  test('a scheme that does not sign the body fails the changed-byte check', async () => {
    const m = standardManifest();
    m.webhook.signature.signedContent = '{header:webhook-id}.{timestamp}.';
    const s = m.samples[0];
    const sig = new Webhook(s.secret).sign('msg_0001', new Date(1774189800 * 1000), '');
    s.headers['webhook-signature'] = sig;
    const r = await validate(write(m));
    assert.equal(r.code, 1);
    assert.equal(result(r.results, 'sample 1').ok, true);
    const changed = result(r.results, 'sample 1 changed');
    assert.equal(changed.ok, false);
    assert.match(changed.message, /still verifies/);
  });

  test('a secret setting typed string fails the secrets check', async () => {
    const m = standardManifest();
    m.settings[0].type = 'string';
    const r = await validate(write(m));
    assert.equal(r.code, 1);
    assert.match(result(r.results, 'secrets').message, /signingSecret keys the signature but is not typed secret/);
    const named = standardManifest();
    named.settings.push({ key: 'apiToken', label: 'API token', type: 'string' });
    const r2 = await validate(write(named));
    assert.equal(r2.code, 1);
    assert.match(result(r2.results, 'secrets').message, /apiToken holds a secret/);
  });

  test('URLs must be public and https', async () => {
    for (const url of ['http://docs.example.com/webhooks', 'https://localhost/x', 'https://10.0.0.7/x',
      'https://192.168.1.1/', 'https://printer.local/']) {
      const m = standardManifest();
      m.documentation = url;
      const r = await validate(write(m));
      assert.equal(r.code, 1, url);
      const check = result(r.results, 'urls');
      assert.equal(check.ok, false, url);
      assert.ok(check.message.includes(url), check.message);
    }
  });

  test('each size limit refuses a manifest built to exceed it', async () => {
    const cases = [
      ['manifest', (m) => { m.padding = 'x'.repeat(256 * 1024); }, /more than 256 KiB/],
      ['settings', (m) => {
        for (let i = 0; i < 64; i++) m.settings.push({ key: `extra${i}`, label: 'x', type: 'string' });
      }, /65 settings, more than 64/],
      ['event types', (m) => {
        for (let i = 0; i < 128; i++) m.webhook.events.types[`t.${i}`] = { kind: 'failed' };
      }, /130 event types, more than 128/],
      ['template', (m) => {
        m.webhook.signature.signedContent = `${'a'.repeat(4097)}{body}`;
      }, /a template of 4103 bytes, more than 4096/],
      ['pointer', (m) => {
        m.webhook.events.map.externalId = '/a'.repeat(33);
      }, /a JSON pointer of 33 steps, more than 32/],
    ];
    for (const [name, grow, message] of cases) {
      const m = standardManifest();
      grow(m);
      const r = await validate(write(m));
      assert.equal(r.code, 1, name);
      const check = result(r.results, 'limits');
      assert.equal(check.ok, false, name);
      assert.match(check.message, message, name);
    }
  });

  test('the format is the catalog\'s: a manifest without its catalog entry fails the schema check', async () => {
    const m = standardManifest();
    delete m.category;
    const r = await validate(write(m));
    assert.equal(r.code, 1);
    const check = result(r.results, 'schema');
    assert.equal(check.ok, false);
    assert.match(check.message, /category/);
  });

  test('not JSON, and no such file', async () => {
    const r = await validate(write('{"slug": '));
    assert.equal(r.code, 1);
    assert.equal(result(r.results, 'schema').ok, false);
    const missing = await runCli(['connector', 'validate', path.join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
    const none = await runCli(['connector', 'validate']);
    assert.equal(none.code, 2);
  });
});

describe('connector test', () => {
  test('runs the Stripe and Revolut samples through the pipeline and prints the bookings', async () => {
    const r = await runCli(['connector', 'test', STRIPE_MANIFEST]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [line] = lines(r.stdout);
    assert.equal(line.verified, true);
    assert.equal(line.status, 'processed');
    assert.deepEqual(line.payments, [{
      event: 'invoice.payment_succeeded', externalId: 'in_1TestInvoice0001', action: 'booked',
      invoiceType: 'eingangsrechnung', amount: '99.00', currency: 'EUR', posted: false,
    }]);
    const rev = await runCli(['connector', 'test', REVOLUT_MANIFEST]);
    assert.equal(rev.code, 0, rev.stdout + rev.stderr);
    const [revLine] = lines(rev.stdout);
    assert.equal(revLine.payments[0].amount, '99.00');
    assert.equal(revLine.payments[0].event, 'payment_completed');
  });

  test('a not built-in connector, signed by standardwebhooks, books its payment', async () => {
    const r = await runCli(['connector', 'test', write(standardManifest())]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [line] = lines(r.stdout);
    assert.equal(line.payments[0].externalId, 'pay_9001');
    assert.equal(line.payments[0].amount, '12.50');
  });

  test('an event type the manifest does not book is ignored, with the reason', async () => {
    const nowS = 1774189800;
    const secret = 'whsec_e2eDeclarativeSecret0001';
    const body = JSON.stringify({ id: 'evt_e2e_0002', object: 'event', type: 'customer.created',
      created: nowS, data: { object: { id: 'cus_1', object: 'customer' } } });
    const sample = {
      name: 'an event that is no payment', nowMs: nowS * 1000, secret,
      headers: { 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: nowS }) },
      body, payments: [{ kind: 'ignored', event: 'customer.created' }],
    };
    const file = write(stripeManifest(sample));
    const v = await validate(file);
    assert.equal(v.code, 0, v.stdout);
    const r = await runCli(['connector', 'test', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [line] = lines(r.stdout);
    assert.equal(line.status, 'ignored');
    assert.equal(line.payments[0].action, 'none');
    assert.match(line.payments[0].detail, /customer.created is not booked/);
  });

  test('a sample that does not verify is reported and the exit code is 1', async () => {
    const s = stripeSample(1774189800, { secret: 'whsec_another' });
    s.secret = 'whsec_e2eDeclarativeSecret0001';
    const r = await runCli(['connector', 'test', write(stripeManifest(s))]);
    assert.equal(r.code, 1);
    const [line] = lines(r.stdout);
    assert.equal(line.verified, false);
    assert.match(line.error, /no signature/);
  });

  test('a stale sample is refused as a replay', async () => {
    const s = stripeSample(1774189800);
    s.nowMs = (1774189800 + 301) * 1000;
    const r = await runCli(['connector', 'test', write(stripeManifest(s))]);
    assert.equal(r.code, 1);
    assert.match(lines(r.stdout)[0].error, /tolerance/);
  });
});
