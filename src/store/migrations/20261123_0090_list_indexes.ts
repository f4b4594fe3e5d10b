import { sql } from 'kysely';
import type { RosterMigration } from './migration.ts';

/**
 * Indexes that let sorted user pages read in index order instead of sorting the tenant.
 *
 * Lists order by `asc nulls first` / `desc nulls last` (NULL is the smallest value, SQLite's own
 * rule; see nullsOrder). A PostgreSQL btree is `asc nulls last` by default, which matches neither
 * direction of those sorts, so PostgreSQL sorted every matching row (at 1,000,000 users, a page
 * took hundreds of ms). Here the nullable sort columns get NULLS FIRST on PostgreSQL: a forward
 * scan gives `asc nulls first`, a backward scan `desc nulls last`. `id` and other NOT NULL columns
 * are ordered without a NULLS clause (orderSql), so they match the default order.
 * SQLite already orders NULLs first; there only the new sort columns (username, email) are added.
 */
const SORTED: { name: string; columns: string[] }[] = [
  { name: 'users_tenant_last_name_idx', columns: ['last_name', 'id'] },
  { name: 'users_tenant_first_name_idx', columns: ['first_name', 'id'] },
  { name: 'users_tenant_company_idx', columns: ['company', 'last_name', 'id'] },
];
const ADDED: { name: string; columns: string[] }[] = [
  { name: 'users_tenant_username_sort_idx', columns: ['username', 'id'] },
  { name: 'users_tenant_email_sort_idx', columns: ['email', 'id'] },
  { name: 'users_tenant_display_name_idx', columns: ['display_name', 'id'] },
];

const pgColumns = (columns: string[]) =>
  sql.raw(['tenant_id', ...columns.map((c) => (c === 'id' ? c : `${c} nulls first`))].join(', '));

export const listIndexes: RosterMigration = {
  async up(db, kind) {
    if (kind === 'postgres') {
      for (const ix of SORTED) {
        await db.schema.dropIndex(ix.name).execute();
        await sql`create index ${sql.id(ix.name)} on users (${pgColumns(ix.columns)})`.execute(db);
      }
      for (const ix of ADDED)
        await sql`create index ${sql.id(ix.name)} on users (${pgColumns(ix.columns)})`.execute(db);
      return;
    }
    for (const ix of ADDED)
      await db.schema
        .createIndex(ix.name)
        .on('users')
        .columns(['tenant_id', ...ix.columns])
        .execute();
  },
  async down(db, kind) {
    for (const ix of ADDED) await db.schema.dropIndex(ix.name).execute();
    if (kind === 'postgres') {
      for (const ix of SORTED) {
        await db.schema.dropIndex(ix.name).execute();
        await db.schema
          .createIndex(ix.name)
          .on('users')
          .columns(['tenant_id', ...ix.columns])
          .execute();
      }
    }
  },
};
