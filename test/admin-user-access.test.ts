import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { PASSWORD, basic } from './support/rest-users.ts';
import { base } from './support/usermost.ts';

describe.each(backends())("management API: a user's lockout, application keys and events ($name)", (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let userId: number;
  const url = (path: string, id = userId) => `/admin/v1/tenants/${acme.tenantId}/users/${id}${path}`;
  const login = (password: string) =>
    t.req({
      method: 'GET',
      url: '/rest/users/victim',
      key: null,
      headers: { authorization: basic('victim', password), 'x-roster-tenant': 'acme' },
    });
  const lastEvent = async () =>
    (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?target=user:${userId}&limit=1` })
    ).json().items[0];

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    const u = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { username: 'victim', email: 'victim@example.com', password: PASSWORD },
    });
    expect(u.statusCode).toBe(201);
    userId = u.json().id;
  });
  afterAll(() => t.close());

  it('shows a locked account and unlocks it (editor): the right password works again, the unlock is audited', async () => {
    expect((await t.req({ method: 'GET', url: url('/login-lock'), key: acme.keys.viewer })).json()).toEqual({
      locked: false,
      lockedUntil: null,
    });
    for (let i = 0; i < 10; i++) expect((await login(`wrong ${i}`)).statusCode).toBe(401);
    expect((await login(PASSWORD)).statusCode).toBe(429);
    const lock = (await t.req({ method: 'GET', url: url('/login-lock'), key: acme.keys.viewer })).json();
    expect(lock.locked).toBe(true);
    expect(Date.parse(lock.lockedUntil)).toBeGreaterThan(Date.now());

    expect((await t.req({ method: 'DELETE', url: url('/login-lock'), key: acme.keys.viewer })).statusCode).toBe(403);
    expect((await t.req({ method: 'DELETE', url: url('/login-lock'), key: acme.keys.editor })).statusCode).toBe(204);
    expect((await t.req({ method: 'GET', url: url('/login-lock') })).json().locked).toBe(false);
    expect((await login(PASSWORD)).statusCode).toBe(200);
    expect(await lastEvent()).toMatchObject({
      action: 'user.unlock',
      changes: { lockedUntil: { before: lock.lockedUntil, after: null } },
    });
    // The failure count started over: one wrong password does not lock again.
    expect((await login('wrong again')).statusCode).toBe(401);
    expect((await login(PASSWORD)).statusCode).toBe(200);
    // Unlocking an unlocked account changes nothing and records nothing.
    const before = await lastEvent();
    expect((await t.req({ method: 'DELETE', url: url('/login-lock') })).statusCode).toBe(204);
    expect(await lastEvent()).toEqual(before);
  });

  it('lists application keys without secrets and revokes one: it stops working at once', async () => {
    const created = await t.req({
      method: 'POST',
      url: '/rest/users/victim/keys',
      key: null,
      headers: { authorization: basic('victim', PASSWORD), 'x-roster-tenant': 'acme' },
      payload: { name: 'laptop' },
    });
    expect(created.statusCode).toBe(201);
    const secret = created.json().content.key as string;
    const list = await t.req({ method: 'GET', url: url('/app-keys'), key: acme.keys.viewer });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([
      { id: expect.any(Number), name: 'laptop', usage: 0, createdAt: expect.any(String), lastUsedAt: null },
    ]);
    expect(list.body).not.toContain(secret);
    const keyId = list.json().items[0].id;

    const verify = () =>
      t.req({
        method: 'POST',
        url: '/rest/keys/verify',
        key: null,
        headers: { 'x-roster-tenant': 'acme' },
        payload: { key: secret },
      });
    expect((await verify()).statusCode).toBe(200);
    expect((await t.req({ method: 'DELETE', url: url(`/app-keys/${keyId}`), key: acme.keys.viewer })).statusCode).toBe(
      403,
    );
    expect((await t.req({ method: 'DELETE', url: url(`/app-keys/${keyId}`), key: acme.keys.editor })).statusCode).toBe(
      204,
    );
    expect((await verify()).statusCode).toBe(401);
    expect((await t.req({ method: 'GET', url: url('/app-keys') })).json().items).toEqual([]);
    expect((await t.req({ method: 'DELETE', url: url(`/app-keys/${keyId}`) })).statusCode).toBe(404);
    expect(await lastEvent()).toMatchObject({ action: 'app_key.revoke', actor: expect.stringMatching(/^manager:/) });
  });

  it("pages the user's Usermost events newest first, with the total", async () => {
    const events = `${base('acme')}/events`;
    for (const [eventName, eventTime] of [
      ['signup', '2026-01-01T10:00:00+0000'],
      ['purchase', '2026-01-03T10:00:00+0000'],
      ['logout', '2026-01-02T10:00:00+0000'],
    ])
      expect(
        (
          await t.req({
            method: 'POST',
            url: events,
            key: acme.keys.editor,
            payload: { userId: 'walker', eventName, eventTime, params: { n: eventName.length } },
          })
        ).statusCode,
      ).toBe(201);
    const walker = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?externalId=walker` })
    ).json().items[0].id;
    const page = await t.req({ method: 'GET', url: url('/events?limit=2', walker), key: acme.keys.viewer });
    expect(page.statusCode).toBe(200);
    expect(page.json().total).toBe(3);
    expect(page.json().items.map((e: { eventName: string }) => e.eventName)).toEqual(['purchase', 'logout']);
    expect(page.json().items[0]).toMatchObject({ eventTime: '2026-01-03T10:00:00.000Z', params: { n: 8 } });
    const rest = await t.req({ method: 'GET', url: url('/events?limit=2&offset=2', walker) });
    expect(rest.json().items.map((e: { eventName: string }) => e.eventName)).toEqual(['signup']);
    expect((await t.req({ method: 'GET', url: url('/events') })).json()).toEqual({ items: [], total: 0 });
  });

  it('answers 404 for a user of another tenant or none, and 401 without a key', async () => {
    const other = await makeTenant(t, 'Other', 'other');
    for (const path of ['/login-lock', '/app-keys', '/events']) {
      expect((await t.req({ method: 'GET', url: url(path, 999_999) })).statusCode, path).toBe(404);
      expect((await t.req({ method: 'GET', url: url(path), key: other.keys.owner })).statusCode, path).toBe(404);
      expect((await t.req({ method: 'GET', url: url(path), key: null })).statusCode, path).toBe(401);
    }
  });
});
