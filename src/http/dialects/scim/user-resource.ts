import type { Services } from '../../../services/services.ts';
import type { User } from '../../../domain/user.ts';
import type { ScimContext } from './context.ts';
import { canonicalize } from './document.ts';
import { userCondition, userSortField } from './filter-translate.ts';
import { applyPatch } from './patch.ts';
import { wants, type Projection } from './projection.ts';
import { parseId, type ListParams, type ResourceOps } from './resource.ts';
import { USER_RESOURCE } from './resource-schemas.ts';
import { fromScimUser, toScimUser } from './user-mapping.ts';

/** SCIM Users over UserService: every write goes through its rules, hashing and audit trail. */
export function userResource(s: Services): ResourceOps {
  async function render(ctx: ScimContext, users: User[], projection: Projection) {
    const groups =
      wants(projection, 'groups') && users.length
        ? await s.groups.groupsOfUsers(
            ctx.principal,
            ctx.tenantId,
            users.map((u) => u.id),
          )
        : undefined;
    return users.map((u) => ({
      doc: toScimUser(u, ctx.base, groups ? (groups.get(u.id) ?? []) : undefined),
      version: u.version,
    }));
  }
  const all: Projection = { attributes: [], excluded: [] };

  return {
    schema: USER_RESOURCE,

    async get(ctx, id, projection) {
      const userId = parseId(id, 'user');
      if (!wants(projection, 'groups'))
        return (await render(ctx, [await s.users.get(ctx.principal, ctx.tenantId, userId)], projection))[0];
      // The user and its groups in one read.
      const u = await s.users.getWithGroups(ctx.principal, ctx.tenantId, userId);
      return { doc: toScimUser(u, ctx.base, u.groups), version: u.version };
    },

    async list(ctx, p: ListParams) {
      const page = await s.users.list(ctx.principal, ctx.tenantId, {
        where: p.filter ? userCondition(p.filter) : undefined,
        sort: p.sortBy ? [{ field: userSortField(p.sortBy), desc: p.descending }] : [],
        // count=0 asks for totalResults only; the core needs a page of at least one.
        limit: Math.max(1, p.count),
        offset: p.startIndex - 1,
        withTotal: true,
      });
      const users = p.count === 0 ? [] : page.items;
      return { total: page.total ?? users.length, docs: (await render(ctx, users, p.projection)).map((r) => r.doc) };
    },

    async create(ctx, body) {
      const input = fromScimUser(canonicalize(USER_RESOURCE, body));
      const u = await s.users.create(ctx.principal, ctx.tenantId, input);
      return { doc: toScimUser(u, ctx.base, []), version: u.version };
    },

    async replace(ctx, id, body, expectedVersion) {
      const doc = canonicalize(USER_RESOURCE, body);
      const u = await s.scimUsers.modify(
        ctx.principal,
        ctx.tenantId,
        parseId(id, 'user'),
        (cur) => fromScimUser(doc, cur),
        { expectedVersion },
      );
      return (await render(ctx, [u], all))[0];
    },

    async patch(ctx, id, body, expectedVersion) {
      const u = await s.scimUsers.modify(
        ctx.principal,
        ctx.tenantId,
        parseId(id, 'user'),
        (cur) => fromScimUser(applyPatch(USER_RESOURCE, toScimUser(cur, ctx.base), body), cur),
        { expectedVersion },
      );
      return (await render(ctx, [u], all))[0];
    },

    async remove(ctx, id, expectedVersion) {
      await s.users.delete(ctx.principal, ctx.tenantId, parseId(id, 'user'), { expectedVersion });
    },
  };
}
