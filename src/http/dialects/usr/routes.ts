import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { MAX_PAGE } from '../../../domain/user-query.ts';
import { AccountIdParams, UserIdParams, UsrError, UsrListQuery, UsrUser, UsrWrite, usrUserExample } from './schemas.ts';
import { addOf, modifyOf, usrWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['usr'];
const errors = { 400: UsrError, 401: UsrError, 403: UsrError, 404: UsrError, 409: UsrError, 415: UsrError };

/** getUserListByAccountId: served under /usr and /pub/usr alike (each with its own operationId). */
export const listRoutes =
  (s: Services, operationId: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/acc/:accountId',
      {
        schema: {
          tags,
          operationId,
          summary:
            "List an account's users, ordered by userId (limit, offset); x-total-count holds the account's count",
          params: AccountIdParams,
          querystring: UsrListQuery,
          response: { 200: Type.Array(UsrUser), ...errors },
          ...docs({
            description:
              "The users of an account (tenant), ordered by userId, limit (at most 1000) and offset at a time; the x-total-count header holds the account's count. A manager key lists its own account (viewer and up), the root key any; 404 for an account the key does not reach.",
            responses: {
              200: {
                description: 'A page of users (x-total-count: how many the account has)',
                example: [
                  usrUserExample,
                  {
                    ...usrUserExample,
                    userId: 13,
                    contactName: 'Grace Hopper',
                    emailAddress: 'grace@example.com',
                    username: 'grace',
                  },
                ],
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const page = await s.usr.list(principalOf(req), req.params.accountId, {
          limit: req.query.limit ?? MAX_PAGE,
          offset: req.query.offset ?? 0,
        });
        return reply.header('x-total-count', String(page.total)).send(page.items.map(usrWire));
      },
    );
  };

const addSummary =
  'Add a user: contactName, emailAddress, defaultAccountId, username, password required; active optional (default 1)';
const modifySummary =
  'Modify a user: only the fields sent change; another defaultAccountId moves the user to that account';

/** getUser, addUser (POST/PUT /new), modifyUser (POST/PUT /{userId}), deleteUser. */
export const userRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    // The seed accepts POST and PUT alike; an operationId names one method, so PUT's says so.
    const suffix = { POST: '', PUT: 'WithPut' } as const;
    for (const method of ['POST', 'PUT'] as const) {
      app.route({
        method,
        url: '/new',
        schema: {
          tags,
          operationId: `usrAddUser${suffix[method]}`,
          summary: addSummary,
          body: UsrWrite,
          response: { 201: UsrUser, ...errors },
          ...docs({
            description:
              'Adds a user to the account (tenant) defaultAccountId names. contactName, emailAddress, defaultAccountId, username and password are required: one 400 names every missing one. A manager key adds only to its own account (editor and up), the root key to any. 409 when the username or email is taken in that account. POST and PUT do the same.',
            body: {
              contactName: 'Ada Lovelace',
              emailAddress: 'ada@example.com',
              defaultAccountId: 2,
              username: 'ada',
              password: 'correct horse battery staple',
              active: 1,
            },
            responses: { 201: { description: 'The new user (Location: its URL)', example: usrUserExample } },
          }),
        },
        handler: async (req, reply) => {
          const u = await s.usr.create(principalOf(req), addOf(req.body));
          return reply.status(201).header('location', `/usr/${u.id}`).send(usrWire(u));
        },
      });
      app.route({
        method,
        url: '/:userId',
        schema: {
          tags,
          operationId: `usrModifyUser${suffix[method]}`,
          summary: modifySummary,
          params: UserIdParams,
          body: UsrWrite,
          response: { 200: UsrUser, ...errors },
          ...docs({
            description:
              "Modifies a user: only the fields sent change (null means not sent). Another defaultAccountId moves the user to that account, which the key must reach too. Editor and up; 404 when the key's account has no such user, 409 when the new username or email is taken. POST and PUT do the same.",
            body: { emailAddress: 'ada.lovelace@example.com', active: 0 },
            responses: {
              200: {
                description: 'The user as it is now',
                example: { ...usrUserExample, emailAddress: 'ada.lovelace@example.com', active: 0 },
              },
            },
          }),
        },
        handler: async (req) => usrWire(await s.usr.modify(principalOf(req), req.params.userId, modifyOf(req.body))),
      });
    }

    app.get(
      '/:userId',
      {
        schema: {
          tags,
          operationId: 'usrGetUser',
          summary: 'Get a user by userId',
          params: UserIdParams,
          response: { 200: UsrUser, ...errors },
          ...docs({
            description:
              'Reads a user by userId. A manager key reads the users of its own account (viewer and up), the root key any; 404 otherwise, as if the user did not exist.',
            responses: { 200: { description: 'The user', example: usrUserExample } },
          }),
        },
      },
      async (req) => usrWire(await s.usr.get(principalOf(req), req.params.userId)),
    );

    app.delete(
      '/:userId',
      {
        schema: {
          tags,
          operationId: 'usrDeleteUser',
          summary: 'Delete a user (204)',
          params: UserIdParams,
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              "Deletes a user with its events and credentials. Admin and up in the user's account, or the root key; 404 when the key does not reach the user.",
            responses: { 204: 'Deleted' },
          }),
        },
      },
      async (req, reply) => {
        await s.usr.delete(principalOf(req), req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };
