import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, GroupsTable } from './schema.ts';
import { nullsOrder, textMatch, type DbKind, type ReadNow } from './database.ts';
import { precompiled, rowsOf } from './precompiled.ts';
import { invalid } from '../domain/errors.ts';
import type {
  Group,
  GroupCondition,
  GroupMember,
  GroupMemberUser,
  GroupPageQuery,
  GroupQuery,
  GroupSummary,
  GroupWithMembers,
} from '../domain/group.ts';

const COLUMNS = ['id', 'tenantId', 'displayName', 'externalId', 'createdAt', 'updatedAt', 'version'] as const;
/** Rows per multi-row insert or IN list: well under both databases' bound-parameter limits. */
const CHUNK = 500;

function toGroup(r: Pick<Selectable<GroupsTable>, (typeof COLUMNS)[number]>): Group {
  return {
    id: r.id,
    tenantId: r.tenantId,
    displayName: r.displayName,
    externalId: r.externalId,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    version: r.version,
  };
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

const CMP: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** Every query here is scoped to one tenant (members are checked to be users of that tenant). */
export class GroupStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
    private readonly readNow?: ReadNow,
  ) {}

  async insert(
    tenantId: number,
    g: { displayName: string; externalId: string | null },
    now = Date.now(),
  ): Promise<Group> {
    const r = await this.db
      .insertInto('groups')
      .values({
        tenantId,
        displayName: g.displayName,
        displayNameLower: g.displayName.toLowerCase(),
        externalId: g.externalId,
        createdAt: now,
        updatedAt: now,
        version: 1,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toGroup(r);
  }

  async byId(tenantId: number, id: number): Promise<Group | null> {
    const r = await this.db
      .selectFrom('groups')
      .select(COLUMNS)
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toGroup(r) : null;
  }

  /**
   * Bumps the version first thing in a write transaction: the row lock (PostgreSQL) or write lock
   * (SQLite) serialises concurrent writers of the group. With `expectedVersion`, only if it still has it.
   */
  async bump(
    tenantId: number,
    id: number,
    opts: { expectedVersion?: number; now?: number } = {},
  ): Promise<Group | null> {
    let q = this.db
      .updateTable('groups')
      .set({ version: sql`version + 1`, updatedAt: opts.now ?? Date.now() })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id);
    if (opts.expectedVersion !== undefined) q = q.where('version', '=', opts.expectedVersion);
    const r = await q.returning(COLUMNS).executeTakeFirst();
    return r ? toGroup(r) : null;
  }

  async setFields(tenantId: number, id: number, f: { displayName: string; externalId: string | null }): Promise<void> {
    await this.db
      .updateTable('groups')
      .set({ displayName: f.displayName, displayNameLower: f.displayName.toLowerCase(), externalId: f.externalId })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async delete(tenantId: number, id: number, expectedVersion?: number): Promise<boolean> {
    let q = this.db.deleteFrom('groups').where('tenantId', '=', tenantId).where('id', '=', id);
    if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** The ids among `userIds` that are users of the tenant. */
  async existingUserIds(tenantId: number, userIds: number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (const part of chunks(userIds)) {
      const rows = await this.db
        .selectFrom('users')
        .select('id')
        .where('tenantId', '=', tenantId)
        .where('id', 'in', part)
        .execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  async memberIds(groupId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('groupMembers')
      .select('userId')
      .where('groupId', '=', groupId)
      .orderBy('userId')
      .execute();
    return rows.map((r) => r.userId);
  }

  async addMembers(groupId: number, userIds: number[]): Promise<void> {
    for (const part of chunks(userIds)) {
      await this.db
        .insertInto('groupMembers')
        .values(part.map((userId) => ({ groupId, userId })))
        .onConflict((oc) => oc.columns(['groupId', 'userId']).doNothing())
        .execute();
    }
  }

  async removeMembers(groupId: number, userIds: number[]): Promise<void> {
    for (const part of chunks(userIds)) {
      await this.db.deleteFrom('groupMembers').where('groupId', '=', groupId).where('userId', 'in', part).execute();
    }
  }

  /** The ids among `userIds` that are members of the group. */
  async memberIdsAmong(groupId: number, userIds: number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (const part of chunks(userIds)) {
      const rows = await this.db
        .selectFrom('groupMembers')
        .select('userId')
        .where('groupId', '=', groupId)
        .where('userId', 'in', part)
        .execute();
      for (const r of rows) found.add(r.userId);
    }
    return found;
  }

  /** A keyset page of a tenant's groups by id, each with its member count. */
  async page(tenantId: number, q: GroupPageQuery): Promise<GroupSummary[]> {
    let query = this.db
      .selectFrom('groups')
      .select(COLUMNS)
      .select((eb) =>
        eb
          .selectFrom('groupMembers as gm')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('gm.groupId', '=', 'groups.id')
          .as('memberCount'),
      )
      .where('tenantId', '=', tenantId)
      .where('id', '>', q.afterId);
    if (q.q) query = query.where(textMatch(this.kind, 'co', sql.ref('displayNameLower'), q.q.toLowerCase()));
    const rows = await query.orderBy('id').limit(q.limit).execute();
    return rows.map((r) => ({ ...toGroup(r), memberCount: Number(r.memberCount ?? 0) }));
  }

  async memberCount(groupId: number): Promise<number> {
    const r = await this.db
      .selectFrom('groupMembers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('groupId', '=', groupId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** A keyset page of a group's members by user id. */
  async memberPage(groupId: number, afterUserId: number, limit: number): Promise<GroupMemberUser[]> {
    const rows = await this.db
      .selectFrom('groupMembers as m')
      .innerJoin('users as u', 'u.id', 'm.userId')
      .select(['m.userId', 'u.username', 'u.email', 'u.displayName'])
      .where('m.groupId', '=', groupId)
      .where('m.userId', '>', afterUserId)
      .orderBy('m.userId')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ userId: r.userId, username: r.username, email: r.email, displayName: r.displayName }));
  }

  /** Members of each group, by user id, with the display name a SCIM client shows. */
  async members(groupIds: number[]): Promise<Map<number, GroupMember[]>> {
    const out = new Map<number, GroupMember[]>(groupIds.map((id) => [id, []]));
    for (const part of chunks(groupIds)) {
      const rows = await this.db
        .selectFrom('groupMembers as m')
        .innerJoin('users as u', 'u.id', 'm.userId')
        .select(['m.groupId', 'm.userId', 'u.displayName', 'u.username', 'u.email'])
        .where('m.groupId', 'in', part)
        .orderBy('m.groupId')
        .orderBy('m.userId')
        .execute();
      for (const r of rows)
        out.get(r.groupId)!.push({ userId: r.userId, display: r.displayName || r.username || r.email || null });
    }
    return out;
  }

  /** The groups each user belongs to (SCIM User.groups). */
  async groupsOfUsers(
    tenantId: number,
    userIds: number[],
  ): Promise<Map<number, { id: number; displayName: string }[]>> {
    const out = new Map<number, { id: number; displayName: string }[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 1) {
      // Every SCIM read of one user asks this: compiled once (see precompiled.ts).
      const q = precompiled(
        this.db,
        'groups.ofUser',
        () =>
          this.db
            .selectFrom('groupMembers as m')
            .innerJoin('groups as g', 'g.id', 'm.groupId')
            .select(['g.id', 'g.displayName'])
            .where('g.tenantId', '=', 0)
            .where('m.userId', '=', 0)
            .orderBy('g.id'),
        [tenantId, userIds[0]],
      );
      const rows = (await rowsOf(this.db, q, this.readNow)) as { id: number; displayName: string }[];
      out.set(
        userIds[0],
        rows.map((r) => ({ id: r.id, displayName: r.displayName })),
      );
      return out;
    }
    for (const part of chunks(userIds)) {
      const rows = await this.db
        .selectFrom('groupMembers as m')
        .innerJoin('groups as g', 'g.id', 'm.groupId')
        .select(['m.userId', 'g.id', 'g.displayName'])
        .where('g.tenantId', '=', tenantId)
        .where('m.userId', 'in', part)
        .orderBy('m.userId')
        .orderBy('g.id')
        .execute();
      for (const r of rows) out.get(r.userId)?.push({ id: r.id, displayName: r.displayName });
    }
    return out;
  }

  async list(tenantId: number, query: GroupQuery): Promise<{ items: (Group | GroupWithMembers)[]; total: number }> {
    let base = this.db.selectFrom('groups').where('tenantId', '=', tenantId);
    if (query.where) base = base.where(this.conditionSql(query.where));
    let page = base.select(COLUMNS);
    const sort = query.sort.filter((k) => k.field !== 'id');
    for (const k of sort) page = page.orderBy(sql`${sql.ref(k.field)} ${nullsOrder(k.desc)}` as never);
    page = page.orderBy('id', query.sort.find((k) => k.field === 'id')?.desc ? 'desc' : 'asc');
    page = page.limit(query.limit).offset(query.offset);
    const [rows, total] = await Promise.all([
      page.execute(),
      base
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n)),
    ]);
    const groups = rows.map(toGroup);
    if (!query.withMembers) return { items: groups, total };
    const members = await this.members(groups.map((g) => g.id));
    return { items: groups.map((g) => ({ ...g, members: members.get(g.id) ?? [] })), total };
  }

  /** Compiles a group condition; values are bound parameters, fields come from a closed list. */
  private conditionSql(c: GroupCondition): RawBuilder<boolean> {
    switch (c.op) {
      case 'and':
      case 'or': {
        if (c.items.length === 0) return c.op === 'and' ? sql<boolean>`1 = 1` : sql<boolean>`1 = 0`;
        return sql<boolean>`(${sql.join(
          c.items.map((i) => this.conditionSql(i)),
          sql.raw(c.op === 'and' ? ' and ' : ' or '),
        )})`;
      }
      case 'not':
        return sql<boolean>`(not coalesce(${this.conditionSql(c.item)}, false))`;
      case 'pr':
        if (c.field === 'member')
          return sql<boolean>`exists (select 1 from group_members gm where gm.group_id = groups.id)`;
        return c.field === 'displayName' || c.field === 'externalId'
          ? sql<boolean>`(${sql.ref(c.field)} is not null and ${sql.ref(c.field)} <> '')`
          : sql<boolean>`(${sql.ref(c.field)} is not null)`;
      default: {
        if (c.field === 'member') {
          const id = Number(c.value);
          if (c.op !== 'eq' || !Number.isSafeInteger(id)) {
            if (c.op === 'eq') return sql<boolean>`1 = 0`;
            throw invalid('query.invalid_filter', 'members can only be compared with eq', 'members');
          }
          return sql<boolean>`exists (select 1 from group_members gm where gm.group_id = groups.id and gm.user_id = ${id})`;
        }
        let col: RawBuilder<unknown> = sql.ref(c.field);
        let v: string | number | null;
        if (c.value === null) v = null;
        else if (c.field === 'id') {
          v = Number(c.value);
          if (!Number.isSafeInteger(v)) return c.op === 'ne' ? sql<boolean>`1 = 1` : sql<boolean>`1 = 0`;
        } else if (c.field === 'createdAt' || c.field === 'updatedAt') {
          v = typeof c.value === 'number' ? c.value : Date.parse(String(c.value));
          if (!Number.isFinite(v))
            throw invalid('query.invalid_value', `${c.field} takes an ISO 8601 date-time`, c.field);
        } else {
          v = String(c.value);
          if (c.field === 'displayName' && c.ci) {
            col = sql.ref('displayNameLower');
            v = v.toLowerCase();
          } else if (c.ci) {
            col = sql`lower(${col})`;
            v = v.toLowerCase();
          }
        }
        if (c.op === 'co' || c.op === 'sw' || c.op === 'ew') {
          if (v === null) return sql<boolean>`1 = 0`;
          return sql<boolean>`(${col} is not null and ${textMatch(this.kind, c.op, col as RawBuilder<unknown>, String(v))})`;
        }
        if (v === null)
          return c.op === 'eq'
            ? sql<boolean>`(${col} is null)`
            : c.op === 'ne'
              ? sql<boolean>`(${col} is not null)`
              : sql<boolean>`1 = 0`;
        if (c.op === 'ne') return sql<boolean>`(${col} is null or ${col} <> ${v})`;
        return sql<boolean>`(${col} ${sql.raw(CMP[c.op])} ${v})`;
      }
    }
  }
}
