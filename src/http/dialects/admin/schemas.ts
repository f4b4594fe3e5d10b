import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  DIRECTORY,
  GENDERS,
  USER_FIELD_NAMES,
  kindOf,
  type FieldKind,
  type USER_FIELDS,
  type UserFieldName,
} from '../../../domain/user-fields.ts';
import { ROLES } from '../../../domain/privileges.ts';
import { Nullable, NullableEnumOut, NullableOut } from '../../nullable-out.ts';
import { named } from '../../openapi/components.ts';

const DateTime = Type.String({ format: 'date-time' });
const Attributes = Type.Object(
  {},
  { additionalProperties: true, description: 'custom attributes (keys ^[A-Za-z][A-Za-z0-9_]{0,63}$, at most 64 KiB)' },
);

/** The directory's schema, from its declaration: each collection's entries, the texts, extension values. */
const DirectoryEntry = (subs: Record<string, 'text' | 'flag'>) =>
  Type.Object(
    Object.fromEntries(
      Object.entries(subs).map(([k, kind]) => [
        k,
        Type.Optional(kind === 'flag' ? Type.Boolean() : Type.String({ maxLength: 1024 })),
      ]),
    ),
    { additionalProperties: false },
  );
const Directory = named(
  'UserDirectory',
  Type.Object(
    {
      ...Object.fromEntries(
        Object.entries(DIRECTORY.collections).map(([c, subs]) => [
          c,
          Type.Optional(Type.Array(DirectoryEntry(subs), { maxItems: 100 })),
        ]),
      ),
      ...Object.fromEntries(DIRECTORY.texts.map((t) => [t, Type.Optional(Type.String({ maxLength: 1024 }))])),
      extensions: Type.Optional(
        Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }), {
          description: "values of the tenant's SCIM extension schemas, by schema URN",
        }),
      ),
    },
    {
      additionalProperties: false,
      description:
        'directory data (SCIM collections and name parts); email and the phone fields are kept in step with emails and phoneNumbers',
    },
  ),
);

export const ErrorBody = named(
  'AdminError',
  Type.Object(
    {
      error: Type.Object({
        code: Type.String(),
        message: Type.String(),
        field: Type.Optional(Type.String({ description: 'the input field at fault, when one is' })),
      }),
    },
    { $id: 'AdminError', example: { error: { code: 'user.email_taken', message: 'email is taken', field: 'email' } } },
  ),
);
export const errorExample = { error: { code: 'user.not_found', message: 'user 12 not found' } };

// Ids stop at 2^53-1: a larger one is not an id PostgreSQL's bigint can hold (it would fail the query, not find nothing).
export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const TenantUserParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  userId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});
export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'items per page' }),
    after: Type.Optional(
      Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'same as cursor (older clients)' }),
    ),
    /** The nextCursor of the previous page (as user and audit lists take it); `after` is the same, kept for old clients. */
    cursor: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: "the previous page's nextCursor" }),
    ),
  },
  { additionalProperties: false },
);
/** Where a page of a PageQuery list starts: after the id its cursor (or `after`) names. */
export const afterIdOf = (q: { after?: number; cursor?: string }): number =>
  q.after ?? (q.cursor !== undefined ? Number(q.cursor) : 0);

// ---- tenants
export const TenantSettings = named(
  'TenantSettings',
  Type.Object(
    { publicSignup: Type.Boolean(), passwordMinLength: Type.Integer({ minimum: 1, maximum: 128 }) },
    { additionalProperties: false },
  ),
);
export const Tenant = named(
  'Tenant',
  Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    licenseCode: Type.String(),
    settings: TenantSettings,
    createdAt: DateTime,
    updatedAt: DateTime,
  }),
);
const AT = '2026-11-02T09:30:00.000Z';
export const tenantExample = {
  id: 2,
  name: 'Acme',
  licenseCode: 'acme',
  settings: { publicSignup: false, passwordMinLength: 10 },
  createdAt: AT,
  updatedAt: '2026-11-20T16:05:12.000Z',
};
export const TenantCreate = named(
  'TenantInput',
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200 }),
      licenseCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
      settings: Type.Optional(
        named('TenantSettingsInput', Type.Partial(TenantSettings, { additionalProperties: false })),
      ),
    },
    { additionalProperties: false },
  ),
);
export const TenantPatch = named('TenantPatch', Type.Partial(TenantCreate, { additionalProperties: false }));
export const TenantList = named(
  'TenantList',
  Type.Object({ items: Type.Array(Tenant), nextCursor: Nullable(Type.String()) }),
);

// ---- managers
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const Manager = named(
  'Manager',
  Type.Object({
    id: Type.Integer(),
    tenantId: Type.Integer(),
    name: Type.String(),
    email: Type.String(),
    role: Role,
    hasPassword: Type.Boolean({ description: 'a console password is set' }),
    createdAt: DateTime,
    updatedAt: DateTime,
  }),
);
export const ManagerWithKey = named(
  'ManagerWithKey',
  Type.Intersect([Manager, Type.Object({ apiKey: Type.String({ description: 'shown in this response only' }) })]),
);
export const managerExample = {
  id: 5,
  tenantId: 2,
  name: 'Ann Smith',
  email: 'ann@acme.test',
  role: 'owner' as const,
  hasPassword: true,
  createdAt: AT,
  updatedAt: '2026-11-21T08:12:40.000Z',
};
export const managerWithKeyExample = {
  ...managerExample,
  hasPassword: false,
  apiKey: 'rk_9fJ2kQmW3xVb7LpT0sYc4nHe8uRa1ZdG6iKoXjMqNwE',
};
export const ManagerCreate = named(
  'ManagerInput',
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200 }),
      email: Type.String({ minLength: 3, maxLength: 320 }),
      role: Role,
    },
    { additionalProperties: false },
  ),
);
export const ManagerPatch = named('ManagerPatch', Type.Partial(ManagerCreate, { additionalProperties: false }));
export const ManagerList = named(
  'ManagerList',
  Type.Object({ items: Type.Array(Manager), nextCursor: Nullable(Type.String()) }),
);

// ---- users: one property per declared field, by its kind (domain/user-fields.ts)
const Gender = Type.Union(GENDERS.map((g) => Type.Literal(g)));
const writeOfKind = {
  text: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  gender: Type.Optional(Nullable(Gender)),
  flag: Type.Optional(Type.Boolean()),
  label: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  attributes: Type.Optional(Nullable(Attributes)),
  directory: Type.Optional(Nullable(Directory)),
} satisfies Record<FieldKind, TSchema>;
const readOfKind = {
  text: NullableOut(Type.String()),
  gender: NullableEnumOut(GENDERS),
  flag: Type.Boolean(),
  label: Type.String(),
  attributes: Attributes,
  directory: Directory,
} satisfies Record<FieldKind, TSchema>;
type KindOf<F extends UserFieldName> = (typeof USER_FIELDS)[F]['kind'];
const byKind = <S extends Record<FieldKind, TSchema>>(schemas: S) =>
  Object.fromEntries(USER_FIELD_NAMES.map((f) => [f, schemas[kindOf(f)]])) as { [F in UserFieldName]: S[KindOf<F>] };

export const UserWrite = named(
  'UserInput',
  Type.Object(
    {
      ...byKind(writeOfKind),
      password: Type.Optional(Nullable(Type.String({ description: 'write-only; at least 8 characters' }))),
    },
    { additionalProperties: false },
  ),
);
export type UserWrite = Static<typeof UserWrite>;

export const User = named(
  'User',
  Type.Object({
    id: Type.Integer(),
    tenantId: Type.Integer(),
    ...byKind(readOfKind),
    hasPassword: Type.Boolean(),
    createdAt: DateTime,
    updatedAt: DateTime,
    lastLoginAt: NullableOut(DateTime),
  }),
);
export const userInputExample = {
  username: 'ada',
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  company: 'Analytical Engines Ltd',
  phoneMobile: '+44 20 7946 0958',
  plan: 'gold',
  attributes: { team: 'research', seats: 12 },
  password: 'correct horse battery staple',
};
export const userExample = {
  id: 12,
  tenantId: 2,
  externalId: 'crm-00481',
  username: 'ada',
  email: 'ada@example.com',
  firstName: 'Ada',
  middleName: null,
  lastName: 'Lovelace',
  displayName: 'Ada Lovelace',
  company: 'Analytical Engines Ltd',
  title: 'Analyst',
  department: 'Research',
  website: 'https://ada.example.com',
  phoneHome: null,
  phoneOffice: '+44 20 7946 0000',
  phoneMobile: '+44 20 7946 0958',
  phoneTollFree: null,
  phoneOther: null,
  pager: null,
  fax: null,
  gender: 'female' as const,
  active: true,
  verified: true,
  plan: 'gold',
  billingType: 'invoice',
  attributes: { team: 'research', seats: 12 },
  // The directory's static type keeps only `extensions` (its collections come from a declaration).
  directory: {
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    phoneNumbers: [{ value: '+44 20 7946 0958', type: 'mobile' }],
    addresses: [{ locality: 'London', country: 'GB', type: 'work' }],
  } as Static<typeof Directory>,
  hasPassword: true,
  createdAt: AT,
  updatedAt: '2026-11-28T14:02:31.000Z',
  lastLoginAt: '2026-12-01T07:45:10.000Z',
} satisfies Static<typeof User>;
export const UserList = named(
  'UserList',
  Type.Object({
    items: Type.Array(User),
    nextCursor: Nullable(Type.String()),
    total: Type.Optional(Type.Integer()),
  }),
);
export const UserListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'users per page' }),
    cursor: Type.Optional(Type.String({ maxLength: 2048, description: "the previous page's nextCursor" })),
    sort: Type.Optional(Type.String({ maxLength: 256, description: 'e.g. -lastName,firstName; ties broken by id' })),
    q: Type.Optional(
      Type.String({ maxLength: 256, description: 'case-insensitive substring over username, email and names' }),
    ),
    total: Type.Optional(Type.Literal('exact', { description: 'exact: add the count of every match as total' })),
  },
  {
    additionalProperties: Type.String(),
    description:
      'Any other parameter is an equality filter on a core field or a custom attribute: email=ada@example.com, active=true, attr.plan=gold (all must match)',
    'x-filters-example': { email: 'ada@example.com', 'attr.plan': 'gold' },
  },
);
