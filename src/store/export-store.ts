import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { USER_COLUMNS, toUser, type UserRow } from './user-row.ts';
import type { Attributes } from '../domain/user.ts';
import type { StoredUser } from './import-store.ts';

/** Keyset pages of a tenant's users by id, for exports that stream in constant memory. */
export class ExportStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Users with id > afterId, by id; the hash only when asked for. */
  async page(tenantId: number, afterId: number, limit: number, withHash: boolean): Promise<StoredUser[]> {
    const rows = await this.db
      .selectFrom('users')
      .select([...USER_COLUMNS, 'passwordHash'])
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(({ passwordHash, ...rest }) => ({
      ...toUser({ ...rest, hasPassword: passwordHash !== null } as UserRow),
      passwordHash: withHash ? passwordHash : null,
    }));
  }

  /** Only the attributes, by id (a first pass that collects the CSV columns). */
  async attributesPage(
    tenantId: number,
    afterId: number,
    limit: number,
  ): Promise<{ id: number; attributes: Attributes }[]> {
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'attributes'])
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      attributes: typeof r.attributes === 'string' ? (JSON.parse(r.attributes) as Attributes) : r.attributes,
    }));
  }
}
