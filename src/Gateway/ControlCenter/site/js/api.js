// The bearer token and the /v1 API. The token lives in sessionStorage (gone when the browser session ends); it is
// never put in a URL query string. mint-token --open prints a link with it in the fragment, which browsers never send
// to a server: the page takes it from there, stores it and removes it from the address bar.

const Key = 'autonomy.token';

/** Moves a token from the URL fragment (#token=...) into the session, and clears the fragment. */
export function takeTokenFromFragment() {
  const match = /^#(?:.*&)?token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  history.replaceState(null, '', location.pathname);
  return signIn(decodeURIComponent(match[1]));
}

export function token() {
  return sessionStorage.getItem(Key);
}

/** Stores a token when it reads as a JWT with a subject; the server decides what it may do. */
export function signIn(value) {
  const t = String(value ?? '').trim().replace(/^Bearer\s+/i, '');
  if (!claimsOf(t)) return false;
  sessionStorage.setItem(Key, t);
  return true;
}

export function signOut() {
  sessionStorage.removeItem(Key);
}

/**
 * The token's claims, read for display only (which views to show): tenant, roles, sub, expiry. Nothing is checked
 * here; every call is authorized by the server.
 */
export function claimsOf(t) {
  const parts = String(t ?? '').split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replaceAll('-', '+').replaceAll('_', '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof payload !== 'object' || payload === null || typeof payload.sub !== 'string') return null;
    const roles = [payload.role ?? []].flat().filter(r => typeof r === 'string');
    return {
      sub: payload.sub,
      tenant: typeof payload.tenant === 'string' ? payload.tenant : null,
      roles,
      expires: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
    };
  } catch {
    return null;
  }
}

export function session() {
  return claimsOf(token());
}

/** A failed call: the status and the problem details' title, detail and per-field errors. */
export class ApiError extends Error {
  constructor(status, problem) {
    const fields = Object.entries(problem?.errors ?? {}).map(([field, messages]) => `${field}: ${[messages].flat().join(' ')}`);
    super([problem?.detail ?? problem?.title ?? `HTTP ${status}`, ...fields].join(' '));
    this.status = status;
    this.problem = problem;
  }
}

export function headers(extra = {}) {
  return { Authorization: `Bearer ${token()}`, ...extra };
}

/** Calls the API: JSON in and out; a non-2xx answer throws an ApiError; a 401 also signals the page. */
export async function api(path, { method = 'GET', body, accept = 'application/json', raw = false } = {}) {
  const init = { method, cache: 'no-store', headers: headers({ Accept: accept }) };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  const response = await fetch(path, init);
  if (response.status === 401) window.dispatchEvent(new CustomEvent('autonomy:unauthorized'));
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      // Not a problem-details body.
    }
    throw new ApiError(response.status, problem);
  }

  if (raw) return response;
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : null;
}

/** The path of the signed-in tenant, with the rest appended (each part encoded). */
export function tenantPath(...parts) {
  const s = session();
  return ['/v1/tenants', s?.tenant ?? '-', ...parts].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');
}

/** A query string from the set values only. */
export function query(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
