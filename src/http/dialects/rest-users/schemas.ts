import { Type, type TSchema } from '@sinclair/typebox';
import { Nullable } from '../../nullable-out.ts';
import { named } from '../../openapi/components.ts';

/** Wire schemas of the /rest/users dialect: every answer is a {status, message, content} envelope. */

export const ErrorEnvelope = named(
  'RestUsersError',
  Type.Object(
    { status: Type.Literal(0), message: Type.String({ description: 'Why the request failed' }) },
    { description: 'Failure: status 0 and a message' },
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
