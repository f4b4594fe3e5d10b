import { invalid } from './errors.ts';
import { checkText } from './text.ts';

import {
  GENDERS,
  PROFILE_FIELDS,
  USER_FIELD_NAMES,
  type Attributes,
  type UserFields,
  type UserFieldsInput,
} from './user-fields.ts';

export {
  GENDERS,
  PROFILE_FIELDS,
  USER_DEFAULTS,
  type Attributes,
  type Gender,
  type ProfileField,
} from './user-fields.ts';

/** The core user as services hand it out: the declared fields and what the store keeps about them. Never carries the password hash. */
export interface User extends UserFields {
  id: number;
  tenantId: number;
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
  /** Incremented on every change: the ETag / SCIM meta.version. */
  version: number;
}

/** Writable core fields. `undefined` = not sent; `null` = clear. */
export type UserInput = UserFieldsInput & { password?: string | null };

/** Every core field a list may filter or sort on (custom attributes go as `attr.<name>`). */
export const SORTABLE_FIELDS = [
  'id',
  ...USER_FIELD_NAMES.filter(
    (f): f is Exclude<typeof f, 'attributes' | 'directory'> => f !== 'attributes' && f !== 'directory',
  ),
  'createdAt',
  'updatedAt',
  'lastLoginAt',
] as const;
export type SortableField = (typeof SORTABLE_FIELDS)[number];
export const isSortableField = (f: string): f is SortableField => (SORTABLE_FIELDS as readonly string[]).includes(f);

export const ATTRIBUTE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const ATTRIBUTES_MAX_BYTES = 64 * 1024;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
// Pragmatic syntax check: one @, no spaces, a dot in the domain, no address literal ([127.0.0.1]).
// RFC 5322 in full accepts things no mail system delivers.
const EMAIL = /^[^\s@]+@[^\s@.[\]]+(\.[^\s@.[\]]+)+$/;
const EMAIL_LOCAL_MAX = 64;
const EMAIL_MAX = 254;
/** Control, invisible format (zero-width, bidi) and line/paragraph separators: never in a sign-in name. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
export const USERNAME_MAX = 256;

/**
 * The one form a username or email is stored and looked up in: Unicode NFC (so "müller" typed
 * either way is one user), without surrounding white space.
 */
export const normalizeIdentity = (s: string): string => s.normalize('NFC').trim();

/** The input with username and email in their normal form (see normalizeIdentity); other fields as sent. */
export function normalizeUserInput<T extends { username?: string | null; email?: string | null }>(input: T): T {
  const out = { ...input };
  if (typeof out.username === 'string') out.username = normalizeIdentity(out.username);
  if (typeof out.email === 'string') out.email = normalizeIdentity(out.email);
  return out;
}

/** The username rule of every dialect (after normalizeIdentity): non-empty, no ':' (HTTP Basic), nothing invisible. */
export function validateUsername(username: string): void {
  if (username === '') throw invalid('user.invalid_username', 'username must not be empty', 'username');
  if (username.length > USERNAME_MAX)
    throw invalid('user.invalid_username', `username must be at most ${USERNAME_MAX} characters`, 'username');
  if (username.includes(':') || INVISIBLE.test(username))
    throw invalid(
      'user.invalid_username',
      'username must not contain ":", control characters or invisible formatting characters',
      'username',
    );
}

/** Whether an address passes the email rule (a dialect holding several addresses picks a valid one). */
export function isEmailAddress(email: string): boolean {
  const at = email.lastIndexOf('@');
  return EMAIL.test(email) && !INVISIBLE.test(email) && email.length <= EMAIL_MAX && at <= EMAIL_LOCAL_MAX;
}

/** The email rule of every dialect (after normalizeIdentity). */
export function validateEmail(email: string): void {
  if (!isEmailAddress(email))
    throw invalid('user.invalid_email', `email "${email}" is not a valid email address`, 'email');
}
const FIELD_MAX = 1024;

export function validateAttributes(attrs: Attributes): void {
  for (const key of Object.keys(attrs)) {
    if (!ATTRIBUTE_KEY.test(key)) {
      throw invalid(
        'user.invalid_attribute',
        `custom attribute name "${key}" must match ${ATTRIBUTE_KEY.source}`,
        `attributes.${key}`,
      );
    }
  }
  checkText(attrs, 'attributes', 'user.invalid_attribute');
  const json = JSON.stringify(attrs);
  if (Buffer.byteLength(json) > ATTRIBUTES_MAX_BYTES) {
    throw invalid('user.attributes_too_large', 'custom attributes must be at most 64 KiB as JSON', 'attributes');
  }
}

/** Checks the rules of the core on a write; throws an `invalid` DomainError naming the field. */
export function validateUserInput(input: UserInput, opts: { passwordMinLength?: number } = {}): void {
  for (const f of PROFILE_FIELDS) {
    const v = input[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw invalid('user.invalid_field', `${f} must be a string`, f);
    if (v.length > FIELD_MAX) throw invalid('user.invalid_field', `${f} must be at most ${FIELD_MAX} characters`, f);
    checkText(v, f, 'user.invalid_field');
  }
  if (input.username !== undefined && input.username !== null) validateUsername(input.username);
  if (input.email !== undefined && input.email !== null) validateEmail(input.email);
  for (const f of ['plan', 'billingType'] as const) {
    const v = input[f];
    if (typeof v === 'string') checkText(v, f, 'user.invalid_field');
  }
  if (input.gender !== undefined && input.gender !== null && !(GENDERS as readonly string[]).includes(input.gender)) {
    throw invalid('user.invalid_gender', `gender must be one of ${GENDERS.join(', ')}`, 'gender');
  }
  if (input.password !== undefined && input.password !== null) {
    const min = opts.passwordMinLength ?? PASSWORD_MIN_LENGTH;
    if (typeof input.password !== 'string' || input.password.length < min) {
      throw invalid('user.password_too_short', `password must be at least ${min} characters`, 'password');
    }
    if (input.password.length > PASSWORD_MAX_LENGTH) {
      throw invalid('user.password_too_long', `password must be at most ${PASSWORD_MAX_LENGTH} characters`, 'password');
    }
  }
  if (input.attributes) validateAttributes(input.attributes);
}
