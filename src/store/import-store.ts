import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { DbKind } from './database.ts';
import { USER_COLUMNS, toUser, type UserRow, type UserValues } from './user-row.ts';
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

/** SQL text of bulk inserts by database kind, table, row count and columns (the text is the same for every tenant). */
const compiledSql = new Map<string, string>();

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** One row's columns, built in one go with a fixed shape (a million of these: no spread, no delete). */
function columnsOf(tenantId: number, r: NewUserRow): Record<string, unknown> {
  const v = r.values;
  return {
    tenantId,
    externalId: v.externalId ?? null,
    username: v.username ?? null,
    usernameLower: v.username == null ? null : v.username.toLowerCase(),
    email: v.email ?? null,
    emailLower: v.email == null ? null : v.email.toLowerCase(),
    firstName: v.firstName ?? null,
    middleName: v.middleName ?? null,
    lastName: v.lastName ?? null,
    displayName: v.displayName ?? null,
    company: v.company ?? null,
    title: v.title ?? null,
    department: v.department ?? null,
    website: v.website ?? null,
    phoneHome: v.phoneHome ?? null,
    phoneOffice: v.phoneOffice ?? null,
    phoneMobile: v.phoneMobile ?? null,
    phoneTollFree: v.phoneTollFree ?? null,
    phoneOther: v.phoneOther ?? null,
    pager: v.pager ?? null,
    fax: v.fax ?? null,
    gender: v.gender ?? null,
    active: v.active,
    verified: v.verified,
    plan: v.plan,
    billingType: v.billingType,
    attributes: JSON.stringify(v.attributes ?? {}),
    passwordHash: v.passwordHash ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    lastLoginAt: r.lastLoginAt,
    version: 1,
  };
}

/** Bulk reads and writes of users for imports; every query is scoped to one tenant. */
export class ImportStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  /**
   * A multi-row INSERT of same-shaped rows. Kysely builds (and compiles) the statement once per
   * table and row count; later chunks reuse its SQL with their own parameters, which spares a
   * million-row import building a syntax tree of every value (the SQL stays Kysely's own).
   */
  private async bulk(table: string, rows: Record<string, unknown>[], build: (rows: Record<string, unknown>[]) => Compilable): Promise<unknown[]> {
    const params: unknown[] = [];
    for (const r of rows) for (const k in r) params.push(r[k]);
    const key = `${this.kind}:${table}:${rows.length}:${Object.keys(rows[0]).join(',')}`;
    let text = compiledSql.get(key);
    if (text === undefined) {
      const compiled = build(rows).compile();
      // Only reused when every value is a parameter, in row-major order.
      if (compiled.parameters.length !== params.length || compiled.parameters.some((p, i) => p !== params[i])) {
        return (await this.db.executeQuery(compiled)).rows;
      }
      text = compiled.sql;
      compiledSql.set(key, text);
    }
    return (await this.db.executeQuery(CompiledQuery.raw(text, params))).rows;
  }

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
      const values = part.map((r) => columnsOf(tenantId, r));
      const inserted = await this.bulk('users', values, (q) => this.db.insertInto('users').values(q as never).returning('id'));
      // Identity ids grow in insertion order on both databases; sort rather than rely on RETURNING's order.
      ids.push(...(inserted as { id: number }[]).map((r) => Number(r.id)).sort((a, b) => a - b));
    }
    return ids;
  }

  /** Audit events of an import, many per statement (already redacted by the caller). */
  async insertAuditEvents(events: NewAuditEvent[], now = Date.now()): Promise<void> {
    for (const part of chunks(events, INSERT_CHUNK)) {
      const values = part.map((e) => ({
        tenantId: e.tenantId,
        at: (e.at ?? new Date(now)).getTime(),
        actor: e.actor,
        action: e.action,
        target: e.target,
        changes: e.changes && Object.keys(e.changes).length > 0 ? JSON.stringify(e.changes) : null,
      }));
      await this.bulk('auditEvents', values, (q) => this.db.insertInto('auditEvents').values(q as never));
    }
  }
}
