import { describe, expect, it } from 'vitest';
import {
  compareValue,
  matchesEntry,
  parseFilter,
  parsePatchPath,
  splitAttrPath,
} from '../src/http/dialects/scim/filter.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The error a bad filter or path throws: a 400 whose code carries SCIM's scimType. */
function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    const { code, message } = e as { code: string; message: string };
    return { code, message };
  }
  throw new Error('expected the parse to fail');
}

describe('SCIM filter grammar (RFC 7644 §3.4.2.2)', () => {
  it('parses a comparison with a quoted string', () => {
    expect(parseFilter('userName eq "bjensen"')).toEqual({ op: 'eq', path: { attr: 'userName' }, value: 'bjensen' });
  });

  it('binds and tighter than or, and not to its parenthesised group', () => {
    expect(parseFilter('a eq 1 or b eq 2 and c eq 3')).toEqual({
      op: 'or',
      left: { op: 'eq', path: { attr: 'a' }, value: 1 },
      right: {
        op: 'and',
        left: { op: 'eq', path: { attr: 'b' }, value: 2 },
        right: { op: 'eq', path: { attr: 'c' }, value: 3 },
      },
    });
    expect(parseFilter('not (title pr) and userType eq "Employee"')).toEqual({
      op: 'and',
      left: { op: 'not', filter: { op: 'pr', path: { attr: 'title' } } },
      right: { op: 'eq', path: { attr: 'userType' }, value: 'Employee' },
    });
  });

  it('reads value paths, sub-attributes and URN-qualified attributes', () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toEqual({
      op: 'valuePath',
      path: { attr: 'emails' },
      filter: {
        op: 'and',
        left: { op: 'eq', path: { attr: 'type' }, value: 'work' },
        right: { op: 'co', path: { attr: 'value' }, value: '@example.com' },
      },
    });
    expect(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"')).toEqual({
      op: 'gt',
      path: { attr: 'meta', sub: 'lastModified' },
      value: '2011-05-13T04:42:34Z',
    });
    expect(parseFilter(`${ENTERPRISE}:employeeNumber eq "1"`)).toEqual({
      op: 'eq',
      path: { schema: ENTERPRISE, attr: 'employeeNumber' },
      value: '1',
    });
  });

  it('types unquoted values: booleans, null and canonical numbers keep their type, the rest is text', () => {
    expect(parseFilter('active eq TRUE')).toMatchObject({ value: true });
    expect(parseFilter('nickName eq null')).toMatchObject({ value: null });
    expect(parseFilter('x eq 42')).toMatchObject({ value: 42 });
    expect(parseFilter('externalId eq 0012')).toMatchObject({ value: '0012' });
    expect(parseFilter('userName sw O')).toMatchObject({ op: 'sw', value: 'O' });
    expect(parseFilter('meta.created gt 2015-10-10T14:38:21.8617979-07:00')).toMatchObject({
      value: '2015-10-10T14:38:21.8617979-07:00',
    });
  });

  it('refuses malformed filters with invalidFilter and says what is wrong', () => {
    expect(failure(() => parseFilter('title eq Sales Manager'))).toEqual({
      code: 'scim.invalidFilter',
      message: 'unexpected "Manager" at position 15',
    });
    expect(failure(() => parseFilter('userName eq')).message).toBe('"userName eq" needs a value');
    expect(failure(() => parseFilter('(userName eq "a"')).message).toMatch(/expected "\)"/);
    expect(failure(() => parseFilter('userName xx "a"')).message).toMatch(/"xx" is not a filter operator/);
  });
});

describe('SCIM PATCH paths (RFC 7644 §3.5.2)', () => {
  it('parses attr, attr.sub, attr[filter].sub and URN-qualified paths', () => {
    expect(parsePatchPath('name.familyName')).toEqual({ path: { attr: 'name', sub: 'familyName' } });
    expect(parsePatchPath('members[value eq "2819c223"].display')).toEqual({
      path: { attr: 'members', sub: 'display' },
      filter: { op: 'eq', path: { attr: 'value' }, value: '2819c223' },
    });
    expect(parsePatchPath(`${ENTERPRISE}:manager.value`)).toEqual({
      path: { schema: ENTERPRISE, attr: 'manager', sub: 'value' },
    });
    expect(splitAttrPath('name.givenName')).toEqual({ attr: 'name', sub: 'givenName' });
  });

  it('refuses an unclosed value filter', () => {
    expect(failure(() => parsePatchPath('emails[type eq "work"')).code).toBe('scim.invalidFilter');
  });
});

describe('SCIM filter matching of multi-valued entries', () => {
  it('compares case-insensitively unless the attribute is case-exact', () => {
    expect(compareValue('co', 'Barbara', 'BAR', false)).toBe(true);
    expect(compareValue('co', 'Barbara', 'BAR', true)).toBe(false);
    expect(compareValue('sw', 'Barbara', 'bar', false)).toBe(true);
    expect(compareValue('ew', 'Barbara', 'x', false)).toBe(false);
  });

  it('orders date-times and matches entries by every clause', () => {
    expect(compareValue('gt', '2011-05-13T04:42:34Z', '2010-01-01T00:00:00Z', false)).toBe(true);
    expect(compareValue('lt', '2011-05-13T04:42:34Z', '2010-01-01T00:00:00Z', false)).toBe(false);
    const work = { type: 'Work', primary: true };
    expect(matchesEntry(parseFilter('type eq "work" and primary eq true'), work, () => false)).toBe(true);
    expect(matchesEntry(parseFilter('type eq "work" and primary eq false'), work, () => false)).toBe(false);
    expect(matchesEntry(parseFilter('type eq "work"'), work, () => true)).toBe(false);
  });
});
