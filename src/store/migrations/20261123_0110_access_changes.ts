import { sql } from 'kysely';
import type { RosterMigration } from './migration.ts';

/**
 * PostgreSQL: every change that can make a cached manager key or tenant stale (a manager's digest,
 * role or tenant changes, a manager goes, a tenant changes or goes, with its managers) notifies
 * `roster_access` when its transaction commits, so every Roster process drops those caches
 * (access-change-watch.ts). Triggers also catch changes made outside Roster's services (SQL by
 * hand, another version). SQLite needs nothing: the writer sees other connections' commits through
 * `pragma data_version`.
 */
export const accessChanges: RosterMigration = {
  async up(db, kind) {
    if (kind !== 'postgres') return;
    await sql`create or replace function roster_access_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('roster_access', '');
        return null;
      end $$`.execute(db);
    await sql`create trigger managers_access_changed after update of key_digest, role, tenant_id or delete on managers
      for each statement execute function roster_access_changed()`.execute(db);
    await sql`create trigger tenants_access_changed after update or delete on tenants
      for each statement execute function roster_access_changed()`.execute(db);
  },
  async down(db, kind) {
    if (kind !== 'postgres') return;
    await sql`drop trigger if exists tenants_access_changed on tenants`.execute(db);
    await sql`drop trigger if exists managers_access_changed on managers`.execute(db);
    await sql`drop function if exists roster_access_changed()`.execute(db);
  },
};
