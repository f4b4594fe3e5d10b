import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

describe.each(backends())('management API users ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
  });
  afterAll(() => t.close());

  const users = (tenantId: number) => `/admin/v1/tenants/${tenantId}/users`;

  it('creates, reads, patches, replaces and deletes a user with every core field', async () => {
    const c = await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      key: acme.keys.editor,
      payload: {
        username: 'Ann',
        email: 'Ann@Example.com',
        firstName: 'Ann',
        lastName: 'Lee',
        company: 'Acme',
        gender: 'female',
        attributes: { plan: 'gold' },
        password: 'correct horse',
      },
    });
    expect(c.statusCode).toBe(201);
    const u = c.json();
    expect(u).toMatchObject({
      username: 'Ann',
      email: 'Ann@Example.com',
      tenantId: acme.tenantId,
      active: true,
      verified: false,
      plan: 'free',
      billingType: 'invoice',
      attributes: { plan: 'gold' },
      hasPassword: true,
    });
    expect(u).not.toHaveProperty('password');
    expect(c.body).not.toContain('correct horse');

    const g = await t.req({ method: 'GET', url: `${users(acme.tenantId)}/${u.id}`, key: acme.keys.viewer });
    expect(g.statusCode).toBe(200);
    expect(g.headers.etag).toBe('W/"1"');

    const p = await t.req({
      method: 'PATCH',
      url: `${users(acme.tenantId)}/${u.id}`,
      key: acme.keys.editor,
      payload: { title: 'CTO' },
    });
    expect(p.json()).toMatchObject({ title: 'CTO', company: 'Acme', lastName: 'Lee' });

    const r = await t.req({
      method: 'PUT',
      url: `${users(acme.tenantId)}/${u.id}`,
      key: acme.keys.editor,
      payload: { username: 'ann', email: 'ann@example.com' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      username: 'ann',
      title: null,
      company: null,
      attributes: {},
      gender: null,
      hasPassword: true,
    });

    const d = await t.req({ method: 'DELETE', url: `${users(acme.tenantId)}/${u.id}`, key: acme.keys.admin });
    expect(d.statusCode).toBe(204);
    expect(d.body).toBe('');
    expect((await t.req({ method: 'GET', url: `${users(acme.tenantId)}/${u.id}` })).statusCode).toBe(404);
  });

  it('honours If-Match on PUT, PATCH and DELETE', async () => {
    const u = (await t.req({ method: 'POST', url: users(acme.tenantId), payload: { username: 'etag-user' } })).json();
    const stale = await t.req({
      method: 'PATCH',
      url: `${users(acme.tenantId)}/${u.id}`,
      headers: { 'if-match': 'W/"7"' },
      payload: { title: 'x' },
    });
    expect(stale.statusCode).toBe(412);
    const ok = await t.req({
      method: 'PATCH',
      url: `${users(acme.tenantId)}/${u.id}`,
      headers: { 'if-match': 'W/"1"' },
      payload: { title: 'x' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('W/"2"');
    expect(
      (
        await t.req({
          method: 'PUT',
          url: `${users(acme.tenantId)}/${u.id}`,
          headers: { 'if-match': '"1"' },
          payload: {},
        })
      ).statusCode,
    ).toBe(412);
    expect(
      (await t.req({ method: 'DELETE', url: `${users(acme.tenantId)}/${u.id}`, headers: { 'if-match': 'W/"1"' } }))
        .statusCode,
    ).toBe(412);
    expect(
      (await t.req({ method: 'DELETE', url: `${users(acme.tenantId)}/${u.id}`, headers: { 'if-match': 'W/"2"' } }))
        .statusCode,
    ).toBe(204);
  });

  it('enforces uniqueness case-insensitively per tenant with 409', async () => {
    await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      payload: { username: 'Dup', email: 'dup@x.io', externalId: 'E1' },
    });
    const u = await t.req({ method: 'POST', url: users(acme.tenantId), payload: { username: 'DUP' } });
    expect(u.statusCode).toBe(409);
    expect(u.json().error.code).toBe('user.username_taken');
    expect(
      (await t.req({ method: 'POST', url: users(acme.tenantId), payload: { email: 'DUP@X.IO' } })).json().error.code,
    ).toBe('user.email_taken');
    expect(
      (await t.req({ method: 'POST', url: users(acme.tenantId), payload: { externalId: 'E1' } })).json().error.code,
    ).toBe('user.external_id_taken');
    // externalId is exact
    expect((await t.req({ method: 'POST', url: users(acme.tenantId), payload: { externalId: 'e1' } })).statusCode).toBe(
      201,
    );
    // another tenant may reuse them
    expect(
      (
        await t.req({
          method: 'POST',
          url: users(other.tenantId),
          payload: { username: 'dup', email: 'dup@x.io', externalId: 'E1' },
        })
      ).statusCode,
    ).toBe(201);
  });

  it('checks roles: viewer reads only, editor cannot delete, other tenants are not found', async () => {
    const u = (await t.req({ method: 'POST', url: users(acme.tenantId), payload: { username: 'role-test' } })).json();
    expect(
      (await t.req({ method: 'POST', url: users(acme.tenantId), key: acme.keys.viewer, payload: { username: 'v' } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await t.req({ method: 'DELETE', url: `${users(acme.tenantId)}/${u.id}`, key: acme.keys.editor })).statusCode,
    ).toBe(403);
    expect(
      (await t.req({ method: 'GET', url: `${users(acme.tenantId)}/${u.id}`, key: other.keys.owner })).statusCode,
    ).toBe(404);
    expect((await t.req({ method: 'GET', url: users(acme.tenantId), key: other.keys.owner })).statusCode).toBe(404);
    expect((await t.req({ method: 'GET', url: users(acme.tenantId), key: null })).statusCode).toBe(401);
    expect((await t.req({ method: 'GET', url: users(acme.tenantId), key: 'nope' })).statusCode).toBe(401);
    expect(
      (
        await t.req({
          method: 'GET',
          url: users(acme.tenantId),
          key: null,
          headers: { admin_api_key: acme.keys.viewer },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('rejects bad input with a 4xx naming the problem and changes nothing', async () => {
    const before = (await t.req({ method: 'GET', url: `${users(acme.tenantId)}?total=exact&limit=1` })).json().total;
    const cases: [unknown, number, RegExp][] = [
      [{ username: 5 }, 400, /username/],
      [{ email: 'not-an-email' }, 400, /email/],
      [{ nope: 1 }, 400, /nope/],
      [{ password: 'short' }, 400, /password/],
      [{ gender: 'x' }, 400, /gender/],
      [{ attributes: { '1bad': 1 } }, 400, /1bad/],
      [{ attributes: { big: 'x'.repeat(70 * 1024) } }, 400, /64 KiB/],
      [{ username: 'nul\u0000byte' }, 400, /username.*NUL/],
      [{ attributes: { note: 'nul\u0000byte' } }, 400, /NUL/],
    ];
    for (const [payload, status, msg] of cases) {
      const r = await t.req({ method: 'POST', url: users(acme.tenantId), payload: payload as object });
      expect(r.statusCode, JSON.stringify(payload)).toBe(status);
      expect(r.json().error.message).toMatch(msg);
    }
    const malformed = await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toMatch(/JSON/);
    const xml = await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
    const huge = await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ attributes: { a: 'x'.repeat(1100 * 1024) } }),
    });
    expect(huge.statusCode).toBe(413);
    expect((await t.req({ method: 'GET', url: `${users(acme.tenantId)}?limit=0` })).statusCode).toBe(400);
    expect((await t.req({ method: 'GET', url: `${users(acme.tenantId)}?limit=1001` })).statusCode).toBe(400);
    expect((await t.req({ method: 'GET', url: `${users(acme.tenantId)}?cursor=garbage` })).statusCode).toBe(400);
    expect((await t.req({ method: 'GET', url: `${users(acme.tenantId)}?sort=password` })).statusCode).toBe(400);
    expect((await t.req({ method: 'GET', url: `${users(acme.tenantId)}/abc` })).statusCode).toBe(400);
    const after = (await t.req({ method: 'GET', url: `${users(acme.tenantId)}?total=exact&limit=1` })).json().total;
    expect(after).toBe(before);
  });
});
