import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { MEMBERS_PER_CHANGE } from '../../../services/group-service.ts';
import { GROUP_NAME_MAX, type GroupSummary } from '../../../domain/group.ts';
import { ErrorBody, TenantUserParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { etagOf, expectedVersion } from '../../credentials.ts';
import { docs } from '../../openapi/route-docs.ts';

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

const groupExample = {
  id: 3,
  tenantId: 2,
  displayName: 'Research',
  externalId: '00g9zy8xw7VU6ts5r4q3',
  memberCount: 2,
  version: 4,
  createdAt: '2026-11-02T09:31:00.000Z',
  updatedAt: '2026-11-28T14:05:00.000Z',
};
const memberExample = { userId: 12, username: 'ada', email: 'ada@example.com', displayName: 'Ada Lovelace' };

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
          ...docs({
            description:
              "The tenant's groups by id, a page at a time (cursor: the nextCursor of the page before), each with its member count; q keeps the names containing it, case-insensitively. Viewer and up, or root. These are the groups SCIM serves.",
            responses: {
              200: { description: 'A page of groups', example: { items: [groupExample], nextCursor: null } },
            },
          }),
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
          ...docs({
            description:
              'Creates a group, optionally with members (user ids; ids of no user of the tenant are ignored). Editor and up, or root. 409 when the name is taken in the tenant, case-insensitively. Answers Location and an ETag.',
            body: { displayName: 'Research', members: [12, 13] },
            responses: {
              201: { description: 'The new group (Location: its URL; ETag: its version)', example: groupExample },
            },
          }),
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
          ...docs({
            description:
              'Reads a group with its member count (viewer and up, or root); the ETag is its version, which every rename and membership change moves. 404 when the tenant has no such group.',
            responses: { 200: { description: 'The group (ETag: its version)', example: groupExample } },
          }),
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
          ...docs({
            description:
              'Renames a group (editor and up, or root). With If-Match, 412 when the group changed since that version; 409 when the name is taken in the tenant.',
            body: { displayName: 'Research & Development' },
            responses: {
              200: {
                description: 'The group as it is now (ETag: its new version)',
                example: { ...groupExample, displayName: 'Research & Development', version: 5 },
              },
            },
          }),
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
          ...docs({
            description:
              'Deletes a group; its members stay users. Admin and up, or root; with If-Match, 412 when the group changed since that version.',
            responses: { 204: 'Deleted' },
          }),
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
          ...docs({
            description:
              "A group's members by user id, a page at a time (cursor: the nextCursor of the page before), with their username, email and display name. Viewer and up, or root.",
            responses: {
              200: {
                description: 'A page of members',
                example: {
                  items: [
                    memberExample,
                    { userId: 13, username: 'grace', email: 'grace@example.com', displayName: 'Grace Hopper' },
                  ],
                  nextCursor: null,
                },
              },
            },
          }),
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
          ...docs({
            description:
              'Adds users to a group; adding a member again changes nothing. A user id that is not a user of the tenant is a 400 that adds no one. Editor and up, or root; with If-Match, 412 when the group changed since that version.',
            body: { userIds: [13, 14] },
            responses: {
              200: {
                description: 'The group as it is now (ETag: its new version)',
                example: { ...groupExample, memberCount: 4, version: 5 },
              },
            },
          }),
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
          ...docs({
            description:
              'Removes a user from a group; removing a user who is not a member changes nothing. Editor and up, or root; with If-Match, 412 when the group changed since that version.',
            responses: {
              200: {
                description: 'The group as it is now (ETag: its version)',
                example: { ...groupExample, memberCount: 1, version: 5 },
              },
            },
          }),
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
          ...docs({
            description:
              'The groups a user is a direct member of, by id. Viewer and up, or root; 404 when the tenant has no such user.',
            responses: {
              200: {
                description: "The user's groups",
                example: {
                  items: [
                    { id: 3, displayName: 'Research' },
                    { id: 5, displayName: 'Beta testers' },
                  ],
                },
              },
            },
          }),
        },
      },
      async (req) => ({ items: await s.groups.groupsOfUser(principalOf(req), req.params.id, req.params.userId) }),
    );
  };
