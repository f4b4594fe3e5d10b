import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/services.ts';
import { Container, errors, LicenseParams, PageQuery, Profile, UserList, UserParams, UserWrite } from './schemas.ts';
import { identifyInput, ok, profileWire } from './mapping.ts';
import { contextOf, idempotentRequest } from './context.ts';
import { Type } from '@sinclair/typebox';

const tags = ['usermost: users'];
const headers = Type.Object({
  'x-request-id': Type.Optional(
    Type.String({
      description: 'a retry with the same id (per license, 24 h) is not applied twice and gets the same answer',
    }),
  ),
});

export const userRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/:licenseCode/users',
      {
        config: { usermostPrivilege: 'users:write' },
        schema: {
          tags,
          operationId: 'usermostIdentifyUser',
          summary:
            'Identify a user: a new userId creates them (201), a known one updates the attributes sent (200) (editor)',
          params: LicenseParams,
          headers,
          body: UserWrite,
          response: { 200: Container(Profile), 201: Container(Profile), ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenant } = contextOf(req);
        const input = identifyInput(req.body as Record<string, unknown>);
        const a = await s.usermost.write(
          tenant.id,
          idempotentRequest(req),
          (ops) => ops.identify(principal, tenant.id, input),
          (r) => ({
            status: r.created ? 201 : 200,
            body: ok(profileWire(r.user)),
          }),
        );
        // The answer is stored (and replayed) as it was first rendered.
        return reply.status(a.status).send(a.body as never);
      },
    );

    app.get(
      '/:licenseCode/users',
      {
        config: { usermostPrivilege: 'users:read' },
        schema: {
          tags,
          operationId: 'usermostListUsers',
          summary: 'List users, oldest first, by page (viewer)',
          params: LicenseParams,
          querystring: PageQuery,
          response: { 200: Container(UserList), ...errors },
        },
      },
      async (req) => {
        const { principal, tenant } = contextOf(req);
        const { limit, page } = req.query;
        const r = await s.usermost.listUsers(principal, tenant.id, { limit, page });
        return ok({ users: r.items.map(profileWire), page, limit, total: r.total });
      },
    );

    app.get(
      '/:licenseCode/users/:userId',
      {
        config: { usermostPrivilege: 'users:read' },
        schema: {
          tags,
          operationId: 'usermostGetUser',
          summary: 'Read a user (viewer)',
          params: UserParams,
          response: { 200: Container(Profile), ...errors },
        },
      },
      async (req) => {
        const { principal, tenant } = contextOf(req);
        return ok(profileWire(await s.usermost.getUser(principal, tenant.id, req.params.userId)));
      },
    );

    app.delete(
      '/:licenseCode/users/:userId',
      {
        config: { usermostPrivilege: 'users:delete' },
        schema: {
          tags,
          operationId: 'usermostDeleteUser',
          summary: 'Delete a user and their events (admin)',
          params: UserParams,
          headers,
          response: { 200: Container(Type.Null()), ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenant } = contextOf(req);
        const a = await s.usermost.write(
          tenant.id,
          idempotentRequest(req),
          (ops) => ops.deleteUser(principal, tenant.id, req.params.userId),
          () => ({
            status: 200,
            body: ok(null),
          }),
        );
        // The answer is stored (and replayed) as it was first rendered.
        return reply.status(a.status).send(a.body as never);
      },
    );
  };
