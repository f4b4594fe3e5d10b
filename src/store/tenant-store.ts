import { precompiled, rowsOf } from './precompiled.ts';
import type { ReadNow } from './database.ts';
import type { AccessChangeWatch } from './access-change-watch.ts';
import { AccessCache } from './access-cache.ts';
import type { Kysely, Selectable } from 'kysely';
import type { Database, TenantsTable } from './schema.ts';
import { DEFAULT_TENANT_SETTINGS, type Tenant, type TenantSettings } from '../domain/tenant.ts';

function toTenant(r: Selectable<TenantsTable>): Tenant {
  return {
    id: r.id,
    name: r.name,
    licenseCode: r.licenseCode,
    settings: { ...DEFAULT_TENANT_SETTINGS, ...(JSON.parse(r.settings) as Partial<TenantSettings>) },
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

/** A cached tenant answers many requests: nobody may change it in place. */
const frozen = (t: Tenant): Tenant => Object.freeze({ ...t, settings: Object.freeze({ ...t.settings }) });

export class TenantStore {
  /** Root store only: most requests look their tenant up (AccessCache; a transaction reads its own). */
  private readonly cached?: { byId: AccessCache<Tenant>; byCode: AccessCache<Tenant> };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly readNow?: ReadNow,
    watch?: AccessChangeWatch,
  ) {
    if (watch) this.cached = { byId: new AccessCache(watch), byCode: new AccessCache(watch) };
  }

  async insert(t: { name: string; licenseCode: string; settings: TenantSettings }, now = Date.now()): Promise<Tenant> {
    const row = await this.db
      .insertInto('tenants')
      .values({
        name: t.name,
        licenseCode: t.licenseCode,
        settings: JSON.stringify(t.settings),
        createdAt: now,
        updatedAt: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTenant(row);
  }

  byId(id: number): Promise<Tenant | null> {
    return this.cached
      ? this.cached.byId.get(String(id), () => this.readById(id).then((t) => t && frozen(t)))
      : this.readById(id);
  }

  byLicenseCode(code: string): Promise<Tenant | null> {
    return this.cached
      ? this.cached.byCode.get(code, () => this.readByLicenseCode(code).then((t) => t && frozen(t)))
      : this.readByLicenseCode(code);
  }

  private async readById(id: number): Promise<Tenant | null> {
    // Read by most requests (settings, existence): compiled once (see precompiled.ts).
    const q = precompiled(
      this.db,
      'tenants.byId',
      () => this.db.selectFrom('tenants').selectAll().where('id', '=', 0),
      [id],
    );
    const r = (await rowsOf(this.db, q, this.readNow))[0];
    return r ? toTenant(r as unknown as Selectable<TenantsTable>) : null;
  }

  private async readByLicenseCode(code: string): Promise<Tenant | null> {
    // Every /rest and Usermost request names its tenant this way: compiled once.
    const q = precompiled(
      this.db,
      'tenants.byLicenseCode',
      () => this.db.selectFrom('tenants').selectAll().where('licenseCode', '=', ''),
      [code],
    );
    const r = (await rowsOf(this.db, q, this.readNow))[0];
    return r ? toTenant(r as unknown as Selectable<TenantsTable>) : null;
  }

  async list(opts: { afterId: number; limit: number }): Promise<Tenant[]> {
    const rows = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '>', opts.afterId)
      .orderBy('id')
      .limit(opts.limit)
      .execute();
    return rows.map(toTenant);
  }

  async update(
    id: number,
    changes: { name?: string; licenseCode?: string; settings?: TenantSettings },
    now = Date.now(),
  ): Promise<Tenant | null> {
    const r = await this.db
      .updateTable('tenants')
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.licenseCode !== undefined ? { licenseCode: changes.licenseCode } : {}),
        ...(changes.settings !== undefined ? { settings: JSON.stringify(changes.settings) } : {}),
        updatedAt: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return r ? toTenant(r) : null;
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
