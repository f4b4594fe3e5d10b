import type { Kysely } from 'kysely';
import type { DbKind } from '../database.ts';

/** A migration that knows which database it runs on (types differ where SQLite and PostgreSQL truly differ). */
export interface RosterMigration {
  up(db: Kysely<any>, kind: DbKind): Promise<void>;
  down(db: Kysely<any>, kind: DbKind): Promise<void>;
}

export const idType = (kind: DbKind) => (kind === 'postgres' ? 'bigserial' : 'integer');
/** Epoch milliseconds. */
export const timeType = (kind: DbKind) => (kind === 'postgres' ? 'bigint' : 'integer');
export const refType = (kind: DbKind) => (kind === 'postgres' ? 'bigint' : 'integer');
export const jsonType = (kind: DbKind) => (kind === 'postgres' ? 'jsonb' : 'text');
