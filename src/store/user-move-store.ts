import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The rows other than `users` that belong to one user and carry its tenant id. When a user moves to
 * another tenant they must move with it: left behind, they would point a tenant at a user it no
 * longer holds (or hide the user's own keys and events from it).
 */
const OWNED_BY_USER = ['events', 'appKeys'] as const;

/** Moving a user between tenants (/usr's defaultAccountId). Run inside the move's transaction. */
export class UserMoveStore {
  constructor(private readonly db: Kysely<Database>) {}

  async moveOwnedRows(userId: number, fromTenantId: number, toTenantId: number): Promise<void> {
    for (const table of OWNED_BY_USER) {
      await this.db
        .updateTable(table as 'events')
        .set({ tenantId: toTenantId })
        .where('userId', '=', userId)
        .where('tenantId', '=', fromTenantId)
        .execute();
    }
  }
}
