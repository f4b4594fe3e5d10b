// The console's one way to the management API: JSON over fetch with the session cookie, the CSRF
// header on every change, and API errors turned into an ApiError a page can show.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSessionLost: () => void = () => {};

export const setCsrfToken = (t: string | null) => {
  csrfToken = t;
};
export const whenSessionLost = (fn: () => void) => {
  onSessionLost = fn;
};

const BASE = '/admin/v1';

/** Words a person understands for what went wrong; the API's own message when it is specific. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return 'Roster cannot be reached. Check your connection and try again.';
    if (e.status === 403 && e.code === 'auth.forbidden') return 'Your role does not allow this.';
    if (e.status === 412) return 'Someone else changed this in the meantime. Reload to see their change.';
    if (e.status >= 500) return 'Roster could not do this just now. Try again in a moment.';
    const m = e.message;
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.');
  }
  return e instanceof Error ? e.message : String(e);
}

export interface Sent<T> {
  body: T;
  etag: string | null;
}

export async function call<T>(
  method: string,
  path: string,
  opts: { body?: unknown; query?: Record<string, string | number | boolean | undefined>; ifMatch?: string } = {},
): Promise<Sent<T>> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (opts.ifMatch) headers['if-match'] = opts.ifMatch;
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}${qs.size ? `?${qs}` : ''}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = json?.error ?? {};
    const e = new ApiError(res.status, err.code ?? 'error', err.message ?? res.statusText, err.field);
    if (res.status === 401 && path !== '/session') onSessionLost();
    throw e;
  }
  return { body: json as T, etag: res.headers.get('etag') };
}

export const get = async <T>(path: string, query?: Record<string, string | number | boolean | undefined>) =>
  (await call<T>('GET', path, { query })).body;
