// web/bank.js - bank accounts (#/bank, issue 18): link a bank (pick the connector, the
// country and the bank, then follow the bank's link; the bank sends the browser back here
// through /api/bank/callback), the consents with when their access ends (one about to end,
// or ended, is marked and offers "Renew consent", which starts a new consent for the same
// bank), and the linked accounts with their last and next pull.

import { ApiError, api, seg } from './api.js';
import { badge, busy, h, notice, statusBadge, time, uid } from './dom.js';

const CONNECTORS = [
  ['gocardless', 'GoCardless connector (GoCardless or Enable Banking, as its settings say)'],
  ['revolut', 'Revolut Business'],
];
const COUNTRIES = [['AT', 'Austria'], ['DE', 'Germany']];

function select(id, label, options) {
  return h('div', { class: 'field' },
    h('label', { for: id, class: 'field-label' }, label),
    h('select', { id }, options.map(([value, text]) => h('option', { value }, text))));
}

// Sends the browser to the bank's consent page.
function follow(link) {
  window.location.assign(link);
}

function linkPanel() {
  const status = h('div', { id: 'bank-link-status' });
  const bankField = select('bank-institution', 'Bank', []);
  bankField.hidden = true;
  const linkBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'bank-link', hidden: true },
                    'Link account');
  const findBtn = h('button', { type: 'button', class: 'btn', id: 'bank-find' }, 'Find banks');
  const connector = () => document.getElementById('bank-connector').value;
  const country = () => document.getElementById('bank-country').value;
  const fail = (e) => {
    if (!(e instanceof ApiError)) throw e;
    status.replaceChildren(notice('bad', e.message));
  };
  findBtn.addEventListener('click', () => busy(findBtn, async () => {
    status.replaceChildren();
    try {
      const { json } = await api.get(`/api/bank/institutions?country=${seg(country())}&connector=${seg(connector())}`);
      const sel = bankField.querySelector('select');
      sel.replaceChildren(...json.institutions.map((i) => h('option', { value: i.id }, i.name || i.id)));
      bankField.hidden = json.institutions.length === 0;
      linkBtn.hidden = json.institutions.length === 0;
      if (!json.institutions.length) status.replaceChildren(notice('info', 'No banks found for this country.'));
    } catch (e) {
      fail(e);
    }
  }));
  linkBtn.addEventListener('click', () => busy(linkBtn, async () => {
    try {
      const { json } = await api.post('/api/bank/connections', {
        connector: connector(), country: country(),
        institutionId: bankField.querySelector('select').value });
      status.replaceChildren(notice('info', 'Opening your bank…'));
      follow(json.link);
    } catch (e) {
      fail(e);
    }
  }));
  return h('section', { class: 'panel', id: 'bank-link-panel', 'aria-labelledby': 'bank-link-h' },
    h('h2', { id: 'bank-link-h' }, 'Link a bank account'),
    h('p', { class: 'help' }, 'Choose the country and your bank. Your bank asks you to confirm, ',
      'then sends you back here.'),
    select('bank-connector', 'Through', CONNECTORS),
    select('bank-country', 'Country', COUNTRIES),
    h('div', { class: 'actions' }, findBtn), bankField, h('div', { class: 'actions' }, linkBtn), status);
}

function consentItem(c) {
  const status = h('div', {});
  const renew = h('button', { type: 'button', class: 'btn btn-primary', 'data-renew': c.id }, 'Renew consent');
  renew.addEventListener('click', () => busy(renew, async () => {
    try {
      const { json } = await api.post(`/api/bank/connections/${seg(c.id)}/renew`);
      follow(json.link);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.replaceChildren(notice('bad', e.message));
    }
  }));
  const ends = c.expiresInDays === null ? null
    : c.status === 'expired' || c.expiresInDays < 0 ? 'Access has ended.'
    : `Access ends in ${c.expiresInDays} day${c.expiresInDays === 1 ? '' : 's'}.`;
  return h('li', { class: c.renewSoon ? 'panel panel-attention' : 'panel', 'data-id': c.id,
                   'data-status': c.status },
    h('h3', {}, c.institutionName || c.institutionId, ' ', statusBadge(c.status)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Service'), h('dd', {}, c.driver),
      h('dt', {}, 'Access until'), h('dd', {}, c.expiresAt ? time(c.expiresAt) : '—'),
      h('dt', {}, 'Linked'), h('dd', {}, c.linkedAt ? time(c.linkedAt) : '—')),
    c.error ? h('p', { class: 'muted' }, c.error) : null,
    c.renewSoon ? notice('bad', h('p', { class: 'bank-renew-note' }, ends, ' Renew the consent to keep reading this bank.'),
                         h('div', { class: 'actions' }, renew)) : null,
    status);
}

function accountsTable(accounts) {
  if (!accounts.length)
    return h('p', { id: 'bank-accounts-empty', class: 'muted' }, 'No bank account is linked yet.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'log', id: 'bank-accounts' },
    h('thead', {}, h('tr', {}, ['Account', 'IBAN', 'Currency', 'Service', 'Last pull', 'Next pull', 'Consent', 'Problem']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, accounts.map((a) => h('tr', { 'data-id': a.id },
      h('td', { 'data-label': 'Account' }, a.name || '—'),
      h('td', { 'data-label': 'IBAN', class: 'bank-iban' }, a.iban || a.identity),
      h('td', { 'data-label': 'Currency' }, a.currency || '—'),
      h('td', { 'data-label': 'Service' }, a.driver),
      h('td', { 'data-label': 'Last pull' }, a.lastPullAt ? time(a.lastPullAt) : 'Never'),
      h('td', { 'data-label': 'Next pull' }, a.nextPullAt ? time(a.nextPullAt) : 'On schedule'),
      h('td', { 'data-label': 'Consent' }, a.consentStatus ? statusBadge(a.consentStatus) : '—',
        a.consentExpiresAt ? h('span', {}, ' until ', time(a.consentExpiresAt)) : null),
      h('td', { 'data-label': 'Problem' }, a.error ? badge(a.error, 'bad') : '—'))))));
}

export async function bankView(view) {
  const [conns, accounts] = await Promise.all([api.get('/api/bank/connections'),
                                               api.get('/api/bank/accounts')]);
  const listId = uid('bank');
  const consents = conns.json.connections.filter((c) => c.status !== 'pending');
  view.append(
    h('h1', { tabindex: -1 }, 'Bank accounts'),
    linkPanel(),
    h('section', { 'aria-labelledby': 'bank-accounts-h' },
      h('h2', { id: 'bank-accounts-h' }, 'Linked accounts'), accountsTable(accounts.json.accounts)),
    h('section', { 'aria-labelledby': listId },
      h('h2', { id: listId }, 'Consents'),
      consents.length ? h('ul', { class: 'plain', id: 'bank-consents' }, consents.map(consentItem))
                      : h('p', { class: 'muted' }, 'No consent yet.')));
  document.title = 'Bank accounts · connectord';
}
