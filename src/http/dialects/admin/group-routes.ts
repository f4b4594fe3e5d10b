import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { MEMBERS_PER_CHANGE } from '../../../services/group-service.ts';
import { GROUP_NAME_MAX, type GroupSummary } from '../../../domain/group.ts';
import { ErrorBody, TenantUserParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { etagOf, expectedVersion } from '../../credentials.ts';

const tags = ['management: groups'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 412: ErrorBody };

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const TenantParams = Type.Object({ id: Id });
const GroupParams = Type.Object({ id: Id, groupId: Id });
const MemberParams = Type.Object({ id: Id, groupId: Id, userId: Id });
const Cursor = Type.Optional(
  Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'the previous page’s nextCursor' }),
);
const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 50 });
const Name = Type.String({ minLength: 1, maxLength: GROUP_NAME_MAX });

const GroupWire = named(
  'Group',
  Type.Object({
    id: Type.Integer(),
    tenantId: Type.Integer(),
    displayName: Type.String(),
    externalId: Type.Union([Type.String(), Type.Null()]),
    memberCount: Type.Integer(),
    version: Type.Integer({ description: 'the ETag: changes with every rename and membership change' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  }),
);
const GroupList = named(
  'GroupList',
  Type.Object({ items: Type.Array(GroupWire), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
);
const GroupListQuery = Type.Object(
  {
    limit: Limit,
    cursor: Cursor,
    q: Type.Optional(Type.String({ maxLength: 200, description: 'names containing this, case-insensitively' })),
  },
  { additionalProperties: false },
);
const GroupCreate = named(
  'GroupCreate',
  Type.Object(
    {
      displayName: Name,
      externalId: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
      members: Type.Optional(
        Type.Array(Id, { maxItems: MEMBERS_PER_CHANGE, description: 'user ids; ids of no user here are ignored' }),
      ),
    },
    { additionalProperties: false },
  ),
);
const GroupRename = named('GroupRename', Type.Object({ displayName: Name }, { additionalProperties: false }));
const MemberIds = named(
  'GroupMemberIds',
  Type.Object(
    { userIds: Type.Array(Id, { minItems: 1, maxItems: MEMBERS_PER_CHANGE }) },
    { additionalProperties: false },
  ),
);
const MemberWire = named(
  'GroupMember',
  Type.Object({
    userId: Type.Integer(),
    username: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    displayName: Type.Union([Type.String(), Type.Null()]),
  }),
);
const MemberList = named(
  'GroupMemberList',
  Type.Object({ items: Type.Array(MemberWire), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
);
const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false });
const UserGroups = named(
  'UserGroupList',
  Type.Object({ items: Type.Array(Type.Object({ id: Type.Integer(), displayName: Type.String() })) }),
);

const wire = (g: GroupSummary) => ({
  id: g.id,
  tenantId: g.tenantId,
  displayName: g.displayName,
  externalId: g.externalId,
  memberCount: g.memberCount,
  version: g.version,
  createdAt: g.createdAt.toISOString(),
  updatedAt: g.updatedAt.toISOString(),
});
const afterOf = (cursor: string | undefined) => (cursor === undefined ? 0 : Number(cursor));

/**
 * Groups as the console manages them: the same groups SCIM serves (one core), with member counts
 * instead of whole member lists, keyset pages, and member changes one small list at a time.
 * Roles as for users: viewer reads, editor writes, admin deletes.
 */
export const groupRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tenants/:id/groups',
      {
        schema: {
          tags,
          operationId: 'listGroups',
          summary: "A tenant's groups by id, with member counts; q searches names (viewer)",
          params: TenantParams,
          querystring: GroupListQuery,
          response: { 200: GroupList, ...errors },
        },
      },
      async (req) => {
        const page = await s.groups.page(principalOf(req), req.params.id, {
          afterId: afterOf(req.query.cursor),
          limit: req.query.limit,
          q: req.query.q || undefined,
        });
        return { items: page.items.map(wire), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/tenants/:id/groups',
      {
        schema: {
          tags,
          operationId: 'createGroup',
          summary: 'Create a group (editor)',
          params: TenantParams,
          body: GroupCreate,
          response: { 201: GroupWire, ...errors },
        },
      },
      async (req, reply) => {
        const g = await s.groups.create(principalOf(req), req.params.id, {
          displayName: req.body.displayName,
          externalId: req.body.externalId ?? null,
          members: req.body.members ?? [],
        });
        return reply
          .status(201)
          .header('etag', etagOf(g.version))
          .header('location', `/admin/v1/tenants/${g.tenantId}/groups/${g.id}`)
          .send(wire({ ...g, memberCount: g.members.length }));
      },
    );

    app.get(
      '/tenants/:id/groups/:groupId',
      {
        schema: {
          tags,
          operationId: 'getGroup',
          summary: 'Read a group (viewer); answers an ETag',
          params: GroupParams,
          response: { 200: GroupWire, ...errors },
        },
      },
      async (req, reply) => {
        const g = await s.groups.summary(principalOf(req), req.params.id, req.params.groupId);
        return reply.header('etag', etagOf(g.version)).send(wire(g));
      },
    );

    app.patch(
      '/tenants/:id/groups/:groupId',
      {
        schema: {
          tags,
          operationId: 'renameGroup',
          summary: 'Rename a group (editor; If-Match)',
          params: GroupParams,
          body: GroupRename,
          response: { 200: GroupWire, ...errors },
        },
      },
      async (req, reply) => {
        const g = await s.groups.rename(principalOf(req), req.params.id, req.params.groupId, req.body.displayName, {
          expectedVersion: expectedVersion(req),
        });
        return reply.header('etag', etagOf(g.version)).send(wire(g));
      },
    );

    app.delete(
      '/tenants/:id/groups/:groupId',
      {
        schema: {
          tags,
          operationId: 'deleteGroup',
          summary: 'Delete a group; its members stay users (admin; If-Match)',
          params: GroupParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await s.groups.delete(principalOf(req), req.params.id, req.params.groupId, {
          expectedVersion: expectedVersion(req),
        });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/tenants/:id/groups/:groupId/members',
      {
        schema: {
          tags,
          operationId: 'listGroupMembers',
          summary: "A group's members by user id (viewer)",
          params: GroupParams,
          querystring: PageQuery,
          response: { 200: MemberList, ...errors },
        },
      },
      async (req) =>
        s.groups.memberPage(principalOf(req), req.params.id, req.params.groupId, {
          afterId: afterOf(req.query.cursor),
          limit: req.query.limit,
        }),
    );

    app.post(
      '/tenants/:id/groups/:groupId/members',
      {
        schema: {
          tags,
          operationId: 'addGroupMembers',
          summary: 'Add users to a group; a user not in the tenant is a 400 and adds no one (editor; If-Match)',
          params: GroupParams,
          body: MemberIds,
          response: { 200: GroupWire, ...errors },
        },
      },
      async (req, reply) => {
        const g = await s.groups.addMembers(principalOf(req), req.params.id, req.params.groupId, req.body.userIds, {
          expectedVersion: expectedVersion(req),
        });
        return reply.header('etag', etagOf(g.version)).send(wire(g));
      },
    );

    app.delete(
      '/tenants/:id/groups/:groupId/members/:userId',
      {
        schema: {
          tags,
          operationId: 'removeGroupMember',
          summary: 'Remove a user from a group; removing a non-member changes nothing (editor; If-Match)',
          params: MemberParams,
          response: { 200: GroupWire, ...errors },
        },
      },
      async (req, reply) => {
        const g = await s.groups.removeMembers(
          principalOf(req),
          req.params.id,
          req.params.groupId,
          [req.params.userId],
          { expectedVersion: expectedVersion(req) },
        );
        return reply.header('etag', etagOf(g.version)).send(wire(g));
      },
    );

    app.get(
      '/tenants/:id/users/:userId/groups',
      {
        schema: {
          tags,
          operationId: 'listUserGroups',
          summary: 'The groups a user belongs to (viewer)',
          params: TenantUserParams,
          response: { 200: UserGroups, ...errors },
        },
      },
      async (req) => ({ items: await s.groups.groupsOfUser(principalOf(req), req.params.id, req.params.userId) }),
    );
  };
