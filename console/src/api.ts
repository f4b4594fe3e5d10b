// The console's one way to the management API: Roster's typed client (@roster/client) with the
// session cookie and the CSRF header on every change, and API errors turned into an ApiError a page can show.
import { createRoster, RosterError, type Roster } from '@roster/client';
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

let onSessionLost: () => void = () => {};

/** The typed client of Roster's API, sending the page's session cookie and (once known) its CSRF token. */
let roster: Roster = createRoster({ baseUrl: window.location.origin, session: true });

export const setCsrfToken = (t: string | null) => {
  roster = createRoster({ baseUrl: window.location.origin, session: true, ...(t ? { csrfToken: t } : {}) });
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

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One request through the client's typed openapi-fetch instance (the console builds paths from the
 * ids it shows, so the path is given whole rather than as a template with parameters).
 */
export async function call<T>(
  method: Method,
  path: string,
  opts: {
    body?: unknown;
    query?: Record<string, string | number | boolean | undefined>;
    ifMatch?: string;
    /** Sends the body as it is (a file) with this type instead of as JSON. */
    contentType?: string;
    /** Reads the answer as a Blob (a download) instead of as JSON. */
    blob?: boolean;
  } = {},
): Promise<Sent<T>> {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') query[k] = String(v);
  const init = {
    params: { query },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    headers: {
      ...(opts.ifMatch ? { 'if-match': opts.ifMatch } : {}),
      ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
    },
    ...(opts.contentType ? { bodySerializer: (b: unknown) => b } : {}),
    ...(opts.blob ? { parseAs: 'blob' } : {}),
  };
  let answer: { data?: unknown; error?: unknown; response: Response };
  try {
    answer = await (roster.api[method] as (p: string, i: unknown) => Promise<typeof answer>)(`${BASE}${path}`, init);
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  const { data, error, response } = answer;
  if (!response.ok) {
    const r = new RosterError(response.status, error, response.statusText);
    const field = (error as { error?: { field?: unknown } } | undefined)?.error?.field;
    if (response.status === 401 && path !== '/session') onSessionLost();
    throw new ApiError(response.status, r.code, r.message, typeof field === 'string' ? field : undefined);
  }
  return { body: (data ?? null) as T, etag: response.headers.get('etag') };
}

export const get = async <T>(path: string, query?: Record<string, string | number | boolean | undefined>) =>
  (await call<T>('GET', path, { query })).body;
