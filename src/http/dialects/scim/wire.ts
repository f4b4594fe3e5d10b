import { Type } from '@sinclair/typebox';
import { named } from '../../openapi/components.ts';

/**
 * Wire schemas for validation and the OpenAPI document. SCIM bodies are open by nature (extension
 * URNs as keys, IdP extras such as `roles: []`, booleans as "True"), so resources are described,
 * not closed: the mapping checks each attribute and answers a SCIM error naming it.
 */
const Open = { additionalProperties: true } as const;

export const ScimErrorBody = named(
  'ScimError',
  Type.Object(
    {
      schemas: Type.Array(Type.String()),
      status: Type.String(),
      scimType: Type.Optional(Type.String()),
      detail: Type.String(),
    },
    { $id: 'ScimError' },
  ),
);

// Optional members: `attributes=meta.version` returns a partial meta.
const Meta = Type.Partial(
  Type.Object({
    resourceType: Type.String(),
    created: Type.String(),
    lastModified: Type.String(),
    location: Type.String(),
    version: Type.String(),
  }),
  Open,
);

export const ScimResource = named(
  'ScimResource',
  Type.Object(
    { schemas: Type.Array(Type.String()), id: Type.String(), meta: Type.Optional(Meta) },
    { ...Open, description: 'a SCIM User or Group (RFC 7643 §4); see /scim/v2/Schemas' },
  ),
);

export const ScimResourceBody = named(
  'ScimResourceInput',
  Type.Object(
    {
      schemas: Type.Optional(Type.Array(Type.String())),
      externalId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    },
    { ...Open, description: 'a SCIM User (userName required) or Group (displayName required)' },
  ),
);

export const PatchBody = named(
  'ScimPatchOp',
  Type.Object(
    {
      schemas: Type.Optional(Type.Array(Type.String())),
      Operations: Type.Optional(
        Type.Array(
          Type.Object(
            {
              op: Type.String({ description: 'add, remove or replace (any case)' }),
              path: Type.Optional(Type.Union([Type.String(), Type.Null()])),
              value: Type.Optional(Type.Unknown()),
            },
            Open,
          ),
        ),
      ),
    },
    { ...Open, description: 'urn:ietf:params:scim:api:messages:2.0:PatchOp' },
  ),
);

export const ListResponse = named(
  'ScimListResponse',
  Type.Object(
    {
      schemas: Type.Array(Type.String()),
      totalResults: Type.Integer(),
      startIndex: Type.Integer(),
      itemsPerPage: Type.Integer(),
      Resources: Type.Array(Type.Unknown()),
    },
    Open,
  ),
);

export const ListQuery = Type.Object({
  filter: Type.Optional(
    Type.String({
      maxLength: 4096,
      description: 'RFC 7644 §3.4.2.2, e.g. userName eq "ann" or emails[type eq "work" and value co "@x.io"]',
    }),
  ),
  sortBy: Type.Optional(Type.String({ maxLength: 256 })),
  sortOrder: Type.Optional(Type.String({ maxLength: 16, description: 'ascending (default) or descending' })),
  startIndex: Type.Optional(Type.Integer({ description: '1-based; values below 1 count as 1' })),
  count: Type.Optional(Type.Integer({ description: 'page size; 0 answers totalResults only; at most 1000' })),
  attributes: Type.Optional(Type.String({ maxLength: 2048 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 2048 })),
});

export const ProjectionQuery = Type.Object({
  attributes: Type.Optional(Type.String({ maxLength: 2048 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 2048 })),
});

export const SearchBody = named(
  'ScimSearchRequest',
  Type.Object(
    {
      schemas: Type.Optional(Type.Array(Type.String())),
      filter: Type.Optional(Type.String({ maxLength: 4096 })),
      sortBy: Type.Optional(Type.String({ maxLength: 256 })),
      sortOrder: Type.Optional(Type.String({ maxLength: 16 })),
      startIndex: Type.Optional(Type.Integer()),
      count: Type.Optional(Type.Integer()),
      attributes: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
      excludedAttributes: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
    },
    { ...Open, description: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest' },
  ),
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const BulkBody = named(
  'ScimBulkRequest',
  Type.Object(
    {
      schemas: Type.Optional(Type.Array(Type.String())),
      failOnErrors: Type.Optional(Type.Integer({ minimum: 0 })),
      Operations: Type.Array(
        Type.Object(
          {
            method: Type.String({ description: 'POST, PUT, PATCH or DELETE' }),
            bulkId: Type.Optional(Type.String({ maxLength: 256 })),
            version: Type.Optional(Type.String({ maxLength: 64 })),
            path: Type.String({ maxLength: 512 }),
            data: Type.Optional(Type.Unknown()),
          },
          Open,
        ),
      ),
    },
    { ...Open, description: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest' },
  ),
);

export const BulkResponse = named(
  'ScimBulkResponse',
  Type.Object({ schemas: Type.Array(Type.String()), Operations: Type.Array(Type.Unknown()) }, Open),
);
export const AnyDoc = Type.Object({}, Open);
