// web/api.js - the page's one way to the connectord API.
//
// The admin token lives in sessionStorage (gone when the tab closes) and travels only in the
// Authorization header of same-origin fetches; it is never put into a URL. Every failed call
// becomes an ApiError with the API's stable error code, its message and, for 422 answers,
// the field errors ({field, code, message}). A 401 on a call made with the stored token means
// the token was revoked or is wrong: the page is told once, through onUnauthorized().

const TOKEN_KEY = 'connectord.token';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    const e = body && typeof body === 'object' ? body.error || {} : {};
    super(e.message || (status ? `The server answered ${status}.` : 'The server cannot be reached.'));
    this.status = status;
    this.code = e.code || (status ? 'http_' + status : 'network');
    this.fields = Array.isArray(e.fields) ? e.fields : [];
    this.body = body;
  }
}

let unauthorized = () => {};

// fn(error) is called when a request with the stored token answers 401.
export function onUnauthorized(fn) {
  unauthorized = fn;
}

// method, path (under this origin), body (JSON, optional). opts.token: use this token
// instead of the stored one (sign-in checks a token before storing it). Resolves
// {status, json, headers}; rejects with ApiError.
export async function request(method, path, body, opts = {}) {
  const token = opts.token ?? session.token;
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, cache: 'no-store',
                              credentials: 'omit', redirect: 'error' });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json);
    if (res.status === 401 && opts.token === undefined) unauthorized(err);
    throw err;
  }
  return { status: res.status, json, headers: res.headers };
}

// The document store's two calls that are not JSON: a file as the raw body of an upload
// (its type is decided by the server from its content), and a file's bytes as a Blob.
export async function sendFile(path, file) {
  const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers, body: file, cache: 'no-store',
                              credentials: 'omit', redirect: 'error' });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return { status: res.status, json };
}

export async function fetchBlob(path) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const res = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', redirect: 'error' });
  if (!res.ok) throw new ApiError(res.status, null);
  return res.blob();
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body = {}) => request('POST', path, body),
  put: (path, body) => request('PUT', path, body),
  patch: (path, body) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
};

// A path segment, escaped.
export function seg(value) {
  return encodeURIComponent(String(value));
}
