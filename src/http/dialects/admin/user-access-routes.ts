import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { ErrorBody, TenantUserParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: users'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const DateTime = Type.String({ format: 'date-time' });
const OrNull = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const LoginLock = named(
  'UserLoginLock',
  Type.Object({
    locked: Type.Boolean({ description: 'password logins are refused after too many failures' }),
    lockedUntil: OrNull(DateTime),
  }),
);
const AppKeyWire = named(
  'UserAppKey',
  Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    usage: Type.Integer({ description: 'units counted against the key so far' }),
    createdAt: DateTime,
    lastUsedAt: OrNull(DateTime),
  }),
);
const AppKeyList = named('UserAppKeyList', Type.Object({ items: Type.Array(AppKeyWire) }));
const EventWire = named(
  'UserEvent',
  Type.Object({
    id: Type.Integer(),
    eventName: Type.String(),
    eventTime: DateTime,
    params: Type.Record(Type.String(), Type.Unknown()),
    createdAt: DateTime,
  }),
);
const EventList = named('UserEventList', Type.Object({ items: Type.Array(EventWire), total: Type.Integer() }));
const EventQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
const KeyParams = Type.Object({ id: Id, userId: Id, keyId: Id });

/** A user's login lockout, application keys and recorded events, for the people who run the directory. */
export const userAccessRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tenants/:id/users/:userId/login-lock',
      {
        schema: {
          tags,
          operationId: 'getUserLoginLock',
          summary: "Whether the user's password logins are locked after failures, and until when (viewer)",
          params: TenantUserParams,
          response: { 200: LoginLock, ...errors },
          ...docs({
            description:
              "Whether the user's password logins (HTTP Basic on /rest/users) are locked after too many failures, and until when. Viewer and up, or root; 404 when the tenant has no such user.",
            responses: {
              200: { description: 'The lock', example: { locked: true, lockedUntil: '2026-12-07T23:45:00.000Z' } },
            },
          }),
        },
      },
      async (req) => {
        const until = await s.userAccess.lockedUntil(principalOf(req), req.params.id, req.params.userId);
        return { locked: until !== null, lockedUntil: until ? until.toISOString() : null };
      },
    );

    app.delete(
      '/tenants/:id/users/:userId/login-lock',
      {
        schema: {
          tags,
          operationId: 'unlockUser',
          summary: "Unlock the user's password logins and restart the failure count (editor)",
          params: TenantUserParams,
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              "Lifts the lockout of the user's password logins at once and restarts the count of failures. Editor and up, or root.",
            responses: { 204: 'Unlocked' },
          }),
        },
      },
      async (req, reply) => {
        await s.userAccess.unlock(principalOf(req), req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/tenants/:id/users/:userId/app-keys',
      {
        schema: {
          tags,
          operationId: 'listUserAppKeys',
          summary: "The user's application keys that are not revoked; never their secrets (viewer)",
          params: TenantUserParams,
          response: { 200: AppKeyList, ...errors },
          ...docs({
            description:
              "The user's application keys that are not revoked, with their usage and last use; never their secrets. Viewer and up, or root.",
            responses: {
              200: {
                description: "The user's keys",
                example: {
                  items: [
                    {
                      id: 4,
                      name: 'billing-service',
                      usage: 1530,
                      createdAt: '2026-11-03T10:00:00.000Z',
                      lastUsedAt: '2026-12-01T07:50:00.000Z',
                    },
                  ],
                },
              },
            },
          }),
        },
      },
      async (req) => {
        const keys = await s.userAccess.keys(principalOf(req), req.params.id, req.params.userId);
        return {
          items: keys.map((k) => ({
            id: k.id,
            name: k.name,
            usage: k.usage,
            createdAt: k.createdAt.toISOString(),
            lastUsedAt: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
          })),
        };
      },
    );

    app.delete(
      '/tenants/:id/users/:userId/app-keys/:keyId',
      {
        schema: {
          tags,
          operationId: 'revokeUserAppKey',
          summary: 'Revoke one of the user’s application keys; it stops working at once (editor)',
          params: KeyParams,
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              "Revokes one of the user's application keys: it stops verifying at once; its usage still counts. Editor and up, or root; 404 when the user has no such key.",
            responses: { 204: 'Revoked' },
          }),
        },
      },
      async (req, reply) => {
        await s.userAccess.revokeKey(principalOf(req), req.params.id, req.params.userId, req.params.keyId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/tenants/:id/users/:userId/events',
      {
        schema: {
          tags,
          operationId: 'listUserEvents',
          summary: 'The events recorded for the user (Usermost track), newest first, with the total (viewer)',
          params: TenantUserParams,
          querystring: EventQuery,
          response: { 200: EventList, ...errors },
          ...docs({
            description:
              'The events recorded for the user (Usermost track and batch), newest first, limit and offset at a time, with the total. Viewer and up, or root.',
            responses: {
              200: {
                description: 'A page of events and the total',
                example: {
                  items: [
                    {
                      id: 5001,
                      eventName: 'report_exported',
                      eventTime: '2026-11-28T14:00:00.000Z',
                      params: { format: 'pdf', pages: 12 },
                      createdAt: '2026-11-28T14:00:01.000Z',
                    },
                  ],
                  total: 1,
                },
              },
            },
          }),
        },
      },
      async (req) => {
        const page = await s.userAccess.events(principalOf(req), req.params.id, req.params.userId, req.query);
        return {
          total: page.total,
          items: page.items.map((e) => ({
            id: e.id,
            eventName: e.eventName,
            eventTime: e.eventTime.toISOString(),
            params: e.params,
            createdAt: e.createdAt.toISOString(),
          })),
        };
      },
    );
  };
