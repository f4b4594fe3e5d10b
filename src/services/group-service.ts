import type { Store } from '../store/store.ts';
import {
  conflict,
  invalid,
  notFound,
  preconditionFailed,
  type DomainError,
  uniqueViolation,
} from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import { MAX_PAGE } from '../domain/user-query.ts';
import {
  validateGroupState,
  type Group,
  type GroupQuery,
  type GroupMemberUser,
  type GroupPageQuery,
  type GroupState,
  type GroupSummary,
  type GroupWithMembers,
  type UserGroupRef,
} from '../domain/group.ts';
import { authorize } from './access.ts';
import { actorName, recordAudit } from './audit-service.ts';
import type { AuditChanges } from '../domain/audit.ts';
import { checkText } from '../domain/text.ts';

function groupConflict(e: unknown): DomainError | null {
  if (!uniqueViolation(e)) return null;
  return conflict(
    'group.display_name_taken',
    'a group with this displayName already exists in this tenant',
    'displayName',
  );
}

/** Thrown inside an update's transaction when nothing changes: the transaction rolls back, the caller gets the group as it was. */
class Unchanged {
  constructor(readonly group: GroupWithMembers) {}
}

/** Thrown inside a management write that changes nothing: the version bump rolls back. */
class NothingChanged {}

/** At most this many user ids in one add or remove of members. */
export const MEMBERS_PER_CHANGE = 1000;

type Fields = Pick<Group, 'displayName' | 'externalId'>;

/** The audit trail's view of a group change: its fields, and member ids added and removed (not the whole list). */
function groupChanges(before: Fields | null, after: Fields | null, added: number[], removed: number[]): AuditChanges {
  const out: AuditChanges = {};
  for (const f of ['displayName', 'externalId'] as const) {
    const b = before ? before[f] : null;
    const a = after ? after[f] : null;
    if (b !== a) out[f] = { before: b, after: a };
  }
  if (added.length) out.membersAdded = { before: null, after: added };
  if (removed.length) out.membersRemoved = { before: removed, after: null };
  return out;
}

/** An If-Match version no row can have (beyond the integer column) is compared as one that matches nothing. */
const comparable = (v: number | undefined) =>
  v === undefined || (Number.isSafeInteger(v) && v >= 0 && v <= 2_147_483_647) ? v : -1;

export interface GroupWriteOptions {
  /** If-Match: the version the client last saw. */
  expectedVersion?: number;
}

const uniqueIds = (ids: number[]): number[] => [...new Set(ids)];

/**
 * Tenant-scoped groups of users. Groups use the users privileges (viewer reads, editor writes,
 * admin deletes). Every write is one transaction: a failed write changes nothing.
 */
export class GroupService {
  constructor(private readonly store: Store) {}

  async create(p: Principal, tenantId: number, state: GroupState): Promise<GroupWithMembers> {
    authorize(p, tenantId, 'users:write');
    validateGroupState(state);
    try {
      return await this.store.transaction(async (tx) => {
        if (!(await tx.tenants.byId(tenantId))) throw notFound('tenant.not_found', `tenant ${tenantId} not found`);
        const members = await this.knownMembers(tx, tenantId, state.members);
        const g = await tx.groups.insert(tenantId, state);
        await tx.groups.addMembers(g.id, members);
        await recordAudit(tx, {
          tenantId,
          actor: actorName(p),
          action: 'group.create',
          target: `group:${g.id}`,
          changes: groupChanges(null, { displayName: g.displayName, externalId: g.externalId }, members, []),
        });
        return { ...g, members: (await tx.groups.members([g.id])).get(g.id) ?? [] };
      });
    } catch (e) {
      throw groupConflict(e) ?? e;
    }
  }

  async get(
    p: Principal,
    tenantId: number,
    id: number,
    opts: { withMembers: boolean } = { withMembers: true },
  ): Promise<Group | GroupWithMembers> {
    authorize(p, tenantId, 'users:read');
    const g = await this.store.groups.byId(tenantId, id);
    if (!g) throw notFound('group.not_found', `group ${id} not found`);
    if (!opts.withMembers) return g;
    return { ...g, members: (await this.store.groups.members([g.id])).get(g.id) ?? [] };
  }

  async list(
    p: Principal,
    tenantId: number,
    query: GroupQuery,
  ): Promise<{ items: (Group | GroupWithMembers)[]; total: number }> {
    authorize(p, tenantId, 'users:read');
    if (!Number.isInteger(query.limit) || query.limit < 0 || query.limit > MAX_PAGE) {
      throw invalid('query.invalid_limit', `limit must be an integer from 0 to ${MAX_PAGE}`, 'limit');
    }
    return this.store.groups.list(tenantId, query);
  }

  /**
   * Read-modify-write in one transaction: `change` sees the current group (members included) and
   * answers its new state; it may throw to reject the write, and then nothing changes (atomic PATCH).
   */
  async update(
    p: Principal,
    tenantId: number,
    id: number,
    change: (current: GroupWithMembers) => GroupState,
    opts: GroupWriteOptions = {},
  ): Promise<GroupWithMembers> {
    authorize(p, tenantId, 'users:write');
    try {
      return await this.store.transaction(async (tx) => {
        const bumped = await tx.groups.bump(tenantId, id, { expectedVersion: comparable(opts.expectedVersion) });
        if (!bumped) {
          if (opts.expectedVersion !== undefined && (await tx.groups.byId(tenantId, id))) throw preconditionFailed();
          throw notFound('group.not_found', `group ${id} not found`);
        }
        const before = (await tx.groups.members([id])).get(id) ?? [];
        const current: GroupWithMembers = { ...bumped, version: bumped.version - 1, members: before };
        const next = change(current);
        validateGroupState(next);
        const wanted = new Set(next.members);
        const had = new Set(before.map((m) => m.userId));
        const added = await this.knownMembers(
          tx,
          tenantId,
          [...wanted].filter((u) => !had.has(u)),
        );
        const removed = [...had].filter((u) => !wanted.has(u));
        if (
          !added.length &&
          !removed.length &&
          next.displayName === current.displayName &&
          next.externalId === current.externalId
        ) {
          throw new Unchanged(current); // rolls the version bump back
        }
        await tx.groups.setFields(tenantId, id, next);
        await tx.groups.removeMembers(id, removed);
        await tx.groups.addMembers(id, added);
        await recordAudit(tx, {
          tenantId,
          actor: actorName(p),
          action: 'group.update',
          target: `group:${id}`,
          changes: groupChanges(current, next, added, removed),
        });
        return {
          ...bumped,
          displayName: next.displayName,
          externalId: next.externalId,
          members: (await tx.groups.members([id])).get(id) ?? [],
        };
      });
    } catch (e) {
      if (e instanceof Unchanged) {
        // The rolled-back bump had set a new lastModified: the group as stored has the old one.
        const stored = await this.store.groups.byId(tenantId, id);
        return stored ? { ...stored, members: e.group.members } : e.group;
      }
      throw groupConflict(e) ?? e;
    }
  }

  async delete(p: Principal, tenantId: number, id: number, opts: GroupWriteOptions = {}): Promise<void> {
    authorize(p, tenantId, 'users:delete');
    await this.store.transaction(async (tx) => {
      const g = await tx.groups.byId(tenantId, id);
      if (g && (await tx.groups.delete(tenantId, id, comparable(opts.expectedVersion)))) {
        await recordAudit(tx, {
          tenantId,
          actor: actorName(p),
          action: 'group.delete',
          target: `group:${id}`,
          changes: groupChanges(g, null, [], []),
        });
        return;
      }
      if (g && opts.expectedVersion !== undefined) throw preconditionFailed();
      throw notFound('group.not_found', `group ${id} not found`);
    });
  }

  /** A keyset page of the tenant's groups by id, with member counts (the management API's list). */
  async page(
    p: Principal,
    tenantId: number,
    q: GroupPageQuery,
  ): Promise<{ items: GroupSummary[]; nextCursor: string | null }> {
    authorize(p, tenantId, 'users:read');
    if (q.q !== undefined) checkText(q.q, 'q', 'query.invalid_value');
    if (!(await this.store.tenants.byId(tenantId))) throw notFound('tenant.not_found', `tenant ${tenantId} not found`);
    const rows = await this.store.groups.page(tenantId, { ...q, limit: q.limit + 1 });
    const more = rows.length > q.limit;
    const items = more ? rows.slice(0, q.limit) : rows;
    return { items, nextCursor: more ? String(items[items.length - 1].id) : null };
  }

  async summary(p: Principal, tenantId: number, id: number): Promise<GroupSummary> {
    authorize(p, tenantId, 'users:read');
    return this.summaryOf(this.store, tenantId, id);
  }

  async rename(
    p: Principal,
    tenantId: number,
    id: number,
    displayName: string,
    opts: GroupWriteOptions = {},
  ): Promise<GroupSummary> {
    return this.change(p, tenantId, id, opts, async (tx, g) => {
      validateGroupState({ displayName, externalId: g.externalId, members: [] });
      if (displayName === g.displayName) return {};
      await tx.groups.setFields(tenantId, id, { displayName, externalId: g.externalId });
      return groupChanges(g, { displayName, externalId: g.externalId }, [], []);
    });
  }

  /** Adds users of the tenant to the group; naming anyone else is a 400 and adds no one. */
  async addMembers(
    p: Principal,
    tenantId: number,
    id: number,
    userIds: number[],
    opts: GroupWriteOptions = {},
  ): Promise<GroupSummary> {
    return this.change(p, tenantId, id, opts, async (tx) => {
      const wanted = uniqueIds(userIds);
      const known = await tx.groups.existingUserIds(tenantId, wanted);
      const unknown = wanted.filter((u) => !known.has(u));
      if (unknown.length)
        throw invalid(
          'group.unknown_member',
          `${unknown.length === 1 ? 'user' : 'users'} ${unknown.slice(0, 10).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in this tenant`,
          'userIds',
        );
      const already = await tx.groups.memberIdsAmong(id, wanted);
      const added = wanted.filter((u) => !already.has(u));
      await tx.groups.addMembers(id, added);
      return groupChanges(null, null, added, []);
    });
  }

  /** Removes members from the group; an id that is not a member is no change. */
  async removeMembers(
    p: Principal,
    tenantId: number,
    id: number,
    userIds: number[],
    opts: GroupWriteOptions = {},
  ): Promise<GroupSummary> {
    return this.change(p, tenantId, id, opts, async (tx) => {
      const members = await tx.groups.memberIdsAmong(id, uniqueIds(userIds));
      const removed = [...members].sort((a, b) => a - b);
      await tx.groups.removeMembers(id, removed);
      return groupChanges(null, null, [], removed);
    });
  }

  /** A keyset page of a group's members by user id. */
  async memberPage(
    p: Principal,
    tenantId: number,
    id: number,
    q: { afterId: number; limit: number },
  ): Promise<{ items: GroupMemberUser[]; nextCursor: string | null }> {
    authorize(p, tenantId, 'users:read');
    if (!(await this.store.groups.byId(tenantId, id))) throw notFound('group.not_found', `group ${id} not found`);
    const rows = await this.store.groups.memberPage(id, q.afterId, q.limit + 1);
    const more = rows.length > q.limit;
    const items = more ? rows.slice(0, q.limit) : rows;
    return { items, nextCursor: more ? String(items[items.length - 1].userId) : null };
  }

  /** The groups one user of the tenant belongs to. */
  async groupsOfUser(p: Principal, tenantId: number, userId: number): Promise<UserGroupRef[]> {
    authorize(p, tenantId, 'users:read');
    if (!(await this.store.groups.existingUserIds(tenantId, [userId])).has(userId))
      throw notFound('user.not_found', `user ${userId} not found`);
    return (await this.store.groups.groupsOfUsers(tenantId, [userId])).get(userId) ?? [];
  }

  /** The groups of each user (for SCIM User.groups). */
  async groupsOfUsers(
    p: Principal,
    tenantId: number,
    userIds: number[],
  ): Promise<Map<number, { id: number; displayName: string }[]>> {
    authorize(p, tenantId, 'users:read');
    return this.store.groups.groupsOfUsers(tenantId, userIds);
  }

  private async summaryOf(tx: Store, tenantId: number, id: number): Promise<GroupSummary> {
    const g = await tx.groups.byId(tenantId, id);
    if (!g) throw notFound('group.not_found', `group ${id} not found`);
    return { ...g, memberCount: await tx.groups.memberCount(id) };
  }

  /**
   * One management write in a transaction: bumps the version (If-Match checked), lets `apply`
   * change the group and say what changed, records it; a write that changes nothing rolls back.
   */
  private async change(
    p: Principal,
    tenantId: number,
    id: number,
    opts: GroupWriteOptions,
    apply: (tx: Store, current: Group) => Promise<AuditChanges>,
  ): Promise<GroupSummary> {
    authorize(p, tenantId, 'users:write');
    try {
      return await this.store.transaction(async (tx) => {
        const bumped = await tx.groups.bump(tenantId, id, { expectedVersion: comparable(opts.expectedVersion) });
        if (!bumped) {
          if (opts.expectedVersion !== undefined && (await tx.groups.byId(tenantId, id))) throw preconditionFailed();
          throw notFound('group.not_found', `group ${id} not found`);
        }
        const changes = await apply(tx, { ...bumped, version: bumped.version - 1 });
        if (Object.keys(changes).length === 0) throw new NothingChanged();
        await recordAudit(tx, {
          tenantId,
          actor: actorName(p),
          action: 'group.update',
          target: `group:${id}`,
          changes,
        });
        return this.summaryOf(tx, tenantId, id);
      });
    } catch (e) {
      if (e instanceof NothingChanged) return this.summaryOf(this.store, tenantId, id);
      throw groupConflict(e) ?? e;
    }
  }

  /**
   * Deduplicates member ids and keeps those naming a user of the tenant. An id naming none (a user
   * deleted meanwhile, another tenant's) is ignored: identity providers send them and expect the
   * write to succeed with the real members.
   */
  private async knownMembers(tx: Store, tenantId: number, members: number[]): Promise<number[]> {
    const unique = [...new Set(members)];
    if (unique.length === 0) return unique;
    const found = await tx.groups.existingUserIds(tenantId, unique);
    return unique.filter((u) => found.has(u));
  }
}
