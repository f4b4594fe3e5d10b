import { idType, jsonType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * The audit trail: one row per change to a tenant, manager, key or user, written in the same
 * transaction as the change. No foreign key to tenants on purpose: the trail of a deleted tenant
 * (including its deletion) outlives it.
 */
export const audit: RosterMigration = {
  async up(db, kind) {
    await db.schema
      .createTable('audit_events')
      .addColumn('id', idType(kind), (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', refType(kind), (c) => c.notNull())
      .addColumn('at', timeType(kind), (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('changes', jsonType(kind))
      .execute();
    // Newest first per tenant, optionally narrowed by one filter: each filter has its own keyset index.
    await db.schema.createIndex('audit_events_tenant_idx').on('audit_events').columns(['tenant_id', 'id']).execute();
    await db.schema
      .createIndex('audit_events_target_idx')
      .on('audit_events')
      .columns(['tenant_id', 'target', 'id'])
      .execute();
    await db.schema
      .createIndex('audit_events_actor_idx')
      .on('audit_events')
      .columns(['tenant_id', 'actor', 'id'])
      .execute();
    await db.schema
      .createIndex('audit_events_action_idx')
      .on('audit_events')
      .columns(['tenant_id', 'action', 'id'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('audit_events').execute();
  },
};
