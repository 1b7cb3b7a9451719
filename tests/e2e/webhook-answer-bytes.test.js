// The exact bytes of a webhook's JSON answer: members in their order, strings escaped as
// JSON requires and spelled as jansson's dump spells them (\" \\ \b \f \n \t, other
// control characters as \u00XX in upper case, every other character as it is, '/' and DEL
// included). Providers and their dashboards show this text, so it stays the same bytes
// whichever way the server writes it.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { StripeTenant, eventBody, invoicePaid, nowS, sid } = require('./lib/stripe');

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe('the answer to a webhook', () => {
  test('a booked payment: status, then its result with every member in order', async () => {
    const t = await StripeTenant.create(server);
    const pay = invoicePaid({ number: 'ACME-"7"' });
    const res = await t.send(pay.body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const r = res.json.results[0];
    assert.match(r.invoiceId, /^inv_[0-9A-Za-z_-]+$/);
    assert.match(r.partyId, /^sup_[0-9A-Za-z_-]+$/);
    assert.match(r.action, /^[a-z_]+$/);
    assert.equal(res.text,
                 '{"status":"processed","results":[{"event":"invoice.payment_succeeded",' +
                 `"status":"processed","action":"${r.action}","externalId":"${pay.externalId}",` +
                 `"invoiceId":"${r.invoiceId}","invoiceType":"eingangsrechnung",` +
                 `"partyId":"${r.partyId}","totalGross":"99.00","currency":"EUR"}]}`);

    const again = await t.send(pay.body);
    assert.equal(again.status, 200, again.text);
    const d = again.json.results[0];
    assert.match(d.action, /^[a-z_]+$/);
    assert.equal(again.text,
                 '{"status":"duplicate","results":[{"event":"invoice.payment_succeeded",' +
                 `"status":"duplicate","action":"${d.action}","externalId":"${pay.externalId}"` +
                 (d.detail === undefined ? '' : `,"detail":${JSON.stringify(d.detail)}`) + '}]}');
  });

  test('an event not booked: its type and the detail that quotes it, escaped', async () => {
    const t = await StripeTenant.create(server);
    // Quotes, a backslash, a slash, accents, a character beyond the BMP, control
    // characters with short escapes and without, and DEL.
    const type = 'odd."q"\\/\u00e9\u20ac\u{1f600}\u0001\b\f\n\t\u001f\u007f';
    const escaped = 'odd.\\"q\\"\\\\/\u00e9\u20ac\u{1f600}\\u0001\\b\\f\\n\\t\\u001F\u007f';
    const body = eventBody(type, { id: sid('in_'), object: 'invoice', created: nowS() });
    const res = await t.send(body);
    assert.equal(res.status, 200, res.text);
    const r = res.json.results[0];
    assert.equal(r.event, type);
    assert.match(r.action, /^[a-z_]+$/);
    assert.equal(res.text,
                 '{"status":"processed","results":[{"event":"' + escaped + '",' +
                 `"status":"processed","action":"${r.action}",` +
                 `"detail":"Stripe event ${escaped} is not booked; no action taken"}]}`);
  });
});
