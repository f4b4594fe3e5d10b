import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../test/support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, type Fixture, type TestApp } from '../../test/support/harness.ts';
import { createRoster, RosterError, type ImportJob, type Roster } from '../src/index.ts';

/** The error a call throws (the test fails when it does not throw one). */
async function thrown(p: Promise<unknown>): Promise<RosterError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RosterError) return e;
    throw e;
  }
  throw new Error('the call did not fail');
}

describe.each(backends())('@roster/client against a running Roster ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let baseUrl: string;
  let root: Roster;
  let editor: Roster;

  beforeAll(async () => {
    t = await startTestApp(backend);
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    acme = await makeTenant(t, 'Acme', 'acme');
    root = createRoster({ baseUrl, apiKey: ROOT_KEY });
    editor = createRoster({ baseUrl, apiKey: acme.keys.editor });
  });
  afterAll(() => t.close());

  it('creates, reads, updates, replaces and deletes a user', async () => {
    const ada = await editor.users.create(acme.tenantId, {
      username: 'ada',
      email: 'ada@example.com',
      firstName: 'Ada',
      attributes: { plan: 'gold' },
    });
    expect(ada).toMatchObject({ tenantId: acme.tenantId, username: 'ada', firstName: 'Ada', hasPassword: false });
    expect(await editor.users.get(acme.tenantId, ada.id)).toEqual(ada);

    const changed = await editor.users.update(acme.tenantId, ada.id, { lastName: 'Lovelace' });
    expect(changed).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', attributes: { plan: 'gold' } });

    const replaced = await editor.users.replace(acme.tenantId, ada.id, { username: 'ada', email: 'ada@example.com' });
    expect(replaced).toMatchObject({ firstName: null, lastName: null, attributes: {} });

    const admin = createRoster({ baseUrl, apiKey: acme.keys.admin });
    await admin.users.delete(acme.tenantId, ada.id);
    const gone = await thrown(admin.users.get(acme.tenantId, ada.id));
    expect(gone).toMatchObject({ status: 404, code: 'user.not_found' });
  });

  it("throws RosterError carrying the API's error code", async () => {
    await editor.users.create(acme.tenantId, { username: 'grace', email: 'grace@example.com' });
    const taken = await thrown(editor.users.create(acme.tenantId, { username: 'Grace' }));
    expect(taken).toBeInstanceOf(RosterError);
    expect(taken.status).toBe(409);
    expect(taken.code).toBe('user.username_taken');
    expect(taken.message).toMatch(/username/);

    const viewer = createRoster({ baseUrl, apiKey: acme.keys.viewer });
    expect(await thrown(viewer.users.create(acme.tenantId, { username: 'x' }))).toMatchObject({ status: 403 });
    const nobody = createRoster({ baseUrl, apiKey: 'not-a-key-of-this-roster' });
    expect(await thrown(nobody.tenants.get(acme.tenantId))).toMatchObject({ status: 401 });
  });

  it('pages through 2,500 users with the iterator, filters and q included', async () => {
    const tenant = await root.tenants.create({ name: 'Big', licenseCode: 'big' });
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({
        username: `user${String(i).padStart(4, '0')}`,
        email: `user${i}@big.example`,
        lastName: i % 10 === 0 ? 'Tenth' : 'Other',
        attributes: { plan: i % 2 ? 'free' : 'gold' },
      }),
    );
    let job: ImportJob = await root.imports.start({
      tenant: tenant.id,
      file: lines.join('\n') + '\n',
      format: 'ndjson',
    });
    while (job.state === 'queued' || job.state === 'running') {
      await sleep(50);
      job = await root.imports.get(tenant.id, job.id);
    }
    expect(job).toMatchObject({ state: 'done', counts: { rows: 2500, created: 2500, failed: 0 } });

    const ids: number[] = [];
    for await (const u of root.users.list({ tenant: tenant.id })) ids.push(u.id);
    expect(ids).toHaveLength(2500);
    expect(new Set(ids).size).toBe(2500);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const names: string[] = [];
    for await (const u of root.users.list({ tenant: tenant.id, q: 'tenth', sort: '-username', limit: 7 }))
      names.push(u.username!);
    expect(names).toHaveLength(250);
    expect(names[0]).toBe('user2490');

    let gold = 0;
    for await (const u of root.users.list({ tenant: tenant.id, filters: { 'attr.plan': 'gold', lastName: 'Tenth' } })) {
      expect(u.attributes).toEqual({ plan: 'gold' });
      gold++;
    }
    expect(gold).toBe(250);

    const first = await root.users.page({ tenant: tenant.id, limit: 10, total: true });
    expect(first).toMatchObject({ total: 2500 });
    expect(first.items).toHaveLength(10);
    expect(first.nextCursor).toEqual(expect.any(String));
  });

  it('makes a SCIM call through the typed api', async () => {
    const { data, response } = await editor.api.POST('/scim/v2/Users', {
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'scim.ann', active: true },
    });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ id: expect.any(String), userName: 'scim.ann' });

    const again = await editor.api.POST('/scim/v2/Users', {
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'scim.ann' },
    });
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({ scimType: 'uniqueness', status: '409' });
    expect(new RosterError(409, again.error).code).toBe('uniqueness');

    const list = await editor.api.GET('/scim/v2/Users', { params: { query: { filter: 'userName eq "scim.ann"' } } });
    expect(list.data).toMatchObject({ totalResults: 1 });
  });

  it('signs in to the console with a session: cookie and CSRF token sent for you, until sign-out', async () => {
    const web = createRoster({ baseUrl });
    expect(await thrown(web.tenants.get(acme.tenantId))).toMatchObject({ status: 401 });
    const who = await web.session.signIn({ rootKey: ROOT_KEY });
    expect(who).toMatchObject({ kind: 'root', manager: null, csrfToken: expect.any(String) });
    expect(await web.session.get()).toMatchObject({ kind: 'root' });
    const made = await web.tenants.create({ name: 'By session', licenseCode: 'by-session' });
    expect(made.name).toBe('By session');
    await web.session.signOut();
    expect(await thrown(web.tenants.get(made.id))).toMatchObject({ status: 401 });
  });

  it('iterates tenants and managers by id cursor', async () => {
    const names: string[] = [];
    for await (const tn of root.tenants.list({ limit: 1 })) names.push(tn.name);
    expect(names).toEqual(expect.arrayContaining(['Acme', 'Big', 'By session']));
    const roles: string[] = [];
    for await (const m of root.managers.list(acme.tenantId, { limit: 3 })) roles.push(m.role);
    expect(roles.sort()).toEqual(['admin', 'editor', 'owner', 'viewer']);
  });
});
