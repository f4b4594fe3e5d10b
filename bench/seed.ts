import SQLite from 'better-sqlite3';
import pg from 'pg';

/**
 * Seeds users straight into the database (the bench may use the store; the scenarios go through
 * HTTP). Values are a pure function of the user's number, so SQLite and PostgreSQL runs see the
 * same data and the scenarios can name users without reading them back.
 */

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Barbara',
  'Dennis',
  'Ken',
  'Margaret',
  'Edsger',
  'Donald',
  'Frances',
  'John',
  'Radia',
  'Tim',
  'Sophie',
  'Guido',
];
const LAST = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  'Wood',
  'Jackson',
  'Clarke',
];
const SUFFIX = [
  '',
  'son',
  'er',
  'ley',
  'ford',
  'wood',
  'ham',
  'ton',
  'field',
  'by',
  'well',
  'more',
  'stone',
  'bridge',
  'worth',
  'man',
];
const COMPANY = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne'];
const TITLE = ['Engineer', 'Manager', 'Analyst', 'Director', 'Designer', 'Consultant'];
const DEPARTMENT = ['R&D', 'Sales', 'Support', 'Finance', 'Legal', 'Operations'];
const TIER = ['gold', 'silver', 'bronze'];
const EPOCH = Date.UTC(2024, 0, 1);

/** The company the list scenario filters on: 1 user in 200 works there. */
export const LIST_COMPANY = companyOf(0);

function companyOf(k: number): string {
  return `${COMPANY[k % 10]} ${Math.floor(k / 10)}`;
}

export const usernameOf = (i: number) => `user${i}`;
/** The externalId (SCIM externalId, Usermost userId) of user number i. */
export const externalIdOf = (i: number) => `ext-${i}`;
/** The email of user number i (SCIM emails.value). */
export const emailOf = (i: number) => `user${i}@example.com`;

export interface SeedUser {
  externalId: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string | null;
  displayName: string;
  company: string;
  title: string;
  department: string;
  active: number;
  attributes: string;
  createdAt: number;
}

export function seedUser(i: number): SeedUser {
  const h = Math.imul(i, 2654435761) >>> 0; // spreads neighbouring numbers over the name lists
  const firstName = FIRST[h % FIRST.length];
  // One user in 97 has no last name: exercises the NULL ordering rule of sorted pages.
  const lastName = i % 97 === 0 ? null : LAST[(h >>> 4) % LAST.length] + SUFFIX[(h >>> 9) % SUFFIX.length];
  return {
    externalId: externalIdOf(i),
    username: usernameOf(i),
    email: emailOf(i),
    firstName,
    lastName,
    displayName: `${firstName} ${lastName ?? ''}`.trim(),
    company: companyOf(i % 200),
    title: TITLE[i % TITLE.length],
    department: DEPARTMENT[(h >>> 13) % DEPARTMENT.length],
    active: i % 50 === 0 ? 0 : 1,
    attributes: JSON.stringify({
      tier: TIER[i % 3],
      employeeNumber: `E${String(i).padStart(7, '0')}`,
      costCenter: `CC${i % 50}`,
    }),
    createdAt: EPOCH + i * 1000,
  };
}

const BATCH = 5000;

export async function seedUsers(
  databaseUrl: string,
  tenantId: number,
  n: number,
  progress?: (done: number) => void,
): Promise<{ firstId: number; lastId: number }> {
  return databaseUrl.startsWith('sqlite:')
    ? seedSqlite(databaseUrl.slice('sqlite:'.length), tenantId, n, progress)
    : seedPostgres(databaseUrl, tenantId, n, progress);
}

async function seedSqlite(path: string, tenantId: number, n: number, progress?: (done: number) => void) {
  const db = new SQLite(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // seeding only; Roster itself keeps FULL
    db.pragma('cache_size = -262144');
    const insert =
      db.prepare(`insert into users (tenant_id, external_id, username, username_lower, email, email_lower, first_name, last_name,
      display_name, company, title, department, active, verified, plan, billing_type, attributes, created_at, updated_at, version)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'free', 'invoice', ?, ?, ?, 1)`);
    const batch = db.transaction((from: number, to: number) => {
      let id = 0;
      for (let i = from; i < to; i++) {
        const u = seedUser(i);
        id = Number(
          insert.run(
            tenantId,
            u.externalId,
            u.username,
            u.username,
            u.email,
            u.email,
            u.firstName,
            u.lastName,
            u.displayName,
            u.company,
            u.title,
            u.department,
            u.active,
            u.attributes,
            u.createdAt,
            u.createdAt,
          ).lastInsertRowid,
        );
      }
      return id;
    });
    let firstId = 0;
    let lastId = 0;
    for (let from = 1; from <= n; from += BATCH) {
      const to = Math.min(n + 1, from + BATCH);
      lastId = batch(from, to);
      if (from === 1) firstId = lastId - (to - from) + 1;
      progress?.(to - 1);
      // Let the progress line render and timers run between batches.
      await new Promise((r) => setImmediate(r));
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { firstId, lastId };
  } finally {
    db.close();
  }
}

async function seedPostgres(url: string, tenantId: number, n: number, progress?: (done: number) => void) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    let firstId = 0;
    let lastId = 0;
    for (let from = 1; from <= n; from += BATCH) {
      const to = Math.min(n + 1, from + BATCH);
      const cols: unknown[][] = Array.from({ length: 12 }, () => []);
      for (let i = from; i < to; i++) {
        const u = seedUser(i);
        [
          u.externalId,
          u.username,
          u.email,
          u.firstName,
          u.lastName,
          u.displayName,
          u.company,
          u.title,
          u.department,
          u.active,
          u.attributes,
          u.createdAt,
        ].forEach((v, k) => cols[k].push(v));
      }
      const r = await client.query(
        `insert into users (tenant_id, external_id, username, username_lower, email, email_lower, first_name, last_name, display_name,
           company, title, department, active, verified, plan, billing_type, attributes, created_at, updated_at, version)
         select $1, xi, u, u, e, e, f, l, d, c, t, dp, a, 0, 'free', 'invoice', at::jsonb, ca, ca, 1
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::smallint[], $12::text[], $13::bigint[])
           as x(xi, u, e, f, l, d, c, t, dp, a, at, ca)
         returning id`,
        [tenantId, ...cols],
      );
      const ids = r.rows.map((row: { id: number }) => Number(row.id));
      if (from === 1) firstId = Math.min(...ids);
      lastId = Math.max(lastId, ...ids);
      progress?.(to - 1);
    }
    // A bulk load leaves the planner without statistics and the visibility map unset until
    // autovacuum gets to it: until then every index-only scan (the total's count) fetched each
    // row from the heap (EXPLAIN at 1,000,000 users: 5,000 heap fetches, 35 ms cold, for one count).
    // A server that has run for a while is in the vacuumed state; measure that one.
    await client.query('vacuum analyze users');
    // And write out what the load and the vacuum left dirty now, not while a scenario runs (the
    // SQLite seed likewise checkpoints its WAL). Needs superuser or pg_checkpoint: without either,
    // the run starts with the dirty buffers instead.
    await client.query('checkpoint').catch(() => undefined);
    return { firstId, lastId };
  } finally {
    await client.end();
  }
}
