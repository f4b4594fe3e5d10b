import { bearer, http, randomId, type BenchContext } from './context.ts';
import { load, type LoadOptions, type Measured } from './load.ts';
import { LIST_COMPANY, usernameOf } from './seed.ts';
import { startBareServer } from './bare-process.ts';
import { hashCeiling } from './bare-hash.ts';
import { loadConfig } from '../src/config.ts';

export interface Target {
  /** e.g. "≥ 0.55 × /health req/s" */
  text: string;
  met: boolean;
  /** The target is stated for another setting (e.g. 1,000,000 users): reported, not judged. */
  informational?: boolean;
}

export interface ScenarioResult extends Partial<Measured> {
  name: string;
  title: string;
  skipped?: string;
  /** req/s ÷ /health req/s of the same run. */
  ratio?: number;
  target?: Target;
  extra?: Record<string, unknown>;
  /** For ratio targets: the minimum ratio (lets the runner judge again against another baseline). */
  ratioMin?: number;
  /** Highest RSS of the server sampled during the scenario. */
  rssMaxMiB?: number;
  /** Measured on the bare baseline server, not Roster (its RSS is not Roster's). */
  baseline?: boolean;
}

/** Results so far in this run (baselines for ratios and for the p99-under-load comparison). */
export type Done = Map<string, ScenarioResult>;

export interface Scenario {
  name: string;
  title: string;
  run(ctx: BenchContext, done: Done): Promise<ScenarioResult>;
}

/** 1,000 requests for random users, cycled through by every connection. */
const randomPaths = (path: (id: number) => string, ctx: BenchContext) =>
  Array.from({ length: 1000 }, () => path(randomId(ctx)));

/** `n` picks from `items` in random order. */
const shuffled = (items: string[], n: number) =>
  Array.from({ length: n }, () => items[Math.floor(Math.random() * items.length)]);

const skip = (s: { name: string; title: string }, why: string): ScenarioResult => ({
  name: s.name,
  title: s.title,
  skipped: why,
});

/** Runs one request; answers null when it succeeded, else why the scenario cannot run. */
async function probe(
  ctx: BenchContext,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<string | null> {
  const r = await http(ctx.base, method, path, opts);
  if (r.status >= 200 && r.status < 300) return null;
  const noRoute = r.status === 404 && /no route/i.test(r.body);
  return `${method} ${path.split('?')[0]} answered ${r.status}${noRoute ? ' (route not registered: dialect not landed)' : `: ${r.body.slice(0, 160)}`}`;
}

export function healthRps(done: Done): number {
  return done.get('health')?.rps ?? NaN;
}

/** Warm-up (discarded), then the measured run. */
async function measure(
  ctx: BenchContext,
  o: Omit<LoadOptions, 'base' | 'connections' | 'duration'> & { connections?: number },
): Promise<Measured> {
  const base = { base: ctx.base, connections: o.connections ?? ctx.connections };
  // Sub-second runs are smoke checks: no warm-up.
  if (ctx.duration >= 1) await load({ ...o, ...base, duration: Math.min(2, ctx.duration / 5), amount: undefined });
  const cpu0 = ctx.serverCpu();
  const m = await load({ ...o, ...base, duration: ctx.duration });
  return { ...m, cpuUs: ((ctx.serverCpu() - cpu0) * 1e6) / Math.max(1, m.total) };
}

function ratioTarget(r: ScenarioResult, done: Done, min: number): ScenarioResult {
  const ratio = r.rps! / healthRps(done);
  return { ...r, ratio, ratioMin: min, target: { text: `≥ ${min} × /health`, met: ratio >= min && r.errors === 0 } };
}

const health: Scenario = {
  name: 'health',
  title: 'GET /health',
  async run(ctx) {
    const m = await measure(ctx, { path: '/health' });
    return { name: this.name, title: this.title, ...m, ratio: 1 };
  },
};

/** GET one user by id with key auth, through a dialect. */
function getById(
  name: string,
  title: string,
  path: (ctx: BenchContext, id: number) => string,
  headers: (ctx: BenchContext) => Record<string, string>,
): Scenario {
  return {
    name,
    title,
    async run(ctx, done) {
      const why = await probe(ctx, 'GET', path(ctx, ctx.firstId), { headers: headers(ctx) });
      if (why) return skip(this, why);
      const m = await measure(ctx, { headers: headers(ctx), paths: randomPaths((id) => path(ctx, id), ctx) });
      return ratioTarget({ name, title, ...m }, done, ctx.db === 'postgres' ? 0.25 : 0.55);
    },
  };
}

const getAccounts = getById(
  'get-accounts',
  'GET /api/v1/account/accounts/{id} (Accounts, admin_api_key)',
  (_c, id) => `/api/v1/account/accounts/${id}`,
  (c) => ({ admin_api_key: c.keys.viewer, accept: 'application/json' }),
);
const getUsr = getById(
  'get-usr',
  'GET /usr/{userId} (/usr, Bearer)',
  (_c, id) => `/usr/${id}`,
  (c) => bearer(c.keys.viewer),
);
const getScim = getById(
  'get-scim',
  'GET /scim/v2/Users/{id} (SCIM, Bearer)',
  (_c, id) => `/scim/v2/Users/${id}`,
  (c) => bearer(c.keys.viewer),
);
const getAdmin = getById(
  'get-admin',
  'GET /admin/v1/tenants/{t}/users/{id} (management API)',
  (c, id) => `/admin/v1/tenants/${c.tenantId}/users/${id}`,
  (c) => bearer(c.keys.viewer),
);

/** Runs `fn` against the bare server (its base URL and its own CPU), started for it and stopped after. */
async function onBareServer<T>(ctx: BenchContext, fn: (on: BenchContext) => Promise<T>): Promise<T> {
  const bare = await startBareServer(ctx.databaseUrl);
  try {
    return await fn({ ...ctx, base: bare.base, serverCpu: () => bare.cpuSeconds() });
  } finally {
    await bare.stop();
  }
}

/**
 * The ceiling for GET by id on this machine: bare Fastify reading the same user row from the same
 * database (bare-server.ts), with the same load. The GET targets are ratios to /health; this shows
 * how much of that ratio the database read and the HTTP answer alone already take.
 */
const bareGet: Scenario = {
  name: 'bare-get',
  title: 'GET /tenants/{t}/users/{id} on bare Fastify + the same database (no auth; the ceiling, not Roster)',
  run(ctx, done) {
    return onBareServer(ctx, async (on) => {
      const why = await probe(on, 'GET', `/tenants/${ctx.tenantId}/users/${ctx.firstId}`);
      if (why) return skip(this, why);
      const m = await measure(on, { paths: randomPaths((id) => `/tenants/${ctx.tenantId}/users/${id}`, ctx) });
      return { name: this.name, title: this.title, ...m, ratio: m.rps / healthRps(done), baseline: true };
    });
  },
};

function listTarget(ctx: BenchContext, r: ScenarioResult): ScenarioResult {
  return {
    ...r,
    target: {
      text: 'p99 ≤ 25 ms (1,000,000 users, 10 connections)',
      met: r.p99! <= 25 && r.errors === 0,
      informational: ctx.users < 1_000_000,
    },
  };
}

const company = encodeURIComponent(LIST_COMPANY);

const listAccounts: Scenario = {
  name: 'list-accounts',
  title: `GET /api/v1/account/accounts?limit=50&sort=-lastName&attributes[company]=… (first page)`,
  async run(ctx) {
    const path = `/api/v1/account/accounts?limit=50&sort=-lastName&attributes%5Bcompany%5D=${company}`;
    const headers = { admin_api_key: ctx.keys.viewer, accept: 'application/json' };
    const why = await probe(ctx, 'GET', path, { headers });
    if (why) return skip(this, why);
    const m = await measure(ctx, { path, headers });
    return listTarget(ctx, { name: this.name, title: this.title, ...m });
  },
};

/** Keyset pages at every depth of one filtered, sorted list (cursors collected by walking it first). */
const listCursor: Scenario = {
  name: 'list-cursor',
  title: 'GET /admin/v1/tenants/{t}/users?limit=50&sort=-lastName&company=… (cursor pages at every depth)',
  async run(ctx) {
    const first = `/admin/v1/tenants/${ctx.tenantId}/users?limit=50&sort=-lastName&company=${company}`;
    const headers = bearer(ctx.keys.viewer);
    const paths = [first];
    for (let cursor: string | null = null, i = 0; i < 200; i++) {
      const r = await http(ctx.base, 'GET', cursor ? `${first}&cursor=${encodeURIComponent(cursor)}` : first, {
        headers,
      });
      if (r.status !== 200) return skip(this, `GET ${first} answered ${r.status}: ${r.body.slice(0, 160)}`);
      cursor = (r.json() as { nextCursor: string | null }).nextCursor;
      if (!cursor) break;
      paths.push(`${first}&cursor=${encodeURIComponent(cursor)}`);
    }
    const m = await measure(ctx, { headers, paths: shuffled(paths, 1000) });
    return listTarget(ctx, { name: this.name, title: this.title, ...m, extra: { pages: paths.length } });
  },
};

const scimFilter: Scenario = {
  name: 'scim-filter',
  title: 'GET /scim/v2/Users?filter=userName eq "…"',
  async run(ctx, done) {
    const path = (i: number) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${usernameOf(i)}"`)}`;
    const headers = bearer(ctx.keys.viewer);
    const why = await probe(ctx, 'GET', path(1), { headers });
    if (why) return skip(this, why);
    const m = await measure(ctx, {
      headers,
      paths: Array.from({ length: 1000 }, () => path(1 + Math.floor(Math.random() * ctx.users))),
    });
    return { name: this.name, title: this.title, ...m, ratio: m.rps / healthRps(done) };
  },
};

/** A new user per request (unique names per scenario and run). */
function newUsers(ctx: BenchContext, prefix: string): () => string {
  let n = 0;
  return () => {
    const u = `${prefix}${ctx.runTag}x${n++}`;
    return JSON.stringify({
      username: u,
      email: `${u}@example.org`,
      firstName: 'New',
      lastName: 'User',
      company: 'Acme 1',
      attributes: { tier: 'gold' },
    });
  };
}

const create: Scenario = {
  name: 'create',
  title: 'POST /admin/v1/tenants/{t}/users (no password)',
  async run(ctx) {
    const path = `/admin/v1/tenants/${ctx.tenantId}/users`;
    const body = newUsers(ctx, 'c');
    const headers = { ...bearer(ctx.keys.editor), 'content-type': 'application/json' };
    const why = await probe(ctx, 'POST', path, { headers, body: body() });
    if (why) return skip(this, why);
    const m = await measure(ctx, { method: 'POST', headers, next: () => ({ path, body: body() }) });
    return {
      name: this.name,
      title: this.title,
      ...m,
      target: { text: '≥ 5,000 /s', met: m.rps >= 5000 && m.errors === 0 },
    };
  },
};

/** The ceiling for creation: bare Fastify inserting the same user rows, one transaction each (bare-server.ts). */
const bareCreate: Scenario = {
  name: 'bare-create',
  title:
    'POST /tenants/{t}/users on bare Fastify + the same database (one insert, no validation or audit; the ceiling, not Roster)',
  run(ctx) {
    return onBareServer(ctx, async (on) => {
      const path = `/tenants/${ctx.tenantId}/users`;
      const body = newUsers(ctx, 'b');
      const headers = { 'content-type': 'application/json' };
      const why = await probe(on, 'POST', path, { headers, body: body() });
      if (why) return skip(this, why);
      const m = await measure(on, { method: 'POST', headers, next: () => ({ path, body: body() }) });
      return { name: this.name, title: this.title, ...m, baseline: true };
    });
  },
};

function signupRequests(ctx: BenchContext, prefix: string) {
  let n = 0;
  return {
    headers: { 'content-type': 'application/json', 'x-roster-tenant': ctx.licenseCode },
    next: () => {
      const u = `${prefix}${ctx.runTag}x${n++}`;
      return {
        path: '/rest/users',
        body: JSON.stringify({ username: u, email: `${u}@example.org`, password: 'correct horse battery staple' }),
      };
    },
  };
}

const SIGNUP_CONNECTIONS = 20;

const signup: Scenario = {
  name: 'signup',
  title: 'POST /rest/users (sign-up, argon2id m=19 MiB t=2 p=1)',
  async run(ctx) {
    const s = signupRequests(ctx, 's');
    const first = s.next();
    const why = await probe(ctx, 'POST', first.path, { headers: s.headers, body: first.body });
    if (why) return skip(this, why);
    const m = await measure(ctx, { method: 'POST', connections: SIGNUP_CONNECTIONS, headers: s.headers, next: s.next });
    return {
      name: this.name,
      title: this.title,
      ...m,
      target: { text: '≥ 200 /s', met: m.rps >= 200 && m.errors === 0 },
      extra: { connections: SIGNUP_CONNECTIONS },
    };
  },
};

/**
 * The ceiling for sign-up: argon2id at Roster's cost on every core with nothing else running
 * (bare-hash.ts). Each sign-up is one hash, so no server on this machine answers more per second.
 */
const bareHash: Scenario = {
  name: 'bare-hash',
  title: 'argon2id hashes on every core, same cost and binding, no HTTP or database (the sign-up ceiling, not Roster)',
  async run(ctx) {
    const c = await hashCeiling(loadConfig(process.env).argon2, Math.max(0.2, ctx.duration));
    return {
      name: this.name,
      title: this.title,
      rps: c.rps,
      total: c.hashes,
      ok: c.hashes,
      errors: 0,
      cpuUs: c.msPerHash * 1000,
      baseline: true,
      extra: { threads: c.threads, msPerHash: c.msPerHash },
    };
  },
};

const GET_SCENARIOS = [getAccounts, getUsr, getScim, getAdmin];

/** The idle GET-by-id run again, while 20 connections sign up: hashing must not starve reads. */
const getDuringSignup: Scenario = {
  name: 'get-during-signup',
  title: 'GET by id while 20 sign-ups run concurrently',
  async run(ctx, done) {
    const idle = GET_SCENARIOS.map((s) => done.get(s.name)).find((r) => r && !r.skipped && r.p99 !== undefined);
    if (!idle) return skip(this, 'no GET-by-id scenario ran in this run (nothing to compare with)');
    const signupRan = done.get('signup');
    if (!signupRan || signupRan.skipped)
      return skip(this, `sign-up did not run: ${signupRan?.skipped ?? 'not selected'}`);
    const get = GET_SCENARIOS.find((s) => s.name === idle.name)!;
    const s = signupRequests(ctx, 'g');
    const signups = load({
      base: ctx.base,
      connections: SIGNUP_CONNECTIONS,
      duration: ctx.duration + 1,
      method: 'POST',
      headers: s.headers,
      next: s.next,
    });
    await new Promise((r) => setTimeout(r, 500)); // let the hashing queue fill before measuring reads
    const headers = get === getAccounts ? { admin_api_key: ctx.keys.viewer } : bearer(ctx.keys.viewer);
    const path = (id: number) =>
      get === getAccounts
        ? `/api/v1/account/accounts/${id}`
        : get === getUsr
          ? `/usr/${id}`
          : get === getScim
            ? `/scim/v2/Users/${id}`
            : `/admin/v1/tenants/${ctx.tenantId}/users/${id}`;
    const m = await load({
      base: ctx.base,
      connections: ctx.connections,
      duration: ctx.duration,
      headers,
      paths: randomPaths(path, ctx),
    });
    const su = await signups;
    const limit = 3 * idle.p99!;
    return {
      name: this.name,
      title: `${this.title} (${get.name})`,
      ...m,
      target: { text: `p99 ≤ 3 × idle p99 (${idle.p99} ms)`, met: m.p99 <= limit && m.errors === 0 },
      extra: {
        idleScenario: idle.name,
        idleP99: idle.p99,
        signupRps: su.rps,
        signupP99: su.p99,
        signupErrors: su.errors,
      },
    };
  },
};

async function newAppKey(
  ctx: BenchContext,
  prefix: string,
): Promise<{ key: string; keyId: unknown; username: string; basic: string } | string> {
  const username = `${prefix}${ctx.runTag}`;
  const password = 'correct horse battery staple';
  const tenant = { 'x-roster-tenant': ctx.licenseCode };
  const su = await http(ctx.base, 'POST', '/rest/users', {
    headers: tenant,
    body: { username, email: `${username}@example.org`, password },
  });
  if (su.status !== 201)
    return `POST /rest/users answered ${su.status}${su.status === 404 && /no route/i.test(su.body) ? ' (route not registered: dialect not landed)' : `: ${su.body.slice(0, 160)}`}`;
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const k = await http(ctx.base, 'POST', `/rest/users/${username}/keys`, {
    headers: { ...tenant, authorization: basic },
    body: { name: 'bench' },
  });
  if (k.status !== 201) return `POST /rest/users/{username}/keys answered ${k.status}: ${k.body.slice(0, 160)}`;
  const c = (k.json() as { content: { key: string; id: unknown } }).content;
  return { key: c.key, keyId: c.id, username, basic };
}

/** The usage the key listing reports for one key. */
async function usageOf(
  ctx: BenchContext,
  k: { keyId: unknown; username: string; basic: string },
): Promise<number | null> {
  const r = await http(ctx.base, 'GET', `/rest/users/${k.username}/keys`, {
    headers: { 'x-roster-tenant': ctx.licenseCode, authorization: k.basic },
  });
  if (r.status !== 200) return null;
  const content = (r.json() as { content: unknown }).content;
  const list = Array.isArray(content) ? content : (Object.values(content as object).find(Array.isArray) ?? []);
  const item = (list as { id: unknown; usage: unknown }[]).find((x) => String(x.id) === String(k.keyId));
  return typeof item?.usage === 'number' ? item.usage : null;
}

const keysVerify: Scenario = {
  name: 'keys-verify',
  title: 'POST /rest/keys/verify',
  async run(ctx, done) {
    const a = await newAppKey(ctx, 'kva');
    if (typeof a === 'string') return skip(this, a);
    const headers = { 'content-type': 'application/json', 'x-roster-tenant': ctx.licenseCode };
    const m = await measure(ctx, {
      method: 'POST',
      path: '/rest/keys/verify',
      headers,
      body: JSON.stringify({ key: a.key }),
    });
    // Exactness: a fixed number of verifies on a fresh key (every request answered), then its usage.
    const b = await newAppKey(ctx, 'kvb');
    if (typeof b === 'string') return skip(this, b);
    const amount = Math.max(100, Math.min(5000, Math.round(m.rps * 2)));
    const exact = await load({
      base: ctx.base,
      connections: ctx.connections,
      duration: 60,
      amount,
      method: 'POST',
      path: '/rest/keys/verify',
      headers,
      body: JSON.stringify({ key: b.key }),
    });
    const usage = await usageOf(ctx, b);
    const exactOk = usage === exact.ok && exact.ok === amount;
    const r = ratioTarget({ name: this.name, title: this.title, ...m }, done, 0.4);
    return {
      ...r,
      target: { text: `${r.target!.text}; usage exact`, met: r.target!.met && exactOk },
      extra: { exactness: { verifies: amount, answered2xx: exact.ok, usageAfter: usage, exact: exactOk } },
    };
  },
};

/** In run order: baselines first (health, idle GETs) so later scenarios can compare with them. */
export const SCENARIOS: Scenario[] = [
  health,
  getAccounts,
  getUsr,
  getScim,
  getAdmin,
  bareGet,
  listAccounts,
  listCursor,
  scimFilter,
  create,
  bareCreate,
  signup,
  bareHash,
  getDuringSignup,
  keysVerify,
];
