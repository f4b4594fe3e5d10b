import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';
import type { DbKind, ReadNow } from './database.ts';
import { USER_COLUMNS, newUserColumns, toColumns, toUser, type UserChanges, type UserRow } from './user-row.ts';
import type { UserValues } from '../domain/user-fields.ts';
import {
  afterCursorSql,
  columnOf,
  conditionSql,
  decodeCursor,
  effectiveSort,
  encodeCursor,
  keysetSql,
  orderSql,
  searchSql,
} from './user-query-sql.ts';
import { compiledForShape, precompiled, rowsOf } from './precompiled.ts';
import { ListValues, runShaped, shapeOf } from './list-shapes.ts';
import { MARK_STRIDE, pageFromMarks, type PageMarks } from './page-marks.ts';
import type { User } from '../domain/user.ts';
import type { UserGroupRef } from '../domain/group.ts';
import type { UserPage, UserQuery } from '../domain/user-query.ts';

const hasPassword = sql<number>`case when password_hash is null then 0 else 1 end`.as('hasPassword');

/** The columns of a new user's row. */
const newRow = (tenantId: number, values: UserValues, now: number): Record<string, unknown> =>
  newUserColumns(tenantId, values, now, now, null);

/** Every query here is scoped to one tenant. */
export class UserStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
    private readonly readNow?: ReadNow,
    /** Offset pages' marks (SQLite outside transactions: where the database's version can be read). */
    private readonly marks?: PageMarks,
  ) {}

  private select() {
    return this.db.selectFrom('users').select([...USER_COLUMNS, hasPassword]);
  }

  async insert(tenantId: number, values: UserValues, now = Date.now()): Promise<User> {
    const cols = newRow(tenantId, values, now);
    const keys = Object.keys(cols);
    // Compiled once per column set (see precompiled.ts): building the insert anew was a fifth of a create.
    const q = compiledForShape(this.db, `users.insert:${keys.join(',')}`, Object.values(cols), (v) =>
      this.db
        .insertInto('users')
        .values(Object.fromEntries(keys.map((k, i) => [k, v[i]])) as never)
        .returning([...USER_COLUMNS, hasPassword]),
    );
    const row = (await this.db.executeQuery(q)).rows[0];
    if (!row) throw new Error('insert returned no row');
    return toUser(row as UserRow);
  }

  /**
   * PostgreSQL: inserts a user and the audit event of its creation in ONE statement (a data-modifying
   * CTE: both rows or neither) instead of four round trips (BEGIN, two INSERTs, COMMIT), each
   * costing CPU and a wake-up of the database. The event's target is the new
   * user; its actor, when null, too (self sign-up). `changes` is already redacted JSON, or null.
   */
  async insertAudited(
    tenantId: number,
    values: UserValues,
    event: { actor: string | null; action: string; changes: string | null },
    now = Date.now(),
  ): Promise<User> {
    if (this.kind !== 'postgres')
      throw new Error('insertAudited is PostgreSQL only (SQLite has no data-modifying CTE)');
    const cols = newRow(tenantId, values, now);
    const keys = Object.keys(cols);
    const all = [...Object.values(cols), event.actor, event.action, event.changes];
    const q = compiledForShape(this.db, `users.insertAudited:${keys.join(',')}`, all, (v) => {
      const [actor, action, changes] = v.slice(keys.length);
      const target = sql<string>`'user:' || ${sql.ref('u.id')}`;
      return this.db
        .with('u', (db) =>
          db
            .insertInto('users')
            .values(Object.fromEntries(keys.map((k, i) => [k, v[i]])) as never)
            .returning([...USER_COLUMNS, hasPassword]),
        )
        .with('a', (db) =>
          db
            .insertInto('auditEvents')
            .columns(['tenantId', 'at', 'actor', 'action', 'target', 'changes'])
            .expression((eb) =>
              eb
                .selectFrom('u')
                .select([
                  'u.tenantId',
                  'u.createdAt',
                  sql<string>`coalesce(${actor}::text, ${target})`.as('actor'),
                  sql<string>`${action}::text`.as('action'),
                  target.as('target'),
                  sql<unknown>`${changes}::jsonb`.as('changes'),
                ]),
            ),
        )
        .selectFrom('u')
        .selectAll();
    });
    const row = (await this.db.executeQuery(q)).rows[0];
    if (!row) throw new Error('insert returned no row');
    return toUser(row as UserRow);
  }

  async byId(tenantId: number, id: number): Promise<User | null> {
    // The hottest read of every dialect: compiled once (see precompiled.ts).
    const q = precompiled(this.db, 'users.byId', () => this.select().where('tenantId', '=', 0).where('id', '=', 0), [
      tenantId,
      id,
    ]);
    const r = (await rowsOf(this.db, q, this.readNow))[0];
    return r ? toUser(r as unknown as UserRow) : null;
  }

  /**
   * A user with the groups it belongs to (id order), in one statement: a SCIM read of a user shows
   * both, and two reads cost a second round trip on PostgreSQL.
   */
  async byIdWithGroups(tenantId: number, id: number): Promise<(User & { groups: UserGroupRef[] }) | null> {
    const groups =
      this.kind === 'postgres'
        ? sql<unknown>`(select coalesce(json_agg(json_build_object('id', g.id, 'displayName', g.display_name) order by g.id), '[]'::json)
            from group_members m join groups g on g.id = m.group_id where g.tenant_id = users.tenant_id and m.user_id = users.id)`
        : sql<unknown>`(select json_group_array(json_object('id', g.id, 'displayName', g.display_name) order by g.id)
            from group_members m join groups g on g.id = m.group_id where g.tenant_id = users.tenant_id and m.user_id = users.id)`;
    const q = precompiled(
      this.db,
      'users.byIdWithGroups',
      () => this.select().select(groups.as('groups')).where('tenantId', '=', 0).where('id', '=', 0),
      [tenantId, id],
    );
    const r = (await rowsOf(this.db, q, this.readNow))[0];
    if (!r) return null;
    // PostgreSQL's driver parses json; SQLite answers text.
    const refs = (typeof r.groups === 'string' ? JSON.parse(r.groups) : r.groups) as {
      id: number | string;
      displayName: string;
    }[];
    return Object.assign(toUser(r as unknown as UserRow), {
      groups: refs.map((g) => ({ id: Number(g.id), displayName: g.displayName })),
    });
  }

  /** A user by id in any tenant (for dialects whose URLs carry a bare user id). */
  async byIdAnyTenant(id: number): Promise<User | null> {
    const q = precompiled(this.db, 'users.byIdAnyTenant', () => this.select().where('id', '=', 0), [id]);
    const r = (await rowsOf(this.db, q, this.readNow))[0];
    return r ? toUser(r as unknown as UserRow) : null;
  }

  async byExternalId(tenantId: number, externalId: string): Promise<User | null> {
    const r = await this.select()
      .where('tenantId', '=', tenantId)
      .where('externalId', '=', externalId)
      .executeTakeFirst();
    return r ? toUser(r as UserRow) : null;
  }

  async byUsername(tenantId: number, username: string): Promise<User | null> {
    const q = precompiled(
      this.db,
      'users.byUsername',
      () => this.select().where('tenantId', '=', 0).where('usernameLower', '=', ''),
      [tenantId, username.toLowerCase()],
    );
    const r = (await rowsOf(this.db, q, this.readNow))[0];
    return r ? toUser(r as unknown as UserRow) : null;
  }

  async byEmail(tenantId: number, email: string): Promise<User | null> {
    const r = await this.select()
      .where('tenantId', '=', tenantId)
      .where('emailLower', '=', email.toLowerCase())
      .executeTakeFirst();
    return r ? toUser(r as UserRow) : null;
  }

  async passwordHash(tenantId: number, id: number): Promise<string | null> {
    const r = await this.db
      .selectFrom('users')
      .select('passwordHash')
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r?.passwordHash ?? null;
  }

  /**
   * Applies changes and bumps the version. With `expectedVersion`, only if the row still has it
   * (If-Match). Returns null when no row matched (absent, or a version mismatch).
   */
  async update(
    tenantId: number,
    id: number,
    changes: UserChanges,
    opts: { expectedVersion?: number; now?: number; tenantIdTo?: number } = {},
  ): Promise<User | null> {
    let q = this.db
      .updateTable('users')
      .set({
        ...(toColumns(changes) as object),
        ...(opts.tenantIdTo !== undefined ? { tenantId: opts.tenantIdTo } : {}),
        updatedAt: opts.now ?? Date.now(),
        version: sql`version + 1`,
      } as never)
      .where('tenantId', '=', tenantId)
      .where('id', '=', id);
    if (opts.expectedVersion !== undefined) q = q.where('version', '=', opts.expectedVersion);
    const r = await q.returning([...USER_COLUMNS, hasPassword]).executeTakeFirst();
    return r ? toUser(r as UserRow) : null;
  }

  /** Records a login without changing the user's version (it is not an edit of the profile). */
  async touchLogin(tenantId: number, id: number, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ lastLoginAt: now })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async setPasswordHash(tenantId: number, id: number, hash: string | null): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ passwordHash: hash })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async delete(tenantId: number, id: number, expectedVersion?: number): Promise<boolean> {
    let q = this.db.deleteFrom('users').where('tenantId', '=', tenantId).where('id', '=', id);
    if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async list(tenantId: number, query: UserQuery): Promise<UserPage<User>> {
    const keys = effectiveSort(query.sort);
    // Built with stand-ins for every value and compiled once per shape (list-shapes.ts).
    const vals = new ListValues();
    const bind = vals.bind;
    const condition = query.where ? conditionSql(this.kind, query.where, bind) : null;
    let base = this.db.selectFrom('users').where('tenantId', '=', bind(tenantId) as number);
    if (condition) base = base.where(condition);
    if (query.q) base = base.where(searchSql(query.q, bind));
    /** The values of the list itself (tenant, filters, search): the first ones of every statement's values. */
    const listValues = [...vals.values];

    const cursor = query.cursor ? decodeCursor(query.cursor, keys) : null;
    // An offset counts from the cursor: it needs the after-cursor rows as one query.
    const keyset =
      cursor && query.offset
        ? { head: afterCursorSql(this.kind, keys, cursor, bind), tail: null }
        : cursor
          ? keysetSql(this.kind, keys, cursor, bind)
          : null;
    const shape = [
      keys.map((k) => `${k.field}:${k.desc ? 1 : 0}`).join(','),
      query.q ? 'q' : '',
      shapeOf(this.db, condition),
    ].join('\u0002');
    /** This list (whatever page): its marks' and total's key. */
    const list = this.marks ? `${shape}\u0003${JSON.stringify(listValues)}` : '';
    // The total rides on the page query as a scalar subquery (uncorrelated: both databases compute it
    // once): one statement to build, send and read instead of two.
    const count = () => base.select((eb) => eb.fn.countAll<number>().as('n'));
    const pageOf = (
      where: RawBuilder<boolean> | null,
      limit: number,
      withTotal = false,
      offset = query.offset,
      v = vals,
    ) => {
      const key = [shape, shapeOf(this.db, where), withTotal ? 't' : '', offset ? 'o' : '', v.values.length].join(
        '\u0002',
      );
      const limitAt = v.bind(limit);
      const offsetAt = offset ? v.bind(offset) : undefined;
      return runShaped(
        this.db,
        key,
        () => {
          let page = base
            .select([...USER_COLUMNS, hasPassword])
            .select(keys.map((k, i) => columnOf(this.kind, k.field).as(`s${i}`)));
          if (withTotal) page = page.select(count().as('total'));
          if (where) page = page.where(where);
          for (const o of orderSql(this.kind, keys)) page = page.orderBy(o as never);
          page = page.limit(limitAt as number);
          if (offsetAt !== undefined) page = page.offset(offsetAt as number);
          return page;
        },
        v,
      );
    };
    const result = (rows: Record<string, unknown>[], total: number | undefined): UserPage<User> => {
      const more = rows.length > query.limit;
      const items = (more ? rows.slice(0, query.limit) : rows) as unknown as (UserRow &
        Record<string, string | number | null>)[];
      const last = items[items.length - 1];
      const nextCursor = more && last ? encodeCursor(keys.map((_, i) => last[`s${i}`] ?? null)) : null;
      return { items: items.map(toUser), nextCursor, ...(total !== undefined ? { total } : {}) };
    };

    if (this.marks && !cursor && query.offset !== undefined && query.offset >= MARK_STRIDE) {
      const deep = await pageFromMarks(
        this.marks,
        this.kind,
        list,
        { keys, listValues, limit: query.limit + 1, offset: query.offset },
        {
          pageOf,
          count: (v, where) =>
            runShaped(
              this.db,
              `${shape}\u0002count\u0002${shapeOf(this.db, where)}\u0002${v.values.length}`,
              () => (where ? count().where(where) : count()),
              v,
            ).then((r) => Number(r[0].n)),
        },
      );
      if (deep) return result(deep.rows, query.withTotal ? deep.total : undefined);
    }

    // A total counted before at the same version of the database is the total now (page-marks.ts).
    const version = this.marks?.version();
    const known = query.withTotal && this.marks ? this.marks.total(list) : undefined;
    const head = await pageOf(keyset?.head ?? null, query.limit + 1, query.withTotal && known === undefined);
    let total: number | undefined = known;
    if (query.withTotal && total === undefined) {
      const first = head[0] as { total?: number | string } | undefined;
      // No row to carry it: nothing matches at all, unless the page started past the first row.
      total = first
        ? Number(first.total)
        : query.offset || cursor
          ? Number((await runShaped(this.db, `${shape}\u0002count`, count, vals))[0].n)
          : 0;
      if (version !== undefined) this.marks!.remember(list, version, total);
    }
    // The cursor's range ran out before the page was full: go on past it (see keysetSql).
    const rows =
      keyset?.tail && head.length <= query.limit
        ? [...head, ...(await pageOf(keyset.tail, query.limit + 1 - head.length))]
        : head;
    return result(rows, total);
  }
}
