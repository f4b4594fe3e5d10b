import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { allowShortPasswords, newUser, usrError, usrReq, type UsrUser } from './support/usr.ts';
import { buildApp } from '../src/http/app.ts';

describe.each(backends())('/usr dialect: keys, tenants, conflicts, moves ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
  });
  afterAll(() => t.close());

  const add = async (body: Record<string, unknown>, k: string | undefined = acme.keys.editor) => {
    const r = await usrReq(t, 'POST', '/usr/new', k, body);
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as UsrUser;
  };
  const adminGet = (tenantId: number, id: number) =>
    t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users/${id}` });
  const count = async (tenantId: number) =>
    ((await t.req({ method: 'GET', url: `/usr/acc/${tenantId}` })).json() as unknown[]).length;

  it('needs a key: missing or unknown is a 401, under both prefixes; Bearer and admin_api_key both work', async () => {
    const u = await add(newUser(acme.tenantId));
    for (const url of [`/usr/${u.userId}`, `/usr/acc/${acme.tenantId}`, `/pub/usr/acc/${acme.tenantId}`]) {
      usrError(await usrReq(t, 'GET', url, null), 401, 'auth.unauthorized');
      usrError(await usrReq(t, 'GET', url, 'not-a-key'), 401, 'auth.unauthorized');
    }
    usrError(await usrReq(t, 'POST', '/usr/new', null, newUser(acme.tenantId)), 401);
    usrError(await usrReq(t, 'DELETE', `/usr/${u.userId}`, null), 401);
    const viaHeader = await t.req({
      method: 'GET',
      url: `/usr/${u.userId}`,
      key: null,
      headers: { admin_api_key: acme.keys.viewer },
    });
    expect(viaHeader.statusCode).toBe(200);
    expect(viaHeader.json()).toEqual(u);
    // Unknown paths under the dialect's prefixes answer in its envelope.
    usrError(await usrReq(t, 'GET', '/usr/acc/1/extra', acme.keys.viewer), 404, 'not_found');
    usrError(await usrReq(t, 'POST', '/pub/usr/new', acme.keys.editor, newUser(acme.tenantId)), 404, 'not_found');
  });

  it('applies role privileges: viewer reads, editor adds and modifies, admin deletes', async () => {
    const u = await add(newUser(acme.tenantId), acme.keys.editor);
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer)).statusCode).toBe(200);
    expect((await usrReq(t, 'GET', `/pub/usr/acc/${acme.tenantId}`, acme.keys.viewer)).statusCode).toBe(200);
    const before = await count(acme.tenantId);
    usrError(await usrReq(t, 'POST', '/usr/new', acme.keys.viewer, newUser(acme.tenantId)), 403, 'auth.forbidden');
    usrError(
      await usrReq(t, 'PUT', `/usr/${u.userId}`, acme.keys.viewer, { contactName: 'no' }),
      403,
      'auth.forbidden',
    );
    usrError(await usrReq(t, 'DELETE', `/usr/${u.userId}`, acme.keys.editor), 403, 'auth.forbidden');
    expect(await count(acme.tenantId)).toBe(before);
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer)).json()).toEqual(u);
    expect((await usrReq(t, 'DELETE', `/usr/${u.userId}`, acme.keys.admin)).statusCode).toBe(204);
    usrError(await usrReq(t, 'DELETE', `/usr/${u.userId}`, acme.keys.admin), 404, 'user.not_found');
  });

  it("isolates tenants: another account's users and lists are 404, adding into it is a 400; root reaches all", async () => {
    const mine = await add(newUser(acme.tenantId));
    const k = other.keys.owner;
    for (const [method, url, body] of [
      ['GET', `/usr/${mine.userId}`, undefined],
      ['POST', `/usr/${mine.userId}`, { contactName: 'hijack' }],
      ['PUT', `/usr/${mine.userId}`, { active: 0 }],
      ['DELETE', `/usr/${mine.userId}`, undefined],
    ] as const) {
      // The same answer as for a user that does not exist: nothing is learnt about other tenants.
      const foreign = usrError(await usrReq(t, method, url, k, body), 404, 'user.not_found');
      const absent = usrError(await usrReq(t, method, '/usr/999999', k, body), 404, 'user.not_found');
      expect(foreign.replace(String(mine.userId), 'N')).toBe(absent.replace('999999', 'N'));
    }
    usrError(await usrReq(t, 'GET', `/usr/acc/${acme.tenantId}`, k), 404, 'tenant.not_found');
    expect(usrError(await usrReq(t, 'GET', `/pub/usr/acc/${acme.tenantId}`, k), 404)).toBe('account not found');
    const before = await count(acme.tenantId);
    const foreignAdd = usrError(
      await usrReq(t, 'POST', '/usr/new', k, newUser(acme.tenantId)),
      400,
      'usr.invalid_account',
    );
    const unknownAdd = usrError(await usrReq(t, 'POST', '/usr/new', k, newUser(999999)), 400, 'usr.invalid_account');
    expect(foreignAdd).toMatch(/defaultAccountId/);
    expect(unknownAdd.replace('999999', 'N')).toBe(foreignAdd.replace(String(acme.tenantId), 'N'));
    expect(await count(acme.tenantId)).toBe(before);
    expect((await adminGet(acme.tenantId, mine.userId)).json()).toMatchObject({
      displayName: mine.contactName,
      active: true,
    });

    // The root key reaches every tenant, and still gets a 400 for an account that does not exist.
    expect((await t.req({ method: 'GET', url: `/usr/${mine.userId}` })).json()).toEqual(mine);
    const rootAdd = await usrReq(t, 'POST', '/usr/new', undefined, newUser(other.tenantId));
    expect(rootAdd.statusCode, rootAdd.body).toBe(201);
    expect(rootAdd.json().defaultAccountId).toBe(other.tenantId);
    usrError(await t.req({ method: 'POST', url: '/usr/new', payload: newUser(999999) }), 400, 'usr.invalid_account');
  });

  it('answers 409 for a duplicate username or email in the account (case-insensitive), on add and modify', async () => {
    const a = await add(newUser(acme.tenantId, { username: 'Dup.User', emailAddress: 'dup@example.com' }));
    const before = await count(acme.tenantId);
    expect(
      usrError(
        await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { username: 'dup.user' })),
        409,
        'user.username_taken',
      ),
    ).toMatch(/username/);
    expect(
      usrError(
        await usrReq(
          t,
          'PUT',
          '/usr/new',
          acme.keys.editor,
          newUser(acme.tenantId, { emailAddress: 'DUP@example.com' }),
        ),
        409,
        'user.email_taken',
      ),
    ).toMatch(/emailAddress/);
    expect(await count(acme.tenantId)).toBe(before);

    const b = await add(newUser(acme.tenantId));
    usrError(
      await usrReq(t, 'POST', `/usr/${b.userId}`, acme.keys.editor, { username: 'DUP.USER', contactName: 'changed' }),
      409,
      'user.username_taken',
    );
    usrError(
      await usrReq(t, 'PUT', `/usr/${b.userId}`, acme.keys.editor, { emailAddress: 'dup@EXAMPLE.com' }),
      409,
      'user.email_taken',
    );
    expect((await usrReq(t, 'GET', `/usr/${b.userId}`, acme.keys.viewer)).json()).toEqual(b);
    // Another account may hold the same username and email.
    await add(newUser(other.tenantId, { username: 'dup.user', emailAddress: 'dup@example.com' }), other.keys.editor);
    expect((await usrReq(t, 'GET', `/usr/${a.userId}`, acme.keys.viewer)).json()).toEqual(a);
  });

  it('applies the tenant password minimum: the default refuses the documented "test" with a 400 naming password', async () => {
    const before = await count(acme.tenantId);
    const r = await usrReq(t, 'POST', '/usr/new', acme.keys.editor, newUser(acme.tenantId, { password: 'test' }));
    const msg = usrError(r, 400, 'user.password_too_short');
    expect(msg).toBe('password must be at least 8 characters');
    expect(await count(acme.tenantId)).toBe(before);
    const u = await add(newUser(acme.tenantId));
    usrError(
      await usrReq(t, 'POST', `/usr/${u.userId}`, acme.keys.editor, { password: 'test', contactName: 'changed' }),
      400,
      'user.password_too_short',
    );
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer)).json()).toEqual(u);

    // With the tenant's passwordMinLength set to 4, the documented password is accepted.
    const short = await makeTenant(t, 'Short', 'short');
    await allowShortPasswords(t, short.tenantId);
    expect((await add(newUser(short.tenantId, { password: 'test' }), short.keys.editor)).defaultAccountId).toBe(
      short.tenantId,
    );
  });

  it('moves a user to another account the key may write, in one transaction with an audit event in both', async () => {
    const u = await add(newUser(acme.tenantId, { username: 'mover', emailAddress: 'mover@example.com' }));
    // A manager key may not move a user out of its tenant: the target is not an account it may write.
    const denied = usrError(
      await usrReq(t, 'POST', `/usr/${u.userId}`, acme.keys.owner, {
        defaultAccountId: other.tenantId,
        contactName: 'changed',
      }),
      400,
      'usr.invalid_account',
    );
    expect(denied).toMatch(/defaultAccountId/);
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer)).json()).toEqual(u);
    // The same account id as now is no move at all.
    expect(
      (await usrReq(t, 'PUT', `/usr/${u.userId}`, acme.keys.editor, { defaultAccountId: acme.tenantId })).json(),
    ).toEqual(u);

    // Root moves it, with other changes in the same request.
    const m = await t.req({
      method: 'POST',
      url: `/usr/${u.userId}`,
      headers: { 'content-type': 'text/javascript' },
      payload: JSON.stringify({ defaultAccountId: other.tenantId, contactName: 'Moved', active: '0' }),
    });
    expect(m.statusCode, m.body).toBe(200);
    expect(m.json()).toEqual({ ...u, contactName: 'Moved', defaultAccountId: other.tenantId, active: 0 });
    expect((await adminGet(other.tenantId, u.userId)).json()).toMatchObject({
      tenantId: other.tenantId,
      displayName: 'Moved',
      username: 'mover',
      active: false,
    });
    expect((await adminGet(acme.tenantId, u.userId)).statusCode).toBe(404);
    usrError(await usrReq(t, 'GET', `/usr/${u.userId}`, acme.keys.viewer), 404, 'user.not_found');
    expect((await usrReq(t, 'GET', `/usr/${u.userId}`, other.keys.viewer)).json().defaultAccountId).toBe(
      other.tenantId,
    );
    expect(
      ((await usrReq(t, 'GET', `/usr/acc/${other.tenantId}`, other.keys.viewer)).json() as UsrUser[]).map(
        (x) => x.userId,
      ),
    ).toContain(u.userId);

    for (const tenantId of [acme.tenantId, other.tenantId]) {
      const audit = (
        await t.req({
          method: 'GET',
          url: `/admin/v1/tenants/${tenantId}/audit?target=user:${u.userId}&action=user.update`,
        })
      ).json();
      expect(audit.items[0], `tenant ${tenantId}`).toMatchObject({
        actor: 'root',
        changes: {
          tenantId: { before: acme.tenantId, after: other.tenantId },
          displayName: { before: u.contactName, after: 'Moved' },
        },
      });
    }

    // Root moves it back to an account that does not exist: 400, nothing changes.
    usrError(
      await t.req({ method: 'POST', url: `/usr/${u.userId}`, payload: { defaultAccountId: 999999 } }),
      400,
      'usr.invalid_account',
    );
    expect((await adminGet(other.tenantId, u.userId)).statusCode).toBe(200);
  });

  it('renders a rate limit (429 with retry-after) in its envelope under both prefixes', async () => {
    const app = await buildApp(t.runtime.services, { rateLimit: { perKey: 1, perIp: 1 } });
    try {
      await app.ready();
      for (const [n, url] of [`/usr/acc/${acme.tenantId}`, `/pub/usr/acc/${acme.tenantId}`].entries()) {
        const key = n === 0 ? acme.keys.viewer : acme.keys.admin; // the per-key limit spans every path
        const send = () =>
          app.inject({
            method: 'GET',
            url,
            headers: { authorization: `Bearer ${key}` },
            remoteAddress: `10.6.0.${n + 1}`,
          });
        expect((await send()).statusCode).toBe(200);
        const r = await send();
        expect(usrError(r, 429)).not.toBe('');
        expect(r.headers['retry-after']).toMatch(/^\d+$/);
      }
    } finally {
      await app.close();
    }
  });

  it("takes a moved user's own rows along (its events follow it to the new account)", async () => {
    const from = await makeTenant(t, 'From', 'from-acct');
    const to = await makeTenant(t, 'To', 'to-acct');
    const ev = await t.req({
      method: 'POST',
      url: '/v1/accounts/from-acct/events',
      payload: { userId: 'walker', eventName: 'purchase' },
    });
    expect(ev.statusCode, ev.body).toBe(201);
    const [walker] = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${from.tenantId}/users?externalId=walker` })
    ).json().items;
    const m = await t.req({ method: 'POST', url: `/usr/${walker.id}`, payload: { defaultAccountId: to.tenantId } });
    expect(m.statusCode, m.body).toBe(200);
    const moved = await t.req({ method: 'GET', url: '/v1/accounts/to-acct/users/walker/events' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().response.data).toMatchObject({
      userId: 'walker',
      total: 1,
      events: [{ eventName: 'purchase' }],
    });
    expect((await t.req({ method: 'GET', url: '/v1/accounts/from-acct/users/walker/events' })).statusCode).toBe(404);

    // The externalId a user got through another API is unique in the target account too: 409, nothing moves.
    await t.req({
      method: 'POST',
      url: '/v1/accounts/from-acct/events',
      payload: { userId: 'walker', eventName: 'again' },
    });
    const [second] = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${from.tenantId}/users?externalId=walker` })
    ).json().items;
    const clash = await t.req({ method: 'POST', url: `/usr/${second.id}`, payload: { defaultAccountId: to.tenantId } });
    expect(usrError(clash, 409, 'user.external_id_taken')).toMatch(/externalId/);
    const stayed = await t.req({ method: 'GET', url: '/v1/accounts/from-acct/users/walker/events' });
    expect(stayed.json().response.data).toMatchObject({ total: 1, events: [{ eventName: 'again' }] });
  });

  it("takes a moved user out of its old account's groups (groups are per account)", async () => {
    const from = await makeTenant(t, 'GFrom', 'g-from');
    const to = await makeTenant(t, 'GTo', 'g-to');
    const mover = await add(newUser(from.tenantId), from.keys.editor);
    const stayer = await add(newUser(from.tenantId), from.keys.editor);
    const scim = (method: 'GET' | 'POST', path: string, body?: unknown) =>
      t.req({
        method,
        url: `/scim/v2${path}`,
        key: from.keys.admin,
        ...(body ? { headers: { 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) } : {}),
      });
    const g = await scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Team',
      members: [{ value: String(mover.userId) }, { value: String(stayer.userId) }],
    });
    expect(g.statusCode, g.body).toBe(201);
    const groupId = g.json().id as string;

    const m = await t.req({ method: 'POST', url: `/usr/${mover.userId}`, payload: { defaultAccountId: to.tenantId } });
    expect(m.statusCode, m.body).toBe(200);
    const after = await scim('GET', `/Groups/${groupId}`);
    expect(after.statusCode).toBe(200);
    expect((after.json().members as { value: string }[]).map((x) => x.value)).toEqual([String(stayer.userId)]);
    expect(after.headers.etag).not.toBe(g.headers.etag); // the group changed: its version too
    const audit = (
      await t.req({
        method: 'GET',
        url: `/admin/v1/tenants/${from.tenantId}/audit?target=user:${mover.userId}&action=user.update`,
      })
    ).json();
    expect(audit.items[0].changes.groups).toEqual({ before: ['Team'], after: [] });
  });

  it('refuses a move that would clash with the target account (409) or break its rules (400), changing nothing', async () => {
    const target = await makeTenant(t, 'Target', 'target');
    await add(newUser(target.tenantId, { username: 'taken', emailAddress: 'taken@example.com' }), target.keys.editor);
    const u1 = await add(newUser(acme.tenantId, { username: 'TAKEN' }));
    const u2 = await add(newUser(acme.tenantId, { emailAddress: 'Taken@Example.com' }));
    const targetCount = await count(target.tenantId);
    const byRoot = (id: number, body: unknown) =>
      t.req({ method: 'PUT', url: `/usr/${id}`, payload: body as Record<string, unknown> });

    usrError(
      await byRoot(u1.userId, { defaultAccountId: target.tenantId, contactName: 'changed' }),
      409,
      'user.username_taken',
    );
    usrError(await byRoot(u2.userId, { defaultAccountId: target.tenantId }), 409, 'user.email_taken');
    // A rename in the same request that resolves the clash is fine.
    const ok = await byRoot(u1.userId, { defaultAccountId: target.tenantId, username: 'not-taken' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ username: 'not-taken', defaultAccountId: target.tenantId });
    expect(await count(target.tenantId)).toBe(targetCount + 1);
    expect((await adminGet(acme.tenantId, u2.userId)).json()).toMatchObject({
      email: 'Taken@Example.com',
      tenantId: acme.tenantId,
    });

    // The target tenant's password rule applies to a password sent with the move.
    const short = await makeTenant(t, 'Short2', 'short2');
    await allowShortPasswords(t, short.tenantId);
    const s = await add(newUser(short.tenantId, { password: 'test' }), short.keys.editor);
    usrError(
      await byRoot(s.userId, { defaultAccountId: acme.tenantId, password: 'abcd' }),
      400,
      'user.password_too_short',
    );
    expect((await adminGet(short.tenantId, s.userId)).statusCode).toBe(200);
    expect(
      (await byRoot(s.userId, { defaultAccountId: acme.tenantId, password: 'a long enough one' })).json()
        .defaultAccountId,
    ).toBe(acme.tenantId);
  });
});
