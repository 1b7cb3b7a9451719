// web/sync.js - the sync panel of a pulling connector (#/connectors/:slug, issue 16): when
// it last synced and when it syncs next, the credentials' error while the service refuses
// them, a "Sync now" button that queues a run and follows it to its end, and the runs,
// newest first (status, what each imported, how long it took, why it failed), a page at a
// time. A connector whose service has no usable API says why instead.

import { ApiError, api, seg } from './api.js';
import { announce, badge, busy, h, notice, statusBadge, time } from './dom.js';

const RUN_PAGE = 10;
const FOLLOW_MS = 1000;
const FOLLOW_MAX = 120;

function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function runRow(r) {
  const c = r.counts;
  return h('tr', { 'data-id': r.id, 'data-status': r.status },
    h('td', { 'data-label': 'Started' }, time(r.startedAt || r.queuedAt)),
    h('td', { 'data-label': 'Trigger' }, r.origin === 'manual' ? 'Sync now' : 'Schedule'),
    h('td', { 'data-label': 'Status' }, statusBadge(r.status)),
    h('td', { 'data-label': 'New', class: 'num' }, String(c.new)),
    h('td', { 'data-label': 'Updated', class: 'num' }, String(c.updated)),
    h('td', { 'data-label': 'Deleted', class: 'num' }, String(c.deleted)),
    h('td', { 'data-label': 'Skipped', class: 'num' }, String(c.skipped)),
    h('td', { 'data-label': 'Duration' }, duration(r.durationMs)),
    h('td', { 'data-label': 'Error', class: 'run-error' }, r.error || '—'));
}

function facts(sync) {
  return h('dl', { class: 'facts', id: 'sync-facts' },
    h('dt', {}, 'Last successful sync'),
    h('dd', { id: 'sync-last' }, sync.lastSuccessAt ? time(sync.lastSuccessAt) : 'Never'),
    h('dt', {}, 'Next scheduled sync'),
    h('dd', {}, sync.nextRunAt ? time(sync.nextRunAt) : 'Within a minute'),
    h('dt', {}, 'Schedule'), h('dd', {}, `Every ${sync.intervalMinutes} minutes`));
}

// The panel; load() fills the runs. onChanged() re-reads the connector (a run ended).
export function syncSection(entry, onChanged) {
  const sync = entry.sync;
  const title = h('h2', { id: 'sync-h' }, 'Sync');
  if (!sync.available)
    return { el: h('section', { class: 'panel', id: 'sync-panel', 'aria-labelledby': 'sync-h' }, title,
                   notice('info', h('p', {}, sync.unavailableReason))), load() {} };
  let cursor = null;
  const tbody = h('tbody', {});
  const empty = h('p', { class: 'empty', hidden: true }, 'No runs yet.');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const status = h('div', { id: 'sync-status', 'aria-live': 'polite' });
  const now = h('button', { type: 'button', class: 'btn btn-primary', id: 'sync-now' }, 'Sync now');
  const table = h('table', { class: 'log', id: 'sync-runs' },
    h('caption', { class: 'sr-only' }, `Sync runs of ${entry.name}, newest first`),
    h('thead', {}, h('tr', {}, ['Started', 'Trigger', 'Status', 'New', 'Updated', 'Deleted', 'Skipped',
                                'Duration', 'Error'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  async function load(reset) {
    const q = new URLSearchParams({ limit: String(RUN_PAGE) });
    if (!reset && cursor) q.set('cursor', cursor);
    try {
      const res = await api.get(`/api/connectors/${seg(entry.slug)}/sync-runs?${q}`);
      if (reset) tbody.replaceChildren();
      tbody.append(...res.json.runs.map(runRow));
      cursor = res.json.nextCursor;
      more.hidden = !cursor;
      empty.hidden = tbody.children.length > 0;
      table.hidden = !empty.hidden;
      return res.json.runs;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.replaceChildren(notice('bad', e.message));
      return [];
    }
  }

  // Follows run id until it ends, refreshing the table; then the whole connector.
  async function follow(id) {
    for (let i = 0; i < FOLLOW_MAX; i++) {
      const runs = await load(true);
      const run = runs.find((r) => r.id === id);
      if (run && (run.status === 'succeeded' || run.status === 'failed')) {
        const msg = run.status === 'succeeded'
          ? `Sync finished: ${run.counts.new} new, ${run.counts.updated} updated, ${run.counts.deleted} deleted.`
          : `Sync failed: ${run.error}`;
        announce(msg);
        onChanged(null, msg, run.status === 'succeeded' ? 'ok' : 'bad');
        return;
      }
      if (run?.status === 'queued' && run.error) status.replaceChildren(notice('info', h('p', {}, run.error)));
      await new Promise((r) => setTimeout(r, FOLLOW_MS));
    }
  }

  now.addEventListener('click', async () => {
    status.replaceChildren();
    try {
      const res = await busy(now, () => api.post(`/api/connectors/${seg(entry.slug)}/sync`, {}));
      status.replaceChildren(h('p', { class: 'muted' },
        res.json.created ? 'Sync started…' : 'A sync is already under way; following it…'));
      announce('Sync started.');
      await busy(now, () => follow(res.json.id));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.replaceChildren(notice('bad', e.message));
    }
  });
  more.addEventListener('click', () => busy(more, () => load(false)));

  const el = h('section', { class: 'panel', id: 'sync-panel', 'aria-labelledby': 'sync-h' },
    h('div', { class: 'part-head' }, title, h('div', { class: 'toolbar compact' }, now)),
    sync.error
      ? notice('bad', h('p', { id: 'sync-error' }, h('strong', {}, 'The last sync failed: '), sync.error),
               h('p', {}, 'Check the settings below; the error stays until a sync succeeds.'))
      : null,
    facts(sync), status, empty, h('div', { class: 'table-wrap' }, table), more);
  return { el, load: () => load(true) };
}

// The header's badge for a connector whose credentials were refused.
export function syncErrorBadge() {
  return badge('Sync error', 'bad', { 'data-state': 'error' });
}
