import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Nullable } from '../../nullable-out.ts';
import { named } from '../../openapi/components.ts';

/** Wire schemas of the /rest/users dialect: every answer is a {status, message, content} envelope. */

export const ErrorEnvelope = named(
  'RestUsersError',
  Type.Object(
    { status: Type.Literal(0), message: Type.String({ description: 'Why the request failed' }) },
    {
      description: 'Failure: status 0 and a message',
      example: { status: 0, message: 'sign in with HTTP Basic (username and password) or an API key' },
    },
  ),
);

export const ok = <T extends TSchema>(content: T) =>
  Type.Object({ status: Type.Literal(1), message: Type.String(), content });

const Stamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

export const Account = named(
  'RestUsersAccount',
  Type.Object({
    allusage: Type.Number({ description: 'Total usage of all application keys of the account' }),
    created: Stamp,
    email: Nullable(Type.String()),
    lastlogin: Nullable(Stamp),
    role: Type.String({ description: '"free" for a trial account' }),
    status: Type.Union([Type.Literal('verified'), Type.Literal('unverified')]),
    type: Type.String({ description: 'Payment type, "invoice" by default' }),
    update: Stamp,
    username: Nullable(Type.String()),
  }),
);

export const accountExample = {
  allusage: 1530,
  created: '2026-11-02T09:30:00.000Z',
  email: 'ada@example.com',
  lastlogin: '2026-12-01T07:45:10.000Z',
  role: 'free',
  status: 'verified' as const,
  type: 'invoice',
  update: '2026-11-28T14:02:31.000Z',
  username: 'ada',
} satisfies Static<typeof Account>;

/** Which tenant a request acts on; every route reads it. */
export const TenantHeader = Type.Object({
  'x-roster-tenant': Type.Optional(
    Type.String({ description: "the tenant's license code; the tenant named default when absent" }),
  ),
});

export const SignUp = named(
  'RestUsersSignUp',
  Type.Object(
    { username: Type.String(), email: Type.String(), password: Type.String() },
    { additionalProperties: false },
  ),
);

export const AccountUpdate = named(
  'RestUsersAccountUpdate',
  Type.Object(
    { username: Type.Optional(Type.String()), email: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
);

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1 }) });
export const KeyParams = Type.Object({ username: Type.String({ minLength: 1 }), id: Type.Integer({ minimum: 1 }) });

export const KeyCreate = named(
  'RestUsersKeyInput',
  Type.Object({ name: Type.String() }, { additionalProperties: false }),
);

export const AppKey = named(
  'RestUsersAppKey',
  Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    created: Stamp,
    lastUsed: Nullable(Stamp),
    usage: Type.Number(),
  }),
);

export const NewAppKey = named(
  'RestUsersNewAppKey',
  Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    key: Type.String({ description: 'The secret: shown in this answer only, never again' }),
    created: Stamp,
    usage: Type.Number(),
  }),
);

export const appKeyExample = {
  id: 4,
  name: 'billing-service',
  created: '2026-11-03T10:00:00.000Z',
  lastUsed: '2026-12-01T07:50:00.000Z',
  usage: 1530,
} satisfies Static<typeof AppKey>;

export const RevokedKey = named(
  'RestUsersRevokedKey',
  Type.Object({ id: Type.Integer(), revoked: Type.Literal(true) }),
);

// Form bodies carry text, so a numeric cost may arrive as a string of digits.
export const KeyVerify = named(
  'RestUsersKeyVerify',
  Type.Object(
    {
      key: Type.String(),
      cost: Type.Optional(
        Type.Union([Type.Number(), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })], {
          description: 'Usage to add (default 1)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
);

export const KeyUse = named(
  'RestUsersKeyUse',
  Type.Object({
    valid: Type.Literal(true),
    username: Nullable(Type.String()),
    keyId: Type.Integer(),
    usage: Type.Number({ description: "The key's usage after this call" }),
  }),
);

/** The failures any route here may answer. */
export const failures = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  409: ErrorEnvelope,
  415: ErrorEnvelope,
  429: ErrorEnvelope,
};
