import { sql } from 'kysely';
import { idType, jsonType, refType, timeType, type RosterMigration } from './migration.ts';

/** Tenants, managers (with key digests), users, and a small key/value table for instance-wide facts. */
export const core: RosterMigration = {
  async up(db, kind) {
    const id = idType(kind);
    const t = timeType(kind);
    const ref = refType(kind);
    await db.schema
      .createTable('meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tenants')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('license_code', 'text', (c) => c.notNull().unique())
      .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('updated_at', t, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('managers')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('key_digest', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('updated_at', t, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('managers_tenant_idx').on('managers').columns(['tenant_id', 'id']).execute();

    let users = db.schema
      .createTable('users')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'));
    for (const col of [
      'external_id',
      'username',
      'username_lower',
      'email',
      'email_lower',
      'first_name',
      'middle_name',
      'last_name',
      'display_name',
      'company',
      'title',
      'department',
      'website',
      'phone_home',
      'phone_office',
      'phone_mobile',
      'phone_toll_free',
      'phone_other',
      'pager',
      'fax',
      'gender',
    ]) {
      users = users.addColumn(col, 'text');
    }
    await users
      .addColumn('active', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('verified', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('plan', 'text', (c) => c.notNull().defaultTo('free'))
      .addColumn('billing_type', 'text', (c) => c.notNull().defaultTo('invoice'))
      .addColumn('attributes', jsonType(kind), (c) =>
        c.notNull().defaultTo(kind === 'postgres' ? sql`'{}'::jsonb` : '{}'),
      )
      .addColumn('password_hash', 'text')
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('updated_at', t, (c) => c.notNull())
      .addColumn('last_login_at', t)
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    // Uniqueness inside a tenant is the database's job (a race between processes still ends in one 409).
    await db.schema
      .createIndex('users_tenant_username_uq')
      .on('users')
      .columns(['tenant_id', 'username_lower'])
      .unique()
      .execute();
    await db.schema
      .createIndex('users_tenant_email_uq')
      .on('users')
      .columns(['tenant_id', 'email_lower'])
      .unique()
      .execute();
    await db.schema
      .createIndex('users_tenant_external_id_uq')
      .on('users')
      .columns(['tenant_id', 'external_id'])
      .unique()
      .execute();
    // The default listing order and the common sorts (keyset pages stay index-only in depth).
    await db.schema.createIndex('users_tenant_id_idx').on('users').columns(['tenant_id', 'id']).execute();
    await db.schema
      .createIndex('users_tenant_last_name_idx')
      .on('users')
      .columns(['tenant_id', 'last_name', 'id'])
      .execute();
    await db.schema
      .createIndex('users_tenant_first_name_idx')
      .on('users')
      .columns(['tenant_id', 'first_name', 'id'])
      .execute();
    await db.schema
      .createIndex('users_tenant_company_idx')
      .on('users')
      .columns(['tenant_id', 'company', 'last_name', 'id'])
      .execute();
    await db.schema
      .createIndex('users_tenant_created_idx')
      .on('users')
      .columns(['tenant_id', 'created_at', 'id'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('users').execute();
    await db.schema.dropTable('managers').execute();
    await db.schema.dropTable('tenants').execute();
    await db.schema.dropTable('meta').execute();
  },
};
