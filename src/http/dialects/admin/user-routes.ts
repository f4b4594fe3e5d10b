import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { ErrorBody, IdParams, TenantUserParams, User, UserList, UserListQuery, UserWrite } from './schemas.ts';
import { userInput, userQuery, userWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { etagOf, expectedVersion } from '../../credentials.ts';

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
