/** A server the load is sent to, and the CPU it has used so far. */
export interface Endpoint {
  base: string;
  cpuSeconds(): number;
}

/** What every scenario knows about the running server and the seeded data. */
export interface BenchContext {
  /** The lean bare stack (bare-server.ts) on the same database, running beside Roster. */
  bare: Endpoint;
  db: 'sqlite' | 'postgres';
  /** The database Roster serves (the bare baseline reads the same one). */
  databaseUrl: string;
  base: string;
  rootKey: string;
  tenantId: number;
  licenseCode: string;
  keys: { owner: string; editor: string; viewer: string };
  users: number;
  firstId: number;
  lastId: number;
  duration: number;
  connections: number;
  /** CPU seconds the server has used so far (for CPU per request, which load on the machine disturbs less than req/s). */
  serverCpu(): number;
  /** Makes names unique across scenarios and runs on one database. */
  runTag: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
  json(): any;
}

export async function http(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(base + path, { method, headers, body });
  const text = await r.text();
  return { status: r.status, body: text, json: () => JSON.parse(text) };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Roster as an Endpoint. */
export const roster = (ctx: BenchContext): Endpoint => ({ base: ctx.base, cpuSeconds: ctx.serverCpu });

/** The id of user number i (1…N, seed.ts): the seed inserts them in order. */
export const idOf = (ctx: BenchContext, i: number) => ctx.firstId + i - 1;

/** The user every "hot" scenario reads. */
export const hotUser = (ctx: BenchContext) => Math.ceil(ctx.users / 2);

/**
 * User numbers drawn at random over all N, the same sequence in every scenario and every run (a
 * fixed seed), so bare and Roster read the same rows in the same order. Each connection cycles
 * through the list, and autocannon encodes every entry once per connection before it starts, so a
 * longer list costs the load generator seconds of CPU per run.
 */
export function randomUsers(ctx: BenchContext, count = 2_000): number[] {
  let s = 0x9e3779b9;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => 1 + Math.floor(next() * ctx.users));
}
