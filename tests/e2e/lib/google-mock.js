// tests/e2e/lib/google-mock.js - Google's OAuth server (lib/oauth-mock.js: code exchange
// with PKCE, refresh) plus what connectord reads of Google Workspace, on one port, as one
// oauthBaseUrl serves them all:
//   POST /revoke                                   RFC 7009, form token=...
//   GET  /calendar/v3/calendars/primary/events     timeMin/timeMax/singleEvents/orderBy, pages
//   GET  /gmail/v1/users/me/messages               q, maxResults, pageToken: ids only
//   GET  /gmail/v1/users/me/messages/{id}          format=full|metadata
//   GET  /gmail/v1/users/me/messages/{id}/attachments/{attachmentId}   {size, data: base64url}
//   GET  /gmail/v1/users/me/profile                {emailAddress, historyId}
//   GET  /gmail/v1/users/me/history                startHistoryId, historyTypes=messageAdded
// Pages are two items long, so every list pages. Only access tokens the mock issued and that
// are still valid are accepted (else 401, as Google answers an expired token).
'use strict';

const { OAuthMock } = require('./oauth-mock');

const PAGE = 2;

class GoogleMock extends OAuthMock {
  constructor() {
    super();
    this.client = { id: '1234-docs.apps.googleusercontent.com', secret: 'google-secret-1' };
    this.rotating = false; // Google keeps its refresh token
    this.revoked = [];
    this.events = [];
    this.messages = []; // { id, historyId, from, subject, date, parts: [{filename, mimeType, data}] }
    this.historyId = 1000;
    this.oldestHistoryId = 0;
    this.googleRequests = []; // { path, query }
  }

  static async start() {
    const m = new GoogleMock();
    m.server = require('node:http').createServer((req, res) => m.handle(req, res));
    await new Promise((resolve) => m.server.listen(0, '127.0.0.1', resolve));
    m.base = `http://127.0.0.1:${m.server.address().port}`;
    return m;
  }

  addMessage({ from, subject, date, parts }) {
    this.historyId += 7;
    const id = (0x18e0000 + this.messages.length * 17).toString(16) + 'ab';
    const m = { id, historyId: this.historyId, from, subject, date, parts,
                internalDate: String(Date.parse(date) || Date.now()) };
    this.messages.push(m);
    return m;
  }

  handle(req, res) {
    const pathname = req.url.split('?')[0];
    if (req.method === 'POST' && pathname === '/revoke') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.revoke(req, res, Buffer.concat(chunks).toString('utf8')));
      return;
    }
    if (req.method === 'GET' && (pathname.startsWith('/calendar/') || pathname.startsWith('/gmail/')))
      return this.google(req, res);
    return super.handle(req, res);
  }

  revoke(req, res, body) {
    const token = new URLSearchParams(body).get('token');
    const send = (status, json) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return send(400, { error: 'invalid_request' });
    if (this.refreshTokens.has(token)) {
      this.refreshTokens.delete(token);
      this.revoked.push(token);
      this.revokeAllAccess();
      return send(200, {});
    }
    return send(400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
  }

  google(req, res) {
    const url = new URL(req.url, this.base);
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expires = this.access.get(token);
    this.googleRequests.push({ path: url.pathname, query: url.searchParams });
    const send = (status, json) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (expires === undefined || expires <= Date.now())
      return send(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    const q = url.searchParams;
    const page = (items, key) => {
      const from = Number(q.get('pageToken') ?? 0);
      const body = { [key]: items.slice(from, from + PAGE) };
      if (from + PAGE < items.length) body.nextPageToken = String(from + PAGE);
      return body;
    };
    const p = url.pathname;
    if (p === '/calendar/v3/calendars/primary/events') {
      if (q.get('singleEvents') !== 'true' || q.get('orderBy') !== 'startTime' || !q.get('timeMin') || !q.get('timeMax'))
        return send(400, { error: { code: 400, message: 'bad calendar query' } });
      const min = Date.parse(q.get('timeMin')), max = Date.parse(q.get('timeMax'));
      const inRange = this.events.filter((e) => {
        const t = Date.parse(e.start.dateTime ?? e.start.date);
        return t >= min - 86400000 && t < max;
      });
      return send(200, { kind: 'calendar#events', ...page(inRange, 'items') });
    }
    if (p === '/gmail/v1/users/me/profile')
      return send(200, { emailAddress: 'office@example.com', messagesTotal: this.messages.length, historyId: String(this.historyId) });
    if (p === '/gmail/v1/users/me/messages') {
      const withAttachments = q.get('q')?.includes('has:attachment')
        ? this.messages.filter((m) => m.parts.some((x) => x.filename)) : this.messages;
      const wanted = q.get('q')?.includes('filename:pdf')
        ? withAttachments.filter((m) => m.parts.some((x) => /\.(pdf|xml)$/i.test(x.filename ?? '')))
        : withAttachments;
      const body = page(wanted.slice().reverse().map((m) => ({ id: m.id, threadId: m.id })), 'messages');
      body.resultSizeEstimate = wanted.length;
      return send(200, body);
    }
    if (p === '/gmail/v1/users/me/history') {
      const start = Number(q.get('startHistoryId'));
      if (!(start >= this.oldestHistoryId)) return send(404, { error: { code: 404, message: 'Requested entity was not found.' } });
      const added = this.messages.filter((m) => m.historyId > start)
        .map((m) => ({ id: String(m.historyId), messagesAdded: [{ message: { id: m.id, threadId: m.id, labelIds: ['INBOX'] } }] }));
      const body = page(added, 'history');
      body.historyId = String(this.historyId);
      return send(200, body);
    }
    let match = p.match(/^\/gmail\/v1\/users\/me\/messages\/([0-9a-f]+)\/attachments\/([A-Za-z0-9_-]+)$/);
    if (match) {
      const m = this.messages.find((x) => x.id === match[1]);
      const part = m?.parts.find((x) => x.attachmentId === match[2]);
      if (!part) return send(404, { error: { code: 404 } });
      return send(200, { size: part.data.length, data: Buffer.from(part.data).toString('base64url') });
    }
    match = p.match(/^\/gmail\/v1\/users\/me\/messages\/([0-9a-f]+)$/);
    if (match) {
      const m = this.messages.find((x) => x.id === match[1]);
      if (!m) return send(404, { error: { code: 404 } });
      return send(200, this.messageJson(m, q.get('format')));
    }
    return send(404, { error: { code: 404, message: `no ${p}` } });
  }

  messageJson(m, format) {
    const headers = [{ name: 'From', value: m.from }, { name: 'Subject', value: m.subject }, { name: 'Date', value: m.date }];
    const body = { id: m.id, threadId: m.id, labelIds: ['INBOX'], snippet: m.subject, historyId: String(m.historyId), internalDate: m.internalDate };
    if (format === 'metadata') return { ...body, payload: { headers } };
    const parts = [{ partId: '0', mimeType: 'text/plain', filename: '', body: { size: 5, data: Buffer.from('Hallo').toString('base64url') } }];
    m.parts.forEach((x, i) => {
      x.attachmentId ??= `ANGjdJ${m.id}x${i}`;
      parts.push({ partId: String(i + 1), mimeType: x.mimeType, filename: x.filename, body: { attachmentId: x.attachmentId, size: x.data.length } });
    });
    return { ...body, payload: { partId: '', mimeType: 'multipart/mixed', filename: '', headers, body: { size: 0 }, parts } };
  }
}

module.exports = { GoogleMock };
