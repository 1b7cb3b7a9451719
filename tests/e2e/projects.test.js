// Projects: GET/POST /api/projects, a default project per tenant whose id is the tenant's
// (so the /api/projects/<tenant id>/... URLs keep working), destinations and events that
// belong to a project, plan limits counted over all of a tenant's projects, and a wrong
// project id that answers 404 naming the projects that exist.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { startServer } = require('./lib/server');
const { MockServices } = require('./lib/mock-services');
const { Project } = require('./lib/outbound');

describe('projects', () => {
  let server;
  let mock;
  let p;
  let second;

  before(async () => {
    mock = await MockServices.start();
    server = await startServer();
    p = await Project.create(server, 'pro', 'Projects GmbH');
  });

  after(async () => {
    await server?.stop();
    await mock?.stop();
  });

  test('a new tenant has its default project, whose id is the tenant id', async () => {
    const res = await p.req('GET', '/api/projects');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.projects.map((x) => [x.id, x.name, x.default]),
                     [[p.id, 'Projects GmbH', true]]);
  });

  test('POST /api/projects makes a project (admin only); its name is checked', async () => {
    const res = await p.req('POST', '/api/projects', { name: 'Shop B' });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json.id, /^prj_/);
    assert.equal(res.json.name, 'Shop B');
    assert.equal(res.json.default, false);
    second = res.json.id;
    const list = await p.req('GET', '/api/projects');
    assert.deepEqual(list.json.projects.map((x) => x.id), [p.id, second]);
    for (const body of [{}, { name: '' }, { name: 7 }, { name: 'x'.repeat(201) }]) {
      const bad = await p.req('POST', '/api/projects', body);
      assert.equal(bad.status, 422, `${JSON.stringify(body)}: ${bad.text}`);
      assert.equal(bad.json.error.code, 'validation_failed');
    }
    const unknown = await p.req('POST', '/api/projects', { name: 'x', color: 'red' });
    assert.equal(unknown.status, 422, unknown.text);
    const member = await server.createToken(p.id, 'member');
    const denied = await server.request('/api/projects', { method: 'POST', token: member, json: { name: 'no' } });
    assert.equal(denied.status, 403, denied.text);
    const audit = await p.req('GET', '/api/audit-log?limit=50');
    const entries = audit.json.entries ?? audit.json;
    assert.ok(entries.some((e) => e.action === 'project.create' && e.target === second),
              JSON.stringify(entries));
  });

  test('destinations belong to their project: listed, read and changed there only', async () => {
    const a = mock.endpoint('zapier');
    const b = mock.endpoint('zapier');
    await p.destination(a, ['endpoint.created']);
    const inSecond = new Project(server, { tenantId: second, token: p.token });
    const created = await inSecond.destination(b, ['endpoint.created']);
    assert.equal(created.projectId, second);
    assert.equal((await p.connector(a.connectorId)).projectId, p.id);
    const listA = await p.req('GET', `${p.base}/connectors`);
    assert.deepEqual(listA.json.connectors.map((c) => c.id), [a.connectorId]);
    const listB = await p.req('GET', `/api/projects/${second}/connectors`);
    assert.deepEqual(listB.json.connectors.map((c) => c.id), [b.connectorId]);
    // another project's destination is not found through this project
    const cross = await p.req('GET', `${p.base}/connectors/${b.connectorId}`);
    assert.equal(cross.status, 404, cross.text);
    const crossPatch = await p.req('PATCH', `/api/projects/${second}/connectors/${a.connectorId}`, { name: 'x' });
    assert.equal(crossPatch.status, 404, crossPatch.text);
    const crossDeliveries = await p.req('GET', `/api/projects/${second}/connectors/${a.connectorId}/deliveries`);
    assert.equal(crossDeliveries.status, 404, crossDeliveries.text);

    // an event published to a project goes to that project's destinations only, and names it
    const ev = await inSecond.publish('endpoint.created', { name: 'only B' });
    assert.equal(ev.projectId, second);
    assert.equal(ev.deliveries, 1);
    await inSecond.settled(b.connectorId, ev.id, 'delivered');
    await b.waitFor(1);
    assert.equal(b.requests[0].json.projectId, second);
    const evA = await p.publish('endpoint.created', { name: 'only A' });
    assert.equal(evA.projectId, p.id);
    await p.settled(a.connectorId, evA.id, 'delivered');
    assert.equal(a.requests.length, 1);
    assert.equal(b.requests.length, 1);
    // each project lists its own events
    assert.deepEqual((await inSecond.events()).map((e) => e.id), [ev.id]);
    assert.deepEqual((await p.events()).map((e) => e.id), [evA.id]);
  });

  test('a wrong project id is 404 and names the projects that exist', async () => {
    for (const path of ['/connectors', '/events', '/connectors/con_x/deliveries']) {
      const res = await p.req('GET', `/api/projects/prj_nope${path}`);
      assert.equal(res.status, 404, res.text);
      assert.equal(res.json.error.code, 'not_found');
      assert.match(res.json.error.message, new RegExp(`${p.id}.*${second}`));
      assert.deepEqual(res.json.error.projects, [p.id, second]);
    }
    const publish = await p.req('POST', '/api/projects/prj_nope/events', { type: 'endpoint.created', data: {} });
    assert.equal(publish.status, 404, publish.text);
    assert.deepEqual(publish.json.error.projects, [p.id, second]);
  });

  test("another tenant's project is 404, and its ids are never named", async () => {
    const other = await Project.create(server, 'pro', 'Other AG');
    for (const id of [p.id, second]) {
      const res = await other.req('GET', `/api/projects/${id}/connectors`);
      assert.equal(res.status, 404, res.text);
      assert.deepEqual(res.json.error.projects, [other.id]);
      assert.ok(!res.text.includes(p.id) && !res.text.includes(second), res.text);
    }
    const list = await other.req('GET', '/api/projects');
    assert.deepEqual(list.json.projects.map((x) => x.id), [other.id]);
  });

  test("the plan's destination limit counts the destinations of all the tenant's projects", async () => {
    // pro allows 5; two exist (one per project)
    const inSecond = new Project(server, { tenantId: second, token: p.token });
    await p.destination(mock.endpoint('slack'), ['payment.settled']);
    await inSecond.destination(mock.endpoint('slack'), ['payment.settled']);
    await inSecond.destination(mock.endpoint('slack'), ['payment.settled']);
    const over = await p.req('POST', `${p.base}/connectors`,
                             { type: 'slack', config: mock.endpoint('slack').config, eventTypes: ['*'] });
    assert.equal(over.status, 403, over.text);
    assert.equal(over.json.error.code, 'limit_reached');
    assert.equal(over.json.error.limit, 5);
    const overSecond = await p.req('POST', `/api/projects/${second}/connectors`,
                                   { type: 'slack', config: mock.endpoint('slack').config, eventTypes: ['*'] });
    assert.equal(overSecond.status, 403, overSecond.text);
  });
});
