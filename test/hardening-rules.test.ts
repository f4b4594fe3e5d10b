import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { redactUrl } from '../src/http/app.ts';

/** Names, exports, SCIM Bulk, headers, empty bodies, paging and ids: the rules a black-box probe found broken. */
describe.each(backends())('hardening rules ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let users: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    users = `/admin/v1/tenants/${acme.tenantId}/users`;
  });
  afterAll(() => t.close());

  const acmeHeader = { 'x-roster-tenant': 'acme' };
  const signUp = (username: string, email = `${Math.random().toString(36).slice(2)}@x.test`) =>
    t.req({
      method: 'POST',
      url: '/rest/users',
      key: null,
      headers: { 'x-roster-tenant': 'acme' },
      payload: { username, email, password: 'long enough pw' },
    });
  const create = (payload: Record<string, unknown>) => t.req({ method: 'POST', url: users, payload });

  it('escapes spreadsheet formulas in CSV exports, and an import of the export reads the values back', async () => {
    const evil = ['=1+1', '=HYPERLINK("evil.test")', '+cmd|calc!A0', '@SUM(1)', '-2+3', "'=quoted"];
    for (const [i, u] of evil.entries()) {
      const r = await signUp(u, `f${i}@x.test`);
      expect(r.statusCode, `${u}: ${r.body}`).toBe(201);
    }
    const csv = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/export?format=csv` })).body;
    for (const u of evil) {
      expect(csv).not.toMatch(new RegExp(`(^|,)"?${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      expect(csv).toContain(`'${u.replace(/"/g, '""')}`);
    }
    const other = await makeTenant(t, 'Other', 'other');
    const imp = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${other.tenantId}/imports?mode=create`,
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imp.statusCode, imp.body).toBeLessThan(300);
    let job = imp.json();
    for (let i = 0; i < 200 && !['done', 'failed'].includes(job.state); i++) {
      await new Promise((r) => setTimeout(r, 25));
      job = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${other.tenantId}/imports/${job.id}` })).json();
    }
    for (const u of evil) {
      const r = await t.req({
        method: 'GET',
        url: `/admin/v1/tenants/${other.tenantId}/users?username=${encodeURIComponent(u)}`,
      });
      expect(
        r.json().items.map((x: { username: string }) => x.username),
        `${u}: ${JSON.stringify(job)}`,
      ).toEqual([u]);
    }
  });

  it('normalises usernames (NFC, trimmed) so one name is one user, and refuses invisible characters', async () => {
    const nfc = 'm\u00fcller';
    const nfd = 'mu\u0308ller';
    const a = await create({ username: nfc });
    expect(a.statusCode, a.body).toBe(201);
    const b = await create({ username: nfd });
    expect(b.statusCode, b.body).toBe(409);
    const c = await signUp(`  ${nfd}  `);
    expect(c.statusCode, c.body).toBe(409);
    const d = await create({ username: '  padded  ', email: ' padded@x.test ' });
    expect(d.statusCode, d.body).toBe(201);
    expect(d.json()).toMatchObject({ username: 'padded', email: 'padded@x.test' });
    // found by either spelling
    const found = await t.req({ method: 'GET', url: `/rest/users/${encodeURIComponent(nfd)}`, headers: acmeHeader });
    expect(found.statusCode, found.body).toBe(200);
    for (const bad of ['zero\u200bwidth', 'bidi\u202eevil', 'join\u200dme', 'tab\tbed', 'line\u2028sep', 'a:b', ' ']) {
      for (const r of [await create({ username: bad }), await signUp(bad)]) {
        expect(r.statusCode, `${JSON.stringify(bad)}: ${r.body}`).toBe(400);
        expect(r.body).toMatch(/username/);
      }
    }
  });

  it('one username and email rule for every dialect: the management API refuses what sign-up refuses', async () => {
    const cases: Record<string, unknown>[] = [
      { username: 'a:b' },
      { username: 'a\tb' },
      { username: 'ok1', email: `${'x'.repeat(300)}@example.com` },
      { username: 'ok2', email: 'x@[127.0.0.1]' },
      { username: 'ok3', email: 'x\u200b@example.com' },
    ];
    for (const c of cases) {
      const field = 'email' in c ? 'email' : 'username';
      const routes = [
        await create(c),
        await signUp(c.username as string, (c.email as string) ?? 'fine@x.test'),
        await t.req({
          method: 'POST',
          url: '/scim/v2/Users',
          headers: { authorization: `Bearer ${acme.keys.owner}`, 'content-type': 'application/scim+json' },
          payload: {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: c.email ? `bad:${c.username}` : c.username,
          },
        }),
        await t.req({
          method: 'POST',
          url: '/api/v1/account/accounts',
          headers: { admin_api_key: acme.keys.owner },
          payload: c,
        }),
      ];
      for (const [i, r] of routes.entries()) {
        expect(r.statusCode, `${JSON.stringify(c)}: ${r.body}`).toBe(400);
        expect(r.body.toLowerCase()).toContain(i === 2 ? 'username' : field);
      }
    }
  });

  it('refuses a SCIM Bulk request that repeats a bulkId, and runs none of it', async () => {
    const before = (await t.req({ method: 'GET', url: `${users}?limit=1&total=exact` })).json().total;
    const r = await t.req({
      method: 'POST',
      url: '/scim/v2/Bulk',
      headers: { authorization: `Bearer ${acme.keys.owner}`, 'content-type': 'application/scim+json' },
      payload: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'bulk-1' } },
          { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'bulk-2' } },
        ],
      },
    });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().detail).toMatch(/bulkId "u"/);
    expect((await t.req({ method: 'GET', url: `${users}?limit=1&total=exact` })).json().total).toBe(before);
  });

  it('redacts key-shaped values wherever a logged URL holds them', () => {
    const key = `rk_${'A'.repeat(43)}`;
    expect(redactUrl(`/rest/users/${key}?x=${key}&y=rak_${'b'.repeat(43)}`)).toBe(
      '/rest/users/[redacted]?x=[redacted]&y=[redacted]',
    );
    expect(redactUrl(`/a?x=rk_root_${'c'.repeat(43)}`)).toBe('/a?x=[redacted]');
    expect(redactUrl('/a?x=rk_short')).toBe('/a?x=rk_short');
  });

  it('sends nosniff on every response and no-store on responses carrying a new secret', async () => {
    for (const url of ['/health', users, '/nope', '/scim/v2/Users', '/rest/users/nobody', '/admin/v1/%E0%A4%A'])
      expect((await t.req({ method: 'GET', url })).headers['x-content-type-options'], url).toBe('nosniff');
    const m = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      payload: { name: 'Secretive', email: 'secretive@x.test', role: 'viewer' },
    });
    expect(m.statusCode).toBe(201);
    expect(m.headers['cache-control']).toBe('no-store');
    const rot = await t.req({ method: 'POST', url: `/admin/v1/managers/${m.json().id}/key` });
    expect(rot.statusCode, rot.body).toBe(200);
    expect(rot.headers['cache-control']).toBe('no-store');
    expect((await signUp('keyholder', 'keyholder@x.test')).statusCode).toBe(201);
    const k = await t.req({
      method: 'POST',
      url: '/rest/users/keyholder/keys',
      headers: acmeHeader,
      payload: { name: 'k' },
    });
    expect(k.statusCode, k.body).toBe(201);
    expect(k.headers['cache-control']).toBe('no-store');
    expect((await t.req({ method: 'GET', url: users })).headers['cache-control']).toBeUndefined();
  });

  it('accepts a DELETE or key rotation sent as application/json with no body, on every dialect', async () => {
    const json = { 'content-type': 'application/json' };
    const m = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      payload: { name: 'Rotated', email: 'rotated@x.test', role: 'viewer' },
    });
    const rot = await t.req({ method: 'POST', url: `/admin/v1/managers/${m.json().id}/key`, headers: json });
    expect(rot.statusCode, rot.body).toBe(200);
    const del = await t.req({ method: 'DELETE', url: `/admin/v1/managers/${m.json().id}`, headers: json });
    expect(del.statusCode, del.body).toBe(204);
    const u = (await create({ username: 'doomed' })).json();
    expect((await t.req({ method: 'DELETE', url: `${users}/${u.id}`, headers: json })).statusCode).toBe(204);
    const s = (await create({ username: 'doomed-scim' })).json();
    const scimDel = await t.req({
      method: 'DELETE',
      url: `/scim/v2/Users/${s.id}`,
      headers: { authorization: `Bearer ${acme.keys.owner}`, 'content-type': 'application/scim+json' },
    });
    expect(scimDel.statusCode, scimDel.body).toBe(204);
    expect((await signUp('keyed', 'keyed@x.test')).statusCode).toBe(201);
    const key = (
      await t.req({ method: 'POST', url: '/rest/users/keyed/keys', headers: acmeHeader, payload: { name: 'k' } })
    ).json();
    const keyDel = await t.req({
      method: 'DELETE',
      url: `/rest/users/keyed/keys/${key.content.id}`,
      headers: { ...json, ...acmeHeader },
    });
    expect(keyDel.statusCode, keyDel.body).toBeLessThan(300);
  });

  it('a PATCH that changes nothing writes no audit event', async () => {
    const u = (await create({ username: 'steady', firstName: 'S' })).json();
    const audit = `/admin/v1/tenants/${acme.tenantId}/audit?target=user:${u.id}`;
    const before = (await t.req({ method: 'GET', url: audit })).json().items.length;
    expect((await t.req({ method: 'PATCH', url: `${users}/${u.id}`, payload: { firstName: 'S' } })).statusCode).toBe(
      200,
    );
    const tenant = `/admin/v1/tenants/${acme.tenantId}`;
    const t0 = (await t.req({ method: 'GET', url: tenant })).json();
    expect((await t.req({ method: 'PATCH', url: tenant, payload: { name: t0.name } })).statusCode).toBe(200);
    expect((await t.req({ method: 'GET', url: audit })).json().items.length).toBe(before);
    const tenantAudit = `/admin/v1/tenants/${acme.tenantId}/audit?action=tenant.update`;
    expect((await t.req({ method: 'GET', url: tenantAudit })).json().items).toEqual([]);
    expect((await t.req({ method: 'PATCH', url: `${users}/${u.id}`, payload: { firstName: 'T' } })).statusCode).toBe(
      200,
    );
    expect((await t.req({ method: 'GET', url: audit })).json().items.length).toBe(before + 1);
  });

  it('tenant and manager lists take cursor= like user lists, and ids are read only in their one spelling', async () => {
    for (let i = 0; i < 3; i++) await makeTenant(t, `Paged ${i}`, `paged-${i}`);
    const all = (await t.req({ method: 'GET', url: '/admin/v1/tenants?limit=1000' }))
      .json()
      .items.map((x: { id: number }) => x.id);
    const seen: number[] = [];
    let url = '/admin/v1/tenants?limit=2';
    for (;;) {
      const page = (await t.req({ method: 'GET', url })).json();
      seen.push(...page.items.map((x: { id: number }) => x.id));
      if (!page.nextCursor) break;
      url = `/admin/v1/tenants?limit=2&cursor=${page.nextCursor}`;
    }
    expect(seen).toEqual(all);
    const managers = `/admin/v1/tenants/${acme.tenantId}/managers`;
    const first = (await t.req({ method: 'GET', url: `${managers}?limit=1` })).json();
    const second = (await t.req({ method: 'GET', url: `${managers}?limit=1&cursor=${first.nextCursor}` })).json();
    expect(second.items[0].id).toBeGreaterThan(first.items[0].id);
    expect((await t.req({ method: 'GET', url: `${managers}?cursor=x` })).statusCode).toBe(400);

    const id = acme.tenantId;
    expect((await t.req({ method: 'GET', url: `/admin/v1/tenants/${id}` })).statusCode).toBe(200);
    for (const spelled of [`0x${id.toString(16)}`, `+${id}`, `${id}.0`, `${id}%20`, `0${id}`, `${id}e0`]) {
      const r = await t.req({ method: 'GET', url: `/admin/v1/tenants/${spelled}` });
      expect(r.statusCode, `${spelled}: ${r.body}`).toBe(404);
      const u = await t.req({ method: 'GET', url: `/admin/v1/tenants/${id}/users/${spelled}` });
      expect(u.statusCode, `user ${spelled}: ${u.body}`).toBe(404);
    }
  });
});
