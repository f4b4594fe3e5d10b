import { sql } from 'kysely';
import { refType, timeType, type RosterMigration } from './migration.ts';

/**
 * The admin console: managers' optional passwords (argon2id), one email per manager in a tenant
 * (the sign-in name), console sessions kept by the digest of their id (every process shares them),
 * the console's failed sign-ins per subject (brute-force lockout) and logins counted per day.
 */
export const consoleSessions: RosterMigration = {
  async up(db, kind) {
    const t = timeType(kind);
    const ref = refType(kind);
    await db.schema.alterTable('managers').addColumn('password_hash', 'text').execute();
    await sql`create unique index managers_tenant_email_uq on managers (tenant_id, lower(email))`.execute(db);
    await db.schema
      .createTable('console_sessions')
      .addColumn('id_digest', 'text', (c) => c.primaryKey())
      // null: the root operator's session
      .addColumn('manager_id', ref, (c) => c.references('managers.id').onDelete('cascade'))
      // the key digest and role when signed in: a later change of either ends the session
      .addColumn('key_digest', 'text', (c) => c.notNull())
      .addColumn('role', 'text')
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('last_seen_at', t, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('console_sessions_manager_idx').on('console_sessions').column('manager_id').execute();
    await db.schema
      .createTable('console_login_failures')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('at', t, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('console_login_failures_idx')
      .on('console_login_failures')
      .columns(['subject', 'at'])
      .execute();
    await db.schema
      .createTable('login_days')
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('logins', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('login_days_pk', ['tenant_id', 'day'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('login_days').execute();
    await db.schema.dropTable('console_login_failures').execute();
    await db.schema.dropTable('console_sessions').execute();
    await db.schema.dropIndex('managers_tenant_email_uq').execute();
    await db.schema.alterTable('managers').dropColumn('password_hash').execute();
  },
};
