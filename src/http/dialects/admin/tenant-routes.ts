import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/services.ts';
import { afterIdOf, ErrorBody, IdParams, PageQuery, Tenant, TenantCreate, TenantList, TenantPatch } from './schemas.ts';
import { tenantWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { Type } from '@sinclair/typebox';

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
        },
      },
      async (req, reply) => {
        await s.tenants.delete(principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
