import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

describe.each(backends())('management API tenants and managers ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(() => t.close());

  it('has the Default tenant with id 1 on a new database', async () => {
    const r = await t.req({ method: 'GET', url: '/admin/v1/tenants/1' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: 1, name: 'Default', licenseCode: 'default' });
  });

  it('creates tenants with a generated URL-safe license code and rejects duplicates', async () => {
    const r = await t.req({ method: 'POST', url: '/admin/v1/tenants', payload: { name: 'Gen' } });
    expect(r.statusCode).toBe(201);
    expect(r.json().licenseCode).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(r.json()).toHaveProperty('createdAt');
    const dup = await t.req({ method: 'POST', url: '/admin/v1/tenants', payload: { name: 'X', licenseCode: 'acme' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.message).toMatch(/licenseCode/);
    expect(
      (await t.req({ method: 'POST', url: '/admin/v1/tenants', payload: { name: 'X', licenseCode: 'has space' } }))
        .statusCode,
    ).toBe(400);
    expect((await t.req({ method: 'POST', url: '/admin/v1/tenants', payload: {} })).json().error.message).toMatch(
      /name/,
    );
  });

  it('lists, renames and deletes tenants (root only)', async () => {
    const list = await t.req({ method: 'GET', url: '/admin/v1/tenants?limit=1' });
    expect(list.json().items).toHaveLength(1);
    expect(list.json().nextCursor).toBe('1');
    const page2 = await t.req({ method: 'GET', url: `/admin/v1/tenants?limit=1000&after=${list.json().nextCursor}` });
    expect(page2.json().items.map((x: { id: number }) => x.id)).toContain(acme.tenantId);
    expect((await t.req({ method: 'GET', url: '/admin/v1/tenants', key: acme.keys.owner })).statusCode).toBe(403);
    const renamed = await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${acme.tenantId}`,
      key: acme.keys.owner,
      payload: { name: 'Acme Inc', settings: { publicSignup: false } },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Acme Inc', settings: { publicSignup: false, passwordMinLength: 8 } });
    expect(
      (
        await t.req({
          method: 'PATCH',
          url: `/admin/v1/tenants/${acme.tenantId}`,
          key: acme.keys.admin,
          payload: { name: 'no' },
        })
      ).statusCode,
    ).toBe(403);
    const gone = (await t.req({ method: 'POST', url: '/admin/v1/tenants', payload: { name: 'Gone' } })).json();
    const d = await t.req({ method: 'DELETE', url: `/admin/v1/tenants/${gone.id}` });
    expect(d.statusCode).toBe(204);
    expect(d.body).toBe('');
    expect((await t.req({ method: 'GET', url: `/admin/v1/tenants/${gone.id}` })).statusCode).toBe(404);
  });

  it('creates managers whose key is shown once and works at once', async () => {
    const r = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      key: acme.keys.owner,
      payload: { name: 'Eve', email: 'eve@acme.test', role: 'viewer' },
    });
    expect(r.statusCode).toBe(201);
    const m = r.json();
    expect(m).toMatchObject({ tenantId: acme.tenantId, name: 'Eve', role: 'viewer' });
    expect(m.apiKey).toMatch(/^rk_/);
    const read = await t.req({ method: 'GET', url: `/admin/v1/managers/${m.id}`, key: acme.keys.admin });
    expect(read.statusCode).toBe(200);
    expect(read.json()).not.toHaveProperty('apiKey');
    expect(read.body).not.toContain(m.apiKey);
    const list = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      key: acme.keys.admin,
    });
    expect(list.json().items.length).toBeGreaterThanOrEqual(5);
    expect(list.body).not.toContain(m.apiKey);
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users`, key: m.apiKey })).statusCode,
    ).toBe(200);
  });

  it('rotating a key stops the old one at once; deleting a manager revokes its key', async () => {
    const m = (
      await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/managers`,
        payload: { name: 'Rot', email: 'rot@acme.test', role: 'editor' },
      })
    ).json();
    const rotated = await t.req({ method: 'POST', url: `/admin/v1/managers/${m.id}/key`, key: acme.keys.owner });
    expect(rotated.statusCode).toBe(200);
    const newKey = rotated.json().apiKey;
    expect(newKey).not.toBe(m.apiKey);
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users`, key: m.apiKey })).statusCode,
    ).toBe(401);
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users`, key: newKey })).statusCode,
    ).toBe(200);
    expect(
      (
        await t.req({
          method: 'PATCH',
          url: `/admin/v1/managers/${m.id}`,
          key: acme.keys.owner,
          payload: { role: 'viewer' },
        })
      ).json().role,
    ).toBe('viewer');
    expect(
      (await t.req({ method: 'POST', url: `/admin/v1/tenants/${acme.tenantId}/users`, key: newKey, payload: {} }))
        .statusCode,
    ).toBe(403);
    const d = await t.req({ method: 'DELETE', url: `/admin/v1/managers/${m.id}`, key: acme.keys.owner });
    expect(d.statusCode).toBe(204);
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users`, key: newKey })).statusCode,
    ).toBe(401);
  });

  it('enforces manager privileges and hides other tenants', async () => {
    const other = await makeTenant(t, 'Other', 'other');
    const base = `/admin/v1/tenants/${acme.tenantId}/managers`;
    expect((await t.req({ method: 'GET', url: base, key: acme.keys.editor })).statusCode).toBe(403);
    expect(
      (
        await t.req({
          method: 'POST',
          url: base,
          key: acme.keys.admin,
          payload: { name: 'n', email: 'n@x.io', role: 'owner' },
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.req({ method: 'GET', url: base, key: other.keys.owner })).statusCode).toBe(404);
    const mine = (await t.req({ method: 'GET', url: base, key: acme.keys.admin })).json().items[0];
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/managers/${mine.id}`, key: other.keys.owner })).statusCode,
    ).toBe(404);
    expect(
      (await t.req({ method: 'DELETE', url: `/admin/v1/managers/${mine.id}`, key: other.keys.owner })).statusCode,
    ).toBe(404);
    expect(
      (await t.req({ method: 'POST', url: base, payload: { name: 'n', email: 'n@x.io', role: 'boss' } })).json().error
        .message,
    ).toMatch(/role/);
    expect(
      (await t.req({ method: 'POST', url: base, payload: { name: 'n', email: 'nope', role: 'viewer' } })).json().error
        .message,
    ).toMatch(/email/);
  });

  it('serves health, readiness, the OpenAPI document and the docs page', async () => {
    expect((await t.req({ method: 'GET', url: '/health', key: null })).json()).toEqual({ status: 'ok' });
    expect((await t.req({ method: 'GET', url: '/ready', key: null })).statusCode).toBe(200);
    const doc = (await t.req({ method: 'GET', url: '/openapi.json', key: null })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/admin/v1/tenants',
        '/admin/v1/tenants/{id}/users/{userId}',
        '/admin/v1/managers/{id}/key',
      ]),
    );
    expect((await t.req({ method: 'GET', url: '/docs/', key: null })).statusCode).toBe(200);
    const nf = await t.req({ method: 'GET', url: '/admin/v1/nothing' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe('not_found');
  });
});
