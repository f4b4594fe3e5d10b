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
  managerExample,
  managerWithKeyExample,
  PageQuery,
} from './schemas.ts';
import { managerWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { noStore } from '../../headers.ts';
import { docs } from '../../openapi/route-docs.ts';

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
          ...docs({
            description:
              'Creates a manager of the tenant with a role (viewer, editor, admin, owner) and a new API key. The key is in this answer only: Roster keeps its digest, never the key (the answer is marked no-store). Owner of the tenant, or root. 409 when the email is taken in the tenant.',
            body: { name: 'Ann Smith', email: 'ann@acme.test', role: 'owner' },
            responses: {
              201: { description: 'The new manager and its API key (shown once)', example: managerWithKeyExample },
            },
          }),
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
          ...docs({
            description:
              "The tenant's managers by id, a page at a time (cursor: the nextCursor of the page before). Never their keys. Admin or owner of the tenant, or root.",
            responses: {
              200: {
                description: 'A page of managers',
                example: {
                  items: [
                    managerExample,
                    { ...managerExample, id: 6, name: 'Bo Chen', email: 'bo@acme.test', role: 'viewer' },
                  ],
                  nextCursor: null,
                },
              },
            },
          }),
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
          ...docs({
            description:
              'Reads one manager (never its key). Admin or owner of its tenant, or root; 404 for a manager of another tenant.',
            responses: { 200: { description: 'The manager', example: managerExample } },
          }),
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
          ...docs({
            description:
              "Changes the name, email or role sent. Owner of the tenant, or root. A change of role ends the manager's console sessions; 409 when the new email is taken in the tenant.",
            body: { role: 'admin' },
            responses: {
              200: { description: 'The manager as it is now', example: { ...managerExample, role: 'admin' } },
            },
          }),
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
          ...docs({
            description:
              'Deletes the manager: its API key and console sessions stop working at once. Owner of the tenant, or root.',
            responses: { 204: 'Deleted; its key no longer authenticates' },
          }),
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
          ...docs({
            description:
              'Issues a new API key for the manager; the old one stops working at once, in every Roster process. The new key is in this answer only (no-store). Owner of the tenant, or root.',
            responses: {
              200: { description: 'The manager and its new API key (shown once)', example: managerWithKeyExample },
            },
          }),
        },
      },
      async (req, reply) => {
        const { manager, apiKey } = await s.managers.rotateKey(principalOf(req), req.params.id);
        noStore(reply);
        return { ...managerWire(manager), apiKey };
      },
    );
  };
