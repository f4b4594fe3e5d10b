import type { Selectable } from 'kysely';
import type { UsersTable } from './schema.ts';
import type { User } from '../domain/user.ts';
import {
  USER_FIELD_NAMES,
  compileLiteral,
  kindOf,
  read,
  type Directory,
  type UserFields,
  type UserValues,
} from '../domain/user-fields.ts';

/** Some fields' stored values (what an update writes). */
export type UserChanges = Partial<UserValues>;

/** The columns read for a user (everything but the password hash). */
export const USER_COLUMNS = [
  'id',
  'tenantId',
  ...USER_FIELD_NAMES,
  'createdAt',
  'updatedAt',
  'lastLoginAt',
  'version',
] as const satisfies readonly (keyof UsersTable)[];

export type UserRow = Omit<Selectable<UsersTable>, 'usernameLower' | 'emailLower' | 'passwordHash'> & {
  hasPassword: number | boolean;
};

/** A stored value → the domain's, by the field's kind (`r` is the row). */
function fromColumn(f: string, kind: string): string {
  const v = read('r', f);
  if (kind === 'flag') return `Boolean(${v})`;
  if (kind === 'attributes') return `typeof ${v} === 'string' ? JSON.parse(${v}) : ${v}`;
  if (kind === 'directory') return `${v} == null ? {} : typeof ${v} === 'string' ? JSON.parse(${v}) : ${v}`;
  return v;
}

/** A row → the domain user (one generated object literal: this runs for every user read). */
export const toUser = compileLiteral<(r: UserRow) => User>(
  ['r'],
  [
    ['id', 'r.id'],
    ['tenantId', 'r.tenantId'],
    ...USER_FIELD_NAMES.map((f): [string, string] => [f, fromColumn(f, kindOf(f))]),
    ['hasPassword', 'Boolean(r.hasPassword)'],
    ['createdAt', 'new Date(r.createdAt)'],
    ['updatedAt', 'new Date(r.updatedAt)'],
    ['lastLoginAt', 'r.lastLoginAt === null ? null : new Date(r.lastLoginAt)'],
    ['version', 'r.version'],
  ],
);

/** A domain value → the stored one, by the field's kind (`v` holds the values). */
function toColumn(f: string, kind: string): string {
  const v = read('v', f);
  if (kind === 'flag') return `${v} ? 1 : 0`;
  if (kind === 'attributes') return `JSON.stringify(${v} ?? {})`;
  if (kind === 'directory') return `directoryColumn(${v})`;
  return kind === 'label' ? v : `${v} ?? null`;
}

/** An empty directory is stored as NULL: most users have none, and their rows stay as they were. */
export const directoryColumn = (d: Directory | null | undefined): string | null =>
  d == null || Object.keys(d).length === 0 ? null : JSON.stringify(d);

/** The folded copy the unique index of a field is built on. */
const FOLDED: Partial<Record<keyof UserFields, keyof UsersTable>> = { username: 'usernameLower', email: 'emailLower' };

/**
 * Every column of a new user's row, in one generated object literal with a fixed shape (imports
 * build a million of these). Timestamps are epoch milliseconds.
 */
export const newUserColumns = compileLiteral<
  (
    tenantId: number,
    v: UserValues,
    createdAt: number,
    updatedAt: number,
    lastLoginAt: number | null,
  ) => Omit<Record<keyof UsersTable, unknown>, 'id'>
>(
  ['tenantId', 'v', 'createdAt', 'updatedAt', 'lastLoginAt'],
  [
    ['tenantId', 'tenantId'],
    ...USER_FIELD_NAMES.flatMap((f): [string, string][] => {
      const col: [string, string] = [f, toColumn(f, kindOf(f))];
      const folded = FOLDED[f];
      const v = read('v', f);
      return folded ? [col, [folded, `${v} == null ? null : ${v}.toLowerCase()`]] : [col];
    }),
    ['passwordHash', 'v.passwordHash ?? null'],
    ['createdAt', 'createdAt'],
    ['updatedAt', 'updatedAt'],
    ['lastLoginAt', 'lastLoginAt'],
    ['version', '1'],
  ],
  { directoryColumn },
);

/** Changed values → columns, with the folded copies of username and email. */
export function toColumns(v: UserChanges): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const x = v[k as keyof UserChanges];
    if (x === undefined) continue;
    const kind = k === 'passwordHash' ? 'text' : kindOf(k as keyof UserFields);
    out[k] =
      kind === 'flag'
        ? x
          ? 1
          : 0
        : kind === 'attributes'
          ? JSON.stringify(x ?? {})
          : kind === 'directory'
            ? directoryColumn(x as Directory)
            : x;
    const folded = FOLDED[k as keyof UserFields];
    if (folded) out[folded] = x == null ? null : (x as string).toLowerCase();
  }
  return out;
}
