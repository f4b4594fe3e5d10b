import { sql } from 'kysely';
import type { RosterMigration } from './migration.ts';

/**
 * PostgreSQL: a change to the instance facts (the root key's digest, rotated by `roster root-key
 * rotate`) notifies `roster_access` too, so every process stops trusting the old root key at once.
 */
export const metaAccessChanges: RosterMigration = {
  async up(db, kind) {
    if (kind !== 'postgres') return;
    await sql`create trigger meta_access_changed after insert or update or delete on meta
      for each statement execute function roster_access_changed()`.execute(db);
  },
  async down(db, kind) {
    if (kind !== 'postgres') return;
    await sql`drop trigger if exists meta_access_changed on meta`.execute(db);
  },
};
