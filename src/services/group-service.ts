import type { Store } from '../store/store.ts';
import { uniqueViolation } from '../store/database.ts';
import { conflict, invalid, notFound, preconditionFailed, type DomainError } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import { MAX_PAGE } from '../domain/user-query.ts';
import {
  validateGroupState,
  type Group,
  type GroupQuery,
  type GroupState,
  type GroupWithMembers,
} from '../domain/group.ts';
import { authorize } from './access.ts';
import { actorName, recordAudit } from './audit-service.ts';
import type { AuditChanges } from '../domain/audit.ts';

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

  /** The groups of each user (for SCIM User.groups). */
  async groupsOfUsers(
    p: Principal,
    tenantId: number,
    userIds: number[],
  ): Promise<Map<number, { id: number; displayName: string }[]>> {
    authorize(p, tenantId, 'users:read');
    return this.store.groups.groupsOfUsers(tenantId, userIds);
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
