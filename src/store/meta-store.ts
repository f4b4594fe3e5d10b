import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Instance-wide facts shared by every Roster process (e.g. the generated root key's digest). */
export class MetaStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | null> {
    const r = await this.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return r?.value ?? null;
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
}
