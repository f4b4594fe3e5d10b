import { idType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * Failed logins are counted per login name (a digest of tenant and lower-cased username), whether
 * or not an account has that name, so a locked account and an unknown name answer alike. The rows
 * are short-lived counters: the old per-user ones are dropped, not converted.
 */
export const loginKeys: RosterMigration = {
  async up(db, kind) {
    await db.schema.dropTable('login_locks').execute();
    await db.schema.dropTable('login_attempts').execute();
    const id = idType(kind);
    const t = timeType(kind);
    // One row per Basic login in progress or failed; `failed` = 0 while the password is being checked.
    await db.schema
      .createTable('login_attempts')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('login_key', 'text', (c) => c.notNull())
      .addColumn('at', t, (c) => c.notNull())
      .addColumn('failed', 'smallint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('login_attempts_key_at_idx')
      .on('login_attempts')
      .columns(['login_key', 'at'])
      .execute();
    // For forgetting old attempts of every name at once (names an attacker tried once are never seen again).
    await db.schema.createIndex('login_attempts_at_idx').on('login_attempts').column('at').execute();
    await db.schema
      .createTable('login_locks')
      .addColumn('login_key', 'text', (c) => c.primaryKey())
      .addColumn('locked_until', t, (c) => c.notNull())
      .execute();
  },
  async down(db, kind) {
    await db.schema.dropTable('login_locks').execute();
    await db.schema.dropTable('login_attempts').execute();
    const id = idType(kind);
    const t = timeType(kind);
    const ref = refType(kind);
    await db.schema
      .createTable('login_attempts')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('at', t, (c) => c.notNull())
      .addColumn('failed', 'smallint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('login_attempts_user_at_idx').on('login_attempts').columns(['user_id', 'at']).execute();
    await db.schema
      .createTable('login_locks')
      .addColumn('user_id', ref, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('locked_until', t, (c) => c.notNull())
      .execute();
  },
};
