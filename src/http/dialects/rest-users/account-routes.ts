import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/services.ts';
import {
  Account,
  AccountUpdate,
  SignUp,
  TenantHeader,
  UsernameParams,
  accountExample,
  failures,
  ok,
} from './schemas.ts';
import { accountWire, success } from './mapping.ts';
import { actorOf, optionalPrincipal, tenantIdOf, tenantOf } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';
import { API_KEY } from '../../openapi/security.ts';

const tags = ['rest/users: accounts'];

export const accountRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    // The seed writes "POST /rest/users/"; both spellings are served.
    for (const url of ['/users', '/users/']) {
      app.post(
        url,
        {
          schema: {
            tags,
            hide: url.endsWith('/'),
            operationId: 'restUsersSignUp',
            summary: 'Sign up (open when the tenant allows public sign-up; otherwise an API key with users:write)',
            headers: TenantHeader,
            body: SignUp,
            response: { 201: ok(Account), ...failures },
            security: [{}, ...API_KEY],
            ...docs({
              description:
                'Creates a developer-portal account (unverified, role free) with a username, email and password, in the tenant X-Roster-Tenant names. Open to anyone when the tenant allows public sign-up; otherwise it needs an API key with users:write (editor and up), else 401. 409 when the username or email is taken; 400 when the password is shorter than the tenant requires.',
              body: { username: 'ada', email: 'ada@example.com', password: 'correct horse battery staple' },
              responses: {
                201: {
                  description: 'The new account',
                  example: {
                    status: 1,
                    message: '',
                    content: { ...accountExample, allusage: 0, lastlogin: null, status: 'unverified' },
                  },
                },
              },
            }),
          },
        },
        async (req, reply) => {
          const account = await s.portal.signUp(tenantOf(req), await optionalPrincipal(s, req), req.body);
          return reply.status(201).send(success(accountWire(account)));
        },
      );
    }

    app.get(
      '/users/:username',
      {
        schema: {
          tags,
          operationId: 'restUsersGetAccount',
          summary: 'The account of the authenticated user (HTTP Basic, or an API key with users:read)',
          params: UsernameParams,
          headers: TenantHeader,
          response: { 200: ok(Account), ...failures },
          ...docs({
            description:
              'Reads an account: its holder signs in with HTTP Basic (username and password; repeated failures lock the account for a while, 429), or a manager with an API key with users:read. Basic credentials of another account are refused (403).',
            responses: {
              200: { description: 'The account', example: { status: 1, message: '', content: accountExample } },
            },
          }),
        },
      },
      async (req) => {
        const actor = await actorOf(s, req);
        return success(accountWire(await s.portal.get(actor, tenantIdOf(req), req.params.username)));
      },
    );

    app.put(
      '/users/:username',
      {
        schema: {
          tags,
          operationId: 'restUsersUpdateAccount',
          summary: 'Change username and/or email (a new email is unverified again)',
          params: UsernameParams,
          headers: TenantHeader,
          body: AccountUpdate,
          response: { 200: ok(Account), ...failures },
          ...docs({
            description:
              'Changes the username and/or email of an account; a new email makes it unverified again. The holder (HTTP Basic) or an API key with users:write. 409 when the new username or email is taken.',
            body: { email: 'ada.lovelace@example.com' },
            responses: {
              200: {
                description: 'The account as it is now',
                example: {
                  status: 1,
                  message: '',
                  content: { ...accountExample, email: 'ada.lovelace@example.com', status: 'unverified' },
                },
              },
            },
          }),
        },
      },
      async (req) => {
        const actor = await actorOf(s, req);
        return success(accountWire(await s.portal.update(actor, tenantIdOf(req), req.params.username, req.body)));
      },
    );

    app.post(
      '/users/:username/verify',
      {
        schema: {
          tags,
          operationId: 'restUsersVerifyAccount',
          summary: 'Mark the account verified (API key with users:write)',
          params: UsernameParams,
          headers: TenantHeader,
          response: { 200: ok(Account), ...failures },
          ...docs({
            description:
              "Marks the account's email verified. Only an API key with users:write (editor and up): the holder cannot verify itself (403).",
            responses: {
              200: {
                description: 'The account, verified',
                example: { status: 1, message: '', content: accountExample },
              },
            },
          }),
        },
      },
      async (req) => {
        const actor = await actorOf(s, req);
        return success(accountWire(await s.portal.verify(actor, tenantIdOf(req), req.params.username)));
      },
    );
  };
