import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

/** The management rules as managers meet them: with their own API keys, not the root key or a console session. */
describe.each(backends())('management rules through manager keys ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let ids: Record<string, number>;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    const list = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers` });
    ids = Object.fromEntries(list.json().items.map((m: { role: string; id: number }) => [m.role, m.id]));
  });
  afterAll(() => t.close());

  const auditOf = async (tenantId = acme.tenantId) =>
    (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/audit?limit=1000` })).json().items as {
      action: string;
      target: string;
      changes: Record<string, unknown>;
    }[];

  it('refuses (409) to demote or delete the last owner, with its own key or another owner’s, and changes nothing', async () => {
    const owner = acme.keys.owner;
    const me = `/admin/v1/managers/${ids.owner}`;
    const before = (await auditOf()).length;

    const demote = await t.req({ method: 'PATCH', url: me, key: owner, payload: { role: 'admin' } });
    expect(demote.statusCode, demote.body).toBe(409);
    expect(demote.json().error).toMatchObject({ code: 'manager.last_owner', field: 'role' });
    const del = await t.req({ method: 'DELETE', url: me, key: owner });
    expect(del.statusCode, del.body).toBe(409);
    expect(del.json().error.code).toBe('manager.last_owner');
    // Nothing changed: still owner, the key still works with the owner's privileges, no audit event.
    expect((await t.req({ method: 'GET', url: me, key: owner })).json().role).toBe('owner');
    expect((await auditOf()).length).toBe(before);

    // With a second owner the first may step down; then the second is the last and is kept.
    const second = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      key: owner,
      payload: { name: 'Second', email: 'second@acme.test', role: 'owner' },
    });
    expect(second.statusCode, second.body).toBe(201);
    const secondId = second.json().id as number;
    const secondKey = second.json().apiKey as string;
    const stepDown = await t.req({ method: 'PATCH', url: me, key: owner, payload: { role: 'admin' } });
    expect(stepDown.statusCode, stepDown.body).toBe(200);
    expect(stepDown.json().role).toBe('admin');
    const secondUrl = `/admin/v1/managers/${secondId}`;
    for (const [method, payload] of [
      ['PATCH', { role: 'viewer' }],
      ['DELETE', undefined],
    ] as const) {
      const r = await t.req({ method, url: secondUrl, key: secondKey, ...(payload ? { payload } : {}) });
      expect(r.statusCode, `${method}: ${r.body}`).toBe(409);
      expect(r.json().error.code).toBe('manager.last_owner');
    }
    expect((await t.req({ method: 'GET', url: secondUrl, key: secondKey })).json().role).toBe('owner');
    const events = (await auditOf()).slice(0, (await auditOf()).length - before).map((e) => e.action);
    expect(events.sort()).toEqual(['manager.create', 'manager.update']);

    // Restore: the first is owner again (the second promotes it), so later tests see the fixture's roles.
    const back = await t.req({ method: 'PATCH', url: me, key: secondKey, payload: { role: 'owner' } });
    expect(back.statusCode, back.body).toBe(200);
    expect((await t.req({ method: 'DELETE', url: secondUrl, key: owner })).statusCode).toBe(204);
  });

  it('writes no audit event for a PATCH that changes nothing: users, managers, the tenant, webhooks', async () => {
    const base = `/admin/v1/tenants/${acme.tenantId}`;
    const user = await t.req({
      method: 'POST',
      url: `${base}/users`,
      key: acme.keys.editor,
      payload: { username: 'steady-key', firstName: 'S', attributes: { plan: 'gold' } },
    });
    expect(user.statusCode, user.body).toBe(201);
    const hook = await t.req({
      method: 'POST',
      url: `${base}/webhooks`,
      key: acme.keys.admin,
      payload: { url: 'https://hooks.example.com/steady', events: ['user.*'], description: 'steady' },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const tenant = (await t.req({ method: 'GET', url: base, key: acme.keys.owner })).json();
    const viewer = (
      await t.req({ method: 'GET', url: `/admin/v1/managers/${ids.viewer}`, key: acme.keys.owner })
    ).json();

    const unchanged: [string, string, object][] = [
      [acme.keys.editor, `${base}/users/${user.json().id}`, { firstName: 'S', attributes: { plan: 'gold' } }],
      [acme.keys.editor, `${base}/users/${user.json().id}`, {}],
      [acme.keys.owner, `/admin/v1/managers/${ids.viewer}`, { name: viewer.name, role: viewer.role }],
      [acme.keys.owner, base, { name: tenant.name }],
      [acme.keys.admin, `${base}/webhooks/${hook.json().id}`, { description: 'steady', events: ['user.*'] }],
    ];
    const before = await auditOf();
    for (const [key, url, payload] of unchanged) {
      const r = await t.req({ method: 'PATCH', url, key, payload });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
    }
    expect(await auditOf()).toEqual(before);

    // The same PATCHes with a change write exactly one event each, naming only what changed.
    const changed: [string, string, object, string][] = [
      [acme.keys.editor, `${base}/users/${user.json().id}`, { firstName: 'T' }, 'user.update'],
      [acme.keys.owner, `/admin/v1/managers/${ids.viewer}`, { name: 'Vera' }, 'manager.update'],
      [acme.keys.admin, `${base}/webhooks/${hook.json().id}`, { description: 'moved' }, 'webhook.update'],
    ];
    for (const [key, url, payload, action] of changed) {
      const r = await t.req({ method: 'PATCH', url, key, payload });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
      const after = await auditOf();
      expect(after.length, action).toBe(before.length + changed.findIndex((c) => c[3] === action) + 1);
      expect(after[0].action).toBe(action);
      expect(Object.keys(after[0].changes)).toEqual(Object.keys(payload));
    }
  });
});
