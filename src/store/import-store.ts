import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { planOnEveryRun, sqliteConnection, type DbKind } from './database.ts';
import { compiledForShape } from './precompiled.ts';
import { copyInto } from './pg-copy.ts';
import { USER_COLUMNS, newUserColumns, toUser, type UserRow } from './user-row.ts';
import type { UserValues } from '../domain/user-fields.ts';
import type { User } from '../domain/user.ts';
import type { NewAuditEvent } from '../domain/audit.ts';

/** Keys per look-up on PostgreSQL: keeps its estimated cost under jit_above_cost (compiling a plan of index probes does not pay). */
const PG_LOOKUP_CHUNK = 5000;
/** Values per IN list (SQLite; PostgreSQL takes one array). */
const LOOKUP_CHUNK = 1000;
/** The unique keys an import looks users up by. */
type LookupColumn = 'externalId' | 'usernameLower' | 'emailLower';
/** A user row with its stored hash, as the look-up reads it. */
type HolderRow = Omit<UserRow, 'hasPassword'> & { passwordHash: string | null };

/** An existing user as an import compares it: every field, and the stored hash. */
export type StoredUser = User & { passwordHash: string | null };

/** A user row as an import writes it, with the timestamps the file may carry. */
export interface NewUserRow {
  values: UserValues;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

/**
 * SQLite settings of the writer while imports run (durability stays as it is):
 * - Page cache (KiB). A batch dirties pages all over a dozen indexes (names and companies take rows
 *   everywhere in theirs): ~16,000 pages per 20,000 rows at 1,000,000 users. With the everyday 8 MiB
 *   SQLite spilled them to the WAL mid-transaction and read them back, again and again: at 1M users
 *   ~3x the system time, and as much again waiting for I/O. 64 MiB holds those ~16,000 4 KiB pages;
 *   more would not fit the server's memory budget while importing (250 MB).
 * - WAL pages before an automatic checkpoint. Each batch rewrites most of those index pages; with
 *   the default 1,000 every commit copied all of them into the database file, and fsynced it. With
 *   50,000 (a WAL of up to ~200 MB) a checkpoint comes every few batches and copies each page once.
 */
const IMPORT_PRAGMAS = { cache_size: -64 * 1024, wal_autocheckpoint: 50_000 };
type ImportPragma = keyof typeof IMPORT_PRAGMAS;
/** Imports running per database (by Kysely adapter) and the settings to restore after the last. */
const importSessions = new WeakMap<object, { running: number; restore: Partial<Record<ImportPragma, number>> }>();

/** PostgreSQL: imports running per database (by Kysely adapter) and the rows they wrote. */
const pgImports = new WeakMap<object, { running: number; written: number }>();
/** Rows (users and audit events) after which the end of an import ANALYZEs what it wrote. */
const ANALYZE_AFTER_ROWS = 10_000;

/** Answers a new user's id, or null when a unique index refused the row (only that row is undone). */
export type UserInserter = (row: NewUserRow) => number | null;

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** One row's columns (a generated literal with a fixed shape: a million of these, see newUserColumns). */
const columnsOf = (tenantId: number, r: NewUserRow): Record<string, unknown> =>
  newUserColumns(tenantId, r.values, r.createdAt, r.updatedAt, r.lastLoginAt);

/** Bulk reads and writes of users for imports; every query is scoped to one tenant. */
export class ImportStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  /** The users that hold any of these externalIds, folded usernames or folded emails. */
  async matching(
    tenantId: number,
    keys: { externalIds: string[]; usernames: string[]; emails: string[] },
  ): Promise<StoredUser[]> {
    const byId = new Map<number, StoredUser>();
    const lists: [LookupColumn, string[]][] = [
      ['externalId', keys.externalIds],
      ['usernameLower', keys.usernames],
      ['emailLower', keys.emails],
    ];
    for (const [col, values] of lists) {
      const distinct = [...new Set(values)];
      const parts = chunks(distinct, this.kind === 'postgres' ? PG_LOOKUP_CHUNK : LOOKUP_CHUNK);
      for (const part of parts) {
        const rows = await this.holders(tenantId, col, part);
        for (const r of rows) {
          if (byId.has(r.id)) continue;
          const { passwordHash, ...rest } = r;
          byId.set(r.id, { ...toUser({ ...rest, hasPassword: passwordHash !== null } as UserRow), passwordHash });
        }
      }
    }
    return [...byId.values()];
  }

  /**
   * The users of a tenant holding any of `values` in one unique column. PostgreSQL: one array
   * parameter, each key probed through the unique index by a lateral subquery (`offset 0` keeps it
   * a per-key probe), planned anew on every run (planOnEveryRun): a plan cached while the tenant was
   * small, or estimated without statistics, read the whole tenant for every batch.
   */
  private async holders(tenantId: number, col: LookupColumn, values: string[]) {
    const columns = [...USER_COLUMNS, 'passwordHash'] as const;
    if (this.kind !== 'postgres') {
      return this.db
        .selectFrom('users')
        .select(columns)
        .where('tenantId', '=', tenantId)
        .where(col, 'in', values)
        .execute();
    }
    const q = compiledForShape(this.db, `import.holders:${col}`, [tenantId, values], ([t, keys]) => {
      const probe = this.db
        .selectFrom('users')
        .select(columns)
        .where('tenantId', '=', t as number)
        .where(col, '=', sql<string>`k.v`)
        .modifyEnd(sql`offset 0`);
      const text = sql<HolderRow>`select u.* from unnest(cast(${keys} as text[])) as k(v) cross join lateral (${probe}) as u`;
      return { compile: () => text.compile(this.db) };
    });
    planOnEveryRun(q.sql);
    return (await this.db.executeQuery(q)).rows;
  }

  /**
   * Runs an import with the writer's IMPORT_PRAGMAS on SQLite; the everyday values come back when
   * the last running import ends. PostgreSQL: see analyzedAfter.
   */
  async withImportSettings<T>(fn: () => Promise<T>): Promise<T> {
    if (this.kind === 'postgres') return this.analyzedAfter(fn);
    const key = this.db.getExecutor().adapter;
    let session = importSessions.get(key);
    if (session) session.running++;
    else {
      importSessions.set(key, (session = { running: 1, restore: {} }));
      for (const [name, value] of Object.entries(IMPORT_PRAGMAS) as [ImportPragma, number][]) {
        const { rows } = await sql<Record<string, number>>`pragma ${sql.raw(name)}`.execute(this.db);
        session.restore[name] = Number(Object.values(rows[0] ?? {})[0]);
        await sql`pragma ${sql.raw(name)} = ${sql.lit(value)}`.execute(this.db);
      }
    }
    try {
      return await fn();
    } finally {
      if (--session.running === 0) {
        importSessions.delete(key);
        for (const [name, value] of Object.entries(session.restore)) {
          if (Number.isFinite(value)) await sql`pragma ${sql.raw(name)} = ${sql.lit(value)}`.execute(this.db);
        }
        // Hand the import's page cache back (SQLite frees what it no longer needs, memory allocator included).
        await sql`pragma shrink_memory`.execute(this.db);
      }
    }
  }

  /**
   * PostgreSQL: runs an import, then ANALYZEs the tables it wrote when the last running import wrote
   * many rows. Statistics are what the planner sizes tables and picks indexes by; with autovacuum
   * off (or before its next run) it would otherwise plan for the tables as they were before the import.
   */
  private async analyzedAfter<T>(fn: () => Promise<T>): Promise<T> {
    const key = this.db.getExecutor().adapter;
    let session = pgImports.get(key);
    if (session) session.running++;
    else pgImports.set(key, (session = { running: 1, written: 0 }));
    try {
      return await fn();
    } finally {
      if (--session.running === 0) {
        pgImports.delete(key);
        // Better statistics are an optimisation: a failed ANALYZE must not fail the import.
        if (session.written >= ANALYZE_AFTER_ROWS)
          await sql`analyze users, audit_events`.execute(this.db).catch(() => {});
      }
    }
  }

  /** Counts rows written by the running imports (PostgreSQL). */
  private wrote(rows: number): void {
    const session = pgImports.get(this.db.getExecutor().adapter);
    if (session) session.written += rows;
  }

  /**
   * SQLite, inside a transaction: a function that inserts one row with a cached statement (the SQL
   * is Kysely's own, compiled from the first row; later rows bind their values in the same column
   * order) and answers its rowid. One row per statement is cheaper there than multi-row INSERTs:
   * no statement to build per chunk, and no statement journal (a multi-row INSERT keeps one so that
   * it can undo itself half-way). Null on PostgreSQL.
   */
  private sqliteRunner(table: 'users' | 'auditEvents'): ((row: Record<string, unknown>) => number) | null {
    const conn = sqliteConnection(this.db);
    if (!conn) return null;
    let stmt: ReturnType<typeof conn.prepare> | undefined;
    return (row) => {
      const values = Object.values(row);
      if (stmt === undefined) {
        const keys = Object.keys(row);
        const q = compiledForShape(this.db, `import.${table}:${keys.join(',')}`, values, (v) =>
          this.db.insertInto(table).values(Object.fromEntries(keys.map((k, i) => [k, v[i]])) as never),
        );
        if (q.parameters.length !== values.length) throw new Error(`${table}: a one-row INSERT must bind every value`);
        stmt = conn.prepare(q.sql);
      }
      return Number(stmt.run(values).lastInsertRowid);
    };
  }

  /**
   * SQLite inside a transaction: inserts one user at a time, answering its id or null when a
   * unique key is taken (a failed one-row INSERT undoes only itself and the transaction goes on,
   * so create mode need not look every key up first). Null on PostgreSQL: a failed statement
   * there aborts the whole transaction.
   */
  userInserter(tenantId: number): UserInserter | null {
    const run = this.sqliteRunner('users');
    if (!run) return null;
    return (row) => {
      try {
        return run(columnsOf(tenantId, row));
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return null;
        throw e;
      }
    };
  }

  /** Inserts users (one statement over column arrays on PostgreSQL, one cached statement per row on SQLite); answers their ids in the order given. */
  async insertMany(tenantId: number, rows: NewUserRow[]): Promise<number[]> {
    const run = this.sqliteRunner('users');
    // A unique violation here is a race with another writer: it throws, and the caller replays row by row.
    if (run) return rows.map((r) => run(columnsOf(tenantId, r)));
    // PostgreSQL: ids drawn from the table's sequence first (in order), then one COPY with them.
    const { rows: drawn } = await sql<{ id: string | number }>`
      select nextval(pg_get_serial_sequence('users', 'id')) as id from generate_series(1, ${rows.length})`.execute(
      this.db,
    );
    const ids = drawn.map((r) => Number(r.id));
    const columns = rows.map((r, n) => ({ id: ids[n], ...columnsOf(tenantId, r) }));
    await copyInto(this.db, 'users', Object.keys(columns[0]), columns);
    this.wrote(rows.length);
    return ids;
  }

  /** Audit events of an import, many per statement (already redacted by the caller). */
  async insertAuditEvents(events: NewAuditEvent[], now = Date.now()): Promise<void> {
    if (events.length === 0) return;
    const row = (e: NewAuditEvent) => ({
      tenantId: e.tenantId,
      at: (e.at ?? new Date(now)).getTime(),
      actor: e.actor,
      action: e.action,
      target: e.target,
      changes: e.changes && Object.keys(e.changes).length > 0 ? JSON.stringify(e.changes) : null,
    });
    const run = this.sqliteRunner('auditEvents');
    if (run) {
      for (const e of events) run(row(e));
      return;
    }
    const rows = events.map(row);
    await copyInto(this.db, 'auditEvents', Object.keys(rows[0]), rows);
    this.wrote(events.length);
  }
}
