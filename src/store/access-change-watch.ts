import SQLite from 'better-sqlite3';
import pg from 'pg';

/**
 * Tells the caches in front of access look-ups (manager keys, tenants by license code or id)
 * whether what they read may have changed since: `token()` answers a number that differs from any
 * earlier one once a manager's key, role or tenant, or a tenant, may have changed (in this process
 * or any other), or null when that cannot be known right now (then: do not cache). A cache keeps the
 * token taken *before* its read and trusts the entry only while the token is the same, so a read
 * racing a change is never kept.
 */
export interface AccessChangeWatch {
  /** Begins watching (a server does at start-up); resolves once it can tell, or could not yet. Never throws. */
  start(): Promise<void>;
  token(): number | null;
  /** This process has just committed such a change: every earlier token is stale from now on. */
  changed(): void;
  close(): Promise<void>;
}

/** Nothing is cached. */
export const neverCache: AccessChangeWatch = {
  start: async () => {},
  token: () => null,
  changed() {},
  close: async () => {},
};

/**
 * SQLite: this process bumps the generation after each of its own such commits (`changed()`); the
 * writer's `pragma data_version` changes whenever a connection other than the writer commits (the
 * CLI, another process), which starts a new generation too. So our own writes of users, keys and
 * events leave the caches alone, and anything written from outside retires them all. The pragma
 * (~5 µs inside a busy server, as much as the look-up it saves) is read at most once per
 * `lagMs`: another process's change is seen within that time, as PostgreSQL's notifications are.
 * While a stream iterates on the writer the pragma cannot run: no caching until it can.
 */
export function sqliteAccessWatch(writer: SQLite.Database, opts: { lagMs?: number } = {}): AccessChangeWatch {
  const lagMs = opts.lagMs ?? 1;
  // The connection's own prepare (cacheStatements wraps writer.prepare for Kysely's row objects).
  const version = SQLite.prototype.prepare.call(writer, 'pragma data_version').pluck();
  let generation = 0;
  let seen: unknown = null;
  let readAt = -Infinity;
  return {
    start: async () => {},
    token() {
      const now = performance.now();
      if (now - readAt < lagMs) return generation;
      let v: unknown;
      try {
        v = version.get();
      } catch {
        readAt = -Infinity;
        return null;
      }
      readAt = now;
      if (v !== seen) {
        seen = v;
        generation++;
      }
      return generation;
    },
    changed() {
      generation++;
    },
    close: async () => {},
  };
}

const CHANNEL = 'roster_access';

/**
 * PostgreSQL: one connection LISTENs to `roster_access` (triggers on managers and tenants notify at
 * commit, migration 0110). Each notification, and each (re)connection, starts a new generation. While the
 * listener is not connected, or has not answered its heartbeat, the token is null: nothing is cached
 * or trusted, so a lost notification cannot keep a revoked key alive. Connects at `start()` or on
 * first use.
 */
export function pgAccessWatch(url: string, opts: { heartbeatMs?: number; retryMs?: number } = {}): AccessChangeWatch {
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
    const c = new pg.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      application_name: 'roster-access-listener',
    });
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
