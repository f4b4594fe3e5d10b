import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Password-login attempts and lockouts per login name (`key`: a digest of tenant and name, see
 * LoginGuardService), shared by every Roster process. An attempt is reserved (failed = 0) before
 * the password is checked, then dropped on success or marked failed.
 */
export class LoginAttemptStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Epoch ms until which the name is locked, or null. */
  async lockedUntil(key: string): Promise<number | null> {
    const r = await this.db
      .selectFrom('loginLocks')
      .select('lockedUntil')
      .where('loginKey', '=', key)
      .executeTakeFirst();
    return r ? Number(r.lockedUntil) : null;
  }

  async lock(key: string, until: number): Promise<void> {
    await this.db
      .insertInto('loginLocks')
      .values({ loginKey: key, lockedUntil: until })
      .onConflict((oc) => oc.column('loginKey').doUpdateSet({ lockedUntil: until }))
      .execute();
  }

  /** Reserves an attempt; answers its id. */
  async reserve(key: string, now: number): Promise<number> {
    const r = await this.db
      .insertInto('loginAttempts')
      .values({ loginKey: key, at: now, failed: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** Attempts since `since` (epoch ms): all of them, or only the failed ones. */
  async countSince(key: string, since: number, failedOnly: boolean): Promise<number> {
    let q = this.db
      .selectFrom('loginAttempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('loginKey', '=', key)
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

  /** Forgets the name's attempts older than `before` (they no longer count). */
  async prune(key: string, before: number): Promise<void> {
    await this.db.deleteFrom('loginAttempts').where('loginKey', '=', key).where('at', '<=', before).execute();
  }

  /** Forgets every name's attempts older than `before` and the locks that ended by `now`. */
  async purge(before: number, now: number): Promise<void> {
    await this.db.deleteFrom('loginAttempts').where('at', '<=', before).execute();
    await this.db.deleteFrom('loginLocks').where('lockedUntil', '<=', now).execute();
  }

  /** Lifts the name's lock and forgets its attempts (a manager unlocking an account): the count starts over. */
  async unlock(key: string): Promise<void> {
    await this.db.deleteFrom('loginLocks').where('loginKey', '=', key).execute();
    await this.db.deleteFrom('loginAttempts').where('loginKey', '=', key).execute();
  }
}
