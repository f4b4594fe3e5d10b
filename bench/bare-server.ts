/**
 * The lean bare stack the GET-by-id and creation targets are measured against: bare Fastify 5 +
 * better-sqlite3 (WAL, synchronous=NORMAL) or + pg, on the database the bench seeded for Roster (its
 * users table with the unique and list indexes a directory needs). It reads one user row with a
 * prepared `select * from users where id = ?` (by externalId for Usermost, whose users are named by
 * it), inserts one user row per request in its own transaction, and answers with Fastify's default
 * JSON. No authentication, tenancy, rate limit, validation, audit trail, mapping or response schema:
 * what the machine allows. Started by bench/bare-process.ts as its own process, like Roster.
 *
 * env: BARE_DATABASE_URL (`sqlite:<file>` or `postgres://…`), PORT, HOST.
 */
import Fastify from 'fastify';
import SQLite from 'better-sqlite3';
import pg from 'pg';

const url = process.env.BARE_DATABASE_URL ?? '';
const port = Number(process.env.PORT ?? 0);

type Row = Record<string, unknown> & { attributes: unknown };
interface NewUser {
  username: string;
  email: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  attributes?: Record<string, unknown>;
}
type Found = Row | undefined | Promise<Row | undefined>;
let byId: (id: number) => Found;
let byExternalId: (tenantId: number, externalId: string) => Found;
let insert: (tenantId: number, u: NewUser) => Row | Promise<Row>;

const COLUMNS =
  'tenant_id, username, username_lower, email, email_lower, first_name, last_name, company, attributes, created_at, updated_at';
const valuesOf = (tenantId: number, u: NewUser) => {
  const now = Date.now();
  return [
    tenantId,
    u.username,
    u.username.toLowerCase(),
    u.email,
    u.email.toLowerCase(),
    u.firstName ?? null,
    u.lastName ?? null,
    u.company ?? null,
    JSON.stringify(u.attributes ?? {}),
    now,
    now,
  ];
};

if (url.startsWith('sqlite:')) {
  const db = new SQLite(url.slice('sqlite:'.length));
  // Roster's own durability setting on SQLite (WAL, synchronous NORMAL).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const select = db.prepare('select * from users where id = ?');
  const selectExternal = db.prepare('select * from users where tenant_id = ? and external_id = ?');
  const add = db.prepare(`insert into users (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *`);
  byId = (id) => select.get(id) as Row | undefined;
  byExternalId = (tenantId, externalId) => selectExternal.get(tenantId, externalId) as Row | undefined;
  insert = (tenantId, u) => add.get(...valuesOf(tenantId, u)) as Row;
} else {
  // The bench puts its schema in the URL's `options` (search_path); pg reads it from there.
  // As many connections as Roster's pool has by default.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  byId = async (id) =>
    (await pool.query<Row>({ name: 'bare_by_id', text: 'select * from users where id = $1', values: [id] })).rows[0];
  byExternalId = async (tenantId, externalId) =>
    (
      await pool.query<Row>({
        name: 'bare_by_external_id',
        text: 'select * from users where tenant_id = $1 and external_id = $2',
        values: [tenantId, externalId],
      })
    ).rows[0];
  const text = `insert into users (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning *`;
  insert = async (tenantId, u) =>
    (await pool.query<Row>({ name: 'bare_insert', text, values: valuesOf(tenantId, u) })).rows[0];
}

const answer = (row: Row) => {
  const { password_hash: _secret, ...user } = row;
  return { ...user, attributes: typeof user.attributes === 'string' ? JSON.parse(user.attributes) : user.attributes };
};

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get<{ Params: { id: string } }>('/users/:id', async (req, reply) => {
  const row = await byId(Number(req.params.id));
  if (!row) return reply.code(404).send({ error: 'not found' });
  return answer(row);
});
app.get<{ Params: { tenant: string; externalId: string } }>(
  '/tenants/:tenant/external/:externalId',
  async (req, reply) => {
    const row = await byExternalId(Number(req.params.tenant), req.params.externalId);
    if (!row) return reply.code(404).send({ error: 'not found' });
    return answer(row);
  },
);
app.post<{ Params: { tenant: string }; Body: NewUser }>('/tenants/:tenant/users', async (req, reply) => {
  reply.code(201);
  return answer(await insert(Number(req.params.tenant), req.body));
});
await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
