import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { DbKind } from './database.ts';

/** The UTC day (YYYY-MM-DD) of an epoch-ms instant: how logins are counted per day. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Counts behind the console's dashboard: users by state, sign-ups and logins per UTC day. */
export class StatsStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  async userCounts(
    tenantId: number,
    since7: number,
    since30: number,
  ): Promise<{ total: number; active: number; verified: number; created7: number; created30: number }> {
    const r = await this.db
      .selectFrom('users')
      .select([
        sql<number>`count(*)`.as('total'),
        sql<number>`coalesce(sum(case when active = 1 then 1 else 0 end), 0)`.as('active'),
        sql<number>`coalesce(sum(case when verified = 1 then 1 else 0 end), 0)`.as('verified'),
        sql<number>`coalesce(sum(case when created_at >= ${since7} then 1 else 0 end), 0)`.as('created7'),
        sql<number>`coalesce(sum(case when created_at >= ${since30} then 1 else 0 end), 0)`.as('created30'),
      ])
      .where('tenantId', '=', tenantId)
      .executeTakeFirstOrThrow();
    return {
      total: Number(r.total),
      active: Number(r.active),
      verified: Number(r.verified),
      created7: Number(r.created7),
      created30: Number(r.created30),
    };
  }

  /** Users created per UTC day since `since` (epoch ms); days without any are absent. */
  async signupsPerDay(tenantId: number, since: number): Promise<Map<string, number>> {
    const day =
      this.kind === 'postgres'
        ? sql<string>`to_char(to_timestamp(created_at / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')`
        : sql<string>`strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')`;
    const rows = await this.db
      .selectFrom('users')
      .select([day.as('day'), sql<number>`count(*)`.as('n')])
      .where('tenantId', '=', tenantId)
      .where('createdAt', '>=', since)
      .groupBy(day)
      .execute();
    return new Map(rows.map((r) => [r.day, Number(r.n)]));
  }

  async loginsPerDay(tenantId: number, sinceDay: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('loginDays')
      .select(['day', 'logins'])
      .where('tenantId', '=', tenantId)
      .where('day', '>=', sinceDay)
      .execute();
    return new Map(rows.map((r) => [r.day, Number(r.logins)]));
  }

  /** Counts one successful login on its UTC day. */
  async countLogin(tenantId: number, now: number): Promise<void> {
    await this.db
      .insertInto('loginDays')
      .values({ tenantId, day: utcDay(now), logins: 1 })
      .onConflict((oc) => oc.columns(['tenantId', 'day']).doUpdateSet({ logins: sql`login_days.logins + 1` }))
      .execute();
  }
}
