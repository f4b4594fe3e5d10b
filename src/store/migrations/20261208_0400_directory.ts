import { jsonType, type RosterMigration } from './migration.ts';

/** users.directory: a user's directory data (domain/user-fields.ts DIRECTORY), NULL when it has none. */
export const directory: RosterMigration = {
  async up(db, kind) {
    await db.schema.alterTable('users').addColumn('directory', jsonType(kind)).execute();
  },
  async down(db) {
    await db.schema.alterTable('users').dropColumn('directory').execute();
  },
};
