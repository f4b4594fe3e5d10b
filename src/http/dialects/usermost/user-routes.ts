import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/services.ts';
import {
  Container,
  errors,
  LicenseParams,
  PageQuery,
  Profile,
  UserList,
  UserParams,
  UserWrite,
  profileExample,
} from './schemas.ts';
import { identifyInput, ok, profileWire } from './mapping.ts';
import { contextOf, idempotentRequest } from './context.ts';
import { Type } from '@sinclair/typebox';
import { docs } from '../../openapi/route-docs.ts';

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
          ...docs({
            description:
              'Identifies a user of the tenant the license code names, by your userId: a new userId creates the user (201), a known one updates the attributes sent (200); any key that is not a core field is a custom attribute, and null removes it. An x-request-id makes a retry safe: the same id (per license, 24 h) is not applied twice and gets the first answer. Editor and up, with a key of that tenant (else 401/404). Errors come in the container with status error: 400 for a bad body.',
            body: {
              userId: 'u-1001',
              email: 'ada@example.com',
              firstName: 'Ada',
              lastName: 'Lovelace',
              company: 'Analytical Engines Ltd',
              plan: 'gold',
              seats: 12,
            },
            responses: {
              200: { description: 'A known userId: the user, updated', example: ok(profileExample) },
              201: { description: 'A new userId: the user, created', example: ok(profileExample) },
            },
          }),
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
          ...docs({
            description:
              'The users of the tenant that have a userId, oldest first, a page at a time (page is 1-based; limit at most 1000), with the total. Viewer and up.',
            responses: {
              200: {
                description: 'A page of users and the total',
                example: ok({ users: [profileExample], page: 1, limit: 50, total: 1 }),
              },
            },
          }),
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
          ...docs({
            description:
              'Reads a user by your userId: the core fields that are set, the custom attributes, createdAt and updatedAt. Viewer and up; 404 (in the container) when there is no such userId.',
            responses: { 200: { description: 'The user', example: ok(profileExample) } },
          }),
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
          ...docs({
            description:
              'Deletes the user with that userId and their events. Admin and up; 404 when there is no such userId. A retry with the same x-request-id gets the first answer.',
            responses: { 200: { description: 'Deleted: data is null', example: ok(null) } },
          }),
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
