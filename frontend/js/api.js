/**
 * Talking to the trainui REST API under `<base>api/v1/`, and the connection status that
 * follows from it (shown in the header).
 *
 * All URLs derive from `document.baseURI` (the page's `<base href>`), so the app works when
 * the server is mounted under a sub-path.
 */

export const API_ROOT = new URL('api/v1/', document.baseURI);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let connection = { state: 'connecting', since: Date.now(), message: '' };
const listeners = new Set();

/** Call `fn(connection)` on every change; returns the unsubscribe function. */
export function onConnectionChange(fn) {
  listeners.add(fn);
  fn(connection);
  return () => listeners.delete(fn);
}

function setConnection(state, message = '') {
  if (connection.state === state && connection.message === message) return;
  connection = { state, since: Date.now(), message };
  for (const fn of listeners) fn(connection);
}

/** The absolute URL of an API path such as "results/3/logs?x=epoch". */
export function apiUrl(path) {
  return new URL(path, API_ROOT).toString();
}

/** Query string from an object, leaving out null/undefined values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * JSON request; resolves to the parsed body, rejects with ApiError carrying the server's
 * `{"error", "message"}` (or a network error, status 0).
 */
export async function api(path, { method = 'GET', body, signal } = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      signal,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    setConnection('offline', 'Cannot reach the trainui server');
    throw new ApiError(0, 'network', 'Cannot reach the trainui server. Is `trainui server` running?');
  }
  if (response.status >= 500) setConnection('degraded', `Server error ${response.status}`);
  else setConnection('online');
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data?.message || `${response.status} ${response.statusText || 'error'}`;
    throw new ApiError(response.status, data?.error || 'http_error', message);
  }
  return data;
}

/** The human-readable message of any error the app catches. */
export function errorMessage(err) {
  if (err instanceof ApiError) return err.message;
  return err?.message || String(err);
}
