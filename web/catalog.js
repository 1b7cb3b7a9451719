// web/catalog.js - the catalog: seed 000's connectors grouped by its four categories and
// seed 001's destinations grouped by theirs, as cards with the plan badge, the install state
// and, above the tenant's plan, a lock naming the plan needed. A search box and a category
// filter narrow the cards in place (no request per keystroke); the filter survives a visit
// to a connector's page and back.

import { api } from './api.js';
import { PLAN_ORDER, announce, badge, h, planBadge, planName } from './dom.js';

export const CONNECTOR_CATEGORIES = [
  ['payments', 'Payments'], ['accounting', 'Accounting'], ['communication', 'Communication'],
  ['productivity', 'Productivity'],
];
export const DESTINATION_CATEGORIES = [
  ['communication', 'Communication'], ['analytics', 'Analytics'], ['automation', 'Automation'],
  ['monitoring', 'Monitoring'], ['data', 'Data'], ['crm', 'CRM'], ['accounting', 'Accounting'],
];
const KIND_NAMES = { webhook: 'Webhook', api: 'API', hybrid: 'Webhook + API',
                     destination: 'Destination' };

export function kindName(kind) {
  return KIND_NAMES[kind] || kind;
}

// The plan that unlocks a connector: the server's requiredPlan, the lowest plan whose
// planAllows is true (destinations need Pro: Starter has no destination slots), so the
// page, the badge and the API never disagree.
export function neededPlan(entry) {
  return entry.requiredPlan;
}

// What the plan gives beyond connectors, as seed 000 says: API access (MCP) means MCP and
// integration tokens, Business and above; the admin REST API, which this page uses, works
// on every plan.
export function planFacts(tenant) {
  const api = tenant.limits && tenant.limits.apiAccess
    ? `API access (MCP and integration tokens) is included in the ${planName(tenant.plan)} plan.`
    : 'API access (MCP and integration tokens) needs the Business plan.';
  return h('p', { class: 'plan-facts', id: 'plan-facts' }, api,
    ' The admin REST API, which this page uses, works on every plan.');
}

// "3 of 5 used", or why there are none.
export function usageText(used, limit, plan) {
  if (limit < 0) return `${used} in use (no limit on the ${planName(plan)} plan)`;
  if (limit === 0) return `The ${planName(plan)} plan includes no destinations; Pro includes 5.`;
  return `${used} of ${limit} used`;
}

export function isDestination(entry) {
  return entry.kind === 'destination';
}

export function entryHref(entry) {
  return isDestination(entry) ? `#/destinations/new/${entry.slug}` : `#/connectors/${entry.slug}`;
}

// The categories present, in the seeds' order, then any the page does not know yet.
function groups(entries, known) {
  const order = known.map(([k]) => k);
  for (const e of entries) if (!order.includes(e.category)) order.push(e.category);
  const names = Object.fromEntries(known);
  return order
    .map((cat) => ({ cat, name: names[cat] || cat, entries: entries.filter((e) => e.category === cat) }))
    .filter((g) => g.entries.length);
}

function stateBadge(entry) {
  if (entry.status === 'awaiting_secret')
    return badge('Installed · waiting for the secret', 'warn', { 'data-state': 'awaiting_secret' });
  if (entry.status === 'installed') {
    return isDestination(entry)
      ? badge(`${entry.installedCount} configured`, 'ok', { 'data-state': 'installed' })
      : badge('Installed', 'ok', { 'data-state': 'installed' });
  }
  if (entry.status === 'locked') {
    return badge(`Locked · needs ${planName(neededPlan(entry))}`, 'warn',
                 { 'data-state': 'locked' });
  }
  return badge('Available', 'muted', { 'data-state': 'available' });
}

// An outside connector's publisher and version ("By Acme Labs · version 2"), and what its
// install needs: an update that waits for the admin's input, or the notice once it is
// unpublished.
export function publisherLine(entry) {
  return h('p', { class: 'card-publisher', 'data-publisher': entry.publisher.name },
    'By ', h('strong', {}, entry.publisher.name), ` · version ${entry.version}`,
    entry.updateNeedsInput
      ? [' ', badge(`Version ${entry.version} needs your input`, 'warn', { 'data-state': 'update' })] : null,
    entry.notice ? [' ', badge('Unpublished', 'warn', { 'data-state': 'unpublished', title: entry.notice })]
      : null);
}

function card(entry) {
  const locked = entry.status === 'locked';
  return h('li', { class: `card${locked ? ' locked' : ''}`, 'data-slug': entry.slug,
                   'data-group': `${isDestination(entry) ? 'destination' : 'connector'}:${entry.category}` },
    h('h4', { class: 'card-title' }, h('a', { href: entryHref(entry) }, entry.name)),
    h('p', { class: 'card-desc' }, entry.description),
    h('p', { class: 'card-meta' }, h('span', { class: 'sr-only' }, 'Authentication: '), entry.authLabel),
    entry.outside ? publisherLine(entry) : null,
    h('div', { class: 'badges' },
      h('span', { class: 'sr-only' }, 'Plan: '),
      planBadge(entry.requiredPlan),
      h('span', { class: 'sr-only' }, 'State: '), stateBadge(entry)));
}

function section(title, id, gs, extra) {
  return h('section', { class: 'catalog-part', 'aria-labelledby': id },
    h('div', { class: 'part-head' }, h('h2', { id }, title), extra),
    gs.map((g) => h('section', { class: 'category', 'data-category': g.cat },
      h('h3', {}, g.name),
      h('ul', { class: 'cards', role: 'list' }, g.entries.map((e) => card(e))))));
}

const filterState = { q: '', group: '' };

function matches(entry, q) {
  if (!q) return true;
  const hay = `${entry.name} ${entry.slug} ${entry.description} ${entry.authLabel} ${entry.category}`
    .toLowerCase();
  return q.split(/\s+/).every((w) => hay.includes(w));
}

export async function catalogView(view, ctx) {
  const { json } = await api.get('/api/connectors');
  if (!ctx.alive()) return;
  const all = json.connectors;
  const plan = json.plan;
  const connectors = all.filter((e) => !isDestination(e));
  const destinations = all.filter(isDestination);
  const cGroups = groups(connectors, CONNECTOR_CATEGORIES);
  const dGroups = groups(destinations, DESTINATION_CATEGORIES);

  const search = h('input', { id: 'catalog-search', type: 'search', autocomplete: 'off',
                              placeholder: 'Name, provider or description', value: filterState.q });
  const select = h('select', { id: 'catalog-category' },
    h('option', { value: '' }, 'All categories'),
    h('optgroup', { label: 'Connectors' },
      cGroups.map((g) => h('option', { value: `connector:${g.cat}` }, g.name))),
    h('optgroup', { label: 'Destinations' },
      dGroups.map((g) => h('option', { value: `destination:${g.cat}` }, g.name))));
  select.value = filterState.group;
  const count = h('p', { class: 'muted', id: 'catalog-count', 'aria-live': 'polite' });
  const empty = h('p', { class: 'empty', hidden: true });

  const used = destinations.reduce((n, e) => n + (e.installedCount || 0), 0);
  const limit = ctx.tenant.limits.maxDestinations;
  const usage = h('p', { class: 'usage', id: 'catalog-usage' },
    h('span', {}, usageText(used, limit, plan)), ' · ',
    h('a', { href: '#/destinations' }, 'Manage destinations'));

  const body = h('div', {},
    section('Connectors', 'part-connectors', cGroups, null),
    section('Destinations', 'part-destinations', dGroups, usage));

  function apply() {
    filterState.q = search.value.trim().toLowerCase();
    filterState.group = select.value;
    let shown = 0;
    for (const li of body.querySelectorAll('li.card')) {
      const entry = all.find((e) => e.slug === li.dataset.slug);
      const ok = matches(entry, filterState.q) && (!filterState.group || li.dataset.group === filterState.group);
      li.hidden = !ok;
      if (ok) shown += 1;
    }
    for (const sec of body.querySelectorAll('section.category'))
      sec.hidden = !sec.querySelector('li.card:not([hidden])');
    for (const part of body.querySelectorAll('section.catalog-part'))
      part.hidden = !part.querySelector('section.category:not([hidden])');
    count.textContent = shown === all.length ? `${all.length} connectors and destinations`
                                             : `${shown} of ${all.length} shown`;
    empty.hidden = shown !== 0;
    empty.textContent = shown ? '' : 'Nothing matches. Try another word or “All categories”.';
  }
  search.addEventListener('input', apply);
  select.addEventListener('change', () => {
    apply();
    announce(count.textContent);
  });

  view.replaceChildren(
    h('h1', { tabindex: -1 }, 'Connector store'),
    h('p', { class: 'lead' }, 'Install a connector to receive a provider’s webhooks or sync with its API, ',
      'or add a destination that events are sent to. ', `This tenant is on the ${planName(plan)} plan.`),
    planFacts(ctx.tenant),
    h('div', { class: 'toolbar', role: 'search' },
      h('div', { class: 'field inline' }, h('label', { for: 'catalog-search' }, 'Search'), search),
      h('div', { class: 'field inline' }, h('label', { for: 'catalog-category' }, 'Category'), select)),
    count, empty, body);
  apply();
  document.title = 'Connector store · connectord';
}
