import { sql, type Kysely, type Selectable } from 'kysely';
import type { AppKeysTable, Database } from './schema.ts';
import type { AppKey, AppKeyUse } from '../domain/app-key.ts';
import { compiledForShape } from './precompiled.ts';
import type { DbKind } from './database.ts';
import { AppKeyUseBatch } from './app-key-use-batch.ts';

/** One verify batcher per PostgreSQL pool (see app-key-use-batch.ts). */
const useBatches = new WeakMap<Kysely<Database>, AppKeyUseBatch>();

const ms = (v: number | null) => (v === null ? null : new Date(Number(v)));

function toAppKey(r: Selectable<AppKeysTable>): AppKey {
  return {
    id: Number(r.id),
    tenantId: Number(r.tenantId),
    userId: Number(r.userId),
    name: r.name,
    usage: Number(r.usage),
    createdAt: new Date(Number(r.createdAt)),
    lastUsedAt: ms(r.lastUsedAt),
    revokedAt: ms(r.revokedAt),
  };
}

/** Application keys. Every query is scoped to one tenant; only digests are stored. */
export class AppKeyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  async insert(
    k: { tenantId: number; userId: number; name: string; keyDigest: string },
    now = Date.now(),
  ): Promise<AppKey> {
    const r = await this.db
      .insertInto('appKeys')
      .values({ ...k, usage: 0, createdAt: now, lastUsedAt: null, revokedAt: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAppKey(r);
  }

  /** The user's keys that are not revoked, oldest first. */
  async listActive(tenantId: number, userId: number): Promise<AppKey[]> {
    const rows = await this.db
      .selectFrom('appKeys')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .where('revokedAt', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map(toAppKey);
  }

  async countActive(tenantId: number, userId: number): Promise<number> {
    const r = await this.db
      .selectFrom('appKeys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .where('revokedAt', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Revokes one of the user's active keys; false when there is no such active key. */
  async revoke(tenantId: number, userId: number, id: number, now = Date.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('appKeys')
      .set({ revokedAt: now })
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Counts `cost` against an active key of an active user in ONE statement (no read-modify-write,
   * so parallel uses from any number of processes never lose an increment), answering the use with
   * its owner's username. Null when no such key. On PostgreSQL outside a transaction, uses arriving
   * together share one statement and one commit (app-key-use-batch.ts).
   */
  async consume(tenantId: number, digest: string, cost: number, now = Date.now()): Promise<AppKeyUse | null> {
    if (this.kind === 'postgres' && !this.db.isTransaction) {
      let batch = useBatches.get(this.db);
      if (!batch) useBatches.set(this.db, (batch = new AppKeyUseBatch(this.db)));
      return batch.consume(tenantId, digest, cost);
    }
    // Runs on every verify: compiled once (see precompiled.ts).
    const q = compiledForShape(
      this.db,
      'appKeys.consume',
      [cost, now, tenantId, digest, tenantId],
      ([cost, now, tenantId, digest, ownerTenantId]) =>
        this.db
          .updateTable('appKeys')
          .set((eb) => ({ usage: eb('usage', '+', cost as number), lastUsedAt: now as number }))
          .where('tenantId', '=', tenantId as number)
          .where('keyDigest', '=', digest as string)
          .where('revokedAt', 'is', null)
          // EXISTS on the owner's primary key: an IN (subquery) made SQLite list every active user of
          // the tenant on each verify (O(tenant size); bench at 1,000,000 users).
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom('users')
                .select('users.id')
                .whereRef('users.id', '=', 'appKeys.userId')
                .where('users.tenantId', '=', ownerTenantId as number)
                .where('users.active', '=', sql<number>`1`),
            ),
          )
          // The owner's name in the same statement: a verify answers it, and a second read cost as much
          // as the update on SQLite (cold) and a round trip on PostgreSQL.
          .returning((eb) => [
            'id',
            'userId',
            'usage',
            eb.selectFrom('users').select('users.username').whereRef('users.id', '=', 'appKeys.userId').as('username'),
          ]),
    );
    const r = (await this.db.executeQuery(q)).rows[0] as
      { id: number; userId: number; usage: number; username: string | null } | undefined;
    return r
      ? { keyId: Number(r.id), userId: Number(r.userId), usage: Number(r.usage), username: r.username ?? null }
      : null;
  }

  /** The sum of usage over all the user's keys, revoked ones included (usage that happened stays billed). */
  async usageOf(tenantId: number, userId: number): Promise<number> {
    const r = await this.db
      .selectFrom('appKeys')
      .select(sql<number>`coalesce(sum(usage), 0)`.as('total'))
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(r.total);
  }
}
