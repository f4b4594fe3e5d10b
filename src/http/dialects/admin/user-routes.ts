import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import {
  ErrorBody,
  IdParams,
  TenantUserParams,
  User,
  UserList,
  UserListQuery,
  UserWrite,
  userExample,
  userInputExample,
} from './schemas.ts';
import { userInput, userQuery, userWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { etagOf, expectedVersion } from '../../credentials.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: users'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 412: ErrorBody };

export const userRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tenants/:id/users',
      {
        schema: {
          tags,
          operationId: 'listUsers',
          summary: "List a tenant's users: filters, sort, q, cursor pages",
          params: IdParams,
          querystring: UserListQuery,
          response: { 200: UserList, ...errors },
          ...docs({
            description:
              "The tenant's users, a page at a time (viewer and up). Filter by any core field or custom attribute with name=value (email=ada@example.com, active=true, attr.plan=gold: all must match), search username, email and names with q, sort with sort=-lastName,firstName (ties broken by id), and follow nextCursor until it is null. total=exact adds the count of matches. 400 names a filter or sort field that does not exist.",
            responses: {
              200: {
                description: 'A page of users and the cursor of the next one (null on the last page)',
                example: { items: [userExample], nextCursor: 'eyJpZCI6MTJ9', total: 1 },
              },
            },
          }),
        },
      },
      async (req) => {
        const page = await s.users.list(
          principalOf(req),
          req.params.id,
          userQuery(req.query as Record<string, string | number | undefined>),
        );
        return {
          items: page.items.map(userWire),
          nextCursor: page.nextCursor,
          ...(page.total !== undefined ? { total: page.total } : {}),
        };
      },
    );

    app.post(
      '/tenants/:id/users',
      {
        schema: {
          tags,
          operationId: 'createUser',
          summary: 'Create a user (editor)',
          params: IdParams,
          body: UserWrite,
          response: { 201: User, ...errors },
          ...docs({
            description:
              'Creates a user in the tenant (editor and up). Every field is optional; username and email are unique per tenant, case-insensitively (409 names the field), and a password is hashed with argon2id, never stored or returned. Answers the ETag of the new version and its URL in Location.',
            body: userInputExample,
            responses: {
              201: { description: 'The new user (Location: its URL; ETag: its version)', example: userExample },
            },
          }),
        },
      },
      async (req, reply) => {
        const u = await s.users.create(principalOf(req), req.params.id, userInput(req.body));
        return reply
          .status(201)
          .header('etag', etagOf(u.version))
          .header('location', `/admin/v1/tenants/${u.tenantId}/users/${u.id}`)
          .send(userWire(u));
      },
    );

    app.get(
      '/tenants/:id/users/:userId',
      {
        schema: {
          tags,
          operationId: 'getUser',
          summary: 'Read a user (viewer); answers an ETag',
          params: TenantUserParams,
          response: { 200: User, ...errors },
          ...docs({
            description:
              'Reads one user (viewer and up). The ETag header carries its version: send it back as If-Match on a write to refuse lost updates. 404 when the tenant has no such user.',
            responses: { 200: { description: 'The user (ETag: its version)', example: userExample } },
          }),
        },
      },
      async (req, reply) => {
        const u = await s.users.get(principalOf(req), req.params.id, req.params.userId);
        return reply.header('etag', etagOf(u.version)).send(userWire(u));
      },
    );

    app.put(
      '/tenants/:id/users/:userId',
      {
        schema: {
          tags,
          operationId: 'replaceUser',
          summary: 'Replace a user: omitted fields are cleared (editor; If-Match)',
          params: TenantUserParams,
          body: UserWrite,
          response: { 200: User, ...errors },
          ...docs({
            description:
              'Replaces every field of the user: a field not sent is cleared (flags and labels go back to their defaults, the password is kept unless sent). Editor and up. With If-Match, 412 when the user changed since that version; 409 when the new username or email is taken.',
            body: { ...userInputExample, password: undefined, title: 'Lead analyst' },
            responses: { 200: { description: 'The user as it is now (ETag: its new version)', example: userExample } },
          }),
        },
      },
      async (req, reply) => {
        const u = await s.users.replace(principalOf(req), req.params.id, req.params.userId, userInput(req.body), {
          expectedVersion: expectedVersion(req),
        });
        return reply.header('etag', etagOf(u.version)).send(userWire(u));
      },
    );

    app.patch(
      '/tenants/:id/users/:userId',
      {
        schema: {
          tags,
          operationId: 'updateUser',
          summary: 'Change only the fields sent (editor; If-Match)',
          params: TenantUserParams,
          body: UserWrite,
          response: { 200: User, ...errors },
          ...docs({
            description:
              'Changes only the fields sent; null clears a field (a flag or label goes back to its default). attributes, when sent, replaces the whole object. Editor and up. With If-Match, 412 when the user changed since that version; 409 when the new username or email is taken. An update that changes nothing records no audit event.',
            body: { lastName: 'King', title: null },
            responses: {
              200: {
                description: 'The user as it is now (ETag: its new version)',
                example: { ...userExample, lastName: 'King', title: null },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const u = await s.users.patch(principalOf(req), req.params.id, req.params.userId, userInput(req.body), {
          expectedVersion: expectedVersion(req),
        });
        return reply.header('etag', etagOf(u.version)).send(userWire(u));
      },
    );

    app.delete(
      '/tenants/:id/users/:userId',
      {
        schema: {
          tags,
          operationId: 'deleteUser',
          summary: 'Delete a user (admin; If-Match)',
          params: TenantUserParams,
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              'Deletes the user with its events, credentials and group memberships (admin and up). With If-Match, 412 when the user changed since that version.',
            responses: { 204: 'Deleted' },
          }),
        },
      },
      async (req, reply) => {
        await s.users.delete(principalOf(req), req.params.id, req.params.userId, {
          expectedVersion: expectedVersion(req),
        });
        return reply.status(204).send(null);
      },
    );
  };
