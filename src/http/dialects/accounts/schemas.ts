import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { GENDERS } from '../../../domain/user.ts';
import { EnumOut, Nullable, NullableOut } from '../../nullable-out.ts';
import { ACCOUNT_FIELDS, type AccountField } from '../../../services/accounts-service.ts';
import { named } from '../../openapi/components.ts';

const Gender = Type.Union(GENDERS.map((g) => Type.Literal(g)));
const CUSTOM = 'any other key is a custom attribute (name ^[A-Za-z][A-Za-z0-9_]{0,63}$, any JSON value)';

export const AccountError = named(
  'AccountsError',
  Type.Object(
    { error: Type.Object({ status: Type.Integer(), message: Type.String() }) },
    { $id: 'AccountsError', example: { error: { status: 404, message: 'account 12 not found' } } },
  ),
);

export const AccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

type FieldMap<T extends TSchema> = Record<AccountField, T>;
const fieldsOf = <T extends TSchema>(make: () => T) =>
  Object.fromEntries(ACCOUNT_FIELDS.map((f) => [f, make()])) as FieldMap<T>;

/** Body of POST, PUT and PATCH. `id` and `links` are read-only and ignored, so a read account can be sent back. */
export const AccountWrite = named(
  'AccountsAccountInput',
  Type.Object(
    {
      ...fieldsOf(() => Type.Optional(Nullable(Type.String({ maxLength: 1024 })))),
      gender: Type.Optional(Nullable(Gender)),
      password: Type.Optional(Type.String({ maxLength: 1024, description: 'write-only' })),
      id: Type.Optional(Type.Unknown({ description: 'read-only; ignored' })),
      links: Type.Optional(Type.Unknown({ description: 'read-only; ignored' })),
    },
    { additionalProperties: true, description: CUSTOM },
  ),
);
export type AccountWrite = Static<typeof AccountWrite>;

const accountProps = {
  id: Type.Integer(),
  ...fieldsOf(() => NullableOut(Type.String())),
  gender: EnumOut(GENDERS),
};
export const Account = named(
  'AccountsAccount',
  Type.Object(accountProps, {
    additionalProperties: true,
    description: 'plus every custom attribute',
  }),
);
/** An account as the API reads it: every default attribute, then the custom ones (plan, seats). */
export const accountExample = {
  id: 12,
  email: 'ada@example.com',
  username: 'ada',
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
  gender: 'female',
  plan: 'gold',
  seats: 12,
} satisfies Static<typeof Account> & Record<string, unknown>;
export const accountInputExample = {
  email: 'ada@example.com',
  username: 'ada',
  firstName: 'Ada',
  lastName: 'Lovelace',
  company: 'Analytical Engines Ltd',
  gender: 'female',
  password: 'correct horse battery staple',
  plan: 'gold',
  seats: 12,
};
export const AccountWithLinks = named(
  'AccountsAccountWithLinks',
  Type.Object(
    { ...accountProps, links: Type.Array(Type.Object({ rel: Type.String(), url: Type.String() })) },
    { additionalProperties: true, description: 'plus every custom attribute' },
  ),
);

export const AccountListQuery = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, default: 1, description: '1-based page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20, description: 'accounts per page' })),
    sort: Type.Optional(
      Type.String({
        maxLength: 512,
        description: 'comma-separated attribute names, "-" for descending: -lastName,firstName',
      }),
    ),
    attributes: Type.Optional(
      Type.String({ maxLength: 8192, description: 'filter as a JSON object: {"lastName":"Smith"}' }),
    ),
  },
  {
    additionalProperties: true,
    description:
      'attributes[<name>]=<value> filters by one attribute, default or custom (exact, case-insensitive for email and username; all must match)',
    'x-filters-example': { 'attributes[lastName]': 'Lovelace', 'attributes[plan]': 'gold' },
  },
);
export type AccountListQuery = Static<typeof AccountListQuery>;

export const AccountList = named(
  'AccountsAccountList',
  Type.Object({
    data: Type.Array(Account),
    pagination: Type.Object({
      currentPage: Type.Integer(),
      perPage: Type.Integer(),
      count: Type.Integer(),
      totalPages: Type.Integer(),
      total: Type.Integer(),
      links: Type.Object({ next: Type.Optional(Type.String()), previous: Type.Optional(Type.String()) }),
    }),
    totalItems: Type.Integer(),
  }),
);
