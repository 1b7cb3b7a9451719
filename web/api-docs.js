// web/api-docs.js - renders the server's OpenAPI document (GET /api/openapi.json) as a
// readable page: the operations by tag, each with its role, parameters, request body and
// answers, schemas as trees whose $refs link to the shared schemas at the end. Text from the
// document goes into the page as text nodes (dom.js), never as markup.
import { h } from './dom.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const MAX_DEPTH = 4;

let doc;

function resolve(obj) {
  let o = obj;
  for (let i = 0; o && o.$ref && i < 10; i++) {
    o = o.$ref.replace(/^#\//, '').split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((x, k) => (x ? x[k] : undefined), doc);
  }
  return o || {};
}

function refName(ref) {
  return ref.split('/').pop();
}

function opId(method, path) {
  return `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

function typeText(s) {
  if (s.$ref) return null;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
  if (t === 'array' && s.items) return `array of ${s.items.$ref ? refName(s.items.$ref) : (s.items.type || 'any')}`;
  return t || (s.oneOf ? 'one of' : s.allOf ? 'all of' : 'any');
}

// A schema as a tree: properties with their types, required ones marked.
function schemaTree(schema, depth = 0) {
  if (!schema) return null;
  if (schema.$ref) {
    return h('span', {}, h('a', { href: `#schema-${refName(schema.$ref)}` }, refName(schema.$ref)));
  }
  const parts = [h('span', {}, typeText(schema))];
  if (schema.description) parts.push(h('span', { class: 'desc' }, ` ${schema.description}`));
  const kids = [];
  const required = new Set(schema.required || []);
  if (depth < MAX_DEPTH && schema.properties) {
    for (const [name, prop] of Object.entries(schema.properties)) {
      kids.push(h('li', {}, h('span', { class: required.has(name) ? 'req' : '' }, name),
                  required.has(name) ? '*' : '', ': ', schemaTree(prop, depth + 1)));
    }
  }
  if (depth < MAX_DEPTH && schema.items && !schema.items.$ref && schema.items.properties)
    kids.push(h('li', {}, 'items: ', schemaTree(schema.items, depth + 1)));
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    if (schema[key] && depth < MAX_DEPTH)
      kids.push(h('li', {}, `${key}: `, schema[key].map((s, i) => [i ? ', ' : '', schemaTree(s, depth + 1)])));
  }
  if (kids.length) parts.push(h('ul', {}, kids));
  return h('span', {}, parts);
}

function example(media) {
  let value = media.example;
  if (value === undefined && media.examples) {
    const first = Object.values(media.examples)[0];
    value = first && first.value;
  }
  if (value === undefined) return null;
  return h('details', {}, h('summary', {}, 'Example'),
           h('pre', { class: 'example' }, typeof value === 'string' ? value : JSON.stringify(value, null, 2)));
}

function content(c) {
  if (!c) return null;
  return Object.entries(c).map(([type, media]) => h('div', {},
    h('div', { class: 'op-meta' }, type),
    media.schema ? h('div', { class: 'schema' }, schemaTree(media.schema)) : null,
    example(media)));
}

function parametersTable(params) {
  if (!params.length) return null;
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, 'parameter'), h('th', {}, 'in'), h('th', {}, 'type'), h('th', {}, 'what'))),
    h('tbody', {}, params.map((p) => h('tr', {},
      h('td', {}, h('code', {}, p.name), p.required ? '*' : ''), h('td', {}, p.in),
      h('td', {}, p.schema ? typeText(resolve(p.schema)) : ''), h('td', {}, p.description || '')))));
}

function operation(path, method, op, item) {
  const params = [...(item.parameters || []), ...(op.parameters || [])].map(resolve);
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  const role = isPublic ? 'no token' : `bearer token${op['x-role'] ? `, ${op['x-role']}` : ''}`;
  const answers = Object.entries(op.responses || {}).map(([status, r]) => {
    const shared = r.$ref ? refName(r.$ref) : null;
    const res = resolve(r);
    return h('div', {}, h('strong', {}, status), ' ', res.description || '',
             shared ? [' (', h('a', { href: '#schema-Error' }, 'Error'), ')'] : content(res.content));
  });
  return h('section', { class: 'op', id: opId(method, path) },
    h('h3', {}, h('span', { class: `method method-${method}` }, method.toUpperCase()),
      h('span', { class: 'op-path' }, path), h('span', {}, op.summary || '')),
    h('div', { class: 'op-meta' }, role, op.operationId ? ` · ${op.operationId}` : ''),
    op.description ? h('p', {}, op.description) : null,
    parametersTable(params),
    op.requestBody ? [h('h4', {}, 'Request body'), content(resolve(op.requestBody).content)] : null,
    h('h4', {}, 'Answers'), answers);
}

function render() {
  const main = document.getElementById('main');
  const toc = document.getElementById('toc');
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      const tag = (item[m].tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, m, item[m], item]);
    }
  }
  const sections = [];
  const nav = [];
  for (const [tag, ops] of byTag) {
    nav.push(h('h2', {}, tag), h('ul', {}, ops.map(([p, m, op]) =>
      h('li', {}, h('a', { href: `#${opId(m, p)}` }, `${m.toUpperCase()} ${p}`)))));
    sections.push(h('h2', {}, tag), ops.map(([p, m, op, item]) => operation(p, m, op, item)));
  }
  const schemas = Object.entries(doc.components?.schemas || {}).map(([name, s]) =>
    h('section', { class: 'op', id: `schema-${name}` }, h('h3', {}, name),
      h('div', { class: 'schema' }, schemaTree(s))));
  nav.push(h('h2', {}, 'schemas'), h('ul', {}, Object.keys(doc.components?.schemas || {}).map((n) =>
    h('li', {}, h('a', { href: `#schema-${n}` }, n)))));
  toc.replaceChildren(...nav);
  main.replaceChildren(h('div', {},
    h('h1', {}, doc.info.title, ' ', h('span', { class: 'muted' }, doc.info.version)),
    doc.info.description ? h('p', {}, doc.info.description) : null,
    h('p', {}, 'Machine-readable: ', h('a', { href: '/api/openapi.json' }, '/api/openapi.json'), ' (OpenAPI ', doc.openapi, ').'),
    sections, h('h2', {}, 'Schemas'), schemas));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

async function main() {
  const res = await fetch('/api/openapi.json');
  if (!res.ok) throw new Error(`GET /api/openapi.json answered ${res.status}`);
  doc = await res.json();
  render();
}

main().catch((e) => {
  document.getElementById('main').replaceChildren(h('p', { role: 'alert' }, `The API reference could not be loaded: ${e.message}`));
});
