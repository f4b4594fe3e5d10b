import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { etagOf, expectedVersion } from '../../credentials.ts';
import { URN } from './constants.ts';
import { contextOf } from './context.ts';
import { parseProjection, project, type Projection } from './projection.ts';
import { listParams, type ListParams, type ListResult, type Rendered, type ResourceOps } from './resource.ts';
import {
  IdParams,
  ListQuery,
  ListResponse,
  PatchBody,
  ProjectionQuery,
  ScimErrorBody,
  ScimResource,
  ScimResourceBody,
  SearchBody,
} from './wire.ts';

const errors = {
  400: ScimErrorBody,
  401: ScimErrorBody,
  403: ScimErrorBody,
  404: ScimErrorBody,
  409: ScimErrorBody,
  412: ScimErrorBody,
};

export function listResponse(r: ListResult, p: ListParams, render: (doc: ListResult['docs'][number]) => unknown) {
  return {
    schemas: [URN.listResponse],
    totalResults: r.total,
    startIndex: p.startIndex,
    itemsPerPage: r.docs.length,
    Resources: r.docs.map(render),
  };
}

/** `If-None-Match: W/"3"` (or a list, or `*`) matches the current version: GET answers 304. */
export function noneMatch(req: FastifyRequest, version: number): boolean {
  const h = req.headers['if-none-match'];
  if (!h) return false;
  return h.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === `"${version}"`;
  });
}

/** Sends one resource with its ETag (and Location on 201), projected when the query asks. */
function sendResource(reply: FastifyReply, ops: ResourceOps, r: Rendered, proj: Projection, status = 200) {
  reply.header('etag', etagOf(r.version));
  if (status === 201) reply.header('location', (r.doc.meta as { location: string }).location);
  return reply.status(status).send(project(ops.schema, r.doc, proj));
}

/** GET list, POST .search, POST, GET/PUT/PATCH/DELETE by id for one resource type. */
export const resourceRoutes =
  (ops: ResourceOps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ep = ops.schema.endpoint;
    const name = ops.schema.name;
    const tags = [`scim: ${ep.slice(1)}`];
    const projOf = (q: { attributes?: string; excludedAttributes?: string }) =>
      parseProjection(q.attributes, q.excludedAttributes);

    app.get(
      ep,
      {
        schema: {
          tags,
          operationId: `scimList${ep.slice(1)}`,
          summary: `List or filter ${ep.slice(1)} (filter, sortBy, startIndex, count, attributes)`,
          querystring: ListQuery,
          response: { 200: ListResponse, ...errors },
        },
      },
      async (req) => {
        const p = listParams(req.query);
        const r = await ops.list(contextOf(req), p);
        return listResponse(r, p, (d) => project(ops.schema, d, p.projection));
      },
    );

    app.post(
      `${ep}/.search`,
      {
        schema: {
          tags,
          operationId: `scimSearch${ep.slice(1)}`,
          summary: `Search ${ep.slice(1)} with a SearchRequest body`,
          body: SearchBody,
          response: { 200: ListResponse, ...errors },
        },
      },
      async (req, reply) => {
        const p = listParams(req.body);
        const r = await ops.list(contextOf(req), p);
        return reply.status(200).send(listResponse(r, p, (d) => project(ops.schema, d, p.projection)));
      },
    );

    // Writes parse the projection first: a bad attributes/excludedAttributes must reject the request before anything is written.
    app.post(
      ep,
      {
        schema: {
          tags,
          operationId: `scimCreate${name}`,
          summary: `Create a ${name} (editor): 201 with Location and ETag`,
          querystring: ProjectionQuery,
          body: ScimResourceBody,
          response: { 201: ScimResource, ...errors },
        },
      },
      async (req, reply) => {
        const projection = projOf(req.query);
        return sendResource(reply, ops, await ops.create(contextOf(req), req.body), projection, 201);
      },
    );

    app.get(
      `${ep}/:id`,
      {
        schema: {
          tags,
          operationId: `scimGet${name}`,
          summary: `Read a ${name}; If-None-Match answers 304`,
          params: IdParams,
          querystring: ProjectionQuery,
          response: { 200: ScimResource, 304: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        const r = await ops.get(contextOf(req), req.params.id, projOf(req.query));
        if (noneMatch(req, r.version)) return reply.status(304).header('etag', etagOf(r.version)).send(null);
        return sendResource(reply, ops, r, projOf(req.query));
      },
    );

    app.put(
      `${ep}/:id`,
      {
        schema: {
          tags,
          operationId: `scimReplace${name}`,
          summary: `Replace a ${name} (editor; If-Match)`,
          params: IdParams,
          querystring: ProjectionQuery,
          body: ScimResourceBody,
          response: { 200: ScimResource, ...errors },
        },
      },
      async (req, reply) => {
        const projection = projOf(req.query);
        return sendResource(
          reply,
          ops,
          await ops.replace(contextOf(req), req.params.id, req.body, expectedVersion(req)),
          projection,
        );
      },
    );

    app.patch(
      `${ep}/:id`,
      {
        schema: {
          tags,
          operationId: `scimPatch${name}`,
          summary: `Change a ${name} with PatchOp operations, atomically (editor; If-Match)`,
          params: IdParams,
          querystring: ProjectionQuery,
          body: PatchBody,
          response: { 200: ScimResource, ...errors },
        },
      },
      async (req, reply) => {
        const projection = projOf(req.query);
        return sendResource(
          reply,
          ops,
          await ops.patch(contextOf(req), req.params.id, req.body, expectedVersion(req)),
          projection,
        );
      },
    );

    app.delete(
      `${ep}/:id`,
      {
        schema: {
          tags,
          operationId: `scimDelete${name}`,
          summary: `Delete a ${name} (admin; If-Match)`,
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await ops.remove(contextOf(req), req.params.id, expectedVersion(req));
        return reply.status(204).send(null);
      },
    );
  };
