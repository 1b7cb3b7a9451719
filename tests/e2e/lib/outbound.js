// tests/e2e/lib/outbound.js - a project (tenant) as the outbound tests drive it: destinations
// that point at the mock services, events published through the API, and readers for the
// deliveries API; plus which destination types the server has registered.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT, sleep } = require('./server');

// The destination types the server has, from the one list that registers them
// (src/outbound/destinations.def: one DESTINATION(name) line each).
function registeredDestinations() {
  const def = fs.readFileSync(path.join(REPO_ROOT, 'src/outbound/destinations.def'), 'utf8');
  return new Set([...def.matchAll(/^DESTINATION\((\w+)\)/gm)].map((m) => m[1]));
}

// Polls fn() until it returns a truthy value; fails with `what` after timeoutMs.
async function eventually(fn, what, timeoutMs = 8000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

class Project {
  constructor(server, tenant) {
    this.server = server;
    this.id = tenant.tenantId;
    this.token = tenant.token;
  }

  static async create(server, plan = 'enterprise', name = `Outbound ${Date.now()} ${Math.random()}`) {
    return new Project(server, await server.createTenant(name, plan));
  }

  req(method, pathname, json) {
    return this.server.request(pathname, { method, token: this.token, json });
  }

  get base() {
    return `/api/projects/${this.id}`;
  }

  // Creates a destination of ep's type with ep's config; keeps the signing secret of the
  // generic webhook types on ep (the mock verifies with it). Resolves the created connector.
  async destination(ep, eventTypes = ['*'], extraConfig = {}) {
    const res = await this.req('POST', `${this.base}/connectors`,
                               { type: ep.type, config: { ...ep.config, ...extraConfig }, eventTypes });
    assert.equal(res.status, 201, `create ${ep.type}: ${res.text}`);
    if (res.json.signingSecret) ep.signingSecret = res.json.signingSecret;
    ep.connectorId = res.json.id;
    return res.json;
  }

  async patch(connectorId, body) {
    const res = await this.req('PATCH', `${this.base}/connectors/${connectorId}`, body);
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  async connector(connectorId) {
    const res = await this.req('GET', `${this.base}/connectors/${connectorId}`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  // POST /events; resolves the answer (the envelope plus "deliveries").
  async publish(type, data = {}) {
    const res = await this.req('POST', `${this.base}/events`, { type, data });
    assert.equal(res.status, 201, `publish ${type}: ${res.text}`);
    return res.json;
  }

  async events(query = {}) {
    const q = new URLSearchParams(query);
    const res = await this.req('GET', `${this.base}/events?${q}`);
    assert.equal(res.status, 200, res.text);
    return res.json.events;
  }

  // Every delivery of a connector (all pages), newest first.
  async deliveries(connectorId, query = {}) {
    const out = [];
    let cursor = null;
    for (;;) {
      const q = new URLSearchParams({ ...query, limit: '100' });
      if (cursor) q.set('cursor', cursor);
      const res = await this.req('GET', `${this.base}/connectors/${connectorId}/deliveries?${q}`);
      assert.equal(res.status, 200, res.text);
      out.push(...res.json.deliveries);
      if (!res.json.nextCursor) return out;
      cursor = res.json.nextCursor;
    }
  }

  async delivery(connectorId, deliveryId) {
    const res = await this.req('GET', `${this.base}/connectors/${connectorId}/deliveries/${deliveryId}`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  // The one delivery of an event to a connector.
  async deliveryOf(connectorId, eventId) {
    const list = (await this.deliveries(connectorId)).filter((d) => d.eventId === eventId);
    assert.equal(list.length, 1, `deliveries of ${eventId}: ${JSON.stringify(list)}`);
    return this.delivery(connectorId, list[0].id);
  }

  // Waits until the delivery of an event to a connector has `status`; resolves it with its
  // attempts.
  async settled(connectorId, eventId, status, timeoutMs = 8000) {
    return eventually(async () => {
      const list = (await this.deliveries(connectorId)).filter((d) => d.eventId === eventId);
      if (list.length !== 1 || list[0].status !== status) return null;
      return this.delivery(connectorId, list[0].id);
    }, `delivery of ${eventId} to ${connectorId} is ${status}`, timeoutMs);
  }
}

module.exports = { Project, eventually, registeredDestinations };
