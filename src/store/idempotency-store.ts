import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: string;
  createdAt: number;
}

/** Remembered answers of idempotent writes, keyed by tenant and request id. */
export class IdempotencyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async find(tenantId: number, requestId: string): Promise<StoredAnswer | null> {
    const r = await this.db
      .selectFrom('idempotencyKeys')
      .select(['fingerprint', 'status', 'body', 'createdAt'])
      .where('tenantId', '=', tenantId)
      .where('requestId', '=', requestId)
      .executeTakeFirst();
    return r ?? null;
  }

  /**
   * Claims the id before the write's work, inside the write's own transaction: a concurrent
   * duplicate's insert waits on the key and fails once this one commits; nobody else ever sees
   * the claim without its answer (both commit together).
   */
  async claim(tenantId: number, requestId: string, fingerprint: string, now: number): Promise<void> {
    await this.db
      .insertInto('idempotencyKeys')
      .values({ tenantId, requestId, fingerprint, status: 0, body: '', createdAt: now })
      .execute();
  }

  async complete(tenantId: number, requestId: string, answer: { status: number; body: string }): Promise<void> {
    await this.db
      .updateTable('idempotencyKeys')
      .set({ status: answer.status, body: answer.body })
      .where('tenantId', '=', tenantId)
      .where('requestId', '=', requestId)
      .execute();
  }

  async delete(tenantId: number, requestId: string): Promise<void> {
    await this.db
      .deleteFrom('idempotencyKeys')
      .where('tenantId', '=', tenantId)
      .where('requestId', '=', requestId)
      .execute();
  }

  /** Forgets answers recorded before `cutoff` (epoch ms). */
  async purgeBefore(cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('idempotencyKeys').where('createdAt', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
