import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A console session as stored, with its manager's key and role as they are now (null: manager gone). */
export interface StoredSession {
  managerId: number | null;
  tenantId: number | null;
  keyDigest: string;
  role: string | null;
  createdAt: number;
  lastSeenAt: number;
  currentKeyDigest: string | null;
  currentRole: string | null;
}

/** Console sessions (by the digest of their id) and the console's failed sign-ins per subject. */
export class ConsoleSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: {
    idDigest: string;
    managerId: number | null;
    keyDigest: string;
    role: string | null;
    now: number;
  }): Promise<void> {
    await this.db
      .insertInto('consoleSessions')
      .values({
        idDigest: s.idDigest,
        managerId: s.managerId,
        keyDigest: s.keyDigest,
        role: s.role,
        createdAt: s.now,
        lastSeenAt: s.now,
      })
      .execute();
  }

  async find(idDigest: string): Promise<StoredSession | null> {
    const r = await this.db
      .selectFrom('consoleSessions as s')
      .leftJoin('managers as m', 'm.id', 's.managerId')
      .select([
        's.managerId',
        'm.tenantId',
        's.keyDigest',
        's.role',
        's.createdAt',
        's.lastSeenAt',
        'm.keyDigest as currentKeyDigest',
        'm.role as currentRole',
      ])
      .where('s.idDigest', '=', idDigest)
      .executeTakeFirst();
    if (!r) return null;
    return {
      managerId: r.managerId === null ? null : Number(r.managerId),
      tenantId: r.tenantId === null ? null : Number(r.tenantId),
      keyDigest: r.keyDigest,
      role: r.role,
      createdAt: Number(r.createdAt),
      lastSeenAt: Number(r.lastSeenAt),
      currentKeyDigest: r.currentKeyDigest,
      currentRole: r.currentRole,
    };
  }

  async touch(idDigest: string, now: number): Promise<void> {
    await this.db.updateTable('consoleSessions').set({ lastSeenAt: now }).where('idDigest', '=', idDigest).execute();
  }

  async delete(idDigest: string): Promise<void> {
    await this.db.deleteFrom('consoleSessions').where('idDigest', '=', idDigest).execute();
  }

  /** Ends every session of a manager (key or role changed, manager deleted). */
  async deleteByManager(managerId: number): Promise<void> {
    await this.db.deleteFrom('consoleSessions').where('managerId', '=', managerId).execute();
  }

  /** Forgets sessions past either expiry (called now and then; expired ones are refused anyway). */
  async prune(idleBefore: number, createdBefore: number): Promise<void> {
    await this.db
      .deleteFrom('consoleSessions')
      .where((eb) => eb.or([eb('lastSeenAt', '<', idleBefore), eb('createdAt', '<', createdBefore)]))
      .execute();
  }

  /** Failed sign-ins of a subject since `since`, and the oldest of them. */
  async failuresSince(subject: string, since: number): Promise<{ count: number; oldest: number | null }> {
    const r = await this.db
      .selectFrom('consoleLoginFailures')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
      .where('subject', '=', subject)
      .where('at', '>', since)
      .executeTakeFirstOrThrow();
    return { count: Number(r.n), oldest: r.oldest === null ? null : Number(r.oldest) };
  }

  async addFailure(subject: string, at: number, pruneBefore: number): Promise<void> {
    await this.db
      .deleteFrom('consoleLoginFailures')
      .where('subject', '=', subject)
      .where('at', '<=', pruneBefore)
      .execute();
    await this.db.insertInto('consoleLoginFailures').values({ subject, at }).execute();
  }

  /** Forgets every subject's failures at or before `before` (they no longer count). */
  async purgeFailures(before: number): Promise<void> {
    await this.db.deleteFrom('consoleLoginFailures').where('at', '<=', before).execute();
  }

  async clearFailures(subject: string): Promise<void> {
    await this.db.deleteFrom('consoleLoginFailures').where('subject', '=', subject).execute();
  }
}
