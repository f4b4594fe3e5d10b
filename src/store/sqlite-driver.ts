import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import type SQLite from 'better-sqlite3';

/**
 * SQLite with two connections: one writer, one reader (WAL lets a reader see the last commit while
 * a write transaction is open).
 *
 * Kysely's own SQLite driver has one connection behind a mutex, so every read waited for whatever
 * transaction was open, including a 20,000-row import batch; and a read could not start while a
 * group of writes was being committed. Here, a SELECT outside a transaction runs on the reader at
 * once; writes and transactions take the writer in turn. Statements run synchronously
 * (better-sqlite3), so the reader never sees half of a transaction: it sees commits only.
 */
export class ReadWriteSqliteDialect implements Dialect {
  constructor(private readonly connections: { writer: SQLite.Database; reader?: SQLite.Database }) {}
  createDriver(): Driver {
    return new ReadWriteSqliteDriver(this.connections.writer, this.connections.reader ?? null);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}

/** Hands the writer to one holder at a time (a transaction, or one write statement). */
class WriterLock {
  private held = false;
  private readonly waiters: (() => void)[] = [];
  async lock(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  unlock(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

function run(db: SQLite.Database, q: CompiledQuery): QueryResult<any> {
  const stmt = db.prepare(q.sql);
  if (stmt.reader) return { rows: stmt.all(q.parameters as unknown[]) };
  const { changes, lastInsertRowid } = stmt.run(q.parameters as unknown[]);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

class ReadWriteSqliteDriver implements Driver {
  readonly lock = new WriterLock();
  constructor(
    readonly writer: SQLite.Database,
    readonly reader: SQLite.Database | null,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this);
  }

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    const conn = c as RoutedConnection;
    await this.lock.lock();
    conn.inTransaction = true;
    try {
      // IMMEDIATE: take the write lock now (waiting up to busy_timeout for another process) rather
      // than fail later at the first write with SQLITE_BUSY_SNAPSHOT.
      this.writer.prepare('begin immediate').run();
    } catch (e) {
      conn.inTransaction = false;
      this.lock.unlock();
      throw e;
    }
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    // A failed commit leaves the transaction open: Kysely then calls rollbackTransaction, which unlocks.
    this.writer.prepare('commit').run();
    this.end(c as RoutedConnection);
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    try {
      // After some errors (disk full, I/O) SQLite has already rolled back by itself.
      if (this.writer.inTransaction) this.writer.prepare('rollback').run();
    } finally {
      this.end(c as RoutedConnection);
    }
  }

  async releaseConnection(c: DatabaseConnection): Promise<void> {
    this.end(c as RoutedConnection);
  }

  private end(conn: RoutedConnection): void {
    if (!conn.inTransaction) return;
    conn.inTransaction = false;
    this.lock.unlock();
  }

  async destroy(): Promise<void> {
    this.reader?.close();
    this.writer.close();
  }
}

/** One Kysely "connection": a transaction on the writer, or a router of single statements. */
class RoutedConnection implements DatabaseConnection {
  inTransaction = false;
  constructor(private readonly driver: ReadWriteSqliteDriver) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const { writer, reader, lock } = this.driver;
    if (this.inTransaction) return run(writer, q);
    if (reader && SelectQueryNode.is(q.query)) return run(reader, q);
    await lock.lock();
    try {
      return run(writer, q);
    } finally {
      lock.unlock();
    }
  }

  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(q.query)) throw new Error('SQLite streams only SELECT queries');
    const { writer, lock } = this.driver;
    // A stream holds its statement open across awaits: on the reader it would pin every other read
    // to its snapshot, so it runs on the writer, which it holds until done.
    const own = !this.inTransaction;
    if (own) await lock.lock();
    try {
      for (const row of writer.prepare(q.sql).iterate(q.parameters as unknown[])) yield { rows: [row as R] };
    } finally {
      if (own) lock.unlock();
    }
  }
}
