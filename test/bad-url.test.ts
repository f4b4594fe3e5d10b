import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/harness.ts';

/**
 * A URL whose %-escapes do not decode is refused before routing; the answer still comes in the
 * envelope of the API the URL belongs to (a SCIM client gets a SCIM error, and so on).
 */
describe.each(backends())('undecodable URLs ($name)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  const BAD = '%E0%A4%A';
  const cases: [string, (body: any) => void][] = [
    [
      `/admin/v1/tenants/1/users/${BAD}`,
      (b) =>
        expect(b).toEqual({ error: { code: 'request.bad_url', message: expect.stringMatching(/URL is not valid/) } }),
    ],
    [
      `/api/v1/account/accounts/${BAD}`,
      (b) => expect(b).toEqual({ error: { status: 400, message: expect.stringMatching(/URL is not valid/) } }),
    ],
    [
      `/scim/v2/Users/${BAD}`,
      (b) =>
        expect(b).toMatchObject({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '400',
          detail: expect.stringMatching(/URL is not valid/),
        }),
    ],
    [
      `/usr/${BAD}`,
      (b) =>
        expect(b).toEqual({ error: { code: 'request.bad_url', message: expect.stringMatching(/URL is not valid/) } }),
    ],
    [`/rest/users/${BAD}`, (b) => expect(JSON.stringify(b)).toMatch(/URL is not valid/)],
    [`/v1/accounts/lic/${BAD}`, (b) => expect(JSON.stringify(b)).toMatch(/URL is not valid/)],
    [
      `/nowhere/${BAD}`,
      (b) =>
        expect(b).toEqual({ error: { code: 'request.bad_url', message: expect.stringMatching(/URL is not valid/) } }),
    ],
  ];

  it.each(cases)("GET %s answers 400 in its API's envelope", async (url, check) => {
    const r = await t.req({ method: 'GET', url });
    expect(r.statusCode).toBe(400);
    check(r.json());
  });
});
