import { describe, expect, it } from 'vitest';
import {
  PROFILE_FIELDS,
  USER_DEFAULTS,
  USER_FIELD_NAMES,
  newUserValues,
  sentUserValues,
} from '../src/domain/user-fields.ts';
import { SORTABLE_FIELDS } from '../src/domain/user.ts';
import { USER_COLUMNS, newUserColumns, toColumns, toUser, type UserRow } from '../src/store/user-row.ts';

describe('the user model declared once (domain/user-fields.ts)', () => {
  it('derives the field lists from the declaration', () => {
    expect(PROFILE_FIELDS).toContain('username');
    expect(PROFILE_FIELDS).not.toContain('active');
    expect(USER_DEFAULTS).toEqual({ active: true, verified: false, plan: 'free', billingType: 'invoice' });
    expect(SORTABLE_FIELDS).toEqual([
      'id',
      ...USER_FIELD_NAMES.filter((f) => f !== 'attributes' && f !== 'directory'),
      'createdAt',
      'updatedAt',
      'lastLoginAt',
    ]);
    expect(USER_COLUMNS).toEqual([
      'id',
      'tenantId',
      ...USER_FIELD_NAMES,
      'createdAt',
      'updatedAt',
      'lastLoginAt',
      'version',
    ]);
  });

  it('fills a new user: fields not sent take their empty value or default, null takes the default', () => {
    const v = newUserValues({ username: 'ann', active: null, plan: 'gold', attributes: null }, 'hash');
    expect(Object.keys(v)).toEqual([...USER_FIELD_NAMES, 'passwordHash']);
    expect(v).toMatchObject({ username: 'ann', email: null, gender: null, active: true, verified: false });
    expect(v).toMatchObject({ plan: 'gold', billingType: 'invoice', attributes: {}, passwordHash: 'hash' });
    expect(newUserValues({}, null).attributes).not.toBe(newUserValues({}, null).attributes);
  });

  it('keeps only the fields an update sends, with null meaning the default where there is one', () => {
    expect(sentUserValues({ email: null, verified: true, billingType: null, attributes: null })).toEqual({
      email: null,
      verified: true,
      billingType: 'invoice',
      attributes: {},
    });
  });

  it('maps values to columns and rows back, folding username and email and storing flags as 0/1', () => {
    const v = newUserValues({ username: 'Ann', email: 'Ann@X.io', verified: true, attributes: { a: 1 } }, null);
    const cols = newUserColumns(7, v, 1000, 2000, null);
    expect(cols).toMatchObject({ tenantId: 7, usernameLower: 'ann', emailLower: 'ann@x.io', active: 1, verified: 1 });
    expect(cols).toMatchObject({
      attributes: '{"a":1}',
      passwordHash: null,
      createdAt: 1000,
      updatedAt: 2000,
      version: 1,
    });
    expect(toColumns({ username: null, active: false })).toEqual({ username: null, usernameLower: null, active: 0 });

    const row = { ...cols, id: 3, hasPassword: 0 } as unknown as UserRow;
    const u = toUser(row);
    expect(u).toMatchObject({ id: 3, tenantId: 7, username: 'Ann', active: true, verified: true, hasPassword: false });
    expect(u.attributes).toEqual({ a: 1 });
    expect(u.createdAt).toEqual(new Date(1000));
    expect(u.lastLoginAt).toBeNull();
    expect(Object.keys(u)).not.toContain('usernameLower');
  });
});
