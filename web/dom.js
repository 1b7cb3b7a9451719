// web/dom.js - building the page without markup strings.
//
// Everything the API returns is put into the page as text nodes (h() never parses HTML), so
// a connector name or a webhook's error message cannot become markup. Also: badges, times,
// the polite live region, and a confirm step built on <dialog>.

// h('a', {href: '#/x', class: 'card', onclick: fn}, 'text', child, [more]) -> Element.
// Attributes: on<event> functions become listeners, true/false toggle boolean attributes,
// null/undefined are skipped, everything else is set as a string attribute.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let idSeq = 0;
// A unique id for label/for and aria-describedby pairs.
export function uid(prefix = 'f') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

export const PLAN_ORDER = ['starter', 'pro', 'business', 'enterprise'];
export const PLAN_NAMES = { starter: 'Starter', pro: 'Pro', business: 'Business',
                            enterprise: 'Enterprise' };

export function planName(slug) {
  return PLAN_NAMES[slug] || slug;
}

export function planBadge(slug) {
  return h('span', { class: `badge plan plan-${PLAN_NAMES[slug] ? slug : 'other'}` },
           planName(slug));
}

// tone: ok | warn | bad | info | muted
export function badge(text, tone = 'muted', extra = {}) {
  return h('span', { class: `badge tone-${tone}`, ...extra }, text);
}

const STATUS_TONES = {
  processed: 'ok', delivered: 'ok', duplicate: 'info', failed: 'bad', dead: 'bad',
  invalid_signature: 'bad', pending: 'warn', delivering: 'warn', retry: 'warn',
  succeeded: 'ok', running: 'warn', queued: 'info',
  linked: 'ok', expired: 'bad', rejected: 'bad',
};

const STATUS_LABELS = { invalid_signature: 'invalid signature' };

// A status word from the API as a badge; data-status keeps the raw value for tests and CSS.
export function statusBadge(status) {
  return badge(STATUS_LABELS[status] || status, STATUS_TONES[status] || 'muted',
               { 'data-status': status });
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

// An RFC 3339 time as a <time> element in the reader's locale.
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  return h('time', { datetime: iso }, Number.isNaN(d.getTime()) ? iso : timeFormat.format(d));
}

// Says msg to screen readers (and shows it in the toast line).
export function announce(msg) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A fresh text node on the next frame, so the same message twice is read twice.
  requestAnimationFrame(() => {
    region.textContent = msg;
  });
}

// A message box: tone info | ok | bad. role=alert for bad ones.
export function notice(tone, ...children) {
  return h('div', { class: `notice notice-${tone}`, role: tone === 'bad' ? 'alert' : 'status' },
           ...children);
}

// Asks before something that cannot be undone. Resolves true when confirmed. The dialog is
// modal (focus stays inside, Escape cancels) and gives focus back to where it was.
export function confirmStep({ title, body, confirm, danger = true }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const titleId = uid('dlg');
    const bodyId = uid('dlg');
    const cancelBtn = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const okBtn = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary' },
                    confirm);
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId,
                                 'aria-describedby': bodyId },
                     h('h2', { id: titleId }, title),
                     h('div', { id: bodyId }, body),
                     h('div', { class: 'actions' }, cancelBtn, okBtn));
    let answer = false;
    cancelBtn.addEventListener('click', () => dialog.close());
    okBtn.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (back && typeof back.focus === 'function') back.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelBtn.focus();
  });
}

// Copies text to the clipboard; falls back to selecting `input` and the copy command where
// the Clipboard API is refused. Resolves whether it worked.
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!input) return false;
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

// A button that shows it is busy while fn runs; fn's rejection is passed on.
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
