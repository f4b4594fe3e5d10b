import SQLite from 'better-sqlite3';
import pg from 'pg';

/**
 * Tells a cache of manager keys whether what it read may have changed since: `token()` answers a
 * number that differs from any earlier one once a manager key, role or tenant may have changed
 * (in this process or any other), or null when that cannot be known right now (then: do not cache).
 * A cache remembers the token taken *before* its read and trusts the entry only while the token is
 * the same, so a read racing a change is never kept.
 */
export interface KeyChangeWatch {
  /** Begins watching (a server does at start-up); resolves once it can tell, or could not yet. Never throws. */
  start(): Promise<void>;
  token(): number | null;
  /** This process has just committed such a change: every earlier token is stale from now on. */
  changed(): void;
  close(): Promise<void>;
}

/** No cache (in-memory SQLite, whose only connection never sees "another" commit). */
export const neverCache: KeyChangeWatch = { start: async () => {}, token: () => null, changed() {}, close: async () => {} };

/**
 * SQLite: `pragma data_version` on the reader changes whenever any other connection commits (our
 * own writer, the CLI, another process), so any write at all retires every cached key. Costs one
 * ~1 µs statement per look-up against the key read it saves.
 */
export function sqliteKeyWatch(reader: SQLite.Database): KeyChangeWatch {
  // The connection's own prepare (cacheStatements wraps reader.prepare for Kysely's row objects).
  const version = SQLite.prototype.prepare.call(reader, 'pragma data_version').pluck();
  return { start: async () => {}, token: () => version.get() as number, changed() {}, close: async () => {} };
}

const CHANNEL = 'roster_manager_keys';

/**
 * PostgreSQL: one connection LISTENs to `roster_manager_keys` (a trigger notifies at commit,
 * migration 0110). Each notification, and each (re)connection, starts a new generation. While the
 * listener is not connected, or has not answered its heartbeat, the token is null: nothing is cached
 * or trusted, so a lost notification cannot keep a revoked key alive. Connects at `start()` or on
 * first use.
 */
export function pgKeyWatch(url: string, opts: { heartbeatMs?: number; retryMs?: number } = {}): KeyChangeWatch {
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const retryMs = opts.retryMs ?? 1_000;
  let generation = 0;
  let live = false;
  let started: Promise<void> | null = null;
  let closed = false;
  let client: pg.Client | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;

  const drop = (c: pg.Client) => {
    if (client !== c) return;
    live = false;
    client = null;
    generation++;
    clearInterval(heartbeat);
    c.removeAllListeners('notification');
    c.on('error', () => {});
    void c.end().catch(() => {});
    if (!closed) retry = setTimeout(connect, retryMs).unref();
  };

  async function connect() {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 5_000, application_name: 'roster-key-listener' });
    client = c;
    c.on('error', () => drop(c));
    c.on('end', () => drop(c));
    c.on('notification', () => generation++);
    try {
      await c.connect();
      await c.query(`listen ${CHANNEL}`);
    } catch {
      return drop(c);
    }
    if (client !== c) return;
    // Whatever changed while nobody listened: start over.
    generation++;
    live = true;
    // A connection that silently stopped answering would also stop delivering notifications.
    heartbeat = setInterval(() => {
      let answered = false;
      const timer = setTimeout(() => answered || drop(c), heartbeatMs).unref();
      c.query('select 1').then(
        () => ((answered = true), clearTimeout(timer)),
        () => drop(c),
      );
    }, heartbeatMs).unref();
  }

  return {
    start() {
      return (started ??= connect());
    },
    token() {
      if (!started) void this.start();
      return live ? generation : null;
    },
    changed() {
      generation++;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const c = client;
      client = null;
      live = false;
      if (c) await c.end().catch(() => {});
    },
  };
}
