import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { Db } from '../database.ts';
import type { RosterMigration } from './migration.ts';
import { core } from './20261123_0001_core.ts';
import { events } from './20261123_0030_events.ts';
import { groups } from './20261123_0070_groups.ts';
import { audit } from './20261123_0100_audit.ts';
import { restUsers } from './20261123_0050_rest_users.ts';
import { imports } from './20261123_0080_imports.ts';
import { listIndexes } from './20261123_0090_list_indexes.ts';
import { accessChanges } from './20261123_0110_access_changes.ts';
import { webhooks } from './20261207_0150_webhooks.ts';
import { consoleSessions } from './20261207_0120_console.ts';
import { outboxPerStatement } from './20261208_0500_outbox_per_statement.ts';
import { metaAccessChanges } from './20261207_0160_meta_access_changes.ts';
import { loginKeys } from './20261208_0100_login_keys.ts';
import { directory } from './20261208_0400_directory.ts';

/** Every migration, by frozen timestamp name. Add new ones at the end; never edit a released one. */
const migrations: Record<string, RosterMigration> = {
  '20261123_0001_core': core,
  '20261123_0100_audit': audit,
  '20261123_0050_rest_users': restUsers,
  '20261123_0070_groups': groups,
  '20261123_0030_events': events,
  '20261123_0080_imports': imports,
  '20261123_0090_list_indexes': listIndexes,
  '20261123_0110_access_changes': accessChanges,
  '20261207_0120_console': consoleSessions,
  '20261207_0150_webhooks': webhooks,
  '20261207_0160_meta_access_changes': metaAccessChanges,
  '20261208_0100_login_keys': loginKeys,
  '20261208_0500_outbox_per_statement': outboxPerStatement,
  '20261208_0400_directory': directory,
};

export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider = {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) {
        out[name] = { up: (k: Kysely<any>) => m.up(k, db.kind), down: (k: Kysely<any>) => m.down(k, db.kind) };
      }
      return out;
    },
  };
  // Kysely looks for its migration tables in every schema unless told which: on a PostgreSQL
  // database shared with other schemas it would then skip creating them in ours.
  const schema =
    db.kind === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s
      : undefined;
  // Unordered: migrations written in parallel land in any order, so a database may already hold a
  // later-named one when an earlier-named one arrives; each still runs once.
  const migrator = new Migrator({
    db: db.kysely,
    provider,
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
