import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { basic, PASSWORD, signUp } from './support/rest-users.ts';

const MANAGER_PASSWORD = 'a long console passphrase';

/** The session cookie's value from a Set-Cookie header, and its attributes. */
function sessionCookie(r: LightMyRequestResponse) {
  const raw = [r.headers['set-cookie']].flat().find((c) => c?.startsWith('roster_session='));
  expect(raw, 'a roster_session cookie').toBeTruthy();
  return { value: raw!.split(';')[0]!.slice('roster_session='.length), raw: raw! };
}

describe.each(backends())('console sessions ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  const managerIds: Record<string, number> = {};

  /** A request with a session cookie (no key), and the CSRF header when given. */
  const withSession = (cookie: string, opts: { method: string; url: string; payload?: unknown; csrf?: string }) =>
    t.req({
      method: opts.method as 'GET',
      url: opts.url,
      key: null,
      payload: opts.payload as object,
      headers: { cookie: `roster_session=${cookie}`, ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}) },
    });
  const signIn = (payload: object) => t.req({ method: 'POST', url: '/admin/v1/session', key: null, payload });
  const setPassword = (id: number, key: string, password: string | null = MANAGER_PASSWORD) =>
    t.req({ method: 'PUT', url: `/admin/v1/managers/${id}/password`, key, payload: { password } });
  const clock = (minutes: number) => {
    t.runtime.services.console.now = () => Date.now() + minutes * 60_000;
  };
  async function signedIn(role: 'owner' | 'admin' | 'editor' | 'viewer') {
    const r = await signIn({ email: `${role}@acme.test`, password: MANAGER_PASSWORD, licenseCode: 'acme' });
    expect(r.statusCode, r.body).toBe(200);
    return { cookie: sessionCookie(r).value, csrf: r.json().csrfToken as string };
  }

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    const list = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers` });
    for (const m of list.json().items) managerIds[m.role] = m.id;
    // Each manager sets its own password with its own key, whatever its role.
    for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
      const r = await setPassword(managerIds[role]!, acme.keys[role]);
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().hasPassword).toBe(true);
      expect(r.body).not.toContain(MANAGER_PASSWORD);
    }
  });
  afterAll(() => t.close());

  it('refuses short passwords and setting another manager’s password without the owner role', async () => {
    const short = await setPassword(managerIds.viewer!, acme.keys.viewer, 'short');
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatchObject({ code: 'manager.invalid_password', field: 'password' });
    expect((await setPassword(managerIds.viewer!, acme.keys.admin)).statusCode).toBe(403);
    expect((await setPassword(managerIds.viewer!, acme.keys.owner)).statusCode).toBe(200);
    const audit = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/audit?action=manager.password_set`,
    });
    expect(audit.json().items[0].changes).toEqual({ password: { before: '[redacted]', after: '[redacted]' } });
    expect(audit.body).not.toContain(MANAGER_PASSWORD);
  });

  it('signs in with email and password: an httpOnly SameSite=Strict cookie and a CSRF token', async () => {
    const r = await signIn({ email: 'EDITOR@acme.test', password: MANAGER_PASSWORD, licenseCode: 'acme' });
    expect(r.statusCode, r.body).toBe(200);
    const c = sessionCookie(r);
    expect(c.raw).toMatch(/HttpOnly/i);
    expect(c.raw).toMatch(/SameSite=Strict/i);
    expect(c.raw).toMatch(/Path=\/admin\/v1/);
    expect(c.raw).not.toMatch(/Secure/); // plain http here
    expect(r.json()).toMatchObject({
      kind: 'manager',
      manager: { role: 'editor', email: 'editor@acme.test', hasPassword: true },
      tenant: { licenseCode: 'acme' },
    });
    expect(r.json().csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const me = await withSession(c.value, { method: 'GET', url: '/admin/v1/session' });
    expect(me.statusCode).toBe(200);
    expect(me.json().csrfToken).toBe(r.json().csrfToken);
  });

  it('answers wrong passwords, unknown emails and a missing license code in words', async () => {
    const wrong = await signIn({ email: 'editor@acme.test', password: 'not the password', licenseCode: 'acme' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe('wrong email or password');
    const unknown = await signIn({ email: 'nobody@acme.test', password: MANAGER_PASSWORD, licenseCode: 'acme' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.message).toBe('wrong email or password');
    const noCode = await signIn({ email: 'editor@acme.test', password: MANAGER_PASSWORD });
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json().error).toMatchObject({ code: 'session.license_code_required', field: 'licenseCode' });
    const otherTenant = await signIn({ email: 'editor@acme.test', password: MANAGER_PASSWORD, licenseCode: 'default' });
    expect(otherTenant.statusCode).toBe(401);
    expect((await signIn({ email: 'x' })).statusCode).toBe(400);
  });

  it('accepts the session on the management API with the role of its manager', async () => {
    const viewer = await signedIn('viewer');
    const list = await withSession(viewer.cookie, { method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users` });
    expect(list.statusCode).toBe(200);
    const write = await withSession(viewer.cookie, {
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { username: 'by-viewer' },
      csrf: viewer.csrf,
    });
    expect(write.statusCode).toBe(403);
    const elsewhere = await withSession(viewer.cookie, { method: 'GET', url: '/admin/v1/tenants/1/users' });
    expect(elsewhere.statusCode).toBe(404);

    const editor = await signedIn('editor');
    const created = await withSession(editor.cookie, {
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { username: 'by-editor' },
      csrf: editor.csrf,
    });
    expect(created.statusCode, created.body).toBe(201);
    const audit = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?action=user.create` });
    expect(audit.json().items[0].actor).toBe(`manager:${managerIds.editor}`);
  });

  it('refuses a state-changing request with the cookie but without the CSRF token', async () => {
    const editor = await signedIn('editor');
    for (const csrf of [undefined, 'forged-token', editor.csrf.slice(1) + 'x']) {
      const r = await withSession(editor.cookie, {
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/users`,
        payload: { username: `forged-${csrf?.length ?? 0}` },
        csrf,
      });
      expect(r.statusCode).toBe(403);
      expect(r.json().error.code).toBe('auth.csrf');
    }
    const users = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?q=forged` });
    expect(users.json().items).toEqual([]);
  });

  it('ends the session on sign-out, at once', async () => {
    const s = await signedIn('admin');
    const out = await withSession(s.cookie, { method: 'DELETE', url: '/admin/v1/session', csrf: s.csrf });
    expect(out.statusCode).toBe(204);
    expect([out.headers['set-cookie']].flat().join()).toMatch(/roster_session=;/);
    const after = await withSession(s.cookie, { method: 'GET', url: '/admin/v1/session' });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('session.ended');
  });

  it('ends the sessions of a manager whose key is rotated or whose role changes', async () => {
    const rotated = await signedIn('viewer');
    const rot = await t.req({ method: 'POST', url: `/admin/v1/managers/${managerIds.viewer}/key` });
    expect(rot.statusCode).toBe(200);
    acme.keys.viewer = rot.json().apiKey;
    expect((await withSession(rotated.cookie, { method: 'GET', url: '/admin/v1/session' })).statusCode).toBe(401);

    const demoted = await signedIn('admin');
    const patch = await t.req({
      method: 'PATCH',
      url: `/admin/v1/managers/${managerIds.admin}`,
      payload: { role: 'editor' },
    });
    expect(patch.statusCode).toBe(200);
    expect((await withSession(demoted.cookie, { method: 'GET', url: '/admin/v1/session' })).statusCode).toBe(401);
    await t.req({ method: 'PATCH', url: `/admin/v1/managers/${managerIds.admin}`, payload: { role: 'admin' } });
  });

  it('expires after 30 idle minutes and after 12 hours in any case', async () => {
    try {
      const idle = await signedIn('editor');
      clock(29);
      expect((await withSession(idle.cookie, { method: 'GET', url: '/admin/v1/session' })).statusCode).toBe(200);
      clock(29 + 31);
      expect((await withSession(idle.cookie, { method: 'GET', url: '/admin/v1/session' })).statusCode).toBe(401);

      clock(0);
      const busy = await signedIn('editor');
      let minutes = 0;
      for (; minutes < 12 * 60 - 25; minutes += 25) {
        clock(minutes);
        const r = await withSession(busy.cookie, { method: 'GET', url: '/admin/v1/session' });
        expect(r.statusCode, `at ${minutes} min`).toBe(200);
      }
      clock(12 * 60 + 1);
      expect((await withSession(busy.cookie, { method: 'GET', url: '/admin/v1/session' })).statusCode).toBe(401);
    } finally {
      clock(0);
    }
  });

  it('locks a manager out after repeated wrong passwords, like /rest/users', async () => {
    try {
      for (let i = 0; i < 10; i++) {
        const r = await signIn({ email: 'editor@acme.test', password: `wrong ${i}`, licenseCode: 'acme' });
        expect(r.statusCode).toBe(401);
      }
      const locked = await signIn({ email: 'editor@acme.test', password: MANAGER_PASSWORD, licenseCode: 'acme' });
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(locked.json().error.message).toMatch(/too many failed sign-ins/);
      clock(16);
      const later = await signIn({ email: 'editor@acme.test', password: MANAGER_PASSWORD, licenseCode: 'acme' });
      expect(later.statusCode).toBe(200);
    } finally {
      clock(0);
    }
  });

  it('signs the root operator in with the root key', async () => {
    expect((await signIn({ rootKey: 'not-the-root-key' })).statusCode).toBe(401);
    const r = await signIn({ rootKey: ROOT_KEY });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ kind: 'root', manager: null, tenant: null });
    const c = sessionCookie(r).value;
    const tenants = await withSession(c, { method: 'GET', url: '/admin/v1/tenants' });
    expect(tenants.statusCode).toBe(200);
    expect(tenants.body).not.toContain(c);
  });

  it('keeps the last owner of a tenant and one email per manager in a tenant', async () => {
    const demote = await t.req({
      method: 'PATCH',
      url: `/admin/v1/managers/${managerIds.owner}`,
      payload: { role: 'admin' },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('manager.last_owner');
    expect((await t.req({ method: 'DELETE', url: `/admin/v1/managers/${managerIds.owner}` })).statusCode).toBe(409);
    const dup = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      payload: { name: 'Twin', email: 'Owner@acme.test', role: 'viewer' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatchObject({ code: 'manager.email_taken', field: 'email' });
  });

  it('counts users, sign-ups and logins per day for the dashboard', async () => {
    const before = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/dashboard`,
      key: acme.keys.viewer,
    });
    expect(before.statusCode).toBe(200);
    await signUp(t, 'dash-one', { tenant: 'acme' });
    await signUp(t, 'dash-two', { tenant: 'acme' });
    for (const u of ['dash-one', 'dash-one', 'dash-two']) {
      const r = await t.req({
        method: 'GET',
        url: `/rest/users/${u}`,
        key: null,
        headers: { authorization: basic(u, PASSWORD), 'x-roster-tenant': 'acme' },
      });
      expect(r.statusCode).toBe(200);
    }
    const after = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/dashboard`,
      key: acme.keys.viewer,
    });
    const a = after.json();
    const b = before.json();
    expect(a.users.total - b.users.total).toBe(2);
    expect(a.users.createdLast7Days - b.users.createdLast7Days).toBe(2);
    expect(a.days).toHaveLength(30);
    const today = new Date().toISOString().slice(0, 10);
    expect(a.days[29].day).toBe(today);
    expect(a.days[29].signups - b.days[29].signups).toBe(2);
    expect(a.days[29].logins - b.days[29].logins).toBe(3);
    expect((await t.req({ method: 'GET', url: '/admin/v1/tenants/999/dashboard' })).statusCode).toBe(404);
  });
});
