// web/app.js - the connector store page: sign-in, the frame around the views, and the hash
// router. The server serves only /connectors and these static files; every view lives
// behind the hash (#/connectors/stripe), so a reload or a shared link lands in the same place
// without the server knowing any page routes.
//
// Sign-in checks a pasted admin token with GET /api/tenant before keeping it (in
// sessionStorage); a member token is refused because the store's API is admin-only. A
// platform token (no tenant: /api/tenant answers 403) is a developer's when its
// submissions answer, else the operator's when the review queue does; each of those roles
// sees its own view only (publishing.js). A 401 later (token revoked) drops the token and
// returns to sign-in with a message.

import { ApiError, onUnauthorized, request, session } from './api.js';
import { h, notice, planBadge } from './dom.js';
import { bankView } from './bank.js';
import { bankReviewView } from './bank-review.js';
import { catalogView } from './catalog.js';
import { connectorView } from './connector.js';
import { destinationView, destinationsView, newDestinationView } from './destinations.js';
import { reviewView, submissionsView } from './publishing.js';
import { documentsView } from './documents.js';

const main = document.getElementById('main');
const bar = document.getElementById('session');
let tenant = null;
let generation = 0;
const ROLE_KEY = 'connectord.role';
// A platform role ('developer', 'operator') or null for a tenant's admin.
let platformRole = sessionStorage.getItem(ROLE_KEY);

const platformRoutes = {
  developer: [[/^#?\/?(?:submissions)?\/?$/, (view, ctx) => submissionsView(view, ctx)]],
  operator: [[/^#?\/?(?:review)?\/?$/, (view, ctx) => reviewView(view, ctx)]],
};

const routes = [
  [/^#?\/?(?:connectors)?\/?$/, (view, ctx) => catalogView(view, ctx)],
  [/^#\/connectors\/([a-z0-9-]+)$/, (view, ctx, slug) => connectorView(view, ctx, slug)],
  [/^#\/destinations\/?$/, (view, ctx) => destinationsView(view, ctx)],
  [/^#\/destinations\/new(?:\/([a-z0-9-]+))?$/, (view, ctx, type) => newDestinationView(view, ctx, type)],
  [/^#\/destinations\/([A-Za-z0-9_]+)$/, (view, ctx, id) => destinationView(view, ctx, id)],
  [/^#\/bank\/?$/, (view, ctx) => bankView(view, ctx)],
  [/^#\/documents\/?$/, (view, ctx) => documentsView(view, ctx)],
  [/^#\/bank\/review\/?$/, (view, ctx) => bankReviewView(view, ctx)],
];

function signOut(message) {
  session.clear();
  sessionStorage.removeItem(ROLE_KEY);
  platformRole = null;
  tenant = null;
  renderSignIn(message);
}

onUnauthorized(() => signOut('The token is no longer accepted (it may have been revoked). Sign in again.'));

function renderBar() {
  bar.replaceChildren();
  if (!tenant && !platformRole) return;
  const out = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Sign out');
  out.addEventListener('click', () => signOut('Signed out.'));
  if (platformRole) {
    const [href, label] = platformRole === 'developer' ? ['#/submissions', 'My submissions']
                                                       : ['#/review', 'Review queue'];
    bar.append(h('nav', { 'aria-label': 'Sections' }, h('a', { href }, label)),
      h('span', { class: 'tenant', id: 'platform-role' },
        platformRole === 'developer' ? 'Connector developer' : 'Platform operator'),
      out);
    return;
  }
  bar.append(
    h('nav', { 'aria-label': 'Sections' },
      h('a', { href: '#/connectors' }, 'Catalog'), h('a', { href: '#/destinations' }, 'Destinations'),
      h('a', { href: '#/bank' }, 'Bank accounts'), h('a', { href: '#/bank/review' }, 'Bank review'),
      h('a', { href: '#/documents' }, 'Documents')),
    h('span', { class: 'tenant' }, h('span', { class: 'sr-only' }, 'Tenant: '), tenant.name, ' ',
      planBadge(tenant.plan)),
    out);
}

function renderSignIn(message) {
  generation += 1;
  renderBar();
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
                             required: true, 'aria-describedby': 'token-help token-error' });
  const error = h('p', { id: 'token-error', class: 'field-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h('form', { class: 'panel signin', novalidate: true, 'aria-labelledby': 'signin-h' },
    h('h1', { id: 'signin-h', tabindex: -1 }, 'Sign in to the connector store'),
    message ? notice('info', message) : null,
    h('div', { class: 'field' },
      h('label', { for: 'token', class: 'field-label' }, 'Admin token'),
      input,
      h('p', { id: 'token-help', class: 'help' },
        'Paste an admin token (it starts with cdk_). It is kept only in this browser tab ',
        'and sent to this server in a header, never in a URL.'),
      error),
    h('div', { class: 'actions' }, submit));

  const fail = (text) => {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) {
      fail('Paste a token first.');
      return;
    }
    submit.disabled = true;
    try {
      const role = await platformRoleOf(token);
      if (role) {
        session.set(token);
        sessionStorage.setItem(ROLE_KEY, role);
        platformRole = role;
        input.value = '';
        location.hash = role === 'developer' ? '#/submissions' : '#/review';
        renderBar();
        route();
        return;
      }
      const { json } = await request('GET', '/api/tenant', undefined, { token });
      if (json.role !== 'admin') {
        fail('This is a member token. The connector store needs an admin token.');
        return;
      }
      session.set(token);
      tenant = json;
      input.value = '';
      renderBar();
      route();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      fail(e.status === 401 ? 'This token was not accepted. Check that it was pasted whole and has not been revoked.'
                            : `Signing in failed: ${e.message}`);
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(form);
  document.title = 'Sign in · connectord';
  input.focus();
}

// 'developer' or 'operator' when the token is a platform token, null for a tenant's (or an
// unknown one: the tenant check that follows says why it is refused).
async function platformRoleOf(token) {
  const opts = { token };
  try {
    await request('GET', '/api/tenant', undefined, opts);
    return null;
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 403) return null;
  }
  for (const [role, path] of [['developer', '/api/developer/connectors?limit=1'],
                              ['operator', '/api/operator/submissions?limit=1']]) {
    try {
      await request('GET', path, undefined, opts);
      return role;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403) throw e;
    }
  }
  return null;
}

async function route() {
  if (!session.token) {
    renderSignIn();
    return;
  }
  generation += 1;
  const mine = generation;
  const ctx = { tenant, alive: () => mine === generation };
  try {
    if (!tenant && !platformRole) {
      tenant = (await request('GET', '/api/tenant')).json;
      if (!ctx.alive()) return;
      ctx.tenant = tenant;
      renderBar();
    }
    if (platformRole) renderBar();
    const hash = location.hash || (platformRole ? '' : '#/connectors');
    for (const [re, view] of platformRole ? platformRoutes[platformRole] || [] : routes) {
      const m = re.exec(hash);
      if (!m) continue;
      const el = h('div', { class: 'view' });
      main.setAttribute('aria-busy', 'true');
      await view(el, ctx, ...m.slice(1));
      if (!ctx.alive()) return;
      main.replaceChildren(el);
      main.removeAttribute('aria-busy');
      el.querySelector('h1')?.focus({ preventScroll: true });
      window.scrollTo(0, 0);
      return;
    }
    main.replaceChildren(h('h1', { tabindex: -1 }, 'Not found'),
      h('p', {}, 'Nothing lives at this address. ', h('a', { href: '#/connectors' }, 'Go to the catalog.')));
  } catch (e) {
    if (!ctx.alive()) return;
    main.removeAttribute('aria-busy');
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 401) return; // sign-in is showing already
    main.replaceChildren(h('h1', { tabindex: -1 }, e.status === 404 ? 'Not found' : 'Something went wrong'),
      notice('bad', e.message), h('p', {}, h('a', { href: '#/connectors' }, 'Back to the catalog')));
  }
}

// The skip link must not change the hash: that is the router's.
document.querySelector('a.skip')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', route);
route();
