// web/review.js - the books side of a payment connector's page: the provider events to
// enable (from the catalog entry's webhookEvents), what each logged webhook did to the books
// (its action, "no action" said plainly), and the payments booked with autoPost off that
// wait for review, each with a Post button (POST /api/invoices/:id/post). Until posted, a
// payment has no journal entry, so it is in no DATEV export and no VAT return; the page
// says so where the list is.

import { ApiError, api, seg } from './api.js';
import { announce, badge, busy, h, notice } from './dom.js';

const REVIEW_PAGE = 50;

// The provider's events to turn on, or null for connectors without a list.
export function eventsToEnable(entry) {
  if (!Array.isArray(entry.webhookEvents) || !entry.webhookEvents.length) return null;
  return h('div', { class: 'field', id: 'webhook-events' },
    h('p', { class: 'label' }, `Events to enable at ${entry.name}`),
    h('ul', { class: 'plain events' },
      entry.webhookEvents.map((e) => h('li', {}, h('code', {}, e)))),
    h('p', { class: 'help' },
      'These are the events connectord books. Others are accepted and logged with no action.'));
}

const ACTIONS = {
  booked: ['Booked', 'ok'],
  credit_note: ['Credit note', 'ok'],
  none: ['No action', 'muted'],
};

// What a logged webhook did to the books, as a badge; rows from before actions were
// recorded have none.
export function actionBadge(action) {
  if (!action) return h('span', { class: 'muted' }, '—');
  const [label, tone] = ACTIONS[action] || [action, 'muted'];
  return badge(label, tone, { 'data-action': action });
}

// The payments of this connector waiting for review, with a Post button each.
export function reviewSection(entry) {
  const list = h('tbody', {});
  const empty = h('p', { class: 'empty', hidden: true }, 'Nothing waits for review.');
  const status = h('div', { 'aria-live': 'polite' });
  const table = h('table', { class: 'log', id: 'review-list' },
    h('caption', { class: 'sr-only' }, `Payments from ${entry.name} waiting for review`),
    h('thead', {}, h('tr', {}, ['Date', 'Number', 'Amount', 'External ID', '']
      .map((t) => h('th', { scope: 'col' }, t)))),
    list);

  function row(inv) {
    const post = h('button', { type: 'button', class: 'btn btn-primary', 'data-post': inv.id },
                   'Post');
    post.addEventListener('click', async () => {
      status.replaceChildren();
      try {
        await busy(post, () => api.post(`/api/invoices/${seg(inv.id)}/post`, {}));
        announce(`${inv.invoiceNumber || inv.id} posted.`);
        status.replaceChildren(notice('ok', `${inv.invoiceNumber || inv.id} is posted: it is in the `
                                      + 'journal, the DATEV export and the VAT return now.'));
        await load();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        status.replaceChildren(notice('bad', e.message));
      }
    });
    const kind = inv.type === 'gutschrift' ? [' ', badge('Credit note', 'info')] : null;
    return h('tr', { 'data-id': inv.id },
      h('td', { 'data-label': 'Date' }, inv.invoiceDate),
      h('td', { 'data-label': 'Number' }, inv.invoiceNumber || '—', kind),
      h('td', { 'data-label': 'Amount' }, `${inv.totalGross} ${inv.currency}`),
      h('td', { 'data-label': 'External ID' }, h('code', {}, inv.externalId || '—')),
      h('td', {}, post));
  }

  async function load() {
    const q = new URLSearchParams({ source: entry.slug, posted: 'false',
                                    limit: String(REVIEW_PAGE) });
    try {
      const { json } = await api.get(`/api/invoices?${q}`);
      // oldest first: an original before its credit note
      list.replaceChildren(...json.invoices.slice().reverse().map(row));
      empty.hidden = json.invoices.length > 0;
      table.hidden = !empty.hidden;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.replaceChildren(notice('bad', e.message));
    }
  }

  const autoPost = entry.config?.autoPost === true;
  const el = h('section', { class: 'panel', id: 'review', 'aria-labelledby': 'review-h' },
    h('h2', { id: 'review-h' }, 'Waiting for review'),
    h('p', { class: 'strong', id: 'review-note' },
      'Payments waiting here are booked as invoices but not posted: until you post them they ',
      'are in no export (DATEV) and no VAT return.'),
    h('p', { class: 'muted' }, autoPost
      ? 'Automatic posting is on: new payments are posted as they arrive.'
      : 'Automatic posting (autoPost) is off: each payment waits here until it is posted.'),
    status, empty, h('div', { class: 'table-wrap' }, table));
  return { el, load };
}
