import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { planLog, plansOf, type PlanLog } from './support/plans.ts';

const postgres = backends().find((b) => b.name === 'postgres');

/** Users written straight into the table: many rows, no statistics (a bulk load with autovacuum off). */
async function seed(url: string, tenantId: number, n: number, from = 0): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `insert into users (tenant_id, username, username_lower, email, email_lower, last_name, company, created_at, updated_at)
       select $1, 'Seed' || g, 'seed' || g, 'seed' || g || '@example.com', 'seed' || g || '@example.com',
              'L' || (g % 997), 'Co ' || (g % 200), g, g
       from generate_series($3::int + 1, $3::int + $2::int) g`,
      [tenantId, n, from],
    );
  } finally {
    await c.end();
  }
}

/**
 * The hot reads of a process that started on an empty database, after the table grew under it
 * without statistics: each must still find its rows through the index that fits it, as a process
 * started on the grown table does (plans as PostgreSQL runs them from the pool, via auto_explain).
 */
describe.runIf(postgres)('hot reads keep their index plans as the table grows (postgres)', () => {
  let log: PlanLog;
  let t: TestApp;
  let f: Fixture;
  beforeAll(async () => {
    log = planLog(postgres!);
    t = await startTestApp(log.backend);
    f = await makeTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    log?.stop();
  });

  const reads = (f: Fixture, i: number) => [
    {
      url: `/admin/v1/tenants/${f.tenantId}/users?username=Seed${i}`,
      headers: { authorization: `Bearer ${f.keys.viewer}` },
    },
    {
      url: `/api/v1/account/accounts?limit=50&sort=-lastName&attributes%5Bcompany%5D=Co%20${i % 200}`,
      headers: { admin_api_key: f.keys.viewer, accept: 'application/json' },
    },
    {
      url: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "Seed${i}"`)}`,
      headers: { authorization: `Bearer ${f.keys.viewer}` },
    },
  ];
  const readAll = async (on: TestApp, i: number) => {
    for (const r of reads(f, i)) {
      const res = await on.req({ method: 'GET', url: r.url, headers: r.headers, key: null });
      expect(res.statusCode, `${r.url}: ${res.body}`).toBe(200);
    }
  };
  /**
   * Per statement, the shapes of its plans: parameters and the values of custom plans as `?`, without
   * cost estimates (a backend keeps an index's height from when it first read it, which moves the
   * estimates and nothing else).
   */
  const plansByStatement = (plans: string[]) => {
    const out = new Map<string, Set<string>>();
    const blank = (x: string) => x.replace(/'(?:[^']|'')*'::[\w ]+|\$\d+/g, '?').replace(/ {2}\(cost=[^)]*\)/g, '');
    for (const p of plans) {
      const [query, ...lines] = p.split('\n');
      const key = blank(query);
      out.set(key, (out.get(key) ?? new Set<string>()).add(blank(lines.join('\n'))));
    }
    return out;
  };

  it('a process that served a small tenant reads it grown to 40,000 users through the indexes a fresh process uses', async () => {
    await seed(t.url, f.tenantId, 300);
    // While the tenant is small: enough of each read for the pool's prepared statements to settle on a plan.
    for (let i = 0; i < 12; i++) await readAll(t, i);
    await seed(t.url, f.tenantId, 40_000, 300);
    // Each process looks at its tables' sizes at most once a second, on a connection being handed out.
    await new Promise((r) => setTimeout(r, 1100));
    await readAll(t, 1);
    log.take();
    for (let i = 1; i <= 12; i++) await readAll(t, i * 7);
    const grown = plansOf(log.take(), /from "users"/);

    const fresh = await startTestApp({ name: 'postgres', fresh: async () => ({ url: t.url, drop: async () => {} }) });
    try {
      for (let i = 1; i <= 12; i++) await readAll(fresh, i * 7);
    } finally {
      await fresh.close();
    }
    const freshPlans = plansOf(log.take(), /from "users"/);

    expect(grown.length).toBeGreaterThanOrEqual(36);
    for (const p of grown) {
      // No scan of the table, no read of the whole tenant (an index searched by the tenant alone).
      expect(p, p).not.toMatch(/Seq Scan on users|(Index|Recheck) Cond: \(tenant_id = [^()]*\)$/m);
      expect(p, p).toMatch(/(Index|Index Only|Bitmap Index) Scan( Backward)? (using|on) users_tenant_\w+/);
    }
    // Plans a fresh process makes too: made for the table as it is now.
    const want = plansByStatement(freshPlans);
    for (const [statement, plans] of plansByStatement(grown)) {
      for (const plan of plans)
        expect(
          want.get(statement) ?? new Set(),
          `${statement.slice(0, 200)}\n${plan}\nfresh: ${[...(want.get(statement) ?? [])].join('\n')}`,
        ).toContain(plan);
    }
  }, 180_000);
});
