// Talks to the agent that served this page: same origin, so the login cookie goes along and no
// token ever sits in a URL.

export class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** Called when the agent answers 401: the app shows the login form. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void { onUnauthorized = f; }

async function errorOf(res: Response): Promise<HttpError> {
  let text = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json() as { error?: unknown };
    if (typeof body.error === 'string') text = body.error;
  } catch { /* not JSON: keep the status line */ }
  if (res.status === 401) onUnauthorized();
  return new HttpError(res.status, text);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal });
  if (!res.ok) throw await errorOf(res);
  return await res.json() as T;
}

/** A state-changing request; the header proves it came from this page (a cross-site form can't set it). */
export async function post(path: string, body?: unknown): Promise<void> {
  const res = await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'x-corral-web': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res);
}

export const workloadPath = (ref: string, tail = '') => `/api/workloads/${encodeURIComponent(ref)}${tail}`;

/** A query string of the parameters that have a value. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * An EventSource with named handlers. The browser reconnects by itself after a network error; when
 * it gives up (an error status such as 401) onError says closed, so the caller can find out why.
 */
export function openStream(url: string, handlers: Record<string, (data: string) => void>, onError?: (closed: boolean) => void): () => void {
  const es = new EventSource(url, { withCredentials: true });
  for (const [name, f] of Object.entries(handlers)) es.addEventListener(name, (e) => f((e as MessageEvent<string>).data));
  es.onerror = () => onError?.(es.readyState === EventSource.CLOSED);
  return () => es.close();
}
