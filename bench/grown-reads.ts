/**
 * Hot reads of a process that started on a small database and saw its table grow, against a process
 * started on the grown one. Not part of `npm test`:
 *
 *   BENCH_DATABASE_URL=postgres://… npx tsx bench/grown-reads.ts [--users 300000]
 *
 * On a fresh PostgreSQL schema: Roster process A serves a tenant of 300 users (each read 50 times,
 * so its prepared statements settle on plans), then the tenant grows to `users` straight in SQL,
 * with no ANALYZE (autovacuum off, or before its next run). Process B starts on the grown table.
 * Both answer the same reads, one at a time: a list by username (management API), an Accounts page
 * (company filter, sorted by last name) and a SCIM `userName eq` filter; then again after an ANALYZE.
 * Prints the median and p90 latency of each. Results: bench/results/grown-reads-<users>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT_DIR, startServer, type Server } from './roster-process.ts';
import { bearer, http } from './context.ts';

const { values: args } = parseArgs({ options: { users: { type: 'string', default: '300000' } } });
const users = Number(args.users!.replace(/_/g, ''));
const pgUrl = process.env.BENCH_DATABASE_URL;
if (!pgUrl) throw new Error('needs BENCH_DATABASE_URL=postgres://…');
const SMALL = 300;
const READS = 200;

const schema = `bench_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: pgUrl });
await admin.connect();
await admin.query(`create schema ${schema}`);
const url = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const rootKey = `bench-root-${randomBytes(16).toString('hex')}`;

async function seed(tenantId: number, from: number, to: number) {
  await admin.query(
    `insert into ${schema}.users (tenant_id, username, username_lower, email, email_lower, last_name, company, created_at, updated_at)
     select $1, 'User' || g, 'user' || g, 'user' || g || '@example.com', 'user' || g || '@example.com',
            'Last' || (g % 4999), 'Co ' || (g % 200), g, g
     from generate_series($2::int, $3::int) g`,
    [tenantId, from, to],
  );
}

const readsOf = (tenantId: number, key: string, n: number) => {
  const i = 1 + Math.floor(Math.random() * n);
  return [
    { name: 'list by username', path: `/admin/v1/tenants/${tenantId}/users?username=User${i}`, headers: bearer(key) },
    {
      name: 'Accounts page',
      path: `/api/v1/account/accounts?limit=50&sort=-lastName&attributes%5Bcompany%5D=Co%20${i % 200}`,
      headers: { admin_api_key: key, accept: 'application/json' },
    },
    {
      name: 'SCIM userName eq',
      path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "User${i}"`)}`,
      headers: bearer(key),
    },
  ];
};

/** Median and p90 latency (ms) of each read, `count` times, one request at a time. */
async function measure(server: Server, tenantId: number, key: string, n: number, count: number) {
  const times = new Map<string, number[]>();
  for (let k = 0; k < count; k++) {
    for (const r of readsOf(tenantId, key, n)) {
      const t0 = performance.now();
      const res = await http(server.base, 'GET', r.path, { headers: r.headers });
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${r.path}: ${res.status} ${res.body.slice(0, 200)}`);
      times.set(r.name, [...(times.get(r.name) ?? []), ms]);
    }
  }
  const q = (xs: number[], p: number) =>
    Number([...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))].toFixed(2));
  return Object.fromEntries([...times].map(([name, xs]) => [name, { p50: q(xs, 0.5), p90: q(xs, 0.9) }]));
}

let a: Server | null = null;
let b: Server | null = null;
try {
  a = await startServer({ databaseUrl: url, rootKey });
  const t = await http(a.base, 'POST', '/admin/v1/tenants', { headers: bearer(rootKey), body: { name: 'Grown' } });
  const tenantId = (t.json() as { id: number }).id;
  const m = await http(a.base, 'POST', `/admin/v1/tenants/${tenantId}/managers`, {
    headers: bearer(rootKey),
    body: { name: 'viewer', email: 'viewer@bench.test', role: 'viewer' },
  });
  const key = (m.json() as { apiKey: string }).apiKey;
  await seed(tenantId, 1, SMALL);
  await measure(a, tenantId, key, SMALL, 50);
  const t0 = performance.now();
  await seed(tenantId, SMALL + 1, users);
  console.log(`grew to ${users.toLocaleString('en-US')} users in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  // Process A notices the growth on its next checks (at most one a second).
  await new Promise((r) => setTimeout(r, 1500));
  await measure(a, tenantId, key, users, 2);
  const result: Record<string, unknown> = { at: new Date().toISOString(), users, load: loadavg(), cpus: cpus().length };
  result.grown = await measure(a, tenantId, key, users, READS);
  b = await startServer({ databaseUrl: url, rootKey });
  await measure(b, tenantId, key, users, 2);
  result.fresh = await measure(b, tenantId, key, users, READS);
  await admin.query(`analyze ${schema}.users`);
  await new Promise((r) => setTimeout(r, 1500));
  await measure(a, tenantId, key, users, 2);
  result.grownAfterAnalyze = await measure(a, tenantId, key, users, READS);
  await measure(b, tenantId, key, users, 2);
  result.freshAfterAnalyze = await measure(b, tenantId, key, users, READS);
  result.loadAtEnd = loadavg();
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(ROOT_DIR, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT_DIR, 'bench', 'results', `grown-reads-${users}.json`),
    JSON.stringify(result, null, 2) + '\n',
  );
} finally {
  await a?.stop();
  await b?.stop();
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
}
