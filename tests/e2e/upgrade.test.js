// Upgrades from what is deployed: a store made by an earlier release keeps working under this
// build. The release binary (Makefile's UPGRADE_FROM, built from git history by
// scripts/build-release into build/upgrade/) fills a store with every kind of row: tenants,
// admin and member tokens, settings, payment and accounting installs, suppliers, customers,
// invoices, a credit note, journal entries, webhook log rows of every status, destinations
// with delivered and failed deliveries and their attempts, published events, a daily summary,
// a submitted VAT return and the audit log. Then this build opens the same store: its
// migrations apply, every read answers as the release answered (new members may appear, none
// of the release's may change or go), the release's tokens, installs and webhook URLs keep
// working, and a webhook the release booked is still a duplicate.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { REPO_ROOT, freePort, makeTempDir, sqliteOnlyFile, startServer } = require('./lib/server');
const { FonMock, booksTenant, installDatev, pay, refund } = require('./lib/accounting');
const { MockServices } = require('./lib/mock-services');
const { eventually } = require('./lib/outbound');
const { StripeTenant, invoiceFailed, sign } = require('./lib/stripe');

if (sqliteOnlyFile('the store is made by an older release, which knows only SQLite')) return;

// Every release since the first store that was kept (tests/e2e/upgrade-releases.json, which
// the Makefile builds with scripts/build-release into build/upgrade/REV/): each fills a store
// of its own, and this build opens it. `through`: the last issue the release includes.
const RELEASES = JSON.parse(fs.readFileSync(path.join(__dirname, 'upgrade-releases.json'), 'utf8'));

// Members this build answers differently on purpose, as "path of the value": [why, the issue
// that changed it]. Each entry is a documented change of the API, and applies to the releases
// made before that issue; everything else a release answered must stay.
const CHANGES = [
  // issue 11: DATEV takes the chart and the fiscal year start from the tenant's settings;
  // the connector keeps only the advisor's numbers (the store's step 7 moved the year start)
  ['GET books /api/connectors/datev.settings', 'datev has no chart or fiscalYearStart field', 11],
  ['GET books /api/connectors/datev.config.fiscalYearStart', 'now the settings\' MM-DD', 11],
  ['GET books /api/connectors/datev.config.chart', 'now the settings\' chart', 11],
  ['GET books /api/exports/datev?from=2026-01-01&to=2026-12-31',
   'an EKR tenant is refused for its chart, no longer for the connector\'s', 11],
  // issue 11: requiredPlan is the lowest plan that allows an entry; destinations need Pro
  ...Array.from({ length: 20 }, (_, i) => [`GET books /api/connectors.connectors[${19 + i}].requiredPlan`,
                                           'destinations need Pro (Starter has no slots)', 11]),
  // issue 16: Trakro's description says that it publishes no API, so it cannot sync yet
  ['GET books /api/connectors.connectors[18].description', 'Trakro says it cannot sync yet', 16],
  // issue 18: payment connectors pull payouts and fees with an optional key (Stripe: apiKey
  // and the API base URL; PayPal: its REST app), and the bank connectors read accounts
  ['GET books /api/connectors/stripe.settings', 'Stripe takes a restricted key and an API base URL', 18],
];

for (const r of RELEASES) upgradeFrom(r);

function upgradeFrom({ rev, through, what }) {
  // resolved like lib/server.js's BIN: the servers run in their own directories
  const RELEASE = path.resolve(REPO_ROOT, `build/upgrade/${rev}/connectord`);
  const CHANGED = new Map(CHANGES.filter(([, , issue]) => issue > through).map(([p, why]) => [p, why]));

  describe(`a store made by release ${rev}: ${what}`, () => {

  let dir;
  let port; // one address for every server, as an operator keeps it: webhook URLs name it
  let fon;
  let mocks;
  let release;  // the release's server while it fills the store
  let current;  // this build's server on the same store, after it
  const T = {}; // what the release made: tenants, tokens, ids, bodies
  const seen = new Map(); // path -> the release's answer

  // GETs everything a client of the release could read, as a map from "who path" (who: the
  // token's holder) to {status, body} (the JSON, or the text of a file).
  async function readAll(server) {
    const out = new Map();
    const get = async (p, who = 'books', { text = false } = {}) => {
      const token = who === 'member' ? T.member : T[who].token;
      const res = await server.request(p, { token });
      out.set(`${who} ${p}`, { status: res.status, body: text ? res.text : res.json });
      return res;
    };
    const B = T.books;
    const P = `/api/projects/${B.tenantId}`;
    await get('/api/tenant');
    await get('/api/tenant', 'member');
    await get('/api/invoices?limit=100', 'member');
    await get('/api/settings');
    await get('/api/connectors');
    for (const slug of ['stripe', 'datev', 'finanzonline']) await get(`/api/connectors/${slug}`);
    await get('/api/connectors/stripe/webhook-logs?limit=100');
    const invoices = await get('/api/invoices?limit=100');
    for (const inv of invoices.json.invoices) await get(`/api/invoices/${inv.id}`);
    await get('/api/suppliers?limit=100');
    await get('/api/customers?limit=100');
    await get('/api/ledger/entries?limit=100');
    await get('/api/ledger/balances');
    await get('/api/vat-returns/at?period=2026-03');
    await get('/api/vat-returns/at/submissions');
    await get('/api/exports/datev?from=2026-01-01&to=2026-12-31', 'books', { text: true });
    await get(`${P}/connectors`);
    for (const id of [T.slackId, T.failingId]) {
      await get(`${P}/connectors/${id}`);
      const d = await get(`${P}/connectors/${id}/deliveries?limit=100`);
      for (const one of d.json.deliveries) await get(`${P}/connectors/${id}/deliveries/${one.id}`);
    }
    await get(`${P}/events?limit=100`);
    await get('/api/audit-log?limit=100');
    await get('/api/invoices?limit=100', 'expense');
    await get('/api/suppliers?limit=100', 'expense');
    await get('/api/connectors/stripe/webhook-logs?limit=100', 'expense');
    return out;
  }

  // Asserts that `now` answers at least what `was` answered: the same values for every member
  // the release had (objects may have gained members), the same length for every list.
  function assertKept(now, was, where) {
    if (CHANGED.has(where)) return;
    if (Array.isArray(was)) {
      assert.ok(Array.isArray(now), `${where}: was a list, now ${JSON.stringify(now)}`);
      assert.equal(now.length, was.length, `${where}: ${was.length} items before, ${now.length} now`);
      was.forEach((v, i) => assertKept(now[i], v, `${where}[${i}]`));
    } else if (was !== null && typeof was === 'object') {
      assert.ok(now !== null && typeof now === 'object' && !Array.isArray(now),
                `${where}: was an object, now ${JSON.stringify(now)}`);
      for (const k of Object.keys(was)) {
        if (CHANGED.has(`${where}.${k}`)) continue;
        assert.ok(k in now, `${where}.${k}: gone (was ${JSON.stringify(was[k])})`);
        assertKept(now[k], was[k], `${where}.${k}`);
      }
    } else {
      assert.deepEqual(now, was, `${where}: was ${JSON.stringify(was)}, now ${JSON.stringify(now)}`);
    }
  }

  before(async () => {
    assert.ok(fs.existsSync(RELEASE),
              `${RELEASE} is missing: \`make test\` builds it (scripts/build-release)`);
    dir = makeTempDir();
    fon = await new FonMock().start();
    mocks = await MockServices.start();
    port = await freePort();
    release = await startServer({ bin: RELEASE, dir, port });

    // An expense tenant without autoPost: a supplier and an invoice waiting for review.
    const E = await StripeTenant.create(release, { direction: 'expense', vatRate: '20' });
    T.expense = E;
    T.expensePaid = await pay(E, '2026-03-04', { amount: 24000 });

    // The books tenant: revenue with autoPost, settings, DATEV and FinanzOnline, two
    // destinations and a member token.
    const B = await booksTenant(release, {
      settings: { chart: 'ekr', timeZone: 'Europe/Vienna', fiscalYearStart: '01-01',
                  vatNumber: 'ATU12345678', milestones: [100, 1000] },
      stripe: { direction: 'revenue', vatRate: '20' },
    });
    T.books = B;
    T.member = await release.createToken(B.tenantId, 'member');

    const slack = mocks.endpoint('slack');
    const failing = mocks.endpoint('discord');
    failing.always({ status: 400, json: { message: 'Unknown Webhook' } });
    const P = `/api/projects/${B.tenantId}/connectors`;
    let res = await release.request(P, { method: 'POST', token: B.token,
                                         json: { type: 'slack', config: slack.config, eventTypes: ['*'] } });
    assert.equal(res.status, 201, res.text);
    T.slackId = res.json.id;
    res = await release.request(P, { method: 'POST', token: B.token,
                                     json: { type: 'discord', config: failing.config,
                                             eventTypes: ['payment.settled'] } });
    assert.equal(res.status, 201, res.text);
    T.failingId = res.json.id;

    const big = await pay(B, '2026-03-05', { amount: 120000 });
    T.paid = await pay(B, '2026-03-06', { amount: 33000 });
    await refund(B, '2026-03-20', { pi: big.externalId, amount: 120000, refunded: 12000 });
    res = await B.send(T.paid.body);
    assert.equal(res.json.results[0].status, 'duplicate', res.text);
    res = await B.send(invoiceFailed({ amount: 5000 }).body);
    assert.equal(res.status, 200, res.text);
    res = await B.send(T.paid.body, { secret: 'whsec_wrong' });
    assert.equal(res.status, 400, res.text);

    res = await release.request(`/api/projects/${B.tenantId}/events`, {
      method: 'POST', token: B.token,
      // the shape every release accepts (the first ones took any data)
      json: { type: 'customer.milestone',
              data: { customer: { id: 'cus_1', name: 'Ada', email: 'ada@example.com' },
                      threshold: '100.00', total: '120.00', currency: 'EUR' } } });
    assert.equal(res.status, 201, res.text);
    const summary = await release.cli(['events', 'daily-summary', '--date', '2026-03-05',
                                       '--tenant', B.tenantId]);
    assert.equal(summary.code, 0, summary.stderr);

    // the release's datev kept the chart and the fiscal year start (MMDD) in its config
    // (until issue 11; later ones take both from the tenant's settings)
    await installDatev(release, B.token, through < 11 ? { fiscalYearStart: '0101', chart: 'skr03' } : {});
    res = await release.request('/api/connectors/finanzonline/install', {
      method: 'POST', token: B.token,
      json: { config: { participantId: 'T1234567ab', userId: 'WSUSER01', pin: 'pin4711',
                        taxNumber: '12-345/6789', apiBaseUrl: fon.url } } });
    assert.equal(res.status, 201, res.text);
    res = await release.request('/api/vat-returns/at/submit', {
      method: 'POST', token: B.token, json: { period: '2026-03', test: true } });
    assert.equal(res.status, 201, res.text);

    // A restart of the release makes its scheduler send yesterday's summary of the tenants made
    // since it started (once per tenant and day), so that this build finds nothing left to send.
    await release.stop();
    release = await startServer({ bin: RELEASE, dir, port, expectDemo: false });
    B.server = release;
    E.server = release;
    await eventually(async () => {
      const r = await release.request(`/api/projects/${B.tenantId}/events?limit=100`, { token: B.token });
      // from issue 14 on, no summary of a day that ended before the tenant existed
      return r.json.events.filter((e) => e.type === 'revenue.daily_summary').length >= (through < 14 ? 2 : 1);
    }, 'the restarted release sent yesterday\'s summary');

    // Every delivery settled (delivered or failed) before the release stops.
    await eventually(async () => {
      for (const id of [T.slackId, T.failingId]) {
        const r = await release.request(`/api/projects/${B.tenantId}/connectors/${id}/deliveries?limit=100`,
                                        { token: B.token });
        if (r.json.deliveries.some((d) => d.status !== 'delivered' && d.status !== 'failed'))
          return false;
      }
      return true;
    }, 'the release delivered or failed every delivery');

    for (const [p, v] of await readAll(release)) seen.set(p, v);
    await release.stop();
    release = null;
    current = await startServer({ dir, port, expectDemo: false });
    B.server = current;
    E.server = current;
  });

  after(async () => {
    await release?.kill();
    await current?.stop();
    await mocks?.stop();
    await fon?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('this build on its store', () => {
    test('the release filled it with every kind of row', () => {
      const get = (p, who = 'books') => seen.get(`${who} ${p}`).body;
      const invoices = get('/api/invoices?limit=100').invoices;
      assert.equal(invoices.length, 3, JSON.stringify(invoices));
      assert.ok(invoices.some((i) => i.type === 'gutschrift'), JSON.stringify(invoices));
      assert.equal(get('/api/suppliers?limit=100', 'expense').suppliers.length, 1);
      assert.equal(get('/api/invoices?limit=100', 'expense').invoices.length, 1);
      assert.ok(get('/api/customers?limit=100').customers.length >= 1);
      assert.ok(get('/api/ledger/entries?limit=100').entries.length >= 3);
      const statuses = new Set(get('/api/connectors/stripe/webhook-logs?limit=100').map((l) => l.status));
      for (const s of ['processed', 'duplicate', 'invalid_signature']) assert.ok(statuses.has(s), s);
      const P = `/api/projects/${T.books.tenantId}`;
      const delivered = get(`${P}/connectors/${T.slackId}/deliveries?limit=100`).deliveries;
      const failed = get(`${P}/connectors/${T.failingId}/deliveries?limit=100`).deliveries;
      assert.ok(delivered.length > 0 && delivered.every((d) => d.status === 'delivered'));
      assert.ok(failed.length > 0 && failed.every((d) => d.status === 'failed'));
      const types = new Set(get(`${P}/events?limit=100`).events.map((e) => e.type));
      for (const t of ['payment.settled', 'customer.milestone', 'revenue.daily_summary'])
        assert.ok(types.has(t), t);
      assert.equal(get('/api/vat-returns/at/submissions').submissions.length, 1);
      assert.ok(JSON.stringify(get('/api/audit-log?limit=100')).includes('datev'));
    });

    test('this build applies its migrations on start and answers every read as before', async () => {
      const now = await readAll(current);
      assert.deepEqual([...now.keys()], [...seen.keys()]);
      for (const [p, was] of seen) {
        const got = now.get(p);
        assert.equal(got.status, was.status, `GET ${p}: ${was.status} before, ${got.status} now`);
        if (typeof was.body === 'string' && !CHANGED.has(`GET ${p}`)) assert.equal(got.body, was.body, `GET ${p}`);
        else assertKept(got.body, was.body, `GET ${p}`);
      }
      const migrate = await current.cli(['migrate']);
      assert.equal(migrate.code, 0, migrate.stderr);
    });

    test('the release\'s tokens keep their roles', async () => {
      let res = await current.request('/api/tenant', { token: T.member });
      assert.equal(res.status, 200, res.text);
      res = await current.request('/api/tenant', { method: 'PATCH', token: T.member,
                                                   json: { name: 'not allowed' } });
      assert.equal(res.status, 403, res.text);
    });

    test('a webhook the release booked is still a duplicate; a new one books and balances', async () => {
      const B = T.books;
      let res = await B.send(T.paid.body);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.results[0].status, 'duplicate', res.text);
      const p = await pay(B, '2026-03-07', { amount: 4200 });
      const inv = (await B.invoices()).find((i) => i.externalId === p.externalId);
      assert.ok(inv, 'the new payment is booked');
      const balances = await B.balances();
      assert.ok(JSON.stringify(balances).length > 2, JSON.stringify(balances));
      res = await T.expense.send(T.expensePaid.body);
      assert.equal(res.json.results[0].status, 'duplicate', res.text);
      // the release's webhook URL, signed with the release's secret
      res = await B.post('{}', { headers: { 'stripe-signature': sign('{}', B.secret) } });
      assert.notEqual(res.status, 404, res.text);
    });

    test('the release\'s books are chained in the order it wrote them, and new ones follow',
         async () => {
      const get = (p) => seen.get(`books ${p}`).body;
      const entries = get('/api/ledger/entries?limit=100').entries.length;
      const audits = get('/api/audit-log?limit=100').entries.length;
      const res = await current.request('/api/ledger/verify', { token: T.books.token });
      assert.equal(res.status, 200, res.text);
      const v = res.json;
      assert.equal(v.ok, true, res.text);
      // after the previous test's one new payment
      assert.equal(v.head.journal.seq, entries + 1, res.text);
      assert.ok(v.head.audit.seq >= audits, res.text);
    });

    test('the release\'s destinations still receive new events', async () => {
      const slack = () => mocks.requests.filter((r) => r.type === 'slack' && r.ok).length;
      const before = slack();
      await pay(T.books, '2026-03-08', { amount: 1500 });
      await eventually(() => slack() > before, 'slack got the events of a payment after the upgrade');
    });
  });
});
}
