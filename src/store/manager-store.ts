import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ManagersTable } from './schema.ts';
import type { Manager } from '../domain/manager.ts';
import type { Role } from '../domain/privileges.ts';
import { precompiled, rowsOf } from './precompiled.ts';
import type { ReadNow } from './database.ts';
import type { AccessChangeWatch } from './access-change-watch.ts';
import { AccessCache } from './access-cache.ts';

function toManager(r: Selectable<ManagersTable>): Manager {
  return {
    id: r.id,
    tenantId: r.tenantId,
    name: r.name,
    email: r.email,
    role: r.role as Role,
    hasPassword: r.passwordHash !== null,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

/** Who holds a key: what a principal needs. */
export type KeyHolder = Readonly<{ id: number; tenantId: number; role: Role }>;

export class ManagerStore {
  /** Root store only: every authenticated request asks this (AccessCache). */
  private readonly byKey?: AccessCache<KeyHolder>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly readNow?: ReadNow,
    watch?: AccessChangeWatch,
  ) {
    if (watch) this.byKey = new AccessCache(watch);
  }

  async insert(
    m: { tenantId: number; name: string; email: string; role: Role; keyDigest: string },
    now = Date.now(),
  ): Promise<Manager> {
    const r = await this.db
      .insertInto('managers')
      .values({ ...m, createdAt: now, updatedAt: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toManager(r);
  }

  async byId(id: number): Promise<Manager | null> {
    const r = await this.db.selectFrom('managers').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toManager(r) : null;
  }

  /** Who holds a key: only what a principal needs (every authenticated request asks this). */
  byKeyDigest(digest: string): Promise<KeyHolder | null> {
    return this.byKey ? this.byKey.get(digest, () => this.readByKeyDigest(digest)) : this.readByKeyDigest(digest);
  }

  private async readByKeyDigest(digest: string): Promise<KeyHolder | null> {
    const q = precompiled(
      this.db,
      'managers.byKeyDigest',
      () => this.db.selectFrom('managers').select(['id', 'tenantId', 'role']).where('keyDigest', '=', ''),
      [digest],
    );
    const r = (await rowsOf(this.db, q, this.readNow))[0] as { id: number; tenantId: number; role: string } | undefined;
    return r ? Object.freeze({ id: r.id, tenantId: r.tenantId, role: r.role as Role }) : null;
  }

  async listByTenant(tenantId: number, opts: { afterId: number; limit: number }): Promise<Manager[]> {
    const rows = await this.db
      .selectFrom('managers')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '>', opts.afterId)
      .orderBy('id')
      .limit(opts.limit)
      .execute();
    return rows.map(toManager);
  }

  async update(
    id: number,
    changes: { name?: string; email?: string; role?: Role; keyDigest?: string },
    now = Date.now(),
  ): Promise<Manager | null> {
    const r = await this.db
      .updateTable('managers')
      .set({ ...changes, updatedAt: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return r ? toManager(r) : null;
  }

  /** A tenant's manager by sign-in email (case-insensitive), with what a console sign-in checks. */
  async forSignIn(
    tenantId: number,
    email: string,
  ): Promise<{ id: number; tenantId: number; role: Role; keyDigest: string; passwordHash: string | null } | null> {
    const r = await this.db
      .selectFrom('managers')
      .select(['id', 'tenantId', 'role', 'keyDigest', 'passwordHash'])
      .where('tenantId', '=', tenantId)
      .where(sql<string>`lower(email)`, '=', email.toLowerCase())
      .executeTakeFirst();
    return r ? { ...r, role: r.role as Role } : null;
  }

  async setPasswordHash(id: number, hash: string | null, now = Date.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('managers')
      .set({ passwordHash: hash, updatedAt: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Owners of a tenant other than `exceptId` (the last owner may not go). */
  async otherOwners(tenantId: number, exceptId: number): Promise<number> {
    const r = await this.db
      .selectFrom('managers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenantId', '=', tenantId)
      .where('role', '=', 'owner')
      .where('id', '!=', exceptId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('managers').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
