// tests/e2e/lib/openapi.js - holds real answers against the OpenAPI document the server
// serves (GET /api/openapi.json): finds the operation a request hit, the response the
// document gives for its status, and validates the JSON body against that schema with ajv
// (JSON Schema 2020-12, as OpenAPI 3.1 uses). Formats are not checked (the schemas' own
// patterns are); unknown keywords (example, OpenAPI's own) are allowed.
'use strict';

const Ajv2020 = require('ajv/dist/2020');

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

class OpenApiChecker {
  constructor(doc) {
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema(doc, 'openapi.json');
    this.cache = new Map();
    // Literal paths first, so /api/invoices/from-time-entries wins over /api/invoices/{id}.
    this.paths = Object.keys(doc.paths).map((p) => ({
      path: p,
      params: (p.match(/\{/g) || []).length,
      re: new RegExp('^' + p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$'),
    })).sort((a, b) => a.params - b.params);
  }

  // The document's path template and operation for a request, or null.
  operation(method, pathname) {
    const m = method.toLowerCase();
    for (const p of this.paths) {
      if (p.re.test(pathname) && this.doc.paths[p.path][m])
        return { path: p.path, method: m, op: this.doc.paths[p.path][m] };
    }
    return null;
  }

  resolve(obj) {
    while (obj && obj.$ref) {
      const parts = obj.$ref.replace(/^#\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      obj = parts.reduce((o, k) => o?.[k], this.doc);
    }
    return obj;
  }

  // Problems with one answer ([] when it fits): res is {status, headers, text, json}.
  check(method, url, res) {
    const pathname = new URL(url, 'http://x').pathname;
    const found = this.operation(method, pathname);
    if (!found && res.status === 405 && this.paths.some((p) => p.re.test(pathname)))
      return this.fits(res, '#/components/schemas/Error', `${method} ${pathname} -> 405`);
    if (!found) return [`${method} ${pathname}: no operation in the document`];
    const where = `${method} ${found.path} -> ${res.status}`;
    const responses = found.op.responses;
    const key = [String(res.status), `${String(res.status)[0]}XX`, 'default'].find((k) => responses[k]);
    if (!key) return [`${where}: the status is not documented`];
    const response = this.resolve(responses[key]);
    const type = (res.headers.get('content-type') || '').split(';')[0].trim();
    if (!response.content || res.status === 204 || !res.text) {
      return response.content && res.text === '' && res.status !== 204 && res.status !== 202
        ? [`${where}: empty body where the document promises ${Object.keys(response.content)}`] : [];
    }
    const media = response.content[type] || response.content['*/*'];
    if (!media) return [`${where}: ${type} is not among ${Object.keys(response.content)}`];
    if (!/^application\/(.+\+)?json$/.test(type) || !media.schema) return [];
    if (res.json === undefined) return [`${where}: the body is not JSON`];
    const ptr = ['paths', found.path, found.method, 'responses', key].map(esc).join('/');
    const ref = typeof responses[key].$ref === 'string'
      ? `${responses[key].$ref}/content/${esc(type)}/schema`
      : `#/${ptr}/content/${esc(type)}/schema`;
    return this.fits(res, ref, where);
  }

  // Problems of res.json against the schema at ref (a pointer into the document).
  fits(res, ref, where) {
    if (res.json === undefined) return [`${where}: the body is not JSON`];
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${ref}` });
      this.cache.set(ref, validate);
    }
    if (validate(res.json)) return [];
    return validate.errors.slice(0, 5).map((e) => `${where}: ${e.instancePath || '/'} ${e.message} ` +
                                               `(${e.schemaPath}) in ${res.text.slice(0, 300)}`);
  }
}

function esc(s) {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

async function loadChecker(server) {
  const res = await server.request('/api/openapi.json');
  if (res.status !== 200) throw new Error(`GET /api/openapi.json: ${res.status} ${res.text}`);
  return new OpenApiChecker(res.json);
}

module.exports = { OpenApiChecker, loadChecker, METHODS };
