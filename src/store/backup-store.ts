import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Snapshot } from './snapshot.ts';
import { USER_COLUMNS, toUser, type UserRow } from './user-row.ts';
import { DEFAULT_TENANT_SETTINGS, type TenantSettings } from '../domain/tenant.ts';
import type { Role } from '../domain/privileges.ts';
import type { AuditChanges, AuditEvent } from '../domain/audit.ts';
import type {
  BackupAppKey,
  BackupGroup,
  BackupManager,
  BackupMember,
  BackupTenant,
  BackupUser,
  BackupWebhook,
} from '../domain/backup.ts';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const time = (v: number | null) => (v === null ? null : new Date(Number(v)));

/**
 * Reads one tenant out of a snapshot (snapshot.ts), page by page in id order (keyset), so a backup
 * holds one page at a time whatever the tenant's size.
 */
export class BackupStore {
  private readonly db: Kysely<Database>;
  constructor(private readonly snapshot: Snapshot) {
    this.db = snapshot.db;
  }

  end(): Promise<void> {
    return this.snapshot.end();
  }

  async tenant(id: number): Promise<BackupTenant | null> {
    const r = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return null;
    return {
      id: r.id,
      name: r.name,
      licenseCode: r.licenseCode,
      settings: { ...DEFAULT_TENANT_SETTINGS, ...(JSON.parse(r.settings) as Partial<TenantSettings>) },
      createdAt: new Date(Number(r.createdAt)),
      updatedAt: new Date(Number(r.updatedAt)),
    };
  }

  async managers(tenantId: number, afterId: number, limit: number): Promise<BackupManager[]> {
    const rows = await this.db
      .selectFrom('managers')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      role: r.role as Role,
      keyDigest: r.keyDigest,
      passwordHash: r.passwordHash,
      createdAt: new Date(Number(r.createdAt)),
      updatedAt: new Date(Number(r.updatedAt)),
    }));
  }

  async groups(tenantId: number, afterId: number, limit: number): Promise<BackupGroup[]> {
    const rows = await this.db
      .selectFrom('groups')
      .select(['id', 'displayName', 'externalId', 'createdAt', 'updatedAt', 'version'])
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      ...r,
      createdAt: new Date(Number(r.createdAt)),
      updatedAt: new Date(Number(r.updatedAt)),
    }));
  }

  async users(tenantId: number, afterId: number, limit: number): Promise<BackupUser[]> {
    const rows = await this.db
      .selectFrom('users')
      .select([...USER_COLUMNS, 'passwordHash'])
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(({ passwordHash, ...rest }) => {
      const {
        tenantId: _t,
        hasPassword: _h,
        ...u
      } = toUser({ ...rest, hasPassword: passwordHash !== null } as UserRow);
      return { ...u, passwordHash };
    });
  }

  /** Memberships by (group, user), after the given pair. */
  async members(tenantId: number, after: BackupMember, limit: number): Promise<BackupMember[]> {
    const rows = await this.db
      .selectFrom('groupMembers as m')
      .innerJoin('groups as g', 'g.id', 'm.groupId')
      .select(['m.groupId', 'm.userId'])
      .where('g.tenantId', '=', tenantId)
      // A row-value comparison: one range over the primary key (group_id, user_id) on both databases.
      .where(sql<boolean>`(${sql.ref('m.groupId')}, ${sql.ref('m.userId')}) > (${after.groupId}, ${after.userId})`)
      .orderBy('m.groupId')
      .orderBy('m.userId')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ groupId: Number(r.groupId), userId: Number(r.userId) }));
  }

  async appKeys(tenantId: number, afterId: number, limit: number): Promise<BackupAppKey[]> {
    const rows = await this.db
      .selectFrom('appKeys')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      userId: Number(r.userId),
      name: r.name,
      keyDigest: r.keyDigest,
      usage: Number(r.usage),
      createdAt: new Date(Number(r.createdAt)),
      lastUsedAt: time(r.lastUsedAt),
      revokedAt: time(r.revokedAt),
    }));
  }

  async audit(tenantId: number, afterId: number, limit: number): Promise<AuditEvent[]> {
    const rows = await this.db
      .selectFrom('auditEvents')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenantId,
      at: new Date(Number(r.at)),
      actor: r.actor,
      action: r.action,
      target: r.target,
      changes: r.changes === null ? {} : json<AuditChanges>(r.changes),
    }));
  }

  async webhooks(tenantId: number, afterId: number, limit: number): Promise<BackupWebhook[]> {
    const rows = await this.db
      .selectFrom('webhookSubscriptions')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      events: json<string[]>(r.events),
      description: r.description,
      active: Boolean(r.active),
      disabledReason: r.disabledReason,
      failingSince: time(r.failingSince),
      secret: r.secret,
      createdAt: new Date(Number(r.createdAt)),
      updatedAt: new Date(Number(r.updatedAt)),
    }));
  }
}
