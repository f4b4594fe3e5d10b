import { idType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * Tenant-scoped groups (SCIM Groups) and their members. Deleting a user or a group removes its
 * memberships through the foreign keys; displayName is unique per tenant, case-insensitively.
 */
export const groups: RosterMigration = {
  async up(db, kind) {
    const t = timeType(kind);
    const ref = refType(kind);
    await db.schema
      .createTable('groups')
      .addColumn('id', idType(kind), (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('display_name_lower', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text')
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('updated_at', t, (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createIndex('groups_tenant_display_name_uq')
      .on('groups')
      .columns(['tenant_id', 'display_name_lower'])
      .unique()
      .execute();
    await db.schema
      .createIndex('groups_tenant_external_id_idx')
      .on('groups')
      .columns(['tenant_id', 'external_id'])
      .execute();
    await db.schema.createIndex('groups_tenant_id_idx').on('groups').columns(['tenant_id', 'id']).execute();
    await db.schema
      .createTable('group_members')
      .addColumn('group_id', ref, (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute();
    // A user's groups (SCIM User.groups) and the cascade on user deletion.
    await db.schema
      .createIndex('group_members_user_idx')
      .on('group_members')
      .columns(['user_id', 'group_id'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('group_members').execute();
    await db.schema.dropTable('groups').execute();
  },
};
