import { idType, jsonType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * Import jobs: their state lives here (not in process memory) so that any Roster process can
 * answer GET …/imports/{jobId} while the one that received the file runs it.
 */
export const imports: RosterMigration = {
  async up(db, kind) {
    const t = timeType(kind);
    await db.schema
      .createTable('imports')
      .addColumn('id', idType(kind), (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', refType(kind), (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('dry_run', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('atomic', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('rows', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('errors', jsonType(kind))
      .addColumn('message', 'text')
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('updated_at', t, (c) => c.notNull())
      .addColumn('finished_at', t)
      .execute();
    await db.schema.createIndex('imports_tenant_idx').on('imports').columns(['tenant_id', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropTable('imports').execute();
  },
};
