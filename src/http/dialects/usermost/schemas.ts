import { Type, type TSchema } from '@sinclair/typebox';
import { Nullable } from '../../nullable-out.ts';
import { GENDERS } from '../../../domain/user.ts';
import { EVENT_BATCH_MAX, EVENT_NAME_MAX } from '../../../domain/event.ts';
import { USERMOST_FIELDS } from './mapping.ts';
import { named } from '../../openapi/components.ts';

const Timestamp = Type.String({ description: 'UTC, yyyy-MM-ddTHH:mm:ss+0000', example: '2013-01-26T07:31:05+0000' });
// At most 500 characters: the router's limit for a path segment, so every user stays reachable at /users/{userId}.
const UserId = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '\\S',
  description: 'your id of the user; never changes',
});

const Status = Type.Union([Type.Literal('success'), Type.Literal('error')]);

/** Every answer, success or error, is wrapped in this container; `data` is what the operation answers. */
const ContainerBase = named(
  'UsermostContainer',
  Type.Object({
    response: Type.Object({
      data: Type.Unknown({ description: "the operation's result (null on an error)" }),
      message: Type.String({ description: '"success", or what went wrong' }),
      status: Status,
    }),
  }),
);
/** The container of one operation's answer: the shared shape, and what its data is. */
export const Container = <T extends TSchema>(data: T) =>
  // The response object is open here: its other members are the shared shape's (validators close what they see).
  Type.Intersect([ContainerBase, Type.Object({ response: Type.Object({ data }, { additionalProperties: true }) })]);

export const ErrorContainer = named(
  'UsermostError',
  Type.Object(
    { response: Type.Object({ data: Type.Null(), message: Type.String(), status: Status }) },
    { example: { response: { data: null, message: 'user u-1001 not found', status: 'error' } } },
  ),
);
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
export const profileExample = {
  userId: 'u-1001',
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  company: 'Analytical Engines Ltd',
  plan: 'gold',
  seats: 12,
  createdAt: '2026-11-02T09:30:00+0000',
  updatedAt: '2026-11-28T14:02:31+0000',
};
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
export const eventExample = {
  id: 5001,
  userId: 'u-1001',
  eventName: 'report_exported',
  eventTime: '2026-11-28T14:00:00+0000',
  params: { format: 'pdf', pages: 12 },
  createdAt: '2026-11-28T14:00:01+0000',
};
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
