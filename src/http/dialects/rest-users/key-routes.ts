import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import {
  AppKey,
  KeyCreate,
  KeyParams,
  KeyUse,
  KeyVerify,
  NewAppKey,
  RevokedKey,
  UsernameParams,
  failures,
  ok,
  TenantHeader,
  appKeyExample,
} from './schemas.ts';
import { keyWire, success } from './mapping.ts';
import { noStore } from '../../headers.ts';
import { actorOf, tenantIdOf } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';
import { PUBLIC } from '../../openapi/security.ts';

const tags = ['rest/users: application keys'];

export const keyRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/users/:username/keys',
      {
        schema: {
          tags,
          operationId: 'restUsersCreateKey',
          summary: 'Issue an application key (the secret is shown once)',
          params: UsernameParams,
          headers: TenantHeader,
          body: KeyCreate,
          response: { 201: ok(NewAppKey), ...failures },
          ...docs({
            description:
              'Issues an application key for the account. The secret is in this answer only (no-store): Roster keeps its digest. The holder (HTTP Basic) or an API key with users:write.',
            body: { name: 'billing-service' },
            responses: {
              201: {
                description: 'The new key with its secret (shown once)',
                example: {
                  status: 1,
                  message: '',
                  content: {
                    id: 4,
                    name: 'billing-service',
                    key: 'rak_Vq3xN8pL2mR7tY0wK5zB9cF4hJ6dS1gAe0uXiOn',
                    created: '2026-11-03T10:00:00.000Z',
                    usage: 0,
                  },
                },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const actor = await actorOf(s, req);
        const { key, secret } = await s.portal.createKey(actor, tenantIdOf(req), req.params.username, req.body.name);
        const { lastUsed: _never, ...wire } = keyWire(key);
        return noStore(reply)
          .status(201)
          .send(success({ ...wire, key: secret }));
      },
    );

    app.get(
      '/users/:username/keys',
      {
        schema: {
          tags,
          operationId: 'restUsersListKeys',
          summary: "The account's application keys (never their secrets)",
          params: UsernameParams,
          headers: TenantHeader,
          response: { 200: ok(Type.Array(AppKey)), ...failures },
          ...docs({
            description:
              "The account's application keys, with their usage and last use, never their secrets. The holder (HTTP Basic) or an API key with users:read.",
            responses: {
              200: { description: "The account's keys", example: { status: 1, message: '', content: [appKeyExample] } },
            },
          }),
        },
      },
      async (req) => {
        const actor = await actorOf(s, req);
        return success((await s.portal.listKeys(actor, tenantIdOf(req), req.params.username)).map(keyWire));
      },
    );

    app.delete(
      '/users/:username/keys/:id',
      {
        schema: {
          tags,
          operationId: 'restUsersRevokeKey',
          summary: 'Revoke an application key (its usage stays in allusage)',
          params: KeyParams,
          headers: TenantHeader,
          response: { 200: ok(RevokedKey), ...failures },
          ...docs({
            description:
              "Revokes an application key: it stops verifying at once; its usage still counts in the account's allusage. The holder (HTTP Basic) or an API key with users:write; 404 when the account has no such key.",
            responses: {
              200: { description: 'Revoked', example: { status: 1, message: '', content: { id: 4, revoked: true } } },
            },
          }),
        },
      },
      async (req) => {
        const actor = await actorOf(s, req);
        await s.portal.revokeKey(actor, tenantIdOf(req), req.params.username, req.params.id);
        return success({ id: req.params.id, revoked: true as const });
      },
    );

    app.post(
      '/keys/verify',
      {
        schema: {
          tags,
          operationId: 'restUsersVerifyKey',
          summary: 'Check an application key and add cost (default 1) to its usage, atomically',
          headers: TenantHeader,
          body: KeyVerify,
          response: { 200: ok(KeyUse), ...failures },
          security: PUBLIC,
          ...docs({
            description:
              'Checks an application key of the tenant X-Roster-Tenant names and adds cost (default 1) to its usage in the same statement, so concurrent checks never lose a count. Needs no credentials: the key is the credential. 401 when the key is not valid or revoked.',
            body: { key: 'rak_Vq3xN8pL2mR7tY0wK5zB9cF4hJ6dS1gAe0uXiOn', cost: 3 },
            responses: {
              200: {
                description: 'The key is valid: whose it is and its usage after this call',
                example: { status: 1, message: '', content: { valid: true, username: 'ada', keyId: 4, usage: 1533 } },
              },
            },
          }),
        },
      },
      async (req) => {
        const cost = req.body.cost === undefined ? 1 : Number(req.body.cost);
        const use = await s.appKeys.use(tenantIdOf(req), req.body.key, cost);
        return success({ valid: true as const, username: use.username, keyId: use.keyId, usage: use.usage });
      },
    );
  };
