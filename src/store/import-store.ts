import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { USER_COLUMNS, toColumns, toUser, type UserRow, type UserValues } from './user-row.ts';
import type { User } from '../domain/user.ts';
import type { NewAuditEvent } from '../domain/audit.ts';

/** Rows per multi-row INSERT: ~35 columns each stays well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const INSERT_CHUNK = 400;
/** Values per IN list. */
const LOOKUP_CHUNK = 1000;

/** An existing user as an import compares it: every field, and the stored hash. */
export type StoredUser = User & { passwordHash: string | null };

/** A user row as an import writes it, with the timestamps the file may carry. */
export interface NewUserRow {
  values: UserValues;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Bulk reads and writes of users for imports; every query is scoped to one tenant. */
export class ImportStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The users that hold any of these externalIds, folded usernames or folded emails. */
  async matching(tenantId: number, keys: { externalIds: string[]; usernames: string[]; emails: string[] }): Promise<StoredUser[]> {
    const byId = new Map<number, StoredUser>();
    const lists: ['externalId' | 'usernameLower' | 'emailLower', string[]][] = [
      ['externalId', keys.externalIds],
      ['usernameLower', keys.usernames],
      ['emailLower', keys.emails],
    ];
    for (const [col, values] of lists) {
      for (const part of chunks([...new Set(values)], LOOKUP_CHUNK)) {
        const rows = await this.db
          .selectFrom('users')
          .select([...USER_COLUMNS, 'passwordHash'])
          .where('tenantId', '=', tenantId)
          .where(col, 'in', part)
          .execute();
        for (const r of rows) {
          if (byId.has(r.id)) continue;
          const { passwordHash, ...rest } = r;
          byId.set(r.id, { ...toUser({ ...rest, hasPassword: passwordHash !== null } as UserRow), passwordHash });
        }
      }
    }
    return [...byId.values()];
  }

  /** Inserts users with multi-row statements; answers their ids in the order given. */
  async insertMany(tenantId: number, rows: NewUserRow[]): Promise<number[]> {
    const ids: number[] = [];
    for (const part of chunks(rows, INSERT_CHUNK)) {
      const inserted = await this.db
        .insertInto('users')
        .values(
          part.map((r) => ({
            ...(toColumns(r.values) as object),
            tenantId,
            createdAt: r.createdAt,
            updatedAt: r.updatedAt,
            lastLoginAt: r.lastLoginAt,
            version: 1,
          })) as never,
        )
        .returning('id')
        .execute();
      // Identity ids grow in insertion order on both databases; sort rather than rely on RETURNING's order.
      ids.push(...inserted.map((r) => Number(r.id)).sort((a, b) => a - b));
    }
    return ids;
  }

  /** Audit events of an import, many per statement (already redacted by the caller). */
  async insertAuditEvents(events: NewAuditEvent[], now = Date.now()): Promise<void> {
    for (const part of chunks(events, INSERT_CHUNK)) {
      await this.db
        .insertInto('auditEvents')
        .values(
          part.map((e) => ({
            tenantId: e.tenantId,
            at: (e.at ?? new Date(now)).getTime(),
            actor: e.actor,
            action: e.action,
            target: e.target,
            changes: e.changes && Object.keys(e.changes).length > 0 ? JSON.stringify(e.changes) : null,
          })),
        )
        .execute();
    }
  }
}
