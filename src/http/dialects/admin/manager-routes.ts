import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import {
  afterIdOf,
  ErrorBody,
  IdParams,
  Manager,
  ManagerCreate,
  ManagerList,
  ManagerPatch,
  ManagerWithKey,
  PageQuery,
} from './schemas.ts';
import { managerWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { noStore } from '../../headers.ts';

const tags = ['management: managers'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export const managerRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/tenants/:id/managers',
      {
        schema: {
          tags,
          operationId: 'createManager',
          summary: 'Create a manager with a new API key (owner)',
          params: IdParams,
          body: ManagerCreate,
          response: { 201: ManagerWithKey, ...errors },
        },
      },
      async (req, reply) => {
        const { manager, apiKey } = await s.managers.create(principalOf(req), req.params.id, req.body);
        return noStore(reply)
          .status(201)
          .send({ ...managerWire(manager), apiKey });
      },
    );

    app.get(
      '/tenants/:id/managers',
      {
        schema: {
          tags,
          operationId: 'listManagers',
          summary: "List a tenant's managers (admin)",
          params: IdParams,
          querystring: PageQuery,
          response: { 200: ManagerList, ...errors },
        },
      },
      async (req) => {
        const items = await s.managers.list(principalOf(req), req.params.id, {
          afterId: afterIdOf(req.query),
          limit: req.query.limit,
        });
        const last = items[items.length - 1];
        return {
          items: items.map(managerWire),
          nextCursor: items.length === req.query.limit && last ? String(last.id) : null,
        };
      },
    );

    app.get(
      '/managers/:id',
      {
        schema: {
          tags,
          operationId: 'getManager',
          summary: 'Read a manager (admin)',
          params: IdParams,
          response: { 200: Manager, ...errors },
        },
      },
      async (req) => managerWire(await s.managers.get(principalOf(req), req.params.id)),
    );

    app.patch(
      '/managers/:id',
      {
        schema: {
          tags,
          operationId: 'updateManager',
          summary: 'Change a manager (owner)',
          params: IdParams,
          body: ManagerPatch,
          response: { 200: Manager, ...errors },
        },
      },
      async (req) => managerWire(await s.managers.update(principalOf(req), req.params.id, req.body)),
    );

    app.delete(
      '/managers/:id',
      {
        schema: {
          tags,
          operationId: 'deleteManager',
          summary: 'Delete a manager; its key stops working (owner)',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await s.managers.delete(principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/managers/:id/key',
      {
        schema: {
          tags,
          operationId: 'rotateManagerKey',
          summary: 'Issue a new API key; the old one stops working at once (owner)',
          params: IdParams,
          response: { 200: ManagerWithKey, ...errors },
        },
      },
      async (req, reply) => {
        const { manager, apiKey } = await s.managers.rotateKey(principalOf(req), req.params.id);
        noStore(reply);
        return { ...managerWire(manager), apiKey };
      },
    );
  };
