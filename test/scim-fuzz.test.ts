import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type TestApp } from './support/harness.ts';
import { scimClient, type ScimClient } from './scim-support.ts';

/** Pieces of the filter and path grammars, assembled at random: every answer must be a 200 or a SCIM 400, never a 500. */
const TOKENS = [
  'userName',
  'USERNAME',
  'emails',
  'emails.value',
  'emails[',
  'members',
  'members[',
  ']',
  '(',
  ')',
  'not',
  'and',
  'or',
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
  'pr',
  'type',
  'value',
  'primary',
  'active',
  'meta.created',
  'meta.lastModified',
  'id',
  'externalId',
  'displayName',
  'name.givenName',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
  '"work"',
  '"a b"',
  '"\\u0041"',
  '"\\u0000"',
  '99999999999999999999',
  '"99999999999999999999"',
  '"',
  '"2020-01-01T00:00:00Z"',
  'true',
  'false',
  'null',
  '42',
  '-1.5e3',
  '.',
  '$ref',
  'x:y',
  '%',
  "'",
];

describe.each(backends())('SCIM robustness against random input ($name)', (backend) => {
  let t: TestApp;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    const acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.admin);
    userId = await scim.user('fuzz', { emails: [{ value: 'fuzz@x.io', type: 'work' }] });
    groupId = (await scim.post('/Groups', { displayName: 'Fuzz', members: [{ value: userId }] })).json().id;
  });
  afterAll(() => t.close());

  const phrase = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 9 }).map((xs) => xs.join(' '));

  it('answers random filters on Users and Groups with 200 or 400 invalidFilter', async () => {
    await fc.assert(
      fc.asyncProperty(phrase, fc.constantFrom('/Users', '/Groups'), async (filter, ep) => {
        const r = await scim.get(`${ep}?filter=${encodeURIComponent(filter)}`);
        expect([200, 400], `${ep} ${filter}: ${r.body}`).toContain(r.statusCode);
        if (r.statusCode === 400) expect(r.json().status).toBe('400');
      }),
      { numRuns: 150 },
    );
  });

  it('answers random list parameters with 200 or 400', async () => {
    const num = fc.oneof(fc.integer(), fc.constantFrom('99999999999999999999', '-1', '1e3', 'abc', '', '0x10', '1.5'));
    const param = fc.oneof(
      num.map((v) => `startIndex=${encodeURIComponent(String(v))}`),
      num.map((v) => `count=${encodeURIComponent(String(v))}`),
      phrase.map((v) => `sortBy=${encodeURIComponent(v)}`),
      fc.constantFrom('ascending', 'DESCENDING', 'up', '').map((v) => `sortOrder=${v}`),
      phrase.map((v) => `attributes=${encodeURIComponent(v.replace(/ /g, ','))}`),
      phrase.map((v) => `excludedAttributes=${encodeURIComponent(v.replace(/ /g, ','))}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(param, { maxLength: 4 }),
        fc.constantFrom('/Users', '/Groups', 'one user'),
        async (params, ep) => {
          const url = ep === 'one user' ? `/Users/${userId}` : ep;
          const r = await scim.get(`${url}?${params.join('&')}`);
          expect([200, 400], `${url}?${params.join('&')}: ${r.body}`).toContain(r.statusCode);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers random PATCH paths and values with 200, 400 or 409, and a rejected PATCH changes nothing', async () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(null),
      fc.integer(),
      fc.constant([{ value: 'x' }]),
      fc.constant({ value: '1' }),
      fc.constant([]),
    );
    const op = fc.record({
      op: fc.constantFrom('add', 'Remove', 'REPLACE', 'copy'),
      path: fc.option(phrase, { nil: undefined }),
      value,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('user', 'group'),
        async (ops, kind) => {
          const url = kind === 'user' ? `/Users/${userId}` : `/Groups/${groupId}`;
          const before = (await scim.get(url)).json();
          const r = await scim.patch(url, ops);
          expect([200, 400, 409], `${JSON.stringify(ops)}: ${r.body}`).toContain(r.statusCode);
          if (r.statusCode !== 200) expect((await scim.get(url)).json()).toEqual(before);
        },
      ),
      { numRuns: 150 },
    );
  });
});
