import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { importFile, ndjson } from './support/imports.ts';
import { planLog, plansOf, type PlanLog } from './support/plans.ts';

const postgres = backends().find((b) => b.name === 'postgres');

/** Users of a tenant written straight into the table (fast set-up; no ANALYZE, as after a bulk load with autovacuum off). */
async function seed(url: string, tenantId: number, n: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `insert into users (tenant_id, external_id, username, username_lower, email, email_lower, last_name, created_at, updated_at)
       select $1, 'sx' || g, 'Seed' || g, 'seed' || g, 'seed' || g || '@example.com', 'seed' || g || '@example.com',
              'L' || (g % 500), 0, 0
       from generate_series(1, $2::int) g`,
      [tenantId, n],
    );
  } finally {
    await c.end();
  }
}

/**
 * The import's look-up of existing users, as PostgreSQL runs it from the pool: it must probe the
 * unique index of each key, not read the tenant, also when its plan was first made while the
 * tenant was empty and the table has grown since without statistics (autovacuum off).
 */
describe.runIf(postgres)('import look-ups use the unique indexes as the table grows (postgres)', () => {
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

  const LOOKUP = /from "users" where "tenant_id" = \$\d+ and "(external_id|username_lower|email_lower)" (=|in)/;

  it('probes users_tenant_*_uq for every key kind after the tenant grew from empty to 40,000 users', async () => {
    // While the tenant is small: enough imports for a prepared statement to settle on one plan.
    for (let round = 0; round < 8; round++) {
      const rows = Array.from({ length: 20 }, (_, i) => ({
        externalId: `e${i}`,
        username: `early${i}`,
        email: `early${i}@example.com`,
        title: `round ${round}`,
      }));
      const job = await importFile(t, f.tenantId, ndjson(rows), { query: 'mode=upsert' });
      expect(job.counts).toMatchObject({ rows: 20, failed: 0 });
    }
    expect(plansOf(log.take(), LOOKUP).length).toBeGreaterThanOrEqual(8 * 3);

    await seed(t.url, f.tenantId, 40_000);
    // A few thousand rows: half of them existing users (updated through their keys), half new.
    const rows = Array.from({ length: 3000 }, (_, i) =>
      i % 2 === 0
        ? { externalId: `sx${i + 1}`, username: `Seed${i + 1}`, email: `seed${i + 1}@example.com`, title: 'updated' }
        : { externalId: `n${i}`, username: `new${i}`, email: `new${i}@example.com`, lastName: 'New' },
    );
    const job = await importFile(t, f.tenantId, ndjson(rows), { query: 'mode=upsert' });
    expect(job).toMatchObject({ state: 'done', counts: { rows: 3000, created: 1500, updated: 1500, failed: 0 } });

    const plans = plansOf(log.take(), LOOKUP);
    for (const [column, index] of [
      ['external_id', 'users_tenant_external_id_uq'],
      ['username_lower', 'users_tenant_username_uq'],
      ['email_lower', 'users_tenant_email_uq'],
    ]) {
      const mine = plans.filter((p) => new RegExp(`and "${column}" (=|in)`).test(p.split('\n')[0]));
      expect(mine.length, `no look-up by ${column} was run`).toBeGreaterThan(0);
      for (const p of mine) {
        // Each key found through its unique index: no scan of the tenant with the key as a filter.
        expect(p, p).toMatch(new RegExp(`Index (Only )?Scan using ${index} on users`));
        expect(p, p).toMatch(new RegExp(`Index Cond: .*${column}`));
        expect(p, p).not.toMatch(/Seq Scan on users|Bitmap Heap Scan on users|Filter: .*(external_id|_lower)/);
      }
    }
  }, 180_000);
});
