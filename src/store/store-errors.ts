import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { StoreUnavailable, UniqueViolation } from '../domain/errors.ts';

/** Driver codes of a database that cannot be reached (or is shutting down): 503. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);
/**
 * Transient contention, worth a retry: too many connections, deadlock or serialization failure on
 * PostgreSQL; a busy or locked SQLite file (SQLITE_BUSY_SNAPSHOT does not wait for busy_timeout).
 */
const CONTENTION = new Set(['53300', '40001', '40P01']);
const CONTENDED_SQLITE = /^SQLITE_(BUSY|LOCKED)/;
const UNREACHABLE_WORDS =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Query read timeout/i;

/**
 * A driver's error as the domain names it: a unique violation or an unavailable database; any
 * other error as it is. The only place that reads SQLite's and PostgreSQL's error codes.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof UniqueViolation || err instanceof StoreUnavailable) return err;
  const e = err as { code?: unknown; constraint?: string; message?: string } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code === '23505') return new UniqueViolation(e?.constraint ?? e?.message ?? 'unique', { cause: err });
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return new UniqueViolation(e?.message ?? 'unique', { cause: err });
  if (CONTENTION.has(code) || CONTENDED_SQLITE.test(code)) return new StoreUnavailable(true, { cause: err });
  if (UNREACHABLE.has(code) || UNREACHABLE_WORDS.test(e?.message ?? ''))
    return new StoreUnavailable(false, { cause: err });
  return err;
}

const rethrow = (e: unknown): never => {
  throw toStoreError(e);
};

/** A dialect whose every query, transaction step and connection throws domain errors (toStoreError). */
export class StoreErrorDialect implements Dialect {
  constructor(private readonly inner: Dialect) {}
  createDriver(): Driver {
    return new StoreErrorDriver(this.inner.createDriver());
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createAdapter() {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return this.inner.createIntrospector(db);
  }
}

/** The inner driver's connections are handed to Kysely wrapped, and back to the driver unwrapped. */
class StoreErrorConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}
  executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return this.inner.executeQuery<R>(q).catch(rethrow);
  }
  async *streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(q, chunkSize);
    } catch (e) {
      rethrow(e);
    }
  }
}

const innerOf = (c: DatabaseConnection) => (c as StoreErrorConnection).inner;

type SavepointStep = (c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) => Promise<void>;

class StoreErrorDriver implements Driver {
  // Only where the inner driver has them: Kysely reads their presence as "savepoints supported".
  savepoint?: SavepointStep;
  rollbackToSavepoint?: SavepointStep;
  releaseSavepoint?: SavepointStep;

  constructor(private readonly inner: Driver) {
    for (const step of ['savepoint', 'rollbackToSavepoint', 'releaseSavepoint'] as const) {
      const f = inner[step]?.bind(inner);
      if (f) this[step] = (c, name, compile) => f(innerOf(c), name, compile).catch(rethrow);
    }
  }
  init(): Promise<void> {
    return this.inner.init().catch(rethrow);
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new StoreErrorConnection(await this.inner.acquireConnection().catch(rethrow));
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(innerOf(c), settings).catch(rethrow);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(innerOf(c)).catch(rethrow);
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(innerOf(c)).catch(rethrow);
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

type Rows = Record<string, unknown>[];
type ReadNow = (q: CompiledQuery) => Rows | Promise<Rows>;

/** A ReadNow (hot reads outside Kysely, database.ts) that throws domain errors too; synchronous answers stay synchronous. */
export function storeErrorReadNow(read: ReadNow): ReadNow {
  return (q) => {
    try {
      const rows = read(q);
      return rows instanceof Promise ? rows.catch(rethrow) : rows;
    } catch (e) {
      return rethrow(e);
    }
  };
}
