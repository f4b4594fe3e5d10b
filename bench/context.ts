/** What every scenario knows about the running server and the seeded data. */
export interface BenchContext {
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

export function randomId(ctx: BenchContext): number {
  return ctx.firstId + Math.floor(Math.random() * (ctx.lastId - ctx.firstId + 1));
}
