import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../nullable-out.ts';
import { MAX_PAGE } from '../../../domain/user-query.ts';
import { named } from '../../openapi/components.ts';

const Id = () => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const UsrError = named(
  'UsrError',
  Type.Object(
    { error: Type.Object({ code: Type.String(), message: Type.String() }) },
    {
      $id: 'UsrError',
      description: 'code is stable; message names the field at fault',
      example: { error: { code: 'usr.missing_fields', message: 'emailAddress is required' } },
    },
  ),
);

export const UsrUser = named(
  'UsrUser',
  Type.Object(
    {
      userId: Type.Integer(),
      contactName: Nullable(Type.String()),
      emailAddress: Nullable(Type.String()),
      defaultAccountId: Type.Integer({ description: 'the account (tenant) id' }),
      username: Nullable(Type.String()),
      active: Type.Union([Type.Literal(0), Type.Literal(1)]),
    },
    { additionalProperties: false },
  ),
);
export type UsrUser = Static<typeof UsrUser>;
export const usrUserExample = {
  userId: 12,
  contactName: 'Ada Lovelace',
  emailAddress: 'ada@example.com',
  defaultAccountId: 2,
  username: 'ada',
  active: 1 as const,
} satisfies UsrUser;

export const UserIdParams = Type.Object({ userId: Id() });
export const AccountIdParams = Type.Object({ accountId: Id() });

export const UsrListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE, description: `at most ${MAX_PAGE}` }),
    ),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type UsrListQuery = Static<typeof UsrListQuery>;

const Text = (description: string) => Type.Optional(Nullable(Type.String({ maxLength: 1024, description })));

/**
 * Body of add and modify. Every field is optional here: add checks its required fields itself, so
 * that one 400 names all of the missing ones. `null` means "not sent" (the API's default for modify).
 */
export const UsrWrite = named(
  'UsrUserInput',
  Type.Object(
    {
      contactName: Text('name of the user'),
      emailAddress: Text('email address'),
      defaultAccountId: Type.Optional(
        Nullable(
          Type.Union([Id(), Type.String({ pattern: '^[0-9]{1,15}$' })], {
            description: "id of the user's default account (an integer; a digit string is accepted)",
          }),
        ),
      ),
      username: Text('username'),
      password: Type.Optional(Nullable(Type.String({ maxLength: 1024, description: 'write-only' }))),
      active: Type.Optional(
        Nullable(
          Type.Union([Type.Integer(), Type.String(), Type.Boolean()], {
            description: 'is the user active: 0 or 1 ("0"/"1" and true/false are accepted too)',
          }),
        ),
      ),
      userId: Type.Optional(Type.Unknown({ description: 'read-only; ignored, so a user read can be sent back' })),
    },
    { additionalProperties: false },
  ),
);
export type UsrWrite = Static<typeof UsrWrite>;
