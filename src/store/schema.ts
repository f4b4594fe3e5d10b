import type { Generated } from 'kysely';
import type { USER_FIELDS, UserFieldName } from '../domain/user-fields.ts';

/** Row types as Kysely sees them (camelCase; CamelCasePlugin maps to snake_case columns). */
export interface TenantsTable {
  id: Generated<number>;
  name: string;
  licenseCode: string;
  settings: string;
  createdAt: number;
  updatedAt: number;
}

export interface ManagersTable {
  id: Generated<number>;
  tenantId: number;
  name: string;
  email: string;
  role: string;
  keyDigest: string;
  passwordHash: Generated<string | null>;
  createdAt: number;
  updatedAt: number;
}

export interface ConsoleSessionsTable {
  idDigest: string;
  managerId: number | null;
  keyDigest: string;
  role: string | null;
  createdAt: number;
  lastSeenAt: number;
}

export interface ConsoleLoginFailuresTable {
  subject: string;
  at: number;
}

export interface LoginDaysTable {
  tenantId: number;
  day: string;
  logins: number;
}

/** How each kind of declared user field is stored (see domain/user-fields.ts). */
interface KindColumn {
  text: string | null;
  gender: string | null;
  /** 0 or 1. */
  flag: number;
  label: string;
  /** JSON text on SQLite, jsonb on PostgreSQL (read back as an object). */
  attributes: string | Record<string, unknown>;
  /** The same, nullable: NULL when the user has no directory data. */
  directory: string | Record<string, unknown> | null;
}

/** A column for every declared user field, typed by its kind. */
export type UserFieldColumns = { [F in UserFieldName]: KindColumn[(typeof USER_FIELDS)[F]['kind']] };

export interface UsersTable extends UserFieldColumns {
  id: Generated<number>;
  tenantId: number;
  /** Folded copies the unique indexes are built on. */
  usernameLower: string | null;
  emailLower: string | null;
  passwordHash: string | null;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
  version: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** One change to a tenant, manager, key or user (secrets never stored; see AuditService). */
export interface AuditEventsTable {
  id: Generated<number>;
  tenantId: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  /** JSON text on SQLite, jsonb on PostgreSQL: { field: { before, after } }. */
  changes: string | Record<string, unknown> | null;
}

/** Seed 002 application keys: only the SHA-256 digest of the secret is stored. */
export interface AppKeysTable {
  id: Generated<number>;
  tenantId: number;
  userId: number;
  name: string;
  keyDigest: string;
  usage: number;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/**
 * A password login in progress (failed = 0) or failed (1), per login name (brute-force lockout):
 * `loginKey` is a digest of the tenant and the name, whether or not an account has that name.
 */
export interface LoginAttemptsTable {
  id: Generated<number>;
  loginKey: string;
  at: number;
  failed: number;
}

export interface LoginLocksTable {
  loginKey: string;
  lockedUntil: number;
}

/** A custom event of a user (Usermost); params are JSON text on SQLite, jsonb on PostgreSQL. */
export interface EventsTable {
  id: Generated<number>;
  tenantId: number;
  userId: number;
  eventName: string;
  eventTime: number;
  params: string | Record<string, unknown>;
  createdAt: number;
}

/** The remembered answer of an idempotent write, per tenant and x-request-id (kept at least 24 h). */
export interface IdempotencyKeysTable {
  tenantId: number;
  requestId: string;
  fingerprint: string;
  status: number;
  body: string;
  createdAt: number;
}

/** Tenant-scoped groups (SCIM Groups); display_name_lower backs the per-tenant uniqueness. */
export interface GroupsTable {
  id: Generated<number>;
  tenantId: number;
  displayName: string;
  displayNameLower: string;
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface GroupMembersTable {
  groupId: number;
  userId: number;
}

/** An import job: its state, counts and first row errors, readable from any process. */
export interface ImportsTable {
  id: Generated<number>;
  tenantId: number;
  state: string;
  format: string;
  mode: string;
  dryRun: number;
  atomic: number;
  actor: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** JSON text on SQLite, jsonb on PostgreSQL: the first row errors [{ line, message }]. */
  errors: string | unknown[] | null;
  message: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface WebhookSubscriptionsTable {
  id: Generated<number>;
  tenantId: number;
  url: string;
  /** JSON text on SQLite, jsonb on PostgreSQL: the event names. */
  events: string | string[];
  description: string;
  active: number | boolean;
  disabledReason: string | null;
  failingSince: number | null;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  subscriptionId: number;
  eventId: number;
  state: string;
  attempts: number;
  nextAttemptAt: number;
  leaseUntil: number | null;
  createdAt: number;
  deliveredAt: number | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  deliveryId: number;
  at: number;
  status: number | null;
  latencyMs: number;
  error: string | null;
  response: string | null;
}

export interface Database {
  webhookSubscriptions: WebhookSubscriptionsTable;
  webhookDeliveries: WebhookDeliveriesTable;
  webhookAttempts: WebhookAttemptsTable;
  imports: ImportsTable;
  tenants: TenantsTable;
  managers: ManagersTable;
  users: UsersTable;
  meta: MetaTable;
  auditEvents: AuditEventsTable;
  appKeys: AppKeysTable;
  loginAttempts: LoginAttemptsTable;
  loginLocks: LoginLocksTable;
  events: EventsTable;
  idempotencyKeys: IdempotencyKeysTable;
  groups: GroupsTable;
  groupMembers: GroupMembersTable;
  consoleSessions: ConsoleSessionsTable;
  consoleLoginFailures: ConsoleLoginFailuresTable;
  loginDays: LoginDaysTable;
}
