import { sql } from 'kysely';
import { idType, jsonType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * User events (Usermost's "track your users and their actions") and the remembered answers of
 * idempotent writes (x-request-id), both in the one database every Roster process shares.
 */
export const events: RosterMigration = {
  async up(db, kind) {
    const t = timeType(kind);
    const ref = refType(kind);
    await db.schema
      .createTable('events')
      .addColumn('id', idType(kind), (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('event_name', 'text', (c) => c.notNull())
      .addColumn('event_time', t, (c) => c.notNull())
      .addColumn('params', jsonType(kind), (c) => c.notNull().defaultTo(kind === 'postgres' ? sql`'{}'::jsonb` : '{}'))
      .addColumn('created_at', t, (c) => c.notNull())
      .execute();
    // A user's events newest first: the listing walks this index in order.
    await db.schema
      .createIndex('events_user_time_idx')
      .on('events')
      .columns(['tenant_id', 'user_id', 'event_time desc', 'id desc'])
      .execute();
    // The ON DELETE CASCADE from users looks events up by user_id alone.
    await db.schema.createIndex('events_user_idx').on('events').column('user_id').execute();

    await db.schema
      .createTable('idempotency_keys')
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', t, (c) => c.notNull())
      // The claim: a concurrent duplicate's insert waits on (then fails against) this key.
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'request_id'])
      .execute();
    await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute();
  },
  async down(db) {
    await db.schema.dropTable('idempotency_keys').execute();
    await db.schema.dropTable('events').execute();
  },
};
