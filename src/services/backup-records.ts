import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { GENDERS, USER_FIELDS, type FieldKind } from '../domain/user-fields.ts';
import { ROLES } from '../domain/privileges.ts';
import { LICENSE_CODE } from '../domain/tenant.ts';

/**
 * The backup file: gzipped NDJSON, one record a line, each with its `type`. A header first, then
 * the sections in this order, then an end record with the count of each; a restore refuses a file
 * whose sections are out of order or whose counts differ (truncated or spliced).
 */
export const BACKUP_FORMAT = 1;
export const HEADER_TYPE = 'roster-backup';
export const SECTIONS = ['tenant', 'manager', 'group', 'user', 'member', 'appKey', 'audit', 'webhook'] as const;
export type Section = (typeof SECTIONS)[number];
export type BackupCounts = Record<Exclude<Section, 'tenant'>, number>;
export const emptyCounts = (): BackupCounts => ({
  manager: 0,
  group: 0,
  user: 0,
  member: 0,
  appKey: 0,
  audit: 0,
  webhook: 0,
});

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Time = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Text = (max = 1024) => Type.String({ maxLength: max });
const Digest = Type.String({ pattern: '^[0-9a-f]{64}$' });
const record = <P extends Record<string, TSchema>>(type: string, props: P) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false });

const KIND_SCHEMA: Record<FieldKind, () => TSchema> = {
  text: () => Nullable(Text()),
  gender: () => Nullable(Type.Union(GENDERS.map((g) => Type.Literal(g)))),
  flag: () => Type.Boolean(),
  label: () => Text(),
  attributes: () => Type.Record(Type.String(), Type.Unknown()),
  directory: () => Type.Record(Type.String(), Type.Unknown()),
};

const CountsSchema = Type.Object(
  Object.fromEntries(Object.keys(emptyCounts()).map((k) => [k, Type.Integer({ minimum: 0 })])),
  { additionalProperties: false },
);

export const HeaderSchema = record(HEADER_TYPE, {
  format: Type.Integer({ minimum: 1 }),
  rosterVersion: Type.String(),
  database: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
  createdAt: Time,
  tenant: Type.Object({ id: Id, licenseCode: Type.String() }),
  withAudit: Type.Boolean(),
});

/** Every record but the header, by type. */
const RECORDS = {
  tenant: record('tenant', {
    id: Id,
    name: Text(200),
    licenseCode: Type.String({ pattern: LICENSE_CODE.source }),
    settings: Type.Object({
      publicSignup: Type.Boolean(),
      passwordMinLength: Type.Integer({ minimum: 1, maximum: 128 }),
    }),
    createdAt: Time,
    updatedAt: Time,
  }),
  manager: record('manager', {
    id: Id,
    name: Text(),
    email: Text(),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    keyDigest: Digest,
    passwordHash: Nullable(Text()),
    createdAt: Time,
    updatedAt: Time,
  }),
  group: record('group', {
    id: Id,
    displayName: Text(),
    externalId: Nullable(Text()),
    createdAt: Time,
    updatedAt: Time,
    version: Type.Integer({ minimum: 1 }),
  }),
  user: record('user', {
    id: Id,
    ...Object.fromEntries(Object.entries(USER_FIELDS).map(([f, spec]) => [f, KIND_SCHEMA[spec.kind]()])),
    passwordHash: Nullable(Text(4096)),
    createdAt: Time,
    updatedAt: Time,
    lastLoginAt: Nullable(Time),
    version: Type.Integer({ minimum: 1 }),
  }),
  member: record('member', { groupId: Id, userId: Id }),
  appKey: record('appKey', {
    id: Id,
    userId: Id,
    name: Text(),
    keyDigest: Digest,
    usage: Type.Number({ minimum: 0 }),
    createdAt: Time,
    lastUsedAt: Nullable(Time),
    revokedAt: Nullable(Time),
  }),
  audit: record('audit', {
    id: Id,
    at: Time,
    actor: Text(),
    action: Text(),
    target: Text(),
    changes: Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() })),
  }),
  webhook: record('webhook', {
    id: Id,
    url: Text(2048),
    events: Type.Array(Text(200)),
    description: Text(),
    active: Type.Boolean(),
    disabledReason: Nullable(Text()),
    failingSince: Nullable(Time),
    secret: Nullable(Type.String({ pattern: '^enc:v1:' })),
    createdAt: Time,
    updatedAt: Time,
  }),
  end: record('end', { counts: CountsSchema }),
} satisfies Record<Section | 'end', TSchema>;

export type RecordType = keyof typeof RECORDS;
export const isRecordType = (t: unknown): t is RecordType => typeof t === 'string' && Object.hasOwn(RECORDS, t);

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = Object.fromEntries(Object.entries(RECORDS).map(([k, s]) => [k, ajv.compile(s)])) as Record<
  RecordType,
  ValidateFunction
>;
const headerValidator = ajv.compile(HeaderSchema);

/** Why a record does not fit its type's schema, or null when it does. */
export function recordProblem(type: RecordType | typeof HEADER_TYPE, value: unknown): string | null {
  const v = type === HEADER_TYPE ? headerValidator : validators[type];
  if (v(value)) return null;
  const e = v.errors?.[0];
  if (!e) return 'does not fit its schema';
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : type;
  if (e.keyword === 'additionalProperties')
    return `${where}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${where} ${e.message ?? 'is invalid'}`;
}
