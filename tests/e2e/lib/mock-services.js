// tests/e2e/lib/mock-services.js - one local HTTP server that plays all 20 destination
// services of seed 001, so the end-to-end tests can watch what the delivery engine sends.
//
// Every destination a test creates gets an endpoint of its own on the mock: a path prefix
// /<type>/<key> that the destination's config points at (webhookUrl for the URL-configured
// types, apiBaseUrl for the services with a fixed host, instanceUrl for Salesforce). The mock
// receives each request, checks it against what the service's real API wants (method, path,
// auth header, body shape, limits, as each service documents them; one checker per type
// below) and records it with the verdict: {ok, problems}. Tests assert on those
// records. What the mock answers is scriptable per endpoint: a queue of answers ("500 twice,
// then 200"), a standing answer ("always 400"), a delay, extra headers such as Retry-After,
// or a dead service that drops the connection. Without a script it answers what the real
// service answers on success.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');
const { Webhook } = require('standardwebhooks');

// ---- small checks -----------------------------------------------------------------------

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNonEmptyString(v) {
  return typeof v === 'string' && v.length > 0;
}

// Characters as the services count them (code points, not UTF-16 units or bytes).
function chars(s) {
  return [...s].length;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function basic(user, password = '') {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

// A list of problems that checkers append to with want(condition, message).
class Problems {
  constructor() {
    this.list = [];
  }

  want(condition, message) {
    if (!condition) this.list.push(message);
    return Boolean(condition);
  }
}

function header(req, name) {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function wantJson(p, req) {
  p.want(/^application\/json\b/i.test(header(req, 'content-type') || ''),
         `Content-Type is ${header(req, 'content-type')}, not application/json`);
  return p.want(req.json !== undefined, 'the body is not JSON');
}

function wantMethod(p, req, ...methods) {
  p.want(methods.includes(req.method), `method ${req.method}, expected ${methods.join(' or ')}`);
}

function wantPath(p, req, expected) {
  const ok = expected instanceof RegExp ? expected.test(req.path) : req.path === expected;
  return p.want(ok, `path ${req.path}, expected ${expected}`);
}

function wantHeader(p, req, name, expected) {
  const got = header(req, name);
  if (expected === undefined) return p.want(isNonEmptyString(got), `no ${name} header`);
  return p.want(got === expected, `${name} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
}

function wantBearer(p, req, token) {
  return wantHeader(p, req, 'authorization', `Bearer ${token}`);
}

function wantLength(p, label, text, max, min = 1) {
  if (!p.want(typeof text === 'string', `${label} is not a string`)) return;
  const n = chars(text);
  p.want(n >= min && n <= max, `${label} has ${n} characters, allowed ${min}..${max}`);
}

// ---- one checker per destination type -----------------------------------------------------
//
// check(req, endpoint, p): req = {method, path, query (URLSearchParams), headers, body (raw
// text), json}; endpoint.config is the config the destination was created with (the
// credentials to expect). Paths are relative to the endpoint's prefix.

const CHECKS = {
  // Slack incoming webhook: POST the URL, {"text", "blocks"}.
  slack(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, ep.urlPath);
    if (!wantJson(p, req)) return;
    const b = req.json;
    wantLength(p, 'text', b.text, 40000);
    if (b.blocks !== undefined) {
      if (p.want(Array.isArray(b.blocks), 'blocks is not a list')) {
        p.want(b.blocks.length <= 50, `${b.blocks.length} blocks, at most 50`);
        for (const block of b.blocks) {
          p.want(isNonEmptyString(block?.type), 'a block without a type');
          const text = block?.text?.text;
          if (typeof text === 'string') wantLength(p, 'a section text', text, 3000);
        }
      }
    }
  },

  // Discord execute webhook: POST the URL with ?wait=true; content, embeds, allowed_mentions.
  discord(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, ep.urlPath);
    p.want(req.query.get('wait') === 'true', 'no wait=true in the query');
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(typeof b.content === 'string' || Array.isArray(b.embeds), 'neither content nor embeds');
    if (typeof b.content === 'string') wantLength(p, 'content', b.content, 2000, 0);
    p.want(Array.isArray(b.allowed_mentions?.parse) && b.allowed_mentions.parse.length === 0,
           'allowed_mentions.parse is not [] (mentions in event data would ping)');
    if (b.embeds === undefined) return;
    if (!p.want(Array.isArray(b.embeds) && b.embeds.length <= 10, 'embeds: not a list of <= 10'))
      return;
    let total = 0;
    for (const e of b.embeds) {
      if (e.title !== undefined) { wantLength(p, 'embed title', e.title, 256); total += chars(e.title); }
      if (e.description !== undefined) {
        wantLength(p, 'embed description', e.description, 4096);
        total += chars(e.description);
      }
      if (e.timestamp !== undefined) p.want(RFC3339.test(e.timestamp), 'embed timestamp is not ISO 8601');
      if (e.footer !== undefined) { wantLength(p, 'footer text', e.footer.text, 2048); total += chars(e.footer.text || ''); }
      if (e.fields !== undefined && p.want(Array.isArray(e.fields) && e.fields.length <= 25,
                                           'embed fields: not a list of <= 25')) {
        for (const f of e.fields) {
          wantLength(p, 'field name', f.name, 256);
          wantLength(p, 'field value', f.value, 1024);
          total += chars(f.name || '') + chars(f.value || '');
        }
      }
    }
    p.want(total <= 6000, `embeds hold ${total} characters, at most 6000`);
  },

  // Resend: POST /emails, Bearer key, User-Agent, Idempotency-Key.
  email(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, '/emails');
    wantBearer(p, req, ep.config.apiKey);
    wantHeader(p, req, 'user-agent');
    const key = header(req, 'idempotency-key');
    p.want(isNonEmptyString(key) && key.length <= 256, 'no Idempotency-Key of 1..256 characters');
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(isNonEmptyString(b.from) && b.from.includes(ep.config.from), `from is ${b.from}`);
    p.want(JSON.stringify(b.to) === JSON.stringify(ep.config.to), `to is ${JSON.stringify(b.to)}`);
    wantLength(p, 'subject', b.subject, 998);
    p.want(isNonEmptyString(b.text) || isNonEmptyString(b.html), 'neither text nor html');
    if (b.tags !== undefined && p.want(Array.isArray(b.tags), 'tags is not a list')) {
      for (const t of b.tags)
        p.want(/^[A-Za-z0-9_-]+$/.test(t?.name || '') && /^[A-Za-z0-9_-]+$/.test(t?.value || ''),
               `tag ${JSON.stringify(t)} has characters Resend refuses`);
    }
  },

  // Telegram Bot API: POST /bot<token>/sendMessage, {"chat_id", "text", "parse_mode"}.
  telegram(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, `/bot${ep.config.botToken}/sendMessage`);
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(String(b.chat_id) === ep.config.chatId, `chat_id is ${b.chat_id}`);
    if (!p.want(typeof b.text === 'string', 'no text')) return;
    if (b.parse_mode === 'HTML') {
      // the visible text (after entities) counts, at most 4096
      const visible = b.text.replace(/<[^>]*>/g, '').replace(/&(lt|gt|amp|quot);/g, 'x');
      wantLength(p, 'text (parsed)', visible, 4096);
      const tags = b.text.match(/<\/?([A-Za-z-]+)[^>]*>/g) || [];
      for (const t of tags) {
        const name = /<\/?([A-Za-z-]+)/.exec(t)[1].toLowerCase();
        p.want(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a',
                'tg-spoiler', 'span', 'blockquote'].includes(name), `tag <${name}> is not Telegram HTML`);
      }
      p.want(!/<(?![A-Za-z/])/.test(b.text), "a bare '<' that Telegram cannot parse");
    } else {
      p.want(b.parse_mode === undefined || ['MarkdownV2', 'Markdown'].includes(b.parse_mode),
             `parse_mode ${b.parse_mode}`);
      wantLength(p, 'text', b.text, 4096);
    }
  },

  // Teams: POST the URL, a message with one Adaptive Card attachment, at most 28 KB.
  teams(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, ep.urlPath);
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(Buffer.byteLength(req.body) <= 28 * 1024, 'the message is larger than 28 KB');
    p.want(b.type === 'message', `type is ${b.type}, not message`);
    if (!p.want(Array.isArray(b.attachments) && b.attachments.length >= 1, 'no attachments')) return;
    const a = b.attachments[0];
    p.want(a.contentType === 'application/vnd.microsoft.card.adaptive',
           `contentType ${a.contentType}`);
    p.want(a.content?.type === 'AdaptiveCard', 'content is not an AdaptiveCard');
    p.want(isNonEmptyString(a.content?.version), 'the card has no version');
    p.want(Array.isArray(a.content?.body) && a.content.body.length > 0, 'the card has no body');
  },

  // Segment HTTP Tracking API: POST /v1/track, Basic base64(writeKey:), a track call.
  segment(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, '/v1/track');
    wantHeader(p, req, 'authorization', basic(ep.config.writeKey));
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(Buffer.byteLength(req.body) <= 32 * 1024, 'the event is larger than 32 KB');
    p.want(b.type === undefined || b.type === 'track', `type ${b.type}`);
    p.want(isNonEmptyString(b.userId) || isNonEmptyString(b.anonymousId),
           'neither userId nor anonymousId (Segment drops the call silently)');
    p.want(isNonEmptyString(b.event), 'no event name');
    p.want(isNonEmptyString(b.messageId), 'no messageId (the dedupe key)');
    if (b.timestamp !== undefined) p.want(RFC3339.test(b.timestamp), `timestamp ${b.timestamp}`);
    if (b.properties !== undefined) p.want(isObject(b.properties), 'properties is not an object');
  },

  // Mixpanel Import API: POST /import?strict=1, Basic base64(projectToken:), an array.
  mixpanel(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, '/import');
    p.want(req.query.get('strict') === '1', 'no strict=1');
    wantHeader(p, req, 'authorization', basic(ep.config.projectToken));
    if (!wantJson(p, req)) return;
    const events = req.json;
    if (!p.want(Array.isArray(events) && events.length >= 1 && events.length <= 2000,
                'the body is not a list of 1..2000 events')) return;
    for (const e of events) {
      p.want(isNonEmptyString(e.event), 'an event without a name');
      const pr = e.properties || {};
      p.want(Number.isInteger(pr.time) && pr.time > Date.UTC(1971, 0, 1) / 1000 &&
             pr.time < Date.now() + 3600e3, `time ${pr.time} is not a valid s/ms timestamp`);
      p.want(typeof pr.distinct_id === 'string' &&
             !['null', 'undefined', 'anonymous', '0', '-1'].includes(pr.distinct_id),
             `distinct_id ${pr.distinct_id}`);
      p.want(/^[A-Za-z0-9-]{1,36}$/.test(pr.$insert_id || ''),
             `$insert_id ${pr.$insert_id} is not <= 36 of [A-Za-z0-9-]`);
    }
  },

  // Amplitude HTTP V2: POST /2/httpapi, api_key in the body.
  amplitude(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, '/2/httpapi');
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(b.api_key === ep.config.apiKey, 'api_key is not the configured key');
    if (!p.want(Array.isArray(b.events) && b.events.length >= 1 && b.events.length < 2000,
                'events is not a list of 1..1999')) return;
    for (const e of b.events) {
      p.want(isNonEmptyString(e.event_type), 'an event without event_type');
      const id = e.user_id ?? e.device_id;
      p.want(typeof id === 'string' && id.length >= 5, `user_id/device_id ${id} shorter than 5`);
      p.want(isNonEmptyString(e.insert_id), 'no insert_id (the dedupe key)');
      if (e.time !== undefined) p.want(Number.isInteger(e.time), 'time is not ms');
      if (e.revenue !== undefined) p.want(typeof e.revenue === 'number', 'revenue is not a number');
    }
  },

  // GA4 Measurement Protocol: POST /mp/collect?measurement_id&api_secret.
  ga4(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, '/mp/collect');
    p.want(req.query.get('measurement_id') === ep.config.measurementId, 'measurement_id');
    p.want(req.query.get('api_secret') === ep.config.apiSecret, 'api_secret');
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(Buffer.byteLength(req.body) < 130 * 1024, 'the body is 130 kB or more');
    p.want(isNonEmptyString(b.client_id), 'no client_id (web streams need one)');
    if (b.timestamp_micros !== undefined)
      p.want(Number.isInteger(b.timestamp_micros) && b.timestamp_micros > 1e15,
             'timestamp_micros is not in microseconds');
    if (!p.want(Array.isArray(b.events) && b.events.length >= 1 && b.events.length <= 25,
                'events is not a list of 1..25')) return;
    const name = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
    for (const e of b.events) {
      p.want(name.test(e.name || '') && !/^(ga_|google_|firebase_)/.test(e.name),
             `event name ${e.name}`);
      const params = e.params || {};
      p.want(Object.keys(params).length <= 25, 'more than 25 params');
      for (const [k, v] of Object.entries(params)) {
        p.want(name.test(k), `param name ${k}`);
        if (typeof v === 'string') p.want(chars(v) <= 100, `param ${k} longer than 100`);
      }
    }
  },

  zapier: standardWebhook,
  n8n: standardWebhook,
  make: standardWebhook,

  // PagerDuty Events API v2: /v2/enqueue (alerts) or /v2/change/enqueue; routing_key.
  pagerduty(req, ep, p) {
    wantMethod(p, req, 'POST');
    if (!wantPath(p, req, /^\/v2\/(change\/)?enqueue$/)) return;
    if (!wantJson(p, req)) return;
    const b = req.json;
    p.want(b.routing_key === ep.config.routingKey, 'routing_key is not the configured key');
    const pl = b.payload || {};
    if (req.path === '/v2/enqueue') {
      if (!p.want(['trigger', 'acknowledge', 'resolve'].includes(b.event_action),
                  `event_action ${b.event_action}`)) return;
      if (b.dedup_key !== undefined) wantLength(p, 'dedup_key', b.dedup_key, 255);
      if (b.event_action !== 'trigger') {
        p.want(isNonEmptyString(b.dedup_key), `${b.event_action} without dedup_key`);
        return;
      }
      wantLength(p, 'payload.summary', pl.summary, 1024);
      p.want(isNonEmptyString(pl.source), 'no payload.source');
      p.want(['critical', 'error', 'warning', 'info'].includes(pl.severity),
             `payload.severity ${pl.severity}`);
    } else {
      wantLength(p, 'payload.summary', pl.summary, 1024);
    }
    if (pl.timestamp !== undefined) p.want(RFC3339.test(pl.timestamp), 'payload.timestamp');
    p.want(Buffer.byteLength(req.body) <= 512 * 1024, 'the event is larger than 512 KB');
  },

  // Datadog: POST /api/v1/events or /api/v2/logs with DD-API-KEY.
  datadog(req, ep, p) {
    wantMethod(p, req, 'POST');
    if (!wantPath(p, req, /^\/api\/(v1\/events|v2\/logs)$/)) return;
    wantHeader(p, req, 'dd-api-key', ep.config.apiKey);
    if (!wantJson(p, req)) return;
    const b = req.json;
    if (req.path === '/api/v1/events') {
      wantLength(p, 'title', b.title, 100);
      wantLength(p, 'text', b.text, 4000);
      if (b.date_happened !== undefined)
        p.want(Number.isInteger(b.date_happened) && b.date_happened < 1e11,
               'date_happened is not in seconds');
      if (b.alert_type !== undefined)
        p.want(['error', 'warning', 'info', 'success', 'user_update', 'recommendation',
                'snapshot'].includes(b.alert_type), `alert_type ${b.alert_type}`);
      if (b.priority !== undefined) p.want(['normal', 'low'].includes(b.priority), 'priority');
      if (b.aggregation_key !== undefined) wantLength(p, 'aggregation_key', b.aggregation_key, 100);
      if (b.tags !== undefined)
        p.want(Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string'), 'tags');
    } else {
      const list = Array.isArray(b) ? b : [b];
      p.want(list.length >= 1 && list.length <= 1000, 'logs: not 1..1000 entries');
      for (const l of list) p.want(isNonEmptyString(l.message), 'a log entry without message');
    }
  },

  // Opsgenie Alert API: POST /v2/alerts with "Authorization: GenieKey <apiKey>".
  opsgenie(req, ep, p) {
    wantMethod(p, req, 'POST');
    wantPath(p, req, '/v2/alerts');
    wantHeader(p, req, 'authorization', `GenieKey ${ep.config.apiKey}`);
    if (!wantJson(p, req)) return;
    const b = req.json;
    wantLength(p, 'message', b.message, 130);
    if (b.alias !== undefined) wantLength(p, 'alias', b.alias, 512);
    if (b.description !== undefined) wantLength(p, 'description', b.description, 15000, 0);
    if (b.tags !== undefined && p.want(Array.isArray(b.tags) && b.tags.length <= 20, 'tags: <= 20'))
      for (const t of b.tags) wantLength(p, 'a tag', t, 50);
    if (b.priority !== undefined) p.want(/^P[1-5]$/.test(b.priority), `priority ${b.priority}`);
    if (b.details !== undefined)
      p.want(isObject(b.details) && Object.values(b.details).every((v) => typeof v === 'string'),
             'details is not an object of strings');
  },

  // BigQuery tabledata.insertAll with a Bearer token.
  bigquery(req, ep, p) {
    const c = ep.config;
    wantMethod(p, req, 'POST');
    wantPath(p, req, `/bigquery/v2/projects/${c.projectId}/datasets/${c.datasetId}` +
                     `/tables/${c.tableId}/insertAll`);
    wantBearer(p, req, c.accessToken);
    if (!wantJson(p, req)) return;
    const b = req.json;
    if (b.kind !== undefined) p.want(b.kind === 'bigquery#tableDataInsertAllRequest', `kind ${b.kind}`);
    if (!p.want(Array.isArray(b.rows) && b.rows.length >= 1 && b.rows.length <= 50000,
                'rows is not a list of 1..50000')) return;
    for (const r of b.rows) {
      p.want(isObject(r.json), 'a row without a json object');
      p.want(isNonEmptyString(r.insertId), 'a row without insertId (the dedupe key)');
    }
  },

  // HubSpot CRM v3 (deal upsert, notes, objects) or custom events, with a Bearer token.
  hubspot(req, ep, p) {
    wantMethod(p, req, 'POST', 'PATCH', 'PUT');
    if (!wantPath(p, req, /^\/(crm\/(v3\/)?objects\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_/.-]+)?|crm\/objects\/[0-9-]+\/[A-Za-z0-9_/-]+|events\/v3\/send)$/))
      return;
    wantBearer(p, req, ep.config.accessToken);
    if (!wantJson(p, req)) return;
    const b = req.json;
    if (/\/batch\//.test(req.path)) {
      if (p.want(Array.isArray(b.inputs) && b.inputs.length >= 1 && b.inputs.length <= 100,
                 'inputs is not a list of 1..100')) {
        for (const i of b.inputs) {
          p.want(isObject(i.properties), 'an input without properties');
          if (/\/upsert$/.test(req.path))
            p.want(isNonEmptyString(i.idProperty) && isNonEmptyString(String(i.id ?? '')),
                   'an upsert input without idProperty and id');
        }
      }
    } else if (req.path === '/events/v3/send') {
      p.want(isNonEmptyString(b.eventName), 'no eventName');
      p.want(isNonEmptyString(b.email) || b.objectId !== undefined || isNonEmptyString(b.utk),
             'no email, objectId or utk');
    } else {
      p.want(isObject(b.properties), 'no properties');
      if (/\/notes$/.test(req.path))
        p.want(b.properties?.hs_timestamp !== undefined, 'a note without hs_timestamp');
    }
  },

  // Salesforce REST: upsert PATCH .../sobjects/<SObject>/<ExtIdField>/<value> or create POST.
  salesforce(req, ep, p) {
    wantMethod(p, req, 'POST', 'PATCH');
    const m = /^\/services\/data\/v(\d+\.\d)\/(sobjects\/([A-Za-z0-9_]+)(?:\/([A-Za-z0-9_]+)\/([^/]+))?\/?|composite\/sobjects(\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+)?)$/
      .exec(req.path);
    if (!p.want(m, `path ${req.path} is no sObject or sObject Collections resource`)) return;
    wantBearer(p, req, ep.config.accessToken);
    if (!wantJson(p, req)) return;
    const b = req.json;
    if (m[2].startsWith('composite')) {
      p.want(Array.isArray(b.records) && b.records.length >= 1 && b.records.length <= 200,
             'records is not a list of 1..200');
      return;
    }
    if (!p.want(isObject(b) && Object.keys(b).length > 0, 'the record is empty')) return;
    if (m[4]) {
      p.want(req.method === 'PATCH', 'an external-id upsert must be PATCH');
      p.want(!(m[4] in b), `the external id field ${m[4]} is in the body`);
    } else {
      p.want(req.method === 'POST', 'a create must be POST');
    }
  },

  // QuickBooks Online: POST /v3/company/<realmId>/<entity>?minorversion>=75&requestid=...
  // (a SalesReceipt or Payment books money; an Attachable with only a Note records an event)
  quickbooks(req, ep, p) {
    wantMethod(p, req, 'POST');
    if (!wantPath(p, req, new RegExp(`^/v3/company/${ep.config.realmId}/(salesreceipt|payment|attachable|batch)$`)))
      return;
    wantBearer(p, req, ep.config.accessToken);
    p.want(Number(req.query.get('minorversion')) >= 75, 'minorversion is missing or below 75');
    p.want(isNonEmptyString(req.query.get('requestid')), 'no requestid (the dedupe key)');
    if (!wantJson(p, req)) return;
    const b = req.json;
    if (req.path.endsWith('/batch')) {
      p.want(Array.isArray(b.BatchItemRequest) && b.BatchItemRequest.length <= 30, 'BatchItemRequest');
      return;
    }
    if (req.path.endsWith('/attachable')) {
      wantLength(p, 'Note', b.Note, 2000);
      if (b.AttachableRef !== undefined)
        p.want(Array.isArray(b.AttachableRef), 'AttachableRef is not a list');
      return;
    }
    if (req.path.endsWith('/salesreceipt')) {
      if (!p.want(Array.isArray(b.Line) && b.Line.length >= 1, 'no Line items')) return;
      for (const l of b.Line) {
        p.want(typeof l.Amount === 'number', 'a line without a numeric Amount');
        p.want(isNonEmptyString(l.DetailType), 'a line without DetailType');
      }
      if (b.DocNumber !== undefined) wantLength(p, 'DocNumber', b.DocNumber, 21);
    } else {
      p.want(typeof b.TotalAmt === 'number' && isObject(b.CustomerRef), 'a Payment needs TotalAmt and CustomerRef');
    }
  },

  // Xero Accounting API: PUT/POST /api.xro/2.0/BankTransactions (or Payments), Bearer token
  // and Xero-tenant-id.
  xero(req, ep, p) {
    wantMethod(p, req, 'PUT', 'POST');
    if (!wantPath(p, req, /^\/api\.xro\/2\.0\/(BankTransactions|Payments|Invoices)$/)) return;
    wantBearer(p, req, ep.config.accessToken);
    wantHeader(p, req, 'xero-tenant-id', ep.config.tenantId);
    wantHeader(p, req, 'idempotency-key');
    if (!wantJson(p, req)) return;
    const b = req.json;
    const kind = req.path.split('/').pop();
    const list = b[kind] ?? (Array.isArray(b) ? b : [b]);
    if (!p.want(Array.isArray(list) && list.length >= 1, `no ${kind} list`)) return;
    if (kind === 'BankTransactions') {
      for (const t of list) {
        p.want(['RECEIVE', 'SPEND', 'RECEIVE-OVERPAYMENT', 'RECEIVE-PREPAYMENT'].includes(t.Type),
               `Type ${t.Type}`);
        p.want(isObject(t.Contact), 'no Contact');
        p.want(isObject(t.BankAccount), 'no BankAccount');
        p.want(Array.isArray(t.LineItems) && t.LineItems.length >= 1, 'no LineItems');
      }
    }
  },
};

// Zapier, n8n and Make: the envelope, signed per Standard Webhooks.
function standardWebhook(req, ep, p) {
  wantMethod(p, req, 'POST');
  wantPath(p, req, ep.urlPath);
  if (!wantJson(p, req)) return;
  const b = req.json;
  p.want(/^evt_/.test(b.id || ''), `id ${b.id}`);
  p.want(isNonEmptyString(b.type), 'no type');
  p.want(RFC3339.test(b.createdAt || ''), `createdAt ${b.createdAt}`);
  p.want(isNonEmptyString(b.projectId), 'no projectId');
  p.want(isObject(b.data), 'data is not an object');
  const id = header(req, 'webhook-id');
  const ts = header(req, 'webhook-timestamp');
  const sig = header(req, 'webhook-signature');
  p.want(id === b.id, `webhook-id ${id} is not the event id`);
  p.want(/^\d+$/.test(ts || '') && Math.abs(Number(ts) - Date.now() / 1000) < 300,
         `webhook-timestamp ${ts} is not the time in seconds`);
  p.want(/^(v1,[A-Za-z0-9+/]+={0,2})( v1a?,[A-Za-z0-9+/]+={0,2})*$/.test(sig || ''),
         `webhook-signature ${sig}`);
  if (ep.signingSecret) {
    try {
      new Webhook(ep.signingSecret).verify(req.body, req.headers);
    } catch (e) {
      p.want(false, `the Standard Webhooks signature does not verify: ${e.message}`);
    }
  }
}

// What each service answers on success.
const SUCCESS = {
  slack: () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }),
  discord: () => ({ status: 200, json: { id: String(Date.now()), type: 0, content: '' } }),
  email: () => ({ status: 200, json: { id: crypto.randomUUID() } }),
  telegram: () => ({ status: 200, json: { ok: true, result: { message_id: 1 } } }),
  teams: () => ({ status: 202, body: '' }),
  segment: () => ({ status: 200, json: { success: true } }),
  mixpanel: () => ({ status: 200, json: { code: 200, num_records_imported: 1, status: 'OK' } }),
  amplitude: () => ({ status: 200, json: { code: 200, events_ingested: 1, payload_size_bytes: 100,
                                           server_upload_time: Date.now() } }),
  ga4: () => ({ status: 204, body: '' }),
  zapier: () => ({ status: 200, json: { status: 'success', attempt: crypto.randomUUID(),
                                        id: crypto.randomUUID(), request_id: 'r' } }),
  n8n: () => ({ status: 200, json: { message: 'Workflow was started' } }),
  make: () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'Accepted' }),
  pagerduty: () => ({ status: 202, json: { status: 'success', message: 'Event processed',
                                           dedup_key: crypto.randomUUID() } }),
  datadog: () => ({ status: 202, json: { status: 'ok', event: { id: 1 } } }),
  opsgenie: () => ({ status: 202, json: { result: 'Request will be processed', took: 0.1,
                                          requestId: crypto.randomUUID() } }),
  bigquery: () => ({ status: 200, json: { kind: 'bigquery#tableDataInsertAllResponse' } }),
  hubspot: () => ({ status: 200, json: { status: 'COMPLETE', results: [{ id: '1', new: true }] } }),
  salesforce: () => ({ status: 201, json: { id: 'a0B000000000001', success: true, errors: [] } }),
  quickbooks: () => ({ status: 200, json: { SalesReceipt: { Id: '1', SyncToken: '0' },
                                            time: new Date().toISOString() } }),
  xero: () => ({ status: 200, json: { Status: 'OK', BankTransactions: [{ BankTransactionID: crypto.randomUUID() }] } }),
};

const TYPES = Object.keys(CHECKS);

// ---- configs that point at the mock ---------------------------------------------------------

function secretValue(prefix) {
  return prefix + crypto.randomBytes(12).toString('hex');
}

// The destination's config: fresh credentials, and the mock endpoint as its URL or base.
function configFor(type, base) {
  switch (type) {
  case 'slack': case 'discord': case 'teams': case 'zapier': case 'n8n': case 'make':
    return { webhookUrl: `${base}/hook/${secretValue('h')}` };
  case 'email':
    return { apiKey: secretValue('re_'), from: 'billing@example.com', to: ['ops@example.com'],
             apiBaseUrl: base };
  case 'telegram': return { botToken: `123456:${secretValue('AA')}`, chatId: '-1001234567890', apiBaseUrl: base };
  case 'segment': return { writeKey: secretValue('wk'), apiBaseUrl: base };
  case 'mixpanel': return { projectToken: secretValue('mp'), apiBaseUrl: base };
  case 'amplitude': return { apiKey: secretValue('amp'), apiBaseUrl: base };
  case 'ga4': return { measurementId: 'G-TEST12345', apiSecret: secretValue('ga'), apiBaseUrl: base };
  case 'pagerduty': return { routingKey: secretValue('R0'), apiBaseUrl: base };
  case 'datadog': return { apiKey: secretValue('dd'), site: 'datadoghq.eu', apiBaseUrl: base };
  case 'opsgenie': return { apiKey: secretValue('og'), apiBaseUrl: base };
  case 'bigquery':
    return { projectId: 'my-gcp-project', datasetId: 'payment_events', tableId: 'events',
             accessToken: secretValue('ya29.'), apiBaseUrl: base };
  case 'hubspot': return { accessToken: secretValue('pat-'), apiBaseUrl: base };
  case 'salesforce': return { instanceUrl: base, accessToken: secretValue('00D') };
  case 'quickbooks': return { accessToken: secretValue('qb'), realmId: '9130350273624976', apiBaseUrl: base };
  case 'xero': return { accessToken: secretValue('xr'), tenantId: crypto.randomUUID(), apiBaseUrl: base };
  default: throw new Error(`no mock config for ${type}`);
  }
}

// ---- the server -----------------------------------------------------------------------------

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One destination's place on the mock: its prefix, config, script and requests.
class Endpoint {
  constructor(mock, type, key) {
    this.mock = mock;
    this.type = type;
    this.key = key;
    this.prefix = `/${type}/${key}`;
    this.base = `${mock.url}${this.prefix}`;
    this.config = configFor(type, this.base);
    // for URL-configured types: the path of the webhook URL below the prefix
    this.urlPath = this.config.webhookUrl
      ? new URL(this.config.webhookUrl).pathname.slice(this.prefix.length) : null;
    this.signingSecret = null; // set by the test from the creation answer (zapier, n8n, make)
    this.queue = [];
    this.standing = null;
    this.requests = [];
  }

  // Answers to give next, in order: {status, headers, body | json, delayMs, dead}; then
  // the standing answer or the service's success answer.
  answer(...answers) {
    this.queue.push(...answers);
    return this;
  }

  // The answer for every request from now on (null: back to success).
  always(answer) {
    this.standing = answer;
    return this;
  }

  next() {
    return this.queue.length ? this.queue.shift() : this.standing || SUCCESS[this.type]();
  }

  // Waits until at least n requests came; resolves them.
  async waitFor(n, timeoutMs = 5000, what = '') {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      if (Date.now() > deadline)
        throw new Error(`${this.type} mock: ${this.requests.length} of ${n} requests after ` +
                        `${timeoutMs} ms${what ? ` (${what})` : ''}`);
      await sleep(20);
    }
    return this.requests;
  }

  // Fails when a request did not pass the service's checks.
  assertAllOk() {
    const bad = this.requests.filter((r) => !r.ok);
    if (bad.length)
      throw new Error(`${this.type}: ${bad.length} request(s) the real service would not accept:\n` +
                      bad.map((r) => `${r.method} ${r.path}: ${r.problems.join('; ')}`).join('\n'));
  }
}

class MockServices {
  constructor() {
    this.endpoints = new Map();
    this.requests = []; // every request, also unknown ones
    this.sockets = new Set();
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start() {
    const m = new MockServices();
    await new Promise((resolve, reject) => {
      m.server.once('error', reject);
      m.server.listen(0, '127.0.0.1', resolve);
    });
    m.port = m.server.address().port;
    m.url = `http://127.0.0.1:${m.port}`;
    return m;
  }

  // A new endpoint for one destination of `type`.
  endpoint(type) {
    if (!CHECKS[type]) throw new Error(`the mock does not play ${type}`);
    const key = crypto.randomBytes(6).toString('hex');
    const ep = new Endpoint(this, type, key);
    this.endpoints.set(`${type}/${key}`, ep);
    return ep;
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      // a client that went away (a killed server) is no error of the mock
      this.answer(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.destroy());
    });
  }

  async answer(req, res, body) {
    const url = new URL(req.url, this.url);
    const [, type, key] = url.pathname.split('/');
    const ep = this.endpoints.get(`${type}/${key}`);
    let json;
    try {
      json = body.length ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const rec = {
      at: Date.now(),
      type,
      method: req.method,
      path: ep ? url.pathname.slice(ep.prefix.length) || '/' : url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json,
      ok: false,
      problems: [],
    };
    this.requests.push(rec);
    if (!ep) {
      rec.problems.push('no such endpoint');
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"unknown endpoint"}');
      return;
    }
    const p = new Problems();
    try {
      CHECKS[type](rec, ep, p);
    } catch (e) {
      p.want(false, `the check threw: ${e.stack}`);
    }
    rec.problems = p.list;
    rec.ok = p.list.length === 0;
    ep.requests.push(rec);

    const a = ep.next();
    rec.answer = a;
    if (a.delayMs) await sleep(a.delayMs);
    if (a.dead) {
      req.socket.destroy();
      return;
    }
    const headers = { ...(a.headers || {}) };
    let out = a.body ?? '';
    if (a.json !== undefined) {
      out = JSON.stringify(a.json);
      headers['content-type'] = headers['content-type'] || 'application/json';
    }
    res.writeHead(a.status, headers);
    res.end(out);
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

module.exports = { MockServices, TYPES, CHECKS, basic };
