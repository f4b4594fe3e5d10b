import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { ISO, PASSWORD, basic, expectFailure, expectSuccess, signUp } from './support/rest-users.ts';

describe.each(backends())('/rest/users accounts ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let defaultKeys: Fixture['keys'];
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    // Managers of the default tenant (id 1, licenseCode "default").
    defaultKeys = {} as Fixture['keys'];
    for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
      const m = await t.req({
        method: 'POST',
        url: '/admin/v1/tenants/1/managers',
        payload: { name: role, email: `${role}@default.test`, role },
      });
      defaultKeys[role] = m.json().apiKey;
    }
  });
  afterAll(() => t.close());

  const get = (username: string, authorization: string) =>
    t.req({ method: 'GET', url: `/rest/users/${encodeURIComponent(username)}`, key: null, headers: { authorization } });

  it('signs up with JSON: 201, the documented fields, never a password', async () => {
    const r = await t.req({
      method: 'POST',
      url: '/rest/users',
      key: null,
      payload: { username: 'alice', email: 'alice@example.com', password: PASSWORD },
    });
    const c = expectSuccess(r, 201);
    expect(Object.keys(c).sort()).toEqual([
      'allusage',
      'created',
      'email',
      'lastlogin',
      'role',
      'status',
      'type',
      'update',
      'username',
    ]);
    expect(c).toMatchObject({
      allusage: 0,
      email: 'alice@example.com',
      lastlogin: null,
      role: 'free',
      status: 'unverified',
      type: 'invoice',
      username: 'alice',
    });
    expect(c.created).toMatch(ISO);
    expect(c.update).toMatch(ISO);
    expect(r.body).not.toContain(PASSWORD);
    expect(r.body).not.toMatch(/argon|hash|password/i);
  });

  it('signs up with the documented form encoding, leading ?& included, on /rest/users/ too', async () => {
    const r = await t.req({
      method: 'POST',
      url: '/rest/users/',
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      payload: `?&username=form.user&email=form%2Buser@example.com&password=${encodeURIComponent(PASSWORD)}`,
    });
    expect(expectSuccess(r, 201)).toMatchObject({
      username: 'form.user',
      email: 'form+user@example.com',
      status: 'unverified',
    });
    // The password sent by form works for Basic.
    expect(expectSuccess(await get('form.user', basic('form.user', PASSWORD))).username).toBe('form.user');

    const plain = await t.req({
      method: 'POST',
      url: '/rest/users',
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=plain&email=plain@example.com&password=${encodeURIComponent(PASSWORD)}`,
    });
    expectSuccess(plain, 201);
  });

  it('answers 409 for a taken username or email (case-insensitive), changing nothing', async () => {
    await signUp(t, 'bob');
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users',
        key: null,
        payload: { username: 'BOB', email: 'other@example.com', password: PASSWORD },
      }),
      409,
      /username/,
    );
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users',
        key: null,
        payload: { username: 'bobby', email: 'Bob@Example.com', password: PASSWORD },
      }),
      409,
      /email/,
    );
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/bobby', key: defaultKeys.viewer }), 404);
  });

  it('rejects bad input with 400 (or 415) in the envelope and creates nothing', async () => {
    const post = (payload: unknown, headers: Record<string, string> = {}) =>
      t.req({ method: 'POST', url: '/rest/users', key: null, headers, payload: payload as string });
    expectFailure(await post({ username: 'x1', email: 'x1@example.com' }), 400, /password/);
    expectFailure(await post({ email: 'x1@example.com', password: PASSWORD }), 400, /username/);
    expectFailure(await post({ username: 'x1', email: 'not-an-email', password: PASSWORD }), 400, /email/);
    expectFailure(await post({ username: 'x1', email: 'x1@example.com', password: 'short' }), 400, /password/);
    expectFailure(
      await post({ username: 'x1', email: 'x1@example.com', password: PASSWORD, role: 'admin' }),
      400,
      /role/,
    );
    expectFailure(await post({ username: 'x:1', email: 'x1@example.com', password: PASSWORD }), 400, /username/);
    expectFailure(await post({ username: 'x\u00001', email: 'x1@example.com', password: PASSWORD }), 400, /username/);
    expectFailure(await post({ username: 'x1', email: 'x\u00001@example.com', password: PASSWORD }), 400, /email/);
    expectFailure(await post({ username: 5, email: 'x1@example.com', password: PASSWORD }), 400, /username/);
    expectFailure(await post('{"username": "x1",', { 'content-type': 'application/json' }), 400, /JSON/);
    expectFailure(await post('[1,2]', { 'content-type': 'application/json' }), 400);
    expectFailure(
      await post('username=x1&username=x2&email=x1@example.com&password=xxxxxxxxxx', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      400,
      /username/,
    );
    const plain = await post('username=x1', { 'content-type': 'text/plain' });
    expectFailure(plain, 415, /content type/);
    expect(plain.headers['www-authenticate']).toBeUndefined();
    expectFailure(await post('<user/>', { 'content-type': 'application/xml' }), 415);
    expectFailure(
      await post(`username=${'x'.repeat(70 * 1024)}`, { 'content-type': 'application/x-www-form-urlencoded' }),
      413,
    );
    expectFailure(await t.req({ method: 'POST', url: '/rest/users', key: null }), 400);
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/x1', key: defaultKeys.viewer }), 404);
  });

  it('reads the own account with Basic and records lastlogin; a key read does not', async () => {
    await signUp(t, 'carol');
    const before = expectSuccess(await t.req({ method: 'GET', url: '/rest/users/carol', key: defaultKeys.viewer }));
    expect(before.lastlogin).toBeNull();
    const r = await get('carol', basic('carol', PASSWORD));
    const c = expectSuccess(r);
    expect(c.lastlogin).toMatch(ISO);
    expect(c).toMatchObject({
      username: 'carol',
      email: 'carol@example.com',
      role: 'free',
      type: 'invoice',
      status: 'unverified',
      allusage: 0,
    });
    expect(r.body).not.toContain(PASSWORD);
    // Case of the name in the URL does not matter (usernames are case-insensitive).
    const again = expectSuccess(await get('CAROL', basic('carol', PASSWORD)));
    expect(Date.parse(again.lastlogin)).toBeGreaterThanOrEqual(Date.parse(c.lastlogin));
    const after = expectSuccess(await t.req({ method: 'GET', url: '/rest/users/carol', key: defaultKeys.viewer }));
    expect(after.lastlogin).toBe(again.lastlogin);
  });

  it('authenticates: wrong password 401, unknown user 401, another user 403, none 401', async () => {
    await signUp(t, 'dave');
    await signUp(t, 'erin');
    const wrong = expectFailure(await get('dave', basic('dave', 'not the password')), 401);
    expect(wrong.message).not.toContain('not the password');
    expect((await get('dave', basic('dave', 'not the password'))).headers['www-authenticate']).toMatch(/^Basic realm=/);
    expectFailure(await get('dave', basic('nobody', PASSWORD)), 401);
    expectFailure(await get('dave', basic('da\u0000ve', PASSWORD)), 401);
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/da%00ve', key: defaultKeys.viewer }), 404);
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/dave', key: null }), 401);
    expectFailure(await get('dave', 'Basic !!!notbase64'), 401);
    expectFailure(await get('dave', `Basic ${Buffer.from('no-colon').toString('base64')}`), 401);
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/dave', key: 'not-a-key' }), 401);
    // The failed attempts changed nothing; lastlogin is still unset.
    expect(
      expectSuccess(await t.req({ method: 'GET', url: '/rest/users/dave', key: defaultKeys.viewer })).lastlogin,
    ).toBeNull();
    // Right password, someone else's account: 403 (and nothing about erin is revealed).
    expectFailure(await get('erin', basic('dave', PASSWORD)), 403, /another account/);
    expectFailure(await get('nobody', basic('dave', PASSWORD)), 403);
    expect(
      expectSuccess(await t.req({ method: 'GET', url: '/rest/users/erin', key: defaultKeys.viewer })).lastlogin,
    ).toBeNull();
  });

  it('lets manager keys read (viewer) and update (editor) within their tenant only', async () => {
    await signUp(t, 'frank');
    expectSuccess(await t.req({ method: 'GET', url: '/rest/users/frank', key: defaultKeys.viewer }));
    expectSuccess(
      await t.req({
        method: 'GET',
        url: '/rest/users/frank',
        key: null,
        headers: { admin_api_key: defaultKeys.viewer },
      }),
    );
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/frank', key: acme.keys.owner }), 404);
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/nobody', key: defaultKeys.viewer }), 404);
    expectFailure(
      await t.req({
        method: 'PUT',
        url: '/rest/users/frank',
        key: defaultKeys.viewer,
        payload: { email: 'f2@example.com' },
      }),
      403,
    );
    const u = expectSuccess(
      await t.req({
        method: 'PUT',
        url: '/rest/users/frank',
        key: defaultKeys.editor,
        payload: { email: 'f2@example.com' },
      }),
    );
    expect(u.email).toBe('f2@example.com');
  });

  it('updates username and email by JSON and form; a new email is unverified again', async () => {
    await signUp(t, 'gina');
    const v = expectSuccess(await t.req({ method: 'POST', url: '/rest/users/gina/verify', key: defaultKeys.editor }));
    expect(v.status).toBe('verified');

    // The same address (other case) keeps the verification.
    const same = expectSuccess(
      await t.req({
        method: 'PUT',
        url: '/rest/users/gina',
        key: null,
        headers: { authorization: basic('gina', PASSWORD) },
        payload: { email: 'GINA@example.com' },
      }),
    );
    expect(same).toMatchObject({ email: 'GINA@example.com', status: 'verified' });

    const r = await t.req({
      method: 'PUT',
      url: '/rest/users/gina',
      key: null,
      headers: {
        authorization: basic('gina', PASSWORD),
        'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      },
      payload: '?&username=gina2&email=newemail@example.com',
    });
    const c = expectSuccess(r);
    expect(c).toMatchObject({ username: 'gina2', email: 'newemail@example.com', status: 'unverified' });
    expect(Date.parse(c.update)).toBeGreaterThanOrEqual(Date.parse(c.created));

    // The old name is gone; the new one signs in with the same password.
    expectFailure(await get('gina', basic('gina', PASSWORD)), 401);
    expectSuccess(await get('gina2', basic('gina2', PASSWORD)));

    const j = expectSuccess(
      await t.req({
        method: 'PUT',
        url: '/rest/users/gina2',
        key: null,
        headers: { authorization: basic('gina2', PASSWORD) },
        payload: { username: 'gina3' },
      }),
    );
    expect(j).toMatchObject({ username: 'gina3', email: 'newemail@example.com' });
  });

  it('rejects bad updates: taken name 409, unknown field 400, other account 403', async () => {
    await signUp(t, 'hank');
    await signUp(t, 'ivy');
    const auth = { authorization: basic('hank', PASSWORD) };
    expectFailure(
      await t.req({ method: 'PUT', url: '/rest/users/hank', key: null, headers: auth, payload: { username: 'IVY' } }),
      409,
      /username/,
    );
    expectFailure(
      await t.req({
        method: 'PUT',
        url: '/rest/users/hank',
        key: null,
        headers: auth,
        payload: { email: 'ivy@example.com' },
      }),
      409,
      /email/,
    );
    expectFailure(
      await t.req({
        method: 'PUT',
        url: '/rest/users/hank',
        key: null,
        headers: auth,
        payload: { password: 'new password!' },
      }),
      400,
      /password/,
    );
    expectFailure(
      await t.req({ method: 'PUT', url: '/rest/users/hank', key: null, headers: auth, payload: { email: 'bad' } }),
      400,
      /email/,
    );
    expectFailure(
      await t.req({
        method: 'PUT',
        url: '/rest/users/ivy',
        key: null,
        headers: auth,
        payload: { email: 'x@example.com' },
      }),
      403,
    );
    const still = expectSuccess(await t.req({ method: 'GET', url: '/rest/users/hank', key: defaultKeys.viewer }));
    expect(still).toMatchObject({ username: 'hank', email: 'hank@example.com' });
  });

  it('verifies only by a manager key with users:write', async () => {
    await signUp(t, 'jack');
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users/jack/verify',
        key: null,
        headers: { authorization: basic('jack', PASSWORD) },
      }),
      403,
    );
    expectFailure(await t.req({ method: 'POST', url: '/rest/users/jack/verify', key: defaultKeys.viewer }), 403);
    expectFailure(await t.req({ method: 'POST', url: '/rest/users/jack/verify', key: null }), 401);
    expectFailure(await t.req({ method: 'POST', url: '/rest/users/nobody/verify', key: defaultKeys.editor }), 404);
    expect(expectSuccess(await t.req({ method: 'GET', url: '/rest/users/jack', key: defaultKeys.viewer })).status).toBe(
      'unverified',
    );
    expect(
      expectSuccess(await t.req({ method: 'POST', url: '/rest/users/jack/verify', key: defaultKeys.editor })).status,
    ).toBe('verified');
    expect(expectSuccess(await get('jack', basic('jack', PASSWORD))).status).toBe('verified');
  });

  it('acts on the tenant named by X-Roster-Tenant; an unknown one answers as a tenant the caller has nothing in', async () => {
    const h = { 'x-roster-tenant': 'acme' };
    await signUp(t, 'kate', { tenant: 'acme' });
    await signUp(t, 'kate'); // the same name in the default tenant is another account
    expectSuccess(
      await t.req({
        method: 'GET',
        url: '/rest/users/kate',
        key: null,
        headers: { ...h, authorization: basic('kate', PASSWORD) },
      }),
    );
    expectSuccess(await t.req({ method: 'GET', url: '/rest/users/kate', key: acme.keys.viewer, headers: h }));
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/kate', key: defaultKeys.viewer, headers: h }), 404);
    // Sign-up without a key: as on a tenant whose sign-up is closed; with a key: as a tenant it cannot reach.
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users',
        key: null,
        headers: { 'x-roster-tenant': 'nope' },
        payload: { username: 'z', email: 'z@example.com', password: PASSWORD },
      }),
      401,
      /sign-up is closed/,
    );
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users',
        key: defaultKeys.editor,
        headers: { 'x-roster-tenant': 'nope' },
        payload: { username: 'z', email: 'z@example.com', password: PASSWORD },
      }),
      404,
      /^tenant not found$/,
    );
    // Basic: a wrong username or password, whatever the code.
    for (const code of ['nope', 'no pe!'])
      expectFailure(
        await t.req({
          method: 'GET',
          url: '/rest/users/kate',
          key: null,
          headers: { 'x-roster-tenant': code, authorization: basic('kate', PASSWORD) },
        }),
        401,
        /wrong username or password/,
      );
    // Renaming in one tenant leaves the other's kate alone.
    expectSuccess(
      await t.req({
        method: 'PUT',
        url: '/rest/users/kate',
        key: acme.keys.editor,
        headers: h,
        payload: { username: 'kate.acme' },
      }),
    );
    expectSuccess(await t.req({ method: 'GET', url: '/rest/users/kate', key: defaultKeys.viewer }));
  });

  it('closes sign-up when publicSignup is false: 401 without a key, 403 viewer, 201 editor', async () => {
    const off = await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${acme.tenantId}`,
      payload: { settings: { publicSignup: false } },
    });
    expect(off.statusCode, off.body).toBe(200);
    const h = { 'x-roster-tenant': 'acme' };
    const payload = { username: 'closed', email: 'closed@example.com', password: PASSWORD };
    const closed = await t.req({ method: 'POST', url: '/rest/users', key: null, headers: h, payload });
    expectFailure(closed, 401, /sign-up is closed/);
    expect(closed.headers['www-authenticate']).toBeUndefined();
    expectFailure(await t.req({ method: 'POST', url: '/rest/users', key: acme.keys.viewer, headers: h, payload }), 403);
    expectFailure(
      await t.req({ method: 'POST', url: '/rest/users', key: defaultKeys.editor, headers: h, payload }),
      404,
    );
    expectSuccess(await t.req({ method: 'POST', url: '/rest/users', key: acme.keys.editor, headers: h, payload }), 201);
    // The default tenant is still open.
    await signUp(t, 'open');
    await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${acme.tenantId}`,
      payload: { settings: { publicSignup: true } },
    });
  });

  it('answers the envelope on unknown routes and methods', async () => {
    expectFailure(await t.req({ method: 'GET', url: '/rest/nothing', key: null }), 404);
    expectFailure(await t.req({ method: 'DELETE', url: '/rest/users/alice', key: null }), 404);
    expectFailure(await t.req({ method: 'GET', url: '/rest/users', key: null }), 404);
    expectFailure(await t.req({ method: 'PATCH', url: '/rest/keys/verify', key: null }), 404);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await t.req({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths).toHaveProperty(['/rest/users/{username}']);
    expect(doc.paths).toHaveProperty(['/rest/keys/verify']);
  });
});
