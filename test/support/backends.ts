import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Makes a fresh, empty database and answers its URL and a function that removes it. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'roster-test-'));
    return { url: `sqlite:${join(dir, 'roster.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

/** A fresh PostgreSQL schema per test database, selected through the connection's search_path. */
function postgres(baseUrl: string): Backend {
  return {
    name: 'postgres',
    async fresh() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const sep = baseUrl.includes('?') ? '&' : '?';
      const url = `${baseUrl}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      return {
        url,
        drop: async () => {
          const c = new pg.Client({ connectionString: baseUrl });
          await c.connect();
          await c.query(`drop schema if exists ${schema} cascade`);
          await c.end();
        },
      };
    },
  };
}

/** SQLite always; PostgreSQL when TEST_DATABASE_URL is set. In CI a missing PostgreSQL is a failure. */
export function backends(): Backend[] {
  const url = process.env.TEST_DATABASE_URL;
  if (!url && process.env.CI === 'true')
    throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL run would be skipped');
  return url ? [sqlite, postgres(url)] : [sqlite];
}
