import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/services.ts';
import { Account, AccountUpdate, SignUp, UsernameParams, failures, ok } from './schemas.ts';
import { accountWire, success } from './mapping.ts';
import { actorOf, optionalPrincipal, tenantIdOf, tenantOf } from './context.ts';

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
            body: SignUp,
            response: { 201: ok(Account), ...failures },
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
          response: { 200: ok(Account), ...failures },
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
          body: AccountUpdate,
          response: { 200: ok(Account), ...failures },
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
          response: { 200: ok(Account), ...failures },
        },
      },
      async (req) => {
        const actor = await actorOf(s, req);
        return success(accountWire(await s.portal.verify(actor, tenantIdOf(req), req.params.username)));
      },
    );
  };
