// web/destinations.js - seed 001's outbound destinations of one of the tenant's projects
// (its default project unless another is chosen):
//   #/destinations            the list with the plan's limit ("3 of 5 used"), each with its
//                             name, health (active, paused by the breaker until when and
//                             why, or off), turn off / on, send test and delete
//   #/destinations/new[/type] create: type, name, its config (from the type's settings
//                             schema) and the event types, "all events" being "*"; alerts
//                             about other destinations are chosen one by one
//   #/destinations/:id        one destination: edit (name, config, event types) and its
//                             delivery log: attempts per delivery with the request sent
//                             (secrets masked) beside the answer; retry for failed and dead
//                             ones, "retry now" for pending ones, resend for delivered ones

import { ApiError, api, seg } from './api.js';
import {
  announce, badge, busy, confirmStep, copyText, h, notice, planName, statusBadge, time, uid,
} from './dom.js';
import { DESTINATION_CATEGORIES, usageText } from './catalog.js';
import { settingsFields } from './settings-form.js';

export const EVENT_TYPES = [
  ['payment.verified', 'Payment signature verified'],
  ['payment.settled', 'Payment settled'],
  ['payment.failed', 'Payment failed at any stage'],
  ['customer.first_payment', 'A new customer’s first payment'],
  ['customer.milestone', 'A customer reached a spending milestone'],
  ['endpoint.created', 'New endpoint configured'],
  ['endpoint.pricing_changed', 'Endpoint pricing updated'],
  ['revenue.daily_summary', 'Daily revenue summary'],
];
// Alerts the platform raises about a destination; "*" does not take them.
export const ALERT_TYPES = [
  ['destination.paused', 'Another destination was paused by its circuit breaker'],
  ['destination.disabled', 'Another destination failed too long and was turned off'],
];
const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'dead'];
const DELIVERY_PAGE = 20;

// The project whose destinations the pages show: the tenant's default project (its id is
// the tenant's) unless another was chosen in this tab.
const PROJECT_KEY = 'connectord.project';

function projectOf(ctx) {
  return sessionStorage.getItem(PROJECT_KEY) || ctx.tenant.id;
}

function base(ctx) {
  return `/api/projects/${seg(projectOf(ctx))}/connectors`;
}

// The plan's limit (null from the API: none, -1 here) and how many destinations all of the
// tenant's projects hold together, which is what the limit counts.
function destinationLimit(ctx) {
  return ctx.tenant.limits.maxDestinations ?? -1;
}

async function destinationsUsed() {
  const { json } = await api.get('/api/projects');
  const counts = await Promise.all(json.projects.map(async (pr) =>
    (await api.get(`/api/projects/${seg(pr.id)}/connectors`)).json.connectors.length));
  return { projects: json.projects, used: counts.reduce((a, b) => a + b, 0) };
}

// A choice of project when the tenant has more than one.
function projectPicker(ctx, projects, onChange) {
  if (projects.length < 2) return null;
  const select = h('select', { id: 'project' },
    projects.map((pr) => h('option', { value: pr.id }, pr.default ? `${pr.name} (default)` : pr.name)));
  select.value = projectOf(ctx);
  select.addEventListener('change', () => {
    sessionStorage.setItem(PROJECT_KEY, select.value);
    onChange();
  });
  return h('div', { class: 'field inline' }, h('label', { for: 'project' }, 'Project'), select);
}

async function catalogOf(ctx) {
  const { json } = await api.get('/api/connectors');
  return json.connectors.filter((e) => e.kind === 'destination');
}

function typeName(types, slug) {
  return types.find((t) => t.slug === slug)?.name || slug;
}

function eventList(eventTypes) {
  const named = eventTypes.filter((t) => t !== '*');
  const chips = h('ul', { class: 'chips' }, named.map((t) => h('li', {}, h('code', {}, t))));
  if (!eventTypes.includes('*')) return chips;
  return named.length ? h('span', {}, 'All events, and ', chips) : h('span', {}, 'All events');
}

function sendReport(r) {
  return h('div', { class: 'test-report', 'data-verdict': r.verdict },
    h('p', {}, h('strong', {}, 'Test event: '), statusBadge(r.verdict === 'retry' ? 'retry' : r.verdict),
      r.status != null ? ` HTTP ${r.status}` : ' no answer'),
    r.error ? h('p', {}, r.error) : null,
    r.response ? h('pre', { class: 'excerpt' }, r.response) : null);
}

// Turn off/on, send test and delete for one destination, with a place for their results.
function controls(ctx, dest, types, { onChange, onDelete }) {
  const result = h('div', { class: 'dest-result', 'aria-live': 'polite' });
  const toggle = h('button', { type: 'button', class: 'btn' }, dest.isActive ? 'Turn off' : 'Turn on');
  const test = h('button', { type: 'button', class: 'btn' }, 'Send test');
  const del = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete');
  const name = dest.name || typeName(types, dest.type);
  const fail = (e) => {
    if (!(e instanceof ApiError)) throw e;
    result.replaceChildren(notice('bad', e.message));
  };
  toggle.addEventListener('click', async () => {
    try {
      const { json } = await busy(toggle, () =>
        api.patch(`${base(ctx)}/${seg(dest.id)}`, { isActive: !dest.isActive }));
      announce(json.isActive ? `${name} turned on.` : `${name} turned off.`);
      onChange(json);
    } catch (e) {
      fail(e);
    }
  });
  test.addEventListener('click', async () => {
    result.replaceChildren(h('p', { class: 'muted' }, 'Sending a test event…'));
    try {
      const { json } = await busy(test, () => api.post(`${base(ctx)}/${seg(dest.id)}/test`, {}));
      result.replaceChildren(sendReport(json));
      announce(`Test event ${json.verdict}.`);
    } catch (e) {
      fail(e);
    }
  });
  del.addEventListener('click', async () => {
    const ok = await confirmStep({
      title: `Delete the destination ${name}?`,
      body: h('p', {}, 'Events stop going to it at once, and its delivery log goes with it.'),
      confirm: 'Delete',
    });
    if (!ok) return;
    try {
      await busy(del, () => api.del(`${base(ctx)}/${seg(dest.id)}`));
      announce(`${name} deleted.`);
      onDelete();
    } catch (e) {
      fail(e);
    }
  });
  return { buttons: h('div', { class: 'actions' }, toggle, test, del), result };
}

// The destination's status as the API reports it: active, paused by the circuit breaker
// (it keeps failing; one probe is sent when the pause ends) or disabled (turned off by
// hand, or by the engine after failing too long, which then says why).
function stateBadge(dest) {
  const state = { 'data-state': dest.status };
  if (dest.status === 'paused') return badge('Paused by the breaker', 'warn', state);
  if (dest.status === 'disabled') return badge(dest.statusReason ? 'Disabled' : 'Off', 'bad', state);
  return badge('Active', 'ok', state);
}

// Failures in a row, last success and failure, and why it is paused or disabled.
function healthLine(dest) {
  const parts = [];
  if (dest.status === 'paused')
    parts.push(h('span', {}, 'Paused until ', time(dest.pausedUntil)));
  if (dest.statusReason) parts.push(h('span', {}, dest.statusReason));
  else if (dest.consecutiveFailures > 0)
    parts.push(h('span', {}, `${dest.consecutiveFailures} failure${dest.consecutiveFailures === 1 ? '' : 's'} in a row`));
  parts.push(h('span', {}, 'Last success ', dest.lastSuccessAt ? time(dest.lastSuccessAt) : 'never'));
  if (dest.lastFailureAt) parts.push(h('span', {}, 'last failure ', time(dest.lastFailureAt)));
  return h('p', { class: `health health-${dest.status}` },
    parts.flatMap((part, i) => (i ? [' · ', part] : [part])));
}

// ---- the list ------------------------------------------------------------------------------

export async function destinationsView(view, ctx) {
  const { projects, used } = await destinationsUsed();
  if (!projects.some((pr) => pr.id === projectOf(ctx))) sessionStorage.removeItem(PROJECT_KEY);
  const [{ json }, types] = await Promise.all([api.get(base(ctx)), catalogOf(ctx)]);
  if (!ctx.alive()) return;
  const list = json.connectors;
  const limit = destinationLimit(ctx);
  const full = limit >= 0 && used >= limit;
  const items = h('ul', { class: 'dest-list', role: 'list' });

  function item(dest) {
    const li = h('li', { class: 'dest', 'data-id': dest.id, 'data-type': dest.type });
    const render = (d) => {
      const c = controls(ctx, d, types, {
        onChange: (next) => render(next),
        onDelete: () => destinationsView(view, ctx),
      });
      li.replaceChildren(
        h('div', { class: 'dest-head' },
          h('h2', {}, h('a', { href: `#/destinations/${d.id}` }, d.name)),
          stateBadge(d)),
        h('p', { class: 'muted' }, typeName(types, d.type), ' · ', h('code', {}, d.id), ' · created ',
          time(d.createdAt)),
        healthLine(d),
        h('div', { class: 'dest-events' }, h('span', { class: 'label' }, 'Events: '), eventList(d.eventTypes)),
        c.buttons, c.result,
        h('p', {}, h('a', { href: `#/destinations/${d.id}` }, 'Delivery log →')));
    };
    render(dest);
    return li;
  }
  items.append(...list.map(item));

  view.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/connectors' }, '← Connector store')),
    h('h1', { tabindex: -1 }, 'Destinations'),
    projectPicker(ctx, projects, () => destinationsView(view, ctx)),
    h('p', { class: 'usage', id: 'destination-usage' }, usageText(used, limit, ctx.tenant.plan)),
    h('div', { class: 'actions' },
      full ? h('p', { class: 'muted' }, limit === 0 ? '' : 'The plan’s limit is reached; delete one to add another.')
           : h('a', { class: 'btn btn-primary', href: '#/destinations/new' }, 'New destination')),
    list.length ? items : h('p', { class: 'empty' }, 'No destinations yet.'));
  document.title = 'Destinations · connectord';
}

// ---- create --------------------------------------------------------------------------------

function eventFieldset(initial = []) {
  const errId = uid('events-err');
  const all = h('input', { type: 'checkbox', id: uid('event-all'), value: '*' });
  all.checked = initial.includes('*');
  const box = ([t, desc]) => {
    const id = uid('event');
    const input = h('input', { type: 'checkbox', id, value: t, name: 'eventTypes' });
    input.checked = initial.includes(t);
    return {
      type: t,
      input,
      label: () => h('label', { for: id, class: 'check' }, input,
                     h('span', {}, h('code', {}, t), h('span', { class: 'desc' }, desc))),
    };
  };
  const boxes = EVENT_TYPES.map(box);
  const alerts = ALERT_TYPES.map(box);
  const sync = () => {
    for (const b of boxes) {
      b.input.disabled = all.checked;
      if (all.checked) b.input.checked = false;
    }
  };
  all.addEventListener('change', sync);
  const err = h('p', { id: errId, class: 'field-error', hidden: true });
  const el = h('fieldset', { class: 'field events', 'data-field': 'eventTypes', 'aria-describedby': errId },
    h('legend', {}, 'Event types (required)'),
    h('label', { for: all.id, class: 'check all' }, all,
      h('span', {}, h('strong', {}, 'All events'), h('span', { class: 'desc' }, 'Also those added later'))),
    h('div', { class: 'check-grid' }, boxes.map((b) => b.label())),
    h('p', { class: 'help' }, 'Alerts about the other destinations of this project (not part of “All events”):'),
    h('div', { class: 'check-grid' }, alerts.map((b) => b.label())),
    err);
  sync();
  const chosenAlerts = () => alerts.filter((b) => b.input.checked).map((b) => b.type);
  return {
    el,
    values: () => (all.checked ? ['*', ...chosenAlerts()]
                               : [...boxes.filter((b) => b.input.checked).map((b) => b.type), ...chosenAlerts()]),
    setError(msg) {
      err.textContent = msg || '';
      err.hidden = !msg;
      el.classList.toggle('invalid', Boolean(msg));
      if (msg) all.focus();
    },
  };
}

export async function newDestinationView(view, ctx, preset) {
  const [types, { used }] = await Promise.all([catalogOf(ctx), destinationsUsed()]);
  if (!ctx.alive()) return;
  const limit = destinationLimit(ctx);
  const head = [
    h('p', { class: 'crumbs' }, h('a', { href: '#/destinations' }, '← Destinations')),
    h('h1', { tabindex: -1 }, 'New destination'),
    h('p', { class: 'usage', id: 'destination-usage' }, usageText(used, limit, ctx.tenant.plan)),
  ];
  document.title = 'New destination · connectord';
  if (limit === 0 || (limit > 0 && used >= limit)) {
    view.replaceChildren(...head, notice('info', limit === 0
      ? `Destinations are locked on the ${planName(ctx.tenant.plan)} plan; they need the Pro plan or higher.`
      : `All ${limit} destinations of the ${planName(ctx.tenant.plan)} plan are in use. Delete one to add another.`));
    return;
  }

  const known = DESTINATION_CATEGORIES.map(([k]) => k);
  const cats = [...known, ...types.map((t) => t.category).filter((c) => !known.includes(c))];
  const names = Object.fromEntries(DESTINATION_CATEGORIES);
  const typeSelect = h('select', { id: 'dest-type', 'aria-describedby': 'dest-type-help dest-type-error' },
    h('option', { value: '' }, 'Choose a type…'),
    [...new Set(cats)].map((c) => {
      const of = types.filter((t) => t.category === c);
      return of.length ? h('optgroup', { label: names[c] || c },
        of.map((t) => h('option', { value: t.slug }, t.name))) : null;
    }));
  const typeHelp = h('p', { id: 'dest-type-help', class: 'help' });
  const typeErr = h('p', { id: 'dest-type-error', class: 'field-error', hidden: true });
  const configBox = h('div', { class: 'config' });
  const nameInput = h('input', { id: 'dest-name', type: 'text', maxlength: 200, autocomplete: 'off',
                                 'aria-describedby': 'dest-name-help' });
  const events = eventFieldset();
  const summary = h('div', { class: 'form-summary', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create destination');
  let fields = null;
  let chosen = null;

  async function choose(slug) {
    chosen = types.find((t) => t.slug === slug) || null;
    fields = null;
    configBox.replaceChildren();
    typeHelp.replaceChildren();
    if (!chosen) return;
    typeHelp.append(chosen.description, ' · ', h('span', {}, chosen.authLabel));
    const { json: detail } = await api.get(`/api/connectors/${seg(slug)}`);
    if (!ctx.alive() || chosen?.slug !== slug) return;
    fields = settingsFields(detail.settings, {});
    configBox.replaceChildren(h('h2', {}, `${chosen.name} settings`), fields.element);
  }
  typeSelect.addEventListener('change', () => {
    if (preset !== typeSelect.value) history.replaceState(null, '', `#/destinations/new/${typeSelect.value}`);
    choose(typeSelect.value);
  });

  const form = h('form', { class: 'panel', novalidate: true, 'aria-label': 'New destination' },
    summary,
    h('div', { class: 'field', 'data-field': 'type' },
      h('label', { for: 'dest-type', class: 'field-label' }, 'Type', h('span', { class: 'req' }, ' (required)')),
      typeSelect, typeHelp, typeErr),
    h('div', { class: 'field', 'data-field': 'name' },
      h('label', { for: 'dest-name', class: 'field-label' }, 'Name'),
      nameInput,
      h('p', { id: 'dest-name-help', class: 'help' }, 'How alerts and this page call it; the type’s name when empty.')),
    configBox, events.el,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fields?.clearErrors();
    events.setError('');
    typeErr.hidden = true;
    typeSelect.removeAttribute('aria-invalid');
    summary.replaceChildren();
    const body = { type: typeSelect.value, config: fields ? fields.values() : {},
                   eventTypes: events.values() };
    if (nameInput.value.trim()) body.name = nameInput.value.trim();
    try {
      const { json } = await busy(submit, () => api.post(base(ctx), body));
      announce(`${json.name} created.`);
      if (json.signingSecret) {
        showSigningSecret(view, json, chosen);
        return;
      }
      location.hash = `#/destinations/${json.id}`;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      let rest = e.fields;
      const typeProblem = rest.find((f) => f.field === 'type');
      const eventProblem = rest.find((f) => f.field === 'eventTypes');
      rest = rest.filter((f) => f !== typeProblem && f !== eventProblem);
      if (fields) rest = fields.showErrors(rest);
      if (eventProblem) events.setError(eventProblem.message);
      if (typeProblem) {
        typeErr.textContent = typeProblem.message;
        typeErr.hidden = false;
        typeSelect.setAttribute('aria-invalid', 'true');
        typeSelect.focus();
      }
      const text = e.code === 'validation_failed' && e.fields.length
        ? 'Some fields need fixing; see the messages next to them.' : e.message;
      summary.replaceChildren(notice('bad', h('p', {}, text),
        rest.length ? h('ul', {}, rest.map((f) => h('li', {}, `${f.field}: ${f.message}`))) : null));
    }
  });

  view.replaceChildren(...head, form);
  if (preset && types.some((t) => t.slug === preset)) {
    typeSelect.value = preset;
    await choose(preset);
  }
}

// Generic webhook destinations get a signing secret, shown this once.
function showSigningSecret(view, dest, type) {
  const input = h('input', { id: 'signing-secret', type: 'text', readonly: true, value: dest.signingSecret });
  const status = h('span', { role: 'status', class: 'copied' });
  const copy = h('button', { type: 'button', class: 'btn' }, 'Copy');
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(input.value, input)) ? 'Copied.' : 'Select it and copy it.';
  });
  view.replaceChildren(
    h('h1', { tabindex: -1 }, `${type.name} destination created`),
    notice('info', h('p', {}, 'Its requests are signed (Standard Webhooks). This is the signing secret; ',
      'it is shown this once, so keep it in the receiver now.')),
    h('div', { class: 'field' }, h('label', { for: 'signing-secret' }, 'Signing secret'),
      h('div', { class: 'input-row' }, input, copy), status),
    h('p', {}, h('a', { class: 'btn btn-primary', href: `#/destinations/${dest.id}` }, 'Continue')));
  view.querySelector('h1').focus();
}

// ---- one destination and its deliveries ----------------------------------------------------

// The request an attempt sent, as the server kept it (secrets masked): the method and URL,
// and on opening, its headers and body.
function requestCell(r) {
  if (!r) return '—';
  const cut = r.bodyBytes > r.body.length ? ` (first part of ${r.bodyBytes} bytes)` : '';
  return h('details', { class: 'request' },
    h('summary', {}, h('code', {}, `${r.method} ${r.url}`)),
    h('pre', { class: 'excerpt request-headers' }, r.headers.map(([n, v]) => `${n}: ${v}`).join('\n')),
    r.body ? h('pre', { class: 'excerpt request-body' }, r.body) : null,
    cut ? h('p', { class: 'muted' }, cut.trim()) : null);
}

function attemptsTable(attempts) {
  if (!attempts.length) return h('p', { class: 'muted' }, 'No attempts yet.');
  return h('table', { class: 'attempts' },
    h('caption', { class: 'sr-only' }, 'Attempts'),
    h('thead', {}, h('tr', {}, ['#', 'Started', 'Took', 'Request sent', 'HTTP', 'Answer or error']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, attempts.map((a) => h('tr', { class: 'attempt' },
      h('td', { 'data-label': '#' }, String(a.attempt)),
      h('td', { 'data-label': 'Started' }, time(a.startedAt)),
      h('td', { 'data-label': 'Took' }, `${a.durationMs} ms`),
      h('td', { 'data-label': 'Request sent', class: 'attempt-request' }, requestCell(a.request)),
      h('td', { 'data-label': 'HTTP', class: 'attempt-status' }, a.status != null ? String(a.status) : '—'),
      h('td', { 'data-label': 'Answer or error' },
        a.error ? a.error : a.response ? h('code', { class: 'excerpt' }, a.response) : '—')))));
}

function deliveryLog(ctx, destId) {
  const path = `${base(ctx)}/${seg(destId)}/deliveries`;
  let cursor = null;
  let status = '';
  const list = h('ul', { class: 'deliveries', role: 'list' });
  const empty = h('p', { class: 'empty', hidden: true }, 'No deliveries yet.');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const refresh = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const filter = h('select', { id: 'delivery-status' }, h('option', { value: '' }, 'All statuses'),
                   DELIVERY_STATUSES.map((s) => h('option', { value: s }, s)));
  const error = h('div', {});

  function item(d) {
    const li = h('li', { class: 'delivery', 'data-id': d.id, 'data-status': d.status });
    const attemptsBox = h('div', { class: 'attempts-box', id: `att-${d.id}`, hidden: true });
    const render = (dd, open) => {
      li.dataset.status = dd.status;
      const show = h('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': String(Boolean(open)),
                                 'aria-controls': attemptsBox.id }, open ? 'Hide attempts' : 'Show attempts');
      // failed and dead: again; pending: now rather than at its next retry; delivered: once more
      const retryLabel = { failed: 'Retry', dead: 'Retry', pending: 'Retry now', delivered: 'Resend' }[dd.status];
      const retry = retryLabel
        ? h('button', { type: 'button', class: `btn btn-small${dd.status === 'delivered' ? '' : ' btn-primary'}` },
            retryLabel) : null;
      const rowErr = h('div', {});
      show.addEventListener('click', async () => {
        if (!attemptsBox.hidden) {
          attemptsBox.hidden = true;
          render(dd, false);
          return;
        }
        try {
          const { json } = await busy(show, () => api.get(`${path}/${seg(dd.id)}`));
          attemptsBox.replaceChildren(attemptsTable(json.attempts || []));
          attemptsBox.hidden = false;
          render(json, true);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          rowErr.replaceChildren(notice('bad', e.message));
        }
      });
      retry?.addEventListener('click', async () => {
        try {
          const { json } = await busy(retry, () => api.post(`${path}/${seg(dd.id)}/retry`, {}));
          announce(dd.status === 'delivered' ? 'Delivery sent once more.' : 'Delivery queued to be sent now.');
          attemptsBox.replaceChildren(attemptsTable(json.attempts || []));
          attemptsBox.hidden = false;
          render(json, true);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          rowErr.replaceChildren(notice('bad', e.message));
        }
      });
      const last = dd.lastStatus != null ? `HTTP ${dd.lastStatus}` : '';
      // The list counts attempts; a single delivery lists them.
      const count = Array.isArray(dd.attempts) ? dd.attempts.length : dd.attempts;
      li.replaceChildren(...[
        h('div', { class: 'delivery-head' },
          statusBadge(dd.status), h('code', {}, dd.eventType),
          h('span', { class: 'muted' }, `${count} attempt${count === 1 ? '' : 's'}`,
            last ? ` · last ${last}` : ''),
          h('span', { class: 'muted' }, time(dd.createdAt))),
        dd.lastError ? h('p', { class: 'delivery-error' }, dd.lastError) : null,
        dd.nextAttemptAt ? h('p', { class: 'muted' }, 'Next attempt ', time(dd.nextAttemptAt)) : null,
        h('div', { class: 'actions' }, show, retry),
        rowErr, attemptsBox].filter(Boolean));
    };
    render(d, false);
    return li;
  }

  async function load(reset) {
    error.replaceChildren();
    const q = new URLSearchParams({ limit: String(DELIVERY_PAGE) });
    if (status) q.set('status', status);
    if (!reset && cursor) q.set('cursor', cursor);
    try {
      const { json } = await api.get(`${path}?${q}`);
      if (reset) list.replaceChildren();
      list.append(...json.deliveries.map(item));
      cursor = json.nextCursor;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      error.replaceChildren(notice('bad', e.message));
    }
  }
  more.addEventListener('click', () => busy(more, () => load(false)));
  refresh.addEventListener('click', () => busy(refresh, () => load(true)));
  filter.addEventListener('change', () => {
    status = filter.value;
    load(true);
  });
  const el = h('section', { class: 'panel', 'aria-labelledby': 'deliveries-h' },
    h('div', { class: 'part-head' }, h('h2', { id: 'deliveries-h' }, 'Delivery log'),
      h('div', { class: 'toolbar compact' },
        h('div', { class: 'field inline' }, h('label', { for: 'delivery-status' }, 'Status'), filter),
        refresh)),
    h('p', { class: 'muted' }, 'Newest first. Failed and dead deliveries can be retried, pending ones sent now, '
      + 'delivered ones sent again.'),
    error, empty, list, more);
  return { el, load: () => load(true) };
}

// The edit form: name, config (secrets left empty are kept) and event types, sent as one
// PATCH; field errors appear at their fields.
function editForm(ctx, dest, type, { onSaved, onCancel }) {
  const nameInput = h('input', { id: 'edit-name', type: 'text', maxlength: 200, value: dest.name,
                                 autocomplete: 'off' });
  const nameErr = h('p', { class: 'field-error', hidden: true });
  const fields = settingsFields(type.settings, { config: dest.config, installed: true });
  const events = eventFieldset(dest.eventTypes);
  const summary = h('div', { class: 'form-summary', 'aria-live': 'assertive' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  cancel.addEventListener('click', onCancel);
  const form = h('form', { class: 'panel edit-destination', novalidate: true, 'aria-label': 'Edit destination' },
    h('h2', {}, 'Edit destination'), summary,
    h('div', { class: 'field', 'data-field': 'name' },
      h('label', { for: 'edit-name', class: 'field-label' }, 'Name'), nameInput, nameErr),
    fields.element, events.el,
    h('div', { class: 'actions' }, save, cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fields.clearErrors();
    events.setError('');
    nameErr.hidden = true;
    summary.replaceChildren();
    const body = { name: nameInput.value.trim(), config: fields.values(), eventTypes: events.values() };
    try {
      const { json } = await busy(save, () => api.patch(`${base(ctx)}/${seg(dest.id)}`, body));
      announce(`${json.name} saved.`);
      onSaved(json);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      let rest = e.fields;
      const nameProblem = rest.find((f) => f.field === 'name');
      const eventProblem = rest.find((f) => f.field === 'eventTypes');
      rest = fields.showErrors(rest.filter((f) => f !== nameProblem && f !== eventProblem));
      if (eventProblem) events.setError(eventProblem.message);
      if (nameProblem) {
        nameErr.textContent = nameProblem.message;
        nameErr.hidden = false;
        nameInput.focus();
      }
      summary.replaceChildren(notice('bad', h('p', {}, e.message),
        rest.length ? h('ul', {}, rest.map((f) => h('li', {}, `${f.field}: ${f.message}`))) : null));
    }
  });
  return form;
}

export async function destinationView(view, ctx, id) {
  const [{ json: dest }, types] = await Promise.all([api.get(`${base(ctx)}/${seg(id)}`), catalogOf(ctx)]);
  const { json: type } = await api.get(`/api/connectors/${seg(dest.type)}`);
  if (!ctx.alive()) return;
  const labels = Object.fromEntries((type.settings || []).map((f) => [f.key, f.label || f.key]));
  const heading = h('h1', { tabindex: -1 });
  const top = h('div', {});
  const editBox = h('div', {});
  const renderTop = (d) => {
    heading.textContent = d.name;
    document.title = `${d.name} · connectord`;
    const c = controls(ctx, d, types, {
      onChange: (next) => renderTop(next),
      onDelete: () => {
        location.hash = '#/destinations';
      },
    });
    const edit = h('button', { type: 'button', class: 'btn', 'aria-expanded': String(Boolean(editBox.firstChild)) },
                   'Edit');
    edit.addEventListener('click', () => {
      editBox.replaceChildren(editForm(ctx, d, type, {
        onSaved: (next) => {
          editBox.replaceChildren();
          renderTop(next);
        },
        onCancel: () => {
          editBox.replaceChildren();
          renderTop(d);
        },
      }));
      edit.setAttribute('aria-expanded', 'true');
      editBox.querySelector('input')?.focus();
    });
    c.buttons.prepend(edit);
    top.replaceChildren(
      h('div', { class: 'badges' }, stateBadge(d)),
      healthLine(d),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Type'), h('dd', {}, typeName(types, d.type)),
        h('dt', {}, 'ID'), h('dd', {}, h('code', {}, d.id)),
        h('dt', {}, 'Events'), h('dd', {}, eventList(d.eventTypes)),
        Object.entries(d.config || {}).map(([k, v]) =>
          [h('dt', {}, labels[k] || k), h('dd', {}, h('code', {}, Array.isArray(v) ? v.join(', ') : String(v)))]),
        h('dt', {}, 'Created'), h('dd', {}, time(d.createdAt))),
      c.buttons, c.result);
  };
  renderTop(dest);
  const log = deliveryLog(ctx, dest.id);
  view.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/destinations' }, '← Destinations')),
    heading,
    h('section', { class: 'panel' }, top),
    editBox,
    log.el);
  await log.load();
}
