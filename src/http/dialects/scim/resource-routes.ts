import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { etagOf, expectedVersion } from '../../credentials.ts';
import { URN } from './constants.ts';
import { contextOf } from './context.ts';
import { parseProjection, project, type Projection } from './projection.ts';
import { listParams, type ListParams, type ListResult, type Rendered, type ResourceOps } from './resource.ts';
import {
  IdParams,
  ListQuery,
  PatchBody,
  ProjectionQuery,
  ScimErrorBody,
  ScimGroup,
  ScimGroupList,
  ScimResourceBody,
  ScimUser,
  ScimUserList,
  SearchBody,
  scimGroupExample,
  scimGroupInputExample,
  scimListExample,
  scimUserExample,
  scimUserInputExample,
} from './wire.ts';
import { docs } from '../../openapi/route-docs.ts';

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

/** A rendered list: its Resources are the projected documents of one type. */
type ListWire = Static<typeof ScimUserList> | Static<typeof ScimGroupList>;

/** Each resource type's wire schemas and the examples its operations show. */
const WIRE = {
  User: {
    resource: ScimUser,
    list: ScimUserList,
    example: scimUserExample,
    input: scimUserInputExample,
    filter: 'userName eq "ada@example.com"',
    patch: {
      schemas: [URN.patchOp],
      Operations: [
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'name.familyName', value: 'King' },
      ],
    },
    patched: { ...scimUserExample, active: false, name: { ...scimUserExample.name, familyName: 'King' } },
  },
  Group: {
    resource: ScimGroup,
    list: ScimGroupList,
    example: scimGroupExample,
    input: scimGroupInputExample,
    filter: 'displayName eq "Research"',
    patch: {
      schemas: [URN.patchOp],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: '13' }] },
        { op: 'remove', path: 'members[value eq "12"]' },
      ],
    },
    patched: {
      ...scimGroupExample,
      members: [{ value: '13', display: 'Grace Hopper', type: 'User' }],
    },
  },
} as const;

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
    const wire = WIRE[name];
    const plural = ep.slice(1);
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
          response: { 200: wire.list, ...errors },
          ...docs({
            description: `The ${plural} of the key's tenant, filtered with a SCIM filter (filter=${wire.filter}; eq, ne, co, sw, ew, gt, ge, lt, le, pr, and, or, not, value paths), sorted with sortBy/sortOrder and paged with startIndex (1-based) and count (at most 1000; 0 answers totalResults only). attributes and excludedAttributes choose what each resource carries. Viewer and up, with a manager key (the root key has no tenant: 403). 400 (scimType invalidFilter) names what is wrong in a filter.`,
            responses: { 200: { description: `A page of ${plural}`, example: scimListExample([wire.example]) } },
          }),
        },
      },
      async (req) => {
        const p = listParams(req.query);
        const r = await ops.list(contextOf(req), p);
        return listResponse(r, p, (d) => project(ops.schema, d, p.projection)) as ListWire;
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
          response: { 200: wire.list, ...errors },
          ...docs({
            description: `The same search as GET ${ep}, with the parameters in a SearchRequest body (RFC 7644 §3.4.3), so a filter never ends up in a URL or a log. Viewer and up.`,
            body: { schemas: [URN.searchRequest], filter: wire.filter, startIndex: 1, count: 10 },
            responses: { 200: { description: `A page of ${plural}`, example: scimListExample([wire.example]) } },
          }),
        },
      },
      async (req, reply) => {
        const p = listParams(req.body);
        const r = await ops.list(contextOf(req), p);
        return reply.status(200).send(listResponse(r, p, (d) => project(ops.schema, d, p.projection)) as ListWire);
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
          response: { 201: wire.resource, ...errors },
          ...docs({
            description: `Creates a ${name} in the key's tenant (editor and up). Answers 201 with its URL in Location and its version in ETag. 409 (scimType uniqueness) when the ${name === 'User' ? 'userName or email' : 'displayName'} is taken; 400 names an attribute with a bad value.`,
            body: wire.input,
            responses: {
              201: { description: `The new ${name} (Location: its URL; ETag: its version)`, example: wire.example },
            },
          }),
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
          response: { 200: wire.resource, 304: Type.Null(), ...errors },
          ...docs({
            description: `Reads one ${name} of the key's tenant (viewer and up). With If-None-Match naming its current version, answers 304 without a body. 404 when the tenant has no such ${name}.`,
            responses: { 200: { description: `The ${name} (ETag: its version)`, example: wire.example } },
          }),
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
          response: { 200: wire.resource, ...errors },
          ...docs({
            description: `Replaces the ${name}: attributes not sent are cleared (${name === 'User' ? 'the password is kept unless sent' : 'members not sent leave the group'}). Editor and up. With If-Match, 412 when it changed since that version; 409 when the new ${name === 'User' ? 'userName or email' : 'displayName'} is taken.`,
            body: wire.input,
            responses: {
              200: { description: `The ${name} as it is now (ETag: its new version)`, example: wire.example },
            },
          }),
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
          response: { 200: wire.resource, ...errors },
          ...docs({
            description: `Applies PatchOp operations (add, remove, replace; paths with value filters such as members[value eq "12"]) in one transaction: all of them or none. Editor and up. With If-Match, 412 when the ${name} changed since that version; 400 (scimType invalidPath, invalidValue, noTarget) names the operation at fault.`,
            body: wire.patch,
            responses: {
              200: { description: `The ${name} as it is now (ETag: its new version)`, example: wire.patched },
            },
          }),
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
          ...docs({
            description: `Deletes the ${name}${name === 'User' ? ' with its events, credentials and group memberships' : ' (its members stay users)'}. Admin and up; with If-Match, 412 when it changed since that version.`,
            responses: { 204: 'Deleted' },
          }),
        },
      },
      async (req, reply) => {
        await ops.remove(contextOf(req), req.params.id, expectedVersion(req));
        return reply.status(204).send(null);
      },
    );
  };
