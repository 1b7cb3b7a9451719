// web/oauth.js - the OAuth connection of an installed connector whose service asks the
// user's consent (Timely, Google Workspace): whether it is connected and until when its
// access token lasts, the redirect URI to register with the service, and a button that
// asks the server for the consent URL and goes there. The service sends the browser back to
// the server's callback, which answers a page of its own.

import { ApiError, api, seg } from './api.js';
import { badge, busy, h, notice, time } from './dom.js';

function statusLine(entry, st) {
  if (!st.connected) {
    return h('p', { id: 'oauth-state' }, badge('Not connected', 'warn', { 'data-state': 'disconnected' }),
      ` ${entry.name} has not granted access yet.`);
  }
  return h('p', { id: 'oauth-state' }, badge('Connected', 'ok', { 'data-state': 'connected' }),
    st.expiresAt ? [' Access token valid until ', time(st.expiresAt), '; it is renewed before it expires.'] : '',
    st.scope ? [' Scope: ', h('code', {}, st.scope), '.'] : '');
}

export function oauthSection(entry) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'panel', id: 'oauth-panel', 'aria-labelledby': 'oauth-h' },
    h('h2', { id: 'oauth-h' }, `Connection to ${entry.name}`), body);
  const connect = h('button', { type: 'button', class: 'btn btn-primary', id: 'oauth-connect' });
  connect.addEventListener('click', async () => {
    try {
      const { json } = await busy(connect, () => api.get(`/api/connectors/${seg(entry.slug)}/oauth/start`));
      location.assign(json.authorizeUrl);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      body.append(notice('bad', e.message));
    }
  });
  (async () => {
    try {
      const { json: st } = await api.get(`/api/connectors/${seg(entry.slug)}/oauth`);
      connect.textContent = st.connected ? `Connect to ${entry.name} again` : `Connect to ${entry.name}`;
      body.replaceChildren(statusLine(entry, st),
        h('p', { class: 'help' }, `Register this redirect URI with the OAuth application at ${entry.name}: `,
          h('code', { id: 'oauth-redirect' }, st.redirectUri)),
        h('div', { class: 'actions' }, connect));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      body.replaceChildren(notice('bad', e.message));
    }
  })();
  return el;
}
