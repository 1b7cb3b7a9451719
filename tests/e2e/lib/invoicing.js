// tests/e2e/lib/invoicing.js - what the invoicing tests share: a tenant with an invoice
// profile (PUT /api/settings/invoicing) and a customer with billing details (POST
// /api/customers), time entries in the store as a sync run writes them, drafts and their
// finalization, and readers for the e-invoice (fast-xml-parser) and the PDF (pdftotext).
//
// Time entries: the sync engine that imports them from Toggl, Clockify, mite, Timely and
// Trakro is built in parallel; until it is on this branch the tests write the rows of
// time_entries (migration 14) directly, column for column as a sync run writes them, with the
// sqlite3 shell (lib/store-file.js), so every test here runs against the real schema.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { XMLParser } = require('fast-xml-parser');
const { sql, rows } = require('./store-file');

const SELLER = {
  sellerName: 'Zeitwerk Beratung GmbH', street: 'Getreidemarkt 9', postalCode: '1060',
  city: 'Wien', contactName: 'Eva Huber', phone: '+43 1 234567', email: 'office@zeitwerk.example',
  iban: 'AT611904300234573201', bic: 'BKAUATWW',
};

const BUYER = {
  street: 'Hauptstraße 5', postalCode: '4020', city: 'Linz', country: 'AT',
  vatId: 'ATU99999999', email: 'einkauf@kunde.example', buyerReference: 'PO-4711',
};

// A tenant (AT, EKR, 20 %) with an invoice profile and one customer; opts.profile and
// opts.billing are merged into the defaults above, opts.settings into the tenant settings.
async function invoicingTenant(server, opts = {}) {
  const t = await server.createTenant(`Invoicing ${crypto.randomUUID()}`, 'pro');
  const settings = { vatNumber: 'ATU12345678', ...opts.settings };
  let res = await server.request('/api/settings', { method: 'PUT', token: t.token, json: settings });
  assert.equal(res.status, 200, res.text);
  res = await server.request('/api/settings/invoicing', {
    method: 'PUT', token: t.token, json: { ...SELLER, ...opts.profile },
  });
  assert.equal(res.status, 200, res.text);
  t.profile = res.json;
  t.customer = await customer(server, t, opts.customerName || 'Kunde & Söhne <AG>',
                              { ...BUYER, ...opts.billing });
  return t;
}

async function customer(server, t, name, billing) {
  const res = await server.request('/api/customers', {
    method: 'POST', token: t.token, json: { name, billing },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.json.id, name };
}

function quote(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

// Writes time entries of the tenant's customer (by its name, as the sources name clients).
// Each entry: {start: RFC 3339, minutes, project?, description?, billable? (true),
// rateMinor?, currency?, client?}. Resolves their ids in order.
function insertEntries(server, t, entries, { source = 'clockify', client } = {}) {
  const now = new Date().toISOString();
  const ids = [];
  const values = entries.map((e) => {
    const id = `te_${crypto.randomBytes(8).toString('hex')}`;
    ids.push(id);
    return `(${[id, t.tenantId, null, source, `ext-${id}`, e.start, e.minutes,
               e.billable === false ? 0 : 1, e.description ?? 'Work', e.project ?? null,
               e.client ?? client ?? t.customer.name, null, 'Eva', e.rateMinor ?? null,
               e.rateMinor !== undefined ? (e.currency ?? 'EUR') : null, 'h', null, null, now,
               now].map(quote).join(', ')})`;
  });
  sql(server, 'INSERT INTO time_entries (id, tenant_id, install_id, source, external_id, ' +
              'started_at, minutes, billable, description, project, client, ' +
              'client_external_id, user_name, rate_minor, currency, upstream_hash, deleted_at, ' +
              `review_reason, created_at, updated_at) VALUES ${values.join(', ')}`);
  return ids;
}

// A week of entries: Monday 2026-03-02 to Friday 2026-03-06, two projects.
function week() {
  const out = [];
  const days = ['02', '03', '04', '05', '06'];
  days.forEach((d, i) => {
    out.push({ start: `2026-03-${d}T08:00:00.000Z`, minutes: 90 + i * 7, project: 'Website',
               description: `Relaunch day ${i + 1}` });
    out.push({ start: `2026-03-${d}T13:00:00.000Z`, minutes: 45 + i * 11, project: 'Support',
               description: `Tickets day ${i + 1}` });
  });
  return out;
}

function draft(server, t, body) {
  return server.request('/api/invoices/from-time-entries', {
    method: 'POST', token: t.token,
    json: { client: t.customer.id, from: '2026-03-01', to: '2026-03-31', ...body },
  });
}

function finalize(server, t, id) {
  return server.request(`/api/invoices/${id}/finalize`, { method: 'POST', token: t.token });
}

// Decimal text ("123.45") as minor units, exactly.
function minor(text) {
  assert.match(String(text), /^-?\d+(\.\d{2})?$/, `amount ${text}`);
  const [whole, frac = '00'] = String(text).split('.');
  return BigInt(whole) * 100n + BigInt(whole.startsWith('-') ? `-${frac}` : frac);
}

// The e-invoice as a tree: elements keep their namespace prefixes, attributes are "@_name",
// text with attributes is "#text"; values stay strings.
function parseCii(xml) {
  const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false,
                                 isArray: (name) => name === 'ram:IncludedSupplyChainTradeLineItem' });
  return parser.parse(xml);
}

// Text of a node that may carry attributes.
function text(node) {
  return typeof node === 'object' && node !== null ? node['#text'] : node;
}

// The PDF's text (pdftotext, layout kept).
function pdfText(server, bytes) {
  const file = path.join(server.dir, `invoice-${crypto.randomUUID()}.pdf`);
  fs.writeFileSync(file, bytes);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

module.exports = {
  BUYER, SELLER, customer, draft, finalize, insertEntries, invoicingTenant, minor, parseCii,
  pdfText, rows, text, week,
};
