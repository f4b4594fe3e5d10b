import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { forbidden, notFound } from '../../../domain/errors.ts';
import { BULK_MAX_OPERATIONS, BULK_MAX_PAYLOAD, MAX_RESULTS, URN } from './constants.ts';
import { contextOf } from './context.ts';
import { ENTERPRISE_ATTRS, GROUP_ATTRS, USER_ATTRS, type AttrDef } from './resource-schemas.ts';
import { AnyDoc, ListResponse, ScimErrorBody } from './wire.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['scim: discovery'];
const errors = { 401: ScimErrorBody, 403: ScimErrorBody, 404: ScimErrorBody };

/** RFC 7643 §5: exactly what this provider supports. */
export function serviceProviderConfig(base: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: 'https://www.rfc-editor.org/rfc/rfc7644',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: BULK_MAX_OPERATIONS, maxPayloadSize: BULK_MAX_PAYLOAD },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Manager API key',
        description:
          "Authorization: Bearer <API key of a manager of the tenant>. The tenant is the key's; viewer reads, editor writes, admin deletes.",
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

const SCHEMAS: { id: string; name: string; description: string; attributes: AttrDef[] }[] = [
  { id: URN.user, name: 'User', description: 'User Account', attributes: USER_ATTRS },
  { id: URN.enterprise, name: 'EnterpriseUser', description: 'Enterprise User', attributes: ENTERPRISE_ATTRS },
  { id: URN.group, name: 'Group', description: 'Group', attributes: GROUP_ATTRS },
];

const schemaDoc = (base: string, s: (typeof SCHEMAS)[number]) => ({
  schemas: [URN.schema],
  ...s,
  meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
});

const RESOURCE_TYPES = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: URN.user,
    schemaExtensions: [{ schema: URN.enterprise, required: false }],
  },
  { id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: URN.group, schemaExtensions: [] },
];

const resourceTypeDoc = (base: string, r: (typeof RESOURCE_TYPES)[number]) => ({
  schemas: [URN.resourceType],
  ...r,
  meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${r.id}` },
});

const list = (items: unknown[]) => ({
  schemas: [URN.listResponse],
  totalResults: items.length,
  startIndex: 1,
  itemsPerPage: items.length,
  Resources: items,
});
const FilterQuery = Type.Object({
  filter: Type.Optional(Type.String({ description: 'not supported here: any filter is refused (403)' })),
});
const BASE = 'https://id.example.com/scim/v2';
const schemaExample = schemaDoc(BASE, SCHEMAS[2]);
const resourceTypeExample = resourceTypeDoc(BASE, RESOURCE_TYPES[0]);

export const discoveryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/ServiceProviderConfig',
    {
      schema: {
        tags,
        operationId: 'scimGetServiceProviderConfig',
        summary: 'What this SCIM provider supports',
        response: { 200: AnyDoc, ...errors },
        ...docs({
          description:
            'What this SCIM provider supports (RFC 7643 §5): PATCH, Bulk (at most 1000 operations, 1 MiB), filters (at most 1000 results), sorting, ETags, password changes, and how to authenticate. Any manager key of the tenant.',
          responses: {
            200: { description: 'The service provider configuration', example: serviceProviderConfig(BASE) },
          },
        }),
      },
    },
    async (req) => serviceProviderConfig(contextOf(req).base),
  );

  app.get(
    '/Schemas',
    {
      schema: {
        tags,
        operationId: 'scimListSchemas',
        summary: 'The User, EnterpriseUser and Group schemas as supported',
        querystring: FilterQuery,
        response: { 200: ListResponse, ...errors },
        ...docs({
          description:
            'The User, EnterpriseUser and Group schemas exactly as Roster supports them: each attribute with its type, mutability and what it is stored as. Any manager key; a filter is refused (403).',
          responses: { 200: { description: 'Every schema', example: list([schemaExample]) } },
        }),
      },
    },
    async (req) => {
      if (req.query.filter) throw forbidden('filtering is not supported on /Schemas');
      return list(SCHEMAS.map((s) => schemaDoc(contextOf(req).base, s)));
    },
  );

  app.get(
    '/Schemas/:id',
    {
      schema: {
        tags,
        operationId: 'scimGetSchema',
        summary: 'One schema by URN',
        params: Type.Object({ id: Type.String() }),
        response: { 200: AnyDoc, ...errors },
        ...docs({
          description:
            'One schema by its URN (case-insensitive), as listed by scimListSchemas. 404 for a URN Roster does not support.',
          responses: { 200: { description: 'The schema', example: schemaExample } },
        }),
      },
    },
    async (req) => {
      const s = SCHEMAS.find((x) => x.id.toLowerCase() === req.params.id.toLowerCase());
      if (!s) throw notFound('scim.schema_not_found', `no schema ${req.params.id}`);
      return schemaDoc(contextOf(req).base, s);
    },
  );

  app.get(
    '/ResourceTypes',
    {
      schema: {
        tags,
        operationId: 'scimListResourceTypes',
        summary: 'User and Group',
        querystring: FilterQuery,
        response: { 200: ListResponse, ...errors },
        ...docs({
          description:
            'The resource types: User (with the enterprise extension) and Group, with their endpoints and schemas. Any manager key; a filter is refused (403).',
          responses: { 200: { description: 'Every resource type', example: list([resourceTypeExample]) } },
        }),
      },
    },
    async (req) => {
      if (req.query.filter) throw forbidden('filtering is not supported on /ResourceTypes');
      return list(RESOURCE_TYPES.map((r) => resourceTypeDoc(contextOf(req).base, r)));
    },
  );

  app.get(
    '/ResourceTypes/:id',
    {
      schema: {
        tags,
        operationId: 'scimGetResourceType',
        summary: 'One resource type',
        params: Type.Object({ id: Type.String() }),
        response: { 200: AnyDoc, ...errors },
        ...docs({
          description: 'One resource type by id (User or Group, case-insensitive). 404 for any other.',
          responses: { 200: { description: 'The resource type', example: resourceTypeExample } },
        }),
      },
    },
    async (req) => {
      const r = RESOURCE_TYPES.find((x) => x.id.toLowerCase() === req.params.id.toLowerCase());
      if (!r) throw notFound('scim.resource_type_not_found', `no resource type ${req.params.id}`);
      return resourceTypeDoc(contextOf(req).base, r);
    },
  );
};
