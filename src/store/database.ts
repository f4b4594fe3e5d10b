import {
  CamelCasePlugin,
  Kysely,
  type CompiledQuery,
  sql,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawBuilder,
  type UnknownRow,
} from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './schema.ts';
import { ReadWriteSqliteDialect } from './sqlite-driver.ts';
import { RosterPostgresDialect } from './postgres-dialect.ts';
import { StoreErrorDialect, storeErrorReadNow } from './store-errors.ts';
import { refreshPlansAsTablesGrow } from './plan-refresh.ts';
import { pgAccessWatch, sqliteAccessWatch, type AccessChangeWatch } from './access-change-watch.ts';
import { isCopy, runCopy } from './pg-copy.ts';
import { sqliteSnapshot, transactionSnapshot, type Snapshot } from './snapshot.ts';

export type DbKind = 'sqlite' | 'postgres';

export interface Db {
  kind: DbKind;
  kysely: Kysely<Database>;
  /** Hot reads outside Kysely (see ReadNow); not for in-memory SQLite. */
  readNow?: ReadNow;
  /** SQLite files: changes whenever any connection or process commits (PRAGMA data_version, read on the reader). */
  dataVersion?: () => number;
  /** When cached manager keys and tenants may be stale (access-change-watch.ts). */
  accessChanges: AccessChangeWatch;
  /** A consistent read-only view for reads spanning many queries (snapshot.ts). */
  openSnapshot(): Promise<Snapshot>;
  /** Connections and failed queries so far, for /metrics (SQLite: one writer, never waiting). */
  stats(): DbStats;
  close(): Promise<void>;
}

export interface DbStats {
  inUse: number;
  idle: number;
  waiting: number;
  queryErrors: number;
}

/** Counts failed queries (Kysely logs each one; hot reads outside it count their own). */
function errorCounter(): { count: number; log: (e: { level: string }) => void } {
  const c = { count: 0, log: (e: { level: string }) => void (e.level === 'error' && c.count++) };
  return c;
}

/**
 * Runs a compiled SELECT of committed data and answers its rows with camelCase keys, as Kysely
 * would, for the hottest look-ups outside transactions (an API key, a user by id). SQLite: at once
 * (the writer between transactions, else the reader): Kysely's asynchronous pipeline around a
 * ~4 µs read cost as much again. PostgreSQL: straight to the pool (pgReadNow).
 */
export type ReadNow = (q: CompiledQuery) => Record<string, unknown>[] | Promise<Record<string, unknown>[]>;

// int8 (bigint) columns hold epoch milliseconds and counters: well inside Number's safe range.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric (SUM over bigints) likewise.
pg.types.setTypeParser(1700, (v) => Number(v));

/**
 * CamelCasePlugin with cheaper result rows: every row of one result has the same columns, so a
 * mapper is generated once per column list (an object literal: one allocation, a fixed shape)
 * instead of renaming key by key (the stock reduce was ~14% of a list page's CPU).
 * Nested objects keep their keys: on PostgreSQL they are jsonb user data (custom attributes),
 * which the stock plugin renamed (`cost_center` came back as `costCenter`).
 */
type RowMapper = (row: Record<string, unknown>) => Record<string, unknown>;
class RowCamelCase extends CamelCasePlugin {
  /** By column list; null: the rows already carry camelCase keys (PostgreSQL's, see rowsAsObjects). */
  private readonly mappers = new Map<string, RowMapper | null>();

  /** A column name as result rows carry it. */
  keyOf(column: string): string {
    return this.camelCase(column);
  }

  override async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const rows = args.result.rows as Record<string, unknown>[] | undefined;
    if (!Array.isArray(rows) || rows.length === 0) return args.result;
    const keys = Object.keys(rows[0]);
    const signature = keys.join(',');
    let map = this.mappers.get(signature);
    if (map === undefined) {
      // Keys are column names from our own SQL; JSON.stringify makes each a safe string literal.
      const fields = keys.map((k) => `${JSON.stringify(this.camelCase(k))}: r[${JSON.stringify(k)}]`);
      map = keys.every((k) => this.camelCase(k) === k)
        ? null
        : (new Function('r', `return { ${fields.join(', ')} };`) as RowMapper);
      if (this.mappers.size < 1000) this.mappers.set(signature, map);
    }
    return map === null ? args.result : { ...args.result, rows: rows.map(map) as UnknownRow[] };
  }
}

/**
 * Opens the database named by a URL: `sqlite:<path>`, `sqlite::memory:` or `postgres://…`.
 * This is the one place where SQLite and PostgreSQL differ in how they are reached.
 */
export function openDatabase(url: string, opts: { poolSize?: number } = {}): Db {
  const plugins = [new RowCamelCase()];
  const errors = errorCounter();
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const writer = new SQLite(path);
    writer.pragma('journal_mode = WAL');
    // NORMAL (WAL): an acknowledged write survives a crash or kill -9 of the process; only an OS crash
    // or power loss can drop the last commits (the file stays consistent). FULL fsyncs every commit
    // on the event loop: ~2 ms here, which capped writes at ~450/s and stalled every read meanwhile.
    writer.pragma('synchronous = NORMAL');
    writer.pragma('foreign_keys = ON');
    writer.pragma('busy_timeout = 5000');
    // 8 MiB of page cache for writes, 16 MiB for reads (was 64 on one connection): the OS page cache
    // serves the rest; at 1,000,000 users this kept the server's RSS ~55 MiB lower with the same
    // list and GET numbers (bench).
    writer.pragma('cache_size = -8192');
    cacheStatements(writer);
    // An in-memory database is private to its connection: it gets no reader.
    let reader: SQLite.Database | undefined;
    let dataVersion: (() => number) | undefined;
    if (path !== ':memory:') {
      reader = new SQLite(path);
      reader.pragma('busy_timeout = 5000');
      reader.pragma('cache_size = -16384');
      reader.pragma('query_only = ON');
      const version = reader.prepare('pragma data_version').pluck();
      dataVersion = () => version.get() as number;
      cacheStatements(reader);
    }
    const kysely = new Kysely<Database>({
      dialect: new StoreErrorDialect(new ReadWriteSqliteDialect({ writer, reader })),
      plugins,
      log: errors.log,
    });
    sqliteHandles.set(kysely.getExecutor().adapter, writer);
    const accessChanges = sqliteAccessWatch(writer);
    return {
      kind: 'sqlite',
      kysely,
      readNow: reader ? storeErrorReadNow(readNow(writer, reader, plugins[0])) : undefined,
      dataVersion,
      accessChanges,
      openSnapshot: async () =>
        path === ':memory:' ? transactionSnapshot(kysely, 'sqlite') : sqliteSnapshot(path, [new RowCamelCase()]),
      stats: () => ({
        inUse: writer.inTransaction ? 1 : 0,
        idle: writer.inTransaction ? 0 : 1,
        waiting: 0,
        queryErrors: errors.count,
      }),
      close: () => kysely.destroy(),
    };
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    // Fail fast when PostgreSQL is unreachable instead of queueing requests forever.
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => prepareStatements(client, plugins[0]));
  refreshPlansAsTablesGrow(pool);
  // Nor a checked-out one: pg emits 'error' on it besides failing its query, and nothing else
  // listens while it is checked out (an unhandled 'error' event would kill the process).
  pool.on('connect', (client) => client.on('error', () => {}));
  const kysely = new Kysely<Database>({
    dialect: new StoreErrorDialect(new RosterPostgresDialect({ pool })),
    plugins,
    log: errors.log,
  });
  const accessChanges = pgAccessWatch(url);
  return {
    kind: 'postgres',
    kysely,
    readNow: storeErrorReadNow(pgReadNow(pool, plugins[0], () => errors.count++)),
    accessChanges,
    openSnapshot: () => transactionSnapshot(kysely, 'postgres'),
    stats: () => ({
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      queryErrors: errors.count,
    }),
    close: async () => {
      await accessChanges.close();
      await kysely.destroy();
    },
  };
}

/** The better-sqlite3 handle behind a Kysely instance, by its adapter (transactions share it). */
const sqliteHandles = new WeakMap<object, SQLite.Database>();

/**
 * The raw SQLite writer behind `db`, for the store's bulk paths only (imports): one cached
 * statement run per row beats building multi-row statements through Kysely. Answered only inside
 * a transaction, which holds the writer: nothing else writes in between.
 */
export function sqliteConnection(db: Kysely<any>): SQLite.Database | undefined {
  return db.isTransaction ? sqliteHandles.get(db.getExecutor().adapter) : undefined;
}

/**
 * Kysely prepares every query anew, and compiling SQL was the largest single cost of a GET by id
 * (bench: ~14% of CPU). Statements are reused per SQL text (values stay bound parameters, so the
 * set of texts is small); SQLite re-prepares a cached statement by itself after a schema change.
 */
function cacheStatements(sqlite: SQLite.Database, max = 2000): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SQLite.Statement>();
  sqlite.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (stmt && !stmt.busy) return stmt;
    stmt = prepare(source);
    if (stmt.reader) stmt = rawReader(stmt, () => prepare(source));
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(source, stmt);
    return stmt;
  }) as typeof sqlite.prepare;
}

/**
 * A row fetched as an array (better-sqlite3 raw mode) → an object with these keys, built as one
 * object literal by a function generated for the key list (a fixed shape, one allocation).
 */
function arrayToObject(keys: string[]): (r: unknown[]) => Record<string, unknown> {
  // Keys come from SQLite (our SQL's names and aliases); JSON.stringify makes each a safe literal.
  const fields = keys.map((k, i) => `${JSON.stringify(k)}: r[${i}]`);
  return new Function('r', `return { ${fields.join(', ')} };`) as (r: unknown[]) => Record<string, unknown>;
}

/**
 * Reads on the writer connection while it is between transactions, else on the reader. Both see
 * only committed data then. Why: in WAL mode a connection drops its whole page cache whenever
 * another connection has committed since its last read, so under a stream of writes (key verifies,
 * creates) every read on the reader started cold (a tenant look-up by license code was ~18% of a
 * verify's CPU); the writer's cache survives its own commits. The writer is busy while a stream
 * iterates on it (exports): such a read goes to the reader.
 */
function readNow(writer: SQLite.Database, reader: SQLite.Database, names: RowCamelCase, max = 200): ReadNow {
  type Read = (params: readonly unknown[]) => Record<string, unknown>[];
  const compile = (db: SQLite.Database, sql: string): Read => {
    const stmt = SQLite.prototype.prepare.call(db, sql).raw(true);
    if (!stmt.reader) throw new Error('readNow runs SELECTs only');
    const toObject = arrayToObject(stmt.columns().map((c) => names.keyOf(c.name)));
    return (params) => (stmt.all(params as unknown[]) as unknown[][]).map(toObject);
  };
  const reads = new Map<string, { writer: Read; reader: Read }>();
  return (q) => {
    let read = reads.get(q.sql);
    if (!read) {
      read = { writer: compile(writer, q.sql), reader: compile(reader, q.sql) };
      if (reads.size < max) reads.set(q.sql, read);
    }
    if (!writer.inTransaction) {
      try {
        return read.writer(q.parameters);
      } catch (e) {
        if (!(e instanceof TypeError && /busy/i.test(e.message))) throw e;
      }
    }
    return read.reader(q.parameters);
  };
}

/**
 * A reading statement that fetches rows as arrays (better-sqlite3 raw mode) and turns each into an
 * object with a function generated for its column list: the same objects as better-sqlite3 makes,
 * built as one object literal instead of property by property in the driver. `iterate` (Kysely's
 * stream) uses an ordinary statement.
 */
function rawReader(stmt: SQLite.Statement, prepareObjects: () => SQLite.Statement): SQLite.Statement {
  stmt.raw(true);
  const toObject = arrayToObject(stmt.columns().map((c) => c.name));
  let objects: SQLite.Statement | undefined;
  return {
    reader: true,
    get busy() {
      return stmt.busy || (objects?.busy ?? false);
    },
    all: (...params: unknown[]) => (stmt.all(...params) as unknown[][]).map(toObject),
    get: (...params: unknown[]) => {
      const r = stmt.get(...params) as unknown[] | undefined;
      return r === undefined ? undefined : toObject(r);
    },
    run: (...params: unknown[]) => stmt.run(...params),
    iterate: (...params: unknown[]) => (objects ??= prepareObjects()).iterate(...params),
  } as unknown as SQLite.Statement;
}

/**
 * PostgreSQL parses and plans every unnamed query again. Queries with parameters run as named
 * prepared statements instead (the name is derived from the SQL text, so it is the same in every
 * connection and process); each connection prepares a text once. Values stay bound parameters, so
 * the set of texts is small; past `max` distinct texts the rest run unnamed.
 */
const statementNames = new Map<string, string>();
/** Texts whose best plan depends on their values and on table sizes: always run unnamed (see planOnEveryRun). */
const plannedPerRun = new Set<string>();

/**
 * Runs this SQL text as an unnamed statement on PostgreSQL, so it is planned with its own values
 * and the table sizes of the moment every time: a named statement's generic plan is kept until the
 * table's statistics change, and with autovacuum off (or between its runs) a plan made while a
 * table was empty stays while it grows to millions of rows. For statements whose planning is
 * cheap next to their execution (bulk look-ups).
 */
export function planOnEveryRun(text: string): void {
  if (plannedPerRun.size < 100) plannedPerRun.add(text);
}

/** The prepared statement name of a text with parameters (undefined: run it unnamed). */
function statementName(text: string, params: unknown[] | undefined, max = 2000): string | undefined {
  if (!params || params.length === 0 || plannedPerRun.has(text)) return undefined;
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < max) {
    name = 'r' + createHash('sha1').update(text).digest('base64url');
    statementNames.set(text, name);
  }
  return name;
}

function prepareStatements(client: pg.PoolClient, names: RowCamelCase): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult<unknown[]>>;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text !== 'string' || rest.length > 0 || (values !== undefined && !Array.isArray(values)))
      return query(text, values, ...rest);
    if (isCopy(values)) return runCopy(client, text, values[0]);
    const params = values as unknown[] | undefined;
    return query({ name: statementName(text, params), text, values: params, rowMode: 'array' }).then((r) =>
      rowsAsObjects(r, names),
    );
  };
}

/**
 * The hot look-ups outside transactions on PostgreSQL (a user by id, a key, a tenant): straight to
 * the pool, as the same named statement and row objects as through Kysely, without Kysely's
 * executor, connection provider and plugin passes around it (~20 µs of a ~115 µs query, measured
 * in-process at 10 concurrent queries; bench).
 */
function pgReadNow(pool: pg.Pool, names: RowCamelCase, failed: () => void): ReadNow {
  return (q) => {
    const values = q.parameters as unknown[];
    return pool.query({ name: statementName(q.sql, values), text: q.sql, values, rowMode: 'array' }).then(
      (r) => rowsAsObjects(r as pg.QueryResult<unknown[]>, names).rows as unknown as Record<string, unknown>[],
      (e: unknown) => {
        failed();
        throw e;
      },
    );
  };
}

/**
 * pg builds each row object field by field (31 columns for a user: V8 falls back to slow
 * dictionary objects; `parseRow` was 13% of a PostgreSQL list page's CPU). Rows come as arrays
 * instead and become objects through a function generated once per column list, as on SQLite,
 * already with camelCase keys: RowCamelCase then passes them through instead of copying each row.
 */
const pgRowMappers = new Map<string, (r: unknown[]) => Record<string, unknown>>();
function rowsAsObjects(result: pg.QueryResult<unknown[]>, names: RowCamelCase): pg.QueryResult<unknown[]> {
  const fields = result.fields;
  if (!fields || fields.length === 0 || result.rows.length === 0) return result;
  const key = fields.map((f) => f.name).join('\u0000');
  let toObject = pgRowMappers.get(key);
  if (!toObject) {
    toObject = arrayToObject(fields.map((f) => names.keyOf(f.name)));
    if (pgRowMappers.size < 2000) pgRowMappers.set(key, toObject);
  }
  (result as { rows: unknown[] }).rows = result.rows.map(toObject);
  return result;
}

/**
 * A custom attribute as text, alike on both databases: strings as they are, numbers as digits,
 * booleans as true/false, absent as NULL.
 */
export function attributeText(kind: DbKind, key: string): RawBuilder<string | null> {
  return jsonText(kind, sql.ref('attributes'), [key]);
}

/**
 * The text at a path of a JSON value (keys, or array positions as digits), as both databases render
 * it alike: booleans as 'true'/'false', numbers as text, objects as JSON. Path parts come from code
 * or are checked names, and go in as literals.
 */
export function jsonText(kind: DbKind, json: RawBuilder<unknown>, path: string[]): RawBuilder<string | null> {
  if (kind === 'postgres') {
    if (path.length === 1) return sql<string | null>`(${json} ->> ${sql.lit(path[0])})`;
    return sql<string | null>`(${json} #>> ${sql.lit(`{${path.map((p) => JSON.stringify(p)).join(',')}}`)})`;
  }
  const p = sql.lit('$' + path.map((x) => (/^\d+$/.test(x) ? `[${x}]` : `.${JSON.stringify(x)}`)).join(''));
  return sql<
    string | null
  >`(case json_type(${json}, ${p}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${json}, ${p}) as text) end)`;
}

/**
 * `exists (an element of the JSON array at key of column, bound to the name el, where cond)`: the
 * element is read with jsonText(kind, el, …).
 */
export function someElement(
  kind: DbKind,
  column: string,
  key: string,
  cond: (el: RawBuilder<unknown>) => RawBuilder<boolean>,
): RawBuilder<boolean> {
  if (kind === 'postgres')
    return sql<boolean>`exists (select 1 from jsonb_array_elements(${sql.ref(column)} -> ${sql.lit(key)}) as el(v) where ${cond(sql`el.v`)})`;
  return sql<boolean>`exists (select 1 from json_each(${sql.ref(column)}, ${sql.lit('$.' + JSON.stringify(key))}) as el where ${cond(sql`el.value`)})`;
}

/** Whether a JSON column holds a key (false for a NULL column). */
export function hasJsonKey(kind: DbKind, column: string, key: string): RawBuilder<boolean> {
  if (kind === 'postgres') return sql<boolean>`((${sql.ref(column)} -> ${sql.lit(key)}) is not null)`;
  return sql<boolean>`(json_type(${sql.ref(column)}, ${sql.lit('$.' + JSON.stringify(key))}) is not null)`;
}

/**
 * Case-sensitive substring / prefix / suffix tests (LIKE is case-insensitive on SQLite, so it is not
 * used). `bound` is what goes into the SQL as the parameter for `value` (see Bind in user-query-sql.ts).
 */
export function textMatch(
  kind: DbKind,
  op: 'co' | 'sw' | 'ew',
  col: RawBuilder<unknown>,
  value: string,
  bound: unknown = value,
): RawBuilder<boolean> {
  const n = value.length;
  if (op === 'co')
    return kind === 'postgres' ? sql<boolean>`strpos(${col}, ${bound}) > 0` : sql<boolean>`instr(${col}, ${bound}) > 0`;
  if (op === 'sw') return sql<boolean>`substr(${col}, 1, ${sql.lit(n)}) = ${bound}`;
  return kind === 'postgres'
    ? sql<boolean>`right(${col}, ${sql.lit(n)}) = ${bound}`
    : sql<boolean>`substr(${col}, ${sql.lit(-n)}) = ${bound}`;
}

/** Explicit NULL placement so both databases order alike: NULL is the smallest value (SQLite's own rule). */
export function nullsOrder(desc: boolean): RawBuilder<unknown> {
  return desc ? sql`desc nulls last` : sql`asc nulls first`;
}
