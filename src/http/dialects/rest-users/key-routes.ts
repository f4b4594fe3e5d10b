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
} from './schemas.ts';
import { keyWire, success } from './mapping.ts';
import { noStore } from '../../headers.ts';
import { actorOf, tenantIdOf } from './context.ts';

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
          body: KeyCreate,
          response: { 201: ok(NewAppKey), ...failures },
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
          response: { 200: ok(Type.Array(AppKey)), ...failures },
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
          response: { 200: ok(RevokedKey), ...failures },
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
          body: KeyVerify,
          response: { 200: ok(KeyUse), ...failures },
        },
      },
      async (req) => {
        const cost = req.body.cost === undefined ? 1 : Number(req.body.cost);
        const use = await s.appKeys.use(tenantIdOf(req), req.body.key, cost);
        return success({ valid: true as const, username: use.username, keyId: use.keyId, usage: use.usage });
      },
    );
  };
