import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

/** Every dialect's writes land in the one audit trail, with the right actor. */
describe.each(backends())('audit trail across dialects ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let mid: Record<'owner' | 'admin' | 'editor' | 'viewer', string>;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    const ms = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers` })).json().items as {
      id: number;
      role: keyof typeof mid;
    }[];
    mid = Object.fromEntries(ms.map((m) => [m.role, `manager:${m.id}`])) as typeof mid;
  });
  afterAll(() => t.close());

  const ok = (r: LightMyRequestResponse, what: string) => {
    expect(r.statusCode, `${what}: ${r.body}`).toBeGreaterThanOrEqual(200);
    expect(r.statusCode, `${what}: ${r.body}`).toBeLessThan(300);
    return r;
  };
  const idOf = async (username: string): Promise<number> => {
    const r = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/users?username=${encodeURIComponent(username)}`,
    });
    const items = r.json().items as { id: number }[];
    expect(items, `user ${username}`).toHaveLength(1);
    return items[0].id;
  };
  const trail = async (id: number) => {
    const r = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?target=user:${id}` });
    expect(r.statusCode).toBe(200);
    return (r.json().items as { action: string; actor: string; changes: Record<string, unknown> }[]).map((e) => [
      e.action,
      e.actor,
    ]);
  };

  it('Accounts API', async () => {
    const h = (k: string) => ({ key: null, headers: { admin_api_key: k } });
    const c = ok(
      await t.req({
        method: 'POST',
        url: '/api/v1/account/accounts',
        ...h(acme.keys.editor),
        payload: { username: 'acc1', email: 'acc1@x.io', password: 'long enough pw' },
      }),
      'create',
    );
    const id = c.json().id as number;
    ok(
      await t.req({
        method: 'PATCH',
        url: `/api/v1/account/accounts/${id}`,
        ...h(acme.keys.owner),
        payload: { title: 'T' },
      }),
      'patch',
    );
    ok(await t.req({ method: 'DELETE', url: `/api/v1/account/accounts/${id}`, ...h(acme.keys.admin) }), 'delete');
    expect(await trail(id)).toEqual([
      ['user.delete', mid.admin],
      ['user.update', mid.owner],
      ['user.create', mid.editor],
    ]);
  });

  it('Usermost', async () => {
    const users = '/v1/accounts/acme/users';
    ok(
      await t.req({ method: 'POST', url: users, key: acme.keys.editor, payload: { userId: 'um1', firstName: 'Una' } }),
      'create',
    );
    const id = await idOf('um1').catch(async () => {
      const r = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?externalId=um1` });
      return (r.json().items as { id: number }[])[0].id;
    });
    ok(
      await t.req({ method: 'POST', url: users, key: acme.keys.owner, payload: { userId: 'um1', lastName: 'Most' } }),
      'update',
    );
    ok(await t.req({ method: 'DELETE', url: `${users}/um1`, key: acme.keys.admin }), 'delete');
    expect(await trail(id)).toEqual([
      ['user.delete', mid.admin],
      ['user.update', mid.owner],
      ['user.create', mid.editor],
    ]);
  });

  it('/usr', async () => {
    const c = ok(
      await t.req({
        method: 'POST',
        url: '/usr/new',
        key: acme.keys.editor,
        payload: {
          contactName: 'Ursula',
          emailAddress: 'usr1@x.io',
          defaultAccountId: acme.tenantId,
          username: 'usr1',
          password: 'long enough pw',
        },
      }),
      'create',
    );
    const id = await idOf('usr1');
    expect(c.body).not.toContain('long enough pw');
    ok(
      await t.req({ method: 'POST', url: `/usr/${id}`, key: acme.keys.owner, payload: { contactName: 'Ursula M.' } }),
      'modify',
    );
    ok(await t.req({ method: 'DELETE', url: `/usr/${id}`, key: acme.keys.admin }), 'delete');
    expect(await trail(id)).toEqual([
      ['user.delete', mid.admin],
      ['user.update', mid.owner],
      ['user.create', mid.editor],
    ]);
  });

  it('SCIM 2.0', async () => {
    const scim = { 'content-type': 'application/scim+json' };
    const c = ok(
      await t.req({
        method: 'POST',
        url: '/scim/v2/Users',
        key: acme.keys.editor,
        headers: scim,
        payload: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'scim1',
          password: 'long enough pw',
        },
      }),
      'create',
    );
    const id = Number(c.json().id);
    ok(
      await t.req({
        method: 'PATCH',
        url: `/scim/v2/Users/${id}`,
        key: acme.keys.owner,
        headers: scim,
        payload: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'title', value: 'T' }],
        },
      }),
      'patch',
    );
    ok(await t.req({ method: 'DELETE', url: `/scim/v2/Users/${id}`, key: acme.keys.admin }), 'delete');
    expect(await trail(id)).toEqual([
      ['user.delete', mid.admin],
      ['user.update', mid.owner],
      ['user.create', mid.editor],
    ]);
  });

  it('/rest/users: self-service writes name the user as the actor', async () => {
    const tenant = { 'x-roster-tenant': 'acme' };
    ok(
      await t.req({
        method: 'POST',
        url: '/rest/users',
        key: null,
        headers: tenant,
        payload: { username: 'rest1', email: 'rest1@x.io', password: 'long enough pw' },
      }),
      'sign-up',
    );
    const id = await idOf('rest1');
    const basic = `Basic ${Buffer.from('rest1:long enough pw').toString('base64')}`;
    ok(
      await t.req({
        method: 'PUT',
        url: '/rest/users/rest1',
        key: null,
        headers: { ...tenant, authorization: basic },
        payload: { email: 'rest1b@x.io' },
      }),
      'self update',
    );
    ok(
      await t.req({
        method: 'PUT',
        url: '/rest/users/rest1',
        key: acme.keys.editor,
        headers: tenant,
        payload: { email: 'rest1c@x.io' },
      }),
      'manager update',
    );
    const key = ok(
      await t.req({
        method: 'POST',
        url: '/rest/users/rest1/keys',
        key: null,
        headers: { ...tenant, authorization: basic },
        payload: { name: 'k' },
      }),
      'app key',
    );
    const events = await trail(id);
    expect(events.filter(([a]) => a.startsWith('user.'))).toEqual([
      ['user.update', mid.editor],
      ['user.update', `user:${id}`],
      ['user.create', `user:${id}`],
    ]);
    expect(events.some(([a, actor]) => a.startsWith('app_key.') && actor === `user:${id}`)).toBe(true);
    const all = JSON.stringify(
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?limit=1000` }).then((r) => r.json()),
    );
    expect(all).not.toContain('long enough pw');
    const issued: string[] = [];
    const walk = (v: unknown, name = ''): void => {
      if (typeof v === 'string' && /key|secret/i.test(name) && v.length >= 16) issued.push(v);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(key.json());
    expect(issued.length).toBeGreaterThan(0);
    for (const secret of issued) expect(all).not.toContain(secret);
  });

  it('imports', async () => {
    const r = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/imports`,
      key: acme.keys.owner,
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ username: 'imp1', email: 'imp1@x.io', password: 'long enough pw' })}\n`,
    });
    expect(r.statusCode, r.body).toBe(202);
    let id: number | null = null;
    for (let i = 0; i < 500 && id === null; i++) {
      const items = (
        await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?username=imp1` })
      ).json().items as { id: number }[];
      if (items.length) id = items[0].id;
      else await new Promise((res) => setTimeout(res, 10));
    }
    expect(id).not.toBeNull();
    expect(await trail(id!)).toEqual([['user.create', mid.owner]]);
  });
});
