// web/bank-review.js - the bank transactions that wait for review (#/bank/review, issue 18):
// what automatic matching left (GET /api/bank/transactions?matched=false&status=booked), each
// with two ways out: match it to an invoice of the same amount (the candidates are the
// invoices of that amount and currency; the server refuses one that is paid already) or book
// it to a ledger account, optionally saving the rule "this counterparty always to this
// account" (POST /api/bank/transactions/:id/match); and the saved rules, each deletable.

import { ApiError, api, seg } from './api.js';
import { announce, busy, h, notice, uid } from './dom.js';

const PAGE = 100;
const ACCOUNT = /^[0-9]{4,8}$/;

function minor(text) {
  const [whole, frac = ''] = String(text).replace('-', '').split('.');
  return BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
}

// The invoices a line could pay: same amount and currency, issued for money in, received
// for money out.
function candidates(line, invoices) {
  const type = line.amount.startsWith('-') ? 'eingangsrechnung' : 'ausgangsrechnung';
  return invoices.filter((i) => i.type === type && i.currency === line.currency &&
                                minor(i.totalGross) === minor(line.amount));
}

function lineRow(line, invoices, done, status) {
  const fail = (e) => {
    if (!(e instanceof ApiError)) throw e;
    status.replaceChildren(notice('bad', e.message));
  };
  const who = line.counterpartyName || '—';
  const match = async (body, button, what) => {
    status.replaceChildren();
    try {
      const { json } = await busy(button, () => api.post(`/api/bank/transactions/${seg(line.id)}/match`, body));
      const saved = json.rule ? ` Rule saved: ${json.rule.counterparty} → ${json.rule.account}.` : '';
      announce(`${who}: ${what}.${saved}`);
      status.replaceChildren(notice('ok', `${who} ${line.amount} ${line.currency}: ${what}.${saved}`));
      await done();
    } catch (e) {
      fail(e);
    }
  };

  const fits = candidates(line, invoices);
  const invId = uid('inv');
  const pick = h('select', { id: invId, 'data-invoice-for': line.id },
    fits.map((i) => h('option', { value: i.id }, `${i.invoiceNumber || i.id} · ${i.totalGross} ${i.currency}`)));
  const matchBtn = h('button', { type: 'button', class: 'btn', 'data-match': line.id }, 'Match invoice');
  matchBtn.addEventListener('click', () => match({ invoiceId: pick.value }, matchBtn,
                                                 `paid invoice ${pick.selectedOptions[0]?.textContent || ''}`));
  const invoiceCell = fits.length
    ? h('div', { class: 'review-inline' }, h('label', { for: invId, class: 'sr-only' }, `Invoice for ${who}`), pick, matchBtn)
    : h('span', { class: 'muted' }, 'No invoice of this amount');

  const accId = uid('acc');
  const ruleId = uid('rule');
  const account = h('input', { id: accId, inputmode: 'numeric', size: 8, placeholder: 'e.g. 6800',
                               'data-account-for': line.id, 'aria-describedby': `${accId}-err` });
  const err = h('p', { id: `${accId}-err`, class: 'field-error', hidden: true });
  const rule = h('input', { type: 'checkbox', id: ruleId, 'data-rule-for': line.id,
                            disabled: !line.counterpartyName });
  const bookBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-book': line.id }, 'Book');
  bookBtn.addEventListener('click', () => {
    const value = account.value.trim();
    if (!ACCOUNT.test(value)) {
      err.textContent = 'A ledger account has 4 to 8 digits.';
      err.hidden = false;
      account.setAttribute('aria-invalid', 'true');
      account.focus();
      return undefined;
    }
    err.hidden = true;
    account.removeAttribute('aria-invalid');
    return match({ account: value, saveRule: rule.checked }, bookBtn, `booked to ${value}`);
  });
  const accountCell = h('div', {},
    h('div', { class: 'review-inline' }, h('label', { for: accId, class: 'sr-only' }, `Account for ${who}`),
      account, bookBtn),
    h('label', { for: ruleId, class: 'check' }, rule,
      line.counterpartyName ? ` Always book ${who} here` : ' No counterparty to make a rule for'),
    err);

  return h('tr', { 'data-id': line.id },
    h('td', { 'data-label': 'Date' }, line.bookingDate || line.valueDate || '—'),
    h('td', { 'data-label': 'Counterparty' }, who),
    h('td', { 'data-label': 'Text' }, line.remittance || line.reference || '—'),
    h('td', { 'data-label': 'Amount', class: 'num' }, `${line.amount} ${line.currency}`),
    h('td', { 'data-label': 'Invoice' }, invoiceCell),
    h('td', { 'data-label': 'Book to account' }, accountCell));
}

function rulesList(rules, reload, status) {
  if (!rules.length) return h('p', { id: 'rules-empty', class: 'muted' }, 'No rules yet.');
  return h('ul', { class: 'plain', id: 'rules' }, rules.map((r) => {
    const del = h('button', { type: 'button', class: 'btn btn-quiet', 'data-delete-rule': r.id },
                  `Delete rule for ${r.counterparty}`);
    del.addEventListener('click', async () => {
      try {
        await busy(del, () => api.del(`/api/bank/rules/${seg(r.id)}`));
        announce(`Rule for ${r.counterparty} deleted.`);
        await reload();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        status.replaceChildren(notice('bad', e.message));
      }
    });
    return h('li', { 'data-rule': r.id }, h('strong', {}, r.counterparty), ` → account ${r.account} `, del);
  }));
}

export async function bankReviewView(view) {
  const status = h('div', { id: 'review-status', 'aria-live': 'polite' });
  const lines = h('div', {});
  const rules = h('div', {});

  async function load() {
    const q = new URLSearchParams({ matched: 'false', status: 'booked', limit: String(PAGE) });
    const [tx, inv, rl] = await Promise.all([api.get(`/api/bank/transactions?${q}`),
                                             api.get('/api/invoices?limit=100'),
                                             api.get('/api/bank/rules')]);
    const open = tx.json.transactions;
    lines.replaceChildren(open.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'log', id: 'bank-review' },
          h('caption', { class: 'sr-only' }, 'Bank transactions waiting for review'),
          h('thead', {}, h('tr', {}, ['Date', 'Counterparty', 'Text', 'Amount', 'Invoice', 'Book to account']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, open.map((l) => lineRow(l, inv.json.invoices, load, status)))))
      : h('p', { class: 'empty', id: 'bank-review-empty' }, 'Every bank transaction is matched.'));
    rules.replaceChildren(rulesList(rl.json.rules, load, status));
  }
  await load();
  view.append(
    h('h1', { tabindex: -1 }, 'Bank transactions to review'),
    h('p', { class: 'help' }, 'Transactions that matched no open invoice, payout or rule exactly. ',
      'Match one to an invoice of the same amount, or book it to a ledger account; a rule books ',
      'the counterparty\'s next transactions by itself. ', h('a', { href: '#/bank' }, 'Bank accounts')),
    status,
    h('section', { class: 'panel', 'aria-labelledby': 'bank-review-h' },
      h('h2', { id: 'bank-review-h' }, 'Waiting for review'), lines),
    h('section', { class: 'panel', 'aria-labelledby': 'rules-h' },
      h('h2', { id: 'rules-h' }, 'Rules'), rules));
  document.title = 'Bank review · connectord';
}
