import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/services.ts';
import {
  afterIdOf,
  ErrorBody,
  IdParams,
  PageQuery,
  Tenant,
  TenantCreate,
  TenantList,
  TenantPatch,
  tenantExample,
} from './schemas.ts';
import { tenantWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { Type } from '@sinclair/typebox';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: tenants'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const tenantRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/tenants',
      {
        schema: {
          tags,
          operationId: 'createTenant',
          summary: 'Create a tenant (root)',
          body: TenantCreate,
          response: { 201: Tenant, ...errors },
          ...docs({
            description:
              'Creates a tenant: an isolated directory of users, managers, groups and audit trail. Only the root key may (403 for a manager key). The license code names the tenant in the Usermost URLs and the console sign-in; without one, Roster generates a random one. 409 when the license code is taken.',
            body: { name: 'Acme', licenseCode: 'acme', settings: { publicSignup: false, passwordMinLength: 10 } },
            responses: { 201: { description: 'The new tenant', example: tenantExample } },
          }),
        },
      },
      async (req, reply) => {
        const t = await s.tenants.create(principalOf(req), req.body);
        return reply.status(201).send(tenantWire(t));
      },
    );

    app.get(
      '/tenants',
      {
        schema: {
          tags,
          operationId: 'listTenants',
          summary: 'List tenants (root)',
          querystring: PageQuery,
          response: { 200: TenantList, ...errors },
          ...docs({
            description:
              'Every tenant, by id, a page at a time: pass the nextCursor of a page as cursor to read the next one (null on the last page). Only the root key may (403 for a manager key).',
            responses: {
              200: { description: 'A page of tenants', example: { items: [tenantExample], nextCursor: null } },
            },
          }),
        },
      },
      async (req) => {
        const items = await s.tenants.list(principalOf(req), { afterId: afterIdOf(req.query), limit: req.query.limit });
        const last = items[items.length - 1];
        return {
          items: items.map(tenantWire),
          nextCursor: items.length === req.query.limit && last ? String(last.id) : null,
        };
      },
    );

    app.get(
      '/tenants/:id',
      {
        schema: {
          tags,
          operationId: 'getTenant',
          summary: 'Read a tenant',
          params: IdParams,
          response: { 200: Tenant, ...errors },
          ...docs({
            description:
              "Reads one tenant with its settings. The root key reads any tenant; a manager reads only its own (404 for another's, as if it did not exist).",
            responses: { 200: { description: 'The tenant', example: tenantExample } },
          }),
        },
      },
      async (req) => tenantWire(await s.tenants.get(principalOf(req), req.params.id)),
    );

    app.patch(
      '/tenants/:id',
      {
        schema: {
          tags,
          operationId: 'updateTenant',
          summary: 'Change a tenant (name, settings; licenseCode: root)',
          params: IdParams,
          body: TenantPatch,
          response: { 200: Tenant, ...errors },
          ...docs({
            description:
              'Changes the fields sent: the name and settings (an owner of the tenant, or root); the license code only with the root key (403 otherwise). 409 when the new license code is taken.',
            body: { name: 'Acme Corporation', settings: { publicSignup: true } },
            responses: {
              200: {
                description: 'The tenant as it is now',
                example: {
                  ...tenantExample,
                  name: 'Acme Corporation',
                  settings: { publicSignup: true, passwordMinLength: 10 },
                },
              },
            },
          }),
        },
      },
      async (req) => tenantWire(await s.tenants.update(principalOf(req), req.params.id, req.body)),
    );

    app.delete(
      '/tenants/:id',
      {
        schema: {
          tags,
          operationId: 'deleteTenant',
          summary: 'Delete a tenant and everything in it (root)',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              'Deletes the tenant with everything in it: users, managers (their keys stop working at once), groups, events, webhooks and audit trail. Root key only; 404 when there is no such tenant.',
            responses: { 204: 'Deleted, with everything in it' },
          }),
        },
      },
      async (req, reply) => {
        await s.tenants.delete(principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
