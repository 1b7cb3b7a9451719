// web/publishing.js - the store page for the platform's roles: a developer's "My
// submissions" (each version of its connectors with the automated checks' results and the
// reviewer's words, and a box to submit a manifest), and the operator's review queue
// (what waits, its checks, Approve and Reject with a reason). Both read the same
// submission shape from /api/developer/connectors and /api/operator/submissions.

import { ApiError, api, seg } from './api.js';
import { announce, badge, h, notice, time } from './dom.js';

const STATUS = {
  pending_review: ['Pending review', 'info'],
  changes_requested: ['Changes requested', 'warn'],
  approved: ['Approved', 'ok'],
  rejected: ['Rejected', 'bad'],
};

function statusOf(sub) {
  const [label, tone] = STATUS[sub.status] || [sub.status, 'muted'];
  return badge(label, tone, { 'data-status': sub.status });
}

// The checks as a list: each passed or failed, with its message.
function checksList(sub) {
  return h('ul', { class: 'plain checks', 'aria-label': `Checks of version ${sub.version}` },
    sub.checks.map((c) => h('li', { 'data-check': c.check, 'data-ok': String(c.ok) },
      badge(c.ok ? 'Passed' : 'Failed', c.ok ? 'ok' : 'bad'), ' ',
      h('strong', {}, c.check), ': ', c.message)));
}

function reviewText(sub) {
  if (!sub.review) return null;
  return h('p', { class: 'review-reason' }, 'Reviewed ', time(sub.review.reviewedAt),
    sub.review.reason ? [': ', h('q', {}, sub.review.reason)] : '');
}

function submissionCard(sub, actions) {
  return h('li', { class: 'panel submission', 'data-id': sub.id, 'data-slug': sub.slug },
    h('h3', {}, `${sub.name || sub.slug} `, h('span', { class: 'muted' }, `${sub.slug} · version ${sub.version}`)),
    h('div', { class: 'badges' }, statusOf(sub),
      badge(sub.checksPassed ? 'All checks passed' : 'Checks failed', sub.checksPassed ? 'ok' : 'bad')),
    h('p', { class: 'muted' }, 'Submitted ', time(sub.createdAt), ` by ${sub.developer.name}`),
    checksList(sub),
    reviewText(sub),
    actions || null);
}

function submitForm(onDone) {
  const area = h('textarea', { id: 'manifest', rows: 10, spellcheck: 'false',
                               'aria-describedby': 'manifest-help' });
  const out = h('div', { class: 'form-summary', 'aria-live': 'assertive' });
  const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'submit-h' },
    h('h2', { id: 'submit-h' }, 'Submit a manifest'),
    h('div', { class: 'field' },
      h('label', { for: 'manifest', class: 'field-label' }, 'Manifest (JSON)'), area,
      h('p', { id: 'manifest-help', class: 'help' },
        'A new slug or a new version of one of yours. The checks run at once; see docs/connectors.md.')),
    out,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let manifest;
    try {
      manifest = JSON.parse(area.value);
    } catch {
      out.replaceChildren(notice('bad', 'That is not JSON.'));
      return;
    }
    try {
      const { json } = await api.post('/api/developer/connectors', manifest);
      announce(`Version ${json.version} of ${json.slug} submitted: ${STATUS[json.status][0]}.`);
      area.value = '';
      onDone();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      out.replaceChildren(notice('bad', e.message));
    }
  });
  return form;
}

// #/submissions: the developer's own submissions, newest first.
export async function submissionsView(view, ctx) {
  const { json } = await api.get('/api/developer/connectors?limit=100');
  if (!ctx.alive()) return;
  const list = json.submissions;
  view.append(
    h('h1', { tabindex: -1 }, 'My submissions'),
    h('p', { class: 'lead' }, 'Each version you submitted, with its automated checks and the review.'),
    list.length ? h('ul', { class: 'plain submissions', role: 'list' }, list.map((s) => submissionCard(s)))
      : h('p', { class: 'muted', id: 'no-submissions' }, 'Nothing submitted yet.'),
    submitForm(() => window.dispatchEvent(new HashChangeEvent('hashchange'))));
  document.title = 'My submissions · connectord';
}

function reviewActions(sub, refresh) {
  const reason = h('input', { type: 'text', id: `reason-${sub.id}`, placeholder: 'Reason to reject (the developer reads it)',
                              'aria-label': `Reason to reject ${sub.slug}` });
  const approve = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'btn btn-danger', 'data-action': 'reject' }, 'Reject');
  const out = h('div', { class: 'form-summary', 'aria-live': 'assertive' });
  const act = async (path, body, done) => {
    try {
      await api.post(`/api/operator/submissions/${seg(sub.id)}/${path}`, body);
      announce(done);
      refresh();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      out.replaceChildren(notice('bad', e.message));
    }
  };
  approve.addEventListener('click', () => act('approve', {}, `${sub.slug} version ${sub.version} approved and published.`));
  reject.addEventListener('click', () => {
    if (!reason.value.trim()) {
      out.replaceChildren(notice('bad', 'Say why it is rejected: the developer reads it.'));
      reason.focus();
      return;
    }
    act('reject', { reason: reason.value.trim() }, `${sub.slug} version ${sub.version} rejected.`);
  });
  return h('div', { class: 'review-actions' },
    h('div', { class: 'actions' }, approve, reason, reject), out);
}

// #/review: the operator's queue (pending review) and what was decided lately.
export async function reviewView(view, ctx) {
  const [pending, recent] = await Promise.all([
    api.get('/api/operator/submissions?status=pending_review&limit=100'),
    api.get('/api/operator/submissions?limit=20'),
  ]);
  if (!ctx.alive()) return;
  const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const queue = pending.json.submissions;
  const decided = recent.json.submissions.filter((s) => s.status !== 'pending_review');
  view.append(
    h('h1', { tabindex: -1 }, 'Review queue'),
    h('p', { class: 'lead' }, 'Submissions whose checks passed wait here. Approving publishes the ',
      'version to every tenant\'s catalog; installs move to it where their settings fit.'),
    queue.length
      ? h('ul', { class: 'plain submissions', role: 'list', id: 'queue' },
          queue.map((s) => submissionCard(s, reviewActions(s, refresh))))
      : h('p', { class: 'muted', id: 'queue-empty' }, 'Nothing waits for review.'),
    h('h2', {}, 'Recently'),
    h('ul', { class: 'plain submissions', role: 'list', id: 'recent' }, decided.map((s) => submissionCard(s))));
  document.title = 'Review queue · connectord';
}
