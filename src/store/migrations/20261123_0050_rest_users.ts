import { idType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * Seed 002 (/rest/users): application keys with a usage counter, and the failed-login record
 * behind the brute-force lockout (in the database, so every Roster process sees the same count).
 */
export const restUsers: RosterMigration = {
  async up(db, kind) {
    const id = idType(kind);
    const t = timeType(kind);
    const ref = refType(kind);
    await db.schema
      .createTable('app_keys')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key_digest', 'text', (c) => c.notNull().unique())
      // Fractional costs are allowed (allusage is a double on the wire).
      .addColumn('usage', kind === 'postgres' ? 'double precision' : 'real', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('last_used_at', t)
      .addColumn('revoked_at', t)
      .execute();
    await db.schema
      .createIndex('app_keys_tenant_user_idx')
      .on('app_keys')
      .columns(['tenant_id', 'user_id', 'id'])
      .execute();

    // One row per Basic login in progress or failed; `failed` = 0 while the password is being checked.
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
  async down(db) {
    await db.schema.dropTable('login_locks').execute();
    await db.schema.dropTable('login_attempts').execute();
    await db.schema.dropTable('app_keys').execute();
  },
};
