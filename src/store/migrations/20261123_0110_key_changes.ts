import { sql } from 'kysely';
import type { RosterMigration } from './migration.ts';

/**
 * PostgreSQL: every change that can make a cached manager key stale (its digest, role or tenant
 * changes, the manager goes, its tenant's deletion cascades) notifies `roster_manager_keys` when
 * its transaction commits, so every Roster process drops its key cache (key-change-watch.ts).
 * A trigger also catches changes made outside Roster's services (SQL by hand, another version).
 * SQLite needs nothing: its reader sees any commit through `pragma data_version`.
 */
export const keyChanges: RosterMigration = {
  async up(db, kind) {
    if (kind !== 'postgres') return;
    await sql`create or replace function roster_manager_keys_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('roster_manager_keys', '');
        return null;
      end $$`.execute(db);
    await sql`create trigger managers_keys_changed after update of key_digest, role, tenant_id or delete on managers
      for each statement execute function roster_manager_keys_changed()`.execute(db);
  },
  async down(db, kind) {
    if (kind !== 'postgres') return;
    await sql`drop trigger if exists managers_keys_changed on managers`.execute(db);
    await sql`drop function if exists roster_manager_keys_changed()`.execute(db);
  },
};
