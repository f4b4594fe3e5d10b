import SQLite from 'better-sqlite3';
import { Kysely, type KyselyPlugin } from 'kysely';
import type { Database } from './schema.ts';
import { ReadWriteSqliteDialect } from './sqlite-driver.ts';

/**
 * A read-only view of the whole database as of one moment, for reads that span many queries
 * (backups): writes committed after it began are not seen, and writes go on meanwhile.
 */
export interface Snapshot {
  db: Kysely<Database>;
  /** Ends the read transaction and hands its connection back. */
  end(): Promise<void>;
}

/**
 * SQLite: a connection of its own, in a read transaction. WAL keeps the pages of that moment for
 * it while the writer commits. Not the shared reader: a long transaction there would pin every
 * other read to the old snapshot.
 */
export function sqliteSnapshot(path: string, plugins: KyselyPlugin[]): Snapshot {
  const conn = new SQLite(path, { readonly: true, fileMustExist: true });
  conn.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new ReadWriteSqliteDialect({ writer: conn }), plugins });
  conn.prepare('begin').run();
  // A deferred transaction takes its snapshot at its first read: take it now.
  conn.prepare('select count(*) from tenants').get();
  let ended = false;
  return {
    db,
    end: async () => {
      if (ended) return;
      ended = true;
      if (conn.inTransaction) conn.prepare('commit').run();
      await db.destroy();
    },
  };
}

/**
 * PostgreSQL: one pooled connection in a REPEATABLE READ, READ ONLY transaction (every query sees
 * the snapshot of its first). In-memory SQLite has no second connection: there the snapshot is a
 * transaction on the writer, so writes wait until it ends.
 */
export async function transactionSnapshot(kysely: Kysely<Database>, kind: 'sqlite' | 'postgres'): Promise<Snapshot> {
  const builder = kysely.startTransaction();
  const trx = await (
    kind === 'postgres' ? builder.setIsolationLevel('repeatable read').setAccessMode('read only') : builder
  ).execute();
  let ended = false;
  return {
    db: trx,
    end: async () => {
      if (ended) return;
      ended = true;
      await trx.commit().execute();
    },
  };
}
