// web/documents.js - the documents page (#/documents): files the business received
// (uploads, Gmail attachments, receipts sent to the assistant) waiting for review, each with
// a preview of the file beside what was read from it, in a form a person corrects and
// confirms (POST /api/documents/:id/confirm books it as an incoming invoice); an upload
// field; and, from Google Workspace, the next days' calendar and the recent mail with
// invoice-like attachments.

import { ApiError, api, fetchBlob, sendFile, seg } from './api.js';
import { announce, badge, busy, h, notice, time, uid } from './dom.js';

const READERS = {
  ubl: ['XRechnung (UBL)', 'ok'], cii: ['XRechnung (CII)', 'ok'], zugferd: ['ZUGFeRD', 'ok'],
  ebinterface: ['ebInterface', 'ok'], 'pdf-text': ['PDF text', 'info'], ocr: ['OCR', 'warn'],
  none: ['Not read', 'bad'],
};

// The draft's fields a person may correct, with where the reading has them.
const FIELDS = [
  ['supplierName', 'Supplier', (r) => r.supplier?.name],
  ['vatId', 'Supplier VAT ID', (r) => r.supplier?.vatId],
  ['invoiceNumber', 'Invoice number', (r) => r.invoiceNumber],
  ['invoiceDate', 'Invoice date', (r) => r.invoiceDate, { type: 'date' }],
  ['currency', 'Currency', (r) => r.currency, { maxlength: 3 }],
  ['totalGross', 'Total (gross)', (r) => r.totals?.gross ?? r.totals?.payable, { inputmode: 'decimal' }],
  ['taxAmount', 'VAT amount', (r) => r.totals?.tax, { inputmode: 'decimal' }],
];

function readerBadge(doc) {
  const [label, tone] = READERS[doc.reader] || [doc.reader, 'muted'];
  return badge(label, tone, { 'data-reader': doc.reader });
}

// The file itself, fetched with the token (it is admin-only) and shown by its type.
async function preview(doc) {
  const box = h('div', { class: 'doc-preview', 'data-preview': doc.id });
  try {
    const blob = await fetchBlob(`/api/documents/${seg(doc.id)}/file`);
    if (doc.mediaType.startsWith('image/')) {
      box.append(h('img', { src: URL.createObjectURL(blob), alt: `Preview of ${doc.filename || doc.id}` }));
    } else if (doc.mediaType === 'application/pdf') {
      box.append(h('object', { data: URL.createObjectURL(blob), type: 'application/pdf',
                               'aria-label': `Preview of ${doc.filename || doc.id}` },
        h('p', {}, 'This browser shows no PDFs inline.')));
    } else {
      box.append(h('pre', { class: 'doc-xml' }, (await blob.text()).slice(0, 20000)));
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    box.append(notice('bad', `The file cannot be shown: ${e.message}`));
  }
  return box;
}

function lines(reading) {
  if (!Array.isArray(reading.lines) || !reading.lines.length) return null;
  return h('table', { class: 'log doc-lines' },
    h('caption', {}, 'Lines'),
    h('thead', {}, h('tr', {}, ['Description', 'Quantity', 'Net', 'VAT %'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, reading.lines.map((l) => h('tr', {},
      h('td', {}, l.description ?? '—'), h('td', {}, l.quantity ?? '—'),
      h('td', {}, l.netAmount ?? '—'), h('td', {}, l.taxRate ?? '—')))));
}

// One document waiting for review: preview | what was read, as a form.
async function card(doc, onDone) {
  const reading = doc.reading || {};
  const inputs = {};
  const status = h('div', { 'aria-live': 'polite' });
  const fields = FIELDS.map(([key, label, pick, extra = {}]) => {
    const id = uid('doc');
    const input = h('input', { id, name: key, value: pick(reading) ?? '', autocomplete: 'off', ...extra });
    inputs[key] = input;
    return h('div', { class: 'field' }, h('label', { for: id }, label), input);
  });
  const confirm = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Confirm and book');
  const form = h('form', { class: 'doc-form', novalidate: true },
    h('p', { class: 'badges' }, readerBadge(doc), ' ',
      badge(`${doc.confidence}% confidence`, doc.confidence >= 90 ? 'ok' : doc.confidence >= 60 ? 'warn' : 'bad'),
      ' ', h('span', { class: 'muted' }, `from ${doc.source}`)),
    Array.isArray(reading.problems) && reading.problems.length
      ? notice('info', 'What could not be read: ', reading.problems.join('; ')) : null,
    fields, lines(reading), status,
    h('div', { class: 'actions' }, confirm));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    const corrections = {};
    for (const [key] of FIELDS) if (inputs[key].value.trim()) corrections[key] = inputs[key].value.trim();
    try {
      await busy(confirm, () => api.post(`/api/documents/${seg(doc.id)}/confirm`, corrections));
      announce(`${doc.filename || 'The document'} is booked.`);
      onDone(doc, corrections);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.replaceChildren(notice('bad', e.message));
    }
  });
  return h('article', { class: 'panel doc-card', 'data-document': doc.id, 'aria-label': doc.filename || doc.id },
    h('h3', {}, doc.filename || doc.id, ' ', h('span', { class: 'muted' }, time(doc.createdAt))),
    h('div', { class: 'doc-split' }, await preview(doc), form));
}

function googleSection() {
  const cal = h('div', { id: 'calendar' }, h('p', { class: 'muted' }, 'Loading…'));
  const mail = h('div', { id: 'mail' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'panel', id: 'google', 'aria-labelledby': 'google-h' },
    h('h2', { id: 'google-h' }, 'Google Workspace'),
    h('div', { class: 'doc-split' },
      h('div', {}, h('h3', {}, 'Next 7 days'), cal),
      h('div', {}, h('h3', {}, 'Mail with invoices'), mail)));
  const fail = (box, e) => box.replaceChildren(e.code === 'connector_not_installed'
    ? notice('info', 'Connect Google Workspace to see its calendar and mail here: ',
             h('a', { href: '#/connectors/google-workspace' }, 'Google Workspace'))
    : notice('bad', e.message));
  async function load() {
    try {
      const { json } = await api.get('/api/dashboard/calendar?days=7');
      cal.replaceChildren(json.events.length
        ? h('ul', { class: 'plain' }, json.events.map((e) => h('li', { 'data-event': e.id },
          e.allDay ? h('span', {}, e.start) : time(e.start), ' ', h('strong', {}, e.summary ?? '(no title)'),
          e.location ? h('span', { class: 'muted' }, ` · ${e.location}`) : null)))
        : h('p', { class: 'empty' }, 'Nothing in the calendar.'));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      fail(cal, e);
    }
    try {
      const { json } = await api.get('/api/dashboard/mail');
      mail.replaceChildren(json.messages.length
        ? h('ul', { class: 'plain' }, json.messages.map((m) => h('li', { 'data-message': m.id },
          h('strong', {}, m.subject ?? '(no subject)'), h('br'),
          h('span', { class: 'muted' }, `${m.from ?? ''} · ${m.date ?? ''} · ${m.attachments.join(', ')}`))))
        : h('p', { class: 'empty' }, 'No mail with invoices.'));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      fail(mail, e);
    }
  }
  return { el, load };
}

export async function documentsView(view, ctx) {
  document.title = 'Documents · connectord';
  const list = h('div', { id: 'review-documents' });
  const status = h('div', { 'aria-live': 'polite' });
  const empty = h('p', { class: 'empty', hidden: true }, 'No document waits for review.');
  const fileId = uid('doc');
  const file = h('input', { id: fileId, type: 'file', accept: '.pdf,.xml,.png,.jpg,.jpeg,application/pdf,application/xml,text/xml,image/png,image/jpeg' });
  const upload = h('button', { type: 'submit', class: 'btn' }, 'Upload');
  const form = h('form', { class: 'field inline', id: 'upload' },
    h('label', { for: fileId }, 'Add a document (PDF, XML e-invoice, photo)'), file, ' ', upload);

  async function load() {
    const { json } = await api.get('/api/documents?status=review&limit=50');
    if (!ctx.alive()) return;
    const cards = [];
    for (const doc of json.documents) cards.push(await card(doc, done));
    list.replaceChildren(...cards);
    empty.hidden = json.documents.length > 0;
  }
  function done(doc, corrections) {
    list.querySelector(`[data-document="${doc.id}"]`)?.remove();
    empty.hidden = list.children.length > 0;
    status.replaceChildren(notice('ok', `${corrections.supplierName ?? 'The document'}: booked as an incoming invoice `,
      `of ${corrections.totalGross ?? ''} ${corrections.currency ?? ''}. It waits unposted with the other invoices.`));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!file.files.length) return;
    status.replaceChildren();
    try {
      const r = await busy(upload, () => sendFile('/api/documents?filename=' + encodeURIComponent(file.files[0].name), file.files[0]));
      announce(r.json.duplicate ? 'This file is here already.' : 'Uploaded and read.');
      status.replaceChildren(notice(r.json.duplicate ? 'info' : 'ok',
        r.json.duplicate ? 'This file was received before: it is the same document.' : 'Uploaded and read.'));
      file.value = '';
      await load();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.replaceChildren(notice('bad', e.message));
    }
  });
  const google = googleSection();
  view.append(h('h1', { tabindex: -1 }, 'Documents'),
    h('section', { class: 'panel', 'aria-labelledby': 'docs-h' },
      h('h2', { id: 'docs-h' }, 'Waiting for review'),
      h('p', { class: 'muted' }, 'Each document is booked as an incoming invoice only when you confirm it. ',
        'Check what was read against the file and correct it first.'),
      form, status, empty, list),
    google.el);
  await Promise.all([load(), google.load()]);
}
