import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Password-login attempts and lockouts per account, shared by every Roster process. An attempt is
 * reserved (failed = 0) before the password is checked, then dropped on success or marked failed.
 */
export class LoginAttemptStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Epoch ms until which the account is locked, or null. */
  async lockedUntil(tenantId: number, userId: number): Promise<number | null> {
    const r = await this.db
      .selectFrom('loginLocks')
      .select('lockedUntil')
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .executeTakeFirst();
    return r ? Number(r.lockedUntil) : null;
  }

  async lock(tenantId: number, userId: number, until: number): Promise<void> {
    await this.db
      .insertInto('loginLocks')
      .values({ tenantId, userId, lockedUntil: until })
      .onConflict((oc) => oc.column('userId').doUpdateSet({ lockedUntil: until }))
      .execute();
  }

  /** Reserves an attempt; answers its id. */
  async reserve(tenantId: number, userId: number, now: number): Promise<number> {
    const r = await this.db
      .insertInto('loginAttempts')
      .values({ tenantId, userId, at: now, failed: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** Attempts since `since` (epoch ms): all of them, or only the failed ones. */
  async countSince(tenantId: number, userId: number, since: number, failedOnly: boolean): Promise<number> {
    let q = this.db
      .selectFrom('loginAttempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .where('at', '>', since);
    if (failedOnly) q = q.where('failed', '=', 1);
    const r = await q.executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async release(id: number): Promise<void> {
    await this.db.deleteFrom('loginAttempts').where('id', '=', id).execute();
  }

  async markFailed(id: number): Promise<void> {
    await this.db.updateTable('loginAttempts').set({ failed: 1 }).where('id', '=', id).execute();
  }

  /** Forgets the account's attempts older than `before` (they no longer count). */
  async prune(tenantId: number, userId: number, before: number): Promise<void> {
    await this.db
      .deleteFrom('loginAttempts')
      .where('tenantId', '=', tenantId)
      .where('userId', '=', userId)
      .where('at', '<=', before)
      .execute();
  }
}
