import type { Services } from '../../../services/services.ts';
import { canonicalize } from './document.ts';
import { groupCondition, groupSortField } from './filter-translate.ts';
import { fromScimGroup, toScimGroup } from './group-mapping.ts';
import { applyPatch } from './patch.ts';
import { wants } from './projection.ts';
import { parseId, type ListParams, type ResourceOps } from './resource.ts';
import { GROUP_RESOURCE } from './resource-schemas.ts';

/** SCIM Groups over GroupService: each write (PATCH included) is one transaction. */
export function groupResource(s: Services): ResourceOps {
  return {
    schema: GROUP_RESOURCE,

    async get(ctx, id, projection) {
      // Entra reads groups with excludedAttributes=members: the members are then not even loaded.
      const g = await s.groups.get(ctx.principal, ctx.tenantId, parseId(id, 'group'), {
        withMembers: wants(projection, 'members'),
      });
      return { doc: toScimGroup(g, ctx.base), version: g.version };
    },

    async list(ctx, p: ListParams) {
      const page = await s.groups.list(ctx.principal, ctx.tenantId, {
        where: p.filter ? groupCondition(p.filter) : undefined,
        sort: p.sortBy ? [{ field: groupSortField(p.sortBy), desc: p.descending }] : [],
        limit: p.count,
        offset: p.startIndex - 1,
        withMembers: wants(p.projection, 'members'),
      });
      return { total: page.total, docs: page.items.map((g) => toScimGroup(g, ctx.base)) };
    },

    async create(ctx, body) {
      const g = await s.groups.create(ctx.principal, ctx.tenantId, fromScimGroup(canonicalize(GROUP_RESOURCE, body)));
      return { doc: toScimGroup(g, ctx.base), version: g.version };
    },

    async replace(ctx, id, body, expectedVersion) {
      const state = fromScimGroup(canonicalize(GROUP_RESOURCE, body));
      const g = await s.groups.update(ctx.principal, ctx.tenantId, parseId(id, 'group'), () => state, {
        expectedVersion,
      });
      return { doc: toScimGroup(g, ctx.base), version: g.version };
    },

    async patch(ctx, id, body, expectedVersion) {
      const g = await s.groups.update(
        ctx.principal,
        ctx.tenantId,
        parseId(id, 'group'),
        (cur) => fromScimGroup(applyPatch(GROUP_RESOURCE, toScimGroup(cur, ctx.base), body)),
        { expectedVersion },
      );
      return { doc: toScimGroup(g, ctx.base), version: g.version };
    },

    async remove(ctx, id, expectedVersion) {
      await s.groups.delete(ctx.principal, ctx.tenantId, parseId(id, 'group'), { expectedVersion });
    },
  };
}
