import type pg from 'pg';

/** Roster's tables (the connection's schema) and their sizes on disk. */
const TABLE_SIZES = `select c.relname as name, pg_relation_size(c.oid) as bytes
  from pg_catalog.pg_class c where c.relnamespace = to_regnamespace(current_schema()) and c.relkind = 'r'`;

/** A table's size class: below 1 MiB, then one class per doubling. */
const sizeClass = (bytes: number) => (bytes < 2 ** 20 ? 0 : 1 + Math.floor(Math.log2(bytes / 2 ** 20)));

/**
 * Named statements (database.ts) keep the generic plan PostgreSQL chose for the tables as they were
 * then, until their statistics change: with autovacuum off, never. A list by username planned while
 * a tenant had 300 users read all of its 40,000 users later through another index, with the username
 * as a filter. So each process watches the sizes of its tables (on a connection being handed out,
 * at most every `everyMs`), and when one has doubled or shrunk by half, every connection runs
 * `DISCARD PLANS` before its next use: the statements stay prepared and are planned again for the
 * tables as they are, as in a process started now.
 */
export function refreshPlansAsTablesGrow(pool: pg.Pool, everyMs = 1000): void {
  let generation = 0;
  let classes: Map<string, number> | null = null;
  let lastCheck = 0;
  let checking = false;
  const planned = new WeakMap<pg.PoolClient, number>();
  pool.on('connect', (client) => planned.set(client, generation));
  pool.on('acquire', (client) => {
    // pg runs a client's queries in the order they were queued: these go before the caller's.
    if ((planned.get(client) ?? generation) !== generation) {
      planned.set(client, generation);
      client.query('discard plans').catch(() => {});
    }
    const now = Date.now();
    if (checking || now - lastCheck < everyMs) return;
    lastCheck = now;
    checking = true;
    client
      .query(TABLE_SIZES)
      .then(({ rows }) => {
        const next = new Map(
          (rows as { name: string; bytes: number | null }[]).map((r) => [r.name, sizeClass(Number(r.bytes ?? 0))]),
        );
        if (classes && [...next].some(([name, c]) => classes!.get(name) !== c)) generation++;
        classes = next;
      })
      .catch(() => {})
      .finally(() => (checking = false));
  });
}
