import { Type, type TSchema } from '@sinclair/typebox';
import { named } from '../../openapi/components.ts';
import { URN } from './constants.ts';

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
    {
      $id: 'ScimError',
      example: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '409',
        scimType: 'uniqueness',
        detail: 'userName "ada@example.com" is already taken',
      },
    },
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

const Text = (description: string) => Type.Optional(Type.String({ description }));
const Values = (description: string, item: Record<string, ReturnType<typeof Text>>) =>
  Type.Optional(Type.Array(Type.Object(item, Open), { description }));

/** A SCIM User as Roster answers it (RFC 7643 §4.1; /scim/v2/Schemas lists what each attribute maps to). */
export const ScimUser = named(
  'ScimUser',
  Type.Object(
    {
      schemas: Type.Array(Type.String()),
      id: Type.String(),
      externalId: Text("the user's id in the client's system"),
      userName: Text('unique per tenant, case-insensitively'),
      name: Type.Optional(
        Type.Object(
          {
            formatted: Text('given, middle and family name'),
            familyName: Text('family name'),
            givenName: Text('given name'),
            middleName: Text('middle name'),
          },
          Open,
        ),
      ),
      displayName: Text('name for display'),
      nickName: Text('casual name'),
      profileUrl: Text("URL of the user's profile"),
      title: Text('job title'),
      userType: Text('relationship to the organization'),
      preferredLanguage: Text('preferred language, e.g. en'),
      locale: Text('e.g. en-US'),
      timezone: Text('e.g. Europe/Paris'),
      active: Type.Optional(Type.Boolean({ description: 'whether the user may sign in' })),
      emails: Values('the one stored email, as primary', { value: Text('address'), type: Text('work, home or other') }),
      phoneNumbers: Values('one per type', {
        value: Text('number'),
        type: Text('work, home, mobile, fax, pager or other'),
      }),
      groups: Values('the groups the user is a direct member of (read-only), each with its URI in $ref', {
        value: Text('group id'),
        display: Text("the group's displayName"),
        type: Text('always direct'),
      }),
      [URN.enterprise]: Type.Optional(
        Type.Object(
          {},
          {
            ...Open,
            description:
              'the enterprise extension: employeeNumber, costCenter, organization, division, department, manager',
          },
        ),
      ),
      meta: Type.Optional(Meta),
    },
    { ...Open, description: 'a SCIM User (RFC 7643 §4.1); see /scim/v2/Schemas for each attribute' },
  ),
);

/** A SCIM Group as Roster answers it (RFC 7643 §4.2). */
export const ScimGroup = named(
  'ScimGroup',
  Type.Object(
    {
      schemas: Type.Array(Type.String()),
      id: Type.String(),
      externalId: Text("the group's id in the client's system"),
      displayName: Text('unique per tenant, case-insensitively'),
      members: Values('the users in the group, each with its URI in $ref (omitted with excludedAttributes=members)', {
        value: Text('user id'),
        display: Text("the user's displayName, else userName"),
        type: Text('always User'),
      }),
      meta: Type.Optional(Meta),
    },
    { ...Open, description: 'a SCIM Group (RFC 7643 §4.2)' },
  ),
);

const listOf = <T extends TSchema>(name: string, resource: T) =>
  named(
    name,
    Type.Object(
      {
        schemas: Type.Array(Type.String()),
        totalResults: Type.Integer({ description: 'every match, not only this page' }),
        startIndex: Type.Integer({ description: '1-based index of the first resource here' }),
        itemsPerPage: Type.Integer(),
        Resources: Type.Array(resource),
      },
      Open,
    ),
  );
export const ScimUserList = listOf('ScimUserListResponse', ScimUser);
export const ScimGroupList = listOf('ScimGroupListResponse', ScimGroup);

const BASE = 'https://id.example.com/scim/v2';
export const scimUserExample = {
  schemas: [URN.user, URN.enterprise],
  id: '12',
  externalId: '00u1ab2cd3EF4gh5i6j7',
  userName: 'ada@example.com',
  name: { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada' },
  displayName: 'Ada Lovelace',
  title: 'Analyst',
  active: true,
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
  phoneNumbers: [{ value: '+44 20 7946 0958', type: 'mobile' }],
  // No $ref in examples: the /docs renderer resolves any "$ref" key as a JSON reference and fetches it.
  groups: [{ value: '3', display: 'Research', type: 'direct' }],
  [URN.enterprise]: { employeeNumber: '4711', department: 'Research' },
  meta: {
    resourceType: 'User',
    created: '2026-11-02T09:30:00.000Z',
    lastModified: '2026-11-28T14:02:31.000Z',
    location: `${BASE}/Users/12`,
    version: 'W/"4"',
  },
};
export const scimUserInputExample = {
  schemas: [URN.user, URN.enterprise],
  externalId: '00u1ab2cd3EF4gh5i6j7',
  userName: 'ada@example.com',
  name: { familyName: 'Lovelace', givenName: 'Ada' },
  displayName: 'Ada Lovelace',
  active: true,
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
  [URN.enterprise]: { employeeNumber: '4711', department: 'Research' },
};
export const scimGroupExample = {
  schemas: [URN.group],
  id: '3',
  externalId: '00g9zy8xw7VU6ts5r4q3',
  displayName: 'Research',
  members: [{ value: '12', display: 'Ada Lovelace', type: 'User' }],
  meta: {
    resourceType: 'Group',
    created: '2026-11-02T09:31:00.000Z',
    lastModified: '2026-11-28T14:05:00.000Z',
    location: `${BASE}/Groups/3`,
    version: 'W/"2"',
  },
};
export const scimGroupInputExample = {
  schemas: [URN.group],
  externalId: '00g9zy8xw7VU6ts5r4q3',
  displayName: 'Research',
  members: [{ value: '12' }],
};
export const scimListExample = <T>(resources: T[]) => ({
  schemas: [URN.listResponse],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

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
  sortBy: Type.Optional(Type.String({ maxLength: 256, description: 'an attribute path, e.g. name.familyName' })),
  sortOrder: Type.Optional(Type.String({ maxLength: 16, description: 'ascending (default) or descending' })),
  startIndex: Type.Optional(Type.Integer({ description: '1-based; values below 1 count as 1' })),
  count: Type.Optional(Type.Integer({ description: 'page size; 0 answers totalResults only; at most 1000' })),
  attributes: Type.Optional(
    Type.String({ maxLength: 2048, description: 'only these attributes (comma-separated), besides id and schemas' }),
  ),
  excludedAttributes: Type.Optional(
    Type.String({ maxLength: 2048, description: 'every attribute but these (comma-separated), e.g. members' }),
  ),
});

export const ProjectionQuery = Type.Object({
  attributes: Type.Optional(
    Type.String({ maxLength: 2048, description: 'only these attributes (comma-separated), besides id and schemas' }),
  ),
  excludedAttributes: Type.Optional(
    Type.String({ maxLength: 2048, description: 'every attribute but these (comma-separated), e.g. members' }),
  ),
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
