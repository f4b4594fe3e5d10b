import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { DbKind } from './database.ts';
import { newUserColumns } from './user-row.ts';
import { changesJson } from './audit-store.ts';
import type { TenantSettings } from '../domain/tenant.ts';
import type { NewAuditEvent } from '../domain/audit.ts';
import type {
  BackupAppKey,
  BackupGroup,
  BackupManager,
  BackupMember,
  BackupUser,
  BackupWebhook,
} from '../domain/backup.ts';

/** Bound values per multi-row INSERT: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;

const ms = (d: Date | null) => (d === null ? null : d.getTime());

/**
 * Writes a restored tenant inside the restore's transaction. Every row gets a new id (ids are
 * shared by all tenants of a database); the caller maps the backup's ids to them.
 */
export class RestoreStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  private async insertMany(table: keyof Database, rows: Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    const per = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(rows[0]).length));
    for (let i = 0; i < rows.length; i += per)
      await this.db
        .insertInto(table)
        .values(rows.slice(i, i + per) as never)
        .execute();
  }

  async insertTenant(t: {
    name: string;
    licenseCode: string;
    settings: TenantSettings;
    createdAt: Date;
    updatedAt: Date;
  }): Promise<number> {
    const r = await this.db
      .insertInto('tenants')
      .values({ ...t, settings: JSON.stringify(t.settings), createdAt: ms(t.createdAt)!, updatedAt: ms(t.updatedAt)! })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async insertManager(tenantId: number, m: BackupManager): Promise<number> {
    const { id: _id, ...rest } = m;
    const r = await this.db
      .insertInto('managers')
      .values({ ...rest, tenantId, createdAt: ms(m.createdAt)!, updatedAt: ms(m.updatedAt)! })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async insertGroup(tenantId: number, g: BackupGroup): Promise<number> {
    const r = await this.db
      .insertInto('groups')
      .values({
        tenantId,
        displayName: g.displayName,
        displayNameLower: g.displayName.toLowerCase(),
        externalId: g.externalId,
        createdAt: ms(g.createdAt)!,
        updatedAt: ms(g.updatedAt)!,
        version: g.version,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /**
   * New ids for `n` users, taken before the rows are written so that each row's id is known
   * without relying on the order RETURNING answers in. PostgreSQL: from the table's sequence.
   * SQLite: above both the highest id and AUTOINCREMENT's high-water mark (ids are never reused);
   * the restore's transaction holds the only writer, so nothing else takes them meanwhile.
   */
  private async newUserIds(n: number): Promise<number[]> {
    if (this.kind === 'postgres') {
      const { rows } = await sql<{
        id: number;
      }>`select nextval(pg_get_serial_sequence('users', 'id')) as id from generate_series(1, ${n})`.execute(this.db);
      return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    }
    const { rows } = await sql<{ top: number | null }>`select max(top) as top from (
        select max(id) as top from users union all select seq as top from sqlite_sequence where name = 'users')`.execute(
      this.db,
    );
    const base = Number(rows[0]?.top ?? 0);
    return Array.from({ length: n }, (_, i) => base + 1 + i);
  }

  /** Inserts users with their stored hashes and versions; answers their new ids in the order given. */
  async insertUsers(tenantId: number, users: BackupUser[]): Promise<number[]> {
    if (users.length === 0) return [];
    const ids = await this.newUserIds(users.length);
    await this.insertMany(
      'users',
      users.map((u, i) => ({
        id: ids[i],
        ...newUserColumns(tenantId, u, u.createdAt.getTime(), u.updatedAt.getTime(), ms(u.lastLoginAt)),
        version: u.version,
      })),
    );
    return ids;
  }

  /** Memberships whose ids are already this database's. */
  insertMembers(members: BackupMember[]): Promise<void> {
    return this.insertMany('groupMembers', members as unknown as Record<string, unknown>[]);
  }

  /** Application keys whose user ids are already this database's. */
  insertAppKeys(tenantId: number, keys: BackupAppKey[]): Promise<void> {
    return this.insertMany(
      'appKeys',
      keys.map((k) => ({
        tenantId,
        userId: k.userId,
        name: k.name,
        keyDigest: k.keyDigest,
        usage: k.usage,
        createdAt: k.createdAt.getTime(),
        lastUsedAt: ms(k.lastUsedAt),
        revokedAt: ms(k.revokedAt),
      })),
    );
  }

  insertAudit(events: (NewAuditEvent & { at: Date })[]): Promise<void> {
    return this.insertMany(
      'auditEvents',
      events.map((e) => ({
        tenantId: e.tenantId,
        at: e.at.getTime(),
        actor: e.actor,
        action: e.action,
        target: e.target,
        changes: changesJson(e.changes),
      })),
    );
  }

  async insertWebhook(tenantId: number, w: Omit<BackupWebhook, 'id'>): Promise<number> {
    const r = await this.db
      .insertInto('webhookSubscriptions')
      .values({
        tenantId,
        url: w.url,
        events: JSON.stringify(w.events),
        description: w.description,
        active: this.kind === 'postgres' ? w.active : w.active ? 1 : 0,
        disabledReason: w.disabledReason,
        failingSince: ms(w.failingSince),
        secret: w.secret,
        previousSecret: null,
        previousSecretUntil: null,
        createdAt: w.createdAt.getTime(),
        updatedAt: w.updatedAt.getTime(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** PostgreSQL: fresh statistics for the tables a large restore filled (the planner sizes them by these). */
  async analyze(): Promise<void> {
    if (this.kind === 'postgres') await sql`analyze users, group_members, app_keys, audit_events`.execute(this.db);
  }
}
