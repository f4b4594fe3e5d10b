import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/openapi.ts';
import { RosterError } from './errors.ts';
import type {
  AuditEvent,
  ImportJob,
  Manager,
  ManagerInput,
  ManagerPatch,
  ManagerWithKey,
  Session,
  SignIn,
  Tenant,
  TenantInput,
  TenantPatch,
  User,
  UserInput,
  UserList,
} from './types.ts';

export interface RosterOptions {
  /** Where Roster answers, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** An API key (the root key or a manager's): sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /**
   * Use the console's session cookie instead of a key. In a browser, `true` sends the page's cookies
   * (`credentials: 'include'`); elsewhere, pass the Cookie header value (`roster_session=…`).
   * `session.signIn` sets both this and the CSRF token for you.
   */
  session?: true | string;
  /** The session's CSRF token: sent as X-CSRF-Token on every request that changes something. */
  csrfToken?: string;
  /** Another fetch (tests, proxies); default: the global one. */
  fetch?: (input: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** The typed openapi-fetch client of every operation in Roster's OpenAPI document. */
export type RosterApi = Client<paths>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The console's session cookie, as a Set-Cookie header names it. */
const SESSION_COOKIE = /(?:^|,\s*)(roster_session=[^;,]*)/;

/** What openapi-fetch answers: data on success, the error body otherwise. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; any other answer throws a RosterError with the API's code. */
async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new RosterError(response.status, error, `${response.status} ${response.statusText}`);
  return data as T;
}

/** Follows a cursor until the last page, yielding every item: `for await (const x of pages(...))`. */
async function* follow<T>(page: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>) {
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    yield* p.items;
    cursor = p.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

export interface ListUsersOptions {
  tenant: number;
  /** Case-insensitive substring over username, email and names. */
  q?: string;
  /** e.g. `-lastName,firstName`; ties are broken by id. */
  sort?: string;
  /** Equality filters on core fields or custom attributes: `{ email: 'ada@example.com', 'attr.plan': 'gold' }`. */
  filters?: Record<string, string>;
  /** Page size (1–1000, default 50): how many users each request fetches. */
  limit?: number;
}

/** A precondition for writes: the ETag (or version) the change expects the user to be at. */
export interface WriteOptions {
  ifMatch?: string;
}

/**
 * A Roster client: `roster.api` is the typed client of every operation; `users`, `tenants`,
 * `managers`, `audit` and `imports` wrap the management API's with cursor iteration and errors
 * thrown as RosterError.
 */
export function createRoster(options: RosterOptions) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  // The session as it stands: set by the options, replaced by signIn, cleared by signOut.
  let cookie = typeof options.session === 'string' ? options.session : undefined;
  let csrfToken = options.csrfToken;
  const api: RosterApi = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.session === true ? { credentials: 'include' as const } : {}),
    // List filters are plain name=value pairs (email=…&attr.plan=…), not deepObject's filters[email]=…
    querySerializer: { object: { style: 'form', explode: true } },
  });
  api.use({
    onRequest({ request }) {
      if (cookie && !request.headers.has('cookie')) request.headers.set('cookie', cookie);
      if (csrfToken && !SAFE_METHODS.has(request.method)) request.headers.set('x-csrf-token', csrfToken);
      return request;
    },
  });
  const ifMatch = (o?: WriteOptions) => (o?.ifMatch ? { 'if-match': o.ifMatch } : {});

  const users = {
    /** Every user matching the options, page by page as the loop asks: `for await (const u of roster.users.list({ tenant }))`. */
    list(o: ListUsersOptions): AsyncGenerator<User> {
      return follow((cursor) => users.page({ ...o, cursor }));
    },
    /** One page of users and the cursor of the next (null on the last page). */
    page(o: ListUsersOptions & { cursor?: string; total?: boolean }): Promise<UserList> {
      const { tenant, filters, total, ...query } = o;
      return ok(
        api.GET('/admin/v1/tenants/{id}/users', {
          params: { path: { id: tenant }, query: { ...query, ...(total ? { total: 'exact' } : {}), filters } },
        }),
      );
    },
    get: (tenant: number, id: number): Promise<User> =>
      ok(api.GET('/admin/v1/tenants/{id}/users/{userId}', { params: { path: { id: tenant, userId: id } } })),
    create: (tenant: number, input: UserInput): Promise<User> =>
      ok(api.POST('/admin/v1/tenants/{id}/users', { params: { path: { id: tenant } }, body: input })),
    /** Changes only the fields sent. */
    update: (tenant: number, id: number, patch: UserInput, o?: WriteOptions): Promise<User> =>
      ok(
        api.PATCH('/admin/v1/tenants/{id}/users/{userId}', {
          params: { path: { id: tenant, userId: id } },
          headers: ifMatch(o),
          body: patch,
        }),
      ),
    /** Replaces the user: fields not sent are cleared. */
    replace: (tenant: number, id: number, input: UserInput, o?: WriteOptions): Promise<User> =>
      ok(
        api.PUT('/admin/v1/tenants/{id}/users/{userId}', {
          params: { path: { id: tenant, userId: id } },
          headers: ifMatch(o),
          body: input,
        }),
      ),
    delete: async (tenant: number, id: number, o?: WriteOptions): Promise<void> => {
      await ok(
        api.DELETE('/admin/v1/tenants/{id}/users/{userId}', {
          params: { path: { id: tenant, userId: id } },
          headers: ifMatch(o),
        }),
      );
    },
  };

  /** Tenants and managers page by id: the cursor is the last id seen. */
  const afterOf = (cursor?: string) => (cursor === undefined ? undefined : Number(cursor));

  const tenants = {
    list: (o: { limit?: number } = {}): AsyncGenerator<Tenant> =>
      follow((cursor) => ok(api.GET('/admin/v1/tenants', { params: { query: { ...o, after: afterOf(cursor) } } }))),
    get: (id: number): Promise<Tenant> => ok(api.GET('/admin/v1/tenants/{id}', { params: { path: { id } } })),
    create: (input: TenantInput): Promise<Tenant> => ok(api.POST('/admin/v1/tenants', { body: input })),
    update: (id: number, patch: TenantPatch): Promise<Tenant> =>
      ok(api.PATCH('/admin/v1/tenants/{id}', { params: { path: { id } }, body: patch })),
    delete: async (id: number): Promise<void> => {
      await ok(api.DELETE('/admin/v1/tenants/{id}', { params: { path: { id } } }));
    },
  };

  const managers = {
    list: (tenant: number, o: { limit?: number } = {}): AsyncGenerator<Manager> =>
      follow((cursor) =>
        ok(
          api.GET('/admin/v1/tenants/{id}/managers', {
            params: { path: { id: tenant }, query: { ...o, after: afterOf(cursor) } },
          }),
        ),
      ),
    get: (id: number): Promise<Manager> => ok(api.GET('/admin/v1/managers/{id}', { params: { path: { id } } })),
    /** The answer holds the new manager's API key: it is shown this once. */
    create: (tenant: number, input: ManagerInput): Promise<ManagerWithKey> =>
      ok(api.POST('/admin/v1/tenants/{id}/managers', { params: { path: { id: tenant } }, body: input })),
    update: (id: number, patch: ManagerPatch): Promise<Manager> =>
      ok(api.PATCH('/admin/v1/managers/{id}', { params: { path: { id } }, body: patch })),
    delete: async (id: number): Promise<void> => {
      await ok(api.DELETE('/admin/v1/managers/{id}', { params: { path: { id } } }));
    },
    /** A new key; the old one stops working at once. */
    rotateKey: (id: number): Promise<ManagerWithKey> =>
      ok(api.POST('/admin/v1/managers/{id}/key', { params: { path: { id } } })),
  };

  const audit = {
    list: (o: { tenant: number; actor?: string; target?: string; action?: string; limit?: number }) => {
      const { tenant, ...query } = o;
      return follow<AuditEvent>((cursor) =>
        ok(api.GET('/admin/v1/tenants/{id}/audit', { params: { path: { id: tenant }, query: { ...query, cursor } } })),
      );
    },
  };

  const imports = {
    /** Starts an import of an NDJSON or CSV file; the job answers at once (state queued): poll it with get. */
    start: (o: {
      tenant: number;
      file: string;
      format: 'ndjson' | 'csv';
      mode?: 'create' | 'upsert';
      dryRun?: boolean;
      atomic?: boolean;
    }): Promise<ImportJob> => {
      const { tenant, file, format, ...query } = o;
      const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      return ok(
        api.POST('/admin/v1/tenants/{id}/imports', {
          params: { path: { id: tenant }, query },
          headers: { 'content-type': type },
          body: file,
          bodySerializer: (b: unknown) => b as string,
        }),
      );
    },
    get: (tenant: number, job: number): Promise<ImportJob> =>
      ok(api.GET('/admin/v1/tenants/{id}/imports/{jobId}', { params: { path: { id: tenant, jobId: job } } })),
  };

  const session = {
    /**
     * Signs in to the console (a manager's email and password, or the root key): later calls carry
     * the session cookie (kept here outside a browser) and the CSRF token.
     */
    signIn: async (body: SignIn): Promise<Session> => {
      const { data, error, response } = await api.POST('/admin/v1/session', { body });
      if (!response.ok || !data) throw new RosterError(response.status, error);
      const set = SESSION_COOKIE.exec(response.headers.get('set-cookie') ?? '');
      if (set) cookie = set[1];
      csrfToken = data.csrfToken ?? undefined;
      return data;
    },
    /** Who is signed in (by session or key). */
    get: (): Promise<Session> => ok(api.GET('/admin/v1/session')),
    /** Ends the session at once. */
    signOut: async (): Promise<void> => {
      await ok(api.DELETE('/admin/v1/session'));
      cookie = undefined;
      csrfToken = undefined;
    },
  };

  return { api, users, tenants, managers, audit, imports, session };
}

export type Roster = ReturnType<typeof createRoster>;
