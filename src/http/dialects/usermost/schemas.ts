import { Type, type TSchema } from '@sinclair/typebox';
import { Nullable } from '../../nullable-out.ts';
import { GENDERS } from '../../../domain/user.ts';
import { EVENT_BATCH_MAX, EVENT_NAME_MAX } from '../../../domain/event.ts';
import { USERMOST_FIELDS } from './mapping.ts';
import { named } from '../../openapi/components.ts';

const Timestamp = Type.String({ description: 'UTC, yyyy-MM-ddTHH:mm:ss+0000', examples: ['2013-01-26T07:31:05+0000'] });
// At most 500 characters: the router's limit for a path segment, so every user stays reachable at /users/{userId}.
const UserId = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '\\S',
  description: 'your id of the user; never changes',
});

/** Every answer, success or error, is wrapped in this container. */
export const Container = <T extends TSchema>(data: T) =>
  Type.Object({
    response: Type.Object({
      data,
      message: Type.String(),
      status: Type.Union([Type.Literal('success'), Type.Literal('error')]),
    }),
  });

export const ErrorContainer = named('UsermostError', Container(Type.Null()));
export const errors = { 400: ErrorContainer, 401: ErrorContainer, 404: ErrorContainer };

export const LicenseParams = Type.Object({ licenseCode: Type.String({ maxLength: 64 }) });
export const UserParams = Type.Object({
  licenseCode: Type.String({ maxLength: 64 }),
  userId: Type.String({ minLength: 1, maxLength: 500 }),
});
export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: '1-based' }),
});

const coreProps = Object.fromEntries(
  USERMOST_FIELDS.map((f) => [f, Type.Optional(Nullable(Type.String({ maxLength: 1024 })))]),
);

/** identify-or-update: userId, known core fields, and any other key as a custom attribute. */
export const UserWrite = named(
  'UsermostUserInput',
  Type.Object(
    {
      userId: UserId,
      ...coreProps,
      gender: Type.Optional(Nullable(Type.Union(GENDERS.map((g) => Type.Literal(g))))),
    },
    {
      additionalProperties: true,
      description: 'any other key is a custom attribute (name ^[A-Za-z][A-Za-z0-9_]{0,63}$; null removes it)',
    },
  ),
);

export const Profile = named(
  'UsermostUser',
  Type.Object(
    { userId: Type.String(), createdAt: Timestamp, updatedAt: Timestamp },
    {
      additionalProperties: true,
      description: 'userId, the core fields that are set, the custom attributes, createdAt, updatedAt',
    },
  ),
);
export const UserList = named(
  'UsermostUserList',
  Type.Object({
    users: Type.Array(Profile),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer(),
  }),
);

const Params = Type.Object({}, { additionalProperties: true, description: 'any JSON object, at most 64 KiB' });

export const EventWrite = named(
  'UsermostEventInput',
  Type.Object(
    {
      userId: UserId,
      eventName: Type.String({ minLength: 1, maxLength: EVENT_NAME_MAX }),
      eventTime: Type.Optional(
        Type.String({ maxLength: 64, description: 'e.g. 2013-01-26T07:31:05+0000; default: now' }),
      ),
      params: Type.Optional(Params),
    },
    { additionalProperties: false },
  ),
);
export const EventBatch = named(
  'UsermostEventBatch',
  Type.Object(
    { events: Type.Array(EventWrite, { minItems: 1, maxItems: EVENT_BATCH_MAX }) },
    { additionalProperties: false },
  ),
);

export const Event = named(
  'UsermostEvent',
  Type.Object({
    id: Type.Integer(),
    userId: Type.String(),
    eventName: Type.String(),
    eventTime: Timestamp,
    params: Params,
    createdAt: Timestamp,
  }),
);
export const EventList = named(
  'UsermostEventList',
  Type.Object({
    userId: Type.String(),
    events: Type.Array(Event),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer(),
  }),
);
