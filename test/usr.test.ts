import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { allowShortPasswords, newUser, USR_KEYS, usrError, usrReq, type UsrUser } from './support/usr.ts';

// The API's documented example bodies, byte for byte but for the account id (its 1 is our tenant's id).
const SEED_ADD =
  '{ "contactName":"John Doe", "emailAddress":"jhn.doe@example.com", "defaultAccountId":1, "username":"test", "password":"test" }';
const SEED_MODIFY =
  '{ "contactName":"John Doe modified", "emailAddress":"john.doe@example.com", "defaultAccountId":1, "username":"test", "password":"test", "active":"0" }';
const withAccount = (body: string, id: number) => body.replace('"defaultAccountId":1', `"defaultAccountId":${id}`);

describe.each(backends())('/usr dialect: seed examples, listing, bodies ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let seedTenant: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    seedTenant = await makeTenant(t, 'Seed', 'seed');
    // The documented example password is "test" (4 characters); the core default minimum is 8, so this
    // tenant opts into the shorter minimum through its passwordMinLength setting.
    await allowShortPasswords(t, seedTenant.tenantId);
  });
  afterAll(() => t.close());

  const key = () => seedTenant.keys.admin;
  const adminUser = async (tenantId: number, id: number) =>
    t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users/${id}` });
  const add = async (body: Record<string, unknown>, k = acme.keys.editor) => {
    const r = await usrReq(t, 'POST', '/usr/new', k, body);
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as UsrUser;
  };

  it('replays every documented example', async () => {
    const id = seedTenant.tenantId;
    // addUser: POST /usr/new, Content-Type: text/javascript
    const c = await usrReq(t, 'POST', '/usr/new', key(), withAccount(SEED_ADD, id));
    expect(c.statusCode, c.body).toBe(201);
    expect(c.headers['content-type']).toMatch(/^application\/json/);
    const created = c.json() as UsrUser;
    expect(Object.keys(created).sort()).toEqual(USR_KEYS);
    expect(created).toEqual({
      userId: created.userId,
      contactName: 'John Doe',
      emailAddress: 'jhn.doe@example.com',
      defaultAccountId: id,
      username: 'test',
      active: 1,
    });
    expect(Number.isInteger(created.userId)).toBe(true);
    expect(c.headers.location).toBe(`/usr/${created.userId}`);
    expect(c.body).not.toContain('password');

    // getUserListByAccountId: GET /usr/acc/{accountId}, and the documented /pub/usr/acc/{accountId}
    for (const path of [`/usr/acc/${id}`, `/pub/usr/acc/${id}`]) {
      const l = await usrReq(t, 'GET', path, key());
      expect(l.statusCode, l.body).toBe(200);
      expect(l.json()).toEqual([created]);
    }

    // getUser: GET /usr/{userId}
    const g = await usrReq(t, 'GET', `/usr/${created.userId}`, key());
    expect(g.statusCode).toBe(200);
    expect(g.json()).toEqual(created);

    // modifyUser: POST /usr/{userId}, "active":"0" as a string
    const m = await usrReq(t, 'POST', `/usr/${created.userId}`, key(), withAccount(SEED_MODIFY, id));
    expect(m.statusCode, m.body).toBe(200);
    const modified = {
      userId: created.userId,
      contactName: 'John Doe modified',
      emailAddress: 'john.doe@example.com',
      defaultAccountId: id,
      username: 'test',
      active: 0,
    };
    expect(m.json()).toEqual(modified);
    expect((await usrReq(t, 'GET', `/usr/${created.userId}`, key())).json()).toEqual(modified);

    // deleteUser: DELETE /usr/{userId}
    const d = await usrReq(t, 'DELETE', `/usr/${created.userId}`, key());
    expect(d.statusCode).toBe(204);
    expect(d.body).toBe('');
    usrError(await usrReq(t, 'GET', `/usr/${created.userId}`, key()), 404, 'user.not_found');
    expect((await usrReq(t, 'GET', `/usr/acc/${id}`, key())).json()).toEqual([]);
  });

  it('reads back a user it created through the management API with the same data', async () => {
    const u = await add(
      newUser(acme.tenantId, {
        contactName: 'Ann Lee',
        emailAddress: 'Ann.Lee@Example.com',
        username: 'ann.lee',
        active: 0,
      }),
    );
    const r = await adminUser(acme.tenantId, u.userId);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      id: u.userId,
      tenantId: acme.tenantId,
      displayName: 'Ann Lee',
      email: 'Ann.Lee@Example.com',
      username: 'ann.lee',
      active: false,
      hasPassword: true,
    });

    // And the other way round: a management change shows here.
    await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${acme.tenantId}/users/${u.userId}`,
      payload: { displayName: 'Ann B. Lee', active: true },
    });
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer)).json()).toEqual({
      ...u,
      contactName: 'Ann B. Lee',
      active: 1,
    });
  });

  it('lists an account under both paths, ordered by userId, with limit and offset', async () => {
    const tenant = await makeTenant(t, 'Lister', 'lister');
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await add(newUser(tenant.tenantId), tenant.keys.editor)).userId);
    // A user created elsewhere (no contactName, email or password) lists with nulls.
    const bare = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.tenantId}/users`,
      payload: { username: 'bare' },
    });
    ids.push(bare.json().id);
    const sorted = [...ids].sort((a, b) => a - b);

    for (const base of [`/usr/acc/${tenant.tenantId}`, `/pub/usr/acc/${tenant.tenantId}`]) {
      const all = await usrReq(t, 'GET', base, tenant.keys.viewer);
      expect(all.statusCode).toBe(200);
      expect(all.headers['x-total-count']).toBe('6');
      const list = all.json() as UsrUser[];
      expect(list.map((u) => u.userId)).toEqual(sorted);
      for (const u of list) expect(Object.keys(u).sort()).toEqual(USR_KEYS);
      expect(list.find((u) => u.username === 'bare')).toEqual({
        userId: bare.json().id,
        contactName: null,
        emailAddress: null,
        defaultAccountId: tenant.tenantId,
        username: 'bare',
        active: 1,
      });

      const page = await usrReq(t, 'GET', `${base}?limit=2&offset=3`, tenant.keys.viewer);
      expect((page.json() as UsrUser[]).map((u) => u.userId)).toEqual(sorted.slice(3, 5));
      expect(page.headers['x-total-count']).toBe('6');
      expect((await usrReq(t, 'GET', `${base}?offset=10`, tenant.keys.viewer)).json()).toEqual([]);

      expect(usrError(await usrReq(t, 'GET', `${base}?limit=0`, tenant.keys.viewer), 400)).toMatch(/limit/);
      expect(usrError(await usrReq(t, 'GET', `${base}?offset=-1`, tenant.keys.viewer), 400)).toMatch(/offset/);
      expect(usrError(await usrReq(t, 'GET', `${base}?limit=1001`, tenant.keys.viewer), 400)).toMatch(/limit/);
    }
    expect(usrError(await usrReq(t, 'GET', '/usr/acc/abc', tenant.keys.viewer), 400)).toMatch(/accountId/);
    // Root reaches every account; an account that does not exist is a 404 (also for root).
    expect((await t.req({ method: 'GET', url: `/usr/acc/${tenant.tenantId}` })).json()).toHaveLength(6);
    usrError(await t.req({ method: 'GET', url: '/usr/acc/999999' }), 404, 'tenant.not_found');
    usrError(await t.req({ method: 'GET', url: '/pub/usr/acc/999999' }), 404, 'tenant.not_found');
  });

  it('adds with POST and PUT, and modifies with POST and PUT (only the fields sent change)', async () => {
    const viaPost = await add(newUser(acme.tenantId, { username: 'via-post' }));
    const put = await usrReq(t, 'PUT', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { username: 'via-put' }));
    expect(put.statusCode, put.body).toBe(201);
    const viaPut = put.json() as UsrUser;
    expect(viaPut).toMatchObject({ username: 'via-put', defaultAccountId: acme.tenantId, active: 1 });
    expect(viaPut.userId).not.toBe(viaPost.userId);

    const p1 = await usrReq(t, 'POST', `/usr/${viaPost.userId}`, acme.keys.editor, { contactName: 'Renamed' });
    expect(p1.statusCode, p1.body).toBe(200);
    expect(p1.json()).toEqual({ ...viaPost, contactName: 'Renamed' });
    const p2 = await usrReq(t, 'PUT', `/usr/${viaPut.userId}`, acme.keys.editor, {
      emailAddress: 'put-changed@example.com',
      active: 0,
    });
    expect(p2.statusCode, p2.body).toBe(200);
    expect(p2.json()).toEqual({ ...viaPut, emailAddress: 'put-changed@example.com', active: 0 });

    // null means "not sent" (the API's modify default); an empty body changes nothing.
    const n = await usrReq(t, 'PUT', `/usr/${viaPut.userId}`, acme.keys.editor, {
      contactName: null,
      emailAddress: null,
      username: null,
      password: null,
      active: null,
      defaultAccountId: null,
    });
    expect(n.json()).toEqual({ ...viaPut, emailAddress: 'put-changed@example.com', active: 0 });
    expect((await usrReq(t, 'POST', `/usr/${viaPut.userId}`, acme.keys.editor, '')).json()).toEqual(n.json());
    // An empty contactName clears the name; an empty emailAddress is not an email address.
    const cleared = await usrReq(t, 'POST', `/usr/${viaPut.userId}`, acme.keys.editor, { contactName: '' });
    expect(cleared.json().contactName).toBeNull();
    expect(
      usrError(
        await usrReq(t, 'POST', `/usr/${viaPut.userId}`, acme.keys.editor, { emailAddress: '' }),
        400,
        'user.invalid_email',
      ),
    ).toMatch(/^emailAddress/);
    // A user read can be sent back as it is (userId is read-only and ignored).
    const back = await usrReq(t, 'POST', `/usr/${viaPost.userId}`, acme.keys.editor, {
      ...(p1.json() as UsrUser),
      userId: 123456,
    });
    expect(back.json()).toEqual(p1.json());

    // A new password is stored (checked through a password login would need another dialect; hasPassword stays set).
    const pw = await usrReq(t, 'POST', `/usr/${viaPost.userId}`, acme.keys.editor, {
      password: 'another long password',
    });
    expect(pw.statusCode).toBe(200);
    expect(pw.body).not.toContain('another long password');
    usrError(await usrReq(t, 'POST', '/usr/999999', acme.keys.editor, { contactName: 'x' }), 404, 'user.not_found');
  });

  it('reads JSON under text/javascript, application/json and no content type, and refuses other types', async () => {
    for (const type of [
      'text/javascript',
      'application/json',
      'application/json; charset=utf-8',
      'text/javascript;charset=UTF-8',
      '',
    ]) {
      const r = await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId), type);
      expect(r.statusCode, `${type}: ${r.body}`).toBe(201);
    }
    const before = (await t.req({ method: 'GET', url: `/usr/acc/${acme.tenantId}` })).json().length;
    const plain = await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId), 'text/plain');
    expect(usrError(plain, 415, 'usr.unsupported_media_type')).toMatch(/text\/javascript/);
    expect(
      usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.editor, '{"contactName":', 'text/javascript'), 400),
    ).toMatch(/JSON/);
    expect(usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.editor, '[1,2]'), 400)).toMatch(/body/);
    expect((await t.req({ method: 'GET', url: `/usr/acc/${acme.tenantId}` })).json()).toHaveLength(before);
  });

  it('names every missing required field in one 400, and creates nothing', async () => {
    const before = (await t.req({ method: 'GET', url: `/usr/acc/${acme.tenantId}` })).json().length;
    const all = usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.editor, {}), 400, 'usr.missing_fields');
    for (const f of ['contactName', 'emailAddress', 'defaultAccountId', 'username', 'password'])
      expect(all).toContain(f);
    expect(usrError(await usrReq(t, 'PUT', '/usr/new', acme.keys.editor), 400, 'usr.missing_fields')).toContain(
      'password',
    );

    const some = usrError(
      await usrReq(t, 'POST', '/usr/new', acme.keys.editor, {
        contactName: 'A',
        emailAddress: '  ',
        defaultAccountId: acme.tenantId,
        username: 'some',
        password: null,
      }),
      400,
      'usr.missing_fields',
    );
    expect(some).toBe('missing required fields: emailAddress, password');
    const one = usrError(
      await usrReq(t, 'POST', '/usr/new', acme.keys.editor, { ...newUser(acme.tenantId), username: undefined }),
      400,
    );
    expect(one).toBe('missing required field: username');
    expect((await t.req({ method: 'GET', url: `/usr/acc/${acme.tenantId}` })).json()).toHaveLength(before);
  });

  it("names the field at fault for wrong types and values, in the API's words", async () => {
    expect(
      usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { contactName: 5 })), 400),
    ).toMatch(/contactName/);
    expect(
      usrError(
        await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { emailAddress: 'not-an-email' })),
        400,
        'user.invalid_email',
      ),
    ).toMatch(/^emailAddress /);
    expect(
      usrError(
        await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { defaultAccountId: 'one' })),
        400,
      ),
    ).toMatch(/defaultAccountId/);
    expect(
      usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { nickname: 'x' })), 400),
    ).toMatch(/nickname/);
    expect(usrError(await usrReq(t, 'GET', '/usr/abc', acme.keys.editor), 400)).toMatch(/userId/);
    usrError(await usrReq(t, 'GET', `/usr/${Number.MAX_SAFE_INTEGER}`, acme.keys.editor), 404, 'user.not_found');
    expect(usrError(await usrReq(t, 'GET', '/usr/9007199254740993', acme.keys.editor), 400)).toMatch(/userId/);
    expect(usrError(await usrReq(t, 'GET', '/usr/0', acme.keys.editor), 400)).toMatch(/userId/);
    // A digit string is an account id too (legacy clients quote numbers, as they quote "active").
    const s = await usrReq(
      t,
      'POST',
      '/usr/new',
      acme.keys.editor,
      newUser(acme.tenantId, { defaultAccountId: String(acme.tenantId) }),
    );
    expect(s.statusCode, s.body).toBe(201);
    expect(s.json().defaultAccountId).toBe(acme.tenantId);
  });

  it('coerces active from 0/1, "0"/"1" and true/false, and refuses anything else', async () => {
    for (const [v, want] of [
      [0, 0],
      ['0', 0],
      [false, 0],
      [1, 1],
      ['1', 1],
      [true, 1],
    ] as const) {
      const u = await add(newUser(acme.tenantId, { active: v }));
      expect(u.active, `add active=${JSON.stringify(v)}`).toBe(want);
      const flipped = await usrReq(t, 'POST', `/usr/${u.userId}`, acme.keys.editor, {
        active: typeof v === 'boolean' ? !v : typeof v === 'number' ? 1 - v : v === '0' ? '1' : '0',
      });
      expect(flipped.json().active, `modify from ${JSON.stringify(v)}`).toBe(1 - want);
      const admin = (await adminUser(acme.tenantId, u.userId)).json();
      expect(admin.active).toBe(want === 0);
    }
    const u = await add(newUser(acme.tenantId));
    for (const bad of [2, -1, 'yes', 'true', '', 0.5]) {
      expect(
        usrError(
          await usrReq(t, 'POST', `/usr/${u.userId}`, acme.keys.editor, { active: bad, contactName: 'changed' }),
          400,
        ),
        JSON.stringify(bad),
      ).toMatch(/active/);
      expect(
        usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { active: bad })), 400),
      ).toMatch(/active/);
    }
    expect(usrError(await usrReq(t, 'POST', `/usr/${u.userId}`, acme.keys.editor, { active: [1] }), 400)).toMatch(
      /active/,
    );
    // Rejected modifies changed nothing.
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer)).json()).toEqual(u);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await t.req({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of ['/usr/acc/{accountId}', '/pub/usr/acc/{accountId}', '/usr/new', '/usr/{userId}'])
      expect(doc.paths, path).toHaveProperty([path]);
    expect(Object.keys(doc.paths['/usr/new']).sort()).toEqual(['post', 'put']);
    expect(Object.keys(doc.paths['/usr/{userId}']).sort()).toEqual(['delete', 'get', 'post', 'put']);
  });
});
