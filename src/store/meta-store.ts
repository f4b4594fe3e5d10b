import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { AccessCache } from './access-cache.ts';
import type { AccessChangeWatch } from './access-change-watch.ts';

/** Instance-wide facts shared by every Roster process (e.g. the generated root key's digest). */
export class MetaStore {
  /** Root store only: the root key's digest is asked for on every request that is not a manager's. */
  private readonly cache?: AccessCache<string>;

  constructor(
    private readonly db: Kysely<Database>,
    watch?: AccessChangeWatch,
  ) {
    if (watch) this.cache = new AccessCache(watch, { max: 16, ttlMs: 60_000 });
  }

  async get(key: string): Promise<string | null> {
    const r = await this.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return r?.value ?? null;
  }

  /** Like get, kept while no process has changed access-deciding facts (a rotated root key retires it). */
  cached(key: string): Promise<string | null> {
    return this.cache ? this.cache.get(key, () => this.get(key)) : this.get(key);
  }

  /** Sets the key only if absent; true when this call set it (first process wins). */
  async setIfAbsent(key: string, value: string): Promise<boolean> {
    const r = await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }
}
