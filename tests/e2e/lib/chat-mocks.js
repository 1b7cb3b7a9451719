// tests/e2e/lib/chat-mocks.js - local stand-ins for Slack's Web API, Telegram's Bot API, Meta's
// Graph API (WhatsApp Cloud API) and an OpenAI-compatible chat-completions endpoint, and the
// signed requests those platforms send, so the assistant's end-to-end tests can watch every
// reply it sends.
//
// Each mock checks what the real service wants of a call (method, path, the bot token or the
// Bearer token, the JSON body's shape) and records it with its problems; tests assert that a
// reply arrived, with no problems, and what it said. Signatures are made here the way the
// platforms document them: Slack's v0 HMAC-SHA256 over "v0:{ts}:{body}", Meta's
// X-Hub-Signature-256 over the raw body.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

function listen(handler) {
  return new Promise((resolve) => {
    const srv = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const raw = Buffer.concat(chunks);
      let json = null;
      try { json = raw.length ? JSON.parse(raw.toString('utf8')) : null; } catch { json = null; }
      try {
        await handler(req, res, { raw, json });
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function send(res, status, body, type = 'application/json') {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type });
  res.end(text);
}

class Recorder {
  constructor() {
    this.calls = [];
    this.failNext = 0; // answer that many sends with 500 first
  }

  record(kind, call) {
    const c = { kind, ...call };
    this.calls.push(c);
    return c;
  }

  of(kind) {
    return this.calls.filter((c) => c.kind === kind);
  }

  // Waits until `count` calls of kind were recorded (or the time is up); resolves them.
  async waitFor(kind, count = 1, ms = 15000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.of(kind).length >= count) return this.of(kind);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.of(kind);
  }
}

// ---- Slack ------------------------------------------------------------------------------

class SlackMock extends Recorder {
  constructor({ botToken, teamId }) {
    super();
    this.botToken = botToken;
    this.teamId = teamId;
    this.files = new Map(); // path -> bytes
  }

  async start() {
    this.srv = await listen((req, res, { json }) => {
      const problems = [];
      const auth = req.headers.authorization;
      if (auth !== `Bearer ${this.botToken}`) problems.push(`Authorization is ${auth}`);
      const url = new URL(req.url, 'http://x');
      if (req.method === 'POST' && url.pathname === '/api/auth.test') {
        this.record('auth.test', { problems });
        return send(res, 200, problems.length ? { ok: false, error: 'invalid_auth' }
                                              : { ok: true, team_id: this.teamId, user_id: 'UBOT' });
      }
      if (req.method === 'POST' && url.pathname === '/api/chat.postMessage') {
        if (!/^application\/json/.test(req.headers['content-type'] || '')) problems.push('not JSON');
        if (!json || typeof json.channel !== 'string' || typeof json.text !== 'string' || !json.text)
          problems.push(`body ${JSON.stringify(json)}`);
        if (this.failNext > 0) {
          this.failNext--;
          this.record('failed', { problems, body: json });
          return send(res, 500, { ok: false, error: 'internal_error' });
        }
        this.record('postMessage', { problems, body: json });
        return send(res, 200, problems.length ? { ok: false, error: 'invalid_auth' }
                                              : { ok: true, channel: json.channel, ts: '1.2' });
      }
      if (req.method === 'GET' && this.files.has(url.pathname)) {
        this.record('file', { problems });
        return problems.length ? send(res, 200, '<html>login</html>', 'text/html')
                               : send(res, 200, this.files.get(url.pathname), 'application/octet-stream');
      }
      return send(res, 404, { ok: false, error: 'unknown_method' });
    });
    this.base = `http://127.0.0.1:${this.srv.address().port}`;
    return this;
  }

  stop() {
    this.srv?.close();
  }
}

// Headers of a request Slack signs with secret at ts (seconds).
function slackHeaders(secret, body, ts = Math.floor(Date.now() / 1000), extra = {}) {
  const sig = 'v0=' + crypto.createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig, ...extra };
}

function slackEvent({ teamId, eventId, user = 'U100', channel = 'D100', text, ts = '1700000000.000100' }) {
  return JSON.stringify({
    token: 'legacy', team_id: teamId, api_app_id: 'A1', type: 'event_callback',
    event_id: eventId, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'message', channel_type: 'im', user, text, ts, channel },
  });
}

// ---- Telegram ---------------------------------------------------------------------------

class TelegramMock extends Recorder {
  constructor({ botToken }) {
    super();
    this.botToken = botToken;
    this.files = new Map(); // file_id -> {path, bytes}
  }

  async start() {
    this.srv = await listen((req, res, { json }) => {
      const url = new URL(req.url, 'http://x');
      const prefix = `/bot${this.botToken}/`;
      const filePrefix = `/file/bot${this.botToken}/`;
      if (url.pathname.startsWith(filePrefix)) {
        const path = url.pathname.slice(filePrefix.length);
        const f = [...this.files.values()].find((x) => x.path === path);
        this.record('download', { problems: f ? [] : ['unknown file'] });
        return f ? send(res, 200, f.bytes, 'application/octet-stream') : send(res, 404, 'no');
      }
      if (!url.pathname.startsWith(prefix))
        return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const method = url.pathname.slice(prefix.length);
      const problems = [];
      if (req.method !== 'POST') problems.push(`method ${req.method}`);
      if (method === 'setWebhook') {
        if (!json || !/^https:\/\//.test(json.url) || !/^[A-Za-z0-9_-]{1,256}$/.test(json.secret_token || ''))
          problems.push(`body ${JSON.stringify(json)}`);
        this.record('setWebhook', { problems, body: json });
        return send(res, 200, { ok: true, result: true, description: 'Webhook was set' });
      }
      if (method === 'sendMessage') {
        if (!json || (typeof json.chat_id !== 'number' && typeof json.chat_id !== 'string') ||
            typeof json.text !== 'string' || !json.text || json.text.length > 4096)
          problems.push(`body ${JSON.stringify(json)}`);
        this.record('sendMessage', { problems, body: json });
        return send(res, 200, { ok: true, result: { message_id: 99, chat: { id: json?.chat_id } } });
      }
      if (method === 'getFile') {
        const f = this.files.get(json?.file_id);
        this.record('getFile', { problems: f ? problems : [...problems, 'unknown file_id'] });
        return f ? send(res, 200, { ok: true, result: { file_id: json.file_id, file_path: f.path } })
                 : send(res, 400, { ok: false, description: 'Bad Request: invalid file_id' });
      }
      return send(res, 404, { ok: false, description: 'Not Found' });
    });
    this.base = `http://127.0.0.1:${this.srv.address().port}`;
    return this;
  }

  stop() {
    this.srv?.close();
  }
}

function telegramUpdate({ updateId, userId = 4242, chatId = 4242, text, photo }) {
  const message = { message_id: updateId * 10, date: Math.floor(Date.now() / 1000),
                    from: { id: userId, is_bot: false, first_name: 'Eva', username: 'eva' },
                    chat: { id: chatId, type: 'private' } };
  if (text !== undefined) message.text = text;
  if (photo) message.photo = [{ file_id: `${photo}-small`, width: 90, height: 90 },
                              { file_id: photo, width: 1280, height: 960 }];
  return JSON.stringify({ update_id: updateId, message });
}

// ---- WhatsApp (Graph API) -----------------------------------------------------------------

class GraphMock extends Recorder {
  constructor({ accessToken, phoneNumberId, version = 'v25.0' }) {
    super();
    this.accessToken = accessToken;
    this.phoneNumberId = phoneNumberId;
    this.version = version;
    this.media = new Map(); // media id -> {bytes, mime}
  }

  async start() {
    this.srv = await listen((req, res, { json }) => {
      const url = new URL(req.url, 'http://x');
      const problems = [];
      if (req.headers.authorization !== `Bearer ${this.accessToken}`)
        problems.push(`Authorization is ${req.headers.authorization}`);
      const v = `/${this.version}/`;
      if (req.method === 'POST' && url.pathname === `${v}${this.phoneNumberId}/messages`) {
        if (!json || json.messaging_product !== 'whatsapp' || json.type !== 'text' ||
            typeof json.to !== 'string' || typeof json.text?.body !== 'string' || !json.text.body)
          problems.push(`body ${JSON.stringify(json)}`);
        this.record('message', { problems, body: json });
        return problems.length
          ? send(res, 401, { error: { message: 'Invalid OAuth access token', code: 190 } })
          : send(res, 200, { messaging_product: 'whatsapp', contacts: [{ input: json.to, wa_id: json.to }],
                             messages: [{ id: `wamid.out${crypto.randomInt(1e9)}` }] });
      }
      if (req.method === 'GET' && url.pathname.startsWith('/download/')) {
        const id = url.pathname.slice('/download/'.length);
        const m = this.media.get(id);
        this.record('download', { problems: m ? problems : [...problems, 'unknown media'] });
        return m && !problems.length ? send(res, 200, m.bytes, m.mime) : send(res, 404, 'no');
      }
      if (req.method === 'GET' && url.pathname.startsWith(v)) {
        const id = url.pathname.slice(v.length);
        const m = this.media.get(id);
        this.record('media', { problems: m ? problems : [...problems, 'unknown media'] });
        if (!m || problems.length) return send(res, 404, { error: { message: 'no such media' } });
        return send(res, 200, { url: `${this.base}/download/${id}?ext=1&hash=x`, mime_type: m.mime,
                                sha256: crypto.createHash('sha256').update(m.bytes).digest('hex'),
                                file_size: m.bytes.length, id, messaging_product: 'whatsapp' });
      }
      return send(res, 404, { error: { message: 'Unknown path' } });
    });
    this.base = `http://127.0.0.1:${this.srv.address().port}`;
    return this;
  }

  stop() {
    this.srv?.close();
  }
}

function whatsappSignature(appSecret, body) {
  return 'sha256=' + crypto.createHmac('sha256', appSecret).update(body).digest('hex');
}

function whatsappMessage({ phoneNumberId, from = '436641234567', id, text, image }) {
  const msg = { from, id, timestamp: String(Math.floor(Date.now() / 1000)) };
  if (image) Object.assign(msg, { type: 'image', image: { id: image, mime_type: 'image/png', sha256: 'x' } });
  else Object.assign(msg, { type: 'text', text: { body: text } });
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '4312345', phone_number_id: phoneNumberId },
      contacts: [{ profile: { name: 'Eva' }, wa_id: from }],
      messages: [msg],
    } }] }],
  });
}

// ---- a chat-completions model -------------------------------------------------------------

// Answers a user's question with a tool call (script.tool, script.args), then, once the tool's
// result came back, with script.reply(result) as its text.
class LlmMock extends Recorder {
  constructor({ key, model }) {
    super();
    this.key = key;
    this.model = model;
    this.script = null;
  }

  async start() {
    this.srv = await listen((req, res, { json }) => {
      const problems = [];
      if (req.headers.authorization !== `Bearer ${this.key}`) problems.push('bad key');
      if (!json || json.model !== this.model || !Array.isArray(json.messages) ||
          !Array.isArray(json.tools) || !json.tools.every((t) => t.type === 'function' && t.function?.name))
        problems.push(`body ${JSON.stringify(json)?.slice(0, 200)}`);
      const last = json?.messages?.at(-1);
      this.record('completion', { problems, body: json });
      if (problems.length) return send(res, 401, { error: { message: 'bad request' } });
      if (last.role === 'user')
        return send(res, 200, { choices: [{ index: 0, finish_reason: 'tool_calls', message: {
          role: 'assistant', content: null,
          tool_calls: [{ id: 'call_1', type: 'function',
                         function: { name: this.script.tool, arguments: JSON.stringify(this.script.args) } }],
        } }] });
      const result = JSON.parse(last.content);
      return send(res, 200, { choices: [{ index: 0, finish_reason: 'stop',
                                          message: { role: 'assistant', content: this.script.reply(result) } }] });
    });
    this.base = `http://127.0.0.1:${this.srv.address().port}`;
    return this;
  }

  stop() {
    this.srv?.close();
  }
}

module.exports = {
  SlackMock, slackHeaders, slackEvent, TelegramMock, telegramUpdate, GraphMock,
  whatsappSignature, whatsappMessage, LlmMock,
};
