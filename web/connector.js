// web/connector.js - one connector of seed 000 (#/connectors/:slug): what it is, its
// settings form, Install / Save / Uninstall, and for webhook and hybrid connectors the
// webhook URL at the top (with a copy button and the provider's steps: where to paste it,
// which secret to copy back), a test webhook run through the pipeline (a dry run the server
// rolls back) and the webhook log, newest first, a page at a time. A connector installed
// before the provider showed its secret is "awaiting secret": its steps are open and say
// that webhooks are answered "try again later" until the secret is saved. A connector that
// pulls (issue 16) shows its sync panel (sync.js) above its settings.

import { ApiError, api, seg } from './api.js';
import { oauthSection } from './oauth.js'; // a connector that asks its service's consent
import {
  announce, badge, busy, confirmStep, copyText, h, notice, planBadge, planName, statusBadge, time,
} from './dom.js';
import { kindName, neededPlan, publisherLine } from './catalog.js';
import { settingsFields } from './settings-form.js';
import { actionBadge, eventsToEnable, reviewSection } from './review.js';
import { syncErrorBadge, syncSection } from './sync.js';

const LOG_PAGE = 20;
const LOG_STATUSES = ['processed', 'duplicate', 'failed', 'invalid_signature'];

function hasWebhook(entry) {
  return entry.kind === 'webhook' || entry.kind === 'hybrid';
}

function awaiting(entry) {
  return entry.status === 'awaiting_secret';
}

function header(entry) {
  const state = awaiting(entry) ? badge('Waiting for the webhook secret', 'warn', { 'data-state': 'awaiting_secret' })
    : entry.status === 'error' ? syncErrorBadge()
    : entry.installed ? badge('Installed', 'ok', { 'data-state': 'installed' })
    : entry.status === 'locked'
      ? badge(`Locked · needs ${planName(neededPlan(entry))}`, 'warn', { 'data-state': 'locked' })
      : badge('Not installed', 'muted', { 'data-state': 'available' });
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/connectors' }, '← All connectors')),
    h('h1', { tabindex: -1 }, entry.name),
    h('div', { class: 'badges' }, badge(kindName(entry.kind), 'info'), planBadge(entry.requiredPlan), state),
    h('p', { class: 'lead' }, entry.description),
    entry.outside ? publisherLine(entry) : null,
    entry.notice ? notice('info', entry.notice) : null,
    entry.updateNeedsInput
      ? notice('info', `Version ${entry.version} of ${entry.name} is out, and your settings do not fit it yet: `,
               'save the settings below with what it asks for to move to it. Until then this install ',
               `keeps running version ${entry.installedVersion}.`)
      : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Authentication'), h('dd', { id: 'auth-label' }, entry.authLabel),
      h('dt', {}, 'Available from'), h('dd', {}, `${planName(entry.requiredPlan)} plan`),
      entry.installedAt ? [h('dt', {}, 'Installed'), h('dd', {}, time(entry.installedAt))] : null),
  ];
}

// The settings form with its buttons. onChanged(detail|null) re-renders the page.
function settingsSection(entry, onChanged) {
  const form = settingsFields(entry.settings, { config: entry.config || {}, installed: entry.installed });
  const summary = h('div', { class: 'form-summary', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' },
                   entry.installed ? 'Save settings' : `Install ${entry.name}`);
  const uninstall = entry.installed
    ? h('button', { type: 'button', class: 'btn btn-danger' }, 'Uninstall') : null;

  const el = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'settings-h' },
    h('h2', { id: 'settings-h' }, 'Settings'),
    entry.settings.length ? null : h('p', { class: 'muted' }, 'This connector has no settings.'),
    summary, form.element,
    h('div', { class: 'actions' }, submit, uninstall));

  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    form.clearErrors();
    summary.replaceChildren();
    const config = form.values();
    try {
      const res = await busy(submit, () => entry.installed
        ? api.put(`/api/connectors/${seg(entry.slug)}/config`, { config })
        : api.post(`/api/connectors/${seg(entry.slug)}/install`, { config }));
      announce(entry.installed ? `${entry.name} settings saved.` : `${entry.name} installed.`);
      onChanged(res.json, entry.installed ? 'Settings saved.' : `${entry.name} is installed.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const rest = form.showErrors(e.fields);
      const lines = rest.map((f) => h('li', {}, `${f.field}: ${f.message}`));
      let text = e.message;
      if (e.code === 'validation_failed' && e.fields.length)
        text = e.fields.length === 1 ? 'One setting needs fixing; see the field marked below.'
                                     : `${e.fields.length} settings need fixing; see the fields marked below.`;
      summary.replaceChildren(notice('bad', h('p', {}, text), lines.length ? h('ul', {}, lines) : null));
    }
  });

  uninstall?.addEventListener('click', async () => {
    const body = [
      h('p', {}, `Uninstalling ${entry.name} deletes its settings and stored secrets.`),
      hasWebhook(entry)
        ? h('p', { class: 'strong' }, 'Its webhook URL will stop working: whatever the provider sends to it ',
            'from then on is refused. Installing again makes a new URL.')
        : null,
    ];
    const ok = await confirmStep({ title: `Uninstall ${entry.name}?`, body, confirm: 'Uninstall' });
    if (!ok) return;
    try {
      await busy(uninstall, () => api.post(`/api/connectors/${seg(entry.slug)}/uninstall`, {}));
      announce(`${entry.name} uninstalled.`);
      onChanged(null, `${entry.name} was uninstalled.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      summary.replaceChildren(notice('bad', e.message));
    }
  });
  return el;
}

function testReport(report) {
  const verified = report.verified
    ? badge('signature verified', 'ok') : badge('signature not verified', 'bad');
  const rows = (report.results || []).map((r) => h('li', { class: 'result' },
    statusBadge(r.status), ' ', h('code', {}, r.event || ''),
    r.totalGross ? ` · ${r.totalGross} ${r.currency || ''}` : '',
    r.externalId ? [' · ', h('code', {}, r.externalId)] : '',
    r.detail ? ` · ${r.detail}` : '', r.error ? ` · ${r.error}` : ''));
  return h('div', { class: 'test-report', 'data-status': report.status },
    h('p', {}, h('strong', {}, 'Pipeline result: '), statusBadge(report.status), ' ', verified),
    rows.length ? h('ul', { class: 'plain' }, rows) : null,
    report.error ? h('p', {}, report.error) : null,
    h('p', { class: 'muted' }, report.dryRun
      ? 'A dry run: the test event went through every step and was rolled back, so nothing was booked.'
      : ''));
}

// The provider's steps: register the URL there, then copy what it shows back here.
function setupSteps(entry) {
  const awaited = (entry.settings || []).filter((f) => f.awaitable);
  return h('ol', { class: 'steps', id: 'webhook-steps' },
    h('li', {}, 'Copy the webhook URL above.'),
    h('li', {}, entry.webhookSetup ? `${entry.webhookSetup}.` : `Paste it into ${entry.name}'s webhook settings.`),
    awaited.map((f) => h('li', {},
      `${entry.name} then shows the ${f.label.toLowerCase()}: copy it into “${f.label}” under Settings below and save.`)));
}

function webhookSection(entry) {
  const urlInput = h('input', { id: 'webhook-url', type: 'text', readonly: true, value: entry.webhookUrl,
                                spellcheck: 'false', 'aria-describedby': 'webhook-url-help' });
  const copied = h('span', { class: 'copied', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn', id: 'copy-webhook-url' }, 'Copy');
  copy.addEventListener('click', async () => {
    const ok = await copyText(urlInput.value, urlInput);
    copied.textContent = ok ? 'Copied.' : 'Copying was refused; select the URL and copy it.';
  });
  const result = h('div', { id: 'test-webhook-result', 'aria-live': 'polite' });
  const test = h('button', { type: 'button', class: 'btn' }, 'Send test webhook');
  test.addEventListener('click', async () => {
    result.replaceChildren(h('p', { class: 'muted' }, 'Sending…'));
    try {
      const { json } = await busy(test, () => api.post(`/api/connectors/${seg(entry.slug)}/test-webhook`, {}));
      result.replaceChildren(testReport(json));
      announce(`Test webhook: ${json.status}.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      result.replaceChildren(notice('bad', e.message));
    }
  });
  const waiting = awaiting(entry);
  const steps = setupSteps(entry);
  return h('section', { class: `panel${waiting ? ' panel-attention' : ''}`, id: 'webhook-panel',
                        'aria-labelledby': 'webhook-h' },
    h('h2', { id: 'webhook-h' }, waiting ? `Register this URL at ${entry.name}` : 'Webhook'),
    h('div', { class: 'field' },
      h('label', { for: 'webhook-url' }, 'Webhook URL'),
      h('div', { class: 'input-row' }, urlInput, copy),
      h('p', { id: 'webhook-url-help', class: 'help' },
        `Paste this URL into ${entry.name}'s webhook settings. Treat it like a password: `,
        'anyone who has it can post to this tenant. Reinstalling makes a new one.'),
      copied),
    eventsToEnable(entry),
    waiting
      ? [steps, notice('info', h('p', {},
          `Until the secret is saved, webhooks to this URL are answered “try again later” (503), `,
          `so ${entry.name} sends them again and nothing is lost.`))]
      : [h('details', { class: 'steps-details' },
          h('summary', {}, `How to register this URL at ${entry.name}`), steps),
         h('div', { class: 'actions' }, test), result]);
}

function logSection(entry) {
  let cursor = null;
  let status = '';
  const tbody = h('tbody', {});
  const empty = h('p', { class: 'empty', hidden: true }, 'No webhooks received yet.');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const refresh = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const filter = h('select', { id: 'log-status' }, h('option', { value: '' }, 'All statuses'),
                   LOG_STATUSES.map((s) => h('option', { value: s }, s.replace('_', ' '))));
  const error = h('div', {});

  function row(r) {
    const details = [r.error, r.detail].filter(Boolean).join(' · ');
    return h('tr', { 'data-id': r.id, 'data-status': r.status },
      h('td', { 'data-label': 'Received' }, time(r.receivedAt)),
      h('td', { 'data-label': 'Event' }, h('code', {}, r.event || '—')),
      h('td', { 'data-label': 'Status' }, statusBadge(r.status)),
      h('td', { 'data-label': 'Action' }, actionBadge(r.action)),
      h('td', { 'data-label': 'External ID' }, r.externalId ? h('code', {}, r.externalId) : '—'),
      h('td', { 'data-label': 'Details' }, details || '—'));
  }

  async function load(reset) {
    error.replaceChildren();
    const q = new URLSearchParams({ limit: String(LOG_PAGE) });
    if (status) q.set('status', status);
    if (!reset && cursor) q.set('cursor', cursor);
    try {
      const res = await api.get(`/api/connectors/${seg(entry.slug)}/webhook-logs?${q}`);
      if (reset) tbody.replaceChildren();
      tbody.append(...res.json.map(row));
      cursor = res.headers.get('X-Next-Cursor');
      more.hidden = !cursor;
      empty.hidden = tbody.children.length > 0;
      table.hidden = !empty.hidden;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      error.replaceChildren(notice('bad', e.message));
    }
  }

  const table = h('table', { class: 'log', id: 'webhook-log' },
    h('caption', { class: 'sr-only' }, `Webhooks ${entry.name} received, newest first`),
    h('thead', {}, h('tr', {}, ['Received', 'Event', 'Status', 'Action', 'External ID', 'Details']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  more.addEventListener('click', () => busy(more, () => load(false)));
  refresh.addEventListener('click', () => busy(refresh, () => load(true)));
  filter.addEventListener('change', () => {
    status = filter.value;
    load(true);
  });
  const el = h('section', { class: 'panel', 'aria-labelledby': 'log-h' },
    h('div', { class: 'part-head' }, h('h2', { id: 'log-h' }, 'Webhook log'),
      h('div', { class: 'toolbar compact' },
        h('div', { class: 'field inline' }, h('label', { for: 'log-status' }, 'Status'), filter),
        refresh)),
    h('p', { class: 'muted' }, 'Newest first.'),
    error, empty, h('div', { class: 'table-wrap' }, table), more);
  return { el, load: () => load(true) };
}

export async function connectorView(view, ctx, slug) {
  const { json: entry } = await api.get(`/api/connectors/${seg(slug)}`);
  if (!ctx.alive()) return;
  if (entry.kind === 'destination') {
    location.replace(`#/destinations/new/${entry.slug}`);
    return;
  }
  renderConnector(view, ctx, entry, null);
}

function renderConnector(view, ctx, entry, message, tone = 'ok') {
  const plan = ctx.tenant.plan;
  const parts = [...header(entry)];
  if (message) parts.push(notice(tone, message));
  const reload = async (detail, msg, tone = 'ok') => {
    let next = detail;
    if (!next) next = (await api.get(`/api/connectors/${seg(entry.slug)}`)).json;
    if (!ctx.alive()) return;
    renderConnector(view, ctx, next, msg, tone);
    view.querySelector('.notice-ok, .notice-bad')?.focus();
  };
  if (!entry.installed && entry.status === 'locked') {
    parts.push(notice('info', h('p', {},
      h('strong', {}, `${entry.name} needs the ${planName(neededPlan(entry))} plan. `),
      `This tenant is on the ${planName(plan)} plan, so it cannot be installed here.`)));
  } else {
    // The URL first: it is what the provider needs before anything else works.
    const webhook = hasWebhook(entry) && entry.installed && entry.webhookUrl;
    if (webhook) parts.push(webhookSection(entry));
    // A pulling connector's runs come before its settings: they are what it is for.
    if (entry.installed && entry.sync) {
      const sync = syncSection(entry, reload);
      parts.push(sync.el);
      sync.load();
    }
    parts.push(settingsSection(entry, reload));
    if (entry.installed && entry.oauth) parts.push(oauthSection(entry));
    if (webhook) {
      const log = logSection(entry);
      parts.push(log.el);
      log.load();
      if (entry.category === 'payments') {
        const review = reviewSection(entry);
        parts.push(review.el);
        review.load();
      }
    }
  }
  view.replaceChildren(...parts);
  const note = view.querySelector('.notice-ok, .notice-bad');
  if (note) note.setAttribute('tabindex', '-1');
  document.title = `${entry.name} · connectord`;
}
